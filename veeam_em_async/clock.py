"""The one time source: ``now()`` and ``sleep()`` together.

Polling, retry back-off, the re-logon throttle and wait deadlines all read
time from one `Clock`, so a test that injects a fake one controls all
of them at once and takes no real time. A fake ``sleep`` with the real ``now``
would make a loop that reads the real time while sleeping fake time spin
(the deadline never comes closer), which is why they travel as one object.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "LoopClock", "check_clock", "sleep_or_wake", "utc_now", "window_start"]


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


def check_clock(clock: Clock | None) -> Clock:
    """``clock``, or the loop's clock for ``None``; anything else is refused (the bare
    ``now`` callable and ``sleep=`` of the first version are gone: issue 24)."""
    if clock is None:
        return LoopClock()
    if not isinstance(clock, Clock):
        raise TypeError(f"clock must be a Clock (now() and async sleep()), not {clock!r}")
    return clock


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
