"""The next generation's segments: the rows that left become deletions, the documents a
reindex read become one new segment, and the size-tiered policy merges the newest ones.
Files are written here, before the commit that makes them part of the index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from articlebot.index.errors import StoreError
from articlebot.index.ranking.segment import NO_DELETIONS, Segment
from articlebot.index.ranking.segments import SegmentedIndex
from articlebot.index.storage import segfile
from articlebot.index.storage.compaction import merge, merge_from
from articlebot.index.storage.merge import TermStream


def next_index(
    index: SegmentedIndex,
    gone: Sequence[tuple[int, str]],
    gone_terms: Mapping[str, set[str]],
    stream: TermStream,
    generation: int,
    db_path: Path,
) -> SegmentedIndex:
    """``index`` without the rows ``gone`` ((row, article id), whose distinct terms are
    ``gone_terms``) and with the documents of ``stream`` after them; every segment file
    this creates is on disk when it returns."""
    segments = list(index.segments)
    deletions = list(index.deletions)
    rows = np.array([row for row, _ in gone], dtype=np.int64)
    for i, local, where in index.locate(rows) if len(rows) else ():
        counts: Counter[str] = Counter()
        for w in where.tolist():
            counts.update(gone_terms.get(gone[w][1], ()))
        deletions[i] = deletions[i].add(local, counts)
    fresh: list[Segment] = []
    lens = stream.postings.lens()
    if len(lens):
        vocab = stream.vocab()
        offsets, doc_ids, tfs = stream.postings.merged(len(vocab))
        name = segfile.new_name(generation)
        fresh.append(Segment.of(name, vocab, offsets, doc_ids, tfs, lens))
        segments.append(fresh[-1])
        deletions.append(NO_DELETIONS)
    # A segment whose every document was deleted simply leaves.
    kept = [i for i, seg in enumerate(segments) if seg.n_docs > len(deletions[i])]
    segments = [segments[i] for i in kept]
    deletions = [deletions[i] for i in kept]
    start = merge_from([s.n_docs - len(d) for s, d in zip(segments, deletions, strict=True)],
                       [len(d) for d in deletions])  # fmt: skip
    if start is not None:
        merged = merge(segments[start:], deletions[start:], segfile.new_name(generation))
        fresh = [seg for seg in fresh if seg not in segments[start:]] + [merged]
        segments[start:] = [merged]
        deletions[start:] = [NO_DELETIONS]
    for seg in fresh:
        seg.blocks(index.k1, index.b)  # block impacts go into the file
        try:
            segfile.write(db_path, seg.name, seg.to_arrays())
        except OSError as exc:
            raise StoreError(
                f"Cannot write a segment file beside the index file {db_path} "
                f"({exc.strerror or exc}); the previous index is kept."
            ) from None
    return SegmentedIndex(tuple(segments), tuple(deletions), index.k1, index.b, index.delta)
