"""Coroutines that live and die together: what ``asyncio.TaskGroup`` gives on
Python 3.11, for 3.10 too, and for tasks added as the work goes.

A bulk call must not leave a start running after it ended, nor lose an error:
so the first failure (or the cancellation of the caller) cancels every
sibling and waits for each to finish, and every error is retrieved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

__all__ = ["TaskGroup", "all_or_nothing", "cancel_all"]

T = TypeVar("T")


async def all_or_nothing(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run ``coros`` concurrently; if one raises or this is cancelled, cancel and
    await the others, then raise. Returns the results in order."""
    group = TaskGroup()
    tasks = [group.spawn(coro) for coro in coros]
    await group.wait()
    return [task.result() for task in tasks]


async def cancel_all(tasks: Sequence[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    # Wait for every one to finish its cancellation (and retrieve every exception).
    await asyncio.gather(*tasks, return_exceptions=True)


class TaskGroup:
    """Tasks that live and die together (``asyncio.TaskGroup``'s rule, which
    Python 3.10 lacks, for tasks added as the work goes): the first that
    fails, or the cancellation of the one waiting, cancels and awaits all
    of them, then raises."""

    def __init__(self) -> None:
        self._live: set[asyncio.Task[Any]] = set()
        self._ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        #: Set the moment one task fails, before its done callback runs: no
        #: sibling may start a send in between.
        self.failed = False
        # Bound once: each task holds this callback while it runs, and a bulk call's
        # ten thousand waiting jobs held ten thousand bound methods for the collector.
        self._done = self._on_done

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coro)
        self._live.add(task)
        task.add_done_callback(self._done)
        return task

    def _on_done(self, task: asyncio.Task[Any]) -> None:
        self._live.discard(task)
        # Retrieved even when the group already ended (or when all of them fail in
        # one turn of the loop, as when EM goes down), so that none is logged as
        # "never retrieved".
        error = asyncio.CancelledError() if task.cancelled() else task.exception()
        if self._ended.done():
            return
        if error is not None:
            self.failed = True
            self._ended.set_exception(error)
        elif not self._live:
            self._ended.set_result(None)

    async def wait(self) -> None:
        """Until every task spawned (and every task they spawn) ended."""
        if not self._live and not self._ended.done():
            self._ended.set_result(None)
        try:
            await self._ended
        except BaseException:
            self.failed = True
            await cancel_all(list(self._live))
            raise
