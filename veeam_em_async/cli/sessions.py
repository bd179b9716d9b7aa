"""``veeam-em sessions``, ``jobs status``, ``repositories`` and ``tasks show``:
runs, their results and what EM reports, read through the query service.

Times are shown in UTC, as EM stores them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from ..client import EnterpriseManager
from ..errors import NotFoundError
from ..models import ReplicaJobSession
from ..query._filters import F, Filter, one_of
from .exits import FAILED, OK, UsageError
from .jobs import reason_lines, vm_reasons
from .output import Output
from .shapes import job_summary, session_summary, task_summary

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str) -> datetime | timedelta:
    """``90s``, ``30m``, ``24h``, ``7d`` (back from now) or an ISO 8601 time (UTC if no zone)."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since takes 30m, 24h, 7d or an ISO time, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _row(s: Any, wide: bool) -> list[Any]:
    row = [s.job_name, s.result or s.state, _when(s.creation_time), _when(s.end_time)]
    return [*row, s.id] if wide else row


async def sessions_list(
    out: Output, em: EnterpriseManager, *, since: str | None, result: str | None,
    job: str | None, replica: bool,
) -> int:  # fmt: skip
    """Sessions newest first, narrowed by ``--since``, ``--result`` and ``--job``."""
    kind = "ReplicaJobSession" if replica else "BackupJobSession"
    parts: list[Filter] = []
    if since:
        moment = parse_since(since)
        if isinstance(moment, timedelta):
            moment = datetime.now(timezone.utc) - moment
        parts.append(F.CreationTime >= moment)
    if result:
        parts.append(one_of("Result", [r.strip() for r in result.split(",") if r.strip()]))
    if job:
        parts.append(F.JobName == job)
    query_filter: Filter | None = None
    for part in parts:
        query_filter = part if query_filter is None else query_filter & part
    query = em.query(kind, filter=query_filter, sort_desc="CreationTime", page_size=500)
    sessions = await query.all()
    out.doc["items"] = [session_summary(s) for s in sessions]
    columns = ["Job", "Result", "Created (UTC)", "Ended (UTC)"] + (["Id"] if out.wide else [])
    out.table(f"{len(sessions)} sessions", columns, [_row(s, out.wide) for s in sessions])
    return OK


async def sessions_watch(
    out: Output, em: EnterpriseManager, *, since: str, result: str | None, interval: float,
    count: int,
) -> int:  # fmt: skip
    """One line per run as it ends (JSON: one session object per line), until
    Ctrl-C or ``--count`` runs."""
    results = [r.strip() for r in result.split(",")] if result else None
    feed = em.backup_sessions.feed(since=parse_since(since), results=results, interval=interval)
    out.doc["streamed"] = True
    seen = 0
    async for session in feed:
        if out.json_mode:
            out.json_line(session_summary(session))
        else:
            out.line(
                f"{_when(session.end_time)}  {session.result or '-':<7}  {session.job_name}",
                flush=True,
            )
        seen += 1
        if count and seen >= count:
            break
    return OK


async def find_session(em: EnterpriseManager, ident: str) -> Any:
    """A session by id: a backup session, else a replica session."""
    try:
        return await em.backup_sessions.get(ident)
    except NotFoundError:
        return await em.replica_sessions.get(ident)


async def session_show(out: Output, em: EnterpriseManager, ident: str) -> int:
    session = await find_session(em, ident)
    reasons = await vm_reasons(em, session)
    out.doc["item"] = {**(session_summary(session) or {}), "vm_reasons": reasons}
    out.table(
        session.name or session.id or "session", ["Field", "Value"],
        [(k, v) for k, v in out.doc["item"].items() if k != "vm_reasons"],
    )  # fmt: skip
    for line in reason_lines(reasons):
        out.line(f"  {line}")
    return FAILED if session.result == "Failed" else OK


