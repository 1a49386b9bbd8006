"""Speed and memory of the index, with rank-bm25 side by side in the same run.

    python bench/bench_index.py --corpus real     # finescoop-2020, queries from queries_news.txt
    python bench/bench_index.py --corpus synth    # 100,000 synthetic posts (bench/gen_corpus.py)
    python bench/bench_index.py --content DIR --queries FILE   # any folder

Every measurement runs in its own fresh subprocess (so its RSS is its own), one after the
other; the system load is printed with each. Steps:

1. index: a full ``run_reindex`` (2 worker processes) of a hard-linked mirror of the folder
   into a fresh SQLite file; wall time and peak RSS of the indexing process and of its
   largest worker (ru_maxrss), and the peak of the whole build (PSS of the process and
   its workers together, sampled every 0.25 s: what a peer's single process compares to).
   peers: tantivy's full index in the same run, one after the other: articlebot told
   the site's language (as tantivy's en_stem is), tantivy from the same Markdown files
   (read and parsed by articlebot's reader in two worker processes), and tantivy from
   the text articlebot extracted (the earlier tables' comparison); wall, CPU and the
   peak PSS of each build's process tree.
2. one file: rewrite one post with a changed body, then "touch" it (same bytes, new mtime),
   then restore it; each followed by an incremental ``run_reindex``, and once through
   ``ArticleIndex.reindex`` (the bot's path: a spawned worker process, then a reload).
   Only the private mirror is modified (files are replaced by rename, never written in
   place, so the hard-linked originals are untouched).
3. cold start: a fresh ``python`` that opens ``ArticleIndex`` and answers one search; time
   from before the process is spawned to the answer, and ``ArticleIndex.open`` alone.
4. serving: query latency p50/p95 of ranking only (``Searcher.plan`` with limit 10, and
   ``BM25Index.top_k`` on already-analysed terms) and of a whole ``await index.search(q,
   limit=10)`` with ten snippets; VmRSS/VmHWM of that process.
5. rank-bm25: ``rank_bm25.BM25Plus`` built on the same ``document_tokens`` of every indexed
   article (same order, same k1/b/delta), ``get_scores`` timed on the same query terms as our
   ``top_k``, in the same process; scores compared; VmRSS of that process.

Without --content, ``--corpus real`` uses /tmp/corpus/finescoop-2020 when present, else
extracts ../shared/corpora/finescoop-2020.tar.xz into bench/.data/ (once); ``--corpus
synth`` uses /tmp/synth-100k when present, else generates 100,000 posts into bench/.data/.
Results are also written to bench/.data/bench-<name>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from corpora import real_corpus  # noqa: E402

DATA = HERE / ".data"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SYNTH_TMP = Path("/tmp/synth-100k")
NEWS_QUERIES = HERE / "queries_news.txt"

# Targets from the issue (at 100,000 articles).
TARGETS = {
    "rank_p50_ms": 0.3,
    "rank_p95_ms": 1.0,
    "search_p95_ms": 5.0,
    "speedup": 300.0,
    "cold_s": 1.0,
    "serve_rss_mb": 400.0,
    "index_real_s": 20.0,
    "index_synth_s": 60.0,
    "onefile_real_s": 1.0,
}

# Synthetic query mix: word-frequency bands by Zipf rank in gen_corpus's vocabulary.
SYNTH_BANDS = (  # (share of query words, first rank, last rank)
    (0.10, 50, 1_000),  # common
    (0.70, 1_000, 20_000),  # mid-frequency
    (0.20, 20_000, 60_000),  # rare
)
SYNTH_LENGTHS = ((1, 0.25), (2, 0.40), (3, 0.25), (4, 0.10))


# --------------------------------------------------------------------------- helpers


def load_avg() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def proc_status() -> dict[str, float]:
    """VmRSS, VmHWM and RssAnon (resident memory that is the process's own, not the
    shared page cache of mapped files) of this process in MB."""
    out: dict[str, float] = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) / 1024
    return out


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of a process and all its descendants in MB: memory shared
    between them (a forked worker's inherited pages, mapped files) counted once, split."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo += [int(child) for child in fh.read().split()]
        except (OSError, StopIteration, ValueError):  # it ended meanwhile
            continue
    return total / 1024


class PeakSampler:
    """The largest ``tree_pss_mb`` of this process seen every ``every`` seconds while
    the ``with`` block runs (a build's peak across its worker processes)."""

    def __init__(self, every: float = 0.25) -> None:
        self.every, self.peak = every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_pss_mb(os.getpid()))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def index_mb(db: Path) -> float:
    """The index on disk: the SQLite file, its WAL and its segment files."""
    files = [Path(f"{db}-wal"), db, *db.parent.glob(f"{db.name}.*.seg")]
    return sum(p.stat().st_size for p in files if p.exists()) / 2**20


