"""The ``veeam-em`` command tree (click): commands, options, help and examples.

Each command's function only reads its arguments and hands a coroutine to
:func:`~veeam_em_async.cli.settings.execute`, which owns connecting, output,
errors and exit statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import click

from .. import __version__
from ..client import EnterpriseManager
from . import config, demo, jobs, sessions
from .output import Output
from .settings import Settings, connect, connection_options, execute, output_options

#: A start task only carries the command to the backup server: minutes at most.
DEFAULT_WAIT_TIMEOUT = 600.0
#: How long ``jobs run`` waits for each run by default: backups take hours.
DEFAULT_RUN_TIMEOUT = 4 * 3600.0

ENV_HELP = """\b
Environment: VEEAM_EM_URL, VEEAM_EM_USER, VEEAM_EM_PASSWORD, VEEAM_EM_PROFILE,
VEEAM_EM_CA_FILE, VEEAM_EM_INSECURE, VEEAM_EM_TIMEOUT, VEEAM_EM_MAX_CONNECTIONS,
VEEAM_EM_OUTPUT, VEEAM_EM_CONFIG (the profiles file)."""

EXIT_HELP = """\b
Exit status: 0 ok, 1 failed, 2 usage, 3 authentication, 4 not found,
5 some jobs of a bulk action failed, 130 interrupted."""

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100, "show_default": True}


def on_em(
    command: str, body: Callable[[Output, EnterpriseManager], Coroutine[Any, Any, int]]
) -> int:
    """Run ``body`` with a logged-on client, as ``command``."""

    async def with_client(s: Settings, out: Output) -> int:
        async with connect(s, out) as em:
            return await body(out, em)

    return execute(click.get_current_context(), command, with_client)


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


def job_group(name: str, actions: tuple[str, ...], what: str) -> click.Group:
    @click.group(name, context_settings=CONTEXT, epilog=EXIT_HELP)
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
        """Every job, with its type, platform and schedule (one query per 200 jobs)."""
        return on_em(f"{name} list", lambda out, em: jobs.list_jobs(out, em, name))

    @group.command("show", context_settings=CONTEXT)
    @click.argument("job", metavar="JOB")
    @connection_options
    def show(job: str) -> int:
        """One job by id or name: its settings (-o wide or json: all of them)."""
        return on_em(f"{name} show", lambda out, em: jobs.show_job(out, em, name, job))

    for action in actions:
        group.add_command(action_command(name, action))
    group.add_command(run_command(name))
    if name == "jobs":
        group.add_command(status_command())
    return group


def selection(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--name-like", metavar="GLOB", help="with --all: only names matching this glob"
    )(command)
    command = click.option("--all", "every", is_flag=True, help="every job of this kind")(command)
    return click.argument("ids", nargs=-1, metavar="[JOB]...")(command)


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
    @selection
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
    @selection
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


cli.add_command(
    job_group("jobs", ("start", "stop", "retry", "sync"), "VM jobs (backup, replica, backup copy)")
)
cli.add_command(job_group("nas-jobs", ("start", "stop", "retry"), "File share (NAS) backup jobs"))
cli.add_command(job_group("agent-jobs", ("start", "stop", "retry"), "Veeam Agent backup jobs"))


@cli.group("sessions", context_settings=CONTEXT)
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
@click.option("--result", help="only these results, e.g. Failed,Warning")
@click.option("--job", help="only this job's runs (name, * allowed)")
@click.option("--replica", is_flag=True, help="replication sessions")
@connection_options
def sessions_list(since: str, result: str | None, job: str | None, replica: bool) -> int:
    """Sessions newest first (one query)."""
    return on_em("sessions list", lambda out, em: sessions.sessions_list(
        out, em, since=since, result=result, job=job, replica=replica))  # fmt: skip


@sessions_group.command("watch", context_settings=CONTEXT)
@click.option(
    "--since", default="0s", help="also runs that ended this long ago (default: from now)"
)
@click.option("--result", help="only these results, e.g. Failed,Warning")
@click.option("--interval", type=float, default=60.0, help="seconds between queries")
@click.option("--count", type=int, default=0, help="stop after this many runs (0: never)")
@connection_options
def sessions_watch(since: str, result: str | None, interval: float, count: int) -> int:
    """One line per run as it ends, until Ctrl-C (-o json: JSON Lines)."""
    return on_em("sessions watch", lambda out, em: sessions.sessions_watch(
        out, em, since=since, result=result, interval=interval, count=count))  # fmt: skip


@sessions_group.command("show", context_settings=CONTEXT)
@click.argument("session_id", metavar="SESSION")
@connection_options
def sessions_show(session_id: str) -> int:
    """One session, with each VM's reason if it did not succeed (exit 1 if Failed)."""
    return on_em("sessions show", lambda out, em: sessions.session_show(out, em, session_id))


