"""The bodies of protection resources, shaped like the vendor's: VM restore points
(``get_query_vmrestorepoint``, 13.1), backups (``get_query_backup``), restore
points (``restorepoints_id``), hierarchy roots (``hierarchyroots``,
``hierarchyroots_id``) and the lookup's ``HierarchyItems`` (``lookup_query``)."""

from __future__ import annotations

from datetime import datetime, timezone

from .documents import BACKUP_SERVER, EPOCH, NS, _a, _t, _utc, link, ref
from .job_sessions import HIERARCHY_ROOTS
from .protection import SimBackup, SimPoint, SimVm

__all__ = [
    "backup_entity",
    "backup_ref",
    "hierarchy_items",
    "root_entity",
    "root_ref",
    "vm_point_entity",
    "vm_point_ref",
]

SERVER_NAME = "vbr01"


def _server_link(api: str) -> str:
    return link("Up", f"{api}/backupServers/{BACKUP_SERVER}", "BackupServerReference", SERVER_NAME)


def point_name(seconds: float) -> str:
    """A restore point's name as EM writes it: ``Jun 16 2025  4:00AM``."""
    stamp = datetime.fromtimestamp(EPOCH + seconds, timezone.utc)
    hour = stamp.strftime("%I").lstrip("0") or "12"
    return f"{stamp.strftime('%b')} {stamp.day:2d} {stamp.year} {hour:>2}:{stamp:%M%p}"


def vm_point_name(point: SimPoint) -> str:
    stamp = datetime.fromtimestamp(EPOCH + point.created, timezone.utc)
    return f"{point.vm.name}@{stamp:%Y-%m-%d %H:%M:%S}"


def vm_point_entity(api: str, point: SimPoint, *, root: bool = False) -> str:
    href = f"{api}/vmRestorePoints/{point.id}"
    name = vm_point_name(point)
    links = (
        link("Restore", f"{href}?action=restore")
        + _server_link(api)
        + link("Up", f"{api}/restorePoints/{point.restore_point_id}", "RestorePointReference",
               point_name(point.created))
        + link("Alternate", href, "VmRestorePointReference", name)
    )  # fmt: skip
    return (
        f'<VmRestorePoint{" " + NS if root else ""} Type="VmRestorePoint" '
        f"Href={_a(href + '?format=Entity')} Name={_a(name)} VmDisplayName={_a(point.vm.name)} "
        f'UID="{point.uid}"><Links>{links}</Links>'
        f"<CreationTimeUTC>{_utc(point.created)}</CreationTimeUTC>"
        f"<VmName>{_t(point.vm.name)}</VmName><Algorithm>{point.algorithm}</Algorithm>"
        f"<PointType>{point.point_type}</PointType>"
        f"<HierarchyObjRef>{_t(point.vm.ref)}</HierarchyObjRef></VmRestorePoint>"
    )


def vm_point_ref(api: str, point: SimPoint) -> str:
    href = f"{api}/vmRestorePoints/{point.id}"
    alternate = link("Alternate", f"{href}?format=Entity", "VmRestorePoint")
    return ref("VmRestorePointReference", href, vm_point_name(point), point.uid, alternate)


def backup_entity(api: str, backup: SimBackup, *, root: bool = False) -> str:
    href = f"{api}/backups/{backup.id}"
    links = (
        _server_link(api)
        + link("Alternate", href, "BackupReference", backup.name)
        + link("Down", f"{href}/restorePoints", "RestorePointReferenceList")
    )
    return (
        f'<Backup{" " + NS if root else ""} Type="Backup" Href={_a(href + "?format=Entity")} '
        f'Name={_a(backup.name)} UID="{backup.uid}"><Links>{links}</Links>'
        f"<Platform>{backup.platform}</Platform><BackupType>Standard</BackupType></Backup>"
    )


def backup_ref(api: str, backup: SimBackup) -> str:
    href = f"{api}/backups/{backup.id}"
    links = _server_link(api) + link("Alternate", f"{href}?format=Entity", "Backup", backup.name)
    return ref("BackupReference", href, backup.name, backup.uid, links)


def restore_point_entity(api: str, backup: SimBackup, point_id: str, created: float) -> str:
    href = f"{api}/restorePoints/{point_id}"
    name = point_name(created)
    links = (
        link("Up", f"{api}/backups/{backup.id}", "BackupReference", backup.name)
        + _server_link(api)
        + link("Alternate", href, "RestorePointReference", name)
        + link("Down", f"{href}/vmRestorePoints", "VmRestorePointReferenceList")
    )
    return (
        f'<RestorePoint {NS} Type="RestorePoint" Href={_a(href + "?format=Entity")} '
        f'Name={_a(name)} UID="urn:veeam:RestorePoint:{point_id}"><Links>{links}</Links>'
        f"<BackupDateUTC>{_utc(created)}</BackupDateUTC></RestorePoint>"
    )


def restore_point_ref(api: str, backup: SimBackup, point_id: str, created: float) -> str:
    href = f"{api}/restorePoints/{point_id}"
    links = link("Up", f"{api}/backups/{backup.id}", "BackupReference", backup.name) + link(
        "Alternate", f"{href}?format=Entity", "RestorePoint", point_name(created)
    )
    return ref("RestorePointReference", href, point_name(created),
               f"urn:veeam:RestorePoint:{point_id}", links)  # fmt: skip


def root_ref(api: str, root_id: str) -> str:
    href = f"{api}/hierarchyRoots/{root_id}"
    name = HIERARCHY_ROOTS[root_id]
    links = _server_link(api) + link("Alternate", f"{href}?format=Entity", "HierarchyRoot", name)
    return ref("HierarchyRootReference", href, name, f"urn:veeam:HierarchyRoot:{root_id}", links)


def root_entity(api: str, root_id: str) -> str:
    href = f"{api}/hierarchyRoots/{root_id}"
    name = HIERARCHY_ROOTS[root_id]
    links = _server_link(api) + link("Alternate", href, "HierarchyRootReference", name)
    return (
        f'<HierarchyRoot {NS} Type="HierarchyRoot" Href={_a(href + "?format=Entity")} '
        f'Name={_a(name)} UID="urn:veeam:HierarchyRoot:{root_id}"><Links>{links}</Links>'
        f"<HierarchyRootId>{root_id}</HierarchyRootId><UniqueId>{root_id.upper()}</UniqueId>"
        "<HostType>VC</HostType></HierarchyRoot>"
    )


def hierarchy_items(vms: list[SimVm]) -> str:
    items = "".join(
        f'<HierarchyItem Type="HierarchyItem"><ObjectRef>{_t(vm.ref)}</ObjectRef>'
        f"<ObjectType>Vm</ObjectType><ObjectName>{_t(vm.name)}</ObjectName></HierarchyItem>"
        for vm in vms
    )
    return f"<HierarchyItems {NS}>{items}</HierarchyItems>"
