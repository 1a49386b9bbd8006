"""The real bot, connected to the stand-in, hears of posts written into its folder."""

from __future__ import annotations

import asyncio

import pytest

from articlebot.bot.follow import Following, following
from articlebot.index import ReindexReport
from tests.bot.conftest import E2E
from tests.sample_posts import write_post

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]


async def test_a_post_written_into_the_folder_reaches_the_bot_as_an_event(e2e: E2E) -> None:
    heard: asyncio.Queue[ReindexReport] = asyncio.Queue()

    async def on_articles_changed(report: ReindexReport) -> None:
        heard.put_nowait(report)

    e2e.bot.add_listener(on_articles_changed)
    settings = Following(quiet=0.3, longest=5.0)
    try:
        async with following(e2e.index, settings, e2e.bot.articles_changed) as ready:
            await asyncio.wait_for(ready.wait(), 20)
            write_post(
                e2e.content,
                "ferry_timetable_changes.md",
                "Ferry timetable changes for the winter",
                "2024-03-09-08-00-00",
                "news",
                "The winter ferry timetable adds an early sailing on weekdays.",
            )
            report = await asyncio.wait_for(heard.get(), 20)
    finally:
        e2e.bot.remove_listener(on_articles_changed)
    assert report.added == ("ferry_timetable_changes.md",)
    reply = await e2e.ask("!search ferry timetable")
    assert "Ferry timetable changes for the winter" in str(reply.json)
