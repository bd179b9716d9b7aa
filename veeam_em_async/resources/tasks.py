"""``em.tasks``, and how the shared watcher polls tasks (``/tasks``)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import NamedTuple

from ..errors import ResponseParseError, TaskFailedError
from ..ids import TaskLike, task_id
from ..models import TASK, TASKS, TaskInfo, TaskState
from ..policies import parse_retry_after
from ..transport import Transport
from ..waiting._handles import Task
from ..waiting._watcher import PollStatus
from ..xmlio import ListItemScanner, parse_fragment
from ._task_items import Parts, split, without_parsing
from .base import Resource


class _Seen(NamedTuple):
    """An awaited task's item in the last listing: its bytes, their parts (kept
    so that the next change is not cut apart twice) and its value."""

    fragment: bytes
    parts: Parts | None
    value: TaskInfo


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
        self._seen: dict[str, _Seen] = {}
        #: List items parsed whole by xmltodict (the scaling tests count these).
        self.items_parsed = 0

    async def fetch_one(self, key: str) -> tuple[TaskInfo, float | None]:
        """``GET /tasks/{id}``."""
        response = await self._transport.request("GET", f"tasks/{key}")
        return TASK.parse(response.body), parse_retry_after(response.headers.get("Retry-After"))

    async def fetch_many(
        self, keys: Mapping[str, TaskInfo | None]
    ) -> tuple[Mapping[str, TaskInfo], float | None]:
        """``GET /tasks``, parsing only the items whose id is in ``keys``."""
        response = await self._transport.request("GET", "tasks")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        fragments = self._scanner.find(response.body, keys)
        if fragments is None:
            return self._parse_whole(response.body, keys), retry_after
        seen = {key: self._seen[key] for key in keys if key in self._seen}
        listed: dict[str, TaskInfo] = {}
        for key, fragment in fragments.items():
            previous = seen.get(key)
            if previous is not None and previous.fragment == fragment:
                listed[key] = previous.value  # unchanged since the last poll
                continue
            now = split(fragment)
            last = keys.get(key) if previous is None else previous.value
            base = None if previous is None else previous.parts
            known = None
            # A listing before that was not plain is no base: its parts are unknown.
            if now is not None and last is not None and (previous is None or base is not None):
                known = without_parsing(last, now, base)
            if known is not None:
                listed[key] = known
                seen[key] = _Seen(fragment, now, known)
                continue
            self.items_parsed += 1
            try:
                root, content = parse_fragment(fragment)
                info = TASKS.structure(content) if root == "Task" else None
            except ResponseParseError:  # e.g. a CDATA section holding "</Task>"
                info = None
            if info is None or info.id != key:
                return self._parse_whole(response.body, keys), retry_after
            listed[key] = info
            seen[key] = _Seen(fragment, now, info)
        self._seen = seen  # only what is still awaited is remembered
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
