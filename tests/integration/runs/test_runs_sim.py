"""Job runs against the simulator, on one fake clock shared by the simulator and
the client: sessions of minutes and retries ten minutes apart take no real time,
and every assertion is on results and request counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import (
    BackupJobSession,
    EnterpriseManager,
    NotFoundError,
    PollPolicy,
    ReplicaJobSession,
    RunFailedError,
    RunTimeoutError,
    TaskFailedError,
)
from veeam_em_async.errors import BadRequestError
from veeam_em_async.simulator import EMSimulator

TASKS = PollPolicy(initial_delay=1, min_interval=1, max_interval=1, jitter=0)
RUNS = PollPolicy(initial_delay=5, min_interval=5, max_interval=5, jitter=0)


def simulator(clock: FakeClock, **kwargs: object) -> EMSimulator:
    options: dict[str, object] = {"jobs": 10, "nas_jobs": 2, "task_seconds": 2}
    options.setdefault("session_seconds", 100)
    options.update(kwargs)
    sim = sim_on(clock, **options)
    return sim


def client(sim: EMSimulator, clock: FakeClock, **kwargs: object) -> EnterpriseManager:
    return sim_client(sim, clock, poll_policy=TASKS, run_poll_policy=RUNS, **kwargs)


def job_of(sim: EMSimulator, job_type: str, n: int = 0) -> str:
    return [j.id for j in sim.state.jobs.values() if j.job_type == job_type][n]


def newest(sim: EMSimulator, job_id: str) -> str:
    return (sim.state.jobs.get(job_id) or sim.state.nas_jobs[job_id]).sessions[-1]


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[EMSimulator]:
    async with simulator(clock) as running:
        yield running


async def test_a_run_follows_the_related_link_to_its_session(
    sim: EMSimulator, clock: FakeClock
) -> None:
    job = job_of(sim, "Backup")
    async with client(sim, clock) as em:
        run = await em.jobs.run(job)
        assert run.session is None and not run.done()
        session = await run
        task = run.task
    assert isinstance(session, BackupJobSession)
    assert session.id == newest(sim, job) and session.job_id == job
    assert session.state == "Stopped" and session.result == "Success" and run.done()
    assert task is not None and task.info is not None
    related = task.info.link("Related")
    assert related is not None and related.type == "BackupJobSession"
    assert session.id in related.href
    # The job's type and its newest session were read once, before the start.
    assert sim.counters.requests["GET /api/jobs/{id}"] == 1
    assert sim.counters.requests["POST /api/jobs/{id}"] == 1
    assert clock.now() >= 100  # it waited for the backup, not for the start task


async def test_without_the_link_a_late_listed_run_is_found_never_an_older_one(
    clock: FakeClock,
) -> None:
    async with simulator(clock, session_links=False, list_delay=30, history_sessions=3) as sim:
        job = job_of(sim, "Backup")
        older = list(sim.state.jobs[job].sessions)
        assert len(older) == 3
        async with client(sim, clock) as em:
            run = await em.jobs.run(job)
            session = await run
        assert run.task is not None and run.task.info is not None
        assert run.task.info.link("Related") is None
    assert session.id == newest(sim, job) and session.id not in older
    assert session.result == "Success" and not session.is_retry
    # It kept asking while EM did not list the run yet (30 s, polled every 5 s).
    assert sim.counters.requests["GET /api/query"] >= 1 + 30 // 5


async def test_a_failed_run_raises_with_its_session_and_vm_reasons(
    sim: EMSimulator, clock: FakeClock
) -> None:
    failing, warning = job_of(sim, "Backup", 0), job_of(sim, "Backup", 1)
    sim.state.scripted = {failing: ["Failed"], warning: ["Warning"]}
    async with client(sim, clock) as em:
        run = await em.jobs.run(failing)
        with pytest.raises(RunFailedError) as caught:
            await run
        assert run.done()
        vms = await run.task_sessions()
        warned = await (await em.jobs.run(warning))
    assert caught.value.session.result == "Failed"
    assert caught.value.session.id == newest(sim, failing)
    assert "Failed" in caught.value.message and "Job 0000" in caught.value.message
    assert [vm.reason for vm in vms] == ["Error: Failed to create VM snapshot", None, None]
    assert warned.result == "Warning"


async def test_replica_and_nas_runs(sim: EMSimulator, clock: FakeClock) -> None:
    replica = job_of(sim, "Replica")
    async with client(sim, clock) as em:
        replica_session = await (await em.jobs.run(replica))
        nas = (await em.nas_jobs.list())[0]
        nas_session = await (await em.nas_jobs.run(nas))
    assert isinstance(replica_session, ReplicaJobSession)
    assert replica_session.id == newest(sim, replica) and replica_session.job_type == "Replica"
    assert isinstance(nas_session, BackupJobSession) and nas_session.job_type == "NasBackup"
    assert nas_session.id == newest(sim, str(nas.id))
    assert sim.counters.requests["GET /api/replicaSessions/{id}"] >= 1


async def test_stop_ends_the_run_as_failed(sim: EMSimulator, clock: FakeClock) -> None:
    job = job_of(sim, "Backup")
    async with client(sim, clock) as em:
        run = await em.jobs.run(job)
        with pytest.raises(RunTimeoutError):
            await run.wait(timeout=30)  # the session is known and running
        assert run.state in ("Starting", "Working")
        stop = await run.stop()
        await stop
        with pytest.raises(RunFailedError) as caught:
            await run
        vms = await run.task_sessions()
    assert sim.counters.requests["POST /api/backupSessions/{id}"] == 1
    assert caught.value.session.result == "Failed"
    assert vms[0].reason == "Stopped by user"


async def test_an_already_running_job_raises_ems_message(
    sim: EMSimulator, clock: FakeClock
) -> None:
    job = job_of(sim, "Backup")
    async with client(sim, clock) as em:
        first = await em.jobs.run(job)
        await first.task  # started; its session runs for 100 s
        second = await em.jobs.run(job)
        with pytest.raises(TaskFailedError, match="already running"):
            await second
        with pytest.raises(BadRequestError, match="backup copy"):
            await em.jobs.run(job_of(sim, "BackupCopy"))
        with pytest.raises(ValueError, match="does not start a run"):
            await em.jobs.run(job, "stop")
        assert (await first).result == "Success"


async def test_follow_retries_reports_the_last_session_of_the_chain(
    sim: EMSimulator, clock: FakeClock
) -> None:
    recovers, keeps_failing = job_of(sim, "Backup", 0), job_of(sim, "Backup", 1)
    sim.state.scripted = {recovers: ["Failed", "Success"], keeps_failing: ["Failed"] * 4}
    async with client(sim, clock) as em:
        recovered = await (await em.jobs.run(recovers, follow_retries=True))
        run = await em.jobs.run(keeps_failing, follow_retries=True)
        with pytest.raises(RunFailedError) as caught:
            await run
    assert recovered.is_retry and recovered.result == "Success"
    assert recovered.id == newest(sim, recovers) and len(sim.state.jobs[recovers].sessions) == 2
    # RetryOptions: 3 retries, so 4 runs; the last is reported.
    chain = sim.state.jobs[keeps_failing].sessions
    assert len(chain) == 4 and caught.value.session.id == chain[-1]
    assert caught.value.session.is_retry


async def test_without_follow_retries_the_first_failure_is_final(
    sim: EMSimulator, clock: FakeClock
) -> None:
    job = job_of(sim, "Backup")
    sim.state.scripted = {job: ["Failed", "Success"]}
    async with client(sim, clock) as em:
        run = await em.jobs.run(job)
        with pytest.raises(RunFailedError) as caught:
            await run
    assert not caught.value.session.is_retry
    assert caught.value.session.id == sim.state.jobs[job].sessions[0]


async def test_a_run_is_resumed_by_session_id_from_another_client(
    sim: EMSimulator, clock: FakeClock
) -> None:
    job = job_of(sim, "Backup")
    async with client(sim, clock) as em:
        run = await em.jobs.run(job)
        await run.task
        session_id = newest(sim, job)
    async with client(sim, clock) as em:  # "the service restarted"
        resumed = em.backup_sessions.follow(session_id)
        session = await resumed
        by_uid = await em.backup_sessions.follow(f"urn:veeam:BackupJobSession:{session_id}")
    assert session.id == session_id and session.result == "Success" and resumed.done()
    assert by_uid.id == session_id and resumed.job_uid == f"urn:veeam:Job:{job}"


async def test_a_timeout_before_the_session_is_listed_has_no_session(clock: FakeClock) -> None:
    async with simulator(clock, session_links=False, list_delay=1000) as sim:
        job = job_of(sim, "Backup")
        async with client(sim, clock) as em:
            run = await em.jobs.run(job)
            with pytest.raises(RunTimeoutError) as caught:
                await run.wait(timeout=60)
            assert isinstance(caught.value, TimeoutError)
            assert caught.value.session is None and run.session is None
            assert em.run_watcher.pending == 0
        assert sim.counters.requests["POST /api/jobs/{id}"] == 1  # nothing sent to stop it


async def test_a_timeout_keeps_the_last_session_and_sends_nothing(
    sim: EMSimulator, clock: FakeClock
) -> None:
    job = job_of(sim, "Backup")
    async with client(sim, clock) as em:
        run = await em.jobs.run(job)
        with pytest.raises(RunTimeoutError) as caught:
            await run.wait(timeout=50)
        assert caught.value.session is not None and caught.value.session.state == "Working"
        assert em.run_watcher.pending == 0
        posts = sim.counters.requests["POST /api/jobs/{id}"]
        assert (await run.wait()).result == "Success"  # waiting again picks it up
    assert posts == 1 and "POST /api/backupSessions/{id}" not in sim.counters.requests


async def test_cancelling_a_wait_sends_nothing_and_leaves_no_poll(
    sim: EMSimulator, clock: FakeClock
) -> None:
    job = job_of(sim, "Backup")
    async with client(sim, clock) as em:
        run = await em.jobs.run(job)
        waiting = asyncio.ensure_future(run.wait())
        for _ in range(10_000):  # until the run watcher has its session (no real time)
            if run.session is not None:
                break
            await asyncio.sleep(0)
        assert run.session is not None
        before = sum(sim.counters.requests.values())
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        for _ in range(20):
            await asyncio.sleep(0)
        assert sum(sim.counters.requests.values()) == before
        assert em.run_watcher.pending == 0
        assert not em.run_watcher.running
        assert not run.done()


async def test_run_many_gives_one_outcome_per_job_in_order(clock: FakeClock) -> None:
    async with simulator(clock, jobs=200, job_types=["Backup"]) as sim:
        ids = list(sim.state.jobs)
        results = ["Success", "Warning", "Failed"]
        sim.state.scripted = {job: [results[n % 3]] for n, job in enumerate(ids)}
        missing = "00000000-0000-4000-8000-000000000000"
        jobs = [*ids[:100], missing, *ids[100:]]
        async with client(sim, clock, max_connections=10) as em:
            outcomes = await em.jobs.run_many(jobs, concurrency=10)
            batch_polls = em.run_watcher.batch_polls
        assert [o.job for o in outcomes] == jobs
        # Queries: one for every job's type, one baseline for the server, and the
        # run watcher's one per tick; nothing per job.
        assert sim.counters.requests["GET /api/query"] == 2 + batch_polls
        for job, outcome in zip(jobs, outcomes, strict=True):
            if job == missing:
                assert isinstance(outcome.error, NotFoundError) and outcome.session is None
                continue
            expected = results[ids.index(job) % 3]
            assert outcome.session is not None and outcome.session.result == expected
            assert outcome.session.id == newest(sim, job)
            assert outcome.ok is (expected != "Failed")
            assert isinstance(outcome.error, RunFailedError) is (expected == "Failed")
        assert sim.counters.requests["POST /api/jobs/{id}"] == 200  # each started once
        # Every job's type came from one query; only the unknown id was asked for alone.
        assert sim.counters.requests["GET /api/jobs/{id}"] == 1
        assert sim.counters.max_in_flight <= 10


@pytest.mark.parametrize("runs", [10, 500])
async def test_polling_requests_per_tick_do_not_grow_with_the_runs_awaited(
    clock: FakeClock, runs: int
) -> None:
    async with simulator(clock, jobs=runs, job_types=["Backup"], session_seconds=60) as sim:
        async with client(sim, clock, max_connections=10) as em:
            started = [await em.jobs.run(job) for job in sim.state.jobs]
            baseline_queries = sim.counters.requests["GET /api/query"]
            sessions = await asyncio.gather(*(run.wait() for run in started))
            watcher = em.run_watcher
            polling = (
                sim.counters.requests["GET /api/query"]
                - baseline_queries
                + sim.counters.requests["GET /api/backupSessions/{id}"]
            )
            assert {s.result for s in sessions} == {"Success"}
            assert watcher.ticks >= 60 // 5
            # One query per tick, whatever the number of runs; no GET per session.
            assert polling == watcher.batch_polls == watcher.ticks
            assert watcher.single_polls == 0


async def test_run_many_without_links_never_takes_an_older_run(clock: FakeClock) -> None:
    """The shared baseline of run_many (the server's newest session before the
    starts) keeps every job's three older runs out, even listed late."""
    async with simulator(
        clock, jobs=30, job_types=["Backup"], session_links=False, list_delay=10,
        history_sessions=3,
    ) as sim:  # fmt: skip
        older = {s for job in sim.state.jobs.values() for s in job.sessions}
        assert len(older) == 90
        async with client(sim, clock, max_connections=5) as em:
            outcomes = await em.jobs.run_many(list(sim.state.jobs), concurrency=5)
        for job, outcome in zip(sim.state.jobs, outcomes, strict=True):
            assert outcome.ok and outcome.session is not None
            assert outcome.session.id == newest(sim, job) and outcome.session.id not in older


