"""``veeam-em simulate``: serve the embedded simulator until Ctrl-C (and the simulator
options the demo shares)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import click

from ..base import CONTEXT
from ..exits import OK
from ..output import Output
from ..runner import execute_local


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


@click.command("simulate", context_settings=CONTEXT)
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
@click.option(
    "--restore-point-vms", type=int, default=0,
    help="VMs with a history of daily restore points (for 'veeam-em protection')",
)  # fmt: skip
@click.option(
    "--restore-point-days", type=int, default=7, help="daily points each of those VMs has"
)
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
    from ...simulator import Faults

    options.pop("seed")
    options.update(
        session_links=not no_session_links, faults=Faults(latency=latency),
        job_types=job_types.split(",") if job_types else None,
    )  # fmt: skip
    return execute_local("simulate", lambda out: run_simulate(out, options))


async def run_simulate(out: Output, options: dict[str, Any]) -> int:
    from ...simulator import EMSimulator

    sim = EMSimulator(**options)
    await sim.start()
    out.line(f"EM simulator serving {sim.api}")
    out.line(f"  user: {sim.username}")
    out.line(f"  password: {sim.password}")
    if sim.ca_file:
        out.line(f"CA certificate for clients: {sim.ca_file}")
    out.line("Press Ctrl-C to stop.", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()
    return OK  # pragma: no cover - only Ctrl-C ends it
