"""Bring the stored index in line with the content folder, reading only what changed.

Runs synchronously (in the CLI, or in a worker process for the bot). The whole run holds
the writer lock, and every write happens in one transaction at the end, so a crash or
kill mid-way leaves the last good index intact and readers see the old index until the
new one is committed. Postings go to a new small segment file (storage/segwrite.py) and
removed documents to a deletion list, so a one-file change costs about the same at any
index size.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from articlebot.index.config import IndexConfig
from articlebot.index.errors import DamagedIndex, StoreError
from articlebot.index.posts.article import Refusal
from articlebot.index.ranking.catalog import catalog_entry
from articlebot.index.ranking.pieces import CatalogRows
from articlebot.index.results import ReindexReport
from articlebot.index.storage import database, segfile, tables
from articlebot.index.storage.blobs import (
    BM25_PREFIX,
    CATALOG_PREFIX,
    DROPPED_PREFIX,
    SEGMENT_PREFIX,
    SEGMENTS_KEY,
    Stored,
    deletion_blobs,
    dropped_blobs,
    load_stored,
    segment_names,
)
from articlebot.index.storage.merge import TermStream, WordCounts
from articlebot.index.storage.plan import (
    given_rels,
    plan_full,
    plan_given,
    plan_incremental,
    scan,
    settle_batch,
)
from articlebot.index.storage.segwrite import next_index
from articlebot.index.storage.spill import Spill
from articlebot.index.storage.workers import Progress, prepare_all
from articlebot.index.text.analysis import Analyzer
from articlebot.index.text.fields import document_tokens, document_words


def run_reindex(
    db_path: Path,
    content_dir: Path,
    config: IndexConfig,
    *,
    full: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
    lock_wait: float = database.LOCK_WAIT,
    paths: list[str | Path] | None = None,
) -> ReindexReport:
    """Reindex ``content_dir`` into ``db_path``; returns what changed.

    ``paths`` (relative to the folder, or absolute inside it) names the posts that
    changed: only those are looked at (a missing one is removed), with the same result as
    a whole-folder reindex of the same change. None scans the whole folder; so does a
    full run, and a list naming a folder (see ``plan.given_rels``).

    The whole reindex (scan, plan, write) holds the index's writer lock, so a second
    reindex of the same file waits for this one and then plans from what it committed.
    ``full`` also rebuilds an index file of ours that is damaged.
    """
    started = time.perf_counter()
    content_dir = content_dir.resolve()
    rels = None if full or paths is None else given_rels(content_dir, paths)
    workers = workers or min(2, os.cpu_count() or 1)
    with database.writer_lock(db_path, lock_wait, on_wait):
        try:
            conn = database.connect(db_path)
        except DamagedIndex:
            if not full:
                raise
            database.remove_index(db_path)
            conn = database.connect(db_path)
        try:
            return _reindex(
                conn, db_path, content_dir, config, full, workers, progress, started, rels=rels
            )
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
    rels: list[str] | None = None,
) -> ReindexReport:
    meta = tables.read_meta(conn)
    full = (
        full
        or meta.get("fingerprint") != config.fingerprint()
        or meta.get("content_dir") != str(content_dir)
        or "built_at" not in meta
    )
    if full:
        found = scan(content_dir)
        plan = plan_full(found)
        stored = Stored()
    elif rels is not None:
        if not content_dir.is_dir():
            scan(content_dir)  # raises the same ContentError as a whole-folder run
        found, plan = plan_given(str(content_dir), rels, conn, config)
        stored = load_stored(conn, config, path=db_path)
    else:
        found = scan(content_dir)
        plan = plan_incremental(str(content_dir), found, tables.read_files(conn), config)
        stored = load_stored(conn, config, path=db_path)
    current = found.posts
    generation = meta.get("generation", "0")
    before = segment_names(meta)  # kept on disk for readers still opening them
    # The live documents that leave (removed, now copies, or read again): looked up in
    # the segments' catalog pieces, never by loading the whole catalog.
    leaving_files = set(plan.removed_files) | set(plan.duplicates) | set(plan.to_read)
    located = stored.locate(leaving_files)
    leaving = set(located)
    leaving_words: dict[str, Counter[str]] = {}
    leaving_terms: dict[str, set[str]] = {}
    if leaving:
        analyzer = Analyzer(config.default_language, config.bridge_spellings)
        leaving_words, leaving_terms = _stored_words(conn, sorted(leaving), analyzer, config)

    # Everything is written in one transaction: articles as their batches arrive (so
    # bodies never pile up in memory), then the segment list and the deletions. New segment
    # files (postings and catalog rows) are written whole before the commit that makes
    # them the index.
    stream = TermStream({}, db_path)  # the new segment numbers its own terms
    added_words = WordCounts()
    new_rows = CatalogRows(Spill(db_path))  # no bodies, nor an object per row
    first_of: dict[bytes, int] = {}  # digest -> where in plan.to_read it was first met
    try:
        conn.execute("BEGIN IMMEDIATE")
        # The writer lock makes this hold; without flock (or with a writer that does not
        # take it) a commit since the plan means the plan is stale: start again.
        if tables.read_meta(conn).get("generation", "0") != generation:
            raise StaleIndex()
        files_indexes: list[str] = []
        if full:
            files_indexes = tables.drop_indexes(conn, "files")  # made again before COMMIT
            conn.execute("DELETE FROM articles")
            conn.execute("DELETE FROM files")
            tables.write_blobs(conn, {}, BM25_PREFIX)  # postings as blobs: an old format
            tables.write_blobs(conn, {}, CATALOG_PREFIX)  # the whole catalog: an old format
        tables.write_articles(conn, [], sorted(leaving))
        settled = 0
        for batch in prepare_all(content_dir, plan.to_read, config, workers, progress):
            keep, indexed = settle_batch(batch, plan, current, first_of, settled)
            settled += len(batch.files)
            tables.replace_files(conn, indexed, ())
            fresh = [a for a, k in zip(batch.articles, keep, strict=True) if k]
            tables.write_articles(conn, fresh, ())
            new_rows.add(map(catalog_entry, fresh))
            stream.add(batch, keep)
            added_words.add(batch, keep)
            del batch, fresh

        gone = [(*at, rel) for rel, at in located.items()]
        piece = new_rows.piece(added_words.counter()) if len(new_rows) else None
        next_generation = int(generation) + 1
        read = stored.blobs  # the committed blobs: only changed ones are written
        stored = next_index(
            stored,
            gone,
            leaving_terms,
            leaving_words,
            stream,
            piece,
            next_generation,
            db_path,
            config.k1,
            config.b,
        )
        stream.close()  # the new segment is written: its numbering and files can go
        total = stored.n_docs

        tables.replace_files(conn, plan.changed_rows(), plan.removed_files)
        tables.create_indexes(conn, files_indexes)
        for prefix, blobs in ((SEGMENT_PREFIX, deletion_blobs), (DROPPED_PREFIX, dropped_blobs)):
            tables.write_blobs(conn, blobs(stored), prefix, read.get(prefix))
        names = [ref.name for ref in stored.refs]
        tables.write_meta(
            conn,
            {
                "fingerprint": config.fingerprint(),
                "content_dir": str(content_dir),
                "built_at": datetime.now(UTC).isoformat(),
                "articles": str(total),
                SEGMENTS_KEY: json.dumps(names),
                "generation": str(next_generation),
            },
        )
        conn.execute("COMMIT")
    except StaleIndex:
        database.rollback(conn)
        if attempt >= 5:
            raise StoreError(
                f"Other writers kept changing the index file {db_path}; try again later."
            ) from None
        return _reindex(
            conn, db_path, content_dir, config, full, workers, progress, started, attempt + 1, rels
        )
    except sqlite3.Error as exc:
        database.rollback(conn)
        raise database.write_error(db_path, exc) from None
    except BaseException:
        database.rollback(conn)
        raise
    finally:
        stream.close()
        new_rows.close()
    # Committed: files of neither this generation nor the previous one can go (a reader
    # that read the previous meta may be about to map them; mapped files outlive this).
    segfile.remove_except(db_path, names + before)
    fresh_ids = set(piece.ids()) if piece is not None else set()
    added = sorted(fresh_ids - leaving)  # a live article read again was among the leaving
    updated = sorted(fresh_ids & leaving)
    removed = sorted(leaving - fresh_ids)
    all_refused = [Refusal(path, reason) for path, reason in tables.refused_files(conn)]
    skipped = [
        Refusal(rel, row.reason) for rel, row in plan.stat_rows.items() if row.status == "skipped"
    ]
    return ReindexReport(
        added=tuple(added),
        updated=tuple(updated),
        removed=tuple(removed),
        refused=tuple(sorted(all_refused, key=lambda r: r.path)),
        skipped=tuple(sorted(skipped, key=lambda r: r.path)),
        unchanged=total - len(added) - len(updated),
        total=total,
        seconds=time.perf_counter() - started,
        full=full,
    )


class StaleIndex(Exception):
    """Another writer committed between this reindex's plan and its write."""


def _stored_words(
    conn, ids: list[str], analyzer: Analyzer, config: IndexConfig
) -> tuple[dict[str, Counter[str]], dict[str, set[str]]]:
    """Each stored article's surface words and distinct BM25 terms, of articles that
    leave the index: what the deletions of their segments subtract."""
    words: dict[str, Counter[str]] = {}
    terms: dict[str, set[str]] = {}
    for article in tables.fetch_articles(conn, ids).values():
        words[article.id] = Counter(document_words(article, analyzer))
        terms[article.id] = set(document_tokens(article, analyzer, config))
    return words, terms
