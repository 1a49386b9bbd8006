"""Scores after incremental changes against a fresh build of the same folder.

A reindex adds a segment and marks deletions instead of rebuilding; this measures what a
user could see of that: 1% of the posts are changed (half edited, a quarter removed, a
quarter added as edited copies) in a hard-linked mirror, the index is reindexed
incrementally, a fresh full build of the same folder is made beside it, and every query
is ranked on both. Printed: top-10 overlap (and how many top-10s are identical, in order)
and the largest relative score difference over every matched document.

    .venv/bin/python bench/drift.py --corpus real      # 24k posts, ~2 min
    .venv/bin/python bench/drift.py --corpus synth     # 100k posts, ~5 min
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_index import (  # noqa: E402
    DATA,
    load_avg,
    mirror,
    read_queries,
    real_corpus_dir,
    replace_file,
    synth_corpus,
    synth_queries,
)


def change(content: Path, share: float, seed: int) -> dict[str, int]:
    """Edit, remove and add ``share`` of the posts (through new inodes: the originals the
    mirror links to are never modified)."""
    rng = random.Random(seed)
    posts = sorted(p for p in content.rglob("*.md"))
    picked = rng.sample(posts, max(4, round(share * len(posts))))
    counts = {"edited": 0, "removed": 0, "added": 0}
    for i, path in enumerate(picked):
        kind = ("edited", "edited", "removed", "added")[i % 4]
        counts[kind] += 1
        if kind == "removed":
            path.unlink()
            continue
        text = path.read_bytes() + b"\n\nA correction was added later by the drift benchmark.\n"
        target = path if kind == "edited" else path.with_name(f"drift-copy-{i}.md")
        replace_file(target, text)
    return counts


def main() -> None:
    from articlebot.index.config import IndexConfig
    from articlebot.index.service import _open_sync
    from articlebot.index.storage.reindex import run_reindex

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", choices=("real", "synth"), default="real")
    ap.add_argument("--share", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    if args.corpus == "real":
        source = real_corpus_dir(None)
        queries = read_queries(HERE / "queries_news.txt")
    else:
        source = synth_corpus(None, 100_000, 7)
        queries = synth_queries(300, 11, 7)
    config = IndexConfig()
    content = mirror(source, DATA / f"drift-mirror-{args.corpus}")
    dbs = {}
    for kind in ("incremental", "fresh"):
        dbs[kind] = DATA / f"drift-{args.corpus}-{kind}.sqlite3"
        for old in dbs[kind].parent.glob(f"{dbs[kind].name}*"):
            old.unlink()
    out: dict[str, object] = {"corpus": args.corpus, "load_before": load_avg()}
    run_reindex(dbs["incremental"], content, config, full=True, workers=2)
    out["changes"] = change(content, args.share, args.seed)
    t0 = time.perf_counter()
    report = run_reindex(dbs["incremental"], content, config, workers=2)
    out["incremental_s"] = time.perf_counter() - t0
    out["changed_posts"] = len(report.added) + len(report.updated) + len(report.removed)
    run_reindex(dbs["fresh"], content, config, full=True, workers=2)
    inc, _ = _open_sync(dbs["incremental"], config)
    fresh, _ = _open_sync(dbs["fresh"], config)
    out["segments"] = [s.n_docs for s in inc.bm25.segments]
    out["deleted"] = [len(d) for d in inc.bm25.deletions]
    same_order = overlap = shown = compared = 0
    worst = 0.0
    for q in queries:
        terms = fresh.terms_for(q)
        if not terms:
            continue
        compared += 1
        tops = []
        for s in (inc, fresh):
            docs, scores = s.bm25.top_k(terms, 10)
            tops.append([s.catalog.ids[d] for d in docs.tolist()])
        overlap += len(set(tops[0]) & set(tops[1]))
        shown += max(map(len, tops))
        same_order += tops[0] == tops[1]
        scored = []
        for s in (inc, fresh):
            docs, scores = s.bm25.match(terms)
            ids = [s.catalog.ids[d] for d in docs.tolist()]
            scored.append(dict(zip(ids, scores.tolist(), strict=True)))
        if scored[0].keys() != scored[1].keys():
            raise SystemExit(f"different matches for {q!r}")
        for key, value in scored[1].items():
            worst = max(worst, abs(scored[0][key] - value) / abs(value))
    out.update(
        queries=compared,
        top10_overlap=overlap / shown if shown else 1.0,
        top10_identical=same_order,
        max_relative_score_diff=worst,
        load_after=load_avg(),
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
