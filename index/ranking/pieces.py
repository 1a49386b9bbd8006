"""The catalog in pieces, one per segment and stored in its file: a reindex writes the
rows of the documents it read with their postings, and never rewrites the catalog of the
rest of the index.

A piece holds its segment's documents in local order, deleted ones included (the
segment's deletions say which are gone, exactly as for the postings); merging segments
merges their pieces. The catalog a searcher uses is assembled from the pieces of a
generation with numpy (concatenations and cuts, no per-row Python objects), and the
look-ups that were sorted or grouped per row at open (ids, slugs, title words) are
stored sorted in each piece.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from articlebot.index.ranking.catalog import NO_DATE, Catalog, CatalogEntry, newest_keys
from articlebot.index.ranking.columns import (
    ROW_SEP,
    Labels,
    StringColumn,
    TitleIndex,
    _offsets,
    clean_field,
    sorted_order,
)
from articlebot.index.ranking.postings import Chunks, HeldChunks
from articlebot.index.ranking.segment import Deletions

PREFIX = "cat."  # the pieces' arrays among a segment file's


def _text(values: Sequence[str]) -> np.ndarray:
    return np.frombuffer(ROW_SEP.join(values).encode(), dtype=np.uint8)


def _lines(array: np.ndarray, count: int) -> list[str]:
    return array.tobytes().decode().split(ROW_SEP) if count else []


def _packed(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings joined by newlines, and the start of each (one longer: row ``i`` ends one
    byte before ``starts[i + 1]``)."""
    encoded = [v.encode() for v in values]
    lens = np.fromiter((len(e) + 1 for e in encoded), np.int64, len(encoded))
    starts = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    return np.frombuffer(ROW_SEP.encode().join(encoded), dtype=np.uint8), starts


class CatalogRows:
    """The catalog rows of a reindex's new documents, gathered batch by batch in compact
    form: strings as UTF-8 bytes, labels as codes, one record of arrays per batch.

    A reindex keeps the records in a temporary file beside the index (``records``, a
    ``storage.spill.Spill``), read back once when the piece is made: held in memory they
    were ~400 bytes a post, ~120 MB of a 300k-post build's peak while the workers ran.
    A full index of 100,000 posts once held a ``CatalogEntry`` each (~60 MB more).
    """

    _TEXT = ("ids", "titles", "slugs")
    _LABELS = ("categories", "tags", "authors", "languages")

    def __init__(self, records: Chunks | None = None) -> None:
        self._n = 0
        self._records = records if records is not None else HeldChunks()
        self._code_of: dict[str, dict[str, int]] = {k: {} for k in self._LABELS}

    def __len__(self) -> int:
        return self._n

    def add(self, entries: Iterable[CatalogEntry]) -> None:
        """One record: each text column's bytes and lengths, each label column's codes
        and counts per row, the dates."""
        entries = list(entries)
        arrays: list[np.ndarray] = []
        for values in (
            [e.id for e in entries],
            [clean_field(e.title) for e in entries],
            [clean_field(e.slug) for e in entries],
        ):
            encoded = [v.encode() for v in values]
            arrays.append(np.frombuffer(b"".join(encoded), dtype=np.uint8))
            arrays.append(np.fromiter(map(len, encoded), np.int32, len(encoded)))
        for key, rows in (
            ("categories", [tuple(clean_field(c) for c in e.categories) for e in entries]),
            ("tags", [tuple(clean_field(t) for t in e.tags) for e in entries]),
            ("authors", [(clean_field(e.author),) for e in entries]),
            ("languages", [(e.language,) for e in entries]),
        ):
            code = self._code_of[key].setdefault
            codes = [code(v, len(self._code_of[key])) for row in rows for v in row]
            arrays.append(np.array(codes, dtype=np.int32))
            arrays.append(np.fromiter(map(len, rows), np.int32, len(rows)))
        arrays.append(
            np.array([e.date.timestamp() if e.date else NO_DATE for e in entries], np.float64)
        )
        self._records.append(*arrays)
        self._n += len(entries)

    def piece(self, words: Mapping[str, int]) -> CatalogPiece:
        """The piece of these rows, in the order they were added, with ``words``. The
        records are read once and let go of: call it once."""
        texts: list[list[str]] = [[] for _ in self._TEXT]
        codes: list[list[np.ndarray]] = [[] for _ in self._LABELS]
        counts: list[list[np.ndarray]] = [[] for _ in self._LABELS]
        dates: list[np.ndarray] = []
        for record in self._records.drain():
            for k, out in enumerate(texts):
                data, lens = record[2 * k].tobytes(), record[2 * k + 1]
                ends = np.cumsum(lens, dtype=np.int64).tolist()
                out.extend(data[a:b].decode() for a, b in zip([0, *ends], ends, strict=False))
            at = 2 * len(self._TEXT)
            for k in range(len(self._LABELS)):
                codes[k].append(record[at + 2 * k])
                counts[k].append(record[at + 2 * k + 1])
            dates.append(record[-1])
        labels = [
            Labels(
                list(self._code_of[key]),
                _offsets(_joined(counts[k], np.int64)),
                _joined(codes[k], np.int32),
            )
            for k, key in enumerate(self._LABELS)
        ]
        return CatalogPiece._of_columns(*texts, _joined(dates, np.float64), *labels, words)

    def close(self) -> None:
        """Let go of the records (a reindex that failed)."""
        self._records.close()


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


