"""The backup servers (``/backupServers``): the first holds every simulated job; a
quick backup of a VM is sent to it (``POST …?action=quickbackup``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ...xmlio import parse_document
from .. import documents, responses
from ..query_types import server_entity, server_ref
from ..responses import SESSION, error, not_found, xml
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """backup servers: method, URL and handler of each route."""
    state = sim.state

    def server_id(request: web.Request) -> str:
        wanted = request.match_info["id"].lower()
        if wanted not in dict(state.backup_servers):
            raise not_found("Backup server", request.match_info["id"])
        return wanted

    async def servers(request: web.Request) -> web.Response:
        refs = "".join(server_ref(sim, sid, 0.0) for sid, _ in state.backup_servers)
        return xml(f"<EntityReferences {documents.NS}>{refs}</EntityReferences>")

    async def server(request: web.Request) -> web.Response:
        body = server_entity(sim, server_id(request), 0.0)
        return xml(body.replace("<BackupServer ", f"<BackupServer {documents.NS} ", 1))

    async def quick_backup(request: web.Request) -> web.Response:
        """The vendor's ``post_backupservers_id_quickbackup``: a ``QuickBackupStartupSpec``
        with one ``VmRef``; 202 and a ``QuickBackup`` task that, finished, links the
        job session (``Rel="Related"``)."""
        target = server_id(request)
        if request.query.get("action", "").lower() != "quickbackup":
            return error(400, f"Unknown action {request.query.get('action')!r}")
        try:
            root, spec = parse_document(await request.read())
            if root != "QuickBackupStartupSpec":
                raise ValueError(f"expected <QuickBackupStartupSpec>, got <{root}>")
            names = [k for k in spec if not k.startswith("@")]
            if names != ["VmRef"]:
                raise ValueError(f"expected exactly one VmRef, got {names}")
            ref = str(spec["VmRef"])
        except (ValueError, KeyError, TypeError) as exc:
            return error(400, f"The request body is invalid: {exc}")
        if target != documents.BACKUP_SERVER:  # the other servers have no VMs
            return error(400, f"The VM {ref} is not on backup server {target}")
        return responses.accepted(sim.api, state, state.quick_backup(request[SESSION], ref))

    return [
        ("GET", "/api/backupServers", servers),
        ("GET", "/api/backupServers/{id}", server),
        ("POST", "/api/backupServers/{id}", quick_backup),
    ]
