"""Which segments to merge after a reindex (a size-tiered policy), and the merge itself.

A one-file reindex adds a one-document segment. Left alone, segments would pile up and
every query would visit each; merged eagerly, every reindex would rewrite a growing tail.
Size tiers bound both: segments below ``FLOOR_DOCS`` live documents form tier 0, each
``FACTOR`` times larger one tier up, and whenever the newest ``FACTOR`` segments share a
tier they become one segment of the next tier. A document is thus rewritten about once
per tier (log_FACTOR of the index size), and at most ``FACTOR - 1`` segments wait in each
tier. A segment that has lost over ``MAX_DELETED`` of its documents is merged too (with
everything newer), so deleted postings do not slow queries for long.

Only the newest segments merge, as one run: the live documents keep their order, which is
the catalog's row order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from articlebot.index.ranking.segment import Deletions, Segment

FACTOR = 4
FLOOR_DOCS = 1000
MAX_DELETED = 0.1  # the size target: dead postings at most ~10% of a segment


def tier(live_docs: int) -> int:
    if live_docs < FLOOR_DOCS:
        return 0
    return 1 + int(math.log(live_docs / FLOOR_DOCS, FACTOR))


def merge_from(live: Sequence[int], deleted: Sequence[int]) -> int | None:
    """Index ``j`` such that segments ``[j:]`` (oldest first) are merged into one, or None.

    ``live`` and ``deleted`` count each segment's documents.
    """
    sizes = list(live)
    start = len(sizes)
    while len(sizes) >= FACTOR and len({tier(s) for s in sizes[-FACTOR:]}) == 1:
        sizes[-FACTOR:] = [sum(sizes[-FACTOR:])]  # may now complete the tier above
        start = len(sizes) - 1  # the segments before it are untouched
    for i, (alive, gone) in enumerate(zip(live, deleted, strict=True)):
        if gone > MAX_DELETED * (alive + gone):
            start = min(start, i)
            break
    return start if start < len(live) else None


def merge(segments: Sequence[Segment], deletions: Sequence[Deletions], name: str) -> Segment:
    """One segment of the live documents of ``segments``, in order, without deletions.

    A counting sort straight into the result (each segment's postings are already grouped
    by term and ascending by document): no argsort of the merged postings.
    """
    ids_of: dict[str, int] = {}
    number = ids_of.setdefault
    tables = [
        np.fromiter((number(t, len(ids_of)) for t in seg.terms), np.int64, len(seg.terms))
        for seg in segments
    ]
    # per segment, its live documents (None when it has no deletions)
    alive = [d.alive(seg.n_docs) for seg, d in zip(segments, deletions, strict=True)]
    counts = np.zeros(len(ids_of), dtype=np.int64)
    pieces = []
    lens: list[np.ndarray] = []
    base = 0
    for seg, keep, table in zip(segments, alive, tables, strict=True):
        term_of = np.repeat(np.arange(len(seg.terms), dtype=np.int32), np.diff(seg.offsets))
        docs, tfs = seg.doc_ids, seg.tfs
        if keep is not None:
            renumber = (np.cumsum(keep, dtype=np.int64) - 1 + base).astype(np.int32)
            ok = keep[docs]
            term_of, docs, tfs = term_of[ok], renumber[docs[ok]], tfs[ok]
            lens.append(seg.doc_len[keep])
        else:
            docs = docs + np.int32(base)
            lens.append(seg.doc_len)
        base += len(lens[-1])
        local_counts = np.bincount(term_of, minlength=len(seg.terms))
        counts[table] += local_counts  # a segment's terms are distinct
        pieces.append((table, term_of, docs, tfs, local_counts))
    used = np.flatnonzero(counts)  # terms whose documents were all deleted are dropped
    compact = np.full(len(ids_of), -1, dtype=np.int64)
    compact[used] = np.arange(len(used))
    offsets = np.zeros(len(used) + 1, dtype=np.int64)
    np.cumsum(counts[used], out=offsets[1:])
    out_docs = np.empty(int(offsets[-1]), dtype=np.int32)
    out_tfs = np.empty(int(offsets[-1]), dtype=np.uint16)
    cursor = offsets[:-1].copy()
    while pieces:
        table, term_of, docs, tfs, local_counts = pieces.pop(0)
        target = compact[table]
        run_start = np.cumsum(local_counts) - local_counts
        at = cursor[target[term_of]] + (np.arange(len(term_of)) - run_start[term_of])
        out_docs[at] = docs
        out_tfs[at] = tfs
        has = local_counts > 0
        cursor[target[has]] += local_counts[has]
        del table, term_of, docs, tfs
    every = list(ids_of)
    terms = [every[i] for i in used.tolist()]
    doc_len = np.concatenate(lens) if lens else np.zeros(0, dtype=np.int32)
    text_ids, text_lens = _merged_positions(segments, alive, tables, compact)
    return Segment.of(name, {t: i for i, t in enumerate(terms)}, offsets, out_docs, out_tfs,
                      doc_len, text_ids, text_lens)  # fmt: skip


def _merged_positions(
    segments: Sequence[Segment],
    alive: Sequence[np.ndarray | None],
    tables: Sequence[np.ndarray],
    compact: np.ndarray,
) -> tuple[np.ndarray | tuple[np.ndarray, ...] | None, np.ndarray | None]:
    """The live documents' positions (``alive``: ``merge``'s masks) renumbered to the
    merged terms; (None, None) when a segment has none (written before positions were
    stored)."""
    if not all(seg.has_positions for seg in segments):
        return None, None
    ids: list[np.ndarray] = []
    lens: list[np.ndarray] = []
    for seg, keep, table in zip(segments, alive, tables, strict=True):
        assert seg.text_offsets is not None
        seg_lens = np.diff(seg.text_offsets).astype(np.int32)
        text = seg.joined_text()
        if keep is not None:
            text = text[np.repeat(keep, seg_lens)]
            seg_lens = seg_lens[keep]
        # a live document's terms are never dropped: each holds a posting of it
        ids.append(compact[table].astype(np.int32)[text])  # one int32 copy of the run
        lens.append(seg_lens)
    if not ids:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return tuple(ids), np.concatenate(lens)  # chunks: written back to back, never joined
