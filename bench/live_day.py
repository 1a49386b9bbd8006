"""A compressed day of the real site's rhythm: 288 cycles of new posts, announced live.

The real site commits new posts every five minutes, about 740 a day: 2 or 3 posts a
cycle (3 with probability 0.57, a mean of 2.57), and a burst of 30 now and then (every
--burst-every cycles from --first-burst). The real bot follows a hard-linked copy of the
real corpus with the real watcher (2 s quiet period) and announces into one channel
subscribed to everything (the same set-up as announce_latency.py: bench/live_bot.py). A
cycle writes its posts at once, waits until each is announced, then the next follows
after --gap seconds, so the day takes minutes, not 24 hours.

Per cycle: write -> announcement (the slowest post), the reindex time, event-loop lag
(a 5 ms ticker) and the bot process's RSS. At the end: p50/p95/max over cycles, RSS at
start, end and peak (a leak shows as growth), and whether every post was announced
exactly once (cards counted by title in the create-message requests). Not a test: it
prints.

    .venv/bin/python bench/live_day.py --corpus /tmp/corpus/finescoop-2020 [--cycles 288]

Per-cycle rows go to bench/.data/live_day/cycles.jsonl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpora import real_corpus  # noqa: E402
from live_bot import (  # noqa: E402
    LiveSite,
    corpus_bodies,
    live_site,
    load,
    percentile,
    rss_mb,
    write_post,
)

DATA = HERE / ".data" / "live_day"
PREFIX = "bench_day_"
BURST = 30


@dataclass
class Cycle:
    """What one cycle measured (seconds, MB)."""

    n: int
    posts: int
    announced: int
    latency_max: float
    latency_mean: float
    reindexes: int
    reindex_s: float
    lag_p95_ms: float
    lag_max_ms: float
    rss_mb: float
    load1: float


def schedule(cycles: int, seed: int, burst_every: int, first_burst: int) -> list[int]:
    """Posts per cycle: 2 or 3 (mean 2.57, ~740 a day over 288), a burst now and then."""
    rng = random.Random(seed)
    plan = []
    for c in range(cycles):
        if burst_every and c >= first_burst and (c - first_burst) % burst_every == 0:
            plan.append(BURST)
        else:
            plan.append(3 if rng.random() < 0.57 else 2)
    return plan


async def bench(args: argparse.Namespace) -> None:
    corpus = real_corpus(Path(args.corpus) if args.corpus else None, "pass --corpus")
    plan = schedule(args.cycles, args.seed, args.burst_every, args.first_burst)
    bodies = corpus_bodies(corpus, sum(plan), seed=args.seed)
    async with live_site(corpus, DATA, PREFIX, args.quiet) as site:
        await run(site, plan, bodies, args)


async def run(
    site: LiveSite, plan: list[int], bodies: list[tuple[str, str]], args: argparse.Namespace
) -> None:
    rss_start, _ = rss_mb()
    print(
        f"{len(plan)} cycles, {sum(plan)} posts ({plan.count(BURST)} bursts of {BURST}); "
        f"follower ready after {site.ready_after:.2f} s; RSS {rss_start:.0f} MB; load {load()}",
        flush=True,
    )
    began = time.perf_counter()
    first_mark = site.standin.mark()
    rows: list[Cycle] = []
    latencies: list[float] = []  # every post's
    burst_latencies: list[float] = []
    expected: list[str] = []
    written_post = 0
    DATA.mkdir(parents=True, exist_ok=True)
    with open(DATA / "cycles.jsonl", "w", encoding="utf-8") as out:
        for c, count in enumerate(plan):
            mark = site.standin.mark()
            lag_from = len(site.lags)
            reindex_from = len(site.reindexes)
            markers = [f"D{c:03d}.{j:02d}" for j in range(count)]
            written: dict[str, float] = {}
            for marker in markers:
                categories, body = bodies[written_post % len(bodies)]
                written[marker] = write_post(site, marker, categories, body)
                written_post += 1
            expected.extend(markers)
            at = await site.wait_announced(markers, mark, args.timeout)
            mine = [at[m] - written[m] for m in markers if m in at]
            latencies.extend(mine)
            if count == BURST:
                burst_latencies.extend(mine)
            lags = site.lags[lag_from:] or [0.0]
            runs = site.reindexes[reindex_from:]
            row = Cycle(
                n=c,
                posts=count,
                announced=len(mine),
                latency_max=max(mine, default=float("nan")),
                latency_mean=sum(mine) / len(mine) if mine else float("nan"),
                reindexes=len(runs),
                reindex_s=sum(r.ended - r.started for r in runs),
                lag_p95_ms=percentile(lags, 95) * 1000,
                lag_max_ms=max(lags) * 1000,
                rss_mb=rss_mb()[0],
                load1=round(os.getloadavg()[0], 2),
            )
            rows.append(row)
            out.write(json.dumps(asdict(row)) + "\n")
            out.flush()
            print(
                f"cycle {c:3d}: {count:2d} posts, {row.announced:2d} announced, slowest "
                f"{row.latency_max:5.2f} s; reindex {row.reindex_s:4.2f} s ({row.reindexes}); lag "
                f"p95 {row.lag_p95_ms:4.1f} max {row.lag_max_ms:5.1f} ms; RSS {row.rss_mb:4.0f} "
                f"MB; load {row.load1:.2f}",
                flush=True,
            )
            await asyncio.sleep(args.gap)
    await asyncio.sleep(args.quiet + 3)  # a late duplicate would arrive by now
    wall = time.perf_counter() - began
    summary(site, rows, latencies, burst_latencies, expected, first_mark, rss_start, wall)


def spread(values: list[float], unit: str = "s", scale: float = 1.0, digits: int = 2) -> str:
    if not values:
        return "-"
    return (
        f"p50 {percentile(values, 50) * scale:.{digits}f}, p95 "
        f"{percentile(values, 95) * scale:.{digits}f}, max {max(values) * scale:.{digits}f} {unit}"
    )


def summary(
    site: LiveSite,
    rows: list[Cycle],
    latencies: list[float],
    burst_latencies: list[float],
    expected: list[str],
    since: int,
    rss_start: float,
    wall: float,
) -> None:
    counts = site.announced(since)
    wanted = set(expected)
    once = sum(1 for m in expected if counts.get(m) == 1)
    missing = [m for m in expected if m not in counts]
    duplicated = {m: n for m, n in counts.items() if m in wanted and n > 1}
    unexpected = sum(n for m, n in counts.items() if m not in wanted)
    rss_end, rss_peak = rss_mb()
    print()
    print(
        f"{len(rows)} cycles in {wall / 60:.1f} min; {len(expected)} posts expected, "
        f"{once} announced exactly once, {len(missing)} missing, {len(duplicated)} duplicated, "
        f"{unexpected} other cards; {len(site.announcements(since))} messages"
    )
    if missing or duplicated:
        print(f"  missing: {missing[:20]}; duplicated: {dict(list(duplicated.items())[:20])}")
    normal = [r for r in rows if r.posts != BURST]
    bursts = [r for r in rows if r.posts == BURST]
    print(f"write -> announcement, every post: {spread(latencies)}")
    print(f"  slowest post of a cycle (2-3 posts): {spread([r.latency_max for r in normal])}")
    if bursts:
        print(f"  burst posts ({len(bursts)} bursts of {BURST}): {spread(burst_latencies)}")
    print(f"reindex time per cycle: {spread([r.reindex_s for r in rows])}")
    several = sum(1 for r in rows if r.reindexes > 1)
    print(f"  reindexes per cycle: {several} cycles needed more than one")
    print(
        f"event-loop lag, a cycle's p95: {spread([r.lag_p95_ms for r in rows], 'ms', 1, 1)}; "
        f"a cycle's max: {spread([r.lag_max_ms for r in rows], 'ms', 1, 1)}; "
        f"all {len(site.lags)} ticks: p99 {percentile(site.lags, 99) * 1000:.1f} ms"
    )
    tenth = max(1, len(rows) // 10)
    early = sum(r.rss_mb for r in rows[:tenth]) / tenth
    late = sum(r.rss_mb for r in rows[-tenth:]) / tenth
    print(
        f"RSS of the bot process: start {rss_start:.0f} MB, end {rss_end:.0f} MB, peak (VmHWM) "
        f"{rss_peak:.0f} MB; first tenth of the cycles {early:.0f} MB on average, last tenth "
        f"{late:.0f} MB (the reindex worker process is not included); load {load()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="the extracted finescoop-2020 folder")
    parser.add_argument("--cycles", type=int, default=288, help="288 is a day of 5 minutes")
    parser.add_argument("--burst-every", type=int, default=48, help="cycles; 0: no bursts")
    parser.add_argument("--first-burst", type=int, default=24, help="the first burst's cycle")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between cycles")
    parser.add_argument("--quiet", type=float, default=2.0, help="the watcher's quiet period")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait a cycle")
    parser.add_argument("--seed", type=int, default=288)
    parser.add_argument("--fresh", action="store_true", help="copy and index the corpus anew")
    args = parser.parse_args()
    if args.fresh:
        shutil.rmtree(DATA, ignore_errors=True)
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
