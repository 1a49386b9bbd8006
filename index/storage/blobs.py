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
from collections.abc import Iterable, Mapping
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


LOOK_UPS = 500  # ids looked up one by one; more are found through one dict of every id


_ATTEMPTS = 3  # reads of the meta when a segment file vanished (two commits meanwhile)


def segment_names(meta: dict[str, str]) -> list[str]:
    return list(json.loads(meta.get(SEGMENTS_KEY) or "[]"))


@dataclass(frozen=True, eq=False)
class SegmentRef:
    """A committed segment as a reindex sees it: its file mapped, its deletions, catalog
    piece and the surface words of its deleted documents. Its postings (and vocabulary)
    are built only when it is merged: a one-file change never touches the large ones."""

    name: str
    arrays: Mapping[str, np.ndarray]  # the file's arrays, mapped (or the new segment's)
    piece: CatalogPiece
    deletions: Deletions = NO_DELETIONS
    dropped: Counter[str] = field(default_factory=Counter)
    postings: Segment | None = None  # made in this reindex, or the segment once built

    @property
    def n_docs(self) -> int:
        return self.piece.n_docs

    @property
    def live(self) -> int:
        return self.n_docs - len(self.deletions)

    def segment(self) -> Segment:
        return self.postings or Segment.from_arrays(self.name, self.arrays)

    @property
    def alive(self) -> np.ndarray | None:
        return self.deletions.alive(self.n_docs)


