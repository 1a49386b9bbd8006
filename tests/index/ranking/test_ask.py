"""Picking the sentence that answers a question, and declining when none does."""

from __future__ import annotations

from articlebot.index.posts.article import Article
from articlebot.index.ranking.ask import MIN_CONFIDENCE, answer_question
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
