"""The one top-k: a total order, so pages cut from it never overlap or skip."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from articlebot.index.ranking.topk import top_k


def test_ties_are_broken_by_the_lower_document() -> None:
    scores = np.array([1.0, 2.0, 2.0, 2.0, 0.5])
    docs = np.array([7, 9, 3, 5, 1], dtype=np.int32)
    assert docs[top_k(scores, docs, 2)].tolist() == [3, 5]
    assert docs[top_k(scores, docs, 10)].tolist() == [3, 5, 9, 7, 1]
    assert top_k(scores, docs, 0).tolist() == []


@settings(max_examples=300, deadline=None)
@given(
    scores=st.lists(st.sampled_from([0.5, 1.0, 1.0, 2.0, 3.0]), min_size=1, max_size=60),
    page=st.integers(1, 7),
)
def test_pages_of_a_tie_heavy_ranking_cover_everything_once(scores: list[float], page: int):
    values = np.array(scores)
    docs = np.random.default_rng(len(scores)).permutation(len(scores)).astype(np.int32)
    full = docs[top_k(values, docs, len(values))].tolist()
    paged: list[int] = []
    for offset in range(0, len(values), page):
        paged += docs[top_k(values, docs, offset + page)][offset:].tolist()
    assert paged == full and sorted(full) == sorted(docs.tolist())
    ranked = values[np.argsort(docs)][full]
    assert all(a >= b for a, b in itertools.pairwise(ranked))
