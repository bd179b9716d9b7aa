"""What the simulated backups left: ``/backups``, ``/restorePoints``,
``/vmRestorePoints``, ``/hierarchyRoots`` and the lookup service (``/lookup``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import documents
from .. import protection_documents as docs
from ..job_sessions import HIERARCHY_ROOTS
from ..protection import SimBackup
from ..responses import by_id, error, not_found, xml
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def _refs(items: str) -> web.Response:
    return xml(f"<EntityReferences {documents.NS}>{items}</EntityReferences>")


def table(sim: EMSimulator) -> Table:
    """protection: method, URL and handler of each route."""
    protection = sim.state.protection

    def backup(request: web.Request) -> SimBackup:
        return by_id(protection.backups, request, "Backup")

    def point_of(point_id: str) -> tuple[SimBackup, float] | None:
        for item in protection.backups.values():
            for pid, created in item.restore_points:
                if pid == point_id:
                    return item, created
        return None

    async def backups(request: web.Request) -> web.Response:
        return _refs("".join(docs.backup_ref(sim.api, b) for b in protection.backups.values()))

    async def one_backup(request: web.Request) -> web.Response:
        return xml(docs.backup_entity(sim.api, backup(request), root=True))

    async def backup_points(request: web.Request) -> web.Response:
        item = backup(request)
        return _refs("".join(docs.restore_point_ref(sim.api, item, pid, created)
                             for pid, created in item.restore_points))  # fmt: skip

    async def restore_point(request: web.Request) -> web.Response:
        found = point_of(request.match_info["id"].lower())
        if found is None:
            raise not_found("Restore point", request.match_info["id"])
        item, created = found
        return xml(docs.restore_point_entity(sim.api, item, request.match_info["id"], created))

    async def vm_point(request: web.Request) -> web.Response:
        point = by_id(protection.by_id, request, "VM restore point")
        return xml(docs.vm_point_entity(sim.api, point, root=True))

    async def roots(request: web.Request) -> web.Response:
        return _refs("".join(docs.root_ref(sim.api, root) for root in HIERARCHY_ROOTS))

    async def root(request: web.Request) -> web.Response:
        wanted = request.match_info["id"].lower()
        if wanted not in HIERARCHY_ROOTS:
            raise not_found("Hierarchy root", request.match_info["id"])
        return xml(docs.root_entity(sim.api, wanted))

    async def lookup(request: web.Request) -> web.Response:
        """The vendor's ``get_lookup``: ``host=<root UID>&name=…&type=…``, or
        ``hierarchyRef=…``."""
        query = request.query
        if "hierarchyRef" in query:
            vm = protection.vms.get(query["hierarchyRef"])
            return xml(docs.hierarchy_items([vm] if vm is not None else []))
        host, name = query.get("host", ""), query.get("name", "")
        if not host or not name:
            return error(400, "The lookup needs host, name and type, or hierarchyRef")
        root_id = host.rsplit(":", 1)[-1].lower()
        if root_id not in HIERARCHY_ROOTS:
            raise not_found("Hierarchy root", host)
        if query.get("type", "Vm").lower() != "vm":
            return xml(docs.hierarchy_items([]))
        return xml(docs.hierarchy_items(protection.vms_named(name, root_id)))

    return [
        ("GET", "/api/backups", backups),
        ("GET", "/api/backups/{id}", one_backup),
        ("GET", "/api/backups/{id}/restorePoints", backup_points),
        ("GET", "/api/restorePoints/{id}", restore_point),
        ("GET", "/api/vmRestorePoints/{id}", vm_point),
        ("GET", "/api/hierarchyRoots", roots),
        ("GET", "/api/hierarchyRoots/{id}", root),
        ("GET", "/api/lookup", lookup),
    ]
