"""``before_action`` and the audit trail, end to end on the simulator."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import Action, ActionRefused
from veeam_em_async.actions import AUDIT_LOGGER
from veeam_em_async.simulator import EMSimulator


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[EMSimulator]:
    sim = sim_on(clock, jobs=10, nas_jobs=1, agent_jobs=0, job_types=["Backup"])
    async with sim:
        yield sim


async def test_a_hook_that_refuses_3_of_10_jobs_lets_exactly_7_posts_through(
    sim: EMSimulator, clock: FakeClock
) -> None:
    seen: list[Action] = []
    jobs = sorted(sim.state.jobs.values(), key=lambda j: j.name)
    refused = {j.id for j in jobs[:3]}

    async def allow_list(action: Action) -> None:
        seen.append(action)
        if action.target_id in refused:
            raise ActionRefused(f"{action.target_name} is not on the allow-list", action)

    async with sim_client(sim, clock, before_action=allow_list) as em:
        refs = await em.jobs.list()
        outcomes = await em.jobs.start_many(refs)
    assert sim.counters.requests["POST /api/jobs/{id}"] == 7
    assert sum(isinstance(o.error, ActionRefused) for o in outcomes) == 3
    assert [o.ok for o in outcomes].count(True) == 7
    assert len(seen) == 10 and {a.action for a in seen} == {"start"}
    first = next(a for a in seen if a.target_id == jobs[0].id)
    assert first.method == "POST" and first.target_name == jobs[0].name
    assert first.path == f"jobs/{jobs[0].id}"


async def test_the_hook_runs_once_per_action_even_when_a_401_makes_the_client_resend(
    sim: EMSimulator, clock: FakeClock
) -> None:
    calls: list[Action] = []

    async def count(action: Action) -> None:
        calls.append(action)

    async with sim_client(sim, clock, before_action=count) as em:
        job = (await em.jobs.list())[0]
        sim.state.expire_sessions()  # the next request gets 401, then goes out again
        await em.jobs.start(job)
        await em.nas_jobs.start((await em.nas_jobs.list())[0])
        logons = em.stats.logons
    assert sim.counters.requests["POST /api/jobs/{id}"] == 2  # refused once, re-sent once
    assert [a.action for a in calls] == ["start", "start"]  # one call per action
    assert logons == 2


async def test_a_hook_that_raises_its_own_exception_sends_nothing(
    sim: EMSimulator, clock: FakeClock
) -> None:
    async def never(action: Action) -> None:
        raise PermissionError(f"no {action.action} today")

    async with sim_client(sim, clock, before_action=never) as em:
        job = (await em.jobs.list())[0]
        with pytest.raises(PermissionError, match="no start today"):
            await em.jobs.start(job)
        assert (await em.jobs.get(job)).name  # reading is not an action
    assert sim.counters.requests["POST /api/jobs/{id}"] == 0


async def test_the_audit_trail_has_one_record_per_post_with_its_task_id(
    sim: EMSimulator, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER.name)
    async with sim_client(sim, clock) as em:
        refs = await em.jobs.list()
        outcomes = await em.jobs.start_many(refs[:4])
        with pytest.raises(Exception):  # noqa: B017 - EM's refusal, audited too
            await em.jobs.sync(refs[0])  # not a backup copy job: EM answers 400
    records = [r for r in caplog.records if r.name == AUDIT_LOGGER.name]
    posts = sim.counters.requests["POST /api/jobs/{id}"]
    assert len(records) == posts == 5
    tasks = {o.task.id for o in outcomes if o.task is not None}
    assert {r.task_id for r in records[:4]} == tasks  # type: ignore[attr-defined]
    assert all(r.levelno == logging.INFO for r in records)
    assert records[0].method == "POST" and records[0].action == "start"  # type: ignore[attr-defined]
    assert records[0].target_name in {r.name for r in refs[:4]}  # type: ignore[attr-defined]
    assert records[4].task_id is None and "BadRequestError" in records[4].error  # type: ignore[attr-defined]
    text = "\n".join(r.getMessage() for r in records)
    assert sim.password not in text
