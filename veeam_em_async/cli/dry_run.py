"""``--dry-run``: every action a command would send, and nothing sent.

Built on the client's ``before_action`` hook, as a bot's confirmation would be: the
hook records each `Action` and refuses it with `ActionRefused`, so the command
runs its reads (selection, baselines, the VM's backup server) as it would and the
bulk machinery reports each job as ``dry_run``. The JSON document says
``"dry_run": true`` and lists ``would_send``; the exit status is 0.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs
import click

from ..actions import Action, ActionRefused
from .output import Output

__all__ = ["DryRun", "dry_run_option", "is_dry_run"]

C = TypeVar("C", bound=Any)

_KEY = "dry_run"


class DryRun:
    """The hook of one dry run, and what it was asked to send."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.would_send: list[dict[str, Any]] = []
        out.doc.update(dry_run=True, would_send=self.would_send)

    async def hook(self, action: Action) -> None:
        self.would_send.append(attrs.asdict(action))
        if not self.out.json_mode:
            what = action.target_name or action.target_id or action.path
            self.out.note(f"dry run: would send {action.method} {action.action} to {what}")
        raise ActionRefused("dry run: not sent", action)


def dry_run_option(command: C) -> C:
    """Add ``--dry-run`` to a command (or its function) that sends actions."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.ensure_object(dict)[_KEY] = True
        return value

    return click.option(
        "--dry-run", is_flag=True, expose_value=False, callback=remember,
        help="print what would be sent, send nothing, exit 0",
    )(command)  # fmt: skip


def is_dry_run(ctx: click.Context) -> bool:
    return bool((ctx.obj or {}).get(_KEY))
