"""Check every backup repository's free space: warn above a share used.

One query reads every repository; the exit status is 1 if one is fuller
than ``--warn-above`` percent, so a monitoring system (or cron with mail)
can run it as it is.

    python examples/capacity_check.py --warn-above 85
    python examples/capacity_check.py --simulator            # no EM needed
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from _connect import connect

from veeam_em_async import EnterpriseManager, Repository


async def too_full(em: EnterpriseManager, warn_above: float) -> list[Repository]:
    """The repositories more than ``warn_above`` percent used, after printing all."""
    over = []
    for repo in await em.repositories.list(entities=True):
        if repo.used_ratio is None:
            print(f"{repo.name}: capacity unknown")
            continue
        flag = "  <-- over" if repo.used_ratio * 100 > warn_above else ""
        free_gib = (repo.free_space or 0) / 2**30
        print(f"{repo.name}: {repo.used_ratio:.0%} used, {free_gib:,.0f} GiB free{flag}")
        if flag:
            over.append(repo)
    return over


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warn-above", type=float, default=85.0, help="percent used")
    parser.add_argument("--simulator", action="store_true", help="use the embedded simulator")
    args = parser.parse_args()
    async with connect(args.simulator) as em:
        over = await too_full(em, args.warn_above)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
