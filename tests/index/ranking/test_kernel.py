"""The compiled top-k (numba, optional) ranks exactly as the numpy path: same rows, the
same floats to the bit, the same tie order and totals, pruned or dense, with deletions,
several segments and filters; block impacts bound every posting under live statistics."""

from __future__ import annotations

import numpy as np
import pytest

from articlebot.index.ranking import fastpath, segments
from articlebot.index.ranking.blockmax import BLOCK, block_impacts, reference_avgdl
from articlebot.index.ranking.bm25 import BM25Index
from articlebot.index.ranking.segment import Segment
from tests.index.ranking.synthetic import PARAMS, corpus, queries
from tests.index.ranking.test_segments import random_blocks, segmented

pytest.importorskip("numba")


@pytest.fixture(scope="module", params=["built", "jit"])
def kernel(request: pytest.FixtureRequest):
    """Each form of the kernel: the extension built ahead of time (into the test run's
    cache folder, see conftest) and numba's dispatchers. Tests hand it to ``fastpath``
    with ``with_kernel``; other tests rank with numpy."""
    if request.param == "jit":
        from articlebot.index.ranking import kernel as module

        return module
    return request.getfixturevalue("built_kernel")


def with_kernel(monkeypatch: pytest.MonkeyPatch, module) -> None:
    monkeypatch.setattr(fastpath, "_kernel", module)
    monkeypatch.setattr(fastpath, "_done", True)


def without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath, "_kernel", None)
    monkeypatch.setattr(fastpath, "_done", True)


def same_as_numpy(index, query, k, mask, kernel, monkeypatch):
    """Ranks ``query`` through the numpy path and the kernel; asserts the same rows,
    floats and total, and returns the kernel's (rows, scores, total)."""
    without_kernel(monkeypatch)
    expected = index.top_k_total(query, k, mask)
    with_kernel(monkeypatch, kernel)
    got = index.top_k_total(query, k, mask)
    assert got[0].tolist() == expected[0].tolist(), (query, k)
    assert np.array_equal(got[1], expected[1]) and got[2] == expected[2]
    return got


def big_blocks(rng: np.random.Generator, n_terms: int):
    """Segments large enough for many blocks per term, some with deletions; short
    documents of repeated words make many equal scores (ties at the k-th place)."""
    blocks = []
    for _ in range(int(rng.integers(1, 4))):
        docs = corpus(rng, int(rng.integers(300, 3000)), n_terms)
        docs += [["w0"], ["w1"], ["w0", "w1"]] * int(rng.integers(0, 40))
        blocks.append(docs)
    deleted = [{j for j in range(len(b)) if rng.random() < 0.15 * i} for i, b in enumerate(blocks)]
    return blocks, deleted


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("dense", [0, 10**9])
def test_compiled_top_k_equals_the_numpy_path(
    seed: int, dense: int, kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segments, "DENSE_SHARE", dense)  # 0: always prune
    rng = np.random.default_rng(700 + seed)
    n_terms = int(rng.integers(20, 200))
    blocks, deleted = big_blocks(rng, n_terms)
    index = segmented(blocks, deleted, PARAMS[seed % len(PARAMS)])
    allowed = rng.random(index.n_docs) < 0.6
    rare = [[f"w{n_terms - 1 - i}", "w0", "w1", "w2"] for i in range(5)]
    for query in [*queries(rng, n_terms, 25), *rare]:
        for mask in (None, allowed):
            for k in (1, 10, 40):
                expected = same_as_numpy(index, query, k, mask, kernel, monkeypatch)
                top, scores = index.top_k(query, k, mask)
                assert top.tolist() == expected[0].tolist()
                assert np.array_equal(scores, expected[1])


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("dense", [0, 10**9])
def test_small_segments_with_deletions(seed: int, dense: int, kernel, monkeypatch) -> None:
    """Many small segments (one heap carried across them) with deletions and filters."""
    monkeypatch.setattr(segments, "DENSE_SHARE", dense)
    rng = np.random.default_rng(1000 + seed)
    n_terms = int(rng.integers(3, 40))
    blocks, deleted = random_blocks(rng, n_terms)
    index = segmented(blocks, deleted, PARAMS[seed % len(PARAMS)])
    allowed = rng.random(index.n_docs) < 0.7
    for query in queries(rng, n_terms, 30):
        for mask in (None, allowed):
            for k in (1, 5, 200):
                same_as_numpy(index, query, k, mask, kernel, monkeypatch)


