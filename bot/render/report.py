"""The editors' report as a reply (Discord embed, or terminal text) and as JSON.

Queries are what readers typed: every label is escaped and cut like any user text, and
each section stops at Discord's field limit with "… and N more".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from articlebot.bot import limits
from articlebot.bot.render import strings
from articlebot.bot.render.pieces import plural, quoted
from articlebot.bot.render.reply import BRAND, DISCORD, Field, Reply, Style, finish
from articlebot.bot.report import QueryCount, Report

LABEL = 80  # characters of a query shown
TITLE = 100  # characters of an article title shown
NOUNS = {
    "query": "queries",
    "search": "searches",
    "ask": "questions",
    "question": "questions",
    "latest": "latest lists",
}
SINGULAR = {"ask": "question", "latest": "latest list"}


def count_of(n: int, noun: str) -> str:
    """ "1 search", "3 searches": the log's command names as an editor says them."""
    return f"{n} {SINGULAR.get(noun, noun)}" if n == 1 else f"{n} {NOUNS.get(noun, noun + 's')}"


def short_date(day: date) -> str:
    return f"{day.day} {day:%b}"


def report_title(report: Report) -> str:
    return f"Report: last {plural(report.days, 'day')}"


def chart_title(report: Report) -> str:
    return f"Queries per day, last {plural(report.days, 'day')}"


def field_lines(lines: Sequence[str], limit: int = limits.FIELD_VALUE) -> str:
    """As many whole lines as fit ``limit``, then "… and N more" (lines are escaped)."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        reserve = len(f"\n… and {rest} more") if rest else 0
        size = limits.length(line) + (1 if out else 0)
        if used + size + reserve > limit:
            out.append(f"… and {len(lines) - i} more")
            break
        out.append(line)
        used += size
    return "\n".join(out)


def _query_line(n: int, entry: QueryCount, style: Style, *, results: bool) -> str:
    label = quoted(entry.label, style, LABEL)
    if entry.command == "latest":
        label = f"latest {label}"
    line = f"{n}. {label} — {entry.count}"
    if results:
        line += f" · {entry.average_results:.1f} results on average"
    return line


def _queries(entries: Sequence[QueryCount], style: Style, none: str, *, results: bool) -> str:
    if not entries:
        return none
    return field_lines(
        [_query_line(n, e, style, results=results) for n, e in enumerate(entries, 1)]
    )


def _summary(report: Report) -> str:
    kinds = " · ".join(count_of(count, command) for command, count in report.by_command)
    line = (
        f"{count_of(report.total, 'query')} from {short_date(report.start)} to "
        f"{short_date(report.end)} {report.end.year}: {kinds}."
    )
    if report.paged:
        line += f" {count_of(report.paged, 'search')} paged on to more results."
    return line


def _per_day(report: Report) -> str:
    counts = [count for _, count in report.per_day]
    busiest_day, busiest = max(report.per_day, key=lambda dc: (dc[1], dc[0]))
    quiet = sum(1 for c in counts if not c)
    line = (
        f"{sum(counts) / len(counts):.1f} a day on average · busiest "
        f"{short_date(busiest_day)} ({busiest})"
    )
    if quiet:
        line += f" · {plural(quiet, 'day')} without any"
    return line


def report_reply(report: Report, *, style: Style = DISCORD, image: str = "") -> Reply:
    """The report as one embed; ``image`` is the chart's URL (``attachment://…`` when
    the chart is sent with the message). An empty log is one sentence."""
    if report.empty:
        return finish(
            Reply(
                description=strings.REPORT_EMPTY.format(days=plural(report.days, "day")),
                colour=BRAND,
            )
        )
    opened = [
        f"{n}. {limits.fit(' '.join(o.title.split()), TITLE, style.escape)} — {o.count}"
        for n, o in enumerate(report.opened, 1)
    ]
    fields: list[Field] = [
        (
            "Most searched",
            _queries(report.top, style, strings.REPORT_NO_SEARCHES, results=True),
            False,
        ),
        (
            "Found nothing: what readers want that the site does not have",
            _queries(report.zero_results, style, strings.REPORT_NO_MISSES, results=False),
            False,
        ),
        (
            "Questions ask could not answer",
            _queries(report.declined, style, strings.REPORT_NO_DECLINES, results=False),
            False,
        ),
        (
            "Most opened articles",
            field_lines(opened) if opened else strings.REPORT_NO_OPENS,
            False,
        ),
        ("Queries per day", _per_day(report), False),
    ]
    return finish(
        Reply(
            title=report_title(report),
            description=_summary(report),
            fields=tuple(fields),
            footer=strings.REPORT_FOOTER,
            image=image,
            colour=BRAND,
        )
    )


def _query_json(entry: QueryCount) -> dict[str, Any]:
    return {
        "query": entry.label,
        "normalized": entry.normalized,
        "command": entry.command,
        "count": entry.count,
        "average_results": round(entry.average_results, 2),
    }


def report_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON values, for ``articlebot report --json``."""
    return {
        "days": report.days,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "total": report.total,
        "by_command": dict(report.by_command),
        "paged": report.paged,
        "per_day": [{"date": day.isoformat(), "count": count} for day, count in report.per_day],
        "top": [_query_json(e) for e in report.top],
        "zero_results": [_query_json(e) for e in report.zero_results],
        "declined": [_query_json(e) for e in report.declined],
        "opened": [{"id": o.article_id, "title": o.title, "count": o.count} for o in report.opened],
    }
