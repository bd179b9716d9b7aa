"""OpenTelemetry spans with the SDK's in-memory exporter: names, attributes, the
re-logon's link, retries, and that no span holds the token or the password."""

from __future__ import annotations

import base64
import subprocess
import sys
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses

from tests.conftest import (
    API,
    BACKUP_JOB_ID,
    BASE,
    LOGOFF_URL,
    LOGON_URL,
    PASSWORD,
    TOKEN,
    USER,
    error_body,
    fixture_bytes,
)
from veeam_em_async import EnterpriseManager, RetryPolicy, ServerError

sdk_trace = pytest.importorskip("opentelemetry.sdk.trace", reason="the otel test extra")
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

SECOND_TOKEN = "c2Vjb25kLXRva2VuLW9mLXRoZS1yZWxvZ29uLXNlc3Npb24="
NO_BACKOFF = RetryPolicy(backoff_base=0.0, jitter=0.0)


@pytest.fixture
def spans() -> tuple[Any, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def logon(mock: aioresponses, token: str) -> None:
    mock.post(LOGON_URL, status=201, body=fixture_bytes("logon_session.xml"),
              headers={"X-RestSvcSessionId": token})  # fmt: skip


def everything_recorded(span: Any) -> str:
    """Every text a span carries to an exporter."""
    parts = [span.name, str(dict(span.attributes or {})), str(span.status.description)]
    parts += [f"{e.name} {dict(e.attributes or {})}" for e in span.events]
    parts += [str(dict(link.attributes or {})) for link in span.links]
    return "\n".join(parts)


async def test_a_relogon_is_its_own_span_linked_to_the_401_and_no_span_holds_a_secret(
    mock: aioresponses, spans: tuple[Any, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    logon(mock, TOKEN)
    logon(mock, SECOND_TOKEN)
    mock.get(f"{API}/jobs", status=401, body=error_body(401, f"expired {TOKEN}"))
    mock.get(f"{API}/jobs", status=200, body=fixture_bytes("job_references.xml"))

    def echo(url: Any, **kwargs: Any) -> CallbackResult:  # a server echoing our headers
        headers = " ".join(f"{k}: {v}" for k, v in kwargs["headers"].items())
        return CallbackResult(status=503, body=f"<html>{headers} {PASSWORD}</html>")

    mock.get(f"{API}/jobs/{BACKUP_JOB_ID}?format=Entity", callback=echo, repeat=True)
    mock.delete(LOGOFF_URL, status=204)
    async with EnterpriseManager(BASE, USER, PASSWORD, tracer_provider=provider,
                                 retry_policy=NO_BACKOFF) as em:  # fmt: skip
        await em.jobs.list()
        with provider.get_tracer("app").start_as_current_span("caller") as caller:
            with pytest.raises(ServerError):
                await em.jobs.get(BACKUP_JOB_ID)
    finished = exporter.get_finished_spans()
    client = [s for s in finished if s.kind.name == "CLIENT"]
    logons = [s for s in finished if s.name == "veeam_em.logon"]
    # 2 logons, the 401 and its re-send, 4 attempts at the echoing URL (3 retries), logoff
    assert [s.name for s in client].count("GET") == 2 + 4 and len(client) == 2 + 2 + 4 + 1
    assert [s.attributes["veeam_em.relogon"] for s in logons] == [False, True]
    refused = next(s for s in client if s.attributes.get("http.response.status_code") == 401)
    assert [link.context.span_id for link in logons[1].links] == [refused.context.span_id]
    echoed = [s for s in client if s.attributes.get("http.response.status_code") == 503]
    assert len(echoed) == 4 and all(s.attributes["error.type"] == "503" for s in echoed)
    # each retry is a new client span, under the same parent
    assert {s.parent.span_id for s in echoed if s.parent} == {caller.get_span_context().span_id}
    first = client[0]
    assert first.attributes["server.address"] == "em.test"
    assert first.attributes["server.port"] == 9398
    assert first.attributes["http.request.method"] == "POST"
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for span in finished:
        recorded = everything_recorded(span)
        for secret in (TOKEN, SECOND_TOKEN, PASSWORD, basic):
            assert secret not in recorded, (span.name, secret)


async def test_query_values_that_could_hold_a_secret_are_not_recorded(
    mock: aioresponses, spans: tuple[Any, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    logon(mock, TOKEN)
    mock.delete(LOGOFF_URL, status=204)
    page = (
        '<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Refs/>'
        '<PagingInfo PageNum="1" PageSize="10" PagesCount="1"/></QueryResult>'
    )
    mock.get(f"{API}/query?type=Job&filter=Name%3D%3D%22s3cr3t%22&pageSize=10", body=page)
    async with EnterpriseManager(BASE, USER, PASSWORD, tracer_provider=provider) as em:
        assert await em.query("Job", filter='Name=="s3cr3t"', page_size=10,
                              entities=False).all() == []  # fmt: skip
    query = next(s for s in exporter.get_finished_spans() if s.name == "GET")
    url = query.attributes["url.full"]
    assert "type=Job" in url and "pageSize=10" in url and "filter=REDACTED" in url
    assert "s3cr3t" not in url
    page_span = next(s for s in exporter.get_finished_spans() if s.name == "veeam_em.query")
    assert query.parent is not None and query.parent.span_id == page_span.context.span_id
    reading = next(s for s in exporter.get_finished_spans() if s.name == "veeam_em.query.all")
    assert page_span.parent is not None and page_span.parent.span_id == reading.context.span_id


def test_without_opentelemetry_nothing_of_it_is_imported() -> None:
    """With the package hidden, the client runs and imports no OpenTelemetry module."""
    script = (
        "import sys, importlib.abc\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'opentelemetry' or name.startswith('opentelemetry.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "import importlib.util\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n.startswith('opentelemetry') "
        "else real(n, *a)\n"
        "import asyncio\n"
        "from veeam_em_async import EnterpriseManager\n"
        "from veeam_em_async.simulator import EMSimulator\n"
        "async def main():\n"
        "    async with EMSimulator(jobs=2) as sim:\n"
        "        async with EnterpriseManager(sim.url, sim.username, sim.password) as em:\n"
        "            await em.jobs.start_many(await em.jobs.list())\n"
        "            print(type(em._transport.telemetry).__name__)\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Telemetry", "[]"]


def test_the_global_provider_set_after_the_client_was_made_is_used() -> None:
    """An application that configures its SDK after making the client still gets spans
    (noticed within RECHECK requests), in a process of its own (the global provider
    can be set once)."""
    script = (
        "import asyncio\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import "
        "InMemorySpanExporter\n"
        "from veeam_em_async import EnterpriseManager\n"
        "from veeam_em_async.simulator import EMSimulator\n"
        "from veeam_em_async.telemetry._otel import RECHECK\n"
        "async def main():\n"
        "    async with EMSimulator(jobs=1) as sim:\n"
        "        async with EnterpriseManager(sim.url, sim.username, sim.password) as em:\n"
        "            await em.jobs.list()\n"
        "            exporter = InMemorySpanExporter()\n"
        "            provider = TracerProvider()\n"
        "            provider.add_span_processor(SimpleSpanProcessor(exporter))\n"
        "            trace.set_tracer_provider(provider)\n"
        "            for _ in range(RECHECK + 10):\n"
        "                await em.jobs.list()\n"
        "            print(len(exporter.get_finished_spans()) > 0)\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
