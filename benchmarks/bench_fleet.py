"""Many EMs from one process: K simulated EMs, each with ``--jobs`` jobs, every job
started and awaited through one `Fleet`, against the bare-aiohttp bound (the same
POSTs, then the tasks' duration) in the same run.

The K simulators run in one process of their own (``--serve``, 20 ms latency, 2 s
tasks), fresh for each variant, which runs in a fresh child; ``--rounds N`` repeats
each K and gives medians. Reported: wall / bound, CPU per job, requests per job,
the event loop's lag (a 10 ms ticker: how late it woke, p50, p99 and how many times
over 100 ms), the collector's full passes (how many, the longest), peak RSS and the
file descriptors open at the end of the run.
``--max-in-flight N`` gives the fleet a cap across EMs (the bound keeps 20 per EM);
``--gc-threshold N`` runs both variants' children with ``gc.set_threshold(N)``, what
a service may do (the library never touches the collector).
``--turn-budgets 0.01 inf`` runs the fleet once per budget of a loop turn (the
children set ``for_loop().seconds``; ``inf`` turns it off), in turn within each round,
each against the round's bound: a paired A/B on this noisy machine.
Run: ``python benchmarks/bench_fleet.py`` (K = 1, 5, 20, 50; a few minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from bench_bulk import PASSWORD, USER, bare_logon, free_port, print_table

TICK = 0.01


async def serve(count: int, jobs: int, latency: float, task_seconds: float) -> None:
    from veeam_em_async.simulator import EMSimulator, Faults

    sims = []
    for _ in range(count):
        sim = EMSimulator(jobs=jobs, nas_jobs=0, agent_jobs=0, job_types=["Backup"],
                          task_seconds=task_seconds, port=free_port(),
                          faults=Faults(latency=latency))  # fmt: skip
        await sim.start()
        sims.append(sim)
    print(json.dumps([s.url for s in sims]), flush=True)
    await asyncio.Event().wait()


class Collections:
    """The collector's full passes (generation 2) during the run: how many, and the
    longest. Each makes one turn of the loop that long, whatever code holds the
    objects, so they show how much of ``lag_p99_ms`` is the interpreter's."""

    def __init__(self) -> None:
        self.full: list[float] = []
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.full.append(time.perf_counter() - self.started)

    def report(self) -> dict[str, float]:
        return {"gc_full": len(self.full),
                "gc_full_max_ms": round(max(self.full, default=0.0) * 1000, 1)}  # fmt: skip


