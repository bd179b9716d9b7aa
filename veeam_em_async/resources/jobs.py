"""``em.jobs``: VM jobs (``/jobs``)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, overload

from ..bulk import ActionOutcome
from ..errors import APIError, ResponseParseError
from ..ids import JobLike, entity_id
from ..models import (
    ENTITY_REFERENCES,
    JOB,
    OBJECTS_IN_JOB,
    EntityRef,
    Job,
    JobSession,
    JobType,
    NasJob,
    ObjectInJob,
)
from ..models.hierarchy import backup_server_uid
from ..models.requests import JobCloneSpec, JobEdit
from ..models.schema_order import in_schema_order
from ..policies import PollPolicy
from ..query._filters import F, condition, one_of
from ..waiting._handles import Task
from ..xmlio import render_document
from .base import ENTITY_PAGE_SIZE
from .bulk_actions import CopyJobs, J, Plan
from .job_actions import JobCollection, RunTarget

#: Job types EM refuses to ``start`` ("use sync"): a bulk start may sync or skip them.
COPY_JOB_TYPES = frozenset({JobType.BACKUP_COPY, JobType.IMMEDIATE_BACKUP_COPY})
#: From this many jobs given without their entity, ``run_many`` reads all jobs in one query.
BULK_LOOKUP = 10


class JobsResource(JobCollection):
    """Reads and actions on VM jobs (backup, replica, backup copy).

    Every action returns a `Task` as soon as EM accepts it; ``await``
    the task to wait until EM reports it ``Finished``.
    """

    entity_type = "Job"

    @overload
    async def list(self, *, entities: Literal[False] = False) -> builtins.list[EntityRef]: ...
    @overload
    async def list(self, *, entities: Literal[True]) -> builtins.list[Job]: ...
    async def list(
        self, *, entities: bool = False
    ) -> builtins.list[EntityRef] | builtins.list[Job]:
        """``GET /jobs``: a reference to every job on every backup server.

        With ``entities=True``, every job *entity*, read through the query
        service (``type=Job&format=Entities``, sorted by name, pages of
        `ENTITY_PAGE_SIZE`): ⌈N/200⌉ requests instead of N+1 GETs.
        """
        if entities:
            return await self._query("Job", sort_asc="Name", page_size=ENTITY_PAGE_SIZE).all()
        return await self._list("jobs", ENTITY_REFERENCES)

    async def find(self, name: str) -> builtins.list[Job]:
        """The jobs called ``name`` (EM's ``*`` wildcard allowed: ``"SQL*"``), as
        entities, in one query. EM compares names without regard to case."""
        query = self._query(
            "Job", filter=F.Name == name, sort_asc="Name", page_size=ENTITY_PAGE_SIZE
        )
        return await query.all()

    async def get(self, job: JobLike) -> Job:
        """``GET /jobs/{id}?format=Entity``: the full job."""
        return await self._get(f"jobs/{self._id(job)}", JOB, params={"format": "Entity"})

    async def backup_sessions(self, job: JobLike) -> builtins.list[EntityRef]:
        """``GET /jobs/{id}/backupSessions``: references to the job's sessions."""
        return await self._list(f"jobs/{self._id(job)}/backupSessions", ENTITY_REFERENCES)

    async def includes(self, job: JobLike) -> builtins.list[ObjectInJob]:
        """``GET /jobs/{id}/includes``: the VMs and containers the job processes."""
        return await self._list(f"jobs/{self._id(job)}/includes", OBJECTS_IN_JOB)

    async def add_include(
        self,
        job: JobLike,
        hierarchy_obj_ref: str,
        name: str,
        *,
        order: int | None = None,
        guest_processing: Mapping[str, Any] | None = None,
    ) -> Task:
        """``POST /jobs/{id}/includes``: add a VM or container to the job.

        ``hierarchy_obj_ref`` is EM's reference (``urn:VMware:Vm:<host>.vm-42``),
        ``name`` its ``HierarchyObjName``; ``guest_processing`` is the content of
        ``<GuestProcessingOptions>`` as a mapping of EM element names, in any
        order (it is sent in the schema's, with the rest of the body).
        """
        body = render_document(
            "CreateObjectInJobSpec",
            in_schema_order("CreateObjectInJobSpec", {
                "HierarchyObjRef": hierarchy_obj_ref, "HierarchyObjName": name,
                "Order": order, "GuestProcessingOptions": guest_processing,
            }),
        )  # fmt: skip
        return await self._submit(
            "POST", f"jobs/{self._id(job)}/includes", body=body, action="add_include", target=job
        )

    async def remove_include(self, job: JobLike, include: ObjectInJob | str) -> Task:
        """``DELETE /jobs/{id}/includes/{id}``: take an object out of the job.

        ``include`` is an `ObjectInJob` from `includes` or its
        ``ObjectInJobId``.
        """
        include_id = include.object_in_job_id if isinstance(include, ObjectInJob) else include
        object_id = entity_id(include_id or "", "ObjectInJob")  # a UUID, checked like a job's
        return await self._submit(
            "DELETE", f"jobs/{self._id(job)}/includes/{object_id}", action="remove_include",
            target=job,
        )  # fmt: skip

    run_actions = ("start", "retry", "sync")
    entity_model = Job

    async def _run_target(self, job: JobLike, known: Mapping[str, Any] | None = None) -> RunTarget:
        """A replica job's runs are replica sessions: the job's type decides, so a
        job given by id or reference is read first (one GET), unless ``run_many``
        read it with the others."""
        entity = job if isinstance(job, Job) else (known or {}).get(self._id(job))
        if entity is None:
            entity = await self.get(job)
        return await super()._run_target(entity)

    async def _known_jobs(self, jobs: Sequence[JobLike]) -> Mapping[str, Any]:
        """With many jobs given by id or reference, one query reads every job
        (``GET /query?type=Job&format=Entities``) instead of one GET each; if EM
        refuses it, each job is read alone."""
        if sum(1 for job in jobs if not isinstance(job, Job)) < BULK_LOOKUP:
            return {}
        try:
            found = await self.list(entities=True)
        except (APIError, ResponseParseError):
            return {}
        return {job.id: job for job in found if job.id}

    async def _watermarks(self, entities: Mapping[str, Any]) -> dict[str, JobSession | None]:
        """The newest session of each session type on each backup server, read
        once before the starts, stands in for every job's own newest session: a
        session created after it is newer than any run that existed then (its
        times come from that server's clock, so servers are never mixed). One
        query per server and type instead of one per job."""
        groups: dict[tuple[str, str], list[str]] = {}
        for job_id, job in entities.items():
            server = backup_server_uid(job.links)
            if server:
                groups.setdefault((self._session_kind(job), server), []).append(job_id)
        marks: dict[str, JobSession | None] = {}
        for (kind, server), ids in groups.items():
            on_server = condition("BackupServerUid", "==", server)
            newest = await self._query(kind, filter=on_server, sort_desc="CreationTime").first()
            marks.update(dict.fromkeys(ids, newest))
        return marks

    async def _action(self, job: JobLike, action: str, body: bytes | None = None) -> Task:
        """``POST /jobs/{id}?action=…``: VM jobs' actions are query style."""
        return await self._submit(
            "POST", f"jobs/{self._id(job)}", params={"action": action}, body=body, target=job
        )

    async def sync(self, job: JobLike) -> Task:
        """``POST /jobs/{id}?action=sync`` (backup copy jobs only)."""
        return await self._action(job, "sync")

    async def sync_many(
        self, jobs: Iterable[J], concurrency: int | None = None, wait: bool = True,
        poll_policy: PollPolicy | None = None, **options: Any,
    ) -> builtins.list[ActionOutcome[J]]:  # fmt: skip
        """Sync every backup copy job: `act_many` with ``"sync"``."""
        return await self.act_many("sync", jobs, concurrency, wait, poll_policy, **options)

    async def _plan(
        self,
        jobs: builtins.list[Any],
        action: str,
        copy_jobs: CopyJobs,
        known: Mapping[str, Any] | None = None,
    ) -> Plan:
        """A start of a backup copy job becomes a sync or a skip, as asked. The types
        of jobs given without their entity come from ``known``, or from one query
        for the backup copy jobs alone (a few entities, not every job's)."""
        if action != "start" or copy_jobs == "start":
            return [(action, None)] * len(jobs)
        # ``known``, when given, is every job EM has: one not in it is not a copy job.
        types = {job_id: job.job_type for job_id, job in (known or {}).items()}
        if not types and not all(isinstance(job, Job) for job in jobs):
            copies = self._query(
                "Job", filter=one_of("JobType", sorted(COPY_JOB_TYPES)), page_size=ENTITY_PAGE_SIZE
            )
            types = {job.id: job.job_type for job in await copies.all() if job.id}
        plan: Plan = []
        for job in jobs:
            kind = job.job_type if isinstance(job, Job) else types.get(self._id(job))
            if kind not in COPY_JOB_TYPES:
                plan.append((action, None))
            elif copy_jobs == "sync":
                plan.append(("sync", None))
            else:
                plan.append((None, f"{kind} job: EM cannot start it, only sync it"))
        return plan

    async def clone(self, job: JobLike, spec: JobCloneSpec) -> Task:
        """``POST /jobs/{id}?action=clone`` with a `JobCloneSpec` body.

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
            target=job,
        )
