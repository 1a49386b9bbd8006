"""Answer a question with the one or two sentences of an article that answer it.

Retrieval first (the article index), then a score for every sentence of the best articles:
how much of the question the sentence covers, with the article's title as context for
every sentence ("How many takes did it need?" over an article titled after the stunt), and
the shape of the question: `how many takes` wants a number next to "takes", `when` a
date, `who` a name that is not already in the question. When no sentence covers enough of
the question, the answer declines rather than quote something loosely related.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from articlebot.index.posts.article import Article
from articlebot.index.ranking.questions import (
    counted_stems,
    expand_hyphens,
    has_digit,
    is_number,
    leans_on_next,
    question_shape,
    question_terms,
    sentences,
    shape_score,
)
from articlebot.index.text.analysis import Analyzer

# Scoring. A passage (a sentence, with the next one when it leans on it) scores its
# coverage of the question, where terms of the article's title count as covered, plus a
# BM25-style match of its own in which terms the title already supplies count less, times
# a factor for how well it has what the question's shape wants, plus the article's rank.
TITLE_DISCOUNT = 0.3  # weight of a title term matched again in the sentence
MATCH_WEIGHT = 0.5  # weight of the sentence's own term match against coverage
SHAPE_FLOOR = 0.5  # score factor of a sentence without what the question's shape wants
PRIOR_WEIGHT = 0.3  # weight of the article's retrieval score (0..1)
NEXT_FIT = 0.8  # shape fit credited to a sentence when only the next one has it
VARIANT_PREFIX = 5  # letters a stem shares with a longer form of it ("direct", "director")
VARIANT_CREDIT = 0.7  # coverage credited for such a longer or shorter form
# Declining: confidence is the chosen passage's coverage, halved when it lacks what the
# question's shape wants; below this the answer declines. Set on the odd-numbered
# questions of bench/ (answered correctly: 0.72 and up; unanswerable: mostly 0.63 and less).
MIN_COVERAGE = 0.7


@dataclass(frozen=True, slots=True)
class Passage:
    article: Article
    index: int  # sentence number in the article
    text: str
    score: float
    coverage: float  # share of the question's weight the passage contains
    shape: float = 1.0  # how well the sentence has what the question's shape wants (0..1)
    extend: bool = False  # the answer quotes the next sentence too


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    sentences: tuple[str, ...]
    article: Article | None
    confidence: float
    declined: bool
    related: tuple[Article, ...] = ()


class _Sentences:
    """An article's sentences with their words and stems, computed once per article."""

    __slots__ = ("numbers", "prefixes", "stems", "texts")

    def __init__(self, article: Article, analyzer: Analyzer) -> None:
        self.texts = sentences(article.body) or sentences(article.description)
        self.stems: list[list[str]] = []
        self.numbers: list[list[bool]] = []
        self.prefixes: dict[str, set[str]] = {}  # first letters -> the article's stems
        for text in self.texts:
            words = expand_hyphens(analyzer.words(text))
            stems = analyzer.stem(words, article.language)
            self.stems.append(stems)
            self.numbers.append([is_number(w) for w in words])
            for stem in stems:
                if len(stem) >= VARIANT_PREFIX:
                    self.prefixes.setdefault(stem[:VARIANT_PREFIX], set()).add(stem)

    def variants(self, term: str) -> tuple[str, ...]:
        """Other stems of the article that extend the term or that it extends, so
        "directed" (direct) finds "director" and "election" finds "elect"."""
        if len(term) < VARIANT_PREFIX:
            return ()
        found = self.prefixes.get(term[:VARIANT_PREFIX], ())
        return tuple(s for s in found if s != term and (s.startswith(term) or term.startswith(s)))


_CACHE: dict[tuple[str, str, str, int], _Sentences] = {}
_CACHE_LIMIT = 512


def _article_sentences(article: Article, analyzer: Analyzer) -> _Sentences:
    key = (article.id, article.language, article.body, id(analyzer))
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        found = _CACHE[key] = _Sentences(article, analyzer)
    return found


