"""Test doubles shared by the test modules (import from here, not from another test)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from veeam_em_async import EnterpriseManager
from veeam_em_async.simulator import EMSimulator, FakeClock
from veeam_em_async.transport._sansio import Response, TransportStats


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
