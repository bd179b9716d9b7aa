"""The simulator's answers as EM words them: XML bodies and ``<Error>`` documents.

One place for every route module (server, sessions, query, agent jobs and
the rest), so an answer's content type and error shape cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from aiohttp import web

from . import documents
from .state import EMState, RefusedError, SimJob, SimSession, SimTask

__all__ = [
    "SESSION",
    "TOKEN",
    "accepted",
    "act",
    "by_id",
    "error",
    "job_xml",
    "not_found",
    "task_xml",
    "xml",
]

T = TypeVar("T")

#: EM's session header (and cookie).
TOKEN = "X-RestSvcSessionId"  # noqa: S105 - a header name
#: Where the auth middleware leaves the request's logon session for the handlers.
#: (aiohttp 3.14 wants typed request keys; older versions take a string.)
SESSION: Any = web.RequestKey("session", SimSession) if hasattr(web, "RequestKey") else "session"


def xml(body: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """An XML answer."""
    return web.Response(status=status, text=body, content_type="application/xml", headers=headers)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """EM's ``<Error Message=… StatusCode=…>`` answer."""
    return xml(documents.error(status, message), status, headers)


def not_found(what: str, ident: str) -> web.HTTPNotFound:
    """EM's 404 for an unknown ``what`` (to raise from a handler)."""
    return web.HTTPNotFound(
        text=documents.error(404, f"{what} {ident} was not found"),
        content_type="application/xml",
    )


def by_id(table: Mapping[str, T], request: web.Request, what: str) -> T:
    """The ``what`` (a job, a session…) the URL's ``{id}`` names, in ``table``
    (keyed by lower-case id), or EM's 404 raised."""
    found = table.get(request.match_info["id"].lower())
    if found is None:
        raise not_found(what, request.match_info["id"])
    return found


# -- what an action or an entity answers, from the state ------------------------------


def job_xml(api: str, state: EMState, job: SimJob) -> str:
    """The ``<Job>`` entity of ``job``."""
    next_run = datetime(2030, 1, 1, tzinfo=timezone.utc) + timedelta(hours=job.index)
    return documents.job_entity(
        api, job.id, job.name, job.job_type, job.platform, job.description,
        job.schedule_enabled, next_run if job.schedule_enabled else None, job.index,
        state.includes.get(job.id, ()),
    )  # fmt: skip


def accepted(api: str, state: EMState, task: SimTask) -> web.Response:
    """EM's ``202 Accepted`` with the ``<Task>`` of an action."""
    return xml(task_xml(api, state, task), 202)


def task_xml(api: str, state: EMState, task: SimTask, root: bool = True) -> str:
    """The ``<Task>`` of ``task`` now (a list item without ``root``)."""
    phase = task.state(state.clock())
    done = phase != "Running"
    message = task.message if phase == "Finished" else "OperationFinished"
    related = None
    if task.related:
        related = (f"{api}/jobs/{task.related}?format=Entity", "Job")
    elif task.related_session and state.session_links:
        run = state.job_sessions[task.related_session]
        collection = "replicaSessions" if run.replica else "backupSessions"
        related = (f"{api}/{collection}/{run.id}?format=Entity", run.uid_type)
    return documents.task(
        api, task.id, phase, task.operation,
        (task.success if phase == "Finished" else True) if done else None,
        message if done else None, related if phase == "Finished" else None, root,
    )  # fmt: skip


def act(api: str, state: EMState, session: SimSession, job: SimJob, action: str) -> web.Response:
    """EM's answer to ``action`` on ``job``: 202 and its task, or the 400 refusal."""
    try:
        return accepted(api, state, state.act(session, job, action))
    except RefusedError as refused:
        return error(400, str(refused))
