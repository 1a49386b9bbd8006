"""Merging the workers' numberings into the index's: term and word ids from each worker,
translated to global ids as their batches arrive, and inverted into postings at once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from articlebot.index.ranking.postings import PostingsBuilder
from articlebot.index.storage.spill import Spill, SpilledArray

if TYPE_CHECKING:
    from articlebot.index.storage.workers import PreparedBatch


class _Translation:
    """One source's ids -> global ids, extended as its batches bring new strings."""

    def __init__(self) -> None:
        self.table = np.zeros(1024, dtype=np.int32)
        self.size = 0

    def extend(self, global_ids: np.ndarray) -> np.ndarray:
        end = self.size + len(global_ids)
        if end > len(self.table):
            grown = np.zeros(max(end, 2 * len(self.table)), dtype=np.int32)
            grown[: self.size] = self.table[: self.size]
            self.table = grown
        self.table[self.size : end] = global_ids
        self.size = end
        return self.table


class _Numberings:
    """Global numbering of strings that arrive numbered per source (worker)."""

    def __init__(self, known: dict[str, int]) -> None:
        self.ids_of: defaultdict[str, int] = defaultdict(count(len(known)).__next__, known)
        self._sources: dict[str, _Translation] = {}

    def to_global(self, source: str, new: list[str], ids: np.ndarray) -> np.ndarray:
        """``ids`` numbered by ``source`` as global ids; ``new`` continues its numbering."""
        translation = self._sources.setdefault(source, _Translation())
        mapped = np.fromiter(map(self.ids_of.__getitem__, new), np.int32, len(new))
        return translation.extend(mapped)[ids]


def _kept(ids: np.ndarray, lens: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ids and lengths of the documents where ``keep`` is True."""
    if keep.all():
        return ids, lens
    return ids[np.repeat(keep, lens)], lens[keep]


class TermStream:
    """Inverts the batches' tokens as they arrive, as global term ids, so a full index of
    100,000 articles never holds its 80 million tokens at once, as strings or ids.

    The inverted postings and the positions wait in temporary files beside the index
    (``spill``) until the segment is written: held in memory they were most of a full
    index's peak (~800 MB at 100,000 posts). Without ``db_path`` they stay in memory.
    """

    def __init__(self, vocab: dict[str, int], db_path: Path | None = None) -> None:
        self._numbering = _Numberings(vocab)
        self.postings = PostingsBuilder(Spill(db_path))
        self._text = Spill(db_path)  # positions: global term ids per batch
        self._text_size = 0
        self._text_lens: list[np.ndarray] = []

    def add(self, batch: PreparedBatch, keep: np.ndarray) -> None:
        ids, lens = _kept(batch.term_ids, batch.term_lens, keep)
        ids = self._numbering.to_global(batch.source, batch.new_terms, ids)
        self.postings.add(ids, lens, len(self._numbering.ids_of))
        text, text_lens = _kept(batch.text_ids, batch.text_lens, keep)
        text = self._numbering.to_global(batch.source, [], text)
        self._text.append(text)
        self._text_size += len(text)
        self._text_lens.append(np.asarray(text_lens, dtype=np.int32))

    def positions(self) -> tuple[SpilledArray, np.ndarray]:
        """(term ids, tokens per document) of the documents' phrase fields, in order: the
        term ids are read back chunk by chunk as the segment file is written, never
        joined (a copy as large as the corpus's text would add to the peak memory of a
        full build). Valid until ``close``."""
        lens = np.concatenate(self._text_lens) if self._text_lens else np.zeros(0, np.int32)
        self._text_lens = []
        return SpilledArray(self._text, np.int32, self._text_size), lens

    def vocab(self) -> dict[str, int]:
        return dict(self._numbering.ids_of)

    def close(self) -> None:
        """Let go of everything it holds, temporary files included."""
        self._text.close()
        self.postings.close()
        self._numbering = _Numberings({})


class WordCounts:
    """Surface word -> number of new documents with it, summed batch by batch in numpy."""

    def __init__(self) -> None:
        self._numbering = _Numberings({})
        self._counts = np.zeros(0, dtype=np.int64)

    def add(self, batch: PreparedBatch, keep: np.ndarray) -> None:
        ids, _ = _kept(batch.word_ids, batch.word_lens, keep)
        ids = self._numbering.to_global(batch.source, batch.new_words, ids)
        counts = np.bincount(ids, minlength=len(self._numbering.ids_of))
        counts[: len(self._counts)] += self._counts
        self._counts = counts

    def counter(self) -> Counter[str]:
        counts = self._counts.tolist()
        ids_of = self._numbering.ids_of
        return Counter({w: counts[i] for w, i in ids_of.items() if i < len(counts) and counts[i]})
