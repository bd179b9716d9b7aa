"""Connection and output options that work before and after the subcommand,
their environment variables, profiles, and running one command to its exit status.

``veeam-em --url X jobs list`` and ``veeam-em jobs list --url X`` mean the
same: every leaf command takes the root's options too. A value comes from the
command line (the last one given wins), else its environment variable, else
the profile, else the default.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs
import click
from click.core import ParameterSource

from ..client import EnterpriseManager
from ..errors import VeeamEMError
from . import config
from .exits import INTERRUPTED, JobNotFoundError, UsageError, exit_code, hint, message
from .interrupt import Interrupt, UserInterruptError, interruptible
from .output import Mode, Output

F = TypeVar("F", bound=Callable[..., Any])
_GIVEN = "veeam_em.given"


@attrs.frozen
class Settings:
    url: str | None = None
    user: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    timeout: float = 60.0
    max_connections: int = 20
    output: Mode = "table"
    profile: str | None = None


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep an option's value for `settings`: a value typed on the command
    line beats one from the environment; a later one beats an earlier one."""
    if value is None or value is False or param.name is None:
        return value
    name = "output" if param.name == "json" else param.name
    value = "json" if param.name == "json" else value
    rank = 2 if ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE else 1
    given = ctx.meta.setdefault(_GIVEN, {})
    if name not in given or rank >= given[name][1]:
        given[name] = (value, rank)
    return value


def output_options(command: F) -> F:
    """``-o``/``--json`` alone, for the commands that need no EM (profiles)."""
    command = click.option("--json", is_flag=True, default=None, callback=_remember,
                           expose_value=False, help="the same as -o json")(command)  # fmt: skip
    return click.option(
        "-o", "--output", envvar="VEEAM_EM_OUTPUT", type=click.Choice(["table", "wide", "json"]),
        callback=_remember, expose_value=False, show_envvar=True,
        help="table, wide (more columns) or json  [default: table]",
    )(command)  # fmt: skip


def connection_options(command: F) -> F:
    """The options of the root and of every command that talks to EM."""
    specs: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("--profile",), {"envvar": "VEEAM_EM_PROFILE", "metavar": "NAME",
                          "help": "named settings from the config file (veeam-em profile list)"}),
        (("--url",), {"envvar": "VEEAM_EM_URL", "help": "EM's address, e.g. https://em:9398"}),
        (("--user",), {"envvar": "VEEAM_EM_USER", "help": "user name, DOMAIN\\user for a domain "
                       "account (the password comes from VEEAM_EM_PASSWORD, the keyring or a "
                       "prompt)"}),
        (("--ca-file",), {"envvar": "VEEAM_EM_CA_FILE", "type": click.Path(dir_okay=False),
                          "help": "CA bundle to verify EM's certificate with"}),
        (("--insecure",), {"envvar": "VEEAM_EM_INSECURE", "is_flag": True, "default": None,
                           "help": "do not verify TLS certificates (warns)"}),
        (("--timeout",), {"envvar": "VEEAM_EM_TIMEOUT", "type": float, "metavar": "SECONDS",
                          "help": "seconds per request  [default: 60]"}),
        (("--max-connections",), {"envvar": "VEEAM_EM_MAX_CONNECTIONS", "type": int,
                                  "metavar": "N",
                                  "help": "requests in flight at most  [default: 20]"}),
        (("-o", "--output"), {"envvar": "VEEAM_EM_OUTPUT",
                              "type": click.Choice(["table", "wide", "json"]),
                              "help": "table, wide (more columns) or json  [default: table]"}),
        (("--json",), {"is_flag": True, "default": None, "help": "the same as -o json"}),
    ]  # fmt: skip
    for decls, spec in reversed(specs):
        command = click.option(
            *decls, callback=_remember, expose_value=False, show_envvar=True, **spec
        )(command)
    return command


def settings(ctx: click.Context, *, use_profile: bool = True) -> Settings:
    """The options given anywhere on the command line or in the environment,
    over the profile's (unless the command needs no EM), over the defaults."""
    given = {name: value for name, (value, _rank) in ctx.meta.get(_GIVEN, {}).items()}
    profile = {}
    if use_profile:
        profile = config.load_profile(config.config_path(), given.get("profile"))
    merged = {**profile, **given}  # the defaults are Settings'
    if merged.get("output", "table") not in ("table", "wide", "json"):
        raise UsageError(f"output must be table, wide or json, not {merged['output']!r}")
    values: dict[str, Any] = {
        field.name: merged.get(field.name, field.default) for field in attrs.fields(Settings)
    }
    return Settings(**values)


