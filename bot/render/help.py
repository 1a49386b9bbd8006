"""What the bot can do, with examples."""

from __future__ import annotations

from articlebot.bot import limits
from articlebot.bot.render.reply import (
    BRAND,
    DISCORD,
    Field,
    Reply,
    Style,
    finish,
)
from articlebot.bot.render.strings import (
    ASK_EXAMPLE,
)


def help_reply(
    *, style: Style = DISCORD, prefix: str = "!", console: bool = False, mention: str = ""
) -> Reply:
    """What the bot can do, with examples. ``console`` lists the console's own commands."""
    p = "" if console else prefix
    c = style.code
    lines = [
        f"{c(p + 'search cruise stunt')} — articles about these words, best first",
        f"{c(p + 'ask ' + ASK_EXAMPLE)} — the sentences that answer it, quoted, with "
        "the article they come from",
        f"{c(p + 'latest tv 3')} — the newest articles, of one category if you like (1–10)",
        f"{c(p + 'categories')} — every category and how many articles it has",
        f"{c(p + 'article comet seen over the valley')} — one article in full",
    ]
    if console:
        lines += [
            f"{c('more')} / {c('back')} — the next / previous page of results",
            f"{c('reindex')}, {c('stats')} — refresh the index, show its figures",
            f"{c('quit')} — leave (or Ctrl-D). A question is answered, anything else is searched.",
        ]
    else:
        lines.append("Every command also works as a slash command: " + c("/search cruise stunt"))
        if mention:
            me = limits.fit(mention, 80, style.escape)
            lines.append(
                f"Or mention me with words to search or a question to answer: {me} cruise stunt"
                f" · {me} who judged the cooking show?"
            )
    phrase, author = c('"train chase"'), c('author:"Jane Doe"')
    syntax = "\n".join(
        [
            f"{phrase} — the exact phrase",
            f"{c('-crash')} — leave out articles with this word",
            f"{c('category:tv')} or {c('in:tv')} — only this category",
            f"{c('tag:olympics')}, {author} — only this tag / author",
            f"{c('after:2020-09-01')}, {c('before:2020-10')} — a day, month or year",
        ]
    )
    fields: list[Field] = [("Search syntax", syntax, False)]
    if not console:
        fields.append(
            (
                "For server managers",
                f"{c(p + 'subscribe #news tv')} — post new articles (of these categories) "
                f"in a channel; add a role to ping it · {c(p + 'unsubscribe #news')} · "
                f"{c(p + 'subscriptions')}\n"
                f"{c(p + 'reindex')} — read new and changed articles now\n"
                f"{c(p + 'report 30')} — what readers searched for, found nothing for, "
                "and opened, with a chart\n"
                f"{c(p + 'settings')} — this server's prefix, channels, reply visibility, "
                "page sizes, admin roles and query log\n"
                f"{c(p + 'stats')} — index figures · {c(p + 'sync')} — publish slash commands "
                "(bot owner)",
                False,
            )
        )
    return finish(
        Reply(
            title="Search the site's articles",
            description="\n".join(lines),
            fields=tuple(fields),
            colour=BRAND,
        )
    )
