"""Two writers, readers during commits, and killed reindexes, with real processes and a
real SQLite file: nobody sees "database is locked", no change is lost, a reader never
pairs one generation's catalog with another's postings, and no worker outlives its
parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from articlebot.index.config import IndexConfig
from articlebot.index.errors import StoreError
from articlebot.index.storage import database, reindex, tables
from articlebot.index.storage.blobs import load_state
from articlebot.index.storage.reindex import run_reindex
from tests.sample_posts import write_post, write_posts

CONFIG = IndexConfig()
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_posts(tmp_path / "content")


def cli(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "articlebot.bot", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DISCORD_TOKEN": ""},
    )


def ids(db: Path) -> set[str]:
    conn = database.connect_reader(db)
    try:
        catalog, bm25 = load_state(conn, CONFIG)
    finally:
        conn.close()
    assert len(catalog) == bm25.n_docs
    return set(catalog.ids)


@pytest.mark.timeout(120)
def test_a_second_writer_waits_for_the_first_and_says_so(content: Path, tmp_path: Path) -> None:
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    write_post(content, "new_ferry.md", "New ferry", "2021-05-01", "travel", "A ferry.")
    with database.writer_lock(db):  # another reindex holds the index until it says so
        second = cli("index", "--content", content, "--db", db)
        said = second.stderr.readline()  # type: ignore[union-attr]  # blocks until it waits
        assert "another reindex of" in said and "waiting for it to finish" in said
        assert second.poll() is None  # waiting, not failing
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "Traceback" not in err and "database is locked" not in err
    assert "1 added" in out
    assert "new_ferry.md" in ids(db)


def test_a_writer_that_cannot_get_the_lock_gives_up_in_one_sentence(
    content: Path, tmp_path: Path
) -> None:
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    with database.writer_lock(db), pytest.raises(StoreError) as error:
        run_reindex(db, content, CONFIG, lock_wait=0.3)
    assert str(error.value) == (
        f"Another reindex of {db} has been running for over 0 s; try again when it has finished."
    )


def test_two_index_commands_at_once_both_succeed_and_lose_nothing(
    content: Path, tmp_path: Path
) -> None:
    db = tmp_path / "i.sqlite3"
    for i in range(300):
        write_post(content, f"note_{i:03}.md", f"Note {i}", "2021-05-01", "news", f"Text {i}.")
    first, second = cli("index", "--content", content, "--db", db), None
    second = cli("index", "--content", content, "--db", db)
    for proc in (first, second):
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
    assert len(ids(db)) == 304


def test_a_commit_between_plan_and_write_makes_the_reindex_plan_again(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where flock is missing (or another writer skips it), the generation check is what
    keeps a post from being marked indexed but left out: the second writer commits while
    the first is between its plan and its write."""
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    monkeypatch.setattr(database, "writer_lock", lambda *a, **k: _nothing())
    real_load = reindex.load_stored
    intruded = []

    def load_then_intrude(conn, config, **kwargs):
        state = real_load(conn, config, **kwargs)
        if not intruded:
            intruded.append(True)
            write_post(content, "late_post.md", "Late post", "2021-06-01", "news", "Late.")
            run_reindex(db, content, CONFIG)  # commits a new generation meanwhile
        return state

    monkeypatch.setattr(reindex, "load_stored", load_then_intrude)
    (content / "comet_seen_over_the_valley.md").unlink()
    run_reindex(db, content, CONFIG)
    assert ids(db) == {p.name for p in content.glob("*.md")}
    again = run_reindex(db, content, CONFIG)
    assert (again.added, again.updated, again.removed) == ((), (), ())


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_reader_sees_one_generation_while_a_reindex_commits(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader pauses between its catalog and its postings reads, exactly where a
    commit used to slip in (3 of 200 searches then showed unrelated titles)."""
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    before = ids(db)
    real_read = tables.read_blobs
    calls = []

    def read_then_commit(conn, prefix=""):
        found = real_read(conn, prefix)
        if conn is not reader:
            return found
        calls.append(prefix)
        if len(calls) == 1:
            (content / "bakery_chain_opens_tenth_shop.md").unlink()
            for i in range(5):
                write_post(content, f"extra_{i}.md", f"Extra {i}", "2021-05-01", "news", "x")
            thread = threading.Thread(target=run_reindex, args=(db, content, CONFIG))
            thread.start()
            thread.join()
        return found

    reader = database.connect_reader(db)
    monkeypatch.setattr(tables, "read_blobs", read_then_commit)
    try:
        catalog, bm25 = load_state(reader, CONFIG)
    finally:
        reader.close()
    monkeypatch.undo()
    assert calls == ["catalog:", "segment:", "dropped:"]  # one transaction, read once
    assert set(catalog.ids) == before and bm25.n_docs == len(catalog)  # all the old one
    assert len(ids(db)) == 8  # and the new one is complete for the next reader


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.update(int(p) for p in text.split())
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_die_with_a_killed_reindex(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    body = "The quiet harbour town held its annual regatta in the rain. " * 200
    for i in range(3_000):
        write_post(content, f"post_{i:04}.md", f"Regatta day {i}", "2021-05-01", "news", body)
    proc = cli("index", "--content", content, "--db", tmp_path / "i.sqlite3")
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the reindex never started its worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [w for w in workers if _alive(w)]
    for w in survivors:
        os.kill(w, signal.SIGKILL)
    assert not survivors, f"workers {survivors} outlived their killed parent"
