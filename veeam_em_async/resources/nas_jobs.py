"""``em.nas_jobs``: file share backup jobs (``/nas/jobs``)."""

from __future__ import annotations

import builtins

from ..ids import JobLike
from ..models import EntityRef, NasJob, parse_as, parse_list_as
from ..polling import Task
from .base import JobCollection


class NasJobsResource(JobCollection):
    """Reads and actions on NAS jobs. EM's NAS actions are path style
    (``/nas/jobs/{id}/start``), unlike VM jobs' ``?action=start``."""

    kind = "NasJob"

    async def list(self) -> builtins.list[EntityRef]:
        """``GET /nas/jobs``."""
        response = await self._transport.request("GET", "nas/jobs")
        return parse_list_as(response.body, EntityRef, "EntityReferences", "Ref")

    async def get(self, job: JobLike) -> NasJob:
        """``GET /nas/jobs/{id}?format=Entity``."""
        response = await self._transport.request(
            "GET", f"nas/jobs/{self._id(job)}", params={"format": "Entity"}
        )
        return parse_as(response.body, NasJob, "NASJob")

    async def _action(self, job: JobLike, action: str) -> Task:
        return await self._submit("POST", f"nas/jobs/{self._id(job)}/{action}")
