"""What each command does, apart from Discord: the cogs and the console both call these.

Each method asks the index (a ``SearchIndex``: ``ArticleIndex``, whose methods never block
the event loop) and
returns a ``Reply`` from the builders in ``render``; user mistakes become a one-sentence
error reply, never an exception.
"""

from __future__ import annotations

import copy
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Protocol

from articlebot.bot import render
from articlebot.bot.render import DISCORD, PAGE_SIZE, Reply, Style, strings
from articlebot.index import ArticleIndexError, QueryError, SearchResult

if TYPE_CHECKING:
    from pathlib import Path

    from articlebot.index import Answer, Article, IndexStats, ReindexReport

MAX_QUERY = 300  # characters; the index caps its own work, this keeps replies readable
MAX_COUNT = 10
HOUR, DAY = 3600.0, 86400.0
FOLLOW_UP_WINDOW = 300.0  # seconds in which a question may lean on the previous answer
MAX_CONVERSATIONS = 1000  # channels whose last answer is remembered

_QUESTION_START = re.compile(
    r"(who|what|when|where|why|how|which|did|does|is|are|was|were|can|could|will)\b",
    re.IGNORECASE,
)


def looks_like_question(text: str) -> bool:
    """True for ``how many takes did it need``, ``the motorbike stunt?``; not for
    ``cruise stunt`` (searched instead)."""
    text = text.strip()
    return text.endswith("?") or _QUESTION_START.match(text) is not None


class SearchIndex(Protocol):
    """What the bot needs of an index. ``ArticleIndex`` is one; the narrow tests' stand-in
    is another, and a test checks both against this, member by member, so neither drifts."""

    @property
    def article_count(self) -> int: ...

    @property
    def reindexing(self) -> bool: ...

    async def search(
        self,
        query: str,
        limit: int = 5,
        offset: int = 0,
        *,
        literal: bool = False,
        snippets: bool = True,
    ) -> SearchResult: ...

    async def ask(self, question: str, context_id: str | None = None) -> Answer: ...

    async def latest(self, limit: int = 5, category: str | None = None) -> list[Article]: ...

    async def categories(self) -> list[tuple[str, int]]: ...

    async def article(self, ref: str) -> Article | None: ...

    def complete_categories(self, prefix: str, limit: int = 25) -> list[str]: ...

    def article_ids(self) -> list[str]: ...

    async def articles(self, ids: Sequence[str]) -> list[Article]: ...

    def complete_titles(self, text: str, limit: int = 25) -> list[tuple[str, str]]: ...

    async def stats(self) -> IndexStats: ...

    async def reindex(
        self,
        progress: Callable[[int, int], None] | None = None,
        full: bool = False,
        paths: Iterable[str | Path] | None = None,
    ) -> ReindexReport: ...


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


