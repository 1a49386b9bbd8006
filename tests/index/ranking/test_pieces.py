"""The catalog in pieces, one per segment: assembled over deletions it is the catalog a
single build of the live rows makes, look-ups included."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np

from articlebot.index.posts.article import Article
from articlebot.index.ranking.catalog import Catalog, catalog_entry
from articlebot.index.ranking.pieces import CatalogPiece, assemble, merged_piece
from articlebot.index.ranking.segment import NO_DELETIONS, Deletions
from tests.index.ranking.format8 import format8_catalog


def article(n: int, author: str = "", title: str = "") -> Article:
    return Article(
        id=f"p{n}.md",
        path=f"p{n}.md",
        slug=f"Slug-{n % 5}",  # slugs repeat: the lowest live row wins
        title=title or f"Harbour ferry {n} news",
        date=datetime(2021, 1, 1 + n % 28, tzinfo=UTC) if n % 4 else None,
        categories=("latest", f"c{n % 3}"),
        tags=("boats",) if n % 2 else (),
        author=author or ("Jo Reed" if n % 3 == 0 else ""),
        language="fr" if n % 7 == 0 else "en",
    )


def built(articles: list[Article]) -> Catalog:
    """The reference: the whole catalog of ``articles``, look-ups built from its columns."""
    return format8_catalog(articles)


def piece(articles: list[Article], words: dict[str, int] | None = None) -> CatalogPiece:
    """A piece as a segment file returns it: through its arrays."""
    made = CatalogPiece.of([catalog_entry(a) for a in articles], words or {})
    return CatalogPiece.from_arrays(made.to_arrays())


def gone(*docs: int) -> Deletions:
    """The deletions of a piece's local ``docs``."""
    return Deletions(np.array(docs, dtype=np.int32))


def same(got: Catalog, want: Catalog) -> None:
    assert list(got.ids) == list(want.ids)
    assert list(got.titles) == list(want.titles) and list(got.slugs) == list(want.slugs)
    for name in ("ids", "titles", "slugs"):  # row by row, as a page of results reads them
        column, expected = getattr(got, name), list(getattr(want, name))
        assert [column[i] for i in range(len(column))] == expected
        assert column[-1] == expected[-1] and column[1:3] == expected[1:3]
    np.testing.assert_array_equal(got.dates, want.dates)
    assert list(got.categories) == list(want.categories) and list(got.tags) == list(want.tags)
    assert got.authors == want.authors and got.languages == want.languages
    for name in ("by_category", "by_tag", "by_author"):
        g, w = getattr(got, name), getattr(want, name)
        assert {k: v.tolist() for k, v in g.items()} == {k: v.tolist() for k, v in w.items()}
    for ref in [*want.ids, "p999.md"]:
        assert got.by_id.get(ref) == want.by_id.get(ref)
    for slug in ("slug-0", "slug-3", "slug-9"):
        assert got.by_slug.get(slug) == want.by_slug.get(slug)
    got_words, got_docs = got.title_words
    want_words, want_docs = want.title_words
    for word in want_words:
        assert got_docs[word].tolist() == want_docs[word].tolist()
    assert set(want_words) <= set(got_words)
    assert got.newest_first.tolist() == want.newest_first.tolist()
    assert got.category_names == want.category_names


def test_one_piece_is_the_catalog_of_its_rows() -> None:
    rows = [article(n) for n in range(12)]
    same(assemble([piece(rows)], [NO_DELETIONS]), built(rows))


def test_pieces_with_deletions_assemble_to_the_live_rows_in_order() -> None:
    first = [article(n) for n in range(10)]
    second = [article(n, author="Ann Lee", title=f"Comet {n} seen") for n in range(10, 14)]
    third = [article(3, title="Harbour ferry 3 back on time")]  # p3 edited: deleted above
    deleted = [gone(1, 3, 8), gone(0), NO_DELETIONS]
    live = [a for i, a in enumerate(first) if i not in (1, 3, 8)] + second[1:] + third
    got = assemble([piece(first), piece(second), piece(third)], deleted)
    same(got, built(live))
    assert got.by_id["p3.md"] == len(live) - 1  # the deleted first version is not found


def test_merged_piece_is_the_assembled_rows_and_the_live_words() -> None:
    first, second = [article(n) for n in range(6)], [article(n) for n in range(6, 9)]
    words_a, words_b = {"ferry": 6, "harbour": 6, "rare": 1}, {"ferry": 3, "comet": 2}
    deleted = [gone(2), NO_DELETIONS]
    words_gone = Counter({"ferry": 1, "harbour": 1, "rare": 1})  # the deleted row's words
    merged = merged_piece(
        [piece(first, words_a), piece(second, words_b)], deleted, [words_gone, Counter()]
    )
    back = CatalogPiece.from_arrays(merged.to_arrays())
    live = [a for i, a in enumerate(first) if i != 2] + second
    same(assemble([back], [NO_DELETIONS]), built(live))
    assert back.words() == Counter({"ferry": 8, "harbour": 5, "comet": 2})


def test_a_file_without_a_piece_has_none() -> None:
    assert CatalogPiece.from_arrays({"offsets": np.zeros(1, dtype=np.int64)}) is None


def test_a_piece_merged_alone_drops_its_deleted_rows() -> None:
    rows = [article(n) for n in range(8)]
    merged = merged_piece([piece(rows)], [gone(0, 5)], [Counter()])
    live = [a for i, a in enumerate(rows) if i not in (0, 5)]
    same(assemble([merged], [NO_DELETIONS]), built(live))


def test_assembling_gives_the_look_ups_read_from_the_pieces() -> None:
    """Ids, slugs, titles, authors and dates are looked up through the pieces' stored
    orders (nothing sorted or grouped at open), not rebuilt from the columns."""
    from articlebot.index.ranking.pieces import PieceKeys, PieceTitles

    rows = [article(n) for n in range(6)]
    got = assemble([piece(rows)], [gone(2)])
    given = ("newest_first", "by_author", "by_id", "by_slug", "title_index")
    assert set(given) <= set(vars(got))
    assert isinstance(got.by_id, PieceKeys) and isinstance(got.by_slug, PieceKeys)
    assert isinstance(got.title_index, PieceTitles)


def test_a_merged_piece_keeps_no_label_of_its_deleted_rows_only() -> None:
    """A category, tag, author or language only deleted posts had leaves the merged
    piece's stored names (they piled up merge after merge before)."""
    rows = [article(n) for n in range(4)]
    odd = Article(id="odd.md", path="odd.md", slug="odd", title="Odd one", date=None,
                  categories=("latest", "once"), tags=("rare",), author="Guest Writer",
                  language="de")  # fmt: skip
    merged = merged_piece([piece([*rows, odd])], [gone(4)], [Counter()])
    for name, index in (("categories", 1), ("tags", 2), ("authors", 3), ("languages", 4)):
        names = merged.labels(name, index).names
        assert not {"once", "rare", "Guest Writer", "de"} & set(names), name
        assert names, name
    same(assemble([merged], [NO_DELETIONS]), built(rows))
