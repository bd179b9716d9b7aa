"""Veeam Agent backup jobs (``/agents/jobs``): references, entities, actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import documents, responses
from ..responses import SESSION, by_id, error, xml
from ..state import SimJob
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """agent jobs: method, URL and handler of each route."""
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
        return responses.act(sim.api, sim.state, request[SESSION], job, action)

    return [
        ("GET", "/api/agents/jobs", agent_jobs),
        ("GET", "/api/agents/jobs/{id}", agent_job_entity),
        ("POST", "/api/agents/jobs/{id}", agent_job_action),
    ]
