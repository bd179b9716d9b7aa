"""``em.backups`` and ``em.restore_points``: what the jobs wrote, read only."""

from __future__ import annotations

import builtins
from typing import Union

from ..ids import entity_id
from ..models import BACKUP, ENTITY_REFERENCES, RESTORE_POINT, Backup, EntityRef, RestorePoint
from .base import Resource

BackupLike = Union[str, EntityRef, Backup]
RestorePointLike = Union[str, EntityRef, RestorePoint]


class BackupsResource(Resource):
    """Backups (``/backups``): one per job and repository, holding its restore points."""

    async def list(self) -> builtins.list[EntityRef]:
        """``GET /backups``: references to every backup."""
        return await self._list("backups", ENTITY_REFERENCES)

    async def get(self, backup: BackupLike) -> Backup:
        """``GET /backups/{id}?format=Entity``."""
        path = f"backups/{entity_id(backup, 'Backup')}"
        return await self._get(path, BACKUP, params={"format": "Entity"})


class RestorePointsResource(Resource):
    """The restore points of a backup (``/backups/{id}/restorePoints``). For the
    newest point of each VM, ``em.vm_restore_points.latest()`` is the call."""

    async def list(self, backup: BackupLike) -> builtins.list[EntityRef]:
        """``GET /backups/{id}/restorePoints``: references to the backup's points."""
        return await self._list(
            f"backups/{entity_id(backup, 'Backup')}/restorePoints", ENTITY_REFERENCES
        )

    async def get(self, point: RestorePointLike) -> RestorePoint:
        """``GET /restorePoints/{id}?format=Entity``."""
        path = f"restorePoints/{entity_id(point, 'RestorePoint')}"
        return await self._get(path, RESTORE_POINT, params={"format": "Entity"})