def pct(values: list[float], p: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), p)) if values else float("nan")


def ms_stats(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "p50": pct(ms, 50),
        "p95": pct(ms, 95),
        "mean": statistics.fmean(ms) if ms else float("nan"),
        "n": len(ms),
    }


def read_queries(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [q.strip() for q in lines if q.strip() and not q.lstrip().startswith("#")]


def synth_queries(count: int, seed: int, corpus_seed: int) -> list[str]:
    """1-4 words drawn from gen_corpus's vocabulary by frequency band (see SYNTH_BANDS)."""
    import numpy as np
    from gen_corpus import vocabulary

    rng = np.random.default_rng(corpus_seed)  # the same draws as gen_corpus.generate
    vocab = vocabulary(60_000, rng)
    order = rng.permutation(len(vocab))
    by_rank = [vocab[i] for i in order]  # by_rank[0] is the most frequent word
    pick = np.random.default_rng(seed)
    shares = [s for s, _, _ in SYNTH_BANDS]
    lengths, weights = zip(*SYNTH_LENGTHS, strict=True)
    queries = []
    for _ in range(count):
        n = int(pick.choice(lengths, p=weights))
        words = []
        for _ in range(n):
            _, lo, hi = SYNTH_BANDS[int(pick.choice(len(SYNTH_BANDS), p=shares))]
            words.append(by_rank[int(pick.integers(lo - 1, min(hi, len(by_rank))))])
        queries.append(" ".join(words))
    return queries


def real_corpus_dir(given: Path | None) -> Path:
    return real_corpus(given, "pass --content DIR")


def synth_corpus(given: Path | None, count: int, seed: int) -> Path:
    if given:
        return given
    if SYNTH_TMP.is_dir() and count == 100_000 and seed == 7:
        return SYNTH_TMP
    target = DATA / f"synth-{count}-{seed}"
    done = target / ".complete"
    if not done.exists():
        from gen_corpus import generate

        print(f"generating {count} synthetic posts into {target} ...", flush=True)
        generate(target, count, seed=seed)
        done.touch()
    return target


def mirror(content: Path, target: Path) -> Path:
    """A private copy of ``content`` made of hard links (copies across file systems)."""
    if target.exists():
        shutil.rmtree(target)
    for src in content.rglob("*"):
        dst = target / src.relative_to(content)
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    return target


def replace_file(path: Path, data: bytes, mtime_ns: int | None = None) -> None:
    """Write ``data`` to ``path`` through a new inode (a rename), never in place."""
    tmp = path.with_name(path.name + ".bench-tmp")
    tmp.write_bytes(data)
    if mtime_ns is not None:
        os.utime(tmp, ns=(mtime_ns, mtime_ns))
    os.replace(tmp, path)


def peer_builds(args: argparse.Namespace) -> dict:
    """The full index beside tantivy's, one after the other in this run: articlebot told
    the site's language, tantivy from the same Markdown files, tantivy from the text
    articlebot extracted (which needs the index step's file)."""
    return {role: run_child(role, args) for role in ("index_told", "tantivy_files", "tantivy_text")}


def run_child(role: str, args: argparse.Namespace, extra: list[str] = ()) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--role",
        role,
        "--db",
        str(args.db),
        "--content",
        str(args.mirror),
        "--queries-json",
        str(args.queries_json),
        "--rank-queries",
        str(args.rank_queries),
        "--rounds",
        str(args.rounds),
        *extra,
    ]
    before = load_avg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{role} failed with exit code {proc.returncode}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    result["load_before"], result["load_after"] = before, load_avg()
    return result


# --------------------------------------------------------------------------- child roles


def role_index(args: argparse.Namespace) -> dict:
    from articlebot.index.config import IndexConfig

    return _timed_build(args.db, args.content, IndexConfig())


def role_index_told(args: argparse.Namespace) -> dict:
    """The same build told the site's language (ARTICLEBOT_LANGUAGE=en), as tantivy's
    en_stem is: no post's language is detected. Into a file of its own, removed after."""
    from articlebot.index.config import IndexConfig

    db = args.db.with_name(args.db.stem + "-told.sqlite3")
    try:
        return _timed_build(db, args.content, IndexConfig(site_language="en"))
    finally:
        for made in db.parent.glob(f"{db.name}*"):
            made.unlink()


def _timed_build(db: Path, content: Path, config) -> dict:
    from articlebot.index.storage.reindex import run_reindex

    for old in db.parent.glob(f"{db.name}*"):  # with its segment files
        old.unlink()
    t0 = time.perf_counter()
    with PeakSampler() as sampler:
        report = run_reindex(db, content, config, full=True, workers=2)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "articles": report.total,
        "refused": len(report.refused),
        "skipped": len(report.skipped),
        "peak_pss_tree_mb": sampler.peak,
        **_usage(),
        "db_mb": index_mb(db),
    }


