"""One committed generation of the index: the catalog (blobs in the index file), the list
of segments and their deleted documents (meta and blobs, in the same file) and the
postings (segment files beside it, memory-mapped).

The commit point is the SQLite transaction that writes ``meta.generation`` and
``meta.segments``: segment files are written whole before it and never changed after, so
a reader that read one generation's meta finds that generation's files, and a reindex
killed at any moment leaves the last committed generation as it was (its own new files
are orphans, removed by the next reindex).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from articlebot.index.config import IndexConfig
from articlebot.index.errors import DamagedIndex
from articlebot.index.ranking.bm25 import BM25Index
from articlebot.index.ranking.catalog import Catalog
from articlebot.index.ranking.segment import NO_DELETIONS, Deletions, Segment
from articlebot.index.ranking.segments import SegmentedIndex
from articlebot.index.storage import segfile, tables

BM25_PREFIX = "bm25:"  # the postings as blobs, before segment files (INDEX_FORMAT < 8)


CATALOG_PREFIX = "catalog:"


SEGMENT_PREFIX = "segment:"  # segment:<name>:docs|terms|counts, its deletions


SEGMENTS_KEY = "segments"  # meta: JSON list of the generation's segment names, oldest first


_ATTEMPTS = 3  # reads of the meta when a segment file vanished (two commits meanwhile)


def segment_names(meta: dict[str, str]) -> list[str]:
    return list(json.loads(meta.get(SEGMENTS_KEY) or "[]"))


def load_generation(
    conn, config: IndexConfig, *, with_words: bool = True, path: Path | None = None
) -> tuple[dict[str, str], Catalog, SegmentedIndex]:
    """The committed generation's meta, catalog and postings, or an empty index when
    nothing was indexed yet.

    Meta and blobs come from one read transaction (the caller's, or one opened here), so a
    reindex committing meanwhile can never pair one generation's catalog with another's
    postings. Segment files are mapped right after: a file is only deleted two commits
    after it left the index, and if that happened meanwhile the read starts again (in a
    transaction of its own). Anything that cannot be decoded means the index is damaged.
    """
    path = path or _db_path(conn)
    for attempt in range(1, _ATTEMPTS + 1):
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            meta = tables.read_meta(conn)
            cat_blobs = _strip(tables.read_blobs(conn, CATALOG_PREFIX), CATALOG_PREFIX)
            legacy = SEGMENTS_KEY not in meta
            prefix = BM25_PREFIX if legacy else SEGMENT_PREFIX
            other_blobs = _strip(tables.read_blobs(conn, prefix), prefix)
        finally:
            if own:
                conn.execute("COMMIT")
        empty = SegmentedIndex.empty(config.k1, config.b, config.delta)
        if not cat_blobs or (legacy and not other_blobs):
            return meta, Catalog.empty(), empty
        try:
            if legacy:
                index = SegmentedIndex.of(_legacy_bm25(other_blobs, config), "legacy")
            else:
                index = _open_segments(path, segment_names(meta), other_blobs, config)
        except FileNotFoundError as exc:
            if own and attempt < _ATTEMPTS:
                continue  # replaced by a newer generation: read that one
            missing = Path(str(exc.filename)).name
            raise DamagedIndex(path, f"segment file {missing} is missing") from None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, OSError) as exc:
            raise DamagedIndex(path, _why(exc)) from None
        try:
            catalog = Catalog.from_blobs(cat_blobs, with_words=with_words)
            if len(catalog) != index.n_docs:
                raise ValueError(f"{len(catalog)} catalog rows for {index.n_docs} documents")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise DamagedIndex(path, _why(exc)) from None
        return meta, catalog, index
    raise AssertionError("unreachable")


def load_state(
    conn, config: IndexConfig, *, with_words: bool = True, path: Path | None = None
) -> tuple[Catalog, SegmentedIndex]:
    """The stored catalog and postings (``load_generation`` without the meta)."""
    _, catalog, index = load_generation(conn, config, with_words=with_words, path=path)
    return catalog, index


def open_segment(db_path: Path, name: str) -> Segment:
    return Segment.from_arrays(name, segfile.read(segfile.segment_path(db_path, name)))


def _open_segments(
    db_path: Path, names: list[str], blobs: dict[str, bytes], config: IndexConfig
) -> SegmentedIndex:
    segments = tuple(open_segment(db_path, name) for name in names)
    deletions = tuple(_deletions(blobs, name) for name in names)
    return SegmentedIndex(segments, deletions, config.k1, config.b, config.delta)


def _deletions(blobs: dict[str, bytes], name: str) -> Deletions:
    prefix = f"{name}:"
    own = {k.removeprefix(prefix): v for k, v in blobs.items() if k.startswith(prefix)}
    return Deletions.from_blobs(own) if own else NO_DELETIONS


def deletion_blobs(index: SegmentedIndex) -> dict[str, bytes]:
    """The deletions of every segment that has some, as blobs (without the prefix)."""
    out: dict[str, bytes] = {}
    for seg, dels in zip(index.segments, index.deletions, strict=True):
        if len(dels):
            out.update({f"{seg.name}:{key}": data for key, data in dels.to_blobs().items()})
    return out


def _legacy_bm25(blobs: dict[str, bytes], config: IndexConfig) -> BM25Index:
    arrays = {
        name: np.frombuffer(data, dtype=np.dtype(blobs[name + ".dtype"].decode()))
        for name, data in blobs.items()
        if not name.endswith(".dtype")
    }
    return BM25Index.from_arrays(arrays, config.k1, config.b, config.delta)


def _db_path(conn) -> Path:
    """The file of the connection's main database."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return Path(file)
    raise ValueError("the connection has no main database")


def _why(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def _strip(blobs: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    return {name.removeprefix(prefix): data for name, data in blobs.items()}
