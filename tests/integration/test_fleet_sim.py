"""A fleet of simulated EMs: one refusing the logon, the shared cap counted at the
simulators, the merged feed, and `each` with a timeout."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.fakes import FakeClock, sim_on
from veeam_em_async import AuthenticationError, EnterpriseManager, Fleet, FleetResult
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
