"""The Discord bot: intents, prefix, cogs, the per-user rate limit and one error handler."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from articlebot.bot import render
from articlebot.bot.answers import Answers, Heard
from articlebot.bot.embeds import NO_PINGS, send_reply
from articlebot.bot.follow import PullStatus
from articlebot.bot.lag import LoopLag, measure
from articlebot.bot.pacing import Pacer, paced, share
from articlebot.bot.permissions import admin_check
from articlebot.bot.render import DISCORD, strings
from articlebot.bot.servers import Servers, ServerSettings
from articlebot.bot.servers import defaults as server_defaults
from articlebot.bot.settings import Settings
from articlebot.bot.state import State
from articlebot.index import QueryError, ReindexReport

if TYPE_CHECKING:
    from articlebot.bot.answers import SearchIndex

log = logging.getLogger(__name__)

EXTENSIONS = (
    "articlebot.bot.cogs.search",
    "articlebot.bot.cogs.admin",
    "articlebot.bot.cogs.announce",
    "articlebot.bot.cogs.servers",
    "articlebot.bot.cogs.report",
)
RATE, PER = 5, 10.0  # commands per user per this many seconds
# What the bot needs in a channel: see it, answer with embeds, reply to messages, and
# offer its slash commands.
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    use_application_commands=True,
)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=PERMISSIONS, scopes=("bot", "applications.commands")
    )


def default_intents(message_content: bool = True) -> discord.Intents:
    """Default intents, plus Message Content (privileged) for prefix commands."""
    intents = discord.Intents.default()
    intents.message_content = message_content
    return intents


class ArticleBot(commands.AutoShardedBot):
    def __init__(self, settings: Settings, index: SearchIndex, *, intents: discord.Intents) -> None:
        super().__init__(
            command_prefix=_prefixes,
            intents=intents,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
            allowed_mentions=NO_PINGS,
            case_insensitive=True,
            strip_after_prefix=True,
            help_command=None,
            description="Searches the site's articles.",
        )
        self.settings = settings
        self.index = index
        rate = share(settings.global_rate, settings.shard_count, settings.shard_ids)
        self.http.request = paced(self.http.request, Pacer(rate))  # type: ignore[method-assign]
        self.pull_status: PullStatus | None = None  # when the bot pulls the site's checkout
        self._state_file: State | None = None
        self.servers = Servers(server_defaults(settings))
        self.answers = Answers(index, style=DISCORD, tz=settings.tz, prefix=settings.prefix)
        self.cooldowns = commands.CooldownMapping.from_cooldown(RATE, PER, commands.BucketType.user)
        self.add_check(self._rate_limit, call_once=True)
        self.add_check(self._in_its_channels, call_once=True)
        self.lag = LoopLag()
        self._lag_task: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        self._lag_task = asyncio.create_task(measure(self.lag), name="articlebot-loop-lag")
        self.state = await State.open_for(self.settings)
        self.servers.changed = await self.state.server_settings()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.tree.on_error = self.on_app_command_error

    async def close(self) -> None:
        """Close Discord and the cogs, then the state file: its connection thread would
        otherwise keep the process from exiting."""
        try:
            await super().close()
        finally:
            if self._lag_task is not None:
                self._lag_task.cancel()
                self._lag_task = None
                log.info("Event loop lag: %s", self.lag.summary())
            if self._state_file is not None:
                await self._state_file.close()
                self._state_file = None

    @property
    def state(self) -> State:
        """The state file (subscriptions, server settings, the query log), opened when the
        bot logs in."""
        if self._state_file is None:
            raise RuntimeError("the state file opens when the bot logs in")
        return self._state_file

    @state.setter
    def state(self, value: State) -> None:
        self._state_file = value

    async def articles_changed(self, report: ReindexReport) -> None:
        """The content folder changed and was reindexed: cogs hear it as the
        ``articles_changed`` event (announcements listen there). Before the bot is
        connected there is nobody to tell, and nothing to dispatch on."""
        if self.is_ready():
            self.dispatch("articles_changed", report)

    async def on_ready(self) -> None:
        log.info("Serving %s", describe_shards(self.shard_count, self.shard_ids))
        if self.user is not None:
            log.info(
                "Online as %s (id %s) in %d servers with %d articles; prefix %r%s",
                self.user,
                self.user.id,
                len(self.guilds),
                self.index.article_count,
                self.settings.prefix,
                "" if self.intents.message_content else " (mentions and slash commands only)",
            )
            log.info(
                "Invite it to a server with %s", invite_url(self.application_id or self.user.id)
            )

    # --- per server ---------------------------------------------------------------------

    def server(self, guild: discord.abc.Snowflake | None) -> ServerSettings:
        """The settings of ``guild`` (the defaults in DMs)."""
        return self.servers.get(guild.id if guild is not None else None)

    def answers_for(self, ctx: commands.Context[Any]) -> Answers:
        """The commands' logic with the server's prefix and page size, for one command."""
        mine = self.server(ctx.guild)
        return self.answers.for_server(mine.prefix, mine.page_size)

    async def log_query(self, ctx: commands.Context[Any], heard: Heard | None) -> int | None:
        """Log a search, ask or latest when the log is on, globally and in the server;
        returns its id (for marking it paged or opened). Never who asked."""
        if heard is None or not self.settings.query_log or not self.server(ctx.guild).query_log:
            return None
        guild_id = ctx.guild.id if ctx.guild is not None else None
        try:
            return await self.state.log_query(
                guild_id, heard.command, heard.query, heard.results, declined=heard.declined
            )
        except Exception as exc:  # the log must never cost the reader their answer
            log.warning("could not log a query: %s", exc)
            return None

    async def _in_its_channels(self, ctx: commands.Context[Any]) -> bool:
        """Commands answer only in the server's chosen channels; admin commands anywhere,
        so an admin can never lock the bot out of a server."""
        if ctx.guild is None or ctx.command is None:
            return True
        mine = self.server(ctx.guild)
        parent = getattr(ctx.channel, "parent_id", None)
        if mine.answers_in(getattr(ctx.channel, "id", None), parent):
            return True
        root = ctx.command.root_parent or ctx.command
        if admin_check in root.checks or admin_check in ctx.command.checks:
            return True
        raise WrongChannel(mine.channels, silent=mine.elsewhere == "silent")

    # --- rate limit ---------------------------------------------------------------------

    def rate_limited(self, message: discord.Message) -> float | None:
        """Seconds to wait when ``message``'s author is over the limit, else None."""
        bucket = self.cooldowns.get_bucket(message)
        return bucket.update_rate_limit() if bucket is not None else None

    async def _rate_limit(self, ctx: commands.Context[Any]) -> bool:
        bucket = self.cooldowns.get_bucket(ctx.message)
        retry_after = bucket.update_rate_limit() if bucket is not None else None
        if bucket is not None and retry_after:
            raise commands.CommandOnCooldown(bucket, retry_after, commands.BucketType.user)
        return True

    # --- errors -------------------------------------------------------------------------

    async def on_command_error(  # type: ignore[override]
        self, ctx: commands.Context[Any], error: commands.CommandError
    ) -> None:
        sentence = error_sentence(ctx, error)
        if sentence is None:
            return
        try:
            await send_reply(ctx, render.error(sentence))
        except discord.HTTPException as exc:
            log.warning("could not send an error reply in %s: %s", ctx.channel, exc)

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Errors outside the hybrid commands' own handler: mostly slash definitions that
        Discord still shows after a command changed (until `sync`)."""
        if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
            log.warning("slash command out of date (%s): an owner should run sync", error)
            sentence = render.OUT_OF_DATE
        else:
            log.error("app command %s failed", interaction.command, exc_info=error)
            sentence = render.INTERNAL
        send = (
            interaction.followup.send
            if interaction.response.is_done()
            else interaction.response.send_message
        )
        try:
            await send(sentence, ephemeral=True, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not send an error reply to interaction %s", interaction.id)


def describe_shards(count: int | None, ids: list[int] | None) -> str:
    """Which shards this process serves, for the log: "shards 0-3 of 8"."""
    if not count:
        return "every shard (automatic sharding)"
    if ids is None or len(ids) == count:
        return f"all {count} shards" if count > 1 else "the only shard"
    runs: list[str] = []
    start = prev = ids[0]
    for shard in [*ids[1:], None]:
        if shard is not None and shard == prev + 1:
            prev = shard
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if shard is not None:
            start = prev = shard
    return f"shard{'s' if len(ids) > 1 else ''} {','.join(runs)} of {count}"


def _prefixes(bot: commands.Bot, message: discord.Message) -> list[str]:
    """The mention, and the server's prefix (the environment's in DMs)."""
    assert isinstance(bot, ArticleBot)
    return commands.when_mentioned_or(bot.server(message.guild).prefix)(bot, message)


class WrongChannel(commands.CheckFailure):
    """A command outside the channels the server chose for the bot."""

    def __init__(self, channels: tuple[int, ...], *, silent: bool) -> None:
        super().__init__("not in this channel")
        self.channels = channels
        self.silent = silent


def _unwrap(error: BaseException) -> BaseException:
    seen = 0
    while seen < 5 and isinstance(
        error,
        commands.CommandInvokeError
        | commands.HybridCommandError
        | app_commands.CommandInvokeError
        | commands.ConversionError,
    ):
        error = error.original
        seen += 1
    return error


def usage(ctx: commands.Context[Any]) -> str:
    command = ctx.command
    prefix = "/" if ctx.interaction is not None else ctx.clean_prefix or "!"
    if command is None:
        return prefix + "help"
    return f"{prefix}{command.qualified_name} {command.signature}".strip()


def error_sentence(ctx: commands.Context[Any], error: BaseException) -> str | None:
    """The one sentence the user sees for ``error``, or None to stay silent; the details
    of unexpected errors are logged here."""
    error = _unwrap(error)
    if isinstance(error, commands.CommandNotFound):
        return None
    if isinstance(error, commands.CommandOnCooldown):
        return render.cooldown_message(error.retry_after)
    if isinstance(error, QueryError):
        return render.sentence_with_code(" ".join(str(error).split()), DISCORD)
    if isinstance(error, commands.RangeError):
        return strings.OUT_OF_RANGE.format(minimum=error.minimum, maximum=error.maximum)
    if isinstance(error, app_commands.TransformerError):
        return render.usage_message(usage(ctx))
    if isinstance(error, commands.BadLiteralArgument):
        return strings.CHOOSE_ONE.format(options=" or ".join(str(v) for v in error.literals))
    if isinstance(error, commands.UserInputError):
        return render.usage_message(usage(ctx))
    if isinstance(error, commands.NotOwner):
        return render.OWNER_ONLY
    if isinstance(error, commands.NoPrivateMessage):
        return strings.SERVER_ONLY
    if isinstance(error, WrongChannel):
        if error.silent and ctx.interaction is None:
            return None
        return render.wrong_channel(error.channels)
    if isinstance(error, commands.CheckFailure):
        return render.NOT_ALLOWED
    if isinstance(error, discord.Forbidden):
        log.warning("missing permissions in %s: %s", getattr(ctx, "channel", "?"), error)
        return None  # we cannot speak there; trying would fail again
    command = ctx.command.qualified_name if ctx.command else "?"
    log.error("command %s failed", command, exc_info=error)
    return render.INTERNAL


def create_bot(
    settings: Settings, index: SearchIndex, *, intents: discord.Intents | None = None
) -> commands.AutoShardedBot:
    """The bot, ready for ``start(token)``. ``intents`` defaults to the default intents
    plus Message Content; the runner passes them without it when Discord refuses it."""
    return ArticleBot(settings, index, intents=intents or default_intents())
