"""Following the content folder with the real watcher (inotify and polling) over a real
index: writes settle, then one reindex reports what is new, updated and removed."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from articlebot.bot.follow import Following, PullStatus, follow, following, pull_every, pull_once
from articlebot.index import ArticleIndex, IndexConfig, ReindexReport
from tests.sample_posts import write_post, write_posts

QUIET = Following(quiet=0.3, longest=5.0, interval=0.1)
WAIT = 20.0  # seconds a test waits for a report before it fails (never reached when it works)


def new_post(folder: Path, n: int) -> Path:
    return write_post(
        folder,
        f"lighthouse_log_{n:03d}.md",
        f"Lighthouse keeper's log, entry {n}",
        "2021-05-01-10-00-00",
        "news",
        f"The keeper counted {n} ships passing the point before the fog came in.",
    )


@pytest.fixture
async def index(tmp_path: Path):
    content = write_posts(tmp_path / "content")
    idx = await ArticleIndex.open(tmp_path / "index.sqlite3", content, IndexConfig())
    await idx.reindex()
    try:
        yield idx
    finally:
        await idx.close()


class Reports:
    """What the follower reported, and a way to wait for the next report."""

    def __init__(self) -> None:
        self.seen: list[ReindexReport] = []
        self._queue: asyncio.Queue[ReindexReport] = asyncio.Queue()

    async def __call__(self, report: ReindexReport) -> None:
        self.seen.append(report)
        self._queue.put_nowait(report)

    async def next(self) -> ReindexReport:
        return await asyncio.wait_for(self._queue.get(), WAIT)

    async def nothing_for(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._queue.get(), seconds)
        except TimeoutError:
            return True
        return False


@pytest.mark.parametrize("mode", ["auto", "poll"])
async def test_new_updated_and_removed_posts_are_reported(index: ArticleIndex, mode: str) -> None:
    reports = Reports()
    settings = Following(mode=mode, quiet=QUIET.quiet, longest=5.0, interval=0.1)
    async with following(index, settings, reports) as ready:
        await asyncio.wait_for(ready.wait(), WAIT)
        path = new_post(index.content_dir, 1)
        report = await reports.next()
        assert report.added == ("lighthouse_log_001.md",) and not report.updated
        assert (await index.search("lighthouse fog")).total == 1  # served at once

        if mode == "poll":  # a poller compares modification times at whole seconds
            await asyncio.sleep(1.1)
        path.write_text(path.read_text().replace("ships", "yachts"))
        report = await reports.next()
        assert report.updated == ("lighthouse_log_001.md",) and not report.added

        path.unlink()
        report = await reports.next()
        assert report.removed == ("lighthouse_log_001.md",)
        assert (await index.search("lighthouse fog")).total == 0


async def test_a_burst_of_thirty_posts_is_one_or_two_reindexes(index: ArticleIndex) -> None:
    reports = Reports()
    async with following(index, QUIET, reports) as ready:
        await asyncio.wait_for(ready.wait(), WAIT)
        for n in range(30):
            new_post(index.content_dir, n)
        added: set[str] = set()
        while len(added) < 30:
            added.update((await reports.next()).added)
        assert len(reports.seen) <= 2  # the burst settles before the reindex runs
        assert await reports.nothing_for(1.0)
    assert index.article_count == 34


async def test_a_post_waits_for_the_quiet_period(index: ArticleIndex) -> None:
    """A post is not reindexed before the folder has been quiet for ``quiet`` seconds. How
    soon after that it is (one quiet period, not two as when the watcher looked only once
    per quiet period) is a figure of bench/announce_latency.py ("write -> reindex start"),
    not an assertion here: a loaded machine would fail it for nothing."""
    loop = asyncio.get_running_loop()
    started: list[float] = []
    real = index.reindex

    async def timed(*args, **kwargs):
        started.append(loop.time())
        return await real(*args, **kwargs)

    index.reindex = timed  # type: ignore[method-assign]
    settings = Following(quiet=2.0, longest=10.0)
    async with following(index, settings, Reports()) as ready:
        await asyncio.wait_for(ready.wait(), WAIT)
        new_post(index.content_dir, 1)
        written = loop.time()
        while not started:
            await asyncio.sleep(0.05)
    waited = started[0] - written
    assert waited >= settings.quiet, waited


async def test_other_files_written_all_along_do_not_hold_a_post_back(
    index: ArticleIndex,
) -> None:
    reports = Reports()
    log = index.content_dir / "generator.log"
    async with following(index, QUIET, reports) as ready:
        await asyncio.wait_for(ready.wait(), WAIT)

        async def keep_writing() -> None:
            with log.open("a") as f:
                while True:
                    f.write("built\n")
                    f.flush()
                    await asyncio.sleep(0.05)

        writer = asyncio.create_task(keep_writing())
        try:
            new_post(index.content_dir, 1)
            assert (await reports.next()).added == ("lighthouse_log_001.md",)
        finally:
            writer.cancel()


async def test_other_files_do_not_trigger_a_reindex(index: ArticleIndex) -> None:
    reports = Reports()
    calls = 0
    real = index.reindex

    async def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        return await real(*args, **kwargs)

    index.reindex = counted  # type: ignore[method-assign]
    async with following(index, QUIET, reports) as ready:
        await asyncio.wait_for(ready.wait(), WAIT)
        (index.content_dir / "notes.txt").write_text("not a post")
        (index.content_dir / ".post.md.swp").write_text("an editor's swap file")
        (index.content_dir / ".git").mkdir()
        (index.content_dir / ".git" / "HEAD").write_text("ref: refs/heads/main")
        assert await reports.nothing_for(1.5)
    assert calls == 0


async def test_a_change_during_a_reindex_gets_one_more(index: ArticleIndex) -> None:
    reports = Reports()
    real = index.reindex
    started = asyncio.Event()

    async def slow(*args, **kwargs):
        started.set()
        await asyncio.sleep(1.0)  # the first reindex is still running when post 2 lands
        return await real(*args, **kwargs)

    index.reindex = slow  # type: ignore[method-assign]
    async with following(index, QUIET, reports) as ready:
        await asyncio.wait_for(ready.wait(), WAIT)
        new_post(index.content_dir, 1)
        await asyncio.wait_for(started.wait(), WAIT)
        new_post(index.content_dir, 2)
        added = set((await reports.next()).added)
        if len(added) < 2:
            added |= set((await reports.next()).added)
        assert added == {"lighthouse_log_001.md", "lighthouse_log_002.md"}


async def test_following_is_off_when_the_setting_says_so(index: ArticleIndex) -> None:
    reports = Reports()
    async with following(index, Following(mode="off"), reports) as ready:
        assert ready.is_set()
        new_post(index.content_dir, 1)
        assert await reports.nothing_for(1.0)


async def test_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    content = write_posts(tmp_path / "content")
    idx = await ArticleIndex.open(tmp_path / "index.sqlite3", content, IndexConfig())
    try:
        await idx.reindex()
        for p in content.iterdir():
            p.unlink()
        content.rmdir()
        with pytest.raises(Exception, match="cannot follow"):
            await asyncio.wait_for(follow(idx, QUIET, Reports()), WAIT)
    finally:
        await idx.close()


# What a shell without job control does to a command it starts in the background, and so
# to every process of a test run started that way: SIGINT ignored, then the program.
SIGINT_IGNORED = (
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])",
)
STOPPED = 30.0  # seconds a stopped indexer has to exit (never reached when it works)


def start_indexer(
    content: Path, db: Path, launcher: tuple[str, ...] = (sys.executable,)
) -> subprocess.Popen[str]:
    """`articlebot watch` as the indexer service: its own process, following the folder
    even when the shared environment says ARTICLEBOT_WATCH=index (as the bots' does);
    returned once it follows, its JSON lines on stdout."""
    argv = [*launcher, "-m", "articlebot.bot", "watch", "--content", str(content)]
    proc = subprocess.Popen(
        [*argv, "--db", str(db), "--quiet", "0.3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DISCORD_TOKEN": "", "ARTICLEBOT_WATCH": "index"},
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # the index is built first, then it follows
        if "following" in line:
            return proc
    proc.kill()
    raise AssertionError(f"the indexer did not start (exit {proc.wait()})")


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> int:
    """Send ``sig`` and return the exit status. One that outlives STOPPED is killed and
    fails the test: a stop the indexer did not obey was once hidden here."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(STOPPED)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"the indexer went on {STOPPED:.0f} s after {sig!r}") from None


def test_articlebot_watch_prints_a_json_line_per_reindex(tmp_path: Path) -> None:
    content = write_posts(tmp_path / "content")
    proc = start_indexer(content, tmp_path / "index.sqlite3")
    try:
        assert proc.stdout is not None
        new_post(content, 7)
        row = json.loads(proc.stdout.readline())
        assert row["added"] == ["lighthouse_log_007.md"] and row["removed"] == []
    finally:
        stop(proc)


@pytest.mark.parametrize("sigint", ["as inherited", "ignored"])
def test_articlebot_watch_stops_on_sigint(tmp_path: Path, sigint: str) -> None:
    """Ctrl-C stops the indexer once its index is closed, also when it was started with
    SIGINT ignored: asyncio.run left that ignored, and the indexer of a test run started
    in the background followed on after its SIGINT (test_e2e_processes timed out)."""
    content = write_posts(tmp_path / "content")
    launcher = SIGINT_IGNORED if sigint == "ignored" else (sys.executable,)
    proc = start_indexer(content, tmp_path / "index.sqlite3", launcher)
    assert stop(proc, signal.SIGINT) == 130
    assert proc.stderr is not None
    assert "interrupted; the last complete index is kept" in proc.stderr.read()


async def test_articlebot_watch_stops_on_sigterm_keeping_what_it_indexed(
    tmp_path: Path,
) -> None:
    """SIGTERM, a service manager's stop, closes the index and exits 0. Without a handler
    it was the default action's instant death, and nothing at all as PID 1 in a
    container, which the kernel spares the default action."""
    content = write_posts(tmp_path / "content")
    db = tmp_path / "index.sqlite3"
    proc = start_indexer(content, db)
    try:
        assert proc.stdout is not None
        new_post(content, 7)
        assert json.loads(proc.stdout.readline())["added"] == ["lighthouse_log_007.md"]
    finally:
        status = stop(proc, signal.SIGTERM)
    assert proc.stderr is not None
    assert status == 0 and "stopped; the last complete index is kept" in proc.stderr.read()
    async with ArticleIndex.open(db, content, IndexConfig()) as idx:
        found = await idx.search("keeper counted ships fog")
        assert [h.article.id for h in found.hits][:1] == ["lighthouse_log_007.md"]


def git(folder: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "site",
        "GIT_AUTHOR_EMAIL": "site@example.com",
        "GIT_COMMITTER_NAME": "site",
        "GIT_COMMITTER_EMAIL": "site@example.com",
    }
    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")
async def test_git_pull_brings_new_posts_and_failures_are_reported(tmp_path: Path) -> None:
    # The site's repository, and the bot's checkout of it as its content folder.
    origin = write_posts(tmp_path / "origin")
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "four posts")
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(origin), str(checkout)], check=True)
    index = await ArticleIndex.open(tmp_path / "index.sqlite3", checkout, IndexConfig())
    try:
        await index.reindex()
        status = PullStatus()
        assert await pull_once(checkout, status) is False  # nothing new
        assert status.describe().startswith("up to date")

        new_post(origin, 5)
        git(origin, "add", "-A")
        git(origin, "commit", "-q", "-m", "a fifth post")
        reports = Reports()
        stop = asyncio.Event()
        task = asyncio.create_task(pull_every(index, 3600, status, reports, stop))
        report = await reports.next()
        stop.set()
        await asyncio.wait_for(task, WAIT)
        assert report.added == ("lighthouse_log_005.md",)

        shutil.rmtree(origin)  # the remote is gone: a failure, not a crash or a change
        before = index.article_count
        assert await pull_once(checkout, status) is False
        assert status.error and status.describe().startswith("failing")
        assert index.article_count == before
        assert await pull_once(checkout, status) is False  # logged once, kept
    finally:
        await index.close()


