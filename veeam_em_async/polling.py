"""Awaitable task handles and the one watcher per client that polls them all.

Why one watcher: a thousand handles each running its own poll loop would send
a thousand ``GET /tasks/{id}`` per tick. The watcher instead keeps one
schedule; on each tick it takes every task that is due and, when several are,
asks EM once with ``GET /tasks`` (which lists every task of the logon
session) and fetches by id only the tasks that list lacks (after a re-logon,
older tasks belong to the previous session and are not listed).

A task's ``State`` can be ``OperationFinished`` (the backup server is done,
EM has not stored the outcome yet) before ``Finished``. Handles keep polling
through it: it and ``Running`` are the only states that keep a wait going,
because only ``Finished`` carries the final result. Any other state ends the
wait with what EM said (a state added in a later EM version, ``Cancelled``
say, is never polled forever): ``Success="false"`` raises
:class:`TaskFailedError`, and so does an end state other than ``Finished``
that carries no result at all.

Waiting is cooperative: several coroutines may await one handle; cancelling
one cancels only that wait. When no coroutine waits for a task any more, it
leaves the schedule, and when the schedule is empty the watcher's background
task ends. Nothing is ever sent to EM on cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from .clock import Clock, LoopClock
from .errors import (
    AuthenticationError,
    ClientClosedError,
    NotFoundError,
    PermissionDeniedError,
    TaskFailedError,
    TaskTimeoutError,
)
from .models import TaskInfo, TaskState, list_items, parse_as, structure_item
from .policies import PollPolicy, parse_retry_after

if TYPE_CHECKING:
    from .transport import Transport

log = logging.getLogger("veeam_em_async.polling")

# Errors that polling again will not cure: the waiters get them at once.
_FATAL = (NotFoundError, PermissionDeniedError, AuthenticationError, ClientClosedError)


class _TaskEntry:
    """What the watcher knows of one task id; shared by every handle to it."""

    __slots__ = (
        "__weakref__",
        "due",
        "errors",
        "future",
        "info",
        "outcome",
        "policy",
        "polls",
        "task_id",
        "waiters",
    )

    def __init__(self, task_id: str, info: TaskInfo | None) -> None:
        self.task_id = task_id
        self.info = info
        self.future: asyncio.Future[None] | None = None
        self.outcome: BaseException | None = None
        self.waiters = 0
        self.due = 0.0
        self.polls = 0
        self.errors = 0
        self.policy: PollPolicy | None = None

    @property
    def finished(self) -> bool:
        """EM reported an end state (see :attr:`TaskInfo.ended`)."""
        return self.info is not None and self.info.ended


class Task:
    """A handle on one EM task: ``await task`` polls until EM reports ``Finished``.

    ``await task`` (or ``await task.wait(timeout=…)``) returns the final
    :class:`TaskInfo`, or raises :class:`TaskFailedError` when EM reports
    ``Result Success="false"``, :class:`TaskTimeoutError` when the timeout runs
    out (the task keeps running on EM), or the error that made polling
    impossible (for example :class:`NotFoundError` if EM no longer knows it).
    """

    __slots__ = ("_entry", "_watcher")

    def __init__(self, watcher: TaskWatcher, entry: _TaskEntry) -> None:
        self._watcher = watcher
        self._entry = entry

    def __repr__(self) -> str:
        return f"<Task {self.id} state={self.state!r}>"

    @property
    def id(self) -> str:
        return self._entry.task_id

    @property
    def info(self) -> TaskInfo | None:
        """The last :class:`TaskInfo` seen (``None`` for a resumed handle never polled)."""
        return self._entry.info

    @property
    def href(self) -> str | None:
        return self._entry.info.href if self._entry.info else None

    @property
    def state(self) -> str | None:
        """Last seen ``State``: ``Running``, ``OperationFinished``, ``Finished``…"""
        return self._entry.info.state if self._entry.info else None

    def done(self) -> bool:
        """True once EM reported an end state: ``Finished`` (successfully or
        not), or any state other than ``Running``/``OperationFinished``."""
        return self._entry.finished

    async def refresh(self) -> TaskInfo:
        """One ``GET /tasks/{id}``; updates the handle (and wakes waiters if finished)."""
        info, _ = await self._watcher.fetch(self._entry.task_id)
        self._watcher.update(self._entry, info)
        return info

    async def wait(
        self, timeout: float | None = None, poll_policy: PollPolicy | None = None
    ) -> TaskInfo:
        """Poll until ``Finished`` and return the final :class:`TaskInfo`."""
        entry = self._entry
        if entry.future is None or not entry.future.done():
            future = self._watcher.watch(entry, poll_policy)
            try:
                if timeout is None:
                    await asyncio.shield(future)
                else:
                    await asyncio.wait_for(asyncio.shield(future), timeout)
            except asyncio.TimeoutError:
                if not future.done():  # (it may have finished in the same instant)
                    raise TaskTimeoutError(entry.task_id, timeout or 0.0, entry.info) from None
            finally:
                self._watcher.unwatch(entry)
        return _result(entry)

    def __await__(self) -> Generator[Any, None, TaskInfo]:
        return self.wait().__await__()


def _result(entry: _TaskEntry) -> TaskInfo:
    if entry.outcome is not None:
        raise entry.outcome
    assert entry.info is not None
    return entry.info


class TaskWatcher:
    """Polls every awaited task of one client on one schedule."""

    def __init__(
        self,
        transport: Transport,
        policy: PollPolicy,
        *,
        clock: Clock | None = None,
        list_threshold: int = 4,
        poll_concurrency: int | None = None,
        max_poll_errors: int = 5,
        coalesce: float = 0.25,
    ) -> None:
        self._transport = transport
        self.policy = policy
        self._clock: Clock = clock or LoopClock()
        self.list_threshold = list_threshold
        self.poll_concurrency = poll_concurrency or transport.max_connections
        self.max_poll_errors = max_poll_errors
        self.coalesce = coalesce
        self._pending: dict[str, _TaskEntry] = {}
        # Every entry some handle still holds, so that all handles to one task
        # id share one state, whether or not the task is on the schedule.
        self._entries: weakref.WeakValueDictionary[str, _TaskEntry] = weakref.WeakValueDictionary()
        self._runner: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event | None = None
        self._closed = False
        self.ticks = 0

    # -- handles -----------------------------------------------------------

    def handle(self, task_id: str, info: TaskInfo | None = None) -> Task:
        """A handle on ``task_id``; handles to a pending task share its state."""
        entry = self._entries.get(task_id)
        if entry is None or (entry.finished and entry.waiters == 0 and info is not None):
            # A finished entry is not reused for a new TaskInfo: EM may recycle ids
            # across logon sessions.
            entry = _TaskEntry(task_id, info)
            self._entries[task_id] = entry
        elif info is not None and entry.info is None:
            entry.info = info
        return Task(self, entry)

    def _now(self) -> float:
        return self._clock.now()

    def watch(self, entry: _TaskEntry, policy: PollPolicy | None) -> asyncio.Future[None]:
        """Put ``entry`` on the schedule for one more waiter; return its future."""
        if self._closed:
            raise ClientClosedError("the EnterpriseManager client is closed")
        if entry.future is None:
            entry.future = asyncio.get_running_loop().create_future()
        if policy is not None:
            entry.policy = policy
        entry.waiters += 1
        if entry.finished:
            self._complete(entry)
            return entry.future
        if entry.task_id not in self._pending:
            self._pending[entry.task_id] = entry
            entry.due = self._now() + (entry.policy or self.policy).interval(entry.polls)
            self._kick()
        return entry.future

    def unwatch(self, entry: _TaskEntry) -> None:
        """One waiter left; with none left the task leaves the schedule."""
        entry.waiters -= 1
        if entry.waiters <= 0:
            entry.waiters = 0
            if self._pending.get(entry.task_id) is entry:
                del self._pending[entry.task_id]
            if entry.future is not None and not entry.future.done():
                entry.future = None  # a later wait starts afresh

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    def _kick(self) -> None:
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        self._wakeup.set()
        if not self.running:
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name="veeam_em_async task watcher"
            )

    # -- results -----------------------------------------------------------

    def update(self, entry: _TaskEntry, info: TaskInfo) -> None:
        entry.info = info
        entry.errors = 0
        if entry.finished:
            self._complete(entry)

    def _complete(self, entry: _TaskEntry, error: BaseException | None = None) -> None:
        info = entry.info
        if error is None and info is not None:
            result = info.result
            if (result is not None and not result.success) or (
                result is None and info.state != TaskState.FINISHED
            ):
                error = TaskFailedError(info)
        entry.outcome = error
        self._pending.pop(entry.task_id, None)
        if entry.future is not None and not entry.future.done():
            entry.future.set_result(None)

    # -- requests ----------------------------------------------------------

    async def fetch(self, task_id: str) -> tuple[TaskInfo, float | None]:
        """``GET /tasks/{id}`` -> (info, Retry-After seconds)."""
        response = await self._transport.request("GET", f"tasks/{task_id}")
        info = parse_as(response.body, TaskInfo, "Task")
        return info, parse_retry_after(response.headers.get("Retry-After"))

    async def _fetch_list(self) -> tuple[dict[str, TaskInfo], float | None]:
        """``GET /tasks``, structuring only the tasks still awaited.

        The list holds every task of the logon session, finished ones included,
        so in a long-running service most items are of no interest: their
        ``TaskId`` is read and the rest is left as parsed.
        """
        response = await self._transport.request("GET", "tasks")
        listed: dict[str, TaskInfo] = {}
        for raw in list_items(response.body, "Tasks", "Task"):
            task_id = raw.get("TaskId") if isinstance(raw, dict) else None
            if isinstance(task_id, str) and task_id in self._pending:
                listed[task_id] = structure_item(raw, TaskInfo, "Tasks")
        return listed, parse_retry_after(response.headers.get("Retry-After"))

    # -- the loop ----------------------------------------------------------

    async def _run(self) -> None:
        try:
            while self._pending and not self._closed:
                now = self._now()
                earliest = min(entry.due for entry in self._pending.values())
                if earliest > now:
                    await self._idle(earliest - now)
                    continue
                due = [e for e in self._pending.values() if e.due <= now + self.coalesce]
                self.ticks += 1
                await self._tick(due)
        except Exception as exc:
            # Never leave a waiter hanging on a watcher that died.
            log.exception("task watcher stopped")
            for entry in list(self._pending.values()):
                self._complete(entry, exc)
        finally:
            self._runner = None

    async def _idle(self, seconds: float) -> None:
        """Sleep until the next due task, or until a new task arrives."""
        assert self._wakeup is not None
        self._wakeup.clear()
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        waker = asyncio.ensure_future(self._wakeup.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in (sleeper, waker):
                if not fut.done():
                    fut.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await fut

    async def _tick(self, due: list[_TaskEntry]) -> None:
        retry_after: float | None = None
        missing = due
        if len(due) >= self.list_threshold:
            try:
                listed, retry_after = await self._fetch_list()
            except Exception as exc:
                log.debug("GET /tasks failed (%s); polling tasks one by one", exc)
            else:
                # Every pending task the list knows gets fresh info for free, due or
                # not, and is rescheduled from now: the whole set then moves in step,
                # so later ticks serve all of it with one request.
                for entry in list(self._pending.values()):
                    info = listed.get(entry.task_id)
                    if info is not None:
                        self.update(entry, info)
                        if not entry.finished:
                            self._reschedule(entry, retry_after)
                missing = [entry for entry in due if entry.task_id not in listed]
        if missing:
            limit = asyncio.Semaphore(self.poll_concurrency)

            async def poll_one(entry: _TaskEntry) -> None:
                async with limit:
                    await self._poll_one(entry)

            await asyncio.gather(*(poll_one(entry) for entry in missing))

    async def _poll_one(self, entry: _TaskEntry) -> None:
        try:
            info, retry_after = await self.fetch(entry.task_id)
        except _FATAL as exc:
            self._complete(entry, exc)
            return
        except Exception as exc:  # transient (or unforeseen): retry, up to a limit
            entry.errors += 1
            if entry.errors >= self.max_poll_errors:
                log.warning("giving up polling %s: %s", entry.task_id, exc)
                self._complete(entry, exc)
            else:
                self._reschedule(entry, None)
            return
        self.update(entry, info)
        if not entry.finished:
            self._reschedule(entry, retry_after)

    def _reschedule(self, entry: _TaskEntry, retry_after: float | None) -> None:
        entry.polls += 1
        policy = entry.policy or self.policy
        entry.due = self._now() + policy.interval(entry.polls, retry_after)

    async def close(self) -> None:
        """Stop polling and wake every waiter with :class:`ClientClosedError`."""
        self._closed = True
        for entry in list(self._pending.values()):
            self._complete(entry, ClientClosedError("the client was closed while waiting"))
        runner = self._runner
        if runner is not None and not runner.done():
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        self._runner = None
