"""Replies as terminal text."""

from __future__ import annotations

from articlebot.bot import render
from articlebot.bot.render import Reply


def test_to_text():
    reply = Reply(
        title="T",
        url="https://x.org",
        description="D",
        fields=(("A", "1", True), ("B", "2", True), ("Long", "x\ny", False)),
        footer="F",
        content="C",
    )
    assert render.to_text(reply) == "C\nT\nhttps://x.org\nD\nA: 1 · B: 2\nLong\nx\ny\nF"
