"""Starting the bot: open (and if needed refresh) the index, then connect to Discord.

When Discord refuses the privileged Message Content intent (it is not enabled for the
application), the bot reconnects without it: slash commands, mentions and DMs keep
working, ``!prefix`` commands in servers do not.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiohttp
import discord

from articlebot.bot.app import ArticleBot, create_bot, default_intents
from articlebot.bot.follow import PullStatus, following
from articlebot.bot.settings import Settings, setup_logging
from articlebot.bot.stopping import cancelled_on_stop_signals
from articlebot.index import ReindexReport, StoreError

if TYPE_CHECKING:
    from articlebot.index import ArticleIndex

log = logging.getLogger("articlebot")

NO_TOKEN = (
    "DISCORD_TOKEN is not set: put it in the environment or a .env file "
    "(or run `articlebot chat` for the offline console)."
)


class StartupError(RuntimeError):
    """The index cannot be opened or built; the message is one line for the user."""


async def open_index(settings: Settings, say: Callable[[str], None]) -> ArticleIndex:
    """Open the index at ``settings.db_path``, first (re)indexing the content folder when
    the index is empty or older than the files (unless another process, the indexer,
    writes it: ARTICLEBOT_WATCH=index). ``say`` gets one-line progress messages."""
    from articlebot.index import ArticleIndex, ContentError

    content = settings.content_dir
    if not content.is_dir():
        raise StartupError(
            f"the content folder {content} does not exist; set ARTICLEBOT_CONTENT or --content."
        )
    try:
        settings.db_path.parent.mkdir(parents=True, exist_ok=True)
        index = await ArticleIndex.open(settings.db_path, content, settings.index_config())
    except (OSError, StoreError) as exc:
        raise StartupError(str(exc)) from None
    if not settings.following.writes:  # the indexer process writes it: only read here
        if index.is_empty:
            say(f"The index {settings.db_path} is empty; waiting for the indexer to build it.")
        return index
    try:
        if index.is_empty or await index.is_stale():
            say(f"Indexing {content} …")
            report = await index.reindex()
            refused = f", {len(report.refused)} refused" if report.refused else ""
            say(f"Indexed {report.total} articles in {report.seconds:.1f} s{refused}.")
    except (OSError, StoreError, ContentError) as exc:
        await index.close()
        raise StartupError(str(exc)) from None
    except BaseException:
        await index.close()
        raise
    return index


async def serve(
    settings: Settings, index: ArticleIndex, on_bot: Callable[[ArticleBot], None] | None = None
) -> int:
    """Connect and run until closed; retries once without the Message Content intent.
    ``on_bot`` hears of each bot made (the folder's follower reports to the current one)."""
    intents = default_intents(message_content=True)
    while True:
        bot = create_bot(settings, index, intents=intents)
        if on_bot is not None:
            on_bot(bot)
        try:
            async with bot:
                await bot.start(settings.token or "")
            return 0
        except discord.PrivilegedIntentsRequired:
            if not intents.message_content:
                log.error("Discord refused the bot's intents even without Message Content.")
                return 1
            log.warning(
                "Discord refused the Message Content intent, so prefix commands such as "
                "%ssearch only work in DMs and when the bot is mentioned; slash commands "
                "work. Enable it under Developer Portal → your application → Bot → "
                "Privileged Gateway Intents. Reconnecting without it.",
                settings.prefix,
            )
            intents = default_intents(message_content=False)
        except discord.LoginFailure:
            log.error(
                "Discord rejected DISCORD_TOKEN; reset the token under Developer Portal → "
                "your application → Bot and update the setting."
            )
            return 2
        except (TimeoutError, aiohttp.ClientError, OSError, discord.GatewayNotFound) as exc:
            log.error(
                "Cannot reach Discord (%s); check the network connection and try again.",
                " ".join(str(exc).split())[:200] or type(exc).__name__,
            )
            return 1
        except discord.HTTPException as exc:
            log.error(
                "Discord answered the login with an error (HTTP %s); try again later.", exc.status
            )
            return 1


async def run_bot(settings: Settings) -> int:
    """Run the bot until it is stopped (SIGTERM: 0, Ctrl-C or SIGINT: 130, however the
    process inherited them; see ``stopping``); returns the exit status."""
    if not settings.token:
        print(f"articlebot: {NO_TOKEN}", file=sys.stderr)
        return 2
    setup_logging(settings)
    task = asyncio.current_task()
    assert task is not None
    with cancelled_on_stop_signals(task) as received:
        try:
            return await _run(settings)
        except asyncio.CancelledError:
            if not received:
                raise
    log.info("Stopped.")
    return 130 if received[0] == signal.SIGINT else 0


async def _run(settings: Settings) -> int:
    """Open the index, follow and serve: the whole life a stop signal cancels."""
    try:
        index = await open_index(settings, log.info)
    except StartupError as exc:
        log.error("%s", exc)
        return 2
    # Before serving: the kernel's import holds the GIL, a stall the loop would feel.
    if await index.preload_kernel():
        log.info("Ranking with the compiled kernel.")
    bots: list[ArticleBot] = []
    pulling = PullStatus()

    async def changed(report: ReindexReport) -> None:
        if bots:
            await bots[-1].articles_changed(report)

    def made(bot: ArticleBot) -> None:
        bot.pull_status = pulling if settings.following.pull else None
        bots.append(bot)

    try:
        async with following(index, settings.following, changed, pulling):
            return await serve(settings, index, made)
    finally:
        await index.close()
