"""The answer to a question: the quoted sentences and their source, or a plain decline
with the closest articles.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from articlebot.bot import limits
from articlebot.bot.render.pieces import (
    format_date,
    quoted,
    title_link,
)
from articlebot.bot.render.reply import (
    BRAND,
    DISCORD,
    ORANGE,
    Reply,
    Style,
    finish,
)
from articlebot.bot.render.strings import (
    DECLINED,
    UNSURE,
)
from articlebot.index import Answer, Article

QUOTE_ROOM = 1500  # the quoted sentences; the rest of the description is the source line


RELATED_SHOWN = 3


LOW_CONFIDENCE = 0.75  # a lower chance of being right carries a hint to check the article


def _dated_link(article: Article, style: Style, tz: tzinfo, limit: int = 150) -> str:
    return f"{title_link(article, style, limit)} · {format_date(article.date, tz)}"


def answer_reply(answer: Answer, *, style: Style = DISCORD, tz: tzinfo = UTC) -> Reply:
    """The sentences that answer the question, quoted, with the source article linked and
    dated; or, when the articles do not hold an answer, one plain sentence and the closest
    articles."""
    title = quoted(answer.question, style, 200)
    article = answer.article
    text = " ".join(" ".join(s.split()) for s in answer.sentences)
    if answer.declined or article is None or not text:
        lines = [DECLINED]
        related = list({a.id: a for a in answer.related}.values())
        if related:
            lines.append("")
            lines.append(style.bold("Closest articles"))
            lines += [f"- {_dated_link(a, style, tz)}" for a in related[:RELATED_SHOWN]]
        return finish(Reply(title=title, description="\n".join(lines), colour=ORANGE))
    # One line: escaping keeps a sentence's own "> " or "# " from becoming Markdown.
    quote = "> " + limits.fit(text, QUOTE_ROOM, style.escape)
    source = f"Source: {_dated_link(article, style, tz, 200)}"
    unsure = answer.confidence < LOW_CONFIDENCE
    return finish(
        Reply(
            title=title,
            description=f"{quote}\n\n{source}",
            footer=UNSURE if unsure else "",
            colour=BRAND,
        )
    )
