"""Loopback throughput: what one request costs the client, against bare aiohttp.

The simulator runs in its own process with no added latency, so the client's
CPU is the limit. In one run, each variant sends the same number of requests
at 20 concurrent and we report requests per second and the ratio to bare
aiohttp doing the same request (no parsing):

- ``bare aiohttp GET /tasks/{id}`` and ``bare aiohttp GET /jobs/{id}``: the physical limit;
- ``transport.request``: the client's transport, no parsing;
- ``em.tasks.get``: transport + parsing a ``<Task>`` into ``TaskInfo``;
- ``em.jobs.get``: transport + parsing a 5 KB ``<Job>`` entity.

Run: ``python benchmarks/bench_requests.py`` (``--requests 2000`` for a quick run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_bulk import PASSWORD, USER, bare_logon, start_simulator

CONCURRENCY = 20


async def timed(n: int, one: Callable[[], Awaitable[Any]]) -> float:
    slots = asyncio.Semaphore(CONCURRENCY)

    async def go() -> None:
        async with slots:
            await one()

    started = time.perf_counter()
    await asyncio.gather(*(go() for _ in range(n)))
    return n / (time.perf_counter() - started)


async def measure(url: str, n: int, rounds: int) -> dict[str, float]:
    import aiohttp

    from veeam_em_async import EnterpriseManager

    results: dict[str, list[float]] = {}
    async with EnterpriseManager(url, USER, PASSWORD, max_connections=CONCURRENCY) as em:
        job = (await em.jobs.list())[0]
        task = await em.jobs.start(job)
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            token = {"X-RestSvcSessionId": await bare_logon(session, url)}

            def bare(path: str) -> Callable[[], Awaitable[Any]]:
                async def one() -> None:
                    async with session.get(f"{url}/api/{path}", headers=token) as r:
                        await r.read()

                return one

            transport = em._transport  # the layer under test, on purpose
            variants: dict[str, Callable[[], Awaitable[Any]]] = {
                "bare aiohttp GET /tasks/{id}": bare(f"tasks/{task.id}"),
                "transport.request GET /tasks/{id}": lambda: transport.request(
                    "GET", f"tasks/{task.id}"
                ),
                "em.tasks.get": lambda: em.tasks.get(task.id),
                "bare aiohttp GET /jobs/{id}": bare(f"jobs/{job.id}?format=Entity"),
                "em.jobs.get": lambda: em.jobs.get(job),
            }
            for _ in range(rounds):  # interleaved rounds: machine noise hits all alike
                for name, one in variants.items():
                    results.setdefault(name, []).append(await timed(n, one))
    return {name: max(values) for name, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    class SimArgs:
        jobs = 10
        task_seconds = 3600.0
        history_tasks = 0

    proc, url = start_simulator(SimArgs(), 0.0)  # type: ignore[arg-type]
    try:
        best = asyncio.run(measure(url, args.requests, args.rounds))
    finally:
        proc.terminate()
        proc.wait(10)
    ratios = {
        "transport.request / bare": best["transport.request GET /tasks/{id}"]
        / best["bare aiohttp GET /tasks/{id}"],
        "em.tasks.get / bare": best["em.tasks.get"] / best["bare aiohttp GET /tasks/{id}"],
        "em.jobs.get / bare": best["em.jobs.get"] / best["bare aiohttp GET /jobs/{id}"],
    }
    print(f"| variant (best of {args.rounds} rounds of {args.requests}) | requests/s |")
    print("|---|---|")
    for name, value in best.items():
        print(f"| {name} | {value:.0f} |")
    print()
    print("| ratio | value |")
    print("|---|---|")
    for name, value in ratios.items():
        print(f"| {name} | {value:.2f} |")
    print()
    print(json.dumps({"benchmark": "requests", "requests_per_s": best, "ratios": ratios}))


if __name__ == "__main__":
    main()
