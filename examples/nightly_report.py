"""A nightly report of the runs that failed or warned in the last 24 hours.

One query finds them (however many jobs there are); each failed run's VMs
say why. Print it, mail it, or post it: the report is plain text. Exit
status 1 if a run failed, for a scheduler to notice.

    python examples/nightly_report.py --hours 24
    python examples/nightly_report.py --simulator            # no EM needed
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta, timezone

from _connect import connect

from veeam_em_async import EnterpriseManager, F
from veeam_em_async.simulator import EMSimulator


async def nightly_report(em: EnterpriseManager, hours: float = 24) -> tuple[str, int]:
    """(the report, the number of failed runs)."""
    since = datetime.now(timezone.utc) - timedelta(hours=hours)
    bad = (F.CreationTime >= since) & ((F.Result == "Failed") | (F.Result == "Warning"))
    lines = [f"Runs that failed or warned since {since:%Y-%m-%d %H:%M} UTC"]
    failed = 0
    async for run in em.query("BackupJobSession", filter=bad, sort_asc="CreationTime"):
        failed += run.result == "Failed"
        lines.append(f"{run.result:<8} {run.job_name} (ended {run.end_time:%H:%M} UTC)")
        for vm in await em.backup_sessions.task_sessions(run):
            if vm.reason:
                lines.append(f"         {vm.vm_display_name}: {vm.reason}")
    if len(lines) == 1:
        lines.append("none: every run succeeded")
    return "\n".join(lines), failed


def yesterday(sim: EMSimulator) -> None:
    """The simulator's night: three jobs failed or warned two hours ago."""
    jobs = [j for j in sim.state.jobs.values() if j.job_type == "Backup"]
    for job, result in zip(jobs, ["Failed", "Warning", "Failed", "Success"], strict=False):
        sim.state.record_run(job, result, at=sim.state.clock() - 7200)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0, help="how far back to look")
    parser.add_argument("--simulator", action="store_true", help="use the embedded simulator")
    args = parser.parse_args()
    async with connect(args.simulator, yesterday, jobs=10) as em:
        report, failed = await nightly_report(em, args.hours)
    print(report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
