"""The loop-lag monitor notices a blocked loop and sums it up in one line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import pytest

from articlebot.bot.lag import STALL, LoopLag, measure


def test_the_summary_orders_the_ticks() -> None:
    lag = LoopLag()
    assert lag.summary() == "no ticks yet"
    for late in [0.001] * 95 + [0.5] * 5:
        lag.note(late)
    assert lag.summary().startswith("p50 1.0 ms, p95 500.0 ms, worst 500 ms, 5 stalls")


async def test_a_blocked_loop_is_a_stall_and_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    lag = LoopLag()
    task = asyncio.create_task(measure(lag, every=0.01))
    try:
        while len(lag.ticks) < 3:
            await asyncio.sleep(0.01)
        with caplog.at_level(logging.WARNING, logger="articlebot.lag"):
            time.sleep(STALL * 2)  # blocks the loop, as a heavy call on it would
            ticks = len(lag.ticks)
            while len(lag.ticks) == ticks:
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert lag.stalls >= 1 and lag.worst >= STALL * 2 - 0.01
    assert "stalled" in caplog.text
