"""What a question asks for and what a sentence offers: question words, the shape of a
question (how many, when, who, where), sentence splitting, and how well a sentence has
the number, date, name or place the question wants.
"""

from __future__ import annotations

import itertools
import re

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


PART_NAME = 0.6  # fit of a one-word name ("Tolley") for "who", against a whole one
INSTITUTION_FIT = 0.3  # fit of a place without the institution asked for ("which hospital")
HOW_LONG_TIME = 0.3  # fit of a number that is not a time (nor a length) for "how long"

_HOW_LONG = re.compile(r"\bhow long\b|\bwie lange\b", re.IGNORECASE)
# "how long is the trail" (not "how long were they followed"): a length will do too.
_HOW_LONG_IS = re.compile(r"\bhow long (is|was) (the|a|an|this|that|its|his|her)\b", re.I)

# What "how long" wants: a time ("for 10 years", "48 minutes", "212 sols").
_DURATION = re.compile(
    r"\b(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|sixty|a|an|several|hundred)[\s-](more\s|extra\s|further\s)?"
    r"(seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|centur(y|ies)|"
    r"stunden|minuten|jahre|tage|monate|wochen|sols?)\b",
    re.IGNORECASE,
)

# A length ("86 miles", "6cm"), for "how long is the trail".
_LENGTH = re.compile(
    r"\b(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand)[\s-]?"
    r"(miles?|metres?|meters?|kilometres?|kilometers?|km|centimetres?|centimeters?|cm|"
    r"millimetres?|mm|inch(es)?|feet|foot|ft|yards?)\b",
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


_AGE_Q = re.compile(r"\bhow old\b|\b(at )?what age\b|\bhow young\b|\bwie alt\b")


# Questions about money: a price, a cost, a sum paid, won, raised or owed.
_MONEY_Q = re.compile(
    r"\bhow much (money|cash|did|does|do|was|is|are|were|will|would|has|have|had|to|it|they|"
    r"he|she|cost|paid|pay)\b|\bwhat (price|compensation|fee|fine|salary|sum|amount|payout|"
    r"reward|bill|damages|settlement|wage|fortune|refund|deal)\b|\bset (you|them|me|us|"
    r"buyers|shoppers|fans|customers) back\b|\b(sell|sold|go|went|going) for\b|\bworth\b|"
    r"\bcost\b|\bkostet\b",
)


# Questions after a name given to something: "what was the bar known as", "what did the
# governor call it", "what is the film called", "its nickname".
_NAME_Q = re.compile(
    r"\bknown as\b|\bnickname|\bcalled\b|\bdubbed\b|\bname (of|for)\b|\bthe name\b|"
    r"\bwhat did .{1,60} (call|describe|label|brand|name)\b|\bwhat word\b|\btitle of\b|"
    r"\bwhat (is|was) .{1,60} named\b"
)


_AGE = re.compile(
    r"\b\d{1,3}[\s-]years?[\s-]old\b|\baged?\s\d{1,3}\b|,\s\d{1,3},|\(\d{1,3}\)|"
    r"\bage of \d{1,3}\b|\b\d{1,3}(st|nd|rd|th)? birthday\b|\bturn(s|ed)? \d{1,3}\b|"
    r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[\s-]\w+[\s-]year[\s-]old\b|"
    r"\bin (his|her|their) (teens|twenties|thirties|forties|fifties|sixties|seventies|"
    r"eighties|nineties)\b",
    re.IGNORECASE,
)


_MONEY = re.compile(
    r"[£$€¥]\s?\d|\d\s?(pounds?|dollars?|euros?|pence|cents?|p|bn|m|k|francs?|yen)\b|"
    r"\b(million|billion|thousand) (pounds|dollars|euros)\b|\bfree of charge\b|\bfor free\b",
    re.IGNORECASE,
)


_REASON = re.compile(
    r"\b(because|after|due to|as a result|since|so that|in order to|amid|following|caused by|"
    r"led to|reason|blamed|over fears|fears? (of|that)|to avoid|to protect|to stop|to help|"
    r"so as|thanks to|as part of|in response|weil|wegen|da)\b",
    re.IGNORECASE,
)


# A quoted word or phrase: 'Rio TNT', "the Pink Garter" (the corpus quotes with either).
_QUOTED = re.compile(r"(?:^|[\s(])['‘\"“][^'’\"”]{2,80}['’\"”](?=[\s.,;:!?)]|$)")


# "the market town of Lichtenworth", "the city of Leeds": a place named after its kind.
_PLACE_OF = re.compile(
    r"\b(town|city|village|port|county|state|island|region|district|suburb|borough|"
    r"province|country|capital|resort|hamlet)\s+(of)\s+([A-Z][\w'’-]*[a-z][\w'’-]*)"
)


# How a sentence gives something a name: "became known as", "dubbed", "called it".
_NAMING = re.compile(
    r"\b(known as|called|calling|dubbed|nicknamed|named|renamed|described as|describing|"
    r"labelled|labeled|branded|titled|entitled|referred to as)\b",
    re.IGNORECASE,
)


# Places that are institutions: their names say what they are ("Royal Infirmary" aside).
_INSTITUTION_Q = re.compile(
    r"\b(?:which|what) (?:\w+ )?(hospital|school|universit|college|stadium|airport|prison|"
    r"museum|hotel|church|cathedral|zoo|theatre|theater|library|station)(?:s|y|ies)?\b"
)


def question_shape(question: str) -> str:
    """What kind of answer the question wants, from its wording: 'age', 'money',
    'number', 'date', 'reason', 'name' (a title, nickname or quoted word), 'person' (a
    name), 'place', or '' (anything)."""
    q = question.casefold()
    if _AGE_Q.search(q):
        return "age"
    if _MONEY_Q.search(q):
        return "money"
    if re.search(r"\bhow (many|much|long|far|fast|big|tall|often|high|deep|wide|heavy)\b", q):
        return "number"
    if re.search(r"\bwhat (percentage|proportion|share|size|number|speed|distance)\b", q):
        return "number"
    if re.search(r"\b(what year|what date|which year|which day|what day)\b", q) or _asks_when(q):
        return "date"
    if re.search(r"\b(why|what (caused|led|made|prompted|sparked)|wieso|warum|weshalb)\b", q):
        return "reason"
    if _NAME_Q.search(q):
        return "name"
    if re.search(r"\b(who|whom|whose|wer)\b", q):
        return "person"
    if re.search(r"\b(where|wo|woher|wohin)\b", q):
        return "place"
    if re.search(
        r"\b(which|what) ([a-z]+ )?(city|town|village|country|county|state|island|region|area|"
        r"neighbourhood|neighborhood|district|suburb|borough|province|port|venue|stadium|"
        r"hospital|school|university|prison|street|road|resort|beach|airport|club|team)\b",
        q,
    ):
        return "place"
    if re.search(
        r"\bwhich\b|\bwhat (?!(?:is|was|are|were|did|does|do|has|had|happened|if)\b)"
        r"[a-z]+ (?:is|was|are|were|did|does|do|has|had|will|would)\b",
        q,
    ):
        return "person"
    if re.search(r"\b(wie viele|wie viel|wie lange|wie hoch|was kostet)\b", q):
        return "number"
    return ""


_WH = re.compile(r"\b(who|whom|whose|which|what|where|why|how|wer|wo|welche[rsn]?|wie)\b")


def _asks_when(q: str) -> bool:
    """True when "when" is the question's own word, not a clause inside a question that
    asks something else ("which airline was she with when it was found")."""
    m = re.search(r"\b(when|wann)\b", q)
    return m is not None and _WH.search(q, 0, m.start()) is None


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


def question_terms(question: str, analyzer: Analyzer, language: str = "") -> list[str]:
    """The question's terms, hyphenated words whole: a sentence covers one by having it or
    all of its parts (``rank_passages``)."""
    words = [w for w in analyzer.words(question, False) if w not in QUESTION_WORDS]
    return analyzer.stem(words, language) if words else []


def counted_stems(question: str, analyzer: Analyzer, language: str) -> set[str]:
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
    return set(analyzer.stem(analyzer.words(" ".join(words)), language))  # with parts


# Where a question's asking starts: its wh-word, or "how many/much/long ..." whole.
_ASKING = re.compile(
    r"\b(?:how\s+(?:many|much|long|old|far|fast|big|tall|often|high|deep|wide|heavy)|"
    r"wie\s+viele?|who|whom|whose|whos|what|whats|which|where|when|why|wer|welche[rsn]?)\b",
    re.IGNORECASE,
)


FOCUS_WORDS = 3  # at most this many words right after the wh-word are the question's focus


def focus_stems(question: str, analyzer: Analyzer, language: str) -> set[str]:
    """Stems of the words right after the question's wh-word, up to the first stop or
    question word: what the question asks about rather than the story it names ("who
    *directed* the film where ...", "what *nickname* did ...", "how many *runs* did ...").
    The story's words are in the lead and in many sentences; the focus word is in the
    one that answers."""
    m = _ASKING.search(question)
    if not m:
        return set()
    words: list[str] = []
    for raw in re.findall(r"[\w'’-]+", question[m.end() :])[:FOCUS_WORDS]:
        word = raw.casefold()
        if word in STOP_WORDS or word in QUESTION_WORDS:
            break
        words.append(word)
    return set(analyzer.stem(analyzer.words(" ".join(words)), language)) if words else set()


def has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def is_number(word: str) -> bool:
    return has_digit(word) or word in _NUMBER_WORDS


def _names(sentence: str, question: str, whole: bool = False) -> bool:
    """True when ``sentence`` names someone or something the question does not; with
    ``whole``, only a name of two or more words counts ("Brian Tolley", not "Tolley")."""
    asked = question.casefold()
    for m in _CAPITALISED.finditer(sentence):
        if m.start() == 0 and " " not in m.group(0):
            continue  # "Pictured", "Meanwhile": capitalised because they open the sentence
        words = [_POSSESSIVE.sub("", w.casefold()) for w in m.group(0).split()]
        words = [w for w in words if w not in _NOT_NAMES]
        if whole and len(words) < 2:
            continue
        if words and not all(w in asked for w in words):
            return True
    return False


def shape_score(
    shape: str,
    question: str,
    text: str,
    stems: list[str],
    numbers: list[bool],
    counted: set[str],
    title: str = "",
) -> float:
    """How well a sentence has what the question's shape asks for, 0..1. A name that the
    question or the article's title (``title``) already gives is not an answer: "who's the
    trainer working with the ex heavyweight champ" is not answered by "Mike Tyson" in an
    article titled after him."""
    context = f"{question} {title}" if title else question
    if not shape:
        return 1.0
    if shape == "age":
        return 1.0 if _AGE.search(text) else 0.3 if any(numbers) else 0.0
    if shape == "money":
        return 1.0 if _MONEY.search(text) else 0.4 if _AMOUNT.search(text) else 0.0
    if shape == "reason":
        return 1.0 if _REASON.search(text) else 0.5
    if shape == "name":
        named = _NAMING.search(text) is not None
        if _QUOTED.search(text) or _names(text, context):
            return 1.0 if named else 0.7
        return 0.3 if named else 0.0
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
        if HOW_LONG_TIME and _HOW_LONG.search(question):
            if _DURATION.search(text):
                return 1.0
            if _HOW_LONG_IS.search(question) and _LENGTH.search(text):
                return 1.0
            return HOW_LONG_TIME
        return 0.6 if counted else 1.0 if _AMOUNT.search(text) else 0.8
    if shape == "date":
        return 1.0 if _DATE.search(text) else 0.0
    if shape == "person":
        if not _names(text, context):
            return 0.0
        return 1.0 if PART_NAME == 1.0 or _names(text, context, True) else PART_NAME
    if shape == "place":
        # "which hospital": a hospital named ("St Luke's Hospital"), not only the town.
        kind = _INSTITUTION_Q.search(question.casefold())
        if kind and not re.search(rf"\b{kind.group(1)}", text, re.IGNORECASE):
            return INSTITUTION_FIT if _names(text, context) else 0.0
        asked = context.casefold()
        for m in itertools.chain(_PLACE.finditer(text), _PLACE_OF.finditer(text)):
            word = _POSSESSIVE.sub("", m.group(3).casefold())
            if word not in _NOT_NAMES and word not in asked:
                return 1.0
        return 0.5 if _names(text, context) else 0.0
    return 1.0


def is_fragment(text: str) -> bool:
    """A caption, label or link left in the body ("View comments", "Pictured: the pier"),
    not a sentence that can answer anything: a few words without a sentence's end."""
    return len(text.split()) < 4 and text.rstrip("'’\"”)")[-1:] not in ".!?…"


def leans_on_next(text: str, following: str) -> bool:
    """True when a sentence needs the next one to be understood ("It raised £140,000.")."""
    return len(text) < 80 or bool(_LEANING.match(following))
