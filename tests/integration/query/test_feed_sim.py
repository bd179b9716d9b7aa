"""The change feed and last results per job, against the simulator on one fake
clock: fifty intervals take no real time, and every assertion is on what was
yielded and on request counts."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async.simulator import EMSimulator, Faults
from veeam_em_async.simulator.state import SimJob

INTERVAL = 60.0


class OutOfTimeError(Exception):
    """Raised from a sleep past the test's horizon: a feed test cannot hang."""


class TickingClock(FakeClock):
    """A fake clock that lets the test change the simulator each time the feed
    sleeps, and ends the test at ``horizon`` (fake seconds) if it is still waiting."""

    def __init__(self, horizon: float = 7 * 86_400) -> None:
        super().__init__(start=0.0)
        self.horizon = horizon
        self.on_sleep: Callable[[float], None] = lambda now: None

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        if self.time > self.horizon:
            raise OutOfTimeError(self.time)
        self.on_sleep(self.time)


def simulator(clock: FakeClock, jobs: int = 20, **kwargs: object) -> EMSimulator:
    return sim_on(clock, jobs=jobs, nas_jobs=0, session_seconds=30, **kwargs)


def jobs_of(sim: EMSimulator) -> list[SimJob]:
    return list(sim.state.jobs.values())


async def test_fifty_intervals_yield_every_run_once_oldest_first() -> None:
    clock = TickingClock()
    async with simulator(clock) as sim:
        jobs = jobs_of(sim)
        runs = [  # 3 runs ending in each of 50 intervals, backup and replica jobs
            sim.state.record_run(jobs[(i * 7) % 20], ("Success", "Warning", "Failed")[i % 3],
                                 at=5.0 + i * INTERVAL / 3)
            for i in range(150)
        ]  # fmt: skip
        seen = []
        async with sim_client(sim, clock) as em:
            feed = em.backup_sessions.feed(since=timedelta(seconds=1), interval=INTERVAL)
            async for session in feed:
                seen.append(session)
                if len(seen) == len(runs):
                    break
            polls, queries = feed.polls, feed.queries
    uids = [s.uid for s in seen]
    assert len(set(uids)) == len(uids) == 150
    assert set(uids) == {f"urn:veeam:{r.uid_type}:{r.id}" for r in runs}
    assert all(s.state == "Stopped" for s in seen)
    ends = [s.end_time for s in seen]
    assert ends == sorted(ends)  # oldest first
    assert {s.__class__.__name__ for s in seen} == {"BackupJobSession", "ReplicaJobSession"}
    assert 50 <= polls <= 52
    assert queries == 2 * polls  # one query per session type per interval, however many runs


async def test_results_filter_and_a_run_em_lists_late_is_yielded_once() -> None:
    clock = TickingClock(horizon=900)
    async with simulator(clock) as sim:
        jobs = jobs_of(sim)
        late = sim.state.record_run(jobs[0], "Failed", at=10.0, listed_at=400.0)
        early = [sim.state.record_run(jobs[i], "Failed", at=100.0 * i) for i in range(1, 5)]
        sim.state.record_run(jobs[5], "Success", at=150.0)  # filtered out
        seen = []
        async with sim_client(sim, clock) as em:
            feed = em.backup_sessions.feed(
                since=timedelta(seconds=1), results=("Failed", "Warning"), interval=INTERVAL
            )
            with pytest.raises(OutOfTimeError):  # it keeps waiting for more: the test ends it
                async for session in feed:
                    seen.append(session.id)
    # The late run ended (t=40) before runs already yielded (t=130, 230, 330) and
    # before the watermark, yet comes once, when EM lists it.
    assert seen.count(late.id) == 1
    assert seen[:3] == [r.id for r in early[:3]]
    assert sorted(seen) == sorted([late.id, *(r.id for r in early)])


async def test_an_expired_logon_costs_one_relogon_and_loses_nothing() -> None:
    clock = TickingClock()
    async with simulator(clock) as sim:
        jobs = jobs_of(sim)
        runs = [sim.state.record_run(jobs[i % 20], "Success", at=i * 20.0) for i in range(60)]
        seen: list[str] = []
        async with sim_client(sim, clock) as em:
            async for session in em.backup_sessions.feed(since=timedelta(0), interval=INTERVAL):
                seen.append(session.id)
                if len(seen) == 20:
                    assert sim.state.expire_sessions() == 1  # EM restarted, or 15 min idle
                if len(seen) == len(runs):
                    break
            logons = em.stats.logons
    assert sorted(seen) == sorted(r.id for r in runs)
    assert logons == 2  # the first, and one re-logon


