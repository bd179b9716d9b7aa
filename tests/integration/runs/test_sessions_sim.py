"""Job sessions against the simulator, on the simulator's clock (no real time)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import EnterpriseManager, PollPolicy, SessionResult, SessionState
from veeam_em_async.simulator import EMSimulator

FAST = PollPolicy(initial_delay=0.01, min_interval=0.01, max_interval=0.05)


class SimClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sim() -> AsyncIterator[tuple[EMSimulator, SimClock]]:
    clock = SimClock()
    sim = EMSimulator(jobs=10, nas_jobs=2, task_seconds=0, session_seconds=100, clock=clock)
    async with sim:
        yield sim, clock


def client(sim: EMSimulator) -> EnterpriseManager:
    return EnterpriseManager(sim.url, sim.username, sim.password, poll_policy=FAST)


def first(sim: EMSimulator, job_type: str) -> str:
    return next(j.id for j in sim.state.jobs.values() if j.job_type == job_type)


async def test_a_started_job_runs_a_session_from_starting_to_success(
    sim: tuple[EMSimulator, SimClock],
) -> None:
    simulator, clock = sim
    job = first(simulator, "Backup")
    async with client(simulator) as em:
        await (await em.jobs.start(job))
        (ref,) = await em.jobs.backup_sessions(job)
        assert [r.id for r in await em.backup_sessions.list()] == [ref.id]
        seen = []
        for at in (5, 50, 100):
            clock.now = at
            session = await em.backup_sessions.get(ref)
            seen.append((session.state, session.result, session.progress))
        assert seen == [("Starting", None, 5), ("Working", None, 50), ("Stopped", "Success", 100)]
        assert session.done and session.job_id == job and session.job_type == "Backup"
        assert session.end_time is not None and session.creation_time is not None
        assert (session.end_time - session.creation_time).total_seconds() == 100
        vms = await em.backup_sessions.task_sessions(session)
        assert len(vms) == 3 and {vm.result for vm in vms} == {"Success"}
        assert all(vm.job_session_uid == session.uid for vm in vms)


async def test_failed_and_warning_runs_name_the_vm_in_its_reason(
    sim: tuple[EMSimulator, SimClock],
) -> None:
    simulator, clock = sim
    jobs = [j.id for j in simulator.state.jobs.values() if j.job_type == "Backup"][:2]
    async with client(simulator) as em:
        simulator.state.failure_rate = 0.0
        simulator.state.warning_rate = 1.0
        await (await em.jobs.start(jobs[0]))
        simulator.state.warning_rate = 0.0
        simulator.state.failure_rate = 1.0
        start = await em.jobs.start(jobs[1])
        assert (await start).result.success  # the start task succeeds; the run fails
        clock.now = 500  # before EM's automatic retry (10 minutes after the failure)
        results = []
        for job in jobs:
            (ref,) = await em.jobs.backup_sessions(job)
            session = await em.backup_sessions.get(ref)
            vms = await em.backup_sessions.task_sessions(session)
            results.append((session.result, [vm.reason for vm in vms]))
        assert start.id
    assert results[0] == (
        SessionResult.WARNING,
        ["Warning: Changed block tracking is disabled", None, None],
    )
    assert results[1] == (SessionResult.FAILED, ["Error: Failed to create VM snapshot", None, None])


async def test_stop_ends_a_running_session_as_failed(sim: tuple[EMSimulator, SimClock]) -> None:
    simulator, clock = sim
    job = first(simulator, "Backup")
    async with client(simulator) as em:
        await (await em.jobs.start(job))
        (ref,) = await em.jobs.backup_sessions(job)
        clock.now = 30
        task = await em.backup_sessions.stop(ref)
        assert (await task).state == "Finished"
        session = await em.backup_sessions.get(ref)
        assert session.state == SessionState.STOPPED and session.result == SessionResult.FAILED
        assert session.progress == 30
        (first_vm, *_) = await em.backup_sessions.task_sessions(session)
        assert first_vm.reason == "Stopped by user"


async def test_replica_and_nas_runs_report_where_em_reports_them(
    sim: tuple[EMSimulator, SimClock],
) -> None:
    simulator, clock = sim
    replica = first(simulator, "Replica")
    async with client(simulator) as em:
        await (await em.jobs.start(replica))
        nas = (await em.nas_jobs.list())[0]
        await (await em.nas_jobs.start(nas))
        clock.now = 200
        (replica_ref,) = await em.replica_sessions.list()
        session = await em.replica_sessions.get(replica_ref)
        assert session.job_id == replica and session.job_type == "Replica" and session.done
        assert len(await em.replica_sessions.task_sessions(session)) == 3
        (nas_ref,) = await em.nas_jobs.backup_sessions(nas)
        nas_session = await em.backup_sessions.get(nas_ref)
        assert nas_session.job_type == "NasBackup" and nas_session.job_id == nas.id
        # a replica session is not a backup session
        assert [r.id for r in await em.backup_sessions.list()] == [nas_ref.id]


async def test_last_results_parses_about_twice_the_jobs_not_a_page_of_1000(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 jobs with 5 runs each in the window: their newest runs come on one page of
    400 (twice the jobs), where a page of 1,000 parsed every run of the window."""
    import veeam_em_async.query._query as query_module

    parsed: list[int] = []
    real = query_module.parse_query_page

    def counting(data, model, keep=None):  # type: ignore[no-untyped-def]
        page = real(data, model, keep)
        parsed.append(len(page.items))
        return page

    monkeypatch.setattr(query_module, "parse_query_page", counting)
    sim = sim_on(clock, jobs=200, nas_jobs=0, agent_jobs=0, job_types=["Backup"],
                 history_sessions=5)  # fmt: skip
    async with sim, sim_client(sim, clock) as em:
        jobs = await em.jobs.list()
        parsed.clear()
        newest = await em.jobs.last_results(jobs=jobs)
    assert len(newest) == 200 and all(s is not None for s in newest.values())
    assert parsed == [400]  # one page, twice the jobs (1,000 before)
