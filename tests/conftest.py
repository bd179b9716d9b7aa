"""Shared helpers: the vendor's XML bodies (tests/fixtures), EM URLs, mocked EM answers
(aioresponses) and the strict event loop. Test modules import helpers from here or
from ``tests/fakes.py``, never from each other."""

from __future__ import annotations

import asyncio
import gc
import inspect
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aioresponses import aioresponses

from tests.fakes import FakeClock

FIXTURES = Path(__file__).parent / "fixtures"

BASE = "https://em.test:9398"
API = f"{BASE}/api"
USER = "TECH\\backup-operator"
PASSWORD = "s3cr3t-Pa55word!"
TOKEN = "NDRjZmJkYmUtNWE5NS00MTU2LTg4NjctOTFmMDY5YjdjMmNj"

BACKUP_JOB_ID = "5658281f-625e-4627-89dd-d2a0c48be99e"
REPLICA_JOB_ID = "b04c217b-0538-4650-bec4-19deff4ea1ac"
NAS_JOB_ID = "93dfbb3e-f420-45cf-addc-4ee9297113f2"
LOGON_SESSION_ID = "15a3fc97-0325-4119-b789-5c0367c6c565"

LOGON_URL = re.compile(r"^https://em\.test:9398/api/sessionMngr/\?v=latest$")
LOGOFF_URL = f"{API}/logonSessions/{LOGON_SESSION_ID}"


@pytest.fixture
def clock() -> FakeClock:
    """The one time source of a test's client and simulator (see ``fakes.sim_on``)."""
    return FakeClock(start=0.0)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def error_body(status: int, message: str) -> str:
    return (
        f'<Error xmlns="http://www.veeam.com/ent/v1.0" Message="{message}" StatusCode="{status}" />'
    )


@pytest.fixture
def fixture() -> object:
    return fixture_bytes


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    """aioresponses: every aiohttp request of the test is answered by what it registers."""
    with aioresponses() as m:
        yield m


def add_logon(mock: aioresponses, token: str = TOKEN, repeat: bool | int = False) -> None:
    """EM's answer to a logon: 201, the token header and EM's session cookie."""
    mock.post(
        LOGON_URL,
        status=201,
        body=fixture_bytes("logon_session.xml"),
        headers={
            "X-RestSvcSessionId": token,
            "Set-Cookie": f"X-RestSvcSessionId={token}; Path=/api;",
        },
        repeat=repeat,
    )


def requests_to(mock: aioresponses, method: str, url: str) -> list[Any]:
    """The calls the mock saw for ``method`` and ``url`` (query included)."""
    return [
        call
        for (m, u), calls in mock.requests.items()
        if m == method and str(u) == url
        for call in calls
    ]


def pytest_collection_finish(session: pytest.Session) -> None:
    """What importing and collecting made lives for the whole run: freeze it, so that
    the full collection each async test ends with (``strict_event_loop``) looks only
    at what tests make (it took about 0.2 s a test over the whole heap)."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.fixturenames.append("strict_event_loop")  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def strict_event_loop() -> AsyncIterator[None]:
    """Async tests fail on anything the loop reports
    to its exception handler (a task destroyed while pending, an unretrieved
    exception, an unclosed transport). The simulator's own report of a TLS
    handshake a test makes fail on purpose is not the client's doing."""
    reported: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        if context.get("message") != "Error on transport creation for incoming connection":
            reported.append(context)

    loop.set_exception_handler(handler)
    yield
    gc.collect()
    await asyncio.sleep(0)
    loop.set_exception_handler(None)
    assert not reported, [c.get("message") for c in reported]
