"""New-article announcements: one card per article, several cards to a message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo

from articlebot.bot import limits
from articlebot.bot.render import strings
from articlebot.bot.render.pieces import format_date, plural
from articlebot.bot.render.reply import BRAND, DISCORD, GREEN, Reply, Style, finish
from articlebot.bot.state import Subscription
from articlebot.index import Article

# Ten cards fill one message (Discord's embeds per message), and their text together must
# stay under its 6,000 characters: each card is kept to ~560.
CARDS_PER_MESSAGE = limits.EMBEDS_PER_MESSAGE
CARD_TITLE = 200
CARD_DESCRIPTION = 280
CARD_FOOTER = 80


def announcement_card(article: Article, *, style: Style = DISCORD, tz: tzinfo = UTC) -> Reply:
    """The linked title, description, date, categories and image of a new article."""
    raw = " ".join(article.title.split()) or article.slug or article.id
    description = " ".join((article.description or article.body[:400]).split())
    footer = format_date(article.date, tz)
    if article.categories:
        footer += " · " + ", ".join(article.categories)
    return finish(
        Reply(
            title=limits.fit(raw, CARD_TITLE, style.escape),
            url=limits.safe_url(article.url) or "",
            description=limits.fit(description, CARD_DESCRIPTION, style.escape),
            footer=limits.fit(footer, CARD_FOOTER, lambda text: text),
            image=limits.safe_url(article.image) or "",
            colour=BRAND,
        )
    )


def announcement_batches(articles: Sequence[Article]) -> list[list[Article]]:
    """The articles for one subscription in claims of at most ten, oldest first (a message
    each; a forum makes one post per article of a claim when it is delivered)."""
    size = CARDS_PER_MESSAGE
    ordered = sorted(articles, key=lambda a: (a.date is None, a.date or 0, a.id))  # type: ignore[arg-type, return-value]
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def forum_post_name(article: Article) -> str:
    """A forum post's name (its thread's title): the article's title as plain text, within
    Discord's 100 characters."""
    raw = " ".join(article.title.split()) or article.slug or article.id
    return raw if len(raw) <= limits.THREAD_NAME else raw[: limits.THREAD_NAME - 1] + "…"


def forum_tags(categories: Sequence[str], tags: Sequence[tuple[int, str]]) -> list[str]:
    """The ids of the forum's tags named like the article's categories (case aside), at
    most Discord's five per post."""
    wanted = {c.casefold() for c in categories}
    return [str(tag_id) for tag_id, name in tags if name.casefold() in wanted][
        : limits.TAGS_PER_POST
    ]


def role_ping(role_id: int | None) -> str:
    """The message content that pings a subscription's role (mentions inside embeds
    notify nobody), or nothing."""
    return f"<@&{role_id}>" if role_id else ""


def subscribed(subscription: Subscription, *, style: Style = DISCORD) -> Reply:
    """The confirmation of a new or renewed subscription, in one sentence."""
    what = (
        "new articles in " + ", ".join(style.code(c) for c in subscription.categories)
        if subscription.categories
        else "every new article"
    )
    ping = f", pinging <@&{subscription.role_id}>" if subscription.role_id else ""
    return finish(
        Reply(
            description=strings.SUBSCRIBED.format(
                what=what, channel=f"<#{subscription.channel_id}>", ping=ping
            ),
            colour=GREEN,
        )
    )


def unsubscribed(channel_id: int, removed: int) -> Reply:
    if not removed:
        return finish(Reply(description=strings.NOT_SUBSCRIBED.format(channel=f"<#{channel_id}>")))
    return finish(
        Reply(
            description=strings.UNSUBSCRIBED.format(
                count=plural(removed, "subscription"), channel=f"<#{channel_id}>"
            ),
            colour=GREEN,
        )
    )


HEALTH = {"ok": "working", "failing": "failing", "paused": "paused after repeated failures"}


def subscriptions_list(
    subscriptions: Sequence[Subscription], *, style: Style = DISCORD, tz: tzinfo = UTC
) -> Reply:
    """Each subscription: channel, filters, role, last post and health."""
    if not subscriptions:
        return finish(Reply(description=strings.NO_SUBSCRIPTIONS, colour=BRAND))
    lines = []
    for s in subscriptions[:25]:
        what = ", ".join(style.code(c) for c in s.categories) or "all categories"
        ping = f" · pings <@&{s.role_id}>" if s.role_id else ""
        last = format_date(s.last_posted_at, tz) if s.last_posted_at else "nothing posted yet"
        health = HEALTH.get(s.status, s.status)
        if s.reason and s.status != "ok":
            health += f" ({limits.fit(s.reason, 80, style.escape)})"
        lines.append(f"<#{s.channel_id}> · {what}{ping} · last post: {last} · {health}")
    if len(subscriptions) > 25:
        lines.append(f"… and {len(subscriptions) - 25} more")
    return finish(Reply(title="Subscriptions", description="\n".join(lines), colour=BRAND))
