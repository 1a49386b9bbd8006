"""The passage of a post that best shows why it matched.

A match is exactly what the index matched (stems, not substrings): the same words and terms
as ``Analyzer.spans``, and a sliding window over the match positions. Bodies run to 164k
characters and a page shows ten snippets, so nothing here does Python work per word of the
body: the body's chunks (``str.split``) meet a cache of chunks filed under their terms in
C-level set operations (new chunks analysed in one batch), and only the chunks that hold a
query term are visited in Python. Ten snippets of the real corpus: p95 18 ms -> 5 ms with
``str.find`` and a numpy pass, then ~180 -> ~80 us a snippet p50 with the term -> chunks
file and no character offsets (bench/README.md, "Whole search with ten snippets").

With the index's positions (format 10) a search first counts each query term in each
post's stored term ids; the snippet then analyses only the chunks that spell a term's stem
and checks it found that many (``_counted_hits``), so a post costs a few ``str.find``s
whatever its length and nothing is learned per body: the chunk cache is left to indexes
without positions, phrase checks on them, and the rare text whose count comes out short.
Such a stored text is not split either (``_Stored``): the chunks around its hits and the
window are found with ``str.find`` and one split of the window's neighbourhood, since its
whitespace is the index's own (single spaces, paragraph breaks): ten snippets at 100k
0.62 -> 0.35 ms p50 (bench/README.md).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress

import numpy as np

from articlebot.index.posts.article import Article
from articlebot.index.results import Snippet
from articlebot.index.text.analysis import (
    STOP_WORDS,
    Analyzer,
    _normalise,
    find_words,
    word_spans,
)

ELLIPSIS = "…"
# A snippet's most characters: thirty English words are ~200, but thirty "words" between
# spaces of Chinese or Japanese can be whole paragraphs.
MAX_CHARS = 320
CUT_SLACK = 24  # how far a cut may move to land on a space
VECTOR_HITS = 120  # hits from which numpy finds the best window faster (measured: ~128)


def _space_table() -> np.ndarray:
    """``str.isspace`` (what ``\\s`` and ``str.split`` use) for every code point up to
    U+3000, the last whitespace character."""
    table = np.zeros(0x3001, dtype=bool)
    table[[cp for cp in range(0x3001) if chr(cp).isspace()]] = True
    return table


_SPACE = _space_table()


def article_snippet(
    article: Article,
    terms: Collection[str],
    analyzer: Analyzer,
    counts: Mapping[str, int] | None = None,
) -> Snippet:
    """The body passage with most query terms; the description when it matches better (or
    when the body is empty).

    ``counts`` (``SegmentedIndex.term_counts``) says how many times each query term
    occurs in the title, description and body together: the body's share is then looked
    for directly (``_counted_hits``) instead of analysing all its words.
    """
    language = article.language
    in_body = in_description = None
    if counts is not None:
        in_body = {t: n for t, n in counts.items() if t in terms}
        in_description = _count_in(article.description, in_body, analyzer, language)
        for t, n in _count_in(article.title, in_body, analyzer, language, skim=True).items():
            in_body[t] -= n
        for t, n in in_description.items():
            in_body[t] -= n
    body = make_snippet(article.body, terms, analyzer, language, expected=in_body)
    if body.marks or not article.description:
        if body.text:
            return body
        return make_snippet(article.description, terms, analyzer, expected=in_description)
    described = make_snippet(
        article.description, terms, analyzer, language, expected=in_description
    )
    return described if described.marks else body


def _count_in(
    text: str, terms: Collection[str], analyzer: Analyzer, language: str, skim: bool = False
) -> dict[str, int]:
    """How many times each of ``terms`` occurs in a short field's tokens.

    ``skim`` skips the analysis when the text spells none of the terms' stretches: then
    the counts may come out low (a stem not spelled in its word), which is enough for
    what is subtracted from the body's count (its snippet falls back when that count
    comes out high), but not for a snippet of the text itself.
    """
    found: dict[str, int] = {}
    folded = text.casefold() if skim else ""
    if not skim or any(_stretch(t) in folded for t in terms):
        for token in analyzer.tokens(text, language):
            if token in terms:
                found[token] = found.get(token, 0) + 1
    return found


def make_snippet(
    text: str,
    terms: Collection[str],
    analyzer: Analyzer,
    language: str = "",
    width: int = 30,
    expected: Mapping[str, int] | None = None,
) -> Snippet:
    """~``width`` words of ``text`` with the most distinct query terms.

    Ties go to more matches in total, then to the earlier passage. Whitespace is collapsed
    to single spaces so the passage reads as one line in Discord or a terminal.
    ``expected``, when known, is how many times each query term occurs in ``text``.
    """
    width = max(1, width)
    if terms and expected is not None and (stored := _stored(text)) is not None:
        hits = _counted_hits(stored, terms, analyzer, language, expected)
        snippet = _stored_snippet(stored, hits, width) if hits is not None else None
        if snippet is not None:
            return snippet
    chunks = text.split()  # what the window counts as a word: the \S+ runs
    if not chunks:
        return Snippet("")
    hits = _chunk_hits(text, chunks, terms, analyzer, language) if terms else []
    first, last = _best_window(hits, len(chunks), width)
    shown = [h for h in hits if first <= h[0] < last]
    snippet = _render(chunks[first:last], shown, first, last < len(chunks))
    return _cropped(snippet) if len(snippet.text) > MAX_CHARS else snippet


def _render(
    window: list[str], hits: list[tuple[int, int, int, str]], first: int, more: bool
) -> Snippet:
    """The chunks of ``window`` (chunk ``first`` onwards) joined by single spaces, with a
    mark on each hit (chunk, start and end inside the chunk, term)."""
    prefix = ELLIPSIS if first > 0 else ""
    at = [len(prefix)]  # per chunk: its offset in the snippet
    for chunk in window:
        at.append(at[-1] + len(chunk) + 1)
    marks = _merged([(at[c - first] + s, at[c - first] + e) for c, s, e, _ in hits])
    return Snippet(prefix + " ".join(window) + (ELLIPSIS if more else ""), marks)


def _cropped(snippet: Snippet, limit: int = MAX_CHARS) -> Snippet:
    """At most ``limit`` characters around the first mark: thirty words of Chinese or
    Japanese can be one long run without a space. Cut at a space when one is near."""
    text, marks = snippet.text, snippet.marks
    anchor = marks[0][0] if marks else 0
    start = max(0, min(anchor - limit // 3, len(text) - limit))
    end = min(len(text), start + limit)
    if start > 0 and (space := text.find(" ", start, start + CUT_SLACK)) >= 0:
        start = space + 1
    if end < len(text) and (space := text.rfind(" ", end - CUT_SLACK, end)) > start:
        end = space
    head = ELLIPSIS if start > 0 and not text[start:].startswith(ELLIPSIS) else ""
    tail = ELLIPSIS if end < len(text) and not text[:end].endswith(ELLIPSIS) else ""
    shift = len(head) - start
    kept = tuple(
        (max(s, start) + shift, min(e, end) + shift) for s, e in marks if s < end and e > start
    )
    return Snippet(head + text[start:end] + tail, kept)


def _merged(marks: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Marks in order, overlapping ones joined: the two-character pieces of a Chinese or
    Japanese run overlap ("是一", "一个" -> "是一个")."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(marks):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return tuple(out)


def _chunk_edges(text: str) -> np.ndarray:
    """Where each ``\\S+`` run of ``text`` (each of ``text.split()``) starts and ends,
    alternately, found in one numpy pass: ``re.finditer`` would cost a Python object per
    chunk, 3 ms on the longest bodies."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    space = np.ones(len(points) + 2, dtype=bool)  # padded: the text starts and ends in space
    low = points < len(_SPACE)
    space[1:-1] = False
    space[1:-1][low] = _SPACE[points[low]]
    return np.flatnonzero(space[1:] != space[:-1])


