"""Compact columns for the catalog: strings packed in one buffer, sorted keys looked up by
bisection, labels as integer codes, and the title-word index. Each replaced a per-row
Python object that cost tens of MB at 100,000 articles.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

ROW_SEP = "\n"


ITEM_SEP = "\x1f"


def _offsets(lens: np.ndarray) -> np.ndarray:
    """CSR offsets (int64, one longer) of consecutive blocks of ``lens`` items."""
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return offsets


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values, by a sort and a comparison: ``np.unique`` hashes first in
    numpy 2.3+, several times slower on arrays of a few thousand to 100,000 integers."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def stable_order(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """``np.argsort(codes, kind="stable")`` for codes below ``n_codes``: as 16-bit integers
    when they fit, which numpy sorts by radix in one pass (a comparison sort of 200,000
    codes was a fifth of opening the index)."""
    if n_codes <= 1 << 16:
        codes = codes.astype(np.uint16)
    return np.argsort(codes, kind="stable")


def sorted_order(values: Sequence[str]) -> np.ndarray:
    """Row ids in the order of the strings' UTF-8 bytes (the same as code point order),
    as ``SortedKeys`` and ``PackedTerms`` search them (int32)."""
    return np.array(sorted(range(len(values)), key=values.__getitem__), dtype=np.int32)


def shared_strings(values: list[str]) -> list[str]:
    """The same list with equal strings as one object: 100,000 copies of "en" cost MBs."""
    seen: dict[str, str] = {}
    return [seen.setdefault(v, v) for v in values]


def clean_field(text: str) -> str:
    return text.replace(ROW_SEP, " ").replace(ITEM_SEP, " ")


class StringColumn(Sequence[str]):
    """A read-only column of strings decoded on access; subclasses give ``__len__``,
    ``_row`` (a valid index) and ``tolist`` (every row, decoded in one go)."""

    __slots__ = ()

    def __len__(self) -> int:
        raise NotImplementedError

    def _row(self, i: int) -> str:
        raise NotImplementedError

    def tolist(self) -> list[str]:
        raise NotImplementedError

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._row(i)

    def __iter__(self) -> Iterator[str]:
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return self.tolist() == list(other)
        return NotImplemented  # a string is no column of strings ("ab" != ["a", "b"])

    __hash__ = None  # type: ignore[assignment]


class PackedStrings(StringColumn):
    """Strings kept as one UTF-8 buffer (the stored blob itself) plus start offsets.

    A list of 100,000 ``str`` objects costs ~50 bytes of header each on top of the text;
    ids, titles and slugs are read a few at a time (a page of results), so decoding on
    access is cheaper than holding them all as objects. Loading is one scan for newlines.
    """

    __slots__ = ("_data", "_starts")

    def __init__(self, data: bytes, count: int) -> None:
        self._data = data
        starts = np.zeros(count + 1, dtype=np.int64)
        if count:
            newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord(ROW_SEP))
            if len(newlines) != count - 1:
                raise ValueError(f"{len(newlines) + 1} stored strings for {count} rows")
            starts[1:-1] = newlines + 1
            starts[-1] = len(data) + 1  # as if a newline followed the last string
        # An ``array``, not numpy: indexing it gives a Python int, ~4x faster one at a time
        # (``PackedTerms.find`` reads ~17 per look-up).
        self._starts = array("q", starts.tobytes())

    @classmethod
    def of(cls, values: Sequence[str]) -> PackedStrings:
        return cls(ROW_SEP.join(values).encode(), len(values))

    def __len__(self) -> int:
        return len(self._starts) - 1

    def _row(self, i: int) -> str:
        return str(self._data[self._starts[i] : self._starts[i + 1] - 1], "utf-8")

    def tolist(self) -> list[str]:
        return str(self._data, "utf-8").split(ROW_SEP) if len(self) else []

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedStrings):
            return self._data == other._data and len(self) == len(other)
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedStrings({len(self)} strings)"


class SortedKeys(Mapping[str, int]):
    """Key -> row of a ``PackedStrings`` column through an argsort, looked up by bisection.

    A dict of 100,000 keys held 100,000 decoded strings (17 MB for the slugs); this is a
    0.4 MB array. Equal keys resolve to the lowest row.
    """

    def __init__(self, values: PackedStrings, fold: Callable[[str], str] | None = None) -> None:
        keys = values.tolist()
        if fold is not None:
            keys = [fold(k) for k in keys]
        self._order = sorted_order(keys)
        self._values = values
        self._fold = fold

    def _key(self, row: int) -> str:
        key = self._values[row]
        return self._fold(key) if self._fold is not None else key

    def __getitem__(self, key: str) -> int:
        order = self._order
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._key(order[mid]) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(order) and self._key(order[lo]) == key:
            return int(order[lo])
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (self._key(row) for row in self._order)

    def __len__(self) -> int:
        return len(self._order)


@dataclass
class Labels:
    """A list of string tuples (one per row) as distinct names plus CSR integer codes."""

    names: list[str]
    offsets: np.ndarray  # int64, len rows + 1: row i has codes[offsets[i]:offsets[i+1]]
    codes: np.ndarray  # int32 indexes into names

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[str]]) -> Labels:
        code_of: dict[str, int] = {}
        codes = [code_of.setdefault(v, len(code_of)) for row in rows for v in row]
        lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        return cls(list(code_of), _offsets(lens), np.array(codes, dtype=np.int32))

    @classmethod
    def joined(cls, parts: Sequence[tuple[Labels, np.ndarray | None]]) -> Labels:
        """Several label columns (rows kept, or None for all) as one, names merged; a name
        no kept row carries is dropped (a merged piece would store it for good)."""
        code_of: dict[str, int] = {}
        all_lens: list[np.ndarray] = []
        all_codes: list[np.ndarray] = []
        for labels, keep in parts:
            remap = np.array(
                [code_of.setdefault(n, len(code_of)) for n in labels.names], dtype=np.int32
            )
            lens, codes = np.diff(labels.offsets), labels.codes
            if keep is not None:
                codes, lens = codes[np.repeat(keep, lens)], lens[keep]
            all_lens.append(lens)
            all_codes.append(remap[codes] if len(codes) else codes.astype(np.int32))
        if not parts:
            return cls.from_rows([])
        names = list(code_of)
        codes = np.concatenate(all_codes).astype(np.int32)
        used = np.bincount(codes, minlength=len(names)) > 0
        if not used.all():  # carried by deleted rows only
            codes = (np.cumsum(used, dtype=np.int32) - 1)[codes]
            names = [name for name, kept in zip(names, used.tolist(), strict=True) if kept]
        return cls(names, _offsets(np.concatenate(all_lens)), codes)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> tuple[str, ...]:
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return tuple(self.names[c] for c in self.codes[lo:hi].tolist())

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return (self.row(i) for i in range(len(self)))

    def row_of_each(self) -> np.ndarray:
        """The row number of every code."""
        return np.repeat(np.arange(len(self), dtype=np.int32), np.diff(self.offsets))

    def counts(self) -> Counter[str]:
        """Rows per name (a name repeated within a row counts each time)."""
        per_code = np.bincount(self.codes, minlength=len(self.names)).tolist()
        return Counter({n: c for n, c in zip(self.names, per_code, strict=True) if c})

    def groups(self) -> dict[str, np.ndarray]:
        """Folded name -> ascending rows that carry it."""
        folded_of: dict[str, int] = {}
        fold = np.array(
            [folded_of.setdefault(n.casefold(), len(folded_of)) for n in self.names],
            dtype=np.int64,
        )
        if not len(self.codes):
            return {}
        group = fold[self.codes]
        order = stable_order(group, len(folded_of))  # rows stay ascending in each group
        group, rows = group[order], self.row_of_each()[order]
        keep = np.ones(len(group), dtype=bool)  # a name twice in a row (or two that fold
        keep[1:] = (group[1:] != group[:-1]) | (rows[1:] != rows[:-1])  # alike) counts once
        group, rows = group[keep], rows[keep]
        bounds = np.searchsorted(group, np.arange(len(folded_of) + 1)).tolist()
        return {
            name: rows[bounds[i] : bounds[i + 1]]
            for i, name in enumerate(folded_of)
            if bounds[i + 1] > bounds[i]
        }

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes], name: str, n: int) -> Labels:
        if f"{name}.codes" not in blobs:  # written before codes: one row per line
            raw = blobs[name].decode().split(ROW_SEP) if n else []
            return cls.from_rows([r.split(ITEM_SEP) if r else () for r in raw])
        raw = blobs[f"{name}.names"].decode()
        return cls(
            raw.split(ROW_SEP) if raw else [],
            np.frombuffer(blobs[f"{name}.offsets"], dtype=np.int64),
            np.frombuffer(blobs[f"{name}.codes"], dtype=np.int32),
        )


@dataclass
class TitleIndex(Mapping[str, np.ndarray]):
    """Sorted folded title words -> ascending docs, as three flat arrays.

    A look-up bisects the sorted words; a dict of 60,000 numpy views cost more memory
    than the arrays themselves.
    """

    words: list[str]  # sorted, distinct
    offsets: np.ndarray  # int64, len(words) + 1
    docs: np.ndarray  # int32

    @classmethod
    def build(cls, titles: Sequence[str]) -> TitleIndex:
        """Index of ``titles`` (docs numbered from 0): words numbered through one dict
        and (word, doc) pairs sorted by numpy, not 800,000 Python tuples."""
        number: dict[str, int] = {}  # in order of first sight, then ranked
        lens = np.zeros(len(titles), dtype=np.int64)

        def first_seen() -> Iterator[int]:  # no set per title kept (100,000 were ~60 MB)
            for i, title in enumerate(titles):
                words = set(title_words(title))
                lens[i] = len(words)
                for w in words:
                    yield number.setdefault(w, len(number))

        seen = np.fromiter(first_seen(), np.int64)
        distinct = sorted(number)
        rank = np.empty(len(distinct), dtype=np.int64)
        rank[np.fromiter(map(number.__getitem__, distinct), np.int64, len(distinct))] = np.arange(
            len(distinct)
        )
        word_ids = rank[seen]
        docs = np.repeat(np.arange(len(titles), dtype=np.int32), lens)
        order = np.lexsort((docs, word_ids))
        counts = np.bincount(word_ids, minlength=len(distinct))
        return cls(distinct, _offsets(counts), docs[order])

    def __getitem__(self, word: str) -> np.ndarray:
        i = bisect.bisect_left(self.words, word)
        if i == len(self.words) or self.words[i] != word:
            raise KeyError(word)
        return self.docs[self.offsets[i] : self.offsets[i + 1]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes]) -> TitleIndex:
        raw = blobs["title_words"].decode()
        return cls(
            raw.split(ROW_SEP) if raw else [],
            np.frombuffer(blobs["title_offsets"], dtype=np.int64),
            np.frombuffer(blobs["title_docs"], dtype=np.int32),
        )


_WORD = re.compile(r"\w+")


def title_words(title: str) -> list[str]:
    return _WORD.findall(title.casefold())
