"""Rows in the index file: meta, files, articles and blobs, each read and written here and
nowhere else (the one SQLite access path of the index).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from articlebot.index.posts.article import Article


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def read_generation(conn: sqlite3.Connection) -> str:
    """The committed generation: another process's reindex shows as a new one."""
    row = conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    return str(row[0]) if row else "0"


def write_meta(conn: sqlite3.Connection, values: Mapping[str, str]) -> None:
    conn.executemany(
        "INSERT INTO meta(key, value) VALUES(?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        list(values.items()),
    )


class FileRow(NamedTuple):
    """What the index knows of one file of the content folder."""

    path: str
    size: int
    mtime_ns: int
    sha256: str  # "" when the file could not be read (it is tried again next time)
    status: str  # indexed | refused | skipped
    reason: str = ""


FILE_COLUMNS = "path, size, mtime_ns, sha256, status, reason"


def read_files(conn: sqlite3.Connection) -> dict[str, FileRow]:
    rows = conn.execute("SELECT path, size, mtime_ns, sha256, status, reason FROM files")
    return {row[0]: row for row in map(FileRow._make, rows)}  # _make: no per-row __new__


def read_file_rows(conn: sqlite3.Connection, paths: Sequence[str]) -> dict[str, FileRow]:
    """The rows of these files only: a reindex told which files changed reads no other."""
    return _rows_where(conn, "path", paths)


def read_files_by_digest(conn: sqlite3.Connection, digests: Iterable[str]) -> dict[str, FileRow]:
    """The rows of files with these contents (byte-identical copies of one another)."""
    return _rows_where(conn, "sha256", sorted(digests))


def _rows_where(conn: sqlite3.Connection, column: str, values: Sequence[str]) -> dict[str, FileRow]:
    found: dict[str, FileRow] = {}
    for start in range(0, len(values), 500):
        chunk = list(values[start : start + 500])
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT {FILE_COLUMNS} FROM files WHERE {column} IN ({marks})"
        found.update((row[0], row) for row in map(FileRow._make, conn.execute(sql, chunk)))
    return found


