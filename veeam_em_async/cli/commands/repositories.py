"""``veeam-em repositories``: every repository's space, in one query; exit 1 if one
is fuller than ``--warn-above`` percent."""

from __future__ import annotations

import click

from ...client import EnterpriseManager
from ..base import CONTEXT, EXIT_HELP, on_em
from ..exits import FAILED, OK
from ..options import connection_options
from ..output import Output


@click.command("repositories", context_settings=CONTEXT, epilog=EXIT_HELP)
@click.option("--warn-above", type=float, default=85.0, metavar="PERCENT",
              help="exit 1 if a repository is more than this full")  # fmt: skip
@connection_options
def repositories(warn_above: float) -> int:
    """Repository space and % used, in one query (exit 1 if one is too full).

    \b
    Example:
      veeam-em repositories --warn-above 90 -o json
    """
    return on_em("repositories", lambda out, em: report_repositories(out, em, warn_above))


def _size(value: int | None) -> str:
    """Bytes as TiB/GiB with one decimal (EM's repository numbers are bytes)."""
    if value is None:
        return "-"
    for unit, shift in (("TiB", 40), ("GiB", 30)):
        if value >= 1 << shift:
            return f"{value / (1 << shift):.1f} {unit}"
    return f"{value} B"


async def report_repositories(out: Output, em: EnterpriseManager, warn_above: float) -> int:
    """Every repository with its space, in one query; exit 1 if one is fuller
    than ``--warn-above`` percent (the bot's check)."""
    repos = await em.repositories.list(entities=True)
    over = [r for r in repos if r.used_ratio is not None and r.used_ratio * 100 > warn_above]
    out.doc.update(
        warn_above=warn_above, over=[r.name for r in over],
        items=[
            {"id": r.id, "name": r.name, "kind": r.kind, "capacity": r.capacity,
             "free_space": r.free_space,
             "used_percent": None if r.used_ratio is None else round(r.used_ratio * 100, 1)}
            for r in repos
        ],
    )  # fmt: skip
    out.table(
        f"{len(repos)} repositories ({len(over)} over {warn_above:g} % used)",
        ["Name", "Kind", "Capacity", "Free", "Used"],
        [
            (r.name, r.kind or "-", _size(r.capacity), _size(r.free_space),
             "-" if r.used_ratio is None else f"{r.used_ratio * 100:.1f} %")
            for r in repos
        ],
    )  # fmt: skip
    return FAILED if over else OK