class Lag:
    """How late a 10 ms ticker wakes: the event loop's lag. ``late_100ms`` counts the
    wake-ups over 100 ms: p99 is the n/100-th worst of n samples, so it says more
    next to how many there were."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            self.samples.append(max(0.0, time.perf_counter() - before - TICK))

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    def stop(self) -> dict[str, float]:
        assert self.task is not None
        self.task.cancel()
        ordered = sorted(self.samples) or [0.0]
        return {"lag_p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
                "lag_p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1),
                "late_100ms": sum(1 for s in ordered if s > 0.1)}  # fmt: skip


async def fleet_run(
    urls: list[str], task_seconds: float, cap: int | None, adaptive: bool = False
) -> dict[str, Any]:
    from veeam_em_async import EnterpriseManager, Fleet

    managers = {
        f"em{i}": EnterpriseManager(u, USER, PASSWORD, adaptive=adaptive)
        for i, u in enumerate(urls)
    }
    lag = Lag()
    lag.start()
    async with Fleet(managers, max_in_flight=cap) as fleet:
        results = await fleet.each(start_every_job)
    failed = sum(1 for r in results.values() for o in (r.value or []) if not o.ok)
    failed += sum(not r.ok for r in results.values())
    requests = sum(em.stats.total() for em in managers.values())
    return {"failed": failed, "requests": requests, **lag.stop()}


async def start_every_job(em: Any) -> Any:
    return await em.jobs.start_many(await em.jobs.list())


async def bound_run(
    urls: list[str], task_seconds: float, cap: int | None, adaptive: bool = False
) -> dict[str, Any]:
    import aiohttp

    lag = Lag()
    lag.start()
    starts: list[int] = []

    async def one_em(url: str) -> None:
        jar = aiohttp.DummyCookieJar()
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=20), cookie_jar=jar
        ) as session:
            token = await bare_logon(session, url)
            headers = {"X-RestSvcSessionId": token}
            async with session.get(f"{url}/api/jobs", headers=headers) as r:
                body = await r.read()
            ids = [part.split(b'"', 1)[0].decode() for part in body.split(b"/api/jobs/")[1:]]
            ids = sorted(set(i for i in ids if len(i) == 36))

            async def start(job_id: str) -> None:
                async with session.post(f"{url}/api/jobs/{job_id}?action=start",
                                        headers=headers) as r:  # fmt: skip
                    await r.read()

            await asyncio.gather(*(start(i) for i in ids))
            starts.append(len(ids))

    await asyncio.gather(*(one_em(u) for u in urls))
    await asyncio.sleep(task_seconds)
    # Per EM: a logon, the job list, a POST per job.
    return {"failed": 0, "requests": len(urls) * 2 + sum(starts), **lag.stop()}


def child(args: argparse.Namespace) -> None:
    import gc

    import aiohttp  # noqa: F401

    import veeam_em_async  # noqa: F401

    if args.gc_threshold:
        gc.set_threshold(args.gc_threshold)
    urls = json.loads(args.urls)
    run = fleet_run if args.variant == "fleet" else bound_run

    async def main() -> dict[str, Any]:
        if args.turn_budget is not None:
            from veeam_em_async.transport import for_loop

            for_loop().seconds = args.turn_budget
        return await run(urls, args.task_seconds, args.max_in_flight, args.adaptive)

    collections = Collections()
    gc.callbacks.append(collections)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    found = asyncio.run(main())
    gc.callbacks.remove(collections)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_mb": rss, "fds": fds, **found,
                      **collections.report()}))  # fmt: skip


def measure(args: argparse.Namespace, k: int, round_index: int = 0) -> list[dict[str, Any]]:
    rows = []
    budgets = args.turn_budgets or [None]
    # The budgets' order alternates by round, so that neither always runs first.
    order = budgets if round_index % 2 == 0 else budgets[::-1]
    for variant, budget in [("bound", None), *(("fleet", b) for b in order)]:
        # Fresh simulators for each variant: one that has served a run is slower for
        # the next (its history grows: about 0.8 s more at K = 50), which favoured
        # whichever variant ran first.
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(k), "--jobs", str(args.jobs),
             "--latency", str(args.latency), "--task-seconds", str(args.task_seconds)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert server.stdout is not None
        urls = server.stdout.readline().strip()
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--variant", variant, "--urls", urls,
                 "--task-seconds", str(args.task_seconds),
                 *(["--max-in-flight", str(args.max_in_flight)] if args.max_in_flight else []),
                 *(["--gc-threshold", str(args.gc_threshold)] if args.gc_threshold else []),
                 *(["--adaptive"] if args.adaptive else []),
                 *(["--turn-budget", str(budget)] if budget is not None else [])],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        finally:
            server.terminate()
            server.wait(10)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        jobs = k * args.jobs
        rows.append({
            "k": k, "variant": variant, "jobs": jobs, "wall_s": round(result["wall"], 2),
            "turn_budget": "-" if variant == "bound" else "default" if budget is None
                           else str(budget),
            "cpu_ms_per_job": round(result["cpu"] * 1000 / jobs, 3),
            "lag_p50_ms": result["lag_p50_ms"], "lag_p99_ms": result["lag_p99_ms"],
            "late_100ms": result["late_100ms"], "gc_full": result["gc_full"],
            "gc_full_max_ms": result["gc_full_max_ms"],
            "peak_rss_mb": round(result["rss_mb"], 1), "fds": result["fds"],
            "requests_per_job": round(result["requests"] / jobs, 2), "failed": result["failed"],
        })  # fmt: skip
        print(f"  K={k} {variant} {rows[-1]['turn_budget']}: {result['wall']:.2f} s",
              file=sys.stderr)  # fmt: skip
    for row in rows:
        row["wall_vs_bound"] = round(row["wall_s"] / rows[0]["wall_s"], 3)
    if order is not budgets:
        rows[1:] = rows[:0:-1]  # the rows in the budgets' order, as every round gives them
    return rows


def medians(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each variant's row as the median of the rounds (``failed`` summed); ``rounds``
    lists each round's wall / bound. This machine's CPU per job moves ±30 % from run to
    run, so one round proves little."""
    rows = []
    for index in range(len(rounds[0])):
        runs = [r[index] for r in rounds]
        assert len({(run["variant"], run["turn_budget"]) for run in runs}) == 1, runs
        row = {
            key: round(statistics.median(run[key] for run in runs), 3)
            for key in runs[0]
            if key not in ("k", "variant", "jobs", "failed", "turn_budget")
        }
        row.update(k=runs[0]["k"], variant=runs[0]["variant"], jobs=runs[0]["jobs"],
                   turn_budget=runs[0]["turn_budget"],
                   failed=sum(run["failed"] for run in runs),
                   rounds=", ".join(str(run["wall_vs_bound"]) for run in runs))  # fmt: skip
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="*", default=[1, 5, 20, 50])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--task-seconds", type=float, default=2.0)
    parser.add_argument("--max-in-flight", type=int, help="the fleet's cap across EMs")
    parser.add_argument("--gc-threshold", type=int,
                        help="gc.set_threshold(N) in both clients (default 700)")  # fmt: skip
    parser.add_argument("--adaptive", action="store_true",
                        help="every EM's client adaptive=True (the bound keeps 20)")  # fmt: skip
    parser.add_argument("--turn-budgets", type=float, nargs="*",
                        help="the fleet once per loop turn budget, s (inf: off)")  # fmt: skip
    parser.add_argument("--turn-budget", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds per K: medians, and each round's wall / bound")  # fmt: skip
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.jobs, args.latency, args.task_seconds))
        return
    if args.child:
        child(args)
        return
    rounds = [[measure(args, k, r) for r in range(args.rounds)] for k in args.k]
    rows = [row for per_k in rounds for row in medians(per_k)]
    columns = ["k", "variant", "turn_budget", "jobs", "wall_s", "wall_vs_bound", "cpu_ms_per_job",
               "lag_p50_ms", "lag_p99_ms", "late_100ms", "gc_full", "gc_full_max_ms",
               "peak_rss_mb", "fds", "requests_per_job",
               "failed", "rounds"]  # fmt: skip
    print_table(columns, rows)
    print()
    print(json.dumps({"benchmark": "fleet", "rows": rows}))


if __name__ == "__main__":
    main()
