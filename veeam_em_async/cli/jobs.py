"""``veeam-em jobs|nas-jobs|agent-jobs``: list, show, actions and runs.

Jobs named on the command line are looked up before anything is sent: names
(``*`` allowed) and ids alike resolve to entities with one query, so an
unknown job fails the command (exit 4) and no other job is touched, and the
JSON names every job by id, name and type. Bulk actions print each task id
EM accepted as it comes (stderr, or the JSON), so that a Ctrl-C still
leaves a trail, and end with a totals line.
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
from typing import Any

import attrs

from ..client import EnterpriseManager
from ..ids import entity_id, looks_like_id
from . import trail
from .exits import OK, JobNotFoundError, UsageError
from .output import Output
from .shapes import job_summary, session_summary, task_summary, to_json, yaml_lines


@attrs.frozen
class Group:
    """One of the job groups of the command line: its resource and its words."""

    name: str  # "jobs"
    kind: str | None  # the type shown for jobs whose entity has none
    resource: Any
    em: EnterpriseManager


GROUPS = {"jobs": "a VM", "nas-jobs": "a NAS", "agent-jobs": "an agent"}


def group_of(em: EnterpriseManager, name: str) -> Group:
    if name == "nas-jobs":
        return Group(name, "NAS", em.nas_jobs, em)
    if name == "agent-jobs":
        return Group(name, "Agent", em.agent_jobs, em)
    return Group(name, None, em.jobs, em)


async def not_found(group: Group, text: str, entities: list[Any]) -> JobNotFoundError:
    """The error for a job not found, with what the user may have meant: a close
    name of this group, or the command that takes it when it names a job of another."""
    is_id = looks_like_id(text)
    what = f"no job has the id {text!r}" if is_id else f"no job is named {text!r}"
    for name, article in GROUPS.items():
        if name == group.name:
            continue
        for job in await group_of(group.em, name).resource.list(entities=True):
            if (job.id == text.rsplit(":", 1)[-1]) if is_id else job.name == text:
                return JobNotFoundError(
                    f"{what} among {group.name}: it is {article} job, see 'veeam-em {name}'"
                )
    names = [j.name for j in entities if j.name]
    close = [] if is_id else difflib.get_close_matches(text, names, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(n) for n in close)}?" if close else ""
    return JobNotFoundError(what + hint)


async def select(
    group: Group, given: tuple[str, ...], every: bool = False, name_like: str | None = None
) -> list[Any]:
    """The job entities named by ids, names or ``*`` patterns, or all of them
    (``--all``, narrowed by ``--name-like``), read with one query. A job named
    twice (by a name and a pattern, say) is taken once: it must not be started twice."""
    if not every and not given:
        raise UsageError("name at least one job (id or name), or use --all")
    if every and given:
        raise UsageError("give job names or ids, or --all, not both")
    entities = await group.resource.list(entities=True)
    if every:
        return [
            j for j in entities if not name_like or fnmatch.fnmatchcase(j.name or "", name_like)
        ]
    by_id = {j.id: j for j in entities}
    found: list[Any] = []
    for text in given:
        if looks_like_id(text):
            wanted = entity_id(text, group.resource.entity_type)  # a malformed id: exit 2
            if wanted not in by_id:
                raise await not_found(group, text, entities)
            found.append(by_id[wanted])
            continue
        matches = [j for j in entities if fnmatch.fnmatchcase(j.name or "", text)]
        if not matches:
            raise await not_found(group, text, entities)
        found.extend(matches)
    return list({job.id: job for job in found}.values())


def _list_row(group: Group, job: Any) -> dict[str, Any]:
    return {
        **job_summary(job, group.kind),
        "platform": getattr(job, "platform", None),
        "schedule_enabled": job.schedule_enabled,
        "next_run": to_json(getattr(job, "next_run", None)),
        "description": job.description,
    }


async def list_jobs(out: Output, em: EnterpriseManager, group_name: str) -> int:
    group = group_of(em, group_name)
    rows = [_list_row(group, j) for j in await group.resource.list(entities=True)]
    out.doc["items"] = rows
    columns = ["Name", "Type", "Platform", "Schedule"] + (["Next run", "Id"] if out.wide else [])
    out.table(
        f"{len(rows)} {group.name}", columns,
        [
            [r["name"], r["type"] or "-", r["platform"] or "-",
             "on" if r["schedule_enabled"] else "off"]
            + ([r["next_run"] or "-", r["id"]] if out.wide else [])
            for r in rows
        ],
    )  # fmt: skip
    return OK


async def show_job(out: Output, em: EnterpriseManager, group_name: str, ident: str) -> int:
    group = group_of(em, group_name)
    matches = await select(group, (ident,))
    if len(matches) > 1:
        raise UsageError(f"{ident!r} names {len(matches)} jobs: give one name or an id")
    data = to_json(matches[0])
    out.doc["item"] = {**data, **job_summary(matches[0], group.kind)}
    if out.wide:  # every field, nested ones as YAML-like lines
        for line in yaml_lines(out.doc["item"]):
            out.line(line)
        return OK
    hidden = {"links", "schedule_options", "info", "includes", "storage_options", "extra"}
    rows = [(k, v) for k, v in out.doc["item"].items() if k not in hidden]
    out.table(matches[0].name or matches[0].id, ["Field", "Value"], rows)
    return OK


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
