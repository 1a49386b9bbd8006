"""Snippet windows: the passage with most query terms, cut at words, marks on the matches."""

from __future__ import annotations

import bisect
import random
import re
from collections import Counter

import pytest

from articlebot.index.results import Snippet
from articlebot.index.text import snippets
from articlebot.index.text.analysis import Analyzer, find_words
from articlebot.index.text.snippets import (
    MAX_CHARS,
    VECTOR_HITS,
    _best_span,
    _best_span_numpy,
    _chunk_words,
    _cropped,
    article_snippet,
    contains_phrase,
    make_snippet,
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer("en")


def _terms(analyzer: Analyzer, query: str) -> frozenset[str]:
    return frozenset(analyzer.tokens(query))


def _marked(snippet) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.marks]


def _filler(prefix: str, n: int) -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


def test_window_with_most_distinct_terms(analyzer: Analyzer) -> None:
    text = (
        f"{_filler('a', 50)} train train train {_filler('b', 50)} "
        f"the Train chased Cruise's car {_filler('c', 50)}"
    )
    snippet = make_snippet(text, _terms(analyzer, "cruise train chase"), analyzer, width=10)
    assert _marked(snippet) == ["Train", "chased", "Cruise's"]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text.strip("…").split()) == 10


def test_ties_go_to_more_matches_then_earlier(analyzer: Analyzer) -> None:
    text = f"train {_filler('a', 40)} train train {_filler('b', 40)} train train"
    snippet = make_snippet(text, _terms(analyzer, "train"), analyzer, width=5)
    assert _marked(snippet) == ["train", "train"]
    assert "a39" in snippet.text and "b0" in snippet.text  # the first pair, centred
    single = make_snippet(f"x train {_filler('a', 40)} train", {"train"}, analyzer, width=5)
    assert single.text.startswith("x train") and _marked(single) == ["train"]


def test_marks_are_exactly_the_matched_words(analyzer: Analyzer) -> None:
    text = "COVID-19 vaccines: the covid-19 vaccine's trial (vaccinated) — vaccination!"
    snippet = make_snippet(text, _terms(analyzer, "covid-19 vaccine"), analyzer)
    assert snippet.text == text  # short text is not cut
    # Stems, not substrings: "vaccinated" and "vaccination" stem to "vaccin" too.
    assert _marked(snippet) == [
        "COVID-19",
        "vaccines",
        "covid-19",
        "vaccine's",
        "vaccinated",
        "vaccination",
    ]
    only = make_snippet("vaccinology covid vaccine", {"vaccin"}, analyzer)
    assert _marked(only) == ["vaccine"]


def test_whitespace_collapsed_and_marks_still_align(analyzer: Analyzer) -> None:
    text = "The  train\n\n\tchase   at dawn"
    snippet = make_snippet(text, _terms(analyzer, "chase dawn"), analyzer)
    assert snippet.text == "The train chase at dawn"
    assert _marked(snippet) == ["chase", "dawn"]


def test_no_match_gives_the_opening_words(analyzer: Analyzer) -> None:
    snippet = make_snippet(_filler("w", 100), {"train"}, analyzer, width=30)
    assert snippet.text == _filler("w", 30) + "…"
    assert snippet.marks == ()


def test_empty_text(analyzer: Analyzer) -> None:
    snippet = make_snippet("", {"train"}, analyzer)
    assert snippet.text == "" and snippet.marks == ()
    assert make_snippet("  \n ", {"train"}, analyzer).text == ""


def test_match_at_the_very_end(analyzer: Analyzer) -> None:
    snippet = make_snippet(_filler("w", 100) + " train.", {"train"}, analyzer, width=8)
    assert snippet.text.startswith("…") and snippet.text.endswith("train.")
    assert _marked(snippet) == ["train"]
    assert len(snippet.text.lstrip("…").split()) == 8


def test_language_stemming_is_used(analyzer: Analyzer) -> None:
    snippet = make_snippet("Die Häuser am See", {"haus"}, analyzer, language="de")
    assert _marked(snippet) == ["Häuser"]


