"""``em.tasks``: the tasks EM creates for asynchronous actions (``/tasks``)."""

from __future__ import annotations

import builtins

from ..ids import TaskLike, task_id
from ..models import TaskInfo, parse_list_as
from ..polling import Task, TaskWatcher
from ..transport import Transport


class TasksResource:
    def __init__(self, transport: Transport, watcher: TaskWatcher) -> None:
        self._transport = transport
        self._watcher = watcher

    async def get(self, task: TaskLike) -> TaskInfo:
        """``GET /tasks/{id}``: one snapshot of the task."""
        info, _ = await self._watcher.fetch(task_id(task))
        return info

    async def list(self) -> builtins.list[TaskInfo]:
        """``GET /tasks``: every task of the current logon session."""
        response = await self._transport.request("GET", "tasks")
        return parse_list_as(response.body, TaskInfo, "Tasks", "Task")

    def handle(self, task: TaskLike) -> Task:
        """A handle on a task known only by its id (no request is sent).

        For a service that restarted while a task ran: ``await
        em.tasks.handle("task-7")`` resumes waiting. Note that EM lists only
        the current logon session's tasks in ``GET /tasks``; the watcher then
        fetches such a task by id.
        """
        if isinstance(task, TaskInfo):
            return self._watcher.handle(task.id, task)
        return self._watcher.handle(task_id(task))
