"""The one top-k of the code base: the ``k`` best scores in a total, stable order.

Best score first, equal scores by lower document number. The order must be total: with an
arbitrary choice among scores tied at the k-th place (``argpartition`` alone), page 1 and
page 2 of a search with many equal scores (short posts, metadata-only posts) shared
results and others were never shown.
"""

from __future__ import annotations

import numpy as np

_NONE = np.zeros(0, dtype=np.int64)


def top_k(scores: np.ndarray, docs: np.ndarray, k: int) -> np.ndarray:
    """Positions (into ``scores`` and ``docs``) of the ``k`` best, best first.

    Partitioning keeps every score tied with the k-th, so the tie-break by document number
    is exact; only those candidates are sorted.
    """
    n = len(scores)
    if k <= 0 or n == 0:
        return _NONE
    if n > k:
        kth = np.partition(scores, n - k)[n - k]
        pick = np.flatnonzero(scores >= kth)
    else:
        pick = np.arange(n)
    return pick[np.lexsort((docs[pick], -scores[pick]))[:k]]
