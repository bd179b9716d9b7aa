"""What ``start``, ``stop``, ``retry``, ``sync`` and ``run`` of the job groups do: the
bulk call, each job's outcome and the VMs' reasons, the table and the totals (the
trail of `trail`)."""

from __future__ import annotations

import asyncio
from typing import Any

from ..client import EnterpriseManager
from . import trail
from .output import Output
from .selection import Group, group_of
from .shapes import session_summary, task_summary


def _copy_jobs(group: Group, action: str, copy_jobs: str) -> dict[str, Any]:
    """``copy_jobs=`` for a start of VM jobs (only they have backup copy jobs)."""
    return {"copy_jobs": copy_jobs} if action == "start" and group.name == "jobs" else {}


async def act(
    out: Output, em: EnterpriseManager, group_name: str, action: str, jobs: list[Any],
    *, wait: bool, wait_timeout: float, copy_jobs: str,
) -> int:  # fmt: skip
    group = group_of(em, group_name)
    entries, accepted = trail.tracker(out, group.kind, jobs, action)
    options = _copy_jobs(group, action, copy_jobs)
    out.on_interrupt.append(lambda: trail.cut_short(out, entries, bool(options), wait))
    with out.progress(f"{action} jobs", total=len(jobs)) as progress:
        outcomes = await group.resource.act_many(
            action, jobs, None, wait,
            progress=progress if len(jobs) > 1 else None, timeout=wait_timeout,
            accepted=accepted, **options,
        )  # fmt: skip
    for entry, outcome in zip(entries, outcomes, strict=True):
        entry.update(
            action=outcome.action, status=trail.action_status(entry, outcome, wait),
            task=task_summary(outcome.task) or entry["task"], reason=outcome.skipped,
            error=None if outcome.error is None else str(outcome.error),
        )  # fmt: skip
    out.table(
        f"{action}: {len(entries)} jobs",
        ["Job", "Action", "Status", "Task", "Message / error"],
        [
            (e["job"]["name"], e["action"] or "-", e["status"], (e["task"] or {}).get("id") or "-",
             e["error"] or e["reason"] or (e["task"] or {}).get("message") or "")
            for e in entries
        ],
    )  # fmt: skip
    return trail.totals(out, entries, bool(options), wait)


async def vm_reasons(em: EnterpriseManager, session: Any) -> list[dict[str, Any]]:
    """``{"vm", "result", "reason"}`` of each VM of ``session`` that did not succeed."""
    if session is None or session.result in (None, "Success"):
        return []
    replica = session.job_type == "Replica" or type(session).__name__ == "ReplicaJobSession"
    resource = em.replica_sessions if replica else em.backup_sessions
    vms = await resource.task_sessions(session)
    return [
        {"vm": vm.vm_display_name, "result": vm.result, "reason": vm.reason}
        for vm in vms
        if vm.reason or vm.result not in (None, "Success")
    ]


def reason_lines(reasons: list[dict[str, Any]]) -> list[str]:
    """``vm: reason`` for a table."""
    return [f"{r['vm']}: {r['reason'] or r['result']}" for r in reasons]


async def run(
    out: Output, em: EnterpriseManager, group_name: str, action: str, jobs: list[Any],
    *, follow_retries: bool, run_timeout: float, copy_jobs: str,
) -> int:  # fmt: skip
    group = group_of(em, group_name)
    entries, accepted = trail.tracker(
        out, group.kind, jobs, action, session=None, result=None, vm_reasons=[]
    )
    options = _copy_jobs(group, action, copy_jobs)
    out.on_interrupt.append(lambda: trail.cut_short(out, entries, bool(options), True))
    with out.progress("runs finished", total=len(jobs)) as progress:
        outcomes = await group.resource.run_many(
            jobs, action=action, progress=progress, timeout=run_timeout,
            follow_retries=follow_retries, accepted=accepted, **options,
        )  # fmt: skip
    reasons = await asyncio.gather(*(vm_reasons(em, o.session) for o in outcomes))
    for entry, outcome, vms in zip(entries, outcomes, reasons, strict=True):
        entry.update(
            action=outcome.action, status=trail.run_status(entry, outcome), reason=outcome.skipped,
            session=session_summary(outcome.session), vm_reasons=vms,
            result=outcome.session.result if outcome.session else None,
            error=None if outcome.ok or outcome.error is None else str(outcome.error),
        )  # fmt: skip
    out.table(
        "Runs", ["Job", "Result", "Session", "State", "VM reasons / error"],
        [
            (e["job"]["name"], e["result"] or e["status"], (e["session"] or {}).get("id") or "-",
             (e["session"] or {}).get("state") or "-",
             "; ".join(reason_lines(e["vm_reasons"])) or e["error"] or e["reason"] or "")
            for e in entries
        ],
    )  # fmt: skip
    return trail.totals(out, entries, bool(options), True)
