"""What the simulated backups leave behind: VMs, backups, restore points and the
points of each VM, created by the runs it simulates and by a seeded history.

A Success or Warning run of a backup job adds one restore point to the job's
backup and one VM restore point per VM it processed, dated when the run ended;
a Failed or stopped run adds none. Runs are settled on every request
(`settle`, from `EMState.advance`), so the clock decides, as for retries.

`seed` writes a history with chosen ages (tests and benchmarks), in any order.
Points are kept in one list and indexed by VM name, as EM's database would
index ``VmDisplayName``: the per-VM query integrations send costs the
simulator a dictionary look-up, not a scan of every point. ``version`` changes
with every point added, so the query service can reuse a sorted window.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .job_sessions import FIRST_ROOT, HIERARCHY_ROOTS, vm_names, vm_ref

if TYPE_CHECKING:
    from .job_sessions import SimJobSession

__all__ = ["SimBackup", "SimPoint", "SimProtection", "SimVm"]

#: Bytes a simulated VM holds, and what a full and an incremental point take.
VM_SIZE = 40 << 30
FULL_SIZE = 20 << 30
INCREMENT_SIZE = 2 << 30


@dataclass
class SimVm:
    name: str
    ref: str
    job_id: str | None = None  # the job that includes it, if any

    @property
    def root_id(self) -> str:
        return self.ref.split(":", 3)[3].split(".", 1)[0]


@dataclass
class SimBackup:
    id: str
    name: str
    job_id: str | None
    platform: str = "VMware"
    restore_points: list[tuple[str, float]] = field(default_factory=list)  # (id, created)

    @property
    def uid(self) -> str:
        return f"urn:veeam:Backup:{self.id}"


@dataclass
class SimPoint:
    id: str
    vm: SimVm
    created: float
    backup: SimBackup
    restore_point_id: str
    point_type: str = "Increment"
    algorithm: str = "Incremental"
    size: int = INCREMENT_SIZE
    #: Its query row and its entity's XML, made once: a point never changes.
    row: dict[str, object] | None = None
    xml: str | None = None

    @property
    def uid(self) -> str:
        return f"urn:veeam:VmRestorePoint:{self.id}"


class SimProtection:
    """VMs, backups and points; ``uuid`` makes the ids (the state's seeded generator)."""

    def __init__(self, uuid_source: Callable[[], str]) -> None:
        self._uuid = uuid_source
        self.vms: dict[str, SimVm] = {}  # by reference
        self.backups: dict[str, SimBackup] = {}
        self.points: list[SimPoint] = []
        self.by_id: dict[str, SimPoint] = {}
        self.by_name: dict[str, list[SimPoint]] = {}  # lower-case VM name -> its points
        self.version = 0
        #: Runs that add points when they end well: (run, the VM indexes they process).
        self._pending: list[tuple[SimJobSession, tuple[int, ...]]] = []
        self._job_backups: dict[str, SimBackup] = {}
        self._seeded: SimBackup | None = None

    def vm(self, name: str, ref: str, job_id: str | None = None) -> SimVm:
        found = self.vms.get(ref)
        if found is None:
            found = self.vms[ref] = SimVm(name, ref, job_id)
        return found

    def job_vms(self, job_id: str, job_name: str) -> list[SimVm]:
        return [
            self.vm(name, vm_ref(job_id, i), job_id) for i, name in enumerate(vm_names(job_name))
        ]

    def vms_named(self, name: str, root: str | None = None) -> list[SimVm]:
        wanted = name.lower()
        return [
            v for v in self.vms.values()
            if v.name.lower() == wanted and (root is None or v.root_id == root.lower())
        ]  # fmt: skip

    def add_run(self, run: SimJobSession, vms: Iterable[int]) -> None:
        """Points for ``run`` once it ends with Success or Warning (see `settle`)."""
        self._pending.append((run, tuple(vms)))

    def settle(self, now: float) -> None:
        """Add the points of every pending run that has ended well; drop the others."""
        if not self._pending:
            return
        waiting = []
        for run, indexes in self._pending:
            if now < run.ended_at():
                waiting.append((run, indexes))
            elif run.result(now) in ("Success", "Warning"):
                backup = self._backup_of(run.job_id, run.job_name)
                point_id = self._uuid()
                backup.restore_points.append((point_id, run.ended_at()))
                for index in indexes:
                    vm = self.vm(
                        vm_names(run.job_name)[index], vm_ref(run.job_id, index), run.job_id
                    )
                    self._add(SimPoint(self._uuid(), vm, run.ended_at(), backup, point_id))
        self._pending = waiting

    def seed(
        self,
        vms: int | Iterable[str],
        ages: Iterable[float],
        now: float,
        *,
        root: str = FIRST_ROOT,
        order: Callable[[list[SimPoint]], None] | None = None,
    ) -> list[SimVm]:
        """A history: for each VM (a count, or names), one point per age in ``ages``
        (seconds before ``now``). ``order`` may shuffle the points before they are
        stored (EM lists them in no particular order without a sort)."""
        if root not in HIERARCHY_ROOTS:
            raise ValueError(f"no simulated hierarchy root {root!r}")
        names = [f"seeded-vm{i:05d}" for i in range(vms)] if isinstance(vms, int) else list(vms)
        ages = list(ages)
        if self._seeded is None:
            self._seeded = SimBackup(self._uuid(), "Seeded history", None)
            self.backups[self._seeded.id] = self._seeded
        backup = self._seeded
        added: list[SimPoint] = []
        made: list[SimVm] = []
        for name in names:
            vm = self.vm(name, f"urn:VMware:Vm:{root}.vm-{uuid.UUID(self._uuid()).hex[:12]}")
            made.append(vm)
            for n, age in enumerate(sorted(ages, reverse=True)):
                created = now - age
                point_id = self._uuid()
                backup.restore_points.append((point_id, created))
                full = n == 0
                added.append(
                    SimPoint(self._uuid(), vm, created, backup, point_id,
                             "Full" if full else "Increment", "Full" if full else "Incremental",
                             FULL_SIZE if full else INCREMENT_SIZE)
                )  # fmt: skip
        if order is not None:
            order(added)
        for point in added:
            self._add(point)
        return made

    def _add(self, point: SimPoint) -> None:
        self.points.append(point)
        self.by_id[point.id] = point
        self.by_name.setdefault(point.vm.name.lower(), []).append(point)
        self.version += 1

    def _backup_of(self, job_id: str, job_name: str) -> SimBackup:
        backup = self._job_backups.get(job_id)
        if backup is None:
            backup = self._job_backups[job_id] = SimBackup(self._uuid(), job_name, job_id)
            self.backups[backup.id] = backup
        return backup
