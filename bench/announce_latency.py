"""From a post written into the folder to its announcement in Discord, on the real corpus.

Runs the real articlebot (create_bot over a real ArticleIndex, with its Announcer and a
state file) against the local Discord stand-in, follows the content folder with the real
watcher (the same quiet period as `articlebot run`: 2 s), subscribes one channel to every
category, then writes --posts new posts one at a time and times each from the write to
the announcement's create-message request reaching "Discord". Prints p50/p95/max and
where the time goes: write to reindex start (quiet period and watcher), the reindex
(scan, worker process, reload), reindex end to announcement. Not a test: it prints.

    .venv/bin/python bench/announce_latency.py --corpus /tmp/corpus/finescoop-2020

The corpus is hard-linked into bench/.data/announce/ (posts are added there, never to the
extracted archive) and indexed there once; a second run reuses both. The new posts'
bodies are those of random corpus posts, read at run time.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
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
    write_post,
)

DATA = HERE / ".data" / "announce"
PREFIX = "bench_announce_"


async def bench(args: argparse.Namespace) -> None:
    corpus = real_corpus(Path(args.corpus) if args.corpus else None, "pass --corpus")
    bodies = corpus_bodies(corpus, args.posts, seed=11)
    async with live_site(corpus, DATA, PREFIX, args.quiet) as site:
        await run(site, bodies, args)


def ms(values: list[float], p: float, digits: int = 0) -> str:
    return f"{percentile(values, p) * 1000:.{digits}f}" if values else "-"


async def run(site: LiveSite, bodies: list[tuple[str, str]], args: argparse.Namespace) -> None:
    print(f"follower ready {site.ready_after:.2f} s after it started; load {load()}")
    latencies: list[float] = []
    detect: list[float] = []  # write -> reindex start: quiet period and the watcher
    reindex: list[float] = []  # the reindex: scan, worker process, reload
    announce: list[float] = []  # reindex end -> create-message request
    missing = 0
    for n in range(args.posts):
        marker = f"L{n:03d}"
        mark = site.standin.mark()
        categories, body = bodies[n % len(bodies)]
        written = write_post(site, marker, categories, body)
        at = (await site.wait_announced([marker], mark, args.timeout)).get(marker)
        if at is None:
            missing += 1
            print(f"{marker}: not announced within {args.timeout:g} s")
            continue
        latencies.append(at - written)
        run_ = next((r for r in site.reindexes if r.started >= written and r.added), None)
        if run_ is not None:
            detect.append(run_.started - written)
            reindex.append(run_.ended - run_.started)
            announce.append(at - run_.ended)
        await asyncio.sleep(args.gap)
    counts = site.announced()
    ours = {k: v for k, v in counts.items() if k.startswith("L")}
    others = sum(v for k, v in counts.items() if not k.startswith("L"))
    print(
        f"{args.posts} posts, one every ~{args.gap + statistics.mean(latencies):.1f} s; "
        f"quiet period {args.quiet:g} s; announced {len(ours)}/{args.posts}, "
        f"{sum(ours.values()) - len(ours)} duplicates, {missing} missing, {others} other cards"
    )
    print(
        f"write -> announcement: p50 {percentile(latencies, 50):.2f} s, p95 "
        f"{percentile(latencies, 95):.2f} s, max {max(latencies):.2f} s"
    )
    print(
        f"  write -> reindex start (quiet + watcher): p50 {ms(detect, 50)} ms, p95 "
        f"{ms(detect, 95)} ms, max {ms(detect, 100)} ms"
    )
    print(
        f"  reindex (scan, worker process, reload): p50 {ms(reindex, 50)} ms, p95 "
        f"{ms(reindex, 95)} ms, max {ms(reindex, 100)} ms"
    )
    print(
        f"  reindex end -> announcement: p50 {ms(announce, 50)} ms, p95 {ms(announce, 95)} ms,"
        f" max {ms(announce, 100)} ms"
    )
    lags = site.lags
    print(
        f"event-loop lag ({len(lags)} ticks of 5 ms): p50 {ms(lags, 50, 1)} ms, p95 "
        f"{ms(lags, 95, 1)} ms, max {ms(lags, 100, 1)} ms; load {load()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="the extracted finescoop-2020 folder")
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between posts")
    parser.add_argument("--quiet", type=float, default=2.0, help="the watcher's quiet period")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait a post")
    parser.add_argument("--fresh", action="store_true", help="copy and index the corpus anew")
    args = parser.parse_args()
    if args.fresh:
        shutil.rmtree(DATA, ignore_errors=True)
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
