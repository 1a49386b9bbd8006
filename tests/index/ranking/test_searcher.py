"""A query over a real small index: filters, exclusions, phrases, listings, look-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from articlebot.index import IndexConfig, QueryError
from articlebot.index.ranking.searcher import Searcher
from articlebot.index.storage import database
from articlebot.index.storage.blobs import load_state
from articlebot.index.storage.reindex import run_reindex
from articlebot.index.text.analysis import Analyzer
from tests.sample_posts import write_post, write_posts


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    content = write_posts(tmp_path / "content")
    body = "The comet faded from view; the train to the observatory was cancelled."
    write_post(content, "comet_fades.md", "Comet fades", "2021-03-28-09-00-00", "science", body)
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, IndexConfig())
    conn = database.connect_reader(db)
    try:
        catalog, bm25 = load_state(conn, IndexConfig())
    finally:
        conn.close()
    return Searcher(bm25, catalog, Analyzer(), "UTC")


def ids(searcher: Searcher, query: str, limit: int = 10) -> list[str]:
    plan = searcher.plan(query, limit)
    return [searcher.catalog.ids[d] for d in plan.docs.tolist()]


def test_words_rank_and_filters_narrow(searcher: Searcher) -> None:
    assert set(ids(searcher, "comet")) == {"comet_seen_over_the_valley.md", "comet_fades.md"}
    assert ids(searcher, "comet tail")[0] == "comet_seen_over_the_valley.md"
    assert ids(searcher, "comet category:science -tail") == ["comet_fades.md"]
    assert ids(searcher, "comet after:2021-03-25") == ["comet_fades.md"]
    assert ids(searcher, "comet before:2021-03-21") == ["comet_seen_over_the_valley.md"]


def test_a_filter_alone_lists_the_newest(searcher: Searcher) -> None:
    plan = searcher.plan("category:science", 5)
    assert [searcher.catalog.ids[d] for d in plan.docs] == [
        "comet_fades.md",
        "comet_seen_over_the_valley.md",
    ]
    assert plan.total == 2 and not plan.terms


def test_unknown_category_names_the_known_ones(searcher: Searcher) -> None:
    with pytest.raises(QueryError, match="There's no category `weather` — try one of: "):
        searcher.plan("rain category:weather", 5)


def test_phrases_are_required_terms_and_longer_ones_are_checked_from_positions(
    searcher: Searcher,
):
    plan = searcher.plan('"comet" valley', 5)
    assert plan.phrases == ()  # one word: just a required term
    plan = searcher.plan('"tenth shop"', 5)
    assert plan.phrases == ()  # checked already, over every candidate: the total is exact
    assert [searcher.catalog.ids[d] for d in plan.docs] == ["bakery_chain_opens_tenth_shop.md"]
    assert plan.total == 1
    assert searcher.plan('"shop tenth"', 5).total == 0  # both words, not as the phrase


def test_nothing_to_search_for_is_one_sentence(searcher: Searcher) -> None:
    with pytest.raises(QueryError, match="nothing to search for"):
        searcher.plan("the and of", 5)


def test_resolve_by_id_slug_or_words(searcher: Searcher) -> None:
    catalog = searcher.catalog
    assert catalog.ids[searcher.resolve("comet_fades.md")] == "comet_fades.md"
    assert catalog.ids[searcher.resolve("Comet_Fades")] == "comet_fades.md"
    assert catalog.ids[searcher.resolve("bakery sourdough")] == "bakery_chain_opens_tenth_shop.md"
    assert searcher.resolve("   ") is None


def test_completion_of_titles_and_categories(searcher: Searcher) -> None:
    found = [searcher.catalog.titles[d] for d in searcher.complete_titles("comet fa")]
    assert found == ["Comet fades"]
    assert searcher.complete_categories("sc") == ["science"]


def test_suggestion_for_an_unknown_word(searcher: Searcher) -> None:
    plan = searcher.plan("comett", 5)
    assert plan.total == 0
    assert searcher.suggest(plan.query) == "comet"
