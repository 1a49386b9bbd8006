"""Tokenising: normalisation, the word regex, stop words, stemming and span offsets."""

from __future__ import annotations

import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articlebot.index.text import analysis
from articlebot.index.text.analysis import (
    STOP_WORDS,
    Analyzer,
    _normalise,
    algorithm_for,
    find_words,
    normal_words,
    word_spans,
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer("en")


def test_words_casefold_and_drop_stop_words(analyzer: Analyzer) -> None:
    assert analyzer.words("The Train and THE Chase") == ["train", "chase"]


def test_hyphenated_words_are_indexed_whole_and_in_their_parts(analyzer: Analyzer) -> None:
    words = analyzer.words("COVID-19 hit self-driving cars in 2020, not 1999-2000 - or –")
    assert words == [
        *("covid-19", "covid", "19", "hit", "self-driving", "self", "driving", "cars"),
        *("2020", "1999-2000", "1999", "2000"),
    ]
    # parts=False: whole words only, as before (quoted phrases, ask's question terms).
    assert analyzer.words("COVID-19 hit self-driving cars", parts=False) == [
        "covid-19",
        "hit",
        "self-driving",
        "cars",
    ]
    # Unicode hyphen and non-breaking hyphen split the same way, and fold to "-".
    assert analyzer.words("G\u2010quadruplex iPSC\u2011derived") == [
        *("g-quadruplex", "g", "quadruplex", "ipsc-derived", "ipsc", "derived")
    ]


def test_stop_word_parts_are_dropped(analyzer: Analyzer) -> None:
    assert analyzer.words("state-of-the-art") == ["state-of-the-art", "state", "art"]
    assert analyzer.words("up-to-date") == ["up-to-date", "date"]
    # Hyphens that join no letters are not words, and a soft hyphen never splits.
    assert analyzer.words("stunt--double -edge- hyph\u00adenated") == [
        *("stunt", "double", "edge", "hyphenated")
    ]


def test_hyphen_parts_come_with_their_offsets(analyzer: Analyzer) -> None:
    text = "The G-quadruplex of state-of-the-art cells"
    assert [(t, text[s:e]) for t, s, e in analyzer.spans(text)] == [
        ("g-quadruplex", "G-quadruplex"),
        ("g", "G"),
        ("quadruplex", "quadruplex"),
        ("state-of-the-art", "state-of-the-art"),
        ("state", "state"),
        ("art", "art"),
        ("cell", "cells"),
    ]
    assert word_spans("a b-c", parts=False) == [(0, 1), (2, 5)]
    assert find_words("a b-c") == ["a", "b-c", "b", "c"]


def test_hyphenated_words_stay_matchable_as_written(analyzer: Analyzer) -> None:
    doc = set(analyzer.tokens("COVID-19 and the Mission-Impossible stunt"))
    assert {"covid-19", "mission-imposs"} <= doc
    for query in ("covid-19", "Covid-19", "mission-impossible"):
        assert set(analyzer.query_terms(query)) <= doc
        assert len(analyzer.query_terms(query)) == 1  # one query word, one term


def test_separated_query_words_meet_the_hyphenated_word(analyzer: Analyzer) -> None:
    doc = set(analyzer.tokens("Stabilising the G-quadruplex in iPSC-derived neurons"))
    for query in ("G - quadruplex", "ipsc derived", "g quadruplex"):
        assert set(analyzer.tokens(query)) <= doc


def test_apostrophes_are_folded(analyzer: Analyzer) -> None:
    assert analyzer.words("Cruise's stunt, rock'n'roll") == ["cruise", "stunt", "rocknroll"]
    # Curly apostrophes as typed on phones behave the same; "don't" is a stop word.
    assert analyzer.words("Cruise’s stunt don’t") == ["cruise", "stunt"]
    assert "dont" in STOP_WORDS and "let" not in STOP_WORDS


def test_underscores_and_punctuation_separate_words(analyzer: Analyzer) -> None:
    assert analyzer.words("snake_case _italic_ stunt--double -edge- 'quoted'") == [
        "snake",
        "case",
        "italic",
        "stunt",
        "double",
        "edge",
        "quoted",
    ]


def test_nfkc_and_casefold(analyzer: Analyzer) -> None:
    assert analyzer.words("ﬁne Ｆｕｌｌｗｉｄｔｈ STRASSE Straße") == [
        "fine",
        "fullwidth",
        "strasse",
        "strasse",
    ]
    # Decomposed (NFD) accents join their letter instead of splitting the word.
    assert analyzer.words("cafe\u0301") == analyzer.words("café") == ["café"]


def test_scripts_with_combining_marks_stay_whole(analyzer: Analyzer) -> None:
    assert analyzer.words("हिन्दी भाषा") == ["हिन्दी", "भाषा"]


def test_stop_words_are_the_snowball_english_list() -> None:
    assert {"the", "and", "of", "which", "itself", "wouldnt", "im"} <= STOP_WORDS
    assert not {"train", "cruise", "news", "latest"} & STOP_WORDS
    assert len(STOP_WORDS) > 150


def test_english_stemming(analyzer: Analyzer) -> None:
    assert analyzer.tokens("Running trains chased") == ["run", "train", "chase"]
    assert analyzer.tokens("cruise cruises cruising") == ["cruis"] * 3


def test_german_stemming_by_language_code(analyzer: Analyzer) -> None:
    assert analyzer.tokens("Häuser Kinder", "de") == ["haus", "kind"]
    assert analyzer.tokens("Häuser Kinder", "de-AT") == ["haus", "kind"]
    assert analyzer.tokens("Häuser Kinder", "german") == ["haus", "kind"]
    assert analyzer.tokens("Häuser", "en") == ["häuser"]


def test_unknown_language_uses_the_default() -> None:
    german = Analyzer("de")
    assert german.tokens("Häuser", "") == ["haus"]
    assert german.tokens("Häuser", "xx") == ["haus"]
    assert german.tokens("Häuser", "en") == ["häuser"]
    assert Analyzer("ja").tokens("Running", "") == ["running"]  # no Snowball stemmer


def test_algorithm_for() -> None:
    assert algorithm_for("pt_BR") == "portuguese"
    assert algorithm_for("RU") == "russian"
    assert algorithm_for("klingon") is None


def test_query_terms_cover_corpus_languages(analyzer: Analyzer) -> None:
    assert analyzer.query_terms("Häuser") == ["häuser"]
    assert analyzer.query_terms("häuser", ["de", "nl"]) == ["häuser", "haus"]
    assert analyzer.query_terms("train", ["de"]) == ["train"]  # de-duplicated


def test_spans_point_at_the_matched_words(analyzer: Analyzer) -> None:
    text = "The  Cruise's STUNT, covid-19 …"
    spans = analyzer.spans(text)
    assert [(t, text[s:e]) for t, s, e in spans] == [
        ("cruis", "Cruise's"),
        ("stunt", "STUNT"),
        ("covid-19", "covid-19"),
        ("covid", "covid"),
        ("19", "19"),
    ]


def test_spans_agree_with_tokens_on_hard_text(analyzer: Analyzer) -> None:
    text = "½ ¼-mile ﬁnal İstanbul ß Ǆ x\u0301y 😀 a_b don’t ①② Ｘ"
    spans = analyzer.spans(text)
    assert [t for t, _, _ in spans] == analyzer.tokens(text)
    for term, start, end in spans:
        assert term in analyzer.tokens(text[start:end])


def test_spans_agree_with_tokens_on_random_text(analyzer: Analyzer) -> None:
    pool = [
        *"abcXYZ019 -'’_.,\n\t",
        *("ß", "ﬁ", "½", "\u0301", "é", "İ", "Ｆ", "\u00a0", "…", "ि", "😀", "\u2011"),
    ]
    rng = random.Random(5)
    for lang in ("", "de", "ru"):
        for _ in range(300):
            text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
            spans = analyzer.spans(text, lang)
            assert [t for t, _, _ in spans] == analyzer.tokens(text, lang), repr(text)
            assert all(0 <= s < e <= len(text) for _, s, e in spans)


def test_empty_text(analyzer: Analyzer) -> None:
    assert analyzer.words("") == []
    assert analyzer.tokens("  ... ") == []
    assert analyzer.spans("") == []


def test_analyzer_pickles_for_worker_processes(analyzer: Analyzer) -> None:
    analyzer.tokens("warm the cache", "de")
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy.default_language == "en"
    assert copy.tokens("Häuser", "de") == ["haus"]


@pytest.mark.parametrize("hidden", ["\u00ad", "\u200b", "\u200d", "\u2060", "\ufeff", "\x00"])
def test_invisible_characters_inside_a_word_do_not_split_it(hidden: str) -> None:
    analyzer = Analyzer()
    text = f"the light{hidden}house keeper"
    assert analyzer.tokens(text) == analyzer.tokens("the lighthouse keeper")
    spans = analyzer.spans(text)
    assert [t for t, _, _ in spans] == analyzer.tokens(text)
    assert text[spans[0][1] : spans[0][2]] == f"light{hidden}house"


def test_british_and_american_spellings_meet() -> None:
    analyzer = Analyzer()
    assert analyzer.tokens("the colour of the neighbours' programme") == analyzer.tokens(
        "the color of the neighbors' program"
    )
    assert analyzer.tokens("theatres", "de") != analyzer.tokens("theaters", "de")  # English only
    plain = Analyzer(bridge_spellings=False)
    assert plain.tokens("colour") != plain.tokens("color")


def test_the_bridge_reaches_snippets_and_survives_pickling() -> None:
    import pickle

    from articlebot.index.text.snippets import make_snippet

    analyzer = pickle.loads(pickle.dumps(Analyzer()))
    snippet = make_snippet(
        "They painted it a bright colour.", set(analyzer.tokens("color")), analyzer
    )
    assert [snippet.text[a:b] for a, b in snippet.marks] == ["colour"]
    assert not pickle.loads(pickle.dumps(Analyzer(bridge_spellings=False))).bridge_spellings


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("博客框架", ["博客", "客框", "框架"]),  # Chinese: overlapping bigrams
        ("高速なブログ", ["高速", "速な", "なブ", "ブロ", "ログ"]),  # Japanese, Han and Kana
        ("프레임워크입니다", ["프레", "레임", "임워", "워크", "크입", "입니", "니다"]),  # Korean
        ("บล็อก", ["บล", "ล็", "็อ", "อก"]),  # Thai
        ("中", ["中"]),  # a run of one stays whole
        ("Hexo是一个", ["hexo", "是一", "一个"]),  # other letters in the word stay a word
        ("co-op-框架", ["co-op", "co", "op", "框架"]),  # edge joiners are not words
    ],
)
def test_scripts_without_spaces_are_indexed_in_two_character_pieces(
    text: str, tokens: list[str]
) -> None:
    analyzer = Analyzer()
    assert analyzer.tokens(text) == tokens
    spans = analyzer.spans(text)
    assert [t for t, _, _ in spans] == tokens
    assert all(text[s:e].casefold() == t for t, s, e in spans if t != "co-op")