def refused_files(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(path, reason) of every refused file, as the files table holds them now."""
    return [tuple(r) for r in conn.execute("SELECT path, reason FROM files WHERE status='refused'")]


def count_files(conn: sqlite3.Connection, status: str) -> int:
    """How many files of the folder have this status (refused, skipped, indexed)."""
    return int(conn.execute("SELECT count(*) FROM files WHERE status=?", (status,)).fetchone()[0])


def language_counts(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """(language, where it came from, articles), most articles first."""
    rows = conn.execute(
        "SELECT language, language_from, count(*) FROM articles GROUP BY 1, 2 ORDER BY 3 DESC, 1"
    )
    return [(str(lang), str(source), int(n)) for lang, source, n in rows]


def replace_files(
    conn: sqlite3.Connection, rows: Iterable[FileRow], removed: Iterable[str]
) -> None:
    conn.executemany("DELETE FROM files WHERE path=?", [(p,) for p in removed])
    conn.executemany("INSERT OR REPLACE INTO files VALUES(?, ?, ?, ?, ?, ?)", list(rows))


def drop_indexes(conn: sqlite3.Connection, table: str) -> list[str]:
    """Drop ``table``'s own indexes (not its primary key's) and return the SQL that made
    them, for ``create_indexes`` to make them again in the same transaction.

    A full build empties the files table and fills it again in one transaction. Each
    row put its digest at a random place of ``files_sha256``: a page that had left
    SQLite's 2 MB cache for the WAL, read back and written again, and each of those looks
    the page up in a WAL index that grows with the build (measured: the rows of a 1M-post
    build took 69 s of CPU, 8.9x those of 300k; 491 MB written for them at 100k). Built
    once, sorted, before the commit: 5.8 s for the rows and 3.1 s for both indexes at 1M,
    27 MB written at 100k. In the same transaction, so a kill leaves the old indexes.
    """
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? "
        "AND sql IS NOT NULL ORDER BY name",
        (table,),
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [str(sql) for _, sql in rows]


def create_indexes(conn: sqlite3.Connection, made_by: Iterable[str]) -> None:
    """Make again the indexes ``drop_indexes`` dropped, from their own SQL."""
    for sql in made_by:
        conn.execute(sql)


ARTICLE_COLUMNS = (
    "id, path, slug, title, description, date, categories, tags, author, image, featured, "
    "language, url, body, warnings, language_from"
)


def article_row(a: Article) -> tuple[object, ...]:
    return (
        a.id,
        a.path,
        a.slug,
        a.title,
        a.description,
        a.date.astimezone(UTC).isoformat() if a.date else None,
        _json_list(a.categories),
        _json_list(a.tags),
        a.author,
        a.image,
        int(a.featured),
        a.language,
        a.url,
        a.body,
        _json_list(a.warnings),
        a.language_from,
    )


def _json_list(values: Sequence[str]) -> str:
    """``values`` as a JSON list; most posts have no tags or warnings, and skipping
    ``json.dumps`` for those saves seconds of a 100,000-post index."""
    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


def row_article(row: Sequence[object]) -> Article:
    (id_, path, slug, title, desc, date, cats, tags, author, image, feat, lang, url, body, warn) = (
        row[:15]
    )
    return Article(
        id=str(id_),
        path=str(path),
        slug=str(slug),
        title=str(title),
        description=str(desc),
        date=datetime.fromisoformat(str(date)) if date else None,
        categories=_json_tuple(cats),
        tags=_json_tuple(tags),
        author=str(author),
        image=str(image),
        featured=bool(feat),
        language=str(lang),
        url=str(url),
        body=str(body),
        warnings=_json_tuple(warn),
        language_from=str(row[15]),
    )


def _json_tuple(value: object) -> tuple[str, ...]:
    """A stored JSON list as a tuple; the empty one (most posts' tags and warnings)
    without ``json.loads``: three of them for each of a search's ten hits."""
    return () if value == "[]" else tuple(json.loads(str(value)))


SELECT_ARTICLES = f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id IN ({{marks}})"


def select_articles_sql(count: int) -> str:
    return SELECT_ARTICLES.format(marks=",".join("?" * count))


def fetch_articles(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Article]:
    found: dict[str, Article] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for row in conn.execute(select_articles_sql(len(chunk)), chunk):
            article = row_article(row)
            found[article.id] = article
    return found


def write_articles(
    conn: sqlite3.Connection, articles: Iterable[Article], removed: Iterable[str]
) -> None:
    conn.executemany("DELETE FROM articles WHERE id=?", [(i,) for i in removed])
    conn.executemany(
        f"INSERT OR REPLACE INTO articles({ARTICLE_COLUMNS}) VALUES({','.join('?' * 16)})",
        [article_row(a) for a in articles],
    )


def read_blobs(conn: sqlite3.Connection, prefix: str = "") -> dict[str, bytes]:
    rows = conn.execute("SELECT name, data FROM blobs WHERE name LIKE ?", (prefix + "%",))
    return {name: bytes(data) for name, data in rows}


def write_blobs(
    conn: sqlite3.Connection,
    blobs: Mapping[str, bytes | memoryview],
    prefix: str = "",
    stored: Mapping[str, bytes] | None = None,
) -> None:
    """Replace every blob under ``prefix`` with ``blobs`` (names given without the prefix);
    memoryviews are bound as they are, without a copy. ``stored`` is what the prefix holds
    now (read in this transaction), when the caller knows it: unchanged blobs are then not
    written again (a large segment's deletions change only when it loses a document).

    Rows are updated in place and only stale names deleted: deleting then re-inserting
    45 MB of blobs frees and reallocates every overflow page, twice the time.
    """
    if stored is None:
        rows = conn.execute("SELECT name FROM blobs WHERE name LIKE ?", (prefix + "%",))
        stored_names = {name.removeprefix(prefix) for (name,) in rows}
        changed = dict(blobs)
    else:
        stored_names = set(stored)
        changed = {n: data for n, data in blobs.items() if stored.get(n) != data}
    stale = stored_names - set(blobs)
    conn.executemany("DELETE FROM blobs WHERE name=?", [(prefix + name,) for name in sorted(stale)])
    conn.executemany(
        "INSERT INTO blobs(name, data) VALUES(?, ?) "
        "ON CONFLICT(name) DO UPDATE SET data=excluded.data",
        [(prefix + name, memoryview(data)) for name, data in changed.items()],
    )
