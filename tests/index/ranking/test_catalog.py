"""The catalog beside the postings, and the compact columns it is made of. A catalog of
whole columns is what an index of format 8 is read as (its catalog as blobs)."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from articlebot.index.posts.article import Article
from articlebot.index.ranking.catalog import Catalog
from articlebot.index.ranking.columns import Labels, PackedStrings, SortedKeys, TitleIndex
from tests.index.ranking.format8 import format8_blobs, format8_catalog


def article(n: int, date: datetime | None, categories=("latest", "tv"), title="") -> Article:
    return Article(
        id=f"p{n}.md",
        path=f"p{n}.md",
        slug=f"Slug-{n}",
        title=title or f"Harbour news {n}",
        date=date,
        categories=categories,
        tags=("boats",) if n % 2 else (),
        author="Jo Reed" if n % 3 == 0 else "",
        language="en",
    )


def test_look_ups_by_category_tag_author_id_and_slug() -> None:
    cat = format8_catalog([article(n, datetime(2021, 1, n + 1, tzinfo=UTC)) for n in range(6)])
    assert cat.by_category["tv"].tolist() == list(range(6))
    assert cat.by_tag["boats"].tolist() == [1, 3, 5]
    assert cat.by_author["jo reed"].tolist() == [0, 3]
    assert cat.by_id["p4.md"] == 4 and cat.by_slug["slug-2"] == 2
    assert cat.category_names == {"latest": "latest", "tv": "tv"}


def test_newest_first_puts_undated_posts_last() -> None:
    dates = [datetime(2021, 3, 1, tzinfo=UTC), None, datetime(2021, 5, 1, tzinfo=UTC), None]
    cat = format8_catalog([article(n, d) for n, d in enumerate(dates)])
    assert cat.newest_first.tolist() == [2, 0, 1, 3]
    assert math.isnan(cat.dates[1])


def test_a_format_8_catalog_reads_back_its_rows_words_and_title_index() -> None:
    rows = [article(n, datetime(2021, 1, 1, tzinfo=UTC), title=f"Ferry {n}") for n in range(3)]
    blobs = format8_blobs(rows, {"harbour": 3, "news": 3})
    cat = Catalog.from_blobs(blobs)
    assert list(cat.ids) == ["p0.md", "p1.md", "p2.md"] and cat.titles[2] == "Ferry 2"
    assert cat.words == Counter({"harbour": 3, "news": 3})
    assert cat.dates.tolist() == [datetime(2021, 1, 1, tzinfo=UTC).timestamp()] * 3
    assert [cat.tags.row(i) for i in range(3)] == [(), ("boats",), ()]
    assert "title_index" in cat.__dict__  # stored, not rebuilt from the titles
    assert cat.title_index["ferry"].tolist() == [0, 1, 2]
    assert len(Catalog.from_blobs(format8_blobs([]))) == 0


def test_a_stored_string_with_a_newline_is_refused_when_read_back() -> None:
    with pytest.raises(ValueError, match="stored strings"):
        PackedStrings(b"a\nb\nc", 2)


def test_labels_count_and_group_case_insensitively() -> None:
    labels = Labels.from_rows([("TV", "news"), ("tv",), ()])
    assert labels.counts() == Counter({"TV": 1, "news": 1, "tv": 1})
    assert {k: v.tolist() for k, v in labels.groups().items()} == {"tv": [0, 1], "news": [0]}


def test_title_index_words_are_folded_and_sorted() -> None:
    index = TitleIndex.build(["Zürich Ferry", "ferry news"])
    assert index.words == ["ferry", "news", "zürich"]
    assert index["ferry"].tolist() == [0, 1]


def test_packed_columns_and_sorted_look_ups() -> None:

    values = ["b.md", "Zürich.md", "", "a.md", "B.md"]
    packed = PackedStrings.of(values)
    assert list(packed) == values and len(packed) == 5 and packed[1] == "Zürich.md"
    assert packed[-1] == "B.md" and packed[1:3] == ["Zürich.md", ""] and packed == values
    assert PackedStrings("\n".join(values).encode(), 5) == packed
    assert PackedStrings(b"", 0).tolist() == []
    by_id = SortedKeys(packed)
    assert by_id.get("a.md") == 3 and by_id.get("B.md") == 4 and by_id.get("c.md") is None
    folded = SortedKeys(packed, str.casefold)
    assert folded["b.md"] == 0  # equal folded keys: the first row wins
    assert "zürich.md" in folded and len(folded) == 5


def test_groups_by_author_and_label_fold_case_and_keep_rows_ascending() -> None:
    from articlebot.index.ranking.catalog import _group_one
    from articlebot.index.ranking.columns import distinct

    rng = np.random.default_rng(3)
    names = ["", "Ann Lee", "ann lee", "ÉMILE", "émile", "Straße", "STRASSE", "Bob"]
    authors = [names[i] for i in rng.integers(0, len(names), 500)]
    expected: dict[str, list[int]] = {}
    for row, author in enumerate(authors):
        if author:
            expected.setdefault(author.casefold(), []).append(row)
    got = _group_one(authors)
    assert {k: v.tolist() for k, v in got.items()} == expected
    assert _group_one([]) == {} and _group_one(["", ""]) == {}
    values = rng.integers(0, 50, 300)
    assert np.array_equal(distinct(values), np.unique(values))
    assert distinct(np.zeros(0, dtype=np.int64)).size == 0


def test_look_ups_given_at_construction_are_used_and_must_be_look_ups() -> None:
    """A loader that already has a look-up passes it by its cached property's name; a
    name that is no look-up (a typo, a column) is refused, not silently rebuilt later."""
    cat = format8_catalog([article(n, None) for n in range(3)])
    columns = {name: getattr(cat, name) for name in ("ids", "titles", "slugs", "dates")}
    labels = {"categories": cat.categories, "tags": cat.tags}
    people = {"authors": cat.authors, "languages": cat.languages}
    newest = np.array([2, 1, 0])
    given = Catalog(**columns, **labels, **people, prebuilt={"newest_first": newest})
    assert given.newest_first is newest and given.by_id["p1.md"] == 1
    for wrong in ("newest_frist", "ids", "title_words", "warm"):
        with pytest.raises(TypeError, match=f"no look-up '{wrong}'"):
            Catalog(**columns, **labels, **people, prebuilt={wrong: newest})


def test_joined_labels_keep_only_the_names_kept_rows_carry() -> None:
    """Names only dropped rows carried go with them, codes renumbered: a merged piece
    stores its labels, and would otherwise keep every name it ever had."""
    first = Labels.from_rows([("news", "tv"), ("gone",), ("tv",)])
    second = Labels.from_rows([("also gone", "news"), ("radio",)])
    joined = Labels.joined([(first, np.array([True, False, True])), (second, None)])
    assert list(joined) == [("news", "tv"), ("tv",), ("also gone", "news"), ("radio",)]
    assert joined.names == ["news", "tv", "also gone", "radio"]
    dropped = Labels.joined(
        [(first, np.array([False, False, True])), (second, np.array([False, True]))]
    )
    assert list(dropped) == [("tv",), ("radio",)] and dropped.names == ["tv", "radio"]
    assert dropped.codes.dtype == np.int32 and dropped.codes.tolist() == [0, 1]
    nothing = Labels.joined([(first, np.zeros(3, dtype=bool))])
    assert len(nothing) == 0 and nothing.names == [] and len(Labels.joined([])) == 0
