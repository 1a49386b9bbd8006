"""The asynchronous face of the index that the bot and the command line use.

Article rows are read by one reader thread that owns the read-only SQLite connection (plain
sqlite3 and the same ``tables`` functions as the reindex: one driver, one access path); a
search runs whole on it (ranking, rows, snippets: one hand-off), other work in a thread; a
reindex runs in a worker process (a thread for small folders)
and is swapped in only once committed, so searches are answered from the old index the
whole time.

    async with ArticleIndex.open(db_path, content_dir, config) as index:
        result = await index.search("cruise stunt")

It is a little over 400 lines because it is the one asynchronous face: every request the
bot makes (search with phrase checks, latest, article, ask, stats, reindex) starts here,
each a few lines that hand the work to a thread or a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from articlebot.index.config import IndexConfig
from articlebot.index.errors import NoIndexYet
from articlebot.index.posts.article import Article
from articlebot.index.ranking.query import MAX_CHARS
from articlebot.index.ranking.searcher import PHRASE_SAMPLE, Plan, Searcher
from articlebot.index.results import Hit, IndexStats, ReindexReport, SearchResult, Snippet
from articlebot.index.storage import blobs, database, segfile, tables
from articlebot.index.storage.blobs import load_generation, segment_names
from articlebot.index.text.analysis import Analyzer
from articlebot.index.text.snippets import article_snippet

if TYPE_CHECKING:  # imported when first asked: a process that only searches never pays
    from articlebot.index.ranking.ask import Answer

__all__ = ["ArticleIndex"]

T = TypeVar("T")

ASK_ARTICLES = 5  # articles whose sentences compete to answer a question
ASK_BRIDGES = True  # retrieve with the other words for a question's words too (bridges.py)
NO_SNIPPET = Snippet("")  # a hit's snippet when the caller asked for none
PROCESS_THRESHOLD = 1000  # files; smaller folders reindex in a thread (no process start-up)


def _open_sync(
    db_path: Path, config: IndexConfig, previous: Searcher | None = None
) -> tuple[Searcher, dict[str, str]]:
    """The searcher over one committed generation: the meta and every blob are read in
    one read transaction, the postings are memory-mapped segment files. Segments the
    ``previous`` searcher already opened are taken from it (a segment file never changes
    under its name): a reload after a small reindex builds only the new ones."""
    known = getattr(previous.bm25, "segments", ()) if previous is not None else ()
    conn = database.connect_reader(db_path)
    try:
        meta, catalog, bm25 = load_generation(
            conn, config, with_words=False, path=db_path, known={s.name: s for s in known}
        )
    finally:
        conn.close()
    catalog.warm()
    analyzer = Analyzer(config.default_language, config.bridge_spellings)

    def load_words() -> dict[str, int]:
        """The spelling vocabulary, read when "did you mean" is first needed. It may come
        from a newer generation than the searcher's: it holds words and counts, no
        document numbers, so it cannot mislead a search."""
        c = database.connect_reader(db_path)
        try:
            return blobs.load_words(c, config, path=db_path)
        finally:
            c.close()

    return Searcher(bm25, catalog, analyzer, config.site_timezone, load_words), meta


class ArticleIndex:
    """A loaded index. Reads never block the event loop; reindex runs in a worker process
    and swaps the new index in only when it is complete, so searches keep being answered."""

    def __init__(
        self,
        db_path: Path,
        content_dir: Path,
        config: IndexConfig,
        searcher: Searcher,
        meta: dict[str, str],
        db: sqlite3.Connection,
        reader: ThreadPoolExecutor,
    ) -> None:
        self.db_path = db_path
        self.content_dir = content_dir
        self.config = config
        self._searcher = searcher
        self._meta = meta
        self._db = db
        self._reader = reader  # the one thread that uses ``_db``
        self._reindex: asyncio.Task[ReindexReport] | None = None
        self._running = _Request(False, None)  # what the running reindex was asked for
        self._queued: asyncio.Task[ReindexReport] | None = None  # one more run after it
        self._queued_request = _Request(False, None)
        self._closed = False
        self._file = _identity(db_path)  # a new file at the path is a rebuilt index

    @classmethod
    def open(cls, db_path: Path, content_dir: Path, config: IndexConfig | None = None) -> _Opening:
        """Open (creating if absent) the SQLite index; loads the stored index, reads no
        Markdown. Raises StoreError for a file that is not ours. Await it, or use it as
        ``async with``, which closes the index at the end."""
        return _Opening(cls._open(Path(db_path), Path(content_dir), config or IndexConfig()))

    @classmethod
    async def _open(cls, db_path: Path, content_dir: Path, config: IndexConfig) -> ArticleIndex:
        if not db_path.exists():  # a first start: an empty index, filled by reindex()
            await asyncio.to_thread(lambda: database.connect(db_path).close())
        try:
            searcher, meta = await asyncio.to_thread(_open_sync, db_path, config)
        except NoIndexYet:  # created by another process that has not written yet
            await asyncio.to_thread(lambda: database.connect(db_path).close())
            searcher, meta = await asyncio.to_thread(_open_sync, db_path, config)
        reader = ThreadPoolExecutor(1, thread_name_prefix="articlebot-index-reader")
        loop = asyncio.get_running_loop()
        try:
            db = await loop.run_in_executor(reader, database.connect_reader, db_path)
        except BaseException:
            reader.shutdown(wait=False)
            raise
        return cls(db_path, content_dir, config, searcher, meta, db, reader)

    async def __aenter__(self) -> ArticleIndex:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _read(self, read: Callable[..., T], *args: Any) -> T:
        """``read(connection, *args)`` on the reader thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, functools.partial(read, self._db, *args))

    @property
    def searcher(self) -> Searcher:
        return self._searcher

    @property
    def is_empty(self) -> bool:
        return len(self._searcher.catalog) == 0

    @property
    def article_count(self) -> int:
        return len(self._searcher.catalog)

    @property
    def built_at(self) -> datetime | None:
        value = self._meta.get("built_at")
        return datetime.fromisoformat(value) if value else None

    async def is_stale(self) -> bool:
        """True when files in the content folder changed since the last index (cheap stat)."""

        def check() -> bool:
            from articlebot.index.storage.plan import is_stale

            conn = database.connect_reader(self.db_path)
            try:
                return is_stale(conn, self.content_dir, self.config)
            finally:
                conn.close()

        return await asyncio.to_thread(check)

    # --- reading ------------------------------------------------------------------------

    async def _articles(self, searcher: Searcher, docs: list[int]) -> list[Article]:
        ids = [searcher.catalog.ids[d] for d in docs]
        found = await self._read(tables.fetch_articles, ids)
        return [found[i] for i in ids if i in found]

    async def search(
        self,
        query: str,
        limit: int = 5,
        offset: int = 0,
        *,
        literal: bool = False,
        snippets: bool = True,
    ) -> SearchResult:
        """Raises results.QueryError with one friendly sentence for unusable queries.

        ``literal`` reads every word of ``query`` as a search word (no "phrases",
        ``-words`` or ``name:value`` filters: for scripts and evaluations); without
        ``snippets`` the hits carry empty snippets, which is most of a search's time.
        """
        searcher = self._searcher  # one snapshot for the whole request
        limit, offset = max(1, limit), max(0, offset)
        # One hand-off: ranking, the page's rows and its snippets on the reader thread.
        found = await self._read(_search_page, searcher, query, limit, offset, literal, snippets)
        if isinstance(found, SearchResult):
            return found
        # quoted phrases: candidates are checked batch by batch
        page, estimated = await self._verify_phrases(searcher, found, limit, offset)
        return await self._read(_result, searcher, query, page, limit, offset, snippets, estimated)

    async def _verify_phrases(
        self, searcher: Searcher, plan: Plan, limit: int, offset: int
    ) -> tuple[Plan, bool]:
        """``plan`` left with the page of candidates whose text holds every phrase and
        their total (no phrases left to check), and whether that total is an estimate.

        Candidates are checked in rank order until the page is full; when some are left,
        an evenly spaced sample of ``PHRASE_SAMPLE`` of them estimates how many of those
        match. Only for an index without positions (written before format 10, until its
        rebuild): with them the searcher answers phrases exactly in ``plan``.
        """
        candidates = plan.docs.tolist()
        scores = dict(zip(candidates, plan.scores.tolist(), strict=True))
        matched: list[int] = []
        checked = 0
        while checked < len(candidates) and len(matched) < offset + limit:
            batch = candidates[checked : checked + max(10, 2 * (offset + limit - len(matched)))]
            matched += await self._with_phrases(searcher, plan, batch)
            checked += len(batch)
        rest = candidates[checked:]
        if len(rest) <= PHRASE_SAMPLE:  # as cheap as a sample: count them exactly
            matched += await self._with_phrases(searcher, plan, rest)
            rest = []
        total, estimated = len(matched), bool(rest)
        if rest:
            step = max(1, len(rest) // PHRASE_SAMPLE)
            sample = rest[::step][:PHRASE_SAMPLE]
            found = len(await self._with_phrases(searcher, plan, sample))
            total += round(found * len(rest) / len(sample))
        page = matched[offset : offset + limit]
        docs = np.array(page, dtype=plan.docs.dtype)
        page_scores = np.array([scores[d] for d in page], dtype=np.float64)
        return replace(plan, docs=docs, scores=page_scores, total=total, phrases=()), estimated

    async def _with_phrases(self, searcher: Searcher, plan: Plan, docs: list[int]) -> list[int]:
        """Those of ``docs`` whose text holds every phrase of the plan, in order."""
        found: list[int] = []
        for start in range(0, len(docs), 50):
            batch = docs[start : start + 50]
            articles = {a.id: a for a in await self._articles(searcher, batch)}

            def check(batch: list[int] = batch, articles: dict = articles) -> list[int]:
                return [
                    d
                    for d in batch
                    if (a := articles.get(searcher.catalog.ids[d])) is not None
                    and searcher.phrase_ok(a, plan.phrases)
                ]

            found += await asyncio.to_thread(check)
        return found

    async def latest(self, limit: int = 5, category: str | None = None) -> list[Article]:
        searcher = self._searcher
        docs = searcher.latest(max(1, limit), category)
        return await self._articles(searcher, docs)

    async def categories(self) -> list[tuple[str, int]]:
        """(category, article count), most articles first."""
        return self._searcher.categories()

    def article_ids(self) -> list[str]:
        """Every article's id (in memory)."""
        return list(self._searcher.catalog.ids)

    async def articles(self, ids: Sequence[str]) -> list[Article]:
        """The articles with these ids (a reindex report's), in that order; ids no longer
        in the index are left out."""
        found = await self._read(tables.fetch_articles, list(ids))
        return [found[i] for i in ids if i in found]

    async def article(self, ref: str) -> Article | None:
        """One article by id, slug or title words (best title match)."""
        searcher = self._searcher
        doc = await asyncio.to_thread(searcher.resolve, ref)
        if doc is None:
            return None
        found = await self._articles(searcher, [doc])
        return found[0] if found else None

    def complete_categories(self, prefix: str, limit: int = 25) -> list[str]:
        """In-memory, microseconds: safe to call inside autocomplete."""
        return self._searcher.complete_categories(prefix, limit)

    def complete_titles(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """(title, article id) whose title contains the typed words; in-memory."""
        catalog = self._searcher.catalog
        return [
            (catalog.titles[d], catalog.ids[d]) for d in self._searcher.complete_titles(text, limit)
        ]

    # --- answering questions --------------------------------------------------------------

    async def ask(self, question: str, context_id: str | None = None) -> Answer:
        """Quote the sentences that answer ``question``, or decline with related articles.

        ``context_id`` is the article of the previous answer in the conversation, so a
        follow-up ("what about the train scene?") can lean on it.
        """
        from articlebot.index.ranking.ask import Answer
        from articlebot.index.ranking.bridges import bridged_terms

        searcher = self._searcher
        question = question[:MAX_CHARS]  # as search caps a query: an essay costs no more
        terms = await asyncio.to_thread(searcher.question_terms, question)
        if not terms:
            return Answer(question, (), None, 0.0, True)
        wanted = terms + bridged_terms(terms, searcher.analyzer) if ASK_BRIDGES else terms
        docs, scores = await asyncio.to_thread(searcher.rank_terms, wanted, ASK_ARTICLES)
        docs, scores = list(docs), list(scores)
        context = searcher.catalog.by_id.get(context_id) if context_id else None
        if context is not None and context not in docs:
            docs.append(context)
            scores.append(scores[0] * 0.8 if scores else 1.0)
        articles = await self._articles(searcher, docs)
        return await asyncio.to_thread(_answer, question, articles, searcher, terms, scores)

    # --- reindexing ---------------------------------------------------------------------

    async def reindex(
        self,
        progress: Callable[[int, int], None] | None = None,
        full: bool = False,
        paths: Iterable[str | Path] | None = None,
    ) -> ReindexReport:
        """Incremental reindex of the content folder, or of the posts named by ``paths``
        (relative to the folder or absolute; see ``run_reindex``).

        Calls coalesce: a whole-folder call while a whole-folder run is going joins it and
        returns its report; any other call while one runs makes one more run after it,
        shared by every call that arrives meanwhile, over the union of their paths (a
        whole-folder or full request wins). A run that started before a change may have
        missed it, so the later run is needed.
        """
        request = _Request(full, None if paths is None else frozenset(map(os.fspath, paths)))
        if self._queued is not None and not self._queued.done():  # not started yet
            self._queued_request = self._queued_request.union(request)
            return await asyncio.shield(self._queued)
        running = self._reindex
        if running is None or running.done():
            self._reindex = asyncio.create_task(self._run_reindex(progress, request))
            self._running = request
            return await asyncio.shield(self._reindex)
        if self._running.covers(request):
            return await asyncio.shield(running)
        self._queued_request = request
        self._queued = asyncio.create_task(self._run_after(running, progress))
        return await asyncio.shield(self._queued)

    async def _run_after(
        self, running: asyncio.Task[ReindexReport], progress: Callable[[int, int], None] | None
    ) -> ReindexReport:
        """The queued run: after the running one (whatever its outcome), with every request
        queued until it starts."""
        with contextlib.suppress(Exception):
            await asyncio.shield(running)
        request, self._queued = self._queued_request, None
        self._reindex, self._running = asyncio.current_task(), request  # type: ignore[assignment]
        return await self._run_reindex(progress, request)

    @property
    def reindexing(self) -> bool:
        return any(t is not None and not t.done() for t in (self._reindex, self._queued))

    async def _run_reindex(
        self, progress: Callable[[int, int], None] | None, request: _Request
    ) -> ReindexReport:
        # The reindex's modules (the loader, YAML, TOML) are imported when it first runs:
        # a process that only serves never pays for them at start.
        from articlebot.index.storage.plan import scan
        from articlebot.index.storage.reindex import run_reindex

        full, paths = request.full, request.path_list()
        if paths is not None and len(paths) < PROCESS_THRESHOLD:
            few = True  # a few named posts: no scan of the folder to size the work
        else:
            found = await asyncio.to_thread(scan, self.content_dir)
            few = len(found.posts) < PROCESS_THRESHOLD
        if few:
            report = await asyncio.to_thread(
                run_reindex,
                self.db_path,
                self.content_dir,
                self.config,
                full=full,
                workers=1,
                progress=progress,
                paths=paths,
            )
        else:
            # Starting, waiting on and joining the worker process all block: a thread
            # does that, never the event loop.
            report = await asyncio.to_thread(
                _reindex_in_process, self.db_path, self.content_dir, self.config, full, paths
            )
        searcher, meta = await asyncio.to_thread(
            _open_sync, self.db_path, self.config, self._searcher
        )
        self._searcher, self._meta = searcher, meta
        return report

    async def refresh(self) -> ReindexReport | None:
        """Swap in the generation another process (the indexer) committed since this one
        was loaded; None when there is none. The report names the articles added and
        removed (edits are not told apart: this process did not read the files)."""
        if self.reindexing or self._closed:
            return None
        started = time.perf_counter()
        file = await asyncio.to_thread(_identity, self.db_path)
        if file is None:  # deleted, the indexer not yet started again: keep serving
            return None
        if file != self._file:  # deleted and built anew: read the new file once it is built
            return await self._reopen(file, started)
        generation = await self._read(tables.read_generation)
        if generation == self._meta.get("generation", "0"):
            return None
        return await self._swap(started)

    async def _swap(self, started: float) -> ReindexReport | None:
        """Load the committed generation and serve it; what it added and removed."""
        before = set(self._searcher.catalog.ids)
        try:
            searcher, meta = await asyncio.to_thread(
                _open_sync, self.db_path, self.config, self._searcher
            )
        except NoIndexYet:  # a new file the indexer has not written yet
            return None
        if self.reindexing:  # this process's own reindex began meanwhile: it swaps its own
            return None
        self._searcher, self._meta = searcher, meta
        after = searcher.catalog.ids
        return ReindexReport(
            added=tuple(a for a in after if a not in before),
            removed=tuple(sorted(before.difference(after))),
            total=len(after),
            seconds=time.perf_counter() - started,
        )

    async def _reopen(self, file: tuple[int, int], started: float) -> ReindexReport | None:
        """The index file was deleted and a new one made (it is derived data): once the
        new one holds a completed index, read it instead, without a restart."""

        def built() -> bool:
            try:
                conn = database.connect_reader(self.db_path)
            except NoIndexYet:
                return False
            try:
                return tables.read_meta(conn).get("built_at") is not None
            finally:
                conn.close()

        if not await asyncio.to_thread(built):
            return None
        loop = asyncio.get_running_loop()
        db = await loop.run_in_executor(self._reader, database.connect_reader, self.db_path)
        report = await self._swap(started)
        if report is None:
            await loop.run_in_executor(self._reader, db.close)
            return None
        old, self._db, self._file = self._db, db, file
        await loop.run_in_executor(self._reader, old.close)
        return report

    # --- about the index ----------------------------------------------------------------

    async def stats(self) -> IndexStats:
        searcher = self._searcher
        files = [segfile.segment_path(self.db_path, n) for n in segment_names(self._meta)]
        size = sum(
            p.stat().st_size
            for p in (self.db_path, Path(f"{self.db_path}-wal"), *files)
            if p.exists()
        )
        refused = await self._read(tables.count_files, "refused")
        languages = await self._read(tables.language_counts)
        return IndexStats(
            articles=len(searcher.catalog),
            categories=len(searcher.catalog.by_category),
            terms=len(searcher.bm25.vocab),
            built_at=self.built_at,
            db_bytes=size,
            content_dir=str(self.content_dir),
            refused=refused,
            languages=tuple(languages),
        )

    async def preload_kernel(self) -> bool:
        """Load the compiled ranking kernel now, off the loop, when it is installed (see
        ``fastpath``); True when it will rank. A server calls this before serving."""
        from articlebot.index.ranking import fastpath

        return await asyncio.to_thread(fastpath.preload) is not None

    async def close(self) -> None:
        for task in (self._reindex, self._queued):
            if task is not None and not task.done():
                # The caller is shutting down; a failed reindex leaves the old index intact.
                with contextlib.suppress(Exception):
                    await task
        if self._closed:  # closing twice is harmless
            return
        self._closed = True
        await self._read(sqlite3.Connection.close)
        self._reader.shutdown(wait=False)


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``, None when there is none."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def _search_page(
    conn: sqlite3.Connection,
    searcher: Searcher,
    query: str,
    limit: int,
    offset: int,
    literal: bool,
    snippets: bool,
) -> SearchResult | Plan:
    """A whole search on the reader thread, in one hand-off: plan, the page's rows (only
    the ten), snippets and a suggestion; the plan alone when it has quoted phrases left
    to check against the text (an index without positions), which
    ``ArticleIndex._verify_phrases`` checks batch by batch. Each hand-off costs a wake-up
    of a thread and of the event loop (~0.1 ms idle, ms on a loaded machine)."""
    plan = searcher.plan(query, limit, offset, literal)
    if plan.phrases:
        return plan
    return _result(conn, searcher, query, plan, limit, offset, snippets)


def _result(
    conn: sqlite3.Connection,
    searcher: Searcher,
    query: str,
    plan: Plan,
    limit: int,
    offset: int,
    snippets: bool,
    estimated: bool = False,
) -> SearchResult:
    """The result of a plan with no phrases left to check (its docs start at ``offset``):
    the rows of its first ``limit`` docs, their snippets, and a suggestion when nothing
    matched. Both ways to a page end here, each in one hand-off to the reader thread."""
    docs, scores = plan.docs[:limit].tolist(), plan.scores[:limit]
    ids = [searcher.catalog.ids[d] for d in docs]
    rows = tables.fetch_articles(conn, ids)
    articles = [rows[i] for i in ids if i in rows]
    hits = _page_hits(searcher, plan, docs, articles, scores, snippets)
    suggestion = searcher.suggest(plan.query) if plan.total == 0 else None
    return SearchResult(query, tuple(hits), plan.total, offset, suggestion, estimated)


def _page_hits(
    searcher: Searcher,
    plan: Plan,
    docs: list[int],
    articles: list[Article],
    scores,
    snippets: bool,
) -> list[Hit]:
    """The page's hits (``articles`` are the rows ``docs`` that were found), with their
    snippets looking for what the stored positions say each article holds."""
    ids = [searcher.catalog.ids[d] for d in docs]
    score_of = dict(zip(ids, (float(x) for x in scores), strict=False))
    counts: dict[str, dict[str, int]] = {}
    if snippets and plan.terms:
        found = searcher.term_counts(docs, plan.terms)
        if found is not None:
            counts = dict(zip(ids, found, strict=True))
    hits = []
    for article in articles:  # a row gone since the snapshot is missing: match by id
        score = score_of.get(article.id, 0.0)
        snippet = NO_SNIPPET
        if snippets:
            snippet = article_snippet(
                article, plan.terms, searcher.analyzer, counts.get(article.id)
            )
        hits.append(Hit(article, score, snippet))
    return hits


def _answer(
    question: str, articles: list[Article], searcher: Searcher, terms: list[str], scores
) -> Answer:
    from articlebot.index.ranking.ask import answer_question

    idf = {t: searcher.bm25.idf_of(t) for t in set(terms)}
    return answer_question(question, articles, searcher.analyzer, idf, scores)


@dataclass(frozen=True, slots=True)
class _Request:
    """What a reindex is asked to look at: the whole folder (``paths`` None) or posts."""

    full: bool
    paths: frozenset[str] | None

    def covers(self, other: _Request) -> bool:
        """Whether a run of this request, already going, answers ``other`` too."""
        return self.paths is None and other.paths is None and (self.full or not other.full)

    def union(self, other: _Request) -> _Request:
        paths = None if self.paths is None or other.paths is None else self.paths | other.paths
        return _Request(self.full or other.full, paths)

    def path_list(self) -> list[str | Path] | None:
        return None if self.paths is None else sorted(self.paths)


def _reindex_in_process(
    db_path: Path,
    content_dir: Path,
    config: IndexConfig,
    full: bool,
    paths: list[str | Path] | None = None,
) -> ReindexReport:
    """Run the reindex in a fresh process, so parsing never holds this process's GIL; the
    process (and its workers) ends by itself if this one dies."""
    import multiprocessing  # only a reindex of a large folder starts a process
    from concurrent.futures import ProcessPoolExecutor

    from articlebot.index.storage.reindex import run_reindex
    from articlebot.index.storage.workers import die_with_parent

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        job = pool.submit(run_reindex, db_path, content_dir, config, full=full, paths=paths)
        return job.result()


class _Opening:
    """``ArticleIndex.open(...)``: awaitable (the index) and an async context manager (the
    index, closed at the end)."""

    def __init__(self, opening: Any) -> None:
        self._opening = opening
        self._index: ArticleIndex | None = None

    def __await__(self) -> Generator[Any, None, ArticleIndex]:
        return self._opening.__await__()

    async def __aenter__(self) -> ArticleIndex:
        self._index = await self._opening
        return self._index

    async def __aexit__(self, *exc: object) -> None:
        if self._index is not None:
            await self._index.close()
