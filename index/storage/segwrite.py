"""The next generation's segments: the rows that left become deletions, the documents a
reindex read become one new segment (postings and catalog piece in one file), and the
size-tiered policy merges the newest ones. Files are written here, before the commit that
makes them part of the index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from articlebot.index.errors import StoreError
from articlebot.index.ranking.blockmax import (
    block_count,
    doc_norms,
    fold_impacts,
    reference_avgdl,
)
from articlebot.index.ranking.pieces import CatalogPiece, merged_piece
from articlebot.index.ranking.segment import Segment
from articlebot.index.storage import segfile
from articlebot.index.storage.blobs import SegmentRef, Stored
from articlebot.index.storage.compaction import merge, merge_from
from articlebot.index.storage.merge import TermStream


def next_index(
    stored: Stored,
    gone: Sequence[tuple[int, int, str]],
    gone_terms: Mapping[str, set[str]],
    gone_words: Mapping[str, Counter[str]],
    stream: TermStream,
    piece: CatalogPiece | None,
    generation: int,
    db_path: Path,
    k1: float,
    b: float,
) -> Stored:
    """``stored`` without the documents ``gone`` ((segment, local doc, article id), whose
    distinct terms are ``gone_terms`` and surface words ``gone_words``) and with the
    documents of ``stream`` (catalog rows ``piece``) after them; every segment file this
    creates is on disk when it returns. Only merged segments have their postings read."""
    refs = list(stored.refs)
    by_segment: dict[int, list[tuple[int, str]]] = {}
    for i, doc, article_id in gone:
        by_segment.setdefault(i, []).append((doc, article_id))
    for i, docs in by_segment.items():
        terms: Counter[str] = Counter()
        words = Counter(refs[i].dropped)
        for _, article_id in docs:
            terms.update(gone_terms.get(article_id, ()))
            words.update(gone_words.get(article_id, {}))
        local = np.array(sorted(doc for doc, _ in docs), dtype=np.int32)
        refs[i] = replace(refs[i], deletions=refs[i].deletions.add(local, terms), dropped=words)
    fresh: set[str] = set()
    lens = stream.postings.lens()
    if len(lens):
        if piece is None or piece.n_docs != len(lens):
            raise AssertionError("the new segment's catalog rows do not match its documents")
        # Its postings are built below: streamed into its file, or merged with others.
        refs.append(SegmentRef(segfile.new_name(generation), {}, piece))
    # A segment whose every document was deleted simply leaves.
    refs = [ref for ref in refs if ref.live > 0]
    start = merge_from([ref.live for ref in refs], [len(ref.deletions) for ref in refs])
    if len(lens):
        new = len(refs) - 1  # the new segment is the last, and it has live documents
        if start is None and stream.postings.spilled:
            # Alone and large: written a run of terms at a time, never whole in memory.
            path = _write_streamed(db_path, refs[new].name, stream, lens, piece, k1, b)
            refs[new] = replace(refs[new], arrays=segfile.read(path))
        else:
            refs[new] = replace(refs[new], postings=_built(refs[new].name, stream, lens))
            fresh.add(refs[new].name)
    if start is not None:
        tail = refs[start:]
        merged = merge([r.segment() for r in tail], [r.deletions for r in tail],
                       segfile.new_name(generation))  # fmt: skip
        rows = merged_piece([r.piece for r in tail], [r.deletions for r in tail],
                            [r.dropped for r in tail])  # fmt: skip
        fresh.difference_update(r.name for r in tail)
        refs[start:] = [SegmentRef(merged.name, {}, rows, postings=merged)]
        fresh.add(merged.name)
    for ref in refs:
        if ref.name not in fresh:
            continue
        seg = ref.segment()
        seg.blocks(k1, b)  # block impacts go into the file
        arrays = {**seg.to_arrays(), **ref.piece.to_arrays()}  # postings, then catalog rows
        try:
            segfile.write(db_path, ref.name, arrays)
        except OSError as exc:
            raise _write_error(db_path, exc) from None
    return Stored(tuple(refs))


def _built(name: str, stream: TermStream, lens: np.ndarray) -> Segment:
    """The new segment's postings and positions, whole in memory."""
    vocab = stream.vocab()
    offsets, doc_ids, tfs = stream.postings.merged(len(vocab))
    text_ids, text_lens = stream.positions()
    if len(text_lens) != len(lens):
        raise AssertionError("the new segment's positions do not match its documents")
    return Segment.of(name, vocab, offsets, doc_ids, tfs, lens, text_ids, text_lens)


STREAM_POSTINGS = 1 << 22  # postings per run of terms (~24 MB of doc ids and tfs)
_NO_DOCS, _NO_TFS = np.zeros(0, np.int32), np.zeros(0, np.uint16)


def _write_streamed(
    db_path: Path,
    name: str,
    stream: TermStream,
    lens: np.ndarray,
    piece: CatalogPiece,
    k1: float,
    b: float,
) -> Path:
    """Write the new segment's file as ``_built(...)`` is written, with its postings
    placed a run of terms at a time (block impacts folded in as they go) and its
    positions copied from where they wait: a full build never holds either whole.

    The arrays and their order are ``Segment.to_arrays``'s, taken from the segment
    without its postings, so the file is the one the whole build writes, byte for byte.
    """
    vocab = stream.vocab()
    offsets = stream.postings.offsets(len(vocab))
    text_ids, text_lens = stream.positions()
    if len(text_lens) != len(lens):
        raise AssertionError("the new segment's positions do not match its documents")
    shell = Segment.of(name, vocab, offsets, _NO_DOCS, _NO_TFS, lens, text_ids, text_lens)
    n = int(offsets[-1])
    avgdl = reference_avgdl(lens)
    impact = np.zeros(block_count(n), dtype=np.float32)  # filled run by run, written last
    shell.set_impact(impact, (k1, b, avgdl))
    arrays = {**shell.to_arrays(), **piece.to_arrays()}
    streamed = {"doc_ids": (np.dtype(np.int32), n), "tfs": (np.dtype(np.uint16), n)}
    layout = {key: streamed.get(key) or segfile.shape(key, a) for key, a in arrays.items()}
    norm = doc_norms(lens, k1, b, avgdl)
    try:
        with segfile.Writer(db_path, name, layout) as out:
            for first, doc_ids, tfs in stream.postings.merged_ranges(offsets, STREAM_POSTINGS):
                out.put("doc_ids", first, doc_ids)
                out.put("tfs", first, tfs)
                fold_impacts(impact, first, doc_ids, tfs, norm)
                del doc_ids, tfs
            for key, array in arrays.items():
                if key not in streamed:
                    out.put_whole(key, array)
    except OSError as exc:
        raise _write_error(db_path, exc) from None
    return segfile.segment_path(db_path, name)


def _write_error(db_path: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"Cannot write a segment file beside the index file {db_path} "
        f"({exc.strerror or exc}); the previous index is kept."
    )
