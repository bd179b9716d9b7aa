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

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from .. import documents
from ..filters import FilterError, compile_filter
from ..query_types import QUERY_TYPES, QueryType, Row
from ..responses import SESSION, xml
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["DEFAULT_PAGE_SIZE", "table"]

DEFAULT_PAGE_SIZE = 100
#: ``Field==value`` alone: what an index answers.
_SIMPLE = re.compile(r'\s*([A-Za-z][\w.]*)\s*==\s*("(?:[^"]|"")*"|[^;,()"*]*)\s*')


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1].replace('""', '"') if value.startswith('"') else value


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

    #: (type, filter, sorts) -> (version, rows): a reading's window, kept between its
    #: pages while the type's rows do not change (EM keeps a cursor much the same way).
    windows: dict[tuple[str, ...], tuple[int, list[tuple[Any, Row]]]] = {}

    def window(
        kind: QueryType, request: web.Request, predicate: Any, now: float
    ) -> list[tuple[Any, Row]]:
        text = request.query.get("filter") or ""
        key = (request.query.get("type", "").lower(), text,
               request.query.get("sortAsc", ""), request.query.get("sortDesc", ""))  # fmt: skip
        version = kind.version(sim) if kind.version is not None else None
        kept = windows.get(key)
        if version is not None and kept is not None and kept[0] == version:
            return kept[1]
        simple = _SIMPLE.fullmatch(text)
        listed = None
        if kind.index is not None and simple is not None:  # an indexed field: no scan
            listed = kind.index(sim, simple.group(1).lower(), _unquote(simple.group(2)))
        if listed is None:
            listed = kind.rows(sim, now, request[SESSION])
        try:
            rows = [(item, row) for item, row in listed if predicate(row)]
        except ValueError as exc:  # e.g. a datetime that is not one
            raise bad(f"Invalid filter value: {exc}") from None
        for sort_key, descending in (("sortAsc", False), ("sortDesc", True)):
            field = request.query.get(sort_key)
            if field:
                rows = _sorted(rows, field.lower(), descending)
        if version is not None:
            if len(windows) >= 16:
                windows.pop(next(iter(windows)))
            windows[key] = (version, rows)
        return rows

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
        rows = window(kind, request, predicate, now)
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
