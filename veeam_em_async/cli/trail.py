"""What a bulk command reports per job, and its totals: the trail that an
interrupted command still leaves true (issue 23).

Each job ends ``accepted`` (EM's task id, printed as it comes), ``not_sent``,
``unknown`` (sent, no answer: EM may have acted), or its outcome (finished,
success, warning, failed, timeout, error, skipped).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..actions import ActionRefused
from ..bulk import Accepted, ActionOutcome, RunOutcome
from ..errors import (
    ClientClosedError,
    RunFailedError,
    RunTimeoutError,
    TaskFailedError,
    TaskTimeoutError,
    TransportError,
)
from .exits import FAILED, OK, bulk_status
from .output import Output
from .shapes import job_summary, task_summary

__all__ = ["action_status", "cut_short", "run_status", "totals", "tracker"]


def _entry(kind: str | None, job: Any) -> dict[str, Any]:
    return {"job": job_summary(job, kind), "action": None, "status": "pending",
            "task": None, "error": None, "reason": None}  # fmt: skip


def _trail_status(entry: dict[str, Any], error: BaseException | None) -> str | None:
    """What an interrupted (or unanswered) action says, or ``None``: refused before
    sending, sent without an answer, or accepted with its wait cut short."""
    if isinstance(error, ClientClosedError):
        return "accepted" if entry["task"] else "not_sent"
    if isinstance(error, TransportError) and not entry["task"]:
        return "unknown"  # the POST went out and no answer came: EM may have acted
    return None


def _status(
    entry: dict[str, Any], outcome: Any, ok: str, failed: type[Exception], late: type[Exception]
) -> str:
    if outcome.skipped:
        return "skipped"
    if isinstance(outcome.error, ActionRefused):
        return "dry_run"  # the CLI refuses actions only for --dry-run
    if outcome.ok:
        return ok
    trail = _trail_status(entry, outcome.error)
    if trail is not None:
        return trail
    if isinstance(outcome.error, failed):
        return "failed"
    return "timeout" if isinstance(outcome.error, late) else "error"


def action_status(entry: dict[str, Any], outcome: ActionOutcome[Any], waited: bool) -> str:
    ok = "finished" if waited else "accepted"
    return _status(entry, outcome, ok, TaskFailedError, TaskTimeoutError)


def run_status(entry: dict[str, Any], outcome: RunOutcome[Any]) -> str:
    session = outcome.session
    ok = str(session.result or "success").lower() if session else "success"
    return _status(entry, outcome, ok, RunFailedError, RunTimeoutError)


#: Statuses counted as "ok" in the totals (``accepted`` only where nothing is awaited).
_OK = {"finished", "success", "warning"}


def totals(out: Output, entries: list[dict[str, Any]], copy_hint: bool, waited: bool) -> int:
    """The totals of a bulk command, in the JSON and as its last line; its exit status."""
    count = Counter(e["status"] for e in entries)
    ok = sum(count[s] for s in (_OK | ({"accepted"} if not waited else set())))
    trail = {
        "not_sent": count["not_sent"],
        "unknown": count["unknown"],
        "interrupted": count["accepted"] if waited else 0,
    }
    failed = len(entries) - ok - count["skipped"] - sum(trail.values()) - count["dry_run"]
    out.doc["totals"] = {
        "jobs": len(entries), "succeeded": ok, "failed": failed, "skipped": count["skipped"],
        **trail, "dry_run": count["dry_run"],
    }  # fmt: skip
    why = (
        " (backup copy jobs: --copy-jobs sync syncs them)" if copy_hint and count["skipped"] else ""
    )
    words = {"not_sent": "not sent", "unknown": "with no answer (EM may have acted)",
             "interrupted": "accepted, wait interrupted"}  # fmt: skip
    more = "".join(f", {n} {words[k]}" for k, n in trail.items() if n)
    if count["dry_run"]:
        more += f", {count['dry_run']} not sent (dry run)"
    out.line(
        f"Totals: {len(entries)} jobs, {ok} ok, {failed} failed, {count['skipped']} skipped"
        f"{more}{why}"
    )
    if len(entries) == 1:
        return FAILED if failed else OK
    return bulk_status(ok, failed)


def cut_short(out: Output, entries: list[dict[str, Any]], copy_hint: bool, waited: bool) -> None:
    """A bulk command cancelled outright (a second Ctrl-C): a job with no answer
    yet may or may not have been sent, so its status is ``unknown``."""
    for entry in entries:
        if entry["status"] == "pending":
            entry["status"] = "unknown"
    totals(out, entries, copy_hint, waited)


def tracker(
    out: Output, kind: str | None, jobs: list[Any], action: str, **more: Any
) -> tuple[list[dict[str, Any]], Accepted]:
    """The entries of ``jobs`` (``kind``: the type shown for jobs without one) and
    the ``accepted`` callback: the entry of each job EM accepted gets its task id
    at once, and the terminal sees it (stderr)."""
    entries = [{**_entry(kind, job), **more} for job in jobs]
    index = {id(job): i for i, job in enumerate(jobs)}
    out.doc.update(action=action, results=entries)

    def accepted(job: Any, handle: Any) -> None:
        task = getattr(handle, "task", handle)  # a JobRun holds its start's Task
        entry = entries[index[id(job)]]
        entry.update(status="accepted", task=task_summary(task.info))
        if not out.json_mode:
            out.note(f"accepted: {job.name} ({job.id}): task {task.id}")

    return entries, accepted
