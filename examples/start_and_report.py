"""Start many jobs, wait for each run's real result, and report.

Backup copy jobs are synced (EM cannot start them); every other job is
started. Each run is followed to Success, Warning or Failed, and a failed
run's report names each VM's reason. Exit status 1 if a run failed.

    python examples/start_and_report.py --name-like 'SQL*'
    python examples/start_and_report.py --simulator          # no EM needed
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import sys
from collections import Counter

from _connect import connect

from veeam_em_async import EnterpriseManager, RunOutcome
from veeam_em_async.models import Job, ReplicaJobSession


async def start_and_report(
    em: EnterpriseManager, name_like: str = "*", timeout: float = 4 * 3600
) -> list[RunOutcome[Job]]:
    jobs = [
        j for j in await em.jobs.list(entities=True) if fnmatch.fnmatch(j.name or "", name_like)
    ]
    print(f"Starting {len(jobs)} jobs")
    outcomes = await em.jobs.run_many(jobs, copy_jobs="sync", timeout=timeout)
    results = Counter(o.session.result if o.ok and o.session else "Failed" for o in outcomes)
    print(", ".join(f"{n} {result}" for result, n in sorted(results.items())))
    for outcome in outcomes:
        if not outcome.ok:
            print(f"- {outcome.job.name}: {outcome.error}")
            if outcome.session is not None:
                replica = isinstance(outcome.session, ReplicaJobSession)
                sessions = em.replica_sessions if replica else em.backup_sessions
                for vm in await sessions.task_sessions(outcome.session):
                    if vm.reason:
                        print(f"    {vm.vm_display_name}: {vm.reason}")
    return outcomes


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name-like", default="*", help="only jobs whose name matches this glob")
    parser.add_argument("--simulator", action="store_true", help="use the embedded simulator")
    args = parser.parse_args()
    async with connect(
        args.simulator, jobs=20, task_seconds=0.2, session_seconds=0.5, failure_rate=0.2, seed=3
    ) as em:
        outcomes = await start_and_report(em, args.name_like)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
