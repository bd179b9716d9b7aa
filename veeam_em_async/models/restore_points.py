"""Backups and what can be restored from them: ``<Backup>``, ``<RestorePoint>``
(one run's point of a backup) and ``<VmRestorePoint>`` (one VM in that point).

Every time is aware UTC; ``extra`` keeps what EM sends beyond these fields.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from .common import Entity, xml
from .hierarchy import OnBackupServer

__all__ = ["Backup", "RestorePoint", "VmRestorePoint"]


@attrs.frozen
class Backup(Entity, OnBackupServer):
    """A backup (``GET /backups/{id}?format=Entity``): what one job wrote to a repository.

    ``job_type`` is EM's ``BackupType`` (``Standard``, or ``ParentBackup`` /
    ``ChildBackup`` for agent backups); ``platform`` ``VMware``, ``HyperV``,
    ``vCloud``, ``AgentForWindows``…  The vendor's bodies carry no creation
    time; ``creation_time`` reads ``CreationTimeUTC`` where a build sends one.
    """

    platform: str | None = None
    job_type: str | None = xml("BackupType", default=None)
    creation_time: datetime | None = xml("CreationTimeUTC", default=None)


@attrs.frozen
class RestorePoint(Entity, OnBackupServer):
    """One point of a backup (``GET /restorePoints/{id}?format=Entity``)."""

    backup_date: datetime | None = xml("BackupDateUTC", default=None)


@attrs.frozen
class VmRestorePoint(Entity, OnBackupServer):
    """One VM in a restore point (``GET /vmRestorePoints/{id}?format=Entity``,
    ``GET /query?type=VmRestorePoint``): what "is VM X protected?" is answered from.

    ``hierarchy_ref`` (``HierarchyObjRef``) names the VM across vCenters:
    two VMs with the same name on two vCenters have two. ``point_type`` is
    ``Full``, ``Increment`` or ``ReverseIncrement``; ``algorithm`` ``Full``,
    ``Incremental``, ``ReversedIncremental`` or ``SyntheticFull``.
    """

    creation_time: datetime | None = xml("CreationTimeUTC", default=None)
    hierarchy_ref: str | None = xml("HierarchyObjRef", default=None)
    point_type: str | None = None
    algorithm: str | None = None
    #: 13.1 query answers carry the VM's name as ``<VmName>`` and ``@VmDisplayName``.
    vm_name_element: str | None = xml("VmName", default=None)
    vm_display_name: str | None = xml("@VmDisplayName", default=None)

    @property
    def vm_name(self) -> str | None:
        """The VM's name: ``VmName``, else ``VmDisplayName``, else the part of the
        point's name before its last ``@`` (``oracle03@2016-10-06 13:59:50``),
        which is all the 13.0 entity gives."""
        if self.vm_name_element or self.vm_display_name:
            return self.vm_name_element or self.vm_display_name
        if self.name and "@" in self.name:
            return self.name.rsplit("@", 1)[0] or None
        return self.name
