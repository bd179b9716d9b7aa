"""A read command on several EMs: ``--all-profiles`` or ``--profile a,b``.

The command runs once per profile, on its own client, at once (a `Fleet` of
them: an EM that cannot be reached or refuses the logon is reported and the
others go on), and its items are merged with an ``em`` field (and column) saying
which EM each came from. An EM's failure is in ``errors`` (by EM) and on stderr;
the exit status is the worst of the EMs'. Commands that send actions refuse it:
one command should not start jobs on every EM by accident.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Coroutine
from typing import Any

import click

from ..client import EnterpriseManager
from ..fleet import Fleet
from . import config
from .exits import OK, UsageError, exit_code, message
from .options import GIVEN, Settings, settings
from .output import Output
from .runner import connect

__all__ = ["READ_COMMANDS", "profiles_of", "run_on_profiles", "settings_for"]

#: The commands that read, and print a list of ``items``: these take several profiles.
READ_COMMANDS = frozenset({
    "jobs list", "nas-jobs list", "agent-jobs list", "jobs status", "sessions list",
    "repositories", "protection", "vms find",
})  # fmt: skip

Body = Callable[[Output, EnterpriseManager], Coroutine[Any, Any, int]]


def profiles_of(ctx: click.Context) -> list[str] | None:
    """The profiles a command runs on, when more than one was asked for."""
    given = {name: value for name, (value, _rank) in ctx.meta.get(GIVEN, {}).items()}
    if given.get("all_profiles"):
        return config.profile_names(config.config_path())
    profile = given.get("profile")
    if isinstance(profile, str) and "," in profile:
        return [p.strip() for p in profile.split(",") if p.strip()]
    return None


def settings_for(ctx: click.Context, name: str) -> Settings:
    given = ctx.meta.get(GIVEN, {})
    saved = dict(given)
    given.pop("all_profiles", None)
    given["profile"] = (name, 3)
    try:
        return settings(ctx)
    finally:
        ctx.meta[GIVEN] = saved


async def run_on_profiles(
    ctx: click.Context, command: str, body: Body, names: list[str], out: Output,
    client_options: dict[str, Any],
) -> int:  # fmt: skip
    if command not in READ_COMMANDS:
        raise UsageError(f"'{command}' runs on one EM; several profiles work with "
                         f"{', '.join(sorted(READ_COMMANDS))}")  # fmt: skip
    if not names:
        raise UsageError("no profiles in the config file (veeam-em profile add)")
    managers = {name: connect(settings_for(ctx, name), out, client_options) for name in names}

    async def run(em: EnterpriseManager) -> tuple[int, _Collected]:
        own = _Collected(io.StringIO(), mode="wide" if out.wide else "table")
        code = await body(own, em)
        return code, own

    async with Fleet(managers) as fleet:
        results = await fleet.each(run)
    items: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    codes: list[int] = []
    columns: list[str] = []
    rows: list[list[Any]] = []
    for name, result in results.items():
        if result.error is not None or result.value is None:
            error = result.error or RuntimeError("no result")
            errors[name] = message(error)
            codes.append(exit_code(error))
            out.note(f"error: {name}: {errors[name]}")
            continue
        code, own = result.value
        codes.append(code)
        items += [{"em": name, **item} for item in own.doc.get("items", [])]
        columns = columns or own.columns  # the command's own table, with an EM column
        rows += [[name, *row] for row in own.rows]
    out.doc.update(ems=names, errors=errors, items=items)
    out.table(f"{command} on {len(names)} EMs ({len(errors)} failed)", ["EM", *columns], rows)
    return max(codes, default=OK)


class _Collected(Output):
    """One EM's run: its JSON keys in ``doc`` as usual, its table kept (not printed)
    for the merged one, its lines dropped (the merged table says it all)."""

    def __init__(self, stream: io.StringIO, *, mode: Any) -> None:
        super().__init__(stream, mode=mode)
        self.columns: list[str] = []
        self.rows: list[list[Any]] = []

    def table(self, title: str, columns: Any, rows: Any, *, compact: bool = False) -> None:
        self.columns = list(columns)
        self.rows += [list(row) for row in rows]

    def line(self, text: str = "", flush: bool = False) -> None:
        pass
