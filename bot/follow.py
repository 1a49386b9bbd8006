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

With ARTICLEBOT_WATCH=index the process follows the index instead: another process (the
indexer, `articlebot watch`) follows the folder and writes it, and this one swaps in each
generation it commits within INDEX_EVERY seconds, reporting the articles it added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from articlebot.index import ArticleIndex, ArticleIndexError, ReindexReport
from articlebot.index.posts.folder import POST_SUFFIXES

log = logging.getLogger("articlebot.follow")

if TYPE_CHECKING:
    from watchfiles import Change

OnReport = Callable[[ReindexReport], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Following:
    """How the folder is followed (from ARTICLEBOT_WATCH and ARTICLEBOT_WATCH_INTERVAL)."""

    mode: str = "auto"  # auto (inotify), poll, index (another process writes it), or off
    pull: float = 0.0  # seconds between `git pull --ff-only` of the folder; 0: never
    quiet: float = 2.0  # seconds without a change before reindexing
    longest: float = 30.0  # seconds after the first change at the latest
    interval: float = 2.0  # seconds between polls, in poll mode

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    @property
    def writes(self) -> bool:
        """Whether this process keeps the index up to date itself (not with ``index``)."""
        return self.mode != "index"


def _is_post(root: Path, path: str) -> bool:
    """Posts and folders inside ``root`` count; editors' swap files, `.git/` and the
    index's own files beside the posts do not (where ``root`` itself sits is no matter)."""
    try:
        parts = Path(path).relative_to(root).parts
    except ValueError:  # reported through a link to the folder: compare the real path
        try:
            parts = Path(os.path.realpath(path)).relative_to(root).parts
        except ValueError:
            return False
    if any(part.startswith(".") for part in parts):
        return False
    name = parts[-1] if parts else ""
    return name.lower().endswith(POST_SUFFIXES) or "." not in name


def changed(report: ReindexReport) -> bool:
    return bool(report.added or report.updated or report.removed)


STEP_MS = 50  # how often the watcher's thread looks for new events (watchfiles' default)


async def follow(
    index: ArticleIndex,
    following: Following,
    on_report: OnReport,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Reindex after each settled burst of changes to posts until ``stop`` is set (or the
    task is cancelled); ``on_report`` gets every report that added, updated or removed
    articles. Raises CannotFollow when the folder cannot be watched.

    The quiet period is timed here, not by the watcher: it returns events 50 ms after
    they stop, and says "timeout" after ``quiet`` seconds without any. Its own grouping
    (``step``) looks once per step, so a step of ``quiet`` made a post wait one to two
    quiet periods. Other files' events arrive too, so that a log written all along
    inside the folder cannot hold a post back."""
    from watchfiles import awatch

    root = Path(os.path.realpath(index.content_dir))
    stop = stop or asyncio.Event()
    watching = awatch(
        index.content_dir,
        watch_filter=None,
        step=STEP_MS,
        debounce=int(following.longest * 1000),
        force_polling=following.mode == "poll",
        poll_delay_ms=int(following.interval * 1000),
        stop_event=stop,
        rust_timeout=max(STEP_MS, int(following.quiet * 1000)),
        yield_on_timeout=True,  # so `ready` is set, and a quiet period ends, without events
    )
    log.info("Following %s (%s)", index.content_dir, following.mode)
    # Each batch of events, other files' too, would be an INFO line; ours tells each reindex.
    logging.getLogger("watchfiles.main").setLevel(logging.WARNING)
    loop = asyncio.get_running_loop()
    first: float | None = None  # when the first change to a post not yet reindexed was seen
    last = 0.0  # and the last one
    burst = Burst()
    try:
        async for changes in watching:
            if ready is not None:
                ready.set()
            now = loop.time()
            posts = [(kind, path) for kind, path in changes if _is_post(root, path)]
            if posts:
                first, last = (now if first is None else first), now
                burst.add(posts)
            if first is not None and (
                now - last >= following.quiet or now - first >= following.longest
            ):
                first = None
                paths, burst = burst.paths(), Burst()
                await _reindex(index, on_report, paths)
    except (OSError, RuntimeError) as exc:  # no inotify watches left, folder gone ...
        raise CannotFollow(
            f"cannot follow {index.content_dir} ({exc}); set ARTICLEBOT_WATCH=poll, or off "
            "and reindex by hand"
        ) from exc


INDEX_EVERY = 0.5  # seconds between looks at the index's committed generation


async def follow_index(
    index: ArticleIndex, on_report: OnReport, stop: asyncio.Event, every: float = INDEX_EVERY
) -> None:
    """Swap in each generation another process commits, until ``stop`` is set; reports
    that added or removed articles go to ``on_report``. A failing look (the file being
    replaced, a disk error) is logged once and tried again."""
    log.info("Following the index %s (written by another process)", index.db_path)
    failing = False
    while not stop.is_set():
        try:
            report = await index.refresh()
        except (ArticleIndexError, OSError, sqlite3.Error) as exc:
            if not failing:
                log.warning("Reading the index's new generation failed; retrying: %s", exc)
            failing, report = True, None
        else:
            if failing:
                log.info("Reading the index works again")
            failing = False
        if report is not None and changed(report):
            log.info(
                "Index updated by the indexer: %d new, %d removed",
                len(report.added),
                len(report.removed),
            )
            try:
                await on_report(report)
            except Exception:  # a listener's bug must not stop the following
                log.exception("Handling an index update failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


class CannotFollow(RuntimeError):
    """The folder cannot be watched; the message is one sentence for the log."""


MAX_PATHS = 1000  # a burst naming more posts than this reindexes by a whole-folder scan


class Burst:
    """The posts one settled burst of changes named, to reindex only those (tantivy-like:
    the watcher knows what changed). A folder among them (created, moved or deleted with
    its posts), or a burst too large to be worth naming, means the whole folder."""

    def __init__(self) -> None:
        self._paths: set[str] | None = set()

    def add(self, changes: list[tuple[Change, str]]) -> None:
        """Posts changed, added or deleted; a folder added or deleted (moved in or out)
        means the whole folder. A folder merely modified is a listing that changed
        (polling reports it beside the files' own events): nothing to read there."""
        from watchfiles import Change  # imported by the watcher already

        if self._paths is None:
            return
        for kind, path in changes:
            if path.lower().endswith(POST_SUFFIXES) and not os.path.isdir(path):
                self._paths.add(path)
            elif not (kind == Change.modified and os.path.isdir(path)):
                self._paths = None  # a folder came or went, or what may have been one
                return
        if len(self._paths) > MAX_PATHS:
            self._paths = None

    def paths(self) -> list[str] | None:
        """The posts' paths (absolute), or None for the whole folder."""
        return None if self._paths is None else sorted(self._paths)


async def _reindex(
    index: ArticleIndex, on_report: OnReport, paths: list[str] | None = None
) -> None:
    """One incremental reindex after a settled burst of changes (of ``paths`` only, when
    given), and its report. A failing reindex is logged and the last good index keeps
    serving."""
    try:
        report = await index.reindex(paths=paths)
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
    index: ArticleIndex,
    settings: Following,
    on_report: OnReport,
    status: PullStatus | None = None,
) -> AsyncIterator[asyncio.Event]:
    """Follow the folder in a background task while the block runs (not at all when the
    setting is off), and pull it every ``settings.pull`` seconds when set (its health in
    ``status``); yields an event set once the watcher is running."""
    status = status if status is not None else PullStatus()
    ready = asyncio.Event()
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    if not settings.writes:
        tasks.append(asyncio.create_task(follow_index(index, on_report, stop)))
        ready.set()
    elif settings.enabled:
        tasks.append(asyncio.create_task(follow(index, settings, on_report, stop, ready)))
        tasks[-1].add_done_callback(_log_failure)
    else:
        ready.set()
    if settings.pull > 0:
        tasks.append(asyncio.create_task(pull_every(index, settings.pull, status, on_report, stop)))
    try:
        yield ready
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, CannotFollow):
                await task


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and isinstance(task.exception(), CannotFollow):
        log.error("%s", task.exception())


# --- git pull ---------------------------------------------------------------------------

PULL_TIMEOUT = 120.0  # seconds a `git pull` may take before it counts as failed


@dataclass(slots=True)
class PullStatus:
    """How pulling the site's checkout goes, for `stats` and the log."""

    last_ok: datetime | None = None
    failing_since: datetime | None = None
    error: str = ""

    def describe(self, now: datetime | None = None) -> str:
        """One line for `stats`."""
        when = now or datetime.now(UTC)
        if self.error:
            since = self.failing_since or when
            minutes = max(0, int((when - since).total_seconds() // 60))
            return f"failing for {minutes} min: {self.error}"
        if self.last_ok is None:
            return "not pulled yet"
        minutes = max(0, int((when - self.last_ok).total_seconds() // 60))
        return f"up to date ({minutes} min ago)"


async def _git(folder: Path, *args: str) -> tuple[int, str]:
    """Run git in ``folder`` without a terminal prompt; (exit status, its last words)."""
    process = await asyncio.create_subprocess_exec(
        "git",
        "-C",
        str(folder),
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), PULL_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        return 124, f"git {args[0]} took over {PULL_TIMEOUT:.0f} s"
    lines = [ln.strip() for ln in out.decode(errors="replace").splitlines() if ln.strip()]
    return process.returncode or 0, (lines[-1] if lines else "")[:200]


async def pull_once(folder: Path, status: PullStatus) -> bool:
    """``git pull --ff-only`` in the content folder; True when it brought new commits. A
    failure (network, conflict, not a repository, no git) is logged once when it starts
    and once when it ends, and kept in ``status``; it never touches the index."""
    try:
        code, before = await _git(folder, "rev-parse", "HEAD")
        if code == 0:
            code, said = await _git(folder, "pull", "--ff-only", "--quiet")
        else:
            said = before or "not a git repository"
        after = (await _git(folder, "rev-parse", "HEAD"))[1] if code == 0 else before
    except OSError as exc:  # git itself is missing
        code, said, after = 127, f"cannot run git ({exc.strerror or exc})", ""
    now = datetime.now(UTC)
    if code != 0:
        if status.error != said:
            log.warning("git pull in %s failed: %s", folder, said)
        status.failing_since = status.failing_since or now
        status.error = said or f"git exited with {code}"
        return False
    if status.error:
        log.info("git pull in %s works again", folder)
    status.error, status.failing_since, status.last_ok = "", None, now
    return after != before


async def pull_every(
    index: ArticleIndex,
    seconds: float,
    status: PullStatus,
    on_report: OnReport,
    stop: asyncio.Event,
) -> None:
    """Pull the site's checkout every ``seconds`` and reindex what a pull brought."""
    while not stop.is_set():
        if await pull_once(index.content_dir, status):
            await _reindex(index, on_report)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
