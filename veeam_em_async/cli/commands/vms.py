"""``veeam-em vms``: find a VM by name across the hierarchy roots, and back VMs up
now (EM's quick backup), awaited to each run's result."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from ...actions import ActionRefused
from ...client import EnterpriseManager
from ...errors import RunFailedError
from ...models import HierarchyItem, root_id_of
from ..base import CONTEXT, EXIT_HELP, on_em
from ..bulk_runs import reason_lines, vm_reasons
from ..dry_run import dry_run_option
from ..exits import FAILED, OK, JobNotFoundError, UsageError, bulk_status
from ..options import connection_options
from ..output import Output
from ..shapes import session_summary


@click.group("vms", context_settings=CONTEXT)
@connection_options
def vms_group() -> None:
    """Find VMs, and back them up now (quick backup)."""


def item_row(item: HierarchyItem) -> dict[str, Any]:
    return {"name": item.name, "ref": item.ref, "type": item.type, "root_uid": item.root_uid}


@vms_group.command("find", context_settings=CONTEXT, epilog=EXIT_HELP)
@click.argument("name")
@connection_options
def vms_find(name: str) -> int:
    """Every VM named NAME, on every hierarchy root (exit 4 if none).

    \b
    Example:
      veeam-em vms find sql01 -o json
    """
    return on_em("vms find", lambda out, em: find(out, em, name))


async def find(out: Output, em: EnterpriseManager, name: str) -> int:
    items = await em.vms.find(name)
    out.doc["items"] = [item_row(i) for i in items]
    out.table(f"{len(items)} VMs named {name!r}", ["Name", "Reference"],
              [(i.name, i.ref) for i in items])  # fmt: skip
    if not items:
        raise JobNotFoundError(f"no VM named {name!r} on any hierarchy root")
    return OK


@vms_group.command("backup", context_settings=CONTEXT, epilog=EXIT_HELP)
@click.argument("names", nargs=-1, required=True, metavar="NAME_OR_REF...")
@click.option("--run-timeout", type=float, default=3600.0, show_default=True, metavar="SECONDS",
              help="seconds to wait for each run")  # fmt: skip
@dry_run_option
@connection_options
def vms_backup(names: tuple[str, ...], run_timeout: float) -> int:
    """Back each VM up now (one quick backup each) and wait for each run's result.

    A name must match one VM (a name on two vCenters: give its reference, from
    'veeam-em vms find'). Exit 0 if every run succeeded, 1 if all failed, 5 if some.

    \b
    Example:
      veeam-em vms backup sql01 web01
    """
    return on_em("vms backup", lambda out, em: backup(out, em, list(names), run_timeout))


async def _resolve(em: EnterpriseManager, names: list[str]) -> list[HierarchyItem]:
    """Each name or reference as the one VM it names (exit 4 / 2 if none or several)."""

    async def one(text: str) -> HierarchyItem:
        if root_id_of(text) is not None:
            return HierarchyItem(ref=text, name=None, type="Vm")
        found = await em.vms.find(text)
        if not found:
            raise JobNotFoundError(f"no VM named {text!r} on any hierarchy root")
        if len(found) > 1:
            refs = ", ".join(i.ref for i in found)
            raise UsageError(f"{len(found)} VMs are named {text!r}; give one reference: {refs}")
        return found[0]

    return list(await asyncio.gather(*(one(n) for n in names)))


async def backup(out: Output, em: EnterpriseManager, names: list[str], timeout: float) -> int:
    items = await _resolve(em, names)
    entries: list[dict[str, Any]] = [
        {"vm": item_row(i), "status": "pending", "session": None, "result": None,
         "vm_reasons": [], "error": None}
        for i in items
    ]  # fmt: skip
    out.doc["results"] = entries
    with out.progress("backups finished", total=len(items)) as progress:
        outcomes = await em.vms.backup_many(items, progress=progress, timeout=timeout)
    reasons = await asyncio.gather(*(vm_reasons(em, o.session) for o in outcomes))
    for entry, outcome, vms in zip(entries, outcomes, reasons, strict=True):
        session = outcome.session
        status = str(session.result).lower() if outcome.ok and session else (
            "failed" if isinstance(outcome.error, RunFailedError)
            else "dry_run" if isinstance(outcome.error, ActionRefused) else "error")  # fmt: skip
        entry.update(status=status, session=session_summary(session), vm_reasons=vms,
                     result=session.result if session else None,
                     error=None if outcome.ok else str(outcome.error))  # fmt: skip
    out.table(
        "Quick backups", ["VM", "Result", "Session", "Reasons / error"],
        [(e["vm"]["name"] or e["vm"]["ref"], e["result"] or e["status"],
          (e["session"] or {}).get("id") or "-",
          "; ".join(reason_lines(e["vm_reasons"])) or e["error"] or "")
         for e in entries],
    )  # fmt: skip
    ok = sum(o.ok for o in outcomes)
    dry = sum(e["status"] == "dry_run" for e in entries)
    failed = len(entries) - ok - dry
    out.doc["totals"] = {"vms": len(entries), "succeeded": ok, "failed": failed, "dry_run": dry}
    out.line(f"Totals: {len(entries)} VMs, {ok} ok, {failed} failed"
             + (f", {dry} not sent (dry run)" if dry else ""))  # fmt: skip
    if len(entries) == 1:
        return FAILED if failed else OK
    return bulk_status(ok, failed)
