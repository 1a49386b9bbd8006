"""Under a search reply: buttons that turn its pages (for the person who searched only),
and a menu that opens one of the page's articles (for anyone; shown only to them)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from articlebot.bot import limits, render
from articlebot.bot.embeds import NO_PINGS, deferring, message_kwargs
from articlebot.bot.render import page_count
from articlebot.index import SearchResult

if TYPE_CHECKING:
    from articlebot.bot.answers import Answers

log = logging.getLogger(__name__)


TIMEOUT = 180.0  # seconds without a press before the buttons are disabled


async def _tell(interaction: discord.Interaction[Any], reply: render.Reply) -> None:
    """``reply`` to the one who pressed, alone: the response, or after a deferral a
    follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(**message_kwargs(reply), ephemeral=True)
    else:
        await interaction.response.send_message(**message_kwargs(reply), ephemeral=True)


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
        on_open: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(timeout=timeout)
        self.answers = answers
        self.query = result.query
        self.author_id = author_id
        self.page = result.offset // answers.page_size
        self.pages = page_count(result.total, answers.page_size)
        self.message: discord.Message | None = None
        self._on_page = on_page  # the query log hears of the first page turned
        self._on_open = on_open  # ... and of each article opened
        self._ids: list[str] = []
        self._update_buttons()
        self._offer(result)
        if self.pages <= 1:  # nothing to turn: only the menu
            for button in (self.previous, self.position, self.next):
                self.remove_item(button)

    def _offer(self, result: SearchResult) -> None:
        """The page's articles in the menu (values are positions: ids can be longer than
        Discord's 100 characters)."""
        self._ids = [hit.article.id for hit in result.hits[: limits.SELECT_OPTIONS]]
        self.open.options = [
            discord.SelectOption(
                label=limits.fit(  # labels show no Markdown: only mentions are broken
                    " ".join(limits.strip_invisible(hit.article.title).split()) or hit.article.id,
                    limits.CHOICE_NAME,
                    limits.break_mentions,
                ),
                value=str(n),
            )
            for n, hit in enumerate(result.hits[: limits.SELECT_OPTIONS])
        ]

    def _update_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1
        self.position.label = f"{self.page + 1}/{self.pages}"

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.author_id:
            return True
        if (interaction.data or {}).get("custom_id") == self.open.custom_id:
            return True  # anyone may open an article; its card is shown to them alone
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

    @discord.ui.select(placeholder="Open an article…", options=[discord.SelectOption(label="-")])
    async def open(self, interaction: discord.Interaction[Any], select: discord.ui.Select) -> None:
        try:
            article_id = self._ids[int(select.values[0])]
        except (IndexError, ValueError):  # a stale menu
            await interaction.response.defer()
            return
        reply = await deferring(
            interaction,
            self.answers.article(article_id),
            lambda: interaction.response.defer(ephemeral=True, thinking=True),
        )
        await _tell(interaction, reply)
        if self._on_open is not None:
            await self._on_open(article_id)

    async def turn(self, interaction: discord.Interaction[Any], page: int) -> None:
        page = max(0, min(page, self.pages - 1))
        reply, result = await deferring(
            interaction, self.answers.search(self.query, page), interaction.response.defer
        )
        if result is None or not result.hits:
            # The index changed under us (a reindex removed results): say so, keep the page.
            await _tell(interaction, reply)
            return
        self.page = page
        self.pages = page_count(result.total, self.answers.page_size)
        self._update_buttons()
        self._offer(result)
        if interaction.response.is_done():  # deferred: the answer was slow
            await interaction.edit_original_response(**message_kwargs(reply), view=self)
        else:
            await interaction.response.edit_message(**message_kwargs(reply), view=self)
        if self._on_page is not None:
            on_page, self._on_page = self._on_page, None
            await on_page()

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
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
