"""articlebot's ranking side by side with tantivy and bm25s on the same work.

Every engine gets the same documents as the same analysed tokens (``document_tokens`` of
every indexed article, fields repeated by weight, joined by spaces; tantivy splits them on
whitespace, bm25s gets the lists) and the same queries as the same analysed terms, so the
postings are the same and only the engines differ. Each engine runs in its own process,
one after the other: full index (wall, peak RSS), open (load from disk to the first
answer, in a new process), ranking top 10 (p50 / p95 over queries x rounds), a one-file
update (delete and add one document, commit, a searcher that sees it). Ratio = peer /
articlebot: below 1, the peer is faster.

Needs ``bench_index.py --corpus NAME`` first (its index and queries), and ``pip install
tantivy bm25s numba`` (not dependencies of articlebot).

    .venv/bin/python bench/peers.py --corpus real
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_index import DATA, load_avg, ms_stats, proc_status  # noqa: E402

ROUNDS = 3


def prepare(name: str) -> tuple[Path, Path]:
    """The token file (one document per line) and the analysed queries."""
    from articlebot.index.config import IndexConfig
    from articlebot.index.ranking.searcher import Searcher
    from articlebot.index.storage import database, tables
    from articlebot.index.storage.blobs import load_state
    from articlebot.index.text.analysis import Analyzer
    from articlebot.index.text.fields import document_tokens

    docs, terms = DATA / f"peers-{name}-docs.txt", DATA / f"peers-{name}-terms.json"
    config = IndexConfig()
    analyzer = Analyzer(config.default_language, config.bridge_spellings)
    conn = database.connect_reader(DATA / f"bench-{name}.sqlite3")
    catalog, index = load_state(conn, config, with_words=False)
    if not docs.exists():
        ids = list(catalog.ids)
        with open(docs.with_suffix(".tmp"), "w") as out:
            for start in range(0, len(ids), 1000):
                found = tables.fetch_articles(conn, ids[start : start + 1000])
                for i in ids[start : start + 1000]:
                    out.write(" ".join(document_tokens(found[i], analyzer, config)) + "\n")
        docs.with_suffix(".tmp").rename(docs)
    conn.close()
    searcher = Searcher(index, catalog, analyzer, config.site_timezone)
    queries = json.loads((DATA / f"queries-{name}.json").read_text())
    terms.write_text(json.dumps([t for q in queries if (t := searcher.terms_for(q))]))
    return docs, terms


def timed_queries(search, queries: list[list[str]]) -> dict[str, float]:
    for q in queries:  # warm-up: caches, JIT
        search(q)
    times = []
    for _ in range(ROUNDS):
        for q in queries:
            t0 = time.perf_counter()
            search(q)
            times.append(time.perf_counter() - t0)
    return ms_stats(times)


# --------------------------------------------------------------------------- engines


def role_articlebot(args) -> dict:
    from articlebot.index.config import IndexConfig
    from articlebot.index.service import _open_sync

    try:
        from articlebot.index.ranking import fastpath
    except ImportError:  # --before: a tree from before the compiled kernel
        fastpath = None

    t0 = time.perf_counter()
    searcher, _ = _open_sync(DATA / f"bench-{args.corpus}.sqlite3", IndexConfig())
    queries = json.loads(Path(args.terms).read_text())
    searcher.bm25.top_k(queries[0], 10)
    open_s = time.perf_counter() - t0
    # The compiled kernel loads in the background after the first answer: wait for it
    # (None when numba is missing or ARTICLEBOT_KERNEL=numpy), so serving is measured.
    t0 = time.perf_counter()
    numpy_only = fastpath is None or os.environ.get("ARTICLEBOT_KERNEL") == "numpy"
    kernel = None if numpy_only else fastpath.load()
    load_s = time.perf_counter() - t0
    rank = timed_queries(lambda q: searcher.bm25.top_k(q, 10), queries)
    return {"open_s": open_s, "kernel": kernel is not None, "kernel_load_s": load_s, "rank": rank}


def role_tantivy(args) -> dict:
    import tantivy

    folder = DATA / f"peers-{args.corpus}-tantivy"
    queries = json.loads(Path(args.terms).read_text())
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    sb.add_unsigned_field("doc", stored=True, indexed=True, fast=True)
    schema = sb.build()
    out: dict[str, object] = {}
    if args.build:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        t0 = time.perf_counter()
        index = tantivy.Index(schema, path=str(folder))
        writer = index.writer(heap_size=256_000_000, num_threads=2)
        with open(args.docs) as lines:
            for i, line in enumerate(lines):
                doc = tantivy.Document()
                doc.add_unsigned("doc", i)
                doc.add_text("body", line)
                writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        out["index_s"] = time.perf_counter() - t0
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["size_mb"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
        return out
    t0 = time.perf_counter()
    index = tantivy.Index.open(str(folder))
    searcher = index.searcher()

    def search(terms: list[str]):
        q = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in terms]
        )
        return searcher.search(q, 10).hits

    search(queries[0])
    out["open_s"] = time.perf_counter() - t0
    out["rank"] = timed_queries(search, queries)
    out["rss_anon_mb"] = proc_status().get("RssAnon", 0.0)
    if args.rank_only:
        return out
    # One-file update: the middle document replaced by itself plus a paragraph.
    with open(args.docs) as lines:
        all_lines = lines.readlines()
    middle = len(all_lines) // 2
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    t0 = time.perf_counter()
    writer.delete_documents_by_term("doc", middle)
    doc = tantivy.Document()
    doc.add_unsigned("doc", middle)
    doc.add_text("body", all_lines[middle] + " one more closing paragraph")
    writer.add_document(doc)
    writer.commit()
    index.reload()
    index.searcher().search(tantivy.Query.term_query(schema, "body", "closing"), 10)
    out["onefile_s"] = time.perf_counter() - t0
    writer.wait_merging_threads()
    return out


def role_bm25s(args) -> dict:
    import bm25s

    folder = DATA / f"peers-{args.corpus}-bm25s"
    queries = json.loads(Path(args.terms).read_text())
    out: dict[str, object] = {}
    if args.build:
        t0 = time.perf_counter()
        with open(args.docs) as lines:
            corpus = [line.split() for line in lines]
        retriever = bm25s.BM25(method="bm25+", k1=1.2, b=0.75, delta=1.0, backend="numba")
        retriever.index(corpus, show_progress=False)
        out["index_s"] = time.perf_counter() - t0
        shutil.rmtree(folder, ignore_errors=True)
        retriever.save(str(folder))
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return out
    t0 = time.perf_counter()
    retriever = bm25s.BM25.load(str(folder), mmap=True)
    retriever.backend = "numba"
    vocab = retriever.vocab_dict

    def search(terms: list[str]):
        known = [t for t in terms if t in vocab] or [next(iter(vocab))]
        return retriever.retrieve(
            [known], k=10, show_progress=False, n_threads=1, backend_selection="numba"
        )

    search(queries[0])
    out["open_s"] = time.perf_counter() - t0
    out["rank"] = timed_queries(search, queries)
    out["rss_anon_mb"] = proc_status().get("RssAnon", 0.0)
    return out


ROLES = {"articlebot": role_articlebot, "tantivy": role_tantivy, "bm25s": role_bm25s}


def child(role: str, args, *extra: str, env: dict[str, str] | None = None) -> dict:
    cmd = [sys.executable, __file__, "--role", role, "--corpus", args.corpus]
    cmd += ["--docs", str(args.docs), "--terms", str(args.terms), *extra]
    before = load_avg()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode:
        raise SystemExit(f"{role} failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = before
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="real")
    ap.add_argument("--role", choices=list(ROLES))
    ap.add_argument("--build", action="store_true")
    ap.add_argument("--docs")
    ap.add_argument("--terms")
    ap.add_argument("--rank-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--reuse", action="store_true", help="reuse the peers' built indexes")
    ap.add_argument("--repeat", type=int, default=2, help="alternating latency re-runs")
    ap.add_argument(
        "--before",
        help="a folder holding an older articlebot/ source tree (git archive REV index bot "
        "content, under articlebot/), run as 'before' in the same run",
    )
    ap.add_argument(
        "--peers",
        default="tantivy,bm25s",
        help="which peers (bm25s needs ~8 GB to build at 100k: leave it out at 300k)",
    )
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    if args.role:
        print(json.dumps(ROLES[args.role](args)))
        return
    args.docs, args.terms = prepare(args.corpus)
    ours = ["articlebot", "numpy"] + (["before"] if args.before else [])
    env = {"numpy": {"ARTICLEBOT_KERNEL": "numpy"}, "before": {"PYTHONPATH": args.before or ""}}
    results = {key: child("articlebot", args, env=env.get(key)) for key in ours}
    for peer in peers:
        if args.reuse and (DATA / f"peers-{args.corpus}-{peer}").exists():
            results[peer] = child(peer, args)
        else:
            results[peer] = {**child(peer, args, "--build"), **child(peer, args)}
    # Latency again, alternating, so a change of load hits every engine alike.
    columns = [key for key in ours if key != "numpy"] + peers
    for again in range(args.repeat):
        for key in columns:
            role = key if key in ROLES else "articlebot"
            results[f"{key}-{again}"] = child(role, args, "--rank-only", env=env.get(key))
    (DATA / f"peers-{args.corpus}.json").write_text(json.dumps(results, indent=1))
    mine = results["articlebot"]
    print(f"\n{args.corpus}: ratio = other / articlebot (below 1: the other is faster)")
    print(
        f"articlebot kernel: {mine['kernel']} (loaded {mine['kernel_load_s'] * 1000:.0f} ms "
        f"after the first answer)"
    )
    names = {"numpy": "articlebot, numpy path", "before": "articlebot before",
             "bm25s": "bm25s (numba)"}  # fmt: skip
    header = ["articlebot", *(names.get(k, k) for k in ours[1:] + peers)]
    print(f"| work | {' | '.join(header)} | load |")
    print("|---" * (len(header) + 2) + "|")
    runs = [("", ["articlebot", *ours[1:], *peers])]
    runs += [(f" (again {i + 1})", [f"{key}-{i}" if key in columns else None
                                     for key in ["articlebot", *ours[1:], *peers]])
             for i in range(args.repeat)]  # fmt: skip
    for label, keys in runs:
        for stat in ("p50", "p95"):
            base = results[keys[0]]["rank"][stat]
            cells = [f"{base:.3f} ms"]
            for key in keys[1:]:
                if key is None:
                    cells.append("")
                    continue
                value = results[key]["rank"][stat]
                cells.append(f"{value:.3f} ms ({value / base:.2f})")
            print(f"| ranking top 10, {stat}{label} | {' | '.join(cells)} | "
                  f"{results[keys[0]]['load']} |")  # fmt: skip
    ours_open = [f"{results[key]['open_s'] * 1000:.0f} ms" for key in ours]
    cells = ours_open
    for peer in peers:
        value = results[peer]["open_s"]
        cells.append(f"{value * 1000:.0f} ms ({value / mine['open_s']:.2f})")
    print(f"| open to first answer (in process) | {' | '.join(cells)} | |")
    for peer in peers:
        r = results[peer]
        if "index_s" not in r:  # --reuse: not built in this run
            continue
        print(
            f"| {peer}: full index / peak RSS | {r['index_s']:.1f} s / {r['peak_rss_mb']:.0f} MB |"
        )
    if "tantivy" not in results:
        return
    update = results["tantivy"]["onefile_s"] * 1000
    print(f"| tantivy: one-document update + commit + reload | {update:.0f} ms |")


if __name__ == "__main__":
    main()
