"""The catalog as an index of format 8 stored it: the whole catalog as blobs, before it
moved into the segment files. An old index is read from these until its next reindex
rebuilds it (``Catalog.from_blobs``); nothing writes them any more, so the layout is
written out here, once, for the tests.

Read back, it is also the reference the catalog in pieces is checked against: its
look-ups are built from the whole columns, not from stored per-piece orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from articlebot.index.posts.article import Article
from articlebot.index.ranking.catalog import NO_DATE, Catalog, CatalogEntry, catalog_entry
from articlebot.index.ranking.columns import ROW_SEP, Labels, TitleIndex, clean_field


def _rows(values: Sequence[str]) -> bytes:
    return ROW_SEP.join(values).encode()


def _labels(name: str, rows: Sequence[tuple[str, ...]]) -> dict[str, bytes]:
    labels = Labels.from_rows(rows)
    return {
        f"{name}.names": _rows(labels.names),
        f"{name}.offsets": labels.offsets.tobytes(),
        f"{name}.codes": labels.codes.tobytes(),
    }


def format8_blobs(
    articles: Sequence[Article | CatalogEntry], words: Mapping[str, int] | None = None
) -> dict[str, bytes]:
    """The catalog blobs of an index of format 8 holding ``articles`` in order."""
    entries = [catalog_entry(a) for a in articles]
    titles = [clean_field(e.title) for e in entries]
    title_index = TitleIndex.build(titles)
    words = dict(words or {})
    dates = [e.date.timestamp() if e.date else NO_DATE for e in entries]
    return {
        "ids": _rows([e.id for e in entries]),
        "titles": _rows(titles),
        "slugs": _rows([clean_field(e.slug) for e in entries]),
        "dates": np.array(dates, dtype=np.float64).tobytes(),
        **_labels("categories", [tuple(map(clean_field, e.categories)) for e in entries]),
        **_labels("tags", [tuple(map(clean_field, e.tags)) for e in entries]),
        "authors": _rows([clean_field(e.author) for e in entries]),
        "languages": _rows([e.language for e in entries]),
        "words": _rows(list(words)),
        "words.counts": np.fromiter(words.values(), np.int64, len(words)).tobytes(),
        "title_words": _rows(title_index.words),
        "title_offsets": title_index.offsets.tobytes(),
        "title_docs": title_index.docs.astype(np.int32).tobytes(),
    }


def format8_catalog(articles: Sequence[Article], words: Mapping[str, int] | None = None) -> Catalog:
    """The catalog of ``articles`` as read from an index of format 8."""
    return Catalog.from_blobs(format8_blobs(articles, words))
