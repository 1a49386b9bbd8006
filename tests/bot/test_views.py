"""The page buttons of a search: only the asker may turn them."""

from __future__ import annotations

from unittest.mock import AsyncMock, MagicMock

import discord

from articlebot.bot import limits, render
from articlebot.bot.views import SearchPages
from tests.bot.fakes import interaction


class TestSearchPages:
    async def make(self, answers):
        _, result = await answers.search("cruise")
        return SearchPages(answers, result, author_id=5)

    async def test_buttons(self, answers):
        view = await self.make(answers)
        assert view.previous.disabled and not view.next.disabled
        assert view.position.label == "1/3" and view.position.disabled
        assert len(view.children) <= limits.BUTTONS_PER_ROW

    async def test_only_the_asker(self, answers):
        view = await self.make(answers)
        stranger = interaction(6)
        assert await view.interaction_check(stranger) is False
        stranger.response.send_message.assert_awaited_once()
        args, kwargs = stranger.response.send_message.await_args
        assert args == (render.ONLY_ASKER,)
        assert kwargs["ephemeral"] is True
        assert await view.interaction_check(interaction(5)) is True

    async def test_anyone_may_open_an_article_shown_to_them_alone(self, answers):
        opened = AsyncMock()
        _, result = await answers.search("cruise")
        view = SearchPages(answers, result, author_id=5, on_open=opened)
        assert [o.value for o in view.open.options] == ["0", "1", "2", "3", "4"]
        assert view.open.options[0].label == result.hits[0].article.title
        stranger = interaction(6, custom_id=view.open.custom_id)
        assert await view.interaction_check(stranger) is True
        view.open._values = ["1"]  # as discord.py sets them from the interaction
        await view.open.callback(stranger)
        kwargs = stranger.response.send_message.await_args.kwargs
        assert kwargs["ephemeral"] is True
        assert kwargs["embed"].title == result.hits[1].article.title
        opened.assert_awaited_once_with(result.hits[1].article.id)

    async def test_turning(self, answers):
        view = await self.make(answers)
        press = interaction(5)
        await view.turn(press, 1)
        kwargs = press.response.edit_message.await_args.kwargs
        assert kwargs["embed"].footer.text == "Page 2/3 · 12 results"
        assert kwargs["view"] is view and kwargs["allowed_mentions"] is not None
        assert not view.previous.disabled and view.position.label == "2/3"
        await view.turn(interaction(5), 2)
        assert view.next.disabled
        await view.turn(interaction(5), 99)  # clamped to the last page
        assert view.page == 2

    async def test_timeout_disables_buttons(self, answers):
        view = await self.make(answers)
        view.message = MagicMock()
        view.message.edit = AsyncMock()
        await view.on_timeout()
        assert all(item.disabled for item in view.children)
        view.message.edit.assert_awaited_once()
        assert view.message.edit.await_args.kwargs["view"] is view

    async def test_timeout_survives_a_deleted_message(self, answers):
        view = await self.make(answers)
        view.message = MagicMock()
        view.message.edit = AsyncMock(
            side_effect=discord.NotFound(MagicMock(status=404), "Unknown Message")
        )
        await view.on_timeout()  # no exception
