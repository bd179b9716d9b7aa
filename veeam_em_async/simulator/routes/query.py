"""The simulator's query service: ``GET /query``, as the vendor pages describe it.

``type`` is any of `.query_types.QUERY_TYPES` (jobs, NAS jobs, job and
task sessions, tasks, repositories); ``filter`` (see `.filters`);
``sortAsc``/``sortDesc``; ``pageSize`` and ``page``. Every answer carries
``PagingInfo`` with ``&amp;``-escaped links, and a page of 100 when no
``pageSize`` is sent, as captured EM answers do (the docs say "one page").
``format=Entities`` gives entities, anything else references. A job run is
listed from its ``listed_at`` on. ``/_sim/counters`` counts the requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from .. import documents
from ..filters import FilterError, compile_filter
from ..query_types import QUERY_TYPES, Row
from ..responses import SESSION, xml
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["DEFAULT_PAGE_SIZE", "table"]

DEFAULT_PAGE_SIZE = 100


def _sorted(rows: list[tuple[Any, Row]], field: str, descending: bool) -> list[tuple[Any, Row]]:
    """Sorted on ``field``; rows without it go last, in their order."""
    present = [r for r in rows if r[1].get(field) is not None]
    absent = [r for r in rows if r[1].get(field) is None]
    present.sort(key=lambda r: r[1][field], reverse=descending)  # type: ignore[arg-type,return-value]
    return present + absent


def table(sim: EMSimulator) -> Table:
    routes: Table = []

    state = sim.state

    def bad(message: str) -> web.HTTPBadRequest:
        return web.HTTPBadRequest(
            text=documents.error(400, message), content_type="application/xml"
        )

    async def query(request: web.Request) -> web.Response:
        kind = QUERY_TYPES.get(request.query.get("type", "").lower())
        if kind is None:
            raise bad(f"Query type {request.query.get('type', '')!r} is not supported")
        try:
            predicate = compile_filter(request.query.get("filter"))
            page_size = int(request.query.get("pageSize", str(DEFAULT_PAGE_SIZE)))
            page = int(request.query.get("page", "1"))
        except (FilterError, ValueError) as exc:
            raise bad(f"Invalid query: {exc}") from None
        if page_size < 1 or page < 1:
            raise bad("pageSize and page must be greater than 0")
        now = state.clock()
        try:
            listed = kind.rows(sim, now, request[SESSION])
            rows = [(item, row) for item, row in listed if predicate(row)]
        except ValueError as exc:  # e.g. a datetime that is not one
            raise bad(f"Invalid filter value: {exc}") from None
        for key, descending in (("sortAsc", False), ("sortDesc", True)):
            field = request.query.get(key)
            if field:
                rows = _sorted(rows, field.lower(), descending)
        pages = max(1, -(-len(rows) // page_size))
        rows = rows[(page - 1) * page_size : page * page_size]
        params = {k: v for k, v in request.query.items() if k not in ("page", "pageSize")}
        params["pageSize"] = str(page_size)

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
        if request.query.get("format", "").lower() == "entities":
            items = "".join(kind.entity(sim, item, now) for item, _ in rows)
            body = f"<{kind.container}><{kind.group}>{items}</{kind.group}></{kind.container}>"
        else:
            body = "<Refs>" + "".join(kind.ref(sim, item, now) for item, _ in rows) + "</Refs>"
        return xml(f"<QueryResult {documents.NS}>{body}{paging}</QueryResult>")

    routes.append(("GET", "/api/query", query))
    return routes
