"""Turn whatever the caller holds into the id that goes into a URL. Pure.

A job can be given as its UUID, its UID (``urn:veeam:Job:<uuid>``), an
`EntityRef` or the model itself. The URL is always built from the
UUID, never from an ``Href``: EM's own NAS references point at
``/agents/jobs/…``, and an ``Href`` could name another host, which must never
receive our token.
"""

from __future__ import annotations

import re
from typing import Protocol, Union

from .errors import InvalidIdentifierError, ResponseParseError
from .models import (
    AgentBackupJob,
    BackupJobSession,
    BackupTaskSession,
    EntityRef,
    Job,
    NasJob,
    ReplicaJobSession,
    ReplicaTaskSession,
    TaskInfo,
)
from .models.common import uuid_from_uid

JobLike = Union[str, EntityRef, Job, NasJob, AgentBackupJob]
SessionLike = Union[str, EntityRef, BackupJobSession, ReplicaJobSession]
TaskSessionLike = Union[str, EntityRef, BackupTaskSession, ReplicaTaskSession]
TaskLike = Union[str, TaskInfo]


class HasUid(Protocol):
    """Anything EM names with a UID: every entity model and `EntityRef`.

    Not ``runtime_checkable``: ``isinstance`` against a protocol walks its
    attributes on every call (a tenth of the client's CPU when 10,000 jobs are
    started), so `entity_id` looks for ``uid`` itself."""

    @property
    def uid(self) -> str | None: ...


_NO_UID = object()
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TASK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def looks_like_id(text: str) -> bool:
    """Whether a caller's text is meant as an id (a UID or a UUID) rather than
    a name; `entity_id` then says whether it is a valid one."""
    return text.lower().startswith("urn:") or bool(_UUID.match(text))


def entity_id(value: str | HasUid, kind: str) -> str:
    """The UUID of an entity of ``kind`` (``"Job"``, ``"NasJob"``, ``"BackupJobSession"``…),
    from a UUID, a UID, or anything with a ``uid`` (a model or a reference): a new
    resource's models need nothing here."""
    if not isinstance(value, str):
        uid = getattr(value, "uid", _NO_UID)
        if uid is _NO_UID:
            raise InvalidIdentifierError(
                f"expected a UUID, a UID, an EntityRef or a model, got {type(value).__name__}"
            )
        if not uid:
            raise InvalidIdentifierError(f"{type(value).__name__} has no UID to take an id from")
        return entity_id(uid if isinstance(uid, str) else repr(uid), kind)
    text = value.strip()
    if text.lower().startswith("urn:"):
        parts = text.split(":")
        if len(parts) != 4 or parts[1].lower() != "veeam":
            raise InvalidIdentifierError(f"not a Veeam UID: {value!r}")
        if parts[2].lower() != kind.lower():
            raise InvalidIdentifierError(f"UID {value!r} names a {parts[2]}, not a {kind}")
        text = uuid_from_uid(text) or ""
    if not _UUID.match(text):
        raise InvalidIdentifierError(f"not a {kind} id (UUID or UID): {value!r}")
    return text


def task_id(value: TaskLike) -> str:
    """The id of a task (``task-1``), from the id or a `TaskInfo`."""
    text = value.id if isinstance(value, TaskInfo) else value
    if not isinstance(text, str) or not _TASK_ID.match(text):
        raise InvalidIdentifierError(f"not a task id: {value!r}")
    return text


def id_from_em(value: str, field: str, body: bytes | bytearray | None = None) -> str:
    """An id taken from EM's answer (``TaskId``, ``SessionId``), checked like a
    caller's before it goes into a URL that carries the token.

    A hostile or broken server is not a caller's mistake, so the error is a
    `ResponseParseError`, not an `InvalidIdentifierError`.
    """
    if not isinstance(value, str) or not _TASK_ID.match(value):
        raise ResponseParseError(f"EM's answer has an unusable {field}: {value!r}", body)
    return value
