"""A reindex of a large corpus, asked for on Discord, must not make the bot unresponsive:
searches keep being answered from the old index while it runs, and no blocking call (SQLite,
parsing, ranking, file listing, sleeps, joins) ever runs on the event loop's thread. The
loop lag is measured too (a 5 ms ticker task in the bot's own loop, and a watchdog thread
that notes what the loop thread was doing during each stall) and printed, never asserted:
a loaded machine makes it larger for nothing.

The corpus is the real one (../shared/corpora/finescoop-2020.tar.xz, ~25k posts) when it is
beside the project, else ~25k generated small posts. The reindex runs once, in the first
test; the others judge what it recorded.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field

import pytest

from tests.bot.conftest import (
    E2E,
    extract_corpus,
    real_corpus_archive,
    write_generated_corpus,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.usefixtures("audit"),
    pytest.mark.slow,
]

MAX_LAG = 0.100  # seconds: stalls longer than half this are described
TICK = 0.005
# Frames that mean the loop thread is waiting synchronously (the loop cannot run).
BLOCKING = (
    ("threading.py", "join"),
    ("threading.py", "_wait_for_tstate_lock"),
    ("threading.py", "wait"),
    ("process.py", "shutdown"),
    ("popen_fork.py", "wait"),
    ("connection.py", "recv_bytes"),
    ("subprocess.py", "wait"),
)


@dataclass
class Stall:
    seconds: float
    where: list[str] = field(default_factory=list)  # loop-thread stacks seen meanwhile


class LoopWatch:
    """A ticker in the loop (its lateness is the loop lag) and a watchdog thread that,
    whenever the ticker is late, samples where the loop thread is."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.ticks = 0
        self.stalls: list[Stall] = []
        self.blocked: list[str] = []  # loop-thread stacks seen inside a synchronous wait
        self._beat = time.perf_counter()
        self._loop_thread = threading.get_ident()
        self._current: Stall | None = None
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._watch, daemon=True)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            self._beat = time.perf_counter()
            await asyncio.sleep(TICK)
            now = loop.time()
            late = now - last - TICK
            self.worst = max(self.worst, late)
            if late > MAX_LAG / 2:
                self.stalls.append(self._current or Stall(late))
                self.stalls[-1].seconds = late
            self._current = None
            self.ticks += 1
            last = now

    def _watch(self) -> None:
        while not self._stop.wait(TICK / 2):
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            stack = traceback.format_stack(frame)[-4:]
            where = "".join(stack)
            if time.perf_counter() - self._beat >= MAX_LAG / 4:
                if self._current is None:
                    self._current = Stall(0.0)
                if where not in self._current.where:
                    self._current.where.append(where)
            innermost = stack[-1].split("\n")[0]
            # Thread.start() waits for the new thread to boot (microseconds): that is how
            # asyncio.to_thread grows its pool, not a wait on work.
            booting = any(line.split("\n")[0].endswith(" in start") for line in stack)
            if not booting and any(
                f'{file}"' in innermost and innermost.endswith(f" in {func}")
                for file, func in BLOCKING
            ):
                self.blocked.append(where)

    def __enter__(self) -> LoopWatch:
        self._task = asyncio.create_task(self._tick())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self._stop.set()
        self._thread.join()

    def describe(self) -> str:
        lines = [f"load average {os.getloadavg()} on {os.cpu_count()} CPUs"]
        for stall in sorted(self.stalls, key=lambda s: -s.seconds)[:5]:
            lines.append(f"--- loop late {stall.seconds * 1000:.0f} ms; loop thread was in:")
            lines += stall.where[:3] or ["  (not sampled)"]
        return "\n".join(lines)


