"""The bot's own state: subscriptions, when each article arrived, and the announcement
ledger, in a second SQLite file beside the index.

The index is derived data that can be deleted and rebuilt at any time; this file is not,
so deleting and rebuilding the index never re-announces anything. One aiosqlite
connection (WAL), a schema version with migrations like the index's, every change in one
transaction.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

if TYPE_CHECKING:
    from articlebot.bot.settings import Settings

from articlebot.bot.statedb import Db, PostgresDb, SqliteDb, postgres_ddl

APPLICATION_ID = 0x41425354  # "ABST": this file is articlebot state, not an index
SCHEMA_VERSION = 3
_SCHEMA_V1 = """
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    categories TEXT NOT NULL,          -- JSON list, sorted; [] is every category
    role_id INTEGER,                   -- the role pinged with each announcement, or NULL
    created_at TEXT NOT NULL,          -- only articles that arrive after it are announced
    status TEXT NOT NULL DEFAULT 'ok', -- ok | failing | paused
    failures INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    last_posted_at TEXT,
    UNIQUE (channel_id, categories)
);
CREATE TABLE arrivals (              -- when the bot first saw each article id
    article_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
CREATE TABLE ledger (                -- one row per article per subscription, ever
    subscription_id INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    state TEXT NOT NULL,             -- sending (recorded before the send) | sent | dropped
    nonce TEXT NOT NULL,             -- the message's nonce: a retry creates no second one
    message_id INTEGER,
    at TEXT NOT NULL,
    PRIMARY KEY (subscription_id, article_id)
);
"""
# Each entry upgrades the schema from version i+1 to i+2; append, never edit. A new file
# is made at version 1 and migrated like an old one, so there is one path.
_MIGRATIONS: list[str] = [
    """
CREATE TABLE server_settings (       -- what a server's admins changed; the rest is default
    guild_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,             -- JSON
    PRIMARY KEY (guild_id, name)
);
CREATE TABLE servers_left (          -- settings go a grace period after the bot left
    guild_id INTEGER PRIMARY KEY,
    left_at TEXT NOT NULL
);
CREATE TABLE queries (               -- the query log: no user ids or names, ever
    id INTEGER PRIMARY KEY,
    guild_id INTEGER,                -- NULL: a direct message
    command TEXT NOT NULL,           -- search | ask | latest
    query TEXT NOT NULL,             -- as typed, spaces collapsed
    normalized TEXT NOT NULL,        -- casefolded words, sorted: one entry per query
    results INTEGER NOT NULL,        -- articles found (ask: 1 answered, 0 declined)
    declined INTEGER NOT NULL DEFAULT 0,
    paged INTEGER NOT NULL DEFAULT 0,
    at TEXT NOT NULL
);
CREATE INDEX queries_at ON queries (at);
CREATE TABLE opened (                -- a result opened from a logged query
    query_id INTEGER NOT NULL REFERENCES queries (id) ON DELETE CASCADE,
    article_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX opened_query ON opened (query_id);
""",
    """
-- The ledger's state may also be 'queued': claimed by one process for a server another
-- process holds (its shard), which takes it from there. Pending claims are found fast.
CREATE INDEX ledger_pending ON ledger (state) WHERE state IN ('queued', 'sending');
""",
]
PAUSE_AFTER = 3  # failed sends in a row before a subscription pauses


class StateError(RuntimeError):
    """The state file cannot be used; the message is one sentence naming it."""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    guild_id: int
    channel_id: int
    categories: tuple[str, ...]
    role_id: int | None
    created_at: datetime
    status: str = "ok"
    failures: int = 0
    reason: str = ""
    last_posted_at: datetime | None = None

    def wants(self, categories: Iterable[str]) -> bool:
        """Whether an article in ``categories`` belongs here (no filter: every article)."""
        if not self.categories:
            return True
        mine = {c.casefold() for c in self.categories}
        return any(c.casefold() in mine for c in categories)


@dataclass(frozen=True, slots=True)
class Claim:
    """Articles about to be sent to one subscription in one message (a forum: one post
    each), under its nonce. ``here``: sent now by the process that claims it; otherwise
    queued for the process that holds the subscription's server (shards in several
    processes)."""

    subscription_id: int
    article_ids: tuple[str, ...]
    nonce: str
    here: bool = True


@dataclass(frozen=True, slots=True)
class Unsent:
    """A claim recorded before a send and never confirmed: a crash came in between."""

    subscription_id: int
    nonce: str
    article_ids: tuple[str, ...]
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class LoggedQuery:
    """One row of the query log, as the report reads it."""

    id: int
    guild_id: int | None
    command: str
    query: str
    normalized: str
    results: int
    declined: bool
    paged: bool
    at: datetime
    opened: tuple[str, ...] = ()


_WORDS = re.compile(r"\w+(?:[-'’.]\w+)*")


def normalize_query(text: str) -> str:
    """The key queries are counted under: case, spacing, punctuation between words and
    word order do not matter (`Cruise  stunt` and `stunt cruise` are one query)."""
    return " ".join(sorted(_WORDS.findall(text.casefold())))


def now() -> datetime:
    return datetime.now(UTC)


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _subscription(row: Sequence[object]) -> Subscription:
    sid, guild, channel, cats, role, created, status, failures, reason, last = row
    return Subscription(
        id=int(sid),  # type: ignore[arg-type]
        guild_id=int(guild),  # type: ignore[arg-type]
        channel_id=int(channel),  # type: ignore[arg-type]
        categories=tuple(json.loads(str(cats))),
        role_id=int(role) if role is not None else None,  # type: ignore[arg-type]
        created_at=_time(created) or now(),
        status=str(status),
        failures=int(failures),  # type: ignore[arg-type]
        reason=str(reason),
        last_posted_at=_time(last),
    )


_COLUMNS = (
    "id, guild_id, channel_id, categories, role_id, created_at, status, failures, reason, "
    "last_posted_at"
)


async def _script(db: Db, ddl: str) -> None:
    """Each statement of a schema script, one by one (comments dropped first: they may
    hold a semicolon)."""
    for statement in re.sub(r"--[^\n]*", "", ddl).split(";"):
        if statement.strip():
            await db.run(statement)


class State:
    """The state file. Open with ``await State.open(path)``; ``async with`` closes it."""

    def __init__(self, db: Db, path: Path) -> None:
        self._db = db
        self.path = path

    def _transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self._db.transaction()

    @classmethod
    async def open(cls, path: Path) -> State:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except Exception as exc:  # sqlite3.Error and OSError, from the connection thread
            raise StateError(f"The state file {path} cannot be opened: {exc}.") from None
        try:
            await cls._prepare(db, path)
        except BaseException:
            await db.close()
            raise
        return cls(SqliteDb(db), path)

    @staticmethod
    async def _prepare(db: aiosqlite.Connection, path: Path) -> None:
        try:
            app = (await (await db.execute("PRAGMA application_id")).fetchone())[0]  # type: ignore[index]
            version = (await (await db.execute("PRAGMA user_version")).fetchone())[0]  # type: ignore[index]
            tables = await (await db.execute("SELECT count(*) FROM sqlite_master")).fetchone()
        except Exception as exc:
            raise StateError(
                f"The state file {path} is not a database articlebot can read ({exc})."
            ) from None
        empty = tables is not None and tables[0] == 0
        if not empty and app != APPLICATION_ID:
            raise StateError(f"{path} belongs to another program; choose another state file.")
        if version > SCHEMA_VERSION:
            raise StateError(f"The state file {path} is from a newer articlebot; upgrade it.")
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA busy_timeout=10000")
        if empty:
            await db.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA_V1} PRAGMA application_id={APPLICATION_ID}; "
                "PRAGMA user_version=1; COMMIT;"
            )
            version = 1
        await db.execute("PRAGMA foreign_keys=ON")
        while version < SCHEMA_VERSION:
            await db.executescript(
                f"BEGIN IMMEDIATE; {_MIGRATIONS[version - 1]}; "
                f"PRAGMA user_version={version + 1}; COMMIT;"
            )
            version += 1

    @classmethod
    async def open_for(cls, settings: Settings) -> State:
        """The state the settings name: PostgreSQL at ARTICLEBOT_STATE_URL (shared by
        several processes), else the file beside the index."""
        if settings.state_url:
            return await cls.open_postgres(settings.state_url)
        return await cls.open(settings.state_path)

    @classmethod
    async def open_postgres(cls, url: str) -> State:
        """The state in a PostgreSQL database shared by several processes (the same
        tables and migrations as the file; one process migrates at a time)."""
        try:
            import asyncpg
        except ImportError:
            raise StateError(
                "ARTICLEBOT_STATE_URL needs asyncpg: pip install 'articlebot[postgres]'."
            ) from None
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=5)
        except Exception as exc:  # the URL (and its password) stays out of the message
            raise StateError(
                f"The state database cannot be reached ({type(exc).__name__}: "
                f"{str(exc).replace(url, '<ARTICLEBOT_STATE_URL>')})."
            ) from None
        db = PostgresDb(pool)
        try:
            async with db.transaction():
                await db.run("SELECT pg_advisory_xact_lock(?)", (APPLICATION_ID,))
                await db.run("CREATE TABLE IF NOT EXISTS articlebot_state (version BIGINT)")
                found = await db.row("SELECT version FROM articlebot_state")
                version = int(found[0]) if found else 0  # type: ignore[call-overload]
                if version > SCHEMA_VERSION:
                    raise StateError("The state database is from a newer articlebot; upgrade it.")
                if not found:
                    await _script(db, postgres_ddl(_SCHEMA_V1))
                    await db.run("INSERT INTO articlebot_state (version) VALUES (1)")
                    version = 1
                while version < SCHEMA_VERSION:
                    await _script(db, postgres_ddl(_MIGRATIONS[version - 1]))
                    version += 1
                    await db.run("UPDATE articlebot_state SET version=?", (version,))
        except BaseException:
            await pool.close()
            raise
        return cls(db, Path("postgresql"))

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> State:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- subscriptions -------------------------------------------------------------------

    async def subscribe(
        self, guild_id: int, channel_id: int, categories: Iterable[str], role_id: int | None
    ) -> Subscription:
        """Add a subscription, or renew the one with the same channel and categories (its
        role, and a fresh start if it was failing or paused)."""
        cats = json.dumps(sorted({c.casefold() for c in categories}), ensure_ascii=False)
        async with self._transaction():
            await self._db.run(
                "INSERT INTO subscriptions (guild_id, channel_id, categories, role_id, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel_id, categories) DO UPDATE SET "
                "role_id=excluded.role_id, status='ok', failures=0, reason=''",
                (guild_id, channel_id, cats, role_id, now().isoformat()),
            )
        found = await self._one(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE channel_id=? AND categories=?",
            (channel_id, cats),
        )
        assert found is not None
        return found

    async def unsubscribe(self, guild_id: int, channel_id: int, category: str | None) -> int:
        """Remove the channel's subscriptions (only the one for ``category`` when given);
        returns how many went. Their ledger goes with them."""
        rows = await self.subscriptions(guild_id)
        gone = [
            s.id
            for s in rows
            if s.channel_id == channel_id
            and (category is None or category.casefold() in s.categories)
        ]
        async with self._transaction():
            for sid in gone:
                await self._db.run("DELETE FROM ledger WHERE subscription_id=?", (sid,))
                await self._db.run("DELETE FROM subscriptions WHERE id=?", (sid,))
        return len(gone)

    async def subscriptions(self, guild_id: int | None = None) -> list[Subscription]:
        """A server's subscriptions (every server's with None), oldest first."""
        if guild_id is None:
            sql, args = f"SELECT {_COLUMNS} FROM subscriptions ORDER BY id", ()
        else:
            sql = f"SELECT {_COLUMNS} FROM subscriptions WHERE guild_id=? ORDER BY id"
            args = (guild_id,)
        return [_subscription(row) for row in await self._db.rows(sql, args)]

    async def _one(self, sql: str, args: Sequence[object]) -> Subscription | None:
        row = await self._db.row(sql, args)
        return _subscription(row) if row is not None else None

    async def failed(self, subscription_id: int, reason: str) -> Subscription | None:
        """Count a failed send; after PAUSE_AFTER in a row the subscription pauses."""
        async with self._transaction():
            await self._db.run(
                "UPDATE subscriptions SET failures=failures+1, reason=?, "
                "status=CASE WHEN failures+1 >= ? THEN 'paused' ELSE 'failing' END WHERE id=?",
                (reason[:300], PAUSE_AFTER, subscription_id),
            )
        return await self._one(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE id=?", (subscription_id,)
        )

    # --- arrivals and the ledger --------------------------------------------------------

    async def unseen(self, article_ids: Sequence[str]) -> list[str]:
        """The ids among ``article_ids`` never seen before (an edit, a rebuilt index, a
        restart bring back ids that were), in order, once each."""
        seen: set[str] = set()
        for start in range(0, len(article_ids), 500):
            chunk = list(article_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found = await self._db.rows(
                f"SELECT article_id FROM arrivals WHERE article_id IN ({marks})", chunk
            )
            seen.update(str(row[0]) for row in found)
        return [a for a in dict.fromkeys(article_ids) if a not in seen]

    async def arrive(
        self, article_ids: Sequence[str], stamp: datetime, claims: Sequence[Claim]
    ) -> list[Claim]:
        """Record ``article_ids`` as arriving at ``stamp`` and claim their announcements,
        in one transaction, before anything is sent: a kill before it leaves them new (the
        next start announces them), a kill after it leaves claims that the next start
        sends. Returns the claims to send now: those ``here``, of articles this call saw
        arrive (a trigger that overlaps another, in this process or another, finds them
        arrived) and not claimed before. The others wait, queued, for their server's
        process (take_queued)."""
        granted: list[Claim] = []
        async with self._transaction():
            arrived: set[str] = set()
            for article_id in dict.fromkeys(article_ids):
                if await self._db.run(
                    "INSERT INTO arrivals (article_id, first_seen) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (article_id, stamp.isoformat()),
                ):
                    arrived.add(article_id)
            for claim in claims:
                mine: list[str] = []
                for article_id in claim.article_ids:
                    if article_id not in arrived:
                        continue
                    if await self._db.run(
                        "INSERT INTO ledger (subscription_id, article_id, state, nonce, at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (
                            claim.subscription_id,
                            article_id,
                            "sending" if claim.here else "queued",
                            claim.nonce,
                            stamp.isoformat(),
                        ),
                    ):
                        mine.append(article_id)
                if mine and claim.here:
                    granted.append(Claim(claim.subscription_id, tuple(mine), claim.nonce))
        return granted

    async def take_queued(self, holds: Callable[[int], bool]) -> list[Unsent]:
        """The queued claims of servers this process holds (``holds(guild_id)``), taken:
        each becomes 'sending' in one statement that only one process can win, so a claim
        is sent by one process however many look."""
        taken: list[Unsent] = []
        for claim in await self._pending("queued", holds):
            stamp = now()
            won = await self._db.rows(
                "UPDATE ledger SET state='sending', at=? "
                "WHERE subscription_id=? AND nonce=? AND state='queued' RETURNING article_id",
                (stamp.isoformat(), claim.subscription_id, claim.nonce),
            )
            mine = {str(row[0]) for row in won}
            ids = tuple(a for a in claim.article_ids if a in mine)
            if ids:
                taken.append(Unsent(claim.subscription_id, claim.nonce, ids, stamp))
        return taken

    async def expire_queued(self, before: datetime) -> int:
        """Queued claims older than ``before`` dropped: their server's process did not come
        back in time (or the bot left the server), and news that old is not announced."""
        return await self._db.run(
            "UPDATE ledger SET state='dropped', at=? WHERE state='queued' AND at < ?",
            (now().isoformat(), before.isoformat()),
        )

    async def _pending(self, state: str, holds: Callable[[int], bool] | None) -> list[Unsent]:
        rows = await self._db.rows(
            "SELECT l.subscription_id, l.nonce, l.article_id, l.at, s.guild_id "
            "FROM ledger l JOIN subscriptions s ON s.id = l.subscription_id "
            "WHERE l.state=? ORDER BY l.subscription_id, l.nonce, l.article_id",
            (state,),
        )
        grouped: dict[tuple[int, str], tuple[list[str], datetime]] = {}
        for sid, nonce, article_id, at, guild_id in rows:
            if holds is not None and not holds(int(guild_id)):
                continue
            ids, _ = grouped.setdefault((int(sid), str(nonce)), ([], _time(at) or now()))
            ids.append(str(article_id))
        return [Unsent(sid, nonce, tuple(ids), at) for (sid, nonce), (ids, at) in grouped.items()]

    async def arrival(self, article_id: str) -> datetime | None:
        row = await self._db.row(
            "SELECT first_seen FROM arrivals WHERE article_id=?", (article_id,)
        )
        return _time(row[0]) if row else None

    async def sent(
        self, subscription_id: int, nonce: str, message_id: int, article_id: str | None = None
    ) -> None:
        """The claim's message went out (a forum's claim: ``article_id``'s post)."""
        only = " AND article_id=?" if article_id is not None else ""
        async with self._transaction():
            await self._db.run(
                "UPDATE ledger SET state='sent', message_id=?, at=? "
                f"WHERE subscription_id=? AND nonce=?{only}",
                (message_id, now().isoformat(), subscription_id, nonce)
                + ((article_id,) if article_id is not None else ()),
            )
            await self._db.run(
                "UPDATE subscriptions SET last_posted_at=?, failures=0, status='ok', reason='' "
                "WHERE id=?",
                (now().isoformat(), subscription_id),
            )

    async def drop(self, subscription_id: int, nonce: str) -> None:
        """The send failed for good (channel gone, no permission): never retried."""
        async with self._transaction():
            await self._db.run(
                "UPDATE ledger SET state='dropped', at=? "
                "WHERE subscription_id=? AND nonce=? AND state <> 'sent'",
                (now().isoformat(), subscription_id, nonce),
            )

    async def unsent(self, holds: Callable[[int], bool] | None = None) -> list[Unsent]:
        """Claims being sent but not confirmed (a crash between send and record), to retry
        with the same nonce; only those of servers ``holds(guild_id)`` when given."""
        return await self._pending("sending", holds)

    async def ledger(self, subscription_id: int) -> list[tuple[str, str]]:
        """(article id, state) of everything sent or claimed for one subscription."""
        found = await self._db.rows(
            "SELECT article_id, state FROM ledger WHERE subscription_id=? ORDER BY article_id",
            (subscription_id,),
        )
        return [(str(a), str(s)) for a, s in found]

    # --- per-server settings -------------------------------------------------------------

    async def server_settings(self) -> dict[int, dict[str, object]]:
        """Every server's changed settings: {guild id: {name: value}}."""
        found: dict[int, dict[str, object]] = {}
        for guild_id, name, value in await self._db.rows(
            "SELECT guild_id, name, value FROM server_settings"
        ):
            found.setdefault(int(guild_id), {})[str(name)] = json.loads(str(value))
        return found

    async def set_server_setting(self, guild_id: int, name: str, value: object) -> None:
        """Store one setting of a server; None returns it to the default."""
        async with self._transaction():
            if value is None:
                await self._db.run(
                    "DELETE FROM server_settings WHERE guild_id=? AND name=?", (guild_id, name)
                )
            else:
                await self._db.run(
                    "INSERT INTO server_settings (guild_id, name, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (guild_id, name) DO UPDATE SET value=excluded.value",
                    (guild_id, name, json.dumps(value, ensure_ascii=False)),
                )

    async def server_left(self, guild_id: int, left: bool) -> None:
        """The bot left a server (its settings go after a grace period), or is back."""
        async with self._transaction():
            if left:
                await self._db.run(
                    "INSERT INTO servers_left (guild_id, left_at) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (guild_id, now().isoformat()),
                )
            else:
                await self._db.run("DELETE FROM servers_left WHERE guild_id=?", (guild_id,))

    async def forget_servers_left(self, before: datetime) -> list[int]:
        """Delete the settings and subscriptions of servers the bot left before
        ``before``; returns their ids."""
        async with self._transaction():
            found = await self._db.rows(
                "SELECT guild_id FROM servers_left WHERE left_at < ?", (before.isoformat(),)
            )
            gone = [int(row[0]) for row in found]  # type: ignore[call-overload]
            for guild_id in gone:
                await self._db.run(
                    "DELETE FROM ledger WHERE subscription_id IN "
                    "(SELECT id FROM subscriptions WHERE guild_id=?)",
                    (guild_id,),
                )
                for table in ("subscriptions", "server_settings", "servers_left"):
                    await self._db.run(f"DELETE FROM {table} WHERE guild_id=?", (guild_id,))
        return gone

    # --- the query log -------------------------------------------------------------------

    async def log_query(
        self,
        guild_id: int | None,
        command: str,
        query: str,
        results: int,
        *,
        declined: bool = False,
        at: datetime | None = None,
    ) -> int:
        """Log one search, ask or latest (never who asked); returns its id, for marking
        it paged or opened later."""
        text = " ".join(query.split())[:300]
        async with self._transaction():
            made = await self._db.row(
                "INSERT INTO queries (guild_id, command, query, normalized, results, declined, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    guild_id,
                    command,
                    text,
                    normalize_query(text),
                    results,
                    int(declined),
                    (at or now()).isoformat(),
                ),
            )
        return int(made[0]) if made else 0  # type: ignore[call-overload]

    async def query_paged(self, query_id: int) -> None:
        async with self._transaction():
            await self._db.run("UPDATE queries SET paged=1 WHERE id=?", (query_id,))

    async def query_opened(self, query_id: int, article_id: str) -> None:
        async with self._transaction():
            await self._db.run(
                "INSERT INTO opened (query_id, article_id, at) "
                "SELECT id, ?, ? FROM queries WHERE id=?",
                (article_id, now().isoformat(), query_id),
            )

    async def logged_queries(
        self, since: datetime, guild_id: int | None = None
    ) -> list[LoggedQuery]:
        """The log since ``since``, oldest first: one server's, or every server's."""
        conditions, args = ["at >= ?"], [since.isoformat()]
        if guild_id is not None:
            conditions.append("guild_id = ?")
            args.append(guild_id)  # type: ignore[arg-type]
        where = " AND ".join(conditions)
        rows = await self._db.rows(
            "SELECT id, guild_id, command, query, normalized, results, declined, paged, at "
            f"FROM queries WHERE {where} ORDER BY id",
            args,
        )
        opened: dict[int, list[str]] = {}
        for query_id, article_id in await self._db.rows(
            f"SELECT o.query_id, o.article_id FROM opened o JOIN queries q ON q.id = o.query_id "
            f"WHERE {' AND '.join('q.' + c for c in conditions)} ORDER BY o.at",
            args,
        ):
            opened.setdefault(int(query_id), []).append(str(article_id))  # type: ignore[call-overload]
        return [
            LoggedQuery(
                id=int(qid),  # type: ignore[call-overload]
                guild_id=int(guild) if guild is not None else None,  # type: ignore[call-overload]
                command=str(command),
                query=str(query),
                normalized=str(normalized),
                results=int(results),  # type: ignore[call-overload]
                declined=bool(declined),
                paged=bool(paged),
                at=_time(at) or now(),
                opened=tuple(opened.get(int(qid), ())),  # type: ignore[call-overload]
            )
            for qid, guild, command, query, normalized, results, declined, paged, at in rows
        ]

    async def prune_queries(self, before: datetime) -> int:
        """Delete the log older than ``before`` (the retention); returns how many went."""
        async with self._transaction():
            gone = await self._db.run("DELETE FROM queries WHERE at < ?", (before.isoformat(),))
        return gone
