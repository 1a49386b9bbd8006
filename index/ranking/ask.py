"""Answer a question with the one or two sentences of an article that answer it.

Retrieval first (the article index), then a score for every sentence of the best articles:
how much of the question the sentence covers, with the article's title (and, at half
weight, its first sentence) as context for every sentence ("How many takes did it need?"
over an article titled after the stunt), and
the shape of the question: `how many takes` wants a number next to "takes", `when` a
date, `who` a name that is not already in the question (a whole one best); and the
question's focus words, right after its wh-word ("who *directed* the film where ..."),
count extra when the sentence itself has them. A calibrated confidence (a
logistic model over the chosen passage's evidence, fitted in bench/ask_calibrate.py) says
how likely the quote holds the answer; below a threshold the answer declines rather than
quote something loosely related.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from articlebot.index.posts.article import Article
from articlebot.index.ranking.bridges import stem_bridges
from articlebot.index.ranking.questions import (
    counted_stems,
    focus_stems,
    has_digit,
    is_fragment,
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
LEAD_CREDIT = 0.5  # score credit for question words the article's first sentence has
BRIDGE_CREDIT = 0.7  # coverage credited for another word for the term (film for movie)
FOCUS_CREDIT = 0.5  # score credit for the question's focus words in the passage itself


@dataclass(frozen=True, slots=True)
class Passage:
    article: Article
    index: int  # sentence number in the article
    text: str
    score: float
    coverage: float  # share of the question's weight the passage contains
    shape: float = 1.0  # how well the sentence has what the question's shape wants (0..1)
    extend: bool = False  # the answer quotes the next sentence too
    own: float = 0.0  # share of the question's weight in the passage itself (not the title)
    gap: float = 0.0  # the rarest question term neither the passage nor the title has
    plain: float = 0.0  # the score without the focus words' credit (the confidence's input)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the confidence of an answer is computed from; each value is about 0..1."""

    coverage: float  # the chosen passage's coverage of the question
    unfit: float  # what the question's shape wants (a number, a name ...) and it lacks
    strength: float  # the best article's retrieval score over the question's total idf
    runner_up: float  # the second article's retrieval score over the best one's
    in_article: float  # share of the question's weight found anywhere in the article
    missing: float  # the rarest question term the article lacks, over the rarest term
    margin: float  # the passage's score over the best passage of any other article
    own: float  # share of the question's weight in the passage itself, not from the title
    gap: float  # the rarest question term neither the passage nor the title has
    score: float  # the passage's ranking score: how it stood against every other sentence


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    sentences: tuple[str, ...]
    article: Article | None
    confidence: float
    declined: bool
    related: tuple[Article, ...] = ()
    evidence: Evidence | None = None  # what the confidence was computed from


class _Sentences:
    """An article's sentences with their words and stems, computed once per article."""

    __slots__ = ("numbers", "prefixes", "stems", "texts", "vocabulary")

    def __init__(self, article: Article, analyzer: Analyzer) -> None:
        self.texts = sentences(article.body) or sentences(article.description)
        self.stems: list[list[str]] = []
        self.numbers: list[list[bool]] = []
        self.prefixes: dict[str, set[str]] = {}  # first letters -> the article's stems
        self.vocabulary: set[str] = set()
        for text in self.texts:
            words = analyzer.words(text)  # hyphenated words whole and in parts
            stems = analyzer.stem(words, article.language)
            self.stems.append(stems)
            self.numbers.append([is_number(w) for w in words])
            self.vocabulary.update(stems)
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


