"""Awaitable handles on things EM runs, over the shared `polling` watcher.

A handle is a key and a view of the watcher's entry for it: every handle to
the same task shares one entry, so two handles never poll twice or miss each
other's result.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ..errors import TaskTimeoutError
from ..models import TaskInfo
from ..policies import PollPolicy
from ._watcher import DeadlinePassedError, Entry, Watcher

__all__ = ["Task"]

TaskWatcher = Watcher[str, TaskInfo]


class Task:
    """A handle on one EM task: ``await task`` polls until the task ends.

    ``await task`` (or ``await task.wait(timeout=…)``) returns the final
    `TaskInfo`, or raises `TaskFailedError` when EM reports
    ``Result Success="false"`` (or an end state other than ``Finished`` with
    no result), `TaskTimeoutError` when the timeout runs out (the task
    keeps running on EM), or the error that made polling impossible (for
    example `TaskLostError`, a `NotFoundError`, when EM dropped
    the task with the logon session that created it after a re-logon).

    Only ``Running`` and ``OperationFinished`` keep a wait going:
    ``OperationFinished`` means the backup server is done but EM has not yet
    stored the outcome, so only ``Finished`` carries the final result.
    """

    __slots__ = ("_entry", "_watcher")

    def __init__(self, watcher: TaskWatcher, entry: Entry[str, TaskInfo]) -> None:
        self._watcher = watcher
        self._entry = entry

    def __repr__(self) -> str:
        return f"<Task {self.id} state={self.state!r}>"

    @property
    def id(self) -> str:
        return self._entry.key

    @property
    def info(self) -> TaskInfo | None:
        """The last `TaskInfo` seen (``None`` for a resumed handle never polled)."""
        return self._entry.value

    @property
    def href(self) -> str | None:
        return self.info.href if self.info else None

    @property
    def state(self) -> str | None:
        """Last seen ``State``: ``Running``, ``OperationFinished``, ``Finished``…"""
        return self.info.state if self.info else None

    def done(self) -> bool:
        """True once EM reported an end state: ``Finished`` (successfully or
        not), or any state other than ``Running``/``OperationFinished``."""
        return self.info is not None and self.info.ended

    async def refresh(self) -> TaskInfo:
        """One ``GET /tasks/{id}``; updates the handle (and wakes waiters if it ended)."""
        info, _ = await self._watcher.source.fetch_one(self._entry.key)
        self._watcher.update(self._entry, info)
        return info

    async def wait(
        self, timeout: float | None = None, poll_policy: PollPolicy | None = None
    ) -> TaskInfo:
        """Poll until the task ends and return the final `TaskInfo`.

        ``timeout`` is measured on the client's clock (``EnterpriseManager(clock=…)``).
        """
        entry = self._entry
        with self._watcher.span("veeam_em.task.wait", {"veeam_em.task.id": str(entry.key)}):
            waiter = self._watcher.watch(entry, poll_policy, timeout)
            try:
                await waiter
            except DeadlinePassedError:
                raise TaskTimeoutError(entry.key, timeout or 0.0, entry.value) from None
            finally:
                self._watcher.unwatch(entry, waiter)
        failure = entry.failure()
        if failure is not None:
            raise failure
        assert entry.value is not None
        return entry.value

    def __await__(self) -> Generator[Any, None, TaskInfo]:
        return self.wait().__await__()
