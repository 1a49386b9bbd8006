"""Picking the sentence that answers a question, and declining when none does."""

from __future__ import annotations

from articlebot.index.posts.article import Article
from articlebot.index.ranking.ask import (
    MIN_CONFIDENCE,
    Evidence,
    answer_question,
    confidence,
    lead,
)
from articlebot.index.text.analysis import Analyzer

STUNT = Article(
    id="stunt.md",
    path="stunt.md",
    slug="stunt",
    title="Rooftop motorbike jump for Iron Meridian",
    body=(
        "The crew closed the old town for a week of filming. "
        "The rooftop jump needed seven takes before the director was happy. "
        "The film opens in cinemas next spring."
    ),
)
BAKERY = Article(
    id="bakery.md",
    path="bakery.md",
    slug="bakery",
    title="Bakery chain opens tenth shop",
    body="Queues formed for the sourdough before the doors opened on Tuesday.",
)
IDF = {"takes": 2.0, "take": 2.0, "rooftop": 2.5, "jump": 1.5, "need": 0.8, "sourdough": 2.5}


def test_the_sentence_with_the_answer_is_quoted_with_its_source() -> None:
    answer = answer_question(
        "how many takes did the rooftop jump need?", [STUNT, BAKERY], Analyzer(), IDF, [1.0, 0.2]
    )
    assert not answer.declined and answer.article is STUNT
    assert any("seven takes" in s for s in answer.sentences)
    assert answer.confidence >= MIN_CONFIDENCE
    assert BAKERY in answer.related


def test_a_question_the_articles_do_not_answer_is_declined_with_the_closest() -> None:
    answer = answer_question(
        "who designed the stadium roof in Lisbon?", [STUNT, BAKERY], Analyzer(), IDF, [0.4, 0.1]
    )
    assert answer.declined and answer.sentences == () and answer.article is None
    assert answer.related == (STUNT, BAKERY)
    assert answer.confidence < MIN_CONFIDENCE


def _evidence(**change: float) -> Evidence:
    base = dict(
        coverage=0.9,
        unfit=0.0,
        strength=1.0,
        runner_up=0.5,
        in_article=1.0,
        missing=0.0,
        margin=0.5,
        own=0.8,
        gap=0.0,
        score=1.0,
    )
    return Evidence(**(base | change))


def test_confidence_is_nil_when_the_wanted_kind_of_answer_is_missing() -> None:
    assert confidence(_evidence(unfit=1.0)) == 0.0
    assert confidence(_evidence(unfit=0.5)) > 0.0


def test_confidence_rises_with_coverage_and_the_passage_score() -> None:
    assert confidence(_evidence(coverage=0.9, own=0.9)) > confidence(
        _evidence(coverage=0.3, own=0.3)
    )
    assert confidence(_evidence(score=1.2)) > confidence(_evidence(score=0.4))
    assert 0.0 < confidence(_evidence()) < 1.0


def test_confidence_takes_the_evidence_its_weights_name() -> None:
    evidence = _evidence(gap=1.0)
    assert confidence(evidence, {"gap": -2.0}, 0.0) < 0.5 < confidence(evidence, {"gap": 2.0}, 0.0)
    assert confidence(evidence, {}, 0.0) == 0.5


def test_an_answer_carries_the_evidence_its_confidence_came_from() -> None:
    answer = answer_question(
        "how many takes did the rooftop jump need?", [STUNT, BAKERY], Analyzer(), IDF, [1.0, 0.2]
    )
    assert answer.evidence is not None
    assert answer.confidence == round(confidence(answer.evidence), 3)
    assert answer.evidence.unfit == 0.0  # "seven takes": the number the question wants


def test_a_who_question_without_a_name_in_reach_is_declined() -> None:
    # The article says a new judge joined, never who: quoting it would not answer.
    answer = answer_question(
        "who is the new judge on the rooftop jump?", [STUNT], Analyzer(), IDF, [1.0]
    )
    assert answer.declined and answer.evidence is not None and answer.evidence.unfit == 1.0


def test_the_lead_credits_only_the_question_words_a_later_sentence_lacks() -> None:
    weights = {"bar": 2.0, "lamy": 3.0, "known": 1.0}
    first = {"bar": (0.5, 1.0), "lamy": (0.5, 0.7)}
    assert lead(weights, first, {"known": 1.0}) == 2.0 + 3.0 * 0.7
    assert lead(weights, first, {"bar": 1.0, "lamy": 1.0}) == 0.0
    assert lead(weights, {}, {}) == 0.0
