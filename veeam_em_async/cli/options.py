"""Connection and output options that work before and after the subcommand, their
environment variables and profiles, merged into one `Settings`.

``veeam-em --url X jobs list``, ``veeam-em jobs --url X list`` and ``veeam-em jobs list
--url X`` mean the same: every group and leaf command takes the root's options too. A
value comes from the command line (the last one given wins), else its environment
variable, else the profile, else the default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import click
from click.core import ParameterSource

from . import config
from .exits import UsageError
from .job_names import complete_jobs
from .output import Mode

F = TypeVar("F", bound=Callable[..., Any])


GIVEN = _GIVEN = "veeam_em.given"  # ctx.meta key of the options given


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
                          "help": "named settings from the config file (veeam-em profile "
                          "list); a,b: a read command on each"}),
        (("--all-profiles",), {"is_flag": True, "default": None,
                               "help": "a read command on every profile's EM (an em column)"}),
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
