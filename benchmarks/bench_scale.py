"""Scale: 10,000 outstanding task handles — memory per handle, requests per tick.

An in-process simulator holds 10,000 running tasks of the client's logon
session; the client makes a handle for each and awaits them all. Memory is
measured with tracemalloc: the handles and the watcher's entries alone, then
with one waiting coroutine per handle, on the watcher's schedule (what an
application awaiting each task separately pays). Requests are counted by the
simulator over the polling ticks until every task has finished.

Run: ``python benchmarks/bench_scale.py`` (``--handles 2000`` for a quick run).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
import tracemalloc

from veeam_em_async import EnterpriseManager, PollPolicy
from veeam_em_async.simulator import EMSimulator


async def run(handles: int, task_seconds: float) -> dict[str, float]:
    policy = PollPolicy(initial_delay=1.0, min_interval=1.0, max_interval=1.0, jitter=0.0)
    async with EMSimulator(jobs=1, nas_jobs=0, task_seconds=task_seconds) as sim:
        async with EnterpriseManager(sim.url, sim.username, sim.password, poll_policy=policy) as em:
            (session,) = sim.state.sessions.values()
            ids = [sim.state.new_task(session, "StartJob").id for _ in range(handles)]
            sim.counters.reset()
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            tasks = [em.tasks.handle(task_id) for task_id in ids]
            handles_bytes = tracemalloc.get_traced_memory()[0] - base
            waiters = [asyncio.ensure_future(task.wait()) for task in tasks]
            await asyncio.sleep(0)
            with_waiters = tracemalloc.get_traced_memory()[0] - base
            tracemalloc.stop()
            started = time.perf_counter()
            infos = await asyncio.gather(*waiters)
            wall = time.perf_counter() - started
            assert all(info.state == "Finished" for info in infos)
            ticks = em.task_watcher.ticks
        requests = sim.counters.requests
    return {
        "handles": handles,
        "bytes_per_handle": round(handles_bytes / handles),
        "bytes_per_handle_with_waiter": round(with_waiters / handles),
        "ticks": ticks,
        "task_list_gets": requests["GET /api/tasks"],
        "task_gets": requests["GET /api/tasks/{id}"],
        "requests_per_tick": round(
            (requests["GET /api/tasks"] + requests["GET /api/tasks/{id}"]) / max(ticks, 1), 2
        ),
        "wall_s": round(wall, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handles", type=int, default=10_000)
    parser.add_argument("--task-seconds", type=float, default=3.0)
    args = parser.parse_args()
    row = asyncio.run(run(args.handles, args.task_seconds))
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |")
    print()
    print(json.dumps({"benchmark": "scale", **row}))


if __name__ == "__main__":
    main()