async def test_a_folder_that_is_not_a_repository_is_a_clear_failure(tmp_path: Path) -> None:
    folder = write_posts(tmp_path / "plain")
    status = PullStatus()
    assert await pull_once(folder, status) is False
    assert status.error and "failing" in status.describe()


async def test_a_folder_inside_a_hidden_folder_is_followed(tmp_path: Path) -> None:
    content = write_posts(tmp_path / ".site" / "content")  # e.g. a checkout in ~/.local
    idx = await ArticleIndex.open(tmp_path / "index.sqlite3", content, IndexConfig())
    try:
        await idx.reindex()
        reports = Reports()
        async with following(idx, QUIET, reports) as ready:
            await asyncio.wait_for(ready.wait(), WAIT)
            new_post(content, 1)
            assert (await reports.next()).added == ("lighthouse_log_001.md",)
    finally:
        await idx.close()


async def test_a_reader_swaps_in_what_the_indexer_process_commits(tmp_path: Path) -> None:
    content = write_posts(tmp_path / "content")
    db = tmp_path / "index.sqlite3"
    indexer = start_indexer(content, db)
    try:
        reader = await ArticleIndex.open(db, content, IndexConfig())
        async with reader:
            assert await reader.refresh() is None  # nothing new since it opened
            before = reader.article_count
            reports = Reports()
            async with following(reader, Following(mode="index"), reports) as ready:
                assert ready.is_set()
                new_post(content, 9)
                report = await reports.next()
                assert report.added == ("lighthouse_log_009.md",) and report.removed == ()
                assert reader.article_count == before + 1
                found = await reader.search("keeper counted ships fog")
                assert [h.article.id for h in found.hits][:1] == ["lighthouse_log_009.md"]
                (content / "lighthouse_log_009.md").unlink()
                report = await reports.next()
                assert report.removed == ("lighthouse_log_009.md",) and report.added == ()
                assert reader.article_count == before
    finally:
        stop(indexer)


