"""The one time source: ``now()`` and ``sleep()`` together.

Polling, retry back-off, the re-logon throttle and wait deadlines all read
time from one `Clock`, so a test that injects a fake one controls all
of them at once and takes no real time. Passing ``sleep`` without ``now``
would make a loop that reads the real time while sleeping fake time spin
(the deadline never comes closer), which is why they travel as one object.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "LoopClock", "as_clock", "sleep_or_wake", "utc_now", "window_start"]


@runtime_checkable
class Clock(Protocol):
    """What the library needs of time: a monotonic reading and a way to wait."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences matter)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class LoopClock:
    """The running event loop's clock, and ``asyncio.sleep``: the default."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def __repr__(self) -> str:
        return "LoopClock()"


def utc_now(clock: Clock) -> datetime:
    """The wall time a window such as "the last 24 hours" ends at.

    A clock may offer it as ``utcnow()`` (a test's fake clock does, so the
    window moves with fake time); otherwise it is the system's UTC time. Only
    windows read it: EM's own timestamps decide everything else.
    """
    utcnow = getattr(clock, "utcnow", None)
    return utcnow() if callable(utcnow) else datetime.now(timezone.utc)


def window_start(clock: Clock, since: datetime | timedelta) -> datetime:
    """``since`` as an aware datetime: a ``timedelta`` counts back from `utc_now`."""
    if isinstance(since, timedelta):
        return utc_now(clock) - since
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware (EM compares UTC times)")
    return since


class _Pair:
    """A ``now`` function and a ``sleep`` coroutine function, as one Clock."""

    def __init__(self, now: Callable[[], float], sleep: Callable[[float], Awaitable[None]]):
        self._now = now
        self._sleep = sleep

    def now(self) -> float:
        return self._now()

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)


def as_clock(
    clock: Clock | Callable[[], float] | None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Clock:
    """The `Clock` for what a caller passed: a Clock, or the older pair of a
    ``now`` callable and a ``sleep`` coroutine function.

    A fake ``sleep`` without a ``now`` to match is refused: the loop's real time
    would never reach a deadline that fake sleeps are meant to pass.
    """
    if isinstance(clock, Clock):
        if sleep is not None:
            raise TypeError("pass either a Clock or a sleep function, not both")
        return clock
    if clock is None and sleep is None:
        return LoopClock()
    if clock is None:
        raise TypeError("a custom sleep needs a clock too: pass clock=Clock (now() and sleep())")
    return _Pair(clock, sleep or asyncio.sleep)


async def sleep_or_wake(clock: Clock, seconds: float, wakeup: asyncio.Event) -> None:
    """Sleep ``seconds`` of ``clock``'s time, or less if ``wakeup`` is set first
    (it is cleared on entry). Whatever did not finish is cancelled and awaited."""
    wakeup.clear()
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    waker = asyncio.ensure_future(wakeup.wait())
    try:
        await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for fut in (sleeper, waker):
            if not fut.done():
                fut.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fut
