"""What a reindex did, and the index's figures."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from articlebot.bot import limits
from articlebot.bot.render.pieces import (
    format_date,
    list_lines,
    plural,
)
from articlebot.bot.render.reply import (
    BRAND,
    DISCORD,
    GREEN,
    ORANGE,
    Field,
    Reply,
    Style,
    finish,
)
from articlebot.index import IndexStats, Prepared, ReindexReport
from articlebot.index.prepare import Part, State


def reindex_reply(report: ReindexReport, *, style: Style = DISCORD) -> Reply:
    """What a reindex did: counts, then the files added, updated, removed and refused."""
    summary = (
        f"{plural(report.total, 'article')} · {len(report.added)} added · "
        f"{len(report.updated)} updated · {len(report.removed)} removed · "
        f"{report.unchanged} unchanged"
    )
    extra = []
    if report.refused:
        extra.append(f"{len(report.refused)} refused")
    if report.skipped:
        extra.append(f"{len(report.skipped)} skipped (drafts, unpublished or duplicates)")
    lines = [summary]
    if extra:
        lines.append(" · ".join(extra))
    lines.append(f"Took {report.seconds:.1f} s.")
    fields: list[Field] = []
    for name, items in (
        ("Added", report.added),
        ("Updated", report.updated),
        ("Removed", report.removed),
    ):
        if items:
            fields.append((f"{name} ({len(items)})", list_lines(items, 1000, style), False))
    if report.refused:
        reasons = [f"{r.path} — {r.reason}" for r in report.refused]
        fields.append((f"Refused ({len(report.refused)})", list_lines(reasons, 1000, style), False))
    return finish(
        Reply(
            title="Index rebuilt" if report.full else "Index updated",
            description="\n".join(lines),
            fields=tuple(fields),
            colour=ORANGE if report.refused else GREEN,
        )
    )


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover


def human_age(then: datetime | None, now: datetime | None = None) -> str:
    if then is None:
        return "never built"
    now = now or datetime.now(UTC)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            return f"{plural(seconds // size, unit)} ago"
    return "just now"


LANGUAGES_SHOWN = 12


def languages_line(languages: tuple[tuple[str, str, int], ...]) -> str:
    """ "en 14 (detected) · de 1 (front matter)": each language with where it came from."""
    by_language: dict[str, list[tuple[str, int]]] = {}
    for language, source, count in languages:
        by_language.setdefault(language or "?", []).append((source or "?", count))
    ranked = sorted(by_language.items(), key=lambda kv: -sum(n for _, n in kv[1]))
    parts = []
    for language, sources in ranked[:LANGUAGES_SHOWN]:
        total = sum(n for _, n in sources)
        where = ", ".join(source for source, _ in sources)
        parts.append(f"{language} {total} ({where})")
    if len(ranked) > LANGUAGES_SHOWN:
        parts.append(f"+{len(ranked) - LANGUAGES_SHOWN} more")
    return " · ".join(parts)


def stats_reply(
    stats: IndexStats,
    *,
    queries_hour: int = 0,
    queries_day: int = 0,
    reindexing: bool = False,
    now: datetime | None = None,
    tz: tzinfo = UTC,
    pulling: str = "",
    process: str = "",
) -> Reply:
    built = human_age(stats.built_at, now)
    if stats.built_at is not None:
        built += f" ({format_date(stats.built_at, tz)})"
    fields: list[Field] = [
        ("Articles", str(stats.articles), True),
        ("Categories", str(stats.categories), True),
        ("Distinct words", str(stats.terms), True),
        ("Index built", built + (" · reindexing now" if reindexing else ""), True),
        ("Index size", human_bytes(stats.db_bytes), True),
        ("Searches", f"{queries_hour} in the last hour · {queries_day} in the last day", True),
    ]
    if stats.refused:
        fields.append(("Refused files", str(stats.refused), True))
    if pulling:
        fields.append(("Site checkout (git pull)", limits.fit(pulling, 300), False))
    if process:  # searches above are this process's: with shard ranges, its servers'
        fields.append(("This process", limits.fit(process, 300), False))
    if stats.languages:
        fields.append(("Languages", languages_line(stats.languages), False))
    return finish(Reply(title="Index statistics", fields=tuple(fields), colour=BRAND))


PART_NAMES = {Part.KERNEL: "Compiled ranking kernel", Part.LANGUAGE_MODEL: "Language model"}
MADE = {Part.KERNEL: "built", Part.LANGUAGE_MODEL: "unpacked"}


def prepared_reply(parts: tuple[Prepared, ...], *, style: Style = DISCORD) -> Reply:
    """What ``articlebot prepare`` found or made: one line a part, with its path."""
    fields: list[Field] = []
    for part in parts:
        where = f" · {part.path}" if part.path else ""
        if part.state is State.READY:
            line = f"ready{where}"
        elif part.state is State.MADE:
            line = f"{MADE[part.part]} in {part.seconds:.1f} s{where}"
        elif part.state is State.UNAVAILABLE:
            line = f"not built: {part.reason}"
        else:
            line = f"failed: {part.reason}"
        fields.append((PART_NAMES[part.part], limits.fit(line, 1000, style.escape), False))
    failed = any(part.failed for part in parts)
    return finish(
        Reply(
            title="Prepared for this machine",
            fields=tuple(fields),
            colour=ORANGE if failed else GREEN,
        )
    )
