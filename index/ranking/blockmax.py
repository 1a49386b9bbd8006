"""Block maxima of a segment's postings: what lets a top-k skip postings unread.

The postings array is cut into fixed blocks of ``BLOCK`` postings (a grid over the whole
array, so a block may hold the end of one term and the start of the next). Each block
keeps its largest term frequency and its shortest document. A BM25 contribution grows
with tf and shrinks with the document's length, so ``contribution(max tf, min length)``
bounds every posting of the block under *any* collection statistics: the bound follows
the live N and average length, and pruning on it stays exact (only scores that cannot
reach the top k are skipped; the survivors are scored exactly).
"""

from __future__ import annotations

import numpy as np

BLOCK = 128
_CHUNK = BLOCK * 8192  # postings per pass: bounds the temporary copy of lengths (4 MB)


def block_maxima(
    doc_ids: np.ndarray, tfs: np.ndarray, doc_len: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(largest tf as uint16, shortest document length as int32) of each block."""
    n = len(doc_ids)
    blocks = (n + BLOCK - 1) // BLOCK
    max_tf = np.zeros(blocks, dtype=np.uint16)
    min_len = np.zeros(blocks, dtype=np.int32)
    for start in range(0, n, _CHUNK):
        end = min(start + _CHUNK, n)
        cuts = np.arange(0, end - start, BLOCK)
        at = start // BLOCK
        max_tf[at : at + len(cuts)] = np.maximum.reduceat(tfs[start:end], cuts)
        min_len[at : at + len(cuts)] = np.minimum.reduceat(doc_len[doc_ids[start:end]], cuts)
    return max_tf, min_len