def test_finds_the_match_at_the_end_of_a_long_body(analyzer: Analyzer) -> None:
    body = " ".join(f"word{i % 700} filler{i % 13}" for i in range(2_500))
    body += " the train chase at last"
    terms = _terms(analyzer, "train chase")
    make_snippet(body, terms, analyzer)  # warm the stem cache
    snippet = make_snippet(body, terms, analyzer)
    assert _marked(snippet) == ["train", "chase"]


def _reference_snippet(
    text: str, terms: frozenset[str], analyzer: Analyzer, language: str, width: int
) -> Snippet:
    """The plain algorithm: every word through ``Analyzer.spans``, chunks by regex."""
    chunks = [m.span() for m in re.finditer(r"\S+", text)]
    if not chunks:
        return Snippet("")
    starts = [start for start, _ in chunks]
    hits = [
        (bisect.bisect_right(starts, start) - 1, start, end, term)
        for term, start, end in analyzer.spans(text, language)
        if term in terms
    ]
    first, last = _window_by_brute_force(hits, len(chunks), width)
    prefix = "…" if first > 0 else ""
    pieces, marks, at = [], [], len(prefix)
    for index in range(first, last):
        start, end = chunks[index]
        for chunk, hit_start, hit_end, _ in hits:
            if chunk == index:
                marks.append((at + hit_start - start, at + hit_end - start))
        pieces.append(text[start:end])
        at += end - start + 1
    suffix = "…" if last < len(chunks) else ""
    joined: list[tuple[int, int]] = []  # one mark per stretch of matched text
    for start, end in sorted(set(marks)):
        if joined and start < joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    snippet = Snippet(prefix + " ".join(pieces) + suffix, tuple(joined))
    # (the cut to MAX_CHARS is one shared step after the window: tested by itself below)
    return _cropped(snippet) if len(snippet.text) > MAX_CHARS else snippet