def lead(
    weights: dict[str, float], first: dict[str, tuple[float, float]], credit: dict[str, float]
) -> float:
    """The question's weight the article's first sentence has (``first``: term -> (its
    saturation, its credit)) that a later sentence (``credit``) lacks."""
    return sum(weights[t] * c for t, (_, c) in first.items() if t not in credit)


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
        # (terms no article has are left out of the gaps: a paraphrase, not a missing detail)
        seen = {t: w for t, w in weights.items() if idf.get(t)}
        parts = {t: analyzer.stem(t.split("-"), article.language) for t in weights if "-" in t}
        total = sum(weights.values()) or 1.0
        counted = counted_stems(question, analyzer, article.language)
        focus = focus_stems(question, analyzer, article.language) & set(weights)
        title = set(analyzer.stem(analyzer.words(article.title), article.language))
        in_title = {t for t in weights if t in title or (t in parts and title >= set(parts[t]))}
        doc = _article_sentences(article, analyzer)
        avg = sum(map(len, doc.stems)) / max(1, len(doc.stems)) or 1.0
        article_prior = prior[rank] if rank < len(prior) else 0.0
        # Per sentence: the question terms it has (with their BM25 saturation) and its fit.
        variants = {t: v for t in weights if (v := doc.variants(t))}
        bridges = stem_bridges(analyzer, article.language) if BRIDGE_CREDIT else {}
        # "how many grandkids" counts "grandchildren" too.
        counted |= {a[0] for t in list(counted) for a in bridges.get(t, ()) if len(a) == 1}
        others = {t: alts for t in weights if t not in title and (alts := bridges.get(t))}
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
                if not tf and t in others:  # another word for it: "film" for "movie"
                    tf = max(min(counts[p] for p in alt) for alt in others[t])
                    credit = BRIDGE_CREDIT
                if tf:
                    have[t] = (tf / (tf + norm), credit)
            found.append(have)
            fits.append(None)

        def fit_of(i: int, fits=fits, doc=doc, counted=counted, title=article.title) -> float:
            value = fits[i]
            if value is None:
                value = fits[i] = shape_score(
                    shape, question, doc.texts[i], doc.stems[i], doc.numbers[i], counted, title
                )
            return value

        last = len(doc.texts) - 1
        for i, have in enumerate(found):
            text = doc.texts[i]
            if (not have and not in_title) or is_fragment(text):
                continue  # (with the title as context, a sentence may answer in other words)
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
            own = sum(weights[t] * c for t, (_, c) in have.items()) / total
            gap = max((w for t, w in seen.items() if t not in credit), default=0.0) / rarest
            # The lead (the article's first sentence) is context for every later one, as the
            # title is: "its nickname" in sentence 9 is about the bar the lead named.
            scored = coverage
            if i > 0:
                scored += LEAD_CREDIT * lead(weights, found[0], credit) / total
            factor = SHAPE_FLOOR + (1 - SHAPE_FLOOR) * fit
            score = (scored + MATCH_WEIGHT * match / total) * factor + PRIOR_WEIGHT * article_prior
            # The words the question asks about, said by the passage itself (not the title):
            # they choose among the passages, but are not evidence that the article answers.
            lift = FOCUS_CREDIT * sum(weights[t] * have[t][1] for t in focus if t in have)
            lift *= factor / total
            passages.append(
                Passage(article, i, text, score + lift, coverage, fit, extend, own, gap, score)
            )
    passages.sort(key=lambda p: -p.score)
    return passages


# Confidence is a logistic model over the evidence, fitted by bench/ask_calibrate.py on the
# odd-numbered questions of bench/ (answerable and unanswerable together): the chance that
# the quoted sentences hold the answer. Below MIN_CONFIDENCE the answer declines. The model
# takes the evidence it names: two pieces, the passage's coverage of the question and its
# ranking score. Fitted with all ten (2026-12-06), the other eight added nothing the two do
# not say: left out one question at a time, the two-piece model predicted the odd half
# better (log-loss 0.544 against 0.566 for all ten, each at its best ridge: 0.1 and 0.3).
# On the odd half it answers 44/88 and declines 31/35 (the ten weights of before: 41, 32).
WEIGHTS: dict[str, float] = {"coverage": 1.106, "score": 5.001}
BIAS = -6.395
MIN_CONFIDENCE = 0.60


