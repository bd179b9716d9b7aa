"""Bulk start throughput: start N jobs and await them, against today's alternatives.

The simulator runs in its own process (``veeam-em simulate``) so that it does
not share an event loop or a CPU budget with the client being measured; each
variant runs in a fresh child process of its own, so CPU time and peak RSS are
that variant's alone. Request counts come from the simulator's counters.

Variants, all against the same simulator with the same per-request latency:
- ``veeam_em_async``: ``em.jobs.start_many(ids, concurrency=C)`` (wait=True).
- ``lower bound``: bare aiohttp sending the same POSTs at concurrency C, no
  parsing, no polling, plus the task duration D (nothing can finish sooner).
- ``threaded sync``: requests in a C-thread pool, one poll loop per task (1 s).
- ``sequential sync``: requests, jobs started one by one, then every unfinished
  task polled once a second, as today's scripts do.

Run: ``python benchmarks/bench_bulk.py`` (1,000 jobs, 20 ms, D = 2 s; about
four minutes, most of it the sync baselines) or ``--jobs 200 --quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

USER = "TECH\\simulator"
PASSWORD = "simulator-password"  # the simulator's fixed fake credentials
TASK_ID = re.compile(rb"<TaskId>([^<]+)</TaskId>")
STATE = re.compile(rb"<State>([^<]+)</State>")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def basic() -> str:
    return "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


# -- variants (each runs in its own process) ---------------------------------------


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def run_async_client(
    url: str, ids: list[str], conns: int, duration: float
) -> dict[str, float]:
    from veeam_em_async import EnterpriseManager

    async with EnterpriseManager(url, USER, PASSWORD, max_connections=conns) as em:
        rss_before = current_rss_mb()
        outcomes = await em.jobs.start_many(ids, concurrency=conns)
        # (-1 where the library measured has no such counter: an older version)
        source = getattr(getattr(em, "task_watcher", None), "source", None)
        parsed = getattr(source, "items_parsed", -1)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"{len(failed)} jobs failed: {failed[0].error}")
    return {"rss_before_mb": rss_before, "list_items_parsed": parsed}


async def bare_logon(session: Any, url: str) -> str:
    """Log on with bare aiohttp, as the bounds do: the token."""
    async with session.post(
        f"{url}/api/sessionMngr/?v=latest", headers={"Authorization": basic()}
    ) as r:
        return str(r.headers["X-RestSvcSessionId"])


async def run_lower_bound(url: str, ids: list[str], conns: int, duration: float) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=conns)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        token = await bare_logon(session, url)
        slots = asyncio.Semaphore(conns)

        async def start(job_id: str) -> None:
            async with (
                slots,
                session.post(
                    f"{url}/api/jobs/{job_id}?action=start", headers={"X-RestSvcSessionId": token}
                ) as r,
            ):
                await r.read()
                assert r.status == 202

        await asyncio.gather(*(start(i) for i in ids))
        await asyncio.sleep(duration)


def _login(session: Any, url: str) -> None:
    r = session.post(f"{url}/api/sessionMngr/?v=latest", headers={"Authorization": basic()})
    session.headers["X-RestSvcSessionId"] = r.headers["X-RestSvcSessionId"]
    session.cookies.clear()


def _start(session: Any, url: str, job_id: str) -> str:
    r = session.post(f"{url}/api/jobs/{job_id}?action=start")
    assert r.status_code == 202, r.text
    match = TASK_ID.search(r.content)
    assert match
    return match.group(1).decode()


def _finished(session: Any, url: str, task_id: str) -> bool:
    r = session.get(f"{url}/api/tasks/{task_id}")
    match = STATE.search(r.content)
    return bool(match and match.group(1) == b"Finished")


def run_sequential(url: str, ids: list[str], conns: int, duration: float) -> None:
    import requests

    with requests.Session() as session:
        _login(session, url)
        pending = [_start(session, url, job_id) for job_id in ids]
        while pending:
            time.sleep(1.0)
            pending = [t for t in pending if not _finished(session, url, t)]


def run_threaded(url: str, ids: list[str], conns: int, duration: float) -> None:
    import requests

    local = threading.local()
    sessions: list[Any] = []
    lock = threading.Lock()

    def session() -> Any:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            _login(local.session, url)
            with lock:
                sessions.append(local.session)
        return local.session

    def one(job_id: str) -> None:
        s = session()
        task_id = _start(s, url, job_id)
        while True:
            time.sleep(1.0)
            if _finished(s, url, task_id):
                return

    with ThreadPoolExecutor(max_workers=conns) as pool:
        list(pool.map(one, ids))
    for s in sessions:
        s.close()


VARIANTS = {
    "veeam_em_async": run_async_client,
    "lower bound": run_lower_bound,
    "threaded sync": run_threaded,
    "sequential sync": run_sequential,
}


def child(args: argparse.Namespace) -> None:
    with open(args.ids_file) as f:
        ids = json.load(f)
    run = VARIANTS[args.variant]
    # Import before the clock starts: a long-running service pays it once.
    import aiohttp  # noqa: F401
    import requests  # noqa: F401

    import veeam_em_async  # noqa: F401

    cpu0, wall0 = time.process_time(), time.perf_counter()
    if asyncio.iscoroutinefunction(run):
        extra = asyncio.run(run(args.url, ids, args.connections, args.task_seconds))
    else:
        extra = run(args.url, ids, args.connections, args.task_seconds)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_mb": rss_mb, **(extra or {})}))


# -- orchestration -----------------------------------------------------------------


def print_table(columns: list[str], rows: list[dict[str, Any]]) -> None:
    """The rows as a Markdown table of ``columns``."""
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


def sim_call(url: str, path: str, method: str = "GET") -> dict[str, Any]:
    request = urllib.request.Request(f"{url}{path}", method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def spawn_simulator(*options: str) -> tuple[subprocess.Popen[str], str]:
    """``veeam-em simulate`` on a free port in its own process, once it serves."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "veeam_em_async.cli", "simulate", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    while "Ctrl-C" not in proc.stdout.readline():
        if proc.poll() is not None:
            raise SystemExit("the simulator did not start")
    return proc, f"http://127.0.0.1:{port}"


