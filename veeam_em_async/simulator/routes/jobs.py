"""VM jobs (``/jobs``) and NAS jobs (``/nas/jobs``): lists, entities and actions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aiohttp import web

from ...xmlio import parse_document
from .. import documents, responses
from ..query_types import job_ref_links
from ..responses import SESSION, by_id
from ..responses import error as _error
from ..responses import xml as _xml
from ..state import SimJob, SimSession
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """jobs: method, URL and handler of each route."""

    def find(table: dict[str, SimJob], request: web.Request) -> SimJob:
        """The job the URL names, or EM's 404 ``<Error>`` answer raised."""
        return by_id(table, request, "NAS job" if table is sim.state.nas_jobs else "Job")

    def refs(jobs: Iterable[SimJob], path: str, type_: str) -> str:
        """``<EntityReferences>`` of jobs, with the vendor's links (the Down link
        names the job's session type)."""
        refs = "".join(
            documents.ref(type_, f"{sim.api}/{path}/{j.id}", j.name, j.uid,
                          job_ref_links(sim.api, j))
            for j in jobs
        )  # fmt: skip
        return f"<EntityReferences {documents.NS}>{refs}</EntityReferences>"

    async def jobs(request: web.Request) -> web.Response:
        return _xml(refs(sim.state.jobs.values(), "jobs", "JobReference"))

    async def nas_jobs(request: web.Request) -> web.Response:
        return _xml(refs(sim.state.nas_jobs.values(), "nas/jobs", "NasJobReference"))

    async def job(request: web.Request) -> web.Response:
        return _xml(responses.job_xml(sim.api, sim.state, find(sim.state.jobs, request)))

    async def nas_job(request: web.Request) -> web.Response:
        job = find(sim.state.nas_jobs, request)
        return _xml(
            documents.nas_job_entity(
                sim.api, job.id, job.name, job.description, job.schedule_enabled, job.index
            )
        )

    async def job_action(request: web.Request) -> web.Response:
        job = find(sim.state.jobs, request)
        action = request.query.get("action", "").rstrip("/")
        session: SimSession = request[SESSION]
        if action == "clone":
            body = await request.read()
            try:
                _, content = parse_document(body)
                (info,) = [v for k, v in content.items() if k.endswith("CloneInfo")]
                name = str(info["JobName"])
            except (ValueError, KeyError, TypeError) as exc:
                return _error(400, f"The clone specification is invalid: {exc}")
            return responses.accepted(sim.api, sim.state, sim.state.clone(session, job, name))
        return responses.act(sim.api, sim.state, session, job, action)

    async def job_edit(request: web.Request) -> web.Response:
        job = find(sim.state.jobs, request)
        if request.query.get("action") != "edit":
            return _error(405, "Use PUT /jobs/{ID}?action=edit")
        try:
            root, content = parse_document(await request.read())
        except ValueError as exc:
            return _error(400, f"The request body is malformed: {exc}")
        if root != "Job":
            return _error(400, f"Expected <Job>, got <{root}>")
        if isinstance(content.get("Description"), str):
            job.description = content["Description"]
        enabled = content.get("ScheduleEnabled")
        if isinstance(enabled, str):
            job.schedule_enabled = enabled.lower() == "true"
        session: SimSession = request[SESSION]
        return responses.accepted(
            sim.api, sim.state, sim.state.new_task(session, "EditJob", job=job)
        )

    async def nas_action(request: web.Request) -> web.Response:
        job = find(sim.state.nas_jobs, request)
        return responses.act(
            sim.api, sim.state, request[SESSION], job, request.match_info["action"]
        )

    return [
        ("GET", "/api/jobs", jobs),
        ("GET", "/api/jobs/{id}", job),
        ("POST", "/api/jobs/{id}", job_action),
        ("PUT", "/api/jobs/{id}", job_edit),
        ("GET", "/api/nas/jobs", nas_jobs),
        ("GET", "/api/nas/jobs/{id}", nas_job),
        ("POST", "/api/nas/jobs/{id}/{action}", nas_action),
    ]
