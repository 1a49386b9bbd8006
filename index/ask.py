"""Answer a question with the one or two sentences of an article that answer it.

Retrieval first (the article index), then BM25 over the sentences of the best articles,
helped by the shape of the question: `how many` wants a number, `when` a date, `who` a
name. When no sentence covers enough of the question, the answer declines rather than
quote something loosely related.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from index.analysis import Analyzer
from index.article import Article

# Words that shape a question but are not what it is about.
QUESTION_WORDS = frozenset(
    [
        "what",
        "whats",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "many",
        "much",
        "long",
        "old",
        "did",
        "does",
        "do",
        "was",
        "were",
        "is",
        "are",
        "has",
        "have",
        "had",
        "can",
        "could",
        "would",
        "should",
        "will",
        "about",
        "tell",
        "me",
        "know",
        "please",
        "happened",
        "happen",
        "say",
        "said",
        "year",
        "day",
        "date",
        "time",
    ]
)

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9À-ÖØ-ÞА-Я])")
_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(january|february|march|april|may|june|july|august|"
    r"september|october|november|december|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|yesterday|today|tomorrow|last week|next week)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
_PLACE = re.compile(r"\b(in|at|from|to|near)\s+[A-Z][a-z]+")


@dataclass(frozen=True, slots=True)
class Passage:
    article: Article
    index: int  # sentence number in the article
    text: str
    score: float
    coverage: float  # share of the question's weight the passage contains


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    sentences: tuple[str, ...]
    article: Article | None
    confidence: float
    declined: bool
    related: tuple[Article, ...] = ()


def question_shape(question: str) -> str:
    """'number', 'date', 'person', 'place' or '' from the question's opening words."""
    q = question.casefold()
    if re.search(r"\bhow (many|much|long|old|far|fast|big|tall|often)\b", q):
        return "number"
    if re.search(r"\b(when|what year|what date|which year|which day|what day)\b", q):
        return "date"
    if re.search(r"\b(who|whom|whose)\b", q):
        return "person"
    if re.search(r"\bwhere\b", q):
        return "place"
    return ""


def shape_bonus(shape: str, sentence: str) -> float:
    pattern = {"number": _NUMBER, "date": _DATE, "person": _NAME, "place": _PLACE}.get(shape)
    return 1.0 if pattern is None or pattern.search(sentence) else 0.0


def sentences(text: str) -> list[str]:
    """Split plain text into sentences, keeping paragraphs apart."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        out.extend(s.strip() for s in _SENTENCE_END.split(paragraph) if len(s.strip()) > 1)
    return out


def question_terms(question: str, analyzer: Analyzer, language: str = "") -> list[str]:
    words = [w for w in analyzer.words(question) if w not in QUESTION_WORDS]
    return analyzer.stem(words, language) if words else []


def rank_passages(
    question: str,
    articles: Sequence[Article],
    analyzer: Analyzer,
    idf: dict[str, float],
    prior: Sequence[float] = (),
    k1: float = 1.2,
    b: float = 0.5,
) -> list[Passage]:
    """Score every sentence (with its neighbour for context) of the candidate articles."""
    shape = question_shape(question)
    passages: list[Passage] = []
    for rank, article in enumerate(articles):
        terms = question_terms(question, analyzer, article.language)
        if not terms:
            continue
        weights = {t: idf.get(t, max(idf.values(), default=1.0)) for t in set(terms)}
        total_weight = sum(weights.values()) or 1.0
        texts = sentences(article.body) or sentences(article.description)
        token_lists = [analyzer.tokens(s, article.language) for s in texts]
        title_terms = set(analyzer.tokens(article.title, article.language))
        avg = sum(map(len, token_lists)) / max(1, len(token_lists)) or 1.0
        article_prior = prior[rank] if rank < len(prior) else 0.0
        for i, tokens in enumerate(token_lists):
            counts = Counter(tokens)
            norm = k1 * (1 - b + b * len(tokens) / avg)
            score = sum(w * counts[t] * (k1 + 1) / (counts[t] + norm) for t, w in weights.items())
            present = {t for t in weights if counts[t]}
            # The title is context for every sentence: "How many takes did it need?"
            # over an article titled after the stunt.
            covered = present | (title_terms & weights.keys())
            coverage = sum(weights[t] for t in covered) / total_weight
            bonus = shape_bonus(shape, texts[i])
            score = (score + 0.5 * coverage * total_weight) * (0.6 + 0.4 * bonus)
            score += article_prior
            passages.append(Passage(article, i, texts[i], score, coverage * (0.5 + 0.5 * bonus)))
    passages.sort(key=lambda p: -p.score)
    return passages


def compose(
    question: str,
    passages: Sequence[Passage],
    related: Sequence[Article],
    analyzer: Analyzer,
    threshold: float = 0.55,
) -> Answer:
    """Pick the answer sentences, or decline when the best passage covers too little."""
    if not passages or passages[0].coverage < threshold:
        return Answer(
            question, (), None, passages[0].coverage if passages else 0.0, True, tuple(related)
        )
    best = passages[0]
    chosen = [best.text]
    texts = sentences(best.article.body) or sentences(best.article.description)
    # A short answer or one that leans on the next sentence ("It took ...") gets it too.
    if best.index + 1 < len(texts):
        following = texts[best.index + 1]
        if len(best.text) < 80 or re.match(r"(It|They|He|She|That|This|The)\b", following):
            chosen.append(following)
    confidence = min(1.0, best.coverage)
    others = tuple(a for a in related if a.id != best.article.id)
    return Answer(question, tuple(chosen[:2]), best.article, round(confidence, 3), False, others)


def idf_table(n_docs: int, doc_freq: dict[str, int]) -> dict[str, float]:
    return {t: math.log((n_docs + 1) / max(df, 1)) for t, df in doc_freq.items()}
