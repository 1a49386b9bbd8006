"""Burst benchmark: 500 commands from 50 users at once against the local Discord stand-in.

Runs the real articlebot (bot.app.create_bot over a real ArticleIndex) connected to the
stand-in from tests/bot, fires a burst of prefix and slash commands, and prints reply
latency (p50/p95/max, from the event reaching the bot to the reply reaching "Discord"),
completeness (every command answered exactly once; a cooldown sentence counts as an
answer), duplicates, refusals and the worst event-loop stall. Not a test: it prints.

    .venv/bin/python bench/discord_burst.py [--commands 500] [--users 50] [--corpus PATH]
        [--channels N] [--discord-limits]

--corpus indexes that folder (e.g. an extracted real corpus) instead of the small test site.
No token, no network: everything is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from live_bot import bot_on_standin, percentile, ticker  # noqa: E402

from articlebot.bot.limits import validate_message_payload  # noqa: E402
from articlebot.index.service import ArticleIndex  # noqa: E402
from tests.bot.conftest import write_articles  # noqa: E402
from tests.bot.discord_standin import DiscordStandin  # noqa: E402

PREFIX_COMMANDS = [
    "!search lighthouse",
    "!search marathon bridge",
    "!search fog horn storm",
    "!latest",
    "!latest sports 3",
    "!categories",
    "!article cooking show",
    "!help",
]
SLASH_COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("search", {"query": "lighthouse"}),
    ("search", {"query": "village fete"}),
    ("latest", {"count": 5}),
    ("categories", {}),
    ("stats", {}),
]


async def burst(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        content = Path(args.corpus) if args.corpus else write_articles(folder / "posts")
        async with DiscordStandin(extra_channels=args.channels) as standin:
            if args.discord_limits:
                # Discord's documented bucket: 5 messages per 5 s per channel.
                standin.set_bucket_limit("create_message", 5, 5.0)
            users = [standin.add_user(f"burst{i:02d}") for i in range(args.users)]
            async with bot_on_standin(standin, content, folder / "index.sqlite3") as (bot, index):
                await bot.tree.sync()
                if args.during_reindex:
                    await run_during_reindex(standin, users[0], index)
                else:
                    await run_burst(standin, users, rng, args)


async def run_during_reindex(standin: DiscordStandin, user: Any, index: ArticleIndex) -> None:
    """A full reindex of the folder while one user searches every 0.2 s: how late the event
    loop runs (a 5 ms ticker) and how long the searches take, over the whole reindex."""
    loop = asyncio.get_running_loop()
    lags: list[float] = []

    tick = asyncio.create_task(ticker(lags))
    began = time.perf_counter()
    rebuild = asyncio.create_task(index.reindex(full=True))
    latencies: list[float] = []
    while not rebuild.done():
        sent = loop.time()
        message = await standin.send_message("!search lighthouse fog", author=user)
        await standin.wait_for_reply(message, timeout=30)
        latencies.append(loop.time() - sent)
        await asyncio.sleep(0.2)
    report = await rebuild
    seconds = time.perf_counter() - began
    await asyncio.sleep(0.5)  # the moments after the swap count too
    tick.cancel()
    print(f"full reindex of {report.total} articles while searching: {seconds:.1f} s")
    print(
        f"searches answered meanwhile: {len(latencies)}, p50 "
        f"{percentile(latencies, 50) * 1000:.0f} ms, p95 {percentile(latencies, 95) * 1000:.0f}"
        f" ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"event-loop lag over the reindex ({len(lags)} ticks of 5 ms): p50 "
        f"{percentile(lags, 50) * 1000:.1f} ms, p95 {percentile(lags, 95) * 1000:.1f} ms, p99 "
        f"{percentile(lags, 99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms; load "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


async def run_burst(
    standin: DiscordStandin, users: list[Any], rng: random.Random, args: argparse.Namespace
) -> None:
    loop = asyncio.get_running_loop()
    lags: list[float] = []

    channels = standin.channel_ids[: max(1, args.channels)]
    plan: list[tuple[Any, int, str, Any]] = []
    for i in range(args.commands):
        user = users[i % len(users)]
        channel = channels[(i % len(users)) % len(channels)]  # each user keeps one channel
        if rng.random() < args.slash_share:
            command, options = rng.choice(SLASH_COMMANDS)
            plan.append((user, channel, "slash", (command, options)))
        else:
            plan.append((user, channel, "prefix", rng.choice(PREFIX_COMMANDS)))
    rng.shuffle(plan)

    mark = standin.mark()
    tick = asyncio.create_task(ticker(lags))
    sent_at: dict[str, float] = {}  # message id or interaction id -> loop time sent
    kinds: dict[str, str] = {}
    started = loop.time()
    for user, channel, kind, what in plan:
        if kind == "prefix":
            message = await standin.send_message(what, author=user, channel=channel)
            sent_at[message["id"]] = loop.time()
            kinds[message["id"]] = "prefix"
        else:
            ref = await standin.slash(what[0], what[1], user=user, channel=channel)
            sent_at[str(ref.id)] = loop.time()
            kinds[str(ref.id)] = "slash"
    dispatched = loop.time() - started

    def answers() -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for r in standin.requests_since(mark):
            if r.status != 200:
                continue
            if r.route == "create_message":
                ref = str((r.json.get("message_reference") or {}).get("message_id"))
                if ref in sent_at:
                    found.setdefault(ref, []).append(r)
            elif r.route == "interaction_callback" and str(r.interaction_id) in sent_at:
                found.setdefault(str(r.interaction_id), []).append(r)
        return found

    with contextlib.suppress(TimeoutError):  # report what did arrive
        await standin.wait_until(lambda: len(answers()) >= len(sent_at), timeout=args.timeout)
    await standin.wait_quiet(0.5, timeout=30)
    tick.cancel()
    elapsed = loop.time() - started

    found = answers()
    latencies = {kind: [] for kind in ("prefix", "slash")}
    for key, replies in found.items():
        latencies[kinds[key]].append(replies[0].at - sent_at[key])
    everything = latencies["prefix"] + latencies["slash"]
    duplicates = sum(len(v) - 1 for v in found.values())
    cooldowns = sum(1 for v in found.values() if "going a little fast" in (v[0].text() or ""))
    statuses: dict[int, int] = {}
    invalid = 0
    for r in standin.requests_since(mark):
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.message is not None and validate_message_payload(r.message):
            invalid += 1

    print(
        f"burst: {len(plan)} commands from {len(users)} users, dispatched in "
        f"{dispatched * 1000:.0f} ms; all answered after {elapsed:.2f} s"
    )
    print(
        f"complete: {len(found)}/{len(plan)} answered ({len(found) / len(plan):.1%}), "
        f"{duplicates} duplicates, {cooldowns} cooldown sentences, {invalid} invalid payloads"
    )
    for kind, values in (("all", everything), *latencies.items()):
        if values:
            print(
                f"latency {kind:6s} n={len(values):3d}  p50 {percentile(values, 50) * 1000:7.1f} ms"
                f"  p95 {percentile(values, 95) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"
                f"  mean {statistics.fmean(values) * 1000:7.1f} ms"
            )
    print(f"HTTP statuses: {dict(sorted(statuses.items()))}")
    if lags:
        print(
            f"event-loop lag (bot and stand-in share the loop; {len(lags)} ticks): "
            f"p50 {percentile(lags, 50) * 1000:.1f} ms, p95 {percentile(lags, 95) * 1000:.1f} ms,"
            f" max {max(lags) * 1000:.1f} ms; load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--slash-share", type=float, default=0.4)
    parser.add_argument("--corpus", help="a folder of Markdown posts to index instead")
    parser.add_argument("--channels", type=int, default=1, help="spread users over N channels")
    parser.add_argument(
        "--discord-limits",
        action="store_true",
        help="enforce Discord's 5 messages / 5 s per channel bucket (with true headers)",
    )
    parser.add_argument(
        "--during-reindex",
        action="store_true",
        help="instead of the burst: searches every 0.2 s during a full reindex (loop lag)",
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(burst(args))


if __name__ == "__main__":
    main()
