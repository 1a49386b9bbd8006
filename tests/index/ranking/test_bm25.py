"""The postings index must score exactly like rank-bm25's BM25Plus, reading only postings."""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Plus

from articlebot.index.ranking.bm25 import BM25Index
from tests.index.ranking.synthetic import PARAMS, corpus, queries, same_index


@pytest.mark.parametrize("seed", range(12))
def test_scores_equal_rank_bm25(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k1, b, delta = PARAMS[seed % len(PARAMS)]
    n_docs = [1, 2, 3, 17, 60, 150][seed % 6]
    n_terms = int(rng.integers(2, 50))
    docs = corpus(rng, n_docs, n_terms)
    ours = BM25Index.build(docs, k1, b, delta)
    theirs = BM25Plus(docs, k1=k1, b=b, delta=delta)
    for query in queries(rng, n_terms, 25):
        expected = theirs.get_scores(query)
        docs_hit, scores = ours.match(query)
        containing = [i for i, d in enumerate(docs) if set(query) & set(d)]
        assert docs_hit.tolist() == containing
        assert np.abs(scores - expected[docs_hit]).max(initial=0) < 1e-6
        assert np.abs(ours.get_scores(query) - expected).max() < 1e-6


def test_one_and_two_document_corpora_still_rank_the_match() -> None:
    one = BM25Index.build([["train", "chase"]], 1.2, 0.75, 1.0)
    docs, scores = one.match(["train"])
    assert docs.tolist() == [0] and scores[0] > 0
    two = BM25Index.build([["train", "latest"], ["cruise", "latest"]], 1.2, 0.75, 1.0)
    docs, scores = two.top_k(["cruise", "latest"], 2)
    assert docs.tolist() == [1, 0] and scores[0] > scores[1] > 0


def test_match_reads_only_the_query_terms_postings() -> None:
    rng = np.random.default_rng(1)
    docs = corpus(rng, 200, 40)
    index = BM25Index.build(docs, 1.2, 0.75, 1.0)
    query = ["w3", "w7"]
    expected = index.match(query)
    # Poison every other term's postings: touching them would raise or change scores.
    doc_ids = np.full_like(index.doc_ids, 10**9)
    tfs = np.zeros_like(index.tfs)
    for term in query:
        t = index.vocab[term]
        lo, hi = index.offsets[t], index.offsets[t + 1]
        doc_ids[lo:hi] = index.doc_ids[lo:hi]
        tfs[lo:hi] = index.tfs[lo:hi]
    poisoned = BM25Index(
        index.terms, index.vocab, index.offsets, doc_ids, tfs, index.doc_len, 1.2, 0.75, 1.0
    )
    got = poisoned.match(query)
    assert np.array_equal(got[0], expected[0]) and np.allclose(got[1], expected[1])


def test_top_k_orders_by_score_then_lower_doc_number() -> None:
    docs = [["x"], ["a", "b"], ["a"], ["a", "b"], ["a"], ["b", "b", "c"]]
    index = BM25Index.build(docs, 1.2, 0.75, 1.0)
    # Docs 1 and 3 are identical and best; the lower number comes first.
    top, top_scores = index.top_k(["a", "b"], 2)
    assert top.tolist() == [1, 3] and top_scores[0] == top_scores[1]
    assert top_scores[0] > index.get_scores(["a", "b"])[[0, 2, 4, 5]].max()
    # Equal documents tie at the cut-off too: 2 and 4 beat 1 and 3 (shorter), 2 first.
    tied, _ = index.top_k(["a"], 1)
    assert tied.tolist() == [2]
    tied, _ = index.top_k(["a"], 2)
    assert tied.tolist() == [2, 4]


def test_top_k_against_a_full_sort() -> None:
    rng = np.random.default_rng(7)
    docs = corpus(rng, 300, 30)
    index = BM25Index.build(docs, 1.2, 0.75, 1.0)
    for query in queries(rng, 30, 30):
        hit, scores = index.match(query)
        order = sorted(range(len(hit)), key=lambda i: (-scores[i], hit[i]))
        for k in (1, 5, 1000):
            top, top_scores = index.top_k(query, k)
            assert top.tolist() == [int(hit[i]) for i in order[:k]]
            assert np.array_equal(top_scores, scores[order[:k]])


def test_top_k_allowed_mask_and_edge_cases() -> None:
    docs = [["a"], ["a", "a"], ["b"], ["a", "c"]]
    index = BM25Index.build(docs, 1.2, 0.75, 1.0)
    allowed = np.array([True, False, True, True])
    top, _ = index.top_k(["a"], 10, allowed)
    assert sorted(top.tolist()) == [0, 3]
    assert index.top_k(["a"], 0)[0].size == 0
    assert index.top_k(["zzz"], 5)[0].size == 0
    none_allowed = np.zeros(4, dtype=bool)
    assert index.top_k(["a"], 5, none_allowed)[0].size == 0


def test_empty_index() -> None:
    empty = BM25Index.build([], 1.2, 0.75, 1.0)
    assert empty.n_docs == 0 and empty.terms == []
    assert empty.match(["a"])[0].size == 0 and empty.get_scores(["a"]).size == 0
    loaded = BM25Index.from_arrays(empty.to_arrays(), 1.2, 0.75, 1.0)
    assert loaded.n_docs == 0 and loaded.terms == []
    blank = BM25Index.build([[], []], 1.2, 0.75, 1.0)
    assert blank.match(["a"])[0].size == 0 and blank.get_scores(["a"]).tolist() == [0, 0]


def test_arrays_round_trip_through_bytes() -> None:
    rng = np.random.default_rng(5)
    docs = [*corpus(rng, 50, 30), ["ünïcödé", "covid-19"]]
    index = BM25Index.build(docs, 1.2, 0.75, 1.0)
    arrays = index.to_arrays()
    assert arrays["terms"].dtype == np.uint8
    stored = {
        name: np.frombuffer(np.ascontiguousarray(a).tobytes(), dtype=a.dtype)
        for name, a in arrays.items()
    }
    loaded = BM25Index.from_arrays(stored, 1.2, 0.75, 1.0)
    assert loaded.terms == index.terms and loaded.vocab == index.vocab
    same_index(loaded, index, [*queries(rng, 30, 10), ["ünïcödé"]])


def test_idf_of() -> None:
    index = BM25Index.build([["a", "b"], ["a"], ["c"]], 1.2, 0.75, 1.0)
    assert index.idf_of("a") == pytest.approx(np.log(4 / 2))
    assert index.idf_of("c") == pytest.approx(np.log(4 / 1))
    assert index.idf_of("zzz") == 0.0
