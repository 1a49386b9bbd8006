"""The passage of a post that best shows why it matched.

One pass of ``Analyzer.spans`` (so a match is exactly what the index matched: stems, not
substrings) and a sliding window over the match positions.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Collection

from index.analysis import Analyzer
from index.results import Snippet

ELLIPSIS = "…"
_CHUNK = re.compile(r"\S+")  # what the window counts as a word


def make_snippet(
    text: str, terms: Collection[str], analyzer: Analyzer, language: str = "", width: int = 30
) -> Snippet:
    """~``width`` words of ``text`` with the most distinct query terms.

    Ties go to more matches in total, then to the earlier passage. Whitespace is collapsed
    to single spaces so the passage reads as one line in Discord or a terminal.
    """
    chunks = [m.span() for m in _CHUNK.finditer(text)]
    if not chunks:
        return Snippet("")
    width = max(1, width)
    starts = [start for start, _ in chunks]
    # (chunk index, start, end, term) of every word whose stem is a query term.
    hits = [
        (bisect.bisect_right(starts, start) - 1, start, end, term)
        for term, start, end in analyzer.spans(text, language)
        if term in terms
    ]
    first, last = _best_window(hits, len(chunks), width)
    prefix = ELLIPSIS if first > 0 else ""
    marks: list[tuple[int, int]] = []
    pieces: list[str] = []
    at = len(prefix)  # where the next chunk starts in the snippet
    shown = iter([h for h in hits if first <= h[0] < last])
    hit = next(shown, None)
    for index in range(first, last):
        start, end = chunks[index]
        while hit is not None and hit[0] == index:
            marks.append((at + hit[1] - start, at + hit[2] - start))
            hit = next(shown, None)
        pieces.append(text[start:end])
        at += end - start + 1
    suffix = ELLIPSIS if last < len(chunks) else ""
    return Snippet(prefix + " ".join(pieces) + suffix, tuple(marks))


def _best_window(
    hits: list[tuple[int, int, int, str]], n_chunks: int, width: int
) -> tuple[int, int]:
    """Chunk range [first, last) of at most ``width`` chunks around the best matches."""
    if not hits:
        return 0, min(width, n_chunks)
    best = (-1, -1)
    best_left = best_right = 0
    inside: Counter[str] = Counter()
    right = 0
    for left in range(len(hits)):
        # Windows that start at a match: grow right while the span fits in ``width``.
        while right < len(hits) and hits[right][0] < hits[left][0] + width:
            inside[hits[right][3]] += 1
            right += 1
        score = (len(inside), right - left)
        if score > best:
            best, best_left, best_right = score, left, right
        term = hits[left][3]
        inside[term] -= 1
        if not inside[term]:
            del inside[term]
    # Centre the matched span in the window for context on both sides.
    lo, hi = hits[best_left][0], hits[best_right - 1][0] + 1
    first = max(0, lo - (width - (hi - lo)) // 2)
    last = min(n_chunks, first + width)
    first = max(0, last - width)
    return first, last
