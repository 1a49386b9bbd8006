"""Small reindexes told which files changed, beside tantivy doing the same, in one run.

    python bench/reindex_bench.py --corpus real      # after bench_index.py --corpus real
    python bench/reindex_bench.py --corpus synth --skip tantivy

Needs the index and mirror that ``bench_index.py --corpus NAME`` leaves in bench/.data
(or ``--db`` and ``--content``). One process does articlebot's reindexes, as the bot's
follower does them (a long-lived process, the changed paths named):

1. one file, ten times: the middle post changed (a paragraph added), reindexed, restored,
   reindexed (``run_reindex(paths=[post])``); then "touched" (same bytes, new mtime);
   then changed through ``ArticleIndex.reindex(paths=...)`` with the reload of the
   searcher. Index size (SQLite file, WAL, segment files) before and after the ten.
2. thirty new posts (an hour of the live site): thirty posts copied under new names with a
   paragraph of their own, reindexed by name; then the thirty removed, reindexed.
3. cold start: a new process that opens the index and answers one search (median of 5).

tantivy (``pip install tantivy``; not a dependency) gets the same documents as the same
analysed tokens (``peers.py`` prepares them) and does the same: one document deleted and
added, commit, reload, a search that sees it (median of 10); thirty added, commit, reload;
a new process that opens the index and answers one search. Ratio = articlebot / tantivy.
The machine's load is printed with each figure. Only the mirror is modified (files are
replaced by rename, so its hard-linked originals never change), and restored at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_index import COLD, DATA, index_mb, load_avg, replace_file, spawned  # noqa: E402

NEW_POSTS = 30
ONE_FILE_RUNS = 10


def articlebot(db: Path, content: Path) -> dict:
    from articlebot.index.config import IndexConfig
    from articlebot.index.service import ArticleIndex
    from articlebot.index.storage import database, tables
    from articlebot.index.storage.reindex import run_reindex

    config = IndexConfig()
    conn = database.connect_reader(db)
    rels = sorted(rel for rel, row in tables.read_files(conn).items() if row.status == "indexed")
    generation = tables.read_generation(conn)
    conn.close()
    rel = rels[len(rels) // 2]
    path = content / rel
    original, mtime = path.read_bytes(), path.stat().st_mtime_ns
    out: dict[str, object] = {"file": rel, "generation_before": generation}
    out["size_before_mb"] = index_mb(db)
    for data, stamp in ((original + b"\n\nWarm-up.\n", None), (original, mtime)):
        replace_file(path, data, stamp)  # imports and the language model loaded, as in the bot
        run_reindex(db, content, config, paths=[rel])

    def timed(paths: list[str]) -> float:
        t0 = time.perf_counter()
        run_reindex(db, content, config, paths=paths)
        return time.perf_counter() - t0

    changed, restored = [], []
    out["onefile_load"] = load_avg()
    try:
        for i in range(ONE_FILE_RUNS // 2):
            replace_file(path, original + f"\n\nOne more closing paragraph, {i}.\n".encode())
            changed.append(timed([rel]))
            replace_file(path, original, mtime)
            restored.append(timed([rel]))
        out["size_after_mb"] = index_mb(db)
        replace_file(path, path.read_bytes())  # same bytes, new inode and mtime
        out["touched_s"] = timed([rel])
        replace_file(path, original, mtime)
        timed([rel])

        async def via_service() -> list[float]:
            times = []
            idx = await ArticleIndex.open(db, content, config)
            try:
                for i in range(3):
                    replace_file(path, original + f"\n\nAnother paragraph, {i}.\n".encode())
                    t0 = time.perf_counter()
                    await idx.reindex(paths=[rel])
                    times.append(time.perf_counter() - t0)
                    replace_file(path, original, mtime)
                    await idx.reindex(paths=[rel])
            finally:
                await idx.close()
            return times

        out["service_load"] = load_avg()
        service = asyncio.run(via_service())
    finally:
        replace_file(path, original, mtime)
        run_reindex(db, content, config, paths=[rel])
    out["changed_s"] = statistics.median(changed)
    out["restored_s"] = statistics.median(restored)
    out["changed_all_s"] = changed
    out["service_s"] = statistics.median(service)

    # Thirty new posts: copies of posts from across the folder, each with its own paragraph.
    sources = [rels[(i * 7919) % len(rels)] for i in range(NEW_POSTS)]
    new = [str(Path(s).parent / f"bench-new-{i:02d}.md") for i, s in enumerate(sources)]
    out["new_load"] = load_avg()
    try:
        for i, (src, rel_new) in enumerate(zip(sources, new, strict=True)):
            extra = f"\n\nA paragraph of new post number {i} from the benchmark.\n"
            replace_file(content / rel_new, (content / src).read_bytes() + extra.encode())
        t0 = time.perf_counter()
        report = run_reindex(db, content, config, paths=new)
        out["new_posts_s"] = time.perf_counter() - t0
        out["new_posts_added"] = len(report.added)
    finally:
        for rel_new in new:
            (content / rel_new).unlink(missing_ok=True)
        t0 = time.perf_counter()
        report = run_reindex(db, content, config, paths=new)
        out["removed_posts_s"] = time.perf_counter() - t0
        out["removed_posts"] = len(report.removed)
    out["size_end_mb"] = index_mb(db)
    return out


TANTIVY_COLD = r"""
import time
t0 = time.perf_counter()
import json, tantivy
index = tantivy.Index.open({folder!r})
schema = index.schema
q = tantivy.Query.boolean_query(
    [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in {terms!r}])
