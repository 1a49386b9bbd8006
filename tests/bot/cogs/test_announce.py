"""The Announcer's pick-up of claims queued by other processes: a state database that is
away is one warning when it goes and one line when it is back, not one a second."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from articlebot.bot.state import State


async def test_a_failing_pickup_is_logged_once_and_its_return_too(
    bot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cog = bot.get_cog("Announcer")
    working = cog.state
    gone = await State.open(tmp_path / "other.sqlite3")
    await gone.close()  # every statement on it now fails, as over a lost connection
    cog.state = gone
    with caplog.at_level(logging.INFO, logger="articlebot.bot.cogs.announce"):
        for _ in range(3):
            await cog.pickup.coro(cog)
        cog.state = working
        await cog.pickup.coro(cog)
        await cog.pickup.coro(cog)
    said = [r.getMessage() for r in caplog.records if r.name.endswith("announce")]
    assert len(said) == 2
    assert said[0].startswith("Taking queued announcements failed")
    assert said[1] == "Taking queued announcements works again"
