"""The entry point (``GET /api/``), logon and logoff, as EM answers them."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from aiohttp import web

from .. import documents
from ..responses import SESSION, TOKEN
from ..responses import error as _error
from ..responses import xml as _xml
from ..state import SimSession
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """logon: method, URL and handler of each route."""

    async def entry_point(request: web.Request) -> web.Response:
        return _xml(documents.entry_point(sim.api, sim.api_versions))

    async def logon(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        user = password = None
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = None
        if user != sim.username or password != sim.password:
            return _error(401, "Authentication failed", {"WWW-Authenticate": "Basic Realm=RestSvc"})
        version = request.query.get("v", "latest")
        if version != "latest" and version not in sim.api_versions:
            return _error(400, f"API version {version} is not supported")
        session = sim.state.logon(user)
        sim.counters.logons += 1
        response = _xml(
            documents.logon_session(sim.api, session.id, user),
            201,
            {TOKEN: session.token},
        )
        response.set_cookie(TOKEN, session.token, path="/api")
        return response

    async def logoff(request: web.Request) -> web.Response:
        session: SimSession = request[SESSION]
        if request.match_info["id"] != session.id:
            return _error(403, "A logon session can only delete itself")
        sim.state.logoff(session.id)
        sim.counters.logoffs += 1
        return web.Response(status=204)

    return [
        ("GET", "/api/", entry_point),
        ("POST", "/api/sessionMngr/", logon),
        ("DELETE", "/api/logonSessions/{id}", logoff),
    ]
