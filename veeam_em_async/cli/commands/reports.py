"""``veeam-em reports``: EM's summary reports, one request each."""

from __future__ import annotations

from typing import Any

import attrs
import click

from ...client import EnterpriseManager
from ..base import CONTEXT, on_em
from ..exits import OK
from ..options import connection_options
from ..output import Output
from ..shapes import to_json


@click.group("reports", context_settings=CONTEXT)
@connection_options
def reports_group() -> None:
    """EM's summary reports: overview, jobs, vms, repositories."""


def _fields(out: Output, title: str, report: Any) -> int:
    """A report's every field: a two-column table, and ``item`` in the JSON."""
    data = to_json(report)
    out.doc["item"] = data
    out.table(title, ["Field", "Value"], list(data.items()))
    return OK


async def _overview(out: Output, em: EnterpriseManager) -> int:
    return _fields(out, "Overview", await em.reports.overview())


async def _jobs(out: Output, em: EnterpriseManager) -> int:
    return _fields(out, "Job statistics", await em.reports.job_statistics())


async def _vms(out: Output, em: EnterpriseManager) -> int:
    return _fields(out, "VMs overview", await em.reports.vms_overview())


async def _repositories(out: Output, em: EnterpriseManager) -> int:
    report = await em.reports.repositories()
    out.doc["item"] = {
        "capacity_planning_report_link": report.capacity_planning_report_link,
        "periods": [
            {**attrs.asdict(p, recurse=False), "free_ratio": p.free_ratio} for p in report.periods
        ],
    }
    out.table(
        "Repositories (-1: EM cannot read it)", ["Name", "Capacity", "Free", "Backups", "Free %"],
        [(p.name, p.capacity, p.free_space, p.backup_size,
          "-" if p.free_ratio is None else f"{p.free_ratio * 100:.1f} %")
         for p in report.periods],
    )  # fmt: skip
    return OK


@reports_group.command("overview", context_settings=CONTEXT)
@connection_options
def overview() -> int:
    """Servers, jobs and the VMs' latest states (GET /reports/summary/overview).

    \b
    Example:
      veeam-em reports overview -o json
    """
    return on_em("reports overview", _overview)


@reports_group.command("jobs", context_settings=CONTEXT)
@connection_options
def jobs() -> int:
    """Job runs by result and the longest runs (GET /reports/summary/job_statistics).

    \b
    Example:
      veeam-em reports jobs -o json
    """
    return on_em("reports jobs", _jobs)


@reports_group.command("vms", context_settings=CONTEXT)
@connection_options
def vms() -> int:
    """Protected VMs, restore points and sizes (GET /reports/summary/vms_overview).

    \b
    Example:
      veeam-em reports vms -o json
    """
    return on_em("reports vms", _vms)


@reports_group.command("repositories", context_settings=CONTEXT)
@connection_options
def repositories() -> int:
    """Capacity, free space and backup size per repository (GET /reports/summary/repository).

    \b
    Example:
      veeam-em reports repositories -o json
    """
    return on_em("reports repositories", _repositories)