def _usage() -> dict[str, float]:
    """Peak RSS and CPU time of this process and of its (ended) children."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return {
        "peak_rss_main_mb": me.ru_maxrss / 1024,
        "peak_rss_worker_mb": kids.ru_maxrss / 1024,
        "cpu_main_s": me.ru_utime + me.ru_stime,
        "cpu_workers_s": kids.ru_utime + kids.ru_stime,
    }


# tantivy's full index, the peer in the same run: title and body with en_stem, its writer
# with 2 threads and a 256 MB heap (as bench/peers_snippets.py builds it for the search
# comparison). Two starts: the text articlebot already extracted (what the earlier
# tables compared with), and the Markdown folder itself, each post read and parsed by
# articlebot's reader in two worker processes: the same work from the same files.


def _tantivy_result(folder: Path, docs: int, seconds: float, sampler: PeakSampler) -> dict:
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
    shutil.rmtree(folder, ignore_errors=True)
    usage = _usage()
    return {
        "seconds": seconds,
        "articles": docs,
        "peak_pss_tree_mb": sampler.peak,
        "cpu_main_s": usage["cpu_main_s"],
        "cpu_workers_s": usage["cpu_workers_s"],
        "db_mb": size,
    }


def role_tantivy_text(args: argparse.Namespace) -> dict:
    """tantivy from the title and body articlebot extracted, read from its index
    (``peers_snippets.build_tantivy``, timed from its first document)."""
    from peers_snippets import build_tantivy

    folder = args.db.with_name(args.db.stem + "-tantivy-text")
    with PeakSampler() as sampler:
        built = build_tantivy(args.db.stem.removeprefix("bench-"), folder)
    return _tantivy_result(folder, built["docs"], built["index_s"], sampler)


_PEER_READER: tuple[str, object] | None = None


def _peer_reader(root: str, site_language: str) -> None:
    from articlebot.index.config import IndexConfig

    global _PEER_READER
    _PEER_READER = (root, IndexConfig(site_language=site_language))


def _peer_read(rels: list[str]) -> list[tuple[str, str, str]]:
    """(id, title, body) of each indexable post, read and parsed as articlebot reads."""
    from articlebot.index.storage.workers import read_post

    assert _PEER_READER is not None
    root, config = _PEER_READER
    out = []
    for rel in rels:
        a = read_post(root, rel, config).article  # type: ignore[arg-type]
        if a is not None:
            out.append((a.id, a.title, a.body))
    return out


def role_tantivy_files(args: argparse.Namespace) -> dict:
    """tantivy from the Markdown folder: listed and sorted, each post read, hashed and
    parsed by articlebot's reader (front matter, Markdown to text, the site's language
    told) in two forked worker processes, 200 posts a batch, added to tantivy's writer."""
    from concurrent.futures import ProcessPoolExecutor

    import tantivy
    from peers_snippets import schema

    from articlebot.index.posts.folder import scan_folder, sorted_posts

    folder = args.db.with_name(args.db.stem + "-tantivy-files")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    root = os.path.realpath(args.content)
    docs = 0
    t0 = time.perf_counter()
    with PeakSampler() as sampler:
        rels = sorted_posts(scan_folder(root).posts)
        batches = [rels[i : i + 200] for i in range(0, len(rels), 200)]
        index = tantivy.Index(schema(), path=str(folder))
        writer = index.writer(heap_size=256_000_000, num_threads=2)
        with ProcessPoolExecutor(2, initializer=_peer_reader, initargs=(root, "en")) as pool:
            for read in pool.map(_peer_read, batches, chunksize=1):
                for rel, title, body in read:
                    writer.add_document(tantivy.Document(id=rel, title=title, body=body))
                docs += len(read)
        writer.commit()
        writer.wait_merging_threads()
    return _tantivy_result(folder, docs, time.perf_counter() - t0, sampler)


