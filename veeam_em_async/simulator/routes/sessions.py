"""The simulator's job session routes: ``/backupSessions``, ``/replicaSessions``,
their task sessions, ``stop``, and the sessions of one job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import documents, responses
from ..job_sessions import SimJobSession
from ..responses import SESSION, by_id, error, not_found, xml
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    routes: Table = []

    state = sim.state

    def find(request: web.Request, replica: bool) -> SimJobSession:
        run = state.job_sessions.get(request.match_info["id"].lower())
        if run is None or run.replica != replica:
            raise not_found("Session", request.match_info["id"])
        return run

    def references(runs: list[SimJobSession]) -> web.Response:
        rows = []
        for run in runs:
            path = "replicaSessions" if run.replica else "backupSessions"
            href = f"{sim.api}/{path}/{run.id}"
            uid = f"urn:veeam:{run.uid_type}:{run.id}"
            name = f"{run.job_name}@{run.id[:8]}"
            rows.append((f"{run.uid_type}Reference", href, name, uid, f"{href}?format=Entity"))
        return xml(documents.references(rows))

    def collection(replica: bool) -> None:
        base = "/api/replicaSessions" if replica else "/api/backupSessions"
        tasks = "replicaTaskSessions" if replica else "taskSessions"

        async def list_sessions(request: web.Request) -> web.Response:
            now = state.clock()
            return references(
                [r for r in state.job_sessions.values() if r.replica == replica and r.listed(now)]
            )

        async def get_session(request: web.Request) -> web.Response:
            run = find(request, replica)
            entity = request.query.get("format") == "Entity"
            return xml(documents.job_session(sim.api, run, state.clock(), entity=entity))

        async def stop_session(request: web.Request) -> web.Response:
            if request.query.get("action") != "stop":
                return error(400, "Unknown action")
            run = find(request, replica)
            return responses.accepted(sim.api, sim.state, state.stop_session(request[SESSION], run))

        async def task_sessions(request: web.Request) -> web.Response:
            run = find(request, replica)
            kind = "ReplicaTaskSession" if replica else "BackupTaskSession"
            path = "replicaTaskSessions" if replica else "backupTaskSessions"
            rows = [
                (f"{kind}Reference", f"{sim.api}/{path}/{tid}", f"{run.job_name} VM {n + 1}",
                 f"urn:veeam:{kind}:{tid}", f"{sim.api}/{path}/{tid}?format=Entity")
                for n, tid in zip(run.vms, run.task_ids, strict=True)
            ]  # fmt: skip
            return xml(documents.references(rows))

        routes.append(("GET", base, list_sessions))
        routes.append(("GET", f"{base}/{{id}}", get_session))
        routes.append(("POST", f"{base}/{{id}}", stop_session))
        routes.append(("GET", f"{base}/{{id}}/{tasks}", task_sessions))

    collection(replica=False)
    collection(replica=True)

    async def task_session(request: web.Request) -> web.Response:
        found = state.task_sessions.get(request.match_info["id"].lower())
        if found is None:
            raise not_found("Task session", request.match_info["id"])
        run, index = found
        return xml(documents.task_session(sim.api, run, index, state.clock()))

    routes.append(("GET", "/api/backupTaskSessions/{id}", task_session))
    routes.append(("GET", "/api/replicaTaskSessions/{id}", task_session))

    def sessions_of(nas: bool) -> None:
        table = state.nas_jobs if nas else state.jobs

        async def sessions_of_job(request: web.Request) -> web.Response:
            job = by_id(table, request, "NAS job" if nas else "Job")
            now = state.clock()
            runs = [state.job_sessions[s] for s in job.sessions]
            return references([r for r in runs if r.listed(now)])

        routes.append(
            ("GET", f"/api/{'nas/' if nas else ''}jobs/{{id}}/backupSessions", sessions_of_job)
        )

    sessions_of(nas=False)
    sessions_of(nas=True)
    return routes