def test_compiled_top_k_on_an_empty_or_unknown_query(kernel, monkeypatch) -> None:
    with_kernel(monkeypatch, kernel)
    index = segmented([[["a", "b"], ["b"]]], [set()])
    assert index.top_k(["zzz"], 10)[0].size == 0
    assert index.top_k([], 10)[0].size == 0
    assert index.top_k(["a"], 0)[0].size == 0
    assert index.top_k_total(["b"], 10)[2] == 2


@pytest.mark.parametrize("seed", range(6))
def test_block_impacts_bound_every_posting_under_other_statistics(seed: int) -> None:
    """Taken at the segment's own average length, rescaled to any other live one."""
    rng = np.random.default_rng(800 + seed)
    k1, b, _ = PARAMS[seed % len(PARAMS)]
    docs = corpus(rng, int(rng.integers(200, 1500)), 60)
    bm25 = BM25Index.build(docs, k1, b, 1.0)
    reference = reference_avgdl(bm25.doc_len)
    impact = block_impacts(bm25.doc_ids, bm25.tfs, bm25.doc_len, k1, b, reference)
    assert impact.dtype == np.float32 and len(impact) == -(-len(bm25.doc_ids) // BLOCK)
    for live in (reference * 0.5, reference, reference * 1.7):
        norm = k1 * (1 - b + b * bm25.doc_len / live)
        tf = bm25.tfs.astype(np.float64)
        contribution = tf * (k1 + 1) / (norm[bm25.doc_ids] + tf)
        bound = (k1 + 1) * max(1.0, live / reference) * impact.astype(np.float64)
        assert np.all(contribution <= np.repeat(bound, BLOCK)[: len(contribution)])


def test_stored_impacts_round_trip_and_are_recomputed_for_other_parameters() -> None:
    docs = [["a", "b", "a"], ["b"], ["c", "a"]] * 100
    seg = Segment.from_bm25("s", BM25Index.build(docs, 1.2, 0.75, 1.0))
    assert "impact" not in seg.to_arrays()  # only once computed
    impact, reference = seg.blocks(1.2, 0.75)
    back = Segment.from_arrays("s", seg.to_arrays())
    assert back.impact_params == (1.2, 0.75, reference)
    assert np.array_equal(back.blocks(1.2, 0.75)[0], impact)
    other, _ = back.blocks(2.0, 1.0)  # other parameters: taken again
    assert back.impact_params is not None and back.impact_params[:2] == (2.0, 1.0)
    assert not np.array_equal(other, impact)


def test_numpy_is_kept_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath, "_kernel", None)
    monkeypatch.setattr(fastpath, "_done", False)
    monkeypatch.setattr(fastpath, "_requested", False)
    monkeypatch.setenv("ARTICLEBOT_KERNEL", "numpy")
    assert fastpath.kernel() is None


@pytest.mark.parametrize("k", [1, 10])
def test_a_term_strong_in_one_block_and_weak_elsewhere(k: int, kernel, monkeypatch) -> None:
    """A term whose bound comes from one document (essential for the whole segment) and
    that cannot lift a row in most windows: those windows look it up instead of adding
    it, and every window is read once."""
    monkeypatch.setattr(segments, "DENSE_SHARE", 0)
    rng = np.random.default_rng(900 + k)
    docs = []
    for d in range(6000):
        doc = ["a"] * (60 if d == 5 else 1)
        if d % 3 == 0:
            doc += ["b"] * int(rng.integers(1, 6))
        docs.append(doc + ["pad"] * int(rng.integers(0, 30)))
    index = segmented([docs], [set()])
    for query in (["a", "b"], ["b", "a"], ["a", "b", "pad"]):
        same_as_numpy(index, query, k, None, kernel, monkeypatch)


def test_preload_loads_now_unless_numpy_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server loads the kernel before it serves, and no background load follows."""
    for name, value in (("_kernel", None), ("_done", False), ("_requested", False)):
        monkeypatch.setattr(fastpath, name, value)
    monkeypatch.setenv("ARTICLEBOT_KERNEL", "numpy")
    assert fastpath.preload() is None and not fastpath._done
    monkeypatch.setenv("ARTICLEBOT_KERNEL", "auto")
    module = fastpath.preload()
    assert module is not None and fastpath._done and fastpath._requested
    assert fastpath.kernel() is module
