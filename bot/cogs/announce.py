"""Subscriptions, and announcing new articles in the subscribed channels.

A new article is one whose id the bot never saw before (the state file's arrivals): not an
edit, not an article of a rebuilt index, not one seen before a restart. It goes to every
subscription made before it arrived whose categories it matches, if its date is within
ARTICLEBOT_ANNOUNCE_MAX_DAYS (undated: judged by its arrival). Several for one channel in
one cycle go as one message of up to ten cards.

Exactly once: each (subscription, article) is claimed in the ledger, with the message's
nonce, before the send, and confirmed after it. A crash between the two leaves a claim
that is retried at start with the same nonce and ``enforce_nonce``, so Discord returns the
message it already made instead of a second one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.http import handle_message_parameters

from articlebot.bot import render
from articlebot.bot.cogs.admin import admin_check
from articlebot.bot.embeds import send_reply, to_embed
from articlebot.bot.render import strings
from articlebot.bot.render.announce import announcement_batches, announcement_card, role_ping
from articlebot.bot.state import State, Subscription, now
from articlebot.index import Article, ReindexReport

if TYPE_CHECKING:
    from articlebot.bot.app import ArticleBot

log = logging.getLogger(__name__)

FOR_GOOD = (403, 404)  # no access, or the channel is gone: retrying will not help


class Announcer(commands.Cog):
    """Announces new articles; `subscribe`, `unsubscribe` and `subscriptions` for admins."""

    def __init__(self, bot: ArticleBot, state: State) -> None:
        self.bot = bot
        self.state = state
        self._caught_up = False

    # --- new articles --------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """At start: finish sends a crash interrupted, then announce what arrived while
        the bot was away (the start-up reindex is not reported as an event)."""
        if self._caught_up:
            return
        self._caught_up = True
        await self.retry_unsent()
        await self.announce(self.bot.index.article_ids())

    @commands.Cog.listener()
    async def on_articles_changed(self, report: ReindexReport) -> None:
        await self.announce(report.added)

    async def announce(self, candidate_ids: Sequence[str]) -> int:
        """Announce the articles among ``candidate_ids`` that are new; returns how many
        messages went out."""
        arrived = await self.state.arrived(candidate_ids)
        if not arrived:
            return 0
        subscriptions = [s for s in await self.state.subscriptions() if s.status != "paused"]
        if not subscriptions:
            return 0
        oldest = now() - timedelta(days=self.bot.settings.announce_max_days)
        fresh = [
            a
            for a in await self.bot.index.articles(list(arrived))
            if (a.date or arrived[a.id]) >= oldest
        ]
        sent = 0
        for subscription in subscriptions:
            mine = [
                a
                for a in fresh
                if subscription.created_at < arrived[a.id] and subscription.wants(a.categories)
            ]
            for batch in announcement_batches(mine):
                sent += await self._send(subscription, batch)
        return sent

    async def _send(self, subscription: Subscription, articles: Sequence[Article]) -> int:
        nonce = uuid.uuid4().hex[:25]  # Discord's nonce: at most 25 characters
        claimed = await self.state.claim(subscription.id, [a.id for a in articles], nonce)
        batch = [a for a in articles if a.id in claimed]
        if not batch:
            return 0
        return await self._deliver(subscription, batch, nonce)

    async def _deliver(
        self, subscription: Subscription, articles: Sequence[Article], nonce: str
    ) -> int:
        tz = self.bot.settings.tz
        embeds = [to_embed(announcement_card(a, tz=tz)) for a in articles]
        content = role_ping(subscription.role_id)
        mentions = discord.AllowedMentions(
            everyone=False,
            users=False,
            roles=[discord.Object(subscription.role_id)] if subscription.role_id else False,
            replied_user=False,
        )
        params = handle_message_parameters(
            content=content or None,
            embeds=[e for e in embeds if e is not None],
            allowed_mentions=mentions,
            nonce=nonce,
        )
        try:
            data = await self.bot.http.send_message(subscription.channel_id, params=params)
        except discord.HTTPException as exc:
            reason = f"{exc.status} {exc.text or type(exc).__name__}"[:200]
            if exc.status in FOR_GOOD:
                await self.state.drop(subscription.id, nonce)
                after = await self.state.failed(subscription.id, reason)
                log.warning(
                    "Announcing in channel %s failed (%s); the subscription is %s",
                    subscription.channel_id,
                    reason,
                    after.status if after else "gone",
                )
            else:  # rate limits and outages: the claim stays and is retried at start
                log.warning(
                    "Announcing in channel %s failed for now (%s)", subscription.channel_id, reason
                )
            return 0
        await self.state.sent(subscription.id, nonce, int(data["id"]))
        return 1

    async def retry_unsent(self) -> int:
        """Claims recorded but never confirmed, sent again with their own nonce."""
        by_id = {s.id: s for s in await self.state.subscriptions()}
        sent = 0
        for subscription_id, nonce, article_ids in await self.state.unsent():
            subscription = by_id.get(subscription_id)
            if subscription is None or subscription.status == "paused":
                continue
            articles = await self.bot.index.articles(article_ids)
            if articles:
                sent += await self._deliver(subscription, articles, nonce)
        return sent

    # --- commands ------------------------------------------------------------------------

    @commands.hybrid_command(
        name="subscribe",
        description="Announce new articles in a channel (server managers)",
        usage="<channel> [role] [categories...]",
    )
    @commands.guild_only()
    @commands.check(admin_check)
    @app_commands.describe(
        channel="Where new articles are posted",
        role="A role to ping with each announcement (optional)",
        categories="Only these categories, separated by spaces (optional)",
    )
    async def subscribe(
        self,
        ctx: commands.Context[Any],
        channel: discord.TextChannel,
        role: discord.Role | None = None,
        *,
        categories: str = "",
    ) -> None:
        """Post each new article in CHANNEL (only CATEGORIES', pinging ROLE when given)."""
        assert ctx.guild is not None
        known = {name.casefold(): name for name, _ in await self.bot.index.categories()}
        wanted = [c for c in categories.replace(",", " ").split() if c]
        unknown = [c for c in wanted if c.casefold() not in known]
        if unknown:
            reply = render.unknown_category(unknown[0], list(known.values()))
            await send_reply(ctx, reply)
            return
        if role is not None and (role.is_default() or role.managed):
            await send_reply(ctx, render.error(strings.ROLE_NOT_PINGABLE))
            return
        subscription = await self.state.subscribe(
            ctx.guild.id,
            channel.id,
            [known[c.casefold()] for c in wanted],
            role.id if role else None,
        )
        await send_reply(ctx, render.subscribed(subscription))

    @subscribe.autocomplete("categories")
    async def _categories(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        head, _, last = current.rpartition(" ")
        names = self.bot.index.complete_categories(last, 25)
        return [
            app_commands.Choice(name=f"{head} {n}".strip()[:100], value=f"{head} {n}".strip()[:100])
            for n in names
        ]

    @commands.hybrid_command(
        name="unsubscribe",
        description="Stop announcing new articles in a channel (server managers)",
        usage="<channel> [category]",
    )
    @commands.guild_only()
    @commands.check(admin_check)
    @app_commands.describe(
        channel="The channel to stop announcing in",
        category="Only the subscription for this category (optional)",
    )
    async def unsubscribe(
        self, ctx: commands.Context[Any], channel: discord.TextChannel, category: str | None = None
    ) -> None:
        """Stop posting new articles in CHANNEL (or only its CATEGORY subscription)."""
        assert ctx.guild is not None
        gone = await self.state.unsubscribe(ctx.guild.id, channel.id, category)
        await send_reply(ctx, render.unsubscribed(channel.id, gone))

    @commands.hybrid_command(
        name="subscriptions", description="This server's announcement subscriptions"
    )
    @commands.guild_only()
    @commands.check(admin_check)
    async def subscriptions(self, ctx: commands.Context[Any]) -> None:
        """Every subscription of this server: channel, filters, last post and health."""
        assert ctx.guild is not None
        found = await self.state.subscriptions(ctx.guild.id)
        await send_reply(ctx, render.subscriptions_list(found, tz=self.bot.settings.tz))


async def setup(bot: ArticleBot) -> None:
    state = await State.open(bot.settings.state_path)
    await bot.add_cog(Announcer(bot, state))


async def teardown(bot: ArticleBot) -> None:
    cog = bot.get_cog("Announcer")
    if isinstance(cog, Announcer):
        await cog.state.close()
