"""What one collection reads from one EM: `Snapshot`, and `collect`, which reads it.

A collection is the only time the exporter talks to EM: at most once per interval,
on the client's one logon session. Scrapes render the last snapshot, so however
often Prometheus (or a person with curl) asks, EM sees the same requests. Only
what a metric shows is kept: one row per job and per VM, never per session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from ..client import EnterpriseManager
from ..clock import utc_now
from ..errors import NotFoundError
from ..group import all_or_nothing
from ..models import (
    BackupServer,
    EntityRef,
    JobSession,
    OverviewReport,
    ProtectionReport,
    Repository,
    VmsOverviewReport,
)
from .points import PointsCache

__all__ = ["JobState", "Snapshot", "collect"]

T = TypeVar("T")

#: A run counts as a success for ``veeam_em_job_last_success_timestamp_seconds``
#: when EM says Success or Warning: a run with warnings made its restore points.
SUCCESSFUL = ("Success", "Warning")


@attrs.frozen
class JobState:
    """One job: its newest finished run and its newest successful one, in the window."""

    name: str
    uid: str
    backup_server: str
    last: JobSession | None = None
    last_success: JobSession | None = None

    @property
    def job_type(self) -> str:
        """EM's ``JobType`` as its newest run states it (a reference has none)."""
        session = self.last or self.last_success
        return (session.job_type if session is not None else None) or ""


@attrs.frozen
class Snapshot:
    """Everything the metrics of one EM show, as read at ``taken_at`` (UTC)."""

    taken_at: datetime
    overview: OverviewReport
    vms_overview: VmsOverviewReport
    repositories: list[Repository]
    backup_servers: list[BackupServer]
    jobs: list[JobState]
    protection: ProtectionReport
    #: Requests this collection sent (the health metric counts them all).
    requests: int = 0

    def server_name(self, uid: str | None) -> str:
        """A backup server's name from its UID (``""`` when EM does not list it)."""
        for server in self.backup_servers:
            if uid is not None and server.uid == uid:
                return server.name or ""
        return ""


async def _or_none_on_404(call: Awaitable[list[T]]) -> list[T]:
    """An EM without agent or NAS jobs (older versions) answers 404: no such jobs."""
    try:
        return await call
    except NotFoundError:
        return []


def _server_of(ref: EntityRef) -> str:
    link = ref.link("Up", "BackupServerReference")
    return (link.name or "") if link is not None else ""


def job_states(
    refs: Iterable[EntityRef],
    last: dict[str, JobSession | None],
    last_success: dict[str, JobSession | None],
) -> list[JobState]:
    """One `JobState` per job reference, sorted by server and name."""
    states = [
        JobState(
            name=ref.name or "",
            uid=ref.uid,
            backup_server=_server_of(ref),
            last=last.get(ref.uid),
            last_success=last_success.get(ref.uid),
        )
        for ref in refs
        if ref.uid
    ]
    return sorted(states, key=lambda s: (s.backup_server, s.name, s.uid))


async def _protection(
    em: EnterpriseManager, max_age: timedelta, window: timedelta, points: PointsCache
) -> ProtectionReport:
    now = utc_now(em.clock)
    low = now - window
    newest = await points.read(em, low, now)
    return ProtectionReport.build(newest, now=now, max_age=max_age, since=low)


async def collect(
    em: EnterpriseManager,
    *,
    max_age: timedelta,
    window: timedelta,
    points: PointsCache | None = None,
) -> Snapshot:
    """Read one `Snapshot`: the summary reports, repositories and backup servers
    (one request each, or a page per 200), every job's newest and newest
    successful run (`last_results`, twice), and the RPO report over ``window``
    (with ``points`` kept from the last collection, only the points new since).

    The reads that do not depend on each other run at once; if one fails, the
    others are cancelled and the error is raised: a snapshot is all or nothing,
    so a metric never mixes two collections.
    """
    before = em.stats.total()
    taken_at = utc_now(em.clock)
    reads: list[Coroutine[Any, Any, Any]] = [
        em.reports.overview(),
        em.reports.vms_overview(),
        em.repositories.list(entities=True),
        em.backup_servers.list(entities=True),
        em.jobs.list(),
        _or_none_on_404(em.agent_jobs.list()),
        _or_none_on_404(em.nas_jobs.list()),
        _protection(em, max_age, window, points or PointsCache()),
    ]
    (
        overview,
        vms,
        repositories,
        servers,
        vm_jobs,
        agent_jobs,
        nas_jobs,
        protection,
    ) = await all_or_nothing(reads)
    refs: list[EntityRef] = [*vm_jobs, *agent_jobs, *nas_jobs]
    last, last_success = await all_or_nothing([
        em.jobs.last_results(window, jobs=refs),
        em.jobs.last_results(window, jobs=refs, results=SUCCESSFUL),
    ])  # fmt: skip
    return Snapshot(
        taken_at=taken_at, overview=overview, vms_overview=vms, repositories=repositories,
        backup_servers=servers, jobs=job_states(refs, last, last_success),
        protection=protection, requests=em.stats.total() - before,
    )  # fmt: skip
