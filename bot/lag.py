"""How late the event loop runs: the one figure that says a process serves too many
servers (or that something blocks the loop). A tick every ``every`` seconds notes how late
it woke; a stall over STALL seconds is logged (once a minute at most), and the summary is
logged when the bot stops (and benchmarks read it from there)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field

log = logging.getLogger("articlebot.lag")

STALL = 0.25  # seconds late before a tick counts as a stall worth a warning
EVERY = 0.1  # seconds between ticks
KEPT = 36_000  # ticks kept for the summary: the last hour at EVERY


@dataclass(slots=True)
class LoopLag:
    """The loop's lateness, tick by tick (the last hour), and the worst since start."""

    ticks: deque[float] = field(default_factory=lambda: deque(maxlen=KEPT))
    worst: float = 0.0
    stalls: int = 0

    def note(self, late: float) -> None:
        self.ticks.append(late)
        self.worst = max(self.worst, late)
        self.stalls += late > STALL

    def _ms(self, *fractions: float) -> list[float]:
        """The ticks' lateness at these fractions of the sorted ticks, in ms."""
        ordered = sorted(self.ticks)
        return [ordered[min(len(ordered) - 1, int(f * len(ordered)))] * 1000 for f in fractions]

    def short(self) -> str:
        """For `stats`: "p95 2.7 ms, worst 244 ms"."""
        if not self.ticks:
            return "not measured yet"
        (p95,) = self._ms(0.95)
        return f"p95 {p95:.1f} ms, worst {self.worst * 1000:.0f} ms"

    def summary(self) -> str:
        """One line: p50, p95 and worst lateness in ms, over how many ticks."""
        if not self.ticks:
            return "no ticks yet"
        p50, p95 = self._ms(0.5, 0.95)
        return (
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, worst {self.worst * 1000:.0f} ms, "
            f"{self.stalls} stalls over {STALL * 1000:.0f} ms in {len(self.ticks)} ticks"
        )


async def measure(lag: LoopLag, every: float = EVERY) -> None:
    """Tick until cancelled, noting each tick's lateness; warn of stalls."""
    loop = asyncio.get_running_loop()
    warned = -60.0
    last = loop.time()
    while True:
        await asyncio.sleep(every)
        now = loop.time()
        late = max(0.0, now - last - every)
        lag.note(late)
        if late > STALL and now - warned >= 60:
            warned = now
            log.warning("The event loop stalled for %.0f ms", late * 1000)
        last = now
