"""``veeam-em jobs run`` and ``veeam-em sessions``: job runs and their results.

A run's table row is its job, its result and, for a Failed or Warning run,
the reason each VM gave (its task session's ``Reason``). ``--json`` prints
the same data.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .bulk import RunOutcome
from .client import EnterpriseManager
from .errors import NotFoundError, RunFailedError
from .models import BackupJobSession, EntityRef, Job, NasJob, ReplicaJobSession

if TYPE_CHECKING:
    from .cli import Output

Session = BackupJobSession | ReplicaJobSession


def session_dict(session: Session | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {"id": session.id, **attrs.asdict(session)}


async def vm_reasons(em: EnterpriseManager, session: Session | None) -> list[str]:
    """``vm: reason`` for each VM of ``session`` that did not succeed."""
    if session is None or session.result in (None, "Success"):
        return []
    resource = em.replica_sessions if isinstance(session, ReplicaJobSession) else em.backup_sessions
    vms = await resource.task_sessions(session)
    return [f"{vm.vm_display_name}: {vm.reason}" for vm in vms if vm.reason]


def job_label(job: Any) -> str:
    named = isinstance(job, (EntityRef, Job, NasJob)) and job.name
    return str(job.name) if named else str(job)


async def outcome_rows(
    em: EnterpriseManager, outcomes: Sequence[RunOutcome[Any]]
) -> list[dict[str, Any]]:
    reasons = await asyncio.gather(*(vm_reasons(em, o.session) for o in outcomes))
    return [
        {
            "job": job_label(o.job),
            "ok": o.ok,
            "result": o.session.result if o.session else None,
            "session": session_dict(o.session),
            "vm_reasons": vm,
            "error": None if o.ok else str(o.error),
        }
        for o, vm in zip(outcomes, reasons, strict=True)
    ]


def print_runs(out: Output, rows: list[dict[str, Any]]) -> None:
    if out.json_mode:
        out.json(rows)
        return
    table = []
    for row in rows:
        session = row["session"] or {}
        detail = "; ".join(row["vm_reasons"]) or (row["error"] or "")
        table.append(
            (
                row["job"],
                row["result"] or "-",
                session.get("id") or "-",
                session.get("state") or "-",
                detail,
            )
        )
    out.table("Runs", ["Job", "Result", "Session", "State", "VM reasons / error"], table)


async def run_jobs(
    args: argparse.Namespace, out: Output, em: EnterpriseManager, jobs: list[Any]
) -> int:
    resource = em.nas_jobs if args.group == "nas-jobs" else em.jobs
    if len(jobs) == 1 and not args.all:
        run = await resource.run(jobs[0], args.action, follow_retries=args.follow_retries)
        waiting = asyncio.ensure_future(run.wait(timeout=args.run_timeout))
        with out.progress(f"run {job_label(jobs[0])}", 100) as progress:
            while not waiting.done():
                progress(run.progress or 0, 100)
                await asyncio.wait([waiting], timeout=0.5)
            progress(100 if run.done() else run.progress or 0, 100)
        try:
            session = await waiting
            outcome = RunOutcome(job=jobs[0], ok=True, session=session)
        except Exception as exc:
            outcome = RunOutcome(jobs[0], False, getattr(exc, "session", None) or run.session, exc)
        outcomes = [outcome]
    else:
        with out.progress(f"run {len(jobs)} jobs", len(jobs)) as progress:
            outcomes = await resource.run_many(
                jobs,
                args.max_connections,
                action=args.action,
                progress=progress,
                timeout=args.run_timeout,
                follow_retries=args.follow_retries,
            )
    print_runs(out, await outcome_rows(em, outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


async def find_session(em: EnterpriseManager, ident: str) -> Session:
    """A session by id: a backup session, else a replica session."""
    try:
        return await em.backup_sessions.get(ident)
    except NotFoundError:
        return await em.replica_sessions.get(ident)


async def sessions_command(args: argparse.Namespace, out: Output, em: EnterpriseManager) -> int:
    resource = em.replica_sessions if args.replica else em.backup_sessions
    if args.command == "list":
        refs = await resource.list()
        if out.json_mode:
            out.json([{"id": r.id, **attrs.asdict(r)} for r in refs])
        else:
            out.table(f"{len(refs)} sessions", ["Id", "Name"], [(r.id, r.name) for r in refs])
        return 0
    session = await find_session(em, args.id)
    if args.command == "stop":
        target = (
            em.replica_sessions if isinstance(session, ReplicaJobSession) else em.backup_sessions
        )
        info = await (await target.stop(session))
        session = await target.get(session)
        if out.json_mode:
            out.json({"task": attrs.asdict(info), "session": session_dict(session)})
        else:
            out.line(f"stopped {session.name}: {session.state} {session.result or ''}".rstrip())
        return 0
    reasons = await vm_reasons(em, session)
    if out.json_mode:
        out.json({**(session_dict(session) or {}), "vm_reasons": reasons})
    else:
        rows = [(k, v) for k, v in (session_dict(session) or {}).items() if k != "links"]
        out.table(session.name or session.id or "session", ["Field", "Value"], rows)
        for reason in reasons:
            out.line(f"  {reason}")
    return 0 if session.result != "Failed" else 1


def demo_summary(outcomes: Sequence[tuple[str, RunOutcome[Any]]]) -> tuple[list[tuple[Any, ...]], int]:
    """Rows of Success/Warning/Failed/Errors per job type, and the count of
    errors that are not a failed run (which the demo does not expect)."""
    counts: dict[str, Counter[str]] = {}
    unexpected = 0
    for job_type, outcome in outcomes:
        if outcome.ok and outcome.session is not None:
            key = str(outcome.session.result)
        elif isinstance(outcome.error, RunFailedError):
            key = "Failed"
        else:
            key, unexpected = "Errors", unexpected + 1
        counts.setdefault(job_type, Counter())[key] += 1
    rows = [
        (job_type, c["Success"], c["Warning"], c["Failed"], c["Errors"])
        for job_type, c in sorted(counts.items())
    ]
    return rows, unexpected
