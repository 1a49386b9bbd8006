"""Replies as terminal text, for the console and the command line."""

from __future__ import annotations

import os
from typing import TextIO

from articlebot.bot.render.reply import (
    PLAIN,
    Reply,
    Style,
)


def to_text(reply: Reply, style: Style = PLAIN) -> str:
    """A reply as terminal text: title, link, description, fields, footer."""
    out = []
    if reply.content:
        out.append(reply.content)
    if reply.title:
        out.append(style.bold(reply.title))
    if reply.url:
        out.append(reply.url)
    if reply.description:
        out.append(reply.description)
    inline: list[str] = []
    for name, value, is_inline in reply.fields:
        if is_inline and "\n" not in value:
            inline.append(f"{name}: {value}")
            continue
        if inline:
            out.append(" · ".join(inline))
            inline = []
        out.append(f"{style.bold(name)}\n{value}")
    if inline:
        out.append(" · ".join(inline))
    if reply.image:
        out.append(f"Image: {reply.image}")
    if reply.footer:
        out.append(reply.footer)
    return "\n".join(part for part in out if part)


def wants_colour(stream: TextIO) -> bool:
    """ANSI colour only for a terminal that has not asked for none (NO_COLOR, TERM=dumb)."""
    isatty = getattr(stream, "isatty", None)
    return bool(
        isatty
        and isatty()
        and "NO_COLOR" not in os.environ
        and os.environ.get("TERM", "") != "dumb"
    )