def _window_by_brute_force(
    hits: list[tuple[int, int, int, str]], n_chunks: int, width: int
) -> tuple[int, int]:
    """Every window that starts at a hit: most distinct terms, then most hits, then first."""
    if not hits:
        return 0, min(width, n_chunks)
    best, lo, hi = (-1, -1), 0, 0
    for left, (chunk, *_) in enumerate(hits):
        inside = [h for h in hits[left:] if h[0] < chunk + width]
        score = (len({h[3] for h in inside}), len(inside))
        if score > best:
            best, lo, hi = score, chunk, inside[-1][0] + 1
    first = max(0, lo - (width - (hi - lo)) // 2)
    last = min(n_chunks, first + width)
    return max(0, last - width), last


_PARTS = [
    "train", "Train", "TRAINS", "trained", "restrain", "training", "chase", "chased",
    "Häuser", "haus", "naïve", "cafe\u0301", "ﬁnal", "¼", "covid", "19", "vaccine",
    "vaccine's", "Cruise", "don't", "the", "own", "owned", "x", "_", "straße", "STRASSE",
    "㏂", "İstanbul", "ΣΟΦΟΣ", "नमस्ते", "co\u2010op", "x\u00ad\u00ady", "ʼ", "e\u0301",
    "博客框架", "框架", "高速なブログ", "ｶﾀｶﾅ", "프레임워크입니다", "บล็อก", "中",
]  # fmt: skip
_GLUE = ["", "-", "'", "\u2019", "\u00ad", "\u200b", "\u2060", "\x00", "--", ".", ",", "_"]
_SPACES = [" ", " ", " ", "  ", "\n", "\t", "\u00a0", "\u3000", " (", ") "]


def _random_text(rng: random.Random, parts: list[str] = _PARTS) -> str:
    out = []
    for _ in range(rng.randrange(0, 120)):
        out.append(rng.choice(parts))
        out.append(rng.choice(_GLUE) if rng.random() < 0.3 else rng.choice(_SPACES))
    return "".join(out)


def test_fast_path_equals_the_plain_algorithm(analyzer: Analyzer) -> None:
    """make_snippet analyses distinct chunks through a cache and finds them in the chunk list;
    it must give exactly what analysing every word does: substrings inside longer words,
    NFKC splits ("¼", "㏂"), invisible characters inside words, stop words, cold and warm
    cache, two languages."""
    for case, (text, terms, language, width) in enumerate(_random_cases(analyzer, 5)):
        expected = _reference_snippet(text, terms, analyzer, language, width)
        got = make_snippet(text, terms, analyzer, language, width)
        assert got == expected, (case, text, terms, language, width)


_QUERIES = [
    "train chase", "vaccine covid-19", "haus", "naïve café final", "1 4", "own",
    "strasse co-op", "a m istanbul", "框架 ブログ", "프레임워크", "บล็อก 中", "co op 19",
]  # fmt: skip


def _random_cases(analyzer: Analyzer, seed: int, n: int = 1500):
    """(text, query terms, language, width) of random texts and queries in many scripts."""
    rng = random.Random(seed)
    for _ in range(n):
        text = _random_text(rng)
        language = rng.choice(["", "de"])
        terms = frozenset(
            t for word in rng.choice(_QUERIES).split() for t in analyzer.query_terms(word, ["de"])
        )
        yield text, terms, language, rng.choice([1, 3, 8, 30])


def test_long_bodies_and_bodies_met_again_equal_the_plain_algorithm(analyzer: Analyzer) -> None:
    """Hundreds of hits (the best window found with numpy), a body met again (its chunks
    are not checked against the cache again), and a cache started afresh between two
    calls give what analysing every word does."""
    rng = random.Random(11)
    queries = ["train chase", "vaccine covid-19 own", "haus strasse", "框架 ブログ 19"]
    for case in range(60):
        text = " ".join(_random_text(rng) for _ in range(rng.choice([1, 5, 40])))
        terms = frozenset(
            t for word in rng.choice(queries).split() for t in analyzer.query_terms(word, ["de"])
        )
        language, width = rng.choice(["", "de"]), rng.choice([3, 30])
        expected = _reference_snippet(text, terms, analyzer, language, width)
        if case % 3 == 0:
            snippets._known.clear()
        for _ in range(2):
            got = make_snippet(text, terms, analyzer, language, width)
            assert got == expected, (case, text, terms, language, width)
        other = frozenset(analyzer.query_terms("final naïve"))  # same body, other terms
        assert make_snippet(text, other, analyzer, language, width) == _reference_snippet(
            text, other, analyzer, language, width
        )


def test_a_chunk_has_the_words_the_regex_finds() -> None:
    chunks = [
        "word,", "(Word)", "...", "--", "a.b", "x_y", "don't", "naïve,", "19", "Trump's",
        "[1]", '"quoted"', "e.g.", "U.S.", "co-op", "covid-19.", "博客框架,", "x\u00ady",
        "", "(", "ﬁnal", "¼", "A1b2", "'tis", "1,000",
    ]  # fmt: skip
    for chunk in chunks:
        assert _chunk_words(chunk) == find_words(chunk), chunk


def test_the_numpy_window_is_the_plain_one() -> None:
    rng = random.Random(2)
    for _ in range(300):
        n = rng.randrange(1, 4 * VECTOR_HITS)
        chunks = sorted(rng.randrange(rng.choice([n, 5 * n, 40 * n])) for _ in range(n))
        hits = [(c, 0, 1, rng.choice("abcd")) for c in chunks]
        width = rng.choice([1, 2, 8, 30])
        assert _best_span_numpy(hits, width) == _best_span(hits, width)


def test_a_long_run_without_spaces_is_cut_around_the_match(analyzer: Analyzer) -> None:
    filler = "的博客框架快速简洁且高效" * 40  # one 480-character "word"
    text = f"概要 {filler}部署到远程服务器{filler} 结束"
    snippet = make_snippet(text, set(analyzer.tokens("部署")), analyzer)
    assert len(snippet.text) <= MAX_CHARS + 2
    assert _marked(snippet) == ["部署"]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")


def test_thirty_english_words_are_not_cut(analyzer: Analyzer) -> None:
    text = " ".join(["harbour"] + ["seals"] * 29 + ["later"] * 40)
    snippet = make_snippet(text, set(analyzer.tokens("harbour")), analyzer)
    assert snippet.text == " ".join(["harbour"] + ["seals"] * 29) + "…"


def test_phrases_with_hyphenated_words(analyzer: Analyzer) -> None:
    def phrase(words: str) -> tuple[str, ...]:
        return tuple(t for w in words.split() for t in analyzer.query_terms(w))

    text = "Trials of the COVID-19 vaccine's second dose, then covid 19 boosters."
    assert contains_phrase(text, phrase("covid-19 vaccine"), analyzer)
    assert contains_phrase(text, phrase("covid-19 vaccines"), analyzer)
    assert not contains_phrase(text, phrase("vaccine covid-19"), analyzer)
    assert not contains_phrase(text, phrase("covid-19 boosters"), analyzer)  # written apart
    assert contains_phrase(text, phrase("covid 19 boosters"), analyzer)
    assert contains_phrase("the train chase", phrase("train chase"), analyzer)
    assert not contains_phrase("the train-chase", phrase("chase train"), analyzer)


def test_a_phrase_written_apart_meets_the_hyphenated_word(analyzer: Analyzer) -> None:
    def phrase(words: str) -> tuple[str, ...]:
        return tuple(t for w in words.split() for t in analyzer.query_terms(w))

    assert contains_phrase("The train-chase scene", phrase("train chase"), analyzer)
    assert contains_phrase("its G-quadruplex structures", phrase("g quadruplex"), analyzer)
    assert contains_phrase("state-of-the-art cells", phrase("state art"), analyzer)
    assert contains_phrase("state-of-the-art cells", phrase("state-of-the-art cells"), analyzer)
    snippet = make_snippet("The train-chase scene", frozenset(phrase("train chase")), analyzer)
    assert _marked(snippet) == ["train", "chase"]


def test_phrases_of_two_character_pieces_and_across_fields(analyzer: Analyzer) -> None:
    def phrase(words: str) -> tuple[str, ...]:
        return tuple(t for w in words.split() for t in analyzer.query_terms(w))

    # a run of Chinese or Japanese is its overlapping pieces: they are consecutive
    assert contains_phrase("我在東京大学读书", phrase("東京大学"), analyzer)
    assert not contains_phrase("東京 大学", phrase("東京大学"), analyzer)  # no 京大
    assert contains_phrase("東京大学", phrase("東京 大学"), analyzer)
    assert not contains_phrase("東京の大学", phrase("東京 大学"), analyzer)  # の between
    assert not contains_phrase("大学東京", phrase("東京 大学"), analyzer)
    assert contains_phrase("hexo是一个博客", phrase("hexo 是一个"), analyzer)
    # the title, description and body are checked as one text (``Searcher.phrase_ok``),
    # as positions hold them back to back
    text = " \n ".join(("The rooftop chase", "Motorbike jump at dawn", "Filmed in one take."))
    assert contains_phrase(text, phrase("chase motorbike"), analyzer)
    assert contains_phrase(text, phrase("dawn filmed"), analyzer)
    assert not contains_phrase(text, phrase("rooftop motorbike"), analyzer)
    # a dash between two words is no hyphen, but only punctuation between them
    assert contains_phrase("a train\u2014chase", phrase("train chase"), analyzer)
    assert not contains_phrase("the state of the art", phrase("state-of-the-art"), analyzer)


def _counts(text: str, terms: frozenset[str], analyzer: Analyzer, language: str) -> dict[str, int]:
    """What the stored positions say: each query term's occurrences in ``text``."""
    counts: dict[str, int] = {}
    for term, _, _ in analyzer.spans(text, language):
        if term in terms:
            counts[term] = counts.get(term, 0) + 1
    return counts


def test_hits_counted_from_positions_equal_the_plain_algorithm(analyzer: Analyzer) -> None:
    """With the positions' counts a snippet looks only at the chunks that spell a query
    term's stem less its last letter, and falls back to every chunk when what it finds
    falls short (stems not spelled in their words: "dying" -> "die"): the same snippet
    either way, and the counted path answers most texts by itself. Wrong counts (an index
    out of step with the text) give the same snippet too, through the fallback. The texts
    are in the form the index stores (``_stored_form``), as a search's are."""
    counted = fallback = 0
    for case, (raw, terms, language, width) in enumerate(_random_cases(analyzer, 23)):
        text = _stored_form(raw)
        reference = _reference_snippet(text, terms, analyzer, language, width)
        counts = _counts(text, terms, analyzer, language)
        got = make_snippet(text, terms, analyzer, language, width, expected=counts)
        assert got == reference, (case, text, terms, language, width)
        stored = snippets._stored(text)
        found = stored and snippets._counted_hits(stored, terms, analyzer, language, counts)
        if counts and stored:
            if found is None:
                fallback += 1
            else:
                counted += 1
        if counts:
            wrong = {t: n + 1 for t, n in counts.items()}
            assert make_snippet(text, terms, analyzer, language, width, expected=wrong) == reference
    assert counted > 3 * fallback > 0, (counted, fallback)


def _stored_form(text: str) -> str:
    """``text`` as the index stores a body (``plaintext``): each line a paragraph, its
    words one space apart, paragraphs two line breaks apart."""
    return "\n\n".join(p for p in (" ".join(line.split()) for line in text.split("\n")) if p)


def _stored_text(rng: random.Random) -> str:
    """A random text as the index stores bodies (``plaintext``): words one space apart,
    paragraphs two line breaks apart; of words that case folding keeps as long."""
    parts = [part for part in _PARTS if len(part.casefold()) == len(part)]
    paragraphs = (" ".join(_random_text(rng, parts).split()) for _ in range(rng.choice([1, 2, 6])))
    return "\n\n".join(p for p in paragraphs if p)


def test_stored_texts_are_sliced_in_place_and_equal_the_plain_algorithm(
    analyzer: Analyzer,
) -> None:
    """A stored body is not split: the window is walked to from the best hits' chunk and
    shown as one slice of it (``_Stored``), the same snippet as splitting gives; also
    where case folding lengthens a character ("ß" -> "ss": ``lower`` is searched, and a
    term it cannot find sends the snippet to the other path)."""
    rng = random.Random(31)
    kinds: Counter[str] = Counter()
    for case in range(1500):
        text = _stored_text(rng)
        if case % 5 == 0:
            text = text.replace("haus", "Straße haus", 1)
        language = rng.choice(["", "de"])
        terms = frozenset(
            t for word in rng.choice(_QUERIES).split() for t in analyzer.query_terms(word, ["de"])
        )
        width = rng.choice([1, 3, 8, 30])
        reference = _reference_snippet(text, terms, analyzer, language, width)
        counts = _counts(text, terms, analyzer, language)
        assert make_snippet(text, terms, analyzer, language, width, expected=counts) == reference, (
            case, text, terms, language, width,
        )  # fmt: skip
        stored = snippets._stored(text)
        if stored is None or not any(counts.values()):
            continue
        found = snippets._counted_hits(stored, terms, analyzer, language, counts)
        if found and snippets._stored_snippet(stored, found, width) is not None:
            kinds["sliced, ß" if "ß" in text else "sliced"] += 1
        else:
            kinds["split"] += 1
    assert kinds["sliced"] > 500 and kinds["sliced, ß"] > 50 and kinds["split"] > 0, kinds


def test_a_body_that_repeats_the_query_finds_its_chunks_in_numpy(analyzer: Analyzer) -> None:
    """Past ``_MANY_FOUND`` finds the chunks come from one numpy pass over the text
    instead of a few finds each: the same snippet, in long paragraphs and short ones."""
    rng = random.Random(5)
    terms = frozenset(analyzer.query_terms("harbour pilots"))
    words = ["calm", "morning", "quay", "the", "and", "Harbour's", "pilots.", "HARBOURS"]
    for case in range(40):
        n = rng.choice([300, 2000])
        line = rng.choice([8, 80, 5000])
        body = [rng.choice(words) for _ in range(n)]
        text = "\n\n".join(" ".join(body[i : i + line]) for i in range(0, n, line))
        counts = _counts(text, terms, analyzer, "")
        stored = snippets._stored(text)
        assert stored is not None
        found = sum(stored.folded.count(snippets._stretch(t)) for t in counts)
        assert found > snippets._MANY_FOUND
        for width in (1, 30):
            got = make_snippet(text, terms, analyzer, width=width, expected=counts)
            assert got == _reference_snippet(text, terms, analyzer, "", width), (case, width)


def test_a_text_not_in_the_stored_form_still_gets_one_line_and_its_marks(
    analyzer: Analyzer,
) -> None:
    """The stored form is trusted outside the window (the index writes it): elsewhere a
    tab or a no-break space may shift which chunks the window counts, never the marks,
    and a window that is not in the form is not shown (the text is split instead)."""
    for case, (text, terms, language, width) in enumerate(_random_cases(analyzer, 41, 800)):
        counts = _counts(text, terms, analyzer, language)
        got = make_snippet(text, terms, analyzer, language, width, expected=counts)
        reference = _reference_snippet(text, terms, analyzer, language, width)
        if got == reference:
            continue
        assert got.marks or not reference.marks, (case, text)
        assert " ".join(got.text.split()) == got.text, (case, text)
        for start, end in got.marks:
            marked = analyzer.tokens(got.text[start:end], language)
            assert terms & set(marked), (case, text, got.text[start:end])
    tabbed = "Harbour news\tfrom the quay.\n\n" + " ".join(["calm"] * 50) + " pilots at dawn."
    terms = frozenset(analyzer.query_terms("pilots"))
    got = make_snippet(tabbed, terms, analyzer, width=5, expected={"pilot": 1})
    assert got.text == "…calm calm pilots at dawn." and got.marks == ((11, 17),)
    windowed = "Pilots\tat dawn."  # the window itself is not in the form: split
    got = make_snippet(windowed, terms, analyzer, expected={"pilot": 1})
    assert got == Snippet("Pilots at dawn.", ((0, 6),))


def test_a_stem_not_spelled_in_its_word_falls_back(analyzer: Analyzer) -> None:
    text = "The old dog was dying in the grey rain, then dyed."
    for query in ("die", "gray"):
        terms = frozenset(analyzer.query_terms(query))
        counts = _counts(text, terms, analyzer, "")
        assert sum(counts.values()) >= 1
        stored = snippets._stored(text)
        assert stored and snippets._counted_hits(stored, terms, analyzer, "", counts) is None
        got = make_snippet(text, terms, analyzer, expected=counts)
        assert got == _reference_snippet(text, terms, analyzer, "", 30)
        assert got.marks


def test_a_text_without_the_terms_costs_nothing_and_marks_nothing(analyzer: Analyzer) -> None:
    terms = frozenset(analyzer.query_terms("train"))
    text = "A quiet morning by the harbour."
    stored = snippets._stored(text)
    assert stored and snippets._counted_hits(stored, terms, analyzer, "", {}) == []
    assert make_snippet(text, terms, analyzer, expected={}) == make_snippet(text, terms, analyzer)


def test_a_description_snippet_led_by_counts_keeps_a_stem_not_spelled_in_it(
    analyzer: Analyzer,
) -> None:
    """The title's count may be skimmed (it is only subtracted from the body's), the
    description's may not: its own snippet is led by it."""
    from articlebot.index.posts.article import Article

    article = Article(
        id="a.md",
        path="a.md",
        slug="a",
        title="Old dog",
        description="The old dog was dying.",
        body="A quiet morning by the sea.",
    )
    terms = frozenset(analyzer.query_terms("die"))
    counts: dict[str, int] = {}
    for field in (article.title, article.description, article.body):
        for term, n in _counts(field, terms, analyzer, "").items():
            counts[term] = counts.get(term, 0) + n
    plain = article_snippet(article, terms, analyzer)
    assert plain.marks and article_snippet(article, terms, analyzer, counts) == plain
