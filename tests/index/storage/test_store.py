"""The index file: creation, schema version, and refusing files that are not ours."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from articlebot.index.errors import StoreError
from articlebot.index.storage import database, tables


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


def test_write_blobs_replaces_one_prefix_in_place(tmp_path: Path) -> None:
    conn = database.connect(tmp_path / "i.sqlite3")
    try:
        tables.write_blobs(conn, {"a": b"1", "b": b"2"}, "x:")
        tables.write_blobs(conn, {"keep": b"other prefix"}, "y:")
        tables.write_blobs(conn, {"b": memoryview(b"22"), "c": b"3"}, "x:")
        assert tables.read_blobs(conn, "x:") == {"x:b": b"22", "x:c": b"3"}
        assert tables.read_blobs(conn, "y:") == {"y:keep": b"other prefix"}
    finally:
        conn.close()
