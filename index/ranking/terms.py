"""A segment's terms read straight from its file's bytes: id -> term and term -> id.

A list of the terms and a dict from each to its id cost ~120 bytes a term in Python
objects (8 MB for the 67k terms of the 100k synthetic corpus, more than the catalog) and
~10 ms to build on every open. Here the terms stay one ``PackedStrings`` column (the
stored bytes, newline-separated) and a term is found by binary search in the file's
sorted order (``term_order``, stored since it was added; sorted on first use otherwise):
~17 byte-string comparisons, a few microseconds, once per query term and segment.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping

import numpy as np

from articlebot.index.ranking.columns import PackedStrings, sorted_order


class PackedTerms(PackedStrings):
    """The terms of one segment, in id order (``terms[i]``), with their sorted order;
    ``ids`` maps term -> id."""

    __slots__ = ("_order", "ids")

    def __init__(self, raw: bytes, n_terms: int, order: np.ndarray | None = None) -> None:
        super().__init__(raw, n_terms)
        if order is None:
            order = sorted_order(self.tolist())  # C-level keys: ~3x faster than the bytes
        elif len(order) != n_terms or (n_terms and not 0 <= order.min() <= order.max() < n_terms):
            raise ValueError("the stored term order does not fit the terms")
        # an ``array`` for the same reason as ``_starts``: ``find`` reads it one at a time
        self._order = array("i", np.asarray(order, dtype=np.int32).tobytes())
        self.ids = TermIds(self)

    @property
    def order(self) -> np.ndarray:
        """The ids in sorted order (int32), as stored."""
        return np.frombuffer(self._order, dtype=np.int32)

    def find(self, term: str) -> int | None:
        """The id of ``term``, or None when this segment does not hold it."""
        try:
            needle = term.encode()
        except UnicodeEncodeError:  # a lone surrogate: no stored term holds one
            return None
        order, starts, raw = self._order, self._starts, self._data
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

    def __repr__(self) -> str:
        return f"PackedTerms({len(self)} terms)"


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
