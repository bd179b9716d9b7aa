"""The simulator's agent jobs (``/agents/jobs``), repositories (``/repositories``)
and job includes (``/jobs/{id}/includes``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from aiohttp import web

from ...xmlio import parse_document
from .. import documents
from ..responses import SESSION, by_id, error, not_found, xml
from ..state import SimJob
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    routes: Table = []

    state = sim.state

    def agent_job(request: web.Request) -> SimJob:
        return by_id(state.agent_jobs, request, "Agent job")

    async def agent_jobs(request: web.Request) -> web.Response:
        refs = "".join(
            documents.ref(
                "AgentBackupJobReference", f"{sim.api}/agents/jobs/{j.id}", j.name, j.uid,
                documents.link("Alternate", f"{sim.api}/agents/jobs/{j.id}?format=Entity", "Job")
                + documents.link("Down", f"{sim.api}/agents/jobs/{j.id}/backupSessions",
                                 "BackupJobSessionReferenceList"),
            )
            for j in state.agent_jobs.values()
        )  # fmt: skip
        return xml(f"<EntityReferences {documents.NS}>{refs}</EntityReferences>")

    async def agent_job_entity(request: web.Request) -> web.Response:
        job = agent_job(request)
        return xml(
            documents.agent_job_entity(
                sim.api, job.id, job.name, job.platform, job.schedule_enabled
            )
        )

    async def agent_job_action(request: web.Request) -> web.Response:
        job = agent_job(request)
        action = request.query.get("action", "")
        if action not in ("start", "stop", "retry", "toggleScheduleEnabled"):
            return error(400, f"Unknown action {action!r}")
        return sim.act(request[SESSION], job, action)

    async def repositories(request: web.Request) -> web.Response:
        refs = "".join(
            documents.ref(
                "RepositoryReference", f"{sim.api}/repositories/{r.id}", r.name, r.uid,
                documents.link("Alternate", f"{sim.api}/repositories/{r.id}?format=Entity",
                               "Repository", r.name),
            )
            for r in state.repositories.values()
        )  # fmt: skip
        return xml(f"<EntityReferences {documents.NS}>{refs}</EntityReferences>")

    async def repository(request: web.Request) -> web.Response:
        repo = by_id(state.repositories, request, "Repository")
        body = documents.repository(
            sim.api, repo.id, repo.name, repo.capacity, repo.free, repo.kind
        )
        return xml(body.replace("<Repository ", f"<Repository {documents.NS} ", 1))

    def vm_job(request: web.Request) -> SimJob:
        return by_id(state.jobs, request, "Job")

    async def includes(request: web.Request) -> web.Response:
        job = vm_job(request)
        href = f"{sim.api}/jobs/{job.id}"
        items = "".join(
            documents.object_in_job(href, oid, ref, name, order)
            for oid, ref, name, order in state.includes.get(job.id, [])
        )
        return xml(f"<ObjectsInJob {documents.NS}>{items}</ObjectsInJob>")

    async def add_include(request: web.Request) -> web.Response:
        job = vm_job(request)
        try:
            root, spec = parse_document(await request.read())
            if root != "CreateObjectInJobSpec":
                raise ValueError(f"expected <CreateObjectInJobSpec>, got <{root}>")
            names = [k for k in spec if not k.startswith("@")]
            expected = ["HierarchyObjRef", "HierarchyObjName", "Order", "GuestProcessingOptions"]
            if names != [k for k in expected if k in names]:  # EM checks the XSD's order
                raise ValueError(f"elements out of the schema's order: {names}")
            ref, name = str(spec["HierarchyObjRef"]), str(spec["HierarchyObjName"])
        except (ValueError, KeyError) as exc:
            return error(400, f"The request body is invalid: {exc}")
        objects = state.includes.setdefault(job.id, [])
        objects.append((str(uuid.UUID(int=state.rng.getrandbits(128))), ref, name, len(objects)))
        return sim.accepted(state.new_task(request[SESSION], "UpdateJob", job=job))

    async def remove_include(request: web.Request) -> web.Response:
        job = vm_job(request)
        wanted = request.match_info["include"].lower()
        objects = state.includes.get(job.id, [])
        kept = [o for o in objects if o[0] != wanted]
        if len(kept) == len(objects):
            raise not_found("Object in job", wanted)
        state.includes[job.id] = kept
        return sim.accepted(state.new_task(request[SESSION], "UpdateJob", job=job))

    routes.append(("GET", "/api/agents/jobs", agent_jobs))
    routes.append(("GET", "/api/agents/jobs/{id}", agent_job_entity))
    routes.append(("POST", "/api/agents/jobs/{id}", agent_job_action))
    routes.append(("GET", "/api/repositories", repositories))
    routes.append(("GET", "/api/repositories/{id}", repository))
    routes.append(("GET", "/api/jobs/{id}/includes", includes))
    routes.append(("POST", "/api/jobs/{id}/includes", add_include))
    routes.append(("DELETE", "/api/jobs/{id}/includes/{include}", remove_include))
    return routes
