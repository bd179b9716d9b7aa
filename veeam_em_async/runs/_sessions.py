"""Job sessions as the run watcher polls them, through the query service.

One awaited session is fetched by id (``GET /backupSessions/{id}?format=Entity``).
Several are served by one query per session type (``format=Entities``):
every session created since the oldest awaited one (``CreationTime>=…``),
or, for awaited sessions not seen yet (known only by the start task's link),
every session still running (``State!=Stopped``), the two joined by EM's
``,`` (or). That answer holds the awaited sessions whatever their number, so
the requests of a tick stay constant (one, or two with both backup and
replica runs), and its size follows what ran since the oldest awaited run
and what runs now, not the job's or EM's history. A filter naming each
awaited UID would be exact, but a URL holds a few hundred of them at most.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..errors import InvalidIdentifierError, RunFailedError
from ..models import (
    BACKUP_JOB_SESSION,
    REPLICA_JOB_SESSION,
    BackupJobSession,
    Doc,
    JobSession,
    ReplicaJobSession,
    SessionResult,
)
from ..policies import parse_retry_after
from ..query import Query
from ..query._filters import condition
from ..transport import Transport
from ..waiting._source import Entry
from ..waiting._watcher import PollStatus

#: Session UID type -> (collection, document kind).
SESSION_KINDS: dict[str, tuple[str, Doc[BackupJobSession] | Doc[ReplicaJobSession]]] = {
    "BackupJobSession": ("backupSessions", BACKUP_JOB_SESSION),
    "ReplicaJobSession": ("replicaSessions", REPLICA_JOB_SESSION),
}


def session_kind(uid: str) -> str:
    """``urn:veeam:ReplicaJobSession:…`` -> ``ReplicaJobSession``."""
    parts = uid.split(":")
    if len(parts) != 4 or parts[3] == "" or parts[2] not in SESSION_KINDS:
        raise InvalidIdentifierError(f"not a job session UID: {uid!r}")
    return parts[2]


#: Page size of the watcher's batch query: one request per tick for up to this many
#: sessions (EM would otherwise page at its default of 100).
BATCH_PAGE_SIZE = 1000


async def query_sessions(
    transport: Transport,
    kind: str,
    filter_text: str,
    *,
    page_size: int = BATCH_PAGE_SIZE,
) -> list[JobSession]:
    """Every page of ``GET /query?type=<kind>&format=Entities&filter=…``."""
    return await Query(transport, kind, filter=filter_text, page_size=page_size).all()


async def newest_session(transport: Transport, kind: str, job_uid: str) -> JobSession | None:
    """The job's newest session of ``kind`` EM lists (one query), or ``None``."""
    query: Query[JobSession] = Query(
        transport, kind, filter=condition("JobUid", "==", job_uid), sort_desc="CreationTime"
    )
    return await query.first()


class SessionSource:
    """The `PollSource` of job sessions (keys: UIDs)."""

    batch_threshold = 2

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        #: Sessions turned into models from batch answers (the scaling test counts these).
        self.items_parsed = 0

    async def fetch_one(self, key: str) -> tuple[JobSession, float | None]:
        collection, doc = SESSION_KINDS[session_kind(key)]
        uuid = key.rsplit(":", 1)[-1]
        response = await self._transport.request(
            "GET", f"{collection}/{uuid}", params={"format": "Entity"}
        )
        session = doc.parse(response.body)
        return session, parse_retry_after(response.headers.get("Retry-After"))

    async def fetch_many(
        self, entries: Mapping[str, Entry[str, JobSession]]
    ) -> tuple[Mapping[str, JobSession], float | None]:
        """One query per session type: the sessions created since the oldest
        awaited one whose creation time is known (the entry's last session
        gives it), or (for those not seen yet) still running. A session neither
        covers (it ended before its first poll) is fetched by id by the watcher."""
        since: dict[str, datetime] = {}
        unseen: set[str] = set()
        for key, entry in entries.items():
            kind = session_kind(key)
            created = entry.value.creation_time if entry.value is not None else None
            if created is None:
                unseen.add(kind)
            else:
                since[kind] = min(created, since.get(kind, created))
        wanted = set(entries)
        listed: dict[str, JobSession] = {}
        for kind in sorted({*since, *unseen}):
            parts = []
            if kind in unseen:
                parts.append(condition("State", "!=", "Stopped"))
            if kind in since:
                parts.append(condition("CreationTime", ">=", since[kind]))
            for session in await query_sessions(self._transport, kind, ",".join(parts)):
                self.items_parsed += 1
                if session.uid in wanted:
                    listed[session.uid] = session
        return listed, None

    def status(self, value: JobSession) -> PollStatus:
        if not value.done:
            return PollStatus.RUNNING
        if value.result in (SessionResult.SUCCESS, SessionResult.WARNING):
            return PollStatus.SUCCEEDED
        return PollStatus.FAILED  # Failed, or Stopped without a result

    def failure(self, value: JobSession) -> BaseException:
        return RunFailedError(value)