@sessions_group.command("stop", context_settings=CONTEXT)
@click.argument("session_id", metavar="SESSION")
@connection_options
def sessions_stop(session_id: str) -> int:
    """Stop a running session and wait until EM has stopped it."""
    return on_em("sessions stop", lambda out, em: sessions.session_stop(out, em, session_id))


@cli.group("tasks", context_settings=CONTEXT)
def tasks_group() -> None:
    """EM's tasks, by the id an action printed."""


@tasks_group.command("show", context_settings=CONTEXT)
@click.argument("task_id", metavar="TASK")
@connection_options
def tasks_show(task_id: str) -> int:
    """One task: its state and result (exit 1 if it failed).

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


def simulator_options(
    command: Callable[..., Any], task_seconds: float, session_seconds: float | None
) -> Callable[..., Any]:
    specs: list[tuple[str, dict[str, Any]]] = [
        ("--jobs", {"type": int, "default": 50,
                    "help": "VM jobs (7 backup, 1 replica, 2 backup copy in 10)"}),
        ("--nas-jobs", {"type": int, "default": 5, "help": "file share backup jobs"}),
        ("--agent-jobs", {"type": int, "default": 3, "help": "agent backup jobs"}),
        ("--task-seconds", {"type": float, "default": task_seconds,
                            "help": "how long a start task runs"}),
        ("--session-seconds", {"type": float, "default": session_seconds,
                               "help": "how long a run lasts (none: twice --task-seconds)"}),
        ("--failure-rate", {"type": float, "default": 0.1,
                            "help": "share of runs that end Failed"}),
        ("--warning-rate", {"type": float, "default": 0.1,
                            "help": "share of runs that end Warning"}),
        ("--seed", {"type": int, "default": 1, "help": "the random seed of results"}),
    ]  # fmt: skip
    for decl, spec in reversed(specs):
        command = click.option(decl, **spec)(command)
    return command


@cli.command("demo", context_settings=CONTEXT)
@lambda c: simulator_options(c, 1.0, 2.0)
def demo_command(**options: Any) -> int:
    """Start every job of an embedded EM simulator and follow each run to its result.

    Needs no EM: the simulator runs in this process. VM, NAS and agent jobs
    are counted apart; backup copy jobs are synced (EM cannot start them).
    """
    from .settings import execute_local

    return execute_local("demo", lambda out: demo.run_demo(out, options))


@cli.command("simulate", context_settings=CONTEXT)
@lambda c: simulator_options(c, 5.0, None)
@click.option("--host", default="127.0.0.1", help="address to listen on")
@click.option("--port", type=int, default=9398, help="port to listen on (EM's is 9398)")
@click.option("--https", is_flag=True, help="serve TLS with a certificate made at start")
@click.option(
    "--no-session-links",
    is_flag=True,
    help="start tasks do not link their session (older EM builds)",
)
@click.option(
    "--list-delay", type=float, default=0.0, help="seconds after a start before its run is listed"
)
@click.option("--history-sessions", type=int, default=0, help="finished runs every job starts with")
@click.option(
    "--history-tasks", type=int, default=0, help="finished tasks every logon session starts with"
)
@click.option("--job-types", help="comma-separated job types to cycle through, e.g. Backup,Replica")
@click.option("--latency", type=float, default=0.0, help="seconds added to every answer")
def simulate_command(
    no_session_links: bool, latency: float, job_types: str | None, **options: Any
) -> int:
    """Serve the EM simulator until Ctrl-C, for trying the CLI or your own code.

    \b
    Example:
      veeam-em simulate --port 9398 &
      VEEAM_EM_URL=http://127.0.0.1:9398 VEEAM_EM_USER='TECH\\simulator' \\
        VEEAM_EM_PASSWORD=simulator-password veeam-em jobs list
    """
    from ..simulator import Faults
    from .settings import execute_local

    options.pop("seed")
    options.update(
        session_links=not no_session_links, faults=Faults(latency=latency),
        job_types=job_types.split(",") if job_types else None,
    )  # fmt: skip
    return execute_local("simulate", lambda out: demo.run_simulate(out, options))


@cli.group("profile", context_settings=CONTEXT)
def profile_group() -> None:
    """Named settings in ~/.config/veeam-em/config.ini (never a password).

    \b
    Examples:
      veeam-em profile add prod --url https://em:9398 --user 'CORP\\bot'
      veeam-em profile set-password prod      # into the system keyring
      veeam-em --profile prod jobs list
    """


@profile_group.command("list", context_settings=CONTEXT)
@output_options
def profile_list() -> int:
    """The profiles, and whether the keyring holds a password for each."""
    from .settings import execute_local

    async def body(out: Output) -> int:
        path = config.config_path()
        items = []
        for name in config.profile_names(path):
            p = config.load_profile(path, name)
            stored = bool(
                p.get("url") and p.get("user") and config.keyring_password(p["url"], p["user"])
            )
            items.append({"name": name, **p, "password_in_keyring": stored})
        out.doc.update(path=str(path), items=items)
        rows = [
            (i["name"], i.get("url"), i.get("user"), "yes" if i["password_in_keyring"] else "no")
            for i in items
        ]
        out.table(str(path), ["Profile", "URL", "User", "Password in keyring"], rows)
        return 0

    return execute_local("profile list", body)


@profile_group.command("add", context_settings=CONTEXT)
@click.argument("name")
@click.option("--url", required=True, help="EM's address, e.g. https://em:9398")
@click.option("--user", required=True, help="user name, DOMAIN\\user for a domain account")
@click.option("--ca-file", help="CA bundle to verify EM's certificate with")
@click.option("--insecure", is_flag=True, default=None, help="do not verify TLS certificates")
@click.option("--timeout", type=float, help="seconds per request")
@output_options
def profile_add(name: str, **settings: Any) -> int:
    """Write (or replace) a profile; its password is not asked for here."""
    from .settings import execute_local

    async def body(out: Output) -> int:
        path = config.config_path()
        config.save_profile(path, name, {k: v for k, v in settings.items() if v is not None})
        out.doc.update(path=str(path), item={"name": name, **settings})
        out.line(f"profile {name!r} saved in {path}")
        return 0

    return execute_local("profile add", body)


@profile_group.command("remove", context_settings=CONTEXT)
@click.argument("name")
@output_options
def profile_remove(name: str) -> int:
    """Remove a profile from the file."""
    from .exits import UsageError
    from .settings import execute_local

    async def body(out: Output) -> int:
        if not config.remove_profile(config.config_path(), name):
            raise UsageError(f"no profile {name!r}")
        out.line(f"profile {name!r} removed")
        return 0

    return execute_local("profile remove", body)


@profile_group.command("set-password", context_settings=CONTEXT)
@click.argument("name")
@click.password_option(
    envvar="VEEAM_EM_PASSWORD", help="asked for when not set in VEEAM_EM_PASSWORD"
)
@output_options
def profile_set_password(name: str, password: str) -> int:
    """Store the profile's password in the system keyring (the keyring extra)."""
    from .settings import execute_local

    async def body(out: Output) -> int:
        p = config.load_profile(config.config_path(), name)
        config.store_password(p["url"], p["user"], password)
        out.line(f"password for {p['user']} at {p['url']} stored in the keyring")
        return 0

    return execute_local("profile set-password", body)


@cli.command("completion", context_settings=CONTEXT)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script.

    \b
    Examples:
      eval "$(veeam-em completion bash)"        # in ~/.bashrc
      veeam-em completion fish > ~/.config/fish/completions/veeam-em.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None
    stream = (click.get_current_context().obj or {}).get("stream")
    click.echo(completer(cli, {}, "veeam-em", "_VEEAM_EM_COMPLETE").source(), file=stream)
