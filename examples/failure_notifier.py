"""Post every failed or warned backup run to a chat webhook, as it ends.

A chat bot in 40 lines: the change feed yields each job session once, when
it stops (backup and replication runs alike), and this posts one message per
run to a webhook that takes ``{"text": …}`` (Slack, Mattermost, Teams'
incoming webhooks and most others do).

    VEEAM_EM_URL=https://em:9398 VEEAM_EM_USER='DOMAIN\\user' VEEAM_EM_PASSWORD=… \\
        python examples/failure_notifier.py --webhook https://chat.example/hooks/abc

Try it against the simulator: ``veeam-em simulate --failure-rate 0.3`` in one
terminal, then this script with the URL, user and password it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import timedelta

import aiohttp

from veeam_em_async import EnterpriseManager


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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhook", required=True, help="URL that takes a JSON {text}")
    parser.add_argument("--since-minutes", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between queries")
    args = parser.parse_args()
    async with EnterpriseManager(
        os.environ["VEEAM_EM_URL"], os.environ["VEEAM_EM_USER"], os.environ["VEEAM_EM_PASSWORD"]
    ) as em:
        await notify(em, args.webhook, since=timedelta(minutes=args.since_minutes),
                     interval=args.interval)  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
