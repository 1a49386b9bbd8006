"""One article in full, and the replies when an article or category is not there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from urllib.parse import urljoin

from articlebot.bot import limits
from articlebot.bot.render.pieces import (
    format_date,
    plural,
    quoted,
)
from articlebot.bot.render.reply import (
    BRAND,
    DISCORD,
    Field,
    Reply,
    Style,
    finish,
)
from articlebot.index import Article


def _excerpt(body: str, limit: int) -> str:
    """The opening of the body, whole paragraphs while they fit."""
    paragraphs = [" ".join(p.split()) for p in body.split("\n\n")]
    out = ""
    for paragraph in (p for p in paragraphs if p):
        candidate = f"{out}\n\n{paragraph}" if out else paragraph
        if len(candidate) > limit:
            return out or limits.truncate(paragraph, limit)
        out = candidate
    return out


def article_card(article: Article, *, style: Style = DISCORD, tz: tzinfo = UTC) -> Reply:
    """One article: title, link, description, opening, date, categories, tags, author, image."""
    title = limits.fit(
        " ".join(article.title.split()) or article.slug, limits.EMBED_TITLE, style.escape
    )
    parts = []
    description = " ".join(article.description.split())
    excerpt = _excerpt(article.body, 900)
    # Posts often repeat their opening sentence as the description: show it once.
    stem = description.rstrip(".…!? ").casefold()
    if description and not (stem and excerpt.casefold().startswith(stem)):
        parts.append(limits.fit(description, 600, style.escape))
    if excerpt:
        parts.append(limits.fit(excerpt, 1800, style.escape))
    url = limits.safe_url(article.url)
    if url:
        parts.append(style.link("Read the article", url))
    fields: list[Field] = [("Published", format_date(article.date, tz), True)]
    if article.categories:
        fields.append(
            ("Categories", limits.fit(", ".join(article.categories), 500, style.escape), True)
        )
    if article.tags:
        fields.append(("Tags", limits.fit(", ".join(article.tags), 500, style.escape), True))
    if article.author.strip():
        fields.append(("Author", limits.fit(article.author.strip(), 200, style.escape), True))
    image = (
        limits.safe_url(urljoin(url, article.image.strip()))
        if article.image.strip() and url
        else ""
    )
    if not image and article.image.strip():
        image = limits.safe_url(article.image.strip())
    words = len(article.body.split())
    footer = (
        f"{plural(words, 'word')} · about {max(1, round(words / 230))} min read" if words else ""
    )
    return finish(
        Reply(
            title=title,
            url=url,
            description="\n\n".join(parts),
            fields=tuple(fields),
            footer=footer,
            image=image,
            colour=BRAND,
        )
    )


def article_not_found(ref: str, *, style: Style = DISCORD, prefix: str = "!") -> Reply:
    search = style.code(f"{prefix}search {limits.truncate(' '.join(ref.split()), 60)}")
    return finish(
        Reply(
            content=f"I couldn't find an article called {quoted(ref, style)}. Try {search}.",
            ephemeral=True,
        )
    )


def unknown_category(
    category: str, known: Sequence[str], *, style: Style = DISCORD, prefix: str = "!"
) -> Reply:
    names = ", ".join(limits.fit(name, 40, style.escape) for name in known[:15])
    more = f" (and {len(known) - 15} more)" if len(known) > 15 else ""
    hint = f" Try one of: {names}{more}." if known else ""
    return finish(
        Reply(
            content=f"There is no category {quoted(category, style, 80)}.{hint} "
            f"{style.code(f'{prefix}categories')} lists them all.",
            ephemeral=True,
        )
    )