def child_options(parser: argparse.ArgumentParser) -> None:
    """The hidden options `run_child` starts a variant's child process with."""
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ids-file", help=argparse.SUPPRESS)


def run_child(script: str, url: str, variant: str, *options: str) -> dict[str, Any]:
    """One variant in a fresh process (after zeroing the simulator's counters): its
    JSON result, with the simulator's request counters under ``counters``."""
    sim_call(url, "/_sim/reset", "POST")
    out = subprocess.run(
        [sys.executable, script, "--child", "--variant", variant, "--url", url, *options],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["counters"] = sim_call(url, "/_sim/counters")["requests"]
    return result


def start_simulator(args: argparse.Namespace, latency: float) -> tuple[subprocess.Popen[str], str]:
    return spawn_simulator(
        "--jobs", str(args.jobs), "--nas-jobs", "0", "--task-seconds", str(args.task_seconds),
        "--failure-rate", "0", "--latency", str(latency), "--job-types", "Backup",
        *(["--history-tasks", str(args.history_tasks)] if args.history_tasks else []),
    )  # fmt: skip


def job_ids(url: str) -> list[str]:
    async def fetch() -> list[str]:
        from veeam_em_async import EnterpriseManager

        async with EnterpriseManager(url, USER, PASSWORD) as em:
            return [ref.id or "" for ref in await em.jobs.list()]

    return asyncio.run(fetch())


def measure(args: argparse.Namespace, latency: float) -> list[dict[str, Any]]:
    proc, url = start_simulator(args, latency)
    rows = []
    try:
        ids = job_ids(url)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(ids, f)
        variants = list(VARIANTS)
        if args.quick:
            variants = ["veeam_em_async", "lower bound"]
        for variant in variants:
            result = run_child(
                __file__, url, variant, "--ids-file", f.name,
                "--connections", str(args.connections), "--task-seconds", str(args.task_seconds),
            )  # fmt: skip
            counters = result["counters"]
            posts = counters.get("POST /api/jobs/{id}", 0)
            gets = counters.get("GET /api/tasks/{id}", 0)
            lists = counters.get("GET /api/tasks", 0)
            grown = result["rss_mb"] - result.get("rss_before_mb", result["rss_mb"])
            rows.append(
                {
                    "latency_ms": latency * 1000, "variant": variant, "jobs": len(ids),
                    "history": args.history_tasks,
                    "wall_s": round(result["wall"], 3), "posts": posts, "task_gets": gets,
                    "task_list_gets": lists, "requests": posts + gets + lists,
                    "polls_per_task": round((gets + lists) / len(ids), 4),
                    "list_gets_per_task": round(lists / len(ids), 4),
                    "parsed_per_job": round(result.get("list_items_parsed", 0) / len(ids), 2),
                    "cpu_s": round(result["cpu"], 3),
                    "cpu_ms_per_job": round(result["cpu"] * 1000 / len(ids), 3),
                    "peak_rss_mb": round(result["rss_mb"], 1),
                    "rss_kb_per_job": round(grown * 1024 / len(ids), 2),
                }
            )  # fmt: skip
            print(f"  {variant}: {rows[-1]['wall_s']} s", file=sys.stderr)
        os.unlink(f.name)
    finally:
        proc.terminate()
        proc.wait(10)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="*", default=[1000])
    parser.add_argument(
        "--history-tasks", type=int, default=0, help="finished tasks in each new logon session"
    )
    parser.add_argument("--latency", type=float, nargs="*", default=[0.02, 0.0])
    parser.add_argument("--task-seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="only the async client and bound")
    child_options(parser)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sizes = args.jobs
    rows: list[dict[str, Any]] = []
    for jobs in sizes:
        for latency in args.latency:
            print(f"{jobs} jobs, latency {latency * 1000:g} ms:", file=sys.stderr)
            args.jobs = jobs
            rows += measure(args, latency)
    columns = [
        "jobs", "history", "latency_ms", "variant", "wall_s", "posts", "task_gets",
        "task_list_gets", "polls_per_task", "parsed_per_job", "cpu_ms_per_job", "peak_rss_mb",
        "rss_kb_per_job",
    ]  # fmt: skip
    print_table(columns, rows)
    ratios: dict[str, dict[str, float]] = {}
    for jobs in sizes:
        for latency in args.latency:
            by = {
                r["variant"]: r
                for r in rows
                if r["latency_ms"] == latency * 1000 and r["jobs"] == jobs
            }
            ours, bound = by["veeam_em_async"], by["lower bound"]
            ratio = {
                "wall_vs_lower_bound": round(ours["wall_s"] / bound["wall_s"], 3),
                "cpu_per_job_vs_bare_post": round(
                    ours["cpu_ms_per_job"] / bound["cpu_ms_per_job"], 3
                ),
                "polls_per_task": ours["polls_per_task"],
                "parsed_per_job": ours["parsed_per_job"],
            }
            if "sequential sync" in by:
                ratio["speedup_vs_sequential"] = round(
                    by["sequential sync"]["wall_s"] / ours["wall_s"], 2
                )
            if "threaded sync" in by:
                threaded = by["threaded sync"]
                ratio["speedup_vs_threaded"] = round(threaded["wall_s"] / ours["wall_s"], 2)
                ratio["requests_vs_threaded"] = round(ours["requests"] / threaded["requests"], 3)
            ratios[f"{jobs} jobs, {latency * 1000:g}ms"] = ratio
    print()
    print("| run | " + " | ".join(next(iter(ratios.values()))) + " |")
    print("|" + "---|" * (1 + len(next(iter(ratios.values())))))
    for name, ratio in ratios.items():
        print(f"| {name} | " + " | ".join(str(v) for v in ratio.values()) + " |")
    print()
    print(json.dumps({"benchmark": "bulk", "jobs": sizes, "rows": rows, "ratios": ratios}))


if __name__ == "__main__":
    main()
