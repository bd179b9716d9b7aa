"""``em.tasks``, and how the shared watcher polls tasks (``/tasks``)."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping

from ..errors import TaskFailedError
from ..handles import Task
from ..ids import TaskLike, task_id
from ..models import TASK, TASKS, TaskInfo, TaskState
from ..policies import parse_retry_after
from ..polling import Progress
from ..transport import Transport
from .base import Resource


class TaskSource:
    """The :class:`~veeam_em_async.polling.PollSource` of tasks.

    ``GET /tasks`` lists every task of the logon session, finished ones
    included, so in a long-running service most items are of no interest:
    their ``TaskId`` is read and only the awaited ones are structured.
    """

    batch_threshold = 4

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def fetch_one(self, key: str) -> tuple[TaskInfo, float | None]:
        """``GET /tasks/{id}``."""
        response = await self._transport.request("GET", f"tasks/{key}")
        return TASK.parse(response.body), parse_retry_after(response.headers.get("Retry-After"))

    async def fetch_many(
        self, keys: Collection[str]
    ) -> tuple[Mapping[str, TaskInfo], float | None]:
        """``GET /tasks``, structuring only the items whose id is in ``keys``."""
        response = await self._transport.request("GET", "tasks")
        wanted = keys if isinstance(keys, (set, frozenset, dict)) else set(keys)
        listed: dict[str, TaskInfo] = {}
        for raw in TASKS.raw_items(response.body):
            key = raw.get("TaskId") if isinstance(raw, dict) else None
            if isinstance(key, str) and key in wanted:
                listed[key] = TASKS.structure(raw)
        return listed, parse_retry_after(response.headers.get("Retry-After"))

    def progress(self, value: TaskInfo) -> Progress:
        """Only ``Running`` and ``OperationFinished`` are in progress; an end state
        is a failure with ``Success="false"``, or with no result but ``Finished``."""
        if not value.ended:
            return Progress.RUNNING
        result = value.result
        if (result is not None and not result.success) or (
            result is None and value.state != TaskState.FINISHED
        ):
            return Progress.FAILED
        return Progress.SUCCEEDED

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

        For a service that restarted while a task ran: ``await
        em.tasks.handle("task-7")`` resumes waiting. Note that EM lists only
        the current logon session's tasks in ``GET /tasks``; the watcher then
        fetches such a task by id.
        """
        if isinstance(task, TaskInfo):
            return Task(self._tasks, self._tasks.entry(task_id(task), task))
        return Task(self._tasks, self._tasks.entry(task_id(task)))
