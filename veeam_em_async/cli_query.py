"""``veeam-em sessions list/watch``, ``veeam-em jobs status`` and job names on the
command line: the query service and the change feed behind the CLI.

Where a command takes a job id it takes a job name too (EM's ``*`` wildcard
allowed): a name is looked up with one query. Times are shown in UTC, as
EM stores them.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .cli_runs import Session, session_dict
from .client import EnterpriseManager
from .filters import F, Filter, one_of

if TYPE_CHECKING:
    from .cli import Output

__all__ = ["job_status", "parse_since", "resolve_jobs", "sessions_list", "sessions_watch"]

_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def looks_like_id(text: str) -> bool:
    return text.startswith("urn:veeam:") or bool(_UUID.fullmatch(text))


def parse_since(text: str) -> datetime | timedelta:
    """``90s``, ``30m``, ``24h``, ``7d`` (back from now) or an ISO 8601 time (UTC if no zone)."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since takes 30m, 24h, 7d or an ISO time, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def resolve_jobs(resource: Any, given: list[str]) -> list[Any]:
    """Ids stay ids; every other argument is a job name (or ``*`` pattern),
    looked up with one query, and must match at least one job."""
    found: list[Any] = []
    for text in given:
        if looks_like_id(text):
            found.append(text)
            continue
        jobs = await resource.find(text)
        if not jobs:
            raise ValueError(f"no job is named {text!r}")
        found.extend(jobs)
    return found


def _when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _row(s: Session) -> tuple[Any, ...]:
    return (s.id, s.job_name, s.result or s.state, _when(s.creation_time), _when(s.end_time))


async def sessions_list(args: argparse.Namespace, out: Output, em: EnterpriseManager) -> int:
    """Sessions newest first, narrowed by ``--since``, ``--result`` and ``--job``."""
    kind = "ReplicaJobSession" if args.replica else "BackupJobSession"
    parts: list[Filter] = []
    if args.since:
        since = parse_since(args.since)
        if isinstance(since, timedelta):
            since = datetime.now(timezone.utc) - since
        parts.append(F.CreationTime >= since)
    if args.result:
        parts.append(one_of("Result", [r.strip() for r in args.result.split(",") if r.strip()]))
    if args.job:
        parts.append(F.JobName == args.job)
    query_filter: Filter | None = None
    for part in parts:
        query_filter = part if query_filter is None else query_filter & part
    query = em.query(kind, filter=query_filter, sort_desc="CreationTime", page_size=500)
    sessions: list[Session] = await query.all()
    if out.json_mode:
        out.json([session_dict(s) for s in sessions])
    else:
        out.table(
            f"{len(sessions)} sessions", ["Id", "Job", "Result", "Created (UTC)", "Ended (UTC)"],
            [_row(s) for s in sessions],
        )  # fmt: skip
    return 0


async def sessions_watch(args: argparse.Namespace, out: Output, em: EnterpriseManager) -> int:
    """One line per run as it ends (``--json``: one object per line), until
    Ctrl-C or ``--count`` runs."""
    results = [r.strip() for r in args.result.split(",")] if args.result else None
    feed = em.backup_sessions.feed(
        since=parse_since(args.since), results=results, interval=args.interval
    )
    seen = 0
    async for session in feed:
        if out.json_mode:
            out.json_line(session_dict(session))
        else:
            out.line(
                f"{_when(session.end_time)}  {session.result or '-':<7}  {session.job_name}",
                flush=True,
            )
        seen += 1
        if args.count and seen >= args.count:
            break
    return 0


async def job_status(args: argparse.Namespace, out: Output, em: EnterpriseManager) -> int:
    """The last result of every job: ``GET /jobs`` for the names, then
    ``last_results`` (three queries for the whole installation)."""
    refs = await em.jobs.list()
    last = await em.jobs.last_results(since=parse_since(args.since))
    rows = []
    for ref in sorted(refs, key=lambda r: r.name or ""):
        session = last.get(ref.uid or "")
        rows.append((ref.name, session.result if session else "no run", session))
    if out.json_mode:
        out.json(
            [
                {"id": ref.id, "name": ref.name, "last": session_dict(last.get(ref.uid or ""))}
                for ref in sorted(refs, key=lambda r: r.name or "")
            ]
        )
    else:
        out.table(
            f"Last result of {len(rows)} jobs (since {args.since})",
            ["Job", "Result", "Ended (UTC)"],
            [(name, result, _when(s.end_time if s else None)) for name, result, s in rows],
        )
    failed = sum(1 for _, result, _ in rows if result == "Failed")
    return 1 if failed else 0


def _size(value: int | None) -> str:
    """Bytes as TiB/GiB with one decimal (EM's repository numbers are bytes)."""
    if value is None:
        return "-"
    for unit, shift in (("TiB", 40), ("GiB", 30)):
        if value >= 1 << shift:
            return f"{value / (1 << shift):.1f} {unit}"
    return f"{value} B"


async def repositories(args: argparse.Namespace, out: Output, em: EnterpriseManager) -> int:
    """Every repository with its space, in one query; exit 1 if one is fuller
    than ``--warn-above`` percent (the bot's check)."""
    repos = await em.repositories.list(entities=True)
    over = [r for r in repos if r.used_ratio is not None and r.used_ratio * 100 > args.warn_above]
    if out.json_mode:
        out.json(
            [
                {
                    "id": r.id, "name": r.name, "kind": r.kind, "capacity": r.capacity,
                    "free_space": r.free_space,
                    "used_percent": None if r.used_ratio is None else round(r.used_ratio * 100, 1),
                }
                for r in repos
            ]
        )  # fmt: skip
    else:
        out.table(
            f"{len(repos)} repositories ({len(over)} over {args.warn_above:g} % used)",
            ["Name", "Kind", "Capacity", "Free", "Used"],
            [
                (
                    r.name, r.kind or "-", _size(r.capacity), _size(r.free_space),
                    "-" if r.used_ratio is None else f"{r.used_ratio * 100:.1f} %",
                )
                for r in repos
            ],
        )  # fmt: skip
    return 1 if over else 0
