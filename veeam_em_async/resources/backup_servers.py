"""``em.backup_servers``: the backup servers EM manages (``/backupServers``), read only."""

from __future__ import annotations

import builtins
from typing import Union

from ..ids import entity_id
from ..models import BACKUP_SERVER, ENTITY_REFERENCES, BackupServer, EntityRef
from .base import Resource

BackupServerLike = Union[str, EntityRef, BackupServer]


class BackupServersResource(Resource):
    """The Veeam Backup & Replication servers behind EM: a quick backup goes to one
    of them, and their UIDs tie jobs, backups and restore points to a server."""

    async def list(self) -> builtins.list[EntityRef]:
        """``GET /backupServers``: references to every backup server."""
        return await self._list("backupServers", ENTITY_REFERENCES)

    async def get(self, server: BackupServerLike) -> BackupServer:
        """``GET /backupServers/{id}?format=Entity``."""
        path = f"backupServers/{entity_id(server, 'BackupServer')}"
        return await self._get(path, BACKUP_SERVER, params={"format": "Entity"})
