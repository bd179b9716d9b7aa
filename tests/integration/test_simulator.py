"""The real client against the embedded simulator over loopback HTTP (and HTTPS)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest

from veeam_em_async import (
    APIError,
    AuthenticationError,
    EnterpriseManager,
    Job,
    JobCloneSpec,
    JobEdit,
    NasJob,
    NotFoundError,
    PollPolicy,
    RetryPolicy,
    TaskFailedError,
    TransportError,
)
from veeam_em_async.simulator import EMSimulator, FakeClock, Faults

FAST = PollPolicy(initial_delay=0.02, min_interval=0.02, max_interval=0.1, jitter=0.1)
QUICK_RETRY = RetryPolicy(retries=5, backoff_base=0.005, backoff_max=0.02)


@pytest.fixture
async def sim() -> AsyncIterator[EMSimulator]:
    async with EMSimulator(jobs=20, nas_jobs=2, task_seconds=0.05) as simulator:
        yield simulator


def client(sim: EMSimulator, **kwargs: object) -> EnterpriseManager:
    options: dict[str, object] = {"poll_policy": FAST, "retry_policy": QUICK_RETRY}
    options.update(kwargs)
    return EnterpriseManager(sim.url, sim.username, sim.password, **options)  # type: ignore[arg-type]


async def jobs_of_type(em: EnterpriseManager, job_type: str) -> list[Job]:
    jobs = [await em.jobs.get(ref) for ref in await em.jobs.list()]
    return [job for job in jobs if job.job_type == job_type]


async def test_logon_and_logoff(sim: EMSimulator) -> None:
    async with client(sim) as em:
        assert em.logon_session is not None
        assert em.logon_session.user_name == sim.username
        assert len(sim.state.sessions) == 1
    assert sim.counters.logons == 1 and sim.counters.logoffs == 1
    assert sim.state.sessions == {}


async def test_wrong_password_is_refused(sim: EMSimulator) -> None:
    with pytest.raises(AuthenticationError, match="Authentication failed"):
        async with EnterpriseManager(sim.url, sim.username, "wrong"):
            pass


async def test_every_job_type_parses(sim: EMSimulator) -> None:
    async with client(sim) as em:
        refs = await em.jobs.list()
        assert len(refs) == 20
        jobs = [await em.jobs.get(ref) for ref in refs]
        assert {job.job_type for job in jobs} == {
            "Backup",
            "Replica",
            "BackupCopy",
            "ImmediateBackupCopy",
        }
        assert all(isinstance(job, Job) and job.schedule_options is not None for job in jobs)
        nas = await em.nas_jobs.get((await em.nas_jobs.list())[0])
        assert isinstance(nas, NasJob) and nas.includes[0].inclusion_mask == ["*.*"]
        with pytest.raises(NotFoundError, match="was not found"):
            await em.jobs.get("00000000-0000-4000-8000-000000000000")


async def test_expired_session_relogs_on_once(sim: EMSimulator) -> None:
    async with client(sim) as em:
        await em.jobs.list()
        sim.state.expire_sessions()
        refs = await asyncio.gather(*(em.jobs.list() for _ in range(10)))
        assert all(len(r) == 20 for r in refs)
        assert sim.counters.logons == 2 and em.stats.logons == 2


async def test_idle_timeout_expires_the_session() -> None:
    now = [0.0]  # the simulator's time moves only when told
    sim = EMSimulator(jobs=20, nas_jobs=2, task_seconds=0.05, clock=lambda: now[0])
    async with sim, client(sim) as em:
        await em.jobs.list()
        now[0] += 14 * 60
        assert len(await em.jobs.list()) == 20  # 14 idle minutes: still logged on
        assert sim.counters.logons == 1
        now[0] += 15 * 60 + 1
        assert len(await em.jobs.list()) == 20  # 15 idle minutes: expired, logged on again
        assert sim.counters.logons == 2


async def test_every_vm_job_action(sim: EMSimulator) -> None:
    async with client(sim) as em:
        (backup, idle, *_) = await jobs_of_type(em, "Backup")
        (copy,) = (await jobs_of_type(em, "BackupCopy"))[:1]
        sim.state.session_seconds = 3600  # the run outlasts the test
        info = await (await em.jobs.start(backup))
        assert info.result is not None and "triggered to start" in (info.result.message or "")
        assert len(await em.jobs.backup_sessions(backup)) == 1
        # Running: a second start fails as EM reports it, in the task result.
        with pytest.raises(TaskFailedError, match="already running"):
            await (await em.jobs.start(backup))
        with pytest.raises(TaskFailedError, match="no failed run"):
            await (await em.jobs.retry(idle))  # never ran
        assert (await (await em.jobs.stop(backup))).state == "Finished"
        # A run stopped by a user ended Failed: it may be retried.
        assert (await (await em.jobs.retry(backup))).state == "Finished"
        assert len(await em.jobs.backup_sessions(backup)) == 2
        with pytest.raises(APIError, match="backup copy jobs only") as caught:
            await em.jobs.sync(backup)
        assert caught.value.status == 400
        assert (await (await em.jobs.sync(copy))).operation == "StartJobSync"
        before = (await em.jobs.get(backup)).schedule_enabled
        await (await em.jobs.toggle_schedule_enabled(backup))
        assert (await em.jobs.get(backup)).schedule_enabled is (not before)
        cloned = await (await em.jobs.clone(backup, JobCloneSpec.replica("Clone 1", "_r")))
        related = cloned.link("Related")
        assert related is not None
        assert (await em.jobs.get(related.href.split("/jobs/")[1].split("?")[0])).name == "Clone 1"
        await (await em.jobs.edit(backup, JobEdit(description="edited by test")))
        assert (await em.jobs.get(backup)).description == "edited by test"


async def test_every_nas_job_action(sim: EMSimulator) -> None:
    async with client(sim) as em:
        ref = (await em.nas_jobs.list())[0]
        assert (await (await em.nas_jobs.start(ref))).operation == "StartNasJob"
        assert (await (await em.nas_jobs.stop(ref))).state == "Finished"
        with pytest.raises(TaskFailedError):
            await (await em.nas_jobs.retry(ref))
        await (await em.nas_jobs.toggle_schedule_enabled(ref))
        assert (await em.nas_jobs.get(ref)).schedule_enabled is False


async def test_bulk_start_of_two_hundred_jobs() -> None:
    async with EMSimulator(jobs=200, task_seconds=0.1, start_failure_rate=0.2, seed=7) as sim:
        async with client(sim, max_connections=10) as em:
            refs = await em.jobs.list()
            # "start" sends what was asked, copy jobs included (EM refuses those).
            outcomes = await em.jobs.start_many(refs, concurrency=10, copy_jobs="start")
        assert [o.job for o in outcomes] == refs
        starts = sim.counters.requests["POST /api/jobs/{id}"]
        assert starts == 200  # each job started exactly once
        assert sim.counters.max_in_flight <= 10
        copy_jobs = {j.id for j in sim.state.jobs.values() if "Copy" in j.job_type}
        failed_runs = {j.id for j in sim.state.jobs.values() if not j.sessions}
        for ref, outcome in zip(refs, outcomes, strict=True):
            if ref.id in copy_jobs:
                assert isinstance(outcome.error, APIError) and outcome.error.status == 400
            elif ref.id in failed_runs:
                assert isinstance(outcome.error, TaskFailedError)
            else:
                assert outcome.ok and outcome.task is not None and outcome.task.state == "Finished"
        assert 0 < len(failed_runs) < 200


async def test_two_hundred_pending_tasks_are_served_by_one_task_list_per_tick() -> None:
    """Counted, not timed: all 200 tasks wait together, and each tick of the
    shared watcher asks EM once, however many tasks it serves."""
    now = [0.0]
    sim = EMSimulator(jobs=200, task_seconds=10, job_types=["Backup"], clock=lambda: now[0])
    async with sim:
        async with client(sim, max_connections=10) as em:
            outcomes = await em.jobs.start_many(await em.jobs.list(), wait=False)
            waits = asyncio.ensure_future(asyncio.gather(*(o_task(em, o) for o in outcomes)))
            while em.task_watcher.ticks < 3:  # noqa: ASYNC110 - three ticks with all 200 running
                await asyncio.sleep(0.005)
            now[0] += 10  # every task finishes on EM
            infos = await waits
        assert all(info.state == "Finished" for info in infos)
        ticks = em.task_watcher.ticks
        assert sim.counters.requests["GET /api/tasks"] == ticks  # one list per tick
        assert sim.counters.requests["GET /api/tasks/{id}"] == 0  # no per-task polls


async def o_task(em: EnterpriseManager, outcome: Any) -> Any:
    assert outcome.task is not None
    return await em.tasks.handle(outcome.task)


async def test_injected_503s_are_retried_for_reads(sim: EMSimulator) -> None:
    sim.faults = Faults(error_503_rate=0.5, retry_after=0.01)
    async with client(sim, retry_policy=RetryPolicy(retries=20, backoff_base=0.001)) as em:
        for _ in range(10):
            assert len(await em.jobs.list()) == 20
    assert sim.counters.injected_503 > 0


async def test_latency_and_client_timeout(sim: EMSimulator) -> None:
    async with client(sim, timeout=0.05) as em:
        sim.faults = Faults(latency=0.3)
        with pytest.raises(TransportError, match=r"timed out after 0\.05 s"):
            await em.jobs.list()
    sim.faults = Faults(latency=0.02)
    async with client(sim, timeout=30) as em:
        assert len(await em.jobs.list()) == 20


async def test_dropped_connections_during_polling_do_not_lose_tasks(sim: EMSimulator) -> None:
    async with client(sim) as em:
        sim.state.task_seconds = 0.4
        refs = [r for r in await em.jobs.list()][:7]  # backup jobs
        tasks = [await em.jobs.start(ref) for ref in refs]
        sim.faults = Faults(drop_rate=0.5, drop_methods=frozenset({"GET"}))
        infos = await asyncio.gather(*(t.wait(timeout=10) for t in tasks))
        assert all(info.state == "Finished" for info in infos)
    assert sim.counters.dropped > 0


async def test_https_with_the_simulators_certificate() -> None:
    async with EMSimulator(jobs=3, https=True) as sim:
        assert sim.url.startswith("https://")
        async with client(sim, verify_ssl=sim.ca_file) as em:
            assert len(await em.jobs.list()) == 3
        # Verification is on by default: an unknown certificate is refused.
        with pytest.raises(TransportError):
            async with client(sim) as em:
                pass
        async with client(sim, verify_ssl=sim.client_ssl_context()) as em:
            assert isinstance(sim.client_ssl_context(), ssl.SSLContext)
            assert len(await em.jobs.list()) == 3


async def test_the_pytest_plugin_fixtures(
    em_client: EnterpriseManager, em_simulator: EMSimulator
) -> None:
    refs = await em_client.jobs.list()
    assert len(refs) == 20
    info = await (await em_client.jobs.start(refs[0]))
    assert info.state == "Finished"
    assert em_simulator.counters.logons == 1


def test_the_plugin_loads_through_its_entry_point(
    pytestconfig: pytest.Config, em_clock: FakeClock
) -> None:
    """Issue 24: installed, the package registers its fixtures (no pytest_plugins line)."""
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "veeam_em_async"]
    assert entry.value == "veeam_em_async.simulator.pytest_plugin"
    assert pytestconfig.pluginmanager.get_plugin("veeam_em_async") is not None
    assert em_clock.now() == 0.0 and isinstance(em_clock, FakeClock)


async def test_a_stopped_simulator_is_not_kept_alive() -> None:
    """aiohttp's module-level cache of middleware chains held every simulator that had
    answered a request, its whole state with it (a test run kept 50,000 objects)."""
    import gc
    import weakref

    sim = EMSimulator(jobs=3)
    async with sim, client(sim) as em:
        await em.jobs.list()
    state = weakref.ref(sim.state)
    del sim
    gc.collect()
    assert state() is None
