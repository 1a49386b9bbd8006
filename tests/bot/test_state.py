"""The state file: subscriptions, arrivals and the ledger in a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from articlebot.bot.state import PAUSE_AFTER, Claim, State, StateError, now


@pytest.fixture
async def state(tmp_path: Path):
    async with await State.open(tmp_path / "state.sqlite3") as opened:
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
