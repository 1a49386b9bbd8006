"""The compiled top-k over one segment (numba): every posting read, or block-max MaxScore.

Imported only through ``fastpath`` (importing numba costs ~0.4 s, so never on the way to
a first answer). The numpy path in ``segments`` ranks the same rows with the same floats.

- ``top_k_dense`` adds every posting of the query's terms into an accumulator, term after
  term, and offers each touched row to a heap of the k best: fastest when the postings
  are few for the segment's size (``segments.DENSE_SHARE``).
- ``top_k_segment`` reads only the postings that can still reach the top k. Terms are
  ordered by their bound (their largest block impact, ``blockmax``); those whose bounds
  together cannot beat the k-th score are non-essential. Windows of documents run from
  the lowest essential cursor to the nearest essential block end: a window whose block
  bounds cannot beat the k-th score is skipped; in the others, the terms that could lift
  a row are added term by term, and the rest are looked up (block skip, binary search)
  only for the rows that still can make it.
- One heap runs through the segments, oldest first: a later segment prunes against the
  k-th score so far. ``ranked`` reads it out; ``count_segment`` counts every match.

Bounds are compared with a relative margin (``SLACK``) so that rounding can never drop a
row that belongs in the top k. A row is scored exactly as the numpy path scores it (terms
added in the query's order, then the BM25Plus constant), so scores are equal to the bit,
and ties go to the lower row (the heap compares rows; the pruned kernel visits rows in
ascending order, so a row tied with the k-th score never enters).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Compiled with the ranking functions into one extension (``kernel_aot``): a reindex
# worker's numbering of words, and language detection's walk.
from articlebot.index.posts.langkernel import walk_features  # noqa: F401
from articlebot.index.ranking.blockmax import BLOCK, MIN_WINDOW, WINDOW
from articlebot.index.text.wordkernel import number_words, place_words  # noqa: F401

SLACK = 1e-9
_END = np.iinfo(np.int64).max


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
def _tf_between(doc_ids, tfs, lo, hi, d):
    """The tf of doc ``d`` among postings ``[lo, hi)`` (ascending docs), else 0."""
    end = hi
    while lo < hi:
        mid = (lo + hi) // 2
        if doc_ids[mid] < d:
            lo = mid + 1
        else:
            hi = mid
    return np.int64(tfs[lo]) if lo < end and doc_ids[lo] == d else np.int64(0)


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
def _contribution(weight, tf, norm, k1):
    """One term's part of a score: the numpy path's expression, so the floats agree."""
    return weight * (tf * (k1 + 1) / (norm + tf))


@njit(cache=True, nogil=True)
def _essential(prefix, constant, theta):
    """How many of the weakest terms cannot lift a row past ``theta`` together."""
    e = 0
    while e < len(prefix) - 1 and (prefix[e + 1] + constant) * (1 + SLACK) <= theta:
        e += 1
    return e


@njit(cache=True, nogil=True)
def top_k_segment(
    doc_ids,
    tfs,
    norm,
    impact,
    scale,
    lo,
    hi,
    weights,
    rows,
    base,
    allowed,
    k1,
    constant,
    hs,
    hr,
    n,
    acc,
    touched,
):
    """Offer one segment's best rows to the heap of the k best so far (``hs`` scores with
    the constant, ``hr`` rows, ``n`` of them, worst first; rows of earlier segments, all
    lower); returns the new ``n``. ``ranked`` reads the heap out.

    ``lo``/``hi``: each query term's postings in this segment (``lo == hi`` for none), in
    the query's order; ``weights``: times * idf per term. ``rows``: local doc -> row (-1
    deleted), or empty for ``base + doc``. ``allowed``: a mask over rows, or empty.
    ``impact``: per block (``blockmax``), times ``scale`` it bounds a term's contribution
    divided by its weight. ``acc`` (float64) and ``touched`` (int64): scratch of at least
    ``WINDOW`` entries, ``acc`` zero on entry and left zero.

    Windows of documents, each at most one block of every essential term: a window whose
    block bounds cannot beat the k-th score is skipped; else the terms that can are added
    term by term into an accumulator (in the query's order), and the other terms are
    looked up only for the rows that could still make it.
    """
    m = len(lo)
    cur = lo.copy()
    # Every block bound of every term, once (a block is 128 postings).
    first_block = np.empty(m, dtype=np.int64)
    block_at = np.zeros(m + 1, dtype=np.int64)
    for i in range(m):
        first_block[i] = lo[i] // BLOCK
        count = (hi[i] - 1) // BLOCK + 1 - first_block[i] if hi[i] > lo[i] else 0
        block_at[i + 1] = block_at[i] + count
    bounds = np.empty(block_at[m])
    ub = np.zeros(m)
    for i in range(m):
        for at in range(block_at[i], block_at[i + 1]):
            j = first_block[i] + at - block_at[i]
            v = weights[i] * (impact[j] * scale)
            bounds[at] = v
            if v > ub[i]:
                ub[i] = v
    order = np.argsort(ub)  # weakest first
    prefix = np.zeros(m + 1)
    for r in range(m):
        prefix[r + 1] = prefix[r] + ub[order[r]]
    window_at = np.zeros(m, dtype=np.int64)  # an added term's cursor at the window start
    found_tf = np.zeros(m, dtype=np.int64)  # a looked-up term's tf at the candidate
    ubw = np.zeros(m)
    wo = np.empty(m, dtype=np.int64)
    inside = np.zeros(m, dtype=np.bool_)  # accumulated in this window
    k = len(hs)
    theta = hs[0] if n == k else -np.inf  # a row tied with it is higher: it would lose
    essential = _essential(prefix, constant, theta)
    check_rows = len(rows) > 0
    check_allowed = len(allowed) > 0
    while essential < m:
        # The window: from the lowest essential doc to the nearest essential block end.
        start = _END
        for r in range(essential, m):
            i = order[r]
            if cur[i] < hi[i] and doc_ids[cur[i]] < start:
                start = doc_ids[cur[i]]
        if start == _END:
            break
        end = start + WINDOW
        for r in range(essential, m):
            i = order[r]
            if cur[i] < hi[i]:
                last = doc_ids[min((cur[i] // BLOCK + 1) * BLOCK, hi[i]) - 1]
                end = min(end, last + 1)
        end = max(end, min(start + MIN_WINDOW, _END))
        # Each term's bound in the window: the largest of its blocks overlapping it.
        total = 0.0
        for i in range(m):
            ubw[i] = 0.0
            _seek(doc_ids, cur, hi, i, start)  # a block without postings here bounds 0
            p = cur[i]
            while p < hi[i] and doc_ids[p] < end:
                j = p // BLOCK
                v = bounds[block_at[i] + j - first_block[i]]
                if v > ubw[i]:
                    ubw[i] = v
                p = min((j + 1) * BLOCK, hi[i])
            total += ubw[i]
        if (total + constant) * (1 + SLACK) <= theta:
            for r in range(essential, m):
                _seek(doc_ids, cur, hi, order[r], end)
            continue
        # Terms that cannot lift a row alone in this window are looked up, not added.
        for r in range(m):  # by window bound, weakest first (insertion: m is small)
            wo[r] = r
            at = r
            while at > 0 and ubw[wo[at - 1]] > ubw[wo[at]]:
                wo[at - 1], wo[at] = wo[at], wo[at - 1]
                at -= 1
        rest = 0.0
        for r in range(m):
            i = wo[r]
            inside[i] = (rest + ubw[i] + constant) * (1 + SLACK) > theta
            if not inside[i]:
                rest += ubw[i]
        nt = 0
        added = 0
        for i in range(m):
            if not inside[i]:
                continue
            added += 1
            w = weights[i]
            _seek(doc_ids, cur, hi, i, start)
            p = cur[i]
            window_at[i] = p
            h = hi[i]
            while p < h and doc_ids[p] < end:
                d = doc_ids[p]
                slot = d - start
                if acc[slot] == 0.0:  # a contribution is never 0: idf, tf > 0
                    touched[nt] = slot
                    nt += 1
                acc[slot] += _contribution(w, np.float64(tfs[p]), norm[d], k1)
                p += 1
            cur[i] = p
        if added > 1 and rest > 0.0:  # the looked-up terms are read in doc order
            if nt * 16 < end - start:
                touched[:nt].sort()
            else:
                nt = 0
                for slot in range(end - start):
                    if acc[slot] != 0.0:
                        touched[nt] = slot
                        nt += 1
        for t in range(nt):
            slot = touched[t]
            d = start + slot
            partial = acc[slot]
            if (partial + rest + constant) * (1 + SLACK) <= theta:
                continue
            row = rows[d] if check_rows else base + d
            if row < 0 or (check_allowed and not allowed[row]):
                continue
            nd = norm[d]
            pruned = False
            reordered = False  # a looked-up term was added out of the query's order
            left = rest
            for r in range(m - 1, -1, -1):
                i = wo[r]
                if inside[i]:
                    continue
                if (partial + left + constant) * (1 + SLACK) <= theta:
                    pruned = True
                    break
                left -= ubw[i]
                _seek(doc_ids, cur, hi, i, d)
                if cur[i] < hi[i] and doc_ids[cur[i]] == d:
                    tf = tfs[cur[i]]
                    found_tf[i] = tf
                    partial += _contribution(weights[i], np.float64(tf), nd, k1)
                    reordered = True
            if pruned:
                for i in range(m):
                    found_tf[i] = 0
                continue
            if not reordered:
                score = acc[slot]
            else:
                score = 0.0
                for i in range(m):  # the query's order: the numpy path's floats
                    tf = found_tf[i]
                    found_tf[i] = 0
                    if inside[i]:  # its tf at d, if any, among the window's postings
                        tf = _tf_between(doc_ids, tfs, window_at[i], cur[i], d)
                    if tf > 0:
                        score += _contribution(weights[i], np.float64(tf), nd, k1)
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
        for t in range(nt):
            acc[touched[t]] = 0.0
        for r in range(essential, m):  # the window is done for every essential term
            _seek(doc_ids, cur, hi, order[r], end)
        essential = _essential(prefix, constant, theta)
    return n


@njit(cache=True, nogil=True)
def top_k_dense(
    doc_ids, tfs, norm, lo, hi, weights, rows, base, allowed, k1, constant, hs, hr, n, acc
):
    """``top_k_segment`` by reading every posting: the terms are added into ``acc`` (one
    float per document of the segment, zero on entry and left zero), term after term in
    the query's order, then each touched row is offered to the heap once. Faster than
    pruning when the postings are few or no term is weak enough to leave out."""
    m = len(lo)
    for i in range(m):
        w = weights[i]
        for p in range(lo[i], hi[i]):
            d = doc_ids[p]
            acc[d] += _contribution(w, np.float64(tfs[p]), norm[d], k1)
    k = len(hs)
    check_rows = len(rows) > 0
    check_allowed = len(allowed) > 0
    for i in range(m):
        for p in range(lo[i], hi[i]):
            d = doc_ids[p]
            partial = acc[d]
            if partial == 0.0:  # offered already (a contribution is never 0)
                continue
            acc[d] = 0.0
            score = partial + constant
            if n == k and score < hs[0]:
                continue
            row = rows[d] if check_rows else base + d
            if row < 0 or (check_allowed and not allowed[row]):
                continue
            if n < k:
                hs[n] = score
                hr[n] = row
                _sift_up(hs, hr, n)
                n += 1
            elif _worse(hs[0], hr[0], score, row):
                hs[0] = score
                hr[0] = row
                _sift_down(hs, hr, n, 0)
    return n


@njit(cache=True, nogil=True)
def ranked(hs, hr, n):
    """The heap's rows (int32) and scores, best first (the heap is used up)."""
    out_rows = np.empty(n, dtype=np.int32)
    out_scores = np.empty(n)
    for at in range(n - 1, -1, -1):  # pop the worst into the last free place
        out_rows[at] = hr[0]
        out_scores[at] = hs[0]
        hs[0] = hs[at]
        hr[0] = hr[at]
        _sift_down(hs, hr, at, 0)
    return out_rows, out_scores


@njit(cache=True, nogil=True)
def count_segment(doc_ids, lo, hi, rows, base, allowed, seen):
    """Live (and allowed) rows of one segment holding at least one of the terms.

    ``seen``: a flag per document of the segment, all False on entry and left False (two
    passes over the postings: cheaper than merging the terms' lists by document)."""
    m = len(lo)
    check_rows = len(rows) > 0
    check_allowed = len(allowed) > 0
    total = 0
    for i in range(m):
        for p in range(lo[i], hi[i]):
            d = doc_ids[p]
            if not seen[d]:
                seen[d] = True
                row = rows[d] if check_rows else base + d
                if row >= 0 and (not check_allowed or allowed[row]):
                    total += 1
    for i in range(m):
        for p in range(lo[i], hi[i]):
            seen[doc_ids[p]] = False
    return total