@dataclass(frozen=True)
class Stored:
    """What a reindex starts from: the committed segments (see ``SegmentRef``). Nothing is
    assembled: a change touches the pieces of the segments it touches."""

    refs: tuple[SegmentRef, ...] = ()
    blobs: Mapping[str, Mapping[str, bytes]] = field(default_factory=dict)  # as read, by prefix

    @property
    def n_docs(self) -> int:
        return sum(ref.live for ref in self.refs)

    def locate(self, ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(segment, local doc) of each live document among ``ids``. A few are looked up
        by bisection in each piece's stored order; many (a large change) through one
        dict of every live id."""
        ids = list(ids)
        found: dict[str, tuple[int, int]] = {}
        if len(ids) > LOOK_UPS:
            every: dict[str, tuple[int, int]] = {}
            for i, ref in enumerate(self.refs):
                data, _ = ref.piece.strings("ids")
                alive = ref.alive
                live = range(ref.n_docs) if alive is None else np.flatnonzero(alive).tolist()
                names = str(data, "utf-8").split("\n") if ref.n_docs else []
                every.update((names[doc], (i, doc)) for doc in live)
            return {key: every[key] for key in ids if key in every}
        for key in ids:
            for i, ref in enumerate(self.refs):
                doc = ref.piece.find(key, ref.alive)
                if doc is not None:
                    found[key] = (i, doc)
                    break
        return found

    def index(
        self, config: IndexConfig, known: Mapping[str, Segment] | None = None
    ) -> SegmentedIndex:
        """The ranking view (every segment's postings and vocabulary built, or taken from
        ``known``)."""
        known = known or {}
        segments = tuple(known.get(ref.name) or ref.segment() for ref in self.refs)
        for seg, ref in zip(segments, self.refs, strict=True):
            if seg.n_docs != ref.n_docs:
                raise ValueError(f"segment {ref.name} has a catalog of {ref.n_docs} rows")
        deletions = tuple(ref.deletions for ref in self.refs)
        return SegmentedIndex(segments, deletions, config.k1, config.b, config.delta)


def load_generation(
    conn,
    config: IndexConfig,
    *,
    with_words: bool = True,
    path: Path | None = None,
    known: Mapping[str, Segment] | None = None,
) -> tuple[dict[str, str], Catalog, SegmentedIndex]:
    """The committed generation's meta, catalog and postings, or an empty index when
    nothing was indexed yet (see ``load_stored``). Segments in ``known`` (by name, opened
    from the same files before) are used as they are."""
    path = path or _db_path(conn)
    meta, stored, legacy = _load(conn, config, path)
    try:
        if legacy is not None:
            catalog, index = legacy
            if not with_words:
                catalog.words = Counter()
        else:
            index = stored.index(config, known)
            refs = stored.refs
            catalog = assemble([r.piece for r in refs], [r.deletions for r in refs])
            if with_words:
                catalog.words = word_counts(stored)
        if len(catalog) != index.n_docs:
            raise ValueError(f"{len(catalog)} catalog rows for {index.n_docs} documents")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise DamagedIndex(path, _why(exc)) from None
    return meta, catalog, index


def load_stored(conn, config: IndexConfig, *, path: Path | None = None) -> Stored:
    """The committed generation as a reindex changes it (see ``Stored``). An index whose
    catalog is not in its segments is read by a full reindex only (its format differs)."""
    path = path or _db_path(conn)
    _, stored, legacy = _load(conn, config, path)
    if legacy is not None:
        raise DamagedIndex(path, "the catalog is not in the segment files")
    return stored


def load_words(conn, config: IndexConfig, *, path: Path | None = None) -> Counter[str]:
    """Surface word -> live documents with it, of the committed generation."""
    _, stored, legacy = _load(conn, config, path or _db_path(conn))
    return legacy[0].words if legacy is not None else word_counts(stored)


def word_counts(stored: Stored) -> Counter[str]:
    """Surface word -> live documents with it: the pieces' counts minus their deletions'."""
    words: Counter[str] = Counter()
    for ref in stored.refs:
        words.update(ref.piece.words())
    for ref in stored.refs:
        words.subtract(ref.dropped)
    return Counter({w: c for w, c in words.items() if c > 0})


def _load(
    conn, config: IndexConfig, path: Path
) -> tuple[dict[str, str], Stored, tuple[Catalog, SegmentedIndex] | None]:
    """Meta and blobs come from one read transaction (the caller's, or one opened here), so
    a reindex committing meanwhile can never pair one generation's deletions with another's
    segments. Segment files are mapped right after: a file is only deleted two commits
    after it left the index, and if that happened meanwhile the read starts again (in a
    transaction of its own). Anything that cannot be decoded means the index is damaged.
    The third value is the catalog and postings of an index written before the catalog
    moved into the segments (None otherwise)."""
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
        names = segment_names(meta)
        if (legacy and not (cat_blobs and other_blobs)) or not (cat_blobs or names):
            return meta, Stored(), None
        try:
            if legacy:
                index = SegmentedIndex.of(_legacy_bm25(other_blobs, config), "legacy")
                return meta, Stored(), (Catalog.from_blobs(cat_blobs), index)
            if cat_blobs:  # the catalog as blobs (INDEX_FORMAT 8), the postings in files
                segments = tuple(open_segment(path, name) for name in names)
                dels = tuple(_deletions(other_blobs, name) for name in names)
                old = SegmentedIndex(segments, dels, config.k1, config.b, config.delta)
                return meta, Stored(), (Catalog.from_blobs(cat_blobs), old)
            refs = tuple(_ref(path, name, other_blobs, dropped_blobs) for name in names)
        except FileNotFoundError as exc:
            if own and attempt < _ATTEMPTS:
                continue  # replaced by a newer generation: read that one
            missing = Path(str(exc.filename)).name
            raise DamagedIndex(path, f"segment file {missing} is missing") from None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, OSError) as exc:
            raise DamagedIndex(path, _why(exc)) from None
        read = {SEGMENT_PREFIX: other_blobs, DROPPED_PREFIX: dropped_blobs}
        return meta, Stored(refs, read), None
    raise AssertionError("unreachable")


def load_state(
    conn, config: IndexConfig, *, with_words: bool = True, path: Path | None = None
) -> tuple[Catalog, SegmentedIndex]:
    """The stored catalog and postings (``load_generation`` without the meta)."""
    _, catalog, index = load_generation(conn, config, with_words=with_words, path=path)
    return catalog, index


def open_segment(db_path: Path, name: str) -> Segment:
    return Segment.from_arrays(name, segfile.read(segfile.segment_path(db_path, name)))


def _ref(
    db_path: Path, name: str, deletion_blobs: dict[str, bytes], dropped_blobs: dict[str, bytes]
) -> SegmentRef:
    """A segment of the generation: its file mapped, its blobs decoded."""
    arrays = segfile.read(segfile.segment_path(db_path, name))
    piece = CatalogPiece.from_arrays(arrays)
    deletions = _deletions(deletion_blobs, name)
    if piece is None:
        raise ValueError(f"segment {name} holds no catalog")
    if len(deletions) and int(deletions.docs[-1]) >= piece.n_docs:
        raise ValueError(f"segment {name} deletes documents it does not hold")
    raw = dropped_blobs.get(f"{name}:words", b"").decode()
    counts = np.frombuffer(dropped_blobs.get(f"{name}:counts", b""), dtype=np.int64).tolist()
    dropped = Counter(dict(zip(raw.split("\n") if counts else [], counts, strict=True)))
    return SegmentRef(name, arrays, piece, deletions, dropped)


def dropped_blobs(stored: Stored) -> dict[str, bytes]:
    """The surface words of each segment's deleted documents, as blobs (no prefix)."""
    out: dict[str, bytes] = {}
    for ref in stored.refs:
        words = Counter({w: c for w, c in ref.dropped.items() if c})
        if words:
            out[f"{ref.name}:words"] = "\n".join(words).encode()
            out[f"{ref.name}:counts"] = np.fromiter(words.values(), np.int64, len(words)).tobytes()
    return out


def _deletions(blobs: dict[str, bytes], name: str) -> Deletions:
    prefix = f"{name}:"
    own = {k.removeprefix(prefix): v for k, v in blobs.items() if k.startswith(prefix)}
    return Deletions.from_blobs(own) if own else NO_DELETIONS


def deletion_blobs(stored: Stored) -> dict[str, bytes]:
    """The deletions of every segment that has some, as blobs (without the prefix)."""
    out: dict[str, bytes] = {}
    for ref in stored.refs:
        if len(ref.deletions):
            out.update({f"{ref.name}:{k}": data for k, data in ref.deletions.to_blobs().items()})
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
