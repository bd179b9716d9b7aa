"""``veeam-em protection``: is every VM's data recent enough? The RPO report, breaches
first; exit 1 when there is a breach."""

from __future__ import annotations

from typing import Any

import click

from ...client import EnterpriseManager
from ...models import VmProtection
from ..base import CONTEXT, EXIT_HELP, on_em
from ..exits import FAILED, OK
from ..options import connection_options
from ..output import Output
from ..when import parse_duration, parse_since, when


def _age(vm: VmProtection) -> str:
    if vm.age is None:
        return "-"
    hours = vm.age.total_seconds() / 3600
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


def protection_row(vm: VmProtection) -> dict[str, Any]:
    """One VM's verdict in the JSON document."""
    latest = vm.latest
    return {
        "vm": vm.vm_name, "hierarchy_ref": vm.hierarchy_ref, "ok": vm.ok, "reason": vm.reason,
        "age_seconds": None if vm.age is None else round(vm.age.total_seconds()),
        "latest": None if latest is None else {
            "id": latest.id, "creation_time": latest.creation_time.isoformat()
            if latest.creation_time else None, "backup_server_uid": latest.backup_server_uid,
        },
    }  # fmt: skip


@click.command("protection", context_settings=CONTEXT, epilog=EXIT_HELP)
@click.option(
    "--max-age",
    default="24h",
    show_default=True,
    help="a VM whose newest restore point is older breaches (the RPO)",
)
@click.option(
    "--since",
    default="7d",
    show_default=True,
    help="how far back to read restore points (30m, 24h, 7d or an ISO time)",
)
@click.option(
    "--vm",
    "vms",
    multiple=True,
    metavar="NAME",
    help="a VM that must have a point (repeatable): a breach if it has none",
)
@connection_options
def protection_command(max_age: str, since: str, vms: tuple[str, ...]) -> int:  # fmt: skip
    """Each VM's newest restore point against the RPO: breaches first (exit 1 if any).

    \b
    Examples:
      veeam-em protection --max-age 24h
      veeam-em protection --vm sql01 --vm web01 -o json
    """
    return on_em("protection", lambda out, em: report(out, em, max_age, since, list(vms)))


async def report(
    out: Output, em: EnterpriseManager, max_age_text: str, since_text: str, vms: list[str]
) -> int:
    max_age, since = parse_duration(max_age_text, "--max-age"), parse_since(since_text)
    result = await em.protection(max_age=max_age, since=since, vms=vms or None)
    breaches = result.breaches
    out.doc.update(
        max_age_seconds=round(max_age.total_seconds()), since=result.since.isoformat(),
        checked_at=result.checked_at.isoformat(), points_read=result.points_read,
        breaches=len(breaches), items=[protection_row(vm) for vm in result.vms],
    )  # fmt: skip
    hours = max_age.total_seconds() / 3600
    shown = breaches if breaches and not out.wide else result.vms
    out.table(
        f"{len(breaches)} of {len(result.vms)} VMs breach the {hours:g} h RPO"
        + (" (all VMs: -o wide)" if breaches and not out.wide else ""),
        ["VM", "Newest point", "Age", "Status"],
        [
            (vm.vm_name or vm.hierarchy_ref,
             when(vm.latest.creation_time) if vm.latest else "-", _age(vm),
             "ok" if vm.ok else f"BREACH: {vm.reason}")
            for vm in shown
        ],
    )  # fmt: skip
    return FAILED if breaches else OK
