"""Waiting for what EM runs: one watcher per kind of thing, polling everything
awaited on one schedule (``_watcher``), the protocol a resource hands it
(``_source``), and the awaitable handle on a task (``_handles``). Nothing here
knows HTTP or XML; see the ``_watcher`` docstring for why the watcher is shaped so.
"""

from ._handles import Task, TaskWatcher
from ._source import DeadlinePassedError, Entry, PollSource, PollStatus
from ._watcher import Watcher

__all__ = [
    "DeadlinePassedError",
    "Entry",
    "PollSource",
    "PollStatus",
    "Task",
    "TaskWatcher",
    "Watcher",
]
