"""The next generation's segments: the rows that left become deletions, the documents a
reindex read become one new segment (postings and catalog piece in one file), and the
size-tiered policy merges the newest ones. Files are written here, before the commit that
makes them part of the index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from articlebot.index.errors import StoreError
from articlebot.index.ranking.pieces import CatalogPiece, merged_piece
from articlebot.index.ranking.segment import NO_DELETIONS, Segment
from articlebot.index.ranking.segments import SegmentedIndex
from articlebot.index.storage import segfile
from articlebot.index.storage.blobs import Stored
from articlebot.index.storage.compaction import merge, merge_from
from articlebot.index.storage.merge import TermStream


def next_index(
    stored: Stored,
    gone: Sequence[tuple[int, str]],
    gone_terms: Mapping[str, set[str]],
    gone_words: Mapping[str, Counter[str]],
    stream: TermStream,
    piece: CatalogPiece | None,
    generation: int,
    db_path: Path,
) -> Stored:
    """``stored`` without the rows ``gone`` ((row, article id), whose distinct terms are
    ``gone_terms`` and surface words ``gone_words``) and with the documents of ``stream``
    (catalog rows ``piece``) after them; every segment file this creates is on disk when
    it returns."""
    index = stored.index
    segments = list(index.segments)
    deletions = list(index.deletions)
    pieces = list(stored.pieces)
    dropped = [Counter(d) for d in stored.dropped]
    rows = np.array([row for row, _ in gone], dtype=np.int64)
    for i, local, where in index.locate(rows) if len(rows) else ():
        counts: Counter[str] = Counter()
        for w in where.tolist():
            counts.update(gone_terms.get(gone[w][1], ()))
            dropped[i].update(gone_words.get(gone[w][1], {}))
        deletions[i] = deletions[i].add(local, counts)
    fresh: dict[str, tuple[Segment, CatalogPiece]] = {}
    lens = stream.postings.lens()
    if len(lens):
        if piece is None or piece.n_docs != len(lens):
            raise AssertionError("the new segment's catalog rows do not match its documents")
        vocab = stream.vocab()
        offsets, doc_ids, tfs = stream.postings.merged(len(vocab))
        name = segfile.new_name(generation)
        segments.append(Segment.of(name, vocab, offsets, doc_ids, tfs, lens))
        fresh[name] = (segments[-1], piece)
        deletions.append(NO_DELETIONS)
        pieces.append(piece)
        dropped.append(Counter())
    # A segment whose every document was deleted simply leaves.
    kept = [i for i, seg in enumerate(segments) if seg.n_docs > len(deletions[i])]
    segments = [segments[i] for i in kept]
    deletions = [deletions[i] for i in kept]
    pieces = [pieces[i] for i in kept]
    dropped = [dropped[i] for i in kept]
    start = merge_from([s.n_docs - len(d) for s, d in zip(segments, deletions, strict=True)],
                       [len(d) for d in deletions])  # fmt: skip
    if start is not None:
        merged = merge(segments[start:], deletions[start:], segfile.new_name(generation))
        merged_rows = merged_piece(pieces[start:], [d.docs for d in deletions[start:]],
                                   dropped[start:])  # fmt: skip
        for seg in segments[start:]:
            fresh.pop(seg.name, None)
        fresh[merged.name] = (merged, merged_rows)
        segments[start:] = [merged]
        deletions[start:] = [NO_DELETIONS]
        pieces[start:] = [merged_rows]
        dropped[start:] = [Counter()]
    for name, (seg, rows_piece) in fresh.items():
        try:
            segfile.write(db_path, name, {**seg.to_arrays(), **rows_piece.to_arrays()})
        except OSError as exc:
            raise StoreError(
                f"Cannot write a segment file beside the index file {db_path} "
                f"({exc.strerror or exc}); the previous index is kept."
            ) from None
    new_index = SegmentedIndex(tuple(segments), tuple(deletions), index.k1, index.b, index.delta)
    return Stored(new_index, tuple(pieces), tuple(dropped))
