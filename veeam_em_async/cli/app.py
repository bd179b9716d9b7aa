"""The ``veeam-em`` command tree (click): commands, options, help and examples.

Each command's function only reads its arguments and hands a coroutine to
`execute`, which owns connecting, output,
errors and exit statuses.
"""

from __future__ import annotations

from typing import Any

import click

from .. import __version__
from . import sessions
from .base import CONTEXT, ENV_HELP, EXIT_HELP, on_em
from .job_commands import job_group
from .local_commands import completion_command, demo_command, profile_group, simulate_command
from .settings import connection_options

#: EM's results of a job run (``--result`` takes these, any case).
RESULTS = ("Success", "Warning", "Failed")


@click.group(context_settings=CONTEXT, epilog=f"{ENV_HELP}\n\n{EXIT_HELP}")
@click.version_option(__version__, "-V", "--version", prog_name="veeam-em")
@connection_options
def cli() -> None:
    """Start Veeam Backup Enterprise Manager jobs and watch them finish.

    \b
    Examples:
      veeam-em demo                                   # everything, on the embedded simulator
      veeam-em --url https://em:9398 --user 'CORP\\bot' jobs list
      veeam-em jobs start --all --name-like 'SQL*' --wait
      veeam-em jobs run 'SQL Backup' -o json
      veeam-em --profile prod sessions list --since 24h --result Failed
    """


cli.add_command(
    job_group("jobs", ("start", "stop", "retry", "sync"), "VM jobs (backup, replica, backup copy)")
)
cli.add_command(job_group("nas-jobs", ("start", "stop", "retry"), "File share (NAS) backup jobs"))
cli.add_command(job_group("agent-jobs", ("start", "stop", "retry"), "Veeam Agent backup jobs"))
for _local in (demo_command, simulate_command, profile_group, completion_command):
    cli.add_command(_local)


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


@cli.group("sessions", context_settings=CONTEXT)
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
    return on_em("sessions list", lambda out, em: sessions.sessions_list(
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
    return on_em("sessions watch", lambda out, em: sessions.sessions_watch(
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
    return on_em("sessions show", lambda out, em: sessions.session_show(out, em, session_id))


@sessions_group.command("stop", context_settings=CONTEXT)
@click.argument("session_id", metavar="SESSION")
@connection_options
def sessions_stop(session_id: str) -> int:
    """Stop a running session and wait until EM has stopped it.

    \b
    Example:
      veeam-em sessions stop 8f1b3c2e-0d6a-4c3f-9e2b-1a2b3c4d5e6f
    """
    return on_em("sessions stop", lambda out, em: sessions.session_stop(out, em, session_id))


@cli.group("tasks", context_settings=CONTEXT)
@connection_options
def tasks_group() -> None:
    """EM's tasks, by the id an action printed."""


@tasks_group.command("show", context_settings=CONTEXT)
@click.argument("task_id", metavar="TASK")
@connection_options
def tasks_show(task_id: str) -> int:
    """One task: its state and result (exit 1 if it failed).

    EM keeps a task only within the logon session that created it, and every
    veeam-em command logs on anew: a task id printed by an earlier command is
    gone (exit 4, TaskLostError). Its outcome is in the job's sessions.

    \b
    Example:
      veeam-em tasks show task-7
    """
    return on_em("tasks show", lambda out, em: sessions.task_show(out, em, task_id))


@cli.command("repositories", context_settings=CONTEXT, epilog=EXIT_HELP)
@click.option("--warn-above", type=float, default=85.0, metavar="PERCENT",
              help="exit 1 if a repository is more than this full")  # fmt: skip
@connection_options
def repositories(warn_above: float) -> int:
    """Repository space and % used, in one query (exit 1 if one is too full).

    \b
    Example:
      veeam-em repositories --warn-above 90 -o json
    """
    return on_em("repositories", lambda out, em: sessions.repositories(out, em, warn_above))


def _plain_defaults(command: click.Command) -> None:
    """Give every option without a default ``None`` (a flag: ``False``), the value
    it gets anyway, instead of click 8.3's ``UNSET`` sentinel: the CLI reference
    (mkdocs-click) prints an option's default as it is, "Sentinel.UNSET" included."""
    unset = getattr(click.core, "UNSET", None)
    if unset is None:  # click before 8.3
        return

    def plain(param: click.Parameter | None) -> None:
        if isinstance(param, click.Option) and param.default is unset:
            param.default = False if param.is_flag else None

    for param in command.params:
        plain(param)
    make_help = command.get_help_option  # -h/--help is made per context

    def get_help_option(ctx: click.Context) -> click.Option | None:
        option = make_help(ctx)
        plain(option)
        return option

    setattr(command, "get_help_option", get_help_option)  # noqa: B010 - on this instance
    for sub in getattr(command, "commands", {}).values():
        _plain_defaults(sub)


_plain_defaults(cli)
