"""``veeam-em sessions``: job sessions (runs) listed, watched as they end, shown with
each VM's reason, stopped; read through the query service."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import click

from ...actions import ActionRefused
from ...client import EnterpriseManager
from ...errors import NotFoundError
from ...models import ReplicaJobSession
from ...query import F, Filter, one_of
from ..base import CONTEXT, on_em
from ..bulk_runs import reason_lines, vm_reasons
from ..dry_run import dry_run_option
from ..exits import FAILED, OK
from ..options import connection_options
from ..output import Output
from ..shapes import session_summary, task_summary
from ..when import parse_since, when

#: EM's results of a job run (``--result`` takes these, any case).
RESULTS = ("Success", "Warning", "Failed")


def results_option(command: Any) -> Any:
    """``--result Failed,Warning``: EM's results only, checked (a typo is exit 2)."""

    def check(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        given = [part.strip() for part in value.split(",") if part.strip()]
        known = {r.lower(): r for r in RESULTS}
        wrong = [r for r in given if r.lower() not in known]
        if wrong or not given:
            raise click.BadParameter(
                f"{', '.join(wrong) or value!r}: results are {', '.join(RESULTS)}"
            )
        return ",".join(known[r.lower()] for r in given)

    return click.option("--result", callback=check, help="only these results, e.g. Failed,Warning")(
        command
    )


@click.group("sessions", context_settings=CONTEXT)
@connection_options
def sessions_group() -> None:
    """Job sessions (runs): list, watch as they end, show, stop.

    \b
    Examples:
      veeam-em sessions list --since 24h --result Failed,Warning
      veeam-em sessions watch --result Failed -o json   # one JSON object per line
      veeam-em sessions show SESSION_ID
    """


@sessions_group.command("list", context_settings=CONTEXT)
@click.option("--since", default="24h", help="30m, 24h, 7d or an ISO time")
@results_option
@click.option("--job", help="only this job's runs (name, * allowed)")
@click.option("--replica", is_flag=True, help="replication sessions")
@connection_options
def sessions_list(since: str, result: str | None, job: str | None, replica: bool) -> int:
    """Sessions newest first (one query).

    \b
    Examples:
      veeam-em sessions list --since 24h --result Failed,Warning
      veeam-em sessions list --job 'SQL*' --since 7d -o json
    """
    return on_em("sessions list", lambda out, em: list_sessions(
        out, em, since=since, result=result, job=job, replica=replica))  # fmt: skip


@sessions_group.command("watch", context_settings=CONTEXT)
@click.option(
    "--since", default="0s", help="also runs that ended this long ago (default: from now)"
)
@results_option
@click.option("--interval", type=float, default=60.0, help="seconds between queries")
@click.option("--count", type=int, default=0, help="stop after this many runs (0: never)")
@connection_options
def sessions_watch(since: str, result: str | None, interval: float, count: int) -> int:
    """One line per run as it ends, until Ctrl-C (-o json: JSON Lines).

    \b
    Examples:
      veeam-em sessions watch --result Failed,Warning
      veeam-em sessions watch -o json --interval 30 | while read -r run; do …; done
    """
    return on_em("sessions watch", lambda out, em: watch_sessions(
        out, em, since=since, result=result, interval=interval, count=count))  # fmt: skip


@sessions_group.command("show", context_settings=CONTEXT)
@click.argument("session_id", metavar="SESSION")
@connection_options
def sessions_show(session_id: str) -> int:
    """One session, with each VM's reason if it did not succeed (exit 1 if Failed).

    \b
    Example:
      veeam-em sessions show 8f1b3c2e-0d6a-4c3f-9e2b-1a2b3c4d5e6f
    """
    return on_em("sessions show", lambda out, em: show_session(out, em, session_id))


@sessions_group.command("stop", context_settings=CONTEXT)
@click.argument("session_id", metavar="SESSION")
@dry_run_option
@connection_options
def sessions_stop(session_id: str) -> int:
    """Stop a running session and wait until EM has stopped it.

    \b
    Example:
      veeam-em sessions stop 8f1b3c2e-0d6a-4c3f-9e2b-1a2b3c4d5e6f
    """
    return on_em("sessions stop", lambda out, em: stop_session(out, em, session_id))


def _row(s: Any, wide: bool) -> list[Any]:
    row = [s.job_name, s.result or s.state, when(s.creation_time), when(s.end_time)]
    return [*row, s.id] if wide else row


async def list_sessions(
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


async def watch_sessions(
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
                f"{when(session.end_time)}  {session.result or '-':<7}  {session.job_name}",
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


async def show_session(out: Output, em: EnterpriseManager, ident: str) -> int:
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


async def stop_session(out: Output, em: EnterpriseManager, ident: str) -> int:
    session = await find_session(em, ident)
    target = em.replica_sessions if isinstance(session, ReplicaJobSession) else em.backup_sessions
    try:
        task = await target.stop(session)
    except ActionRefused:  # --dry-run: the session was found, and nothing was sent
        out.doc.update(item=session_summary(session), task=None)
        out.line(f"dry run: would stop {session.name} ({session.state}); nothing sent")
        return OK
    info = await task
    session = await target.get(session)
    out.doc.update(item=session_summary(session), task=task_summary(info))
    out.line(f"stopped {session.name}: {session.state} {session.result or ''}".rstrip())
    return OK
