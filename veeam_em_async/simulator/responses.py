"""The simulator's answers as EM words them: XML bodies and ``<Error>`` documents.

One place for every route module (server, sessions, query, agent jobs and
the rest), so an answer's content type and error shape cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web

from . import documents
from .state import SimSession

__all__ = ["SESSION", "TOKEN", "by_id", "error", "not_found", "xml"]

T = TypeVar("T")

#: EM's session header (and cookie).
TOKEN = "X-RestSvcSessionId"  # noqa: S105 - a header name
#: Where the auth middleware leaves the request's logon session for the handlers.
#: (aiohttp 3.14 wants typed request keys; older versions take a string.)
SESSION: Any = web.RequestKey("session", SimSession) if hasattr(web, "RequestKey") else "session"


def xml(body: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """An XML answer."""
    return web.Response(status=status, text=body, content_type="application/xml", headers=headers)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """EM's ``<Error Message=… StatusCode=…>`` answer."""
    return xml(documents.error(status, message), status, headers)


def not_found(what: str, ident: str) -> web.HTTPNotFound:
    """EM's 404 for an unknown ``what`` (to raise from a handler)."""
    return web.HTTPNotFound(
        text=documents.error(404, f"{what} {ident} was not found"),
        content_type="application/xml",
    )


def by_id(table: Mapping[str, T], request: web.Request, what: str) -> T:
    """The ``what`` (a job, a session…) the URL's ``{id}`` names, in ``table``
    (keyed by lower-case id), or EM's 404 raised."""
    found = table.get(request.match_info["id"].lower())
    if found is None:
        raise not_found(what, request.match_info["id"])
    return found
