"""The scripts in examples/ run against the simulator and do what they say."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from types import ModuleType

from aiohttp import web

from veeam_em_async import EnterpriseManager
from veeam_em_async.simulator import EMSimulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_failure_notifier_posts_each_failed_or_warned_run_once() -> None:
    notifier = load("failure_notifier")
    posts: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        posts.append((await request.json())["text"])
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with EMSimulator(jobs=10, nas_jobs=0, task_seconds=0.01) as sim:
            jobs = [j for j in sim.state.jobs.values() if j.job_type == "Backup"]
            now = sim.state.clock()
            for job, result in zip(
                jobs[:4], ["Failed", "Success", "Warning", "Failed"], strict=True
            ):
                sim.state.record_run(job, result, at=now - 120)
            async with EnterpriseManager(sim.url, sim.username, sim.password) as em:
                posted = await notifier.notify(
                    em, f"http://127.0.0.1:{port}/hook", since=timedelta(minutes=10),
                    interval=0.05, count=3,
                )  # fmt: skip
    finally:
        await runner.cleanup()
    assert posted == 3 and len(posts) == 3
    expected = [f"{jobs[0].name}: Failed", f"{jobs[2].name}: Warning", f"{jobs[3].name}: Failed"]
    assert [sum(e in p for p in posts) for e in expected] == [1, 1, 1]  # each once
    assert all(jobs[1].name not in p for p in posts)  # its run succeeded
