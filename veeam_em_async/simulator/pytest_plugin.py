"""pytest fixtures for your own tests: add
``pytest_plugins = ["veeam_em_async.simulator.pytest_plugin"]`` to a conftest.py.

``em_simulator`` is a running `EMSimulator` (20 jobs, 2 NAS jobs, tasks
that finish after 0.2 s); ``em_client`` a logged-on ``EnterpriseManager``
talking to it with fast polling. Both need an asyncio test runner such as
pytest-asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from ..client import EnterpriseManager
from ..policies import PollPolicy
from .server import EMSimulator

FAST_POLLING = PollPolicy(initial_delay=0.05, min_interval=0.05, max_interval=0.2, jitter=0.1)


@pytest_asyncio.fixture
async def em_simulator() -> AsyncIterator[EMSimulator]:
    async with EMSimulator(jobs=20, nas_jobs=2, task_seconds=0.2) as sim:
        yield sim


@pytest_asyncio.fixture
async def em_client(em_simulator: EMSimulator) -> AsyncIterator[EnterpriseManager]:
    async with EnterpriseManager(
        em_simulator.url, em_simulator.username, em_simulator.password, poll_policy=FAST_POLLING
    ) as em:
        yield em
