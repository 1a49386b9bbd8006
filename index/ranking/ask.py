"""Answer a question with the one or two sentences of an article that answer it.

Retrieval first (the article index), then a score for every sentence of the best articles:
how much of the question the sentence covers, with the article's title as context for
every sentence ("How many takes did it need?" over an article titled after the stunt), and
the shape of the question: `how many takes` wants a number next to "takes", `when` a
date, `who` a name that is not already in the question. When no sentence covers enough of
the question, the answer declines rather than quote something loosely related.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from articlebot.index.posts.article import Article
from articlebot.index.text.analysis import STOP_WORDS, Analyzer

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
        "according",
        "actually",
        "really",
        "exactly",
        "going",
        # German interrogatives (posts may be in German, and so may questions)
        "wie",
        "viele",
        "viel",
        "wann",
        "wo",
        "wer",
        "wen",
        "wem",
        "wessen",
        "welche",
        "welcher",
        "welches",
        "welchen",
        "warum",
        "wieso",
        "weshalb",
        "woher",
        "wohin",
    ]
)

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

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9À-ÖØ-ÞА-Я])")
# A split after one of these is not a sentence end: "Dr. Smith", "J. K. Rowling", "U.S. troops".
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|Gen|Gov|Sen|Rep|Sgt|Capt|Lt|Col|Rev|No|Nos|vs|"
    r"Inc|Ltd|Co|Corp|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|approx|est|e\.g|"
    r"i\.e|etc|[A-Z]\.[A-Z])|\b[A-Z])\.[\"'”’)]*$"
)
_ABBREVIATION_TAIL = 24  # only a sentence's end can be an abbreviation: never rescan it all
_LEANING = re.compile(r"(It|They|He|She|That|This|These|Those|The|His|Her|Their|Its)\b")
# "am 12. September": a German ordinal date, not a sentence end.
_ORDINAL_END = re.compile(r"\b\d{1,2}\.$")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "januar|februar|märz|april|mai|juni|juli|oktober|dezember|jänner"
)
_MONTH_START = re.compile(rf"(?:{_MONTHS})\b", re.IGNORECASE)
_NUMBER_WORD_TEXT = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million billion trillion dozen half "
)
_NUMBER_WORDS = frozenset(_NUMBER_WORD_TEXT.split())
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen)\b",
    re.IGNORECASE,
)
_UNITS = (
    r"per ?cent|percent|pounds?|dollars?|euros?|rubles?|roubles?|pence|cents?|francs?|yen|"
    r"million|billion|trillion|bn|m|k|p|seconds?|minutes?|hours?|days?|nights?|weeks?|"
    r"months?|years?|decades?|centur(?:y|ies)|sols?|times|miles?|metres?|meters?|"
    r"kilometres?|kilometers?|km|centimetres?|centimeters?|cm|millimetres?|mm|inches|inch|"
    r"feet|foot|ft|yards?|mph|kph|knots?|storeys?|stories|floors?|acres?|hectares?|"
    r"square|kilograms?|kg|grams?|g|tonnes?|tons?|pounds?|lbs?|stone|litres?|liters?|"
    r"gallons?|pints?|degrees?|c|f|calories|mg|ml|gigawatt|megawatt|gwh|mw|kw|"
    r"euro|kilometer|meter|stunden|minuten|jahre|tage|millionen|prozent"
)
_AMOUNT = re.compile(
    rf"[£$€¥]\s?\d|\d%|\b(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|"
    rf"eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|half)"
    rf"[\s-]?({_UNITS})\b",
    re.IGNORECASE,
)
_HOW_MUCH = re.compile(r"\bhow\s+much\b|\bwhat\s+price\b|\bcost\b|\bkostet\b", re.I)
_DATE = re.compile(
    r"\b(1[5-9]\d\d|20\d\d)\b|\b(?-i:May)\b|\b(january|february|march|april|june|july|august|"
    r"september|october|november|december|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|yesterday|today|tomorrow|tonight|last week|next week|last month|"
    r"next month|last year|next year|this year|ago|spring|summer|autumn|winter|sol)\b|"
    r"\b\d{1,2}(st|nd|rd|th)\b|\b(januar|februar|märz|mai|juni|juli|oktober|dezember)\b|"
    r"\b\d{1,2}\.\s",
    re.IGNORECASE,
)
# A capitalised word or run of them ("Colin", "Hiwot Bekele", "Mei-Lin Carrow").
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*[a-z][\w'’-]*(?:\s+[A-Z][\w'’-]*[a-z][\w'’-]*)*")
_NOT_NAME_TEXT = (
    "the a an and but in on at of for to from by with as it its this that these those he "
    "she they we i you his her their our my your there here when where what who which "
    "why how if after before while since during meanwhile however also then now today "
    "yesterday last next mr mrs ms dr sir dame lord lady professor prof captain monday "
    "tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december "
)
_NOT_NAMES = frozenset(_NOT_NAME_TEXT.split())
_POSSESSIVE = re.compile(r"['’]s?$")
_PLACE = re.compile(
    r"\b(in|at|from|to|near|on|outside|inside|into|across)\s+(the\s+)?([A-Z][\w'’-]*[a-z][\w'’-]*)"
)


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


def question_shape(question: str) -> str:
    """'number', 'date', 'person', 'place' or '' from the question's opening words."""
    q = question.casefold()
    if re.search(r"\bhow (many|much|long|old|far|fast|big|tall|often|high|deep|wide)\b", q):
        return "number"
    if re.search(r"\bwhat (price|percentage|proportion|share|age|size)\b", q):
        return "number"
    if re.search(r"\b(when|what year|what date|which year|which day|what day|wann)\b", q):
        return "date"
    if re.search(r"\b(who|whom|whose|wer)\b", q):
        return "person"
    if re.search(r"\b(where|wo)\b", q):
        return "place"
    if re.search(
        r"\b(which|what) (city|town|village|country|county|state|island|region|area|"
        r"neighbourhood|neighborhood|district|suburb|borough|province|port|venue|stadium)\b",
        q,
    ):
        return "place"
    if re.search(r"\bwhich\b|\bcalled\b|\bname of\b|\bthe name\b", q):
        return "person"
    if re.search(r"\b(wie viele|wie viel|wie lange|wie hoch|was kostet)\b", q):
        return "number"
    return ""


