"""``veeam-em``: start jobs and watch them finish, from a shell.

``veeam-em demo`` runs the whole story against the embedded simulator;
``veeam-em simulate`` serves the simulator; the other commands talk to a real
EM (``--url``/``--user``/``--password`` or ``VEEAM_EM_URL``/``VEEAM_EM_USER``/
``VEEAM_EM_PASSWORD``). Tables and the progress bar use ``rich`` when it is
installed (``pip install 'veeam_em_async[cli]'``) and plain text otherwise.
Errors print one line and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import getpass
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import attrs

from . import __version__
from .bulk import ActionOutcome, RunOutcome, run_many
from .client import EnterpriseManager
from .errors import TaskFailedError, VeeamEMError
from .handles import Task
from .models import EntityRef, Job, NasJob, TaskInfo
from .policies import PollPolicy

DEMO_POLLING = PollPolicy(initial_delay=0.3, min_interval=0.2, max_interval=1.0, jitter=0.2)
#: A start task only carries the command to the backup server: minutes at most.
DEFAULT_WAIT_TIMEOUT = 600.0
#: How long ``jobs run`` waits for each run by default: backups take hours.
DEFAULT_RUN_TIMEOUT = 4 * 3600.0


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 1."""


# -- output ---------------------------------------------------------------------


class Output:
    """Tables, progress and messages; rich when available and wanted, plain otherwise."""

    def __init__(self, stream: TextIO, *, json_mode: bool = False, color: bool | None = None):
        self.stream = stream
        self.json_mode = json_mode
        self.is_terminal = stream.isatty()
        self.console: Any = None
        if not json_mode:
            try:
                from rich.console import Console
            except ImportError:
                pass
            else:
                width = None if self.is_terminal else 120
                self.console = Console(file=stream, force_terminal=color, width=width)
                # rich would raise SystemExit from inside whatever callback wrote;
                # a BrokenPipeError takes the same quiet way out as plain output.
                self.console.on_broken_pipe = _raise_broken_pipe

    def line(self, text: str = "", flush: bool = False) -> None:
        if self.console is not None:
            self.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.stream)
        if flush:
            self.stream.flush()

    def json(self, data: Any) -> None:
        print(json.dumps(data, indent=2, default=str), file=self.stream)

    def json_line(self, data: Any) -> None:
        """One compact JSON object on one line (a stream of events, JSON Lines)."""
        print(json.dumps(data, default=str), file=self.stream, flush=True)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        cells = [["" if c is None else str(c) for c in row] for row in rows]
        if self.console is not None:
            from rich.table import Table

            table = Table(title=title)
            for column in columns:
                table.add_column(column)
            for row in cells:
                table.add_row(*row)
            self.console.print(table)
            return
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        print(title, file=self.stream)
        print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), file=self.stream)
        print("  ".join("-" * w for w in widths), file=self.stream)
        for row in cells:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)), file=self.stream)

    def progress(self, description: str, total: int) -> Progress:
        return Progress(self, description, total)


def _raise_broken_pipe() -> None:
    raise BrokenPipeError("the reader of standard output went away")


class Progress:
    """A live bar on a terminal with rich; otherwise a line at each quarter."""

    def __init__(self, out: Output, description: str, total: int) -> None:
        self.out, self.description, self.total = out, description, total
        self._bar: Any = None
        self._task: Any = None
        self._next_quarter = 1

    def __enter__(self) -> Progress:
        if self.out.console is not None and self.out.is_terminal and not self.out.json_mode:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self._bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.out.console,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def __call__(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done)
        elif not self.out.json_mode and total and done * 4 >= self._next_quarter * total:
            self._next_quarter = done * 4 // total + 1
            self.out.line(f"{self.description}: {done}/{total}")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def model_dict(model: Any) -> Any:
    """A model as JSON-ready data (with ``id`` for jobs and references)."""
    if isinstance(model, list):
        return [model_dict(item) for item in model]
    data = attrs.asdict(model)
    if isinstance(model, (Job, NasJob, EntityRef)):
        data = {"id": model.id, **data}
    return data


def outcome_dict(outcome: ActionOutcome[Any]) -> dict[str, Any]:
    job = outcome.job
    return {
        "job": job.name if isinstance(job, (EntityRef, Job, NasJob)) else str(job),
        "ok": outcome.ok,
        "task": model_dict(outcome.task) if outcome.task else None,
        "error": str(outcome.error) if outcome.error else None,
    }


