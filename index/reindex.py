"""Bring the stored index in line with the content folder, reading only what changed.

Runs synchronously (in the CLI, or in a worker process for the bot). Every write happens in
one transaction at the end, so a crash or kill mid-way leaves the last good index intact
and readers see the old index until the new one is committed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import chain, count
from pathlib import Path

import numpy as np

from index import store
from index.analysis import Analyzer
from index.article import Article, Refusal
from index.bm25 import BM25Index
from index.catalog import Catalog
from index.config import IndexConfig
from index.fields import document_tokens
from index.loader import PostError, find_posts, parse_post, post_sort_key
from index.results import ReindexReport

Progress = Callable[[int, int], None]

BM25_PREFIX = "bm25:"
CATALOG_PREFIX = "catalog:"


class ContentError(RuntimeError):
    """The content folder cannot be read; one sentence."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """One file after parsing and analysis, ready to enter the index.

    Tokens and words travel as one space-joined string each: pickling one string per
    article between processes is far cheaper than hundreds of small ones.
    """

    rel: str
    article: Article | None = None
    tokens: str = ""
    words: str = ""
    skipped: str = ""  # reason when the post is deliberately left out (draft)
    refused: str = ""  # reason when the post could not be read


def article_words(article: Article, analyzer: Analyzer) -> set[str]:
    """Surface words of an article, counted once per article for "did you mean"."""
    text = " ".join((article.title, article.description, *article.categories, *article.tags))
    return set(analyzer.words(text + " " + article.body))


def prepare(rel: str, path: Path, config: IndexConfig, analyzer: Analyzer) -> Prepared:
    try:
        article = parse_post(path.read_bytes(), rel, config)
    except OSError as exc:
        return Prepared(rel, refused=f"cannot read the file: {exc.strerror or exc}")
    except PostError as exc:
        return Prepared(rel, refused=str(exc))
    except Exception as exc:  # a bug on one odd file must not stop the other 100,000
        return Prepared(rel, refused=f"unexpected error while reading: {exc!r}")
    if article is None:
        return Prepared(rel, skipped="draft or unpublished")
    return Prepared(
        rel,
        article=article,
        tokens=" ".join(document_tokens(article, analyzer, config)),
        words=" ".join(article_words(article, analyzer)),
    )


_worker: tuple[IndexConfig, Analyzer] | None = None


def _init_worker(config: IndexConfig) -> None:
    global _worker
    _worker = (config, Analyzer(config.default_language))


def _prepare_batch(batch: list[tuple[str, Path]]) -> list[Prepared]:
    assert _worker is not None
    config, analyzer = _worker
    return [prepare(rel, path, config, analyzer) for rel, path in batch]


def prepare_all(
    items: list[tuple[str, Path]],
    config: IndexConfig,
    workers: int,
    progress: Progress | None = None,
) -> Iterator[list[Prepared]]:
    """Parse and analyse files in batches, in parallel when there are enough to pay for
    processes; batches come back in order."""
    total, done = len(items), 0
    size = 200
    batches = [items[i : i + size] for i in range(0, total, size)]
    if workers <= 1 or total < 400:
        _init_worker(config)
        results: Iterable[list[Prepared]] = map(_prepare_batch, batches)
        for batch in results:
            done += len(batch)
            if progress:
                progress(done, total)
            yield batch
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(config,)) as pool:
        for batch in pool.map(_prepare_batch, batches, chunksize=1):
            done += len(batch)
            if progress:
                progress(done, total)
            yield batch


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scan(content_dir: Path) -> dict[str, os.stat_result]:
    if not content_dir.is_dir():
        raise ContentError(f"The content folder {content_dir} does not exist.")
    found: dict[str, os.stat_result] = {}
    for path in find_posts(content_dir):
        try:
            found[path.relative_to(content_dir).as_posix()] = path.stat()
        except OSError:
            continue  # vanished between listing and stat: it is simply not there
    return found


def is_stale(conn, content_dir: Path, config: IndexConfig) -> bool:
    """Whether the folder differs from what was indexed, by stat alone (no reading)."""
    meta = store.read_meta(conn)
    if meta.get("fingerprint") != config.fingerprint() or meta.get("content_dir") != str(
        content_dir.resolve()
    ):
        return True
    files = store.read_files(conn)
    current = scan(content_dir)
    if current.keys() != files.keys():
        return True
    return any(
        (st.st_size, st.st_mtime_ns) != (files[rel][1], files[rel][2])
        for rel, st in current.items()
    )


def run_reindex(
    db_path: Path,
    content_dir: Path,
    config: IndexConfig,
    *,
    full: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ReindexReport:
    """Reindex ``content_dir`` into ``db_path``; returns what changed."""
    started = time.perf_counter()
    content_dir = content_dir.resolve()
    workers = workers or min(2, os.cpu_count() or 1)
    conn = store.connect(db_path)
    try:
        meta = store.read_meta(conn)
        full = (
            full
            or meta.get("fingerprint") != config.fingerprint()
            or meta.get("content_dir") != str(content_dir)
            or "built_at" not in meta
        )
        old_files = {} if full else store.read_files(conn)
        current = scan(content_dir)

        # Which files need reading: new ones, and ones whose size or mtime moved and whose
        # bytes really changed.
        stat_rows: dict[str, store.FileRow] = {}
        to_read: list[str] = []
        hashes: dict[str, str] = {}
        for rel, st in current.items():
            old = old_files.get(rel)
            if old and (old[1], old[2]) == (st.st_size, st.st_mtime_ns):
                hashes[rel] = old[3]
                continue
            try:
                digest = _sha256(content_dir / rel)
            except OSError as exc:
                stat_rows[rel] = (rel, st.st_size, st.st_mtime_ns, "", "refused", str(exc))
                continue
            hashes[rel] = digest
            if old and old[3] == digest and old[4] != "skipped":
                stat_rows[rel] = (rel, st.st_size, st.st_mtime_ns, digest, old[4], old[5])
            else:
                to_read.append(rel)
        removed_files = [rel for rel in old_files if rel not in current]

        # Byte-identical files collapse into the one whose path sorts first.
        first_of: dict[str, str] = {}
        for rel in sorted(hashes, key=post_sort_key):
            first_of.setdefault(hashes[rel], rel)
        duplicates = {rel: first_of[h] for rel, h in hashes.items() if first_of[h] != rel}
        for rel, original in duplicates.items():
            st = current[rel]
            reason = f"identical copy of {original}"
            stat_rows[rel] = (rel, st.st_size, st.st_mtime_ns, hashes[rel], "skipped", reason)
        # A file that was a skipped copy but is now the original must be read.
        for rel in hashes:
            old = old_files.get(rel)
            was_copy = old is not None and old[4] == "skipped" and old[5].startswith("identical")
            if was_copy and rel not in duplicates and rel not in to_read:
                to_read.append(rel)
        to_read = [rel for rel in to_read if rel not in duplicates]

        # Old state.
        if full:
            catalog, bm25 = Catalog.empty(), None
        else:
            catalog, bm25 = load_state(conn, config)
        old_ids = set(catalog.ids)
        removed_words: Counter[str] = Counter()
        leaving_files = set(removed_files) | set(duplicates) | set(to_read)
        leaving = {i for i in old_ids if i in leaving_files}
        if leaving:
            removed_words = _stored_words(conn, sorted(leaving), Analyzer(config.default_language))

        # Everything is written in one transaction: articles as their batches arrive (so
        # bodies never pile up in memory), then the postings and the catalog.
        stream = TermStream(bm25.vocab if bm25 else {})
        new_articles: list[Article] = []  # without bodies: the catalog needs the rest
        added_words: Counter[str] = Counter()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if full:
                conn.execute("DELETE FROM articles")
                conn.execute("DELETE FROM files")
            store.write_articles(conn, [], sorted(leaving))
            items = [(rel, content_dir / rel) for rel in sorted(to_read, key=post_sort_key)]
            for batch in prepare_all(items, config, workers, progress):
                fresh = [p for p in batch if p.article is not None]
                store.write_articles(conn, [p.article for p in fresh if p.article], ())
                for p in batch:
                    st = current[p.rel]
                    status = "indexed" if p.article else "refused" if p.refused else "skipped"
                    reason = p.refused or p.skipped
                    stat_rows[p.rel] = (
                        p.rel,
                        st.st_size,
                        st.st_mtime_ns,
                        hashes[p.rel],
                        status,
                        reason,
                    )
                for p in fresh:
                    added_words.update(p.words.split())
                    new_articles.append(replace(p.article, body=""))  # type: ignore[arg-type]
                stream.add([p.tokens for p in fresh])

            keep = np.array([i not in leaving for i in catalog.ids], dtype=bool)
            catalog = catalog.update(keep, new_articles, removed_words, added_words)
            ids, lens, vocab = stream.arrays()
            if bm25 is None:
                bm25 = BM25Index.from_term_ids(ids, lens, vocab, config.k1, config.b, config.delta)
            else:
                bm25 = bm25.update_term_ids(keep, ids, lens, vocab)

            store.replace_files(conn, stat_rows.values(), removed_files)
            store.write_blobs(conn, _bm25_blobs(bm25), BM25_PREFIX)
            store.write_blobs(conn, catalog.to_blobs(), CATALOG_PREFIX)
            store.write_meta(
                conn,
                {
                    "fingerprint": config.fingerprint(),
                    "content_dir": str(content_dir),
                    "built_at": datetime.now(UTC).isoformat(),
                    "articles": str(len(catalog)),
                },
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        fresh_ids = {a.id for a in new_articles}
        added = sorted(fresh_ids - old_ids)
        updated = sorted(fresh_ids & old_ids)
        removed = sorted(leaving - fresh_ids)
        all_refused = [
            Refusal(row[0], row[5])
            for row in store.read_files(conn).values()
            if row[4] == "refused"
        ]
        skipped = [Refusal(rel, row[5]) for rel, row in stat_rows.items() if row[4] == "skipped"]
        return ReindexReport(
            added=tuple(added),
            updated=tuple(updated),
            removed=tuple(removed),
            refused=tuple(sorted(all_refused, key=lambda r: r.path)),
            skipped=tuple(sorted(skipped, key=lambda r: r.path)),
            unchanged=len(catalog) - len(added) - len(updated),
            total=len(catalog),
            seconds=time.perf_counter() - started,
            full=full,
        )
    finally:
        conn.close()


class TermStream:
    """Turns batches of token strings into term ids as they arrive, so a full index of
    100,000 articles never holds 80 million token strings at once."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self._ids_of: defaultdict[str, int] = defaultdict(count(len(vocab)).__next__, vocab)
        self._ids: list[np.ndarray] = []
        self._lens: list[np.ndarray] = []

    def add(self, token_strings: list[str]) -> None:
        docs = [s.split() for s in token_strings]
        lens = np.fromiter(map(len, docs), dtype=np.int32, count=len(docs))
        ids = np.fromiter(
            map(self._ids_of.__getitem__, chain.from_iterable(docs)),
            dtype=np.int32,
            count=int(lens.sum()),
        )
        self._ids.append(ids)
        self._lens.append(lens)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, np.int32)
        lens = np.concatenate(self._lens) if self._lens else np.zeros(0, np.int32)
        return ids, lens, dict(self._ids_of)


