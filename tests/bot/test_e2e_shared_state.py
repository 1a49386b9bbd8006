"""Two bots on different shards over one PostgreSQL state and one index file, as two
processes would run them (each its own ArticleIndex, state pool and gateway connection):
a new article is announced once in each subscribed server, by the bot that holds it,
whichever bot sees the article first."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from articlebot.index import ArticleIndex
from tests.bot.conftest import write_articles, write_post
from tests.bot.discord_standin import DiscordStandin, running

# Two servers, one on each of two shards.
STANDIN = {"second_guild": True}


@contextlib.asynccontextmanager
async def shard_bot(standin: DiscordStandin, folder: Path, state_url: str, shard: int):
    """The real bot on one of two shards, reading the shared index (never writing it)."""
    from articlebot.bot.app import create_bot
    from articlebot.bot.settings import load_settings

    env = {
        "DISCORD_TOKEN": standin.token,
        "ARTICLEBOT_CONTENT": str(folder / "posts"),
        "ARTICLEBOT_DB": str(folder / "index.sqlite3"),
        "ARTICLEBOT_WATCH": "index",
        "ARTICLEBOT_STATE_URL": state_url,
        "ARTICLEBOT_SHARD_COUNT": "2",
        "ARTICLEBOT_SHARD_IDS": str(shard),
    }
    settings = load_settings(env, env_file=None)
    index = await ArticleIndex.open(settings.db_path, settings.content_dir, settings.index_config())
    try:
        bot = create_bot(settings, index)
        async with running(bot, standin):
            yield bot
    finally:
        await index.close()


def cards(standin: DiscordStandin, channel: int, since: int) -> list[str]:
    sent = standin.requests_since(
        since, lambda r: r.route == "create_message" and r.channel_id == channel and r.message
    )
    return [e.get("title") for r in sent for e in (r.message or {}).get("embeds", [])]


def spy_on_sends(bots: dict[int, Any]) -> dict[int, list[int]]:
    """{channel id: [shard of the bot that sent there, ...]}: each bot's real send, noted."""
    senders: dict[int, list[int]] = {}
    for shard, bot in bots.items():
        send = bot.http.send_message

        async def noted(
            channel_id: int, *args: Any, _send: Any = send, _shard: int = shard, **kw: Any
        ):
            senders.setdefault(int(channel_id), []).append(_shard)
            return await _send(channel_id, *args, **kw)

        bot.http.send_message = noted
    return senders


async def subscribe(standin: DiscordStandin, channel: int) -> None:
    sent = await standin.send_message(
        f"!subscribe <#{channel}>", author=standin.admin, channel=channel
    )
    assert f"<#{channel}>" in (await standin.wait_for_reply(sent, timeout=10)).text()


async def test_each_server_gets_a_new_article_once_from_its_own_shard(
    standin: DiscordStandin, tmp_path: Path, postgres_database: str
) -> None:
    content = write_articles(tmp_path / "posts")
    writer = await ArticleIndex.open(tmp_path / "index.sqlite3", content)
    await writer.reindex()  # the indexer's first build
    assert standin.second_channel_id is not None
    channel_of = {
        standin.shard_of(standin.guild_id, 2): standin.channel_id,
        standin.shard_of(standin.second_guild_id or 0, 2): standin.second_channel_id,
    }
    try:
        async with (
            shard_bot(standin, tmp_path, postgres_database, 0) as zero,
            shard_bot(standin, tmp_path, postgres_database, 1) as one,
        ):
            for channel in channel_of.values():
                await subscribe(standin, channel)
            senders = spy_on_sends({0: zero, 1: one})
            mark = standin.mark()
            write_post(
                content, "ferry.md", "Night ferry resumes", "2026-12-06", "news", "It sails."
            )
            report = await writer.reindex()
            assert report.added == ("ferry.md",)
            # Bot zero sees it first: it sends its own server's and queues the other's,
            # which bot one takes within a second. Bot one seeing it later claims nothing.
            assert await zero.index.refresh() is not None
            await zero.articles_changed(report)
            await standin.wait_until(
                lambda: all(cards(standin, c, mark) for c in channel_of.values()), timeout=10
            )
            assert await one.index.refresh() is not None
            await one.articles_changed(report)
            await standin.wait_quiet(1.5, timeout=10)  # longer than a pick-up period
            for channel in channel_of.values():
                assert cards(standin, channel, mark) == ["Night ferry resumes"]
            # The other order: bot one first this time.
            mark = standin.mark()
            write_post(content, "gulls.md", "Gull count falls", "2026-12-06", "news", "Fewer.")
            report = await writer.reindex()
            for bot in (one, zero):
                await bot.index.refresh()
                await bot.articles_changed(report)
            await standin.wait_until(
                lambda: all(cards(standin, c, mark) for c in channel_of.values()), timeout=10
            )
            await standin.wait_quiet(1.5, timeout=10)
            for channel in channel_of.values():
                assert cards(standin, channel, mark) == ["Gull count falls"]
            # Every announcement went out through the gateway session of its server's shard.
            assert {c: set(s) for c, s in senders.items()} == {
                c: {s} for s, c in channel_of.items()
            }
    finally:
        await writer.close()