def summarize(outcomes: Sequence[ActionOutcome[Any]]) -> tuple[int, int, int]:
    """(succeeded, task failed, other errors)."""
    ok = sum(1 for o in outcomes if o.ok)
    failed = sum(1 for o in outcomes if isinstance(o.error, TaskFailedError))
    return ok, failed, len(outcomes) - ok - failed


# -- the demo -------------------------------------------------------------------


async def run_demo(args: argparse.Namespace, out: Output) -> int:
    from .cli_runs import demo_summary
    from .simulator import EMSimulator

    started = time.perf_counter()
    async with EMSimulator(
        jobs=args.jobs,
        nas_jobs=args.nas_jobs,
        task_seconds=args.task_seconds,
        session_seconds=args.session_seconds,
        failure_rate=args.failure_rate,
        warning_rate=args.warning_rate,
        seed=args.seed,
    ) as sim:
        out.line(f"Embedded Enterprise Manager simulator at {sim.url}")
        async with EnterpriseManager(
            sim.url, sim.username, sim.password, poll_policy=DEMO_POLLING,
            run_poll_policy=DEMO_POLLING, max_connections=20,
        ) as em:  # fmt: skip
            refs = await em.jobs.list()
            jobs = list(await asyncio.gather(*(em.jobs.get(ref) for ref in refs)))
            out.table(
                f"{len(jobs)} jobs",
                ["Name", "Type", "Platform", "Schedule", "Next run"],
                [
                    (
                        j.name,
                        j.job_type,
                        j.platform,
                        "on" if j.schedule_enabled else "off",
                        j.next_run.strftime("%Y-%m-%d %H:%M") if j.next_run else "-",
                    )
                    for j in jobs
                ],
            )
            # Backup copy jobs are synced, the others started: EM's own rule.
            copies = [j for j in jobs if j.job_type in ("BackupCopy", "ImmediateBackupCopy")]
            others = [j for j in jobs if j not in copies]
            nas = await em.nas_jobs.list()
            with out.progress("Starting and awaiting jobs", len(jobs)) as progress:
                finished = [0, 0]

                def part(index: int) -> Callable[[int, int], None]:
                    def report(done: int, _total: int) -> None:
                        finished[index] = done
                        progress(sum(finished), len(jobs))

                    return report

                started_runs, synced_runs, nas_runs = await asyncio.gather(
                    em.jobs.run_many(others, progress=part(0)),
                    em.jobs.run_many(copies, action="sync", progress=part(1)),
                    em.nas_jobs.run_many(nas),
                )
            requests = em.stats.total()
            runs: list[tuple[str, RunOutcome[Any]]] = [
                *zip([str(j.job_type) for j in others], started_runs, strict=True),
                *zip([str(j.job_type) for j in copies], synced_runs, strict=True),
                *(("NasBackup", o) for o in nas_runs),
            ]
        wall = time.perf_counter() - started
        rows, unexpected = demo_summary(runs)
        out.table(
            "Results by job type", ["Job type", "Success", "Warning", "Failed", "Errors"], rows
        )
        failed = sum(row[3] for row in rows)
        expected_failed = sum(
            1 for r in sim.state.job_sessions.values() if r.final_result == "Failed"
        )
        out.table(
            "Summary",
            ["Runs", "Failed runs", "Errors", "Wall time", "Requests sent", "Logons"],
            [(len(runs), failed, unexpected, f"{wall:.2f} s", requests, sim.counters.logons)],
        )
        for _, outcome in runs:
            if not outcome.ok:
                name = getattr(outcome.job, "name", outcome.job)
                out.line(f"  {name}: {outcome.error}")
    if unexpected or failed != expected_failed:
        out.line("Unexpected outcome: see the errors above.")
        return 1
    return 0


