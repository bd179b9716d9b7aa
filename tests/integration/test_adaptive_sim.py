"""The adaptive limit against a simulated EM that slows down and sheds load past a
concurrency: it converges below it, sheds fewer requests than the fixed cap, and
recovers when EM does. Counted at the simulator."""

from __future__ import annotations

import asyncio

from tests.fakes import FakeClock, sim_client, sim_on
from veeam_em_async import EnterpriseManager, RetryPolicy
from veeam_em_async.simulator import Faults

CAPACITY = 5  # EM slows down past 5 in flight, and sheds past 10
RETRIES = RetryPolicy(retries=8, backoff_base=0.01, jitter=0.0)


async def read(em: EnterpriseManager, ids: list[str], limits: list[int]) -> int:
    """Read every job once; the limit after each answer goes to ``limits``; returns
    how many reads failed (503 after every retry)."""

    async def one(job_id: str) -> None:
        try:
            await em.jobs.get(job_id)
        finally:
            limits.append(em.stats.limit)

    results = await asyncio.gather(*(one(i) for i in ids), return_exceptions=True)
    return sum(isinstance(r, Exception) for r in results)


async def test_the_adaptive_limit_converges_sheds_less_and_recovers(clock: FakeClock) -> None:
    shed: dict[bool, int] = {}
    failed: dict[bool, int] = {}
    limits: list[int] = []
    for adaptive in (False, True):
        sim = sim_on(clock, jobs=20, nas_jobs=0, agent_jobs=0,
                     faults=Faults(latency=0.05, capacity=CAPACITY))  # fmt: skip
        async with sim, sim_client(sim, clock, max_connections=20, retry_policy=RETRIES,
                                   adaptive=adaptive) as em:  # fmt: skip
            ids = [ref.id or "" for ref in await em.jobs.list()] * 15  # 300 reads
            seen: list[int] = []
            failed[adaptive] = await read(em, ids, seen)
            shed[adaptive] = sim.counters.shed
            if adaptive:
                limits = seen
                settled = seen[len(seen) // 2 :]
                # It settles around the point where EM sheds (2 x capacity in flight), well
                # below the cap it was given: a sawtooth that dips under that point.
                assert min(settled) <= 2 * CAPACITY and max(settled) < 20
                assert sum(settled) / len(settled) < 1.5 * 2 * CAPACITY
                sim.faults.capacity = 100  # EM recovered
                recovered: list[int] = []
                assert await read(em, ids, recovered) == 0
                # (a sawtooth again, at a higher level: its peak, not its last value)
                assert max(recovered) >= 15 and max(recovered) > max(settled)
    assert shed[True] * 2 < shed[False], shed  # the fixed cap of 20 keeps overloading EM
    assert failed[True] <= failed[False], failed
    assert min(limits) >= 1
