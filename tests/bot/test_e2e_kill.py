"""A real kill: `articlebot run` in a child process against the stand-in, killed with
SIGKILL between two announcements' sends (a message, a forum post) and their records,
restarted, then restarted again
over a deleted index. Nothing is lost and nothing is posted twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.conftest import write_articles, write_post
from tests.bot.discord_standin import DiscordStandin, RecordedRequest

ROOT = Path(__file__).resolve().parents[2]
START = 60.0  # seconds for a child to start, index and connect on a loaded machine


class Child:
    """One `articlebot run` process; its log is kept for the failure message. Waited for
    without blocking the loop: the stand-in serves the child from this loop."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, env: dict[str, str], log: Path) -> Child:
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.bot.standin_child",
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return cls(process)

    async def stop(self, sig: int = signal.SIGKILL) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout=30)


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandin]:
    async with DiscordStandin() as served:
        yield served


def titled(standin: DiscordStandin, title: str) -> list[dict]:
    """The messages and forum posts the stand-in holds whose one card is ``title``."""
    return [
        m
        for m in standin.messages.values()
        if [e.get("title") for e in m.get("embeds", [])] == [title]
    ]


async def start(standin: DiscordStandin, env: dict[str, str], log: Path) -> Child:
    before = standin.ready_count
    child = await Child.start(env, log)
    try:
        await standin.wait_until(lambda: standin.ready_count > before, timeout=START)
    except TimeoutError:
        await child.stop()
        raise AssertionError(f"the bot did not connect:\n{log.read_text()[-3000:]}") from None
    return child


async def command(standin: DiscordStandin, text: str) -> RecordedRequest:
    sent = await standin.send_message(text, author=standin.admin)
    return await standin.wait_for_reply(sent, timeout=20)


@pytest.mark.slow
async def test_a_kill_between_send_and_record_posts_nothing_twice(
    standin: DiscordStandin, tmp_path: Path
) -> None:
    content = write_articles(tmp_path / "posts")
    db = tmp_path / "data" / "index.sqlite3"
    env = {
        **os.environ,
        "ARTICLEBOT_TEST_STANDIN": standin.http_base,
        "DISCORD_TOKEN": standin.token,
        "ARTICLEBOT_CONTENT": str(content),
        "ARTICLEBOT_DB": str(db),
        "ARTICLEBOT_WATCH": "auto",
        "ARTICLEBOT_LANGUAGE": "en",
    }
    log = tmp_path / "bot.log"
    channel, forum = standin.other_channel_id, standin.forum_channel_id
    first = await start(standin, env, log)
    try:
        assert f"<#{channel}>" in (await command(standin, f"!subscribe <#{channel}>")).text()
        assert f"<#{forum}>" in (await command(standin, f"!subscribe <#{forum}>")).text()

        # Both announcements reach "Discord", which makes the message and the forum post
        # and never answers: the bot is killed before it can record either send.
        standin.stall = lambda r: (
            (r.route == "create_message" and r.channel_id == channel)
            or r.route == "start_forum_thread"
        )
        write_post(content, "ferry.md", "Night ferry resumes", "2026-12-06", "news", "It sails.")
        await standin.wait_until(lambda: len(standin.stalled) == 2, timeout=START)
    finally:
        await first.stop()
    standin.unstall()
    nonce = next(r.json["nonce"] for r in standin.stalled if r.route == "create_message")
    assert len(titled(standin, "Night ferry resumes")) == 2  # made, never confirmed

    restarted = standin.mark()
    second = await start(standin, env, log)
    try:
        # At start: the unconfirmed message is sent again with its nonce (Discord returns
        # the one it made), and the forum post is found among the forum's active posts.
        await standin.wait_for_request(
            lambda r: r.route == "create_message" and (r.json or {}).get("nonce") == nonce,
            timeout=START,
            since=restarted,
        )
        await standin.wait_for_request(
            lambda r: r.route == "active_threads", timeout=START, since=restarted
        )
        await standin.wait_quiet(1.0, timeout=30)
    finally:
        await second.stop(signal.SIGTERM)
    forum_posts = standin.requests_since(restarted, lambda r: r.route == "start_forum_thread")
    assert forum_posts == []  # found, not made again
    assert len(titled(standin, "Night ferry resumes")) == 2  # one message, one forum post
    assert [t["name"] for t in standin.threads.values()] == ["Night ferry resumes"]

    # The index is derived data: deleted, it is rebuilt at start, and the rebuilt index
    # announces nothing again (the state file remembers what arrived).
    for path in db.parent.glob("index.sqlite3*"):
        path.unlink()
    mark = standin.mark()
    third = await start(standin, env, log)
    try:
        # Still alive to new posts (so the silence below is not a dead bot's).
        await command(standin, "!latest")
        write_post(content, "gulls.md", "Gull count falls", "2026-12-06", "news", "Fewer gulls.")
        await standin.wait_until(lambda: len(titled(standin, "Gull count falls")) == 2, START)
        await standin.wait_quiet(1.0, timeout=30)
    finally:
        stopped = await third.stop(signal.SIGTERM)
    assert db.exists()
    assert len(titled(standin, "Night ferry resumes")) == 2
    announced = standin.requests_since(
        mark, lambda r: r.route in ("create_message", "start_forum_thread") and bool(r.message)
    )
    cards = [e.get("title") for r in announced for e in (r.message or {}).get("embeds", [])]
    assert cards.count("Gull count falls") == 2 and "Night ferry resumes" not in cards
    assert stopped == 0, log.read_text()[-3000:]
