"""The ``veeam-em`` command tree (click): the root group, and one module a noun in
`commands` (jobs, nas-jobs, agent-jobs, sessions, tasks, repositories, protection,
reports, vms, exporter, profile, demo, simulate, completion), each holding its commands and what
they do. Running a command (connecting, Ctrl-C, output, exit status) is `runner`'s; the
options, `options`'.
"""

from __future__ import annotations

import click

from .. import __version__
from .base import CONTEXT, ENV_HELP, EXIT_HELP
from .commands.agent_jobs import agent_jobs_group
from .commands.completion import completion_command
from .commands.demo import demo_command
from .commands.exporter import exporter_command
from .commands.jobs import jobs_group
from .commands.nas_jobs import nas_jobs_group
from .commands.profile import profile_group
from .commands.protection import protection_command
from .commands.reports import reports_group
from .commands.repositories import repositories
from .commands.sessions import sessions_group
from .commands.simulate import simulate_command
from .commands.tasks import tasks_group
from .commands.vms import vms_group
from .options import connection_options


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
      veeam-em protection --max-age 24h               # VMs whose newest point is too old
    """


for _command in (
    jobs_group, nas_jobs_group, agent_jobs_group, sessions_group, tasks_group, repositories,
    protection_command, reports_group, vms_group, exporter_command, demo_command,
    simulate_command,
    profile_group, completion_command,
):  # fmt: skip
    cli.add_command(_command)


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


#: The root's options, which every group and command takes too (`options`).
GLOBAL = {"profile", "all_profiles", "url", "user", "ca_file", "insecure", "timeout",
          "max_connections", "output", "json"}  # fmt: skip
INHERITED = (
    "Global options (--url, --user, --profile, --ca-file, --insecure, --timeout, "
    "--max-connections, -o/--json) work here too: see veeam-em --help."
)


def _global_options_once(command: click.Command) -> None:
    """The root's options are taken everywhere (before or after the noun) but shown
    once, in ``veeam-em --help``; every other help says so in one line."""
    for sub in getattr(command, "commands", {}).values():
        if any(p.name in GLOBAL for p in sub.params):
            for param in sub.params:
                if param.name in GLOBAL:
                    param.hidden = True
            sub.epilog = f"{sub.epilog}\n\n{INHERITED}" if sub.epilog else INHERITED
        _global_options_once(sub)


_global_options_once(cli)
