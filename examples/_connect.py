"""How every example gets its client: a real EM from the environment, or
(``--simulator``) the embedded simulator, so each one runs anywhere.

    VEEAM_EM_URL=https://em:9398 VEEAM_EM_USER='DOMAIN\\user' VEEAM_EM_PASSWORD=…
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from veeam_em_async import EnterpriseManager
from veeam_em_async.simulator import EMSimulator


@contextlib.asynccontextmanager
async def connect(
    simulator: bool, prepare: Callable[[EMSimulator], None] | None = None, **options: Any
) -> AsyncIterator[EnterpriseManager]:
    """A logged-on client; with ``simulator``, of an ``EMSimulator(**options)``
    that ``prepare`` may script first."""
    if not simulator:
        url, user = os.environ["VEEAM_EM_URL"], os.environ["VEEAM_EM_USER"]
        async with EnterpriseManager(url, user, os.environ["VEEAM_EM_PASSWORD"]) as em:
            yield em
        return
    async with EMSimulator(**options) as sim:
        if prepare is not None:
            prepare(sim)
        async with EnterpriseManager(sim.url, sim.username, sim.password) as em:
            yield em