async def test_a_reader_never_writes_the_index(tmp_path: Path) -> None:
    """The bot with ARTICLEBOT_WATCH=index opens a stale index as it is: the indexer
    brings it up to date, not every bot process at its start."""
    from articlebot.bot.run import open_index
    from articlebot.bot.settings import load_settings

    content = write_posts(tmp_path / "content")
    db = tmp_path / "index.sqlite3"
    env = {"ARTICLEBOT_CONTENT": str(content), "ARTICLEBOT_DB": str(db)}
    said: list[str] = []
    reader = load_settings({**env, "ARTICLEBOT_WATCH": "index"}, env_file=None)
    async with await open_index(reader, said.append) as index:
        assert index.is_empty and "waiting for the indexer" in said[0]
    async with await open_index(load_settings(env, env_file=None), said.append) as index:
        assert not index.is_empty  # a process that writes the index built it
    new_post(content, 3)
    async with await open_index(reader, said.append) as index:
        assert "lighthouse_log_003.md" not in index.article_ids()


async def test_a_reader_moves_to_an_index_file_built_anew(tmp_path: Path) -> None:
    """The index is derived data: deleted and built again by the indexer, the bots read
    the new file without a restart, and keep serving the old one until it is complete."""
    content = write_posts(tmp_path / "content")
    db = tmp_path / "index.sqlite3"
    async with await ArticleIndex.open(db, content, IndexConfig()) as writer:
        await writer.reindex()
    async with await ArticleIndex.open(db, content, IndexConfig()) as reader:
        before = reader.article_count
        for path in tmp_path.glob("index.sqlite3*"):
            path.unlink()
        assert await reader.refresh() is None  # nothing there: the old file keeps serving
        new_post(content, 4)
        async with await ArticleIndex.open(db, content, IndexConfig()) as rebuilt:
            assert await reader.refresh() is None  # a new file, not built yet
            assert reader.article_count == before
            await rebuilt.reindex()
            report = await reader.refresh()
        assert report is not None and report.added == ("lighthouse_log_004.md",)
        found = await reader.search("keeper counted ships fog")
        assert [h.article.id for h in found.hits][:1] == ["lighthouse_log_004.md"]
        assert await reader.refresh() is None  # and it follows the new file from now on


