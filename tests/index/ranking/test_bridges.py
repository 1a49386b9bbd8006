"""Other words for a question's words: the chat and US/UK tables, and how ask uses them."""

from __future__ import annotations

from articlebot.index.posts.article import Article
from articlebot.index.ranking.ask import rank_passages
from articlebot.index.ranking.bridges import bridged_terms, stem_bridges, word_pairs
from articlebot.index.text.analysis import Analyzer

FAMILY = Article(
    id="family.md",
    path="family.md",
    slug="family",
    title="Marjorie Hale, the retired baker of Castleford Vale",
    body=(
        "She opened the bakery on the high street in 1971, when a loaf of bread cost a few "
        "pence and the street still had its market. "
        "Four children and eleven grandchildren make up her family, and most live nearby. "
        "Trading ends for good on Saturday."
    ),
)
IDF = {"grandkid": 3.0, "grandchildren": 3.0, "marjori": 4.0, "hale": 3.5}


def test_every_pair_works_both_ways() -> None:
    pairs = set(word_pairs())
    assert ("movie", "film") in pairs and ("film", "movie") in pairs
    assert ("sneakers", "trainers") in pairs and ("trainers", "sneakers") in pairs


def test_stems_map_to_the_stems_of_the_other_words() -> None:
    analyzer = Analyzer()
    table = stem_bridges(analyzer, "en")
    movie = analyzer.stem(["movie"], "en")[0]
    assert tuple(analyzer.stem(["film"], "en")) in table[movie]
    pm = table["pm"]
    assert tuple(analyzer.stem(["prime", "minister"], "en")) in pm  # a phrase: all its words


def test_no_bridges_for_languages_other_than_english() -> None:
    assert stem_bridges(Analyzer(), "de") == {}


def test_retrieval_gets_the_other_words_not_the_ones_it_has() -> None:
    analyzer = Analyzer()
    extra = bridged_terms(analyzer.stem(["movie", "film", "champ"], "en"), analyzer, "en")
    assert analyzer.stem(["champion"], "en")[0] in extra
    assert not set(analyzer.stem(["movie", "film"], "en")) & set(extra)


def test_a_sentence_with_the_other_word_answers_the_question() -> None:
    passages = rank_passages(
        "how many grandkids does Marjorie Hale have", [FAMILY], Analyzer(), IDF, [1.0]
    )
    assert "eleven grandchildren" in passages[0].text
    assert passages[0].coverage > passages[1].coverage  # "grandchildren" covers "grandkids"
    assert passages[0].shape == 1.0  # and is what "how many grandkids" counts