@dataclass(frozen=True, slots=True)
class _Stored:
    """A text as the index stores bodies and descriptions (``plaintext``): words one
    space apart, paragraphs two line breaks apart, no other whitespace; and its
    case-folded twin, to look for the query terms in.

    Its chunks (``str.split``) are found around the places that matter with a few
    ``str.find``s, so nothing is done per word of a long body: splitting a 7k-character
    body cost ~25-40 us, about half of its snippet.
    """

    text: str
    folded: str
    # Where each chunk starts in ``text``, when folding lengthened a character ("ß" ->
    # "ss") so offsets in ``folded`` are not offsets in ``text`` (``text`` is then one
    # paragraph: its breaks made spaces). None: the offsets are the same.
    starts: list[int] | None = None

    def chunk(self, at: int, index: int) -> tuple[int, int]:
        """Start and end in ``text`` of chunk ``index``, which holds ``folded[at]``."""
        if self.starts is not None:
            return self.starts[index], self._end_of(index)
        return self.start(at), self.end(at)

    def separators(self, start: int, end: int) -> int:
        """How many chunks end in ``folded[start:end]``: the spaces and paragraph breaks
        (two line breaks) there."""
        spaces = self.folded.count(" ", start, end)
        if self.starts is not None:  # one paragraph; a stray line break is no chunk's end
            return spaces
        return spaces + self.folded.count("\n", start, end) // 2

    def _end_of(self, index: int) -> int:
        starts = self.starts
        assert starts is not None
        return starts[index + 1] - 1 if index + 1 < len(starts) else len(self.text)

    def start(self, at: int) -> int:
        """The start of the chunk that holds ``at`` (or ends there). The line break is
        looked for only after the space before: a paragraph's start may be far back."""
        folded = self.folded
        space = folded.rfind(" ", 0, at)
        return max(space, folded.rfind("\n", space + 1, at)) + 1

    def end(self, at: int) -> int:
        """The end of the chunk that holds ``at`` (the line break likewise)."""
        folded = self.folded
        space = folded.find(" ", at)
        stop = len(folded) if space < 0 else space
        line = folded.find("\n", at, stop)
        return stop if line < 0 else line

    def window(self, first: int, width: int, index: int, begin: int) -> tuple[int, int, int, bool]:
        """``_best_window`` from chunk ``first``: (first, start, end, more chunks after),
        found from chunk ``index`` that starts at ``begin``; at the text's end the window
        starts earlier, as far as it fell short of ``width`` chunks."""
        if self.starts is not None:
            last = min(len(self.starts), first + width)
            first = max(0, last - width)
            return first, self.starts[first], self._end_of(last - 1), last < len(self.starts)
        begin = self._back(begin, index - first)
        end, count, more = self._forward(begin, width)
        if count < width and first > 0:
            back = min(first, width - count)
            begin, first = self._back(begin, back), first - back
        return first, begin, end, more

    def _back(self, begin: int, chunks: int) -> int:
        """The start of the chunk ``chunks`` before the one that starts at ``begin``: one
        ``rsplit`` of the text before it (a slice long enough, doubled until it is)."""
        text, size = self.text, 16 * chunks + 16
        while chunks > 0:
            start = max(0, begin - size)
            parts = text[start:begin].rsplit(None, chunks)
            if len(parts) > chunks or start == 0:
                if len(parts) <= chunks:  # fewer chunks before it than asked: the first
                    return len(text) - len(text.lstrip())
                return text.index(parts[1], start + len(parts[0]))
            size *= 2
        return begin

    def _forward(self, begin: int, width: int) -> tuple[int, int, bool]:
        """(end of the ``width`` chunks from ``begin`` or of the text, how many there
        are, whether more follow): one ``split`` of a slice long enough."""
        text, size = self.text, 16 * width + 16
        while True:
            stop = min(len(text), begin + size)
            piece = text[begin:stop]
            parts = piece.split(None, width)
            if len(parts) > width:  # the last part is the rest, as it is in the text
                rest = len(piece) - len(parts[width])
                return begin + len(piece[:rest].rstrip()), width, True
            if stop == len(text):
                return len(text), len(parts), False
            size *= 2


