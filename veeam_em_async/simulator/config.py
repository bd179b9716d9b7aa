"""What a simulator is made with: one frozen value, read by the server and the state.

``EMSimulator(jobs=200, failure_rate=0.1)`` takes any of these as a keyword, or a
whole ``SimConfig`` (``EMSimulator(config)``, with keywords on top). ``clock`` is the
simulator's time (seconds since its epoch): share a ``FakeClock``'s ``now`` with the
client's clock to run hours in no real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import attrs

from .documents import EPOCH

__all__ = ["SimConfig", "wall_seconds"]


def wall_seconds() -> float:
    """The default clock: seconds since the simulator's epoch, so that the times the
    simulator reports are the real UTC time (a ``--since 24h`` finds its runs)."""
    return time.time() - EPOCH


def _tuple(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen(kw_only=True)
class SimConfig:
    """The simulator's settings (see `EMSimulator` for what each one does)."""

    jobs: int = 50
    nas_jobs: int = 5
    agent_jobs: int = 3
    #: Backup servers EM manages; the jobs are all on the first, the others are empty.
    backup_servers: int = 1
    #: Replaces the mix of 7 backup, 1 replica and 2 backup copy jobs in 10.
    job_types: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    task_seconds: float = 1.0
    #: How long a run lasts (default: ``task_seconds``).
    session_seconds: float | None = None
    failure_rate: float = 0.0
    warning_rate: float = 0.0
    start_failure_rate: float = 0.0
    session_links: bool = True
    list_delay: float = 0.0
    history_sessions: int = 0
    #: VMs with a seeded history of restore points (one a day, the newest
    #: ``restore_point_hours`` old), stored out of creation order.
    restore_point_vms: int = 0
    restore_point_days: int = 7
    restore_point_hours: float = 3.0
    history_tasks: int = 0
    session_timeout: float = 15 * 60
    #: Tasks belong to the logon session that created them, as on a real EM.
    session_tasks: bool = True
    seed: int = 1
    api_versions: tuple[str, ...] = attrs.field(default=("v1_5", "v1_6", "v1_7"), converter=tuple)
    username: str = "TECH\\simulator"
    password: str = "simulator-password"  # noqa: S105 - a fake EM's fake password
    host: str = "127.0.0.1"
    port: int = 0
    https: bool = False
    clock: Callable[[], float] = wall_seconds