def role_onefile(args: argparse.Namespace) -> dict:
    from articlebot.index.config import IndexConfig
    from articlebot.index.service import ArticleIndex
    from articlebot.index.storage import database
    from articlebot.index.storage.blobs import load_state
    from articlebot.index.storage.reindex import run_reindex

    config = IndexConfig()
    conn = database.connect(args.db)
    catalog, _ = load_state(conn, config, with_words=False)
    conn.close()
    rel = catalog.ids[len(catalog.ids) // 2]
    path = args.content / rel
    original = path.read_bytes()
    st = path.stat()
    out: dict[str, object] = {"file": rel, "size_before_mb": index_mb(args.db)}

    def timed(label: str, paths: list[str] | None = None) -> None:
        out[label + "_load"] = load_avg()
        t0 = time.perf_counter()
        report = run_reindex(args.db, args.content, config, paths=paths)
        out[label] = time.perf_counter() - t0
        out[label + "_changed"] = len(report.added) + len(report.updated) + len(report.removed)

    try:
        # The whole-folder scan (a reindex not told what changed), then the same three
        # changes with the changed post named, as the follower and `--path` name it.
        for suffix, paths in (("", None), ("_paths", [rel])):
            closing = f"\n\nOne more closing paragraph{suffix}, added by the benchmark.\n"
            replace_file(path, original + closing.encode())
            timed("changed" + suffix + "_s", paths)
            replace_file(path, path.read_bytes())  # same bytes, new inode and mtime
            timed("touched" + suffix + "_s", paths)
            replace_file(path, original, st.st_mtime_ns)
            timed("restored" + suffix + "_s", paths)

        async def via_service(paths: list[str] | None) -> float:
            idx = await ArticleIndex.open(args.db, args.content, config)
            try:
                replace_file(path, original + b"\n\nAnother closing paragraph.\n")
                t0 = time.perf_counter()
                await idx.reindex(paths=paths)
                seconds = time.perf_counter() - t0
            finally:
                replace_file(path, original, st.st_mtime_ns)
                await idx.reindex(paths=paths)
                await idx.close()
            return seconds

        out["service_changed_load"] = load_avg()
        out["service_changed_s"] = asyncio.run(via_service(None))
        out["service_changed_paths_load"] = load_avg()
        out["service_changed_paths_s"] = asyncio.run(via_service([rel]))
    finally:
        if path.read_bytes() != original or path.stat().st_mtime_ns != st.st_mtime_ns:
            replace_file(path, original, st.st_mtime_ns)
            run_reindex(args.db, args.content, config)
    out["size_after_mb"] = index_mb(args.db)
    return out


COLD = r"""
import time
t_start = time.perf_counter()
import asyncio, json, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from articlebot.index.service import ArticleIndex
t_imported = time.perf_counter()

async def main():
    t0 = time.perf_counter()
    idx = await ArticleIndex.open(Path({db!r}), Path({content!r}))
    t1 = time.perf_counter()
    result = await idx.search({query!r}, limit=10)
    t2 = time.perf_counter()
    await idx.close()
    print(json.dumps({{"t_start": t_start, "imports_s": t_imported - t_start,
                      "open_s": t1 - t0, "search_s": t2 - t1, "t_answer": t2,
                      "hits": len(result.hits)}}))

asyncio.run(main())
"""


def spawned(code: str, runs: int) -> dict:
    """Median over ``runs`` new interpreters running ``code`` (which prints a JSON line with
    ``t_start`` and ``t_answer`` from ``time.perf_counter``, and any ``*_s`` parts): time
    from the spawn to the answer, to the first line, and each part."""
    # As an installed package runs: with its modules' bytecode cached (pip compiles it on
    # install). A shell with PYTHONDONTWRITEBYTECODE set would compile every module from
    # source on every start (~40 ms of ours at 100k); one run first writes the caches.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], capture_output=True, env=env)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-2000:])
            raise SystemExit("cold start failed")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["to_answer_s"] = r["t_answer"] - t0  # CLOCK_MONOTONIC is system-wide on Linux
        r["interpreter_s"] = r["t_start"] - t0
        samples.append(r)
    keys = [k for k in samples[0] if k.endswith("_s")]
    return {k: statistics.median(s[k] for s in samples) for k in keys}


def cold_start(args: argparse.Namespace, query: str, runs: int) -> dict:
    code = COLD.format(root=str(ROOT), db=str(args.db), content=str(args.mirror), query=query)
    before = load_avg()
    med = spawned(code, runs)
    med["runs"] = runs
    med["load_before"], med["load_after"] = before, load_avg()
    return med


def role_serve(args: argparse.Namespace) -> dict:
    import numpy as np

    from articlebot.index import QueryError
    from articlebot.index.service import ArticleIndex

    queries = json.loads(Path(args.queries_json).read_text())
    base = proc_status()

    async def main() -> dict:
        t0 = time.perf_counter()
        idx = await ArticleIndex.open(args.db, args.content)
        open_s = time.perf_counter() - t0
        opened = proc_status()
        searcher = idx.searcher
        terms = [searcher.terms_for(q) for q in queries]
        errors = 0
        for q in queries:  # warm-up: every code path and cache once
            try:
                searcher.plan(q, 10)
                await idx.search(q, limit=10)
            except QueryError:
                errors += 1
        plan_t, topk_t, search_t = [], [], []
        hits = []
        for _ in range(args.rounds):
            for q, ts in zip(queries, terms, strict=True):
                try:
                    a = time.perf_counter()
                    searcher.plan(q, 10)
                    b = time.perf_counter()
                    plan_t.append(b - a)
                except QueryError:
                    pass
                a = time.perf_counter()
                searcher.bm25.top_k(ts, 10)
                topk_t.append(time.perf_counter() - a)
        for _ in range(args.rounds):
            for q in queries:
                try:
                    a = time.perf_counter()
                    result = await idx.search(q, limit=10)
                    search_t.append(time.perf_counter() - a)
                    hits.append(len(result.hits))
                except QueryError:
                    pass
        served = proc_status()
        bm = searcher.bm25
        mapped_mb = (
            sum(
                a.nbytes
                for seg in bm.segments
                for a in (seg.offsets, seg.doc_ids, seg.tfs, seg.doc_len)
            )
            / 2**20
        )
        arrays_mb = (
            sum(n.nbytes for n in bm.norms) + sum(r.nbytes for r in bm.rows if r is not None)
        ) / 2**20
        matched = [len(bm.match(ts)[0]) for ts in terms]
        await idx.close()
        return {
            "queries": len(queries),
            "query_errors": errors,
            "open_s": open_s,
            "plan": ms_stats(plan_t),
            "topk": ms_stats(topk_t),
            "search": ms_stats(search_t),
            "mean_hits": statistics.fmean(hits) if hits else 0,
            "matched_docs_p50": float(np.median(matched)),
            "matched_docs_p95": pct(matched, 95),
            "terms_per_query": statistics.fmean(len(t) for t in terms),
            "rss_base_mb": base["VmRSS"],
            "rss_opened_mb": opened["VmRSS"],
            "rss_served_mb": served["VmRSS"],
            "hwm_mb": served["VmHWM"],
            "bm25_arrays_mb": arrays_mb,
            "mapped_mb": mapped_mb,
            "segments": len(bm.segments),
            "rss_anon_mb": served.get("RssAnon", 0.0),
            "vocab_terms": len(bm.vocab),
            "postings": bm.postings,
            "articles": bm.n_docs,
        }

    return asyncio.run(main())


def role_rank_bm25(args: argparse.Namespace) -> dict:
    import numpy as np
    from rank_bm25 import BM25Plus

    from articlebot.index.config import IndexConfig
    from articlebot.index.ranking.searcher import Searcher
    from articlebot.index.storage import database, tables
    from articlebot.index.storage.blobs import load_state
    from articlebot.index.text.analysis import Analyzer
    from articlebot.index.text.fields import document_tokens

    config = IndexConfig()
    analyzer = Analyzer(config.default_language, config.bridge_spellings)
    base = proc_status()["VmRSS"]
    conn = database.connect(args.db)
    catalog, bm25 = load_state(conn, config, with_words=False)
    ids = list(catalog.ids)
    del bm25
    gc.collect()
    t0 = time.perf_counter()
    corpus: list[list[str]] = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        found = tables.fetch_articles(conn, chunk)
        corpus.extend(document_tokens(found[i], analyzer, config) for i in chunk)
    tokens_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = BM25Plus(corpus, k1=config.k1, b=config.b, delta=config.delta)
    build_s = time.perf_counter() - t0
    n_tokens = sum(map(len, corpus))
    del corpus
    gc.collect()
    rss_theirs = proc_status()["VmRSS"]

    catalog, ours = load_state(conn, config, with_words=False)
    conn.close()
    searcher = Searcher(ours, catalog, analyzer, config.site_timezone)
    queries = json.loads(Path(args.queries_json).read_text())[: args.rank_queries]
    terms = [searcher.terms_for(q) for q in queries]

    for ts in terms[:3]:  # warm-up
        theirs.get_scores(ts)
    their_t = []
    for ts in terms:
        a = time.perf_counter()
        theirs.get_scores(ts)
        their_t.append(time.perf_counter() - a)
    for ts in terms:
        ours.top_k(ts, 10)
    our_t, our_full_t = [], []
    for _ in range(5):
        for ts in terms:
            a = time.perf_counter()
            ours.top_k(ts, 10)
            our_t.append(time.perf_counter() - a)
            a = time.perf_counter()
            ours.get_scores(ts)
            our_full_t.append(time.perf_counter() - a)
    max_diff, top_same = 0.0, 0
    checked = terms[:20]
    for ts in checked:
        a, b = ours.get_scores(ts), np.asarray(theirs.get_scores(ts))
        max_diff = max(max_diff, float(np.max(np.abs(a - b))))
        _, top = ours.top_k(ts, 10)  # the same ten scores (documents may differ on ties)
        top_same += bool(np.allclose(top, np.sort(b)[::-1][: len(top)], rtol=0, atol=1e-9))
    theirs_stats, ours_stats = ms_stats(their_t), ms_stats(our_t)
    return {
        "docs": len(ids),
        "tokens": n_tokens,
        "queries": len(terms),
        "tokens_s": tokens_s,
        "build_s": build_s,
        "rss_base_mb": base,
        "rss_rank_bm25_mb": rss_theirs,
        "hwm_mb": proc_status()["VmHWM"],
        "rank_bm25_get_scores": theirs_stats,
        "ours_top_k": ours_stats,
        "ours_get_scores": ms_stats(our_full_t),
        "speedup_p50": theirs_stats["p50"] / ours_stats["p50"],
        "speedup_mean": theirs_stats["mean"] / ours_stats["mean"],
        "max_abs_diff": max_diff,
        "checked": len(checked),
        "top10_same": top_same,
    }


ROLES = {
    "index": role_index,
    "index_told": role_index_told,
    "tantivy_text": role_tantivy_text,
    "tantivy_files": role_tantivy_files,
    "onefile": role_onefile,
    "serve": role_serve,
    "rank_bm25": role_rank_bm25,
}


# --------------------------------------------------------------------------- report


def mark(value: float, target: float) -> str:
    return "PASS" if value < target else "MISS"


def table(name: str, r: dict) -> str:
    idx, one, cold, srv, rb = (r.get(k) for k in ("index", "onefile", "cold", "serve", "rank"))
    rows: list[tuple[str, str, str, str, str]] = []

    def row(what: str, value: str, target: str = "", verdict: str = "", load: str = "") -> None:
        rows.append((what, value, target, verdict, load))

    big = r["articles"] >= 100_000
    if idx:
        t = TARGETS["index_synth_s"] if big else TARGETS["index_real_s"]
        row(
            "full index (run_reindex, 2 workers)",
            f"{idx['seconds']:.1f} s",
            f"< {t:.0f} s",
            mark(idx["seconds"], t),
            idx["load_before"],
        )
        row(
            "  peak RSS: indexing process / largest worker",
            f"{idx['peak_rss_main_mb']:.0f} MB / {idx['peak_rss_worker_mb']:.0f} MB",
            load=idx["load_after"],
        )
        if "peak_pss_tree_mb" in idx:
            row(
                "  peak memory of the whole build (PSS of the process and its workers)",
                f"{idx['peak_pss_tree_mb']:.0f} MB",
            )
        row(
            "  CPU time: indexing process / both workers",
            f"{idx['cpu_main_s']:.1f} s / {idx['cpu_workers_s']:.1f} s",
        )
        row("  index size (SQLite file + segment files)", f"{idx['db_mb']:.0f} MB")
    peers = r.get("peers")
    if peers and idx:
        told, files, text = (peers[k] for k in ("index_told", "tantivy_files", "tantivy_text"))
        best = min(files["seconds"], text["seconds"])
        for what, b in (
            ("full index beside tantivy: articlebot (languages detected)", idx),
            ("  articlebot told the site's language (as en_stem is)", told),
            ("  tantivy from the same Markdown files (articlebot's reader)", files),
            ("  tantivy from the text articlebot extracted", text),
        ):
            row(
                what,
                f"{b['seconds']:.1f} s, peak {b['peak_pss_tree_mb']:.0f} MB, "
                f"CPU {b['cpu_main_s'] + b['cpu_workers_s']:.0f} s",
                "",
                f"{b['seconds'] / text['seconds']:.2f}x / {b['seconds'] / files['seconds']:.2f}x"
                if b is idx or b is told
                else "",
                b["load_before"],
            )
        row(
            "  ratios above: to tantivy from text / from files; target 1.2x time, 1.5x peak",
            f"peak {idx['peak_pss_tree_mb'] / text['peak_pss_tree_mb']:.2f}x / "
            f"{idx['peak_pss_tree_mb'] / files['peak_pss_tree_mb']:.2f}x",
            "",
            mark(idx["seconds"] / best, 1.2),
        )
    if one:
        verdict = "" if big else mark(one["changed_s"], TARGETS["onefile_real_s"])
        target = "" if big else f"< {TARGETS['onefile_real_s']:.0f} s"
        row(
            "one-file reindex, body changed (run_reindex)",
            f"{one['changed_s'] * 1000:.0f} ms (restore: {one['restored_s'] * 1000:.0f} ms)",
            target,
            verdict,
            one["load_before"],
        )
        row("one-file reindex, touched only", f"{one['touched_s'] * 1000:.0f} ms")
        if "changed_paths_s" in one:
            row(
                "one-file reindex told the path (run_reindex paths=[post])",
                f"{one['changed_paths_s'] * 1000:.0f} ms "
                f"(restore: {one['restored_paths_s'] * 1000:.0f} ms)",
                load=one["changed_paths_s_load"],
            )
            row(
                "one-file reindex told the path, touched only",
                f"{one['touched_paths_s'] * 1000:.0f} ms",
                load=one["touched_paths_s_load"],
            )
        if "size_after_mb" in one:
            row(
                "  index size before / after the one-file reindexes",
                f"{one['size_before_mb']:.0f} / {one['size_after_mb']:.0f} MB",
            )
        row(
            "one-file reindex via ArticleIndex.reindex (spawned worker + reload)",
            f"{one['service_changed_s'] * 1000:.0f} ms",
            load=one["load_after"],
        )
        if "service_changed_paths_s" in one:
            row(
                "one-file reindex via ArticleIndex.reindex(paths=[post]) (thread + reload)",
                f"{one['service_changed_paths_s'] * 1000:.0f} ms",
                load=one["service_changed_paths_load"],
            )
    if cold:
        row(
            "cold start: spawn to first answer (median of runs)",
            f"{cold['to_answer_s'] * 1000:.0f} ms",
            f"< {TARGETS['cold_s'] * 1000:.0f} ms",
            mark(cold["to_answer_s"], TARGETS["cold_s"]),
            cold["load_before"],
        )
        row(
            "  of which: interpreter / imports / ArticleIndex.open / first search",
            f"{cold['interpreter_s'] * 1000:.0f} / {cold['imports_s'] * 1000:.0f} / "
            f"{cold['open_s'] * 1000:.0f} / {cold['search_s'] * 1000:.0f} ms",
            load=cold["load_after"],
        )
    if srv:
        p, k, s = srv["plan"], srv["topk"], srv["search"]
        row(
            "ranking p50, Searcher.plan (limit 10)",
            f"{p['p50']:.3f} ms",
            f"< {TARGETS['rank_p50_ms']} ms",
            mark(p["p50"], TARGETS["rank_p50_ms"]),
            srv["load_before"],
        )
        row(
            "ranking p95, Searcher.plan (limit 10)",
            f"{p['p95']:.3f} ms",
            f"< {TARGETS['rank_p95_ms']:.0f} ms",
            mark(p["p95"], TARGETS["rank_p95_ms"]),
        )
        row(
            "ranking p50 / p95, BM25Index.top_k(k=10) on analysed terms",
            f"{k['p50']:.3f} / {k['p95']:.3f} ms",
            f"< {TARGETS['rank_p50_ms']} / {TARGETS['rank_p95_ms']:.0f} ms",
            f"{mark(k['p50'], TARGETS['rank_p50_ms'])} / {mark(k['p95'], TARGETS['rank_p95_ms'])}",
        )
        row(
            "whole search, 10 snippets (await index.search) p50 / p95",
            f"{s['p50']:.2f} / {s['p95']:.2f} ms",
            f"p95 < {TARGETS['search_p95_ms']:.0f} ms",
            mark(s["p95"], TARGETS["search_p95_ms"]),
        )
        row(
            "  queries x rounds; matched docs per query p50 / p95",
            f"{srv['queries']} x {r['rounds']}; {srv['matched_docs_p50']:.0f} / "
            f"{srv['matched_docs_p95']:.0f}",
        )
        row(
            "resident memory while serving (VmRSS after all queries)",
            f"{srv['rss_served_mb']:.0f} MB (HWM {srv['hwm_mb']:.0f})",
            f"< {TARGETS['serve_rss_mb']:.0f} MB",
            mark(srv["rss_served_mb"], TARGETS["serve_rss_mb"]),
            srv["load_after"],
        )
        row(
            "  interpreter+imports / after open / anonymous ranking arrays",
            f"{srv['rss_base_mb']:.0f} / {srv['rss_opened_mb']:.0f} / "
            f"{srv['bm25_arrays_mb']:.0f} MB",
        )
        if "rss_anon_mb" in srv:
            row(
                "  anonymous RSS (RssAnon) / postings mapped from segment files",
                f"{srv['rss_anon_mb']:.0f} MB / {srv['mapped_mb']:.0f} MB "
                f"({srv['segments']} segment(s))",
            )
    if rb:
        row(
            f"rank-bm25 BM25Plus.get_scores p50 / p95 ({rb['queries']} queries)",
            f"{rb['rank_bm25_get_scores']['p50']:.1f} / {rb['rank_bm25_get_scores']['p95']:.1f} ms",
            load=rb["load_before"],
        )
        row(
            "ours top_k(10) p50 / p95, same process, same terms",
            f"{rb['ours_top_k']['p50']:.3f} / {rb['ours_top_k']['p95']:.3f} ms",
        )
        row(
            "speed-up ours vs rank-bm25 (p50 ratio; mean ratio)",
            f"{rb['speedup_p50']:.0f}x; {rb['speedup_mean']:.0f}x",
            f">= {TARGETS['speedup']:.0f}x",
            "PASS" if rb["speedup_p50"] >= TARGETS["speedup"] else "MISS",
        )
        row(
            "  ours get_scores (all docs) p50 / p95",
            f"{rb['ours_get_scores']['p50']:.3f} / {rb['ours_get_scores']['p95']:.3f} ms",
        )
        row(
            f"  scores: max abs diff over {rb['checked']} queries; same top-10 scores",
            f"{rb['max_abs_diff']:.2e}; {rb['top10_same']}/{rb['checked']}",
        )
        row(
            "rank-bm25 process RSS (index built, token lists freed)",
            f"{rb['rss_rank_bm25_mb']:.0f} MB (HWM {rb['hwm_mb']:.0f}; "
            f"build {rb['build_s']:.0f} s)",
            load=rb["load_after"],
        )
    lines = [
        f"### {name}: {r['articles']:,} articles ({r['content']})",
        "",
        "| measurement | value | target | | load (1/5/15 min) |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(cells)} |" for cells in rows]
    return "\n".join(lines)


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    return (
        f"{os.cpu_count()} cores ({model}), {mem_kb / 2**20:.1f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", choices=("real", "synth"), default="real")
    parser.add_argument("--content", type=Path, help="content folder (overrides --corpus)")
    parser.add_argument("--name", help="label for the table and files (default: the corpus)")
    parser.add_argument("--queries", type=Path, help="one query a line (default: by corpus)")
    parser.add_argument("--synth-queries", type=int, default=300)
    parser.add_argument("--synth-count", type=int, default=100_000)
    parser.add_argument("--synth-seed", type=int, default=7, help="gen_corpus seed")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument(
        "--rank-queries", type=int, default=100, help="queries timed on rank-bm25 (slow)"
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated steps to leave out: index,peers,onefile,cold,serve,rank "
        "(skipping index reuses the last index file)",
    )
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--role", choices=sorted(ROLES), help=argparse.SUPPRESS)
    parser.add_argument("--queries-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.role:
        args.db = args.db.resolve()
        result = ROLES[args.role](args)
        print(json.dumps(result))
        return 0

    if args.corpus == "real":
        content = real_corpus_dir(args.content)
        queries = read_queries(args.queries or NEWS_QUERIES)
    else:
        content = synth_corpus(args.content, args.synth_count, args.synth_seed)
        queries = (
            read_queries(args.queries)
            if args.queries
            else synth_queries(args.synth_queries, 11, args.synth_seed)
        )
    name = args.name or args.corpus
    DATA.mkdir(parents=True, exist_ok=True)
    args.db = DATA / f"bench-{name}.sqlite3"
    args.mirror = DATA / f"mirror-{name}"
    args.queries_json = DATA / f"queries-{name}.json"
    args.queries_json.write_text(json.dumps(queries))
    skip = set(filter(None, args.skip.split(",")))

    print(machine(), flush=True)
    print(f"content {content}; load {load_avg()}", flush=True)
    results: dict[str, object] = {
        "name": name,
        "content": str(content),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "rounds": args.rounds,
    }
    if "index" not in skip or not args.mirror.exists():
        t0 = time.perf_counter()
        mirror(content, args.mirror)
        print(f"mirror (hard links) in {time.perf_counter() - t0:.1f}s", flush=True)
    steps = [
        ("index", lambda: run_child("index", args)),
        ("peers", lambda: peer_builds(args)),
        ("onefile", lambda: run_child("onefile", args)),
        ("cold", lambda: cold_start(args, queries[0], args.cold_runs)),
        ("serve", lambda: run_child("serve", args)),
        ("rank", lambda: run_child("rank_bm25", args)),
    ]
    for step, run in steps:
        if step in skip:
            continue
        print(f"{step} ... (load {load_avg()})", flush=True)
        results[step] = run()
        print(json.dumps(results[step]), flush=True)
    if "index" in results:
        results["articles"] = results["index"]["articles"]  # type: ignore[index]
    elif "serve" in results:
        results["articles"] = results["serve"]["articles"]  # type: ignore[index]
    else:
        results["articles"] = 0
    out = DATA / f"bench-{name}.json"
    out.write_text(json.dumps(results, indent=2))
    print()
    print(table(name, results))
    print(f"\n{results['machine']}; {results['date']}; results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
