"""The simulator's query service: ``GET /query`` over job sessions.

The subset job runs, the change feed and ``last_results`` need: ``type``
``BackupJobSession``, ``ReplicaJobSession`` or ``Job``; ``filter`` (see
:mod:`.filters`); ``sortAsc``/``sortDesc``; ``pageSize`` and ``page`` with a
``PagingInfo`` whose links are ``&amp;``-escaped as EM's; ``format=Entities``
(else references). A run is listed from its ``listed_at`` on.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from xml.sax.saxutils import quoteattr

from aiohttp import web

from . import documents
from .filters import FilterError, compile_filter
from .job_sessions import SimJobSession
from .state import SimJob

if TYPE_CHECKING:
    from .server import EMSimulator

__all__ = ["add_query_routes"]

_SESSION_TYPES = {"backupjobsession": False, "replicajobsession": True}  # -> replica


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(documents.EPOCH + seconds, timezone.utc)


def session_row(run: SimJobSession, now: float) -> dict[str, object]:
    """What a filter or a sort sees of a run (lower-case field names)."""
    ended = now >= run.ended_at()
    return {
        "uid": f"urn:veeam:{run.uid_type}:{run.id}",
        "name": run.job_name,
        "jobuid": f"urn:veeam:{'NasJob' if run.job_type == 'NasBackup' else 'Job'}:{run.job_id}",
        "jobname": run.job_name,
        "jobtype": run.job_type,
        "creationtime": _instant(run.created),
        "endtime": _instant(run.ended_at()) if ended else None,
        "state": run.state(now),
        "result": run.result(now),
        "isretry": run.is_retry,
        "backupserveruid": f"urn:veeam:BackupServer:{documents.BACKUP_SERVER}",
    }


def job_row(job: SimJob) -> dict[str, object]:
    return {
        "uid": job.uid,
        "name": job.name,
        "jobtype": job.job_type,
        "platform": job.platform,
        "scheduleenabled": job.schedule_enabled,
        "description": job.description,
    }


def add_query_routes(router: web.UrlDispatcher, sim: EMSimulator) -> None:
    state = sim.state

    def bad(message: str) -> web.HTTPBadRequest:
        return web.HTTPBadRequest(
            text=documents.error(400, message), content_type="application/xml"
        )

    async def query(request: web.Request) -> web.Response:
        kind = request.query.get("type", "")
        replica = _SESSION_TYPES.get(kind.lower())
        if replica is None and kind.lower() != "job":
            raise bad(f"Query type {kind!r} is not supported")
        try:
            predicate = compile_filter(request.query.get("filter"))
            page_size = int(request.query.get("pageSize", "0"))
            page = int(request.query.get("page", "1"))
        except (FilterError, ValueError) as exc:
            raise bad(f"Invalid query: {exc}") from None
        now = state.clock()
        rows: list[tuple[Any, dict[str, object]]]
        if replica is None:
            rows = [(job, job_row(job)) for job in state.jobs.values()]
        else:
            rows = [
                (run, session_row(run, now))
                for run in state.job_sessions.values()
                if run.replica == replica and run.listed(now)
            ]
        try:
            rows = [(item, row) for item, row in rows if predicate(row)]
        except ValueError as exc:  # e.g. a datetime that is not one
            raise bad(f"Invalid filter value: {exc}") from None
        for key, descending in (("sortAsc", False), ("sortDesc", True)):
            field = request.query.get(key)
            if field:
                present = [r for r in rows if r[1].get(field.lower()) is not None]
                absent = [r for r in rows if r[1].get(field.lower()) is None]
                present.sort(key=lambda r: r[1][field.lower()], reverse=descending)  # type: ignore[arg-type,return-value]
                rows = present + absent
        paging = ""
        if page_size > 0:
            pages = max(1, -(-len(rows) // page_size))
            rows = rows[(page - 1) * page_size : page * page_size]
            params = {k: v for k, v in request.query.items() if k != "page"}

            def href(number: int) -> str:
                return f"{sim.api}/query?{urlencode({**params, 'page': str(number)})}"

            links = [("First", 1), ("Last", pages)]
            if page > 1:
                links.append(("Previous", page - 1))
            if page < pages:
                links.append(("Next", page + 1))
            paging = (
                f'<PagingInfo PageNum="{page}" PageSize="{page_size}" PagesCount="{pages}"><Links>'
                + "".join(documents.link(rel, href(n)) for rel, n in links)
                + "</Links></PagingInfo>"
            )
        entities = request.query.get("format", "").lower() == "entities"
        if replica is None and entities:
            items = "".join(sim.job_xml(job).replace(f" {documents.NS}", "", 1) for job, _ in rows)
            body = f"<Entities><Jobs>{items}</Jobs></Entities>"
        elif replica is None:
            refs = "".join(
                f'<Ref Type="JobReference" Href="{sim.api}/jobs/{job.id}" '
                f'Name={quoteattr(job.name)} UID="{job.uid}" />'
                for job, _ in rows
            )
            body = f"<Refs>{refs}</Refs>"
        elif entities:
            uid_type = "ReplicaJobSession" if replica else "BackupJobSession"
            items = "".join(documents.job_session(sim.api, run, now, root=False) for run, _ in rows)
            body = f"<Entities><{uid_type}s>{items}</{uid_type}s></Entities>"
        else:
            refs = "".join(
                documents.job_session(sim.api, run, now, entity=False, root=False)
                .replace("<EntityRef", "<Ref", 1)
                .replace("</EntityRef>", "</Ref>")
                for run, _ in rows
            )
            body = f"<Refs>{refs}</Refs>"
        return web.Response(
            text=f"<QueryResult {documents.NS}>{body}{paging}</QueryResult>",
            content_type="application/xml",
        )

    router.add_get("/api/query", query)
