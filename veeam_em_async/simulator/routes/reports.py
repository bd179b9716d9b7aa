"""The summary reports (``/reports/summary/…``), computed from the state (`..reports`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import documents
from ..reports import REPORTS
from ..responses import not_found, xml
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """reports: method, URL and handler of each route."""

    async def summary(request: web.Request) -> web.Response:
        links = "".join(
            documents.link("Down", f"{sim.api}/reports/summary/{name}", "ReportFrame")
            for name in REPORTS
        )
        return xml(f"<SummaryReport {documents.NS}><Links>{links}</Links></SummaryReport>")

    async def report(request: web.Request) -> web.Response:
        render = REPORTS.get(request.match_info["name"])
        if render is None:
            raise not_found("Report", request.match_info["name"])
        return xml(render(sim.state, sim.state.clock()))

    return [
        ("GET", "/api/reports/summary", summary),
        ("GET", "/api/reports/summary/{name}", report),
    ]
