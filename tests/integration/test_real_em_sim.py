"""What a real EM does that our simulator did not model (issue 22), against the
simulator, which now behaves like EM by default, on the injected clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import (
    EnterpriseManager,
    PollPolicy,
    RunFailedError,
    RunTimeoutError,
    TaskInfo,
    TaskLostError,
)
from veeam_em_async.simulator import EMSimulator

BACKUPS = {"job_types": ["Backup"], "nas_jobs": 0, "agent_jobs": 0}


def job_ids(sim: EMSimulator) -> list[str]:
    return list(sim.state.jobs)


# -- 1. a task belongs to its logon session ---------------------------------------------


async def test_a_task_of_an_earlier_logon_session_is_lost_for_every_waiter_at_once(
    clock: FakeClock,
) -> None:
    sim = sim_on(clock, jobs=3, task_seconds=300, **BACKUPS)
    async with sim, sim_client(sim, clock) as em:
        job = job_ids(sim)[0]
        task = await em.jobs.start(job)
        started = clock.now()
        sim.state.expire_sessions()  # the idle session expired: the next request logs on anew
        waits = [task.wait(), em.tasks.handle(task.id).wait(), task.wait(timeout=3600)]
        results = await asyncio.gather(*waits, return_exceptions=True)
    assert all(isinstance(r, TaskLostError) and r.task_id == task.id for r in results), results
    assert results[0] is results[1] is results[2]  # one answer settles every waiter
    # One GET refused with 401 (the expired session), then the one 500: not retried.
    assert sim.counters.requests["GET /api/tasks/{id}"] == 2
    assert clock.now() - started <= PollPolicy().initial_delay  # at the first poll
    assert sim.counters.logons == 2
    assert len(sim.state.jobs[job].sessions) == 1  # the start was sent once


async def test_many_lost_tasks_cost_one_list_and_one_get_each(clock: FakeClock) -> None:
    sim = sim_on(clock, jobs=6, task_seconds=300, **BACKUPS)
    async with sim, sim_client(sim, clock) as em:
        tasks = [await em.jobs.start(job) for job in job_ids(sim)]
        sim.state.expire_sessions()
        results = await asyncio.gather(*(t.wait() for t in tasks), return_exceptions=True)
    assert [getattr(r, "task_id", r) for r in results] == [t.id for t in tasks]
    # The list (401, then the new session's list of none of them), then one GET each.
    assert sim.counters.requests["GET /api/tasks"] == 2
    assert sim.counters.requests["GET /api/tasks/{id}"] == 6


async def test_another_client_cannot_follow_a_task_but_its_creator_can(clock: FakeClock) -> None:
    sim = sim_on(clock, jobs=2, task_seconds=5, **BACKUPS)
    async with sim, sim_client(sim, clock) as em, sim_client(sim, clock) as other:
        task = await em.jobs.start(job_ids(sim)[0])
        with pytest.raises(TaskLostError, match="logon session") as lost:
            await other.tasks.handle(task.id)  # a restarted service: a new logon session
        assert lost.value.status == 500
        finished = await task  # within its own logon session the task is followed to its end
    assert finished.state == "Finished" and finished.result is not None
    assert finished.result.success


async def test_the_simulator_answers_as_em_does_unless_asked_for_the_old_way(
    clock: FakeClock,
) -> None:
    for session_tasks in (True, False):
        sim = sim_on(clock, jobs=1, session_tasks=session_tasks, **BACKUPS)
        async with sim, sim_client(sim, clock) as em:
            task = await em.jobs.start(job_ids(sim)[0])
            token = sim.state.logon("someone else").token
            async with aiohttp.ClientSession() as http:
                url = f"{sim.api}/tasks/{task.id}"
                async with http.get(url, headers={"X-RestSvcSessionId": token}) as answer:
                    status, text = answer.status, await answer.text()
        if session_tasks:  # EM's answer, word for word
            assert status == 500
            assert f"There is no backup task with id [{task.id}] in current rest session" in text
        else:  # older tests that need every task served to every session ask for it
            assert status == 200 and f"<TaskId>{task.id}</TaskId>" in text


async def test_a_run_whose_start_task_is_lost_still_finds_its_session(clock: FakeClock) -> None:
    sim = sim_on(clock, jobs=2, task_seconds=60, session_seconds=600, **BACKUPS)
    async with sim, sim_client(sim, clock) as em:
        job = job_ids(sim)[0]
        run = await em.jobs.run(job)
        sim.state.expire_sessions()  # before the start task finished
        session = await run.wait(timeout=7200)
    assert session.id == sim.state.jobs[job].sessions[-1] and session.result == "Success"
    assert sim.counters.requests["POST /api/jobs/{id}"] == 1
    assert sim.counters.requests["GET /api/tasks/{id}"] == 2  # a 401, the 500, then no more


# -- 2. <Resources> in query results ----------------------------------------------------


async def test_query_task_yields_the_current_sessions_tasks(clock: FakeClock) -> None:
    sim = sim_on(clock, jobs=3, task_seconds=1, **BACKUPS)
    async with sim, sim_client(sim, clock) as em:
        started = [await em.jobs.start(job) for job in job_ids(sim)[:2]]
        listed = await em.query("Task", sort_asc="TaskId").all()
        assert all(isinstance(t, TaskInfo) for t in listed)
        assert [t.id for t in listed] == [t.id for t in started]
        assert {t.operation for t in listed} == {"StartJob"}
        sim.state.expire_sessions()
        assert await em.query("Task").all() == []  # a new logon session has no tasks


# -- 3. stop right after run --------------------------------------------------------------


@pytest.mark.parametrize("links", [True, False])
async def test_stop_right_after_run_waits_for_the_session_then_stops_it(
    clock: FakeClock, links: bool
) -> None:
    sim = sim_on(
        clock, jobs=2, task_seconds=10, session_seconds=600, session_links=links, list_delay=5,
        **BACKUPS,
    )  # fmt: skip
    async with sim, sim_client(sim, clock) as em:
        job = job_ids(sim)[0]
        run = await em.jobs.run(job)
        assert not run.task.done() if run.task else False  # the start is still on its way
        stopping = await run.stop()
        await stopping
        with pytest.raises(RunFailedError) as failed:
            await run
    stopped = sim.state.job_sessions[sim.state.jobs[job].sessions[-1]]
    assert stopped.stopped_at is not None and failed.value.session.id == stopped.id
    assert sim.counters.requests["POST /api/backupSessions/{id}"] == 1
    assert sim.counters.requests["POST /api/jobs/{id}"] == 1


async def test_stop_gives_up_within_its_timeout_and_sends_nothing(clock: FakeClock) -> None:
    sim = sim_on(clock, jobs=2, task_seconds=10, session_links=False, list_delay=10_000, **BACKUPS)
    async with sim, sim_client(sim, clock) as em:
        run = await em.jobs.run(job_ids(sim)[0])
        before = clock.now()
        with pytest.raises(RunTimeoutError):
            await run.stop(timeout=120)
        assert 120 <= clock.now() - before < 150
    assert sim.counters.requests["POST /api/backupSessions/{id}"] == 0


# -- 4. follow_retries reads RetryOptions from the job's own resource --------------------


@pytest.mark.parametrize("kind", ["jobs", "nas_jobs", "agent_jobs"])
async def test_follow_retries_for_each_job_kind(clock: FakeClock, kind: str) -> None:
    sim = sim_on(clock, jobs=2, nas_jobs=2, agent_jobs=2, task_seconds=2, session_seconds=100)
    table = {"jobs": sim.state.jobs, "nas_jobs": sim.state.nas_jobs,
             "agent_jobs": sim.state.agent_jobs}[kind]  # fmt: skip
    job = next(j for j in table.values() if j.job_type in ("Backup", "NasBackup", "AgentBackup"))
    sim.state.scripted = {job.id: ["Failed", "Success"]}
    async with sim, sim_client(sim, clock) as em:
        resource = getattr(em, kind)
        run = await resource.run(job.id, follow_retries=True)  # by id: the entity is not known
        session = await run.wait(timeout=7200)
        # A handle on an existing session reads the options from the same resource.
        first = em.backup_sessions.follow(job.sessions[0], follow_retries=True)
        assert (await first).id == session.id
    assert session.is_retry and session.result == "Success" and len(job.sessions) == 2
    path = {"jobs": "jobs", "nas_jobs": "nas/jobs", "agent_jobs": "agents/jobs"}[kind]
    assert sim.counters.requests[f"GET /api/{path}/{{id}}"] >= 1
    if kind != "jobs":
        assert sim.counters.requests["GET /api/jobs/{id}"] == 0  # never another kind's URL


# -- 6. the change feed's "from now" ---------------------------------------------------------


async def test_the_feed_from_now_never_replays_older_runs_but_yields_late_ones(
    clock: FakeClock,
) -> None:
    sim = sim_on(clock, jobs=4, session_seconds=60, **BACKUPS)
    jobs = list(sim.state.jobs.values())
    for i, job in enumerate(jobs):  # runs that ended in the 15 minutes before the feed
        sim.state.record_run(job, "Failed", clock.now() - 600 + i)
    late = sim.state.record_run(jobs[0], "Failed", clock.now() - 30, listed_at=clock.now() + 200)
    async with sim, sim_client(sim, clock) as em:
        feed = em.backup_sessions.feed(interval=60)
        rounds = []
        for _ in range(8):
            rounds.append([s.id for s in await feed.poll()])
            clock.advance(60)
    assert rounds[0] == []  # not one of the runs that ended before the feed began
    assert [ids for ids in rounds if ids] == [[late.id]]  # ended after, listed late: once


# -- 8. the simulator's history -------------------------------------------------------------


async def test_history_ends_at_the_simulators_now_on_the_wall_clock() -> None:
    async with EMSimulator(jobs=4, nas_jobs=0, agent_jobs=0, history_sessions=2) as sim:
        async with EnterpriseManager(sim.url, sim.username, sim.password) as em:
            last = await em.jobs.last_results()  # the default 7-day window
    assert len(last) == 4
    assert all(s is not None and s.id == sim.state.jobs[s.job_id].sessions[-1]
               for s in last.values())  # fmt: skip
    newest = max(s.end_time for s in last.values() if s is not None and s.end_time)
    assert timedelta(hours=23) < sim_age(newest) < timedelta(hours=25)  # yesterday's


def sim_age(when: object) -> timedelta:
    from datetime import datetime, timezone

    assert isinstance(when, datetime)
    return datetime.now(timezone.utc) - when
