"""What VM jobs and NAS jobs share: the job argument, the four actions, bulk start."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from ..bulk import ActionOutcome, Progress, run_many
from ..handles import Task
from ..ids import JobLike, entity_id
from ..policies import PollPolicy
from .base import Resource


class JobCollection(Resource):
    """Base of ``em.jobs`` and ``em.nas_jobs``; each says how its actions are addressed."""

    #: The entity type a UID of this collection must name (``urn:veeam:<type>:<uuid>``).
    entity_type = "Job"

    def _id(self, job: JobLike) -> str:
        return entity_id(job, self.entity_type)

    async def _action(self, job: JobLike, action: str) -> Task:  # pragma: no cover
        raise NotImplementedError  # each collection knows its URL style

    async def start(self, job: JobLike) -> Task:
        """Start the job (``?action=start`` for VM jobs, ``/start`` for NAS jobs)."""
        return await self._action(job, "start")

    async def stop(self, job: JobLike) -> Task:
        """Stop the job's running session."""
        return await self._action(job, "stop")

    async def retry(self, job: JobLike) -> Task:
        """Retry the job's last failed run."""
        return await self._action(job, "retry")

    async def toggle_schedule_enabled(self, job: JobLike) -> Task:
        """Enable the job's schedule if disabled, disable it if enabled."""
        return await self._action(job, "toggleScheduleEnabled")

    async def start_many(
        self,
        jobs: Iterable[JobLike],
        concurrency: int | None = None,
        wait: bool = True,
        poll_policy: PollPolicy | None = None,
        *,
        progress: Progress | None = None,
        raise_on_error: bool = False,
        timeout: float | None = None,
    ) -> builtins.list[ActionOutcome]:
        """Start every job; return one :class:`ActionOutcome` per input, in order.

        At most ``concurrency`` start requests are in flight (default: the
        client's ``max_connections``). With ``wait=True`` every task is awaited
        (each for at most ``timeout`` seconds) through the shared watcher.
        ``progress(done, total)`` is called as outcomes arrive. One job's
        failure never raises, unless ``raise_on_error=True``: then an
        ``ExceptionGroup`` of the failures is raised, each noted with its job.
        """
        return await run_many(
            self.start,
            jobs,
            concurrency=concurrency or self._transport.max_connections,
            wait=wait,
            poll_policy=poll_policy,
            progress=progress,
            raise_on_error=raise_on_error,
            timeout=timeout,
        )
