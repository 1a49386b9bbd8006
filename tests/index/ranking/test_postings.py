"""Postings built batch by batch and in chunks."""

from __future__ import annotations

import numpy as np
import pytest

from articlebot.index.ranking import postings as postings_module
from articlebot.index.ranking.bm25 import BM25Index
from tests.index.ranking.synthetic import corpus


def test_build_in_many_chunks_equals_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    docs = corpus(rng, 120, 60)
    whole = BM25Index.build(docs, 1.2, 0.75, 1.0)
    monkeypatch.setattr(postings_module, "_CHUNK_TOKENS", 50)
    chunked = BM25Index.build(docs, 1.2, 0.75, 1.0)
    assert np.array_equal(whole.offsets, chunked.offsets)
    assert np.array_equal(whole.doc_ids, chunked.doc_ids)
    assert np.array_equal(whole.tfs, chunked.tfs)


def test_postings_layout() -> None:
    index = BM25Index.build([["b", "a", "b"], [], ["a"]], 1.2, 0.75, 1.0)
    assert index.terms == ["b", "a"] and index.vocab == {"b": 0, "a": 1}
    assert index.offsets.tolist() == [0, 1, 3]
    assert index.doc_ids.tolist() == [0, 0, 2]
    assert index.tfs.tolist() == [2, 1, 1]
    assert index.doc_len.tolist() == [3, 0, 1]
    assert index.offsets.dtype == np.int64 and index.doc_ids.dtype == np.int32
    assert index.tfs.dtype == np.uint16 and index.doc_len.dtype == np.int32
    assert index.docs_with("a").tolist() == [0, 2] and index.docs_with("zzz").size == 0
    with pytest.raises(ValueError):
        index.doc_ids[0] = 5  # readers share these arrays


def test_term_frequency_clipped_at_uint16() -> None:
    index = BM25Index.build([["a"] * 70_000, ["a", "b"]], 1.2, 0.75, 1.0)
    assert index.tfs.tolist() == [65535, 1, 1]


def test_postings_added_batch_by_batch_equal_one_build() -> None:
    rng = np.random.default_rng(12)
    docs = corpus(rng, 90, 60)
    whole = BM25Index.build(docs, 1.2, 0.75, 1.0)
    vocab: dict[str, int] = {}
    builder = postings_module.PostingsBuilder()
    for start in range(0, len(docs), 7):  # the vocabulary grows batch by batch
        batch = docs[start : start + 7]
        ids = [vocab.setdefault(t, len(vocab)) for doc in batch for t in doc]
        lens = np.array([len(d) for d in batch], dtype=np.int32)
        builder.add(np.array(ids, dtype=np.int32), lens, len(vocab))
    built = builder.build(vocab, 1.2, 0.75, 1.0)
    assert built.terms == whole.terms
    for name in ("offsets", "doc_ids", "tfs", "doc_len"):
        assert np.array_equal(getattr(built, name), getattr(whole, name))


def test_batches_are_inverted_before_they_pass_a_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each inversion makes one chunk: a full one and a small remainder doubled the parts
    the streamed merge reads."""
    monkeypatch.setattr(postings_module, "_CHUNK_TOKENS", 100)
    builder = postings_module.PostingsBuilder()
    for _ in range(20):  # 30 tokens a batch: three batches (90 tokens) a chunk
        builder.add(np.arange(30, dtype=np.int32) % 7, np.array([10, 20], np.int32), 7)
    builder.lens()  # inverts what waits
    chunks = builder._chunks
    assert len(chunks) == 7  # 20 batches, three at a time
    assert all(chunks.length(i) <= 100 for i in range(len(chunks)))
