"""Scale-out benchmark: shards over several bot processes, one PostgreSQL, many servers.

Starts a real PostgreSQL server (tests/postgres.py), the local Discord stand-in with
``--servers`` servers of one channel each, the indexer (`articlebot watch`) and
``--processes`` `articlebot run` processes sharing ``--shards`` shards (ranges, as
deploy/compose.shards.yaml runs them), all on this machine. Then:

1. a burst: ``--commands`` prefix commands (search, latest, ask) at once, one per server
   round-robin, from ``--users`` users (5 each at most, the bot's per-user cooldown):
   answered, reply latency p50/p95/max (the message reaching the stand-in's gateway to
   the reply reaching its REST API);
2. one announcement cycle: every server's channel subscribed (written into the state
   database, as 2,000 admins would have done), one post written into the folder: time
   from the write to the last announcement, announcements per channel (exactly one is
   right), 429s received, and the requests a second the stand-in accepted at the peak.

Discord's limits are modelled: 5 messages per 5 s per channel, and with
``--global-limit`` (default 50; 0: none) requests a second for the whole bot, which the
bots are told (ARTICLEBOT_GLOBAL_RATE) and pace themselves to. Each process's
event-loop lag is read from its log at stop (bot/lag.py), its peak RSS from /proc.
Not a test: it prints.

    .venv/bin/python bench/scale_out.py [--servers 2000] [--shards 4] [--processes 2]
        [--commands 1000] [--global-limit 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from live_bot import load, percentile  # noqa: E402

from articlebot.bot.state import State  # noqa: E402
from tests.bot.conftest import write_articles, write_post  # noqa: E402
from tests.bot.discord_standin import DiscordStandin, FakeUser  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

COMMANDS = ["!search lighthouse", "!latest 3", "!search marathon bridge", "!ask who won"]
START = 120.0  # seconds a process may take to connect all its shards


def ranges(shards: int, processes: int) -> list[str]:
    """Contiguous shard ranges, one per process: 4 over 2 is 0-1 and 2-3."""
    per = -(-shards // processes)
    return [f"{s}-{min(s + per, shards) - 1}" for s in range(0, shards, per)]


def peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def spawn(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def wait_for_text(log: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise SystemExit(f"{log.name} never said {text!r}:\n{log.read_text()[-2000:]}")
        await asyncio.sleep(0.2)


async def main(args: argparse.Namespace) -> None:
    print(f"load before: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="articlebot-scale-") as tmp, postgres_server() as pg:
        folder = Path(tmp)
        content = write_articles(folder / "posts")
        async with DiscordStandin(servers=args.servers - 1) as standin:
            standin.set_bucket_limit("create_message", 5, 5.0)
            env = {
                **os.environ,
                "ARTICLEBOT_TEST_STANDIN": standin.http_base,
                "DISCORD_TOKEN": standin.token,
                "ARTICLEBOT_CONTENT": str(content),
                "ARTICLEBOT_DB": str(folder / "index.sqlite3"),
                "ARTICLEBOT_WATCH": "index",
                "ARTICLEBOT_STATE_URL": pg,
                "ARTICLEBOT_SHARD_COUNT": str(args.shards),
                "ARTICLEBOT_LANGUAGE": "en",
                "ARTICLEBOT_QUERY_LOG": "on",
                # The bots pace themselves to the limit the stand-in enforces (with none:
                # a bot Discord granted far more, to show the processes' own capacity).
                "ARTICLEBOT_GLOBAL_RATE": str(args.global_limit or 100_000),
            }
            indexer_log = folder / "indexer.log"
            indexer = await spawn(
                ["-m", "articlebot.bot", "watch", "--quiet", "0.3"], env, indexer_log
            )
            await wait_for_text(indexer_log, "following", START)
            bots: list[tuple[str, asyncio.subprocess.Process, Path]] = []
            began = time.perf_counter()
            for shard_range in ranges(args.shards, args.processes):
                log = folder / f"bot-{shard_range}.log"
                child = await spawn(
                    ["-m", "tests.bot.standin_child"],
                    {**env, "ARTICLEBOT_SHARD_IDS": shard_range},
                    log,
                )
                bots.append((shard_range, child, log))
            for _, _, log in bots:
                await wait_for_text(log, "Online as", START)
            shown = ", ".join(r for r, _, _ in bots)
            print(
                f"{args.processes} processes, {args.shards} shards ({shown}), "
                f"{len(standin.guild_ids)} servers: all online in "
                f"{time.perf_counter() - began:.1f} s",
                flush=True,
            )
            try:
                await burst(standin, args)
                await announcement_cycle(standin, content, pg, args)
            finally:
                standin.global_limit = None
                peaks = {r: peak_rss_mb(c.pid) for r, c, _ in bots}
                for _, child, _ in bots:
                    child.send_signal(signal.SIGTERM)
                for _, child, _ in bots:
                    await asyncio.wait_for(child.wait(), 60)
                indexer.send_signal(signal.SIGINT)
                await asyncio.wait_for(indexer.wait(), 60)
            for shard_range, _, log in bots:
                found = re.findall(r"Event loop lag: (.*)", log.read_text(errors="replace"))
                print(
                    f"process {shard_range}: loop lag {found[-1] if found else 'not logged'}; "
                    f"peak RSS {peaks[shard_range]:.0f} MB",
                    flush=True,
                )
    print(f"load after: {load()}", flush=True)


async def poll_until(check: Callable[[], bool], timeout: float, every: float = 0.1) -> None:
    """Look every ``every`` seconds, not at every request: with thousands of requests a
    check that scans them all on each would cost the stand-in's loop, which serves the
    bots, more than the bots themselves."""
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        await asyncio.sleep(every)


async def burst(standin: DiscordStandin, args: argparse.Namespace) -> None:
    """Every command at once, spread over the servers; each reply's latency."""
    standin.global_limit = args.global_limit or None
    users = [FakeUser(10**15 + n, f"reader{n}") for n in range(args.users)]
    channels = list(standin.lobbies.values())
    loop = asyncio.get_running_loop()
    mark = standin.mark()
    sent: dict[int, list[float]] = {}  # channel -> loop times its commands were sent
    for n in range(args.commands):
        channel = channels[n % len(channels)]
        await standin.send_message(
            COMMANDS[n % len(COMMANDS)], author=users[n % len(users)], channel=channel
        )
        sent.setdefault(channel, []).append(loop.time())
    first = min(t for times in sent.values() for t in times)
    sending = loop.time() - first

    def replies() -> dict[int, list[float]]:
        """The bot's messages in each channel (replies there, in order: the n-th answers
        the n-th command, which is what a reader sees)."""
        got: dict[int, list[float]] = {}
        for r in standin.requests_since(mark, lambda r: r.route == "create_message"):
            if r.status == 200 and r.channel_id in sent:
                got.setdefault(r.channel_id, []).append(r.at)
        return got

    def answered() -> int:
        return sum(min(len(v), len(sent[c])) for c, v in replies().items())

    await poll_until(lambda: answered() >= args.commands, args.timeout)
    got = replies()
    latencies = [
        reply - asked
        for c, times in got.items()
        for asked, reply in zip(sent[c], times, strict=False)
    ]
    if not latencies:
        raise SystemExit("no command was answered")
    limited = sum(1 for r in standin.requests_since(mark) if r.status == 429)
    print(
        f"burst: {args.commands} commands over {len(sent)} servers from "
        f"{len(users)} users, sent in {sending:.2f} s; answered {len(latencies)}/{args.commands}; "
        f"reply p50 {percentile(latencies, 50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; "
        f"429s {limited} (global limit {args.global_limit or 'off'}/s); load {load()}",
        flush=True,
    )
    await standin.wait_quiet(1.0, timeout=60)


