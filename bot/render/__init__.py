"""The one set of reply builders that Discord, the console and the command line share.

Every builder is a pure function from index results to a neutral ``Reply`` (``reply.py``).
The ``Style`` says how text is escaped and how matched words, bold text, links and commands
look: ``DISCORD`` escapes Markdown and mentions and writes ``**word**`` and
``[title](url)``; ``plain_style()`` writes plain or coloured text for a terminal, which
``to_text`` lays out. Whatever the input, the result fits Discord's limits (``finish`` is
the last guard). The sentences of the bot's own are in ``strings.py``.
"""

from articlebot.bot.render.admin import (
    human_age,
    human_bytes,
    prepared_reply,
    reindex_reply,
    stats_reply,
)
from articlebot.bot.render.announce import (
    announcement_card,
    subscribed,
    subscriptions_list,
    unsubscribed,
)
from articlebot.bot.render.answer import LOW_CONFIDENCE, answer_reply
from articlebot.bot.render.article import article_card, article_not_found, unknown_category
from articlebot.bot.render.errors import (
    cooldown_message,
    error,
    sentence_with_code,
    usage_message,
    wrong_channel,
)
from articlebot.bot.render.help import help_reply
from articlebot.bot.render.listings import categories_list, latest_list
from articlebot.bot.render.pieces import format_date, quoted, render_snippet
from articlebot.bot.render.reply import (
    BRAND,
    DISCORD,
    GREEN,
    ORANGE,
    PAGE_SIZE,
    PLAIN,
    Reply,
    Style,
    embed_size,
    finish,
    plain_style,
)
from articlebot.bot.render.search import no_results, page_count, search_page
from articlebot.bot.render.strings import (
    ASK_EXAMPLE,
    COUNT_RANGE,
    DECLINED,
    EMPTY_QUERY,
    EMPTY_QUESTION,
    INTERNAL,
    NOT_ALLOWED,
    ONLY_ASKER,
    OUT_OF_DATE,
    OWNER_ONLY,
    QUERY_TOO_LONG,
    QUESTION_TOO_LONG,
    UNSURE,
)
from articlebot.bot.render.text import to_text, wants_colour

__all__ = [
    "ASK_EXAMPLE",
    "BRAND",
    "COUNT_RANGE",
    "DECLINED",
    "DISCORD",
    "EMPTY_QUERY",
    "EMPTY_QUESTION",
    "GREEN",
    "INTERNAL",
    "LOW_CONFIDENCE",
    "NOT_ALLOWED",
    "ONLY_ASKER",
    "ORANGE",
    "OUT_OF_DATE",
    "OWNER_ONLY",
    "PAGE_SIZE",
    "PLAIN",
    "QUERY_TOO_LONG",
    "QUESTION_TOO_LONG",
    "UNSURE",
    "Reply",
    "Style",
    "announcement_card",
    "answer_reply",
    "article_card",
    "article_not_found",
    "categories_list",
    "cooldown_message",
    "embed_size",
    "error",
    "finish",
    "format_date",
    "help_reply",
    "human_age",
    "human_bytes",
    "latest_list",
    "no_results",
    "page_count",
    "plain_style",
    "prepared_reply",
    "quoted",
    "reindex_reply",
    "render_snippet",
    "search_page",
    "sentence_with_code",
    "stats_reply",
    "subscribed",
    "subscriptions_list",
    "to_text",
    "unknown_category",
    "unsubscribed",
    "usage_message",
    "wants_colour",
    "wrong_channel",
]