@dataclass(frozen=True, eq=False)
class CatalogPiece:
    """The catalog rows of one segment's documents (local order, deleted ones included)
    and their word counts, as arrays (memory-mapped when read from the segment file)."""

    arrays: Mapping[str, np.ndarray]

    @property
    def n_docs(self) -> int:
        return int(self.arrays["counts"][0])

    def _count(self, i: int) -> int:
        return int(self.arrays["counts"][i])

    # --- making ---------------------------------------------------------------------

    @classmethod
    def of(cls, entries: Sequence[CatalogEntry], words: Mapping[str, int]) -> CatalogPiece:
        """The piece of newly read documents, in the order their segment numbers them."""
        rows = CatalogRows()
        rows.add(entries)
        return rows.piece(words)

    @classmethod
    def _of_columns(
        cls,
        ids: Sequence[str],
        titles: Sequence[str],
        slugs: Sequence[str],
        dates: np.ndarray,
        cats: Labels,
        tags: Labels,
        authors: Labels,
        languages: Labels,
        words: Mapping[str, int],
        title_index: TitleIndex | None = None,
    ) -> CatalogPiece:
        titles_index = title_index or TitleIndex.build(titles)
        words = {w: c for w, c in words.items() if c > 0}
        arrays: dict[str, np.ndarray] = {
            "counts": np.array(
                [
                    len(v)
                    for v in (
                        ids,
                        cats.names,
                        tags.names,
                        authors.names,
                        languages.names,
                        words,
                        titles_index.words,
                    )
                ],
                dtype=np.int64,
            ),
            "dates": np.asarray(dates, dtype=np.float64),
            "newest": np.argsort(newest_keys(np.asarray(dates)), kind="stable").astype(np.int32),
            "id_order": sorted_order(ids),
            "slug_order": sorted_order([s.casefold() for s in slugs]),
            "words": _text(list(words)),
            "words.counts": np.fromiter(words.values(), np.int64, len(words)),
            "title_words": _text(titles_index.words),
            "title_offsets": titles_index.offsets,
            "title_docs": titles_index.docs.astype(np.int32),
        }
        for name, values in (("ids", ids), ("titles", titles), ("slugs", slugs)):
            arrays[name], arrays[name + ".starts"] = _packed(values)
        for name, labels in (
            ("categories", cats), ("tags", tags), ("authors", authors), ("languages", languages)
        ):  # fmt: skip
            arrays[name + ".names"] = _text(labels.names)
            arrays[name + ".offsets"] = labels.offsets
            arrays[name + ".codes"] = labels.codes
        return cls(arrays)

    # --- storage --------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {PREFIX + name: array for name, array in self.arrays.items()}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> CatalogPiece | None:
        """The piece among a segment file's arrays (views, not copies); None when the file
        has none (written before the catalog moved into segments)."""
        own = {k.removeprefix(PREFIX): v for k, v in arrays.items() if k.startswith(PREFIX)}
        if not own:
            return None
        piece = cls(own)
        n = piece.n_docs
        if any(len(piece.arrays[name + ".starts"]) != n + 1 for name in ("ids", "titles", "slugs")):
            raise ValueError("catalog piece columns of mismatched lengths")
        if len(piece.arrays["dates"]) != n or len(piece.arrays["id_order"]) != n:
            raise ValueError("catalog piece columns of mismatched lengths")
        return piece

    # --- columns --------------------------------------------------------------------

    def strings(self, name: str) -> tuple[memoryview, np.ndarray]:
        """The column's buffer (a view of the mapped file, not a copy) and starts."""
        return memoryview(self.arrays[name]), np.asarray(self.arrays[name + ".starts"])

    def ids(self) -> list[str]:
        return _lines(self.arrays["ids"], self.n_docs)

    def string(self, name: str, doc: int) -> str:
        starts = self.arrays[name + ".starts"]
        return self.arrays[name][int(starts[doc]) : int(starts[doc + 1]) - 1].tobytes().decode()

    def labels(self, name: str, index: int) -> Labels:
        return Labels(
            _lines(self.arrays[name + ".names"], self._count(index)),
            np.asarray(self.arrays[name + ".offsets"]),
            np.asarray(self.arrays[name + ".codes"]),
        )

    def title_index(self) -> TitleIndex:
        return TitleIndex(
            _lines(self.arrays["title_words"], self._count(6)),
            np.asarray(self.arrays["title_offsets"]),
            np.asarray(self.arrays["title_docs"]),
        )

    def words(self) -> Counter[str]:
        names = _lines(self.arrays["words"], self._count(5))
        return Counter(dict(zip(names, self.arrays["words.counts"].tolist(), strict=True)))

    def find(self, key: str, alive: np.ndarray | None, slug: bool = False) -> int | None:
        """The first live local doc whose id (or folded slug) is ``key``, by bisection over
        the stored order; None when no live doc has it."""
        name, order = ("slugs", "slug_order") if slug else ("ids", "id_order")
        order = self.arrays[order]

        def key_of(i: int) -> str:
            value = self.string(name, int(order[i]))
            return value.casefold() if slug else value

        i = bisect.bisect_left(range(len(order)), key, key=key_of)
        best = None
        while i < len(order) and key_of(i) == key:
            doc = int(order[i])
            if (alive is None or alive[doc]) and (best is None or doc < best):
                best = doc
            i += 1
        return best


