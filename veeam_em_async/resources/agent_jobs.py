"""``em.agent_jobs``: Veeam Agent backup jobs (``/agents/jobs``)."""

from __future__ import annotations

import builtins
from typing import Literal, overload

from ..ids import JobLike
from ..models import AGENT_JOB, ENTITY_REFERENCES, AgentBackupJob, EntityRef
from ..query._filters import F
from ..waiting._handles import Task
from .base import ENTITY_PAGE_SIZE
from .job_actions import JobCollection


class AgentJobsResource(JobCollection):
    """Reads and actions on agent jobs; actions are ``POST /agents/jobs/{id}?action=…``.

    A job is given as its UUID, its UID (``urn:veeam:AgentBackupJob:…``, as
    ``GET /agents/jobs`` lists them), an `EntityRef` or the model. The
    URL is always built from the UUID under ``/agents/jobs`` (never from an
    ``Href``), which is also where EM's NAS references point. Runs are backup
    sessions (the job's Down link is a ``BackupJobSessionReferenceList``) under
    the job's own UID.
    """

    entity_type = "AgentBackupJob"
    entity_model = AgentBackupJob

    @overload
    async def list(self, *, entities: Literal[False] = False) -> builtins.list[EntityRef]: ...
    @overload
    async def list(self, *, entities: Literal[True]) -> builtins.list[AgentBackupJob]: ...
    async def list(
        self, *, entities: bool = False
    ) -> builtins.list[EntityRef] | builtins.list[AgentBackupJob]:
        """``GET /agents/jobs``; with ``entities=True`` every agent job entity
        through the query service (``type=AgentBackupJob``, ⌈N/200⌉ requests)."""
        if entities:
            query = self._query("AgentBackupJob", sort_asc="Name", page_size=ENTITY_PAGE_SIZE)
            return await query.all()
        return await self._list("agents/jobs", ENTITY_REFERENCES)

    async def find(self, name: str) -> builtins.list[AgentBackupJob]:
        """The agent jobs called ``name`` (``*`` wildcard allowed), as entities, in one query."""
        query = self._query(
            "AgentBackupJob", filter=F.Name == name, sort_asc="Name", page_size=ENTITY_PAGE_SIZE
        )
        return await query.all()

    async def get(self, job: JobLike) -> AgentBackupJob:
        """``GET /agents/jobs/{id}?format=Entity``."""
        path = f"agents/jobs/{self._id(job)}"
        return await self._get(path, AGENT_JOB, params={"format": "Entity"})

    async def _action(self, job: JobLike, action: str) -> Task:
        return await self._submit(
            "POST", f"agents/jobs/{self._id(job)}", params={"action": action}, target=job
        )