def rank_passages(
    question: str,
    articles: Sequence[Article],
    analyzer: Analyzer,
    idf: dict[str, float],
    prior: Sequence[float] = (),
    k1: float = 1.2,
    b: float = 0.5,
) -> list[Passage]:
    """Score every sentence of the candidate articles (with the next one when it leans
    on it, or when only the next one has what the question's shape wants)."""
    shape = question_shape(question)
    known = [v for v in idf.values() if v > 0]
    # A word no article contains is as telling as the rarest one: a question about it
    # cannot be answered by sentences that lack it. So is a number ("the 2021 final").
    rarest = max(known, default=1.0)
    passages: list[Passage] = []
    for rank, article in enumerate(articles):
        terms = question_terms(question, analyzer, article.language)
        if not terms:
            continue
        weights = {t: rarest if has_digit(t) else (idf.get(t) or rarest) for t in terms}
        parts = {t: analyzer.stem(t.split("-"), article.language) for t in weights if "-" in t}
        total = sum(weights.values()) or 1.0
        counted = counted_stems(question, analyzer, article.language)
        title = set(analyzer.stem(expand_hyphens(analyzer.words(article.title)), article.language))
        in_title = {t for t in weights if t in title or (t in parts and title >= set(parts[t]))}
        doc = _article_sentences(article, analyzer)
        avg = sum(map(len, doc.stems)) / max(1, len(doc.stems)) or 1.0
        article_prior = prior[rank] if rank < len(prior) else 0.0
        # Per sentence: the question terms it has (with their BM25 saturation) and its fit.
        variants = {t: v for t in weights if (v := doc.variants(t))}
        found: list[dict[str, tuple[float, float]]] = []  # term -> (saturation, credit)
        fits: list[float | None] = []
        for stems in doc.stems:
            counts = Counter(stems)
            norm = k1 * (1 - b + b * len(stems) / avg)
            have: dict[str, tuple[float, float]] = {}
            for t in weights:
                tf = counts[t] or (min(counts[p] for p in parts[t]) if t in parts else 0)
                credit = 1.0
                if not tf and t in variants:
                    tf, credit = sum(counts[v] for v in variants[t]), VARIANT_CREDIT
                if tf:
                    have[t] = (tf / (tf + norm), credit)
            found.append(have)
            fits.append(None)

        def fit_of(i: int, fits=fits, doc=doc, counted=counted) -> float:
            value = fits[i]
            if value is None:
                value = fits[i] = shape_score(
                    shape, question, doc.texts[i], doc.stems[i], doc.numbers[i], counted
                )
            return value

        last = len(doc.texts) - 1
        for i, have in enumerate(found):
            if not have and not in_title:
                continue  # (with the title as context, a sentence may answer in other words)
            text = doc.texts[i]
            fit, extend = fit_of(i), False
            if i < last:
                if leans_on_next(text, doc.texts[i + 1]):
                    have = {**found[i + 1], **have}
                    fit, extend = max(fit, fit_of(i + 1)), True
                elif fit < 1.0 and NEXT_FIT * fit_of(i + 1) > fit:
                    fit, extend = NEXT_FIT * fit_of(i + 1), True
            match = sum(
                weights[t] * s * c * (TITLE_DISCOUNT if t in in_title else 1.0)
                for t, (s, c) in have.items()
            )
            credit = {t: c for t, (_, c) in have.items()} | dict.fromkeys(in_title, 1.0)
            coverage = sum(weights[t] * c for t, c in credit.items()) / total
            score = (coverage + MATCH_WEIGHT * match / total) * (
                SHAPE_FLOOR + (1 - SHAPE_FLOOR) * fit
            ) + PRIOR_WEIGHT * article_prior
            passages.append(Passage(article, i, text, score, coverage, fit, extend))
    passages.sort(key=lambda p: -p.score)
    return passages


def compose(
    question: str,
    passages: Sequence[Passage],
    related: Sequence[Article],
    analyzer: Analyzer,
    threshold: float = MIN_COVERAGE,
) -> Answer:
    """Pick the answer sentences, or decline when the best passage covers too little."""
    best = passages[0] if passages else None
    confidence = 0.0
    if best is not None:
        confidence = min(1.0, best.coverage * (0.5 + 0.5 * best.shape))
    if best is None or confidence < threshold:
        return Answer(question, (), None, round(confidence, 3), True, tuple(related))
    chosen = [best.text]
    texts = _article_sentences(best.article, analyzer).texts
    # The next sentence when the answer leans on it ("It took ...") or holds what the
    # question asked for (the name after "A retired postman has found ...").
    if best.extend and best.index + 1 < len(texts):
        chosen.append(texts[best.index + 1])
    others = tuple(a for a in related if a.id != best.article.id)
    return Answer(question, tuple(chosen), best.article, round(confidence, 3), False, others)


def answer_question(
    question: str,
    articles: Sequence[Article],
    analyzer: Analyzer,
    idf: dict[str, float],
    prior: Sequence[float] = (),
) -> Answer:
    """The answer to ``question`` from the candidate articles (best first, ``prior`` their
    retrieval scores scaled to 0..1), or a decline that offers them."""
    passages = rank_passages(question, articles, analyzer, idf, prior)
    return compose(question, passages, articles, analyzer)
