"""The one access path to the state database: run a statement, read rows, a transaction.

`State` speaks only these four verbs, in SQL both SQLite and PostgreSQL accept (``?``
placeholders, ``INSERT ... ON CONFLICT DO NOTHING``, ``RETURNING``), so that the shared
state of several processes can move to PostgreSQL behind the same interface (issue 15):
``SqliteDb`` here, a PostgreSQL one beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import aiosqlite

Row = tuple[object, ...]


class Db(Protocol):
    async def run(self, sql: str, args: Sequence[object] = ()) -> int:
        """Execute one statement; returns how many rows it changed."""
        ...

    async def rows(self, sql: str, args: Sequence[object] = ()) -> list[Row]: ...

    async def row(self, sql: str, args: Sequence[object] = ()) -> Row | None: ...

    def transaction(self) -> contextlib.AbstractAsyncContextManager[None]: ...

    async def close(self) -> None: ...


class SqliteDb:
    """One aiosqlite connection (its own thread); one transaction at a time on it."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        self._lock = asyncio.Lock()

    async def run(self, sql: str, args: Sequence[object] = ()) -> int:
        cursor = await self.connection.execute(sql, tuple(args))
        return int(cursor.rowcount or 0)

    async def rows(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        async with self.connection.execute(sql, tuple(args)) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def row(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        async with self.connection.execute(sql, tuple(args)) as cursor:
            found = await cursor.fetchone()
        return tuple(found) if found is not None else None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (a kill leaves either)."""
        async with self._lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self.connection.execute("ROLLBACK")
                raise
            await self.connection.execute("COMMIT")

    async def close(self) -> None:
        await self.connection.close()
