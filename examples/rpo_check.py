"""Post the VMs that breach a 24 h RPO to a chat webhook: is my data protected?

One reading of the week's restore points (``em.protection``) gives every VM's
newest point; each VM whose newest point is older than ``--max-age-hours``
(or that has none, for the VMs named with ``--vm``) is one line of one message
to a webhook that takes ``{"text": …}`` (Slack, Mattermost, Teams…). The exit
status is 1 when there is a breach, so cron or a monitoring system can run it.

    VEEAM_EM_URL=https://em:9398 VEEAM_EM_USER='DOMAIN\\user' VEEAM_EM_PASSWORD=… \\
        python examples/rpo_check.py --webhook https://chat.example/hooks/abc --vm sql01

Try it with no EM and no chat: ``python examples/rpo_check.py --simulator`` posts
the simulator's stale VMs to a local webhook that prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from datetime import timedelta

import aiohttp
from _connect import connect
from failure_notifier import printing_webhook

from veeam_em_async import EnterpriseManager, ProtectionReport
from veeam_em_async.simulator import EMSimulator


async def check(
    em: EnterpriseManager, webhook: str, *, max_age: timedelta, vms: list[str]
) -> ProtectionReport:
    """The RPO report; one message listing its breaches, if there are any."""
    report = await em.protection(max_age=max_age, vms=vms or None)
    if report.breaches:
        hours = max_age.total_seconds() / 3600
        lines = [f"{len(report.breaches)} of {len(report.vms)} VMs breach the {hours:g} h RPO:"]
        lines += [f"- {vm.vm_name or vm.hierarchy_ref}: {vm.reason}" for vm in report.breaches]
        async with aiohttp.ClientSession() as http:
            async with http.post(webhook, json={"text": "\n".join(lines)}) as answer:
                answer.raise_for_status()
    return report


def stale_history(sim: EMSimulator) -> None:
    """Three VMs backed up an hour ago, one last backed up two days ago."""
    now = sim.state.clock()
    sim.state.protection.seed(["web01", "web02", "sql01"], [3600.0], now)
    sim.state.protection.seed(["files01"], [2 * 86400.0, 3 * 86400.0], now)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhook", help="URL that takes a JSON {text}")
    parser.add_argument("--max-age-hours", type=float, default=24.0, help="the RPO")
    parser.add_argument("--vm", action="append", default=[], help="a VM that must have a point")
    parser.add_argument(
        "--simulator", action="store_true",
        help="the embedded simulator (with a stale VM) and a webhook that prints",
    )  # fmt: skip
    args = parser.parse_args()
    if not args.simulator and not args.webhook:
        parser.error("--webhook is required (or --simulator)")
    vms = args.vm or (["mail01"] if args.simulator else [])  # mail01: never backed up
    async with contextlib.AsyncExitStack() as stack:
        webhook = args.webhook or await stack.enter_async_context(printing_webhook())
        em = await stack.enter_async_context(connect(args.simulator, stale_history, jobs=0))
        max_age = timedelta(hours=args.max_age_hours)
        report = await check(em, webhook, max_age=max_age, vms=vms)
    print(f"{len(report.vms)} VMs checked, {len(report.breaches)} breach")
    return 1 if report.breaches else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
