"""Tasks (``<Task>``): what EM returns for every asynchronous action."""

from __future__ import annotations

import attrs

from .common import HasLinks, Link, xml


class TaskState:
    """Known ``State`` values. ``OperationFinished`` means the backup server is
    done but EM has not yet stored the outcome: it is not ``Finished``."""

    RUNNING = "Running"
    OPERATION_FINISHED = "OperationFinished"
    FINISHED = "Finished"


@attrs.frozen
class TaskResult:
    success: bool = xml("@Success")
    message: str | None = None


@attrs.frozen
class TaskInfo(HasLinks):
    """One snapshot of a task, from an action's 202 body or ``GET /tasks/{id}``."""

    id: str = xml("TaskId")
    href: str | None = xml("@Href", default=None)
    state: str | None = None
    operation: str | None = None
    result: TaskResult | None = None
    links: list[Link] = xml("Links/Link", factory=list)

    @property
    def finished(self) -> bool:
        return self.state == TaskState.FINISHED
