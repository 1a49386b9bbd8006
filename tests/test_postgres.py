"""The test suite's own PostgreSQL server starts, takes a connection and stops."""

from __future__ import annotations

import asyncio

import pytest

from tests.postgres import postgres_server


def test_a_real_server_answers() -> None:
    asyncpg = pytest.importorskip("asyncpg")
    server = postgres_server()
    try:
        url = server.__enter__()
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL server here: {exc}")

    async def ask() -> str:
        conn = await asyncpg.connect(url)
        try:
            return str(await conn.fetchval("SELECT version()"))
        finally:
            await conn.close()

    try:
        assert asyncio.run(ask()).startswith("PostgreSQL 15")
    finally:
        server.__exit__(None, None, None)
    with pytest.raises(OSError):  # stopped: nothing listens there any more
        asyncio.run(asyncio.wait_for(asyncpg.connect(url), 5))
