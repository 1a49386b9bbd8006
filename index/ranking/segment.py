"""One segment's postings and its deleted documents: the immutable blocks a
``SegmentedIndex`` ranks over (``segfile`` stores a segment, the index file its
deletions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

from articlebot.index.ranking.blockmax import BLOCK, block_impacts, reference_avgdl
from articlebot.index.ranking.bm25 import BM25Index, postings_arrays
from articlebot.index.ranking.columns import sorted_order
from articlebot.index.ranking.terms import PackedTerms
from articlebot.index.text.analysis import has_hyphen, has_segmented

_EMPTY_IDS = np.zeros(0, dtype=np.int32)


class Chunked(Protocol):
    """An array read chunk by chunk, never whole: a new segment's positions, kept in a
    temporary file while a reindex gathers them (``storage.spill``)."""

    dtype: np.dtype
    size: int

    def __iter__(self) -> Iterator[np.ndarray]: ...


Text = np.ndarray | tuple[np.ndarray, ...] | Chunked


@dataclass(frozen=True, eq=False)
class Segment:
    """Postings of a block of documents numbered from 0, as one segment file holds them."""

    name: str
    terms: Sequence[str]  # by id: a list, or the file's bytes (``PackedTerms``)
    vocab: Mapping[str, int]  # term -> id: a dict, or ``PackedTerms.ids``
    offsets: np.ndarray  # int64, len V+1
    doc_ids: np.ndarray  # int32, ascending within each term
    tfs: np.ndarray  # uint16
    doc_len: np.ndarray  # int32 tokens per document
    # Per block of postings (``blockmax``): stored in the file; computed when absent or
    # taken with other parameters. ``impact_params`` is (k1, b, reference avgdl).
    impact: np.ndarray | None = None  # float32
    impact_params: tuple[float, float, float] | None = None
    # Positions (``phrases``): each document's title, description and body as term ids, in
    # text order, back to back; ``text_offsets`` (int64, n_docs + 1) bounds each document.
    # None in a segment written before they were stored.
    # (a new segment's, before it is written, may be chunks: ``joined_text`` joins them)
    text_ids: Text | None = None  # int32
    text_offsets: np.ndarray | None = None  # int64
    # With positions, as stored: the ids of the terms that are hyphenated wholes and of
    # those that are pieces of a segmented script (``hyphenated``, ``segmented``). None
    # when not stored: they are then found from the terms on first use.
    hyphen_ids: np.ndarray | None = None  # int32
    segmented_ids: np.ndarray | None = None  # int32

    @property
    def n_docs(self) -> int:
        return len(self.doc_len)

    @property
    def postings(self) -> int:
        return len(self.doc_ids)

    @classmethod
    def of(
        cls,
        name: str,
        vocab: dict[str, int],
        offsets: np.ndarray,
        doc_ids: np.ndarray,
        tfs: np.ndarray,
        doc_len: np.ndarray,
        text_ids: Text | None = None,
        text_lens: np.ndarray | None = None,
    ) -> Segment:
        text_offsets = None
        if text_ids is not None and text_lens is not None:
            text_offsets = np.zeros(len(text_lens) + 1, dtype=np.int64)
            np.cumsum(text_lens, out=text_offsets[1:])
            if isinstance(text_ids, tuple):
                text_ids = tuple(np.asarray(c, dtype=np.int32) for c in text_ids)
                size = sum(len(c) for c in text_ids)
            elif isinstance(text_ids, np.ndarray):
                text_ids = np.asarray(text_ids, dtype=np.int32)
                size = len(text_ids)
            else:  # chunked: left where it is until written
                if text_ids.dtype != np.int32:
                    raise ValueError(f"segment {name} has positions that are not int32")
                size = text_ids.size
            if size != int(text_offsets[-1]):
                raise ValueError(f"segment {name} has positions of mismatched lengths")
        return cls(
            name,
            list(vocab),
            vocab,
            np.asarray(offsets, dtype=np.int64),
            np.asarray(doc_ids, dtype=np.int32),
            np.asarray(tfs, dtype=np.uint16),
            np.asarray(doc_len, dtype=np.int32),
            text_ids=text_ids if text_offsets is not None else None,
            text_offsets=text_offsets,
        )

    @property
    def has_positions(self) -> bool:
        return self.text_ids is not None and self.text_offsets is not None

    def joined_text(self) -> np.ndarray:
        """The positions' term ids as one array (``has_positions`` must hold)."""
        text = self.text_ids
        assert text is not None
        if isinstance(text, np.ndarray):
            return text
        chunks = tuple(text)
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)

    @cached_property
    def hyphenated(self) -> np.ndarray:
        """Per term: whether it is a hyphenated word whole (its parts follow it in the
        positions). Stored in the file; found from the terms when absent."""
        return self._flags(self.hyphen_ids, has_hyphen)

    @cached_property
    def segmented(self) -> np.ndarray:
        """Per term: whether it is a piece of a segmented script's run (overlapping
        bigrams: the next but one piece still touches it). Stored in the file too."""
        return self._flags(self.segmented_ids, has_segmented)

    @cached_property
    def term_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Per term: the code points of its first and last characters (whether two
        pieces of a segmented script overlap); built when first needed."""
        n = len(self.terms)
        first = np.fromiter((ord(t[0]) if t else -1 for t in self.terms), np.int32, n)
        last = np.fromiter((ord(t[-1]) if t else -1 for t in self.terms), np.int32, n)
        return first, last

    def _flags(self, stored: np.ndarray | None, test: Callable[[str], bool]) -> np.ndarray:
        flags = np.zeros(len(self.terms), dtype=bool)
        if stored is not None:
            flags[stored] = True
        else:
            flags[:] = np.fromiter(map(test, self.terms), bool, len(self.terms))
        flags.flags.writeable = False
        return flags

    @classmethod
    def from_bm25(cls, name: str, bm25: BM25Index) -> Segment:
        return cls(name, bm25.terms, bm25.vocab, bm25.offsets, bm25.doc_ids, bm25.tfs, bm25.doc_len)

    def blocks(self, k1: float, b: float) -> tuple[np.ndarray, float]:
        """(impact per block of postings, the reference average length it was taken at)
        for these parameters; computed once (one pass over the postings) if not stored."""
        params = self.impact_params
        if self.impact is None or params is None or params[:2] != (k1, b):
            avgdl = reference_avgdl(self.doc_len)
            impact = block_impacts(self.doc_ids, self.tfs, self.doc_len, k1, b, avgdl)
            impact.flags.writeable = False
            self.set_impact(impact, params := (k1, b, avgdl))
        assert self.impact is not None
        return self.impact, params[2]

    def set_impact(self, impact: np.ndarray, params: tuple[float, float, float]) -> None:
        """Attach block impacts taken at ``params`` (k1, b, reference avgdl): derived
        data, the same for every reader, so setting it on a frozen segment is safe."""
        object.__setattr__(self, "impact", impact)
        object.__setattr__(self, "impact_params", params)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays of its file; block impacts too when they were computed."""
        arrays = postings_arrays(self.terms, self.offsets, self.doc_ids, self.tfs, self.doc_len)
        arrays["term_order"] = (
            self.terms.order if isinstance(self.terms, PackedTerms) else sorted_order(self.terms)
        )
        if self.impact is not None and self.impact_params is not None:
            arrays["impact"] = self.impact
            arrays["impact_params"] = np.array(self.impact_params, dtype=np.float64)
        if self.text_ids is not None and self.text_offsets is not None:
            arrays["text_ids"] = self.text_ids
            arrays["text_offsets"] = self.text_offsets
            arrays["hyphen_ids"] = np.flatnonzero(self.hyphenated).astype(np.int32)
            arrays["segmented_ids"] = np.flatnonzero(self.segmented).astype(np.int32)
        return arrays

    @classmethod
    def from_arrays(cls, name: str, arrays: Mapping[str, np.ndarray]) -> Segment:
        """A segment over the given arrays (memory-mapped ones stay mapped, no copies);
        raises ValueError when they do not fit together. Files written before block
        maxima were stored get them computed on first use."""
        offsets = np.asarray(arrays["offsets"], dtype=np.int64)
        n_terms = len(offsets) - 1
        order = arrays.get("term_order")
        try:
            terms = PackedTerms(
                np.asarray(arrays["terms"], dtype=np.uint8).tobytes(),
                n_terms,
                None if order is None else np.asarray(order, dtype=np.int32),
            )
        except ValueError as exc:
            raise ValueError(f"segment {name}: {exc}") from None
        doc_ids = np.asarray(arrays["doc_ids"], dtype=np.int32)
        tfs = np.asarray(arrays["tfs"], dtype=np.uint16)
        doc_len = np.asarray(arrays["doc_len"], dtype=np.int32)
        if len(doc_ids) != len(tfs) or (n_terms and int(offsets[-1]) != len(doc_ids)):
            raise ValueError(f"segment {name} has postings of mismatched lengths")
        impact, params = arrays.get("impact"), arrays.get("impact_params")
        if impact is None or params is None or len(impact) != -(-len(doc_ids) // BLOCK):
            impact, stored = None, None
        else:
            impact = np.asarray(impact, dtype=np.float32)
            k1, b, avgdl = (float(x) for x in params)
            stored = (k1, b, avgdl)
        text_ids, text_offsets = arrays.get("text_ids"), arrays.get("text_offsets")
        if text_ids is None or text_offsets is None:
            text_ids = text_offsets = None
        else:
            text_ids = np.asarray(text_ids, dtype=np.int32)
            text_offsets = np.asarray(text_offsets, dtype=np.int64)
            if len(text_offsets) != len(doc_len) + 1 or int(text_offsets[-1]) != len(text_ids):
                raise ValueError(f"segment {name} has positions of mismatched lengths")
        flag_ids: dict[str, np.ndarray] = {}
        for key in ("hyphen_ids", "segmented_ids"):
            ids = arrays.get(key)
            if text_ids is not None and ids is not None:
                ids = np.asarray(ids, dtype=np.int32)
                if len(ids) and (int(ids.max()) >= n_terms or int(ids.min()) < 0):
                    raise ValueError(f"segment {name} has {key} of terms it does not hold")
                flag_ids[key] = ids
        return cls(name, terms, terms.ids, offsets, doc_ids, tfs, doc_len,
                   impact, stored, text_ids, text_offsets, **flag_ids)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Deletions:
    """Deleted documents of one segment, and how many of them hold each term."""

    docs: np.ndarray = field(default_factory=lambda: _EMPTY_IDS)  # int32 ascending, local
    term_docs: Mapping[str, int] = field(default_factory=dict)
    # ``alive``'s mask, by the segment's document count (one segment: one entry).
    _alive: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __len__(self) -> int:
        return len(self.docs)

    def alive(self, n_docs: int) -> np.ndarray | None:
        """True for the live local docs of the segment of ``n_docs`` these delete from;
        None when none is deleted. Made once and read-only: the ranking view, the catalog's
        assembly, a reindex's look-ups and merges all share it. ValueError when a deleted
        doc is not in the segment."""
        if not len(self.docs):
            return None
        mask = self._alive.get(n_docs)
        if mask is None:
            if int(self.docs[0]) < 0 or int(self.docs[-1]) >= n_docs:
                raise ValueError(f"deletions of documents a segment of {n_docs} does not hold")
            mask = np.ones(n_docs, dtype=bool)
            mask[self.docs] = False
            mask.flags.writeable = False
            self._alive[n_docs] = mask
        return mask

    def add(self, docs: np.ndarray, term_docs: Mapping[str, int]) -> Deletions:
        """These plus ``docs`` (none deleted before) holding terms ``term_docs``."""
        if not len(docs):
            return self
        merged = Counter(self.term_docs)
        merged.update(term_docs)
        all_docs = np.union1d(self.docs, np.asarray(docs, dtype=np.int32)).astype(np.int32)
        return Deletions(all_docs, dict(merged))

    def to_blobs(self) -> dict[str, bytes]:
        return {
            "docs": self.docs.astype(np.int32).tobytes(),
            "terms": "\n".join(self.term_docs).encode(),
            "counts": np.fromiter(self.term_docs.values(), np.int64, len(self.term_docs)).tobytes(),
        }

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes]) -> Deletions:
        docs = np.frombuffer(blobs.get("docs", b""), dtype=np.int32)
        raw = blobs.get("terms", b"").decode()
        counts = np.frombuffer(blobs.get("counts", b""), dtype=np.int64).tolist()
        terms = raw.split("\n") if raw or counts else []
        return cls(docs, dict(zip(terms, counts, strict=True)))


NO_DELETIONS = Deletions()