def recording(index: ArticleIndex) -> list[list[str] | None]:
    """The ``paths`` of every reindex the follower asks for."""
    asked: list[list[str] | None] = []
    real = index.reindex

    async def record(*args, **kwargs):
        asked.append(kwargs.get("paths"))
        return await real(*args, **kwargs)

    index.reindex = record  # type: ignore[method-assign]
    return asked


@pytest.mark.parametrize("mode", ["auto", "poll"])
async def test_the_follower_names_the_posts_it_saw_change(index: ArticleIndex, mode: str):
    asked = recording(index)
    settings = Following(mode=mode, quiet=0.3, longest=5.0, interval=0.1)
    reports = Reports()
    async with following(index, settings, reports) as ready:
        await asyncio.wait_for(ready.wait(), WAIT)
        new_post(index.content_dir, 1)
        (index.content_dir / "bakery_chain_opens_tenth_shop.md").unlink()
        seen = await reports.next()
        if len(seen.added) + len(seen.removed) < 2:
            await reports.next()
    names = {Path(p).name for paths in asked if paths is not None for p in paths}
    assert None not in asked
    assert names == {"lighthouse_log_001.md", "bakery_chain_opens_tenth_shop.md"}


async def test_a_new_folder_of_posts_is_a_whole_folder_reindex(index: ArticleIndex):
    asked = recording(index)
    reports = Reports()
    async with following(index, QUIET, reports) as ready:
        await asyncio.wait_for(ready.wait(), WAIT)
        staged = index.content_dir.parent / "staged"
        staged.mkdir()
        new_post(staged, 7)
        staged.rename(index.content_dir / "news")  # moved in whole: one event, the folder
        assert (await reports.next()).added == ("news/lighthouse_log_007.md",)
    assert asked[0] is None