def password_for(s: Settings, out: Output) -> str:
    """VEEAM_EM_PASSWORD, else the keyring's, else a prompt on a terminal."""
    assert s.url is not None and s.user is not None
    password = os.environ.get("VEEAM_EM_PASSWORD")
    if password is None:
        password = config.keyring_password(s.url, s.user)
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError(
                "no password: set VEEAM_EM_PASSWORD, store one with "
                "`veeam-em profile set-password`, or run on a terminal to be asked"
            )
        password = click.prompt(f"Password for {s.user}", hide_input=True, err=True)
    return password


def connect(
    s: Settings, out: Output, client_options: Mapping[str, Any] | None = None
) -> EnterpriseManager:
    if not s.url:
        raise UsageError("no EM URL: pass --url, set VEEAM_EM_URL, or use a --profile")
    if urlsplit(s.url).scheme not in ("http", "https") or "://" not in s.url:
        raise UsageError(
            f"the URL needs https:// (or http://), e.g. https://{s.url.split('://')[-1]}"
        )
    if not s.user:
        raise UsageError("no user: pass --user, set VEEAM_EM_USER, or use a --profile")
    verify: Any = True
    if s.insecure:
        out.note("warning: TLS certificate verification is disabled (--insecure)")
        verify = False
    elif s.ca_file:
        verify = s.ca_file
    return EnterpriseManager(
        s.url, s.user, password_for(s, out), verify_ssl=verify,
        max_connections=s.max_connections, timeout=s.timeout, **(client_options or {}),
    )  # fmt: skip


#: What an error no command expects (a bug) says, instead of a traceback.
_BUG_HINT = "this is a bug in veeam-em; VEEAM_EM_DEBUG=1 shows its traceback"


def execute(
    ctx: click.Context,
    command: str,
    body: Callable[[Settings, Output], Coroutine[Any, Any, int]],
    use_profile: bool = True,
) -> int:
    """Run one command: its exit status, one JSON document in JSON mode, and
    every error as one line on stderr (with a hint when one helps)."""
    stream = ctx.obj.get("stream") if ctx.obj else None
    try:
        s = settings(ctx, use_profile=use_profile)
    except UsageError as exc:
        click.echo(f"error: {exc}", err=True)
        return exit_code(exc)
    out = Output(stream or sys.stdout, mode=s.output)
    out.command = command
    interrupt = Interrupt()
    if ctx.obj is not None:
        ctx.obj["interrupt"] = interrupt
    try:
        code = asyncio.run(interruptible(body(s, out), interrupt))
    except (UserInterruptError, KeyboardInterrupt):
        return _interrupted(out, cancelled=True)
    except BrokenPipeError:
        # The reader went away (`veeam-em … | head -1`): stop quietly, as Unix tools
        # do. Every job action in flight was cancelled with the call that wrote.
        _silence_stdout()
        return 1
    except Exception as exc:
        if interrupt.requested:  # what winding down refused (a query cut short)
            return _interrupted(out, cancelled=True)
        expected = isinstance(
            exc, (UsageError, JobNotFoundError, VeeamEMError, ValueError, OSError)
        )
        if not expected and os.environ.get("VEEAM_EM_DEBUG"):
            raise
        text = message(exc) if expected else f"{type(exc).__name__}: {exc}"
        help_text = hint(exc, s.url) if expected else _BUG_HINT
        out.note(f"error: {text}")
        if help_text:
            out.note(f"hint: {help_text}")
        code = exit_code(exc)
        out.finish(code, error={"type": type(exc).__name__, "message": text, "hint": help_text})
        return code
    if interrupt.requested:
        return _interrupted(out, cancelled=False)
    out.finish(code)
    return code


def _interrupted(out: Output, *, cancelled: bool) -> int:
    """A command ended by Ctrl-C: say so (and, if it sent actions, that EM goes on
    with what it accepted), and print the document it has. A command that was
    ``cancelled`` (not wound down to its end) records its totals here."""
    if cancelled:
        for record in out.on_interrupt:
            record()
    if "results" in out.doc:
        out.note("interrupted: nothing more was sent; what EM accepted keeps running there")
    else:
        out.note("interrupted")
    out.finish(INTERRUPTED, interrupted=True)
    return INTERRUPTED


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot
    print "Exception ignored … BrokenPipeError" (the recipe of Python's
    signal documentation, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (tests pass a StringIO)
        pass


def execute_local(command: str, body: Callable[[Output], Coroutine[Any, Any, int]]) -> int:
    """`execute` for a command that needs no EM (the demo, profiles): a
    broken or missing profile does not stop it."""
    return execute(click.get_current_context(), command, lambda _s, out: body(out), False)