def test_any_piece_of_a_run_finds_it() -> None:
    analyzer = Analyzer()
    indexed = set(analyzer.tokens("Hexo 是一个快速、简洁且高效的博客框架。"))
    assert set(analyzer.tokens("博客")) <= indexed and set(analyzer.tokens("高效的博客")) <= indexed
    assert set(analyzer.query_terms("框架")) <= indexed


def test_the_stored_word_class_is_the_computed_one() -> None:
    """The class is stored so that no start pays for building it; it must be the one
    this Python would build (another Unicode version builds its own at import)."""
    import unicodedata

    from articlebot.index.text import analysis, wordclass

    if unicodedata.unidata_version != wordclass.UNIDATA_VERSION:
        assert analysis._word_class() == analysis._CHAR  # built at import instead
    else:
        assert wordclass.WORD_CLASS == analysis._word_class() == analysis._CHAR


# --- the ASCII fast path of normal_words gives exactly the general path's words

# Letters, digits and joiners in every position, the stand-ins for ASCII punctuation,
# and characters that must take the general path (accents, invisibles, NUL, NFKC).
TRICKY = [
    *"abcXYZ09 -'s.\n\t\x00_/", "\u2019", "\u2010", "\u2011", "\u00a0", "é", "\u00ad",
    "\u200b", "£", "–", "“", "½", "ß", "ﬁ", "日本", "ʼ", "İ", "\u0301", "\u212a",
    "É", "ª", "µ", "¼", "×", "ÿ", "²", "Ñ", "¡", "·", "«",
]  # fmt: skip


