"""A stop signal cancels the command's task however the process inherited the signal
(`articlebot run` and `watch`; the processes themselves are stopped in test_follow.py
and the e2e tests)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator

import pytest

from articlebot.bot.stopping import cancelled_on_stop_signals

WAIT = 30.0  # seconds before a signal that did nothing fails the test (never reached)


@pytest.fixture
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored, as a shell without job control starts a background command."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_a_stop_signal_cancels_the_task(sigint_ignored: None, signum: int) -> None:
    task = asyncio.current_task()
    assert task is not None
    with cancelled_on_stop_signals(task) as received:
        # Installed on the loop: raising it here cannot stop the test run itself.
        assert signal.getsignal(signum) not in (signal.SIG_DFL, signal.SIG_IGN)
        with pytest.raises(asyncio.CancelledError):
            signal.raise_signal(signum)
            await asyncio.sleep(WAIT)
    task.uncancel()
    assert received == [signum]


async def test_another_cancellation_is_told_apart() -> None:
    task = asyncio.current_task()
    assert task is not None
    with cancelled_on_stop_signals(task) as received:
        asyncio.get_running_loop().call_soon(task.cancel)
        with pytest.raises(asyncio.CancelledError):
            await asyncio.sleep(WAIT)
    task.uncancel()
    assert received == []
