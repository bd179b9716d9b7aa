"""``em.backup_servers``: the backup servers EM manages (``/backupServers``), read only."""

from __future__ import annotations

import builtins
from typing import Literal, Union, overload

from ..ids import entity_id
from ..models import BACKUP_SERVER, ENTITY_REFERENCES, BackupServer, EntityRef
from .base import ENTITY_PAGE_SIZE, Resource

BackupServerLike = Union[str, EntityRef, BackupServer]


class BackupServersResource(Resource):
    """The Veeam Backup & Replication servers behind EM: a quick backup goes to one
    of them, and their UIDs tie jobs, backups and restore points to a server."""

    @overload
    async def list(self, *, entities: Literal[False] = False) -> builtins.list[EntityRef]: ...
    @overload
    async def list(self, *, entities: Literal[True]) -> builtins.list[BackupServer]: ...
    async def list(
        self, *, entities: bool = False
    ) -> builtins.list[EntityRef] | builtins.list[BackupServer]:
        """``GET /backupServers``: references to every backup server; with
        ``entities=True`` every server with its port and version, through the
        query service (``type=BackupServer``, one request for up to 200)."""
        if entities:
            query = self._query("BackupServer", sort_asc="Name", page_size=ENTITY_PAGE_SIZE)
            return await query.all()
        return await self._list("backupServers", ENTITY_REFERENCES)

    async def get(self, server: BackupServerLike) -> BackupServer:
        """``GET /backupServers/{id}?format=Entity``."""
        path = f"backupServers/{entity_id(server, 'BackupServer')}"
        return await self._get(path, BACKUP_SERVER, params={"format": "Entity"})
