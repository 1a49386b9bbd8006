"""Per-article columns kept in memory beside the postings: what filters, listings,
autocomplete and "did you mean" need without touching the articles table.

Stored as a handful of blobs so a cold start is a few string splits, not 100,000 rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from index.article import Article

_ROW = "\n"
_ITEM = "\x1f"
NO_DATE = np.nan


def _clean(text: str) -> str:
    return text.replace(_ROW, " ").replace(_ITEM, " ")


@dataclass
class Catalog:
    """Column ``i`` describes BM25 document ``i``."""

    ids: list[str]
    titles: list[str]
    slugs: list[str]
    dates: np.ndarray  # float64 unix seconds, NaN when undated
    categories: list[tuple[str, ...]]
    tags: list[tuple[str, ...]]
    authors: list[str]
    languages: list[str]
    words: Counter[str] = field(default_factory=Counter)  # surface word -> document count

    @classmethod
    def empty(cls) -> Catalog:
        return cls([], [], [], np.zeros(0), [], [], [], [])

    def __len__(self) -> int:
        return len(self.ids)

    # --- building -----------------------------------------------------------------------

    def update(
        self,
        keep: np.ndarray,
        new: Sequence[Article],
        removed_words: Counter[str],
        added_words: Counter[str],
    ) -> Catalog:
        """A new catalog: rows where ``keep`` is False dropped, ``new`` appended."""
        kept = np.flatnonzero(keep).tolist()
        words = self.words.copy()
        words.subtract(removed_words)
        words.update(added_words)
        words = Counter({w: c for w, c in words.items() if c > 0})

        def pick(values: list) -> list:
            return [values[i] for i in kept]

        new_dates = np.array(
            [a.date.timestamp() if a.date else NO_DATE for a in new], dtype=np.float64
        )
        return Catalog(
            ids=pick(self.ids) + [a.id for a in new],
            titles=pick(self.titles) + [_clean(a.title) for a in new],
            slugs=pick(self.slugs) + [_clean(a.slug) for a in new],
            dates=np.concatenate([self.dates[keep], new_dates]),
            categories=pick(self.categories)
            + [tuple(_clean(c) for c in a.categories) for a in new],
            tags=pick(self.tags) + [tuple(_clean(t) for t in a.tags) for a in new],
            authors=pick(self.authors) + [_clean(a.author) for a in new],
            languages=pick(self.languages) + [a.language for a in new],
            words=words,
        )

    # --- persistence --------------------------------------------------------------------

    def to_blobs(self) -> dict[str, bytes]:
        def rows(values: Sequence[str]) -> bytes:
            return _ROW.join(values).encode()

        return {
            "ids": rows(self.ids),
            "titles": rows(self.titles),
            "slugs": rows(self.slugs),
            "dates": self.dates.astype(np.float64).tobytes(),
            "categories": rows([_ITEM.join(c) for c in self.categories]),
            "tags": rows([_ITEM.join(t) for t in self.tags]),
            "authors": rows(self.authors),
            "languages": rows(self.languages),
            "words": rows([f"{w}{_ITEM}{c}" for w, c in self.words.items()]),
            **_title_blobs(*self.title_words),
        }

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes], *, with_words: bool = True) -> Catalog:
        dates = np.frombuffer(blobs["dates"], dtype=np.float64)
        n = len(dates)

        def rows(name: str) -> list[str]:
            return blobs[name].decode().split(_ROW) if n else []

        def items(name: str) -> list[tuple[str, ...]]:
            return [tuple(r.split(_ITEM)) if r else () for r in rows(name)]

        catalog = cls(
            ids=rows("ids"),
            titles=rows("titles"),
            slugs=rows("slugs"),
            dates=dates,
            categories=items("categories"),
            tags=items("tags"),
            authors=rows("authors"),
            languages=rows("languages"),
        )
        if with_words:
            catalog.words = cls.words_from_blobs(blobs)
        if "title_words" in blobs:  # cached at index time: grouping titles is slow
            catalog.__dict__["title_words"] = _title_index(blobs)
        return catalog

    @staticmethod
    def words_from_blobs(blobs: Mapping[str, bytes]) -> Counter[str]:
        data = blobs.get("words", b"").decode()
        counts: Counter[str] = Counter()
        for row in data.split(_ROW) if data else ():
            word, _, count = row.rpartition(_ITEM)
            counts[word] = int(count)
        return counts

    # --- derived look-ups (built once per loaded catalog) --------------------------------

    @cached_property
    def by_category(self) -> dict[str, np.ndarray]:
        return _group(self.categories)

    @cached_property
    def by_tag(self) -> dict[str, np.ndarray]:
        return _group(self.tags)

    @cached_property
    def by_author(self) -> dict[str, np.ndarray]:
        return _group([(a,) if a else () for a in self.authors])

    @cached_property
    def by_id(self) -> dict[str, int]:
        return {doc_id: i for i, doc_id in enumerate(self.ids)}

    @cached_property
    def by_slug(self) -> dict[str, int]:
        return {slug.casefold(): i for i, slug in reversed(list(enumerate(self.slugs)))}

    @cached_property
    def newest_first(self) -> np.ndarray:
        """Document numbers by date, newest first; undated posts last."""
        keys = np.where(np.isnan(self.dates), np.inf, -np.nan_to_num(self.dates))
        return np.argsort(keys, kind="stable")

    @cached_property
    def category_names(self) -> dict[str, str]:
        """Folded category -> the spelling most articles use."""
        spellings: Counter[str] = Counter(c for cats in self.categories for c in cats)
        names: dict[str, str] = {}
        for name, _ in spellings.most_common():
            names.setdefault(name.casefold(), name)
        return names

    @cached_property
    def title_words(self) -> tuple[list[str], dict[str, np.ndarray]]:
        """Sorted folded title words and the docs of each, for prefix look-ups."""
        groups = _group([tuple(_title_words(t)) for t in self.titles])
        return sorted(groups), groups

    def warm(self) -> Catalog:
        """Build every look-up now (off the event loop), not on a user's first request."""
        for name in ("by_category", "by_tag", "by_author", "by_id", "by_slug"):
            getattr(self, name)
        for name in ("newest_first", "category_names", "title_words"):
            getattr(self, name)
        return self


def _title_blobs(words: list[str], docs_of: dict[str, np.ndarray]) -> dict[str, bytes]:
    sizes = np.array([len(docs_of[w]) for w in words], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    docs = np.concatenate([docs_of[w] for w in words]) if words else np.zeros(0, np.int32)
    return {
        "title_words": _ROW.join(words).encode(),
        "title_offsets": offsets.tobytes(),
        "title_docs": docs.astype(np.int32).tobytes(),
    }


def _title_index(blobs: Mapping[str, bytes]) -> tuple[list[str], dict[str, np.ndarray]]:
    raw = blobs["title_words"].decode()
    words = raw.split(_ROW) if raw else []
    offsets = np.frombuffer(blobs["title_offsets"], dtype=np.int64).tolist()
    docs = np.frombuffer(blobs["title_docs"], dtype=np.int32)
    return words, {w: docs[offsets[i] : offsets[i + 1]] for i, w in enumerate(words)}


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
