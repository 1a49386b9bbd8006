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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, count

import numpy as np

from articlebot.index.ranking.postings import PostingsBuilder
from articlebot.index.ranking.topk import top_k

_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)


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
        return dense_sum(parts, self.n_docs, constant)

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

    def top_k_total(
        self, query: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """``top_k`` and how many documents match (``allowed`` ones only)."""
        docs, scores = self.match(query)
        if allowed is not None:
            ok = allowed[docs]
            docs, scores = docs[ok], scores[ok]
        order = top_k(scores, docs, k)
        return docs[order], scores[order], len(docs)

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
        return postings_arrays(self.terms, self.offsets, self.doc_ids, self.tfs, self.doc_len)

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


def dense_sum(
    parts: Sequence[tuple[np.ndarray, np.ndarray]], n_docs: int, constant: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-term (rows, scores) summed over an array as long as the index: the fast way when
    the terms' postings cover much of it. Rows come back in order."""
    total = np.zeros(n_docs)
    seen = np.zeros(n_docs, dtype=bool)
    for docs, scores in parts:
        total[docs] += scores  # a term's postings hold each row once
        seen[docs] = True
    docs = np.flatnonzero(seen).astype(np.int32)
    return docs, total[docs] + constant


def postings_arrays(
    terms: Sequence[str],
    offsets: np.ndarray,
    doc_ids: np.ndarray,
    tfs: np.ndarray,
    doc_len: np.ndarray,
) -> dict[str, np.ndarray]:
    """Postings as the named arrays they are stored as (terms joined by newlines)."""
    joined = "\n".join(terms)
    if joined.count("\n") != max(len(terms) - 1, 0):
        raise ValueError("a term contains a newline and cannot be stored")
    return {
        "terms": np.frombuffer(joined.encode(), dtype=np.uint8),
        "offsets": offsets,
        "doc_ids": doc_ids,
        "tfs": tfs,
        "doc_len": doc_len,
    }
