"""Job sessions and their per-VM task sessions: the real result of a backup.

A finished start task only says "triggered to start"; the backup runs as a
job session (``/backupSessions/{id}``, ``/replicaSessions/{id}``) that goes
Starting → Working → Stopped and ends with ``Result`` Success, Warning or
Failed, with one task session per VM. ``Progress`` is EM's figure and is not
trusted to mean anything (EM has reported Stopped/Success with Progress 0);
``done`` is the state, not the progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Union

import attrs

from .common import HasLinks, Link, Model, uuid_from_uid, xml


class SessionState:
    """Known job session ``State`` values; others EM may add are kept as strings."""

    STARTING = "Starting"
    WORKING = "Working"
    STOPPING = "Stopping"
    PAUSING = "Pausing"
    RESUMING = "Resuming"
    STOPPED = "Stopped"


class SessionResult:
    """Known ``Result`` values. EM writes the word ``None`` while a session runs;
    the models turn it into ``None``."""

    SUCCESS = "Success"
    WARNING = "Warning"
    FAILED = "Failed"


@attrs.frozen
class _JobSession(Model, HasLinks):
    href: str | None = xml("@Href", default=None)
    uid: str | None = xml("@UID", default=None)
    name: str | None = xml("@Name", default=None)
    type: str | None = xml("@Type", default=None)
    links: list[Link] = xml("Links/Link", factory=list)
    job_uid: str | None = None
    job_name: str | None = None
    job_type: str | None = None
    creation_time: datetime | None = xml("CreationTimeUTC", default=None)
    end_time: datetime | None = xml("EndTimeUTC", default=None)
    state: str | None = None
    result: str | None = xml("Result", default=None, none_word="None")
    progress: int | None = None
    is_retry: bool = False
    #: Why the run failed or warned, where EM says (in the schema since v1_2;
    #: absent from the vendor's examples).
    failure_message: str | None = None

    @property
    def id(self) -> str | None:
        """The UUID part of ``uid``: what URLs are built from."""
        return uuid_from_uid(self.uid)

    @property
    def job_id(self) -> str | None:
        return uuid_from_uid(self.job_uid)

    @property
    def done(self) -> bool:
        """The session is ``Stopped``; its ``result`` is final."""
        return self.state == SessionState.STOPPED


@attrs.frozen
class BackupJobSession(_JobSession):
    """One run of a backup job (``<BackupJobSession>``); NAS and agent job runs
    come as backup sessions too, with their own ``job_type``."""


@attrs.frozen
class ReplicaJobSession(_JobSession):
    """One run of a replication job (``<ReplicaJobSession>``)."""


@attrs.frozen
class _TaskSession(Model, HasLinks):
    href: str | None = xml("@Href", default=None)
    uid: str | None = xml("@UID", default=None)
    name: str | None = xml("@Name", default=None)
    type: str | None = xml("@Type", default=None)
    vm_display_name: str | None = xml("@VmDisplayName", default=None)
    links: list[Link] = xml("Links/Link", factory=list)
    job_session_uid: str | None = None
    creation_time: datetime | None = xml("CreationTimeUTC", default=None)
    end_time: datetime | None = xml("EndTimeUTC", default=None)
    state: str | None = None
    result: str | None = xml("Result", default=None, none_word="None")
    reason: str | None = None
    total_size: int | None = None

    @property
    def id(self) -> str | None:
        return uuid_from_uid(self.uid)


@attrs.frozen
class BackupTaskSession(_TaskSession):
    """One VM's part of a backup job session (``<BackupTaskSession>``)."""


@attrs.frozen
class ReplicaTaskSession(_TaskSession):
    """One VM's part of a replication job session (``<ReplicaTaskSession>``)."""


#: A job run's session: backup (VM, NAS and agent jobs) or replication.
JobSession = Union[BackupJobSession, ReplicaJobSession]
