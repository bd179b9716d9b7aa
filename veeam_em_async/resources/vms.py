"""``em.vms``: find a VM, and back it up now (EM's quick backup), awaited to its result.

A quick backup is an incremental run of the job that already protects the VM,
on the backup server its hierarchy root was added to: one
``QuickBackupStartupSpec`` per VM (the vendor: "use separate requests for each
VM"). Which server is never guessed: the one EM names for the VM's root (the
root's ``Up`` link), else the one the given restore point names, else the only
server EM manages; anything else is a ``ValueError`` before anything is sent.

``backup`` awaits the run's job session exactly as ``em.jobs.run`` does: the
finished task's ``Related`` link when EM gives one (the vendor's example does),
else the newest session of the job that includes the VM, newer than the one
read before the request was sent.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Iterable
from typing import Any, Union

from ..bulk import Accepted, ProgressCallback, RunOutcome, await_run, for_each, raise_failures
from ..ids import entity_id
from ..models import (
    ENTITY_REFERENCES,
    HIERARCHY_ITEMS,
    EntityRef,
    HierarchyItem,
    JobSession,
    ObjectInJob,
    QuickBackupStartupSpec,
    VmProtection,
    VmRestorePoint,
    root_id_of,
)
from ..models.common import uuid_from_uid
from ..models.hierarchy import backup_server_uid
from ..policies import PollPolicy
from ..query import F
from ..runs import JobRun
from ..runs._sessions import newest_session
from ..waiting._handles import Task
from .backup_servers import BackupServerLike
from .base import Resource

VmLike = Union[str, HierarchyItem, VmRestorePoint, VmProtection]

__all__ = ["VmLike", "VmsResource"]


def vm_ref(vm: VmLike) -> str:
    """The ``HierarchyObjRef`` of whatever names a VM (``ValueError`` if none)."""
    if isinstance(vm, HierarchyItem):
        ref: str | None = vm.ref
    elif isinstance(vm, (VmRestorePoint, VmProtection)):
        ref = vm.hierarchy_ref
    elif isinstance(vm, str):
        ref = vm.strip()
    else:
        raise TypeError(
            f"a VM is a hierarchy ref, a HierarchyItem, a VmRestorePoint or a VmProtection, "
            f"not {type(vm).__name__}"
        )
    if not ref or root_id_of(ref) is None:
        raise ValueError(
            f"not a VM reference (urn:<Platform>:Vm:<root id>.<object id>): {ref!r}; "
            "em.vms.find(name) gives one"
        )
    return ref


def _vm_name(vm: VmLike) -> str | None:
    if isinstance(vm, HierarchyItem):
        return vm.name
    if isinstance(vm, (VmRestorePoint, VmProtection)):
        return vm.vm_name
    return None


def _known_server(vm: VmLike) -> str | None:
    if isinstance(vm, VmRestorePoint):
        return vm.backup_server_uid
    if isinstance(vm, VmProtection):
        return vm.backup_server_uid
    return None


class _Servers:
    """Which backup server a VM's quick backup goes to, read once per call: the
    hierarchy roots (each names its server) and, if needed, the servers."""

    def __init__(self, resource: VmsResource) -> None:
        self._resource = resource
        self._roots: dict[str, str | None] | None = None
        self._only: list[EntityRef] | None = None
        self._lock = asyncio.Lock()

    async def for_vm(self, vm: VmLike, ref: str, explicit: BackupServerLike | None) -> str:
        if explicit is not None:
            return entity_id(explicit, "BackupServer")
        async with self._lock:
            if self._roots is None:
                roots = await self._resource._list("hierarchyRoots", ENTITY_REFERENCES)
                self._roots = {
                    (r.id or "").lower(): backup_server_uid(r.links) for r in roots if r.id
                }
        named = self._roots.get((root_id_of(ref) or "").lower()) or _known_server(vm)
        if named:
            return entity_id(named, "BackupServer")
        async with self._lock:
            if self._only is None:
                self._only = await self._resource._list("backupServers", ENTITY_REFERENCES)
        if len(self._only) == 1 and self._only[0].id:
            return self._only[0].id
        raise ValueError(
            f"cannot tell which of EM's {len(self._only)} backup servers protects {ref!r}: "
            "EM names none for its hierarchy root; pass backup_server="
        )


class VmsResource(Resource):
    """Find VMs by name across EM's hierarchy roots, and back them up now."""

    async def find(self, name: str, *, root: str | EntityRef | None = None) -> list[HierarchyItem]:
        """``GET /lookup?host=<root>&name=<name>&type=Vm`` on ``root``, or on every
        hierarchy root (one request for the roots, then one per root, at once).
        Two VMs with the name on two vCenters are two items."""
        if not name:
            raise ValueError("a VM name is needed")
        if root is not None:
            roots = [f"urn:veeam:HierarchyRoot:{entity_id(root, 'HierarchyRoot')}"]
        else:
            refs = await self._list("hierarchyRoots", ENTITY_REFERENCES)
            roots = [r.uid for r in refs if r.uid]

        async def lookup(host: str) -> builtins.list[HierarchyItem]:
            params = {"host": host, "name": name, "type": "Vm"}
            response = await self._transport.request("GET", "lookup", params=params)
            return HIERARCHY_ITEMS.parse(response.body)

        found = await asyncio.gather(*(lookup(host) for host in roots))
        return [item for items in found for item in items]

    async def quick_backup(
        self, vm: VmLike, *, backup_server: BackupServerLike | None = None
    ) -> Task:
        """``POST /backupServers/{id}?action=quickbackup`` with one
        ``QuickBackupStartupSpec``: the `Task` EM made (its ``Related`` link, when
        finished, names the job session). A ``ValueError`` (a bad reference, an
        ambiguous server) comes before anything is sent."""
        return await self._quick_backup(vm, backup_server, _Servers(self))

    async def _quick_backup(
        self, vm: VmLike, backup_server: BackupServerLike | None, servers: _Servers
    ) -> Task:
        ref = vm_ref(vm)
        body = QuickBackupStartupSpec(ref).to_xml()
        server = await servers.for_vm(vm, ref, backup_server)
        target = HierarchyItem(ref=ref, name=_vm_name(vm), type="Vm")
        return await self._submit(
            "POST", f"backupServers/{server}", params={"action": "quickbackup"}, body=body,
            target=target,
        )  # fmt: skip

    async def backup(self, vm: VmLike, *, backup_server: BackupServerLike | None = None) -> JobRun:
        """Quick-back-up ``vm`` and return the `JobRun` of the incremental run:
        ``await run`` is its final job session (Success and Warning returned,
        Failed raised as `RunFailedError`), as for ``em.jobs.run``."""
        return await self._backup(vm, backup_server, _Servers(self))

    async def _backup(
        self, vm: VmLike, backup_server: BackupServerLike | None, servers: _Servers
    ) -> JobRun:
        ref = vm_ref(vm)
        await servers.for_vm(vm, ref, backup_server)  # refuse an ambiguous server first
        job_uid = await self._protecting_job(ref, _vm_name(vm))
        baseline: JobSession | None = None
        if job_uid is not None:
            baseline = await newest_session(self._transport, "BackupJobSession", job_uid)
        task = await self._quick_backup(vm, backup_server, servers)
        return JobRun(
            self._runs, kind="BackupJobSession", job_uid=job_uid, task=task, baseline=baseline
        )

    async def _protecting_job(self, ref: str, name: str | None) -> str | None:
        """The UID of the job that includes the VM (``type=ObjectInJob`` by the VM's
        name, matched on its reference), for finding the run when EM's task links
        no session. ``None`` when no job includes it by itself (it may be in a
        folder or container a job includes)."""
        if name is None:
            response = await self._transport.request("GET", "lookup", params={"hierarchyRef": ref})
            items = HIERARCHY_ITEMS.parse(response.body)
            name = items[0].name if items else None
            if name is None:
                return None
        query = self._query("ObjectInJob", filter=F.Name == name, page_size=100)
        includes: builtins.list[ObjectInJob] = await query.all()
        for include in includes:
            if include.hierarchy_obj_ref == ref:
                up = include.link("Up", "Job")
                href = up.href if up is not None else (include.href or "")
                parts = href.split("?", 1)[0].split("/")
                if "jobs" in parts and parts.index("jobs") + 1 < len(parts):
                    job_id = parts[parts.index("jobs") + 1]
                    return f"urn:veeam:Job:{uuid_from_uid(job_id)}"
        return None

    async def backup_many(
        self,
        vms: Iterable[VmLike],
        concurrency: int | None = None,
        *,
        backup_server: BackupServerLike | None = None,
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
        poll_policy: PollPolicy | None = None,
        raise_on_error: bool = False,
        accepted: Accepted | None = None,
    ) -> builtins.list[RunOutcome[Any]]:
        """Back up every VM and await each run: one `RunOutcome` per VM, in
        order, never raising for one VM (unless ``raise_on_error=True``). One
        quick backup request per VM, at most ``concurrency`` being sent at a
        time (default: the client's ``max_connections``); the hierarchy roots
        are read once for all."""
        items = builtins.list(vms)
        servers = _Servers(self)

        async def send(vm: VmLike) -> JobRun:
            return await self._backup(vm, backup_server, servers)

        async def finish(
            vm: VmLike, run: JobRun | None, error: BaseException | None
        ) -> RunOutcome[Any]:
            return await await_run(
                vm, run, error, "quickbackup", timeout=timeout, poll_policy=poll_policy
            )

        with self._bulk_span("quickbackup", len(items)):
            outcomes = await for_each(
                items, send, finish,
                concurrency=concurrency or self._transport.max_connections,
                progress=progress, accepted=accepted,
            )  # fmt: skip
        if raise_on_error:
            raise_failures(outcomes, len(items))
        return outcomes
