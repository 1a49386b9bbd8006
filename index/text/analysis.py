"""Text to index terms: NFKC + casefold, regex words, English stop words, Snowball stems.

Every path (``words``, ``tokens``, ``spans``) runs the same normalisation over the same
regex matches of the original text, so offsets from ``spans`` always point at the words
whose terms ``tokens`` produced.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import compress, repeat
from operator import contains

import Stemmer

from articlebot.index.text.wordclass import UNIDATA_VERSION, WORD_CLASS


def _word_class() -> str:
    """Letters, digits and combining marks, as one regex class without ``_``.

    Python's ``\\w`` leaves out combining marks, which would split Hindi, Thai or
    decomposed (NFD) Latin words in the middle. The class is spelled out for the BMP (so
    ``re`` compiles it to a bitmap: ~7x faster than ``\\w`` plus a mark class) and
    covers the letter-bearing supplementary planes with three coarse ranges, leaving out
    the emoji blocks.
    """
    ranges: list[str] = []
    start = -1
    for cp in range(0x10001):
        char = chr(cp) if cp < 0x10000 else ""
        ok = bool(char) and (char.isalnum() or unicodedata.category(char).startswith("M"))
        if ok and start < 0:
            start = cp
        elif not ok and start >= 0:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(cp - 1))}")
            start = -1
    ranges.append("\U00010000-\U0001d7ff\U0001e000-\U0001efff\U00020000-\U0003ffff")
    return "[" + "".join(ranges) + "]"


_CHAR = WORD_CLASS if unicodedata.unidata_version == UNIDATA_VERSION else _word_class()
_JOIN = "['\u2019\u02bc\\-\u2010\u2011]"  # apostrophes and hyphens inside one word
# A word: letters/digits/marks, optionally joined by single hyphens or apostrophes, so
# covid-19, self-driving and don't are each one match (a hyphenated one is then indexed
# whole and in its parts: ``pieces``); underscores, slashes and dots separate words.
# Invisible characters (soft hyphen, zero-width space/joiners, word joiner, BOM, NUL)
# that real text hides inside words: they join, and normalisation drops them.
_INVISIBLE = "\x00\u00ad\u200b-\u200d\u2060\ufeff"
_INVISIBLE_RUN = re.compile(f"[{_INVISIBLE}]+")
WORD = re.compile(rf"{_CHAR}+(?:(?:{_JOIN}|[{_INVISIBLE}]+){_CHAR}+)*")
_POSSESSIVE = re.compile(r"'s(?= |$)")
# Scripts written without spaces between words (Chinese, Japanese) or with particles glued
# to words (Korean), and Thai: a run of them is indexed as overlapping two-character
# pieces, as Lucene's CJK analyser does, so any part of a run can be found.
_SEGMENTED = (
    "\u0e00-\u0e7f"  # Thai
    "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"  # Hangul
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"  # Han
)
_SEGMENTED_RUN = re.compile(f"[{_SEGMENTED}]+")
_JOINERS = "'\u2019\u02bc-\u2010\u2011" + _INVISIBLE
# Hyphens: a hyphenated word is indexed whole and in its parts ("ipsc-derived" is also
# "ipsc" and "derived"), so "G - quadruplex" and "ipsc derived" find it.
_HYPHEN = re.compile("[-\u2010\u2011]")
_VARIANTS = (("\u2019", "'"), ("\u02bc", "'"), ("\u2010", "-"), ("\u2011", "-"))


def pieces(word: str, parts: bool = True) -> list[tuple[int, int]]:
    """Offsets of the indexed pieces of one word match: the word itself, then the parts of
    a hyphenated word ("g-quadruplex" -> "g-quadruplex", "g", "quadruplex"); where it
    holds a run of a segmented script, its other parts and the run's overlapping bigrams
    ("hexo是一个" -> "hexo", "是一", "一个"). ``parts=False`` leaves hyphenated words whole."""
    runs = [m.span() for m in _SEGMENTED_RUN.finditer(word)]
    if not runs:
        return _with_parts(word, 0, len(word)) if parts else [(0, len(word))]
    out: list[tuple[int, int]] = []
    at = 0
    for start, end in [*runs, (len(word), len(word))]:
        # Letters between runs ("hexo" in "hexo是一个"), without the joiners at their ends.
        a, b = at, start
        while a < b and word[a] in _JOINERS:
            a += 1
        while b > a and word[b - 1] in _JOINERS:
            b -= 1
        if a < b:
            out.extend(_with_parts(word, a, b) if parts else [(a, b)])
        if end - start == 1:
            out.append((start, end))
        out.extend((i, i + 2) for i in range(start, end - 1))
        at = end
    return out


def _with_parts(word: str, a: int, b: int) -> list[tuple[int, int]]:
    """``(a, b)`` and, when ``word[a:b]`` is hyphenated, the offsets of its parts (the
    regex puts letters on both sides of every hyphen, so no part is empty)."""
    out = [(a, b)]
    if _HYPHEN.search(word, a, b) is not None:
        at = a
        for m in _HYPHEN.finditer(word, a, b):
            out.append((at, m.start()))
            at = m.end()
        out.append((at, b))
    return out


def has_segmented(text: str) -> bool:
    return not text.isascii() and _SEGMENTED_RUN.search(text) is not None


def has_hyphen(text: str) -> bool:
    return "-" in text or (not text.isascii() and _HYPHEN.search(text) is not None)


def find_words(text: str, parts: bool = True) -> list[str]:
    """The word matches of ``text`` as the index sees them: hyphenated words whole and in
    their parts (unless ``parts`` is false), segmented scripts in pieces."""
    found = WORD.findall(text)
    if has_segmented(text):
        return [w[s:e] for w in found for s, e in pieces(w, parts)]
    if parts and has_hyphen(text):
        # Only the few hyphenated words are visited in Python: which ones is found at C
        # level, and the words between them are copied as slices.
        if text.isascii() or ("\u2010" not in text and "\u2011" not in text):
            hyphenated = map(contains, found, repeat("-"))
        else:
            hyphenated = map(_HYPHEN.search, found)
        out: list[str] = []
        at = 0
        for i in compress(range(len(found)), hyphenated):
            out += found[at : i + 1]
            out += _HYPHEN.split(found[i])
            at = i + 1
        if at:
            out += found[at:]
            return out
    return found


def word_spans(
    text: str, pos: int = 0, endpos: int | None = None, parts: bool = True
) -> list[tuple[int, int]]:
    """Offsets of ``find_words``'s words in ``text`` (pieces may overlap: a hyphenated
    word and its parts, the bigrams of a run)."""
    end = len(text) if endpos is None else endpos
    spans = [m.span() for m in WORD.finditer(text, pos, end)]
    if has_segmented(text[pos:end]) or (parts and has_hyphen(text[pos:end])):
        spans = [(a + s, a + e) for a, b in spans for s, e in pieces(text[a:b], parts)]
    return spans


def _latin1_tables() -> tuple[bytes, bytes]:
    """Latin-1 bytes -> ``normal_words``'s view of them, and the bytes only the general
    path reads right.

    Letters and digits become what NFKC and casefolding make of them (``A`` -> ``a``,
    ``É`` -> ``é``, ``ª`` -> ``a``), the joiners ``'`` and ``-`` stay, and everything
    else ``WORD`` does not match (spaces, punctuation, symbols) becomes a space. Left to
    the general path: NUL and the soft hyphen (invisible joiners) and letters that do
    not stay one Latin-1 letter (``ß`` -> ``ss``, ``µ`` -> ``μ``, ``¼`` -> ``1⁄4``).
    """
    table = bytearray(b" " * 256)
    general = bytearray()
    for code in range(256):
        ch = chr(code)
        if ch in "'-":
            table[code] = code
        elif ch in "\x00\u00ad":
            general.append(code)
        elif WORD.fullmatch(ch) is not None:
            folded = unicodedata.normalize("NFKC", ch).casefold()
            if len(folded) == 1 and ord(folded) < 256 and WORD.fullmatch(folded) is not None:
                table[code] = ord(folded)
            else:
                general.append(code)
    return bytes(table), bytes(general)


_LATIN1_FOLD, _LATIN1_GENERAL = _latin1_tables()
# A joiner not between two letters or digits: ``WORD`` leaves it out of every match. One
# pattern per joiner: starting with a literal, the regex engine skips to it fast.
_LONE_APOSTROPHE = re.compile(r"'(?:(?<![^ '-]')|(?![^ '-]))")
_LONE_HYPHEN = re.compile(r"-(?:(?<![^ '-]-)|(?![^ '-]))")
# Characters past Latin-1 frequent in English text, most frequent first, that ``WORD``
# treats exactly as their stand-ins: separators (dashes, quotes, euro sign) and the
# typographic apostrophe, which normalisation folds to ``'`` anyway.
_STAND_INS = tuple(
    (ch, plain)
    for ch, plain in (
        ("\u2019", "'"),
        *((ch, " ") for ch in "\u2013\u2014\u2018\u2026\u201c\u201d\u20ac\u2122\u2022"),
    )
    # Only characters WORD never matches as letters (a guard against editing the list).
    if WORD.search(ch) is None and (plain == " ") == (ch not in _JOINERS)
)


def _as_latin1(text: str) -> str:
    """``text`` with its frequent punctuation past Latin-1 as stand-ins (Latin-1 if that
    was all it had); ``normal_words`` gives the same words for both."""
    for ch, plain in _STAND_INS:
        if ch in text:
            text = text.replace(ch, plain)
            if text.isascii():
                break
    return text


def normal_words(text: str, parts: bool = True) -> list[str]:
    """``_normalise(find_words(text, parts))``: the normalised words, stop words included.

    Latin-1 text (most text in English and western European languages, once typographic
    quotes and dashes are read as their stand-ins) skips the regex (``folded_latin1``),
    ~3x faster. Other text takes the general path.
    """
    folded = folded_latin1(text, parts)
    if folded is None:
        return _normalise(find_words(text, parts))
    return folded.split()


def folded_latin1(text: str, parts: bool = True) -> str | None:
    """``normal_words``'s words joined by spaces (runs of them at times), or None when
    ``text`` needs the general path. One byte table folds the case of Latin-1 text and
    blanks what is not a letter, digit or joiner, joiners outside words are blanked, and
    hyphenated words are followed by their parts: what is left between the spaces are
    the words, and only space (never another whitespace character) separates them."""
    plain = text if text.isascii() else _as_latin1(text)
    try:
        data = plain.encode("latin-1")
    except UnicodeEncodeError:
        return None
    if (
        ("\x00" in plain)
        if plain.isascii()
        else len(data.translate(None, _LATIN1_GENERAL)) < len(data)
    ):
        return None
    folded = data.translate(_LATIN1_FOLD).decode("latin-1")
    if "'" in folded:
        folded = _LONE_APOSTROPHE.sub(" ", folded)
    if "-" in folded:
        folded = _LONE_HYPHEN.sub(" ", folded)
    if "'" in folded:
        if parts and "'s-" in folded:  # "it's-a": its part "it's" folds to "it"
            return None
        folded = _fold_apostrophes(folded)
    if parts and "-" in folded:
        folded = _with_hyphen_parts(folded)
    return folded


def _with_hyphen_parts(folded: str) -> str:
    """Space-separated words with each hyphenated one followed by its parts; every hyphen
    is inside a word (ASCII hyphens only)."""
    pieces: list[str] = []
    at = 0
    hyphen = folded.find("-")
    while hyphen >= 0:
        start = folded.rfind(" ", 0, hyphen) + 1
        end = folded.find(" ", hyphen)
        if end < 0:
            end = len(folded)
        pieces += (folded[at:end], " ", folded[start:end].replace("-", " "))
        at = end
        hyphen = folded.find("-", end)
    pieces.append(folded[at:])
    return "".join(pieces)


def _fold_apostrophes(word: str) -> str:
    return _POSSESSIVE.sub("", word).replace("'", "")


# The Snowball project's English stop list (snowballstem.org/algorithms/english/stop.txt),
# passed through the same apostrophe folding as the text ("don't" -> "dont",
# "it's" -> "it"). "let's" is left out: folded it would remove the content word "let".
_SNOWBALL_ENGLISH = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
she her hers herself it its itself they them their theirs themselves what which who whom
this that these those am is are was were be been being have has had having do does did
doing would should could ought i'm you're he's she's it's we're they're i've you've we've
they've i'd you'd he'd she'd we'd they'd i'll you'll he'll she'll we'll they'll isn't
aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't wouldn't shan't
shouldn't can't cannot couldn't mustn't that's who's what's here's there's when's
where's why's how's a an the and but if or because as until while of at by for with about
against between into through during before after above below to from up down in out on
off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very
"""
STOP_WORDS: frozenset[str] = frozenset(_fold_apostrophes(w) for w in _SNOWBALL_ENGLISH.split())

