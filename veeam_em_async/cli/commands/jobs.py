"""``veeam-em jobs|nas-jobs|agent-jobs``: the job groups' commands and what list,
show and ``jobs status`` do (actions and runs are in `bulk_runs`)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from ...client import EnterpriseManager
from ..base import CONTEXT, DEFAULT_RUN_TIMEOUT, DEFAULT_WAIT_TIMEOUT, EXIT_HELP, on_em
from ..bulk_runs import act, run
from ..dry_run import dry_run_option
from ..exits import FAILED, OK, UsageError
from ..job_names import complete_jobs
from ..options import connection_options, copy_jobs_option, selection
from ..output import Output
from ..selection import Group, group_of, select
from ..shapes import job_summary, session_summary, to_json, yaml_lines
from ..when import parse_since, when


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
        return on_em(f"{name} list", lambda out, em: list_jobs(out, em, name))

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
        return on_em(f"{name} show", lambda out, em: show_job(out, em, name, job))

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
            chosen = await select(group_of(em, group), ids, every, name_like)
            return await act(
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
    return dry_run_option(command)


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
            chosen = await select(group_of(em, group), ids, every, name_like)
            return await run(
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
    return dry_run_option(command)


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
        return on_em("jobs status", lambda out, em: job_status(out, em, since))

    return status


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


async def job_status(out: Output, em: EnterpriseManager, since: str) -> int:
    """The last result of every VM, NAS and agent job: the three groups' entities,
    read together (one query per group and 200 jobs), then one ``last_results``
    over all of them (one query per session type, whichever group runs it: NAS and
    agent jobs run backup sessions too). Exit 1 names the jobs whose last run failed."""
    window = parse_since(since)
    kinds = (None, "NAS", "Agent")
    listed = await asyncio.gather(
        em.jobs.list(entities=True), em.nas_jobs.list(entities=True),
        em.agent_jobs.list(entities=True),
    )  # fmt: skip
    by_name = [sorted(jobs, key=lambda j: j.name or "") for jobs in listed]
    groups = list(zip(kinds, by_name, strict=True))
    every = [job for _, jobs in groups for job in jobs]
    last = await em.jobs.last_results(since=window, jobs=every) if every else {}
    items: list[dict[str, Any]] = []
    rows = []
    for kind, jobs in groups:
        for job in jobs:
            run = last.get(job.uid)
            summary = job_summary(job, kind)
            items.append({"job": summary, "last": session_summary(run)})
            ended = when(run.end_time if run else None)
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


#: The VM jobs' group (backup, replica, backup copy).
jobs_group = job_group(
    "jobs", ("start", "stop", "retry", "sync"), "VM jobs (backup, replica, backup copy)"
)
