"""search, ask, latest, categories, article and help; and searching or answering when
mentioned.

Each command is defined once as a hybrid command, so ``!search`` and ``/search`` run the
same code. Autocomplete uses the index's in-memory completion (microseconds).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from articlebot.bot import limits, render
from articlebot.bot.answers import looks_like_question
from articlebot.bot.embeds import in_time, send_reply
from articlebot.bot.views import SearchPages

if TYPE_CHECKING:
    from articlebot.bot.app import ArticleBot

log = logging.getLogger(__name__)
_MENTION = re.compile(r"\s*<@!?(\d+)>")


def category_choices(names: list[str]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for category names (values must be exact, so long ones go)."""
    choices = []
    for name in names:
        if 0 < len(name) <= limits.CHOICE_VALUE:
            label = limits.truncate(limits.strip_invisible(name), limits.CHOICE_NAME) or name
            choices.append(app_commands.Choice(name=label, value=name))
    return choices[: limits.AUTOCOMPLETE_CHOICES]


def title_choices(titles: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for (title, article id): the id when it fits, else the title."""
    choices = []
    for title, article_id in titles:
        label = limits.truncate(" ".join(limits.strip_invisible(title).split()), 100)
        value = article_id if len(article_id) <= limits.CHOICE_VALUE else title[:100]
        if label and value:
            choices.append(app_commands.Choice(name=label, value=value))
    return choices[: limits.AUTOCOMPLETE_CHOICES]


def split_latest_args(
    category: str | None, count: int | None, default: int = 5
) -> tuple[str | None, int]:
    """``!latest 3`` means three of everything, not the category "3"."""
    if category is not None and category.strip().isdigit() and count is None:
        return None, int(category.strip())
    return category, default if count is None else count


def mention_query(content: str, bot_id: int) -> str | None:
    """The words after a leading mention of the bot, or None when it is not one."""
    match = _MENTION.match(content)
    if match is None or int(match.group(1)) != bot_id:
        return None
    return content[match.end() :].strip()


def conversation(ctx: commands.Context[Any]) -> Hashable | None:
    """Where a question was asked (a channel, thread or DM), for follow-ups."""
    if ctx.interaction is not None and ctx.interaction.channel_id is not None:
        return ctx.interaction.channel_id
    return getattr(ctx.channel, "id", None)


class Search(commands.Cog):
    """Finding and reading articles."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot

    async def send_search(self, ctx: commands.Context[Any], query: str) -> None:
        answers = self.bot.answers_for(ctx)
        reply, result = await in_time(ctx, answers.search(query))
        logged = await self.bot.log_query(ctx, answers.heard)
        view = None
        if result is not None and result.hits:
            view = SearchPages(
                answers,
                result,
                ctx.author.id,
                on_page=self._logged(logged, self.bot.state.query_paged),
                on_open=self._logged(logged, self.bot.state.query_opened),
            )
        message = await send_reply(ctx, reply, view=view)
        if view is not None:
            view.message = message

    def _logged(
        self, query_id: int | None, note: Callable[..., Awaitable[None]]
    ) -> Callable[..., Awaitable[None]] | None:
        """``note(query_id, ...)`` for a logged search (a page turned, an article opened),
        or nothing when the search was not logged."""
        if query_id is None:
            return None

        async def noted(*args: str) -> None:
            try:
                await note(query_id, *args)
            except Exception as exc:  # the log never costs the reader a page or an article
                log.warning("could not log what a search led to: %s", exc)

        return noted

    @commands.hybrid_command(name="search", description="Search the site's articles")
    @app_commands.describe(
        query='Words; "a phrase", -word, category:tv, tag:x, author:x, after:2020-01, before:'
    )
    async def search(self, ctx: commands.Context[Any], *, query: str) -> None:
        """Search the articles, best match first."""
        await self.send_search(ctx, query)

    async def send_answer(self, ctx: commands.Context[Any], question: str) -> None:
        answers = self.bot.answers_for(ctx)
        reply = await in_time(ctx, answers.ask(question, conversation(ctx)))
        await self.bot.log_query(ctx, answers.heard)
        await send_reply(ctx, reply)

    @commands.hybrid_command(name="ask", description="Answer a question from the articles")
    @app_commands.describe(question="For example: how many takes did the motorbike stunt need?")
    async def ask(self, ctx: commands.Context[Any], *, question: str) -> None:
        """The sentences of an article that answer the question, with the article."""
        await self.send_answer(ctx, question)

    @commands.hybrid_command(name="latest", description="The newest articles")
    @app_commands.describe(category="Only this category", count="How many (1 to 10)")
    async def latest(
        self,
        ctx: commands.Context[Any],
        category: str | None = None,
        count: app_commands.Range[int, 1, 10] | None = None,
    ) -> None:
        """The newest articles, of one category if you like."""
        answers = self.bot.answers_for(ctx)
        category, number = split_latest_args(
            category, count, self.bot.server(ctx.guild).latest_count
        )
        reply = await in_time(ctx, answers.latest(category, number))
        await self.bot.log_query(ctx, answers.heard)
        await send_reply(ctx, reply)

    @latest.autocomplete("category")
    async def latest_category(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return category_choices(
            self.bot.index.complete_categories(current, limits.AUTOCOMPLETE_CHOICES)
        )

    @commands.hybrid_command(name="categories", description="Every category and its size")
    async def categories(self, ctx: commands.Context[Any]) -> None:
        """Every category with its number of articles."""
        await send_reply(ctx, await self.bot.answers_for(ctx).categories())

    @commands.hybrid_command(name="article", description="One article in full")
    @app_commands.describe(title="Title words or the article's slug")
    async def article(self, ctx: commands.Context[Any], *, title: str) -> None:
        """One article: link, date, description, categories, tags and author."""
        await send_reply(ctx, await in_time(ctx, self.bot.answers_for(ctx).article(title)))

    @article.autocomplete("title")
    async def article_title(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return title_choices(self.bot.index.complete_titles(current, limits.AUTOCOMPLETE_CHOICES))

    @commands.hybrid_command(name="help", description="How to search the articles")
    async def help(self, ctx: commands.Context[Any]) -> None:
        """What the bot can do, with examples."""
        await send_reply(ctx, self.bot.answers_for(ctx).help(mention=self._mention_hint()))

    def _mention_hint(self) -> str:
        return f"@{self.bot.user.name}" if self.bot.user else ""

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """``@bot cruise stunt`` searches, ``@bot who judged the show?`` answers it;
        ``@bot latest`` is a command and left alone."""
        if message.author.bot or self.bot.user is None:
            return
        query = mention_query(message.content, self.bot.user.id)
        if query is None:
            return
        ctx = await self.bot.get_context(message)
        if ctx.command is not None:
            return  # the command processor runs it
        mine = self.bot.server(message.guild)
        if not mine.answers_in(message.channel.id, getattr(message.channel, "parent_id", None)):
            if mine.elsewhere == "hint":
                await send_reply(ctx, render.error(render.wrong_channel(mine.channels)))
            return
        retry_after = self.bot.rate_limited(message)
        if retry_after:
            await send_reply(ctx, render.error(render.cooldown_message(retry_after)))
            return
        try:
            if not query:
                help_reply = self.bot.answers_for(ctx).help(mention=self._mention_hint())
                await send_reply(ctx, help_reply)
            elif looks_like_question(query):
                await self.send_answer(ctx, query)
            else:
                await self.send_search(ctx, query)
        except Exception as exc:  # as for commands: one sentence, details in the log
            await self.bot.on_command_error(ctx, commands.CommandInvokeError(exc))


async def setup(bot: ArticleBot) -> None:
    await bot.add_cog(Search(bot))
