"""``em.vm_restore_points`` and ``em.protection()``: is each VM's data recent enough?

Integrations today ask for the newest point VM by VM
(``sortDesc=CreationTime&pageSize=1`` per VM): one request per VM. Here the
window's points are read once, newest first, page by page
(⌈points in window / page size⌉ requests), and folded into the newest point
per VM as they arrive (`NewestPoints`): a page is dropped once read (two more
are on their way meanwhile), so memory follows the number of VMs, not the
number of points. EM pages by offset: a point created during the reading moves
the others one place on, so one may be read twice (and kept once), never missed;
retention deletes the oldest points, at the end of a newest-first window.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Union

from ..clock import utc_now, window_start
from ..ids import entity_id
from ..models import (
    VM_RESTORE_POINT,
    EntityRef,
    NewestPoints,
    ProtectionReport,
    VmRestorePoint,
)
from ..query import F, Query
from ..query._filters import Filter
from .base import Resource

VmRestorePointLike = Union[str, EntityRef, VmRestorePoint]

#: Points per page when reading a window: a point is about 1.7 kB of XML, so a
#: page stays under 2 MB while a week of 5,000 VMs takes 35 requests.
POINT_PAGE_SIZE = 1000
#: Pages asked for ahead of the one being folded: EM renders the next while this
#: process parses the last. Memory: the VMs' points and at most 3 pages.
READ_AHEAD = 2


class VmRestorePointsResource(Resource):
    """Restore points of single VMs (``/vmRestorePoints``, ``type=VmRestorePoint``)."""

    async def get(self, point: VmRestorePointLike) -> VmRestorePoint:
        """``GET /vmRestorePoints/{id}?format=Entity``."""
        path = f"vmRestorePoints/{entity_id(point, 'VmRestorePoint')}"
        return await self._get(path, VM_RESTORE_POINT, params={"format": "Entity"})

    def query(
        self,
        vm_name: str | None = None,
        since: datetime | timedelta | None = None,
        *,
        backup_server: str | None = None,
        page_size: int = POINT_PAGE_SIZE,
    ) -> Query[VmRestorePoint]:
        """The points newest first (``sortDesc=CreationTime``), filtered by the VM's
        name (``VmDisplayName``), a window start and a backup server UID, as an
        async iterator; pages are fetched as iteration reaches them."""
        conditions: list[Filter] = []
        if vm_name is not None:
            conditions.append(F.VmDisplayName == vm_name)
        if since is not None:
            conditions.append(F.CreationTime >= window_start(self._transport.clock, since))
        if backup_server is not None:
            conditions.append(F.BackupServerUid == backup_server)
        where: Filter | None = None
        for part in conditions:
            where = part if where is None else where & part
        return self._query(
            "VmRestorePoint", filter=where, sort_desc="CreationTime", page_size=page_size
        )

    async def latest(
        self,
        since: datetime | timedelta = timedelta(days=7),
        vms: Iterable[str] | None = None,
        *,
        page_size: int = POINT_PAGE_SIZE,
    ) -> dict[str, VmRestorePoint]:
        """The newest point of each VM created since ``since``, keyed by its
        ``hierarchy_ref`` (two VMs of one name on two vCenters are two entries).

        ``vms`` (names or hierarchy refs) keeps only those VMs. Each page of the
        window is read once: ⌈points / page_size⌉ requests.
        """
        newest = await self.newest(since, page_size=page_size)
        points = newest.by_vm
        if vms is None:
            return dict(points)
        wanted = {v.lower() for v in vms}
        return {
            key: point
            for key, point in points.items()
            if key in wanted
            or (point.hierarchy_ref or "").lower() in wanted
            or (point.vm_name or "").lower() in wanted
        }

    async def protection(
        self,
        max_age: timedelta = timedelta(hours=24),
        since: datetime | timedelta = timedelta(days=7),
        vms: Iterable[str] | None = None,
        *,
        page_size: int = POINT_PAGE_SIZE,
    ) -> ProtectionReport:
        """The RPO report (see `EnterpriseManager.protection`)."""
        if max_age <= timedelta(0):
            raise ValueError("max_age must be positive")
        clock = self._transport.clock
        low = window_start(clock, since)
        newest = await self.newest(low, page_size=page_size)
        return ProtectionReport.build(
            newest, now=utc_now(clock), max_age=max_age, since=low, wanted=list(vms or ())
        )

    async def newest(
        self, since: datetime | timedelta, *, page_size: int = POINT_PAGE_SIZE
    ) -> NewestPoints:
        """The newest point of each VM among those created since ``since``: the RPO
        report's one reading (a caller that keeps it between readings, as the
        exporter does, reads only what is new the next time)."""
        newest = NewestPoints()
        query = self.query(since=since, page_size=page_size)
        async with contextlib.aclosing(query.pages(READ_AHEAD, keep=newest.wants)) as pages:
            async for page in pages:
                newest.extend(page.items)
        return newest


class ProtectionMethods:
    """``em.protection()``: the RPO report, on the client's facade."""

    vm_restore_points: VmRestorePointsResource

    async def protection(
        self,
        max_age: timedelta = timedelta(hours=24),
        since: datetime | timedelta = timedelta(days=7),
        vms: Iterable[str] | None = None,
    ) -> ProtectionReport:
        """Is every VM's data recent enough? The RPO report.

        Reads the restore points created since ``since`` once, newest first, page
        by page (⌈points / 1000⌉ requests), keeping the newest point per VM (by
        ``hierarchy_ref``). Each VM with a point is checked: ``ok`` when its newest
        is no older than ``max_age``. Each name or hierarchy ref in ``vms`` that has
        no point in the window is added as a breach with ``latest=None``.
        ``report.breaches`` is the list to act on; each `VmProtection`'s ``reason``
        says why it is there.
        """
        return await self.vm_restore_points.protection(max_age, since, vms)
