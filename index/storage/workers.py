"""Worker processes of a reindex: read, hash, parse and analyse posts in batches.

Each worker numbers terms and words itself and sends int32 arrays with only the strings
it has not sent before, so the parent does one look-up per distinct string, not per token.
A worker ends by itself when its parent dies (kill -9 included).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from articlebot.index.config import IndexConfig
from articlebot.index.errors import PostError
from articlebot.index.posts.article import Article
from articlebot.index.posts.folder import read_post_bytes
from articlebot.index.posts.language import resolve as resolve_language
from articlebot.index.posts.language import resolve_many
from articlebot.index.posts.loader import Draft, finish, read_draft
from articlebot.index.ranking import columns
from articlebot.index.text.analysis import STOP_WORDS, Analyzer, folded_latin1, normal_words
from articlebot.index.text.fields import PHRASE_FIELDS, document_fields
from articlebot.index.text.wordtable import WordTable

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class FileOutcome:
    """One file after a worker read it: its digest and article, or why it is left out."""

    rel: str
    digest: str = ""  # sha256 of the bytes read; "" when the file could not be read
    article: Article | None = None
    skipped: str = ""  # reason when the post is deliberately left out (draft)
    refused: str = ""  # reason when the post could not be read


@dataclass(slots=True)
class PreparedBatch:
    """A batch of files, analysed: the heavy per-token work is done by the worker.

    Tokens and words travel as int32 ids numbered by the worker (``source``), which keeps
    its numbering across its batches and sends only the strings first seen in this one.
    The parent thus looks up each distinct string once per worker, not once per token or
    per batch, and pickling moves a few arrays, not millions of small strings. The
    ``*_lens`` arrays give each indexed article's share, in the order of ``files``.
    """

    source: str  # which worker numbered the ids
    files: list[FileOutcome]
    new_terms: list[str]  # the source's term ids continue with these
    term_ids: np.ndarray  # int32, every indexed article's tokens back to back
    term_lens: np.ndarray  # int32 tokens per indexed article
    new_words: list[str]  # the source's word ids continue with these
    word_ids: np.ndarray  # int32, each indexed article's distinct surface words
    word_lens: np.ndarray  # int32 distinct words per indexed article
    # Positions: each indexed article's title, description and body as term ids, once
    # each, in text order (``fields.PHRASE_FIELDS``), back to back.
    text_ids: np.ndarray  # int32
    text_lens: np.ndarray  # int32 tokens per indexed article

    @property
    def articles(self) -> list[Article]:
        return [f.article for f in self.files if f.article is not None]


class Numbering(dict[str, int]):
    """String -> id in order of first sight; remembers the strings not yet sent."""

    def __init__(self) -> None:
        super().__init__()
        self.fresh: list[str] = []

    def __missing__(self, key: str) -> int:
        number = self[key] = len(self)
        self.fresh.append(key)
        return number

    def take_fresh(self) -> list[str]:
        fresh, self.fresh = self.fresh, []
        return fresh


def read_post(root: str, rel: str, config: IndexConfig) -> FileOutcome:
    """Read, hash and parse one file; never raises (see ``read_posts``)."""
    return read_posts(root, [rel], config)[0]


def read_posts(root: str, rels: list[str], config: IndexConfig) -> list[FileOutcome]:
    """Read, hash and parse each file; never raises. A file that cannot be read has no
    digest, so the next reindex tries it again (its permissions may have been fixed).
    The posts' languages are resolved together once all are read (``resolve_many``)."""
    outcomes: list[FileOutcome] = []
    drafts: list[tuple[FileOutcome, Draft]] = []
    for rel in rels:
        outcome, draft = _read_draft(root, rel, config)
        outcomes.append(outcome)
        if draft is not None:
            drafts.append((outcome, draft))
    hints = [draft.language_hints(config) for _, draft in drafts]
    try:
        languages: list[tuple[str, str] | None] = list(resolve_many(hints))
    except Exception:  # one post's text broke detection: each alone, that one refused
        languages = [None] * len(drafts)
    for (outcome, draft), language in zip(drafts, languages, strict=True):
        try:
            code, source = language or resolve_language(*draft.language_hints(config))
            outcome.article = finish(draft, config, code, source)
        except Exception as exc:  # a bug on one odd file must not stop the other 100,000
            outcome.refused = f"unexpected error while reading: {exc!r}"
    return outcomes


