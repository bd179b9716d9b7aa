"""``em.tasks``: the tasks EM creates for asynchronous actions (``/tasks``)."""

from __future__ import annotations

import builtins

from ..ids import TaskLike, task_id
from ..models import TaskInfo, parse_as, parse_list_as
from ..transport import Transport


class TasksResource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def get(self, task: TaskLike) -> TaskInfo:
        """``GET /tasks/{id}``: one snapshot of the task."""
        response = await self._transport.request("GET", f"tasks/{task_id(task)}")
        return parse_as(response.body, TaskInfo, "Task")

    async def list(self) -> builtins.list[TaskInfo]:
        """``GET /tasks``: every task of the current logon session."""
        response = await self._transport.request("GET", "tasks")
        return parse_list_as(response.body, TaskInfo, "Tasks", "Task")
