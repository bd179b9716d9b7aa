"""``veeam-em demo`` and ``veeam-em simulate``: the embedded simulator.

The demo starts every VM, NAS and agent job of a simulated EM (backup copy
jobs are synced, EM's own rule), follows each run to its result, and shows
where every run went, by kind and type, so that the totals add up. It fits an
80 by 24 terminal: the header stays on screen, and a failed run names the VM that
failed and EM's reason.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import click

from ...bulk import RunOutcome
from ...client import EnterpriseManager
from ...errors import RunFailedError
from ...policies import PollPolicy
from ..base import CONTEXT
from ..exits import FAILED, OK
from ..output import Bars, Output
from ..runner import execute_local
from .simulate import simulator_options


@click.command("demo", context_settings=CONTEXT)
@lambda c: simulator_options(c, 1.0, 2.0)
def demo_command(**options: Any) -> int:
    """Start every job of an embedded EM simulator and follow each run to its result.

    Needs no EM: the simulator runs in this process. VM, NAS and agent jobs
    are counted apart; backup copy jobs are synced (EM cannot start them).

    \b
    Examples:
      veeam-em demo
      veeam-em demo --jobs 500 --failure-rate 0.2 --session-seconds 5
    """
    return execute_local("demo", lambda out: run_demo(out, options))


DEMO_POLLING = PollPolicy(initial_delay=0.3, min_interval=0.2, max_interval=1.0, jitter=0.2)


#: Failed runs listed by name under the summary; more are counted.
SHOWN_FAILURES = 3


class BarCounts:
    """Moves the demo's two bars: starts EM accepted, and runs that ended, summed
    over the three kinds' ``run_many`` calls (each counts only its own)."""

    ACCEPTED, FINISHED = "Starts accepted", "Runs finished"

    def __init__(self, bars: Bars) -> None:
        self.bars = bars
        self.accepted = 0
        self.finished: dict[str, int] = {}

    def on_accepted(self, _job: Any, _run: Any) -> None:
        self.accepted += 1
        self.bars.move(self.ACCEPTED, self.accepted)

    def on_finished(self, kind: str) -> Any:
        def report(done: int, _total: int) -> None:
            self.finished[kind] = done
            self.bars.move(self.FINISHED, sum(self.finished.values()))

        return report


def tally(
    runs: list[tuple[str, str, RunOutcome[Any]]],
) -> tuple[list[tuple[Any, ...]], Counter[str]]:
    """Rows of (kind, type, Success, Warning, Failed, Errors, Runs), and the totals."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    for kind, job_type, outcome in runs:
        if outcome.ok and outcome.session is not None:
            key = str(outcome.session.result)
        elif isinstance(outcome.error, RunFailedError):
            key = "Failed"
        else:
            key = "Errors"
        counts.setdefault((kind, job_type), Counter())[key] += 1
    totals: Counter[str] = Counter()
    rows = []
    for (kind, job_type), c in counts.items():
        totals.update(c)
        rows.append(
            (kind, job_type, c["Success"], c["Warning"], c["Failed"], c["Errors"], c.total())
        )
    return rows, totals


async def run_demo(out: Output, options: dict[str, Any]) -> int:
    from ...simulator import EMSimulator

    started = time.perf_counter()
    # One run a day before, so that a VM whose run fails now has only yesterday's point.
    async with EMSimulator(**{"history_sessions": 1, **options}) as sim:
        out.line(f"Embedded EM simulator at {sim.url}, user {sim.username}")
        async with EnterpriseManager(
            sim.url, sim.username, sim.password, poll_policy=DEMO_POLLING,
            run_poll_policy=DEMO_POLLING, max_connections=20,
        ) as em:  # fmt: skip
            vm, nas, agents = await asyncio.gather(
                em.jobs.list(entities=True), em.nas_jobs.list(entities=True),
                em.agent_jobs.list(entities=True),
            )  # fmt: skip
            kinds = [("VM", str(j.job_type)) for j in vm] + [("NAS", "File share")] * len(nas)
            kinds += [("Agent", str(j.platform)) for j in agents]
            out.line(f"{len(kinds)} jobs: {len(vm)} VM, {len(nas)} NAS, {len(agents)} agent")
            with out.progress(BarCounts.ACCEPTED, BarCounts.FINISHED, total=len(kinds)) as progress:
                bars = BarCounts(progress)
                vm_runs, nas_runs, agent_runs = await asyncio.gather(
                    em.jobs.run_many(vm, copy_jobs="sync", accepted=bars.on_accepted,
                                     progress=bars.on_finished("VM")),
                    em.nas_jobs.run_many(nas, accepted=bars.on_accepted,
                                         progress=bars.on_finished("NAS")),
                    em.agent_jobs.run_many(agents, accepted=bars.on_accepted,
                                           progress=bars.on_finished("Agent")),
                )  # fmt: skip
            outcomes: list[RunOutcome[Any]] = [*vm_runs, *nas_runs, *agent_runs]
            failures = [o for o in outcomes if not o.ok]
            why = [await failure_line(o) for o in failures[:SHOWN_FAILURES]]
            protection = await em.protection(max_age=timedelta(hours=12))
            requests = em.stats.total()
        runs = [(k, t, o) for (k, t), o in zip(kinds, outcomes, strict=True)]
        rows, totals = tally(runs)
        wall = time.perf_counter() - started
        out.table(
            "Results", ["Kind", "Type", "Success", "Warning", "Failed", "Errors", "Runs"], rows,
            compact=True,
        )  # fmt: skip
        out.line(
            f"{len(runs)} runs = {totals['Success']} Success + {totals['Warning']} Warning + "
            f"{totals['Failed']} Failed + {totals['Errors']} Errors ({wall:.1f} s, "
            f"{requests} requests)"
        )
        fresh = len(protection.vms) - len(protection.breaches)
        out.line(
            f"Protection: {fresh} of {len(protection.vms)} VMs have a restore point under 12 h"
            f" old, {len(protection.breaches)} breach"
        )
        expected_failed = sum(
            1 for r in sim.state.job_sessions.values() if r.final_result == "Failed"
        )
    for line in why:
        out.line(f"  {line}")
    if len(failures) > SHOWN_FAILURES:
        out.line(f"  … and {len(failures) - SHOWN_FAILURES} more failed runs")
    if totals["Errors"] or totals["Failed"] != expected_failed:
        out.line("Unexpected outcome: see the errors above.")
        return FAILED
    return OK


async def failure_line(outcome: RunOutcome[Any]) -> str:
    """``Job 0003 Failed: job-0003-vm1: Error: Failed to create VM snapshot``: the job
    once, then the VM and EM's reason (as ``jobs run`` shows it), else the error."""
    name = getattr(outcome.job, "name", None) or str(outcome.job)
    if isinstance(outcome.error, RunFailedError):
        vms = await outcome.failed_vms()
        result = outcome.error.session.result or "Failed"
        reasons = "; ".join(f"{vm.vm_display_name}: {vm.reason or vm.result}" for vm in vms)
        return f"{name} {result}: {reasons or 'no VM reason given'}"
    return f"{name}: {outcome.error}"
