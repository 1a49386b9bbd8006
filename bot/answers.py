"""What each command does, apart from Discord: the cogs and the console both call these.

Each method asks the ``ArticleIndex`` (whose methods never block the event loop) and
returns a ``Reply`` from the builders in ``render``; user mistakes become a one-sentence
error reply, never an exception.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING

from bot import render
from bot.render import DISCORD, PAGE_SIZE, Reply, Style
from index.results import QueryError, SearchResult
from index.store import StoreError

if TYPE_CHECKING:
    from index.service import ArticleIndex

MAX_QUERY = 300  # characters; the index caps its own work, this keeps replies readable
MAX_COUNT = 10
HOUR, DAY = 3600.0, 86400.0


class QueryLog:
    """When searches happened, for the last day, in memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._times: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._times and now - self._times[0] > DAY:
            self._times.popleft()

    def record(self) -> None:
        now = self._clock()
        self._times.append(now)
        self._prune(now)

    def counts(self) -> tuple[int, int]:
        """(searches in the last hour, searches in the last day)."""
        now = self._clock()
        self._prune(now)
        hour = sum(1 for t in reversed(self._times) if now - t <= HOUR)
        return hour, len(self._times)


class Answers:
    """The commands' logic over one index, rendered in one ``Style``."""

    def __init__(
        self,
        index: ArticleIndex,
        *,
        style: Style = DISCORD,
        tz: tzinfo = UTC,
        prefix: str = "!",
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.index = index
        self.style = style
        self.tz = tz
        self.prefix = prefix
        self.page_size = page_size
        self.queries = QueryLog()

    def _escape_sentence(self, text: str) -> str:
        return self.style.escape(" ".join(text.split()))

    async def search(self, query: str, page: int = 0) -> tuple[Reply, SearchResult | None]:
        """A page of results (``page`` from 0) and the result behind it, or an error reply
        and ``None``."""
        query = " ".join(query.split())
        if not query:
            example = self.style.code(f"{self.prefix}search cruise stunt")
            return render.error(render.EMPTY_QUERY.format(example=example)), None
        if len(query) > MAX_QUERY:
            return render.error(render.QUERY_TOO_LONG.format(limit=MAX_QUERY)), None
        try:
            result = await self.index.search(
                query, limit=self.page_size, offset=max(0, page) * self.page_size
            )
        except QueryError as exc:
            return render.error(self._escape_sentence(str(exc))), None
        if page == 0:
            self.queries.record()
        reply = render.search_page(
            result, style=self.style, tz=self.tz, prefix=self.prefix, page_size=self.page_size
        )
        return reply, result

    async def latest(self, category: str | None = None, count: int = 5) -> Reply:
        if not 1 <= count <= MAX_COUNT:
            return render.error(render.COUNT_RANGE)
        name = None
        if category is not None and category.strip():
            known = await self.index.categories()
            wanted = " ".join(category.split()).casefold()
            name = next((n for n, _ in known if n.casefold() == wanted), None)
            if name is None:
                return render.unknown_category(
                    category, [n for n, _ in known], style=self.style, prefix=self.prefix
                )
        articles = await self.index.latest(count, name)
        return render.latest_list(
            articles, category=name, style=self.style, tz=self.tz, prefix=self.prefix
        )

    async def categories(self) -> Reply:
        return render.categories_list(
            await self.index.categories(), style=self.style, prefix=self.prefix
        )

    async def article(self, ref: str) -> Reply:
        ref = " ".join(ref.split())
        if not ref:
            example = self.style.code(f"{self.prefix}article comet seen over the valley")
            return render.error(f"Which article? For example {example}.")
        if len(ref) > MAX_QUERY:
            return render.error(render.QUERY_TOO_LONG.format(limit=MAX_QUERY))
        article = await self.index.article(ref)
        if article is None:
            return render.article_not_found(ref, style=self.style, prefix=self.prefix)
        return render.article_card(article, style=self.style, tz=self.tz)

    def help(self, *, console: bool = False, mention: str = "") -> Reply:
        return render.help_reply(
            style=self.style, prefix=self.prefix, console=console, mention=mention
        )

    async def reindex(self, progress: Callable[[int, int], None] | None = None) -> Reply:
        from index.reindex import ContentError  # the content folder is missing or unreadable

        try:
            report = await self.index.reindex(progress)
        except (ContentError, StoreError, OSError) as exc:
            return render.error(
                "The reindex failed and the previous index is still in use: "
                + self._escape_sentence(str(exc))
            )
        return render.reindex_reply(report, style=self.style)

    async def stats(self) -> Reply:
        hour, day = self.queries.counts()
        stats = await self.index.stats()
        return render.stats_reply(
            stats,
            queries_hour=hour,
            queries_day=day,
            reindexing=self.index.reindexing,
            tz=self.tz,
        )
