"""The editors' report: what readers searched for, what the site lacks, what `ask` could
not answer, what they opened, and how many queries a day, from the query log.

``build_report`` is pure (the log rows in, a frozen ``Report`` out) so it is tested without
a database; ``gather_report`` reads the state file and the index's titles for it. At 90
days of log the aggregation in Python is cheap, and it keeps SQL out of everything but
``State``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from articlebot.bot.state import LoggedQuery

if TYPE_CHECKING:
    from articlebot.bot.state import State
    from articlebot.index import Article

DEFAULT_DAYS = 30
MAX_DAYS = 365
TOP = 10  # entries per section: what an editor reads, and what fits an embed field


@dataclass(frozen=True, slots=True)
class QueryCount:
    """One query, however it was typed: ``label`` is its most common typed form."""

    label: str
    normalized: str
    count: int
    average_results: float
    command: str = "search"


@dataclass(frozen=True, slots=True)
class OpenedCount:
    article_id: str
    title: str  # the id when the article is no longer in the index
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    days: int
    start: date  # the first day in the window, in the report's time zone
    end: date  # today, the last day
    total: int  # every logged query: search, ask and latest
    by_command: tuple[tuple[str, int], ...]
    paged: int  # searches whose results were paged through
    per_day: tuple[tuple[date, int], ...]  # every day of the window, zeros included
    top: tuple[QueryCount, ...]
    zero_results: tuple[QueryCount, ...]
    declined: tuple[QueryCount, ...]
    opened: tuple[OpenedCount, ...]

    @property
    def empty(self) -> bool:
        return self.total == 0


def window(days: int, today: date, tz: tzinfo = UTC) -> tuple[date, datetime]:
    """The window's first day and the instant it starts (for ``State.logged_queries``):
    ``days`` calendar days ending with today, in ``tz``."""
    start = today - timedelta(days=days - 1)
    return start, datetime.combine(start, time(), tzinfo=tz).astimezone(UTC)


def _label(forms: Counter[str]) -> str:
    """The most common typed form; among equals, the first one typed (Counter keeps
    insertion order and ``most_common`` is stable)."""
    return forms.most_common(1)[0][0]


def _ranked(groups: Mapping[tuple[str, str], list[LoggedQuery]]) -> tuple[QueryCount, ...]:
    counts = [
        QueryCount(
            label=_label(Counter(q.query for q in rows)),
            normalized=normalized,
            count=len(rows),
            average_results=sum(q.results for q in rows) / len(rows),
            command=command,
        )
        for (command, normalized), rows in groups.items()
    ]
    counts.sort(key=lambda c: (-c.count, c.label.casefold(), c.command))
    return tuple(counts[:TOP])


def _nothing_found(q: LoggedQuery) -> bool:
    """A search that found nothing, or a latest for a category with no articles: what
    readers want that the site does not have (a latest without a category is not asked
    for anything)."""
    if q.results:
        return False
    return q.command == "search" or (q.command == "latest" and bool(q.normalized))


def build_report(
    queries: Sequence[LoggedQuery],
    *,
    days: int,
    today: date,
    titles: Mapping[str, str],
    tz: tzinfo = UTC,
) -> Report:
    """The report over ``days`` days ending ``today`` (in ``tz``); rows outside the window
    are left out, so the caller may pass a wider log."""
    start = today - timedelta(days=days - 1)
    rows = [q for q in queries if start <= q.at.astimezone(tz).date() <= today]
    per_day = Counter(q.at.astimezone(tz).date() for q in rows)
    searched: dict[tuple[str, str], list[LoggedQuery]] = defaultdict(list)
    missing: dict[tuple[str, str], list[LoggedQuery]] = defaultdict(list)
    declined: dict[tuple[str, str], list[LoggedQuery]] = defaultdict(list)
    opened: Counter[str] = Counter()
    for q in rows:
        if q.command == "search" and q.normalized:
            searched["search", q.normalized].append(q)
        if _nothing_found(q):
            missing[q.command, q.normalized].append(q)
        if q.command == "ask" and q.declined:
            declined["ask", q.normalized].append(q)
        opened.update(q.opened)
    by_command = Counter(q.command for q in rows)
    return Report(
        days=days,
        start=start,
        end=today,
        total=len(rows),
        by_command=tuple(sorted(by_command.items(), key=lambda kv: (-kv[1], kv[0]))),
        paged=sum(1 for q in rows if q.paged),
        per_day=tuple(
            (start + timedelta(days=n), per_day.get(start + timedelta(days=n), 0))
            for n in range(days)
        ),
        top=_ranked(searched),
        zero_results=_ranked(missing),
        declined=_ranked(declined),
        opened=tuple(
            OpenedCount(article_id, titles.get(article_id) or article_id, count)
            for article_id, count in sorted(opened.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        ),
    )


ArticleLookup = Callable[[Sequence[str]], Awaitable[Sequence["Article"]]]


async def gather_report(
    state: State,
    *,
    days: int,
    guild_id: int | None = None,
    articles: ArticleLookup | None = None,
    tz: tzinfo = UTC,
    now: datetime | None = None,
) -> Report:
    """The report for one server (or every server) from the state file, with the opened
    articles' titles from the index when ``articles`` (``index.articles``) is given."""
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    _, since = window(days, today, tz)
    queries = await state.logged_queries(since, guild_id)
    ids = sorted({a for q in queries for a in q.opened})
    titles = {a.id: a.title for a in await articles(ids)} if articles and ids else {}
    return build_report(queries, days=days, today=today, titles=titles, tz=tz)
