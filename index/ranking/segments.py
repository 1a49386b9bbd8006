"""BM25Plus over several immutable segments with deleted documents: exactly the scores of
one index built from the live documents, so a reindex adds a small segment instead of
rewriting every posting.

Documents are numbered by *row*: the live documents of the segments, oldest segment
first, in order, which is the catalog's order (``Catalog.update`` keeps the rows it keeps
and appends the new ones; a reindex appends a segment). A segment's local doc numbers go
to rows through one int32 array per segment that has deletions (-1 for deleted).

Collection statistics are those of the live documents: N and the average length are
summed over them, and a term's document frequency is the segments' minus that of their
deleted documents (``Deletions.term_docs``, counted by the reindex from the deleted
articles' tokens). Scores therefore never drift between merges.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from types import ModuleType

import numpy as np

from articlebot.index.ranking import fastpath
from articlebot.index.ranking.bm25 import BM25Index, dense_sum
from articlebot.index.ranking.columns import distinct
from articlebot.index.ranking.segment import NO_DELETIONS, Deletions, Segment
from articlebot.index.ranking.topk import top_k

_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)
_NO_ROWS = np.zeros(0, dtype=np.int32)  # the compiled kernel's "no deletions"
_NO_MASK = np.zeros(0, dtype=bool)  # and "no filter"
# Below one posting per SPARSE documents, a query's postings are summed over its distinct
# rows, not through an array as long as the index (allocated and scanned per query).
SPARSE = 16
# Queries with fewer postings are scored whole: below this, pruning's extra passes cost
# more than the scoring they save (measured on the real corpus, bench/README.md).
PRUNE_POSTINGS = 20_000
# The compiled kernel reads every posting of a query below this many per document of the
# segment (pruning's windows and look-ups cost more than they save there), and prunes
# above (tuned by bench/kernel_check.py: the same share at 24k and 100k).
DENSE_SHARE = 0.2
# A phrase's candidates are searched in the segment's whole run of positions, not copied
# out, when they hold more than 1/WHOLE_RUN of it.
WHOLE_RUN = 3
TERM_CACHE = 4096  # terms whose spans and idf a generation keeps (cleared when full)


@dataclass(frozen=True, slots=True)
class PhraseSpec:
    """A quoted phrase as positions see it: ``terms`` consecutive in a document's text
    (title, description and body, stop words skipped), a hyphenated word written as its
    parts; ``wholes`` (index in ``terms``, term) asks that the hyphenated word itself
    stands right before the part at that index, so "train-chase" in a phrase is not met
    by "train chase" in a text, while "train chase" is met by "train-chase"."""

    terms: tuple[str, ...]
    wholes: tuple[tuple[int, str], ...] = ()


def phrase_in(seg: Segment, docs: np.ndarray, phrase: PhraseSpec) -> np.ndarray:
    """Per document of ``docs`` (local, of ``seg``, ascending): whether its positions hold
    ``phrase``.

    The first term is looked for in the documents' term ids (gathered back to back, or
    the segment's whole run when they are most of it) in one vectorised pass, and each
    next term right after each hit: a document costs a copy of its tokens, not a loop.
    """
    found = np.zeros(len(docs), dtype=bool)
    ids = [seg.vocab.get(t) for t in phrase.terms]
    wholes = [(j, seg.vocab.get(t)) for j, t in phrase.wholes if j < len(ids)]
    if not len(docs) or not ids or None in ids or any(w is None for _, w in wholes):
        return found
    assert seg.text_offsets is not None
    text = seg.joined_text()  # a served segment's is one memory-mapped array
    docs = np.asarray(docs, dtype=np.int64)
    starts = seg.text_offsets[docs]
    ends = seg.text_offsets[docs + 1]
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return found
    if total * WHOLE_RUN > len(text):  # most of the segment: no copy
        seq, lo, hi = text, starts, ends
    else:
        lo = np.cumsum(lens) - lens  # where each document starts in the gathered run
        seq = text[np.repeat(starts - lo, lens) + np.arange(total)]
        hi = lo + lens
    at = np.flatnonzero(seq == ids[0])
    doc = np.searchsorted(lo, at, side="right") - 1
    keep = (doc >= 0) & (at < hi[np.maximum(doc, 0)])
    at, doc = at[keep], doc[keep]
    where = [at]
    hyphenated = seg.hyphenated
    segmented = seg.segmented
    for term in ids[1:]:
        # the next token, past hyphenated word wholes (their parts follow them)
        last = where[-1]
        nxt = _next_token(seq, last + 1, hi[doc], hyphenated)
        # Pieces of a segmented script overlap ("東京大学": 東京, 京大, 大学): the piece
        # after next still touches this one, as the text check reads it.
        two = np.flatnonzero(segmented[seq[last]])
        if len(two):
            step = nxt[two] + 1
            ok = step < hi[doc[two]]
            a, mid, b = seq[last[two][ok]], seq[nxt[two][ok]], seq[step[ok]]
            first, final = seg.term_edges  # one run: "xy", "yz", "zw"
            ok[ok] = (
                segmented[mid] & segmented[b] & (final[a] == first[mid]) & (final[mid] == first[b])
            )
            two, step = two[ok], step[ok]
            nxt = np.concatenate([nxt, step])
            where = [np.concatenate([w, w[two]]) for w in where]
            doc = np.concatenate([doc, doc[two]])
        ok = nxt < hi[doc]
        ok[ok] = seq[nxt[ok]] == term
        where = [w[ok] for w in where] + [nxt[ok]]
        doc = doc[ok]
    for j, whole in wholes:  # the hyphenated word stands whole right before its parts
        before = where[j] - 1
        ok = before >= lo[doc]
        ok[ok] = seq[before[ok]] == whole
        where = [w[ok] for w in where]
        doc = doc[ok]
    found[doc] = True
    return found


def _next_token(
    seq: np.ndarray, nxt: np.ndarray, end: np.ndarray, hyphenated: np.ndarray
) -> np.ndarray:
    """From each of ``nxt``, the first token that is not a hyphenated word whole."""
    while len(nxt):
        inside = nxt < end
        skip = np.zeros(len(nxt), dtype=bool)
        skip[inside] = hyphenated[seq[nxt[inside]]]
        if not skip.any():
            break
        nxt = nxt + skip
    return nxt


@dataclass(frozen=True, eq=False)
class SegmentedIndex:
    """The ranking view of a committed generation: segments, their deletions, and the
    live collection's statistics. Answers what ``BM25Index`` answers, in rows."""

    segments: tuple[Segment, ...]
    deletions: tuple[Deletions, ...]
    k1: float
    b: float
    delta: float
    # Derived, never stored.
    rows: tuple[np.ndarray | None, ...] = field(init=False, repr=False)
    alive: tuple[np.ndarray | None, ...] = field(init=False, repr=False)  # live local docs
    bases: tuple[int, ...] = field(init=False, repr=False)
    live: tuple[int, ...] = field(init=False, repr=False)
    norms: tuple[np.ndarray, ...] = field(init=False, repr=False)
    n_docs: int = field(init=False)
    avgdl: float = field(init=False)
    # Each query term's spans and idf, as this generation's statistics give them.
    _terms: dict[str, tuple[list[tuple[int, int, int]], float]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if len(self.segments) != len(self.deletions):
            raise ValueError("one Deletions per segment")
        rows: list[np.ndarray | None] = []
        alive_docs: list[np.ndarray | None] = []
        bases: list[int] = []
        live: list[int] = []
        total_len = 0
        base = 0
        for seg, dels in zip(self.segments, self.deletions, strict=True):
            for array in (seg.offsets, seg.doc_ids, seg.tfs, seg.doc_len):
                array.flags.writeable = False
            alive = seg.n_docs - len(dels)
            total_len += int(seg.doc_len.sum(dtype=np.int64))
            if len(dels):
                if int(dels.docs[-1]) >= seg.n_docs or int(dels.docs[0]) < 0:
                    raise ValueError(f"segment {seg.name} deletes documents it does not hold")
                total_len -= int(seg.doc_len[dels.docs].sum(dtype=np.int64))
                mapped = np.full(seg.n_docs, -1, dtype=np.int32)
                keep = dels.alive(seg.n_docs)
                mapped[keep] = np.arange(base, base + alive, dtype=np.int32)
                rows.append(mapped)
                alive_docs.append(np.flatnonzero(keep).astype(np.int32))
            else:
                rows.append(None)
                alive_docs.append(None)
            bases.append(base)
            live.append(alive)
            base += alive
        n = base
        avgdl = total_len / n if n else 0.0
        norms = []
        for seg in self.segments:
            if avgdl > 0:  # the expression of rank-bm25 (and BM25Index), so floats agree
                norms.append(self.k1 * (1 - self.b + self.b * seg.doc_len / avgdl))
            else:
                norms.append(np.full(seg.n_docs, self.k1 * (1 - self.b)))
        set_ = object.__setattr__
        set_(self, "rows", tuple(rows))
        set_(self, "alive", tuple(alive_docs))
        set_(self, "bases", tuple(bases))
        set_(self, "live", tuple(live))
        set_(self, "norms", tuple(norms))
        set_(self, "n_docs", n)
        set_(self, "avgdl", avgdl)

    @classmethod
    def empty(cls, k1: float, b: float, delta: float) -> SegmentedIndex:
        return cls((), (), k1, b, delta)

    @classmethod
    def of(cls, bm25: BM25Index, name: str = "memory") -> SegmentedIndex:
        """One segment, no deletions: ``bm25`` as it ranks."""
        return cls((Segment.from_bm25(name, bm25),), (NO_DELETIONS,), bm25.k1, bm25.b, bm25.delta)

    @property
    def vocab(self) -> Vocabulary:
        return Vocabulary(self.segments)

    @property
    def postings(self) -> int:
        return sum(seg.postings for seg in self.segments)

    def locate(self, rows: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(segment, local docs, positions in ``rows``) for each segment holding some of
        ``rows`` (ascending)."""
        rows = np.asarray(rows, dtype=np.int64)
        owner = np.searchsorted(np.array(self.bases, dtype=np.int64), rows, side="right") - 1
        found = []
        for i in distinct(owner).tolist():
            where = np.flatnonzero(owner == i)
            offset = rows[where] - self.bases[i]
            alive = self.alive[i]
            local = offset if alive is None else alive[offset]
            found.append((i, local.astype(np.int32), where))
        return found

    # --- phrases -------------------------------------------------------------------------

    @property
    def has_positions(self) -> bool:
        return all(seg.has_positions for seg in self.segments)

    def term_counts(self, rows: Sequence[int], terms: Collection[str]) -> list[dict[str, int]]:
        """Per row: how many times each of ``terms`` it holds occurs in its positions
        (title, description and body; ``has_positions`` must hold). What a snippet of the
        row must find, so it can look for just those words and know when it has all."""
        out: list[dict[str, int]] = [{} for _ in rows]
        if not len(rows):
            return out
        order = np.argsort(np.asarray(rows, dtype=np.int64), kind="stable")
        for i, local, where in self.locate(np.asarray(rows, dtype=np.int64)[order]):
            seg = self.segments[i]
            assert seg.text_offsets is not None
            ids = [(t, seg.vocab.get(t)) for t in terms]
            held = [(t, j) for t, j in ids if j is not None]
            text = seg.joined_text()
            bounds = seg.text_offsets
            for doc, at in zip(local.tolist(), order[where].tolist(), strict=True):
                tokens = text[bounds[doc] : bounds[doc + 1]]
                out[at] = {t: int(np.count_nonzero(tokens == j)) for t, j in held}
        return out

    def phrase_rows(self, rows: np.ndarray, phrases: Sequence[PhraseSpec]) -> np.ndarray:
        """Those of ``rows`` (ascending) whose text holds every phrase, checked from the
        stored positions of each one (``has_positions`` must hold)."""
        rows = np.asarray(rows, dtype=np.int64)
        keep = np.zeros(len(rows), dtype=bool)
        for i, local, where in self.locate(rows):
            ok = np.ones(len(local), dtype=bool)
            for phrase in phrases:
                ok[ok] = phrase_in(self.segments[i], local[ok], phrase)
            keep[where] = ok
        return rows[keep].astype(np.int32)

    # --- statistics ----------------------------------------------------------------------

    def df(self, term: str) -> int:
        """Live documents holding ``term``."""
        return self._df(term, self._spans(term))

    def _spans(self, term: str) -> list[tuple[int, int, int]]:
        """(segment, start, end) of ``term``'s postings in each segment that has some:
        each segment's vocabulary is looked up once per query term."""
        spans = []
        for i, seg in enumerate(self.segments):
            t = seg.vocab.get(term)
            if t is not None:
                lo, hi = seg.offsets[t : t + 2].tolist()
                if hi > lo:
                    spans.append((i, lo, hi))
        return spans

    def _df(self, term: str, spans: list[tuple[int, int, int]]) -> int:
        total = 0
        for i, lo, hi in spans:
            dels = self.deletions[i]
            total += hi - lo - (dels.term_docs.get(term, 0) if len(dels) else 0)
        return total

    def idf_of(self, term: str) -> float:
        df = self.df(term)
        return float(np.log((self.n_docs + 1) / df)) if df > 0 else 0.0

    # --- scoring -------------------------------------------------------------------------

    def match(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Rows with at least one query term (ascending) and their BM25Plus scores."""
        return self._sum(*self._weighted(query))

    def _sum(
        self, terms: list[tuple[list[tuple[int, int, int]], float]], constant: float
    ) -> tuple[np.ndarray, np.ndarray]:
        parts = [self._contribution(spans, weight) for spans, weight in terms]
        if not parts:
            return _EMPTY_DOCS, _EMPTY_SCORES
        if len(parts) == 1:
            docs, scores = parts[0]
            return docs, scores + constant
        if sum(len(docs) for docs, _ in parts) * SPARSE < self.n_docs:
            docs, scores = _sum_sorted(parts)
            return docs, scores + constant
        return dense_sum(parts, self.n_docs, constant)

    def top_k(
        self, query: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best matches, best first; equal scores by lower row."""
        compiled = fastpath.kernel() if k > 0 else None
        if compiled is not None:
            return self._top_k_compiled(compiled, *self._weighted(query), k, allowed)
        docs, scores, _ = self.top_k_total(query, k, allowed)
        return docs, scores

    def top_k_total(
        self, query: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """``top_k`` and how many rows match (``allowed`` ones only), skipping the scores
        of rows that cannot reach the top ``k`` (MaxScore).

        A term adds at most ``weight * (k1 + 1)`` to a score (``tf / (norm + tf) < 1``).
        The rows of the strongest term, scored exactly, give a threshold: the k-th best
        of them. Terms whose bounds together stay below it cannot lift a row that has
        only them into the top ``k``, so only rows holding another term are scored, each
        exactly (the other terms' postings are searched for those rows). The result is
        the same as scoring every row, ties included.
        """
        terms, constant = self._weighted(query)
        compiled = fastpath.kernel() if k > 0 else None
        if compiled is not None:
            docs, scores = self._top_k_compiled(compiled, terms, constant, k, allowed)
            return docs, scores, self._count_compiled(compiled, terms, allowed)
        bounds = [weight * (self.k1 + 1) for _, weight in terms]
        sizes = [sum(hi - lo for _, lo, hi in spans) for spans, _ in terms]
        strongest = int(np.argmax(bounds)) if terms else 0
        # Pruning pays where a weak term has many postings the strong ones do not need.
        if len(terms) < 2 or k <= 0 or sum(sizes) < PRUNE_POSTINGS:
            return self._top_k_all(terms, constant, k, allowed)
        if sizes[strongest] * 4 > sum(sizes):
            return self._top_k_all(terms, constant, k, allowed)
        seeds = self._rows_of(terms[strongest][0], allowed)
        if len(seeds) <= k:
            return self._top_k_all(terms, constant, k, allowed)
        seed_scores = self._exact(seeds, terms)
        threshold = float(np.partition(seed_scores, len(seeds) - k)[len(seeds) - k])
        weak, reach = set(), 0.0
        for i in sorted(range(len(terms)), key=bounds.__getitem__):
            if reach + bounds[i] >= threshold * (1 - 1e-9):  # a margin for rounding
                break
            reach += bounds[i]
            weak.add(i)
        if not weak:
            return self._top_k_all(terms, constant, k, allowed)
        strong = [self._rows_of(spans, allowed) for i, (spans, _) in enumerate(terms)
                  if i not in weak]  # fmt: skip
        docs = distinct(np.concatenate(strong)) if len(strong) > 1 else strong[0]
        scores = self._exact(docs, terms) + constant
        hit = np.zeros(self.n_docs, dtype=bool)
        for spans, _ in terms:
            for _, rows, _, _ in self._postings(spans):
                hit[rows] = True
        total = int(np.count_nonzero(hit if allowed is None else hit & allowed))
        order = top_k(scores, docs, k)
        return docs[order], scores[order], total

    def _by_segment(
        self, terms: list[tuple[list[tuple[int, int, int]], float]]
    ) -> list[tuple[int, np.ndarray, np.ndarray, int]]:
        """(segment, lo, hi, postings) with each query term's postings span in that
        segment (empty where it has none), for the segments holding any."""
        if len(self.segments) == 1:  # every matching term has its one span there
            spans = [spans[0] for spans, _ in terms]
            lo = np.array([span[1] for span in spans], dtype=np.int64)
            hi = np.array([span[2] for span in spans], dtype=np.int64)
            return [(0, lo, hi, sum(span[2] - span[1] for span in spans))]
        found: dict[int, tuple[np.ndarray, np.ndarray, list[int]]] = {}
        for t, (spans, _) in enumerate(terms):
            for i, lo, hi in spans:
                if i not in found:
                    zeros = np.zeros(len(terms), np.int64)
                    found[i] = (zeros, zeros.copy(), [0])
                found[i][0][t] = lo
                found[i][1][t] = hi
                found[i][2][0] += hi - lo
        return [(i, lo, hi, size[0]) for i, (lo, hi, size) in sorted(found.items())]

    def _top_k_compiled(
        self,
        compiled: ModuleType,
        terms: list[tuple[list[tuple[int, int, int]], float]],
        constant: float,
        k: int,
        allowed: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``top_k`` by the compiled kernel, one segment after the other (oldest first)
        into one heap of the k best: later segments prune against its k-th score (their
        rows are higher, so a tie with it would lose anyway)."""
        weights = np.array([weight for _, weight in terms])
        mask = _NO_MASK if allowed is None else allowed
        heap_scores, heap_rows, n = np.empty(k), np.empty(k, dtype=np.int64), 0
        for i, lo, hi, postings in self._by_segment(terms):
            seg = self.segments[i]
            rows = _NO_ROWS if self.rows[i] is None else self.rows[i]
            common = (seg.doc_ids, seg.tfs, self.norms[i])
            if postings < DENSE_SHARE * seg.n_docs:
                n = compiled.top_k_dense(*common, lo, hi, weights, rows, self.bases[i], mask,
                                         self.k1, constant, heap_scores, heap_rows, n,
                                         _scratch(seg.n_docs))  # fmt: skip
            else:
                impact, reference = seg.blocks(self.k1, self.b)
                scale = (self.k1 + 1) * max(1.0, self.avgdl / reference)  # see blockmax
                n = compiled.top_k_segment(*common, impact, scale, lo, hi, weights, rows,
                                           self.bases[i], mask, self.k1, constant,
                                           heap_scores, heap_rows, n,
                                           *_window_scratch(compiled.WINDOW))  # fmt: skip
        return compiled.ranked(heap_scores, heap_rows, n)

    def _count_compiled(
        self,
        compiled: ModuleType,
        terms: list[tuple[list[tuple[int, int, int]], float]],
        allowed: np.ndarray | None,
    ) -> int:
        """Live (and allowed) rows holding any of the terms."""
        mask = _NO_MASK if allowed is None else allowed
        total = 0
        for i, lo, hi, _ in self._by_segment(terms):
            rows = self.rows[i]
            if len(lo) == 1 and rows is None and allowed is None:
                total += int(hi[0] - lo[0])
                continue
            seg = self.segments[i]
            total += compiled.count_segment(seg.doc_ids, lo, hi,
                                            _NO_ROWS if rows is None else rows,
                                            self.bases[i], mask, _seen(seg.n_docs))  # fmt: skip
        return total

    def _top_k_all(
        self,
        terms: list[tuple[list[tuple[int, int, int]], float]],
        constant: float,
        k: int,
        allowed: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, int]:
        docs, scores = self._sum(terms, constant)
        if allowed is not None:
            ok = allowed[docs]
            docs, scores = docs[ok], scores[ok]
        order = top_k(scores, docs, k)
        return docs[order], scores[order], len(docs)

    def _weighted(
        self, query: Sequence[str]
    ) -> tuple[list[tuple[list[tuple[int, int, int]], float]], float]:
        """(postings spans, times * idf) of each matching query term, in ``match``'s order,
        and the BM25Plus constant (``delta * idf`` per query term)."""
        terms = []
        constant = 0.0
        cache = self._terms
        counted = Counter(query).items() if len(set(query)) < len(query) else _once(query)
        for term, times in counted:
            found = cache.get(term)
            if found is None:
                spans = self._spans(term)
                df = self._df(term, spans)
                found = (spans, float(np.log((self.n_docs + 1) / df)) if df > 0 else 0.0)
                if len(cache) >= TERM_CACHE:
                    cache.clear()
                cache[term] = found
            spans, idf = found
            if idf == 0.0:  # no live document holds it (else idf = log((N+1)/df) > 0)
                continue
            constant += times * idf * self.delta
            terms.append((spans, times * idf))
        return terms, constant

    def _rows_of(self, spans: list[tuple[int, int, int]], allowed: np.ndarray | None) -> np.ndarray:
        found = [rows for _, rows, _, _ in self._postings(spans)]
        rows = found[0] if len(found) == 1 else np.concatenate(found) if found else _EMPTY_DOCS
        return rows if allowed is None else rows[allowed[rows]]

    def _exact(
        self, rows: np.ndarray, terms: list[tuple[list[tuple[int, int, int]], float]]
    ) -> np.ndarray:
        """Scores (without the constant) of ascending ``rows``: each term's postings are
        searched for them, and terms add in ``match``'s order, so the floats are equal."""
        k1 = self.k1
        out = np.zeros(len(rows))
        bounds = np.array((*self.bases, self.n_docs), dtype=np.int64)
        cuts = np.searchsorted(rows, bounds)
        for spans, weight in terms:
            for i, lo, hi in spans:
                first, last = int(cuts[i]), int(cuts[i + 1])
                if first == last:
                    continue
                offset = rows[first:last] - self.bases[i]
                alive = self.alive[i]
                local = offset if alive is None else alive[offset]
                seg = self.segments[i]
                docs = seg.doc_ids[lo:hi]
                at = np.searchsorted(docs, local)
                found = at < len(docs)
                found[found] = docs[at[found]] == local[found]
                tf = seg.tfs[lo:hi][at[found]].astype(np.float64)
                norm = self.norms[i][local[found]]
                out[first + np.flatnonzero(found)] += weight * (tf * (k1 + 1) / (norm + tf))
        return out

    # Every row's score, as rank-bm25's BM25Plus.get_scores returns it: the same code as the
    # whole-index BM25 (it needs match, idf_of, delta and n_docs, which both have).
    get_scores = BM25Index.get_scores

    def docs_with(self, term: str) -> np.ndarray:
        """Rows whose document holds ``term`` (ascending; do not modify)."""
        found = [rows for _, rows, _, _ in self._postings(self._spans(term))]
        if not found:
            return _EMPTY_DOCS
        return found[0] if len(found) == 1 else np.concatenate(found)

    def _postings(
        self, spans: list[tuple[int, int, int]]
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """(segment, rows, local docs, tfs) of the live postings in ``spans``."""
        for i, lo, hi in spans:
            seg = self.segments[i]
            local, tfs = seg.doc_ids[lo:hi], seg.tfs[lo:hi]
            mapped = self.rows[i]
            if mapped is None:
                base = self.bases[i]
                yield i, (local + np.int32(base) if base else local), local, tfs
                continue
            rows = mapped[local]
            ok = rows >= 0
            if ok.all():
                yield i, rows, local, tfs
            elif ok.any():
                yield i, rows[ok], local[ok], tfs[ok]

    def _contribution(
        self, spans: list[tuple[int, int, int]], weight: float
    ) -> tuple[np.ndarray, np.ndarray]:
        k1 = self.k1
        rows_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        for i, rows, local, tfs in self._postings(spans):
            tf = tfs.astype(np.float64)
            rows_parts.append(rows)
            score_parts.append(weight * (tf * (k1 + 1) / (self.norms[i][local] + tf)))
        if len(rows_parts) == 1:
            return rows_parts[0], score_parts[0]
        return np.concatenate(rows_parts), np.concatenate(score_parts)


_local = threading.local()


def _once(query: Sequence[str]) -> Iterator[tuple[str, int]]:
    """``Counter(query).items()`` of a query without repeated terms, cheaper."""
    return zip(query, repeat(1))


def _scratch(n: int) -> np.ndarray:
    """This thread's accumulator for the dense kernel: zeros, at least ``n`` long (the
    kernel leaves it zero)."""
    acc = getattr(_local, "acc", None)
    if acc is None or len(acc) < n:
        acc = _local.acc = np.zeros(max(n, 1024))
    return acc


def _seen(n: int) -> np.ndarray:
    """This thread's flags for counting matches: False, at least ``n`` long (the kernel
    leaves them False)."""
    seen = getattr(_local, "seen", None)
    if seen is None or len(seen) < n:
        seen = _local.seen = np.zeros(max(n, 1024), dtype=bool)
    return seen


def _window_scratch(size: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's window accumulator (zeros; the kernel leaves it zero) and row list."""
    scratch = getattr(_local, "window", None)
    if scratch is None or len(scratch[0]) < size:
        scratch = _local.window = (np.zeros(size), np.zeros(size, dtype=np.int64))
    return scratch


def _sum_sorted(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Per-row sums of the terms' (rows, scores) over the distinct rows only; terms are
    added one after the other as in the dense path, so the floats are the same."""
    rows = distinct(np.concatenate([docs for docs, _ in parts]))
    total = np.zeros(len(rows))
    for docs, scores in parts:
        total[np.searchsorted(rows, docs)] += scores  # a term holds each row once
    return rows, total


class Vocabulary(Mapping[str, int]):
    """The terms of every segment, for ``term in index.vocab``; the value is how many
    segments hold the term (the union is only listed when asked, e.g. by stats)."""

    __slots__ = ("_segments",)

    def __init__(self, segments: Sequence[Segment]) -> None:
        self._segments = segments

    def __contains__(self, term: object) -> bool:
        return any(term in seg.vocab for seg in self._segments)

    def __getitem__(self, term: str) -> int:
        held = sum(term in seg.vocab for seg in self._segments)
        if not held:
            raise KeyError(term)
        return held

    def __iter__(self) -> Iterator[str]:
        if len(self._segments) == 1:
            return iter(self._segments[0].vocab)
        seen: dict[str, None] = {}
        for seg in self._segments:
            seen.update(dict.fromkeys(seg.vocab))
        return iter(seen)

    def __len__(self) -> int:
        if len(self._segments) == 1:
            return len(self._segments[0].vocab)
        return sum(1 for _ in self)
