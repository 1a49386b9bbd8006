"""Per-article columns kept in memory beside the postings: what filters, listings,
autocomplete and "did you mean" need without touching the articles table.

Stored in pieces, one in each segment file (pieces.py), so a reindex writes only the rows
it read and a cold start is a few concatenations, not 100,000 rows (an index of format 8
and before holds it as blobs: ``from_blobs``). Repeated values (categories, tags,
authors, languages) are held once, with per-row integer codes: a tuple or string object
per row cost tens of MB at 100,000 articles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from datetime import datetime
from functools import cached_property
from inspect import getattr_static
from typing import NamedTuple

import numpy as np

from articlebot.index.posts.article import Article
from articlebot.index.ranking.columns import (
    ITEM_SEP,
    ROW_SEP,
    Labels,
    PackedStrings,
    SortedKeys,
    TitleIndex,
    shared_strings,
    stable_order,
)

NO_DATE = np.nan


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


@dataclass
class Catalog:
    """Column ``i`` describes BM25 document ``i``."""

    # PackedStrings when read from blobs (an index of format 8), the pieces' own columns
    # (pieces.PieceStrings) when assembled from segment files.
    ids: Sequence[str]
    titles: Sequence[str]
    slugs: Sequence[str]
    dates: np.ndarray  # float64 unix seconds, NaN when undated
    categories: Labels
    tags: Labels
    authors: list[str]
    languages: list[str]
    words: Counter[str] = field(default_factory=Counter)  # surface word -> document count
    # Look-ups the loader already has, by the name of their cached property below (those
    # are built on first use otherwise): ``pieces.assemble`` gives those it reads from the
    # pieces' stored orders, ``from_blobs`` a stored title index.
    prebuilt: InitVar[Mapping[str, object] | None] = None

    def __post_init__(self, prebuilt: Mapping[str, object] | None) -> None:
        for name, value in (prebuilt or {}).items():
            if not isinstance(getattr_static(type(self), name, None), cached_property):
                raise TypeError(f"Catalog has no look-up {name!r} to be given")
            self.__dict__[name] = value  # where cached_property keeps what it built

    def __len__(self) -> int:
        return len(self.ids)

    # --- persistence --------------------------------------------------------------------

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes]) -> Catalog:
        dates = np.frombuffer(blobs["dates"], dtype=np.float64)
        n = len(dates)

        def rows(name: str) -> list[str]:
            return blobs[name].decode().split(ROW_SEP) if n else []

        prebuilt = {}
        if "title_words" in blobs:  # cached at index time: grouping titles is slow
            prebuilt["title_index"] = TitleIndex.from_blobs(blobs)
        return cls(
            ids=PackedStrings(blobs["ids"], n),
            titles=PackedStrings(blobs["titles"], n),
            slugs=PackedStrings(blobs["slugs"], n),
            dates=dates,
            categories=Labels.from_blobs(blobs, "categories", n),
            tags=Labels.from_blobs(blobs, "tags", n),
            authors=shared_strings(rows("authors")),
            languages=shared_strings(rows("languages")),
            words=cls.words_from_blobs(blobs),
            prebuilt=prebuilt,
        )

    @staticmethod
    def words_from_blobs(blobs: Mapping[str, bytes]) -> Counter[str]:
        """The word counts: words one per line, counts an int64 array (parsing a
        "word, count" line each took 120 ms of a one-file reindex)."""
        data = blobs.get("words", b"").decode()
        if "words.counts" in blobs:
            counts = np.frombuffer(blobs["words.counts"], dtype=np.int64).tolist()
            return Counter(dict(zip(data.split(ROW_SEP) if data else [], counts, strict=True)))
        legacy: Counter[str] = Counter()  # written before the counts array
        for row in data.split(ROW_SEP) if data else ():
            word, _, count = row.rpartition(ITEM_SEP)
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
        return _group_one(self.authors)

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
        return np.argsort(newest_keys(self.dates), kind="stable")

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


def newest_keys(dates: np.ndarray) -> np.ndarray:
    """Sort keys for newest first: negated dates, undated last."""
    return np.where(np.isnan(dates), np.inf, -np.nan_to_num(dates))


def _group_one(values: Sequence[str]) -> dict[str, np.ndarray]:
    """Folded value -> ascending rows, for one value per row ("" for none): each distinct
    value is folded once and the rows grouped by a stable sort, not a list per value
    appended row by row (30 ms at 100,000 rows)."""
    code_of_key: dict[str, int] = {}
    code_of = {
        value: code_of_key.setdefault(value.casefold(), len(code_of_key))
        for value in dict.fromkeys(values)  # distinct values, each folded once
    }
    folded = list(code_of_key)
    codes = np.fromiter(map(code_of.__getitem__, values), np.int64, len(values))
    rows = stable_order(codes, len(folded)).astype(np.int32)
    bounds = np.searchsorted(codes[rows], np.arange(len(folded) + 1))
    return {
        key: rows[bounds[i] : bounds[i + 1]]
        for i, key in enumerate(folded)
        if key and bounds[i + 1] > bounds[i]
    }
