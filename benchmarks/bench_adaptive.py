"""A fixed cap against the adaptive limit, with an EM that sheds load.

An embedded simulator slows down past ``--capacity`` requests in flight and answers
503 past twice that (`Faults(capacity=…)`); the client reads every job ``--rounds``
times with 20 connections, retrying 503s (GET is idempotent), once with the fixed
cap and once with ``adaptive=True``. Then EM recovers (capacity 100) and the
adaptive client reads again. The table: 503s EM sent, reads that failed, wall time;
below it, the adaptive limit after each answer as a small ASCII plot.
Run: ``python benchmarks/bench_adaptive.py`` (under a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from veeam_em_async import EnterpriseManager, RetryPolicy
from veeam_em_async.simulator import EMSimulator, Faults

RETRIES = RetryPolicy(retries=8, backoff_base=0.05, jitter=0.5)


async def run(args: argparse.Namespace, adaptive: bool) -> dict[str, Any]:
    faults = Faults(latency=args.latency, capacity=args.capacity)
    async with EMSimulator(jobs=args.jobs, nas_jobs=0, agent_jobs=0, faults=faults) as sim:
        async with EnterpriseManager(sim.url, sim.username, sim.password, max_connections=20,
                                     retry_policy=RETRIES, adaptive=adaptive) as em:  # fmt: skip
            ids = [ref.id or "" for ref in await em.jobs.list()] * args.rounds
            limits: list[int] = []

            async def one(job_id: str) -> None:
                try:
                    await em.jobs.get(job_id)
                finally:
                    limits.append(em.stats.limit)

            started = time.perf_counter()
            results = await asyncio.gather(*(one(i) for i in ids), return_exceptions=True)
            wall = time.perf_counter() - started
            shed = sim.counters.shed
            recovered: list[int] = []
            if adaptive:
                sim.faults.capacity = 100
                await asyncio.gather(*(one(i) for i in ids), return_exceptions=True)
                recovered = limits[len(ids) :]
    return {
        "mode": "adaptive" if adaptive else "fixed cap 20", "reads": len(ids),
        "em_503s": shed, "failed_reads": sum(isinstance(r, Exception) for r in results),
        "wall_s": round(wall, 2), "limits": limits[: len(ids)], "recovered": recovered,
    }  # fmt: skip


def plot(limits: list[int], width: int = 60, height: int = 10, top: int = 20) -> list[str]:
    """The limit after each answer, ``width`` columns (each the mean of its answers)."""
    if not limits:
        return []
    step = max(1, len(limits) // width)
    columns = [limits[i : i + step] for i in range(0, len(limits), step)][:width]
    means = [sum(c) / len(c) for c in columns]
    rows = []
    for level in range(height, 0, -1):
        floor = top * (level - 1) / height
        rows.append(f"{top * level / height:5.1f} |" + "".join("#" if m > floor else " "
                                                               for m in means))  # fmt: skip
    rows.append("      +" + "-" * len(means) + " answers ->")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    rows = [asyncio.run(run(args, adaptive)) for adaptive in (False, True)]
    columns = ["mode", "reads", "em_503s", "failed_reads", "wall_s"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")
    adaptive = rows[1]
    print(f"\nThe adaptive limit while EM sheds past {2 * args.capacity} in flight:")
    print("\n".join(plot(adaptive["limits"])))
    print("\nAnd once EM recovered (capacity 100):")
    print("\n".join(plot(adaptive["recovered"])))
    print()
    print(json.dumps({"benchmark": "adaptive",
                      "rows": [{c: r[c] for c in columns} for r in rows]}))  # fmt: skip


if __name__ == "__main__":
    main()
