"""The help reply."""

from __future__ import annotations

from articlebot.bot import render
from articlebot.bot.render import PLAIN
from tests.bot.render.samples import (
    LONG,
    assert_safe,
)


class TestHelp:
    def test_discord(self):
        reply = render.help_reply(prefix="?", mention="@articlebot")
        assert "`?search cruise stunt`" in reply.description
        assert "`/search cruise stunt`" in reply.description
        assert "@articlebot cruise stunt" in reply.description
        assert "@articlebot who judged the cooking show?" in reply.description
        assert "`?ask how many takes did the motorbike stunt need?`" in reply.description
        assert [name for name, _, _ in reply.fields] == ["Search syntax", "For server managers"]
        assert_safe(reply)

    def test_console(self):
        text = render.to_text(render.help_reply(style=PLAIN, console=True))
        assert "search cruise stunt" in text and "quit" in text and "more" in text
        assert "ask how many takes did the motorbike stunt need?" in text
        assert "`" not in text and "/search" not in text

    def test_hostile_prefix_and_name(self):
        assert_safe(render.help_reply(prefix="`@everyone", mention=LONG))
