"""``em.backup_sessions`` and ``em.replica_sessions``: the runs of jobs and their VMs.

A session argument may be the UUID, the UID (``urn:veeam:BackupJobSession:…``),
an ``EntityRef`` or the model. ``task_sessions`` reads the list of references
and then each VM's entity, concurrently within the client's cap.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from ..ids import SessionLike, entity_id
from ..models import (
    BACKUP_JOB_SESSION,
    BACKUP_TASK_SESSION,
    ENTITY_REFERENCES,
    REPLICA_JOB_SESSION,
    REPLICA_TASK_SESSION,
    BackupJobSession,
    BackupTaskSession,
    Doc,
    EntityRef,
    ReplicaJobSession,
    ReplicaTaskSession,
)
from ..query._feed import FEED_INTERVAL, SessionFeed
from ..runs import JobRun
from ..waiting._handles import Task
from .base import Resource

S = TypeVar("S", BackupJobSession, ReplicaJobSession)
T = TypeVar("T", BackupTaskSession, ReplicaTaskSession)


class _SessionsResource(Resource, Generic[S, T]):
    collection: str  # "backupSessions"
    task_collection: str  # "backupTaskSessions"
    task_list: str  # "taskSessions" under a session
    entity_type: str  # the UID type of a session
    task_type: str  # the UID type of a task session
    doc: Doc[S]
    task_doc: Doc[T]

    def _id(self, session: SessionLike) -> str:
        return entity_id(session, self.entity_type)

    async def list(self) -> builtins.list[EntityRef]:
        """References to every session EM keeps."""
        return await self._list(self.collection, ENTITY_REFERENCES)

    async def get(self, session: SessionLike) -> S:
        """The session entity (``?format=Entity``)."""
        return await self._get(
            f"{self.collection}/{self._id(session)}", self.doc, params={"format": "Entity"}
        )

    async def task_sessions(self, session: SessionLike) -> builtins.list[T]:
        """The per-VM task sessions of ``session``, as entities."""
        refs = await self._list(
            f"{self.collection}/{self._id(session)}/{self.task_list}", ENTITY_REFERENCES
        )
        ids = [entity_id(ref, self.task_type) for ref in refs]
        return list(
            await asyncio.gather(
                *(
                    self._get(f"{self.task_collection}/{i}", self.task_doc, {"format": "Entity"})
                    for i in ids
                )
            )
        )

    def follow(self, session: SessionLike, *, follow_retries: bool = False) -> JobRun:
        """A `JobRun` on a session that already exists (no request is sent):
        for a service that restarted while a job ran, or a session from a list."""
        uid = f"urn:veeam:{self.entity_type}:{self._id(session)}"
        model = session if isinstance(session, (BackupJobSession, ReplicaJobSession)) else None
        return JobRun(
            self._runs, kind=self.entity_type, job_uid=model.job_uid if model else None,
            session=model, session_uid=uid, follow_retries=follow_retries,
        )  # fmt: skip

    async def stop(self, session: SessionLike) -> Task:
        """``POST …/{id}?action=stop``: stop the running session."""
        return await self._submit(
            "POST", f"{self.collection}/{self._id(session)}", params={"action": "stop"},
            target=session,
        )  # fmt: skip


class BackupSessionsResource(_SessionsResource[BackupJobSession, BackupTaskSession]):
    """Backup job sessions (``/backupSessions``); NAS and agent job runs are here too."""

    collection = "backupSessions"
    task_collection = "backupTaskSessions"
    task_list = "taskSessions"
    entity_type = "BackupJobSession"
    task_type = "BackupTaskSession"
    doc = BACKUP_JOB_SESSION
    task_doc = BACKUP_TASK_SESSION

    def feed(
        self,
        since: datetime | timedelta | None = None,
        results: Collection[str] | None = None,
        interval: float = FEED_INTERVAL,
        *,
        overlap: timedelta = timedelta(minutes=15),
        replica: bool = True,
    ) -> SessionFeed:
        """Every job session (backup and, with ``replica``, replication) once,
        when it reaches ``Stopped``, oldest end first: an async iterator for bots.

        ``since`` is where it starts (a datetime, or a timedelta back from now;
        default now); ``results`` keeps only those (``("Failed", "Warning")``);
        each ``interval`` seconds one query per session type asks EM for what
        ended. Runs EM lists up to ``overlap`` late are still yielded, once.
        It survives re-logons and transient failures; ``break`` ends it.
        """
        kinds = ("BackupJobSession", "ReplicaJobSession") if replica else ("BackupJobSession",)
        return SessionFeed(
            self._transport, self._transport.clock, since=since, results=results,
            interval=interval, overlap=overlap, kinds=kinds,
        )  # fmt: skip


class ReplicaSessionsResource(_SessionsResource[ReplicaJobSession, ReplicaTaskSession]):
    """Replication job sessions (``/replicaSessions``)."""

    collection = "replicaSessions"
    task_collection = "replicaTaskSessions"
    task_list = "replicaTaskSessions"
    entity_type = "ReplicaJobSession"
    task_type = "ReplicaTaskSession"
    doc = REPLICA_JOB_SESSION
    task_doc = REPLICA_TASK_SESSION
