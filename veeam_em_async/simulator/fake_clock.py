"""A `Clock` whose time moves only when someone sleeps: hours of backups, retries
and timeouts in no real time, the same on every machine.

Give one to the client and to the simulator, ``EnterpriseManager(..., clock=clock)``
and ``EMSimulator(clock=clock.now)``: the watcher is then the only sleeper, so
polls and deadlines happen in one fixed order.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from .documents import EPOCH

__all__ = ["FakeClock"]


class FakeClock:
    """``now()`` returns ``time``; ``sleep(s)`` adds ``s`` to it at once (and yields to
    the loop once); ``advance(s)`` moves it without sleeping. ``sleeps`` lists every
    sleep asked for."""

    #: The wall time of ``time == 0``: the simulator's epoch, so a clock shared with
    #: it reads the simulator's "now" from ``utcnow()``.
    WALL_EPOCH = EPOCH

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.WALL_EPOCH + self.time, timezone.utc)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.time += seconds

    @property
    def slept(self) -> float:
        return sum(self.sleeps)
