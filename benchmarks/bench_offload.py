"""Parsing large query pages on the loop, or in a thread (``parse_offload_bytes``).

An embedded simulator holds ``--vms`` VMs with a week of daily points; the client
reads the window as `em.protection()` does without its ``keep`` (``em.query`` pages
of 1,000 points, about 1 MB each), while a 5 ms ticker measures how late the loop
wakes. Reported per mode: wall time, the loop's worst and p99 lag, and the CPU time.
Run: ``python benchmarks/bench_offload.py`` (under a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from veeam_em_async import EnterpriseManager
from veeam_em_async.simulator import EMSimulator

TICK = 0.005


async def read(url: str, user: str, password: str, offload: int | None) -> dict[str, float]:
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(max(0.0, time.perf_counter() - before - TICK))

    async with EnterpriseManager(url, user, password, parse_offload_bytes=offload) as em:
        task = asyncio.ensure_future(ticker())
        cpu0, wall0 = time.process_time(), time.perf_counter()
        async for page in em.query("VmRestorePoint", page_size=1000).pages(read_ahead=2):
            assert page.items
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        task.cancel()
    lags.sort()
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "lag_max_ms": round(lags[-1] * 1000, 1),
            "lag_p99_ms": round(lags[int(len(lags) * 0.99)] * 1000, 1)}  # fmt: skip


async def main_async(args: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    async with EMSimulator(jobs=0, nas_jobs=0, agent_jobs=0, restore_point_vms=args.vms) as sim:
        for _ in range(args.rounds):
            for mode, offload in (("on the loop", None), ("in a thread", 100_000)):
                found = await read(sim.url, sim.username, sim.password, offload)
                rows.append({"mode": mode, "points": args.vms * 7, **found})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rows = asyncio.run(main_async(args))
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")
    print()
    print(json.dumps({"benchmark": "offload", "rows": rows}))


if __name__ == "__main__":
    main()
