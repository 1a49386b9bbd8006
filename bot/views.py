"""Buttons that turn the pages of a search, for the person who searched only."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from articlebot.bot import render
from articlebot.bot.embeds import NO_PINGS, message_kwargs
from articlebot.bot.render import page_count
from articlebot.index import SearchResult

if TYPE_CHECKING:
    from articlebot.bot.answers import Answers

log = logging.getLogger(__name__)

TIMEOUT = 180.0  # seconds without a press before the buttons are disabled


class SearchPages(discord.ui.View):
    """Previous / page / Next under a search reply.

    Each press runs the search again for the wanted page (the index is fast, and a reindex
    in between is then reflected), so nothing but the query is kept.
    """

    def __init__(
        self,
        answers: Answers,
        result: SearchResult,
        author_id: int,
        *,
        timeout: float | None = TIMEOUT,
        on_page: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(timeout=timeout)
        self.answers = answers
        self.query = result.query
        self.author_id = author_id
        self.page = result.offset // answers.page_size
        self.pages = page_count(result.total, answers.page_size)
        self.message: discord.Message | None = None
        self._on_page = on_page  # the query log hears of the first page turned
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1
        self.position.label = f"{self.page + 1}/{self.pages}"

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.author_id:
            return True
        await interaction.response.send_message(
            render.ONLY_ASKER, ephemeral=True, allowed_mentions=NO_PINGS
        )
        return False

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], _: discord.ui.Button) -> None:
        await self.turn(interaction, self.page - 1)

    @discord.ui.button(label="1/1", style=discord.ButtonStyle.secondary, disabled=True)
    async def position(self, interaction: discord.Interaction[Any], _: discord.ui.Button) -> None:
        await interaction.response.defer()  # never enabled; here for completeness

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.primary)
    async def next(self, interaction: discord.Interaction[Any], _: discord.ui.Button) -> None:
        await self.turn(interaction, self.page + 1)

    async def turn(self, interaction: discord.Interaction[Any], page: int) -> None:
        page = max(0, min(page, self.pages - 1))
        reply, result = await self.answers.search(self.query, page)
        if result is None or not result.hits:
            # The index changed under us (a reindex removed results): say so, keep the page.
            await interaction.response.send_message(**message_kwargs(reply), ephemeral=True)
            return
        self.page = page
        self.pages = page_count(result.total, self.answers.page_size)
        self._update_buttons()
        await interaction.response.edit_message(**message_kwargs(reply), view=self)
        if self._on_page is not None:
            on_page, self._on_page = self._on_page, None
            await on_page()

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self, allowed_mentions=NO_PINGS)
            except discord.HTTPException as exc:  # deleted, or the token expired
                log.debug("could not disable the page buttons: %s", exc)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        log.exception("page button failed", exc_info=error)
        sender = (
            interaction.followup.send
            if interaction.response.is_done()
            else interaction.response.send_message
        )
        with contextlib.suppress(discord.HTTPException):
            await sender(render.INTERNAL, ephemeral=True, allowed_mentions=NO_PINGS)
