"""Answers to questions, and declines."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from articlebot.bot import limits, render
from articlebot.bot.render import PLAIN
from articlebot.bot.render.answer import QUOTE_ROOM
from articlebot.index.ranking.ask import Answer
from tests.bot.render.samples import (
    LONG,
    answered,
    article,
    assert_safe,
    declined,
    hostile_article,
    unescaped,
)


class TestAnswerReply:
    def test_quoted_with_the_source(self):
        reply = render.answer_reply(
            answered("Amateur astronomers photographed the comet.", "Its tail was long.")
        )
        assert reply.title == "“When was the comet seen?”"
        quote, source = reply.description.split("\n\n")
        assert quote == "> Amateur astronomers photographed the comet. Its tail was long."
        assert source == (
            "Source: [Comet seen over the valley 1](https://example.com/posts/post-1) · 20 Mar 2021"
        )
        assert reply.footer == "" and reply.colour == render.BRAND
        assert not reply.ephemeral
        assert_safe(reply)

    def test_site_time_zone_and_undated(self):
        late = article(date=datetime(2021, 3, 20, 23, 30, tzinfo=UTC))
        reply = render.answer_reply(answered("x.", source=late), tz=ZoneInfo("Australia/Sydney"))
        assert reply.description.endswith("· 21 Mar 2021")
        undated = render.answer_reply(answered("x.", source=article(date=None)))
        assert undated.description.endswith("· undated")

    def test_low_confidence_says_so(self):
        reply = render.answer_reply(answered("Perhaps this.", confidence=0.62))
        assert reply.footer == render.UNSURE
        assert_safe(reply)

    def test_sentence_markdown_cannot_escape_the_quote(self):
        sentence = "> # **Breaking** @everyone [click](https://evil.example)\n- item `x`"
        reply = render.answer_reply(answered(sentence))
        quote = reply.description.split("\n\n")[0]
        assert quote.startswith("> \\>") and "\n" not in quote  # one line, its ">" escaped
        assert unescaped(quote[2:], "*_`[]") == []
        heading = render.answer_reply(answered("# Big news", "-# small print"))
        assert heading.description.startswith("> \\# Big news -# small print")
        assert "@\u200beveryone" in quote
        assert_safe(reply)

    def test_hostile_and_long(self):
        reply = render.answer_reply(
            answered(LONG, LONG, question=LONG, source=hostile_article(), confidence=0.0)
        )
        assert_safe(reply)
        assert reply.description.startswith("> ")
        quote, source = reply.description.split("\n\n", 1)
        assert "\n" not in quote and limits.length(quote) <= QUOTE_ROOM + 2
        assert source.startswith("Source: ")
        # Only our own link: none smuggled in through the title or the sentences.
        assert len(re.findall(r"(?<!\\)\]\(", reply.description)) <= 1
        assert limits.length(reply.title) <= limits.EMBED_TITLE

    def test_source_without_a_usable_url_is_not_linked(self):
        reply = render.answer_reply(answered("x.", source=article(url="javascript:alert(1)")))
        assert "Source: Comet seen over the valley 1 · 20 Mar 2021" in reply.description
        assert "](" not in reply.description

    def test_declined_offers_the_closest_articles(self):
        related = [article(n) for n in (1, 2, 1, 3, 4, 5)]  # one twice
        reply = render.answer_reply(declined(*related))
        lines = reply.description.splitlines()
        assert lines[0] == render.DECLINED == "I couldn't find that in the articles."
        assert lines[2] == "**Closest articles**"
        assert lines[3:] == [
            f"- [Comet seen over the valley {n}](https://example.com/posts/post-{n}) · 20 Mar 2021"
            for n in (1, 2, 3)
        ]
        assert reply.colour == render.ORANGE and reply.title == "“Who won the election?”"
        assert ">" not in reply.description  # nothing quoted
        assert_safe(reply)

    def test_declined_without_related_is_one_sentence(self):
        reply = render.answer_reply(declined())
        assert reply.description == render.DECLINED
        assert_safe(reply)

    def test_not_declined_but_nothing_to_quote_declines(self):
        empty = Answer("q?", ("  ",), article(), 0.9, False)
        assert render.answer_reply(empty).description == render.DECLINED

    def test_declined_hostile(self):
        reply = render.answer_reply(
            declined(*(replace(hostile_article(n), id=str(n)) for n in range(10)), question=LONG)
        )
        assert_safe(reply)
        assert reply.description.count("\n- ") == 3

    def test_console_style(self):
        text = render.to_text(
            render.answer_reply(answered("It was **seen** at [dusk].", confidence=0.7), style=PLAIN)
        )
        assert text.splitlines() == [
            "“When was the comet seen?”",
            "> It was **seen** at [dusk].",  # plain text: nothing to escape on a terminal
            "",
            "Source: Comet seen over the valley 1 <https://example.com/posts/post-1> · 20 Mar 2021",
            render.UNSURE,
        ]
        declined_text = render.to_text(render.answer_reply(declined(article()), style=PLAIN))
        assert "- Comet seen over the valley 1 <https://example.com/posts/post-1>" in declined_text
