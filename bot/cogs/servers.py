"""`settings`: each server's own prefix, channels, reply visibility, page sizes, admin
roles and query log (server managers and admins); forgetting servers the bot left, and
pruning the query log to its retention."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from articlebot.bot import render
from articlebot.bot.embeds import send_reply
from articlebot.bot.permissions import for_admins
from articlebot.bot.render import strings
from articlebot.bot.render.servers import LABELS, setting_changed, settings_list, shown
from articlebot.bot.servers import NAMES, SettingError, check, stored
from articlebot.bot.state import now

if TYPE_CHECKING:
    from articlebot.bot.app import ArticleBot

log = logging.getLogger(__name__)

GRACE_DAYS = 30  # a server's settings outlive the bot's leaving by this long
SettingName = Literal[
    "prefix",
    "channels",
    "elsewhere",
    "replies",
    "page-size",
    "latest-count",
    "admin-roles",
    "query-log",
]


def edited(ids: list[int], action: str, one: int) -> list[int]:
    """``ids`` with ``one`` added or removed (once, in order)."""
    if action == "add":
        return ids if one in ids else [*ids, one]
    return [i for i in ids if i != one]


class Servers(commands.Cog):
    """Per-server settings."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.upkeep.start()

    async def cog_unload(self) -> None:
        self.upkeep.cancel()

    @tasks.loop(hours=6)
    async def upkeep(self) -> None:
        """The query log kept to its retention, and servers the bot left long ago
        forgotten (their settings and subscriptions)."""
        try:
            pruned = await self.bot.state.prune_queries(
                now() - timedelta(days=self.bot.settings.query_log_days)
            )
            gone = await self.bot.state.forget_servers_left(now() - timedelta(days=GRACE_DAYS))
        except Exception as exc:  # the next round tries again
            log.warning("state upkeep failed: %s", exc)
            return
        for guild_id in gone:
            self.bot.servers.changed.pop(guild_id, None)
        if pruned or gone:
            log.info("Pruned %d old queries; forgot %d servers left", pruned, len(gone))

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.bot.state.server_left(guild.id, True)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.state.server_left(guild.id, False)

    # --- commands ------------------------------------------------------------------------

    async def _change(self, ctx: commands.Context[Any], name: str, value: object) -> None:
        assert ctx.guild is not None
        try:
            checked = check(name, value)
        except SettingError as exc:
            await send_reply(ctx, render.error(str(exc)))
            return
        await self.bot.state.set_server_setting(ctx.guild.id, name, stored(checked))
        self.bot.servers.set(ctx.guild.id, name, stored(checked))
        await send_reply(ctx, setting_changed(name, checked))

    @commands.hybrid_group(
        name="settings",
        fallback="show",
        invoke_without_command=True,
        description="This server's settings (server managers)",
    )
    @for_admins
    async def settings(self, ctx: commands.Context[Any]) -> None:
        """Every setting of this server and how to change it."""
        reply = settings_list(
            self.bot.server(ctx.guild),
            self.bot.servers.base,
            log_allowed=self.bot.settings.query_log,
        )
        await send_reply(ctx, reply)

    @settings.command(name="prefix", description="The prefix of commands here, like ! or ?")
    @app_commands.describe(prefix="1 to 10 characters without spaces; @mentions always work")
    @for_admins
    async def prefix(self, ctx: commands.Context[Any], prefix: str) -> None:
        await self._change(ctx, "prefix", prefix)

    @settings.command(name="channels", description="Where the bot answers: all, or a list")
    @app_commands.describe(
        action="all: every channel; add or remove one channel of the list",
        channel="The channel to add or remove",
    )
    @for_admins
    async def channels(
        self,
        ctx: commands.Context[Any],
        action: Literal["all", "add", "remove"],
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        current = list(self.bot.server(ctx.guild).channels)
        if action == "all":
            await self._change(ctx, "channels", [])
            return
        if channel is None:
            await send_reply(ctx, render.error(strings.CHANNEL_NEEDED))
            return
        await self._change(ctx, "channels", edited(current, action, channel.id))

    @settings.command(name="elsewhere", description="A prefix command outside those channels")
    @app_commands.describe(reply="hint: one line saying where; silent: no answer")
    @for_admins
    async def elsewhere(self, ctx: commands.Context[Any], reply: Literal["hint", "silent"]) -> None:
        await self._change(ctx, "elsewhere", reply)

    @settings.command(name="replies", description="Who sees the replies to slash commands")
    @app_commands.describe(visibility="public: everyone; private: only the person who asked")
    @for_admins
    async def replies(
        self, ctx: commands.Context[Any], visibility: Literal["public", "private"]
    ) -> None:
        await self._change(ctx, "replies", visibility)

    @settings.command(name="page-size", description="Search results per page")
    @for_admins
    async def page_size(
        self, ctx: commands.Context[Any], count: commands.Range[int, 1, 10]
    ) -> None:
        await self._change(ctx, "page_size", count)

    @settings.command(name="latest-count", description="How many articles latest shows")
    @for_admins
    async def latest_count(
        self, ctx: commands.Context[Any], count: commands.Range[int, 1, 10]
    ) -> None:
        await self._change(ctx, "latest_count", count)

    @settings.command(name="admin-roles", description="Roles that may change the bot here")
    @app_commands.describe(action="add or remove the role", role="The role")
    @for_admins
    async def admin_roles(
        self, ctx: commands.Context[Any], action: Literal["add", "remove"], role: discord.Role
    ) -> None:
        current = list(self.bot.server(ctx.guild).admin_roles)
        await self._change(ctx, "admin_roles", edited(current, action, role.id))

    @settings.command(name="query-log", description="Log searches for the editors' report")
    @app_commands.describe(switch="on or off for this server")
    @for_admins
    async def query_log(self, ctx: commands.Context[Any], switch: Literal["on", "off"]) -> None:
        await self._change(ctx, "query_log", switch)

    @settings.command(name="reset", description="One setting back to its default")
    @for_admins
    async def reset(self, ctx: commands.Context[Any], name: SettingName) -> None:
        assert ctx.guild is not None
        key = name.replace("-", "_")
        assert key in NAMES
        await self.bot.state.set_server_setting(ctx.guild.id, key, None)
        self.bot.servers.set(ctx.guild.id, key, None)
        value = getattr(self.bot.server(ctx.guild), key)
        sentence = strings.SETTING_RESET.format(label=LABELS[key], value=shown(key, value))
        await send_reply(ctx, render.Reply(description=sentence, colour=render.GREEN))


async def setup(bot: ArticleBot) -> None:
    await bot.add_cog(Servers(bot))
