"""One committed generation of the index: the list of segments and their deleted
documents (meta and blobs in the index file), and each segment's postings and catalog
rows (segment files beside it, memory-mapped).

The commit point is the SQLite transaction that writes ``meta.generation`` and
``meta.segments``: segment files are written whole before it and never changed after, so
a reader that read one generation's meta finds that generation's files, and a reindex
killed at any moment leaves the last committed generation as it was (its own new files
are orphans, removed by the next reindex).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from articlebot.index.config import IndexConfig
from articlebot.index.errors import DamagedIndex
from articlebot.index.ranking.bm25 import BM25Index
from articlebot.index.ranking.catalog import Catalog
from articlebot.index.ranking.pieces import CatalogPiece, assemble
from articlebot.index.ranking.segment import NO_DELETIONS, Deletions, Segment
from articlebot.index.ranking.segments import SegmentedIndex
from articlebot.index.storage import segfile, tables

BM25_PREFIX = "bm25:"  # the postings as blobs, before segment files (INDEX_FORMAT < 8)


CATALOG_PREFIX = "catalog:"  # the whole catalog as blobs, before it was in segments (< 9)


DROPPED_PREFIX = "dropped:"  # dropped:<segment>:words|counts, surface words of its deletions


SEGMENT_PREFIX = "segment:"  # segment:<name>:docs|terms|counts, its deletions


SEGMENTS_KEY = "segments"  # meta: JSON list of the generation's segment names, oldest first


_ATTEMPTS = 3  # reads of the meta when a segment file vanished (two commits meanwhile)


def segment_names(meta: dict[str, str]) -> list[str]:
    return list(json.loads(meta.get(SEGMENTS_KEY) or "[]"))


@dataclass(frozen=True)
class Stored:
    """What a reindex starts from: the committed segments, the catalog piece of each and
    the surface words of each one's deleted documents. Nothing is assembled: a change
    touches the pieces of the segments it touches."""

    index: SegmentedIndex
    pieces: tuple[CatalogPiece, ...] = ()
    dropped: tuple[Counter[str], ...] = ()
    _alive: dict[int, object] = field(default_factory=dict, repr=False, compare=False)

    def locate(self, article_id: str) -> tuple[int, int] | None:
        """(segment, local doc) of the live document with this id, or None."""
        for i, piece in enumerate(self.pieces):
            rows = self.index.rows[i]
            if rows is not None and i not in self._alive:
                self._alive[i] = rows >= 0
            doc = piece.find(article_id, self._alive.get(i))
            if doc is not None:
                return i, doc
        return None

    def row(self, segment: int, doc: int) -> int:
        rows = self.index.rows[segment]
        return int(rows[doc]) if rows is not None else self.index.bases[segment] + doc


def load_generation(
    conn, config: IndexConfig, *, with_words: bool = True, path: Path | None = None
) -> tuple[dict[str, str], Catalog, SegmentedIndex]:
    """The committed generation's meta, catalog and postings, or an empty index when
    nothing was indexed yet (see ``load_stored``)."""
    meta, stored, legacy = _load(conn, config, path or _db_path(conn))
    if legacy is not None:
        catalog = legacy
        if not with_words:
            catalog.words = Counter()
    else:
        catalog = assemble(stored.pieces, [d.docs for d in stored.index.deletions])
        if with_words:
            catalog.words = word_counts(stored)
    if len(catalog) != stored.index.n_docs:
        why = f"{len(catalog)} catalog rows for {stored.index.n_docs} documents"
        raise DamagedIndex(path or _db_path(conn), why)
    return meta, catalog, stored.index


def load_stored(conn, config: IndexConfig, *, path: Path | None = None) -> Stored:
    """The committed generation as a reindex changes it (see ``Stored``). An index whose
    catalog is not in its segments is read by a full reindex only (its format differs)."""
    _, stored, legacy = _load(conn, config, path or _db_path(conn))
    if legacy is not None:
        raise DamagedIndex(path or _db_path(conn), "the catalog is not in the segment files")
    return stored


def load_words(conn, config: IndexConfig, *, path: Path | None = None) -> Counter[str]:
    """Surface word -> live documents with it, of the committed generation."""
    _, stored, legacy = _load(conn, config, path or _db_path(conn))
    return legacy.words if legacy is not None else word_counts(stored)


def word_counts(stored: Stored) -> Counter[str]:
    """Surface word -> live documents with it: the pieces' counts minus their deletions'."""
    words: Counter[str] = Counter()
    for piece in stored.pieces:
        words.update(piece.words())
    for gone in stored.dropped:
        words.subtract(gone)
    return Counter({w: c for w, c in words.items() if c > 0})


def _load(conn, config: IndexConfig, path: Path) -> tuple[dict[str, str], Stored, Catalog | None]:
    """Meta and blobs come from one read transaction (the caller's, or one opened here), so a
    reindex committing meanwhile can never pair one generation's deletions with another's
    segments. Segment files are mapped right after: a file is only deleted two commits
    after it left the index, and if that happened meanwhile the read starts again (in a
    transaction of its own). Anything that cannot be decoded means the index is damaged.
    The third value is the whole catalog of an index written before it moved into the
    segments (None otherwise)."""
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
            dropped_blobs = _strip(tables.read_blobs(conn, DROPPED_PREFIX), DROPPED_PREFIX)
        finally:
            if own:
                conn.execute("COMMIT")
        empty = Stored(SegmentedIndex.empty(config.k1, config.b, config.delta))
        if (legacy and not (cat_blobs and other_blobs)) or not (cat_blobs or segment_names(meta)):
            return meta, empty, None
        try:
            if legacy:
                index = SegmentedIndex.of(_legacy_bm25(other_blobs, config), "legacy")
                stored, pieces = Stored(index), None
            else:
                stored, pieces = _open_segments(path, segment_names(meta), other_blobs, config)
                stored = Stored(
                    stored.index, pieces, _dropped(dropped_blobs, segment_names(meta))
                ) if all(p is not None for p in pieces) else stored  # fmt: skip
        except FileNotFoundError as exc:
            if own and attempt < _ATTEMPTS:
                continue  # replaced by a newer generation: read that one
            missing = Path(str(exc.filename)).name
            raise DamagedIndex(path, f"segment file {missing} is missing") from None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, OSError) as exc:
            raise DamagedIndex(path, _why(exc)) from None
        if cat_blobs:
            try:
                return meta, stored, Catalog.from_blobs(cat_blobs)
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                raise DamagedIndex(path, _why(exc)) from None
        if not stored.pieces and stored.index.segments:
            raise DamagedIndex(path, "the segment files hold no catalog")
        return meta, stored, None
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
) -> tuple[Stored, list[CatalogPiece | None]]:
    """The segments (postings and catalog piece of each, from one mapping of its file)."""
    segments, pieces = [], []
    for name in names:
        arrays = segfile.read(segfile.segment_path(db_path, name))
        segments.append(Segment.from_arrays(name, arrays))
        pieces.append(CatalogPiece.from_arrays(arrays))
        if pieces[-1] is not None and pieces[-1].n_docs != segments[-1].n_docs:
            raise ValueError(f"segment {name} has a catalog of {pieces[-1].n_docs} rows")
    deletions = tuple(_deletions(blobs, name) for name in names)
    index = SegmentedIndex(tuple(segments), deletions, config.k1, config.b, config.delta)
    return Stored(index), pieces


def _dropped(blobs: dict[str, bytes], names: list[str]) -> tuple[Counter[str], ...]:
    out = []
    for name in names:
        raw = blobs.get(f"{name}:words", b"").decode()
        counts = np.frombuffer(blobs.get(f"{name}:counts", b""), dtype=np.int64).tolist()
        out.append(Counter(dict(zip(raw.split("\n") if counts else [], counts, strict=True))))
    return tuple(out)


def dropped_blobs(index: SegmentedIndex, dropped: tuple[Counter[str], ...]) -> dict[str, bytes]:
    """The surface words of each segment's deleted documents, as blobs (no prefix)."""
    out: dict[str, bytes] = {}
    for seg, words in zip(index.segments, dropped, strict=True):
        words = Counter({w: c for w, c in words.items() if c})
        if words:
            out[f"{seg.name}:words"] = "\n".join(words).encode()
            out[f"{seg.name}:counts"] = np.fromiter(words.values(), np.int64, len(words)).tobytes()
    return out


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
