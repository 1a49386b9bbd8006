"""The search cog: argument helpers, choices for autocomplete, the command callbacks and
mentions, without a Discord connection.
"""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import AsyncMock

import pytest

from articlebot.bot import limits, render
from articlebot.bot.cogs.search import (
    category_choices,
    conversation,
    mention_query,
    split_latest_args,
    title_choices,
)
from articlebot.bot.views import SearchPages
from tests.bot.fakes import prefix_ctx


@pytest.mark.parametrize(
    ("category", "count", "expected"),
    [
        (None, None, (None, 5)),
        ("tv", None, ("tv", 5)),
        ("tv", 3, ("tv", 3)),
        ("3", None, (None, 3)),
        ("3", 4, ("3", 4)),
    ],
)
def test_split_latest_args(category, count, expected):
    assert split_latest_args(category, count) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<@42> cruise stunt", "cruise stunt"),
        ("<@!42>   cruise", "cruise"),
        ("  <@42>", ""),
        ("<@43> cruise", None),
        ("cruise <@42>", None),
        ("<@&42> cruise", None),
    ],
)
def test_mention_query(content, expected):
    assert mention_query(content, 42) == expected


def test_category_choices_fit_discord():
    names = ["tv", "x" * 100, "y" * 101, "\u202eevil"] + [f"c{n}" for n in range(40)]
    choices = category_choices(names)
    assert len(choices) == limits.AUTOCOMPLETE_CHOICES
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    assert "y" * 101 not in [c.value for c in choices]  # would not match when sent back
    assert choices[2].name == "evil" and choices[2].value == "\u202eevil"


def test_title_choices_fit_discord():
    titles = [("A " * 200, "short.md"), ("Title", "p/" + "x" * 200 + ".md")] * 20
    choices = title_choices(titles)
    assert len(choices) == 25
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    assert choices[0].value == "short.md"
    assert choices[1].value == "Title"  # the id is too long: the title resolves it too


class TestCommandCallbacks:
    async def test_search_sends_an_embed_with_pages(self, bot):
        ctx = prefix_ctx(bot)
        cog = bot.get_cog("Search")
        await bot.get_command("search").callback(cog, ctx, query="cruise")
        kwargs = ctx.send.await_args.kwargs
        assert kwargs["allowed_mentions"].to_dict()["parse"] == []
        assert kwargs["mention_author"] is False
        assert kwargs["embed"].footer.text == "Page 1/3 · 12 results"
        assert isinstance(kwargs["view"], SearchPages)
        assert kwargs["view"].message is ctx.send.return_value

    async def test_one_page_has_the_menu_but_no_buttons(self, bot):
        ctx = prefix_ctx(bot)
        await bot.get_command("search").callback(bot.get_cog("Search"), ctx, query="number 12")
        view = ctx.send.await_args.kwargs["view"]
        assert [type(c).__name__ for c in view.children] == ["Select"]
        assert [o.label for o in view.open.options] == ["Cruise stunt number 12"]

    async def test_latest_count_first(self, bot):
        ctx = prefix_ctx(bot)
        await bot.get_command("latest").callback(bot.get_cog("Search"), ctx, "2", None)
        embed = ctx.send.await_args.kwargs["embed"]
        assert embed.title == "Latest articles" and embed.description.count("\n\n") == 1

    async def test_ask_sends_the_answer_and_remembers_the_channel(self, bot, index):
        ctx = prefix_ctx(bot)
        ctx.channel = SimpleNamespace(id=555)
        cog = bot.get_cog("Search")
        await bot.get_command("ask").callback(cog, ctx, question="what about post 2?")
        kwargs = ctx.send.await_args.kwargs
        assert kwargs["allowed_mentions"].to_dict()["parse"] == []
        assert kwargs["mention_author"] is False and "view" not in kwargs
        assert kwargs["embed"].description.startswith("> The cruise stunt")
        assert "Cruise stunt number 2" in kwargs["embed"].description
        await bot.get_command("ask").callback(cog, ctx, question="and then?")
        assert index.asked[-1] == ("and then?", "post-2.md")

    async def test_ask_usage(self, bot):
        assert bot.get_command("ask").signature == "<question>"

    def test_conversation_is_the_channel(self):
        prefix = SimpleNamespace(interaction=None, channel=SimpleNamespace(id=7))
        assert conversation(prefix) == 7
        slash = SimpleNamespace(interaction=SimpleNamespace(channel_id=8), channel=None)
        assert conversation(slash) == 8
        assert conversation(SimpleNamespace(interaction=None, channel=None)) is None

    async def test_autocomplete(self, bot):
        cog = bot.get_cog("Search")
        choices = await cog.latest_category(None, "t")
        assert [c.value for c in choices] == ["tv"]
        titles = await cog.article_title(None, "number 1")
        assert titles[0].value == "post-1.md"


class TestMentions:
    async def mention(self, bot, text: str):
        bot._connection.user = SimpleNamespace(id=42, name="articlebot")  # as after login
        ctx = prefix_ctx(bot)
        ctx.command = None
        ctx.channel = SimpleNamespace(id=900)
        bot.get_context = AsyncMock(return_value=ctx)
        message = SimpleNamespace(
            author=SimpleNamespace(id=5, bot=False),
            content=f"<@42> {text}",
            channel=ctx.channel,
            guild=None,
        )
        await bot.get_cog("Search").on_message(message)
        return ctx

    @pytest.mark.parametrize("text", ["how did post 3 end", "the cruise of post 3?"])
    async def test_a_question_is_answered(self, bot, index, text):
        ctx = await self.mention(bot, text)
        assert index.asked == [(text, None)] and index.searches == []
        embed = ctx.send.await_args.kwargs["embed"]
        assert embed.description.startswith("> ") and "Cruise stunt number 3" in embed.description

    async def test_words_are_searched(self, bot, index):
        ctx = await self.mention(bot, "cruise stunt")
        assert index.asked == [] and index.searches == [("cruise stunt", 5, 0)]
        assert ctx.send.await_args.kwargs["embed"].footer.text == "Page 1/3 · 12 results"

    async def test_a_failure_is_one_sentence(self, bot, index, caplog):
        index.ask = AsyncMock(side_effect=RuntimeError("secret internals"))
        ctx = await self.mention(bot, "why?")
        kwargs = ctx.send.await_args.kwargs
        assert kwargs["content"] == render.INTERNAL and kwargs["allowed_mentions"] is not None
        assert "secret internals" in caplog.text  # logged, not shown