# ISO 639-1 codes to Snowball algorithm names (PyStemmer also accepts the names).
LANGUAGES: dict[str, str] = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "eo": "esperanto",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "st": "sesotho",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_ALGORITHMS = frozenset(Stemmer.algorithms())
_CACHE_LIMIT = 300_000  # words per language; a reindex's vocabulary mostly fits


class _StemCache(dict[str, str]):
    """Word -> stem, filled on first sight.

    ``map(cache.__getitem__, words)`` stays in C for known words: ~4x faster than
    PyStemmer's own cached ``stemWords`` on an 800-word article. ``spellings`` maps a word
    to the spelling it is stemmed as (British to American for English), so the bridge
    costs nothing once a word is cached.
    """

    def __init__(self, stemmer: Stemmer.Stemmer, spellings: dict[str, str] | None = None) -> None:
        super().__init__()
        self._stem_word = stemmer.stemWord
        self._spellings = spellings or {}

    def __missing__(self, word: str) -> str:
        stem = self[word] = self._stem_word(self._spellings.get(word, word))
        return stem


def british_to_american() -> dict[str, str]:
    """British spelling -> American (colour -> color, programme -> program, ~1,700 words
    with their inflections), from the breame package's word lists. English text and
    queries are stemmed through it, so a question typed with either spelling meets an
    article written in the other."""
    from breame.spelling import BRITISH_ENGLISH_SPELLINGS

    return dict(BRITISH_ENGLISH_SPELLINGS)