def _stored(text: str) -> _Stored | None:
    """``text`` as a ``_Stored``; None when it does not start and end with a word.

    The rest of the form is trusted (the index writes it): a text not in it still gets
    its marks right, and ``_stored_snippet`` checks the window it shows."""
    if not text or text[0].isspace() or text[-1].isspace():
        return None
    folded = text.casefold()
    if len(folded) == len(text):
        return _Stored(text, folded)
    flat = text.replace("\n\n", " ")
    starts = list(accumulate((len(chunk) + 1 for chunk in flat.split(" ")), initial=0))
    return _Stored(flat, folded.replace("\n\n", " "), starts[:-1])


def _counted_hits(
    stored: _Stored,
    terms: Collection[str],
    analyzer: Analyzer,
    language: str,
    expected: Mapping[str, int],
) -> list[tuple[int, int, int, str]] | None:
    """``_chunk_hits`` from the stored positions' counts, without analysing the text, as
    (chunk, start, end, term) with start and end offsets in ``stored.text``.

    A word whose term is ``t`` nearly always holds ``t`` less its last letter ("harbours"
    -> "harbour" holds "harbou"; "cities" -> "citi" holds "cit"), so only the chunks that
    hold that stretch (found with ``str.find`` in the case-folded text) are analysed.
    The few words whose stem is not spelled inside them ("dying" -> "die", "grey" ->
    "gray", German umlauts) are noticed because the hits found then fall short of
    ``expected``: None is returned and the caller analyses every chunk. So the hits are
    the same, and a post that does not hold a query term costs nothing for it.
    """
    want = {t: n for t, n in expected.items() if n > 0}
    if not want:
        return []
    folded = stored.folded
    found: list[int] = []
    for term in want:
        stretch = _stretch(term)
        at = folded.find(stretch)
        while at >= 0:
            found.append(at)
            at = folded.find(stretch, at + 1)
        if len(found) > _COUNTED_LIMIT:  # a short stretch everywhere: analyse the lot
            return None
    if not found:
        return None
    found.sort()
    if stored.starts is None and len(found) > _MANY_FOUND:
        chunks = _found_chunks_numpy(stored.text, found)
    else:
        chunks = _found_chunks(stored, found)
    query = terms if isinstance(terms, frozenset | set) else frozenset(terms)
    hits: list[tuple[int, int, int, str]] = []
    counted: dict[str, int] = {}
    cache = _cache(analyzer, language)
    for chunk, start, end in chunks:
        for s, e, term in _chunk_spans(cache, stored.text[start:end], analyzer, language):
            if term in query:
                hits.append((chunk, start + s, start + e, term))
                counted[term] = counted.get(term, 0) + 1
    return hits if counted == want else None


