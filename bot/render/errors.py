"""One-sentence replies for mistakes and refusals."""

from __future__ import annotations

import math
from collections.abc import Sequence

from articlebot.bot.render import strings
from articlebot.bot.render.pieces import (
    plural,
)
from articlebot.bot.render.reply import (
    DISCORD,
    Reply,
    Style,
    finish,
)


def sentence_with_code(text: str, style: Style) -> str:
    """Escape ``text`` but show its balanced `code` spans (the index quotes the user's
    filter or date in them) as inline code, whose content cannot render or ping."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced: treat every character as plain text
        return style.escape(text)
    return "".join(
        style.code(part) if i % 2 else style.escape(part) for i, part in enumerate(parts)
    )


def error(message: str) -> Reply:
    """A one-sentence reply that only the asker sees (for slash commands)."""
    return finish(Reply(content=message, ephemeral=True))


def cooldown_message(retry_after: float) -> str:
    seconds = max(1, math.ceil(retry_after))
    return f"You're going a little fast: try again in {plural(seconds, 'second')}."


def usage_message(usage: str, style: Style = DISCORD) -> str:
    return f"Usage: {style.code(usage)}"


def wrong_channel(channels: Sequence[int]) -> str:
    """Where the bot answers on this server (channel mentions ping nobody)."""
    shown = ", ".join(f"<#{c}>" for c in channels[:10])
    if len(channels) > 10:
        shown += f" and {len(channels) - 10} more"
    return strings.WRONG_CHANNEL.format(channels=shown)
