"""The index file itself: what is ours, opening it to read or to write, its schema and
migrations, the writer lock, and one sentence for each way it can fail.

Plain ``sqlite3`` everywhere (the one driver), so the reindex worker process and the
service's reader thread use the same functions. WAL mode lets readers keep the last
committed index while a reindex writes the next one in one transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from articlebot.index.errors import DamagedIndex, NoIndexYet, StoreError

APPLICATION_ID = 0x41524231  # "ARB1": marks the file as ours


SCHEMA_VERSION = 3


TABLES = frozenset({"meta", "files", "articles", "blobs"})


LOCK_WAIT = 120.0  # seconds a reindex waits for another one on the same file


_MAGIC = b"SQLite format 3\x00"


def _damaged_why(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


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
    warnings TEXT NOT NULL,        -- JSON list
    language_from TEXT NOT NULL DEFAULT ''  -- where the language came from
);
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


# Each entry upgrades the schema from version i+1 to i+2; append, never edit.
_MIGRATIONS: list[str] = [
    "ALTER TABLE articles ADD COLUMN language_from TEXT NOT NULL DEFAULT ''",
    # A reindex told which files changed looks up copies by digest and reports the
    # refused files: without these, each scanned the whole files table.
    "CREATE INDEX files_sha256 ON files(sha256); CREATE INDEX files_status ON files(status)",
]


# Headers of index files of ours this process has read, by (device, inode). Such a file
# is not opened by plain Python again: closing any descriptor of a file drops every POSIX
# lock the process holds on it, SQLite's own included (sqlite.org/howtocorrupt.html, 2.2).
# A reindex in another process then saw no reader, checkpointed and deleted the -wal and
# -shm at its close, and this process's open connections kept reading an old generation
# (the articles of the next reindexes were missing) or damaged pages.
_OURS: dict[tuple[int, int], bytes] = {}


def _header(path: Path, *, cached: bool = True) -> bytes | None:
    """The first 100 bytes of the file (SQLite's header), or None when there is no file;
    read once per file of ours (see _OURS), unless ``cached`` is False."""
    try:
        stat = os.stat(path)
        key = (stat.st_dev, stat.st_ino)
        if cached and key in _OURS and stat.st_size >= 100:
            return _OURS[key]
        with open(path, "rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"Cannot read the index file {path}: {exc.strerror or exc}.") from None
    if len(header) == 100 and int.from_bytes(header[68:72], "big") == APPLICATION_ID:
        _OURS[key] = header
    else:
        _OURS.pop(key, None)
    return header


def _check_header(path: Path, header: bytes | None) -> None:
    """Refuse, from the raw header alone, a file that is not ours: another program's data
    must never be touched, let alone rebuilt over."""
    if not header:
        return  # no file, or an empty one: a new index
    if not header.startswith(_MAGIC[: len(header)]):
        raise StoreError(
            f"{path} is not an articlebot index (it is not a SQLite database); choose "
            "another --db or ARTICLEBOT_DB, or move that file away."
        )
    if len(header) < 100:
        raise DamagedIndex(path, "the file is cut short")
    app_id = int.from_bytes(header[68:72], "big")
    version = int.from_bytes(header[60:64], "big")
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and version != 0):
        raise StoreError(
            f"{path} is a SQLite database of another program, not an articlebot index; "
            "choose another --db or ARTICLEBOT_DB."
        )


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open the index file for writing, creating and migrating it; refuse files that are
    not ours, and raise DamagedIndex for ours that cannot be read."""
    if not create and not path.exists():
        raise StoreError(f"There is no index at {path}; run `articlebot index` first.")
    _check_header(path, _header(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"Cannot open the index file {path}: {_damaged_why(exc)}.") from None
    try:
        prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_reader(path: Path) -> sqlite3.Connection:
    """Open the index file read-only, as searches do: nothing is created or changed, so a
    good index in a read-only folder (or on a read-only mount) still serves."""
    header = _header(path)
    if header is None:
        raise NoIndexYet(f"There is no index at {path} yet; run `articlebot index` first.")
    _check_header(path, header)
    if not header:
        raise NoIndexYet(f"There is no index at {path} yet; run `articlebot index` first.")
    last: BaseException | None = None
    # mode=ro needs the -shm file of a WAL database; where it cannot be created (a
    # read-only folder), nobody can be writing either, so immutable is safe.
    for query in ("mode=ro", "immutable=1"):
        uri = f"{path.resolve().as_uri()}?{query}"
        try:
            conn = sqlite3.connect(
                uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            last = exc
            continue
        try:
            _check_schema(conn, path, writable=False)
        except sqlite3.OperationalError as exc:
            conn.close()
            last = exc
            continue
        except BaseException:
            conn.close()
            raise
        return conn
    raise StoreError(f"Cannot open the index file {path}: {_damaged_why(last)}.") from None


def _check_schema(conn: sqlite3.Connection, path: Path, *, writable: bool) -> int:
    """The schema version of a file that passed the header check; raises for a file that
    is another program's, newer than this code, or damaged. Returns 0 for a blank file."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.OperationalError:
        raise  # cannot open at all (locking, permissions): the caller tells
    except sqlite3.DatabaseError as exc:
        raise DamagedIndex(path, _damaged_why(exc)) from None
    if app_id != APPLICATION_ID:
        if tables or version:
            raise StoreError(
                f"{path} is a SQLite database of another program, not an articlebot index; "
                "choose another --db or ARTICLEBOT_DB."
            )
        if not writable:
            raise NoIndexYet(f"There is no index at {path} yet; run `articlebot index` first.")
        return 0
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer articlebot (schema {version}); upgrade articlebot."
        )
    if version < 1:
        raise DamagedIndex(path, f"schema version {version}")
    missing = TABLES - tables
    if missing:
        raise DamagedIndex(path, f"the {', '.join(sorted(missing))} table is missing")
    try:
        conn.execute("SELECT count(*) FROM meta").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DamagedIndex(path, _damaged_why(exc)) from None
    return version


def prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Check the file is ours, switch to WAL and bring the schema up to date."""
    try:
        version = _check_schema(conn, path, writable=True)
    except sqlite3.OperationalError as exc:  # read-only, locked, cannot make its -shm
        raise write_error(path, exc) from None
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # executescript() commits first, so each script carries its own transaction.
        if version == 0:
            conn.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA_V1}; {'; '.join(_MIGRATIONS[1:])}; "
                f"PRAGMA application_id={APPLICATION_ID}; "
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
        rollback(conn)
        raise write_error(path, exc) from None


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is open: SQLite rolls back by itself after some errors
    (a full disk), and a second ROLLBACK would hide the real error."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def write_error(path: Path, exc: BaseException) -> StoreError:
    """One sentence for a failed write; the previous index is always kept."""
    text = str(exc).lower()
    if "full" in text:
        why = "the disk is full; free some space"
    elif "readonly" in text or "read-only" in text or "permission" in text:
        why = "the file or its folder is read-only; check their permissions"
    elif "locked" in text or "busy" in text:
        why = "another program is holding it; try again when it is done"
    elif isinstance(exc, sqlite3.DatabaseError) and "malformed" in text:
        return DamagedIndex(path, _damaged_why(exc))
    else:
        why = _damaged_why(exc)
    return StoreError(f"Cannot write the index file {path} ({why}); the previous index is kept.")


def remove_index(path: Path) -> None:
    """Delete a damaged index of ours (its -wal and -shm files and its segment files) so it
    can be rebuilt."""
    header = _header(path, cached=False)  # what the file is now: it may be deleted
    if header and len(header) >= 72 and int.from_bytes(header[68:72], "big") != APPLICATION_ID:
        raise StoreError(f"{path} is not an articlebot index; it was left alone.")
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
    from articlebot.index.storage import segfile  # numpy: not for every opener of the file

    segfile.remove_except(path, ())


@contextlib.contextmanager
def writer_lock(
    path: Path, wait: float = LOCK_WAIT, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the index's writer lock (``<file>.lock``, an advisory ``flock`` that the
    kernel releases when the holder dies, even by kill -9) for a whole reindex, so two
    reindexes never interleave: the second waits up to ``wait`` seconds, said once
    through ``on_wait``, then gives up with one sentence."""
    try:
        import fcntl
    except ImportError:  # no flock: SQLite's own write lock and the generation check remain
        yield
        return
    lock_path = Path(f"{path}.lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"Cannot write beside the index file {path} ({exc.strerror or exc}); "
            "check the folder's permissions."
        ) from None
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"Another reindex of {path} has been running for over {wait:.0f} s; "
                        "try again when it has finished."
                    ) from None
                if not told and on_wait is not None:
                    on_wait(f"another reindex of {path} is running; waiting for it to finish")
                    told = True
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # releases the lock
