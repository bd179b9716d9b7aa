"""What every job run of one client shares, and how a run's session is recognised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Optional, Protocol

from ..clock import Clock
from ..models import JobSession, RetryOptions, TaskInfo
from ..models.common import href_id
from ..policies import PollPolicy
from ..transport import Transport
from ..waiting._handles import Task
from ..waiting._watcher import Watcher
from ._sessions import SessionSource, newest_session

__all__ = ["RunContext", "is_newer", "related_session", "wait_for_session"]

RetryOptionsLoader = Callable[[], Awaitable[Optional[RetryOptions]]]


class SessionActions(Protocol):
    """What a run asks of ``em.backup_sessions`` / ``em.replica_sessions``."""

    async def task_sessions(self, session: Any) -> Any: ...

    async def stop(self, session: Any) -> Task: ...


class JobOwner(Protocol):
    """What a run asks of ``em.jobs`` / ``em.nas_jobs`` / ``em.agent_jobs``."""

    async def retry_options(self, job: Any) -> RetryOptions | None: ...


class Resources(Protocol):
    """Where a run finds the resources it uses: the client, which owns them all."""

    @property
    def backup_sessions(self) -> SessionActions: ...

    @property
    def replica_sessions(self) -> SessionActions: ...

    @property
    def jobs(self) -> JobOwner: ...

    @property
    def nas_jobs(self) -> JobOwner: ...

    @property
    def agent_jobs(self) -> JobOwner: ...


class RunContext:
    """What every run of one client shares: the transport, the run watcher, the
    clock, and the client's resources, given when it is built: the session
    resources for ``stop`` and ``task_sessions``, the job resources for
    ``RetryOptions`` (each read through the resource that owns the job)."""

    def __init__(
        self,
        transport: Transport,
        watcher: Watcher[str, JobSession],
        policy: PollPolicy,
        resources: Resources,
    ) -> None:
        self.transport = transport
        self.watcher = watcher
        self.policy = policy
        self.resources = resources

    def sessions(self, kind: str) -> SessionActions:
        """The resource of a run's sessions, by session type."""
        replica = kind == "ReplicaJobSession"
        return self.resources.replica_sessions if replica else self.resources.backup_sessions

    async def retry_options(self, job_uid: str) -> RetryOptions | None:
        """The job's ``RetryOptions``, read by the resource that owns the job
        (``em.jobs``, ``em.nas_jobs`` or ``em.agent_jobs``, by the UID's type)."""
        kind = job_uid.split(":")[2] if job_uid.count(":") >= 3 else ""
        owners = {"Job": "jobs", "NasJob": "nas_jobs", "AgentBackupJob": "agent_jobs"}
        if kind not in owners:
            raise ValueError(f"no job resource reads {job_uid!r}")
        owner: JobOwner = getattr(self.resources, owners[kind])
        return await owner.retry_options(job_uid)

    @property
    def clock(self) -> Clock:
        return self.watcher.clock

    @property
    def source(self) -> SessionSource:
        source = self.watcher.source
        assert isinstance(source, SessionSource)
        return source


def related_session(info: TaskInfo) -> str | None:
    """The UID of the session a finished start task links to, if it does."""
    for link in info.links:
        kind = (link.type or "").removesuffix("Reference")
        if (link.rel or "").lower() == "related" and kind in (
            "BackupJobSession",
            "ReplicaJobSession",
        ):
            uuid = href_id(link.href)
            return f"urn:veeam:{kind}:{uuid}" if uuid else None
    return None


def is_newer(candidate: JobSession, baseline: JobSession | None, *, strict: bool = False) -> bool:
    """Whether ``candidate`` can be the run started after ``baseline`` was read.

    ``baseline`` is the job's own newest session (a tie in time with another
    session of the same job cannot happen), or, with ``strict``, the newest
    session of the whole backup server: then a session of this job created in
    the same instant is an older run, and only a later one qualifies.
    """
    if baseline is None:
        return True
    if candidate.uid == baseline.uid:
        return False
    if candidate.creation_time is None or baseline.creation_time is None:
        return not strict
    if strict:
        return candidate.creation_time > baseline.creation_time
    return candidate.creation_time >= baseline.creation_time


async def wait_for_session(
    context: RunContext,
    kind: str,
    job_uid: str,
    until: float | None,
    policy: PollPolicy,
    accept: Callable[[JobSession], bool],
    *,
    once: bool = False,
) -> JobSession | None:
    """Ask for the job's newest session (one query each time) until ``accept``
    takes it; ``None`` once the clock reaches ``until`` (or after one look)."""
    clock, polls = context.clock, 0
    while True:
        newest = await newest_session(context.transport, kind, job_uid)
        if newest is not None and accept(newest):
            return newest
        now = clock.now()
        if once or (until is not None and now >= until):
            return None
        delay = policy.interval(polls)
        polls += 1
        await clock.sleep(delay if until is None else min(delay, until - now))
