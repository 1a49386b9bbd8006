"""Follow the content folder: reindex when writes settle, and say what changed.

`articlebot run`, `articlebot chat` and `articlebot watch` all follow the folder this way.
Changes are gathered until the folder has been quiet for ``quiet`` seconds (a site
generator writes many files in a burst), but never longer than ``longest`` after the first
one, then the incremental reindex runs off the event loop. Triggers coalesce: one reindex
at a time; changes that arrive while it runs are kept by the watcher and make exactly one
more. An admin's `reindex` joins a running one (ArticleIndex.reindex coalesces).

Watching uses watchfiles: inotify where the kernel delivers events, or polling every
``interval`` seconds (ARTICLEBOT_WATCH=poll) for network and container mounts, where
events are not delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from articlebot.index import ArticleIndex, ArticleIndexError, ReindexReport
from articlebot.index.posts.folder import POST_SUFFIXES

log = logging.getLogger("articlebot.follow")

OnReport = Callable[[ReindexReport], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Following:
    """How the folder is followed (from ARTICLEBOT_WATCH and ARTICLEBOT_WATCH_INTERVAL)."""

    mode: str = "auto"  # auto (inotify), poll, or off
    quiet: float = 2.0  # seconds without a change before reindexing
    longest: float = 30.0  # seconds after the first change at the latest
    interval: float = 2.0  # seconds between polls, in poll mode

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


def _is_post(path: str) -> bool:
    """Posts and folders count; editors' swap files, `.git/` and the index's own files
    beside the posts do not."""
    parts = Path(path).parts
    if any(part.startswith(".") for part in parts[-8:]):
        return False
    name = parts[-1] if parts else ""
    return name.lower().endswith(POST_SUFFIXES) or "." not in name


def changed(report: ReindexReport) -> bool:
    return bool(report.added or report.updated or report.removed)


async def follow(
    index: ArticleIndex,
    following: Following,
    on_report: OnReport,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Reindex after each settled burst of changes to posts until ``stop`` is set (or the
    task is cancelled); ``on_report`` gets every report that added, updated or removed
    articles. Raises CannotFollow when the folder cannot be watched."""
    from watchfiles import awatch

    def keep(_change: object, path: str) -> bool:
        return _is_post(path)

    stop = stop or asyncio.Event()
    watching = awatch(
        index.content_dir,
        watch_filter=keep,
        step=int(following.quiet * 1000),
        debounce=int(following.longest * 1000),
        force_polling=following.mode == "poll",
        poll_delay_ms=int(following.interval * 1000),
        stop_event=stop,
        rust_timeout=500,
        yield_on_timeout=True,  # so `ready` can be set once the watcher runs
    )
    log.info("Following %s (%s)", index.content_dir, following.mode)
    try:
        async for changes in watching:
            if ready is not None:
                ready.set()
            if changes:
                await _reindex(index, on_report)
    except (OSError, RuntimeError) as exc:  # no inotify watches left, folder gone ...
        raise CannotFollow(
            f"cannot follow {index.content_dir} ({exc}); set ARTICLEBOT_WATCH=poll, or off "
            "and reindex by hand"
        ) from exc


class CannotFollow(RuntimeError):
    """The folder cannot be watched; the message is one sentence for the log."""


async def _reindex(index: ArticleIndex, on_report: OnReport) -> None:
    """One incremental reindex after a settled burst of changes, and its report. A failing
    reindex is logged and the last good index keeps serving."""
    try:
        report = await index.reindex()
    except (ArticleIndexError, OSError) as exc:
        log.warning("Reindex after a change failed; the last index keeps serving: %s", exc)
        return
    if not changed(report):
        return
    log.info(
        "Reindexed after a change: %d new, %d updated, %d removed in %.1f s",
        len(report.added),
        len(report.updated),
        len(report.removed),
        report.seconds,
    )
    try:
        await on_report(report)
    except Exception:  # a listener's bug must not stop the following
        log.exception("Handling a reindex report failed")


@contextlib.asynccontextmanager
async def following(
    index: ArticleIndex, settings: Following, on_report: OnReport
) -> AsyncIterator[asyncio.Event]:
    """Follow the folder in a background task while the block runs (not at all when the
    setting is off); yields an event set once the watcher is running."""
    ready = asyncio.Event()
    if not settings.enabled:
        ready.set()
        yield ready
        return
    stop = asyncio.Event()
    task = asyncio.create_task(follow(index, settings, on_report, stop, ready))
    task.add_done_callback(_log_failure)
    try:
        yield ready
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, CannotFollow):
            await task


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and isinstance(task.exception(), CannotFollow):
        log.error("%s", task.exception())