async def test_runs_survive_a_relogon_and_a_lost_session_is_a_clear_error(
    sim: EMSimulator, clock: FakeClock
) -> None:
    kept, lost = job_of(sim, "Backup", 0), job_of(sim, "Backup", 1)
    async with client(sim, clock) as em:
        runs = [await em.jobs.run(kept), await em.jobs.run(lost)]
        for run in runs:
            with pytest.raises(RunTimeoutError):
                await run.wait(timeout=20)  # both sessions known and running
        sim.state.expire_sessions()  # EM restarted: every logon session is gone...
        del sim.state.job_sessions[newest(sim, lost)]  # ...and it lost one run
        results = await asyncio.gather(*(run.wait() for run in runs), return_exceptions=True)
        logons = sim.counters.logons
    assert isinstance(results[0], BackupJobSession) and results[0].result == "Success"
    assert isinstance(results[1], NotFoundError)
    assert logons == 2  # one re-logon, shared


async def test_run_many_does_not_hold_the_job_entities_while_it_waits(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entities read for a run_many (one query) are dropped once each run knows
    what it needs: a run of hours does not hold kilobytes per job."""
    import gc
    import weakref

    from veeam_em_async.resources.jobs import JobsResource

    held: list[weakref.ref[object]] = []
    known = JobsResource._known_jobs

    async def remembering(self: JobsResource, jobs: object) -> object:
        found = await known(self, jobs)  # type: ignore[arg-type]
        held.extend(weakref.ref(job) for job in found.values())
        return found

    monkeypatch.setattr(JobsResource, "_known_jobs", remembering)
    alive: list[int] = []
    sim = sim_on(clock, jobs=30, nas_jobs=0, agent_jobs=0, job_types=["Backup"],
                 session_seconds=600)  # fmt: skip
    async with sim, sim_client(sim, clock) as em:
        refs = await em.jobs.list()

        def accepted(job: object, run: object) -> None:
            if len(alive) == 0 and sim.counters.requests["POST /api/jobs/{id}"] == 30:
                gc.collect()
                alive.append(sum(r() is not None for r in held))

        outcomes = await em.jobs.run_many(refs, accepted=accepted)
    assert all(o.ok for o in outcomes) and len(held) == 30
    assert alive == [0]  # while the 30 runs were awaited, no entity was held