index.searcher().search(q, 10)
print(json.dumps({{"t_start": t0, "t_answer": time.perf_counter()}}))
"""


def tantivy_updates(name: str, docs: Path) -> dict:
    import tantivy

    folder = DATA / f"peers-{name}-tantivy"
    index = tantivy.Index.open(str(folder))
    schema = index.schema
    lines = docs.read_text().splitlines()
    middle = len(lines) // 2
    writer = index.writer(heap_size=50_000_000, num_threads=1)

    def seen(term: str) -> None:
        index.reload()
        index.searcher().search(tantivy.Query.term_query(schema, "body", term), 10)

    def put(doc_id: int, text: str) -> None:
        doc = tantivy.Document()
        doc.add_unsigned("doc", doc_id)
        doc.add_text("body", text)
        writer.add_document(doc)

    one = []
    for i in range(ONE_FILE_RUNS):
        t0 = time.perf_counter()
        writer.delete_documents_by_term("doc", middle)
        put(middle, lines[middle] + (f" closing paragraph {i}" if i % 2 == 0 else ""))
        writer.commit()
        seen("closing")
        one.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(NEW_POSTS):
        put(len(lines) + i, lines[(i * 7919) % len(lines)] + f" new post {i}")
    writer.commit()
    seen("post")
    new_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(NEW_POSTS):
        writer.delete_documents_by_term("doc", len(lines) + i)
    writer.commit()
    seen("post")
    removed_s = time.perf_counter() - t0
    writer.wait_merging_threads()
    return {
        "onefile_s": statistics.median(one),
        "new_posts_s": new_s,
        "removed_posts_s": removed_s,
        "size_mb": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20,
    }


def tantivy_side(name: str) -> dict:
    """tantivy's figures, built from peers.py's tokens when missing (in child processes)."""
    from peers import prepare

    docs, terms = prepare(name)
    folder = DATA / f"peers-{name}-tantivy"
    peers = str(HERE / "peers.py")
    base = ["--corpus", name, "--docs", str(docs), "--terms", str(terms)]
    if not folder.exists():
        subprocess.run([sys.executable, peers, "--role", "tantivy", "--build", *base], check=True)
    out = {"load": load_avg()}
    done = subprocess.run(
        [sys.executable, __file__, "--role", "tantivy", "--corpus", name, "--docs", str(docs)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    out.update(json.loads(done.stdout.strip().splitlines()[-1]))
    first = json.loads(terms.read_text())[0]
    out["cold"] = spawned(TANTIVY_COLD.format(folder=str(folder), terms=first), 5)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="real")
    ap.add_argument("--db", type=Path)
    ap.add_argument("--content", type=Path)
    ap.add_argument("--skip", default="", help="comma-separated: tantivy,articlebot,cold")
    ap.add_argument("--role", choices=("tantivy",))
    ap.add_argument("--docs", type=Path)
    args = ap.parse_args()
    if args.role:
        print(json.dumps(tantivy_updates(args.corpus, args.docs)))
        return
    skip = set(args.skip.split(","))
    db = (args.db or DATA / f"bench-{args.corpus}.sqlite3").resolve()
    content = (args.content or DATA / f"mirror-{args.corpus}").resolve()
    query = json.loads((DATA / f"queries-{args.corpus}.json").read_text())[0]
    results: dict[str, object] = {"corpus": args.corpus, "db": str(db)}
    if "articlebot" not in skip:
        results["articlebot"] = articlebot(db, content)
        print(json.dumps(results["articlebot"]), flush=True)
    if "cold" not in skip:
        code = COLD.format(root=str(HERE.parent), db=str(db), content=str(content), query=query)
        results["cold"] = {"load": load_avg(), **spawned(code, 5)}
        print(json.dumps(results["cold"]), flush=True)
    if "tantivy" not in skip:
        results["tantivy"] = tantivy_side(args.corpus)
        print(json.dumps(results["tantivy"]), flush=True)
    out = DATA / f"reindex-{args.corpus}-{time.strftime('%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"results in {out}")


if __name__ == "__main__":
    main()
