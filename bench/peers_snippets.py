"""A whole search with ten snippets: articlebot beside tantivy with its SnippetGenerator.

The issue's target "whole search with 10 snippets, p95 at or below tantivy's" measured on
the same posts and the same query strings. tantivy 0.27 (``pip install tantivy``, not a
dependency of articlebot) indexes every post of ``bench_index.py``'s index as two stored
text fields, ``title`` (boost 4, articlebot's title weight) and ``body``, with its own
``en_stem`` tokenizer; a query is the raw query string through ``parse_query_lenient``
over both fields (OR of the terms, as articlebot ranks), top 10, and for each hit the
stored document (``searcher.doc``) and a ``SnippetGenerator`` fragment of the body with
its highlights (``to_html``, ``max_num_chars`` 200: about articlebot's thirty words).
articlebot answers ``await index.search(q, limit=10)``: ranking, the ten rows, ten
snippets.

Both engines run in ONE process, one query at a time and interleaved (tantivy then
articlebot for a query, the other order in the next round), so a change of the shared
machine's load hits both alike; p50 / p95 over queries x rounds, after a first pass over
the queries that is timed apart (each engine's caches cold: articlebot analyses the chunks
of a body it has not met before, tantivy reads its files); ratio = tantivy / articlebot,
below 1 the peer is faster. What differs: tokenizers (tantivy lowercases and
stems English, no stop words, no per-post language; articlebot folds NFKC, drops stop
words, stems per the post's language), fields (articlebot also indexes description,
categories, tags and author, and may take the snippet from the description), articlebot
fetches the whole row from SQLite where tantivy decompresses its doc store block, and
tantivy renders HTML where articlebot returns text with mark spans. tantivy is called
synchronously, articlebot through its one thread hand-off (``await``): on a loaded machine
a thread's wake-up can wait for a core, so two more variants run in the same rounds,
tantivy through ``asyncio.to_thread`` (as an asynchronous bot would call it) and
articlebot's search function called directly (``service._search_page``, no hand-off).

Needs ``bench_index.py --corpus NAME`` first (its index file and queries).

    .venv/bin/python bench/peers_snippets.py --corpus real
    .venv/bin/python bench/peers_snippets.py --corpus synth --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_index import DATA, load_avg, ms_stats  # noqa: E402

TITLE_BOOST = 4.0  # IndexConfig.title_weight: the title's tokens count four times
SNIPPET_CHARS = 200  # tantivy's fragment size; articlebot's thirty words are ~200


def build_tantivy(name: str, folder: Path) -> dict[str, float]:
    """tantivy's index of every post's title and body, read from articlebot's index."""
    import tantivy

    from articlebot.index.config import IndexConfig
    from articlebot.index.storage import database, tables
    from articlebot.index.storage.blobs import load_state

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    conn = database.connect_reader(DATA / f"bench-{name}.sqlite3")
    catalog, _ = load_state(conn, IndexConfig(), with_words=False)
    ids = list(catalog.ids)
    t0 = time.perf_counter()
    index = tantivy.Index(schema(), path=str(folder))
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    for start in range(0, len(ids), 1000):
        found = tables.fetch_articles(conn, ids[start : start + 1000])
        for i in ids[start : start + 1000]:
            a = found[i]
            writer.add_document(tantivy.Document(id=a.id, title=a.title, body=a.body))
    writer.commit()
    writer.wait_merging_threads()
    conn.close()
    return {
        "docs": len(ids),
        "index_s": time.perf_counter() - t0,
        "size_mb": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20,
    }


def schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("body", stored=True, tokenizer_name="en_stem")
    return sb.build()


def tantivy_search(folder: Path):
    """A function: query string -> [(id, title, snippet html)] of the top 10."""
    import tantivy

    index = tantivy.Index.open(str(folder))
    index.reload()
    searcher = index.searcher()
    sch = index.schema

    def search(q: str) -> list[tuple[str, str, str]]:
        query, _ = index.parse_query_lenient(q, ["title", "body"], {"title": TITLE_BOOST})
        hits = searcher.search(query, 10).hits
        generator = tantivy.SnippetGenerator.create(searcher, query, sch, "body")
        generator.set_max_num_chars(SNIPPET_CHARS)
        out = []
        for _, address in hits:
            doc = searcher.doc(address)
            snippet = generator.snippet_from_doc(doc)
            out.append((doc.get_first("id"), doc.get_first("title"), snippet.to_html()))
        return out

    return search


