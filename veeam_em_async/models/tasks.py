"""Tasks (``<Task>``): what EM returns for every asynchronous action."""

from __future__ import annotations

import attrs

from .common import HasLinks, Link, Model, xml


class TaskState:
    """Known ``State`` values. ``OperationFinished`` means the backup server is
    done but EM has not yet stored the outcome: it is not ``Finished``.

    Only the documented in-progress states keep a wait going. Any other state
    (``Finished``, or one EM adds later such as ``Cancelled``) ends it, so a
    task in a state this version does not know is never polled forever.
    """

    RUNNING = "Running"
    OPERATION_FINISHED = "OperationFinished"
    FINISHED = "Finished"
    IN_PROGRESS = frozenset({RUNNING, OPERATION_FINISHED})


@attrs.frozen
class TaskResult(Model):
    success: bool = xml("@Success")
    message: str | None = None
    #: EM needs credentials (or a confirmation) before it can go on: the task
    #: did not fail on its own account.
    credentials_needed: bool | None = xml("@CredentialsNeeded", default=None)
    confirmation_needed: bool | None = xml("@ConfirmationNeeded", default=None)


@attrs.frozen
class TaskInfo(Model, HasLinks):
    """One snapshot of a task, from an action's 202 body or ``GET /tasks/{id}``."""

    id: str = xml("TaskId")
    href: str | None = xml("@Href", default=None)
    type: str | None = xml("@Type", default=None)
    state: str | None = None
    operation: str | None = None
    result: TaskResult | None = None
    links: list[Link] = xml("Links/Link", factory=list)

    @property
    def finished(self) -> bool:
        """EM reported ``Finished``."""
        return self.state == TaskState.FINISHED

    @property
    def ended(self) -> bool:
        """No longer in progress: ``Finished``, or a state not known to be in
        progress. A body with no ``State`` ends only if it carries a ``Result``."""
        if self.state is None:
            return self.result is not None
        return self.state not in TaskState.IN_PROGRESS
