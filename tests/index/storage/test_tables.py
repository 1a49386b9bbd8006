"""Rows and blobs in a real index file."""

from __future__ import annotations

from pathlib import Path

from articlebot.index.storage import database, tables
from articlebot.index.storage.tables import FileRow


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


def test_write_blobs_told_what_is_stored_writes_only_what_changed(tmp_path: Path) -> None:
    conn = database.connect(tmp_path / "i.sqlite3")
    try:
        tables.write_blobs(conn, {"a": b"1", "b": b"2", "gone": b"9"}, "x:")
        stored = {k.removeprefix("x:"): v for k, v in tables.read_blobs(conn, "x:").items()}
        before = conn.total_changes
        tables.write_blobs(conn, {"a": b"1", "b": memoryview(b"22"), "c": b"3"}, "x:", stored)
        assert conn.total_changes - before == 3  # b updated, c inserted, gone deleted
        assert tables.read_blobs(conn, "x:") == {"x:a": b"1", "x:b": b"22", "x:c": b"3"}
    finally:
        conn.close()


def test_file_rows_come_back_with_their_names(tmp_path: Path) -> None:
    conn = database.connect(tmp_path / "i.sqlite3")
    try:
        rows = [FileRow("a.md", 10, 5, "ab", "indexed"), FileRow("b.md", 3, 1, "", "refused", "x")]
        tables.replace_files(conn, rows, ())
        found = tables.read_files(conn)
        assert found["b.md"].status == "refused" and found["b.md"].reason == "x"
        assert found == {r.path: r for r in rows}
        assert tables.count_files(conn, "refused") == 1
        tables.replace_files(conn, (), ["a.md"])
        assert set(tables.read_files(conn)) == {"b.md"}
    finally:
        conn.close()
