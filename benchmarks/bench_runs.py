"""Job runs: start N jobs and await each backup's real result (its job session).

The simulator runs in its own process (``veeam-em simulate``), each variant in
a fresh child process. Every run's session lasts ``--session-seconds`` (5 s)
after a start task of ``--task-seconds`` (1 s), with ``--latency`` (20 ms)
added to every answer.

Variants:
- ``veeam_em_async``: ``em.jobs.run_many(ids, concurrency=C)``: per run it
  reads the job's newest session before the start (the baseline), sends the
  start, follows the start task's link to the session, and waits through the
  one run watcher (a query per tick for all runs). Job types come from one
  query for all jobs.
- ``bound``: bare aiohttp that *knows* the session ids (from the simulator,
  not from EM): it sends the same starts at concurrency C, then polls each
  session (``GET /backupSessions/{id}``) on the same cadence until it stops.
  No discovery, no parsing beyond a regular expression.

Both poll every ``--cadence`` seconds (1 s). The table shows the wall time
ratio, requests per run, and polling requests per run per tick (the
watcher's ticks; the bound's cadence ticks). Run: ``python
benchmarks/bench_runs.py`` (100 and 1,000 runs; about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from typing import Any

from bench_bulk import (
    PASSWORD,
    USER,
    bare_logon,
    child_options,
    print_table,
    run_child,
    sim_call,
    spawn_simulator,
)

STATE = re.compile(rb"<State>([^<]+)</State>")


async def run_ours(url: str, ids: list[str], conns: int, cadence: float) -> dict[str, Any]:
    from veeam_em_async import EnterpriseManager, PollPolicy

    policy = PollPolicy(initial_delay=cadence, min_interval=cadence, max_interval=cadence, jitter=0)
    async with EnterpriseManager(
        url, USER, PASSWORD, max_connections=conns, poll_policy=policy, run_poll_policy=policy
    ) as em:
        outcomes = await em.jobs.run_many(ids, concurrency=conns)
        watcher = em.run_watcher
        stats = {"ticks": watcher.ticks, "polls": watcher.batch_polls + watcher.single_polls}
    bad = [o for o in outcomes if not o.ok]
    if bad:
        raise SystemExit(f"{len(bad)} runs failed: {bad[0].error}")
    return stats


async def run_bound(url: str, ids: list[str], conns: int, cadence: float) -> dict[str, Any]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=conns)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        token = await bare_logon(session, url)
        headers = {"X-RestSvcSessionId": token}
        slots = asyncio.Semaphore(conns)

        async def start(job_id: str) -> None:
            start_url = f"{url}/api/jobs/{job_id}?action=start"
            async with slots, session.post(start_url, headers=headers) as r:
                await r.read()
                assert r.status == 202

        await asyncio.gather(*(start(i) for i in ids))
        async with session.get(f"{url}/_sim/sessions") as r:  # told, not found
            sessions = [runs[-1] for job, runs in (await r.json()).items() if job in set(ids)]
        polls = 0

        async def follow(session_id: str) -> None:
            nonlocal polls
            while True:
                await asyncio.sleep(cadence)
                polls += 1
                async with session.get(
                    f"{url}/api/backupSessions/{session_id}?format=Entity", headers=headers
                ) as r:
                    match = STATE.search(await r.read())
                if match and match.group(1) == b"Stopped":
                    return

        await asyncio.gather(*(follow(s) for s in sessions))
    return {"polls": polls}


VARIANTS = {"veeam_em_async": run_ours, "bound": run_bound}


def child(args: argparse.Namespace) -> None:
    with open(args.ids_file) as f:
        ids = json.load(f)
    import aiohttp  # noqa: F401

    import veeam_em_async  # noqa: F401

    wall0, cpu0 = time.perf_counter(), time.process_time()
    extra = asyncio.run(VARIANTS[args.variant](args.url, ids, args.connections, args.cadence))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({"wall": wall, "cpu": cpu, **extra}))


def measure(args: argparse.Namespace, runs: int) -> dict[str, dict[str, Any]]:
    proc, url = spawn_simulator(
        "--jobs", str(runs), "--nas-jobs", "0", "--task-seconds", str(args.task_seconds),
        "--session-seconds", str(args.session_seconds), "--failure-rate", "0",
        "--warning-rate", "0", "--latency", str(args.latency), "--job-types", "Backup",
    )  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    try:
        ids = list(sim_call(url, "/_sim/sessions"))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(ids, f)
        for variant in VARIANTS:
            result = run_child(
                __file__, url, variant, "--ids-file", f.name,
                "--connections", str(args.connections), "--cadence", str(args.cadence),
            )  # fmt: skip
            result["requests"] = sum(
                n for route, n in result["counters"].items() if "sessionMngr" not in route
            )
            results[variant] = result
            print(
                f"  {runs} runs, {variant}: {result['wall']:.2f} s, cpu {result['cpu']:.2f} s",
                file=sys.stderr,
            )
    finally:
        proc.terminate()
        proc.wait(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--task-seconds", type=float, default=1.0)
    parser.add_argument("--session-seconds", type=float, default=5.0)
    parser.add_argument("--cadence", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=20)
    child_options(parser)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    columns = [
        "runs", "ours_s", "bound_s", "wall_vs_bound", "requests_per_run", "bound_requests_per_run",
        "ticks", "polls_per_run_per_tick", "bound_polls_per_run_per_tick",
    ]  # fmt: skip
    rows = []
    for runs in args.runs:
        found = measure(args, runs)
        ours, bound = found["veeam_em_async"], found["bound"]
        bound_ticks = args.session_seconds / args.cadence
        rows.append(
            {
                "runs": runs,
                "ours_s": round(ours["wall"], 2),
                "bound_s": round(bound["wall"], 2),
                "wall_vs_bound": round(ours["wall"] / bound["wall"], 3),
                "requests_per_run": round(ours["requests"] / runs, 2),
                "bound_requests_per_run": round(bound["requests"] / runs, 2),
                "ticks": ours["ticks"],
                "polls_per_run_per_tick": round(ours["polls"] / (runs * max(1, ours["ticks"])), 4),
                "bound_polls_per_run_per_tick": round(bound["polls"] / (runs * bound_ticks), 3),
            }
        )
    print_table(columns, rows)
    print()
    print(json.dumps({"benchmark": "runs", "rows": rows}))


if __name__ == "__main__":
    main()
