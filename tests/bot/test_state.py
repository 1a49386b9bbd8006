"""The state file: subscriptions, arrivals and the ledger in a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from articlebot.bot.state import PAUSE_AFTER, Claim, State, StateError, normalize_query, now
from articlebot.bot.statedb import PostgresDb


@pytest.fixture(params=["sqlite", "postgres"])
async def state(request: pytest.FixtureRequest, tmp_path: Path):
    """The state in a file, and in a fresh database of the suite's PostgreSQL server."""
    if request.param == "sqlite":
        opened = await State.open(tmp_path / "state.sqlite3")
    else:
        opened = await State.open_postgres(request.getfixturevalue("postgres_database"))
    async with opened:
        yield opened


async def test_arrivals_are_new_once_even_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    async with await State.open(path) as state:
        assert await state.unseen(["a.md", "b.md", "a.md"]) == ["a.md", "b.md"]
        await state.arrive(["a.md", "b.md"], now(), [])
        assert await state.unseen(["a.md", "c.md"]) == ["c.md"]
        first = await state.arrival("a.md")
    async with await State.open(path) as state:  # a restart
        assert await state.unseen(["a.md", "b.md"]) == []
        assert await state.arrival("a.md") == first is not None


async def test_a_claim_is_made_once(state: State) -> None:
    sub = await state.subscribe(1, 10, ["tv"], None)
    claims = [Claim(sub.id, ("a.md", "b.md"), "n1")]
    assert await state.arrive(["a.md", "b.md"], now(), claims) == claims
    # An overlapping trigger with the same articles: they have arrived, nothing to claim.
    assert await state.arrive(["b.md"], now(), [Claim(sub.id, ("b.md",), "n9")]) == []
    granted = await state.arrive(["c.md"], now(), [Claim(sub.id, ("b.md", "c.md"), "n2")])
    assert granted == [Claim(sub.id, ("c.md",), "n2")]
    unsent = [(u.subscription_id, u.nonce, u.article_ids) for u in await state.unsent()]
    assert unsent == [(sub.id, "n1", ("a.md", "b.md")), (sub.id, "n2", ("c.md",))]
    await state.sent(sub.id, "n1", 555)
    assert [(u.nonce, u.article_ids) for u in await state.unsent()] == [("n2", ("c.md",))]
    assert await state.ledger(sub.id) == [("a.md", "sent"), ("b.md", "sent"), ("c.md", "sending")]


async def test_claims_for_servers_held_elsewhere_wait_to_be_taken(state: State) -> None:
    here = await state.subscribe(1, 10, [], None)
    there = await state.subscribe(2, 20, [], None)
    forum = await state.subscribe(2, 21, [], None)
    claims = [
        Claim(here.id, ("a.md", "b.md"), "n1"),
        Claim(there.id, ("a.md", "b.md"), "n2", here=False),
        Claim(forum.id, ("a.md",), "n3", here=False),
    ]
    # Only this process's claim is handed back to be sent now; the others are queued.
    assert await state.arrive(["a.md", "b.md"], now(), claims) == claims[:1]
    assert [u.nonce for u in await state.unsent()] == ["n1"]
    assert await state.take_queued(lambda guild: guild == 1) == []  # not this one's server
    taken = await state.take_queued(lambda guild: guild == 2)
    assert [(u.subscription_id, u.nonce, u.article_ids) for u in taken] == [
        (there.id, "n2", ("a.md", "b.md")),
        (forum.id, "n3", ("a.md",)),
    ]
    assert await state.take_queued(lambda guild: True) == []  # taken once
    # Taken claims are being sent: a crash now leaves them for their server's retry.
    assert [u.nonce for u in await state.unsent(lambda guild: guild == 2)] == ["n2", "n3"]
    await state.sent(forum.id, "n3", 77, "a.md")  # a forum's claim is confirmed per post
    assert await state.ledger(forum.id) == [("a.md", "sent")]


async def test_queued_claims_expire(state: State) -> None:
    sub = await state.subscribe(2, 20, [], None)
    await state.arrive(["a.md"], now() - timedelta(days=3), [Claim(sub.id, ("a.md",), "n", False)])
    await state.arrive(["b.md"], now(), [Claim(sub.id, ("b.md",), "m", False)])
    assert await state.expire_queued(now() - timedelta(days=2)) == 1
    assert await state.ledger(sub.id) == [("a.md", "dropped"), ("b.md", "queued")]
    assert [u.article_ids for u in await state.take_queued(lambda g: True)] == [("b.md",)]


async def test_failures_pause_and_subscribing_again_resumes(state: State) -> None:
    sub = await state.subscribe(1, 10, ["TV", "news"], 99)
    assert sub.categories == ("news", "tv") and sub.role_id == 99
    for n in range(1, PAUSE_AFTER + 1):
        after = await state.failed(sub.id, "404 Unknown Channel")
        assert after is not None and after.failures == n
    assert after.status == "paused" and "404" in after.reason
    again = await state.subscribe(1, 10, ["news", "tv"], None)
    assert again.id == sub.id and again.status == "ok" and again.failures == 0
    assert again.role_id is None


async def test_subscriptions_match_categories_and_unsubscribe(state: State) -> None:
    every = await state.subscribe(1, 10, [], None)
    tv = await state.subscribe(1, 11, ["tv"], None)
    await state.subscribe(2, 20, [], None)  # another server
    assert every.wants(["science"]) and tv.wants(["latest", "TV"]) and not tv.wants(["news"])
    assert [s.channel_id for s in await state.subscriptions(1)] == [10, 11]
    assert await state.unsubscribe(1, 11, "news") == 0
    assert await state.unsubscribe(1, 11, "tv") == 1
    assert await state.unsubscribe(1, 20, None) == 0  # not this server's
    assert [s.channel_id for s in await state.subscriptions()] == [10, 20]


