"""What a question asks for, and splitting text into sentences."""

from __future__ import annotations

import pytest

from articlebot.index.ranking.questions import (
    counted_stems,
    focus_stems,
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
        ("How old is the pastry chef", "age"),
        ("what age did she retire at", "age"),
        ("how much did the ring sell for", "money"),
        ("what will one of the dolls set you back", "money"),
        ("what compensation did the council offer", "money"),
        ("how much rain fell", "number"),
        ("what was the pub known as before", "name"),
        ("what did the mayor call the plan", "name"),
        ("what truck is the laser mounted on", "person"),
        ("which hospital treated him", "place"),
        ("when will the comet return?", "date"),
        ("which airline was she with when the lump was found", "person"),
        ("who was mayor when the bridge fell", "person"),
        ("which neighbouring village did he walk to", "place"),
        ("what year did the library open", "date"),
        ("who won the marathon?", "person"),
        ("where did the seals return to", "place"),
        ("which town gets the new library?", "place"),
        ("wie viele Fahrgäste gab es?", "number"),
        ("why did the bus depot close", "reason"),
        ("tell me about the bus depot", ""),
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


def test_the_focus_is_the_words_right_after_the_question_word() -> None:
    analyzer = Analyzer()

    def focus(question: str) -> set[str]:
        return focus_stems(question, analyzer, "")

    assert focus("who directed the film where the actor played a wizard") == {"direct"}
    assert focus("what nickname did the mayor give the bridge") == {"nicknam"}
    assert focus("how many runs did the captain score") == {"run"}
    assert focus("which neighbouring village did he walk to") == {"neighbor", "villag"}
    assert focus("what was the pub known as") == set()
    assert focus("tell me about the bus depot") == set()


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


def _fit(shape: str, question: str, text: str) -> float:
    analyzer = Analyzer()
    words = analyzer.words(text)
    numbers = [any(c.isdigit() for c in w) for w in words]
    return shape_score(shape, question, text, analyzer.stem(words), numbers, set())


@pytest.mark.parametrize(
    ("shape", "question", "answer", "other"),
    [
        ("age", "how old is the chef", "The 58-year-old chef won.", "The chef won 3 prizes."),
        ("age", "how old is the chef", "Mia Lund, 34, won the final.", "Mia Lund won the final."),
        ("money", "what did it sell for", "It sold for £847,000 at auction.", "It sold in 2019."),
        ("reason", "why did it close", "It closed because the roof leaked.", "It closed in May."),
        (
            "name",
            "what was the pub known as",
            "The pub was long known as 'the Drum'.",
            "The pub reopened last week.",
        ),
        (
            "number",
            "how long were the men followed for",
            "They were monitored for 10 years.",
            "Men with a 40in (103cm) waist had a 35 per cent higher risk.",
        ),
        ("number", "how long is the trail", "The trail is 86 miles long.", "It has 3 huts."),
        (
            "person",
            "who found the ring",
            "Ada Quill, 71, was digging when she saw it.",
            "Ms Quill had lost it in 2004.",
        ),
        (
            "place",
            "which town is she from",
            "She grew up in the market town of Kelbridge.",
            "She grew up near the sea.",
        ),
        (
            "place",
            "which hospital was the baby born in",
            "The baby was born at St Aldric's Hospital on Sunday.",
            "The baby was born in Boise, Idaho, on Sunday.",
        ),
    ],
)
def test_a_sentence_with_what_the_shape_wants_fits_better(
    shape: str, question: str, answer: str, other: str
) -> None:
    assert _fit(shape, question, answer) > _fit(shape, question, other)


def test_a_name_the_title_already_gives_does_not_answer_who() -> None:
    analyzer = Analyzer()
    question = "who is the trainer working with the former champion"
    title = "Ray Kettle is back to his best before the exhibition bout"

    def fit(text: str) -> float:
        words = analyzer.words(text)
        return shape_score("person", question, text, analyzer.stem(words), [], set(), title)

    assert fit("Ray Kettle looks in great shape ahead of the bout.") == 0.0
    assert fit("He has been working with trainer Rafa Monteiro.") == 1.0
    assert shape_score("person", question, "Ray Kettle trains.", ["ray"], [False], set()) == 1.0
