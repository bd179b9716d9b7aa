"""Spans and metrics of a bulk start against the simulator, with the SDK's in-memory
exporter and reader: counted, never timed."""

from __future__ import annotations

import pytest

from tests.fakes import FakeClock, sim_client, sim_on

sdk_trace = pytest.importorskip("opentelemetry.sdk.trace", reason="the otel test extra")
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)


async def test_start_many_of_50_jobs_shows_one_bulk_span_50_waits_and_a_span_per_request(
    clock: FakeClock,
) -> None:
    exporter = InMemorySpanExporter()
    tracer_provider = sdk_trace.TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    sim = sim_on(clock, jobs=50, nas_jobs=0, agent_jobs=0, job_types=["Backup"])
    async with sim:
        async with sim_client(sim, clock, tracer_provider=tracer_provider,
                              meter_provider=meter_provider) as em:  # fmt: skip
            outcomes = await em.jobs.start_many(await em.jobs.list())
        requests = sum(sim.counters.requests.values())
    assert all(o.ok for o in outcomes)
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]
    assert names.count("veeam_em.bulk") == 1
    assert names.count("veeam_em.task.wait") == 50
    client = [s for s in spans if s.kind.name == "CLIENT"]
    assert len(client) == requests  # the logon and logoff included
    assert {s.attributes["veeam_em.limit"] for s in client} == {20}  # the cap in flight
    bulk = next(s for s in spans if s.name == "veeam_em.bulk")
    assert bulk.attributes["veeam_em.action"] == "start" and bulk.attributes["veeam_em.jobs"] == 50
    waits = [s for s in spans if s.name == "veeam_em.task.wait"]
    assert {w.parent.span_id for w in waits if w.parent} == {bulk.context.span_id}
    posts = [s for s in client if s.attributes["http.request.method"] == "POST"]
    assert sum(p.parent is not None and p.parent.span_id == bulk.context.span_id
               for p in posts) == 50  # fmt: skip

    metrics = {
        m.name: m
        for rm in reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    durations = metrics["http.client.request.duration"].data.data_points
    assert sum(p.count for p in durations) == requests
    finished = {p.attributes.get("outcome"): p.value
                for p in metrics["veeam_em.tasks.finished"].data.data_points}  # fmt: skip
    assert finished == {"ok": 50}
    relogons = metrics["veeam_em.relogons"].data.data_points
    assert [p.value for p in relogons] == [0]
    assert "veeam_em.slot.wait.time" in metrics