def sentences(text: str) -> list[str]:
    """Split plain text into sentences, keeping paragraphs apart."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        merged: list[list[str]] = []  # each sentence as its parts: joined once, at the end
        for part in _SENTENCE_END.split(paragraph):
            part = part.strip()
            tail = merged[-1][-1][-_ABBREVIATION_TAIL:] if merged else ""
            if merged and (
                _ABBREVIATION.search(tail)
                or (_ORDINAL_END.search(tail) and _MONTH_START.match(part))
            ):
                merged[-1].append(part)
            elif part:
                merged.append([part])
        out.extend(s for s in (" ".join(parts) for parts in merged) if len(s) > 1)
    return out


def _expand(words: list[str]) -> list[str]:
    """Words plus the parts of hyphenated ones, so "zip wire" finds "zip-wire"."""
    out: list[str] = []
    for word in words:
        out.append(word)
        if "-" in word:
            out.extend(p for p in word.split("-") if p and p not in STOP_WORDS)
    return out


def question_terms(question: str, analyzer: Analyzer, language: str = "") -> list[str]:
    words = [w for w in analyzer.words(question) if w not in QUESTION_WORDS]
    return analyzer.stem(words, language) if words else []


def _counted(question: str, analyzer: Analyzer, language: str) -> set[str]:
    """Stems of the thing a `how many` question counts: "how many breeding pairs" ->
    {breed, pair}; empty for other questions."""
    m = re.search(r"\b(?:how\s+(?:many|much)|wie\s+viele?)\s+(.*)", question, re.IGNORECASE)
    if not m:
        return set()
    words: list[str] = []
    for raw in re.findall(r"[\w'’-]+", m.group(1))[:4]:
        word = raw.casefold()
        if word in STOP_WORDS or word in QUESTION_WORDS:
            break
        words.append(word)
    return set(analyzer.stem(_expand(words), language))


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _is_number(word: str) -> bool:
    return _has_digit(word) or word in _NUMBER_WORDS


class _Sentences:
    """An article's sentences with their words and stems, computed once per article."""

    __slots__ = ("numbers", "prefixes", "stems", "texts")

    def __init__(self, article: Article, analyzer: Analyzer) -> None:
        self.texts = sentences(article.body) or sentences(article.description)
        self.stems: list[list[str]] = []
        self.numbers: list[list[bool]] = []
        self.prefixes: dict[str, set[str]] = {}  # first letters -> the article's stems
        for text in self.texts:
            words = _expand(analyzer.words(text))
            stems = analyzer.stem(words, article.language)
            self.stems.append(stems)
            self.numbers.append([_is_number(w) for w in words])
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


def _names(sentence: str, question: str) -> bool:
    """True when ``sentence`` names someone or something the question does not."""
    asked = question.casefold()
    for m in _CAPITALISED.finditer(sentence):
        if m.start() == 0 and " " not in m.group(0):
            continue  # "Pictured", "Meanwhile": capitalised because they open the sentence
        words = [_POSSESSIVE.sub("", w.casefold()) for w in m.group(0).split()]
        words = [w for w in words if w not in _NOT_NAMES]
        if words and not all(w in asked for w in words):
            return True
    return False


def _shape_score(
    shape: str,
    question: str,
    text: str,
    stems: list[str],
    numbers: list[bool],
    counted: set[str],
) -> float:
    """How well a sentence has what the question's shape asks for, 0..1."""
    if not shape:
        return 1.0
    if shape == "number":
        if counted:
            # "how many takes" -> "seven takes": a number at most three words before.
            for i, stem in enumerate(stems):
                if stem in counted and any(numbers[max(0, i - 3) : i]):
                    return 1.0
        if _HOW_MUCH.search(question):  # an amount: "£38m", "22 per cent", "48 minutes"
            return 1.0 if _AMOUNT.search(text) else 0.5 if any(numbers) else 0.0
        if not any(numbers):
            return 0.0
        return 0.6 if counted else 1.0 if _AMOUNT.search(text) else 0.8
    if shape == "date":
        return 1.0 if _DATE.search(text) else 0.0
    if shape == "person":
        return 1.0 if _names(text, question) else 0.0
    if shape == "place":
        asked = question.casefold()
        for m in _PLACE.finditer(text):
            word = _POSSESSIVE.sub("", m.group(3).casefold())
            if word not in _NOT_NAMES and word not in asked:
                return 1.0
        return 0.5 if _names(text, question) else 0.0
    return 1.0


def _leans_on_next(text: str, following: str) -> bool:
    """True when a sentence needs the next one to be understood ("It raised £140,000.")."""
    return len(text) < 80 or bool(_LEANING.match(following))


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
        weights = {t: rarest if _has_digit(t) else (idf.get(t) or rarest) for t in terms}
        parts = {t: analyzer.stem(t.split("-"), article.language) for t in weights if "-" in t}
        total = sum(weights.values()) or 1.0
        counted = _counted(question, analyzer, article.language)
        title = set(analyzer.stem(_expand(analyzer.words(article.title)), article.language))
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
                value = fits[i] = _shape_score(
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
                if _leans_on_next(text, doc.texts[i + 1]):
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