async def run_simulate(args: argparse.Namespace, out: Output) -> int:
    from .simulator import EMSimulator, Faults

    sim = EMSimulator(
        jobs=args.jobs,
        nas_jobs=args.nas_jobs,
        task_seconds=args.task_seconds,
        failure_rate=args.failure_rate,
        warning_rate=args.warning_rate,
        session_seconds=args.session_seconds,
        session_links=not args.no_session_links,
        list_delay=args.list_delay,
        history_sessions=args.history_sessions,
        host=args.host,
        port=args.port,
        https=args.https,
        faults=Faults(latency=args.latency),
        job_types=args.job_types.split(",") if args.job_types else None,
        history_tasks=args.history_tasks,
    )
    await sim.start()
    out.line(f"EM simulator serving {sim.api} (user {sim.username!r}, password {sim.password!r})")
    if sim.ca_file:
        out.line(f"CA certificate for clients: {sim.ca_file}")
    out.line("Press Ctrl-C to stop.", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()
    return 0  # pragma: no cover - only Ctrl-C ends it


# -- commands against a real EM ----------------------------------------------------


def connect(args: argparse.Namespace) -> EnterpriseManager:
    url = args.url or os.environ.get("VEEAM_EM_URL")
    user = args.user or os.environ.get("VEEAM_EM_USER")
    password = os.environ.get("VEEAM_EM_PASSWORD")
    if not url:
        raise CLIError("no EM URL: pass --url or set VEEAM_EM_URL")
    if not user:
        raise CLIError("no user: pass --user or set VEEAM_EM_USER")
    if password is None:
        if not sys.stdin.isatty():
            raise CLIError("no password: set VEEAM_EM_PASSWORD (no terminal to prompt on)")
        password = getpass.getpass(f"Password for {user}: ")
    verify: Any = True
    if args.insecure:
        print("warning: TLS certificate verification is disabled (--insecure)", file=sys.stderr)
        verify = False
    elif args.ca_file:
        verify = args.ca_file
    return EnterpriseManager(
        url,
        user,
        password,
        verify_ssl=verify,
        max_connections=args.max_connections,
        timeout=args.timeout,
    )


async def select_jobs(args: argparse.Namespace, resource: Any) -> list[Any]:
    from .cli_query import resolve_jobs

    if args.all:
        refs: list[EntityRef] = await resource.list()
        if args.name_like:
            refs = [r for r in refs if r.name and fnmatch.fnmatchcase(r.name, args.name_like)]
        return refs
    if not args.ids:
        raise CLIError("name at least one job (id or name), or use --all")
    return await resolve_jobs(resource, list(args.ids))


async def run_em_command(args: argparse.Namespace, out: Output) -> int:
    from . import cli_query, cli_runs

    async with connect(args) as em:
        resources: dict[str, Any] = {"nas-jobs": em.nas_jobs, "agent-jobs": em.agent_jobs}
        resource = resources.get(args.group, em.jobs)
        if args.group == "repositories":
            return await cli_query.repositories(args, out, em)
        command = args.command
        if args.group == "tasks":
            info = await em.tasks.get(args.id)
            return show_task(out, info)
        if args.group == "sessions" and command == "list":
            return await cli_query.sessions_list(args, out, em)
        if args.group == "sessions" and command == "watch":
            return await cli_query.sessions_watch(args, out, em)
        if args.group == "sessions":
            return await cli_runs.sessions_command(args, out, em)
        if command == "status":
            return await cli_query.job_status(args, out, em)
        if command == "run":
            return await cli_runs.run_jobs(args, out, em, await select_jobs(args, resource))
        if command == "list":
            refs = await resource.list()
            if out.json_mode:
                out.json(model_dict(refs))
            else:
                out.table(
                    f"{len(refs)} jobs",
                    ["Id", "Name", "Type"],
                    [(r.id, r.name, r.type) for r in refs],
                )
            return 0
        if command == "show":
            matches = await cli_query.resolve_jobs(resource, [args.id])
            if len(matches) > 1:
                raise CLIError(f"{args.id!r} names {len(matches)} jobs: give one name or an id")
            job = await resource.get(matches[0]) if isinstance(matches[0], str) else matches[0]
            if out.json_mode:
                out.json(model_dict(job))
            else:
                rows = [
                    (k, v)
                    for k, v in model_dict(job).items()
                    if k not in ("links", "schedule_options", "info", "includes", "storage_options")
                ]
                out.table(job.name or job.id, ["Field", "Value"], rows)
            return 0
        jobs = await select_jobs(args, resource)
        action: Callable[[Any], Any] = getattr(resource, command.replace("-", "_"))
        if len(jobs) == 1 and not args.all:
            task: Task = await action(jobs[0])
            current = await task.wait(timeout=args.wait_timeout) if args.wait else task.info
            assert current is not None
            return show_task(out, current)
        with out.progress(f"{command} {len(jobs)} jobs", len(jobs)) as progress:
            outcomes = await run_many(
                action,
                jobs,
                concurrency=args.max_connections,
                wait=args.wait,
                poll_policy=None,
                progress=progress,
                timeout=args.wait_timeout,
            )
        if out.json_mode:
            out.json([outcome_dict(o) for o in outcomes])
        else:
            out.table(
                "Outcomes",
                ["Job", "OK", "Task", "State", "Message / error"],
                [
                    (
                        outcome_dict(o)["job"],
                        "yes" if o.ok else "no",
                        o.task.id if o.task else "-",
                        o.task.state if o.task else "-",
                        str(o.error)
                        if o.error
                        else (o.task.result.message if o.task and o.task.result else ""),
                    )
                    for o in outcomes
                ],
            )
        return 0 if all(o.ok for o in outcomes) else 1


def show_task(out: Output, info: TaskInfo) -> int:
    if out.json_mode:
        out.json(model_dict(info))
    else:
        message = info.result.message if info.result else ""
        success = "-" if info.result is None else ("yes" if info.result.success else "no")
        out.table(
            "Task",
            ["Id", "Operation", "State", "Success", "Message"],
            [(info.id, info.operation, info.state, success, message)],
        )
    return 0 if info.result is None or info.result.success else 1


# -- argument parsing -------------------------------------------------------------


def add_wait_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait-timeout",
        type=float,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="SECONDS",
        help=f"with --wait: give up waiting on a task after this long "
        f"(default {DEFAULT_WAIT_TIMEOUT:g}; the task keeps running on EM)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veeam-em", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"veeam-em {__version__}")
    sub = parser.add_subparsers(dest="group", required=True)

    demo = sub.add_parser("demo", help="run the whole story against the embedded simulator")
    demo.add_argument("--jobs", type=int, default=50)
    demo.add_argument("--nas-jobs", type=int, default=5)
    demo.add_argument("--task-seconds", type=float, default=1.0)
    demo.add_argument("--session-seconds", type=float, default=2.0, help="length of a run")
    demo.add_argument("--failure-rate", type=float, default=0.1, help="share of runs that fail")
    demo.add_argument("--warning-rate", type=float, default=0.1)
    demo.add_argument("--seed", type=int, default=1)

    simulate = sub.add_parser("simulate", help="serve the EM simulator until Ctrl-C")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=9398)
    simulate.add_argument("--jobs", type=int, default=50)
    simulate.add_argument("--nas-jobs", type=int, default=5)
    simulate.add_argument("--task-seconds", type=float, default=5.0)
    simulate.add_argument("--session-seconds", type=float, default=None, help="length of a run")
    simulate.add_argument("--failure-rate", type=float, default=0.1, help="share of runs that fail")
    simulate.add_argument("--warning-rate", type=float, default=0.1)
    simulate.add_argument(
        "--no-session-links", action="store_true",
        help="start tasks do not link their session (as older EM builds)",
    )  # fmt: skip
    simulate.add_argument(
        "--list-delay", type=float, default=0.0,
        help="seconds after the start task ends before a run is listed",
    )  # fmt: skip
    simulate.add_argument(
        "--history-sessions", type=int, default=0, help="finished runs every job starts with"
    )
    simulate.add_argument("--https", action="store_true")
    simulate.add_argument(
        "--job-types", help="comma-separated job types to cycle through, e.g. Backup,Replica"
    )
    simulate.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    simulate.add_argument(
        "--history-tasks", type=int, default=0,
        help="finished tasks every new logon session starts with (a long-lived session)",
    )  # fmt: skip

    conn = argparse.ArgumentParser(add_help=False)
    conn.add_argument("--url", help="EM URL (or VEEAM_EM_URL), e.g. https://em:9398")
    conn.add_argument("--user", help="user name (or VEEAM_EM_USER)")
    conn.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    conn.add_argument("--ca-file", help="CA bundle to verify EM's certificate with")
    conn.add_argument("--max-connections", type=int, default=20)
    conn.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    conn.add_argument("--json", action="store_true", help="machine-readable output")

    for group, actions in (
        ("jobs", ("start", "stop", "retry", "sync")),
        ("nas-jobs", ("start", "stop", "retry")),
        ("agent-jobs", ("start", "stop", "retry")),
    ):
        group_parser = sub.add_parser(group, help=f"{group} on a real EM")
        commands = group_parser.add_subparsers(dest="command", required=True)
        commands.add_parser("list", parents=[conn])
        show = commands.add_parser("show", parents=[conn])
        show.add_argument("id", metavar="JOB", help="job id or name")
        if group == "jobs":
            status = commands.add_parser(
                "status", parents=[conn], help="the last result of every job (exit 1 if one failed)"
            )
            status.add_argument(
                "--since", default="7d", help="look back this far for runs (default 7d)"
            )
        for action in actions:
            act = commands.add_parser(action, parents=[conn])
            act.add_argument("ids", nargs="*", metavar="JOB", help="job ids or names (* allowed)")
            act.add_argument("--all", action="store_true", help="every job")
            act.add_argument("--name-like", help="with --all: only names matching this glob")
            act.add_argument("--wait", action="store_true", help="wait until the tasks finish")
            add_wait_timeout(act)
        run_parser = commands.add_parser(
            "run", parents=[conn], help="start jobs and wait for each run's result"
        )
        run_parser.add_argument("ids", nargs="*", metavar="JOB", help="job ids or names")
        run_parser.add_argument("--all", action="store_true", help="every job")
        run_parser.add_argument("--name-like", help="with --all: only names matching this glob")
        run_actions = ("start", "retry", "sync") if group == "jobs" else ("start", "retry")
        run_parser.add_argument("--action", choices=run_actions, default="start")
        run_parser.add_argument(
            "--follow-retries", action="store_true",
            help="a Failed run is not final while EM may retry it (the job's RetryOptions)",
        )  # fmt: skip
        run_parser.add_argument(
            "--run-timeout", type=float, default=DEFAULT_RUN_TIMEOUT, metavar="SECONDS",
            help=f"give up waiting on a run after this long (default {DEFAULT_RUN_TIMEOUT:g}; "
            "the job keeps running on EM)",
        )  # fmt: skip
    repos = sub.add_parser(
        "repositories", parents=[conn], help="repository space, with %% used (exit 1 if too full)"
    )
    repos.add_argument(
        "--warn-above", type=float, default=85.0, metavar="PERCENT",
        help="exit 1 if a repository is more than this full (default 85)",
    )  # fmt: skip
    repos.set_defaults(command="list")
    sessions = sub.add_parser("sessions", help="job sessions (runs) on a real EM")
    session_commands = sessions.add_subparsers(dest="command", required=True)
    for name in ("list", "watch", "show", "stop"):
        session_parser = session_commands.add_parser(name, parents=[conn])
        if name in ("list", "watch"):
            session_parser.add_argument(
                "--since", default="24h" if name == "list" else "0s",
                help="30m, 24h, 7d or an ISO time (list: default 24h; watch: from now)",
            )  # fmt: skip
            session_parser.add_argument("--result", help="only these results, e.g. Failed,Warning")
        if name == "list":
            session_parser.add_argument(
                "--replica", action="store_true", help="replication sessions"
            )
            session_parser.add_argument("--job", help="only this job's runs (name, * allowed)")
        elif name == "watch":
            session_parser.add_argument(
                "--interval", type=float, default=60.0, help="seconds between queries"
            )
            session_parser.add_argument(
                "--count", type=int, default=0, help="stop after this many runs (0: never)"
            )
        else:
            session_parser.add_argument("id")
            session_parser.set_defaults(replica=False)
    tasks = sub.add_parser("tasks", help="tasks on a real EM")
    task_commands = tasks.add_subparsers(dest="command", required=True)
    show_task_parser = task_commands.add_parser("show", parents=[conn])
    show_task_parser.add_argument("id")
    return parser


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Output(stream or sys.stdout, json_mode=getattr(args, "json", False))
    try:
        if args.group == "demo":
            return asyncio.run(run_demo(args, out))
        if args.group == "simulate":
            return asyncio.run(run_simulate(args, out))
        return asyncio.run(run_em_command(args, out))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`veeam-em … | head -1`): stop quietly, as Unix tools
        # do. Every job action in flight was cancelled with the call that wrote.
        _silence_stdout()
        return 1
    except (CLIError, VeeamEMError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot
    print "Exception ignored … BrokenPipeError" (the recipe of Python's
    signal documentation, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (tests pass a StringIO)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
