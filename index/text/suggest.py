""" "Did you mean": the nearest corpus word to a word the index does not know.

Only words of similar length that share the first or second letter (in either place) are
compared, so a 300k-word vocabulary costs a few milliseconds per word with rapidfuzz. That
misses only typos that change both of the first two letters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA


def max_edits(word: str) -> int:
    """Edits allowed for a word of this length: short words have too many neighbours."""
    if len(word) < 3:
        return 0
    return 1 if len(word) < 6 else 2


class Suggester:
    def __init__(self, word_counts: Mapping[str, int]) -> None:
        self.counts: dict[str, int] = {}
        for word, n in word_counts.items():
            if word:
                key = word.casefold()
                self.counts[key] = self.counts.get(key, 0) + n
        # (length, position, letter) -> words with that letter at position 0 or 1.
        buckets: defaultdict[tuple[int, int, str], list[str]] = defaultdict(list)
        for word in self.counts:
            buckets[len(word), 0, word[0]].append(word)
            if len(word) > 1:
                buckets[len(word), 1, word[1]].append(word)
        self._buckets = dict(buckets)

    def suggest(self, word: str) -> str | None:
        """The closest known word (transpositions count as one edit), most frequent first.

        None for a known word, a short one, a number, or when nothing is within reach.
        """
        word = word.casefold()
        limit = max_edits(word)
        if not limit or word in self.counts or any(c.isdigit() for c in word):
            return None
        best: tuple[int, int, str] | None = None
        # Same first letter; first letter substituted; a letter inserted or deleted at the
        # start, or the first two swapped (word[0] / word[1] moves by one place).
        keys = {(0, word[0]), (1, word[1]), (1, word[0]), (0, word[1])}
        for length in range(len(word) - limit, len(word) + limit + 1):
            for position, letter in keys:
                choices = self._buckets.get((length, position, letter))
                if not choices:
                    continue
                found = process.extract(
                    word, choices, scorer=OSA.distance, score_cutoff=limit, limit=None
                )
                for candidate, distance, _ in found:
                    key = (distance, -self.counts[candidate], candidate)
                    if best is None or key < best:
                        best = key
        return best[2] if best else None

    def suggest_query(self, words: Sequence[str], known: Callable[[str], bool]) -> str | None:
        """The query with each unknown word replaced by its suggestion; None if unchanged."""
        out: list[str] = []
        changed = False
        for word in words:
            better = None if known(word) else self.suggest(word)
            if better is not None and better != word.casefold():
                out.append(better)
                changed = True
            else:
                out.append(word)
        return " ".join(out) if changed else None