async def announcement_cycle(
    standin: DiscordStandin, content: Path, pg: str, args: argparse.Namespace
) -> None:
    """Every server's channel subscribed; one new post; its announcements timed."""
    async with await State.open_postgres(pg) as state:
        for guild, channel in standin.lobbies.items():
            await state.subscribe(guild, channel, [], None)
        await state.subscribe(standin.guild_id, standin.other_channel_id, [], None)
    wanted = {*standin.lobbies.values(), standin.other_channel_id}
    standin.global_limit = args.global_limit or None
    mark = standin.mark()
    loop = asyncio.get_running_loop()
    began = loop.time()
    write_post(content, "tide.md", "Spring tide floods the quay", "2026-12-06", "news", "Wet.")

    def announced() -> Counter[int]:
        return Counter(
            r.channel_id
            for r in standin.requests_since(mark, lambda r: r.route == "create_message")
            if r.status == 200
            and r.channel_id in wanted
            and any(e.get("title") == "Spring tide floods the quay" for e in r.json["embeds"])
        )

    await poll_until(lambda: len(announced()) >= len(wanted), args.timeout)
    finished = loop.time() - began
    await standin.wait_quiet(2.0, timeout=60)
    counts = announced()
    accepted = [
        r.at for r in standin.requests_since(mark) if r.status == 200 and r.route != "unknown"
    ]
    per_second = Counter(int(t - began) for t in accepted)
    limited = [r for r in standin.requests_since(mark) if r.status == 429]
    print(
        f"announcement: {len(counts)}/{len(wanted)} channels in {finished:.1f} s from the "
        f"write; duplicates {sum(c - 1 for c in counts.values())}; 429s {len(limited)} "
        f"({sum(1 for r in limited if (r.response or {}).get('global'))} global); "
        f"peak {max(per_second.values(), default=0)} requests accepted in one second "
        f"(global limit {args.global_limit or 'off'}/s); load {load()}",
        flush=True,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--global-limit", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=300.0)
    asyncio.run(main(parser.parse_args()))
