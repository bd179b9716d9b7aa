"""The scripts in examples/ run against the simulator and do what they say."""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType

from aiohttp import web

from veeam_em_async import EnterpriseManager
from veeam_em_async.simulator import EMSimulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    if str(EXAMPLES) not in sys.path:  # as when the script runs: its folder comes first
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.asynccontextmanager
async def collecting_webhook() -> AsyncIterator[tuple[str, list[str]]]:
    """A local webhook: its URL, and the ``text`` of every JSON post it receives."""
    posts: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        posts.append((await request.json())["text"])
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", posts
    finally:
        await runner.cleanup()


async def test_the_failure_notifier_posts_each_failed_or_warned_run_once() -> None:
    notifier = load("failure_notifier")
    async with collecting_webhook() as (url, posts):
        async with EMSimulator(jobs=10, nas_jobs=0, task_seconds=0.01) as sim:
            jobs = [j for j in sim.state.jobs.values() if j.job_type == "Backup"]
            now = sim.state.clock()
            for job, result in zip(
                jobs[:4], ["Failed", "Success", "Warning", "Failed"], strict=True
            ):
                sim.state.record_run(job, result, at=now - 120)
            async with EnterpriseManager(sim.url, sim.username, sim.password) as em:
                posted = await notifier.notify(
                    em, url, since=timedelta(minutes=10), interval=0.05, count=3
                )
    assert posted == 3 and len(posts) == 3
    expected = [f"{jobs[0].name}: Failed", f"{jobs[2].name}: Warning", f"{jobs[3].name}: Failed"]
    assert [sum(e in p for p in posts) for e in expected] == [1, 1, 1]  # each once
    assert all(jobs[1].name not in p for p in posts)  # its run succeeded


def run_example(name: str) -> subprocess.CompletedProcess[str]:
    """``python examples/<name>.py --simulator``, as a user (and CI) runs it."""
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--simulator"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_every_example_runs_against_the_simulator() -> None:
    examples = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))
    assert examples == [
        "capacity_check", "failure_notifier", "nightly_report", "rpo_check", "start_and_report"
    ]  # fmt: skip


def test_start_and_report_follows_every_run_to_its_result() -> None:
    result = run_example("start_and_report")
    lines = result.stdout.splitlines()
    assert lines[0] == "Starting 20 jobs", result.stderr
    counts = {word: int(n) for n, word in (part.split() for part in lines[1].split(", "))}
    assert sum(counts.values()) == 20 and counts.get("Failed", 0) >= 1  # seed 3 fails some
    assert result.returncode == 1  # a run failed
    assert "Failed to create VM snapshot" in result.stdout  # each failed VM's reason


def test_the_nightly_report_lists_the_failed_and_warned_runs() -> None:
    result = run_example("nightly_report")
    assert result.returncode == 1, result.stderr  # a run failed
    report = result.stdout.splitlines()
    assert [line.split()[0] for line in report[1:] if not line.startswith(" ")] == [
        "Failed", "Warning", "Failed",
    ]  # fmt: skip
    assert sum("Failed to create VM snapshot" in line for line in report) == 2


def test_the_capacity_check_flags_the_full_repository() -> None:
    result = run_example("capacity_check")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "Backup Volume 01: 38% used, 5,079 GiB free",
        "Backup Volume 02: 91% used, 737 GiB free  <-- over",
    ]


def test_the_rpo_check_posts_the_stale_and_the_missing_vm() -> None:
    result = run_example("rpo_check")
    assert result.returncode == 1, result.stderr  # a breach
    lines = result.stdout.splitlines()
    assert lines == [
        "posted: 2 of 5 VMs breach the 24 h RPO:",
        "- files01: newest point is 48h old (max 24h)",
        "- mail01: no restore point",
        "5 VMs checked, 2 breach",
    ]


async def test_the_rpo_check_posts_nothing_when_every_vm_is_fresh() -> None:
    rpo = load("rpo_check")
    async with collecting_webhook() as (url, posts):
        async with EMSimulator(jobs=0, nas_jobs=0, agent_jobs=0) as sim:
            rpo.stale_history(sim)
            async with EnterpriseManager(sim.url, sim.username, sim.password) as em:
                fresh = await rpo.check(em, url, max_age=timedelta(hours=72), vms=[])
                stale = await rpo.check(em, url, max_age=timedelta(hours=24), vms=[])
    assert fresh.ok and [v.vm_name for v in stale.breaches] == ["files01"]
    assert posts == [
        "1 of 4 VMs breach the 24 h RPO:\n- files01: newest point is 48h old (max 24h)"
    ]


def test_the_notifier_posts_three_runs_to_its_webhook() -> None:
    result = run_example("failure_notifier")
    assert result.returncode == 0, result.stderr
    posted = [line for line in result.stdout.splitlines() if line.startswith("posted: ")]
    assert len(posted) == 3 and sum("Failed" in p for p in posted) == 2


async def test_the_tracing_guide_sees_every_request() -> None:
    """docs/guides/tracing.md's code, run as written against the simulator."""
    guide = (EXAMPLES.parent / "docs" / "guides" / "tracing.md").read_text()
    code = guide.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(code, namespace)
    async with EMSimulator(jobs=3) as sim:
        seen = await namespace["traced"](sim.url, sim.username, sim.password)  # type: ignore[operator]
    assert [line.split()[0] for line in seen] == ["POST", "GET", "DELETE"]
    assert seen[1] == "GET /api/jobs 200" and seen[0].startswith("POST /api/sessionMngr")
    assert sim.password not in " ".join(seen)


async def test_the_observability_guide_runs_as_written() -> None:
    """docs/guides/observability.md's code: the console exporter prints the spans, the
    JSON formatter gives the audit fields, and the confirming bot stops only what
    was confirmed."""
    import io
    import json
    import logging

    guide = (EXAMPLES.parent / "docs" / "guides" / "observability.md").read_text()
    blocks = [part.split("```", 1)[0] for part in guide.split("```python\n")[1:]]
    assert len(blocks) == 3
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(block, namespace)
    # The exporter's default stream is the sys.stdout of its import: give it one to read.
    console = io.StringIO()
    exporter = namespace["ConsoleSpanExporter"]
    namespace["ConsoleSpanExporter"] = lambda: exporter(out=console)  # type: ignore[operator]
    audit = logging.getLogger("veeam_em_async.audit")
    stream = io.StringIO()
    handler = audit.handlers[-1]
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        async with EMSimulator(jobs=3, nas_jobs=0, agent_jobs=0, task_seconds=0.01) as sim:
            await namespace["start_traced"](sim.url, sim.username, sim.password)  # type: ignore[operator]
            asked: list[str] = []

            async def ask(question: str) -> bool:
                asked.append(question)
                return "Job 0001" in question

            stopped = await namespace["stop_if_confirmed"](  # type: ignore[operator]
                sim.url, sim.username, sim.password, ask
            )
    finally:
        audit.removeHandler(handler)
    printed = console.getvalue()
    assert printed.count('"name": "veeam_em.bulk"') == 1
    assert printed.count('"name": "veeam_em.task.wait"') == 3
    assert sim.password not in printed
    assert stopped == [False, True, False] and len(asked) == 3
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["action"] for r in records] == ["start"] * 3 + ["stop"]
    assert all(r["task_id"] for r in records) and records[-1]["target_name"] == "Job 0001"
