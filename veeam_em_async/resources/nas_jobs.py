"""``em.nas_jobs``: file share backup jobs (``/nas/jobs``)."""

from __future__ import annotations

import builtins
from typing import Literal, overload

from ..ids import JobLike
from ..models import ENTITY_REFERENCES, NAS_JOB, EntityRef, NasJob
from ..query._filters import F
from ..waiting._handles import Task
from .base import ENTITY_PAGE_SIZE
from .job_actions import JobCollection


class NasJobsResource(JobCollection):
    """Reads and actions on NAS jobs. EM's NAS actions are path style
    (``/nas/jobs/{id}/start``), unlike VM jobs' ``?action=start``. Runs are backup
    sessions (``JobType`` NasBackup) under the job's UID: nothing to ask first."""

    entity_type = "NasJob"
    entity_model = NasJob

    @overload
    async def list(self, *, entities: Literal[False] = False) -> builtins.list[EntityRef]: ...
    @overload
    async def list(self, *, entities: Literal[True]) -> builtins.list[NasJob]: ...
    async def list(
        self, *, entities: bool = False
    ) -> builtins.list[EntityRef] | builtins.list[NasJob]:
        """``GET /nas/jobs``; with ``entities=True`` every NAS job entity, through
        the query service (``type=NasJob&format=Entities``, ⌈N/200⌉ requests)."""
        if entities:
            return await self._query("NasJob", sort_asc="Name", page_size=ENTITY_PAGE_SIZE).all()
        return await self._list("nas/jobs", ENTITY_REFERENCES)

    async def find(self, name: str) -> builtins.list[NasJob]:
        """The NAS jobs called ``name`` (``*`` wildcard allowed), as entities, in one query."""
        query = self._query(
            "NasJob", filter=F.Name == name, sort_asc="Name", page_size=ENTITY_PAGE_SIZE
        )
        return await query.all()

    async def get(self, job: JobLike) -> NasJob:
        """``GET /nas/jobs/{id}?format=Entity``."""
        return await self._get(f"nas/jobs/{self._id(job)}", NAS_JOB, params={"format": "Entity"})

    async def backup_sessions(self, job: JobLike) -> builtins.list[EntityRef]:
        """``GET /nas/jobs/{id}/backupSessions``: references to the job's sessions."""
        return await self._list(f"nas/jobs/{self._id(job)}/backupSessions", ENTITY_REFERENCES)

    async def _action(self, job: JobLike, action: str) -> Task:
        return await self._submit(
            "POST", f"nas/jobs/{self._id(job)}/{action}", action=action, target=job
        )