def _read_draft(root: str, rel: str, config: IndexConfig) -> tuple[FileOutcome, Draft | None]:
    try:
        data = read_post_bytes(root, rel, config.max_post_bytes)
    except PostError as exc:
        return FileOutcome(rel, refused=str(exc)), None
    digest = hashlib.sha256(data).hexdigest()
    try:
        draft = read_draft(data, rel, config)
    except PostError as exc:
        return FileOutcome(rel, digest, refused=str(exc)), None
    except Exception as exc:  # a bug on one odd file must not stop the other 100,000
        return FileOutcome(rel, digest, refused=f"unexpected error while reading: {exc!r}"), None
    if isinstance(draft, str):
        return FileOutcome(rel, digest, skipped=draft), None
    return FileOutcome(rel, digest), draft


class _Surface(dict[str, int]):
    """Normalised word -> surface id in order of first sight, stop words first (ids below
    ``stop``), so a field's words become ids in one C-level pass and everything else a
    word needs (its term per language, its word id) is looked up by id in numpy.

    With the compiled kernel (``table``), an article whose fields are all Latin-1 text
    is numbered there, without a string per word; the others here. The two share the
    ids (``strings``), so a word numbered both ways has two ids for the same string."""

    def __init__(self, kernel: Any = None) -> None:
        """``kernel``: the built kernel (``kernel_aot.shared``), or None for the dict
        alone. The table is given the stop words as numbered here, so both agree."""
        super().__init__()
        self.strings: list[str] = []
        for word in sorted(STOP_WORDS):
            self.__missing__(word)
        self.stop = len(self)
        self.table = None if kernel is None else WordTable(kernel, self.strings[: self.stop])

    def __missing__(self, key: str) -> int:
        number = self[key] = len(self.strings)
        self.strings.append(key)
        return number

    def fields_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The surface ids of each field's words (``normal_words``), stop words left out,
        back to back, and where each field starts and ends (``len(texts) + 1``
        offsets): one look-up pass for all the fields."""
        if self.table is not None:
            folded = [folded_latin1(text) for text in texts]
            if None not in folded:
                joined = " ".join(folded)  # type: ignore[arg-type]
                ends = list(itertools.accumulate(len(f) + 1 for f in folded))  # type: ignore[arg-type]
                ids, new, counts = self.table.number(
                    joined.encode("latin-1"), ends, len(self.strings)
                )
                self.strings += new
                return self._kept(ids, [0, *counts])
        fields = [normal_words(text) for text in texts]
        words = list(itertools.chain.from_iterable(fields))
        ids = np.fromiter(map(self.__getitem__, words), np.int32, len(words))
        return self._kept(ids, list(itertools.accumulate(map(len, fields), initial=0)))

    def _kept(self, ids: np.ndarray, cuts: list[int]) -> tuple[np.ndarray, np.ndarray]:
        kept = ids >= self.stop
        before = np.zeros(len(ids) + 1, dtype=np.int64)  # words kept before each word
        kept.cumsum(out=before[1:])
        return ids[kept], before[cuts]


def _grown(table: np.ndarray, size: int) -> np.ndarray:
    """``table`` (-1 for unknown) with room for ``size`` ids."""
    if size <= len(table):
        return table
    grown = np.full(max(size, 2 * len(table), 1024), -1, dtype=np.int32)
    grown[: len(table)] = table
    return grown


@dataclass
class _WorkerState:
    root: str
    config: IndexConfig
    analyzer: Analyzer
    source: str = field(default_factory=lambda: os.urandom(8).hex())
    terms: Numbering = field(default_factory=Numbering)
    words: Numbering = field(default_factory=Numbering)
    surface: _Surface = field(default_factory=_Surface)
    # Surface id -> term id (-1: not stemmed yet) per language, and -> word id.
    term_of: dict[str, np.ndarray] = field(default_factory=dict)
    word_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def term_ids(self, surface: np.ndarray, language: str) -> np.ndarray:
        """Term ids of surface ids; a word is stemmed once per language, and its term
        numbered at its first sight (so terms are numbered in text order)."""
        table = self.term_of[language] = _grown(
            self.term_of.get(language, np.zeros(0, np.int32)), len(self.surface.strings)
        )
        ids = table[surface]
        if ids.min(initial=0) < 0:
            fresh = list(dict.fromkeys(surface[ids < 0].tolist()))  # first sight first
            strings = self.surface.strings
            stems = self.analyzer.stem([strings[sid] for sid in fresh], language)
            for sid, stem in zip(fresh, stems, strict=True):
                table[sid] = self.terms[stem]
            ids = table[surface]
        return ids

    def word_ids(self, surface: np.ndarray) -> np.ndarray:
        """Word ids of the distinct surface ids in ``surface``."""
        distinct = columns.distinct(surface)  # np.unique: ~3x the time here
        self.word_of = table = _grown(self.word_of, len(self.surface.strings))
        ids = table[distinct]
        if ids.min(initial=0) < 0:
            strings, words = self.surface.strings, self.words
            for sid in distinct[ids < 0].tolist():
                table[sid] = words[strings[sid]]
            ids = table[distinct]
        return ids


def article_ids(article: Article, state: _WorkerState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The article's BM25 tokens, distinct surface words (``document_fields``, each
    analysed once) and positions (the tokens of its phrase fields, once each) as the
    worker's term and word ids: each field's words are numbered once, then repeated by
    its weight.

    The fields' words are looked up in one pass and their terms in another (in field
    order, so strings are numbered in the same order as field by field): a pass per
    field cost a few numpy calls each, ~5% of a worker's time."""
    fields = [
        (i, weight, offered, text)
        for i, (text, weight, offered) in enumerate(document_fields(article, state.config))
        if text and (weight > 0 or offered)
    ]
    if not fields:
        return _concat([]), state.word_ids(_concat([])), _concat([])
    surface, cuts = state.surface.fields_ids([text for *_, text in fields])
    spans = [surface[a:b] for a, b in itertools.pairwise(cuts)]
    weighted = [k for k, (_, weight, _, _) in enumerate(fields) if weight > 0]
    terms = state.term_ids(_concat([spans[k] for k in weighted]), article.language)
    at = 0
    parts: list[np.ndarray] = []
    text: list[np.ndarray] = []
    for k in weighted:
        i, weight = fields[k][0], fields[k][1]
        ids = terms[at : at + len(spans[k])]
        at += len(ids)
        parts += [ids] * weight
        if i in PHRASE_FIELDS:
            text.append(ids)
    offered = [spans[k] for k, field in enumerate(fields) if field[2]]
    return _concat(parts), state.word_ids(_concat(offered)), _concat(text)


