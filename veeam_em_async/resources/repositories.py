"""``em.repositories``: backup repositories (``/repositories``), read only."""

from __future__ import annotations

import builtins
from typing import Literal, Union, overload

from ..ids import entity_id
from ..models import ENTITY_REFERENCES, REPOSITORY, EntityRef, Repository
from .base import ENTITY_PAGE_SIZE, Resource

RepositoryLike = Union[str, EntityRef, Repository]


class RepositoriesResource(Resource):
    """Capacity and free space of every repository EM knows.

    ``list(entities=True)`` is the bot's call: one query for every repository
    with its numbers, sorted by name; then ``repo.free_ratio`` per repository.
    """

    @overload
    async def list(self, *, entities: Literal[False] = False) -> builtins.list[EntityRef]: ...
    @overload
    async def list(self, *, entities: Literal[True]) -> builtins.list[Repository]: ...
    async def list(
        self, *, entities: bool = False
    ) -> builtins.list[EntityRef] | builtins.list[Repository]:
        """``GET /repositories``; with ``entities=True`` every repository entity
        through the query service (``type=Repository``, ⌈N/200⌉ requests)."""
        if entities:
            query = self._query("Repository", sort_asc="Name", page_size=ENTITY_PAGE_SIZE)
            return await query.all()
        return await self._list("repositories", ENTITY_REFERENCES)

    async def get(self, repository: RepositoryLike) -> Repository:
        """``GET /repositories/{id}?format=Entity``."""
        path = f"repositories/{entity_id(repository, 'Repository')}"
        return await self._get(path, REPOSITORY, params={"format": "Entity"})
