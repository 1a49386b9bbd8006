"""Other words for a question's words, learned from the indexed articles themselves.

Measured by bench/ask_assoc.py and not added to `ask` (bench/README.md): a headline
paraphrases its article's opening ("Star buys mansion" over "The actor has purchased a
house"), so wherever a word of an article's headline (title and description) is missing
from its lead (the body's first LEAD_CHARS characters), the lead's own words are
candidates for it, and the reverse. Across thousands of articles the same pairs come back;
a word's associates are those whose Dice coefficient over the mismatched parts is at least
MIN_DICE and that came back in at least MIN_PAIRS articles, the TOP best.

Nothing is stored on disk and nothing is copied from a corpus: the per-article stem sets
are built from whatever articles are given (``Associations.build``), and a word's
associates are counted on first use and cached (a ``numpy.bincount`` over the leads of
the articles whose headline has it, and the reverse).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from articlebot.index.text.analysis import Analyzer

LEAD_CHARS = 400  # the body's opening the headline paraphrases
MIN_PAIRS = 3  # articles a pair must come back in
MIN_DICE = 0.05  # Dice coefficient of the pair over the mismatched parts
TOP = 3  # associates kept per word
MIN_STEM = 3  # shorter stems (numbers' pieces, initials) are not looked up
MAX_SHARE = 1.0  # associates mismatched in more of the articles than this are too generic


@dataclass(frozen=True, slots=True)
class _Side:
    """For each article, the ids of the stems on one side (headline or lead) that the
    other side lacks, flattened; and, for each stem id, the articles that have it there."""

    ids: np.ndarray  # int32, all articles' stems one after the other
    starts: np.ndarray  # int64, article i's stems are ids[starts[i]:starts[i + 1]]
    by_stem: np.ndarray  # int32, article numbers sorted by stem
    stem_starts: np.ndarray  # int64, stem s's articles are by_stem[stem_starts[s]:...]
    counts: np.ndarray  # int32, articles per stem on this side

    @classmethod
    def of(cls, rows: list[list[int]], size: int) -> _Side:
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        starts = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        ids = np.fromiter((s for r in rows for s in r), dtype=np.int32, count=int(starts[-1]))
        owner = np.repeat(np.arange(len(rows), dtype=np.int32), lengths)
        order = np.argsort(ids, kind="stable")
        counts = np.bincount(ids, minlength=size).astype(np.int32)
        stem_starts = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(counts, out=stem_starts[1:])
        return cls(ids, starts, owner[order], stem_starts, counts)

    def articles(self, stem: int) -> np.ndarray:
        return self.by_stem[self.stem_starts[stem] : self.stem_starts[stem + 1]]

    def gather(self, articles: np.ndarray) -> np.ndarray:
        """The stem ids of these articles, concatenated."""
        if not len(articles):
            return self.ids[:0]
        parts = [self.ids[self.starts[a] : self.starts[a + 1]] for a in articles.tolist()]
        return np.concatenate(parts)


class Associations:
    """Words of the corpus that stand in for one another, learned from its articles."""

    def __init__(self, vocabulary: dict[str, int], head: _Side, lead: _Side) -> None:
        self._vocabulary = vocabulary
        self._stems = list(vocabulary)
        self._head = head
        self._lead = lead
        self._found: dict[str, tuple[tuple[str, float], ...]] = {}

    @classmethod
    def build(
        cls, articles: Iterable[tuple[str, str, str]], analyzer: Analyzer, language: str = ""
    ) -> Associations:
        """From (headline, body, language) of every article: the headline's and the
        lead's stems, each without the other's."""
        vocabulary: dict[str, int] = {}
        heads: list[list[int]] = []
        leads: list[list[int]] = []
        for headline, body, lang in articles:
            head = set(analyzer.tokens(headline, lang or language))
            lead = set(analyzer.tokens(body[:LEAD_CHARS], lang or language))
            heads.append([vocabulary.setdefault(s, len(vocabulary)) for s in head - lead])
            leads.append([vocabulary.setdefault(s, len(vocabulary)) for s in lead - head])
        size = len(vocabulary)
        return cls(vocabulary, _Side.of(heads, size), _Side.of(leads, size))

    @property
    def articles(self) -> int:
        return len(self._head.starts) - 1

    def nbytes(self) -> int:
        sides = (self._head, self._lead)
        return sum(a.nbytes for s in sides for a in (s.ids, s.starts, s.by_stem, s.stem_starts))

    def __len__(self) -> int:
        return len(self._stems)

    def associates(self, stem: str) -> tuple[tuple[str, float], ...]:
        """The stems that stand in for ``stem`` (best first, with their Dice
        coefficient); counted on first use, then cached."""
        found = self._found.get(stem)
        if found is not None:
            return found
        found = self._found[stem] = self._count(stem)
        return found

    def _count(self, stem: str) -> tuple[tuple[str, float], ...]:
        sid = self._vocabulary.get(stem)
        if sid is None or len(stem) < MIN_STEM or any(c.isdigit() for c in stem):
            return ()
        head, lead = self._head, self._lead
        size = len(self._stems)
        # headline has the word, lead lacks it -> the lead's own words; and the reverse
        pairs = np.bincount(lead.gather(head.articles(sid)), minlength=size)
        pairs += np.bincount(head.gather(lead.articles(sid)), minlength=size)
        mine = int(head.counts[sid]) + int(lead.counts[sid])
        candidates = np.flatnonzero(pairs >= MIN_PAIRS)
        if MAX_SHARE < 1.0:
            generic = head.counts[candidates] + lead.counts[candidates]
            candidates = candidates[generic <= MAX_SHARE * self.articles]
        if not len(candidates):
            return ()
        theirs = head.counts[candidates] + lead.counts[candidates]
        dice = 2.0 * pairs[candidates] / (mine + theirs)
        best = np.argsort(-dice, kind="stable")[:TOP]
        out = []
        for i in best.tolist():
            if dice[i] < MIN_DICE:
                break
            other = self._stems[int(candidates[i])]
            if other != stem and len(other) >= MIN_STEM and not any(c.isdigit() for c in other):
                out.append((other, round(float(dice[i]), 4)))
        return tuple(out)