def analyse_batch(files: list[FileOutcome], state: _WorkerState) -> PreparedBatch:
    """Tokens and distinct words of every article in ``files``, as the worker's ids."""
    term_parts: list[np.ndarray] = []
    word_parts: list[np.ndarray] = []
    text_parts: list[np.ndarray] = []
    for f in files:
        if f.article is not None:
            term_ids, word_ids, text_ids = article_ids(f.article, state)
            term_parts.append(term_ids)
            word_parts.append(word_ids)
            text_parts.append(text_ids)
    return PreparedBatch(
        state.source,
        files,
        state.terms.take_fresh(),
        _concat(term_parts),
        np.array([len(p) for p in term_parts], dtype=np.int32),
        state.words.take_fresh(),
        _concat(word_parts),
        np.array([len(p) for p in word_parts], dtype=np.int32),
        _concat(text_parts),
        np.array([len(p) for p in text_parts], dtype=np.int32),
    )


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int32)


_worker: _WorkerState | None = None


def _init_worker(root: str, config: IndexConfig, parent: int | None = None) -> None:
    global _worker
    if parent is not None:
        die_with_parent(parent)
    from articlebot.index.ranking import kernel_aot

    analyzer = Analyzer(config.default_language, config.bridge_spellings)
    # The compiled numbering once the kernel is built (a worker never builds it: the
    # ranking's ``fastpath`` does, once per machine); else the dict: the same outputs.
    _worker = _WorkerState(root, config, analyzer, surface=_Surface(kernel_aot.shared()))


def die_with_parent(parent: int, every: float = 0.5) -> None:
    """End this worker process as soon as ``parent`` is gone (killed with -9, crashed):
    a worker left behind would keep reading posts for nobody. A daemon thread checks the
    parent id, which becomes another process's once the parent has died."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _prepare_batch(rels: list[str]) -> PreparedBatch:
    assert _worker is not None
    files = read_posts(_worker.root, rels, _worker.config)
    return analyse_batch(files, _worker)


def prepare_all(
    root: Path,
    rels: list[str],
    config: IndexConfig,
    workers: int,
    progress: Progress | None = None,
) -> Iterator[PreparedBatch]:
    """Read, hash, parse and analyse files in batches, in parallel when there are enough
    to pay for processes; batches come back in order."""
    total, done = len(rels), 0
    size = 200
    batches = [rels[i : i + size] for i in range(0, total, size)]
    if workers <= 1 or total < 400:
        _init_worker(str(root), config)
        results: Iterable[PreparedBatch] = map(_prepare_batch, batches)
        for batch in results:
            done += len(batch.files)
            if progress:
                progress(done, total)
            yield batch
        return
    # Forked workers share the parent's memory (the folder's scan: ~150 MB at 300k
    # posts) until a page is written, and the garbage collector's pass over those objects
    # writes to every page it visits: frozen, they are left alone and stay shared.
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            workers, initializer=_init_worker, initargs=(str(root), config, os.getpid())
        ) as pool:
            for batch in pool.map(_prepare_batch, batches, chunksize=1):
                done += len(batch.files)
                if progress:
                    progress(done, total)
                yield batch
    finally:
        gc.unfreeze()
