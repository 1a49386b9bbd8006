"""Full-index time and size at 24k, and latency of quoted-phrase searches (issue 10).

python bench/phrase_bench.py [--content DIR] [--out DIR] [--skip-index]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time
from pathlib import Path

from articlebot.index.config import IndexConfig
from articlebot.index.service import ArticleIndex
from articlebot.index.storage.reindex import run_reindex

PHRASES = [
    '"boris johnson"',  # common two-word name
    '"prime minister"',  # very common
    '"new york"',
    '"climate change"',
    '"face masks"',
    '"joe biden" election',
    '"nuclear plant"',  # rarer
    '"sizewell nuclear"',  # rare
    '"belarus president"',  # words common together, phrase rare
    '"health secretary matt hancock"',
]


async def latency(db: Path, content: Path) -> None:
    async with ArticleIndex.open(db, content, IndexConfig()) as index:
        for q in PHRASES:
            result = await index.search(q, limit=10, snippets=False)
            times = []
            for _ in range(7):
                t = time.perf_counter()
                result = await index.search(q, limit=10, snippets=False)
                times.append(time.perf_counter() - t)
            print(
                f"{q:40s} total={result.total:6d} est={result.estimated!s:5s} "
                f"p50={statistics.median(times) * 1000:8.1f} ms  max={max(times) * 1000:8.1f} ms"
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--content", default="/tmp/corpus/finescoop-2020")
    ap.add_argument("--out", default="/tmp/phr/index.sqlite3")
    ap.add_argument("--skip-index", action="store_true")
    args = ap.parse_args()
    db, content = Path(args.out), Path(args.content)
    if not args.skip_index:
        for p in db.parent.glob(db.name + "*"):
            p.unlink()
        t = time.perf_counter()
        report = run_reindex(db, content, IndexConfig(), full=True, workers=2)
        wall = time.perf_counter() - t
        size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
        segs = sum(p.stat().st_size for p in db.parent.glob(db.name + "*.seg"))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"full index: {report.total} posts, {wall:.1f} s, all files {size / 1e6:.1f} MB,"
            f" segment files {segs / 1e6:.1f} MB, peak RSS {peak:.0f} MB (largest worker"
            f" {worker:.0f} MB)"
        )
    asyncio.run(latency(db, content))


if __name__ == "__main__":
    main()