async def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    before = path.read_bytes()
    with pytest.raises(StateError, match="another program"):
        await State.open(path)
    assert path.read_bytes() == before


def test_queries_differing_in_case_spacing_or_order_are_one() -> None:
    assert normalize_query("Cruise  STUNT") == normalize_query("stunt, cruise") == "cruise stunt"
    assert normalize_query("don't panic!") == "don't panic"
    assert normalize_query("cruise stunt") != normalize_query("cruise stunts")


async def test_the_query_log_holds_no_user_and_prunes(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    async with await State.open(path) as state:
        old = await state.log_query(1, "search", "old  news", 3, at=now() - timedelta(days=100))
        first = await state.log_query(1, "search", "Cruise stunt", 4)
        await state.log_query(2, "ask", "who won?", 0, declined=True)
        await state.log_query(None, "latest", "", 5)  # a direct message
        await state.query_paged(first)
        await state.query_opened(first, "a.md")
        await state.query_opened(first, "b.md")
        week = now() - timedelta(days=7)
        logged = await state.logged_queries(week)
        assert [(q.guild_id, q.command, q.results) for q in logged] == [
            (1, "search", 4),
            (2, "ask", 0),
            (None, "latest", 5),
        ]
        assert logged[0].paged and sorted(logged[0].opened) == ["a.md", "b.md"]
        assert logged[1].declined and not logged[1].paged
        assert [q.id for q in await state.logged_queries(week, guild_id=1)] == [first]
        assert await state.prune_queries(now() - timedelta(days=90)) == 1
        assert old not in [q.id for q in await state.logged_queries(now() - timedelta(days=365))]
    # Nothing in the file could name a person: no column for it, and no id of the
    # users' kind in any value.
    with sqlite3.connect(path) as conn:
        columns = {
            row[1]
            for table in ("queries", "opened")
            for row in conn.execute(f"PRAGMA table_info({table})")
        }
        assert not any("user" in c or "author" in c or "name" in c for c in columns)
        assert conn.execute("SELECT count(*) FROM opened").fetchone()[0] == 2


async def test_server_settings_and_servers_left(state: State) -> None:
    await state.set_server_setting(1, "prefix", "?")
    await state.set_server_setting(1, "channels", [10, 11])
    await state.set_server_setting(2, "prefix", ">")
    await state.subscribe(2, 20, [], None)
    assert await state.server_settings() == {
        1: {"prefix": "?", "channels": [10, 11]},
        2: {"prefix": ">"},
    }
    await state.set_server_setting(1, "prefix", None)  # back to the default
    await state.server_left(2, True)
    await state.server_left(1, True)
    await state.server_left(1, False)  # back within the grace period
    assert await state.forget_servers_left(now() - timedelta(days=30)) == []
    assert await state.forget_servers_left(now() + timedelta(seconds=1)) == [2]
    assert await state.server_settings() == {1: {"channels": [10, 11]}}
    assert await state.subscriptions(2) == []


async def test_a_version_1_file_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    async with await State.open(path) as state:
        sub = await state.subscribe(1, 10, ["tv"], None)
    with sqlite3.connect(path) as conn:  # back to how version 1 left it
        for table in ("opened", "queries", "servers_left", "server_settings"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DROP INDEX ledger_pending")
        conn.execute("PRAGMA user_version=1")
    async with await State.open(path) as state:
        assert [s.id for s in await state.subscriptions()] == [sub.id]
        assert await state.log_query(1, "search", "tv", 1) > 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name='ledger_pending'").fetchone()


async def test_processes_sharing_postgres_claim_an_article_once(postgres_database: str) -> None:
    """Two bot processes (two pools) racing over the same new article: one claim wins."""
    first = await State.open_postgres(postgres_database)
    second = await State.open_postgres(postgres_database)  # migrated already: a no-op
    try:
        sub = await first.subscribe(1, 10, [], None)
        races = [
            state.arrive(["x.md"], now(), [Claim(sub.id, ("x.md",), f"nonce{n}")])
            for n, state in enumerate([first, second] * 4)
        ]
        granted = [claim for result in await asyncio.gather(*races) for claim in result]
        assert len(granted) == 1
        assert await second.ledger(sub.id) == [("x.md", "sending")]
        assert await first.unseen(["x.md", "y.md"]) == ["y.md"]
    finally:
        await first.close()
        await second.close()


async def test_processes_sharing_postgres_take_a_queued_claim_once(postgres_database: str):
    first = await State.open_postgres(postgres_database)
    second = await State.open_postgres(postgres_database)
    try:
        sub = await first.subscribe(1, 10, [], None)
        queued = [Claim(sub.id, (f"{n}.md",), f"n{n}", here=False) for n in range(20)]
        await first.arrive([f"{n}.md" for n in range(20)], now(), queued)
        races = [state.take_queued(lambda guild: True) for state in [first, second] * 3]
        taken = [u.nonce for result in await asyncio.gather(*races) for u in result]
        assert sorted(taken) == sorted(c.nonce for c in queued)  # each exactly once
    finally:
        await first.close()
        await second.close()


async def test_the_settings_choose_postgres_or_the_file(postgres_database: str, tmp_path: Path):
    from articlebot.bot.settings import Settings

    shared = await State.open_for(Settings(state_url=postgres_database))
    async with shared:
        assert isinstance(shared._db, PostgresDb)
    local = await State.open_for(Settings(db_path=tmp_path / "index.sqlite3"))
    async with local:
        assert local.path == tmp_path / "state.sqlite3"
    with pytest.raises(StateError, match="cannot be reached") as caught:
        await State.open_postgres("postgresql://bot:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in str(caught.value)
