"""The backup server every simulated job is on (``/backupServers``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import documents
from ..query_types import server_entity, server_ref
from ..responses import not_found, xml
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """backup servers: method, URL and handler of each route."""

    async def servers(request: web.Request) -> web.Response:
        ref = server_ref(sim, documents.BACKUP_SERVER, 0.0)
        return xml(f"<EntityReferences {documents.NS}>{ref}</EntityReferences>")

    async def server(request: web.Request) -> web.Response:
        if request.match_info["id"].lower() != documents.BACKUP_SERVER:
            raise not_found("Backup server", request.match_info["id"])
        body = server_entity(sim, documents.BACKUP_SERVER, 0.0)
        return xml(body.replace("<BackupServer ", f"<BackupServer {documents.NS} ", 1))

    return [
        ("GET", "/api/backupServers", servers),
        ("GET", "/api/backupServers/{id}", server),
    ]
