"""Random token corpora and queries for the ranking tests."""

from __future__ import annotations

import numpy as np

from articlebot.index.ranking.bm25 import BM25Index

PARAMS = [(1.2, 0.75, 1.0), (1.5, 0.75, 1.0), (0.9, 0.4, 0.5), (2.0, 1.0, 0.0)]


def corpus(rng: np.random.Generator, n_docs: int, n_terms: int) -> list[list[str]]:
    """Zipf-ish documents so some terms are in nearly every doc and some in one."""
    docs = []
    for _ in range(n_docs):
        length = int(rng.integers(1, 40))
        ids = np.minimum(rng.zipf(1.4, size=length), n_terms) - 1
        docs.append([f"w{i}" for i in ids])
    return docs


def queries(rng: np.random.Generator, n_terms: int, count: int) -> list[list[str]]:
    queries = []
    for _ in range(count):
        size = int(rng.integers(1, 6))
        # Beyond n_terms: words the corpus has never seen.
        queries.append([f"w{i}" for i in rng.integers(0, n_terms + 3, size=size)])
    queries.append(["w0", "w0", "w1"])  # repeated terms count twice, as in rank-bm25
    queries.append(["nowhere"])
    return queries


def same_index(a: BM25Index, b: BM25Index, queries: list[list[str]]) -> None:
    assert a.n_docs == b.n_docs
    assert np.array_equal(a.doc_len, b.doc_len)
    for term in b.terms:
        assert np.array_equal(a.docs_with(term), b.docs_with(term)), term
        ta, tb = a.vocab[term], b.vocab[term]
        tfs_a = a.tfs[a.offsets[ta] : a.offsets[ta + 1]]
        tfs_b = b.tfs[b.offsets[tb] : b.offsets[tb + 1]]
        assert np.array_equal(tfs_a, tfs_b)
    for query in queries:
        assert np.abs(a.get_scores(query) - b.get_scores(query)).max(initial=0) < 1e-9
