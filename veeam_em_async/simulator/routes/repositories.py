"""Backup repositories (``/repositories``): references and entities with their space."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import documents
from ..responses import by_id, xml
from . import Table

if TYPE_CHECKING:
    from ..server import EMSimulator

__all__ = ["table"]


def table(sim: EMSimulator) -> Table:
    """repositories: method, URL and handler of each route."""
    state = sim.state

    async def repositories(request: web.Request) -> web.Response:
        refs = "".join(
            documents.ref(
                "RepositoryReference", f"{sim.api}/repositories/{r.id}", r.name, r.uid,
                documents.link("Alternate", f"{sim.api}/repositories/{r.id}?format=Entity",
                               "Repository", r.name),
            )
            for r in state.repositories.values()
        )  # fmt: skip
        return xml(f"<EntityReferences {documents.NS}>{refs}</EntityReferences>")

    async def repository(request: web.Request) -> web.Response:
        repo = by_id(state.repositories, request, "Repository")
        body = documents.repository(
            sim.api, repo.id, repo.name, repo.capacity, repo.free, repo.kind
        )
        return xml(body.replace("<Repository ", f"<Repository {documents.NS} ", 1))

    return [
        ("GET", "/api/repositories", repositories),
        ("GET", "/api/repositories/{id}", repository),
    ]
