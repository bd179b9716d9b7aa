"""The cap on requests in flight: a semaphore that can be closed.

``asyncio.Semaphore`` cannot fail its waiters, so a ``close()`` with a
thousand requests queued behind ``max_connections`` would let every one of
them be sent first. `Slots` fails all queued acquirers at once when
closed, refuses new ones, and still lets one privileged caller (the logoff)
take the next free slot ahead of everything.
"""

from __future__ import annotations

import asyncio
from collections import deque

from ..errors import ClientClosedError

__all__ = ["Slots"]


class Slots:
    """At most ``size`` holders at once; first come, first served."""

    __slots__ = ("_closed", "_free", "_waiters", "limit", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        #: Holders allowed now (``size`` unless an adaptive limit lowered it).
        self.limit = size
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def acquire(self, *, privileged: bool = False) -> None:
        """Wait for a slot. Raises `ClientClosedError` once closed,
        unless ``privileged`` (which also goes to the head of the queue)."""
        if self._closed and not privileged:
            raise ClientClosedError("the EnterpriseManager client is closed")
        if self._free > 0 and (privileged or not self._waiters):
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if privileged:
            self._waiters.appendleft(waiter)
        else:
            self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # handed a slot in the same instant we were cancelled
            else:
                self._discard(waiter)
            raise

    def _discard(self, waiter: asyncio.Future[None]) -> None:
        try:
            self._waiters.remove(waiter)
        except ValueError:
            pass

    def set_limit(self, limit: int) -> int:
        """Allow ``limit`` holders (1 to ``size``): lowered, the next releases retire
        slots instead of handing them on; raised, waiters are let in at once."""
        limit = max(1, min(int(limit), self.size))
        self._free += limit - self.limit
        self.limit = limit
        while self._free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._free -= 1
        return limit

    def release(self) -> None:
        """Hand the slot to the next waiter, or free it (or retire it, when the limit
        was lowered below the holders)."""
        if self._free < 0:
            self._free += 1
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    def close(self) -> int:
        """Fail every queued acquirer with `ClientClosedError`; return how many."""
        self._closed = True
        failed = 0
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ClientClosedError("the client was closed before sending"))
                failed += 1
        return failed