async def _done(value: int) -> int:
    return value


async def measure(name: str, folder: Path, rounds: int) -> dict:
    from articlebot.index import QueryError, service
    from articlebot.index.service import ArticleIndex

    queries = json.loads((DATA / f"queries-{name}.json").read_text())
    peer = tantivy_search(folder)
    index = await ArticleIndex.open(DATA / f"bench-{name}.sqlite3", DATA / f"mirror-{name}")
    # As the bot does before it connects: otherwise numba loads in the background half a
    # second into the first pass, and the queries then wait behind its hold of the GIL.
    await index.preload_kernel()

    async def ours(q: str) -> int:
        try:
            return len((await index.search(q, limit=10)).hits)
        except QueryError:  # e.g. only stop words: answered with one sentence
            return -1

    first: dict[str, list[float]] = {"tantivy": [], "articlebot": []}
    usable = []
    for q in queries:  # the warm-up, timed: the first time each query (and body) is met
        t0 = time.perf_counter()
        peer(q)
        first["tantivy"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        if await ours(q) >= 0:
            first["articlebot"].append(time.perf_counter() - t0)
            usable.append(q)
    engines = {
        "tantivy": lambda q: _done(len(peer(q))),
        "articlebot": ours,
        "tantivy_thread": lambda q: asyncio.to_thread(lambda: len(peer(q))),
    }
    if hasattr(service, "_search_page"):  # the search without its hand-off (this branch on)
        engines["articlebot_inline"] = lambda q: _done(
            len(service._search_page(index._db, index.searcher, q, 10, 0, False, True).hits)
        )
    times: dict[str, list[float]] = {engine: [] for engine in engines}
    hits = dict.fromkeys(engines, 0)
    loads = [load_avg()]
    names = list(engines)
    for r in range(rounds):
        for q in usable:
            order = names[r % len(names) :] + names[: r % len(names)]  # each goes first in turn
            for engine in order:
                t0 = time.perf_counter()
                found = await engines[engine](q)
                times[engine].append(time.perf_counter() - t0)
                hits[engine] += found
        loads.append(load_avg())
    await index.close()
    out = {engine: ms_stats(t) for engine, t in times.items()}
    return {
        "queries": len(usable),
        "skipped": len(queries) - len(usable),
        "rounds": rounds,
        "mean_hits": {e: hits[e] / max(1, rounds * len(usable)) for e in hits},
        **out,
        "ratio_p50": out["tantivy"]["p50"] / out["articlebot"]["p50"],
        "ratio_p95": out["tantivy"]["p95"] / out["articlebot"]["p95"],
        "first": {engine: ms_stats(t) for engine, t in first.items()},
        "loads": loads,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", default="real", help="bench_index.py's name: real, synth")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build", action="store_true", help="rebuild tantivy's index")
    args = parser.parse_args(argv)
    folder = DATA / f"peers-snippets-{args.corpus}-tantivy"
    print(f"load {load_avg()}", flush=True)
    if args.build or not (folder / "meta.json").exists():
        built = build_tantivy(args.corpus, folder)
        print(f"tantivy index: {json.dumps(built)}", flush=True)
    result = asyncio.run(measure(args.corpus, folder, args.rounds))
    print(json.dumps(result))
    print(
        f"\n{args.corpus}: {result['queries']} queries x {args.rounds} rounds, one process, "
        f"interleaved; load {' -> '.join(result['loads'])}"
    )
    print("| whole search, 10 snippets | articlebot | tantivy (ratio tantivy / articlebot) |")
    print("|---|---|---|")
    rows = [("", "tantivy", "articlebot", result)]
    rows.append(
        (", tantivy in a thread (asyncio.to_thread)", "tantivy_thread", "articlebot", result)
    )
    if "articlebot_inline" in result:
        rows.append((", articlebot without its hand-off", "tantivy", "articlebot_inline", result))
    rows.append((" first pass (cold caches)", "tantivy", "articlebot", result["first"]))
    for label, peer, ours, figures in rows:
        for p in ("p50", "p95"):
            t, a = figures[peer][p], figures[ours][p]
            print(f"| {p}{label} | {a:.2f} ms | {t:.2f} ms ({t / a:.2f}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
