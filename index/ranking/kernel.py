"""The compiled top-k over one segment: block-max MaxScore, document at a time (numba).

Imported only through ``fastpath`` (importing numba costs ~0.4 s, so never on the way to
a first answer). The numpy path in ``segments`` ranks the same rows with the same floats;
this one reads only the postings that can still reach the top k:

- terms are ordered by their bound (the largest block bound of their postings); those
  whose bounds together cannot beat the current k-th score are *non-essential*: a row is
  a candidate only if an essential term holds it, and non-essential terms are looked up
  (by block, then binary search) only while the candidate can still make it;
- before a candidate is scored, the block bounds of every term at that row are summed;
  when they cannot beat the k-th score, every row up to the nearest block end is skipped.

Bounds are compared with a relative margin (``SLACK``) so that rounding can never drop a
row that belongs in the top k. A row is scored exactly as the numpy path scores it (terms
added in the query's order, then the BM25Plus constant), so scores are equal to the bit,
and ties are broken by the lower row: rows are visited in ascending order, so a row tied
with the k-th score never enters.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from articlebot.index.ranking.blockmax import BLOCK

SLACK = 1e-9
_END = np.iinfo(np.int64).max


@njit(cache=True, nogil=True)
def _min_norm(length, k1, b, avgdl):
    if avgdl > 0:
        return k1 * (1 - b + b * length / avgdl)
    return k1 * (1 - b)


@njit(cache=True, nogil=True)
def _block_bound(j, weight, max_tf, min_len, k1, b, avgdl):
    tf = np.float64(max_tf[j])
    return weight * (tf * (k1 + 1) / (_min_norm(min_len[j], k1, b, avgdl) + tf))


@njit(cache=True, nogil=True)
def _seek(doc_ids, cur, hi, i, target):
    """Move term ``i``'s cursor to its first posting >= ``target``."""
    p = cur[i]
    h = hi[i]
    if p >= h or doc_ids[p] >= target:
        return
    end = min((p // BLOCK + 1) * BLOCK, h)
    while end < h and doc_ids[end - 1] < target:
        p = end
        end = min(end + BLOCK, h)
    lo = p
    top = end
    while lo < top:
        mid = (lo + top) // 2
        if doc_ids[mid] < target:
            lo = mid + 1
        else:
            top = mid
    cur[i] = lo


@njit(cache=True, nogil=True)
def _shallow(doc_ids, cur, hi, i, target):
    """Move term ``i``'s cursor to the start of its first block whose last doc >= target
    (postings skipped all hold lower docs), or past its end when there is none."""
    p = cur[i]
    h = hi[i]
    if p >= h:
        return
    end = min((p // BLOCK + 1) * BLOCK, h)
    while end < h and doc_ids[end - 1] < target:
        p = end
        end = min(end + BLOCK, h)
    cur[i] = p if doc_ids[end - 1] >= target else h


@njit(cache=True, nogil=True)
def _worse(s1, r1, s2, r2):
    return s1 < s2 or (s1 == s2 and r1 > r2)


@njit(cache=True, nogil=True)
def _sift_down(hs, hr, n, at):
    while True:
        left = 2 * at + 1
        if left >= n:
            return
        child = left
        right = left + 1
        if right < n and _worse(hs[right], hr[right], hs[left], hr[left]):
            child = right
        if _worse(hs[child], hr[child], hs[at], hr[at]):
            hs[at], hs[child] = hs[child], hs[at]
            hr[at], hr[child] = hr[child], hr[at]
            at = child
        else:
            return


@njit(cache=True, nogil=True)
def _sift_up(hs, hr, at):
    while at > 0:
        parent = (at - 1) // 2
        if _worse(hs[at], hr[at], hs[parent], hr[parent]):
            hs[at], hs[parent] = hs[parent], hs[at]
            hr[at], hr[parent] = hr[parent], hr[at]
            at = parent
        else:
            return


@njit(cache=True, nogil=True)
def top_k_segment(
    doc_ids,
    tfs,
    norm,
    max_tf,
    min_len,
    lo,
    hi,
    weights,
    rows,
    base,
    allowed,
    k,
    k1,
    b,
    avgdl,
    constant,
    theta0,
):
    """The ``k`` best rows of one segment scoring above ``theta0``, best first, and their
    scores (constant included).

    ``lo``/``hi``: each query term's postings in this segment (``lo == hi`` for none), in
    the query's order; ``weights``: times * idf per term. ``rows``: local doc -> row (-1
    deleted), or empty for ``base + doc``. ``allowed``: a mask over rows, or empty.
    """
    m = len(lo)
    cur = lo.copy()
    ub = np.zeros(m)
    for i in range(m):
        if cur[i] < hi[i]:
            best = 0.0
            for j in range(cur[i] // BLOCK, (hi[i] - 1) // BLOCK + 1):
                v = _block_bound(j, weights[i], max_tf, min_len, k1, b, avgdl)
                if v > best:
                    best = v
            ub[i] = best
    order = np.argsort(ub)  # weakest first
    prefix = np.zeros(m + 1)
    for r in range(m):
        prefix[r + 1] = prefix[r] + ub[order[r]]
    tf_at = np.zeros(m, dtype=np.int64)
    hs = np.empty(k)
    hr = np.empty(k, dtype=np.int64)
    n = 0
    theta = theta0
    essential = 0  # terms order[:essential] are non-essential
    while essential < m and (prefix[essential + 1] + constant) * (1 + SLACK) <= theta:
        essential += 1
    check_rows = len(rows) > 0
    check_allowed = len(allowed) > 0
    while essential < m:
        d = _END
        for r in range(essential, m):
            i = order[r]
            if cur[i] < hi[i] and doc_ids[cur[i]] < d:
                d = doc_ids[cur[i]]
        if d == _END:
            break
        row = rows[d] if check_rows else base + d
        if row < 0 or (check_allowed and not allowed[row]):
            for r in range(essential, m):
                i = order[r]
                if cur[i] < hi[i] and doc_ids[cur[i]] == d:
                    cur[i] += 1
            continue
        # Block bounds at d: when they cannot win, skip to the nearest block end.
        bound = 0.0
        upto = _END
        for r in range(essential, m):
            i = order[r]
            if cur[i] < hi[i]:
                x = doc_ids[cur[i]]
                if x == d:
                    j = cur[i] // BLOCK
                    bound += _block_bound(j, weights[i], max_tf, min_len, k1, b, avgdl)
                    last = doc_ids[min((j + 1) * BLOCK, hi[i]) - 1]
                    upto = min(upto, last + 1)
                else:
                    upto = min(upto, x)
        for r in range(essential):
            i = order[r]
            _shallow(doc_ids, cur, hi, i, d)
            if cur[i] < hi[i]:
                j = cur[i] // BLOCK
                bound += _block_bound(j, weights[i], max_tf, min_len, k1, b, avgdl)
                last = doc_ids[min((j + 1) * BLOCK, hi[i]) - 1]
                upto = min(upto, last + 1)
        if (bound + constant) * (1 + SLACK) <= theta:
            for r in range(essential, m):
                _seek(doc_ids, cur, hi, order[r], upto)
            continue
        # Score d: essential terms first, then the others while d can still win.
        nd = norm[d]
        partial = 0.0
        for r in range(essential, m):
            i = order[r]
            if cur[i] < hi[i] and doc_ids[cur[i]] == d:
                tf = tfs[cur[i]]
                tf_at[i] = tf
                partial += weights[i] * (tf * (k1 + 1) / (nd + tf))
                cur[i] += 1
        alive = True
        for r in range(essential - 1, -1, -1):
            if (partial + prefix[r + 1] + constant) * (1 + SLACK) <= theta:
                alive = False
                break
            i = order[r]
            _seek(doc_ids, cur, hi, i, d)
            if cur[i] < hi[i] and doc_ids[cur[i]] == d:
                tf = tfs[cur[i]]
                tf_at[i] = tf
                partial += weights[i] * (tf * (k1 + 1) / (nd + tf))
        if alive:
            score = 0.0
            for i in range(m):  # the query's order: the numpy path's floats
                if tf_at[i] > 0:
                    tf = np.float64(tf_at[i])
                    score += weights[i] * (tf * (k1 + 1) / (nd + tf))
            score = score + constant
            if score > theta:
                if n < k:
                    hs[n] = score
                    hr[n] = row
                    _sift_up(hs, hr, n)
                    n += 1
                elif _worse(hs[0], hr[0], score, row):
                    hs[0] = score
                    hr[0] = row
                    _sift_down(hs, hr, n, 0)
                if n == k and hs[0] > theta:
                    theta = hs[0]
                    while (
                        essential < m and (prefix[essential + 1] + constant) * (1 + SLACK) <= theta
                    ):
                        essential += 1
        for i in range(m):
            tf_at[i] = 0
    out_rows = np.empty(n, dtype=np.int64)
    out_scores = np.empty(n)
    for at in range(n - 1, -1, -1):  # pop the worst into the last free place
        out_rows[at] = hr[0]
        out_scores[at] = hs[0]
        hs[0] = hs[at]
        hr[0] = hr[at]
        _sift_down(hs, hr, at, 0)
    return out_rows, out_scores


@njit(cache=True, nogil=True)
def count_segment(doc_ids, lo, hi, rows, base, allowed):
    """Live (and allowed) rows of one segment holding at least one of the terms."""
    m = len(lo)
    cur = lo.copy()
    check_rows = len(rows) > 0
    check_allowed = len(allowed) > 0
    total = 0
    while True:
        d = _END
        for i in range(m):
            if cur[i] < hi[i] and doc_ids[cur[i]] < d:
                d = doc_ids[cur[i]]
        if d == _END:
            return total
        for i in range(m):
            if cur[i] < hi[i] and doc_ids[cur[i]] == d:
                cur[i] += 1
        row = rows[d] if check_rows else base + d
        if row >= 0 and (not check_allowed or allowed[row]):
            total += 1
