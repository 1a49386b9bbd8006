"""Building the postings arrays: inverting token streams batch by batch into term-sorted
(doc, tf) runs and merging them by a counting sort.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from articlebot.index.ranking.bm25 import BM25Index

_MAX_TF = np.iinfo(np.uint16).max
_NO_RUNS = np.zeros(0, dtype=np.int64)


_CHUNK_TOKENS = 1 << 20  # tokens sorted at once by build: small enough to stay in cache


class Chunks(Protocol):
    """Where a builder keeps its inverted chunks until the merge: a list in memory by
    default, a temporary file beside the index in a reindex (``storage.spill``)."""

    def append(self, *arrays: np.ndarray) -> None: ...

    def __len__(self) -> int: ...

    def length(self, i: int) -> int: ...

    def part(
        self, i: int, lo: int, hi: int, arrays: int | None = None
    ) -> tuple[np.ndarray, ...]: ...

    def drain(self) -> Iterator[tuple[np.ndarray, ...]]: ...

    def close(self) -> None: ...


class HeldChunks:
    spilled = False

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, ...]] = []

    def append(self, *arrays: np.ndarray) -> None:
        self._chunks.append(arrays)

    def __len__(self) -> int:
        return len(self._chunks)

    def length(self, i: int) -> int:
        return len(self._chunks[i][0])

    def part(self, i: int, lo: int, hi: int, arrays: int | None = None) -> tuple[np.ndarray, ...]:
        return tuple(a[lo:hi] for a in self._chunks[i][:arrays])

    def drain(self) -> Iterator[tuple[np.ndarray, ...]]:
        self._chunks.reverse()
        while self._chunks:
            yield self._chunks.pop()

    def close(self) -> None:
        self._chunks = []


class PostingsBuilder:
    """Postings gathered batch by batch (documents in order), merged once at the end.

    Batches are inverted once they hold ~``_CHUNK_TOKENS`` tokens together, so a full
    index never holds the whole token stream. The merge is a counting sort straight into
    the final arrays (no concatenation, argsort or gather copies); the postings per term
    are counted as chunks arrive, so the merge reads each chunk once.
    """

    def __init__(self, chunks: Chunks | None = None) -> None:
        self._chunks = chunks if chunks is not None else HeldChunks()
        self._lens: list[np.ndarray] = []
        self._n_docs = 0
        self._counts = np.zeros(0, dtype=np.int64)  # postings per term so far
        # Batches not inverted yet: a chunk per batch of 200 posts made a streamed merge
        # read (chunks x runs of terms) small parts, a number that grows with the square
        # of the corpus (~525,000 reads at 1M posts).
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_tokens = 0
        self._n_terms = 0

    def add(self, ids: np.ndarray, lens: np.ndarray, n_terms: int) -> None:
        """Documents with ``lens`` tokens each, as term ids below ``n_terms``."""
        # Inverted before they would pass ~_CHUNK_TOKENS, so that they make one chunk:
        # inverted after, they made a full chunk and a small one (426 chunks for 218
        # inversions at 300k posts), and the merge reads a part of each for every run.
        if self._pending and self._pending_tokens + len(ids) > _CHUNK_TOKENS:
            self._flush()
        self._pending.append((np.asarray(ids), np.asarray(lens, dtype=np.int32)))
        self._pending_tokens += len(ids)
        self._n_terms = max(self._n_terms, n_terms)

    def _flush(self) -> None:
        """Invert the batches not inverted yet, as one stream of documents."""
        if not self._pending:
            return
        pending, self._pending, self._pending_tokens = self._pending, [], 0
        if len(pending) == 1:
            ids, lens = pending[0]
        else:
            ids = np.concatenate([i for i, _ in pending])
            lens = np.concatenate([n for _, n in pending])
        del pending
        n_terms = self._n_terms
        if n_terms > len(self._counts):
            grown = np.zeros(max(n_terms, 2 * len(self._counts)), dtype=np.int64)
            grown[: len(self._counts)] = self._counts
            self._counts = grown
        for terms, docs, tfs in _invert_chunks(ids, lens, n_terms, self._n_docs):
            run_terms, run_lens = _runs(terms)[1:]
            self._counts[run_terms] += run_lens  # a chunk's runs are of distinct terms
            self._chunks.append(terms, docs, tfs)
        self._lens.append(lens)
        self._n_docs += len(lens)

    @property
    def spilled(self) -> bool:
        """Whether the chunks went to a file (too large to hold)."""
        self._flush()
        return bool(getattr(self._chunks, "spilled", False))

    def close(self) -> None:
        """Let go of the chunks not merged (a reindex that failed)."""
        self._pending, self._pending_tokens = [], 0
        self._chunks.close()

    def lens(self) -> np.ndarray:
        self._flush()
        return np.concatenate(self._lens) if self._lens else np.zeros(0, np.int32)

    def offsets(self, n_terms: int) -> np.ndarray:
        """Where each term's postings start (int64, ``n_terms + 1``)."""
        self._flush()
        counts = np.zeros(n_terms, dtype=np.int64)
        counts[: min(n_terms, len(self._counts))] = self._counts[:n_terms]
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return offsets

    def merged(self, n_terms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(offsets, doc_ids, tfs) sorted by term then document; the chunks are freed
        as they are placed."""
        offsets = self.offsets(n_terms)  # flushes
        self._counts = np.zeros(0, dtype=np.int64)
        doc_ids = np.empty(int(offsets[-1]), dtype=np.int32)
        tfs = np.empty(int(offsets[-1]), dtype=np.uint16)
        cursor = offsets[:-1].copy()
        for terms, docs, tf in self._chunks.drain():
            _place(cursor, terms, docs, tf, doc_ids, tfs)
            del terms, docs, tf
        return offsets, doc_ids, tfs

    def merged_ranges(
        self, offsets: np.ndarray, most: int
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(first posting, doc_ids, tfs) of ``merged``, a run of whole terms at a time
        (at most ``most`` postings, or one term): the whole arrays are never held.

        A first pass reads each chunk's term ids and notes where each run starts in it
        (chunks are sorted by term); each run then reads only its part of every chunk.
        """
        self._flush()
        n_terms = len(offsets) - 1
        bounds = [0]
        while bounds[-1] < n_terms:
            end = int(np.searchsorted(offsets, offsets[bounds[-1]] + most, side="right")) - 1
            bounds.append(min(max(end, bounds[-1] + 1), n_terms))
        edges = np.array(bounds, dtype=np.int64)
        chunks = self._chunks
        if len(edges) <= 2:
            cuts = [np.array([0, chunks.length(i)]) for i in range(len(chunks))]
        else:
            cuts = [np.searchsorted(chunks.part(i, 0, chunks.length(i), 1)[0], edges)
                    for i in range(len(chunks))]  # fmt: skip
        for r in range(len(edges) - 1):
            first, last = int(edges[r]), int(edges[r + 1])
            base = int(offsets[first])
            doc_ids = np.empty(int(offsets[last]) - base, dtype=np.int32)
            tfs = np.empty(len(doc_ids), dtype=np.uint16)
            cursor = offsets[first:last] - base
            for i, cut in enumerate(cuts):
                lo, hi = int(cut[r]), int(cut[r + 1])
                if lo < hi:
                    terms, docs, tf = chunks.part(i, lo, hi)
                    _place(cursor, terms - np.int32(first), docs, tf, doc_ids, tfs)
            yield base, doc_ids, tfs

    def build(self, vocab: dict[str, int], k1: float, b: float, delta: float) -> BM25Index:
        from articlebot.index.ranking.bm25 import BM25Index  # bm25 imports this module

        lens = self.lens()
        offsets, doc_ids, tfs = self.merged(len(vocab))
        return BM25Index.from_postings(vocab, offsets, doc_ids, tfs, lens, k1, b, delta)


def _place(
    cursor: np.ndarray,
    terms: np.ndarray,
    docs: np.ndarray,
    tf: np.ndarray,
    doc_ids: np.ndarray,
    tfs: np.ndarray,
) -> None:
    """Put a chunk's postings (sorted by term) where ``cursor`` says each term's next
    postings go, and move the cursor past them."""
    # A posting's rank in its term's run is its index minus the run's start.
    starts, run_terms, run_lens = _runs(terms)
    at = np.repeat(cursor[run_terms] - starts, run_lens) + np.arange(len(terms))
    doc_ids[at] = docs
    tfs[at] = tf
    cursor[run_terms] += run_lens


def _runs(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, term, length) of each run of equal ids in ``terms`` (sorted by term)."""
    if not len(terms):
        return _NO_RUNS, np.zeros(0, dtype=terms.dtype), _NO_RUNS
    starts = np.flatnonzero(terms[1:] != terms[:-1]) + 1
    starts = np.concatenate(([0], starts))
    return starts, terms[starts], np.diff(np.append(starts, len(terms)))


def _invert_chunks(
    ids: np.ndarray, lens: np.ndarray, n_terms: int, first_doc: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(term, doc, tf) postings of a token stream, chunk by chunk, each chunk sorted by
    term then document; documents are numbered from ``first_doc``.

    Documents are cut into chunks of ~1M tokens with a uint32 (term, doc) key; sorting
    those is ~3x faster than one int64 sort of everything.
    """
    n_docs = len(lens)
    if not len(ids):
        return
    max_docs = max(1, (2**32 - 1) // max(n_terms, 1))  # keeps term * width + doc < 2**32
    bounds = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lens, out=bounds[1:])
    first = 0
    while first < n_docs:
        last = int(np.searchsorted(bounds, bounds[first] + _CHUNK_TOKENS, side="right")) - 1
        last = min(max(last, first + 1), first + max_docs, n_docs)
        width = np.uint32(last - first)
        local = np.repeat(np.arange(last - first, dtype=np.uint32), lens[first:last])
        key = ids[bounds[first] : bounds[last]].astype(np.uint32) * width + local
        key.sort()
        if len(key):
            starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
            tf = np.diff(np.append(starts, len(key)))
            unique = key[starts]
            yield (
                (unique // width).astype(np.int32),
                (unique % width).astype(np.int32) + np.int32(first_doc + first),
                np.minimum(tf, _MAX_TF).astype(np.uint16),
            )
        first = last
