"""Not EM: counters, a reset and the sessions of each job, for benchmarks and tests
driving a simulator in another process (``/_sim/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ..faults import counters_json
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """admin: method, URL and handler of each route."""

    async def counters(request: web.Request) -> web.Response:
        return web.json_response(counters_json(sim.counters))

    async def sessions(request: web.Request) -> web.Response:
        """Each job's session ids, oldest first (for a benchmark bound that is
        told the sessions instead of finding them)."""
        jobs = [*sim.state.jobs.values(), *sim.state.nas_jobs.values()]
        return web.json_response({job.id: job.sessions for job in jobs})

    async def reset(request: web.Request) -> web.Response:
        """Zero the counters and make every job idle again (between benchmark runs)."""
        sim.counters.reset()
        now = sim.state.clock()
        for run in sim.state.job_sessions.values():
            if now < run.ended_at():  # ends now, with its result, and is not retried
                run.duration = max(0.0, now - run.created)
            run.retried = True
        return web.json_response(counters_json(sim.counters))

    return [
        ("GET", "/_sim/counters", counters),
        ("POST", "/_sim/reset", reset),
        ("GET", "/_sim/sessions", sessions),
    ]
