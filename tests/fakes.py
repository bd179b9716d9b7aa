"""Test doubles shared by the test modules (import from here, not from another test)."""

from __future__ import annotations

import asyncio


class FakeClock:
    """A :class:`veeam_em_async.Clock` whose time moves only when someone sleeps
    or a test calls :meth:`advance`: timeouts, back-off and throttles take no
    real time and give the same result on any machine."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.time += seconds

    @property
    def slept(self) -> float:
        return sum(self.sleeps)