def general_path(text: str, parts: bool) -> list[str]:
    return _normalise(find_words(text, parts))


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(TRICKY), max_size=30).map("".join), st.booleans())
def test_normal_words_are_the_general_paths(text: str, parts: bool) -> None:
    assert normal_words(text, parts) == general_path(text, parts)


@pytest.mark.parametrize(
    "text",
    [
        "The Cat's whiskers - self-driving cars' 'quotes' rock--roll -lead trail- x'-y",
        "it's-a test: the hyphen part of a possessive folds on its own",  # general path
        "Don\u2019t \u2018quote\u2019 \u201cme\u201d \u2014 it cost \u00a35\u2026 or \u20ac6",
        "na\u00efve caf\u00e9 stays general",
        "nul\x00joined",
        "",
        "   ",
    ],
)
def test_normal_words_on_written_examples(text: str) -> None:
    for parts in (True, False):
        assert normal_words(text, parts) == general_path(text, parts)


def test_typographic_punctuation_reaches_the_ascii_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(found: list[str]) -> list[str]:
        raise AssertionError("took the general path")

    monkeypatch.setattr(analysis, "_normalise", refuse)
    text = "Don\u2019t \u2018quote\u2019 \u201cme\u201d \u2014 it cost \u00a35\u2026"
    assert normal_words(text) == ["dont", "quote", "me", "it", "cost", "5"]


def test_latin1_letters_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(found: list[str]) -> list[str]:
        raise AssertionError("took the general path")

    monkeypatch.setattr(analysis, "_normalise", refuse)
    text = "Ein Café in Zürich, «très» CHÈRE, ª²"
    assert normal_words(text) == ["ein", "café", "in", "zürich", "très", "chère", "a2"]


def test_every_latin1_character_between_letters() -> None:
    for code in range(256):
        for text in (f"a{chr(code)}b", f"{chr(code)}s-x", f"x{chr(code)}{chr(code)}"):
            for parts in (True, False):
                assert normal_words(text, parts) == general_path(text, parts), repr(text)


def test_stand_ins_are_never_word_characters() -> None:
    for ch, plain in analysis._STAND_INS:
        for text in (f"a{ch}b", f"{ch}a", f"a{ch}", f"a{ch}{ch}b", f"a{ch}s x"):
            assert general_path(text, True) == general_path(text.replace(ch, plain), True)
