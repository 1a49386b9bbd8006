"""Field weighting by repetition in the one combined document."""

from __future__ import annotations

from collections import Counter

import numpy as np

from articlebot.index.config import IndexConfig
from articlebot.index.posts.article import Article
from articlebot.index.storage.workers import FileOutcome, _WorkerState, analyse_batch, article_ids
from articlebot.index.text.analysis import STOP_WORDS, Analyzer
from articlebot.index.text.fields import document_tokens, document_words


def _article(**kwargs: object) -> Article:
    base: dict[str, object] = {"id": "a.md", "path": "a.md", "slug": "a", "title": ""}
    return Article(**(base | kwargs))  # type: ignore[arg-type]


def test_each_field_repeated_by_its_weight() -> None:
    article = _article(
        title="Train chase",
        description="Stunt",
        categories=("latest", "Real estate"),
        tags=("cruise",),
        author="Jane Doe",
        body="A train.",
    )
    config = IndexConfig(
        title_weight=3,
        description_weight=2,
        categories_weight=1,
        tags_weight=4,
        author_weight=1,
        body_weight=1,
    )
    counts = Counter(document_tokens(article, Analyzer(), config))
    assert counts == {
        "train": 3 + 1,
        "chase": 3,
        "stunt": 2,
        "latest": 1,
        "real": 1,
        "estat": 1,
        "cruis": 4,
        "jane": 1,
        "doe": 1,
    }


def test_zero_weight_leaves_a_field_out() -> None:
    article = _article(title="Train", author="Jane", body="chase")
    config = IndexConfig(author_weight=0, title_weight=1)
    assert document_tokens(article, Analyzer(), config) == ["train", "chase"]


def test_fields_stemmed_in_the_articles_language() -> None:
    article = _article(title="Häuser", body="Kinder laufen", language="de")
    assert document_tokens(article, Analyzer("en"), IndexConfig(title_weight=1)) == [
        "haus",
        "kind",
        "lauf",
    ]


def test_empty_article_has_no_tokens() -> None:
    assert document_tokens(_article(), Analyzer(), IndexConfig()) == []


def test_the_workers_one_pass_gives_the_same_tokens_and_words() -> None:
    """The reindex workers analyse each field once and send ids; decoded, those are
    exactly ``document_tokens`` and ``document_words``."""
    article = _article(
        title="Train chase",
        description="Stunt's finale",
        categories=("latest", "Real estate"),
        tags=("cruise",),
        author="Jane Doe",
        body="A train, the trains and ¼ of Zürich.",
    )
    for config in (IndexConfig(), IndexConfig(title_weight=3, author_weight=0, tags_weight=0)):
        state = _WorkerState("", config, Analyzer())
        term_ids, word_ids, text_ids = article_ids(article, state)
        terms, surface = list(state.terms), list(state.words)
        tokens = [terms[i] for i in term_ids.tolist()]
        words = {surface[i] for i in word_ids.tolist()}
        assert tokens == document_tokens(article, Analyzer(), config)
        # positions: the phrase fields' tokens once each, in text order
        text = " \n ".join((article.title, article.description, article.body))
        assert [terms[i] for i in text_ids.tolist()] == Analyzer().tokens(text)
        assert words == document_words(article, Analyzer())
        assert "jane" not in words  # the author is searchable, never offered as a spelling


def test_a_batch_numbers_terms_in_text_order_and_sends_each_string_once() -> None:
    """Across articles and languages: terms are numbered in the order the tokens first
    show them, each term and word string is sent once, and stop words and author-only
    words are never sent as words."""
    articles = [
        _article(title="Trains and more trains", author="Jane Doe", body="The train left."),
        _article(id="b.md", title="Zug", language="de", body="Die Züge fahren, trains too."),
        _article(id="c.md", title="Trains", body="Left the station, self-driving, don't stop."),
    ]
    state = _WorkerState("", IndexConfig(), Analyzer())
    files = [FileOutcome(a.id, "digest", a) for a in articles]
    first = analyse_batch(files[:2], state)
    second = analyse_batch(files[2:], state)
    terms, words = first.new_terms + second.new_terms, first.new_words + second.new_words
    assert len(set(terms)) == len(terms) and len(set(words)) == len(words)
    tokens = [terms[i] for i in np.concatenate([first.term_ids, second.term_ids]).tolist()]
    assert terms == list(dict.fromkeys(tokens))  # numbered at first sight
    analyzer, config = Analyzer(), IndexConfig()
    expected = [t for a in articles for t in document_tokens(a, analyzer, config)]
    assert tokens == expected
    assert not set(words) & STOP_WORDS and "jane" not in words
    assert set(words) == set().union(*(document_words(a, analyzer) for a in articles))
    assert second.term_lens.tolist() == [len(document_tokens(articles[2], analyzer, config))]
