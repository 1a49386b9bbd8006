"""What a question asks for, and splitting text into sentences."""

from __future__ import annotations

import pytest

from articlebot.index.ranking.questions import (
    counted_stems,
    question_shape,
    question_terms,
    sentences,
    shape_score,
)
from articlebot.index.text.analysis import Analyzer


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        ("how many takes did the jump need?", "number"),
        ("How old is the pastry chef", "number"),
        ("when will the comet return?", "date"),
        ("what year did the library open", "date"),
        ("who won the marathon?", "person"),
        ("where did the seals return to", "place"),
        ("which town gets the new library?", "place"),
        ("wie viele Fahrgäste gab es?", "number"),
        ("why did the bus depot close", ""),
    ],
)
def test_question_shapes(question: str, shape: str) -> None:
    assert question_shape(question) == shape


def test_sentences_keep_abbreviations_and_german_dates_whole() -> None:
    text = "Dr. Amal Reyes spoke first. The U.S. team came second.\n\nAm 12. September ging es los."
    assert sentences(text) == [
        "Dr. Amal Reyes spoke first.",
        "The U.S. team came second.",
        "Am 12. September ging es los.",
    ]


def test_question_words_are_not_terms_and_what_is_counted_is_known() -> None:
    analyzer = Analyzer()
    assert question_terms("How many breeding pairs were seen?", analyzer) == [
        "breed",
        "pair",
        "seen",
    ]
    assert counted_stems("how many breeding pairs were seen", analyzer, "") == {"breed", "pair"}
    assert counted_stems("who saw them", analyzer, "") == set()


def test_a_sentence_with_the_counted_number_fits_a_how_many_question() -> None:
    analyzer = Analyzer()
    question = "how many takes did it need"
    counted = counted_stems(question, analyzer, "")

    def fit(text: str) -> float:
        words = analyzer.words(text)
        stems = analyzer.stem(words)
        numbers = [any(c.isdigit() for c in w) or w == "seven" for w in words]
        return shape_score("number", question, text, stems, numbers, counted)

    assert fit("The jump needed seven takes in the end.") == 1.0
    assert fit("The jump was hard to film.") == 0.0
