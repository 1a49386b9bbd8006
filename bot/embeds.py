"""Turning a neutral ``Reply`` into what discord.py sends, never pinging anyone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord
from discord.ext import commands

from articlebot.bot.render import Reply, finish

NO_PINGS = discord.AllowedMentions.none()
T = TypeVar("T")


def to_embed(reply: Reply) -> discord.Embed | None:
    """The reply's embed, or None for a plain-text reply."""
    if not reply.has_embed:
        return None
    reply = finish(reply)
    embed = discord.Embed(
        title=reply.title or None,
        url=reply.url or None,
        description=reply.description or None,
        colour=reply.colour,
    )
    for name, value, inline in reply.fields:
        embed.add_field(name=name, value=value, inline=inline)
    if reply.footer:
        embed.set_footer(text=reply.footer)
    if reply.image:
        embed.set_image(url=reply.image)
    return embed


def message_kwargs(reply: Reply) -> dict[str, Any]:
    """``content``, ``embed`` and ``allowed_mentions`` for send/edit calls."""
    reply = finish(reply)
    return {
        "content": reply.content or None,
        "embed": to_embed(reply),
        "allowed_mentions": NO_PINGS,
    }


def payload(reply: Reply) -> dict[str, Any]:
    """The JSON Discord would receive for ``reply`` (for tests and validation)."""
    kwargs = message_kwargs(reply)
    data: dict[str, Any] = {"allowed_mentions": NO_PINGS.to_dict()}
    if kwargs["content"]:
        data["content"] = kwargs["content"]
    if kwargs["embed"] is not None:
        data["embeds"] = [kwargs["embed"].to_dict()]
    return data


async def send_reply(
    ctx: commands.Context[Any],
    reply: Reply,
    *,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
) -> discord.Message:
    """Answer a command: a reply to the message (prefix) or the interaction response
    (slash: ephemeral for errors, and for everything where the server wants its replies
    private). ``file`` goes with it (the embed may show it as ``attachment://name``)."""
    kwargs = message_kwargs(reply)
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if ctx.interaction is None:
        kwargs["reference"] = ctx.message.to_reference(fail_if_not_exists=False)
        kwargs["mention_author"] = False
    return await ctx.send(**kwargs, ephemeral=reply.ephemeral or _private(ctx))


def _private(ctx: commands.Context[Any]) -> bool:
    server = getattr(ctx.bot, "server", None)  # the ArticleBot's per-server settings
    return (
        ctx.interaction is not None
        and server is not None
        and (server(ctx.guild).replies == "private")
    )


DEFER_AFTER = 1.0  # seconds; Discord drops an interaction not acknowledged within 3


async def in_time(ctx: commands.Context[Any], work: Awaitable[T]) -> T:
    """Await ``work``; for a slash command that is still busy after ``DEFER_AFTER``
    seconds (a loaded machine, a reindex swapping in), acknowledge it first so Discord
    does not expire it. Fast answers keep their single response."""
    if ctx.interaction is None:
        return await work
    return await deferring(ctx.interaction, work, ctx.defer)


async def deferring(
    interaction: discord.Interaction[Any], work: Awaitable[T], defer: Callable[[], Awaitable[Any]]
) -> T:
    """Await ``work``; when it is still busy after ``DEFER_AFTER`` seconds and the
    interaction is not answered yet, ``defer()`` first (a slash command's "thinking", a
    button's update), so Discord does not expire it; the caller then answers through the
    deferral (``interaction.response.is_done()`` says which way)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done and not interaction.response.is_done():
        with contextlib.suppress(discord.HTTPException):
            await defer()
    return await task
