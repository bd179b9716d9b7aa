"""Test doubles shared by the test modules (import from here, not from another test)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from veeam_em_async import EnterpriseManager
from veeam_em_async.simulator import EMSimulator
from veeam_em_async.transport._sansio import Response, TransportStats


class FakeClock:
    """A :class:`veeam_em_async.Clock` whose time moves only when someone sleeps
    or a test calls :meth:`advance`: timeouts, back-off and throttles take no
    real time and give the same result on any machine."""

    #: The wall time of ``time == 0``: the simulator's epoch, so a clock shared
    #: with it reads the simulator's "now" from ``utcnow()``.
    WALL_EPOCH = 1_700_000_000.0

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


def sim_on(clock: FakeClock, **options: Any) -> EMSimulator:
    """An ``EMSimulator(**options)`` whose time is ``clock``'s (not started)."""
    return EMSimulator(clock=clock.now, **options)


def sim_client(sim: EMSimulator, clock: FakeClock, **kwargs: Any) -> EnterpriseManager:
    """A client of the simulator, logging on as its user, on ``clock``."""
    return EnterpriseManager(sim.url, sim.username, sim.password, clock=clock, **kwargs)


class FakeSender:
    """The ``Sender`` protocol with no HTTP: records each request and asks
    :meth:`answer` (which a test's subclass writes) for its response."""

    max_connections = 4

    def __init__(self) -> None:
        self.stats = TransportStats()
        self.sent: list[tuple[str, str, Mapping[str, str]]] = []

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        privileged: bool = False,
    ) -> Response:
        self.sent.append((method, url, dict(headers or {})))
        return await self.answer(method, url, dict(headers or {}))

    async def answer(self, method: str, url: str, headers: Mapping[str, str]) -> Response:
        raise NotImplementedError

    def close_queue(self) -> int:
        return 0

    async def aclose(self) -> None:
        return None