def algorithm_for(language: str) -> str | None:
    """The Snowball algorithm for a language code ("de", "pt-BR", "german"), if any."""
    lang = language.strip().casefold().replace("_", "-")
    if lang in _ALGORITHMS:
        return lang
    return LANGUAGES.get(lang.split("-", 1)[0])


class Analyzer:
    def __init__(self, default_language: str = "en", bridge_spellings: bool = True) -> None:
        self.default_language = default_language
        self.bridge_spellings = bridge_spellings
        self._by_language: dict[str, _StemCache | None] = {}
        self._by_algorithm: dict[str, _StemCache] = {}

    def __getstate__(self) -> dict[str, object]:
        # Stemmers are C objects and cannot be pickled; worker processes make their own.
        return {"default_language": self.default_language, "bridge": self.bridge_spellings}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(str(state["default_language"]), bool(state.get("bridge", True)))

    # --- words -------------------------------------------------------------------------

    def words(self, text: str, parts: bool = True) -> list[str]:
        """Normalised surface words without stop words (what "did you mean" offers); a
        hyphenated word is followed by its parts unless ``parts`` is false."""
        return [w for w in normal_words(text, parts) if w not in STOP_WORDS]

    def stem(self, words: list[str], language: str = "") -> list[str]:
        cache = self._cache(language)
        if cache is None:
            return list(words)
        stems = list(map(cache.__getitem__, words))
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        return stems

    def tokens(self, text: str, language: str = "") -> list[str]:
        return self.stem(self.words(text), language)

    def spans(self, text: str, language: str = "") -> list[tuple[str, int, int]]:
        """(term, start, end) for every non-stop word, offsets into the original text."""
        starts: list[int] = []
        ends: list[int] = []
        found: list[str] = []
        for start, end in word_spans(text):
            starts.append(start)
            ends.append(end)
            found.append(text[start:end])
        norm = _normalise(found)
        if len(norm) != len(found):  # NFKC split a word ("¼" -> "1⁄4"): pair word by word
            pairs = [(w, i) for i, f in enumerate(found) for w in _normalise([f])]
        else:
            pairs = list(zip(norm, range(len(found)), strict=True))
        kept = [(w, i) for w, i in pairs if w not in STOP_WORDS]
        terms = self.stem([w for w, _ in kept], language)
        return [(t, starts[i], ends[i]) for t, (_, i) in zip(terms, kept, strict=True)]

    def query_terms(self, word: str, languages: Iterable[str] = ()) -> list[str]:
        """Stems of one query word under the default and each corpus language.

        A German post is indexed with German stems, so a word typed in German must also
        be stemmed the German way to find it.
        """
        surface = _normalise(find_words(word, parts=False))  # ``word`` is one of words()'s
        out: list[str] = []
        for lang in ("", *languages):
            for term in self.stem(surface, lang):
                if term not in out:
                    out.append(term)
        return out

    # --- stemmers ----------------------------------------------------------------------

    def _cache(self, language: str) -> _StemCache | None:
        try:
            return self._by_language[language]
        except KeyError:
            pass
        name = algorithm_for(language) if language else None
        if name is None:  # unknown or unset: the site's language
            name = algorithm_for(self.default_language)
        cache = None
        if name is not None:  # "en", "EN" and "english" share one cache
            cache = self._by_algorithm.get(name)
            if cache is None:
                bridge = name == "english" and self.bridge_spellings
                spellings = british_to_american() if bridge else None
                cache = self._by_algorithm[name] = _StemCache(Stemmer.Stemmer(name), spellings)
        self._by_language[language] = cache
        return cache


def _normalise(found: list[str]) -> list[str]:
    """NFKC + casefold + apostrophe folding of regex matches, in a few C-level passes.

    Working on the space-joined words (never on the text between them) keeps this exactly
    per-word, which is what lets ``spans`` pair results with match offsets.
    """
    joined = " ".join(found)
    if "\x00" in joined or not joined.isascii():
        joined = _INVISIBLE_RUN.sub("", joined)
    if joined.isascii():
        joined = joined.lower()
    else:
        normal = unicodedata.normalize("NFKC", joined)
        if normal != joined:  # "¼" -> "1⁄4": NFKC can yield characters that split a word
            normal = " ".join(WORD.findall(normal))
        joined = normal.casefold()
        for variant, plain in _VARIANTS:  # str.translate is slow on non-ASCII text
            if variant in joined:
                joined = joined.replace(variant, plain)
    if "'" in joined:
        joined = _fold_apostrophes(joined)
    return joined.split(" ") if joined else []