class LoopGuard:
    """Records each call of a known blocking function (SQLite, the reindex, parsing and
    ranking, file listing, sleeps, joins) made on the event loop's own thread.

    This proves "never block the event loop" without timing anything: a loaded machine
    makes every call slower but does not move a call onto the loop thread. (The lag the
    ticker measures is printed as a figure, and bench/README.md records it.)
    """

    def __init__(self) -> None:
        from articlebot.index import service
        from articlebot.index.ranking import searcher
        from articlebot.index.storage import database, plan, reindex

        self.calls: list[str] = []
        self._loop_thread = threading.get_ident()
        self._targets = [
            (sqlite3, "connect"),
            (time, "sleep"),
            (os, "scandir"),
            (reindex, "run_reindex"),
            (service, "_open_sync"),
            (service, "_reindex_in_process"),
            (plan, "scan"),  # imported by the service when a reindex runs
            (service, "article_snippet"),
            (database, "connect"),
            (database, "connect_reader"),
            (searcher.Searcher, "plan"),
            (searcher.Searcher, "phrase_ok"),
            (threading.Thread, "join"),
        ]
        self._saved: list[tuple[object, str, object]] = []

    def _wrap(self, owner: object, name: str, original):
        guard = self

        @functools.wraps(original)
        def checked(*args, **kwargs):
            if threading.get_ident() == guard._loop_thread:
                where = "".join(traceback.format_stack(limit=4)[:-1])
                guard.calls.append(f"{getattr(owner, '__name__', owner)}.{name}\n{where}")
            return original(*args, **kwargs)

        return checked

    def __enter__(self) -> LoopGuard:
        wrapped: dict[int, object] = {}  # one wrapper per function, so pickling finds it
        for owner, name in self._targets:
            original = getattr(owner, name)
            self._saved.append((owner, name, original))
            if id(original) not in wrapped:
                wrapped[id(original)] = self._wrap(owner, name, original)
            setattr(owner, name, wrapped[id(original)])
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)


@dataclass
class Run:
    watch: LoopWatch
    guard: LoopGuard
    seconds: float
    files: int
    latencies: list[float]


RUN: list[Run] = []


async def test_searches_answered_while_a_large_reindex_runs(e2e: E2E) -> None:
    standin = e2e.standin
    target = e2e.content / "archive"
    archive = real_corpus_archive()
    if archive is not None:
        await asyncio.to_thread(extract_corpus, archive, target)
    else:
        await asyncio.to_thread(write_generated_corpus, target, 25_000)
    files = sum(1 for _ in target.rglob("*.md"))
    assert files > 20_000

    latencies: list[float] = []
    with LoopWatch() as watch, LoopGuard() as guard:
        sent = await standin.send_message("!reindex", author=standin.admin)
        await standin.wait_until(lambda: e2e.index.reindexing, timeout=10)
        started = time.perf_counter()
        while e2e.index.reindexing:
            began = asyncio.get_running_loop().time()
            reply = await e2e.ask("!search lighthouse fog", timeout=5)
            latencies.append(reply.at - began)
            assert "Lighthouse keeper" in reply.text()  # answered from the old index
            if len(latencies) % 4 == 0:
                _, callback, _ = await e2e.slash("search", {"query": "marathon"})
                assert callback.status == 200
            await asyncio.sleep(0.2)
        done = await standin.wait_for_reply(sent, timeout=600)
        seconds = time.perf_counter() - started
        await asyncio.sleep(0.5)  # the moments after the swap count too
    RUN.append(Run(watch, guard, seconds, files, latencies))

    assert len(latencies) >= 3, f"the reindex took only {seconds:.1f} s"
    text = done.text()
    assert "Index updated" in text or "Index rebuilt" in text
    assert e2e.index.article_count > 20_000
    after = await e2e.ask("!stats")
    assert str(e2e.index.article_count) in after.text().replace(",", "")
    print(
        f"\nreindex of {files} files: {seconds:.1f} s; {len(latencies)} searches answered "
        f"meanwhile, slowest {max(latencies) * 1000:.0f} ms; worst loop lag "
        f"{watch.worst * 1000:.1f} ms over {watch.ticks} ticks\n{watch.describe()}"
    )


async def test_loop_thread_never_waits_synchronously(e2e: E2E) -> None:
    if not RUN:
        pytest.skip("the reindex did not run")
    watch = RUN[0].watch
    assert not watch.blocked, "the loop thread was seen blocked in:\n" + watch.blocked[0]


async def test_no_blocking_call_runs_on_the_loop_thread(e2e: E2E) -> None:
    if not RUN:
        pytest.skip("the reindex did not run")
    calls = RUN[0].guard.calls
    assert not calls, "blocking calls on the event loop thread:\n" + "\n".join(calls[:5])