# Finds of the query's stretches past which the chunks are found in numpy passes over the
# whole text: ~1 us a find one by one, against ~30 us for a 7k-character text in numpy.
_MANY_FOUND = 32


def _found_chunks(stored: _Stored, found: list[int]) -> list[tuple[int, int, int]]:
    """(index, start, end) of each chunk holding some of ``found`` (ascending offsets in
    ``stored.folded``), in order: its index counted from the separators before it."""
    chunks: list[tuple[int, int, int]] = []
    chunk, last, visited = 0, 0, -1
    for at in found:
        chunk += stored.separators(last, at)
        last = at
        if chunk != visited:
            visited = chunk
            chunks.append((chunk, *stored.chunk(at, chunk)))
    return chunks


def _found_chunks_numpy(text: str, found: list[int]) -> list[tuple[int, int, int]]:
    """``_found_chunks`` from every chunk's start and end (``_chunk_edges``)."""
    edges = _chunk_edges(text)
    starts, ends = edges[0::2], edges[1::2]
    index = np.unique(np.searchsorted(starts, np.asarray(found), side="right") - 1)
    return list(zip(index.tolist(), starts[index].tolist(), ends[index].tolist(), strict=True))


def _stored_snippet(
    stored: _Stored, hits: list[tuple[int, int, int, str]], width: int
) -> Snippet | None:
    """The snippet of ``_counted_hits``: the window ``_best_window`` chooses, walked to
    from the best hits' chunk, as one slice of the text. None when the slice is not in
    the stored form after all (the caller then splits the text)."""
    if hits:
        left, right = _best_hits(hits, width)
        lo, hi = hits[left][0], hits[right - 1][0] + 1
        first = max(0, lo - (width - (hi - lo)) // 2)
        index, begin = lo, stored.chunk(hits[left][1], lo)[0]
    else:
        first = index = begin = 0
    first, begin, end, more = stored.window(first, width, index, begin)
    if hits and not begin <= hits[left][1] < end:  # not the stored form before the hit
        return None
    window = stored.text[begin:end]
    flat = window.replace("\n\n", " ") if "\n" in window else window
    if " ".join(flat.split()) != flat:  # not the stored form: split the whole text
        return None
    prefix = ELLIPSIS if first > 0 else ""
    marks = []
    for _, s, e, _ in hits:
        if begin <= s < end:
            breaks = window.count("\n\n", 0, s - begin) if flat is not window else 0
            shift = len(prefix) - begin - breaks
            marks.append((s + shift, e + shift))
    snippet = Snippet(prefix + flat + (ELLIPSIS if more else ""), _merged(marks))
    return _cropped(snippet) if len(snippet.text) > MAX_CHARS else snippet


def _stretch(term: str) -> str:
    """What nearly every word with the term ``term`` spells inside it (case-folded)."""
    return term[:-1] if len(term) > 2 else term


_COUNTED_LIMIT = 2_000  # finds of the query's stretches in one text before giving up
# Chunks whose words were analysed for a snippet (either path), kept for the next (a
# story's words recur across its posts): ~200 bytes each, started afresh past the limit.
_SPANS_LIMIT = 20_000


def _chunk_hits(
    text: str, chunks: list[str], terms: Collection[str], analyzer: Analyzer, language: str
) -> list[tuple[int, int, int, str]]:
    """(chunk, start, end, term) of every word of ``text`` (split into ``chunks``) whose
    term is a query term, in text order; start and end are offsets inside the chunk.

    The same words as filtering ``Analyzer.spans(text)``, which analyses every word: a
    chunk's words come from tokenising the chunk alone, which gives the same words as
    tokenising the whole text because no word holds whitespace. A body met before has all
    its chunks in the cache already, so it costs one C-level membership pass over its
    chunks (against the chunks filed under the query's terms); a new body's distinct
    chunks are first checked against every chunk seen (a large set: cache misses) and
    the new ones learned. Python visits only the matching chunks.
    """
    cache = _cache(analyzer, language)
    body = hash(text)
    if body not in cache.bodies:
        new = set(chunks).difference(cache.seen)
        if new:
            _learn(cache, list(new), analyzer, language)
        if len(cache.bodies) > _BODIES_LIMIT:
            cache.bodies.clear()
        cache.bodies.add(body)
    query = terms if isinstance(terms, frozenset) else frozenset(terms)
    wanted = _wanted(cache, query)
    if not wanted:
        return []
    hits: list[tuple[int, int, int, str]] = []
    for i in _positions(chunks, wanted):
        found = _chunk_spans(cache, chunks[i], analyzer, language)
        hits += [(i, start, end, term) for start, end, term in found if term in query]
    return hits


def _chunk_spans(
    cache: _Learned, chunk: str, analyzer: Analyzer, language: str
) -> tuple[tuple[int, int, str], ...]:
    """``_spans_of(chunk)``, kept in the cache (started afresh past ``_SPANS_LIMIT``)."""
    spans = cache.spans
    found = spans.get(chunk)
    if found is None:
        if len(spans) > _SPANS_LIMIT:
            spans.clear()
        found = spans[chunk] = _spans_of(chunk, analyzer, language)
    return found


def _wanted(cache: _Learned, query: frozenset[str]) -> set[str]:
    """Every chunk seen that holds a word with a term of ``query``; kept for the next
    call while nothing is learned meanwhile (the ten snippets of a page share it)."""
    key = (query, len(cache.seen))
    last = cache.last_wanted  # one read and one write: phrase checks run in other threads
    if last is not None and last[0] == key:
        return last[1]
    wanted: set[str] = set()
    for term in query:
        holding = cache.chunks_of.get(term)
        if isinstance(holding, str):
            wanted.add(holding)
        elif holding:
            wanted |= holding
    cache.last_wanted = (key, wanted)
    return wanted


def _positions(chunks: list[str], wanted: set[str]) -> list[int]:
    """Indices of the chunks that are in ``wanted``, in order (C-level scans)."""
    if len(wanted) > 2:
        return list(compress(range(len(chunks)), map(wanted.__contains__, chunks)))
    found: list[int] = []
    for chunk in wanted:  # list.index compares at C speed: cheaper for one or two chunks
        at = -1
        with contextlib.suppress(ValueError):
            while True:
                at = chunks.index(chunk, at + 1)
                found.append(at)
    return sorted(found)


def _spans_of(chunk: str, analyzer: Analyzer, language: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, term) of each word of ``chunk`` that has a term, as ``Analyzer.spans``
    gives them (a hyphenated word and its parts, several terms where NFKC splits one)."""
    core = chunk.strip(_PUNCTUATION)
    if core.isalnum() and core.isascii():  # one plain word, the regex would find just it
        word = core.lower()
        if word in STOP_WORDS:
            return ()
        start = chunk.index(core)
        return ((start, start + len(core), analyzer.stem([word], language)[0]),)
    return tuple(
        (start, end, term)
        for start, end in word_spans(chunk)
        for term in _word_terms(chunk[start:end], analyzer, language)
    )


@dataclass(slots=True)
class _Learned:
    """One analyzer's and language's chunk cache (mutable: it learns as bodies come)."""

    seen: set[str] = field(default_factory=set)  # every chunk analysed
    # term -> its chunks: the chunk itself while it is the only one (most terms: a set
    # costs 216 bytes, ~20 MiB over the 100k corpus's cached terms)
    chunks_of: dict[str, str | set[str]] = field(default_factory=dict)
    spans: dict[str, tuple[tuple[int, int, str], ...]] = field(default_factory=dict)
    bodies: set[int] = field(default_factory=set)  # hashes of bodies whose chunks are seen
    # (the last query and len(seen) then, its chunks)
    last_wanted: tuple[tuple[frozenset[str], int], set[str]] | None = None


# Chunks per analyzer and language: ~50 MiB when full (RssAnon grew 30-37 MB for the
# 115-133k chunks of the benchmark queries' results), then started afresh (like the
# analyzer's stem cache). The 3,751 bodies that bench/queries_news.txt shows hold 134k.
_KNOWN_LIMIT = 200_000
_BODIES_LIMIT = 100_000  # body hashes remembered (~5 MiB), then started afresh
_known: weakref.WeakKeyDictionary[Analyzer, dict[str, _Learned]] = weakref.WeakKeyDictionary()


def _cache(analyzer: Analyzer, language: str) -> _Learned:
    """This analyzer's and language's chunk cache."""
    by_language = _known.setdefault(analyzer, {})
    cache = by_language.get(language)
    if cache is None or len(cache.seen) > _KNOWN_LIMIT:
        cache = by_language[language] = _Learned()
    return cache


def _learn(cache: _Learned, chunks: list[str], analyzer: Analyzer, language: str) -> None:
    """File ``chunks`` under their terms, analysing all their words in one batch."""
    words = [_chunk_words(chunk) for chunk in chunks]
    flat = [word for chunk_words in words for word in chunk_words]
    normal = _normalise(flat)
    if len(normal) == len(flat):
        pieces, at = [], 0
        for chunk_words in words:
            pieces.append(normal[at : at + len(chunk_words)])
            at += len(chunk_words)
    else:  # NFKC split a word ("¼" -> "1⁄4"): normalise chunk by chunk
        pieces = [_normalise(chunk_words) for chunk_words in words]
    kept = [[n for n in p if n not in STOP_WORDS] for p in pieces]
    stems = iter(analyzer.stem([n for k in kept for n in k], language))
    chunks_of = cache.chunks_of
    for chunk, k in zip(chunks, kept, strict=True):
        for term in {next(stems) for _ in k}:
            holding = chunks_of.get(term)
            if holding is None:
                chunks_of[term] = chunk
            elif isinstance(holding, str):
                chunks_of[term] = {holding, chunk}
            else:
                holding.add(chunk)
    cache.seen.update(chunks)


_PUNCTUATION = '.,;:!?"()[]'  # around a chunk, never part of a word


def _chunk_words(chunk: str) -> list[str]:
    """``find_words(chunk)``; most chunks are one ASCII word with punctuation around it,
    which needs no regex (a first search meets thousands of new chunks)."""
    core = chunk.strip(_PUNCTUATION)
    if core.isalnum() and core.isascii():
        return [core]
    return find_words(chunk)


def _word_terms(word: str, analyzer: Analyzer, language: str) -> list[str]:
    """The terms of one word, as ``Analyzer.spans`` gives them (several if NFKC splits it)."""
    return analyzer.stem([n for n in _normalise([word]) if n not in STOP_WORDS], language)


def _best_window(
    hits: list[tuple[int, int, int, str]], n_chunks: int, width: int
) -> tuple[int, int]:
    """Chunk range [first, last) of at most ``width`` chunks around the best matches."""
    if not hits:
        return 0, min(width, n_chunks)
    best_left, best_right = _best_hits(hits, width)
    # Centre the matched span in the window for context on both sides.
    lo, hi = hits[best_left][0], hits[best_right - 1][0] + 1
    first = max(0, lo - (width - (hi - lo)) // 2)
    last = min(n_chunks, first + width)
    first = max(0, last - width)
    return first, last


def _best_hits(hits: list[tuple[int, int, int, str]], width: int) -> tuple[int, int]:
    """Hits [left, right) of the best window (``_best_span``), in numpy for many."""
    if len(hits) > VECTOR_HITS:
        return _best_span_numpy(hits, width)
    return _best_span(hits, width)


def _best_span(hits: list[tuple[int, int, int, str]], width: int) -> tuple[int, int]:
    """Hits [left, right) of the best window that starts at a hit: most distinct terms,
    then most hits, then the earliest."""
    best = (-1, -1)
    best_left = best_right = 0
    inside: dict[str, int] = {}  # a plain dict: Counter's missing keys and deletions are Python
    right = 0
    for left in range(len(hits)):
        # Windows that start at a match: grow right while the span fits in ``width``.
        while right < len(hits) and hits[right][0] < hits[left][0] + width:
            term = hits[right][3]
            inside[term] = inside.get(term, 0) + 1
            right += 1
        score = (len(inside), right - left)
        if score > best:
            best, best_left, best_right = score, left, right
        term = hits[left][3]
        if inside[term] == 1:
            del inside[term]
        else:
            inside[term] -= 1
    return best_left, best_right


def _best_span_numpy(hits: list[tuple[int, int, int, str]], width: int) -> tuple[int, int]:
    """``_best_span`` in a few numpy passes, for the hundreds of hits of a long body: each
    window's end by binary search, its distinct terms from per-term running counts (a
    query has a few terms), and the first of the best scores."""
    n = len(hits)
    chunk = np.fromiter((h[0] for h in hits), dtype=np.int64, count=n)
    codes: dict[str, int] = {}
    term = np.fromiter((codes.setdefault(h[3], len(codes)) for h in hits), np.int64, count=n)
    left = np.arange(n)
    right = np.searchsorted(chunk, chunk + width, side="left")
    distinct = np.zeros(n, dtype=np.int64)
    for code in range(len(codes)):
        seen = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(term == code, out=seen[1:])
        distinct += seen[right] > seen[left]
    best = int(np.argmax(distinct * (n + 1) + (right - left)))  # the first of the best
    return best, int(right[best])


def contains_phrase(
    text: str, phrase: Sequence[str], analyzer: Analyzer, language: str = ""
) -> bool:
    """Whether the terms of ``phrase`` occur as consecutive terms of ``text`` (stop words
    and punctuation between them are skipped, as the index skips them; the parts of a
    hyphenated word are consecutive, so "train chase" is in "train-chase").

    Only for an index without stored positions. Built on a snippet's hits
    (``_chunk_hits``), so a check costs about what one snippet costs, not a tokenisation
    of the whole body: the candidates for a quoted phrase are checked by the hundred.
    """
    if not phrase:
        return True
    n = len(phrase)
    hits = _chunk_hits(text, text.split(), frozenset(phrase), analyzer, language)
    if len(hits) < n:
        return False
    # In text order, the shorter of two words at one start first (a hyphenated word's
    # first part before the whole), and offsets in ``text`` for the words between hits.
    hits.sort(key=lambda h: h[:3])
    chunk_at = _chunk_edges(text)[0::2][[c for c, _, _, _ in hits]].tolist()
    spans = [(at + s, at + e, term) for at, (_, s, e, term) in zip(chunk_at, hits, strict=True)]
    adjacent: dict[int, bool] = {}  # hit i -> nothing but stop words up to hit i + 1

    def next_to(i: int) -> bool:
        found = adjacent.get(i)
        if found is None:
            (_, end, _), (start, _, _) = spans[i], spans[i + 1]
            # (the parts of a hyphenated word count, not the whole: between "state" and
            # "art" in "state-of-the-art" is "-of-the-", the stop words "of" and "the")
            found = adjacent[i] = start < end or all(
                "-" in w for w in analyzer.words(text[end:start])
            )
        return found

    for i in range(len(spans) - n + 1):
        if all(spans[i + k][2] == phrase[k] for k in range(n)) and all(
            next_to(i + k) for k in range(n - 1)
        ):
            return True
    return False