async def session_stop(out: Output, em: EnterpriseManager, ident: str) -> int:
    session = await find_session(em, ident)
    target = em.replica_sessions if isinstance(session, ReplicaJobSession) else em.backup_sessions
    info = await (await target.stop(session))
    session = await target.get(session)
    out.doc.update(item=session_summary(session), task=task_summary(info))
    out.line(f"stopped {session.name}: {session.state} {session.result or ''}".rstrip())
    return OK


async def job_status(out: Output, em: EnterpriseManager, since: str) -> int:
    """The last result of every VM, NAS and agent job: each group's entities (one
    query per 200 jobs) and its ``last_results`` over them (one query per session
    type). Exit 1 names the jobs whose last run failed."""
    window = parse_since(since)
    items: list[dict[str, Any]] = []
    rows = []
    groups: tuple[tuple[str, Any], ...] = (
        ("VM", em.jobs),
        ("NAS", em.nas_jobs),
        ("Agent", em.agent_jobs),
    )
    for kind, resource in groups:
        entities = sorted(await resource.list(entities=True), key=lambda j: j.name or "")
        last = await resource.last_results(since=window, jobs=entities) if entities else {}
        for job in entities:
            run = last.get(job.uid)
            summary = job_summary(job, None if kind == "VM" else kind)
            items.append({"job": summary, "last": session_summary(run)})
            ended = _when(run.end_time if run else None)
            rows.append((job.name, summary["type"], run.result if run else "no run", ended))
    out.doc.update(since=since, items=items)
    out.table(
        f"Last result of {len(items)} jobs (since {since})",
        ["Job", "Type", "Result", "Ended (UTC)"], rows,
    )  # fmt: skip
    failed = [i["job"]["name"] for i in items if (i["last"] or {}).get("result") == "Failed"]
    if failed:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        out.note(f"exit 1: the last run of {len(failed)} jobs failed: {shown}")
    return FAILED if failed else OK


def _size(value: int | None) -> str:
    """Bytes as TiB/GiB with one decimal (EM's repository numbers are bytes)."""
    if value is None:
        return "-"
    for unit, shift in (("TiB", 40), ("GiB", 30)):
        if value >= 1 << shift:
            return f"{value / (1 << shift):.1f} {unit}"
    return f"{value} B"


async def repositories(out: Output, em: EnterpriseManager, warn_above: float) -> int:
    """Every repository with its space, in one query; exit 1 if one is fuller
    than ``--warn-above`` percent (the bot's check)."""
    repos = await em.repositories.list(entities=True)
    over = [r for r in repos if r.used_ratio is not None and r.used_ratio * 100 > warn_above]
    out.doc.update(
        warn_above=warn_above, over=[r.name for r in over],
        items=[
            {"id": r.id, "name": r.name, "kind": r.kind, "capacity": r.capacity,
             "free_space": r.free_space,
             "used_percent": None if r.used_ratio is None else round(r.used_ratio * 100, 1)}
            for r in repos
        ],
    )  # fmt: skip
    out.table(
        f"{len(repos)} repositories ({len(over)} over {warn_above:g} % used)",
        ["Name", "Kind", "Capacity", "Free", "Used"],
        [
            (r.name, r.kind or "-", _size(r.capacity), _size(r.free_space),
             "-" if r.used_ratio is None else f"{r.used_ratio * 100:.1f} %")
            for r in repos
        ],
    )  # fmt: skip
    return FAILED if over else OK


async def task_show(out: Output, em: EnterpriseManager, ident: str) -> int:
    info = await em.tasks.get(ident)
    out.doc["item"] = task_summary(info)
    success = "-" if info.result is None else ("yes" if info.result.success else "no")
    text = info.result.message if info.result else ""
    out.table(
        "Task", ["Id", "Operation", "State", "Success", "Message"],
        [(info.id, info.operation, info.state, success, text)],
    )  # fmt: skip
    return OK if info.result is None or info.result.success else FAILED
