"""``veeam-em jobs|nas-jobs|agent-jobs``: the command tree of the job groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..client import EnterpriseManager
from . import jobs, sessions
from .base import CONTEXT, DEFAULT_RUN_TIMEOUT, DEFAULT_WAIT_TIMEOUT, EXIT_HELP, on_em
from .completion import complete_jobs
from .output import Output
from .settings import connection_options


def job_group(name: str, actions: tuple[str, ...], what: str) -> click.Group:
    @click.group(name, context_settings=CONTEXT, epilog=EXIT_HELP)
    @connection_options
    def group() -> None:
        pass

    group.help = f"""{what}: list, show, {", ".join(actions)}, run.

    \b
    Examples:
      veeam-em {name} list -o wide
      veeam-em {name} show 'Job name'
      veeam-em {name} start 'Job name' --wait
      veeam-em {name} run --all --name-like 'SQL*'
    """

    @group.command("list", context_settings=CONTEXT)
    @connection_options
    def list_() -> int:
        return on_em(f"{name} list", lambda out, em: jobs.list_jobs(out, em, name))

    list_.help = f"""Every job, with its type, platform and schedule (one query per 200 jobs).

    \b
    Examples:
      veeam-em {name} list -o wide
      veeam-em {name} list -o json | jq -r '.items[] | select(.schedule_enabled) | .name'
    """

    @group.command("show", context_settings=CONTEXT)
    @click.argument("job", metavar="JOB", shell_complete=complete_jobs(name))
    @connection_options
    def show(job: str) -> int:
        return on_em(f"{name} show", lambda out, em: jobs.show_job(out, em, name, job))

    show.help = f"""One job by id or name: its settings (-o wide or json: all of them).

    \b
    Examples:
      veeam-em {name} show 'Job name'
      veeam-em {name} show 5658281f-625e-4627-89dd-d2a0c48be99e -o json
    """

    for action in actions:
        group.add_command(action_command(name, action))
    group.add_command(run_command(name))
    if name == "jobs":
        group.add_command(status_command())
    return group


def selection(group: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def add(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--name-like", metavar="GLOB", help="with --all: only names matching this glob"
        )(command)
        command = click.option("--all", "every", is_flag=True, help="every job of this kind")(
            command
        )
        return click.argument(
            "ids", nargs=-1, metavar="[JOB]...", shell_complete=complete_jobs(group)
        )(command)

    return add


def copy_jobs_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--copy-jobs", type=click.Choice(["skip", "sync", "start"]), default="skip",
        help="backup copy jobs cannot be started: skip them (with a reason), sync them "
        "instead, or send start anyway (EM refuses it)",
    )(command)  # fmt: skip


def action_command(group: str, action: str) -> click.Command:
    verb = {
        "start": "Start", "stop": "Stop the running session of",
        "retry": "Retry the last failed run of", "sync": "Sync (backup copy jobs)",
    }[action]  # fmt: skip

    @click.command(action, context_settings=CONTEXT, epilog=EXIT_HELP)
    @selection(group)
    @click.option("--wait", is_flag=True, help="wait until each task finishes")
    @click.option(
        "--wait-timeout", type=float, default=DEFAULT_WAIT_TIMEOUT, metavar="SECONDS",
        help="with --wait: give up on a task after this long (it keeps running on EM)",
    )  # fmt: skip
    @connection_options
    def command(ids: tuple[str, ...], every: bool, name_like: str | None, wait: bool,
                wait_timeout: float, copy_jobs: str = "start") -> int:  # fmt: skip
        async def body(out: Output, em: EnterpriseManager) -> int:
            chosen = await jobs.select(jobs.group_of(em, group), ids, every, name_like)
            return await jobs.act(
                out, em, group, action, chosen, wait=wait, wait_timeout=wait_timeout,
                copy_jobs=copy_jobs,
            )  # fmt: skip

        return on_em(f"{group} {action}", body)

    command.help = f"""{verb} jobs, by id, name (* allowed) or --all.

    Each task id is printed as EM accepts it (stderr; in the JSON with -o json),
    and a totals line ends the output.

    \b
    Examples:
      veeam-em {group} {action} 'Job name' --wait
      veeam-em {group} {action} --all --name-like 'SQL*' -o json
    """
    if group == "jobs" and action == "start":
        copy_jobs_option(command)
    return command


def run_command(group: str) -> click.Command:
    run_actions = ["start", "retry", "sync"] if group == "jobs" else ["start", "retry"]

    @click.command("run", context_settings=CONTEXT, epilog=EXIT_HELP)
    @selection(group)
    @click.option(
        "--action", type=click.Choice(run_actions), default="start", help="what starts the run"
    )
    @click.option(
        "--follow-retries",
        is_flag=True,
        help="a Failed run is not final while EM may retry it (the job's RetryOptions)",
    )
    @click.option(
        "--run-timeout",
        type=float,
        default=DEFAULT_RUN_TIMEOUT,
        metavar="SECONDS",
        help="give up waiting on a run after this long (the job keeps running on EM)",
    )
    @connection_options
    def command(
        ids: tuple[str, ...], every: bool, name_like: str | None, action: str,
        follow_retries: bool, run_timeout: float, copy_jobs: str = "start",
    ) -> int:  # fmt: skip
        async def body(out: Output, em: EnterpriseManager) -> int:
            chosen = await jobs.select(jobs.group_of(em, group), ids, every, name_like)
            return await jobs.run(
                out, em, group, action, chosen, follow_retries=follow_retries,
                run_timeout=run_timeout, copy_jobs=copy_jobs,
            )  # fmt: skip

        return on_em(f"{group} run", body)

    command.help = f"""Start jobs and wait for each run's result (Success, Warning, Failed).

    A failed or warned run shows each VM's reason.

    \b
    Examples:
      veeam-em {group} run 'Job name'
      veeam-em {group} run --all --name-like 'SQL*' --run-timeout 7200 -o json
    """
    if group == "jobs":
        copy_jobs_option(command)
    return command


def status_command() -> click.Command:
    @click.command("status", context_settings=CONTEXT, epilog=EXIT_HELP)
    @click.option(
        "--since", default="7d", help="look back this far for runs (30m, 24h, 7d, ISO time)"
    )
    @connection_options
    def status(since: str) -> int:
        """The last result of every job (exit 1 if one failed).

        \b
        Example:
          veeam-em jobs status --since 24h -o json
        """
        return on_em("jobs status", lambda out, em: sessions.job_status(out, em, since))

    return status