class FollowUps:
    """The article of the last answer in each channel (DMs included), so a follow-up
    within ``window`` seconds can lean on it. At most ``limit`` channels are kept, the
    least recently answered forgotten first; expired ones are dropped as they are met."""

    def __init__(
        self,
        window: float = FOLLOW_UP_WINDOW,
        limit: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.limit = max(1, limit)
        self._clock = clock
        self._last: OrderedDict[Hashable, tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._last)

    def _prune(self, now: float) -> None:
        # Oldest first: the dict is kept in the order of the answers.
        while self._last:
            channel, (_, at) = next(iter(self._last.items()))
            if now - at <= self.window:
                break
            del self._last[channel]

    def get(self, channel: Hashable | None) -> str | None:
        """The article id of ``channel``'s last answer, if it is recent enough."""
        if channel is None:
            return None
        self._prune(self._clock())
        found = self._last.get(channel)
        return found[0] if found else None

    def remember(self, channel: Hashable | None, article_id: str) -> None:
        if channel is None:
            return
        now = self._clock()
        self._last.pop(channel, None)
        self._last[channel] = (article_id, now)
        self._prune(now)
        while len(self._last) > self.limit:
            self._last.popitem(last=False)


@dataclass(frozen=True, slots=True)
class Heard:
    """What a search, ask or latest was asked and found: the query log's entry."""

    command: str  # search | ask | latest
    query: str
    results: int  # articles found; for ask, 1 answered or 0 declined
    declined: bool = False


class Answers:
    """The commands' logic over one index, rendered in one ``Style``.

    ``heard`` is what the last search, ask or latest was asked and found (None after one
    that was refused as empty or too long); the bot makes one ``Answers`` per command with
    ``for_server``, so it reads its own command's."""

    def __init__(
        self,
        index: SearchIndex,
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
        self.follow_ups = FollowUps()
        self.heard: Heard | None = None

    def for_server(self, prefix: str, page_size: int) -> Answers:
        """These answers with one server's prefix and page size, sharing the index, the
        recent-search counts and the follow-ups."""
        mine = copy.copy(self)
        mine.prefix, mine.page_size, mine.heard = prefix, page_size, None
        return mine

    def _escape_sentence(self, text: str) -> str:
        """An index sentence, escaped, with its `code` spans kept as safe inline code."""
        return render.sentence_with_code(" ".join(text.split()), self.style)

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
            self.heard = Heard("search", query, result.total)
        reply = render.search_page(
            result, style=self.style, tz=self.tz, prefix=self.prefix, page_size=self.page_size
        )
        return reply, result

    async def ask(self, question: str, channel: Hashable | None = None) -> Reply:
        """The sentences that answer ``question``, quoted with their source, or a plain
        "not in the articles" with the closest ones. A question in ``channel`` soon after
        an answer there may lean on that answer's article (a follow-up)."""
        question = " ".join(question.split())
        if not question:
            example = self.style.code(f"{self.prefix}ask {render.ASK_EXAMPLE}")
            return render.error(render.EMPTY_QUESTION.format(example=example))
        if len(question) > MAX_QUERY:
            return render.error(render.QUESTION_TOO_LONG.format(limit=MAX_QUERY))
        try:
            answer = await self.index.ask(question, context_id=self.follow_ups.get(channel))
        except QueryError as exc:
            return render.error(self._escape_sentence(str(exc)))
        self.queries.record()
        answered = not answer.declined and answer.article is not None
        self.heard = Heard("ask", question, int(answered), declined=not answered)
        if not answer.declined and answer.article is not None and answer.sentences:
            self.follow_ups.remember(channel, answer.article.id)
        return render.answer_reply(answer, style=self.style, tz=self.tz)

    async def latest(self, category: str | None = None, count: int = 5) -> Reply:
        if not 1 <= count <= MAX_COUNT:
            return render.error(render.COUNT_RANGE)
        name = None
        if category is not None and category.strip():
            known = await self.index.categories()
            wanted = " ".join(category.split()).casefold()
            name = next((n for n, _ in known if n.casefold() == wanted), None)
            if name is None:
                self.heard = Heard("latest", " ".join(category.split()), 0)
                return render.unknown_category(
                    category, [n for n, _ in known], style=self.style, prefix=self.prefix
                )
        articles = await self.index.latest(count, name)
        self.heard = Heard("latest", name or "", len(articles))
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
            return render.error(strings.WHICH_ARTICLE.format(example=example))
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
        try:
            report = await self.index.reindex(progress)
        except (ArticleIndexError, OSError) as exc:  # the folder or the index file
            return render.error(strings.REINDEX_FAILED.format(why=self._escape_sentence(str(exc))))
        return render.reindex_reply(report, style=self.style)

    async def stats(self, pulling: str = "", process: str = "") -> Reply:
        """Index figures and recent searches; ``pulling`` is how pulling the site's
        checkout goes, when the bot does; ``process`` its shards and loop lag."""
        hour, day = self.queries.counts()
        stats = await self.index.stats()
        return render.stats_reply(
            stats,
            queries_hour=hour,
            queries_day=day,
            reindexing=self.index.reindexing,
            tz=self.tz,
            pulling=pulling,
            process=process,
        )
