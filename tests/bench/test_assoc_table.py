"""The word associations measured by bench/ask_assoc.py (bench/assoc_table.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import assoc_table  # noqa: E402
from assoc_table import Associations  # noqa: E402

from articlebot.index.text.analysis import Analyzer  # noqa: E402

# Headlines and leads written for this test: the headline says "buys", the lead
# "purchased", in stories about different things; the other words differ per story.
STORIES = [
    ("Baker buys old mill", "A baker from Tilby has purchased the village mill."),
    ("Club buys striker", "The club purchased the young striker on Friday."),
    ("Farmer buys tractor", "A farmer purchased a vintage tractor at auction."),
    ("Museum buys painting", "The museum has purchased a painting by a local artist."),
    ("Heatwave closes schools", "Schools shut early as temperatures climbed."),
    ("Storm floods harbour", "The harbour flooded overnight after heavy rain."),
    ("Choir wins prize", "The choir won first prize at the festival."),
]


@pytest.fixture
def analyzer() -> Analyzer:
    return Analyzer("en")


@pytest.fixture
def table(analyzer: Analyzer) -> Associations:
    return Associations.build(((h, lead, "en") for h, lead in STORIES), analyzer)


def stem(analyzer: Analyzer, word: str) -> str:
    return analyzer.tokens(word, "en")[0]


def test_a_headline_word_finds_the_lead_word_that_stands_in_for_it(table, analyzer):
    buy, purchase = stem(analyzer, "buys"), stem(analyzer, "purchased")
    assert table.associates(buy)[0][0] == purchase
    assert table.associates(purchase)[0][0] == buy  # and the reverse
    dice = dict(table.associates(buy))[purchase]
    assert dice == pytest.approx(1.0)  # mismatched together in every article of either


def test_pairs_seen_in_too_few_articles_are_not_kept(table, analyzer):
    # "won" stands in for "wins" in one story only: below MIN_PAIRS
    assert table.associates(stem(analyzer, "wins")) == ()
    assert assoc_table.MIN_PAIRS > 1


def test_unknown_words_and_numbers_have_none(table, analyzer):
    assert table.associates("zzzzz") == ()
    assert table.associates("2020") == ()


def test_associates_are_cached(table, analyzer):
    buy = stem(analyzer, "buys")
    assert table.associates(buy) is table.associates(buy)


def test_sizes(table):
    assert table.articles == len(STORIES)
    assert len(table) > 0 and table.nbytes() > 0


def test_an_empty_corpus_builds_an_empty_table(analyzer):
    empty = Associations.build([], analyzer)
    assert empty.articles == 0 and empty.associates("buy") == ()


def test_the_bench_lends_associates_to_the_bridges_and_puts_them_back(table, analyzer):
    import ask_assoc

    from articlebot.index.ranking import ask, bridges

    before = ask.stem_bridges, bridges.bridged_terms
    buy, purchase = stem(analyzer, "buys"), stem(analyzer, "purchased")
    with ask_assoc.use("both", {id(analyzer): table}):
        merged = ask.stem_bridges(analyzer, "en")
        assert (purchase,) in merged.get(buy)
        assert purchase in bridges.bridged_terms([buy], analyzer, "en")
        # the hand bridges stay: "movie" still finds "film"
        assert (stem(analyzer, "film"),) in merged.get(stem(analyzer, "movie"))
    assert (ask.stem_bridges, bridges.bridged_terms) == before
