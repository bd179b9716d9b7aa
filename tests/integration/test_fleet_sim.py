"""A fleet of simulated EMs: one refusing the logon, the shared cap counted at the
simulators, the merged feed, and `each` with a timeout."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.cli_support import free_port
from tests.fakes import FakeClock, sim_on
from veeam_em_async import (
    AuthenticationError,
    EnterpriseManager,
    Fleet,
    FleetResult,
    RetryPolicy,
    TransportError,
)
from veeam_em_async.simulator import EMSimulator, Faults
from veeam_em_async.simulator.faults import Counters


@contextlib.asynccontextmanager
async def simulators(
    clock: FakeClock, count: int, **options: object
) -> AsyncIterator[list[EMSimulator]]:
    async with contextlib.AsyncExitStack() as stack:
        sims = [await stack.enter_async_context(sim_on(clock, **options)) for _ in range(count)]
        yield sims


def client(sim: EMSimulator, clock: FakeClock, password: str | None = None,
           **options: object) -> EnterpriseManager:  # fmt: skip
    return EnterpriseManager(sim.url, sim.username, password or sim.password, clock=clock,
                             **options)  # type: ignore[arg-type]  # fmt: skip


async def test_a_fleet_of_three_goes_on_without_the_one_that_refuses_the_logon(
    clock: FakeClock,
) -> None:
    async with simulators(clock, 3, jobs=4, nas_jobs=0, agent_jobs=0) as sims:
        managers = {
            "eu": client(sims[0], clock), "us": client(sims[1], clock, "wrong password"),
            "ap": client(sims[2], clock),
        }  # fmt: skip
        async with Fleet(managers) as fleet:
            assert set(fleet.failed) == {"us"}
            assert isinstance(fleet.failed["us"], AuthenticationError)
            results = await fleet.each(lambda em: em.jobs.list())
        assert list(results) == ["eu", "us", "ap"]
        assert [r.ok for r in results.values()] == [True, False, True]
        assert len(results["eu"].value or []) == 4
        assert isinstance(results["us"].error, AuthenticationError)
        assert sims[1].counters.logons == 0  # refused: one attempt, no session
        assert sims[1].counters.requests["POST /api/sessionMngr/"] == 1  # not a burst
        assert [s.counters.logoffs for s in sims] == [1, 0, 1]  # each live one logged off


async def test_an_em_out_at_entry_is_tried_again_and_rejoins_once_it_logs_on(
    clock: FakeClock,
) -> None:
    # A service enters its fleet once and runs for months: an EM whose account was
    # wrong when it started must come back once it is fixed, and a refused password
    # must not be tried at every call in between.
    async with simulators(clock, 2, jobs=3, nas_jobs=0, agent_jobs=0) as sims:
        managers = {"eu": client(sims[0], clock), "us": client(sims[1], clock, "rotated")}
        logons = sims[1].counters.requests
        async with Fleet(managers) as fleet:
            assert set(fleet.failed) == {"us"}
            for _ in range(5):  # asked every few seconds, within the pause
                results = await fleet.each(lambda em: em.jobs.list())
                assert isinstance(results["us"].error, AuthenticationError)
                assert results["eu"].ok
            sims[1].password = "rotated"  # the account is fixed on EM's side
            results = await fleet.each(lambda em: em.jobs.list())
            assert not results["us"].ok  # still within the pause: nothing sent
            assert logons["POST /api/sessionMngr/"] == 1
            clock.advance(RetryPolicy().logon_retry_interval)
            results = await fleet.each(lambda em: em.jobs.list())
            assert results["us"].ok and len(results["us"].value or []) == 3
            assert logons["POST /api/sessionMngr/"] == 2  # one attempt after the pause
            assert fleet.failed == {} and list(fleet.live) == ["eu", "us"]
        assert [s.counters.logoffs for s in sims] == [1, 1]  # the rejoined one too


async def test_the_merged_feed_takes_in_an_em_that_was_down_from_its_start(
    clock: FakeClock,
) -> None:
    # "us" is not listening when the fleet logs on; once it is back (after its client's
    # 30 s pause), its runs of the minute before the feed started are yielded: read
    # from the feed's start, not from its return (which would leave them out).
    async with simulators(clock, 1, jobs=2, nas_jobs=0, agent_jobs=0,
                          job_types=["Backup"]) as sims:  # fmt: skip
        down = sim_on(clock, jobs=2, nas_jobs=0, agent_jobs=0, job_types=["Backup"],
                      port=free_port())  # fmt: skip
        for n, sim in enumerate([sims[0], down]):
            job = next(iter(sim.state.jobs.values()))
            sim.state.record_run(job, "Failed", at=clock.now() - 50 - n)
        managers = {"eu": client(sims[0], clock), "us": client(down, clock)}
        got: list[tuple[str, str | None]] = []
        async with Fleet(managers) as fleet:
            assert isinstance(fleet.failed["us"], TransportError)
            await down.start()

            async def two() -> None:
                async for name, session in fleet.feed(since=timedelta(seconds=60),
                                                      results=("Failed",), interval=5):  # fmt: skip
                    got.append((name, session.result))
                    if len(got) == 2:
                        break

            try:
                # Real seconds bound only a failure (a feed that never takes "us" in
                # waits for ever); it passes in milliseconds on the fake clock.
                await asyncio.wait_for(two(), 60)
                assert fleet.failed == {}
            finally:
                await down.stop()
    assert sorted(got) == [("eu", "Failed"), ("us", "Failed")]
    # Tried again at the feed's pace, and by its client no sooner than the pause.
    assert down.counters.requests["POST /api/sessionMngr/"] == 1


async def test_a_feed_waiting_for_an_em_to_come_back_ends_when_the_fleet_closes(
    clock: FakeClock,
) -> None:
    down = sim_on(clock, jobs=1, nas_jobs=0, agent_jobs=0, port=free_port())  # never started
    fleet = Fleet({"us": client(down, clock)})
    await fleet.__aenter__()
    assert set(fleet.failed) == {"us"}
    got: list[tuple[str, object]] = []

    async def read() -> None:
        async for item in fleet.feed(interval=5):
            got.append(item)

    reading = asyncio.ensure_future(read())
    for _ in range(10_000):  # until its pump has tried again, through the client's pause
        if clock.now() >= 60:
            break
        await asyncio.sleep(0)
    assert clock.now() >= 60
    await fleet.close()
    # A bound for a failure only (a pump retrying a closed client for ever): on the
    # fake clock the feed ends within a few turns of the loop.
    await asyncio.wait_for(reading, 60)
    assert got == [] and isinstance(fleet.failed["us"], TransportError)


async def test_max_in_flight_caps_the_requests_of_every_em_together(clock: FakeClock) -> None:
    seen = Counters()  # one count of requests in flight across the three simulators
    async with simulators(clock, 3, jobs=10, nas_jobs=0, agent_jobs=0,
                          faults=Faults(latency=0.02)) as sims:  # fmt: skip
        for sim in sims:
            sim.counters = seen
        managers = {f"em{i}": client(s, clock, max_connections=10) for i, s in enumerate(sims)}
        async with Fleet(managers, max_in_flight=4) as fleet:

            async def read_every_job(em: EnterpriseManager) -> int:
                refs = await em.jobs.list()
                return len(await asyncio.gather(*(em.jobs.get(r) for r in refs)))

            results = await fleet.each(read_every_job)
    assert [r.value for r in results.values()] == [10, 10, 10]
    assert seen.requests["GET /api/jobs/{id}"] == 30
    # 3 clients of 10 connections, at most 4 at once in all (30 without the fleet's cap)
    assert 2 <= seen.max_in_flight <= 4


async def test_the_merged_feed_tags_each_run_with_its_em(clock: FakeClock) -> None:
    async with simulators(clock, 2, jobs=2, nas_jobs=0, agent_jobs=0,
                          job_types=["Backup"]) as sims:  # fmt: skip
        for n, sim in enumerate(sims):
            job = next(iter(sim.state.jobs.values()))
            sim.state.record_run(job, "Failed", at=clock.now() - 600 - n)
            sim.state.record_run(job, "Success", at=clock.now() - 300)
        managers = {"eu": client(sims[0], clock), "us": client(sims[1], clock)}
        got: list[tuple[str, str | None]] = []
        async with Fleet(managers) as fleet:
            async for name, session in fleet.feed(since=timedelta(hours=1),
                                                  results=("Failed",), interval=5):  # fmt: skip
                got.append((name, session.result))
                if len(got) == 2:
                    break
    assert sorted(got) == [("eu", "Failed"), ("us", "Failed")]


async def test_each_with_a_timeout_gives_that_em_a_timeout_and_the_others_their_value(
    clock: FakeClock,
) -> None:
    async with simulators(clock, 2, jobs=1, nas_jobs=0, agent_jobs=0) as sims:
        managers = {"fast": client(sims[0], clock), "stuck": client(sims[1], clock)}
        never = asyncio.Event()

        async def job_count(em: EnterpriseManager) -> int:
            if em is managers["stuck"]:
                await never.wait()  # an EM that never answers
            return len(await em.jobs.list())

        async with Fleet(managers) as fleet:
            results = await fleet.each(job_count, timeout=1.0)
    assert results["fast"] == FleetResult("fast", value=1)
    assert isinstance(results["stuck"].error, TimeoutError)
    assert not results["stuck"].ok


def test_a_fleet_needs_an_em() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Fleet({})


async def test_a_fleet_from_the_cli_profiles(
    clock: FakeClock, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    async with simulators(clock, 2, jobs=3, nas_jobs=0, agent_jobs=0) as sims:
        path = Path(str(tmp_path)) / "config.ini"
        profiles = zip(("lab", "prod"), sims, strict=True)
        path.write_text(
            "".join(f"[{n}]\nurl = {s.url}\nuser = {s.username}\n\n" for n, s in profiles)
        )
        monkeypatch.setenv("VEEAM_EM_PASSWORD", sims[0].password)
        monkeypatch.setattr("veeam_em_async.cli.config.keyring_password", lambda url, user: None)
        fleet = Fleet.from_profiles(path, max_in_flight=5)
        assert sorted(fleet.managers) == ["lab", "prod"] and fleet.max_in_flight == 5
        async with fleet:
            results = await fleet.each(lambda em: em.jobs.list())
        assert {n: len(r.value or []) for n, r in results.items()} == {"lab": 3, "prod": 3}
        only = Fleet.from_profiles(path, names=["prod"])
        assert list(only.managers) == ["prod"]
        await only.close()
        # As the CLI: VEEAM_EM_PASSWORD before the keyring's (it was the other way).
        monkeypatch.setattr("veeam_em_async.cli.config.keyring_password",
                            lambda url, user: "the keyring's")  # fmt: skip
        async with Fleet.from_profiles(path, names=["lab"]) as fleet:
            assert not fleet.failed  # logged on with the environment's password
        monkeypatch.delenv("VEEAM_EM_PASSWORD")
        monkeypatch.setattr("veeam_em_async.cli.config.keyring_password", lambda url, user: None)
        with pytest.raises(ValueError, match="profile 'lab': no password"):
            Fleet.from_profiles(path, names=["lab"])
