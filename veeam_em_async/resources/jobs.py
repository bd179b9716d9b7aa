"""``em.jobs``: VM jobs (``/jobs``)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping

from ..ids import JobLike
from ..models import EntityRef, Job, NasJob, parse_as, parse_list_as
from ..models.requests import JobCloneSpec, JobEdit
from ..polling import Task
from .base import JobCollection


class JobsResource(JobCollection):
    """Reads and actions on VM jobs (backup, replica, backup copy).

    Every action returns a :class:`Task` as soon as EM accepts it; ``await``
    the task to wait until EM reports it ``Finished``.
    """

    kind = "Job"

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

    async def _action(self, job: JobLike, action: str, body: bytes | None = None) -> Task:
        return await self._submit(
            "POST", f"jobs/{self._id(job)}", params={"action": action}, body=body
        )

    async def sync(self, job: JobLike) -> Task:
        """``POST /jobs/{id}?action=sync`` (backup copy jobs only)."""
        return await self._action(job, "sync")

    async def clone(self, job: JobLike, spec: JobCloneSpec) -> Task:
        """``POST /jobs/{id}?action=clone`` with a :class:`JobCloneSpec` body.

        The finished task links (``Rel="Related"``) to the new job.
        """
        return await self._action(job, "clone", spec.to_xml())

    async def edit(self, job: JobLike, changes: JobEdit) -> Task:
        """``PUT /jobs/{id}?action=edit`` with a partial ``<Job>`` body.

        Given a ``Job`` or ``EntityRef``, its ``Type``/``Href``/``Name``/``UID``
        are echoed as attributes, as in EM's own example.
        """
        attributes: Mapping[str, str | None] | None = None
        if isinstance(job, (Job, EntityRef, NasJob)):
            attributes = {"Type": job.type, "Href": job.href, "Name": job.name, "UID": job.uid}
        return await self._submit(
            "PUT",
            f"jobs/{self._id(job)}",
            params={"action": "edit"},
            body=changes.to_xml(attributes),
        )
