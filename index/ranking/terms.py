"""A segment's terms read straight from its file's bytes: id -> term and term -> id.

A list of the terms and a dict from each to its id cost ~120 bytes a term in Python
objects (8 MB for the 67k terms of the 100k synthetic corpus, more than the catalog) and
~10 ms to build on every open. Here the terms stay one ``bytes`` (newline-separated, as
stored) with their start offsets, and a term is found by binary search in the file's
sorted order (``term_order``, stored since it was added; sorted on first use otherwise):
~17 byte-string comparisons, a few microseconds, once per query term and segment.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import overload

import numpy as np


def sorted_order(terms: Sequence[str]) -> np.ndarray:
    """Term ids in the order of their UTF-8 bytes (the same as code point order), as
    ``PackedTerms`` searches them; stored in a segment file as ``term_order``."""
    return np.array(sorted(range(len(terms)), key=terms.__getitem__), dtype=np.int32)


class PackedTerms(Sequence[str]):
    """The terms of one segment, in id order (``terms[i]``); ``ids`` maps term -> id."""

    __slots__ = ("_order", "_raw", "_starts", "ids")

    def __init__(self, raw: bytes, n_terms: int, order: np.ndarray | None = None) -> None:
        codes = np.frombuffer(raw, dtype=np.uint8)
        starts = np.zeros(n_terms + 1, dtype=np.int64)
        if n_terms:
            breaks = np.flatnonzero(codes == 0x0A)
            if len(breaks) != n_terms - 1:
                raise ValueError(f"{len(breaks) + 1} terms stored for {n_terms} offsets")
            starts[1:-1] = breaks + 1
            starts[-1] = len(raw) + 1  # as if a newline followed the last term
        self._raw = raw
        self._starts = array("q", starts.tobytes())
        if order is None:
            order = self._sort()
        elif len(order) != n_terms or (n_terms and not 0 <= order.min() <= order.max() < n_terms):
            raise ValueError("the stored term order does not fit the terms")
        self._order = array("i", np.asarray(order, dtype=np.int32).tobytes())
        self.ids = TermIds(self)

    @property
    def order(self) -> np.ndarray:
        """The ids in sorted order (int32), as stored."""
        return np.frombuffer(self._order, dtype=np.int32)

    def _bytes(self, i: int) -> bytes:
        starts = self._starts
        return self._raw[starts[i] : starts[i + 1] - 1]

    def _sort(self) -> np.ndarray:
        return sorted_order(list(self))  # C-level keys: ~3x faster than slicing the bytes

    def find(self, term: str) -> int | None:
        """The id of ``term``, or None when this segment does not hold it."""
        try:
            needle = term.encode()
        except UnicodeEncodeError:  # a lone surrogate: no stored term holds one
            return None
        order, starts, raw = self._order, self._starts, self._raw
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            i = order[mid]
            found = raw[starts[i] : starts[i + 1] - 1]
            if found < needle:
                lo = mid + 1
            elif found > needle:
                hi = mid
            else:
                return i
        return None

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("term id out of range")
        return self._bytes(i).decode()

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw.decode().split("\n") if len(self) else ())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class TermIds(Mapping[str, int]):
    """Term -> id over a ``PackedTerms`` (what a dict of the terms would answer)."""

    __slots__ = ("_terms",)

    def __init__(self, terms: PackedTerms) -> None:
        self._terms = terms

    def get(self, term: str, default: int | None = None) -> int | None:  # type: ignore[override]
        found = self._terms.find(term) if isinstance(term, str) else None
        return default if found is None else found

    def __getitem__(self, term: str) -> int:
        found = self.get(term)
        if found is None:
            raise KeyError(term)
        return found

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._terms.find(term) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self._terms)
