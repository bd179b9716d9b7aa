"""Backup servers (``<BackupServer>``, ``/backupServers``): the Veeam Backup &
Replication servers EM manages, which own the jobs, backups and restore points."""

from __future__ import annotations

import attrs

from .common import Entity


@attrs.frozen
class BackupServer(Entity):
    """A backup server entity (``GET /backupServers/{id}?format=Entity``)."""

    description: str | None = None
    port: int | None = None
    version: str | None = None
