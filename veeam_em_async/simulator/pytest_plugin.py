"""pytest fixtures for your own tests, loaded by itself once the package is installed
(the ``pytest11`` entry point, as respx's plugin is): no ``pytest_plugins`` line.

``em_simulator`` is a running `EMSimulator` (20 jobs, 2 NAS jobs, tasks that finish
after 0.2 s); ``em_client`` a logged-on ``EnterpriseManager`` talking to it with fast
polling; ``em_clock`` a `FakeClock` to share with both for tests that take no real
time. The two async fixtures need pytest-asyncio (``pip install
'veeam_em_async[pytest]'``); without it they are not defined and nothing else changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ..client import EnterpriseManager
from ..policies import PollPolicy
from .fake_clock import FakeClock
from .server import EMSimulator

FAST_POLLING = PollPolicy(initial_delay=0.05, min_interval=0.05, max_interval=0.2, jitter=0.1)


@pytest.fixture
def em_clock() -> FakeClock:
    """A fake clock starting at 0 (the simulator's epoch)."""
    return FakeClock(start=0.0)


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the pytest extra brings it
    pass
else:

    @pytest_asyncio.fixture
    async def em_simulator() -> AsyncIterator[EMSimulator]:
        async with EMSimulator(jobs=20, nas_jobs=2, task_seconds=0.2) as sim:
            yield sim

    @pytest_asyncio.fixture
    async def em_client(em_simulator: EMSimulator) -> AsyncIterator[EnterpriseManager]:
        async with EnterpriseManager(
            em_simulator.url, em_simulator.username, em_simulator.password,
            poll_policy=FAST_POLLING,
        ) as em:  # fmt: skip
            yield em
