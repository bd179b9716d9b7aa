"""Restore points, the RPO report, the reports and quick backup, end to end on the
simulator, on its clock (no real time passes)."""

from __future__ import annotations

import gc
import random
import weakref
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import (
    Backup,
    HierarchyItem,
    RunFailedError,
    VmRestorePoint,
)
from veeam_em_async.models import NewestPoints
from veeam_em_async.simulator import EMSimulator
from veeam_em_async.simulator.job_sessions import HIERARCHY_ROOTS

HOUR = 3600.0
DAY = 24 * HOUR
SECOND_ROOT = list(HIERARCHY_ROOTS)[1]


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[EMSimulator]:
    sim = sim_on(clock, jobs=4, nas_jobs=0, agent_jobs=0, task_seconds=1, session_seconds=60,
                 job_types=["Backup"])  # fmt: skip
    async with sim:
        yield sim


async def test_latest_gives_each_of_2000_vms_its_newest_point(
    sim: EMSimulator, clock: FakeClock
) -> None:
    ages = [(d * DAY) + 3 * HOUR for d in range(7)]  # 3 h to 6 d 3 h old
    rng = random.Random(7)
    sim.state.protection.seed(2000, ages, clock.now(), order=rng.shuffle)
    async with sim_client(sim, clock) as em:
        newest = await em.vm_restore_points.latest(since=timedelta(days=8), page_size=1000)
    assert len(newest) == 2000
    by_ref = {}
    for point in sim.state.protection.points:
        kept = by_ref.get(point.vm.ref)
        if kept is None or point.created > kept.created:
            by_ref[point.vm.ref] = point
    assert {ref: p.id for ref, p in by_ref.items()} == {r: p.id for r, p in newest.items()}
    assert all(isinstance(p, VmRestorePoint) for p in newest.values())
    assert {round((clock.utcnow() - p.creation_time).total_seconds()) for p in newest.values()} == {
        3 * 3600
    }
    # ⌈14,000 points / 1,000⌉ pages, one request each, and not one more.
    assert sim.counters.requests["GET /api/query"] == 14


