"""The exporter against the simulator: values as seeded, scrapes that never reach
EM, an EM that goes down, the password nowhere, and a fleet with one EM refusing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import EnterpriseManager, Fleet
from veeam_em_async.exporter import BasicAuth, EmCollector, Exporter, make_app
from veeam_em_async.simulator import EMSimulator

HOUR = 3600.0


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, parsed by prometheus_client's own parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, metric: str, **labels: str) -> float:
    """The one sample of ``metric`` whose labels include ``labels``."""
    wanted = set(labels.items())
    hits = [v for (n, ls), v in samples(text).items() if n == metric and wanted <= ls]
    assert len(hits) == 1, (metric, labels, hits)
    return hits[0]


def seeded(clock: FakeClock) -> EMSimulator:
    """A simulator with one job whose newest run failed after an older success, a
    VM backed up an hour ago and one backed up three days ago."""
    sim = sim_on(clock, jobs=3, nas_jobs=0, agent_jobs=0, job_types=["Backup"])
    jobs = list(sim.state.jobs.values())
    now = clock.now()
    sim.state.record_run(jobs[0], "Success", now - 30 * HOUR)
    sim.state.record_run(jobs[0], "Failed", now - 2 * HOUR)
    sim.state.record_run(jobs[1], "Warning", now - 5 * HOUR)
    sim.state.protection.seed(["fresh-vm"], [1 * HOUR], now)
    sim.state.protection.seed(["stale-vm"], [72 * HOUR], now)
    return sim


@pytest_asyncio.fixture
async def em_sim(clock: FakeClock) -> AsyncIterator[EMSimulator]:
    async with seeded(clock) as sim:
        yield sim


async def scrape(exporter: Exporter, path: str = "/metrics", **headers: str) -> tuple[int, str]:
    async with TestClient(TestServer(make_app(exporter))) as http:
        response = await http.get(path, headers=headers)
        return response.status, await response.text()


async def test_the_values_are_what_the_simulator_was_seeded_with(
    em_sim: EMSimulator, clock: FakeClock
) -> None:
    jobs = list(em_sim.state.jobs.values())
    async with sim_client(em_sim, clock) as em:
        exporter = Exporter.of({"prod": em}, max_age=timedelta(hours=24))
        assert await exporter.collectors["prod"].collect_once()
        status, text = await scrape(exporter)
    assert status == 200
    failed, warned, never = (j.name for j in jobs)
    assert value(text, "veeam_em_job_last_result", em="prod", jobname=failed) == 2
    assert value(text, "veeam_em_job_last_result", em="prod", jobname=warned) == 1
    assert value(text, "veeam_em_job_last_result", em="prod", jobname=never) == -1
    # The failed job's last success is the run of 30 hours ago (it ends a session later).
    success = value(text, "veeam_em_job_last_success_timestamp_seconds", jobname=failed)
    started = clock.utcnow().timestamp() - 30 * HOUR
    assert started <= success <= started + em_sim.state.session_seconds + 1
    assert not [k for k in samples(text) if k[0].endswith("last_success_timestamp_seconds")
                and ("jobname", never) in k[1]]  # fmt: skip
    # The veeam_em_* family's numbering: 3 Failed, 2 Warning.
    assert value(text, "veeam_em_jobs_sessions_state", jobname=failed, name=failed) == 3
    assert value(text, "veeam_em_jobs_sessions_state", jobname=warned) == 2
    assert value(text, "veeam_em_vm_protected", vm="fresh-vm") == 1
    assert value(text, "veeam_em_vm_protected", vm="stale-vm") == 0
    newest = value(text, "veeam_em_vm_last_restore_point_timestamp_seconds", vm="stale-vm")
    assert newest == pytest.approx(clock.utcnow().timestamp() - 72 * HOUR, abs=1)
    for repo in em_sim.state.repositories.values():
        ratio = value(text, "veeam_em_repository_free_ratio", name=repo.name)
        assert ratio == pytest.approx(repo.free / repo.capacity)
        assert value(text, "veeam_em_overview_repositories_capacity_free_bytes",
                     name=repo.name, type=repo.kind) == repo.free  # fmt: skip
    assert value(text, "veeam_em_up", em="prod") == 1
    assert value(text, "veeam_em_backup_servers_config", name="vbr01") == 1


async def test_scrapes_within_an_interval_send_nothing_to_em(
    em_sim: EMSimulator, clock: FakeClock
) -> None:
    async with sim_client(em_sim, clock) as em:
        exporter = Exporter.of({"prod": em})
        collector = exporter.collectors["prod"]
        assert await collector.collect_once()
        sent = sum(em_sim.counters.requests.values())
        first = await scrape(exporter)
        second = await scrape(exporter, Accept="application/openmetrics-text; version=1.0.0")
        assert sum(em_sim.counters.requests.values()) == sent
        assert first[1].startswith("# HELP") and second[1].rstrip().endswith("# EOF")
        assert collector.collections == 1
        # A collection costs the same requests each time (no per-scrape, no growth).
        per_collection = collector.snapshot.requests if collector.snapshot else 0
        assert await collector.collect_once()
        assert collector.snapshot is not None and collector.snapshot.requests == per_collection
        assert sum(em_sim.counters.requests.values()) == sent + per_collection


async def test_the_collector_runs_once_per_interval_on_the_clock(
    em_sim: EMSimulator, clock: FakeClock
) -> None:
    async with sim_client(em_sim, clock) as em:
        collector = EmCollector("prod", em, interval=60.0)
        task = asyncio.ensure_future(collector.run())
        while collector.collections < 3:  # noqa: ASYNC110 - the fake clock's sleeps yield
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # The simulated EM answers in no fake time: each wait is the whole interval.
    assert clock.sleeps[:2] == [60.0, 60.0]
    assert collector.errors == 0 and collector.up


async def test_an_em_that_goes_down_keeps_its_last_values_and_says_up_0(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    sim = seeded(clock)
    await sim.start()
    failed_job = next(iter(sim.state.jobs.values())).name
    async with sim_client(sim, clock) as em:
        exporter = Exporter.of({"prod": em})
        collector = exporter.collectors["prod"]
        assert await collector.collect_once()
        await sim.stop()
        with caplog.at_level(logging.WARNING, logger="veeam_em_async.exporter"):
            assert not await collector.collect_once()
        _, text = await scrape(exporter)
    assert value(text, "veeam_em_up", em="prod") == 0
    assert value(text, "veeam_em_collect_errors_total", em="prod") == 1
    assert value(text, "veeam_em_job_last_result", jobname=failed_job) == 2  # the last good value
    assert value(text, "veeam_em_vm_protected", vm="stale-vm") == 0
    assert "collection failed, serving the last values" in caplog.text
    assert collector.last_error is not None and "TransportError" in collector.last_error


async def test_the_password_appears_nowhere(
    em_sim: EMSimulator, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-password-9f1c"
    caplog.set_level(logging.DEBUG)
    async with sim_client(em_sim, clock) as good:
        bad = EnterpriseManager(em_sim.url, em_sim.username, wrong, clock=clock)
        exporter = Exporter.of({"good": good, "bad": bad})
        for collector in exporter.collectors.values():
            await collector.collect_once()
        pages = [await scrape(exporter, path) for path in ("/metrics", "/", "/-/healthy")]
        await bad.close()
    seen = "\n".join(text for _, text in pages) + caplog.text
    assert "bad" in seen and "AuthenticationError" in seen  # the refusal is reported...
    for secret in (em_sim.password, wrong):
        assert secret not in seen  # ...without either password
    assert repr(BasicAuth("prom", "listener-secret")).count("listener-secret") == 0


async def test_a_fleet_serves_every_em_and_each_target_alone_with_one_refusing(
    clock: FakeClock,
) -> None:
    async with seeded(clock) as one, sim_on(clock, jobs=2, nas_jobs=0, agent_jobs=0) as two:
        managers = {
            "eu": sim_client(one, clock),
            "us": EnterpriseManager(two.url, two.username, "wrong", clock=clock),
        }
        async with Fleet(managers) as fleet:
            assert set(fleet.failed) == {"us"}
            exporter = Exporter.of(fleet.managers)
            for _ in range(3):  # three intervals: the refused logon is not sent again
                for collector in exporter.collectors.values():
                    await collector.collect_once()
            _, every = await scrape(exporter)
            _, eu = await scrape(exporter, "/metrics?target=eu")
            _, us = await scrape(exporter, "/metrics?target=us")
            missing = await scrape(exporter, "/metrics?target=ap")
    assert value(every, "veeam_em_up", em="eu") == 1
    assert value(every, "veeam_em_up", em="us") == 0
    assert {ls for (n, ls) in samples(eu)} and all(
        ("em", "eu") in ls for (_, ls) in samples(eu)
    )  # one EM's page holds that EM's samples only
    assert value(eu, "veeam_em_vm_protected", vm="stale-vm") == 0
    assert value(us, "veeam_em_up", em="us") == 0
    assert value(us, "veeam_em_collect_errors_total", em="us") == 3
    assert two.counters.requests["POST /api/sessionMngr/"] == 1  # never a burst
    assert missing[0] == 404


async def test_later_collections_read_only_the_new_points_and_agree_with_a_full_reading(
    clock: FakeClock,
) -> None:
    async with sim_on(clock, jobs=0, nas_jobs=0, agent_jobs=0) as sim:
        now = clock.now()
        sim.state.protection.seed(1200, [2 * HOUR, 26 * HOUR, 40 * HOUR], now)
        sim.state.protection.seed(["old-vm"], [47 * HOUR], now)
        async with sim_client(sim, clock) as em:
            collector = EmCollector("prod", em, window=timedelta(hours=48), full_every=3)
            assert await collector.collect_once()
            assert collector.points.last_was_full and collector.points.last_read == 3601
            clock.advance(2 * HOUR)
            sim.state.protection.seed(["new-vm"], [0.0], clock.now())
            assert await collector.collect_once()
            # Since the last collection began, less the hour's overlap: the new point.
            assert not collector.points.last_was_full and collector.points.last_read == 1
            incremental = collector.snapshot
            full = EmCollector("full", em, window=timedelta(hours=48))
            assert await full.collect_once()
            assert await collector.collect_once()
            assert not collector.points.last_was_full
            assert await collector.collect_once()  # one in three reads the whole window
            assert collector.points.last_was_full
    assert incremental is not None and full.snapshot is not None
    verdicts = {(vm.vm_name, vm.ok, vm.latest.uid if vm.latest else None)
                for vm in incremental.protection.vms}  # fmt: skip
    assert verdicts == {(vm.vm_name, vm.ok, vm.latest.uid if vm.latest else None)
                        for vm in full.snapshot.protection.vms}  # fmt: skip
    ages = {vm.vm_name: vm.age for vm in incremental.protection.vms}
    assert "old-vm" not in ages and len(ages) == 1201  # its point left the window
    assert ages["new-vm"] == timedelta(0) and ages["seeded-vm00007"] == timedelta(hours=4)


async def test_a_scrape_after_a_collection_is_served_the_last_page_while_the_new_renders(
    clock: FakeClock,
) -> None:
    sim = seeded(clock)
    await sim.start()
    async with sim_client(sim, clock) as em:
        exporter = Exporter.of({"prod": em})
        assert await exporter.collectors["prod"].collect_once()
        first, _ = await exporter.page()  # never rendered: rendered (in a thread) and served
        await sim.stop()
        assert not await exporter.collectors["prod"].collect_once()
        stale, _ = await exporter.page()  # the last page, at once; the new one is on its way
        assert stale == first and exporter._rendering is not None
        await exporter._rendering
        new, _ = await exporter.page()
        await exporter.stop()
    assert value(first.decode(), "veeam_em_up", em="prod") == 1
    assert value(new.decode(), "veeam_em_up", em="prod") == 0
