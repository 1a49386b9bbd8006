"""One-sentence replies."""

from __future__ import annotations

import pytest

from articlebot.bot import render
from articlebot.bot.render import DISCORD
from tests.bot.render.samples import (
    assert_safe,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "1 second"), (1.0, "1 second"), (3.4, "4 seconds"), (59.9, "60 seconds")],
)
def test_cooldown_message(seconds, text):
    assert render.cooldown_message(seconds).endswith(f"try again in {text}.")


def test_error_reply():
    reply = render.error("x" * 5000)
    assert reply.ephemeral and not reply.has_embed
    assert_safe(reply)


def test_index_sentences_keep_code_spans_but_not_their_markup() -> None:
    from articlebot.bot.render import sentence_with_code

    text = "I don't know the filter `**x**<@&1>:` — try category: or *tag:*."
    shown = sentence_with_code(text, DISCORD)
    assert shown.startswith("I don't know the filter `")
    code = shown.split("`")[1]
    assert "**x**" in code and "<@&1>" not in code  # literal inside code, mention broken
    assert "\\*tag:\\*" in shown  # prose is escaped
    unbalanced = sentence_with_code("a ` b", DISCORD)
    assert "\\`" in unbalanced
