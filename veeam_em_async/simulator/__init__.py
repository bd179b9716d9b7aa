"""An embedded Enterprise Manager, for demos, tests and benchmarks (like moto for boto).

``async with EMSimulator(jobs=50, task_seconds=1.0) as sim:`` then point an
``EnterpriseManager`` at ``sim.url`` with ``sim.username``/``sim.password``.
It imitates EM as its documentation describes it: Basic logon returning a
token header (and a cookie), idle session expiry, job and NAS job entities,
the job actions with EM's rules, tasks going Running -> OperationFinished ->
Finished, ``<Error>`` bodies; plus fault injection and request counters.
"""

from .config import SimConfig
from .fake_clock import FakeClock
from .faults import Counters, Faults
from .server import EMSimulator
from .state import EMState, SimJob, SimSession, SimTask

__all__ = [
    "Counters",
    "EMSimulator",
    "EMState",
    "FakeClock",
    "Faults",
    "SimConfig",
    "SimJob",
    "SimSession",
    "SimTask",
]
