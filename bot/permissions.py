"""Who may run the admin commands: Manage Server, the environment's admin roles and users,
the server's own admin roles, and the bot's owner.

Here rather than in a cog: discord.py loads each extension as a fresh module, so a check
defined in a cog would be a different function object from the one other modules import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord.ext import commands

from articlebot.bot import render

if TYPE_CHECKING:
    from articlebot.bot.app import ArticleBot
    from articlebot.bot.settings import Settings

log = logging.getLogger(__name__)


class NotAdmin(commands.CheckFailure):
    """The author may not run an admin command; the message is the polite refusal."""

    def __init__(self) -> None:
        super().__init__(render.NOT_ALLOWED)


def is_admin_member(
    author: discord.abc.User, settings: Settings, server_roles: tuple[int, ...] = ()
) -> bool:
    """A configured admin user, a member with Manage Server, or one with an admin role
    (the environment's, or one the server's admins chose)."""
    if author.id in settings.admin_user_ids:
        return True
    if not isinstance(author, discord.Member):
        return False  # in DMs only configured admins (and the owner) count
    permissions = author.resolved_permissions or author.guild_permissions
    if permissions.manage_guild or permissions.administrator:
        return True
    return any(
        role.id in settings.admin_role_ids or role.id in server_roles for role in author.roles
    )


async def admin_check(ctx: commands.Context[Any]) -> bool:
    bot: ArticleBot = ctx.bot
    if is_admin_member(ctx.author, bot.settings, bot.server(ctx.guild).admin_roles):
        return True
    try:
        if await bot.is_owner(ctx.author):
            return True
    except discord.HTTPException as exc:  # application info unavailable: not the owner
        log.warning("could not check the bot owner: %s", exc)
    raise NotAdmin()


F = TypeVar("F", bound=Callable[..., Any])


def for_admins(func: F) -> F:
    """An admin command: in a server, by its managers and the bot's admins. Put on each
    subcommand too: a slash subcommand does not run its group's checks."""
    return commands.guild_only()(commands.check(admin_check)(func))
