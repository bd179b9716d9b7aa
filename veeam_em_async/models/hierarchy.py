"""The virtual infrastructure as EM names it: hierarchy roots (the vCenters,
Hyper-V hosts and Cloud Director systems added to backup servers) and the objects
under them (``<HierarchyItem>``, from the lookup service).

A VM's reference, ``urn:<Platform>:<Type>:<HierarchyRootId>.<ObjectRef>``
(the vendor's "Constructing HierarchyObjRefType"), carries the id of its root:
that is how a VM is tied to the backup server its root was added to, with no
request. Two VMs of the same name on two vCenters have two references.
"""

from __future__ import annotations

import attrs

from .common import Entity, HasLinks, Link, Model, href_id, uuid_from_uid, xml

__all__ = ["HierarchyItem", "HierarchyRoot", "OnBackupServer", "backup_server_uid", "root_id_of"]


def root_id_of(ref: str) -> str | None:
    """The hierarchy root id in a ``HierarchyObjRef``
    (``urn:VMware:Vm:de28dc43-….vm-62228`` -> ``de28dc43-…``), or ``None``
    when ``ref`` is not of that form."""
    parts = ref.split(":", 3)
    if len(parts) != 4 or parts[0].lower() != "urn" or "." not in parts[3]:
        return None
    root = parts[3].split(".", 1)[0]
    return root or None


def backup_server_uid(links: list[Link]) -> str | None:
    """The UID of the backup server an ``Up`` link of type ``BackupServerReference``
    names (vendor bodies link points, backups and roots to their server so)."""
    for link in links:
        if (link.rel or "").lower() == "up" and (link.type or "") == "BackupServerReference":
            uuid = href_id(link.href)
            return f"urn:veeam:BackupServer:{uuid}" if uuid else None
    return None


class OnBackupServer(HasLinks):
    """Mixin: an entity whose ``Up`` link names the backup server it is on."""

    @property
    def backup_server_uid(self) -> str | None:
        """``urn:veeam:BackupServer:<id>`` from the ``Up`` link, or ``None``."""
        return backup_server_uid(self.links)


@attrs.frozen
class HierarchyItem(Model, HasLinks):
    """One object the lookup service found (``GET /lookup?host=…&name=…&type=Vm``).

    ``ref`` is what a quick backup or a job include takes; ``root_uid`` the
    hierarchy root it is under, read from the reference itself.
    """

    ref: str = xml("ObjectRef")
    name: str | None = xml("ObjectName", default=None)
    type: str | None = xml("ObjectType", default=None)
    links: list[Link] = xml("Links/Link", factory=list)

    @property
    def root_uid(self) -> str | None:
        """``urn:veeam:HierarchyRoot:<id>`` of the root the object is under."""
        root = root_id_of(self.ref)
        return f"urn:veeam:HierarchyRoot:{root}" if root else None


@attrs.frozen
class HierarchyRoot(Entity, OnBackupServer):
    """A virtualization host or server added to a backup server
    (``GET /hierarchyRoots/{id}?format=Entity``); its ``Up`` link names the server."""

    hierarchy_root_id: str | None = None
    unique_id: str | None = None
    host_type: str | None = None

    @property
    def root_id(self) -> str | None:
        return self.hierarchy_root_id or uuid_from_uid(self.uid)
