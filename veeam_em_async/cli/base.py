"""What every ``veeam-em`` command shares: click's settings, the help epilogs,
and running a command with a logged-on client."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import click

from ..client import EnterpriseManager
from .dry_run import DryRun, is_dry_run
from .interrupt import INTERRUPT_GRACE
from .options import Settings
from .output import Output
from .profiles_run import profiles_of, run_on_profiles
from .runner import connect, execute

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

    ctx = click.get_current_context()
    options = dict((ctx.obj or {}).get("client_options") or {})
    dry_run = is_dry_run(ctx)

    names = profiles_of(ctx)

    async def with_client(s: Settings, out: Output) -> int:
        if dry_run:
            options["before_action"] = DryRun(out).hook
        if names is not None:  # --all-profiles, --profile a,b
            return await run_on_profiles(ctx, command, body, names, out, options)
        async with connect(s, out, options) as em:
            interrupt = (ctx.obj or {}).get("interrupt")
            if interrupt is not None:  # Ctrl-C: send nothing more, let the sent be answered
                interrupt.wind_down.append(lambda: em.drain(INTERRUPT_GRACE))
            return await body(out, em)

    return execute(ctx, command, with_client, use_profile=names is None)
