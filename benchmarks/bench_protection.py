"""The RPO report over thousands of VMs: one reading of the window against a
query per VM.

The simulator runs in its own process (``veeam-em simulate``) with
``--latency`` (20 ms) added to every answer and ``--restore-point-vms N``: N VMs
with 7 days of daily restore points (7 N points, stored out of creation order).
Each variant runs in a fresh child process against the same simulator.

Variants:
- ``protection``: ``await em.protection(max_age=24h, since=8d)``: the window's
  points read once, newest first, 1,000 a page (⌈7 N / 1,000⌉ requests), folded
  into the newest point per VM as they arrive.
- ``per_vm_loop``: for each VM, one after the other, ``GET /query?type=VmRestorePoint
  &sortDesc=CreationTime&pageSize=1&filter=VmDisplayName==<name>``: the loop
  integrations run today (N requests).
- ``per_vm_concurrent``: the same N requests, 20 at a time (the client's
  connections): the best a per-VM approach can do from one client.

Both must find every VM's newest point and the same breaches. The table shows,
per VM count, the requests, wall time and peak memory (``ru_maxrss`` of the
child) of each, and the ratios. Run: ``python benchmarks/bench_protection.py``
(500, 2,000 and 5,000 VMs; a few minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from datetime import timedelta
from typing import Any

from bench_bulk import PASSWORD, USER, child_options, print_table, run_child, spawn_simulator

MAX_AGE = timedelta(hours=24)


async def by_protection(url: str, conns: int, vms: int) -> dict[str, Any]:
    from veeam_em_async import EnterpriseManager

    async with EnterpriseManager(url, USER, PASSWORD, max_connections=conns) as em:
        report = await em.protection(max_age=MAX_AGE, since=timedelta(days=8))
        return {"vms": len(report.vms), "breaches": len(report.breaches)}


async def per_vm(url: str, conns: int, vms: int, *, concurrent: bool) -> dict[str, Any]:
    from veeam_em_async import EnterpriseManager
    from veeam_em_async.clock import utc_now

    async with EnterpriseManager(url, USER, PASSWORD, max_connections=conns) as em:
        names = [f"seeded-vm{i:05d}" for i in range(vms)]  # the list a CMDB would give

        async def newest(name: str) -> Any:
            return await em.vm_restore_points.query(vm_name=name, page_size=1).first()

        if concurrent:
            points = await asyncio.gather(*(newest(n) for n in names))
        else:
            points = [await newest(n) for n in names]
        now = utc_now(em.clock)
        stale = [p for p in points if p is None or now - p.creation_time > MAX_AGE]
        return {"vms": sum(p is not None for p in points), "breaches": len(stale)}


async def per_vm_loop(url: str, conns: int, vms: int) -> dict[str, Any]:
    return await per_vm(url, conns, vms, concurrent=False)


async def per_vm_concurrent(url: str, conns: int, vms: int) -> dict[str, Any]:
    return await per_vm(url, conns, vms, concurrent=True)


VARIANTS = {
    "protection": by_protection,
    "per_vm_loop": per_vm_loop,
    "per_vm_concurrent": per_vm_concurrent,
}


def child(args: argparse.Namespace) -> None:
    import aiohttp  # noqa: F401

    import veeam_em_async  # noqa: F401

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall0 = time.perf_counter()
    found = asyncio.run(VARIANTS[args.variant](args.url, args.connections, args.vms[0]))
    wall = time.perf_counter() - wall0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall": wall, "peak_mb": peak / 1024, "growth_mb": (peak - base) / 1024,
                      **found}))  # fmt: skip


def measure(args: argparse.Namespace, vms: int) -> dict[str, dict[str, Any]]:
    proc, url = spawn_simulator(
        "--jobs", "0", "--nas-jobs", "0", "--agent-jobs", "0", "--latency", str(args.latency),
        "--restore-point-vms", str(vms), "--restore-point-days", "7",
    )  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    try:
        for variant in VARIANTS:
            result = run_child(
                __file__, url, variant, "--connections", str(args.connections), "--vms", str(vms)
            )
            if result["vms"] != vms:
                raise SystemExit(f"{variant} found {result['vms']} of {vms} VMs")
            result["requests"] = result["counters"].get("GET /api/query", 0)
            results[variant] = result
            print(f"  {vms} VMs, {variant}: {result['wall']:.2f} s", file=sys.stderr)
    finally:
        proc.terminate()
        proc.wait(10)
    if len({r["breaches"] for r in results.values()}) != 1:
        raise SystemExit("the variants disagree on the breaches")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, nargs="*", default=[500, 2000, 5000])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--connections", type=int, default=20)
    child_options(parser)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    columns = [
        "vms", "points", "report_requests", "per_vm_requests", "fewer_requests", "report_s",
        "loop_s", "faster_than_loop", "concurrent_s", "faster_than_concurrent",
        "report_peak_mb", "loop_peak_mb", "concurrent_peak_mb",
    ]  # fmt: skip
    rows = []
    for vms in args.vms:
        found = measure(args, vms)
        report, loop, concurrent = (
            found["protection"],
            found["per_vm_loop"],
            found["per_vm_concurrent"],
        )
        rows.append({
            "vms": vms, "points": 7 * vms,
            "report_requests": report["requests"], "per_vm_requests": loop["requests"],
            "fewer_requests": round(loop["requests"] / report["requests"], 1),
            "report_s": round(report["wall"], 2), "loop_s": round(loop["wall"], 2),
            "faster_than_loop": round(loop["wall"] / report["wall"], 1),
            "concurrent_s": round(concurrent["wall"], 2),
            "faster_than_concurrent": round(concurrent["wall"] / report["wall"], 1),
            "report_peak_mb": round(report["peak_mb"]), "loop_peak_mb": round(loop["peak_mb"]),
            "concurrent_peak_mb": round(concurrent["peak_mb"]),
        })  # fmt: skip
    print_table(columns, rows)
    print()
    print(json.dumps({"benchmark": "protection", "rows": rows}))


if __name__ == "__main__":
    main()
