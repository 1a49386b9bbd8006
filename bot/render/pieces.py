"""Small pieces every reply is made of: quoted user text, dates, counts, linked titles and
snippets with their matched words marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from articlebot.bot import limits
from articlebot.bot.render.reply import (
    Style,
)
from articlebot.index import Article, Snippet


def quoted(text: str, style: Style, limit: int = 100) -> str:
    """User text inside “curly quotes”, escaped and cut to ``limit``."""
    return "“" + limits.fit(" ".join(text.split()), limit, style.escape) + "”"


def format_date(date: datetime | None, tz: tzinfo = UTC) -> str:
    if date is None:
        return "undated"
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    local = date.astimezone(tz)
    return f"{local.day} {local:%b %Y}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def meta_line(article: Article, tz: tzinfo, style: Style, limit: int = 60) -> str:
    parts = [format_date(article.date, tz)]
    if article.categories:
        parts.append(limits.fit(", ".join(article.categories), limit, style.escape))
    return " · ".join(parts)


def title_link(article: Article, style: Style, limit: int, link: bool = True) -> str:
    """The escaped title (at most ``limit`` long), linked to the article when possible."""
    raw = " ".join(article.title.split()) or article.slug or article.id
    title = limits.fit(raw, limit, style.escape)
    url = limits.safe_url(article.url, 300) if link else ""
    return style.link(title, url) if url else title


def clean_marks(snippet: Snippet, text: str) -> list[tuple[int, int]]:
    """The marks in order, inside the text, not overlapping, without edge whitespace
    (``** word**`` would not render bold)."""
    marks = []
    last = 0
    for start, end in sorted(snippet.marks):
        start, end = max(start, last, 0), min(end, len(text))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            marks.append((start, end))
            last = end
    return marks


def render_marked(text: str, marks: list[tuple[int, int]], style: Style) -> str:
    out, at = [], 0
    for start, end in marks:
        out.append(style.escape(text[at:start]))
        word = style.escape(text[start:end])
        out.append(style.mark(word) if word.strip() else word)
        at = end
    out.append(style.escape(text[at:]))
    return "".join(out)


def render_snippet(snippet: Snippet, style: Style, limit: int = 400) -> str:
    """The snippet on one line with its matched words marked, within ``limit``."""
    text = snippet.text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    marks = clean_marks(snippet, text)
    out = render_marked(text, marks, style)
    room = min(limit, limits.length(text))
    while limits.length(out) > limit and room > 0:
        cut = limits.truncate(text, room)
        keep = len(cut) - 1  # truncate keeps a prefix of text and adds "…"
        kept = [(s, min(e, keep)) for s, e in marks if s < keep]
        out = render_marked(text[:keep], kept, style) + limits.ELLIPSIS
        size = limits.length(out)
        room = min(room - 1, room * limit // max(size, 1))
    return out if limits.length(out) <= limit else ""


def list_lines(items: Sequence[str], limit: int, style: Style) -> str:
    """Lines of escaped items until ``limit``, then "… and N more"."""
    lines: list[str] = []
    used = 0
    for i, item in enumerate(items):
        line = limits.fit(item, 200, style.escape)
        more = f"… and {len(items) - i} more"
        reserve = len(more) + 1 if i < len(items) - 1 else 0
        if used + limits.length(line) + 1 + reserve > limit:
            lines.append(f"… and {len(items) - i} more")
            break
        lines.append(line)
        used += limits.length(line) + 1
    return "\n".join(lines)