def merged_piece(
    pieces: Sequence[CatalogPiece],
    deletions: Sequence[Deletions],
    dropped: Sequence[Counter[str]],
) -> CatalogPiece:
    """One piece of the live documents of ``pieces`` in order (as ``compaction.merge``
    numbers them); its word counts are theirs minus the deleted documents' (``dropped``)."""
    cat = assemble(pieces, deletions)
    words: Counter[str] = Counter()
    for piece in pieces:
        words.update(piece.words())
    for gone in dropped:
        words.subtract(gone)
    # joined as categories and tags are, not through the catalog's one string per row
    alive = [d.alive(p.n_docs) for p, d in zip(pieces, deletions, strict=True)]
    authors = _live_labels(pieces, alive, "authors", 3)
    languages = _live_labels(pieces, alive, "languages", 4)
    return CatalogPiece._of_columns(
        cat.ids.tolist(), cat.titles.tolist(), cat.slugs.tolist(), cat.dates, cat.categories,
        cat.tags, authors, languages, words,
        pieces[0].title_index() if len(pieces) == 1 and not len(deletions[0]) else None,
    )  # fmt: skip


def assemble(pieces: Sequence[CatalogPiece], deletions: Sequence[Deletions]) -> Catalog:
    """The catalog of the live documents of ``pieces`` (segment order, then local order:
    the rows of ``SegmentedIndex``) less their segments' ``deletions``, with its id, slug
    and title look-ups."""
    alive = [d.alive(p.n_docs) for p, d in zip(pieces, deletions, strict=True)]
    rows: list[np.ndarray] = []  # local doc -> row, -1 when deleted
    base = 0
    for piece, keep in zip(pieces, alive, strict=True):
        n = piece.n_docs
        if keep is None:
            rows.append(np.arange(base, base + n, dtype=np.int64))
            base += n
        else:
            mapped = np.full(n, -1, dtype=np.int64)
            live = int(keep.sum())
            mapped[keep] = np.arange(base, base + live)
            rows.append(mapped)
            base += live

    def strings(name: str) -> PieceStrings:
        return PieceStrings(
            [(*p.strings(name), keep) for p, keep in zip(pieces, alive, strict=True)]
        )

    def one_each(joined: Labels) -> list[str]:
        return np.array(joined.names, dtype=object)[joined.codes].tolist() if len(joined) else []

    authors = _live_labels(pieces, alive, "authors", 3)

    live_dates = [
        np.asarray(p.arrays["dates"]) if keep is None else np.asarray(p.arrays["dates"])[keep]
        for p, keep in zip(pieces, alive, strict=True)
    ]
    dates = np.concatenate(live_dates) if live_dates else np.zeros(0)
    parts = list(zip(pieces, alive, rows, strict=True))
    return Catalog(
        ids=strings("ids"),
        titles=strings("titles"),
        slugs=strings("slugs"),
        dates=dates,
        categories=_live_labels(pieces, alive, "categories", 1),
        tags=_live_labels(pieces, alive, "tags", 2),
        authors=one_each(authors),  # each name one object already
        languages=one_each(_live_labels(pieces, alive, "languages", 4)),
        prebuilt={
            "newest_first": _newest_first(pieces, rows, dates),
            # Grouped from the codes, as categories are: not 100,000 strings looked up one
            # by one.
            "by_author": {k: v for k, v in authors.groups().items() if k},
            "by_id": PieceKeys(parts, slug=False),
            "by_slug": PieceKeys(parts, slug=True),
            "title_index": PieceTitles(list(zip(pieces, rows, strict=True))),
        },
    )


