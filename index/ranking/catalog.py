"""Per-article columns kept in memory beside the postings: what filters, listings,
autocomplete and "did you mean" need without touching the articles table.

Stored as a handful of blobs so a cold start is a few string splits, not 100,000 rows.
Repeated values (categories, tags, authors, languages) are held once, with per-row
integer codes: a tuple or string object per row cost tens of MB at 100,000 articles.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

import numpy as np

from articlebot.index.posts.article import Article

_ROW = "\n"
_ITEM = "\x1f"
NO_DATE = np.nan
_NO_DOCS = np.zeros(0, dtype=np.int32)


class CatalogEntry(NamedTuple):
    """What the catalog keeps of an article: everything but the body and the rest the
    articles table serves. Cheaper to make than ``dataclasses.replace(article, body="")``."""

    id: str
    title: str
    slug: str
    date: datetime | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    author: str
    language: str


def catalog_entry(a: Article) -> CatalogEntry:
    return CatalogEntry(a.id, a.title, a.slug, a.date, a.categories, a.tags, a.author, a.language)


def _clean(text: str) -> str:
    return text.replace(_ROW, " ").replace(_ITEM, " ")


def _shared(values: list[str]) -> list[str]:
    """The same list with equal strings as one object: 100,000 copies of "en" cost MBs."""
    seen: dict[str, str] = {}
    return [seen.setdefault(v, v) for v in values]


def _offsets(lens: np.ndarray) -> np.ndarray:
    """CSR offsets (int64, one longer) of consecutive blocks of ``lens`` items."""
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return offsets


class PackedStrings(Sequence[str]):
    """Strings kept as one UTF-8 buffer (the stored blob itself) plus start offsets.

    A list of 100,000 ``str`` objects costs ~50 bytes of header each on top of the text;
    ids, titles and slugs are read a few at a time (a page of results), so decoding on
    access is cheaper than holding them all as objects. Loading is one scan for newlines.
    """

    __slots__ = ("_data", "_starts")

    def __init__(self, data: bytes, count: int) -> None:
        self._data = data
        if count == 0:
            self._starts = np.zeros(1, dtype=np.int64)
            return
        newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord(_ROW))
        if len(newlines) != count - 1:
            raise ValueError(f"{len(newlines) + 1} stored strings for {count} rows")
        self._starts = np.concatenate(([0], newlines + 1, [len(data) + 1])).astype(np.int64)

    @classmethod
    def of(cls, values: Sequence[str]) -> PackedStrings:
        return cls(_ROW.join(values).encode(), len(values))

    @property
    def data(self) -> bytes:
        """The strings joined by newlines, as stored."""
        return self._data

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._data[self._starts[i] : self._starts[i + 1] - 1].decode()

    def __iter__(self) -> Iterator[str]:
        return iter(self.tolist())

    def tolist(self) -> list[str]:
        return self._data.decode().split(_ROW) if len(self) else []

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedStrings):
            return self._data == other._data and len(self) == len(other)
        return isinstance(other, Sequence) and self.tolist() == list(other)

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
        self._order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
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

    def update(self, kept: np.ndarray, new_rows: Sequence[Sequence[str]]) -> Labels:
        """Rows ``kept`` (ascending row numbers), then ``new_rows``."""
        lens = np.diff(self.offsets)[kept]
        mask = np.zeros(len(self), dtype=bool)
        mask[kept] = True
        codes = self.codes[np.repeat(mask, np.diff(self.offsets))]
        code_of = {name: i for i, name in enumerate(self.names)}
        added = [code_of.setdefault(v, len(code_of)) for row in new_rows for v in row]
        new_lens = np.fromiter(map(len, new_rows), dtype=np.int64, count=len(new_rows))
        offsets = _offsets(np.concatenate([lens, new_lens]))
        codes = np.concatenate([codes, np.array(added, dtype=np.int32)])
        return Labels(list(code_of), offsets, codes)

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
        keys = np.unique(fold[self.codes] * (len(self) + 1) + self.row_of_each())
        group, rows = np.divmod(keys, len(self) + 1)
        bounds = np.flatnonzero(np.diff(group)) + 1
        folded = list(folded_of)
        return {
            folded[int(g[0])]: r.astype(np.int32)
            for g, r in zip(np.split(group, bounds), np.split(rows, bounds), strict=True)
        }

    def to_blobs(self, name: str) -> dict[str, bytes]:
        return {
            f"{name}.names": _ROW.join(self.names).encode(),
            f"{name}.offsets": self.offsets.tobytes(),
            f"{name}.codes": self.codes.tobytes(),
        }

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes], name: str, n: int) -> Labels:
        if f"{name}.codes" not in blobs:  # written before codes: one row per line
            raw = blobs[name].decode().split(_ROW) if n else []
            return cls.from_rows([r.split(_ITEM) if r else () for r in raw])
        raw = blobs[f"{name}.names"].decode()
        return cls(
            raw.split(_ROW) if raw else [],
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
    def build(cls, titles: Sequence[str], first_doc: int = 0) -> TitleIndex:
        """Index of ``titles`` numbered from ``first_doc``: words numbered through one dict
        and (word, doc) pairs sorted by numpy, not 800,000 Python tuples."""
        words_of = [set(_title_words(t)) for t in titles]
        flat = [w for words in words_of for w in words]
        distinct = sorted(set(flat))
        number = {w: i for i, w in enumerate(distinct)}
        word_ids = np.fromiter(map(number.__getitem__, flat), np.int64, len(flat))
        docs = np.repeat(
            np.arange(first_doc, first_doc + len(titles), dtype=np.int32),
            np.fromiter(map(len, words_of), np.int64, len(words_of)),
        )
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

    def update(self, keep: np.ndarray, new_titles: Sequence[str]) -> TitleIndex:
        """Docs where ``keep`` is False dropped (the rest renumbered), ``new_titles``
        added after them: one pass over the arrays instead of re-splitting every title."""
        renumber = (np.cumsum(keep) - 1).astype(np.int32)
        word_of = np.repeat(np.arange(len(self.words), dtype=np.int64), np.diff(self.offsets))
        ok = keep[self.docs]
        word_of, docs = word_of[ok], renumber[self.docs[ok]]

        added = TitleIndex.build(new_titles, int(keep.sum()))
        fresh = sorted(set(added.words).difference(self.words))
        words = sorted(self.words + fresh)
        inserted = [bisect.bisect_left(self.words, w) for w in fresh]
        shift = np.searchsorted(
            np.array(inserted, dtype=np.int64), np.arange(len(self.words)), "right"
        )
        word_of = word_of + shift[word_of] if len(word_of) else word_of
        added_word_of = np.repeat(
            np.array([bisect.bisect_left(words, w) for w in added.words], dtype=np.int64),
            np.diff(added.offsets),
        )
        # Old docs all number below new ones, so a stable sort by word keeps each word's
        # docs ascending.
        all_words = np.concatenate([word_of, added_word_of])
        order = np.argsort(all_words, kind="stable")
        all_docs = np.concatenate([docs, added.docs])[order]
        counts = np.bincount(all_words, minlength=len(words))
        used = np.flatnonzero(counts)
        offsets = _offsets(counts[used])
        return TitleIndex([words[i] for i in used], offsets, all_docs.astype(np.int32))

    def to_blobs(self) -> dict[str, bytes]:
        return {
            "title_words": _ROW.join(self.words).encode(),
            "title_offsets": self.offsets.tobytes(),
            "title_docs": self.docs.astype(np.int32).tobytes(),
        }

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes]) -> TitleIndex:
        raw = blobs["title_words"].decode()
        return cls(
            raw.split(_ROW) if raw else [],
            np.frombuffer(blobs["title_offsets"], dtype=np.int64),
            np.frombuffer(blobs["title_docs"], dtype=np.int32),
        )


@dataclass
class Catalog:
    """Column ``i`` describes BM25 document ``i``."""

    ids: PackedStrings
    titles: PackedStrings
    slugs: PackedStrings
    dates: np.ndarray  # float64 unix seconds, NaN when undated
    categories: Labels
    tags: Labels
    authors: list[str]
    languages: list[str]
    words: Counter[str] = field(default_factory=Counter)  # surface word -> document count

    @classmethod
    def empty(cls) -> Catalog:
        none = PackedStrings(b"", 0)
        return cls(
            none, none, none, np.zeros(0), Labels.from_rows([]), Labels.from_rows([]), [], []
        )

    def __len__(self) -> int:
        return len(self.ids)

    # --- building -----------------------------------------------------------------------

    def update(
        self,
        keep: np.ndarray,
        new: Sequence[Article | CatalogEntry],
        removed_words: Counter[str],
        added_words: Counter[str],
    ) -> Catalog:
        """A new catalog: rows where ``keep`` is False dropped, ``new`` appended."""
        keep = np.asarray(keep, dtype=bool)
        kept_rows = np.flatnonzero(keep)
        kept = kept_rows.tolist()
        words = self.words.copy()
        words.subtract(removed_words)
        words.update(added_words)
        words = Counter({w: c for w, c in words.items() if c > 0})

        def pick(values: Sequence[str]) -> list[str]:
            every = values.tolist() if isinstance(values, PackedStrings) else values
            return [every[i] for i in kept]

        new_dates = np.array(
            [a.date.timestamp() if a.date else NO_DATE for a in new], dtype=np.float64
        )
        new_titles = [_clean(a.title) for a in new]
        catalog = Catalog(
            ids=PackedStrings.of(pick(self.ids) + [a.id for a in new]),
            titles=PackedStrings.of(pick(self.titles) + new_titles),
            slugs=PackedStrings.of(pick(self.slugs) + [_clean(a.slug) for a in new]),
            dates=np.concatenate([self.dates[keep], new_dates]),
            categories=self.categories.update(
                kept_rows, [tuple(_clean(c) for c in a.categories) for a in new]
            ),
            tags=self.tags.update(kept_rows, [tuple(_clean(t) for t in a.tags) for a in new]),
            authors=_shared(pick(self.authors) + [_clean(a.author) for a in new]),
            languages=_shared(pick(self.languages) + [a.language for a in new]),
            words=words,
        )
        if "title_index" in self.__dict__ and len(self):  # carried over, not rebuilt
            catalog.__dict__["title_index"] = self.title_index.update(keep, new_titles)
        return catalog

    # --- persistence --------------------------------------------------------------------

    def to_blobs(self) -> dict[str, bytes]:
        def rows(values: Sequence[str]) -> bytes:
            return _ROW.join(values).encode()

        return {
            "ids": self.ids.data,
            "titles": self.titles.data,
            "slugs": self.slugs.data,
            "dates": self.dates.astype(np.float64).tobytes(),
            **self.categories.to_blobs("categories"),
            **self.tags.to_blobs("tags"),
            "authors": rows(self.authors),
            "languages": rows(self.languages),
            "words": rows(list(self.words)),
            "words.counts": np.fromiter(self.words.values(), np.int64, len(self.words)).tobytes(),
            **self.title_index.to_blobs(),
        }

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes], *, with_words: bool = True) -> Catalog:
        dates = np.frombuffer(blobs["dates"], dtype=np.float64)
        n = len(dates)

        def rows(name: str) -> list[str]:
            return blobs[name].decode().split(_ROW) if n else []

        catalog = cls(
            ids=PackedStrings(blobs["ids"], n),
            titles=PackedStrings(blobs["titles"], n),
            slugs=PackedStrings(blobs["slugs"], n),
            dates=dates,
            categories=Labels.from_blobs(blobs, "categories", n),
            tags=Labels.from_blobs(blobs, "tags", n),
            authors=_shared(rows("authors")),
            languages=_shared(rows("languages")),
        )
        if with_words:
            catalog.words = cls.words_from_blobs(blobs)
        if "title_words" in blobs:  # cached at index time: grouping titles is slow
            catalog.__dict__["title_index"] = TitleIndex.from_blobs(blobs)
        return catalog

    @staticmethod
    def words_from_blobs(blobs: Mapping[str, bytes]) -> Counter[str]:
        """The word counts: words one per line, counts an int64 array (parsing a
        "word, count" line each took 120 ms of a one-file reindex)."""
        data = blobs.get("words", b"").decode()
        if "words.counts" in blobs:
            counts = np.frombuffer(blobs["words.counts"], dtype=np.int64).tolist()
            return Counter(dict(zip(data.split(_ROW) if data else [], counts, strict=True)))
        legacy: Counter[str] = Counter()  # written before the counts array
        for row in data.split(_ROW) if data else ():
            word, _, count = row.rpartition(_ITEM)
            legacy[word] = int(count)
        return legacy

    # --- derived look-ups (built once per loaded catalog) --------------------------------

    @cached_property
    def by_category(self) -> dict[str, np.ndarray]:
        return self.categories.groups()

    @cached_property
    def by_tag(self) -> dict[str, np.ndarray]:
        return self.tags.groups()

    @cached_property
    def by_author(self) -> dict[str, np.ndarray]:
        return _group([(a,) if a else () for a in self.authors])

    @cached_property
    def by_id(self) -> Mapping[str, int]:
        return SortedKeys(self.ids)

    @cached_property
    def by_slug(self) -> Mapping[str, int]:
        """Folded slug -> the first article with it; built on the first look-up by slug."""
        return SortedKeys(self.slugs, str.casefold)

    @cached_property
    def newest_first(self) -> np.ndarray:
        """Document numbers by date, newest first; undated posts last."""
        keys = np.where(np.isnan(self.dates), np.inf, -np.nan_to_num(self.dates))
        return np.argsort(keys, kind="stable")

    @cached_property
    def category_names(self) -> dict[str, str]:
        """Folded category -> the spelling most articles use."""
        names: dict[str, str] = {}
        for name, _ in self.categories.counts().most_common():
            names.setdefault(name.casefold(), name)
        return names

    @cached_property
    def title_index(self) -> TitleIndex:
        return TitleIndex.build(self.titles.tolist())

    @property
    def title_words(self) -> tuple[list[str], Mapping[str, np.ndarray]]:
        """Sorted folded title words and the docs of each, for prefix look-ups."""
        index = self.title_index
        return index.words, index

    def warm(self) -> Catalog:
        """Build the look-ups every search may need now (off the event loop), not on a
        user's first request; ``by_slug`` waits for a look-up by slug (in a thread)."""
        for name in ("by_category", "by_tag", "by_author", "by_id", "newest_first"):
            getattr(self, name)
        for name in ("category_names", "title_index"):
            getattr(self, name)
        return self


_WORD = re.compile(r"\w+")


def _title_words(title: str) -> list[str]:
    return _WORD.findall(title.casefold())


def _group(rows: Sequence[tuple[str, ...]]) -> dict[str, np.ndarray]:
    groups: dict[str, list[int]] = {}
    for doc, values in enumerate(rows):
        for value in {v.casefold() for v in values}:
            groups.setdefault(value, []).append(doc)
    return {k: np.array(v, dtype=np.int32) for k, v in groups.items()}


title_words = _title_words
