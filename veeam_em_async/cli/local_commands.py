"""``veeam-em demo|simulate|profile|completion``: the commands that need no EM."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from . import config, demo
from .base import CONTEXT
from .output import Output
from .settings import execute_local, output_options


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


@click.command("demo", context_settings=CONTEXT)
@lambda c: simulator_options(c, 1.0, 2.0)
def demo_command(**options: Any) -> int:
    """Start every job of an embedded EM simulator and follow each run to its result.

    Needs no EM: the simulator runs in this process. VM, NAS and agent jobs
    are counted apart; backup copy jobs are synced (EM cannot start them).

    \b
    Examples:
      veeam-em demo
      veeam-em demo --jobs 500 --failure-rate 0.2 --session-seconds 5
    """
    return execute_local("demo", lambda out: demo.run_demo(out, options))


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

    options.pop("seed")
    options.update(
        session_links=not no_session_links, faults=Faults(latency=latency),
        job_types=job_types.split(",") if job_types else None,
    )  # fmt: skip
    return execute_local("simulate", lambda out: demo.run_simulate(out, options))


@click.group("profile", context_settings=CONTEXT)
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
    """The profiles, and whether the keyring holds a password for each.

    \b
    Example:
      veeam-em profile list -o json
    """

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
    """Write (or replace) a profile; its password is not asked for here.

    \b
    Example:
      veeam-em profile add prod --url https://em.example:9398 --user 'CORP\\bot'
    """

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
    """Remove a profile from the file.

    \b
    Example:
      veeam-em profile remove lab
    """
    from .exits import UsageError

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
    """Store the profile's password in the system keyring (the keyring extra).

    \b
    Example:
      veeam-em profile set-password prod      # asks twice, or reads VEEAM_EM_PASSWORD
    """

    async def body(out: Output) -> int:
        p = config.load_profile(config.config_path(), name)
        config.store_password(p["url"], p["user"], password)
        out.line(f"password for {p['user']} at {p['url']} stored in the keyring")
        return 0

    return execute_local("profile set-password", body)


@click.command("completion", context_settings=CONTEXT)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_command(shell: str) -> None:
    """Print the shell completion script.

    \b
    Examples:
      eval "$(veeam-em completion bash)"        # in ~/.bashrc
      veeam-em completion fish > ~/.config/fish/completions/veeam-em.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None
    ctx = click.get_current_context()
    root = ctx.find_root().command
    source = completer(root, {}, "veeam-em", "_VEEAM_EM_COMPLETE").source()
    click.echo(source, file=(ctx.obj or {}).get("stream"))
