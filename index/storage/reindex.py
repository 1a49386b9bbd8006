"""Bring the stored index in line with the content folder, reading only what changed.

Runs synchronously (in the CLI, or in a worker process for the bot). Every write happens in
one transaction at the end, so a crash or kill mid-way leaves the last good index intact
and readers see the old index until the new one is committed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import numpy as np
from articlebot.index.config import IndexConfig
from articlebot.index.posts.article import Article, Refusal
from articlebot.index.posts.folder import FolderScan, post_sort_key, read_post_bytes, scan_folder
from articlebot.index.posts.loader import PostError, parse_or_skip
from articlebot.index.ranking.bm25 import BM25Index, PostingsBuilder
from articlebot.index.ranking.catalog import Catalog, CatalogEntry, catalog_entry
from articlebot.index.results import ReindexReport
from articlebot.index.storage import store
from articlebot.index.text.analysis import Analyzer
from articlebot.index.text.fields import document_fields, document_words

Progress = Callable[[int, int], None]

BM25_PREFIX = "bm25:"
CATALOG_PREFIX = "catalog:"


class ContentError(RuntimeError):
    """The content folder cannot be read; one sentence."""


@dataclass(slots=True)
class FileOutcome:
    """One file after a worker read it: its digest and article, or why it is left out."""

    rel: str
    digest: str = ""  # sha256 of the bytes read; "" when the file could not be read
    article: Article | None = None
    skipped: str = ""  # reason when the post is deliberately left out (draft)
    refused: str = ""  # reason when the post could not be read


@dataclass(slots=True)
class PreparedBatch:
    """A batch of files, analysed: the heavy per-token work is done by the worker.

    Tokens and words travel as int32 ids numbered by the worker (``source``), which keeps
    its numbering across its batches and sends only the strings first seen in this one.
    The parent thus looks up each distinct string once per worker, not once per token or
    per batch, and pickling moves a few arrays, not millions of small strings. The
    ``*_lens`` arrays give each indexed article's share, in the order of ``files``.
    """

    source: str  # which worker numbered the ids
    files: list[FileOutcome]
    new_terms: list[str]  # the source's term ids continue with these
    term_ids: np.ndarray  # int32, every indexed article's tokens back to back
    term_lens: np.ndarray  # int32 tokens per indexed article
    new_words: list[str]  # the source's word ids continue with these
    word_ids: np.ndarray  # int32, each indexed article's distinct surface words
    word_lens: np.ndarray  # int32 distinct words per indexed article

    @property
    def articles(self) -> list[Article]:
        return [f.article for f in self.files if f.article is not None]


class Numbering(dict[str, int]):
    """String -> id in order of first sight; remembers the strings not yet sent."""

    def __init__(self) -> None:
        super().__init__()
        self.fresh: list[str] = []

    def __missing__(self, key: str) -> int:
        number = self[key] = len(self)
        self.fresh.append(key)
        return number

    def ids(self, strings: list[str] | set[str]) -> np.ndarray:
        return np.fromiter(map(self.__getitem__, strings), np.int32, len(strings))

    def take_fresh(self) -> list[str]:
        fresh, self.fresh = self.fresh, []
        return fresh


def article_words(article: Article, analyzer: Analyzer) -> set[str]:
    """Surface words of an article, counted once per article for "did you mean"."""
    return document_words(article, analyzer)


def read_post(root: str, rel: str, config: IndexConfig) -> FileOutcome:
    """Read, hash and parse one file; never raises. A file that cannot be read has no
    digest, so the next reindex tries it again (its permissions may have been fixed)."""
    try:
        data = read_post_bytes(root, rel, config.max_post_bytes)
    except PostError as exc:
        return FileOutcome(rel, refused=str(exc))
    digest = hashlib.sha256(data).hexdigest()
    try:
        article = parse_or_skip(data, rel, config)
    except PostError as exc:
        return FileOutcome(rel, digest, refused=str(exc))
    except Exception as exc:  # a bug on one odd file must not stop the other 100,000
        return FileOutcome(rel, digest, refused=f"unexpected error while reading: {exc!r}")
    if isinstance(article, str):
        return FileOutcome(rel, digest, skipped=article)
    return FileOutcome(rel, digest, article)


class _TermsOfWords(dict[str, int]):
    """Surface word -> term id for one language: a word is stemmed and numbered once per
    worker, so each token costs one dict look-up instead of a stem look-up and a number
    look-up."""

    def __init__(self, analyzer: Analyzer, language: str, terms: Numbering) -> None:
        super().__init__()
        self._stem = analyzer.stem
        self._language = language
        self._terms = terms

    def __missing__(self, word: str) -> int:
        number = self[word] = self._terms[self._stem([word], self._language)[0]]
        return number


@dataclass
class _WorkerState:
    root: str
    config: IndexConfig
    analyzer: Analyzer
    source: str = field(default_factory=lambda: os.urandom(8).hex())
    terms: Numbering = field(default_factory=Numbering)
    words: Numbering = field(default_factory=Numbering)
    by_language: dict[str, _TermsOfWords] = field(default_factory=dict)

    def term_ids(self, surface: list[str], language: str) -> np.ndarray:
        table = self.by_language.get(language)
        if table is None:
            table = self.by_language[language] = _TermsOfWords(self.analyzer, language, self.terms)
        return np.fromiter(map(table.__getitem__, surface), np.int32, len(surface))


def article_ids(article: Article, state: _WorkerState) -> tuple[np.ndarray, np.ndarray]:
    """``document_terms`` of the article as the worker's term and word ids: each field's
    words are numbered once, then repeated by its weight."""
    parts: list[np.ndarray] = []
    words: set[str] = set()
    for text, weight, offered in document_fields(article, state.config):
        if not text or (weight <= 0 and not offered):
            continue
        surface = state.analyzer.words(text)
        if offered:
            words.update(surface)
        if weight > 0:
            ids = state.term_ids(surface, article.language)
            parts.append(np.tile(ids, weight) if weight > 1 else ids)
    return _concat(parts), state.words.ids(words)


def analyse_batch(files: list[FileOutcome], state: _WorkerState) -> PreparedBatch:
    """Tokens and distinct words of every article in ``files``, as the worker's ids."""
    term_parts: list[np.ndarray] = []
    word_parts: list[np.ndarray] = []
    for f in files:
        if f.article is not None:
            term_ids, word_ids = article_ids(f.article, state)
            term_parts.append(term_ids)
            word_parts.append(word_ids)
    return PreparedBatch(
        state.source,
        files,
        state.terms.take_fresh(),
        _concat(term_parts),
        np.array([len(p) for p in term_parts], dtype=np.int32),
        state.words.take_fresh(),
        _concat(word_parts),
        np.array([len(p) for p in word_parts], dtype=np.int32),
    )


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int32)


