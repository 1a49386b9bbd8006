"""Stopping a long-running command (`articlebot run`, `articlebot watch`) on SIGINT or
SIGTERM, whenever it comes.

asyncio.run turns SIGINT into a cancellation only when SIGINT has Python's default
handler, and Python leaves a SIGINT it inherited ignored ignored. A shell without job
control starts every background command so (``articlebot watch &`` in a script, a test
run or CI started in the background): the indexer then never stopped on SIGINT and went
on following the folder. The kernel likewise spares PID 1 in a container the default
action of SIGTERM, so `docker stop` waited out its grace period. Handlers set on the
event loop replace whatever was inherited, and count as installed for PID 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def cancelled_on_stop_signals(task: asyncio.Task[Any]) -> Iterator[list[int]]:
    """Cancel ``task`` on each SIGINT or SIGTERM while the block runs. Yields the signals
    received, in order, so the task tells a stop it was asked for from any other
    cancellation. Where the loop takes no signals (not the main thread, Windows),
    nothing is installed and the defaults stay."""
    loop = task.get_loop()
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        task.cancel()

    installed: list[int] = []
    for signum in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop, signum)
            installed.append(signum)
    try:
        yield received
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
