"""Shards against the stand-in, which routes each server's events to the shard that owns
it (``(guild_id >> 22) % shard_count``) over one connection per shard: one process with
both shards, then two bots with one shard each, each answering its own server only."""

from __future__ import annotations

import contextlib
from pathlib import Path

from tests.bot.conftest import write_articles
from tests.bot.discord_standin import DiscordStandin, running

# Two servers, one on each of two shards.
STANDIN = {"second_guild": True}


@contextlib.asynccontextmanager
async def shard_bot(standin: DiscordStandin, folder: Path, name: str, **shards: str):
    """The real bot over its own index and state file, on the shards given."""
    from articlebot.bot.app import create_bot
    from articlebot.bot.settings import load_settings
    from articlebot.index.service import ArticleIndex

    env = {
        "DISCORD_TOKEN": standin.token,
        "ARTICLEBOT_CONTENT": str(folder / "posts"),
        "ARTICLEBOT_DB": str(folder / name / "index.sqlite3"),
        "ARTICLEBOT_WATCH": "off",
        **shards,
    }
    settings = load_settings(env, env_file=None)
    index = await ArticleIndex.open(settings.db_path, settings.content_dir, settings.index_config())
    try:
        await index.reindex()
        bot = create_bot(settings, index)
        async with running(bot, standin):
            yield bot
    finally:
        await index.close()


async def answered_in(standin: DiscordStandin, channel: int) -> str:
    sent = await standin.send_message("!latest 1", author=standin.member, channel=channel)
    return (await standin.wait_for_reply(sent, timeout=10)).text()


async def test_one_process_on_two_shards(standin: DiscordStandin, tmp_path: Path) -> None:
    write_articles(tmp_path / "posts")
    guilds = standin.guild_ids
    assert sorted(standin.shard_of(g, 2) for g in guilds) == [0, 1]  # one server on each
    async with shard_bot(standin, tmp_path, "both", ARTICLEBOT_SHARD_COUNT="2") as bot:
        assert (bot.shard_count, sorted(bot.shards)) == (2, [0, 1])
        for guild in guilds:
            assert bot.get_guild(guild).shard_id == standin.shard_of(guild, 2)
        assert "Latest" in await answered_in(standin, standin.channel_id)
        assert standin.second_channel_id is not None
        assert "Latest" in await answered_in(standin, standin.second_channel_id)


async def test_two_bots_each_serve_their_own_shard(standin: DiscordStandin, tmp_path: Path) -> None:
    write_articles(tmp_path / "posts")
    assert standin.second_channel_id is not None
    by_shard = {standin.shard_of(g, 2): g for g in standin.guild_ids}
    channel_of = {
        standin.guild_id: standin.channel_id,
        standin.second_guild_id: standin.second_channel_id,
    }
    count = {"ARTICLEBOT_SHARD_COUNT": "2"}
    async with (
        shard_bot(standin, tmp_path, "zero", ARTICLEBOT_SHARD_IDS="0", **count) as zero,
        shard_bot(standin, tmp_path, "one", ARTICLEBOT_SHARD_IDS="1", **count) as one,
    ):
        assert [g.id for g in zero.guilds] == [by_shard[0]]
        assert [g.id for g in one.guilds] == [by_shard[1]]
        for shard in (0, 1):
            mark = standin.mark()
            text = await answered_in(standin, channel_of[by_shard[shard]])
            assert "Latest" in text
            # Exactly one reply: the other bot never saw the message.
            replies = standin.replies_in(channel_of[by_shard[shard]], since=mark)
            assert len(replies) == 1