def _live_labels(
    pieces: Sequence[CatalogPiece], alive: Sequence[np.ndarray | None], name: str, index: int
) -> Labels:
    """The label column ``name`` (``index`` in a piece's counts) of the pieces' live rows
    (``alive``: ``Deletions.alive`` per piece), names merged."""
    return Labels.joined(
        [(p.labels(name, index), keep) for p, keep in zip(pieces, alive, strict=True)]
    )


def _newest_first(
    pieces: Sequence[CatalogPiece], rows: Sequence[np.ndarray], dates: np.ndarray
) -> np.ndarray:
    """``Catalog.newest_first`` from each piece's stored order: the live rows of each, in
    its order, then one stable sort that merges these sorted runs (ties stay in row order,
    as a stable sort of all rows leaves them)."""
    runs = []
    for piece, piece_rows in zip(pieces, rows, strict=True):
        mapped = piece_rows[np.asarray(piece.arrays["newest"])]
        runs.append(mapped[mapped >= 0])
    if len(runs) == 1:
        return runs[0]
    order = np.concatenate(runs) if runs else np.zeros(0, dtype=np.int64)
    return order[np.argsort(newest_keys(dates)[order], kind="stable")]


class PieceStrings(StringColumn):
    """A string column over the pieces' buffers as they are mapped (none copied or
    joined): row ``i`` is found in its piece by the pieces' first rows, then its live docs.
    """

    def __init__(self, parts: Sequence[tuple[memoryview, np.ndarray, np.ndarray | None]]):
        self._parts = [
            (data, starts, None if keep is None else np.flatnonzero(keep))
            for data, starts, keep in parts
        ]
        lens = [len(s) - 1 if live is None else len(live) for _, s, live in self._parts]
        self._first = np.concatenate(([0], np.cumsum(lens, dtype=np.int64))).tolist()

    def __len__(self) -> int:
        return self._first[-1]

    def _row(self, i: int) -> str:
        part = bisect.bisect_right(self._first, i) - 1
        data, starts, live = self._parts[part]
        doc = i - self._first[part] if live is None else int(live[i - self._first[part]])
        return str(data[starts[doc] : starts[doc + 1] - 1], "utf-8")

    def tolist(self) -> list[str]:
        out: list[str] = []
        for data, starts, live in self._parts:
            rows = str(data, "utf-8").split(ROW_SEP) if len(starts) > 1 else []
            out.extend(rows if live is None else [rows[d] for d in live.tolist()])
        return out


