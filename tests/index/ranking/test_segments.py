"""Several segments with deleted documents rank exactly as one index of the live
documents (and as rank-bm25's BM25Plus); merging keeps that; the policy stays bounded."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from rank_bm25 import BM25Plus

from articlebot.index.ranking import segments
from articlebot.index.ranking.bm25 import BM25Index
from articlebot.index.ranking.segment import NO_DELETIONS, Deletions, Segment
from articlebot.index.ranking.segments import SegmentedIndex
from articlebot.index.storage.compaction import FACTOR, FLOOR_DOCS, merge, merge_from
from tests.index.ranking.synthetic import PARAMS, corpus, queries

K1, B, DELTA = PARAMS[0]


def segmented(
    blocks: list[list[list[str]]], deleted: list[set[int]], params=PARAMS[0]
) -> SegmentedIndex:
    """An index of ``blocks`` (one segment each) with the given local docs deleted."""
    segments, deletions = [], []
    for i, (docs, gone) in enumerate(zip(blocks, deleted, strict=True)):
        seg = Segment.from_bm25(f"s{i}", BM25Index.build(docs, *params))
        terms = Counter(t for d in sorted(gone) for t in set(docs[d]))
        segments.append(seg)
        deletions.append(NO_DELETIONS.add(np.array(sorted(gone), dtype=np.int32), terms))
    return SegmentedIndex(tuple(segments), tuple(deletions), *params)


def live_docs(blocks: list[list[list[str]]], deleted: list[set[int]]) -> list[list[str]]:
    return [d for docs, gone in zip(blocks, deleted, strict=True)
            for j, d in enumerate(docs) if j not in gone]  # fmt: skip


def random_blocks(rng: np.random.Generator, n_terms: int):
    blocks = [
        corpus(rng, int(rng.integers(1, 40)), n_terms) for _ in range(int(rng.integers(1, 5)))
    ]
    deleted = [
        {j for j in range(len(b)) if rng.random() < [0.0, 0.2, 0.6][i % 3]}
        for i, b in enumerate(blocks)
    ]
    return blocks, deleted


@pytest.mark.parametrize("seed", range(12))
def test_segments_with_deletions_score_as_rank_bm25_on_the_live_docs(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    params = PARAMS[seed % len(PARAMS)]
    n_terms = int(rng.integers(3, 40))
    blocks, deleted = random_blocks(rng, n_terms)
    index = segmented(blocks, deleted, params)
    live = live_docs(blocks, deleted)
    assert index.n_docs == len(live)
    if not live or not sum(map(len, live)):
        return
    theirs = BM25Plus(live, k1=params[0], b=params[1], delta=params[2])
    one = BM25Index.build(live, *params)
    for query in queries(rng, n_terms, 20):
        expected = theirs.get_scores(query)
        docs, scores = index.match(query)
        assert docs.tolist() == [i for i, d in enumerate(live) if set(query) & set(d)]
        assert np.all(np.abs(scores - expected[docs]) <= 1e-6 * np.abs(expected[docs]))
        assert np.allclose(index.get_scores(query), expected, rtol=1e-6, atol=0)
        top, _ = index.top_k(query, 5)
        assert top.tolist() == one.top_k(query, 5)[0].tolist()
    for term in {t for d in live for t in d}:
        assert index.docs_with(term).tolist() == one.docs_with(term).tolist()
        assert index.idf_of(term) == pytest.approx(one.idf_of(term), rel=1e-12)
        assert term in index.vocab


@pytest.mark.parametrize("seed", range(8))
def test_merge_keeps_the_live_documents_in_order(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    blocks, deleted = random_blocks(rng, 25)
    index = segmented(blocks, deleted)
    merged = merge(index.segments, index.deletions, "m")
    live = live_docs(blocks, deleted)
    assert merged.n_docs == len(live)
    one = SegmentedIndex((merged,), (NO_DELETIONS,), K1, B, DELTA)
    fresh = BM25Index.build(live, K1, B, DELTA)
    assert sorted(merged.terms) == sorted(fresh.terms)  # terms of deleted docs only: gone
    assert np.array_equal(merged.doc_len, fresh.doc_len)
    for term in fresh.terms:
        t, u = merged.vocab[term], fresh.vocab[term]
        assert np.array_equal(merged.doc_ids[merged.offsets[t] : merged.offsets[t + 1]],
                              fresh.docs_with(term))  # fmt: skip
        assert np.array_equal(merged.tfs[merged.offsets[t] : merged.offsets[t + 1]],
                              fresh.tfs[fresh.offsets[u] : fresh.offsets[u + 1]])  # fmt: skip
    for query in queries(rng, 25, 10):
        assert np.allclose(one.get_scores(query), index.get_scores(query), rtol=1e-12)


def test_locate_finds_each_row_in_its_segment() -> None:
    blocks = [[["a"]] * 4, [["b"]] * 3, [["c"]] * 5]
    index = segmented(blocks, [{1}, {0, 1, 2}, {0, 4}])
    # Live rows: 0,1,2 (segment 0: local 0,2,3); none of segment 1; 3,4,5 (segment 2: 1,2,3).
    found = {i: (local.tolist(), where.tolist()) for i, local, where in index.locate(range(6))}
    assert found == {0: ([0, 2, 3], [0, 1, 2]), 2: ([1, 2, 3], [3, 4, 5])}


def test_deletions_round_trip_and_add_up() -> None:
    dels = Deletions().add(np.array([5, 1]), {"a": 2, "b": 1}).add(np.array([3]), {"a": 1})
    assert dels.docs.tolist() == [1, 3, 5] and dict(dels.term_docs) == {"a": 3, "b": 1}
    back = Deletions.from_blobs(dels.to_blobs())
    assert back.docs.tolist() == [1, 3, 5] and dict(back.term_docs) == {"a": 3, "b": 1}
    assert len(Deletions.from_blobs(Deletions().to_blobs())) == 0


def test_an_empty_index_answers_nothing() -> None:
    empty = SegmentedIndex.empty(K1, B, DELTA)
    assert empty.n_docs == 0 and empty.match(["a"])[0].size == 0
    assert empty.docs_with("a").size == 0 and "a" not in empty.vocab and len(empty.vocab) == 0


def test_policy_merges_full_tiers_and_heavily_deleted_segments() -> None:
    assert merge_from([100_000], [0]) is None
    assert merge_from([100_000, 1, 1], [0, 0, 0]) is None
    assert merge_from([100_000] + [1] * FACTOR, [0] * (FACTOR + 1)) == 1
    # A full tier that completes the tier above merges that too (one run).
    sizes = [100_000] + [FACTOR * 1000] * (FACTOR - 1) + [1000] * (FACTOR - 1) + [1]
    assert merge_from(sizes, [0] * len(sizes)) is None
    sizes = [100_000] + [FACTOR * 1000] * (FACTOR - 1) + [1] * FACTOR
    assert merge_from(sizes, [0] * len(sizes)) == len(sizes) - FACTOR
    # Over a tenth of a segment deleted: it is rewritten, with everything newer.
    assert merge_from([1000, 5, 1], [300, 0, 0]) == 0
    assert merge_from([1000, 5, 1], [10, 0, 0]) is None


def test_segment_counts_stay_bounded_over_many_one_file_reindexes() -> None:
    sizes, rewritten = [24_000], 0
    for _ in range(2000):
        sizes.append(1)
        start = merge_from(sizes, [0] * len(sizes))
        if start is not None:
            rewritten += sum(sizes[start:])
            sizes[start:] = [sum(sizes[start:])]
        assert len(sizes) <= 1 + (FACTOR - 1) * 4
    # Small segments are rewritten often, but they are small: what a one-file reindex
    # rewrites on average is bounded by the floor, whatever the index's size.
    assert rewritten / 2000 < FLOOR_DOCS / 2


@pytest.mark.parametrize("seed", range(4))
def test_sparse_and_dense_sums_give_the_same_floats(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(400 + seed)
    blocks, deleted = random_blocks(rng, 30)
    index = segmented(blocks, deleted)
    for query in queries(rng, 30, 20):
        monkeypatch.setattr(segments, "SPARSE", 0)  # always dense
        dense = index.match(query)
        monkeypatch.setattr(segments, "SPARSE", 10**9)  # always sorted
        sparse = index.match(query)
        assert np.array_equal(dense[0], sparse[0]) and np.array_equal(dense[1], sparse[1])


@pytest.mark.parametrize("seed", range(10))
def test_pruned_top_k_equals_scoring_every_row(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """MaxScore skips rows that cannot reach the top k: the same rows, scores (to the
    bit), order and total as ranking every match, with filters, ties and deletions."""
    monkeypatch.setattr(segments, "PRUNE_POSTINGS", 0)  # prune however small the query
    rng = np.random.default_rng(500 + seed)
    blocks = [corpus(rng, int(rng.integers(50, 300)), 60) for _ in range(int(rng.integers(1, 4)))]
    deleted = [{j for j in range(len(b)) if rng.random() < 0.1 * i} for i, b in enumerate(blocks)]
    index = segmented(blocks, deleted)
    allowed = rng.random(index.n_docs) < 0.7
    rare = [f"w{i}" for i in range(40, 60)]
    for query in [*queries(rng, 60, 30), *([r, "w0", "w1"] for r in rare)]:
        for mask in (None, allowed):
            for k in (1, 3, 10):
                docs, scores = index.match(query)
                if mask is not None:
                    docs, scores = docs[mask[docs]], scores[mask[docs]]
                order = sorted(range(len(docs)), key=lambda i: (-scores[i], docs[i]))[:k]
                top, top_scores, total = index.top_k_total(query, k, mask)
                assert total == len(docs)
                assert top.tolist() == [int(docs[i]) for i in order]
                assert np.array_equal(top_scores, scores[order])


@pytest.mark.parametrize("with_order", [True, False])
def test_a_segment_read_from_its_arrays_ranks_as_the_one_written(with_order: bool) -> None:
    """Its terms come back as packed bytes (found by the stored sorted order, or one
    sorted on opening a file written before the order was stored) with the same ids."""
    rng = np.random.default_rng(5)
    docs = corpus(rng, 60, 300)
    written = Segment.from_bm25("s0", BM25Index.build(docs, K1, B, DELTA))
    arrays = written.to_arrays()
    if not with_order:
        del arrays["term_order"]
    read = Segment.from_arrays("s0", arrays)
    assert list(read.terms) == list(written.terms)
    assert all(read.vocab.get(t) == i for i, t in enumerate(written.terms))
    assert read.vocab.get("not-a-term") is None
    one, two = (SegmentedIndex((s,), (NO_DELETIONS,), K1, B, DELTA) for s in (written, read))
    for query in queries(rng, 300, 20):
        (rows1, scores1), (rows2, scores2) = one.top_k(query, 10), two.top_k(query, 10)
        assert np.array_equal(rows1, rows2) and np.array_equal(scores1, scores2)


def test_a_segments_term_flags_are_read_from_its_file_or_found_from_its_terms() -> None:
    """With positions, a file stores which terms are hyphenated wholes and which are
    pieces of a segmented script; the segment reads them as stored (a file that stores
    none gets them from its terms)."""
    vocab = {"train-chase": 0, "train": 1, "chase": 2, "東京": 3, "京都": 4}
    text = np.array([0, 1, 2, 3, 4], dtype=np.int32)
    written = Segment.of(
        "s0", vocab, np.arange(6), np.zeros(5, np.int32), np.ones(5, np.uint16),
        np.array([5], np.int32), text, np.array([5]),
    )  # fmt: skip
    arrays = written.to_arrays()
    assert arrays["hyphen_ids"].tolist() == [0] and arrays["segmented_ids"].tolist() == [3, 4]
    arrays["hyphen_ids"] = np.array([2], dtype=np.int32)  # what is stored is what counts
    read = Segment.from_arrays("s0", arrays)
    assert read.hyphenated.tolist() == [False, False, True, False, False]
    assert read.segmented.tolist() == [False, False, False, True, True]
    del arrays["hyphen_ids"], arrays["segmented_ids"]  # written before they were stored
    older = Segment.from_arrays("s0", arrays)
    assert older.hyphen_ids is None and older.hyphenated.tolist() == [True] + [False] * 4
    assert older.segmented.tolist() == [False, False, False, True, True]


def test_the_alive_mask_is_made_once_per_deletions_and_shared() -> None:
    """One mask per segment's deletions, whoever asks (the ranking view, the catalog's
    assembly, a reindex's look-ups and merges): read-only, as they all share it."""
    dels = Deletions().add(np.array([1, 4]), {"a": 2})
    mask = dels.alive(6)
    assert mask.tolist() == [True, False, True, True, False, True]
    assert dels.alive(6) is mask and not mask.flags.writeable
    assert NO_DELETIONS.alive(6) is None and Deletions().alive(0) is None
    for n in (4, 0):  # a deleted doc the segment does not hold
        with pytest.raises(ValueError, match="does not hold"):
            Deletions(np.array([1, 4], dtype=np.int32)).alive(n)
    with pytest.raises(ValueError, match="does not hold"):
        Deletions(np.array([-1], dtype=np.int32)).alive(3)
    seg = Segment.from_bm25(
        "s", BM25Index.build([["a"], ["a", "b"], ["b"], ["c"], ["a"], ["d"]], K1, B, DELTA)
    )
    index = SegmentedIndex((seg,), (dels,), K1, B, DELTA)
    assert index.rows[0].tolist() == [0, -1, 1, 2, -1, 3] and index.alive[0].tolist() == [
        0,
        2,
        3,
        5,
    ]
    assert dels.alive(6) is mask  # the view used the same one
