"""Damaged, foreign, too-new, read-only and full index files: one sentence naming the file
and what to do, never a traceback; `--full` rebuilds a damaged index of ours and never
touches anyone else's file. Every file here is a real SQLite (or not) file."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import pytest

from articlebot.bot.terminal import cmd_search
from articlebot.index.config import IndexConfig
from articlebot.index.errors import DamagedIndex, StoreError
from articlebot.index.service import ArticleIndex
from articlebot.index.storage import database
from articlebot.index.storage.reindex import run_reindex
from tests.sample_posts import write_post, write_posts
from tests.unprivileged import run_unprivileged

CONFIG = IndexConfig()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_posts(tmp_path / "content")


@pytest.fixture
def db(tmp_path: Path, content: Path) -> Path:
    path = tmp_path / "index.sqlite3"
    run_reindex(path, content, CONFIG)
    return path


def titles(db: Path, content: Path, query: str) -> list[str]:
    async def go() -> list[str]:
        index = await ArticleIndex.open(db, content, CONFIG)
        try:
            return [h.article.title for h in (await index.search(query)).hits]
        finally:
            await index.close()

    return asyncio.run(go())


def open_error(db: Path, content: Path) -> str:
    with pytest.raises(StoreError) as error:
        titles(db, content, "comet")
    return str(error.value)


def assert_rebuilt_by_full(db: Path, content: Path) -> None:
    report = run_reindex(db, content, CONFIG, full=True)
    assert report.full and report.total == 4
    assert titles(db, content, "comet") == ["Comet seen over the valley"]


def test_schema_version_zero_with_tables(db: Path, content: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version=0")
    message = open_error(db, content)
    assert message == (
        f"The index file {db} is damaged (schema version 0); `articlebot index --full` "
        "rebuilds it from the content folder."
    )
    with pytest.raises(DamagedIndex):
        run_reindex(db, content, CONFIG)
    assert_rebuilt_by_full(db, content)


def test_a_dropped_table(db: Path, content: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE blobs")
    assert "the blobs table is missing" in open_error(db, content)
    assert_rebuilt_by_full(db, content)


def test_a_corrupt_deletions_blob(db: Path, content: Path) -> None:
    with sqlite3.connect(db) as conn:
        (names,) = conn.execute("SELECT value FROM meta WHERE key='segments'").fetchone()
        name = json.loads(names)[0]
        conn.execute("INSERT INTO blobs VALUES(?, x'0a')", (f"segment:{name}:docs",))
    assert "is damaged" in open_error(db, content)
    with pytest.raises(DamagedIndex):  # an incremental reindex reads it too
        run_reindex(db, content, CONFIG)
    assert_rebuilt_by_full(db, content)


def test_a_truncated_file_is_damaged_not_foreign(db: Path, content: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    message = open_error(db, content)
    assert "is damaged" in message and "not a SQLite database" not in message
    assert_rebuilt_by_full(db, content)


def test_random_bytes_are_not_ours_and_never_deleted(tmp_path: Path, content: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"my thesis draft, do not lose\n" * 10)
    expected = f"{path} is not an articlebot index (it is not a SQLite database)"
    assert open_error(path, content).startswith(expected)
    with pytest.raises(StoreError, match="not a SQLite database"):
        run_reindex(path, content, CONFIG, full=True)
    assert path.read_bytes() == b"my thesis draft, do not lose\n" * 10


def test_another_programs_database_is_left_alone(tmp_path: Path, content: Path) -> None:
    empty_high_version = tmp_path / "app.db"
    with sqlite3.connect(empty_high_version) as conn:
        conn.execute("PRAGMA user_version=7")
    with_tables = tmp_path / "other.db"
    with sqlite3.connect(with_tables) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
    for path in (empty_high_version, with_tables):
        before = path.read_bytes()
        assert "a SQLite database of another program" in open_error(path, content)
        with pytest.raises(StoreError, match="another program"):
            run_reindex(path, content, CONFIG, full=True)
        assert path.read_bytes() == before


def test_written_by_a_newer_articlebot(db: Path, content: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version={database.SCHEMA_VERSION + 1}")
    assert "written by a newer articlebot" in open_error(db, content)


def test_a_full_disk_keeps_the_previous_index(
    db: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reports a full disk as SQLITE_FULL; max_page_count makes it report exactly
    that on a real file, at the page where the disk would have run out."""
    real_connect = database.connect

    def small_disk(path: Path, **kwargs: object) -> sqlite3.Connection:
        conn = real_connect(path, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages + 2}")
        return conn

    monkeypatch.setattr(database, "connect", small_disk)
    write_post(content, "big.md", "Long read", "2021-05-01", "news", "paragraph " * 50_000)
    with pytest.raises(StoreError) as error:
        run_reindex(db, content, CONFIG)
    assert str(error.value) == (
        f"Cannot write the index file {db} (the disk is full; free some space); "
        "the previous index is kept."
    )
    monkeypatch.undo()
    assert titles(db, content, "comet") == ["Comet seen over the valley"]
    assert titles(db, content, "long read") == []


