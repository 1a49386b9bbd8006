"""Pace this process's requests to its share of Discord's global rate limit.

Discord allows a bot 50 requests a second (ARTICLEBOT_GLOBAL_RATE for bots granted more)
over all its processes; interaction callbacks and follow-ups do not count. discord.py
only reacts to a global 429: every request in flight sleeps and retries at once, five
times, then gives up, so a burst of a thousand replies lost about half of them
(bench/scale_out.py). Spacing requests before they are sent, at the share of the limit that
this process's shards are of all shards, keeps the whole bot under it without talking to
the other processes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

EXEMPT = ("/interactions/", "/webhooks/")  # interaction endpoints: not globally limited
HEADROOM = 0.9  # of the rate, sent steadily; the rest is the burst after a quiet spell


@dataclass(slots=True)
class Pacer:
    """At most ``per_second`` requests in any one second (a generic cell rate algorithm:
    steady at 90% of it, with the remaining 10% as a burst after a quiet spell)."""

    per_second: float
    _due: float = field(default=0.0, init=False)  # when the next request is due

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 / (self.per_second * HEADROOM)
        burst = max(1.0, self.per_second * (1 - HEADROOM))
        now = loop.time()
        due = max(self._due, now)
        self._due = due + interval
        late = due - now - (burst - 1) * interval
        if late > 0:
            await asyncio.sleep(late)


def share(global_rate: float, shard_count: int | None, shard_ids: tuple[int, ...] | None) -> float:
    """This process's part of the global rate: its shards' share of all shards (all of it
    when it runs every shard)."""
    if not shard_count or shard_ids is None:
        return global_rate
    return global_rate * len(shard_ids) / shard_count


def paced(request: Callable[..., Awaitable[Any]], pacer: Pacer) -> Callable[..., Awaitable[Any]]:
    """discord.py's ``HTTPClient.request`` with a wait for the pacer first (not for the
    interaction endpoints)."""

    @functools.wraps(request)
    async def send(route: Any, **kwargs: Any) -> Any:
        if not str(getattr(route, "path", "")).startswith(EXEMPT):
            await pacer.wait()
        return await request(route, **kwargs)

    return send
