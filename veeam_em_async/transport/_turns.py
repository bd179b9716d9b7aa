"""The client's share of one turn of the event loop.

asyncio runs, in one turn, every callback that was ready when the turn began.
With a thousand requests in flight (fifty EMs, twenty each) their answers come
back in bursts of hundreds, and each answer's continuation (its parse, its
handle, the next request built and sent: 0.2-0.3 ms) is a task step of the
same turn: the loop did nothing else for 300-600 ms, so every timer, timeout
and heartbeat of the host service was that late (``benchmarks/bench_fleet.py``).
A cap on requests in flight bounds the burst, but it is a guess that costs wall
time, and a lone ``EnterpriseManager`` has none across clients.

`TurnBudget` bounds the burst instead: the answers go on at once until this
turn's continuations have taken ``seconds``; the rest wait, in the order they
arrived, and go on in the next turns, a batch a turn (as many as fit the last
full one), between which the loop serves its timers and sockets. Nothing is
dropped, nothing is re-sent, and a client whose answers fit the budget (any
client not under a burst) only reads the time once per answer. Every client of
one event loop shares one budget (`for_loop`): the loop is what they share.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import Callable

__all__ = ["TURN_SECONDS", "TurnBudget", "for_loop"]

#: The default budget: answers that take longer in one turn go on in the next.
TURN_SECONDS = 0.01
#: A turn lets at least this many answers go on before it can be full, so a turn
#: that is slow for another reason (the collector, the OS) defers nothing.
MIN_PER_TURN = 8
_MAX_BATCH = 4096


class TurnBudget:
    """At most ``seconds`` of answers' continuations in one turn of the loop, the
    rest first come, first served in the next (see the module). ``now`` is the
    time it reads (``time.perf_counter``; a test passes its own)."""

    __slots__ = (
        "_back", "_batch", "_end_pending", "_full", "_let_in", "_now", "_passed",
        "_started", "_waiting", "deferred", "seconds",
    )  # fmt: skip

    def __init__(
        self, seconds: float = TURN_SECONDS, *, now: Callable[[], float] = time.perf_counter
    ) -> None:
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        self.seconds = seconds
        self._now = now
        self._started: float | None = None  # when this turn's first answer went on
        self._passed = 0  # answers that went on this turn
        self._full = False  # this turn used its budget
        self._batch = MIN_PER_TURN  # waiters let in a turn: how many fit the last full one
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._back: list[asyncio.Future[None]] = []  # let in, found the turn full: first next
        self._let_in = 0  # let in, not yet resumed
        self._end_pending = False
        #: How many answers waited for a later turn (a count, for benchmarks and tests).
        self.deferred = 0

    async def wait(self) -> None:
        """Return at once if this turn has budget left and nobody waits; else wait
        for a turn that has (in order of arrival)."""
        if self._waiting or self._back or self._let_in or self._full:
            await self._queue()
        elif self._started is None:
            self._begin()
        elif self._spent():
            self._fill()
            await self._queue()
        self._passed += 1

    def _begin(self) -> None:
        self._started = self._now()
        self._schedule_end()

    def _spent(self) -> bool:
        """Whether this turn (begun) has let its minimum on and used its budget."""
        assert self._started is not None
        return self._passed >= MIN_PER_TURN and self._now() - self._started >= self.seconds

    def _fill(self) -> None:
        self._full = True
        self._batch = max(MIN_PER_TURN, self._passed)

    def _schedule_end(self) -> None:
        if not self._end_pending:
            self._end_pending = True
            asyncio.get_running_loop().call_soon(self._end)

    async def _queue(self) -> None:
        loop = asyncio.get_running_loop()
        self.deferred += 1
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiting.append(waiter)
        self._schedule_end()
        while True:
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._let_in -= 1  # let in, cancelled before it resumed
                raise
            self._let_in -= 1
            if self._started is None:
                self._begin()
                return
            if not self._full:
                if not self._spent():
                    return
                self._fill()
            waiter = loop.create_future()  # the turn is full: first in the next
            self._back.append(waiter)
            self._schedule_end()

    def _end(self) -> None:
        """Scheduled by a turn's first answer (and while anyone waits), so it runs
        early in the next turn: that turn's budget starts afresh, and the next
        batch of waiters is let in, to go on in the turn after."""
        self._end_pending = False
        if not self._full and self._waiting and self._let_in == 0 and self._passed:
            self._batch = min(_MAX_BATCH, self._batch + self._batch // 2)  # all fitted
        self._started, self._passed, self._full = None, 0, False
        if self._back:
            self._waiting.extendleft(reversed(self._back))
            self._back.clear()
        room = self._batch
        while room and self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():  # a waiter cancelled meanwhile is dropped
                waiter.set_result(None)
                self._let_in += 1
                room -= 1
        if self._waiting:
            self._schedule_end()


_BUDGETS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, TurnBudget] = (
    weakref.WeakKeyDictionary()
)


def for_loop(loop: asyncio.AbstractEventLoop | None = None) -> TurnBudget:
    """The budget every client of ``loop`` (the running one) shares."""
    loop = loop or asyncio.get_running_loop()
    budget = _BUDGETS.get(loop)
    if budget is None:
        budget = _BUDGETS[loop] = TurnBudget()
    return budget
