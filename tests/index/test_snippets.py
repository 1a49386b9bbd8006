"""Snippet windows: the passage with most query terms, cut at words, marks on the matches."""

from __future__ import annotations

import time

import pytest

from index.analysis import Analyzer
from index.snippets import make_snippet


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer("en")


def _terms(analyzer: Analyzer, query: str) -> frozenset[str]:
    return frozenset(analyzer.tokens(query))


def _marked(snippet) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.marks]


def _filler(prefix: str, n: int) -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


def test_window_with_most_distinct_terms(analyzer: Analyzer) -> None:
    text = (
        f"{_filler('a', 50)} train train train {_filler('b', 50)} "
        f"the Train chased Cruise's car {_filler('c', 50)}"
    )
    snippet = make_snippet(text, _terms(analyzer, "cruise train chase"), analyzer, width=10)
    assert _marked(snippet) == ["Train", "chased", "Cruise's"]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text.strip("…").split()) == 10


def test_ties_go_to_more_matches_then_earlier(analyzer: Analyzer) -> None:
    text = f"train {_filler('a', 40)} train train {_filler('b', 40)} train train"
    snippet = make_snippet(text, _terms(analyzer, "train"), analyzer, width=5)
    assert _marked(snippet) == ["train", "train"]
    assert "a39" in snippet.text and "b0" in snippet.text  # the first pair, centred
    single = make_snippet(f"x train {_filler('a', 40)} train", {"train"}, analyzer, width=5)
    assert single.text.startswith("x train") and _marked(single) == ["train"]


def test_marks_are_exactly_the_matched_words(analyzer: Analyzer) -> None:
    text = "COVID-19 vaccines: the covid-19 vaccine's trial (vaccinated) — vaccination!"
    snippet = make_snippet(text, _terms(analyzer, "covid-19 vaccine"), analyzer)
    assert snippet.text == text  # short text is not cut
    # Stems, not substrings: "vaccinated" and "vaccination" stem to "vaccin" too.
    assert _marked(snippet) == [
        "COVID-19",
        "vaccines",
        "covid-19",
        "vaccine's",
        "vaccinated",
        "vaccination",
    ]
    only = make_snippet("vaccinology covid vaccine", {"vaccin"}, analyzer)
    assert _marked(only) == ["vaccine"]


def test_whitespace_collapsed_and_marks_still_align(analyzer: Analyzer) -> None:
    text = "The  train\n\n\tchase   at dawn"
    snippet = make_snippet(text, _terms(analyzer, "chase dawn"), analyzer)
    assert snippet.text == "The train chase at dawn"
    assert _marked(snippet) == ["chase", "dawn"]


def test_no_match_gives_the_opening_words(analyzer: Analyzer) -> None:
    snippet = make_snippet(_filler("w", 100), {"train"}, analyzer, width=30)
    assert snippet.text == _filler("w", 30) + "…"
    assert snippet.marks == ()


def test_empty_text(analyzer: Analyzer) -> None:
    snippet = make_snippet("", {"train"}, analyzer)
    assert snippet.text == "" and snippet.marks == ()
    assert make_snippet("  \n ", {"train"}, analyzer).text == ""


def test_match_at_the_very_end(analyzer: Analyzer) -> None:
    snippet = make_snippet(_filler("w", 100) + " train.", {"train"}, analyzer, width=8)
    assert snippet.text.startswith("…") and snippet.text.endswith("train.")
    assert _marked(snippet) == ["train"]
    assert len(snippet.text.lstrip("…").split()) == 8


def test_language_stemming_is_used(analyzer: Analyzer) -> None:
    snippet = make_snippet("Die Häuser am See", {"haus"}, analyzer, language="de")
    assert _marked(snippet) == ["Häuser"]


def test_fast_on_a_long_body(analyzer: Analyzer) -> None:
    body = " ".join(f"word{i % 700} filler{i % 13}" for i in range(2_500))
    body += " the train chase at last"
    terms = _terms(analyzer, "train chase")
    make_snippet(body, terms, analyzer)  # warm the stem cache
    started = time.perf_counter()
    snippet = make_snippet(body, terms, analyzer)
    assert time.perf_counter() - started < 0.05
    assert _marked(snippet) == ["train", "chase"]
