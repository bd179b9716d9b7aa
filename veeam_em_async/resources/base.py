"""The one pattern every resource follows (aiodocker's ``volumes.py``).

A resource is URLs and document kinds: ``_get(path, JOB)`` reads one
entity, ``_list(path)`` a list of references, ``_submit(...)`` sends an
action and returns the `Task` EM created for it. Re-logon, retries,
limits and error mapping are the transport's; polling is the watcher's.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from ..actions import Action, audit, target_of
from ..ids import id_from_em
from ..models import Doc, ListDoc
from ..query import Query
from ..runs import RunContext
from ..transport import Transport
from ..waiting._handles import Task, TaskWatcher
from ._task_answers import read_answer
from ._task_items import answered

T = TypeVar("T")

#: Page size when a resource reads entities through the query service: a
#: job entity is a few kB, so a page stays a few MB, well inside the body bound.
ENTITY_PAGE_SIZE = 200


class Resource:
    """Base of ``em.jobs``, ``em.nas_jobs``, ``em.tasks`` and every later namespace."""

    def __init__(
        self, transport: Transport, tasks: TaskWatcher, runs: RunContext | None = None
    ) -> None:
        self._transport = transport
        self._tasks = tasks
        self._runs_context = runs

    @property
    def _runs(self) -> RunContext:
        assert self._runs_context is not None, "this resource was made without job runs"
        return self._runs_context

    async def _get(self, path: str, doc: Doc[T], params: Mapping[str, str] | None = None) -> T:
        """``GET path`` parsed as ``doc``."""
        response = await self._transport.request("GET", path, params=params)
        return doc.parse(response.body)

    async def _list(self, path: str, doc: ListDoc[T]) -> builtins.list[T]:
        """``GET path`` parsed as the list document ``doc``."""
        response = await self._transport.request("GET", path)
        return doc.parse(response.body)

    def _bulk_span(self, action: str, jobs: int) -> AbstractContextManager[Any]:
        """The ``veeam_em.bulk`` span around one bulk call: the action and the job count."""
        attributes = {"veeam_em.action": action, "veeam_em.jobs": jobs}
        return self._transport.telemetry.span("veeam_em.bulk", attributes)

    def _query(self, query_type: str, **options: Any) -> Query[Any]:
        """The query service over ``query_type`` (see `Query`)."""
        return Query(self._transport, query_type, **options)

    async def _submit(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        action: str | None = None,
        target: Any = None,
    ) -> Task:
        """Send an action and return the handle on the task EM created for it.

        The client's ``before_action`` hook is awaited first, once (never again on
        the transport's re-send after a 401): if it raises, nothing is sent. What
        was sent is audited (`veeam_em_async.actions.audit`). The transport never
        re-sends an action after a timeout, a dropped connection or any status but
        401, so a ``TransportError`` here means: it may or may not have run. EM
        answers ``202 Accepted`` with a ``<Task>`` body.
        """
        target_id, target_name = target_of(target)
        word = action or (params or {}).get("action") or method.lower()
        act = Action(method, path, word, target_id, target_name)
        hook = self._transport.before_action
        if hook is not None:
            await hook(act)
        try:
            response = await self._transport.request(method, path, params=params, body=body)
            info = read_answer(response.body)
            # The id goes into every poll's URL with the token: check it like a caller's.
            key = id_from_em(info.id, "TaskId", response.body)
        except Exception as exc:
            audit(act, error=exc)
            raise
        audit(act, task_id=key)
        # The answer is the task's first listing: kept with the value, so that a
        # poll that finds the task already ended parses only its result and links.
        return Task(self._tasks, self._tasks.track(key, info, answered(response.body, info)))
