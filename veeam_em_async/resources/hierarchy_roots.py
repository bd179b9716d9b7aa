"""``em.hierarchy_roots``: the vCenters, Hyper-V hosts and Cloud Director systems
added to the backup servers (``/hierarchyRoots``)."""

from __future__ import annotations

import builtins
from typing import Union

from ..ids import entity_id
from ..models import ENTITY_REFERENCES, HIERARCHY_ROOT, EntityRef, HierarchyRoot
from .base import Resource

HierarchyRootLike = Union[str, EntityRef, HierarchyRoot]


class HierarchyRootsResource(Resource):
    """Each root's ``Up`` link names the backup server it was added to: that is
    where a quick backup of a VM under it goes."""

    async def list(self) -> builtins.list[EntityRef]:
        """``GET /hierarchyRoots``: references, each with its backup server's ``Up`` link."""
        return await self._list("hierarchyRoots", ENTITY_REFERENCES)

    async def get(self, root: HierarchyRootLike) -> HierarchyRoot:
        """``GET /hierarchyRoots/{id}?format=Entity``."""
        path = f"hierarchyRoots/{entity_id(root, 'HierarchyRoot')}"
        return await self._get(path, HIERARCHY_ROOT, params={"format": "Entity"})
