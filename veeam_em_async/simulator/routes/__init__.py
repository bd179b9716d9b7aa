"""The simulator's routes, one module a resource, each a plain table of (method, URL,
handler) built over the simulator (`table(sim)`), as moto's ``urls.py`` are. The
handlers read and change `EMState` (the rules) and answer through `documents` and
`responses` (the bodies)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from ..server import EMSimulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: (method, URL pattern, handler) of each route.
Table = list[tuple[str, str, Handler]]

__all__ = ["Handler", "Table", "all_routes"]


def all_routes(sim: EMSimulator) -> Table:
    """Every route of the simulated EM, and the simulator's own ``/_sim/`` ones."""
    from . import (  # noqa: I001 - one line a module is noise here
        admin, agent_jobs, backup_servers, includes, jobs, logon, protection, query, reports,
        repositories, sessions, tasks,
    )  # fmt: skip

    modules = (logon, jobs, includes, agent_jobs, tasks, sessions, query, repositories,
               backup_servers, protection, reports, admin)  # fmt: skip
    return [route for module in modules for route in module.table(sim)]
