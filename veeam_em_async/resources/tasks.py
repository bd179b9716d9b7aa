"""``em.tasks``, and how the shared watcher polls tasks (``/tasks``)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping

from ..errors import ResponseParseError, TaskFailedError
from ..ids import TaskLike, task_id
from ..models import TASK, TASKS, TaskInfo, TaskState
from ..policies import parse_retry_after
from ..transport import Transport
from ..waiting._handles import Task
from ..waiting._source import Entry
from ..waiting._watcher import PollStatus
from ..xmlio import ListItemScanner, parse_fragment
from ._task_items import KEPT_BYTES, Listing, split, without_parsing
from .base import Resource


class TaskSource:
    """The `PollSource` of tasks.

    ``GET /tasks`` lists every task of the logon session, finished ones
    included: a service logged on for days gets thousands of items for the
    few it awaits. The awaited items are found by a byte scan of the answer
    (`ListItemScanner`) and only they are parsed: an item whose bytes did not
    change since the last poll is not parsed again, and one that changed only
    its state, links or result has only those parsed (`_task_items`). So a
    tick's parsing follows what is awaited and what changed, not the session's
    history. An answer the scan does not understand is parsed whole.
    """

    batch_threshold = 4

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._scanner = ListItemScanner("Tasks", "Task", "TaskId")
        #: List items parsed whole by xmltodict (the scaling tests count these).
        self.items_parsed = 0

    async def fetch_one(self, key: str) -> tuple[TaskInfo, float | None]:
        """``GET /tasks/{id}``."""
        response = await self._transport.request("GET", f"tasks/{key}")
        return TASK.parse(response.body), parse_retry_after(response.headers.get("Retry-After"))

    async def fetch_many(
        self, entries: Mapping[str, Entry[str, TaskInfo]]
    ) -> tuple[Mapping[str, TaskInfo], float | None]:
        """``GET /tasks``, parsing only the awaited items, and of those only what
        changed since the entry's `Listing` (its ``memo``)."""
        response = await self._transport.request("GET", "tasks")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        fragments = self._scanner.find(response.body, entries)
        if fragments is None:
            return self._parse_whole(response.body, entries), retry_after
        listed: dict[str, TaskInfo] = {}
        for key, fragment in fragments.items():
            entry = entries[key]
            last, memo = entry.value, entry.memo
            if not isinstance(memo, Listing) or memo.value is not last:
                memo = None  # no note, or one of a value read since some other way
            if memo is not None and memo.fragment == fragment:
                listed[key] = memo.value  # unchanged since it was read
                continue
            now, base = split(fragment), None if memo is None else memo.parts
            known = None
            # A listing before that was not plain is no base: its parts are unknown.
            if now is not None and last is not None and (memo is None or base is not None):
                known = without_parsing(last, now, base)
            if known is None:
                self.items_parsed += 1
                try:
                    root, content = parse_fragment(fragment)
                    known = TASKS.structure(content) if root == "Task" else None
                except ResponseParseError:  # e.g. a CDATA section holding "</Task>"
                    known = None
                if known is None or known.id != key:
                    return self._parse_whole(response.body, entries), retry_after
            listed[key] = known
            entry.memo = Listing(fragment, now, known) if len(fragment) <= KEPT_BYTES else None
        return listed, retry_after

    def _parse_whole(
        self, body: bytes | bytearray, wanted: Mapping[str, object]
    ) -> dict[str, TaskInfo]:
        items = TASKS.raw_items(body)  # xmltodict parses every item of the list
        self.items_parsed += len(items)
        listed: dict[str, TaskInfo] = {}
        for raw in items:
            key = raw.get("TaskId") if isinstance(raw, dict) else None
            if isinstance(key, str) and key in wanted:
                listed[key] = TASKS.structure(raw)
        return listed

    def status(self, value: TaskInfo) -> PollStatus:
        """Only ``Running`` and ``OperationFinished`` are in progress; an end state
        is a failure with ``Success="false"``, or with no result but ``Finished``."""
        if not value.ended:
            return PollStatus.RUNNING
        result = value.result
        if (result is not None and not result.success) or (
            result is None and value.state != TaskState.FINISHED
        ):
            return PollStatus.FAILED
        return PollStatus.SUCCEEDED

    def failure(self, value: TaskInfo) -> BaseException:
        return TaskFailedError(value)


class TasksResource(Resource):
    """The tasks EM creates for asynchronous actions."""

    async def get(self, task: TaskLike) -> TaskInfo:
        """``GET /tasks/{id}``: one snapshot of the task."""
        return await self._get(f"tasks/{task_id(task)}", TASK)

    async def list(self) -> builtins.list[TaskInfo]:
        """``GET /tasks``: every task of the current logon session."""
        return await self._list("tasks", TASKS)

    def handle(self, task: TaskLike) -> Task:
        """A handle on a task known only by its id (no request is sent).

        A task can only be followed within the EM logon session that created
        it: EM keeps tasks per logon session, and answers any other session's
        ``GET /tasks/{id}`` with HTTP 500 ("There is no backup task with id
        [task-7] in current rest session"), which the handle raises as
        `TaskLostError`. So this resumes a wait within the same client
        (another coroutine's task, or a task id from a log line of this
        process), not across a restart or a re-logon. To learn what a lost
        task did, look at what it acted on: a job start's outcome is in the
        job's sessions (``em.jobs.backup_sessions(job)``, ``em.jobs.last_results()``).
        """
        if isinstance(task, TaskInfo):
            return Task(self._tasks, self._tasks.track(task_id(task), task))
        return Task(self._tasks, self._tasks.track(task_id(task)))