def confidence(
    evidence: Evidence, weights: Mapping[str, float] | None = None, bias: float | None = None
) -> float:
    """The chance that the passage holds the answer: nil when the question wants a kind of
    answer (a name, a date, a sum) that neither the passage nor the sentence after it has,
    else the logistic model's (``weights``: evidence field -> weight)."""
    if evidence.unfit >= 1.0:
        return 0.0
    weights = WEIGHTS if weights is None else weights
    z = (BIAS if bias is None else bias) + sum(
        w * getattr(evidence, name) for name, w in weights.items()
    )
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def gather_evidence(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    idf: dict[str, float],
    scores: Sequence[float],
) -> Evidence | None:
    """The evidence for the best passage, or None when there is none."""
    if not passages:
        return None
    best = passages[0]
    article = best.article
    terms = set(question_terms(question, analyzer, article.language))
    known = [v for v in idf.values() if v > 0]
    rarest = max(known, default=1.0)
    weights = {t: rarest if has_digit(t) else (idf.get(t) or rarest) for t in terms}
    total = sum(weights.values()) or 1.0
    doc = _article_sentences(article, analyzer)
    words = doc.vocabulary | set(analyzer.stem(analyzer.words(article.title), article.language))
    bridges = stem_bridges(analyzer, article.language) if BRIDGE_CREDIT else {}
    missing = [
        w
        for t, w in weights.items()
        if t not in words
        and idf.get(t)
        and not any(words >= set(alt) for alt in bridges.get(t, ()))
    ]
    other = next((p.score for p in passages if p.article.id != article.id), 0.0)
    top = scores[0] if scores else 0.0
    return Evidence(
        coverage=best.coverage,
        unfit=(1.0 - best.shape) if question_shape(question) else 0.0,
        strength=math.log1p(top / (sum(idf.get(t, 0.0) for t in terms) or 1.0)),
        runner_up=(scores[1] / top) if len(scores) > 1 and top else 0.0,
        in_article=1.0 - sum(missing) / total,
        missing=max(missing, default=0.0) / rarest,
        margin=max(-1.0, min(1.0, best.score - other)),
        own=best.own,
        gap=best.gap,
        score=best.plain,
    )


def compose(
    question: str,
    passages: Sequence[Passage],
    related: Sequence[Article],
    analyzer: Analyzer,
    evidence: Evidence | None,
    threshold: float | None = None,
) -> Answer:
    """Pick the answer sentences, or decline when the evidence says they are unlikely to
    hold the answer."""
    sure = 0.0 if evidence is None else confidence(evidence)
    if not passages or sure < (MIN_CONFIDENCE if threshold is None else threshold):
        return Answer(question, (), None, round(sure, 3), True, tuple(related), evidence)
    best = passages[0]
    chosen = [best.text]
    texts = _article_sentences(best.article, analyzer).texts
    # The next sentence when the answer leans on it ("It took ...") or holds what the
    # question asked for (the name after "A retired postman has found ...").
    if best.extend and best.index + 1 < len(texts):
        chosen.append(texts[best.index + 1])
    others = tuple(a for a in related if a.id != best.article.id)
    return Answer(question, tuple(chosen), best.article, round(sure, 3), False, others, evidence)


def answer_question(
    question: str,
    articles: Sequence[Article],
    analyzer: Analyzer,
    idf: dict[str, float],
    scores: Sequence[float] = (),
) -> Answer:
    """The answer to ``question`` from the candidate articles (best first, ``scores`` their
    retrieval scores), or a decline that offers them."""
    top = max(scores, default=0.0) or 1.0
    prior = [s / top for s in scores]
    passages = rank_passages(question, articles, analyzer, idf, prior)
    evidence = gather_evidence(question, passages, analyzer, idf, scores)
    return compose(question, passages, articles, analyzer, evidence)
