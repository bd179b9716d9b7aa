"""``em.query`` against the simulator's query service: lazy paging, every type
it serves, names that need quoting, and bulk reads that were N requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import (
    BackupJobSession,
    BackupTaskSession,
    EnterpriseManager,
    EntityRef,
    F,
    Job,
    NasJob,
    ReplicaJobSession,
    ReplicaTaskSession,
    Repository,
    TaskInfo,
)
from veeam_em_async.errors import BadRequestError
from veeam_em_async.simulator import EMSimulator


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[EMSimulator]:
    sim = sim_on(clock, jobs=40, nas_jobs=3, task_seconds=1, session_seconds=10)
    async with sim:
        yield sim


def queries(sim: EMSimulator) -> int:
    return sim.counters.requests["GET /api/query"]


async def test_30_matches_at_page_size_7_are_seen_once_in_order(
    sim: EMSimulator, clock: FakeClock
) -> None:
    async with sim_client(sim, clock) as em:
        query = em.query("Job", filter=F.Name <= "Job 0029", sort_asc="Name", page_size=7)
        names = [job.name async for job in query]
        assert names == [f"Job {i:04d}" for i in range(30)]
        assert query.requests == 5 == queries(sim)  # ⌈30/7⌉
        every = await query.all()  # pages 2-5 fetched together, kept in order
        assert [job.name for job in every] == names and all(isinstance(j, Job) for j in every)
        assert queries(sim) == 10


async def test_break_after_the_first_item_costs_one_request(
    sim: EMSimulator, clock: FakeClock
) -> None:
    async with sim_client(sim, clock) as em:
        async for job in em.query("Job", sort_desc="Name", page_size=7):
            assert job.name == "Job 0039"
            break
        assert queries(sim) == 1
        first = await em.query("Job", filter=F.Name == "Job 0017").first()
        assert first is not None and first.name == "Job 0017"
        assert await em.query("Job", filter=F.Name == "nothing").first() is None
        assert queries(sim) == 3


async def test_without_a_page_size_em_pages_by_100_and_every_page_is_read(
    clock: FakeClock,
) -> None:
    sim = sim_on(clock, jobs=250, nas_jobs=0)
    async with sim, sim_client(sim, clock) as em:
        refs = await em.query("Job", entities=False).all()
        assert len({ref.uid for ref in refs}) == 250
        assert all(isinstance(ref, EntityRef) for ref in refs)
        assert queries(sim) == 3  # pages of 100, 100 and 50


async def test_each_type_comes_back_as_its_model(sim: EMSimulator, clock: FakeClock) -> None:
    backup = next(j for j in sim.state.jobs.values() if j.job_type == "Backup")
    replica = next(j for j in sim.state.jobs.values() if j.job_type == "Replica")
    async with sim_client(sim, clock) as em:
        await (await em.jobs.run(backup.id))
        await (await em.jobs.run(replica.id))
        expected = {
            "Job": Job, "NasJob": NasJob, "BackupJobSession": BackupJobSession,
            "ReplicaJobSession": ReplicaJobSession, "BackupTaskSession": BackupTaskSession,
            "ReplicaTaskSession": ReplicaTaskSession, "Task": TaskInfo, "Repository": Repository,
        }  # fmt: skip
        for query_type, model in expected.items():
            items = await em.query(query_type).all()
            assert items and all(isinstance(item, model) for item in items), query_type
        sessions = await em.query("BackupJobSession", filter=F.JobUid == backup.uid).all()
        assert [s.job_id for s in sessions] == [backup.id]
        assert sessions[0].result == "Success"
        tasks = await em.query("BackupTaskSession", filter=F.JobSessionUid == sessions[0].uid).all()
        assert len(tasks) == 3 and all(t.result == "Success" for t in tasks)
        refs = await em.query("NasJob", entities=False).all()
        assert sorted(r.name for r in refs) == sorted(j.name for j in sim.state.nas_jobs.values())


async def test_names_that_need_quoting_are_found_through_the_url(
    sim: EMSimulator, clock: FakeClock
) -> None:
    odd = ['Zürich "Nightly"; full, (eu)', "Copy Job\\Backup Job 1", "a&b=c?d#e%20f+g"]
    jobs = list(sim.state.jobs.values())[: len(odd)]
    for job, name in zip(jobs, odd, strict=True):
        job.name = name
    async with sim_client(sim, clock) as em:
        for job, name in zip(jobs, odd, strict=True):
            found = await em.jobs.find(name)
            assert [j.id for j in found] == [job.id], name
        assert [j.name for j in await em.jobs.find("Job 003*")] == [
            f"Job {i:04d}" for i in range(30, 40)
        ]


async def test_jobs_list_entities_reads_every_job_in_pages(
    clock: FakeClock,
) -> None:
    sim = sim_on(clock, jobs=450, nas_jobs=5)
    async with sim, sim_client(sim, clock) as em:
        jobs = await em.jobs.list(entities=True)
        assert len(jobs) == 450 and all(isinstance(j, Job) for j in jobs)
        assert queries(sim) == 3  # ⌈450/200⌉, where list + get is 451 requests
        one = await em.jobs.get(jobs[123].id)
        assert one == jobs[123]
        nas = await em.nas_jobs.list(entities=True)
        assert sorted(j.name for j in nas) == [f"File Share {i:02d}" for i in range(5)]


async def test_a_malformed_query_is_a_bad_request(sim: EMSimulator, clock: FakeClock) -> None:
    async with sim_client(sim, clock) as em:
        with pytest.raises(BadRequestError, match="not supported"):
            await em.query("NoSuchType").all()
        with pytest.raises(BadRequestError, match="not closed"):
            await em.query("Job", filter="(Name==x").all()
        with pytest.raises(BadRequestError, match="has no value"):
            await em.query("Job", filter="Name==").all()
        with pytest.raises(ValueError, match="not both"):
            em.query("Job", sort_asc="Name", sort_desc="Name")


@pytest.mark.parametrize("offload", [False, True])
async def test_a_large_page_parsed_off_the_loop_lets_the_loop_run(offload: bool) -> None:
    """A 2,000-point page (about 2 MB): parsed on the loop, a ticker that only yields
    never runs while the page is parsed; parsed in a thread (``parse_offload_bytes``),
    it runs meanwhile. Counted, not timed: the parse takes far longer than the
    interpreter's 5 ms switch interval on any machine."""
    import threading

    from veeam_em_async.models import VmRestorePoint
    from veeam_em_async.models import query as query_models

    async with EMSimulator(jobs=0, nas_jobs=0, agent_jobs=0, restore_point_vms=300,
                           restore_point_days=7) as sim:  # fmt: skip
        limit = 100_000 if offload else None
        async with EnterpriseManager(sim.url, sim.username, sim.password,
                                     parse_offload_bytes=limit) as em:  # fmt: skip
            parsing = threading.Event()
            real = query_models.parse_query_page
            ticks_while_parsing = 0

            def watched(*args: object) -> object:
                parsing.set()
                try:
                    return real(*args)  # type: ignore[arg-type]
                finally:
                    parsing.clear()

            async def ticker() -> None:
                nonlocal ticks_while_parsing
                while True:
                    await asyncio.sleep(0)
                    if parsing.is_set():
                        ticks_while_parsing += 1

            import veeam_em_async.query._query as query_module

            query_module.parse_query_page = watched  # type: ignore[assignment]
            task = asyncio.ensure_future(ticker())
            try:
                page = await em.query("VmRestorePoint", page_size=2100).fetch_page()
            finally:
                task.cancel()
                query_module.parse_query_page = real
    assert len(page.items) == 2100 and isinstance(page.items[0], VmRestorePoint)
    assert (ticks_while_parsing > 0) is offload
