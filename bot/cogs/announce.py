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

Several processes (shard ranges) over one state database: whichever sees an article
arrive first claims it for every subscription in that one transaction; it sends the claims
of the servers it holds, and queues the rest, which the process holding each server takes
(one statement only one process can win) within PICKUP_SECONDS. A process that is down
finds its servers' queued claims when it is back, up to ARTICLEBOT_ANNOUNCE_MAX_DAYS old.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks
from discord.http import handle_message_parameters

from articlebot.bot import render
from articlebot.bot.embeds import send_reply, to_embed
from articlebot.bot.permissions import for_admins
from articlebot.bot.render import strings
from articlebot.bot.render.announce import (
    announcement_batches,
    announcement_card,
    forum_post_name,
    forum_tags,
    role_ping,
)
from articlebot.bot.render.reply import Reply
from articlebot.bot.state import Claim, State, Subscription, Unsent, now
from articlebot.index import Article, ReindexReport

if TYPE_CHECKING:
    from articlebot.bot.app import ArticleBot

log = logging.getLogger(__name__)

# Refused for good: the payload (e.g. a forum that requires a tag none of the article's
# categories names), no access, or the channel is gone. Retrying would not help.
FOR_GOOD = (400, 403, 404)
# Seconds between looks for claims other processes queued for this one's servers (shards
# in several processes); one indexed query on the state database each time.
PICKUP_SECONDS = 1.0
DELIVERING = 8  # subscriptions sent to at once

# One claimed batch to send: its subscription, articles, nonce, and for a retry the time
# it was claimed.
Job = tuple[Subscription, list[Article], str, "datetime | None"]


