"""Fixtures for the whole suite: the real PostgreSQL server (started once, on demand)."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator

import pytest

from tests.postgres import postgres_server

# The numpy ranking path everywhere, deterministically (not the compiled kernel once a
# background thread has loaded it); tests/index/ranking/test_kernel.py checks the kernel
# against it.
os.environ.setdefault("ARTICLEBOT_KERNEL", "numpy")
# A kernel built ahead of time goes into this run's own folder, never the user's cache.
_CACHE = tempfile.mkdtemp(prefix="articlebot-test-cache-")
os.environ["ARTICLEBOT_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the session; skips with the reason where it cannot
    run (no binaries, no postgres user, no asyncpg)."""
    pytest.importorskip("asyncpg")
    server = postgres_server()
    try:
        url = server.__enter__()
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL server here: {exc}")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_database(postgres_url: str) -> str:
    """A new, empty database on the session's server: its URL."""
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        connection = await asyncpg.connect(postgres_url)
        try:
            await connection.execute(f"CREATE DATABASE {name}")
        finally:
            await connection.close()

    # In a thread of its own: the asking test may already be inside an event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"
