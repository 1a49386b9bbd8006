"""Block impacts of a segment's postings: what lets a top-k skip postings unread.

The postings array is cut into fixed blocks of ``BLOCK`` postings (a grid over the whole
array, so a block may hold the end of one term and the start of the next). Each block
keeps the largest BM25 saturation ``tf / (tf + norm)`` of its postings, with ``norm``
taken at a reference average length (the segment's own), rounded up to float32.

Scores must follow the live collection (no drift), and they do: the bound is rescaled to
the live average length. With ``B = k1 * b / avgdl``, ``tf / (tf + A + B * len)`` grows by
at most ``live avgdl / reference avgdl`` when the average grows, and never when it
shrinks, so ``weight * (k1 + 1) * impact * max(1, live / reference)`` bounds every
posting of the block. Pruning on it stays exact: only rows that cannot reach the top k
are skipped, the others are scored exactly.
"""

from __future__ import annotations

import numpy as np

BLOCK = 128
# The pruned kernel's windows of documents (``kernel.top_k_segment``; numba-free here so
# that a kernel built ahead of time is driven without importing numba):
WINDOW = 16384  # documents per window at most (the scratch the caller passes)
MIN_WINDOW = 1024  # and at least (a window's bookkeeping costs about as much as 50 postings)
_CHUNK = BLOCK * 1024  # postings per pass: bounds the temporaries (~1 MB each)


def reference_avgdl(doc_len: np.ndarray) -> float:
    """The average length block impacts are taken at (1 for an empty segment)."""
    total = int(doc_len.sum(dtype=np.int64))
    return total / len(doc_len) if total else 1.0


def block_impacts(
    doc_ids: np.ndarray, tfs: np.ndarray, doc_len: np.ndarray, k1: float, b: float, avgdl: float
) -> np.ndarray:
    """The largest ``tf / (tf + norm)`` of each block at average length ``avgdl``, as
    float32 rounded up (so it still bounds every posting)."""
    out = np.zeros(block_count(len(doc_ids)), dtype=np.float32)
    fold_impacts(out, 0, doc_ids, tfs, doc_norms(doc_len, k1, b, avgdl))
    return out


def block_count(postings: int) -> int:
    return (postings + BLOCK - 1) // BLOCK


def doc_norms(doc_len: np.ndarray, k1: float, b: float, avgdl: float) -> np.ndarray:
    """Each document's ``norm`` at average length ``avgdl`` (float64)."""
    return k1 * (1 - b + b * doc_len / avgdl)


def fold_impacts(
    out: np.ndarray, first: int, doc_ids: np.ndarray, tfs: np.ndarray, norm: np.ndarray
) -> None:
    """Fold the postings ``first:first + len(doc_ids)`` of a segment into its block
    impacts ``out`` (zeros before the first fold), so they can be taken a run of postings
    at a time: rounding up is monotonic, so the largest of a block's rounded parts is its
    rounded largest."""
    n = len(doc_ids)
    for start in range(0, n, _CHUNK):
        end = min(start + _CHUNK, n)
        tf = tfs[start:end].astype(np.float64)
        impact = tf / (tf + norm[doc_ids[start:end]])
        at = first + start  # the block grid is the segment's, not this run's
        cuts = np.arange((-at) % BLOCK, end - start, BLOCK)
        if not len(cuts) or cuts[0] != 0:
            cuts = np.concatenate(([0], cuts))
        best = np.maximum.reduceat(impact, cuts)
        rounded = best.astype(np.float32)
        low = rounded < best
        rounded[low] = np.nextafter(rounded[low], np.float32(np.inf))
        blocks = (at + cuts) // BLOCK
        out[blocks] = np.maximum(out[blocks], rounded)
