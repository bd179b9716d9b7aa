"""Reading every job entity: the query service against list + one GET per job.

The simulator runs in its own process (``veeam-em simulate``) with
``--latency`` (20 ms) added to every answer; each variant runs in a fresh
child process against the same simulator.

Variants:
- ``query``: ``await em.jobs.list(entities=True)``: ``GET /query?type=Job&
  format=Entities`` in pages of 200, ⌈N/200⌉ requests.
- ``list_get``: ``await em.jobs.list()`` then ``em.jobs.get(ref)`` for every
  job, concurrently within the client's 20 connections: N + 1 requests, what
  scripts that predate the query service do.

The table shows, per job count, the requests and wall time of each and the
ratios (list+get / query). Run: ``python benchmarks/bench_query.py`` (500
and 2,000 jobs; under a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from bench_bulk import PASSWORD, USER, child_options, print_table, run_child, spawn_simulator


async def read_by_query(url: str, conns: int) -> int:
    from veeam_em_async import EnterpriseManager

    async with EnterpriseManager(url, USER, PASSWORD, max_connections=conns) as em:
        return len(await em.jobs.list(entities=True))


async def read_by_list_get(url: str, conns: int) -> int:
    from veeam_em_async import EnterpriseManager

    async with EnterpriseManager(url, USER, PASSWORD, max_connections=conns) as em:
        refs = await em.jobs.list()
        jobs = await asyncio.gather(*(em.jobs.get(ref) for ref in refs))
        return len(jobs)


VARIANTS = {"query": read_by_query, "list_get": read_by_list_get}


def child(args: argparse.Namespace) -> None:
    import aiohttp  # noqa: F401

    import veeam_em_async  # noqa: F401

    wall0 = time.perf_counter()
    count = asyncio.run(VARIANTS[args.variant](args.url, args.connections))
    print(json.dumps({"wall": time.perf_counter() - wall0, "jobs": count}))


def measure(args: argparse.Namespace, jobs: int) -> dict[str, dict[str, Any]]:
    proc, url = spawn_simulator(
        "--jobs", str(jobs), "--nas-jobs", "0", "--latency", str(args.latency)
    )  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    try:
        for variant in VARIANTS:
            result = run_child(__file__, url, variant, "--connections", str(args.connections))
            if result["jobs"] != jobs:
                raise SystemExit(f"{variant} read {result['jobs']} of {jobs} jobs")
            result["requests"] = sum(
                n for route, n in result["counters"].items() if "sessionMngr" not in route
            ) - result["counters"].get("DELETE /api/logonSessions/{id}", 0)
            results[variant] = result
            print(f"  {jobs} jobs, {variant}: {result['wall']:.2f} s", file=sys.stderr)
    finally:
        proc.terminate()
        proc.wait(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="*", default=[500, 2000])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--connections", type=int, default=20)
    child_options(parser)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    columns = [
        "jobs", "query_requests", "list_get_requests", "fewer_requests",
        "query_s", "list_get_s", "faster",
    ]  # fmt: skip
    rows = []
    for jobs in args.jobs:
        found = measure(args, jobs)
        query, list_get = found["query"], found["list_get"]
        rows.append(
            {
                "jobs": jobs,
                "query_requests": query["requests"],
                "list_get_requests": list_get["requests"],
                "fewer_requests": round(list_get["requests"] / query["requests"], 1),
                "query_s": round(query["wall"], 2),
                "list_get_s": round(list_get["wall"], 2),
                "faster": round(list_get["wall"] / query["wall"], 1),
            }
        )
    print_table(columns, rows)
    print()
    print(json.dumps({"benchmark": "query", "rows": rows}))


if __name__ == "__main__":
    main()
