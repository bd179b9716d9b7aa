"""Post every failed or warned backup run to a chat webhook, as it ends.

A chat bot in 30 lines (``notify``): the change feed yields each job session once, when
it stops (backup and replication runs alike), and this posts one message per
run to a webhook that takes ``{"text": …}`` (Slack, Mattermost, Teams'
incoming webhooks and most others do).

    VEEAM_EM_URL=https://em:9398 VEEAM_EM_USER='DOMAIN\\user' VEEAM_EM_PASSWORD=… \\
        python examples/failure_notifier.py --webhook https://chat.example/hooks/abc

Try it with no EM and no chat: ``python examples/failure_notifier.py --simulator``
posts three runs of the embedded simulator to a local webhook that prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
from _connect import connect
from aiohttp import web

from veeam_em_async import EnterpriseManager
from veeam_em_async.simulator import EMSimulator


async def notify(em: EnterpriseManager, webhook: str, *, since: timedelta,
                 interval: float = 60.0, count: int = 0) -> int:  # fmt: skip
    """Post each Failed or Warning run; stop after ``count`` posts (0: never)."""
    posted = 0
    feed = em.backup_sessions.feed(since=since, results=("Failed", "Warning"), interval=interval)
    async with aiohttp.ClientSession() as http:
        async for run in feed:
            icon = ":red_circle:" if run.result == "Failed" else ":warning:"
            text = f"{icon} {run.job_name}: {run.result} (ended {run.end_time:%Y-%m-%d %H:%M} UTC)"
            async with http.post(webhook, json={"text": text}) as answer:
                answer.raise_for_status()
            posted += 1
            if count and posted >= count:
                break
    return posted


def last_hour(sim: EMSimulator) -> None:
    """The simulator's last hour: two runs failed and one warned."""
    jobs = [j for j in sim.state.jobs.values() if j.job_type == "Backup"]
    for job, result in zip(jobs, ["Failed", "Success", "Warning", "Failed"], strict=False):
        sim.state.record_run(job, result, at=sim.state.clock() - 600)


@contextlib.asynccontextmanager
async def printing_webhook() -> AsyncIterator[str]:
    """A local webhook that prints what it is sent (for ``--simulator``)."""

    async def hook(request: web.Request) -> web.Response:
        print("posted:", (await request.json())["text"])
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhook", help="URL that takes a JSON {text}")
    parser.add_argument("--since-minutes", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between queries")
    parser.add_argument("--count", type=int, default=0, help="stop after this many posts")
    parser.add_argument(
        "--simulator", action="store_true",
        help="the embedded simulator and a webhook that prints; stops after 3 posts",
    )  # fmt: skip
    args = parser.parse_args()
    if not args.simulator and not args.webhook:
        parser.error("--webhook is required (or --simulator)")
    since = timedelta(minutes=args.since_minutes)
    async with contextlib.AsyncExitStack() as stack:
        webhook = args.webhook or await stack.enter_async_context(printing_webhook())
        em = await stack.enter_async_context(connect(args.simulator, last_hour, jobs=10))
        count = args.count or (3 if args.simulator else 0)
        await notify(em, webhook, since=since, interval=args.interval, count=count)


if __name__ == "__main__":
    asyncio.run(main())