class Announcer(commands.Cog):
    """Announces new articles; `subscribe`, `unsubscribe` and `subscriptions` for admins."""

    def __init__(self, bot: ArticleBot, state: State) -> None:
        self.bot = bot
        self.state = state
        self._caught_up = False
        self._publishing: set[asyncio.Task[None]] = set()
        self._taking = asyncio.Lock()  # one pick-up of queued claims at a time
        self._pickup_failing = False

    async def cog_unload(self) -> None:
        self.pickup.cancel()
        for task in self._publishing:
            task.cancel()

    # --- new articles --------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """At start: finish sends a crash interrupted, announce what arrived while the bot
        was away (the start-up reindex is not reported as an event), take what other
        processes queued for this one's servers meanwhile, then keep looking for those."""
        if self._caught_up:
            return
        self._caught_up = True
        await self.retry_unsent()
        await self.announce(self.bot.index.article_ids())
        if not self.pickup.is_running():
            self.pickup.start()

    @commands.Cog.listener()
    async def on_articles_changed(self, report: ReindexReport) -> None:
        await self.announce(report.added)

    def _holds(self, guild_id: int) -> bool:
        """Whether this process serves the server (its shard is here, and it is cached)."""
        return self.bot.get_guild(guild_id) is not None

    async def announce(self, candidate_ids: Sequence[str]) -> int:
        """Announce the articles among ``candidate_ids`` that are new; returns how many
        messages (or forum posts) went out. Arrivals and every claim are recorded in one
        transaction before the first send, so a kill anywhere loses and repeats nothing.
        Claims for servers on other processes' shards are queued for them."""
        new = await self.state.unseen(candidate_ids)
        if not new:
            return await self.deliver_queued()
        stamp = now()
        subscriptions = [s for s in await self.state.subscriptions() if s.status != "paused"]
        oldest = stamp - timedelta(days=self.bot.settings.announce_max_days)
        fresh = [a for a in await self.bot.index.articles(new) if (a.date or stamp) >= oldest]
        plans: dict[str, tuple[Subscription, list[Article]]] = {}
        for subscription in subscriptions:
            mine = [
                a
                for a in fresh
                if subscription.created_at < stamp and subscription.wants(a.categories)
            ]
            for batch in announcement_batches(mine):
                plans[uuid.uuid4().hex[:25]] = (subscription, batch)  # a nonce: ≤ 25 characters
        claims = [
            Claim(s.id, tuple(a.id for a in batch), n, here=self._holds(s.guild_id))
            for n, (s, batch) in plans.items()
        ]
        jobs: list[Job] = []
        for claim in await self.state.arrive(new, stamp, claims):
            subscription, batch = plans[claim.nonce]
            articles = [a for a in batch if a.id in claim.article_ids]
            jobs.append((subscription, articles, claim.nonce, None))
        return await self._deliver_all(jobs) + await self.deliver_queued()

    async def _deliver_all(self, jobs: Sequence[Job]) -> int:
        """Send claimed batches, DELIVERING subscriptions at a time (each one's batches in
        order): Discord answers each send in tens of milliseconds, so one at a time would
        take minutes for a thousand channels; the pacer keeps the whole under Discord's
        global limit."""
        groups: dict[int, list[Job]] = {}
        for job in jobs:
            groups.setdefault(job[0].id, []).append(job)
        waiting = list(groups.values())
        sent = 0

        async def worker() -> None:
            nonlocal sent
            while waiting:
                for job in waiting.pop(0):
                    sent += await self._deliver(*job)

        await asyncio.gather(*(worker() for _ in range(min(DELIVERING, len(waiting)))))
        return sent

    @tasks.loop(seconds=PICKUP_SECONDS)
    async def pickup(self) -> None:
        """Claims another process made for this one's servers, sent soon after. A state
        database that is away is logged when it goes and when it is back, not every
        second."""
        try:
            await self.deliver_queued()
        except Exception as exc:  # the state database away for a moment: try again
            if not self._pickup_failing:
                log.warning("Taking queued announcements failed; retrying: %s", exc)
            self._pickup_failing = True
        else:
            if self._pickup_failing:
                log.info("Taking queued announcements works again")
            self._pickup_failing = False

    async def deliver_queued(self) -> int:
        """Take and send the claims queued for the servers this process holds; drop those
        older than ARTICLEBOT_ANNOUNCE_MAX_DAYS (their process was away too long)."""
        async with self._taking:
            oldest = now() - timedelta(days=self.bot.settings.announce_max_days)
            await self.state.expire_queued(oldest)
            taken = await self.state.take_queued(self._holds)
            return await self._send_claims(taken, retry=False) if taken else 0

    async def _deliver(
        self,
        subscription: Subscription,
        articles: Sequence[Article],
        nonce: str,
        since: datetime | None = None,
    ) -> int:
        """Send one claimed batch and confirm it: a message with its cards, or in a forum
        one post (thread) per article. ``since``: a retry of a claim made then, so forum
        posts the bot already made since are confirmed instead of made again (forum
        posts take no nonce)."""
        channel = self.bot.get_channel(subscription.channel_id)
        if not isinstance(channel, discord.ForumChannel):
            made = await self._send(subscription, channel, articles, nonce)
            if made is None:
                return 0
            await self.state.sent(subscription.id, nonce, made)
            if isinstance(channel, discord.TextChannel) and channel.is_news():
                self._publish(channel.id, made)
            return 1
        posts = 0
        for article in articles:
            made = await self._forum_post_made(channel, article, since) if since else None
            if made is None:
                made = await self._send(subscription, channel, [article], nonce)
                if made is None:
                    return posts
                posts += 1
            await self.state.sent(subscription.id, nonce, made, article.id)
        return posts

    async def _send(
        self,
        subscription: Subscription,
        channel: object,
        articles: Sequence[Article],
        nonce: str,
    ) -> int | None:
        """One message (or forum post) with ``articles``' cards; its id, or None when it
        failed (for good: the claim is dropped and the subscription's health counts it)."""
        forum = isinstance(channel, discord.ForumChannel)
        params = handle_message_parameters(
            content=role_ping(subscription.role_id) or None,
            embeds=[e for a in articles if (e := to_embed(self._card(a))) is not None],
            allowed_mentions=discord.AllowedMentions(
                everyone=False,
                users=False,
                roles=[discord.Object(subscription.role_id)] if subscription.role_id else False,
                replied_user=False,
            ),
            nonce=None if forum else nonce,
            channel_payload=(
                _forum_post(articles[0], channel)
                if isinstance(channel, discord.ForumChannel)
                else discord.utils.MISSING
            ),
        )
        try:
            if isinstance(channel, discord.ForumChannel):
                data: Any = await self.bot.http.start_thread_in_forum(channel.id, params=params)
            else:
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
            return None
        return int(data["id"])

    def _card(self, article: Article) -> Reply:
        return announcement_card(article, tz=self.bot.settings.tz)

    def _publish(self, channel_id: int, message_id: int) -> None:
        """Crosspost an announcement to the servers that follow its channel (when the
        setting asks), in the background: Discord allows ten an hour per channel, and a
        rate-limited publish must not hold up the next announcement."""
        if not self.bot.settings.publish_announcements:
            return

        async def publish() -> None:
            try:
                await self.bot.http.publish_message(channel_id, message_id)
            except discord.HTTPException as exc:
                log.warning(
                    "Publishing message %s failed (%s %s)", message_id, exc.status, exc.text
                )

        task = asyncio.create_task(publish())
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def retry_unsent(self) -> int:
        """Claims of this process's servers being sent but never confirmed, sent again: a
        message with its own nonce (Discord returns the one it made, if it did), a forum
        post only if the forum has no post of the bot's with its title made since the
        claim."""
        return await self._send_claims(await self.state.unsent(self._holds), retry=True)

    async def _send_claims(self, claims: Sequence[Unsent], retry: bool) -> int:
        by_id = {s.id: s for s in await self.state.subscriptions()}
        found = {
            a.id: a
            for a in await self.bot.index.articles(
                list(dict.fromkeys(a for c in claims for a in c.article_ids))
            )
        }
        jobs: list[Job] = []
        for claim in claims:
            subscription = by_id.get(claim.subscription_id)
            if subscription is None or subscription.status == "paused":
                continue
            articles = [found[a] for a in claim.article_ids if a in found]
            if articles:
                jobs.append(
                    (subscription, articles, claim.nonce, claim.claimed_at if retry else None)
                )
        return await self._deliver_all(jobs)

    async def _forum_post_made(
        self, forum: discord.ForumChannel, article: Article, since: datetime
    ) -> int | None:
        """The id of the bot's post for ``article`` in ``forum`` made since ``since``, if
        the send before a crash went through."""
        try:
            active = await self.bot.http.get_active_threads(forum.guild.id)
        except discord.HTTPException:
            return None
        name = forum_post_name(article)
        me = self.bot.user.id if self.bot.user else 0
        for thread in active.get("threads", []):
            made = discord.utils.snowflake_time(int(thread["id"]))
            if (
                int(thread.get("parent_id") or 0) == forum.id
                and int(thread.get("owner_id") or 0) == me
                and thread.get("name") == name
                and made >= since - timedelta(seconds=2)
            ):
                return int(thread["id"])
        return None

    # --- commands ------------------------------------------------------------------------

    @commands.hybrid_command(
        name="subscribe",
        description="Announce new articles in a channel (server managers)",
        usage="<channel> [role] [categories...]",
    )
    @for_admins
    @app_commands.describe(
        channel="Where new articles are posted (a forum gets one post per article)",
        role="A role to ping with each announcement (optional)",
        categories="Only these categories, separated by spaces (optional)",
    )
    async def subscribe(
        self,
        ctx: commands.Context[Any],
        channel: discord.TextChannel | discord.ForumChannel,
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
    @for_admins
    @app_commands.describe(
        channel="The channel to stop announcing in",
        category="Only the subscription for this category (optional)",
    )
    async def unsubscribe(
        self,
        ctx: commands.Context[Any],
        channel: discord.TextChannel | discord.ForumChannel,
        category: str | None = None,
    ) -> None:
        """Stop posting new articles in CHANNEL (or only its CATEGORY subscription)."""
        assert ctx.guild is not None
        gone = await self.state.unsubscribe(ctx.guild.id, channel.id, category)
        await send_reply(ctx, render.unsubscribed(channel.id, gone))

    @commands.hybrid_command(
        name="subscriptions", description="This server's announcement subscriptions"
    )
    @for_admins
    async def subscriptions(self, ctx: commands.Context[Any]) -> None:
        """Every subscription of this server: channel, filters, last post and health."""
        assert ctx.guild is not None
        found = await self.state.subscriptions(ctx.guild.id)
        await send_reply(ctx, render.subscriptions_list(found, tz=self.bot.settings.tz))


def _forum_post(article: Article, forum: discord.ForumChannel) -> dict[str, Any]:
    """A forum post's own fields: its name, archive time, and the forum's tags that name
    the article's categories (moderated tags are left to moderators)."""
    tags = [(t.id, t.name) for t in forum.available_tags if not t.moderated]
    return {
        "name": forum_post_name(article),
        "auto_archive_duration": forum.default_auto_archive_duration,
        "applied_tags": forum_tags(article.categories, tags),
    }


async def setup(bot: ArticleBot) -> None:
    await bot.add_cog(Announcer(bot, bot.state))