_worker: _WorkerState | None = None


def _init_worker(root: str, config: IndexConfig, parent: int | None = None) -> None:
    global _worker
    if parent is not None:
        die_with_parent(parent)
    _worker = _WorkerState(root, config, Analyzer(config.default_language))


def die_with_parent(parent: int, every: float = 0.5) -> None:
    """End this worker process as soon as ``parent`` is gone (killed with -9, crashed):
    a worker left behind would keep reading posts for nobody. A daemon thread checks the
    parent id, which becomes another process's once the parent has died."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _prepare_batch(rels: list[str]) -> PreparedBatch:
    assert _worker is not None
    files = [read_post(_worker.root, rel, _worker.config) for rel in rels]
    return analyse_batch(files, _worker)


def prepare_all(
    root: Path,
    rels: list[str],
    config: IndexConfig,
    workers: int,
    progress: Progress | None = None,
) -> Iterator[PreparedBatch]:
    """Read, hash, parse and analyse files in batches, in parallel when there are enough
    to pay for processes; batches come back in order."""
    total, done = len(rels), 0
    size = 200
    batches = [rels[i : i + size] for i in range(0, total, size)]
    if workers <= 1 or total < 400:
        _init_worker(str(root), config)
        results: Iterable[PreparedBatch] = map(_prepare_batch, batches)
        for batch in results:
            done += len(batch.files)
            if progress:
                progress(done, total)
            yield batch
        return
    with ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(str(root), config, os.getpid())
    ) as pool:
        for batch in pool.map(_prepare_batch, batches, chunksize=1):
            done += len(batch.files)
            if progress:
                progress(done, total)
            yield batch


def scan(content_dir: Path) -> FolderScan:
    """Every post of the folder with its size and mtime, and what was refused unread."""
    if not content_dir.is_dir():
        raise ContentError(f"The content folder {content_dir} does not exist.")
    try:
        os.scandir(content_dir).close()
    except OSError as exc:
        raise ContentError(
            f"The content folder {content_dir} cannot be read ({exc.strerror or exc})."
        ) from None
    return scan_folder(os.path.realpath(content_dir))


def is_stale(conn, content_dir: Path, config: IndexConfig) -> bool:
    """Whether the folder differs from what was indexed, by stat alone (no reading)."""
    meta = store.read_meta(conn)
    if meta.get("fingerprint") != config.fingerprint() or meta.get("content_dir") != str(
        content_dir.resolve()
    ):
        return True
    files = store.read_files(conn)
    found = scan(content_dir)
    if found.posts.keys() | found.refused.keys() != files.keys():
        return True
    return any(stat != (files[rel][1], files[rel][2]) for rel, stat in found.posts.items())


@dataclass
class _Plan:
    """What a reindex reads and what it already knows about the other files."""

    to_read: list[str]  # in post_sort_key order
    stat_rows: dict[str, store.FileRow]  # files settled without reading
    hashes: dict[str, str]  # rel -> sha256, where known before reading
    duplicates: dict[str, str]  # copy -> the original it collapses into
    removed_files: list[str]
    dedupe_while_reading: bool  # full run: workers hash, copies are found as batches arrive
    old_files: dict[str, store.FileRow] = field(default_factory=dict)

    def changed_rows(self) -> list[store.FileRow]:
        """Rows that differ from the stored ones: the hundreds of unchanged copies are not
        rewritten on every run."""
        return [row for rel, row in self.stat_rows.items() if self.old_files.get(rel) != row]

    def files_after(self) -> dict[str, store.FileRow]:
        """The files table as this reindex leaves it, without reading it back."""
        rows = dict(self.old_files)
        for rel in self.removed_files:
            rows.pop(rel, None)
        rows.update(self.stat_rows)
        return rows


def _unread(found: FolderScan) -> dict[str, store.FileRow]:
    """Rows for what the scan refused without reading (links out of the folder, bad
    names): no digest, so each reindex looks at them again."""
    return {rel: (rel, 0, 0, "", "refused", reason) for rel, reason in found.refused.items()}


def _plan_full(found: FolderScan) -> _Plan:
    """Everything is read once, by the workers, which also hash; nothing is hashed twice."""
    return _Plan(sorted(found.posts, key=post_sort_key), _unread(found), {}, {}, [], True)


def _plan_incremental(
    root: str, found: FolderScan, old_files: dict[str, store.FileRow], config: IndexConfig
) -> _Plan:
    """New files, and files whose size or mtime moved and whose bytes really changed.

    Only files whose stat changed are hashed here (few), so byte-identical copies and
    "touched" files are settled before any parsing. Files that could not be read last time
    are tried again: fixing a file's permissions does not change its mtime.
    """
    current = found.posts
    stat_rows = _unread(found)
    to_read: list[str] = []
    hashes: dict[str, str] = {}
    for rel, (size, mtime) in current.items():
        old = old_files.get(rel)
        if old and (old[1], old[2]) == (size, mtime) and old[3]:
            hashes[rel] = old[3]
            continue
        try:
            digest = hashlib.sha256(read_post_bytes(root, rel, config.max_post_bytes)).hexdigest()
        except PostError as exc:
            stat_rows[rel] = (rel, size, mtime, "", "refused", str(exc))
            continue
        hashes[rel] = digest
        if old and old[3] == digest and old[4] != "skipped":
            stat_rows[rel] = (rel, size, mtime, digest, old[4], old[5])
        else:
            to_read.append(rel)
    removed_files = [rel for rel in old_files if rel not in current]  # or now refused unread

    duplicates = _copies(hashes)
    for rel, original in duplicates.items():
        size, mtime = current[rel]
        reason = f"identical copy of {original}"
        stat_rows[rel] = (rel, size, mtime, hashes[rel], "skipped", reason)
    # A file that was a skipped copy but is now the original must be read.
    for rel in hashes:
        old = old_files.get(rel)
        was_copy = old is not None and old[4] == "skipped" and old[5].startswith("identical")
        if was_copy and rel not in duplicates and rel not in to_read:
            to_read.append(rel)
    to_read = sorted((rel for rel in to_read if rel not in duplicates), key=post_sort_key)
    return _Plan(to_read, stat_rows, hashes, duplicates, removed_files, False, old_files)


def _copies(hashes: dict[str, str]) -> dict[str, str]:
    """Copy -> original for byte-identical files: the one whose path sorts first wins.

    Only digests seen twice are sorted: sorting all 25,000 paths by ``post_sort_key`` was
    a tenth of a one-file reindex.
    """
    seen = Counter(hashes.values())
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for rel, digest in hashes.items():
        if seen[digest] > 1:
            groups[digest].append(rel)
    duplicates: dict[str, str] = {}
    for rels in groups.values():
        original, *copies = sorted(rels, key=post_sort_key)
        duplicates.update(dict.fromkeys(copies, original))
    return duplicates


def _settle_batch(
    batch: PreparedBatch,
    plan: _Plan,
    current: dict[str, tuple[int, int]],
    first_of: dict[str, str],
) -> np.ndarray:
    """Record every file of the batch; returns which of its articles enter the index
    (False for a copy of a file met earlier, in a full run)."""
    keep: list[bool] = []
    for f in batch.files:
        size, mtime = current[f.rel]
        digest = plan.hashes.get(f.rel) or f.digest
        original = f.rel
        if digest and plan.dedupe_while_reading:
            original = first_of.setdefault(digest, f.rel)
        if original != f.rel:
            plan.duplicates[f.rel] = original
            reason = f"identical copy of {original}"
            plan.stat_rows[f.rel] = (f.rel, size, mtime, digest, "skipped", reason)
        else:
            status = "indexed" if f.article else "refused" if f.refused else "skipped"
            plan.stat_rows[f.rel] = (f.rel, size, mtime, digest, status, f.refused or f.skipped)
        if f.article is not None:
            keep.append(original == f.rel)
    return np.array(keep, dtype=bool)


def run_reindex(
    db_path: Path,
    content_dir: Path,
    config: IndexConfig,
    *,
    full: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
    lock_wait: float = store.LOCK_WAIT,
) -> ReindexReport:
    """Reindex ``content_dir`` into ``db_path``; returns what changed.

    The whole reindex (scan, plan, write) holds the index's writer lock, so a second
    reindex of the same file waits for this one and then plans from what it committed.
    ``full`` also rebuilds an index file of ours that is damaged.
    """
    started = time.perf_counter()
    content_dir = content_dir.resolve()
    workers = workers or min(2, os.cpu_count() or 1)
    with store.writer_lock(db_path, lock_wait, on_wait):
        try:
            conn = store.connect(db_path)
        except store.DamagedIndex:
            if not full:
                raise
            store.remove_index(db_path)
            conn = store.connect(db_path)
        try:
            return _reindex(conn, db_path, content_dir, config, full, workers, progress, started)
        finally:
            conn.close()


def _reindex(
    conn,
    db_path: Path,
    content_dir: Path,
    config: IndexConfig,
    full: bool,
    workers: int,
    progress: Progress | None,
    started: float,
    attempt: int = 1,
) -> ReindexReport:
    meta = store.read_meta(conn)
    full = (
        full
        or meta.get("fingerprint") != config.fingerprint()
        or meta.get("content_dir") != str(content_dir)
        or "built_at" not in meta
    )
    found = scan(content_dir)
    current = found.posts
    if full:
        plan = _plan_full(found)
        catalog, bm25 = Catalog.empty(), None
    else:
        plan = _plan_incremental(str(content_dir), found, store.read_files(conn), config)
        catalog, bm25 = load_state(conn, config, path=db_path)
    generation = meta.get("generation", "0")
    old_ids = set(catalog.ids)
    removed_words: Counter[str] = Counter()
    leaving_files = set(plan.removed_files) | set(plan.duplicates) | set(plan.to_read)
    leaving = {i for i in old_ids if i in leaving_files}
    if leaving:
        removed_words = _stored_words(conn, sorted(leaving), Analyzer(config.default_language))

    # Everything is written in one transaction: articles as their batches arrive (so
    # bodies never pile up in memory), then the postings and the catalog.
    stream = TermStream(bm25.vocab if bm25 else {})
    added_words = WordCounts()
    new_articles: list[CatalogEntry] = []  # no bodies: they would pile up in memory
    first_of: dict[str, str] = {}
    try:
        conn.execute("BEGIN IMMEDIATE")
        # The writer lock makes this hold; without flock (or with a writer that does not
        # take it) a commit since the plan means the plan is stale: start again.
        if store.read_meta(conn).get("generation", "0") != generation:
            raise StaleIndex()
        if full:
            conn.execute("DELETE FROM articles")
            conn.execute("DELETE FROM files")
        store.write_articles(conn, [], sorted(leaving))
        for batch in prepare_all(content_dir, plan.to_read, config, workers, progress):
            keep = _settle_batch(batch, plan, current, first_of)
            fresh = [a for a, k in zip(batch.articles, keep, strict=True) if k]
            store.write_articles(conn, fresh, ())
            new_articles.extend(map(catalog_entry, fresh))
            stream.add(batch, keep)
            added_words.add(batch, keep)
            del batch, fresh

        keep = np.array([i not in leaving for i in catalog.ids], dtype=bool)
        catalog = catalog.update(keep, new_articles, removed_words, added_words.counter())
        vocab = stream.vocab()
        if bm25 is None:
            bm25 = stream.postings.build(vocab, config.k1, config.b, config.delta)
        else:
            bm25 = bm25.update_postings(keep, stream.postings, vocab)
        del stream

        store.replace_files(conn, plan.changed_rows(), plan.removed_files)
        store.write_blobs(conn, _bm25_blobs(bm25), BM25_PREFIX)
        store.write_blobs(conn, catalog.to_blobs(), CATALOG_PREFIX)
        store.write_meta(
            conn,
            {
                "fingerprint": config.fingerprint(),
                "content_dir": str(content_dir),
                "built_at": datetime.now(UTC).isoformat(),
                "articles": str(len(catalog)),
                "generation": str(int(generation) + 1),
            },
        )
        conn.execute("COMMIT")
    except StaleIndex:
        store.rollback(conn)
        if attempt >= 5:
            raise store.StoreError(
                f"Other writers kept changing the index file {db_path}; try again later."
            ) from None
        return _reindex(
            conn, db_path, content_dir, config, full, workers, progress, started, attempt + 1
        )
    except sqlite3.Error as exc:
        store.rollback(conn)
        raise store.write_error(db_path, exc) from None
    except BaseException:
        store.rollback(conn)
        raise
    fresh_ids = {a.id for a in new_articles}
    added = sorted(fresh_ids - old_ids)
    updated = sorted(fresh_ids & old_ids)
    removed = sorted(leaving - fresh_ids)
    all_refused = [
        Refusal(row[0], row[5]) for row in plan.files_after().values() if row[4] == "refused"
    ]
    skipped = [Refusal(rel, row[5]) for rel, row in plan.stat_rows.items() if row[4] == "skipped"]
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


class StaleIndex(Exception):
    """Another writer committed between this reindex's plan and its write."""


