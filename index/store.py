"""The SQLite file that holds the index: schema, migrations and the rows and blobs in it.

Everything is plain ``sqlite3`` so the reindex worker process can use it directly; the
bot reads through aiosqlite with the same SQL (see ``service.py``). WAL mode lets readers
keep the last committed index while a reindex writes the next one in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from index.article import Article

APPLICATION_ID = 0x41524231  # "ARB1": marks the file as ours
SCHEMA_VERSION = 1


class StoreError(RuntimeError):
    """The index file cannot be used; ``str(error)`` is one sentence naming the file."""


_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,          -- indexed | refused | skipped
    reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    date TEXT,                     -- ISO 8601 UTC, NULL when the post has none
    categories TEXT NOT NULL,      -- JSON list
    tags TEXT NOT NULL,            -- JSON list
    author TEXT NOT NULL,
    image TEXT NOT NULL,
    featured INTEGER NOT NULL,
    language TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    warnings TEXT NOT NULL         -- JSON list
);
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
"""

# Each entry upgrades the schema from version i+1 to i+2; append, never edit.
_MIGRATIONS: list[str] = []


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open the index file, creating and migrating it; refuse files that are not ours."""
    if not create and not path.exists():
        raise StoreError(f"There is no index at {path}; run `articlebot index` first.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"Cannot open the index file {path}: {exc}.") from exc
    try:
        prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Check the file is ours, switch to WAL and bring the schema up to date."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not an articlebot index (not a SQLite database).") from exc
    if tables and app_id != APPLICATION_ID:
        raise StoreError(f"{path} is a SQLite database but not an articlebot index.")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer articlebot (schema {version}); upgrade articlebot."
        )
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # executescript() commits first, so each script carries its own transaction.
        if not tables:
            conn.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA_V1}; PRAGMA application_id={APPLICATION_ID}; "
                f"PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
            )
            version = SCHEMA_VERSION
        while version < SCHEMA_VERSION:
            conn.executescript(
                f"BEGIN IMMEDIATE; {_MIGRATIONS[version - 1]}; "
                f"PRAGMA user_version={version + 1}; COMMIT;"
            )
            version += 1
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreError(f"Cannot prepare the index file {path}: {exc}.") from exc


# --- meta -------------------------------------------------------------------------------


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def write_meta(conn: sqlite3.Connection, values: Mapping[str, str]) -> None:
    conn.executemany(
        "INSERT INTO meta(key, value) VALUES(?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        list(values.items()),
    )


# --- files ------------------------------------------------------------------------------

FileRow = tuple[str, int, int, str, str, str]  # path, size, mtime_ns, sha256, status, reason


def read_files(conn: sqlite3.Connection) -> dict[str, FileRow]:
    rows = conn.execute("SELECT path, size, mtime_ns, sha256, status, reason FROM files")
    return {row[0]: row for row in rows}


def replace_files(conn: sqlite3.Connection, rows: Iterable[FileRow], removed: Iterable[str]):
    conn.executemany("DELETE FROM files WHERE path=?", [(p,) for p in removed])
    conn.executemany("INSERT OR REPLACE INTO files VALUES(?, ?, ?, ?, ?, ?)", list(rows))


# --- articles ---------------------------------------------------------------------------

ARTICLE_COLUMNS = (
    "id, path, slug, title, description, date, categories, tags, author, image, featured, "
    "language, url, body, warnings"
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
    )


def _json_list(values: Sequence[str]) -> str:
    """``values`` as a JSON list; most posts have no tags or warnings, and skipping
    ``json.dumps`` for those saves seconds of a 100,000-post index."""
    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


def row_article(row: Sequence[object]) -> Article:
    (id_, path, slug, title, desc, date, cats, tags, author, image, feat, lang, url, body, warn) = (
        row
    )
    return Article(
        id=str(id_),
        path=str(path),
        slug=str(slug),
        title=str(title),
        description=str(desc),
        date=datetime.fromisoformat(str(date)) if date else None,
        categories=tuple(json.loads(str(cats))),
        tags=tuple(json.loads(str(tags))),
        author=str(author),
        image=str(image),
        featured=bool(feat),
        language=str(lang),
        url=str(url),
        body=str(body),
        warnings=tuple(json.loads(str(warn))),
    )


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
        f"INSERT OR REPLACE INTO articles({ARTICLE_COLUMNS}) VALUES({','.join('?' * 15)})",
        [article_row(a) for a in articles],
    )


# --- blobs ------------------------------------------------------------------------------


def read_blobs(conn: sqlite3.Connection, prefix: str = "") -> dict[str, bytes]:
    rows = conn.execute("SELECT name, data FROM blobs WHERE name LIKE ?", (prefix + "%",))
    return {name: bytes(data) for name, data in rows}


def write_blobs(
    conn: sqlite3.Connection, blobs: Mapping[str, bytes | memoryview], prefix: str = ""
) -> None:
    """Replace every blob under ``prefix`` with ``blobs`` (names given without the prefix);
    memoryviews are bound as they are, without a copy.

    Rows are updated in place and only stale names deleted: deleting then re-inserting
    45 MB of blobs frees and reallocates every overflow page, twice the time.
    """
    stale = {
        name
        for (name,) in conn.execute("SELECT name FROM blobs WHERE name LIKE ?", (prefix + "%",))
    } - {prefix + name for name in blobs}
    conn.executemany("DELETE FROM blobs WHERE name=?", [(name,) for name in sorted(stale)])
    conn.executemany(
        "INSERT INTO blobs(name, data) VALUES(?, ?) "
        "ON CONFLICT(name) DO UPDATE SET data=excluded.data",
        [(prefix + name, memoryview(data)) for name, data in blobs.items()],
    )
