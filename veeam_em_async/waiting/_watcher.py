"""One watcher per kind of thing EM runs, polling everything awaited on one schedule.

Why one watcher: a thousand handles each running its own poll loop would send
a thousand ``GET …/{id}`` per tick. The watcher instead keeps one schedule;
on each tick it takes every entry that is due and, when several are, asks EM
once for all of them (``GET /tasks`` lists every task of the logon session;
a query can name many job sessions), and fetches by id only what that answer
lacks. (After a re-logon, older tasks belong to the previous logon session:
EM lists them no more and answers their ``GET /tasks/{id}`` with a 500 the
source turns into `TaskLostError`, which, like every error polling again
cannot cure, settles the entry for all its waiters at once.) Every pending
entry the answer reports is updated and rescheduled from now, due or not, so
the whole set moves in step and later ticks serve all of it with one request.

The watcher knows neither URLs nor XML. The resource that owns a kind of
thing hands it a `PollSource`: how to fetch one, how to fetch many at
once, and how to tell "still going", "done, ok" and "done, failed" (the
split of azure-core's ``PollingMethod`` from the operation, and of
api-core's ``operation_async``, whose handle receives a ``refresh``
callable). Tasks are one source; job runs are another.

Waiting is cooperative: several coroutines may await one entry; cancelling
one cancels only that wait. Each wait may have its own deadline, kept on
the same schedule and the same `Clock` as the
polls, so a test with a fake clock sees timeouts in a fixed order and takes
no real time. When no coroutine waits for an entry any more it leaves the
schedule, and when the schedule is empty the watcher's background task ends.
Nothing is ever sent to EM on cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import weakref
from collections import Counter
from typing import Generic

from ..clock import Clock
from ..errors import (
    AuthenticationError,
    ClientClosedError,
    NotFoundError,
    PermissionDeniedError,
)
from ..policies import PollPolicy
from ._source import (
    DeadlinePassedError,
    Entry,
    K,
    PollSource,
    PollStatus,
    Schedule,
    SpanFactory,
    V,
    no_span,
)

__all__ = ["DeadlinePassedError", "Entry", "PollSource", "PollStatus", "Watcher"]

log = logging.getLogger("veeam_em_async.waiting._watcher")


# Errors that polling again will not cure: the waiters get them at once.
_FATAL = (NotFoundError, PermissionDeniedError, AuthenticationError, ClientClosedError)


class Watcher(Generic[K, V]):
    """Polls every awaited entry of one source on one schedule."""

    def __init__(
        self,
        source: PollSource[K, V],
        policy: PollPolicy,
        clock: Clock,
        *,
        poll_concurrency: int = 20,
        max_poll_errors: int = 5,
        coalesce: float = 0.25,
        name: str = "watcher",
    ) -> None:
        self.source = source
        self.policy = policy
        self.clock = clock
        self.poll_concurrency = poll_concurrency
        self.max_poll_errors = max_poll_errors
        self.coalesce = coalesce
        self.name = name
        self._pending: dict[K, Entry[K, V]] = {}
        # Every entry some handle still holds, so that all handles to one key share
        # one state, whether or not the entry is on the schedule.
        self._entries: weakref.WeakValueDictionary[K, Entry[K, V]] = weakref.WeakValueDictionary()
        self._schedule: Schedule[K, V] = Schedule(self._pending)
        self._runner: asyncio.Task[None] | None = None
        self._closed = False
        #: Ticks run, batch requests and single requests sent: for tests and benchmarks.
        self.ticks = 0
        self.batch_polls = 0
        self.single_polls = 0
        #: Entries settled, by outcome (``ok`` or the error's type): for metrics.
        self.outcomes: Counter[str] = Counter()
        self.span: SpanFactory = no_span  # around each wait: the client's telemetry

    # -- entries -----------------------------------------------------------

    def track(self, key: K, value: V | None = None, memo: object = None) -> Entry[K, V]:
        """The entry of ``key``, shared by every handle to an unsettled key: made if
        new, given ``value`` and ``memo`` if it has none (a handle made from EM's answer)."""
        entry = self._entries.get(key)
        if entry is None or (entry.settled and not entry.waiters and value is not None):
            # A settled entry is not reused for a new value: EM may recycle ids
            # across logon sessions.
            entry = Entry(key, value, memo)
            self._entries[key] = entry
            if value is not None:
                self._settle_if_done(entry)
        elif value is not None and entry.value is None:
            entry.memo = memo
            self.update(entry, value)
        return entry

    @property
    def pending(self) -> int:
        """Entries on the schedule (awaited and not finished)."""
        return len(self._pending)

    @property
    def running(self) -> bool:
        """Whether the background polling task is alive."""
        return self._runner is not None and not self._runner.done()

    def watch(
        self, entry: Entry[K, V], policy: PollPolicy | None = None, timeout: float | None = None
    ) -> asyncio.Future[None]:
        """One more waiter on ``entry``: a future that completes when the entry
        settles, or fails with `DeadlinePassedError` after ``timeout`` seconds
        of the watcher's clock."""
        if self._closed:
            raise ClientClosedError("the EnterpriseManager client is closed")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if entry.settled:
            waiter.set_result(None)
            return waiter
        entry.waiters.add(waiter)
        if policy is not None:
            entry.policy = policy
        if timeout is not None:
            self._schedule.add_deadline(self.clock.now() + timeout, waiter)
        if entry.key not in self._pending:
            self._pending[entry.key] = entry
            policy = entry.policy or self.policy
            self._schedule.put(entry, self.clock.now() + policy.interval(entry.polls))
        if not self.running:  # in a context of its own: its polls belong to no caller's span
            loop, name = asyncio.get_running_loop(), f"veeam_em_async {self.name}"
            self._runner = contextvars.Context().run(loop.create_task, self._run(), name=name)
        return waiter

    def unwatch(self, entry: Entry[K, V], waiter: asyncio.Future[None]) -> None:
        """One waiter left; with none left the entry leaves the schedule."""
        entry.waiters.discard(waiter)
        if not waiter.done():
            waiter.cancel()
        if not entry.waiters and self._pending.get(entry.key) is entry:
            del self._pending[entry.key]

    # -- results -----------------------------------------------------------

    def update(self, entry: Entry[K, V], value: V) -> None:
        """A fresh value for ``entry`` (from a poll or a caller's refresh)."""
        entry.value = value
        entry.errors = 0
        self._settle_if_done(entry)

    def _settle_if_done(self, entry: Entry[K, V]) -> None:
        assert entry.value is not None
        status = self.source.status(entry.value)
        if status is PollStatus.FAILED:
            self._settle(entry, self.source.failure(entry.value))
        elif status is PollStatus.SUCCEEDED:
            self._settle(entry, None)

    def _settle(self, entry: Entry[K, V], error: BaseException | None) -> None:
        self.outcomes["ok" if error is None else type(error).__name__] += 1
        entry.settle(error)
        if self._pending.get(entry.key) is entry:
            del self._pending[entry.key]
        for waiter in entry.waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- the loop ----------------------------------------------------------

    async def _run(self) -> None:
        try:
            while self._pending and not self._closed:
                now = self.clock.now()
                wake_at = self._schedule.next_wake(now)
                if wake_at is None:
                    break
                if wake_at > now:
                    # Until the next poll or deadline, or until an earlier one arrives.
                    await self._schedule.sleep(self.clock, now, wake_at)
                    continue
                due = self._schedule.pop_due(now + self.coalesce)
                if due:
                    self.ticks += 1
                    await self._tick(due)
        except Exception as exc:
            # Never leave a waiter hanging on a watcher that died.
            log.exception("%s stopped", self.name)
            for entry in list(self._pending.values()):
                self._settle(entry, exc)
        finally:
            self._runner = None

    async def _tick(self, due: list[Entry[K, V]]) -> None:
        missing = due
        if len(due) >= self.source.batch_threshold:
            try:
                self.batch_polls += 1
                listed, retry_after = await self.source.fetch_many(dict(self._pending))
            except Exception as exc:
                log.debug("%s: batch poll failed (%s); polling one by one", self.name, exc)
            else:
                for entry in list(self._pending.values()):
                    value = listed.get(entry.key)
                    if value is not None:
                        self.update(entry, value)
                        if not entry.settled:
                            self._reschedule(entry, retry_after)
                missing = [entry for entry in due if entry.key not in listed]
        if missing:
            limit = asyncio.Semaphore(self.poll_concurrency)

            async def poll_one(entry: Entry[K, V]) -> None:
                async with limit:
                    await self._poll_one(entry)

            await asyncio.gather(*(poll_one(entry) for entry in missing))

    async def _poll_one(self, entry: Entry[K, V]) -> None:
        if entry.settled or self._pending.get(entry.key) is not entry:
            return  # settled or unwatched while this tick ran
        self.single_polls += 1
        try:
            value, retry_after = await self.source.fetch_one(entry.key)
        except _FATAL as exc:
            self._settle(entry, exc)
            return
        except Exception as exc:  # transient (or unforeseen): retry, up to a limit
            entry.errors += 1
            if entry.errors >= self.max_poll_errors:
                log.warning("%s: giving up polling %s: %s", self.name, entry.key, exc)
                self._settle(entry, exc)
            else:
                self._reschedule(entry, None)
            return
        self.update(entry, value)
        if not entry.settled:
            self._reschedule(entry, retry_after)

    def _reschedule(self, entry: Entry[K, V], retry_after: float | None) -> None:
        entry.polls += 1
        policy = entry.policy or self.policy
        self._schedule.put(entry, self.clock.now() + policy.interval(entry.polls, retry_after))

    async def close(self) -> None:
        """Stop polling and wake every waiter with `ClientClosedError`."""
        self._closed = True
        for entry in list(self._pending.values()):
            self._settle(entry, ClientClosedError("the client was closed while waiting"))
        runner = self._runner
        if runner is not None and not runner.done():
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        self._runner = None
