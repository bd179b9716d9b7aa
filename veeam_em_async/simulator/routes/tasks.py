"""EM's tasks (``/tasks``): each belongs to the logon session that created it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import documents, responses
from ..responses import SESSION
from ..responses import error as _error
from ..responses import xml as _xml
from ..state import SimSession, SimTask
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """tasks: method, URL and handler of each route."""

    async def tasks(request: web.Request) -> web.Response:
        session: SimSession = request[SESSION]
        now = sim.state.clock()
        return _xml(documents.tasks(list_item(sim.state.tasks[t], now) for t in session.tasks))

    def list_item(task: SimTask, now: float) -> str:
        """A task as an item of ``GET /tasks``; a finished one is rendered once, so
        that a session with a long history is cheap to list (as it is for EM)."""
        if task.final_item is not None:
            return task.final_item
        item = responses.task_xml(sim.api, sim.state, task, root=False)
        if task.state(now) == "Finished":
            task.final_item = item
        return item

    async def task(request: web.Request) -> web.Response:
        task_id = request.match_info["id"]
        task = sim.state.tasks.get(task_id)
        session: SimSession = request[SESSION]
        if sim.state.session_tasks and (task is None or task.session_id != session.id):
            # A real EM keeps a task within the logon session that created it and
            # answers any other with this 500 (the message as a production
            # integration that polls EM tasks quotes it; issue 22).
            return _error(
                500, f"There is no backup task with id [{task_id}] in current rest session"
            )
        if task is None:
            return _error(404, f"Task {task_id} was not found")
        return _xml(responses.task_xml(sim.api, sim.state, task))

    return [
        ("GET", "/api/tasks", tasks),
        ("GET", "/api/tasks/{id}", task),
    ]
