"""Bulk actions on the simulator: any action on many jobs, type-aware starts of
backup copy jobs, and the callback that sees each job EM accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import ActionOutcome, BadRequestError, EntityRef, Job, PollPolicy
from veeam_em_async.simulator import EMSimulator

STARTS = "POST /api/jobs/{id}"
COPY_TYPES = ("BackupCopy", "ImmediateBackupCopy")


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[EMSimulator]:
    sim = sim_on(clock, jobs=10, nas_jobs=1, agent_jobs=2, task_seconds=1, session_seconds=10)
    async with sim:
        yield sim


def copies(sim: EMSimulator) -> set[str]:
    return {j.name for j in sim.state.jobs.values() if j.job_type in COPY_TYPES}


async def test_a_bulk_start_skips_backup_copy_jobs_with_a_reason(
    sim: EMSimulator, clock: FakeClock
) -> None:
    async with sim_client(sim, clock) as em:
        refs = await em.jobs.list()
        outcomes = await em.jobs.start_many(refs, wait=False, copy_jobs="skip")
    skipped = [o for o in outcomes if o.skipped]
    assert {o.job.name for o in skipped} == copies(sim) and len(skipped) == 2
    assert all(o.task is None and o.error is None and not o.ok for o in skipped)
    assert "cannot start it, only sync it" in (skipped[0].skipped or "")
    assert [o.job for o in outcomes] == refs  # one per input, in order
    assert all(o.ok and o.action == "start" for o in outcomes if not o.skipped)
    assert sim.counters.requests[STARTS] == 8  # nothing sent to the two copy jobs


async def test_a_bulk_start_syncs_backup_copy_jobs_when_asked(
    sim: EMSimulator, clock: FakeClock
) -> None:
    async with sim_client(sim, clock) as em:
        jobs = await em.jobs.list(entities=True)  # types known: no query for them
        queries_before = sim.counters.requests["GET /api/query"]
        outcomes = await em.jobs.start_many(jobs, wait=False, copy_jobs="sync")
        assert sim.counters.requests["GET /api/query"] == queries_before
    assert all(o.ok for o in outcomes)
    synced = {o.job.name for o in outcomes if o.action == "sync"}
    assert synced == copies(sim)
    assert [o.task.operation for o in outcomes if o.action == "sync" and o.task] == [
        "StartJobSync",
        "StartJobSync",
    ]


async def test_the_default_skips_copy_jobs_as_the_cli_does(
    sim: EMSimulator, clock: FakeClock
) -> None:
    # Issue 23: one default for the library and veeam-em (it was "start" here).
    async with sim_client(sim, clock) as em:
        outcomes = await em.jobs.start_many(await em.jobs.list(), wait=False)
    skipped = [o for o in outcomes if not o.ok]
    assert {o.job.name for o in skipped} == copies(sim)
    assert all(o.error is None and "only sync it" in (o.skipped or "") for o in skipped)
    assert sim.counters.requests[STARTS] == 8


async def test_start_sends_what_was_asked(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        outcomes = await em.jobs.start_many(await em.jobs.list(), wait=False, copy_jobs="start")
    refused = [o for o in outcomes if not o.ok]
    assert {o.job.name for o in refused} == copies(sim)
    assert all(isinstance(o.error, BadRequestError) for o in refused)
    assert sim.counters.requests[STARTS] == 10


async def test_stop_retry_and_any_action_in_bulk(sim: EMSimulator, clock: FakeClock) -> None:
    sim.state.session_seconds = 3600
    async with sim_client(sim, clock) as em:
        backups = [j for j in await em.jobs.list(entities=True) if j.job_type == "Backup"][:3]
        await em.jobs.start_many(backups)
        stopped: list[ActionOutcome[Job]] = await em.jobs.stop_many(backups)
        assert [o.action for o in stopped] == ["stop"] * 3 and all(o.ok for o in stopped)
        toggled = await em.jobs.act_many("toggleScheduleEnabled", backups[:1])
        assert toggled[0].ok and toggled[0].job is backups[0]
        retried = await em.nas_jobs.retry_many(await em.nas_jobs.list(), wait=False)
        assert [o.action for o in retried] == ["retry"]
    assert sim.counters.requests[STARTS] == 3 + 3 + 1  # starts, stops, the toggle


async def test_accepted_sees_each_task_as_em_accepts_it(sim: EMSimulator, clock: FakeClock) -> None:
    seen: list[tuple[Any, str]] = []
    async with sim_client(sim, clock) as em:
        refs = await em.jobs.list()
        outcomes = await em.jobs.start_many(
            refs,
            wait=False,
            copy_jobs="skip",
            accepted=lambda job, task: seen.append((job, task.id)),
        )
        runs_seen: list[EntityRef] = []
        agents = await em.agent_jobs.list()
        runs = await em.agent_jobs.run_many(agents, accepted=lambda job, run: runs_seen.append(job))
    assert sorted(task for _, task in seen) == sorted(o.task.id for o in outcomes if o.task)
    assert {job.name for job, _ in seen} == {r.name for r in refs} - copies(sim)
    assert sorted(r.name or "" for r in runs_seen) == sorted(a.name or "" for a in agents)
    assert all(r.ok for r in runs)


async def test_a_run_of_all_jobs_skips_copy_jobs_too(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        outcomes = await em.jobs.run_many(await em.jobs.list(), copy_jobs="skip")
    assert {o.job.name for o in outcomes if o.skipped} == copies(sim)
    assert all(o.ok for o in outcomes if not o.skipped)


def bulk_tasks() -> int:
    """The coroutines of bulk calls alive now (``for_each``'s workers and finishers)."""
    return sum(
        1
        for t in asyncio.all_tasks()
        if "for_each" in getattr(t.get_coro(), "__qualname__", "") and not t.done()
    )


async def test_a_bulk_start_holds_a_coroutine_per_job_sent_not_per_job_queued(
    clock: FakeClock,
) -> None:
    """Issue 27: 10,000 jobs behind a cap of 20 were 10,000 tasks parked on a semaphore,
    all made, then all run, in one turn of the loop (hundreds of ms at K = 50 EMs)."""
    alive: list[tuple[int, int]] = []  # (accepted so far, bulk coroutines alive)
    async with sim_on(clock, jobs=120, nas_jobs=0, agent_jobs=0, job_types=["Backup"]) as sim:
        async with sim_client(sim, clock) as em:
            refs = await em.jobs.list()
            outcomes = await em.jobs.start_many(
                refs, concurrency=5, accepted=lambda job, task: alive.append(
                    (len(alive) + 1, bulk_tasks())
                ),
            )  # fmt: skip
    assert len(outcomes) == 120 and all(o.ok for o in outcomes)
    assert len(alive) == 120
    # At most the 5 workers and one finisher per job already accepted (120 before).
    assert all(count <= 5 + accepted for accepted, count in alive)
    assert alive[0][1] <= 6
    assert bulk_tasks() == 0


async def test_tasks_first_listed_ended_are_read_from_the_answer_not_parsed_whole(
    sim: EMSimulator, clock: FakeClock
) -> None:
    # Tasks take 1 s; the first poll comes 2 s after the starts, so every task is
    # first listed Finished, with a result and a link to its session. The action's
    # answer (the same <Task>, the namespace declared on it) is its listing before:
    # only the result and the links are parsed, and the values are a whole parse's.
    policy = PollPolicy(initial_delay=2, min_interval=2, max_interval=2, jitter=0)
    async with sim_client(sim, clock, poll_policy=policy) as em:
        refs = await em.jobs.list()
        outcomes = await em.jobs.start_many(refs, copy_jobs="skip")
        started = [o for o in outcomes if not o.skipped]
        assert len(started) == 8 and all(o.ok and o.task for o in started)
        assert em.task_watcher.batch_polls == 1
        assert em.task_watcher.source.items_parsed == 0  # type: ignore[attr-defined]
        whole = {info.id: info for info in await em.tasks.list()}  # parsed whole
    for outcome in started:
        assert outcome.task is not None and outcome.task.state == "Finished"
        assert outcome.task == whole[outcome.task.id]
        assert outcome.task.link("Related") is not None
