"""reindex (server managers and configured admins), sync (owner) and stats."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord.ext import commands

from articlebot.bot import render
from articlebot.bot.app import describe_shards
from articlebot.bot.embeds import send_reply
from articlebot.bot.permissions import admin_check
from articlebot.bot.render import strings

if TYPE_CHECKING:
    from articlebot.bot.app import ArticleBot

log = logging.getLogger(__name__)


class Admin(commands.Cog):
    """Keeping the index fresh, and the bot's own upkeep."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot

    @commands.hybrid_command(
        name="reindex", description="Read new and changed articles now (server managers)"
    )
    @commands.check(admin_check)
    async def reindex(self, ctx: commands.Context[Any]) -> None:
        """Read new, changed and removed articles now (server managers and admins)."""
        log.info("reindex requested by an admin")  # (user identities are never logged)
        async with ctx.typing():  # a deferred "thinking…" for slash commands
            reply = await self.bot.answers.reindex()
        await send_reply(ctx, reply)

    @commands.command(name="sync", hidden=True)
    @commands.is_owner()
    async def sync(
        self, ctx: commands.Context[Any], scope: Literal["guild", "global", "clear"] | None = None
    ) -> None:
        """Publish the slash commands: to the dev guild when configured, else globally.

        ``sync global`` publishes globally anyway; ``sync clear`` removes the dev guild's
        copies (after testing)."""
        guild_id = self.bot.settings.dev_guild_id
        scope = scope or ("guild" if guild_id else "global")
        if scope in ("guild", "clear") and not guild_id:
            await send_reply(ctx, render.error(strings.SYNC_NEEDS_GUILD))
            return
        tree = self.bot.tree
        try:
            if scope == "global":
                synced = await tree.sync()
                where = "globally (Discord may take a while to show them everywhere)"
            else:
                guild = discord.Object(id=guild_id)
                tree.clear_commands(guild=guild)
                if scope == "guild":
                    tree.copy_global_to(guild=guild)
                synced = await tree.sync(guild=guild)
                where = f"to the dev guild {guild_id}"
        except discord.HTTPException as exc:
            log.warning("sync failed: %s", exc)
            await send_reply(ctx, render.error(strings.SYNC_REFUSED.format(status=exc.status)))
            return
        names = ", ".join(sorted(f"/{c.name}" for c in synced)) or "none"
        await send_reply(
            ctx,
            render.Reply(
                content=strings.SYNCED.format(count=len(synced), where=where, names=names)
            ),
        )

    @commands.hybrid_command(name="stats", description="Index figures and recent searches")
    async def stats(self, ctx: commands.Context[Any]) -> None:
        """Articles, categories, index age and size, and how many searches lately."""
        status = self.bot.pull_status
        process = (
            f"{describe_shards(self.bot.shard_count, self.bot.shard_ids)} · "
            f"event loop lag {self.bot.lag.short()}"
        )
        reply = await self.bot.answers.stats(status.describe() if status else "", process)
        await send_reply(ctx, reply)


async def setup(bot: ArticleBot) -> None:
    await bot.add_cog(Admin(bot))
