"""The compiled top-k on a benchmark index: exactness against scoring every row, and the
kernel's own time per query, dense (every posting) against pruned (block-max MaxScore).

    .venv/bin/python bench/kernel_check.py --corpus real

Needs ``bench_index.py --corpus NAME`` (its index) and numba. Every query of the corpus
(``queries-NAME.json``, analysed as ``Searcher.terms_for`` does) is ranked for k = 1, 10
and 50, without and with a filter (a mask of ~half the rows), by the kernel and by the
numpy path (``match``: every matching row scored, then one full sort): rows, scores (to
the bit) and totals must be equal. Then the kernel alone is timed per query both ways
(median of 3 passes over all queries, one after the other, so caches are as cold as when
queries come from users), and ``DENSE_SHARE`` (the postings per row of the segment from
which it prunes) is chosen on the odd queries and reported on the even ones (held out).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_index import DATA, load_avg  # noqa: E402

SHARES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, None)  # prune from this many postings per row


def exhaustive(index, query: list[str], k: int, allowed: np.ndarray | None):
    docs, scores = index.match(query)
    if allowed is not None:
        docs, scores = docs[allowed[docs]], scores[allowed[docs]]
    order = np.lexsort((docs, -scores))[:k]
    return docs[order], scores[order], len(docs)


def rotated(calls: list, rounds: int = 3) -> list[float]:
    """Each call's median time in µs over ``rounds`` passes over all of them, one after
    the other (as queries come: a query's postings are not still in the cache)."""
    times: list[list[float]] = [[] for _ in calls]
    for call in calls:  # compile and warm
        call()
    for _ in range(rounds):
        for n, call in enumerate(calls):
            t0 = time.perf_counter()
            call()
            times[n].append(time.perf_counter() - t0)
    return [float(np.median(t)) * 1e6 for t in times]


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="real")
    args = ap.parse_args()

    from articlebot.index.config import IndexConfig
    from articlebot.index.ranking import fastpath, segments
    from articlebot.index.service import _open_sync

    kernel = fastpath.load()
    if kernel is None:
        raise SystemExit("numba is not installed: pip install 'articlebot[fast]'")
    searcher, _ = _open_sync(DATA / f"bench-{args.corpus}.sqlite3", IndexConfig())
    index = searcher.bm25
    queries = json.loads((DATA / f"queries-{args.corpus}.json").read_text())
    terms = [t for q in queries if (t := searcher.terms_for(q))]
    print(f"{args.corpus}: {index.n_docs:,} rows, {len(index.segments)} segment(s), "
          f"{len(terms)} queries; load {load_avg()}")  # fmt: skip

    allowed = np.random.default_rng(0).random(index.n_docs) < 0.5
    checked = wrong = 0
    for query in terms:
        for mask in (None, allowed):
            for k in (1, 10, 50):
                want = exhaustive(index, query, k, mask)
                got = index.top_k_total(query, k, mask)
                checked += 1
                same = np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
                wrong += not (same and got[2] == want[2])
    print(f"exactness: {checked - wrong} of {checked} rankings identical to scoring every row")

    if len(index.segments) != 1:
        return
    seg = index.segments[0]
    impact, reference = seg.blocks(index.k1, index.b)
    scale = (index.k1 + 1) * max(1.0, index.avgdl / reference)
    acc = np.zeros(seg.n_docs)
    window, touched = np.zeros(kernel.WINDOW), np.zeros(kernel.WINDOW, dtype=np.int64)
    no_rows, no_mask = np.zeros(0, np.int32), np.zeros(0, bool)
    dense_calls, pruned_calls, sizes = [], [], []
    heap = (np.empty(10), np.empty(10, dtype=np.int64))
    for query in terms:
        weighted, constant = index._weighted(query)
        ((_, lo, hi, postings),) = index._by_segment(weighted)
        weights = np.array([w for _, w in weighted])
        common = (seg.doc_ids, seg.tfs, index.norms[0])
        shared = (weights, no_rows, 0, no_mask, index.k1, constant, *heap, 0)
        dense_calls.append(partial(kernel.top_k_dense, *common, lo, hi, *shared, acc))
        pruned_calls.append(partial(kernel.top_k_segment, *common, impact, scale, lo, hi,
                                    *shared, window, touched))  # fmt: skip
        sizes.append(postings)
    dense, pruned = rotated(dense_calls), rotated(pruned_calls)
    rows = list(zip(range(len(sizes)), sizes, dense, pruned, strict=True))
    print(f"kernel alone, top 10, µs (load {load_avg()}); in use: {segments.DENSE_SHARE}")
    print("| prune from (postings per row) | odd p50 | odd p95 | even p50 | even p95 |")
    print("|---|---|---|---|---|")
    for share in SHARES:
        threshold = 10**12 if share is None else share * seg.n_docs
        cells = []
        for half in (1, 0):
            times = [p if size >= threshold else d for n, size, d, p in rows if n % 2 == half]
            cells += [f"{np.median(times):.1f}", f"{p95(times):.1f}"]
        label = "never" if share is None else f"{share} ({threshold:,.0f})"
        print(f"| {label} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
