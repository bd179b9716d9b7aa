"""Ctrl-C: the first winds the command down to a true record, the second cancels it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["INTERRUPT_GRACE", "Interrupt", "UserInterruptError", "interruptible"]

#: Seconds a Ctrl-C gives the actions already sent to be answered (a second Ctrl-C
#: stops at once): each then shows as accepted with its task id, or as sent with no
#: answer; nothing more is sent meanwhile.
INTERRUPT_GRACE = 5.0


class UserInterruptError(Exception):
    """Ctrl-C (SIGINT) cancelled the command."""


class Interrupt:
    """What Ctrl-C does to the running command. The first asks it to wind down
    (every ``wind_down`` coroutine function is started: the client's ``drain``,
    so that nothing more is sent and what was sent is answered) and lets it
    finish with a true record; with nothing to wind down, or at the second
    Ctrl-C, the command is cancelled."""

    def __init__(self) -> None:
        self.requested = False
        self.wind_down: list[Callable[[], Coroutine[Any, Any, Any]]] = []
        self._running: set[asyncio.Future[Any]] = set()

    def __call__(self, task: asyncio.Future[int]) -> None:
        if self.requested or not self.wind_down:
            self.requested = True
            task.cancel()
            return
        self.requested = True
        for start in self.wind_down:
            future = asyncio.ensure_future(start())
            self._running.add(future)
            future.add_done_callback(self._running.discard)


async def interruptible(coro: Coroutine[Any, Any, int], interrupt: Interrupt) -> int:
    """Run ``coro``; SIGINT goes to ``interrupt``. A cancelled command has closed
    everything it held (the logoff is sent) before `UserInterruptError`."""
    task = asyncio.ensure_future(coro)
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, interrupt, task)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        pass
    try:
        return await task
    except asyncio.CancelledError:
        if interrupt.requested:
            raise UserInterruptError from None
        raise
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGINT)