class PieceKeys(Mapping[str, int]):
    """Id (or folded slug) -> the lowest live row with it, by bisection in each piece's
    stored order: nothing is sorted or decoded at open."""

    def __init__(
        self,
        parts: Sequence[tuple[CatalogPiece, np.ndarray | None, np.ndarray]],
        slug: bool,
    ) -> None:
        self._parts = parts
        self._slug = slug

    def __getitem__(self, key: str) -> int:
        for piece, alive, rows in self._parts:  # in row order: the first hit is the lowest
            doc = piece.find(key, alive, self._slug)
            if doc is not None:
                return int(rows[doc])
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        name, order = ("slugs", "slug_order") if self._slug else ("ids", "id_order")
        fold: Callable[[str], str] = str.casefold if self._slug else str

        def keys(piece: CatalogPiece, alive: np.ndarray | None) -> Iterator[str]:
            for doc in piece.arrays[order].tolist():
                if alive is None or alive[doc]:
                    yield fold(piece.string(name, doc))

        return iter(dict.fromkeys(heapq.merge(*(keys(p, a) for p, a, _ in self._parts))))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class PieceTitles(Mapping[str, np.ndarray]):
    """Title word -> ascending rows, over the title indexes of the pieces (their local
    docs mapped to rows, deleted ones left out): what ``TitleIndex`` answers. Each piece's
    words are decoded on the first look-up, not at open."""

    def __init__(self, parts: Sequence[tuple[CatalogPiece, np.ndarray]]) -> None:
        self._parts = parts

    @cached_property
    def _indexes(self) -> list[tuple[TitleIndex, np.ndarray]]:
        return [(piece.title_index(), rows) for piece, rows in self._parts]

    @cached_property
    def words(self) -> list[str]:
        if len(self._indexes) == 1:
            return self._indexes[0][0].words
        # Nearly sorted already (the largest piece's words are): a merge, then distinct.
        return list(dict.fromkeys(sorted(w for index, _ in self._indexes for w in index.words)))

    def __getitem__(self, word: str) -> np.ndarray:
        found = []
        for index, rows in self._indexes:
            i = bisect.bisect_left(index.words, word)
            if i < len(index.words) and index.words[i] == word:
                mapped = rows[index.docs[index.offsets[i] : index.offsets[i + 1]]]
                found.append(mapped[mapped >= 0])
        if not found:
            raise KeyError(word)
        return np.concatenate(found).astype(np.int32)

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __len__(self) -> int:
        return len(self.words)
