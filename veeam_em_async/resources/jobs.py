"""``em.jobs``: VM jobs (``/jobs``)."""

from __future__ import annotations

import builtins

from ..ids import JobLike, entity_id
from ..models import EntityRef, Job, parse_as, parse_list_as
from ..transport import Transport


class JobsResource:
    """Reads and actions on VM jobs (backup, replica, backup copy)."""

    kind = "Job"

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _id(self, job: JobLike) -> str:
        return entity_id(job, self.kind)

    async def list(self) -> builtins.list[EntityRef]:
        """``GET /jobs``: a reference to every job on every backup server."""
        response = await self._transport.request("GET", "jobs")
        return parse_list_as(response.body, EntityRef, "EntityReferences", "Ref")

    async def get(self, job: JobLike) -> Job:
        """``GET /jobs/{id}?format=Entity``: the full job."""
        response = await self._transport.request(
            "GET", f"jobs/{self._id(job)}", params={"format": "Entity"}
        )
        return parse_as(response.body, Job, "Job")

    async def backup_sessions(self, job: JobLike) -> builtins.list[EntityRef]:
        """``GET /jobs/{id}/backupSessions``: references to the job's sessions."""
        response = await self._transport.request("GET", f"jobs/{self._id(job)}/backupSessions")
        return parse_list_as(response.body, EntityRef, "EntityReferences", "Ref")