class _Translation:
    """One source's ids -> global ids, extended as its batches bring new strings."""

    def __init__(self) -> None:
        self.table = np.zeros(1024, dtype=np.int32)
        self.size = 0

    def extend(self, global_ids: np.ndarray) -> np.ndarray:
        end = self.size + len(global_ids)
        if end > len(self.table):
            grown = np.zeros(max(end, 2 * len(self.table)), dtype=np.int32)
            grown[: self.size] = self.table[: self.size]
            self.table = grown
        self.table[self.size : end] = global_ids
        self.size = end
        return self.table


class _Numberings:
    """Global numbering of strings that arrive numbered per source (worker)."""

    def __init__(self, known: dict[str, int]) -> None:
        self.ids_of: defaultdict[str, int] = defaultdict(count(len(known)).__next__, known)
        self._sources: dict[str, _Translation] = {}

    def to_global(self, source: str, new: list[str], ids: np.ndarray) -> np.ndarray:
        """``ids`` numbered by ``source`` as global ids; ``new`` continues its numbering."""
        translation = self._sources.setdefault(source, _Translation())
        mapped = np.fromiter(map(self.ids_of.__getitem__, new), np.int32, len(new))
        return translation.extend(mapped)[ids]


def _kept(ids: np.ndarray, lens: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ids and lengths of the documents where ``keep`` is True."""
    if keep.all():
        return ids, lens
    return ids[np.repeat(keep, lens)], lens[keep]


class TermStream:
    """Inverts the batches' tokens as they arrive, as global term ids, so a full index of
    100,000 articles never holds its 80 million tokens at once, as strings or ids."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self._numbering = _Numberings(vocab)
        self.postings = PostingsBuilder()

    def add(self, batch: PreparedBatch, keep: np.ndarray) -> None:
        ids, lens = _kept(batch.term_ids, batch.term_lens, keep)
        ids = self._numbering.to_global(batch.source, batch.new_terms, ids)
        self.postings.add(ids, lens, len(self._numbering.ids_of))

    def vocab(self) -> dict[str, int]:
        return dict(self._numbering.ids_of)


class WordCounts:
    """Surface word -> number of new documents with it, summed batch by batch in numpy."""

    def __init__(self) -> None:
        self._numbering = _Numberings({})
        self._counts = np.zeros(0, dtype=np.int64)

    def add(self, batch: PreparedBatch, keep: np.ndarray) -> None:
        ids, _ = _kept(batch.word_ids, batch.word_lens, keep)
        ids = self._numbering.to_global(batch.source, batch.new_words, ids)
        counts = np.bincount(ids, minlength=len(self._numbering.ids_of))
        counts[: len(self._counts)] += self._counts
        self._counts = counts

    def counter(self) -> Counter[str]:
        counts = self._counts.tolist()
        ids_of = self._numbering.ids_of
        return Counter({w: counts[i] for w, i in ids_of.items() if i < len(counts) and counts[i]})


def _stored_words(conn, ids: list[str], analyzer: Analyzer) -> Counter[str]:
    counts: Counter[str] = Counter()
    for article in store.fetch_articles(conn, ids).values():
        counts.update(article_words(article, analyzer))
    return counts


def _bm25_blobs(bm25: BM25Index) -> dict[str, bytes | memoryview]:
    """The arrays as views of their own memory: ``tobytes`` would copy 500 MB of postings
    at 100,000 articles just to hand them to SQLite."""
    out: dict[str, bytes | memoryview] = {}
    for name, array in bm25.to_arrays().items():
        out[name] = memoryview(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
        out[name + ".dtype"] = array.dtype.str.encode()
    return out


def bm25_from_blobs(blobs: dict[str, bytes], config: IndexConfig) -> BM25Index:
    arrays = {
        name: np.frombuffer(data, dtype=np.dtype(blobs[name + ".dtype"].decode()))
        for name, data in blobs.items()
        if not name.endswith(".dtype")
    }
    return BM25Index.from_arrays(arrays, config.k1, config.b, config.delta)


def load_state(
    conn, config: IndexConfig, *, with_words: bool = True, path: Path | None = None
) -> tuple[Catalog, BM25Index]:
    """The stored index, or an empty one when nothing was indexed yet.

    Every blob comes from one read transaction (the caller's, or one opened here), so a
    reindex committing meanwhile can never pair one generation's catalog with another's
    postings. A blob that cannot be decoded means the file is damaged.
    """
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        cat_blobs = _strip(store.read_blobs(conn, CATALOG_PREFIX), CATALOG_PREFIX)
        bm_blobs = _strip(store.read_blobs(conn, BM25_PREFIX), BM25_PREFIX)
    finally:
        if own:
            conn.execute("COMMIT")
    if not cat_blobs or not bm_blobs:
        return Catalog.empty(), BM25Index.build([], config.k1, config.b, config.delta)
    try:
        catalog = Catalog.from_blobs(cat_blobs, with_words=with_words)
        bm25 = bm25_from_blobs(bm_blobs, config)
        if len(catalog) != bm25.n_docs:
            raise ValueError(f"{len(catalog)} catalog rows for {bm25.n_docs} documents")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise store.DamagedIndex(path or Path("the index"), _why(exc)) from None
    return catalog, bm25


def _why(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def _strip(blobs: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    return {name.removeprefix(prefix): data for name, data in blobs.items()}
