"""The last guard: every reply fits Discord's limits."""

from __future__ import annotations

from articlebot.bot import limits, render
from articlebot.bot.embeds import payload
from articlebot.bot.render import Reply
from tests.bot.render.samples import (
    LONG,
)


class TestFinish:
    def test_cuts_an_overfull_reply(self):
        fields = tuple((LONG, LONG, False) for _ in range(40))
        reply = render.finish(Reply(title=LONG, description=LONG, fields=fields, footer=LONG))
        assert len(reply.fields) <= limits.EMBED_FIELDS
        assert render.embed_size(reply) <= limits.EMBED_TOTAL
        assert limits.validate_message_payload(payload(reply)) == []

    def test_empty_fields_are_dropped(self):
        reply = render.finish(Reply(title="t", fields=(("", "v", False), ("n", " ", True))))
        assert reply.fields == ()
