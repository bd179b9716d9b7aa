"""The RPO report: is each VM's newest restore point recent enough? Pure.

`NewestPoints` folds a stream of points read newest first into the newest
point per VM, keyed by ``hierarchy_ref``, so that memory follows the number
of VMs, never the number of points read; `ProtectionReport.build` turns it
into a verdict per VM.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import attrs

from .datetimes import parse_datetime
from .hierarchy import root_id_of
from .restore_points import VmRestorePoint

__all__ = ["NewestPoints", "ProtectionReport", "VmProtection", "vm_key"]


def vm_key(point: VmRestorePoint) -> str:
    """What tells two VMs apart: the ``HierarchyObjRef`` (the point's UID when EM
    sent none, so that such a point is never merged with another VM's)."""
    return point.hierarchy_ref or point.uid


class NewestPoints:
    """The newest point of each VM among the points given.

    `add` keeps a point only if it is the first of its VM or newer than the one
    kept, so the order of arrival does not matter for the result; read newest
    first (``sortDesc=CreationTime``), every later point of a VM is dropped at
    once.
    """

    def __init__(self) -> None:
        self.by_vm: dict[str, VmRestorePoint] = {}
        self.seen = 0

    def add(self, point: VmRestorePoint) -> None:
        self.seen += 1
        key = vm_key(point)
        kept = self.by_vm.get(key)
        if kept is None or _newer(point, kept):
            self.by_vm[key] = point

    def extend(self, points: Iterable[VmRestorePoint]) -> None:
        for point in points:
            self.add(point)

    def wants(self, raw: Any) -> bool:
        """Whether a point, as xmltodict left it, could be newer than the one kept
        for its VM (a ``keep`` for the query: read newest first, most points are
        a VM's older ones, and are counted here without becoming models)."""
        if not isinstance(raw, dict):
            return True
        ref, created = raw.get("HierarchyObjRef"), raw.get("CreationTimeUTC")
        kept = self.by_vm.get(ref) if isinstance(ref, str) else None
        if kept is None or kept.creation_time is None or not isinstance(created, str):
            return True
        try:
            newer = parse_datetime(created) > kept.creation_time
        except ValueError:
            return True  # the model's structuring says what is wrong with it
        if not newer:
            self.seen += 1
        return newer


def _newer(point: VmRestorePoint, kept: VmRestorePoint) -> bool:
    if point.creation_time is None:
        return False
    return kept.creation_time is None or point.creation_time > kept.creation_time


@attrs.frozen
class VmProtection:
    """One VM's verdict: ``ok`` when its newest point is no older than ``max_age``.

    ``reason`` says why a VM breaches: ``"no restore point"`` (named in
    ``vms=`` but none found since the window's start) or ``"newest point is
    26h old (max 24h)"``.
    """

    vm_name: str | None
    hierarchy_ref: str | None
    latest: VmRestorePoint | None
    age: timedelta | None
    ok: bool
    max_age: timedelta

    @property
    def reason(self) -> str | None:
        if self.ok:
            return None
        if self.latest is None or self.age is None:
            return "no restore point"
        return f"newest point is {_hours(self.age)} old (max {_hours(self.max_age)})"

    @property
    def backup_server_uid(self) -> str | None:
        return self.latest.backup_server_uid if self.latest is not None else None

    @property
    def root_id(self) -> str | None:
        return root_id_of(self.hierarchy_ref) if self.hierarchy_ref else None


def _hours(delta: timedelta) -> str:
    """``30h``, ``24.5h``: never rounded onto the limit it is compared with."""
    return f"{delta.total_seconds() / 3600:.1f}".rstrip("0").rstrip(".") + "h"


@attrs.frozen
class ProtectionReport:
    """Every VM checked, breaches first (then by name): ``report.breaches`` is the
    list to act on, ``report.ok`` whether there is none."""

    vms: list[VmProtection]
    checked_at: datetime
    max_age: timedelta
    since: datetime
    points_read: int = 0

    @property
    def breaches(self) -> list[VmProtection]:
        return [vm for vm in self.vms if not vm.ok]

    @property
    def ok(self) -> bool:
        return all(vm.ok for vm in self.vms)

    @classmethod
    def build(
        cls,
        newest: NewestPoints,
        *,
        now: datetime,
        max_age: timedelta,
        since: datetime,
        wanted: Iterable[str] = (),
    ) -> ProtectionReport:
        """The verdicts for every VM with a point, plus each name or reference in
        ``wanted`` that matched none (a breach with ``latest=None``)."""
        verdicts: list[VmProtection] = []
        for point in newest.by_vm.values():
            age = now - point.creation_time if point.creation_time is not None else None
            ok = age is not None and age <= max_age
            verdicts.append(VmProtection(point.vm_name, point.hierarchy_ref or None, point,
                                         age, ok, max_age))  # fmt: skip
        names = {(v.vm_name or "").lower() for v in verdicts}
        refs = {v.hierarchy_ref for v in verdicts if v.hierarchy_ref}
        for item in wanted:
            if item in refs or item.lower() in names:
                continue
            is_ref = root_id_of(item) is not None
            verdicts.append(VmProtection(None if is_ref else item, item if is_ref else None,
                                         None, None, False, max_age))  # fmt: skip
        verdicts.sort(key=lambda v: (v.ok, (v.vm_name or v.hierarchy_ref or "").lower()))
        return cls(verdicts, now, max_age, since, newest.seen)
