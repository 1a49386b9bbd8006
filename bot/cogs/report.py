"""`report [days]`: the editors' report for this server, an embed with its chart attached."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from articlebot.bot.chart import FILENAME, chart_png
from articlebot.bot.embeds import in_time, send_reply
from articlebot.bot.permissions import for_admins
from articlebot.bot.render.reply import Reply
from articlebot.bot.render.report import chart_title, report_reply
from articlebot.bot.report import DEFAULT_DAYS, MAX_DAYS, gather_report

if TYPE_CHECKING:
    from articlebot.bot.app import ArticleBot

log = logging.getLogger(__name__)


class Reports(commands.Cog):
    """What readers look for, for the people who write the site."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot

    async def _build(self, guild_id: int, days: int) -> tuple[Reply, bytes | None]:
        report = await gather_report(
            self.bot.state,
            days=days,
            guild_id=guild_id,
            articles=self.bot.index.articles,
            tz=self.bot.settings.tz,
        )
        if report.empty:
            return report_reply(report), None
        # Drawing takes tens of milliseconds (more for a year): off the event loop.
        png = await asyncio.to_thread(chart_png, report.per_day, chart_title(report))
        return report_reply(report, image=f"attachment://{FILENAME}"), png

    @commands.hybrid_command(
        name="report",
        description="Top searches, searches that found nothing, declined questions (managers)",
        usage="[days]",
    )
    @for_admins
    @app_commands.describe(days=f"How many days back, 1 to {MAX_DAYS} (default {DEFAULT_DAYS})")
    async def report(
        self,
        ctx: commands.Context[Any],
        days: commands.Range[int, 1, MAX_DAYS] = DEFAULT_DAYS,
    ) -> None:
        """This server's most searched queries, the searches that found nothing, questions
        ask declined, the most opened articles and queries per day, with a chart."""
        assert ctx.guild is not None
        log.info("report for %s days requested by an admin", days)
        reply, png = await in_time(ctx, self._build(ctx.guild.id, days))
        file = discord.File(io.BytesIO(png), filename=FILENAME) if png is not None else None
        await send_reply(ctx, reply, file=file)


async def setup(bot: ArticleBot) -> None:
    await bot.add_cog(Reports(bot))
