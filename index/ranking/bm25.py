"""BM25Plus over compact postings: exactly rank-bm25's scores, touching only query terms.

rank-bm25 keeps one dict per document and scans every document per query term; here each
term's postings are a slice of two flat arrays (int32 doc numbers, uint16 frequencies),
so 100,000 articles fit in a few hundred MB and a query reads only its terms' postings.

BM25Plus (rather than BM25Okapi) because its idf ``log((N+1)/n)`` is always positive, so
a 1- or 2-post corpus still ranks its match, and is near zero for a term every post
carries (like the category ``latest``). rank-bm25 adds ``idf * delta`` for every query
term to every document, matching or not; ``match`` adds that same constant, so matched
documents get rank-bm25's scores to the last few ulps.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, count

import numpy as np

from articlebot.index.ranking.topk import top_k

_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)
_MAX_TF = np.iinfo(np.uint16).max
_CHUNK_TOKENS = 1 << 20  # tokens sorted at once by build: small enough to stay in cache


@dataclass(eq=False)
class BM25Index:
    terms: list[str]
    vocab: dict[str, int]
    offsets: np.ndarray  # int64, len V+1: postings of term t are [offsets[t]:offsets[t+1]]
    doc_ids: np.ndarray  # int32, ascending within each term
    tfs: np.ndarray  # uint16, clipped at 65535
    doc_len: np.ndarray  # int32 tokens per document
    k1: float
    b: float
    delta: float
    # Derived, never stored.
    df: np.ndarray = field(init=False, repr=False)
    idf: np.ndarray = field(init=False, repr=False)
    norm: np.ndarray = field(init=False, repr=False)
    avgdl: float = field(init=False)

    def __post_init__(self) -> None:
        # Readers get views of these arrays; a stray write must fail, not corrupt scores.
        for array in (self.offsets, self.doc_ids, self.tfs, self.doc_len):
            array.flags.writeable = False
        n = len(self.doc_len)
        self.df = np.diff(self.offsets)
        with np.errstate(divide="ignore"):
            idf = np.log((n + 1) / self.df)
        # A term whose documents were all removed scores like an unknown term: 0.
        self.idf = np.where(self.df > 0, idf, 0.0)
        self.avgdl = int(self.doc_len.sum(dtype=np.int64)) / n if n else 0.0
        if self.avgdl > 0:
            # The same expression as rank-bm25, so the floats agree.
            self.norm = self.k1 * (1 - self.b + self.b * self.doc_len / self.avgdl)
        else:  # every document empty: no postings, the value never matters
            self.norm = np.full(n, self.k1 * (1 - self.b))

    # --- building ----------------------------------------------------------------------

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float, b: float, delta: float) -> BM25Index:
        ids, lens, vocab = _term_ids(docs, {})
        return cls.from_term_ids(ids, lens, vocab, k1, b, delta)

    @classmethod
    def from_term_ids(
        cls,
        ids: np.ndarray,
        lens: np.ndarray,
        vocab: dict[str, int],
        k1: float,
        b: float,
        delta: float,
    ) -> BM25Index:
        """Build from documents already turned into term ids (``lens`` tokens each), so a
        caller can map tokens batch by batch instead of holding every token string."""
        builder = PostingsBuilder()
        builder.add(ids, lens, len(vocab))
        return builder.build(vocab, k1, b, delta)

    @classmethod
    def from_postings(
        cls,
        vocab: dict[str, int],
        offsets: np.ndarray,
        doc_ids: np.ndarray,
        tfs: np.ndarray,
        lens: np.ndarray,
        k1: float,
        b: float,
        delta: float,
    ) -> BM25Index:
        """From postings already sorted by term then document (``offsets`` per term)."""
        return cls(list(vocab), vocab, offsets, doc_ids, tfs, lens.astype(np.int32), k1, b, delta)

    @property
    def n_docs(self) -> int:
        return len(self.doc_len)

    def update(self, keep: np.ndarray, new_docs: Sequence[Sequence[str]]) -> BM25Index:
        """A new index without the documents where ``keep`` is False, plus ``new_docs``.

        The old index is untouched (it may still be serving). Cost is one pass over the
        postings arrays plus the new documents' tokens: nothing old is re-tokenised.
        """
        ids, lens, vocab = _term_ids(new_docs, self.vocab)
        return self.update_term_ids(keep, ids, lens, vocab)

    def update_term_ids(
        self, keep: np.ndarray, ids: np.ndarray, lens: np.ndarray, vocab: dict[str, int]
    ) -> BM25Index:
        """``update`` with the new documents as term ids; ``vocab`` extends this index's."""
        builder = PostingsBuilder()
        builder.add(ids, lens, len(vocab))
        return self.update_postings(keep, builder, vocab)

    def update_postings(
        self, keep: np.ndarray, builder: PostingsBuilder, vocab: dict[str, int]
    ) -> BM25Index:
        """``update`` with the new documents' postings gathered by ``builder``.

        Dropping, renumbering and inserting happen in one copy of each postings array:
        at 25,000 articles every extra 24 MB temporary cost ~30 ms of page faults.
        """
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (self.n_docs,):
            raise ValueError(f"keep has {keep.size} entries for {self.n_docs} documents")
        n_terms, old_terms = len(vocab), len(self.vocab)
        new_offsets, new_doc_ids, new_tfs = builder.merged(n_terms)
        new_counts = np.diff(new_offsets)
        renumber: np.ndarray | None = None
        dropped = np.zeros(0, dtype=np.int64)
        if not keep.all():
            dropped = np.flatnonzero(~keep[self.doc_ids])
            renumber = (np.cumsum(keep) - 1).astype(np.int32)
        # New documents number after every kept one, so each new posting goes at the end
        # of its term's block (positions in the old arrays).
        ends = np.append(self.offsets[1:], np.full(n_terms - old_terms, self.offsets[-1]))
        at = ends[np.repeat(np.arange(n_terms), new_counts)]
        doc_len = self.doc_len[keep]
        doc_ids = _splice(self.doc_ids, dropped, at, new_doc_ids + np.int32(len(doc_len)), renumber)
        tfs = _splice(self.tfs, dropped, at, new_tfs)

        dropped_terms = np.searchsorted(self.offsets, dropped, side="right") - 1
        offsets = np.append(self.offsets, np.full(n_terms - old_terms, self.offsets[-1]))
        offsets[1:] += np.cumsum(new_counts - np.bincount(dropped_terms, minlength=n_terms))
        terms = self.terms + list(vocab)[old_terms:] if n_terms > old_terms else self.terms
        lens = builder.lens().astype(np.int32, copy=False)
        return BM25Index(
            terms,
            vocab,
            offsets,
            doc_ids,
            tfs,
            np.concatenate([doc_len, lens]).astype(np.int32, copy=False),
            self.k1,
            self.b,
            self.delta,
        )

    # --- scoring -----------------------------------------------------------------------

    def match(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Documents with at least one query term (ascending) and their BM25Plus scores."""
        constant = 0.0
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        for term, times in Counter(query).items():
            t = self.vocab.get(term)
            if t is None or self.df[t] == 0:
                continue
            idf = float(self.idf[t])
            constant += times * idf * self.delta
            parts.append(self._contribution(t, times * idf))
        if not parts:
            return _EMPTY_DOCS, _EMPTY_SCORES
        if len(parts) == 1:
            docs, scores = parts[0]
            return docs, scores + constant
        total = np.zeros(self.n_docs)
        seen = np.zeros(self.n_docs, dtype=bool)
        for docs, scores in parts:
            total[docs] += scores  # a term's postings hold each document once
            seen[docs] = True
        docs = np.flatnonzero(seen).astype(np.int32)
        return docs, total[docs] + constant

    def top_k(
        self, query: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best matches, best first; equal scores by lower document number."""
        docs, scores = self.match(query)
        if allowed is not None:
            ok = allowed[docs]
            docs, scores = docs[ok], scores[ok]
        order = top_k(scores, docs, k)
        return docs[order], scores[order]

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Every document's score, as rank-bm25's ``BM25Plus.get_scores`` returns it."""
        docs, scores = self.match(query)
        constant = self.delta * sum(self.idf_of(term) for term in query)
        out = np.full(self.n_docs, constant)
        out[docs] = scores
        return out

    def docs_with(self, term: str) -> np.ndarray:
        """Documents containing ``term`` (ascending; a read-only view, do not modify)."""
        t = self.vocab.get(term)
        if t is None:
            return _EMPTY_DOCS
        return self.doc_ids[self.offsets[t] : self.offsets[t + 1]]

    def idf_of(self, term: str) -> float:
        t = self.vocab.get(term)
        return 0.0 if t is None else float(self.idf[t])

    def _contribution(self, t: int, weight: float) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[t], self.offsets[t + 1]
        docs = self.doc_ids[lo:hi]
        tf = self.tfs[lo:hi].astype(np.float64)
        return docs, weight * (tf * (self.k1 + 1) / (self.norm[docs] + tf))

    # --- persistence -------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        joined = "\n".join(self.terms)
        if joined.count("\n") != max(len(self.terms) - 1, 0):
            raise ValueError("a term contains a newline and cannot be stored")
        return {
            "terms": np.frombuffer(joined.encode(), dtype=np.uint8),
            "offsets": self.offsets,
            "doc_ids": self.doc_ids,
            "tfs": self.tfs,
            "doc_len": self.doc_len,
        }

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], k1: float, b: float, delta: float
    ) -> BM25Index:
        """The index back from ``to_arrays``; arrays are used as given (no copies, made
        read-only), so a memory-mapped or ``np.frombuffer`` blob costs no extra RAM."""
        offsets = np.asarray(arrays["offsets"], dtype=np.int64)
        n_terms = len(offsets) - 1
        raw = np.asarray(arrays["terms"], dtype=np.uint8).tobytes().decode()
        terms = raw.split("\n") if n_terms > 0 else []
        if len(terms) != n_terms:
            raise ValueError(f"stored index has {len(terms)} terms for {n_terms} offsets")
        return cls(
            terms,
            dict(zip(terms, range(n_terms), strict=True)),
            offsets,
            np.asarray(arrays["doc_ids"], dtype=np.int32),
            np.asarray(arrays["tfs"], dtype=np.uint16),
            np.asarray(arrays["doc_len"], dtype=np.int32),
            k1,
            b,
            delta,
        )


def _term_ids(
    docs: Sequence[Sequence[str]], vocab: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """All tokens as term ids, each document's length, and ``vocab`` plus the new terms.

    One C-level ``map`` over every token: a Python loop per document or per token would
    dominate the build. ``vocab`` itself is not modified.
    """
    lens = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    ids_of: defaultdict[str, int] = defaultdict(count(len(vocab)).__next__, vocab)
    ids = np.fromiter(
        map(ids_of.__getitem__, chain.from_iterable(docs)), dtype=np.int32, count=int(lens.sum())
    )
    return ids, lens.astype(np.int32), dict(ids_of)


_FEW = 20_000  # positions below which splicing by slices beats a whole-array mask


def _splice(
    array: np.ndarray,
    dropped: np.ndarray,
    at: np.ndarray,
    values: np.ndarray,
    renumber: np.ndarray | None = None,
) -> np.ndarray:
    """``array`` without the positions ``dropped``, with ``values`` inserted before the
    positions ``at`` (both ascending, in ``array``'s numbering; equal positions keep the
    order given) and the kept elements mapped through ``renumber`` when given.

    A one-file reindex drops and adds a few hundred postings out of millions: copying the
    slices between them straight into the result beats masks and ``np.insert``.
    """
    if len(dropped) + len(at) > _FEW:
        kept = np.ones(len(array), dtype=bool)
        kept[dropped] = False
        rest = array[kept] if len(dropped) else array
        if renumber is not None:
            rest = renumber[rest]
        return np.insert(rest, at - np.searchsorted(dropped, at), values)
    out = np.empty(len(array) - len(dropped) + len(values), dtype=array.dtype)
    # Insertions sort before a deletion at the same position: they go before that element.
    events = sorted(
        [(int(p), 0, i) for i, p in enumerate(at.tolist())]
        + [(int(p), 1, 0) for p in dropped.tolist()]
    )
    src = dst = 0
    for pos, kind, i in events:
        dst = _copy(array, src, pos, out, dst, renumber)
        src = pos
        if kind == 0:
            out[dst] = values[i]
            dst += 1
        else:
            src = pos + 1
    _copy(array, src, len(array), out, dst, renumber)
    return out


def _copy(
    array: np.ndarray, lo: int, hi: int, out: np.ndarray, dst: int, renumber: np.ndarray | None
) -> int:
    """Copy ``array[lo:hi]`` (renumbered) to ``out[dst:]``; returns the next ``dst``."""
    if hi > lo:
        if renumber is None:
            out[dst : dst + hi - lo] = array[lo:hi]
        else:
            np.take(renumber, array[lo:hi], out=out[dst : dst + hi - lo])
    return dst + max(hi - lo, 0)


class PostingsBuilder:
    """Postings gathered batch by batch (documents in order), merged once at the end.

    Each batch is inverted as it arrives, so its token ids can be freed at once: a full
    index never holds the whole token stream. The merge is a counting sort straight into
    the final arrays (no concatenation, argsort or gather copies).
    """

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._lens: list[np.ndarray] = []
        self._n_docs = 0

    def add(self, ids: np.ndarray, lens: np.ndarray, n_terms: int) -> None:
        """Documents with ``lens`` tokens each, as term ids below ``n_terms``."""
        lens = np.asarray(lens, dtype=np.int32)
        self._chunks.extend(_invert_chunks(ids, lens, n_terms, self._n_docs))
        self._lens.append(lens)
        self._n_docs += len(lens)

    def lens(self) -> np.ndarray:
        return np.concatenate(self._lens) if self._lens else np.zeros(0, np.int32)

    def merged(self, n_terms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(offsets, doc_ids, tfs) sorted by term then document; the chunks are freed
        as they are placed."""
        counts = np.zeros(n_terms, dtype=np.int64)
        for terms, _, _ in self._chunks:
            counts += np.bincount(terms, minlength=n_terms)
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        doc_ids = np.empty(int(offsets[-1]), dtype=np.int32)
        tfs = np.empty(int(offsets[-1]), dtype=np.uint16)
        cursor = offsets[:-1].copy()
        self._chunks.reverse()
        while self._chunks:
            terms, docs, tf = self._chunks.pop()
            chunk_counts = np.bincount(terms, minlength=n_terms)
            # A chunk is sorted by term: a posting's rank in its term's run is its index
            # minus the run's start.
            run_start = np.cumsum(chunk_counts) - chunk_counts
            at = cursor[terms] + (np.arange(len(terms)) - run_start[terms])
            doc_ids[at] = docs
            tfs[at] = tf
            cursor += chunk_counts
        return offsets, doc_ids, tfs

    def build(self, vocab: dict[str, int], k1: float, b: float, delta: float) -> BM25Index:
        lens = self.lens()
        offsets, doc_ids, tfs = self.merged(len(vocab))
        return BM25Index.from_postings(vocab, offsets, doc_ids, tfs, lens, k1, b, delta)


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
