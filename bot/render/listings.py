"""The newest articles and the list of categories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo

from articlebot.bot import limits
from articlebot.bot.render.pieces import (
    meta_line,
    plural,
    quoted,
    title_link,
)
from articlebot.bot.render.reply import (
    BRAND,
    DISCORD,
    Reply,
    Style,
    finish,
)
from articlebot.index import Article


def latest_list(
    articles: Sequence[Article],
    *,
    category: str | None = None,
    style: Style = DISCORD,
    tz: tzinfo = UTC,
    prefix: str = "!",
) -> Reply:
    """The newest articles, optionally of one category."""
    where = f" in {quoted(category, style, 80)}" if category else ""
    if not articles:
        return finish(Reply(content=f"There are no articles{where} yet."))
    blocks = []
    for i, article in enumerate(articles[:25], start=1):
        lines = [
            style.bold(f"{i}. {title_link(article, style, 150)}"),
            meta_line(article, tz, style),
        ]
        if article.description.strip():
            lines.append(limits.fit(" ".join(article.description.split()), 200, style.escape))
        blocks.append("\n".join(lines))
    description = ""
    for count in range(len(blocks), 0, -1):  # whole articles only
        description = "\n\n".join(blocks[:count])
        if limits.length(description) <= limits.EMBED_DESCRIPTION:
            break
    title = f"Latest{where}" if category else "Latest articles"
    return finish(
        Reply(
            title=title,
            description=description,
            footer=f"{prefix}article <title> shows one in full",
            colour=BRAND,
        )
    )


def categories_list(
    categories: Sequence[tuple[str, int]], *, style: Style = DISCORD, prefix: str = "!"
) -> Reply:
    """Every category with its article count, most articles first."""
    if not categories:
        return finish(Reply(content="There are no categories yet."))
    items = [
        f"{style.bold(limits.fit(name, 80, style.escape))} · {plural(count, 'article')}"
        for name, count in categories
    ]
    separator = "\n" if len(items) <= 30 else "  •  "
    shown: list[str] = []
    used = 0
    for i, item in enumerate(items):
        more = f"… and {len(items) - i} more"
        if used + limits.length(item) + 5 + len(more) > limits.EMBED_DESCRIPTION - 10:
            shown.append(more)
            break
        shown.append(item)
        used += limits.length(item) + len(separator)
    return finish(
        Reply(
            title=f"Categories ({len(categories)})",
            description=separator.join(shown),
            footer=f"{prefix}latest <category> shows the newest in one",
            colour=BRAND,
        )
    )