async def test_named_posts_coalesce_into_one_more_run(index: ArticleIndex):
    """Calls while a reindex runs share one more run over the union of their paths."""
    for n in (1, 2, 3):
        new_post(index.content_dir, n)
    first = asyncio.create_task(index.reindex(paths=["lighthouse_log_001.md"]))
    await asyncio.sleep(0)
    second = asyncio.create_task(index.reindex(paths=["lighthouse_log_002.md"]))
    third = asyncio.create_task(index.reindex(paths=["lighthouse_log_003.md"]))
    one, two, three = await asyncio.gather(first, second, third)
    assert one.added == ("lighthouse_log_001.md",)
    assert two is three and two.added == ("lighthouse_log_002.md", "lighthouse_log_003.md")
    whole = await index.reindex()
    assert whole.total == one.total + 2 and not whole.added


async def test_a_whole_folder_request_wins_over_named_posts(index: ArticleIndex):
    """A whole-folder call while named posts are reindexed makes one more whole-folder
    run, and named posts asked for meanwhile join it."""
    new_post(index.content_dir, 1)
    new_post(index.content_dir, 2)
    first = asyncio.create_task(index.reindex(paths=["lighthouse_log_001.md"]))
    await asyncio.sleep(0)
    whole = asyncio.create_task(index.reindex())
    named = asyncio.create_task(index.reindex(paths=["lighthouse_log_001.md"]))
    one, two, three = await asyncio.gather(first, whole, named)
    assert one.added == ("lighthouse_log_001.md",)
    assert two is three and two.added == ("lighthouse_log_002.md",)
