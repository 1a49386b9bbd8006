"""Scale-out for real: an indexer process (`articlebot watch`) and two `articlebot run`
processes on shards 0 and 1 of 2, against the stand-in and one PostgreSQL server. Commands
are answered in both servers; a new post is announced once in each; one bot is killed
(SIGKILL) and the other keeps answering and announcing; restarted, the killed one
announces what its server missed, once."""

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
from tests.bot.discord_standin import DiscordStandin
from tests.bot.test_e2e_kill import START, Child, start

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandin]:
    async with DiscordStandin(second_guild=True) as served:
        yield served


async def indexer(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """`articlebot watch` as its own service, started and waited for without blocking the
    loop that serves the stand-in."""
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "articlebot.bot", "watch", "--quiet", "0.3",
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    for _ in range(int(START * 10)):
        if "following" in log.read_text():
            return process
        await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError(f"the indexer did not start:\n{log.read_text()[-3000:]}")


async def stop_indexer(process: asyncio.subprocess.Process, log: Path) -> int:
    """SIGINT, as Ctrl-C; its exit status. An indexer that outlives 30 s is killed and
    fails the test with its log: one that ignored SIGINT (inherited so, in a run started
    in the background) followed on past the whole test run."""
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    try:
        return await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(
            f"the indexer went on 30 s after SIGINT:\n{log.read_text()[-3000:]}"
        ) from None


def titled(standin: DiscordStandin, channel: int, title: str) -> int:
    """How many messages in ``channel`` carry ``title``'s card."""
    return sum(
        1
        for m in standin.messages.values()
        if int(m.get("channel_id", 0)) == channel
        and title in [e.get("title") for e in m.get("embeds", [])]
    )


async def said(standin: DiscordStandin, channel: int, text: str) -> str:
    sent = await standin.send_message(text, author=standin.admin, channel=channel)
    return (await standin.wait_for_reply(sent, timeout=20)).text()


@pytest.mark.slow
async def test_two_processes_share_the_work_and_survive_a_kill(
    standin: DiscordStandin, tmp_path: Path, postgres_database: str
) -> None:
    content = write_articles(tmp_path / "posts")
    env = {
        **os.environ,
        "ARTICLEBOT_TEST_STANDIN": standin.http_base,
        "DISCORD_TOKEN": standin.token,
        "ARTICLEBOT_CONTENT": str(content),
        "ARTICLEBOT_DB": str(tmp_path / "data" / "index.sqlite3"),
        "ARTICLEBOT_WATCH": "index",
        "ARTICLEBOT_STATE_URL": postgres_database,
        "ARTICLEBOT_SHARD_COUNT": "2",
        "ARTICLEBOT_LANGUAGE": "en",
    }
    assert standin.second_guild_id is not None and standin.second_channel_id is not None
    channel = {
        standin.shard_of(standin.guild_id, 2): standin.channel_id,
        standin.shard_of(standin.second_guild_id, 2): standin.second_channel_id,
    }
    shard_env = {n: {**env, "ARTICLEBOT_SHARD_IDS": str(n)} for n in (0, 1)}
    logs = {n: tmp_path / f"bot{n}.log" for n in (0, 1)}
    watch = await indexer(env, tmp_path / "indexer.log")
    bots: dict[int, Child] = {}
    try:
        for n in (0, 1):
            bots[n] = await start(standin, shard_env[n], logs[n])
        for n in (0, 1):
            assert f"<#{channel[n]}>" in await said(
                standin, channel[n], f"!subscribe <#{channel[n]}>"
            )

        write_post(content, "ferry.md", "Night ferry resumes", "2026-12-06", "news", "It sails.")
        await standin.wait_until(
            lambda: all(titled(standin, c, "Night ferry resumes") for c in channel.values()),
            timeout=START,
        )

        await bots[1].stop(signal.SIGKILL)
        assert "Night ferry resumes" in await said(standin, channel[0], "!latest 1")
        write_post(content, "gulls.md", "Gull count falls", "2026-12-06", "news", "Fewer gulls.")
        await standin.wait_until(lambda: titled(standin, channel[0], "Gull count falls"), START)
        await standin.wait_quiet(2.0, timeout=30)
        assert titled(standin, channel[1], "Gull count falls") == 0  # its process is down

        bots[1] = await start(standin, shard_env[1], logs[1])
        await standin.wait_until(lambda: titled(standin, channel[1], "Gull count falls"), START)
        assert "Gull count falls" in await said(standin, channel[1], "!search gull count")
        await standin.wait_quiet(2.0, timeout=30)
    finally:
        try:
            stopped = {n: await bot.stop(signal.SIGTERM) for n, bot in bots.items()}
        finally:
            indexed = await stop_indexer(watch, tmp_path / "indexer.log")
    for title in ("Night ferry resumes", "Gull count falls"):
        assert [titled(standin, c, title) for c in channel.values()] == [1, 1]
    assert stopped == {0: 0, 1: 0}, "\n".join(p.read_text()[-2000:] for p in logs.values())
    assert indexed == 130, (tmp_path / "indexer.log").read_text()[-2000:]
