"""A page of search results, and the reply when nothing matched."""

from __future__ import annotations

import math
from datetime import UTC, tzinfo

from articlebot.bot import limits
from articlebot.bot.render.pieces import (
    meta_line,
    plural,
    quoted,
    render_snippet,
    title_link,
)
from articlebot.bot.render.reply import (
    BRAND,
    DISCORD,
    ORANGE,
    PAGE_SIZE,
    Reply,
    Style,
    finish,
)
from articlebot.index import SearchResult

# (snippet, title, categories, linked) room per hit, tried in order until a page fits.
_SEARCH_BUDGETS = (
    (400, 150, 60, True),
    (260, 120, 50, True),
    (160, 100, 40, True),
    (80, 80, 30, True),
    (0, 60, 20, False),
)


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(total / max(1, page_size)))


def search_page(
    result: SearchResult,
    *,
    style: Style = DISCORD,
    tz: tzinfo = UTC,
    prefix: str = "!",
    page_size: int = PAGE_SIZE,
) -> Reply:
    """One page of search results: linked titles, date, categories and marked snippets."""
    query = quoted(result.query, style, 200)
    if not result.hits:
        return no_results(result, style=style, prefix=prefix)
    page = result.offset // max(1, page_size) + 1
    pages = page_count(result.total, page_size)
    description = ""
    for snippet_room, title_room, cat_room, link in _SEARCH_BUDGETS:
        blocks = []
        for i, hit in enumerate(result.hits, start=result.offset + 1):
            head = style.bold(f"{i}. {title_link(hit.article, style, title_room, link)}")
            lines = [head, meta_line(hit.article, style=style, tz=tz, limit=cat_room)]
            if snippet_room:
                snippet = render_snippet(hit.snippet, style, snippet_room)
                if snippet:
                    lines.append(snippet)
            blocks.append("\n".join(lines))
        description = "\n\n".join(blocks)
        if limits.length(description) <= limits.EMBED_DESCRIPTION:
            break
    about = "about " if result.estimated else ""
    footer = f"Page {page}/{pages} · {about}{plural(result.total, 'result')}"
    return finish(
        Reply(
            title=f"Results for {query}",
            description=description,
            footer=footer,
            colour=BRAND,
        )
    )


def no_results(result: SearchResult, *, style: Style = DISCORD, prefix: str = "!") -> Reply:
    query = quoted(result.query, style, 200)
    if result.total > 0:  # a page past the end
        return finish(
            Reply(
                content=f"There are no more results for {query} "
                f"({plural(result.total, 'result')} in all).",
                ephemeral=True,
            )
        )
    lines = []
    if result.suggestion:
        lines.append(
            f"Did you mean {style.bold(limits.fit(result.suggestion, 200, style.escape))}?"
        )
    lines.append(
        f"Try fewer or different words; {style.code(f'{prefix}help')} shows the search syntax."
    )
    return finish(
        Reply(
            title=f"No results for {query}",
            description="\n".join(lines),
            colour=ORANGE,
        )
    )
