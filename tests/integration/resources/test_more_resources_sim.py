"""Agent jobs, repositories, job includes and API versions end to end on the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import (
    AgentBackupJob,
    NotFoundError,
    ObjectInJob,
    Repository,
    UnsupportedVersionError,
)
from veeam_em_async.simulator import EMSimulator
from veeam_em_async.simulator.job_sessions import vm_names


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[EMSimulator]:
    sim = sim_on(clock, jobs=4, nas_jobs=1, agent_jobs=3, task_seconds=1, session_seconds=10)
    async with sim:
        yield sim


async def test_agent_jobs_list_get_run_and_toggle(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        refs = await em.agent_jobs.list()
        assert [r.name for r in refs] == ["Agent Job 00", "Agent Job 01", "Agent Job 02"]
        entities = await em.agent_jobs.list(entities=True)
        assert [j.platform for j in entities] == [
            "AgentForWindows",
            "AgentForLinux",
            "AgentForWindows",
        ]
        job = await em.agent_jobs.get(refs[1])
        assert isinstance(job, AgentBackupJob) and job.schedule_enabled is True
        assert (await em.agent_jobs.find("Agent Job 02"))[0].id == refs[2].id
        run = await em.agent_jobs.run(job)
        session = await run
        assert session.result == "Success" and session.job_uid == job.uid
        toggled = await em.agent_jobs.toggle_schedule_enabled(job)
        await toggled
        assert (await em.agent_jobs.get(job)).schedule_enabled is False
        outcomes = await em.agent_jobs.start_many(refs)
        assert [o.ok for o in outcomes] == [True, True, True]
        assert sim.counters.requests["POST /api/agents/jobs/{id}"] == 5  # 1 run, 1 toggle, 3


async def test_repositories_list_and_get(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        refs = await em.repositories.list()
        repos = await em.repositories.list(entities=True)
        assert {r.id for r in refs} == {r.id for r in repos}
        one = await em.repositories.get(refs[0])
        assert isinstance(one, Repository) and one.capacity == 8 << 40
        over = [r.name for r in repos if r.free_ratio is not None and r.free_ratio < 0.15]
        assert over == ["Backup Volume 02"]  # 9 % free


async def test_includes_add_and_remove(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        job = (await em.jobs.list())[0]
        protected = vm_names(sim.state.jobs[job.id].name)
        # A simulated job protects the VMs its runs report (issue 22: the README's
        # snippet took objects[0] of a job that had none).
        before = await em.jobs.includes(job)
        assert [(i.name, i.order) for i in before] == [(vm, n) for n, vm in enumerate(protected)]
        await (await em.jobs.add_include(job, "urn:VMware:Vm:sim.vm-7", "vm-7", order=0))
        await (await em.jobs.add_include(job, "urn:VMware:Vm:sim.vm-8", "vm-8"))
        items = await em.jobs.includes(job)
        assert [(i.name, i.order) for i in items][3:] == [("vm-7", 3), ("vm-8", 4)]
        assert all(isinstance(i, ObjectInJob) for i in items)
        await (await em.jobs.remove_include(job, items[0]))
        assert [i.name for i in await em.jobs.includes(job)] == [*protected[1:], "vm-7", "vm-8"]
        entity = await em.jobs.get(job)  # the entity's Includes are the same VMs
        assert entity.info is not None
        assert [i.name for i in entity.info.includes] == [*protected[1:], "vm-7", "vm-8"]


async def test_a_runs_vms_are_the_jobs_includes(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        job = next(j for j in await em.jobs.list(entities=True) if j.job_type == "Backup")
        run = await em.jobs.run(job)
        await run
        reported = sorted(t.vm_display_name or "" for t in await run.task_sessions())
        assert reported == sorted(i.name for i in await em.jobs.includes(job))


async def test_api_versions_and_the_version_check(clock: FakeClock) -> None:
    sim = EMSimulator(jobs=1, nas_jobs=0, agent_jobs=0, api_versions=("v1_4", "v1_5"))
    async with sim:
        async with sim_client(sim, clock) as em:
            assert [v.name for v in await em.api_versions()] == ["v1_4", "v1_5"]
        with pytest.raises(UnsupportedVersionError, match="offers: v1_4, v1_5"):
            async with sim_client(sim, clock, api_version="v1_7"):
                pass
        logons = sim.counters.logons
        async with sim_client(sim, clock, api_version="v1_5") as em:
            assert em.logon_session is not None
        assert sim.counters.logons == logons + 1
    assert logons == 1  # the v1_7 client never sent its password


async def test_backup_servers_list_and_get(sim: EMSimulator, clock: FakeClock) -> None:
    """The first resource added by architecture.md's checklist (issue 24)."""
    async with sim_client(sim, clock) as em:
        (ref,) = await em.backup_servers.list()
        server = await em.backup_servers.get(ref)
        assert server.uid == ref.uid and server.name == "vbr01" and server.port == 9392
        assert (await em.backup_servers.get(server.uid)).id == server.id  # a UID works too
        with pytest.raises(NotFoundError):
            await em.backup_servers.get("00000000-0000-4000-8000-000000000000")
    assert sim.counters.requests["GET /api/backupServers/{id}"] == 3