async def test_memory_follows_the_vms_not_the_points(
    sim: EMSimulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,000 points of 50 VMs, read 100 a page: at no time are more than the 50
    kept and three pages' 300 alive, the one being folded and the two asked for
    ahead (a reader that kept every point would hold 2,000)."""
    sim.state.protection.seed(50, [HOUR * h for h in range(1, 41)], clock.now())
    alive: weakref.WeakValueDictionary[int, VmRestorePoint] = weakref.WeakValueDictionary()
    peak = 0
    add = NewestPoints.add

    def watched(self: NewestPoints, point: VmRestorePoint) -> None:
        nonlocal peak
        alive[id(point)] = point
        add(self, point)
        if self.seen % 50 == 0:
            gc.collect()
            peak = max(peak, len(alive))

    monkeypatch.setattr(NewestPoints, "add", watched)
    async with sim_client(sim, clock) as em:
        report = await em.vm_restore_points.protection(since=timedelta(days=3), page_size=100)
    assert report.points_read == 2000 and len(report.vms) == 50
    assert 50 <= peak <= 50 + 3 * 100


async def test_pages_of_the_window(sim: EMSimulator, clock: FakeClock) -> None:
    sim.state.protection.seed(50, [HOUR * h for h in range(1, 41)], clock.now())
    async with sim_client(sim, clock) as em:
        for page_size in (7, 100, 2000):
            before = sim.counters.requests["GET /api/query"]
            newest = await em.vm_restore_points.latest(since=timedelta(days=3),
                                                       page_size=page_size)  # fmt: skip
            assert len(newest) == 50
            assert sim.counters.requests["GET /api/query"] - before == -(-2000 // page_size)


async def test_protection_flags_exactly_the_stale_vms_and_a_named_vm_without_a_point(
    sim: EMSimulator, clock: FakeClock
) -> None:
    now = clock.now()
    fresh = sim.state.protection.seed(["web01", "web02"], [2 * HOUR, 26 * HOUR], now)
    stale = sim.state.protection.seed(["db01"], [30 * HOUR, 54 * HOUR], now)
    # Same name on the second vCenter: another VM, and a stale one.
    twin = sim.state.protection.seed(["web01"], [40 * HOUR], now, root=SECOND_ROOT)
    async with sim_client(sim, clock) as em:
        report = await em.protection(max_age=timedelta(hours=24), vms=["ghost01", "web02"])
    breaches = {(v.vm_name, v.hierarchy_ref) for v in report.breaches}
    assert breaches == {("db01", stale[0].ref), ("web01", twin[0].ref), ("ghost01", None)}
    assert {v.hierarchy_ref for v in report.vms if v.ok} == {fresh[0].ref, fresh[1].ref}
    ghost = next(v for v in report.vms if v.vm_name == "ghost01")
    assert ghost.latest is None and ghost.reason == "no restore point"
    db = next(v for v in report.vms if v.vm_name == "db01")
    assert db.age == timedelta(hours=30) and db.reason == "newest point is 30h old (max 24h)"
    assert report.vms[: len(report.breaches)] == report.breaches  # breaches first
    assert not report.ok


async def test_runs_make_backups_and_points(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        jobs = await em.jobs.list()
        sim.state.scripted[jobs[1].id] = ["Failed"]
        outcomes = await em.jobs.run_many(jobs[:2])
        assert [o.ok for o in outcomes] == [True, False]
        points = [p async for p in em.vm_restore_points.query(since=timedelta(hours=1))]
        assert len(points) == 3  # the Success run's three VMs; the Failed run adds none
        assert {p.vm_name for p in points} == {f"job-0000-vm{i}" for i in (1, 2, 3)}
        assert {p.creation_time for p in points} == {outcomes[0].session.end_time}
        backups = await em.backups.list()
        assert [b.name for b in backups] == ["Job 0000"]
        backup = await em.backups.get(backups[0])
        assert isinstance(backup, Backup) and backup.platform == "VMware"
        assert backup.backup_server_uid == points[0].backup_server_uid
        restore_points = await em.restore_points.list(backup)
        assert len(restore_points) == 1
        one = await em.restore_points.get(restore_points[0])
        assert one.backup_date == outcomes[0].session.end_time
        again = await em.vm_restore_points.get(points[0])
        assert again == points[0]


async def test_reports_agree_with_jobs_sessions_and_repositories(
    sim: EMSimulator, clock: FakeClock
) -> None:
    async with sim_client(sim, clock) as em:
        jobs = await em.jobs.list()
        sim.state.scripted[jobs[2].id] = ["Failed"]
        sim.state.scripted[jobs[3].id] = ["Warning"]
        await em.jobs.run_many(jobs)
        overview = await em.reports.overview()
        stats = await em.reports.job_statistics()
        vms = await em.reports.vms_overview()
        repos = await em.reports.repositories()
        days = await em.reports.processed_vms()
        sessions = [s async for s in em.query("BackupJobSession")]
    results = [s.result for s in sessions]
    assert (stats.total_job_runs, stats.successful_job_runs, stats.warnings_job_runs,
            stats.failed_job_runs) == (4, results.count("Success"), 1, 1)  # fmt: skip
    assert stats.max_backup_job_duration == 60 and stats.running_jobs == 0
    assert overview.backup_servers == 1 and overview.scheduled_jobs == 4
    # Per VM: 12 VMs, the failed and warned runs' first VM not Success.
    assert (overview.successful_vm_lastest_states, overview.warning_vm_lastest_states,
            overview.failed_vm_lastest_states) == (10, 1, 1)  # fmt: skip
    assert vms.backed_up_vms == 9 and vms.restore_points == 9  # 3 good runs x 3 VMs
    assert vms.success_backup_percents == 75
    repositories = list(sim.state.repositories.values())
    assert [(p.name, p.capacity, p.free_space) for p in repos.periods] == [
        (r.name, r.capacity, r.free) for r in repositories
    ]
    assert days.days[0].backuped_vms == 9 and len(days.days) == 7


async def test_find_and_back_up_a_vm_now(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        found = await em.vms.find("job-0001-vm2")
        assert len(found) == 1 and isinstance(found[0], HierarchyItem)
        assert found[0].root_uid == f"urn:veeam:HierarchyRoot:{next(iter(HIERARCHY_ROOTS))}"
        run = await em.vms.backup(found[0])
        session = await run
        assert session.result == "Success" and session.job_name == "Job 0001"
        assert sim.counters.requests["POST /api/backupServers/{id}"] == 1
        points = [p async for p in em.vm_restore_points.query("job-0001-vm2")]
        assert len(points) == 1 and points[0].creation_time == session.end_time


async def test_a_failed_quick_backup_raises_run_failed(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        job = (await em.jobs.list())[0]
        sim.state.scripted[job.id] = ["Failed"]
        vm = (await em.vms.find("job-0000-vm1"))[0]
        run = await em.vms.backup(vm)
        with pytest.raises(RunFailedError) as caught:
            await run
        assert caught.value.session.job_name == "Job 0000"


async def test_an_ambiguous_backup_server_is_refused_before_anything_is_sent(
    clock: FakeClock,
) -> None:
    sim = sim_on(clock, jobs=1, nas_jobs=0, agent_jobs=0, backup_servers=2)
    async with sim, sim_client(sim, clock) as em:
        unknown_root = "urn:VMware:Vm:11111111-2222-4333-8444-555555555555.vm-9"
        with pytest.raises(ValueError, match="2 backup servers"):
            await em.vms.quick_backup(unknown_root)
        with pytest.raises(ValueError, match="not a VM reference"):
            await em.vms.backup("web01")
        assert sim.counters.requests["POST /api/backupServers/{id}"] == 0
        # Named explicitly, it goes there (and the simulator's other server has no VMs).
        servers = await em.backup_servers.list()
        assert len(servers) == 2


async def test_backup_many_gives_one_outcome_per_vm_in_order(
    sim: EMSimulator, clock: FakeClock
) -> None:
    async with sim_client(sim, clock) as em:
        jobs = await em.jobs.list()
        sim.state.scripted[jobs[1].id] = ["Failed"]
        vms = [(await em.vms.find(f"job-000{i}-vm1"))[0] for i in range(3)]
        before = sim.counters.requests["GET /api/hierarchyRoots"]
        outcomes = await em.vms.backup_many(vms)
        assert [o.ok for o in outcomes] == [True, False, True]
        assert [o.job for o in outcomes] == vms
        assert isinstance(outcomes[1].error, RunFailedError)
        assert sim.counters.requests["POST /api/backupServers/{id}"] == 3
        assert sim.counters.requests["GET /api/hierarchyRoots"] - before == 1  # read once


async def test_without_the_related_link_the_run_is_found_through_the_job_that_includes_the_vm(
    clock: FakeClock,
) -> None:
    """Older EM builds link no session from the task: the run is the newest session
    of the job that includes the VM, newer than the one read before the request."""
    sim = sim_on(clock, jobs=2, nas_jobs=0, agent_jobs=0, job_types=["Backup"],
                 session_links=False, history_sessions=2, list_delay=5)  # fmt: skip
    async with sim, sim_client(sim, clock) as em:
        ref = next(iter(sim.state.includes.values()))[1][1]  # job 0's second VM, a bare ref
        run = await em.vms.backup(ref)
        session = await run
        assert session.job_name == "Job 0000" and session.result == "Success"
        newest = sim.state.job_sessions[
            sim.state.jobs[session.job_uid.rsplit(":", 1)[-1]].sessions[-1]
        ]
        assert session.uid.endswith(newest.id)  # not one of the two older runs
        # The name came from the lookup (a bare ref), the job from type=ObjectInJob.
        assert sim.counters.requests["GET /api/lookup"] == 1
        assert sim.counters.requests["POST /api/backupServers/{id}"] == 1


async def test_a_quick_backup_run_processes_its_vm_alone(
    sim: EMSimulator, clock: FakeClock
) -> None:
    """Its session's task sessions, its reason and its restore point are the one VM's."""
    async with sim_client(sim, clock) as em:
        job = (await em.jobs.list())[1]
        sim.state.scripted[job.id] = ["Warning"]
        vm = (await em.vms.find("job-0001-vm2"))[0]
        session = await (await em.vms.backup(vm))
        tasks = await em.backup_sessions.task_sessions(session)
        assert [(t.vm_display_name, t.result) for t in tasks] == [("job-0001-vm2", "Warning")]
        points = [p async for p in em.vm_restore_points.query(since=timedelta(hours=1))]
        assert [p.vm_name for p in points] == ["job-0001-vm2"]
        overview = await em.reports.overview()
        assert overview.warning_vm_lastest_states == 1
