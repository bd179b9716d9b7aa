"""Backup servers (``<BackupServer>``, ``/backupServers``): the Veeam Backup &
Replication servers EM manages, which own the jobs, backups and restore points."""

from __future__ import annotations

import attrs

from .common import HasLinks, Link, Model, uuid_from_uid, xml


@attrs.frozen
class BackupServer(Model, HasLinks):
    """A backup server entity (``GET /backupServers/{id}?format=Entity``)."""

    href: str = xml("@Href")
    uid: str = xml("@UID")
    name: str | None = xml("@Name", default=None)
    type: str | None = xml("@Type", default=None)
    links: list[Link] = xml("Links/Link", factory=list)
    description: str | None = None
    port: int | None = None
    version: str | None = None

    @property
    def id(self) -> str:
        """The UUID part of ``uid``."""
        return uuid_from_uid(self.uid) or ""