def _stored_words(conn, ids: list[str], analyzer: Analyzer) -> Counter[str]:
    counts: Counter[str] = Counter()
    for article in store.fetch_articles(conn, ids).values():
        counts.update(article_words(article, analyzer))
    return counts


def _bm25_blobs(bm25: BM25Index) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name, array in bm25.to_arrays().items():
        out[name] = np.ascontiguousarray(array).tobytes()
        out[name + ".dtype"] = array.dtype.str.encode()
    return out


def bm25_from_blobs(blobs: dict[str, bytes], config: IndexConfig) -> BM25Index:
    arrays = {
        name: np.frombuffer(data, dtype=np.dtype(blobs[name + ".dtype"].decode()))
        for name, data in blobs.items()
        if not name.endswith(".dtype")
    }
    return BM25Index.from_arrays(arrays, config.k1, config.b, config.delta)


def load_state(conn, config: IndexConfig, *, with_words: bool = True) -> tuple[Catalog, BM25Index]:
    """The stored index, or an empty one when nothing was indexed yet."""
    cat_blobs = _strip(store.read_blobs(conn, CATALOG_PREFIX), CATALOG_PREFIX)
    bm_blobs = _strip(store.read_blobs(conn, BM25_PREFIX), BM25_PREFIX)
    if not cat_blobs or not bm_blobs:
        return Catalog.empty(), BM25Index.build([], config.k1, config.b, config.delta)
    return Catalog.from_blobs(cat_blobs, with_words=with_words), bm25_from_blobs(bm_blobs, config)


def _strip(blobs: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    return {name.removeprefix(prefix): data for name, data in blobs.items()}


def refusals(report: ReindexReport) -> Iterable[str]:
    for r in report.refused:
        yield f"{r.path}: {r.reason}"