async def test_a_storm_of_503s_is_waited_out_with_a_growing_pause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = TickingClock()
    async with simulator(clock) as sim:
        jobs = jobs_of(sim)
        runs = [sim.state.record_run(jobs[i], "Failed", at=100.0 * i) for i in range(1, 6)]
        seen: list[str] = []
        async with sim_client(sim, clock) as em:
            # Each GET is tried 4 times (RetryPolicy.retries=3): 12 faults fail 3 polls.
            sim.faults = Faults(error_503_rate=1.0, max_faults=12)
            async for session in em.backup_sessions.feed(since=timedelta(0), interval=INTERVAL):
                seen.append(session.id)
                if len(seen) == len(runs):
                    break
    assert seen == [r.id for r in runs]
    failed = [r for r in caplog.records if r.message.startswith("session feed:")]
    assert len(failed) == 3 and "503" in failed[0].message
    pauses = [s for s in clock.sleeps if s >= INTERVAL]
    assert pauses[:3] == [INTERVAL, 2 * INTERVAL, 4 * INTERVAL]  # then back to the interval


async def test_memory_stays_bounded_over_ten_thousand_runs() -> None:
    """Ten runs end every ten minutes for about a week; EM keeps two hours of them."""
    clock = TickingClock(horizon=8 * 86_400)
    async with simulator(clock, jobs=10) as sim:
        jobs = jobs_of(sim)
        for job in jobs:
            job.job_type = "Backup"
        state = sim.state

        def add_runs(now: float) -> None:
            for job in jobs:
                state.record_run(job, "Success", at=now)
            for uid in [u for u, r in state.job_sessions.items() if r.created < now - 7200]:
                del state.job_sessions[uid]

        clock.on_sleep = add_runs
        add_runs(0.0)
        count, peak = 0, 0
        async with sim_client(sim, clock) as em:
            feed = em.backup_sessions.feed(since=timedelta(0), interval=600, replica=False)
            ids: set[str] = set()
            async for session in feed:
                assert session.id not in ids
                ids.add(session.id)
                count += 1
                peak = max(peak, feed.remembered)
                if count == 10_000:
                    break
    assert count == 10_000
    # 15 minutes of overlap hold the runs of at most two ten-minute rounds.
    assert 10 <= peak <= 20
    assert feed.queries == feed.polls  # one page each time


async def test_last_results_of_1000_jobs_in_as_few_requests_as_the_bound() -> None:
    clock = FakeClock(start=0.0)
    sim = simulator(clock, jobs=1000, history_sessions=2)  # runs 1 and 2 days ago
    async with sim, sim_client(sim, clock) as em:
        before = sim.counters.requests["GET /api/query"]
        last = await em.jobs.last_results(since=timedelta(days=3), page_size=1000)
        requests = sim.counters.requests["GET /api/query"] - before
    in_window = 2000
    assert requests == 3 <= math.ceil(in_window / 1000) + 1
    assert len(last) == 1000 and all(s is not None for s in last.values())
    for job in sim.state.jobs.values():
        session = last[job.uid]
        assert session is not None and session.id == job.sessions[-1]  # yesterday's
        expected = "ReplicaJobSession" if job.job_type == "Replica" else "BackupJobSession"
        assert type(session).__name__ == expected


async def test_last_results_names_a_job_without_runs_as_none() -> None:
    clock = FakeClock(start=0.0)
    sim = simulator(clock, jobs=30, history_sessions=1)
    never = jobs_of(sim)[4]
    for run_id in never.sessions:
        del sim.state.job_sessions[run_id]
    never.sessions.clear()
    async with sim, sim_client(sim, clock) as em:
        last = await em.jobs.last_results(since=timedelta(days=2))
        requests = sim.counters.requests["GET /api/query"]
    assert last[never.uid] is None
    assert sum(s is not None for s in last.values()) == 29
    assert requests == 3  # jobs, then each session type read to its end


async def test_feed_arguments_are_checked() -> None:
    clock = FakeClock()
    async with simulator(clock) as sim, sim_client(sim, clock) as em:
        with pytest.raises(ValueError, match="interval"):
            em.backup_sessions.feed(interval=0)
        with pytest.raises(ValueError, match="timezone-aware"):
            from datetime import datetime

            em.backup_sessions.feed(since=datetime(2025, 1, 1))


async def test_last_results_of_any_collection_takes_jobs_of_every_kind() -> None:
    """Each job says which session type it runs (a replica reference by its Down
    link), so one collection's ``last_results`` serves VM jobs given as references."""
    clock = FakeClock(start=0.0)
    sim = simulator(clock, jobs=30, history_sessions=1)
    async with sim, sim_client(sim, clock) as em:
        references = await em.jobs.list()
        mine = await em.jobs.last_results(since=timedelta(days=2), jobs=references)
        other = await em.nas_jobs.last_results(since=timedelta(days=2), jobs=references)
    replicas = {j.uid for j in sim.state.jobs.values() if j.job_type == "Replica"}
    assert replicas and all(type(other[uid]).__name__ == "ReplicaJobSession" for uid in replicas)
    assert {u: s.id if s else None for u, s in other.items()} == {
        u: s.id if s else None for u, s in mine.items()
    }
    assert sum(s is not None for s in other.values()) == 30
