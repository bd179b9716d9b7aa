"""``jobs.get`` per second against the bare bound: aiohttp and ``xmltodict.parse`` of
the same bodies, nothing else.

The simulator runs in its own process (no added latency, so the client's own work
shows); each variant runs in a fresh child, ``--rounds`` times interleaved, reading
``--gets`` job entities 20 at a time, after a warm-up outside the clock. The table
gives gets per second (the median) and the client's share of the bound (the median
of each round's ratio).
Run: ``python benchmarks/bench_get.py`` (about two minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

from bench_bulk import (
    PASSWORD,
    USER,
    bare_logon,
    child_options,
    job_ids,
    print_table,
    run_child,
    spawn_simulator,
)

#: Gets each variant makes before its clock starts.
WARM_UP = 40


async def client_gets(url: str, ids: list[str], conns: int) -> float:
    from veeam_em_async import EnterpriseManager

    async with EnterpriseManager(url, USER, PASSWORD, max_connections=conns) as em:
        slots = asyncio.Semaphore(conns)

        async def one(job_id: str) -> None:
            async with slots:
                await em.jobs.get(job_id)

        return await timed(one, ids)


async def bare_gets(url: str, ids: list[str], conns: int) -> float:
    import aiohttp
    import xmltodict

    connector = aiohttp.TCPConnector(limit=conns)
    async with aiohttp.ClientSession(connector=connector,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:  # fmt: skip
        token = await bare_logon(session, url)
        slots = asyncio.Semaphore(conns)

        async def one(job_id: str) -> None:
            async with slots:
                async with session.get(f"{url}/api/jobs/{job_id}?format=Entity",
                                       headers={"X-RestSvcSessionId": token}) as r:  # fmt: skip
                    body = await r.read()
                xmltodict.parse(body)  # the connection is back in the pool, as the client's is

        return await timed(one, ids)


async def timed(one: Any, ids: list[str]) -> float:
    """Seconds for every get, after a warm-up of ``WARM_UP`` gets (outside the clock):
    the steady rate, without the one-time costs of the first requests (imports done
    lazily, cattrs compiling its structure hooks, the pool's first connections),
    which were a tenth of the client's time at 3,000 gets."""
    await asyncio.gather(*(one(i) for i in ids[:WARM_UP]))
    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in ids))
    return time.perf_counter() - start


VARIANTS = {"veeam_em_async": client_gets, "aiohttp + xmltodict": bare_gets}


def child(args: argparse.Namespace) -> None:
    import veeam_em_async  # noqa: F401

    with open(args.ids_file) as f:
        ids = json.load(f)
    wall = asyncio.run(VARIANTS[args.variant](args.url, ids, args.connections))
    print(json.dumps({"wall": wall, "gets": len(ids)}))


def main() -> None:
    import os
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--connections", type=int, default=20)
    child_options(parser)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    proc, url = spawn_simulator("--jobs", "200", "--nas-jobs", "0", "--agent-jobs", "0")
    found: dict[str, list[float]] = {v: [] for v in VARIANTS}
    try:
        ids = job_ids(url)
        ids = (ids * (args.gets // len(ids) + 1))[: args.gets]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(ids, f)
        for _ in range(args.rounds):
            for variant in VARIANTS:
                result = run_child(__file__, url, variant, "--ids-file", f.name,
                                   "--connections", str(args.connections))  # fmt: skip
                found[variant].append(result["gets"] / result["wall"])
                print(f"  {variant}: {found[variant][-1]:.0f}/s", file=sys.stderr)
        os.unlink(f.name)
    finally:
        proc.terminate()
        proc.wait(10)
    # Each round's two runs are side by side in time: the share is the median of the
    # rounds' ratios, which the machine's drift between rounds (±25 % here) cancels out of.
    bound_rates = found["aiohttp + xmltodict"]
    rows: list[dict[str, Any]] = [
        {"variant": v, "gets": args.gets, "gets_per_s": round(statistics.median(rates)),
         "rounds": ", ".join(f"{r:.0f}" for r in rates),
         "share_of_bound": round(statistics.median(
             r / b for r, b in zip(rates, bound_rates, strict=True)), 3)}
        for v, rates in found.items()
    ]  # fmt: skip
    print_table(list(rows[0]), rows)
    print()
    print(json.dumps({"benchmark": "get", "rows": rows}))


if __name__ == "__main__":
    main()
