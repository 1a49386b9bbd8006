"""The editors' report from the query log: grouping, what found nothing, declined
questions, opened articles, every day of the window, and its edges."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from articlebot.bot.report import TOP, build_report, gather_report, window
from articlebot.bot.state import LoggedQuery, State, normalize_query

TODAY = date(2024, 3, 10)
_ids = itertools.count(1)


def logged(
    query: str,
    results: int = 3,
    *,
    command: str = "search",
    days_ago: float = 0,
    declined: bool = False,
    paged: bool = False,
    opened: tuple[str, ...] = (),
) -> LoggedQuery:
    at = datetime(2024, 3, 10, 12, tzinfo=UTC) - timedelta(days=days_ago)
    text = " ".join(query.split())
    return LoggedQuery(
        id=next(_ids),
        guild_id=1,
        command=command,
        query=text,
        normalized=normalize_query(text),
        results=results,
        declined=declined,
        paged=paged,
        at=at,
        opened=opened,
    )


def report(queries: list[LoggedQuery], days: int = 7, **kwargs):
    return build_report(queries, days=days, today=TODAY, titles=kwargs.pop("titles", {}), **kwargs)


def test_case_spacing_and_word_order_count_as_one_under_the_commonest_form() -> None:
    found = report(
        [
            logged("Cruise  stunt", 4),
            logged("stunt cruise", 2),
            logged("stunt cruise", 3),
            logged("comet", 1),
        ]
    )
    first, second = found.top
    assert (first.label, first.count, first.average_results) == ("stunt cruise", 3, 3.0)
    assert first.normalized == "cruise stunt"
    assert (second.label, second.count) == ("comet", 1)
    assert found.total == 4 and found.by_command == (("search", 4),)


def test_ties_keep_the_form_typed_first_and_rank_by_label() -> None:
    found = report([logged("Zebra"), logged("zebra"), logged("apple"), logged("Apple")])
    assert [(e.label, e.count) for e in found.top] == [("apple", 2), ("Zebra", 2)]


def test_only_the_top_ten_are_kept() -> None:
    found = report([logged(f"word{n}") for n in range(TOP + 5)])
    assert len(found.top) == TOP


def test_zero_results_are_searches_and_category_lists_that_found_nothing() -> None:
    found = report(
        [
            logged("knitting", 0),
            logged("Knitting", 0),
            logged("knitting", 2),  # found something that time: not a miss
            logged("quilts", 0, command="latest"),
            logged("", 0, command="latest"),  # no category asked for: not a wish
            logged("who knits?", 0, command="ask", declined=True),  # a question, not a search
        ]
    )
    assert [(e.command, e.label, e.count) for e in found.zero_results] == [
        ("search", "knitting", 2),
        ("latest", "quilts", 1),
    ]
    # Every search is in the top list, misses or not; an empty latest is not a query.
    assert [(e.label, e.count) for e in found.top] == [("knitting", 3)]


def test_declined_questions_are_grouped() -> None:
    found = report(
        [
            logged("Who is the mayor?", 0, command="ask", declined=True),
            logged("who is the MAYOR", 0, command="ask", declined=True),
            logged("How many takes?", 1, command="ask"),
        ]
    )
    [entry] = found.declined
    assert (entry.label, entry.count, entry.command) == ("Who is the mayor?", 2, "ask")
    assert found.by_command == (("ask", 3),)


def test_opened_articles_are_counted_with_their_titles() -> None:
    found = report(
        [
            logged("comet", opened=("a.md", "b.md")),
            logged("comet tail", opened=("a.md",)),
            logged("gone", opened=("deleted.md",)),
        ],
        titles={"a.md": "Comet seen", "b.md": "Tail of the comet"},
    )
    assert [(o.article_id, o.title, o.count) for o in found.opened] == [
        ("a.md", "Comet seen", 2),
        ("b.md", "Tail of the comet", 1),
        ("deleted.md", "deleted.md", 1),  # no longer in the index: its id
    ]


def test_every_day_of_the_window_with_zeros_and_paged() -> None:
    found = report(
        [logged("a", days_ago=0), logged("b", days_ago=0), logged("c", days_ago=3, paged=True)]
    )
    assert found.start == date(2024, 3, 4) and found.end == TODAY
    assert [d for d, _ in found.per_day] == [date(2024, 3, 4) + timedelta(days=n) for n in range(7)]
    assert [c for _, c in found.per_day] == [0, 0, 0, 1, 0, 0, 2]
    assert found.paged == 1


def test_window_edges() -> None:
    first_morning = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)
    queries = [
        logged("inside", days_ago=6),  # 4 March, noon: the first day
        logged("too old", days_ago=7),  # 3 March
        logged("tomorrow", days_ago=-1),  # after today: not in the window
    ]
    queries.append(logged("midnight", days_ago=0))
    queries[-1] = LoggedQuery(**{**_fields(queries[-1]), "at": first_morning})
    found = report(queries)
    assert sorted(e.label for e in found.top) == ["inside", "midnight"]
    assert found.per_day[0] == (date(2024, 3, 4), 2)
    one = report(queries, days=1)
    assert one.total == 0 and one.empty and one.per_day == ((TODAY, 0),)
    start, since = window(7, TODAY)
    assert start == date(2024, 3, 4) and since == first_morning


def test_days_follow_the_time_zone() -> None:
    # 23:30 UTC on 9 March is already 10 March in Tokyo.
    late = LoggedQuery(
        **{**_fields(logged("late")), "at": datetime(2024, 3, 9, 23, 30, tzinfo=UTC)}
    )
    tokyo = ZoneInfo("Asia/Tokyo")
    assert report([late], days=1, tz=tokyo).total == 1
    assert report([late], days=1).total == 0
    _, since = window(1, TODAY, tokyo)
    assert since == datetime(2024, 3, 9, 15, tzinfo=UTC)


def test_an_empty_log() -> None:
    found = report([])
    assert found.empty and found.top == found.zero_results == found.declined == found.opened == ()
    assert len(found.per_day) == 7


def _fields(q: LoggedQuery) -> dict[str, object]:
    return {name: getattr(q, name) for name in LoggedQuery.__slots__}


async def test_gather_reads_one_server_or_all_from_the_state_file(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    async with await State.open(tmp_path / "state.sqlite3") as state:
        first = await state.log_query(1, "search", "comet", 2)
        await state.query_opened(first, "comet.md")
        await state.log_query(2, "search", "Comet", 0)
        await state.log_query(None, "ask", "why?", 0, declined=True)  # a direct message
        await state.log_query(1, "search", "old", 1, at=now - timedelta(days=40))

        async def articles(ids):
            assert list(ids) == ["comet.md"]
            return [type("A", (), {"id": "comet.md", "title": "Comet seen"})()]

        one = await gather_report(state, days=30, guild_id=1, articles=articles)
        every = await gather_report(state, days=30, articles=articles)
    assert one.total == 1 and [(e.label, e.count) for e in one.top] == [("comet", 1)]
    assert [(o.title, o.count) for o in one.opened] == [("Comet seen", 1)]
    assert every.total == 3 and every.top[0].count == 2
    assert [e.label for e in every.zero_results] == ["Comet"]
    assert [e.label for e in every.declined] == ["why?"]
