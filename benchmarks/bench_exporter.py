"""The exporter's cost to EM: one collection against one scrape of the ``veeam_em_*``
family (httpapi_exporter's Veeam contribution), for the same data.

The simulator runs in its own process (``veeam-em simulate``, ``--latency`` 20 ms)
with N backup jobs (7 days of daily runs each) and V VMs (7 days of daily restore
points). Each variant runs in a fresh child process:

- ``exporter``: ``veeam-em exporter``'s collector, two collections (the first on a
  new client, the second warm) while a scraper asks ``/metrics`` every 20 ms: the
  collection's wall time and requests, the series served, and the scrapes' latency
  while a collection runs (p50/p99; each collection's first scrape renders, the
  others are served from the cache).
- ``family``: the requests one scrape of the ``veeam_em_*`` family sends, from its
  collector files (``contribs/veeam/etc/veeam/metrics/*.collector.yml``: collectors run
  on every scrape, ``min_interval: 0s``): ``GET /api/`` (its ping), the overview,
  VMs overview and job statistics reports, ``/repositories?format=Entity``,
  ``/backupServers?format=Entity``, and the ``BackupJobSession`` and
  ``BackupTaskSession`` queries (one request each, unpaged) over our window of 7 days
  (its default is 12 hours, which would not see a job that runs daily). Its agent
  collector is left out (the simulator has no discovered
  computers), so its count is one short of the real one.
- ``offload``: ``exporter`` with the client's ``parse_offload_bytes`` (256 KB): query
  pages parsed in a thread. It does not make scrapes faster during a collection (the
  parsing thread and the render thread take turns with the event loop for the GIL),
  which is why ``veeam-em exporter`` does not turn it on.

The hourly columns: ours collects once a minute (``--interval 60``) whatever scrapes
it, the whole window of restore points once an hour (``--full-every 60``) and only the
new points otherwise (the second, "warm", collection); the family answers each
scrape, here every 30 s from two Prometheus servers (an HA pair).
Run: ``python benchmarks/bench_exporter.py`` (200 jobs and 500 VMs, then
2,000 and 5,000; a few minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from bench_bulk import (
    PASSWORD,
    USER,
    bare_logon,
    child_options,
    free_port,
    print_table,
    run_child,
    spawn_simulator,
)

SCRAPE_EVERY = 0.02


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def exporter(url: str, offload: int | None = None) -> dict[str, Any]:
    import aiohttp

    from veeam_em_async import EnterpriseManager
    from veeam_em_async.exporter import Exporter, serve

    async with EnterpriseManager(url, USER, PASSWORD, parse_offload_bytes=offload) as em:
        exp = Exporter.of({"em": em}, interval=3600)
        collector = exp.collectors["em"]
        port = free_port()
        runner = await serve(exp, "127.0.0.1", port)  # collects once, now
        latencies: list[float] = []
        stop = asyncio.Event()

        async def scrape() -> None:
            async with aiohttp.ClientSession() as http:
                while not stop.is_set():
                    started = time.perf_counter()
                    async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                        body = await r.read()
                    latencies.append(time.perf_counter() - started)
                    scrape.size = len(body)  # type: ignore[attr-defined]
                    await asyncio.sleep(SCRAPE_EVERY)

        scraper = asyncio.ensure_future(scrape())
        try:
            while collector.collections < 1:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            cold = collector.duration
            first_requests = collector.snapshot.requests if collector.snapshot else -1
            await exp.stop()  # no more background collections: the second is ours
            await collector.collect_once()
            await exp.prerender()  # as the exporter's loop does after each collection
            warm = collector.duration
            await asyncio.sleep(0.2)  # a few scrapes of the cached page
        finally:
            stop.set()
            await scraper
            await runner.cleanup()
        started = time.perf_counter()
        exp.render()  # cached: what a scrape costs between collections
        cached = time.perf_counter() - started
        exp._cache.clear()  # the uncached render, once
        started = time.perf_counter()
        body, _ = exp.render()
        render = time.perf_counter() - started
        snapshot = collector.snapshot
        assert snapshot is not None and collector.errors == 0, collector.last_error
        return {
            "collect_cold_s": cold, "collect_warm_s": warm, "requests": first_requests,
            "warm_requests": snapshot.requests, "series": body.count(b"\n") -
            body.count(b"\n#"), "scrapes": len(latencies),
            "scrape_p50_ms": _percentile(latencies, 0.5) * 1000,
            "scrape_p99_ms": _percentile(latencies, 0.99) * 1000,
            "render_ms": render * 1000, "cached_ms": cached * 1000,
            "jobs": len(snapshot.jobs), "vms": len(snapshot.protection.vms),
        }  # fmt: skip


async def family(url: str) -> dict[str, Any]:
    import aiohttp

    # The same data as ours: the window of our --window (7 days), not its 12 h default.
    since = (datetime.now(timezone.utc) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")
    paths = [
        "/api/", "/api/reports/summary/overview", "/api/reports/summary/vms_overview",
        "/api/reports/summary/job_statistics", "/api/repositories?format=Entity",
        "/api/backupServers?format=Entity",
        f'/api/query?type=BackupJobSession&format=Entities&filter=CreationTime>="{since}"',
        f'/api/query?type=BackupTaskSession&format=Entities&filter=CreationTime>="{since}"',
    ]  # fmt: skip
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        token = await bare_logon(http, url)
        started, size = time.perf_counter(), 0
        for path in paths:  # one after the other, as its collectors run
            async with http.get(f"{url}{path}", headers={"X-RestSvcSessionId": token}) as r:
                size += len(await r.read())
                assert r.status == 200, (path, r.status)
        return {"scrape_s": time.perf_counter() - started, "requests": len(paths),
                "bytes": size}  # fmt: skip


async def offload(url: str) -> dict[str, Any]:
    return await exporter(url, OFFLOAD_BYTES)


OFFLOAD_BYTES = 256 * 1024


VARIANTS = {"exporter": exporter, "offload": offload, "family": family}


def child(args: argparse.Namespace) -> None:
    print(json.dumps(asyncio.run(VARIANTS[args.variant](args.url))))


def measure(args: argparse.Namespace, jobs: int, vms: int) -> dict[str, Any]:
    proc, url = spawn_simulator(
        "--jobs", str(jobs), "--nas-jobs", "0", "--agent-jobs", "0", "--job-types", "Backup",
        "--history-sessions", "7", "--restore-point-vms", str(vms), "--restore-point-days", "7",
        "--latency", str(args.latency),
    )  # fmt: skip
    try:
        ours = run_child(__file__, url, "exporter")
        off = run_child(__file__, url, "offload")
        theirs = run_child(__file__, url, "family")
        print(f"  {jobs} jobs, {vms} VMs: {ours['collect_cold_s']:.2f} s, offload "
              f"{off['collect_cold_s']:.2f} s, family {theirs['scrape_s']:.2f} s",
              file=sys.stderr)  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(10)
    # One collection a minute: one reads the whole window, 59 only the new points.
    ours_hour = ours["requests"] + 59 * ours["warm_requests"]
    theirs_hour = theirs["requests"] * 120 * 2  # a scrape every 30 s, from two servers
    return {
        "jobs": jobs, "vms": vms, "series": ours["series"],
        "collect_s": round(ours["collect_cold_s"], 2),
        "collect_warm_s": round(ours["collect_warm_s"], 2),
        "requests_per_collection": ours["requests"], "warm_requests": ours["warm_requests"],
        "family_requests_per_scrape": theirs["requests"],
        "family_scrape_s": round(theirs["scrape_s"], 2),
        "family_kb_per_scrape": round(theirs["bytes"] / 1024),
        "requests_per_hour": ours_hour, "family_requests_per_hour": theirs_hour,
        "fewer_requests": round(theirs_hour / ours_hour, 1),
        "scrape_p50_ms": round(ours["scrape_p50_ms"], 1),
        "scrape_p99_ms": round(ours["scrape_p99_ms"], 1),
        "offload_collect_s": round(off["collect_cold_s"], 2),
        "offload_scrape_p50_ms": round(off["scrape_p50_ms"], 1),
        "offload_scrape_p99_ms": round(off["scrape_p99_ms"], 1),
        "render_ms": round(ours["render_ms"], 1), "cached_render_ms": round(ours["cached_ms"], 3),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["200x500", "2000x5000"],
                        help="JOBSxVMS pairs")  # fmt: skip
    parser.add_argument("--latency", type=float, default=0.02)
    child_options(parser)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    rows = []
    for size in args.sizes:
        jobs, vms = (int(n) for n in size.split("x"))
        rows.append(measure(args, jobs, vms))
    print_table(list(rows[0]), rows)
    print()
    print(json.dumps({"benchmark": "exporter", "rows": rows}))


if __name__ == "__main__":
    main()
