"""What a `Watcher` is handed and keeps: the protocol
a resource implements to have its things polled, and the entry per key."""

from __future__ import annotations

import asyncio
import enum
import heapq
import itertools
from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from ..clock import Clock, sleep_or_wake
from ..policies import PollPolicy

__all__ = ["DeadlinePassedError", "Deadlines", "Entry", "PollSource", "PollStatus", "Schedule"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


#: Opens a span (name, attributes) around one wait: the client's telemetry.
SpanFactory = Callable[[str, Mapping[str, Any]], AbstractContextManager[Any]]


_NO_SPAN = nullcontext()  # stateless and reentrant: one serves every wait


def no_span(name: str, attributes: Mapping[str, Any]) -> AbstractContextManager[Any]:
    """The watcher's default `SpanFactory`: no span."""
    return _NO_SPAN


class PollStatus(enum.Enum):
    """What a polled value says about the thing EM runs."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PollSource(Protocol[K, V]):
    """How to poll one kind of thing: handed to a `Watcher` by its resource."""

    #: With at least this many entries due, one ``fetch_many`` beats ``fetch_one`` each.
    batch_threshold: int

    async def fetch_one(self, key: K) -> tuple[V, float | None]:
        """One entry's value now, and EM's ``Retry-After`` in seconds if it sent one."""
        ...

    async def fetch_many(
        self, entries: Mapping[K, Entry[K, V]]
    ) -> tuple[Mapping[K, V], float | None]:
        """The values EM reports for the pending ``entries`` (by key) in one
        request; keys it does not report are fetched one by one. A source may
        hand back an entry's value as it is when EM's answer shows nothing new,
        and keep in its ``memo`` how it read that value (no need to parse it
        again: see `Entry.memo`)."""
        ...

    def status(self, value: V) -> PollStatus:
        """Still going, done and ok, or done and failed."""
        ...

    def failure(self, value: V) -> BaseException:
        """The error a waiter gets for a value whose status is ``FAILED``."""
        ...


class DeadlinePassedError(Exception):
    """A waiter's deadline passed before its entry finished (the handle turns
    this into its own timeout error, which knows the kind of thing awaited)."""


class Entry(Generic[K, V]):
    """What the watcher knows of one key; shared by every handle to it."""

    __slots__ = (
        "__weakref__", "_outcome_tb", "due", "errors", "key", "memo", "outcome", "policy",
        "polls", "settled", "value", "waiters",
    )  # fmt: skip

    def __init__(self, key: K, value: V | None, memo: Any = None) -> None:
        self.key = key
        self.value = value
        self.settled = False  # done (ok or not), or given up on
        self.outcome: BaseException | None = None
        self._outcome_tb: TracebackType | None = None
        self.waiters: set[asyncio.Future[None]] = set()
        self.due = 0.0
        self.polls = 0
        self.errors = 0
        self.policy: PollPolicy | None = None
        #: The source's note on how it read ``value`` (the bytes it came from, say),
        #: for its next reading; the watcher never reads it, and it lives as long
        #: as the entry (as long as a handle holds it), not in a map of the source's.
        self.memo = memo

    def settle(self, error: BaseException | None) -> None:
        """Done, ok (``None``) or with ``error``, kept for every wait to raise."""
        self.settled = True
        self.outcome = error
        self._outcome_tb = None if error is None else error.__traceback__

    def failure(self) -> BaseException | None:
        """The error it ended with, ready to raise again: with the traceback it had
        when it was kept, since raising one object again adds the raiser's frames to
        its traceback (every await of a failed task grew it)."""
        if self.outcome is None:
            return None
        return self.outcome.with_traceback(self._outcome_tb)


class Deadlines:
    """Waiters' deadlines on the watcher's clock, earliest first. A waiter that
    ended some other way is dropped when its deadline comes up."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def add(self, when: float, waiter: asyncio.Future[None]) -> None:
        heapq.heappush(self._heap, (when, next(self._order), waiter))

    def expire(self, now: float) -> float | None:
        """Fail the waiters whose deadline passed; return the next deadline."""
        heap = self._heap
        while heap and (heap[0][2].done() or heap[0][0] <= now):
            _, _, waiter = heapq.heappop(heap)
            if not waiter.done():
                waiter.set_exception(DeadlinePassedError())
        return heap[0][0] if heap else None


class Schedule(Generic[K, V]):
    """When the watcher must next act: the pending entries' due times (earliest
    first, O(log n) per change) and the waiters' deadlines, and the one sleep
    until then, cut short only by something earlier.

    A due item goes stale when its entry is rescheduled (its ``due`` changed)
    or leaves ``pending``; stale items are dropped when they reach the top.
    """

    def __init__(self, pending: Mapping[K, Entry[K, V]]) -> None:
        self._pending = pending
        self._heap: list[tuple[float, int, Entry[K, V]]] = []
        self._order = itertools.count()
        self._deadlines = Deadlines()
        self._wakeup = asyncio.Event()
        self._sleeping_until: float | None = None

    def put(self, entry: Entry[K, V], due: float) -> None:
        entry.due = due
        heapq.heappush(self._heap, (due, next(self._order), entry))
        self._wake_before(due)

    def add_deadline(self, when: float, waiter: asyncio.Future[None]) -> None:
        self._deadlines.add(when, waiter)
        self._wake_before(when)

    def _wake_before(self, when: float) -> None:
        # Only if the sleep runs past ``when``: a thousand new waiters must not
        # cost a thousand wake-ups.
        if self._sleeping_until is not None and when < self._sleeping_until:
            self._wakeup.set()

    def _live(self, due: float, entry: Entry[K, V]) -> bool:
        return entry.due == due and self._pending.get(entry.key) is entry

    def next_wake(self, now: float) -> float | None:
        """Fail the waiters whose deadline passed; return when to act next
        (``None``: nothing is scheduled)."""
        next_deadline = self._deadlines.expire(now)
        heap = self._heap
        while heap and not self._live(heap[0][0], heap[0][2]):
            heapq.heappop(heap)
        if not heap:
            return None
        return heap[0][0] if next_deadline is None else min(heap[0][0], next_deadline)

    def pop_due(self, limit: float) -> list[Entry[K, V]]:
        """The live entries due at or before ``limit``, each once."""
        heap, due, taken = self._heap, [], set()
        while heap and heap[0][0] <= limit:
            when, _, entry = heapq.heappop(heap)
            if self._live(when, entry) and id(entry) not in taken:
                taken.add(id(entry))
                due.append(entry)
        return due

    async def sleep(self, clock: Clock, now: float, until: float) -> None:
        self._sleeping_until = until
        try:
            await sleep_or_wake(clock, until - now, self._wakeup)
        finally:
            self._sleeping_until = None