def test_a_read_only_index_file_still_serves_and_refuses_writes_in_a_sentence(
    db: Path, content: Path
) -> None:
    script = """
import asyncio, sys
from pathlib import Path
from articlebot.index.config import IndexConfig
from articlebot.index.storage.reindex import run_reindex
from articlebot.index.service import ArticleIndex
from articlebot.index import StoreError
db, content = Path(sys.argv[1]), Path(sys.argv[2])
async def search():
    index = await ArticleIndex.open(db, content, IndexConfig())
    try:
        print("HITS", [h.article.title for h in (await index.search("comet")).hits])
    finally:
        await index.close()
asyncio.run(search())
try:
    run_reindex(db, content, IndexConfig())
except StoreError as exc:
    print("ERROR", exc)
"""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    folder = db.parent
    for extra in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        extra.unlink(missing_ok=True)
    db.chmod(0o444)
    folder.chmod(0o555)  # a read-only folder: no -shm or lock file can be made
    try:
        out = run_unprivileged(script, db, content)
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert "HITS ['Comet seen over the valley']" in out
    assert "ERROR Cannot write beside the index file" in out or "read-only" in out


def test_an_interrupted_first_index_is_built_not_reported_empty(
    tmp_path: Path, content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "fresh.sqlite3"
    database.connect(db).close()  # what a kill -9 during the first index leaves: a bare schema
    fields = {"query": ["comet"], "json": False, "limit": 5, "db": db}
    args = type("Args", (), fields | {"literal": False, "snippets": True})()
    args.content = content
    assert cmd_search(args, CONFIG) == 0
    out = capsys.readouterr()
    assert "no index yet; indexing" in out.err
    assert "Comet seen over the valley" in out.out
    assert "No articles match" not in out.out


def test_remove_index_refuses_a_file_that_is_not_ours(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("PRAGMA application_id=1234")
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError):
        database.remove_index(other)
    assert other.exists() and os.path.getsize(other) > 0


# --- creating and refusing files ----------------------------------------------------------


def test_new_file_gets_schema_and_wal(tmp_path: Path) -> None:
    conn = database.connect(tmp_path / "a.sqlite3")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == database.SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == database.APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="not an articlebot index"):
        database.connect(path)
    assert path.read_text().startswith("these are my notes")


def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (name TEXT)")
    with pytest.raises(StoreError, match="not an articlebot index"):
        database.connect(path)
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    assert names == ["customers"]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    database.connect(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version={database.SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer articlebot"):
        database.connect(path)


def test_missing_file_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no index"):
        database.connect(tmp_path / "missing.sqlite3", create=False)


def test_files_are_looked_up_by_digest_and_status_through_indexes(tmp_path: Path) -> None:
    """A new file has them; a file of schema 2 gets them when a writer opens it."""
    old = tmp_path / "old.sqlite3"
    database.connect(old).close()
    with sqlite3.connect(old) as conn:
        conn.execute("DROP INDEX files_sha256")
        conn.execute("DROP INDEX files_status")
        conn.execute("PRAGMA user_version=2")
    for path in (tmp_path / "new.sqlite3", old):
        conn = database.connect(path)
        try:
            for sql in (
                "SELECT path FROM files WHERE sha256 IN ('a', 'b')",
                "SELECT path FROM files WHERE status='refused'",
            ):
                plan = " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
                assert "USING INDEX" in plan, plan
        finally:
            conn.close()
