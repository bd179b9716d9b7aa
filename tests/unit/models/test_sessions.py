"""Job sessions and task sessions: every vendor body parsed, with concrete fields."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from aioresponses import aioresponses

from tests.conftest import (
    API,
    BASE,
    LOGOFF_URL,
    PASSWORD,
    USER,
    add_logon,
    fixture_bytes,
    requests_to,
)
from veeam_em_async import (
    BackupJobSession,
    BackupTaskSession,
    EnterpriseManager,
    InvalidIdentifierError,
    ReplicaJobSession,
    ReplicaTaskSession,
    ResponseParseError,
    SessionResult,
    SessionState,
    from_xml,
)

NS = 'xmlns="http://www.veeam.com/ent/v1.0"'


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_backup_job_session() -> None:
    session = from_xml(fixture_bytes("backup_job_session.xml"))
    assert isinstance(session, BackupJobSession)
    assert session.uid == "urn:veeam:BackupJobSession:d46e39e0-1131-4585-91a7-e828ce7eafae"
    assert session.id == "d46e39e0-1131-4585-91a7-e828ce7eafae"
    assert session.name == "Fileserver Backup@2014-10-19 05:22:52"
    assert session.job_uid == "urn:veeam:Job:4856ab37-2235-45e8-affe-d515878b01a9"
    assert session.job_id == "4856ab37-2235-45e8-affe-d515878b01a9"
    assert (session.job_name, session.job_type) == ("Fileserver Backup", "Backup")
    assert session.creation_time == utc(2014, 10, 19, 5, 22, 52)
    assert session.end_time == utc(2014, 10, 19, 5, 40, 48)
    assert session.state == SessionState.STOPPED and session.done
    assert session.result == SessionResult.SUCCESS and session.progress == 100
    assert session.is_retry is False
    stop = session.link("Stop")
    assert stop is not None and stop.href.endswith("?action=stop")
    assert [link.rel for link in session.links] == [
        "Up",
        "Up",
        "Alternate",
        "Down",
        "Stop",
        "Related",
    ]


def test_replica_job_session() -> None:
    session = from_xml(fixture_bytes("replica_job_session.xml"))
    assert isinstance(session, ReplicaJobSession)
    assert session.id == "0bcf5a1e-866c-4b40-8bc3-ce64753b9a6b"
    assert (session.job_name, session.job_type) == ("Fileserver02 Replication", "Replica")
    assert session.job_id == "2c49a44e-1e59-4527-a6bc-6b2f9b579ee1"
    assert session.creation_time == utc(2014, 10, 19, 6, 46, 31)
    assert session.end_time == utc(2014, 10, 19, 7, 2, 35)
    assert session.done and session.result == "Success" and session.progress == 100


def test_backup_task_session() -> None:
    task = from_xml(fixture_bytes("backup_task_session.xml"))
    assert isinstance(task, BackupTaskSession)
    assert task.id == "88767486-89d6-4340-92f0-2ad615a8f21b"
    assert task.vm_display_name == "srv04" and task.name == "srv04@2014-10-19 05:23:44"
    assert task.job_session_uid == "urn:veeam:BackupJobSession:d46e39e0-1131-4585-91a7-e828ce7eafae"
    assert task.creation_time == utc(2014, 10, 19, 5, 23, 44)
    assert task.end_time == utc(2014, 10, 19, 5, 40, 39)
    assert (task.state, task.result) == ("Completed", "Success")
    assert task.reason is None  # <Reason />
    assert task.total_size == 64424509440


def test_replica_task_session() -> None:
    task = from_xml(fixture_bytes("replica_task_session.xml"))
    assert isinstance(task, ReplicaTaskSession)
    assert task.id == "24590151-20cd-4e57-8a2f-8b65869a1879"
    assert task.vm_display_name == "srv04" and task.total_size == 64424509440
    assert (
        task.job_session_uid == "urn:veeam:ReplicaJobSession:0bcf5a1e-866c-4b40-8bc3-ce64753b9a6b"
    )
    related = task.link("Related")
    assert related is not None and related.type == "VmReplicaPoint"


def test_a_running_session_has_no_result_and_is_not_done() -> None:
    """EM writes the word None while a session runs, and any fraction length."""
    body = (
        f'<BackupJobSession {NS} UID="urn:veeam:BackupJobSession:0a0a0a0a-0000-0000-0000-'
        '000000000001"><JobUid>urn:veeam:Job:x</JobUid><CreationTimeUTC>2025-08-14T12:31:30.7Z'
        "</CreationTimeUTC><EndTimeUTC>1900-01-01T00:00:00Z</EndTimeUTC><State>Working</State>"
        "<Result>None</Result><Progress>42</Progress><IsRetry>true</IsRetry></BackupJobSession>"
    ).encode()
    session = from_xml(body)
    assert isinstance(session, BackupJobSession)
    assert session.result is None and not session.done and session.is_retry is True
    assert session.creation_time == datetime(2025, 8, 14, 12, 31, 30, 700000, timezone.utc)
    assert session.progress == 42
    assert session.end_time is None  # EM's 1900-01-01 placeholder: not ended (issue 23)


def test_a_state_em_adds_later_is_kept_and_a_bad_time_is_a_parse_error() -> None:
    body = f"<ReplicaJobSession {NS}><State>Postponed</State></ReplicaJobSession>".encode()
    session = from_xml(body)
    assert isinstance(session, ReplicaJobSession)
    assert session.state == "Postponed" and not session.done and session.result is None
    bad = f"<BackupTaskSession {NS}><CreationTimeUTC>soon</CreationTimeUTC></BackupTaskSession>"
    with pytest.raises(ResponseParseError, match="xs:dateTime"):
        from_xml(bad.encode())


# -- the resources, against EM's own bodies (aioresponses) -------------------------------

SESSION_ID = "d46e39e0-1131-4585-91a7-e828ce7eafae"
TASK_SESSION_ID = "88767486-89d6-4340-92f0-2ad615a8f21b"


async def test_backup_sessions_get_task_sessions_and_stop(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(
        f"{API}/backupSessions/{SESSION_ID}?format=Entity",
        body=fixture_bytes("backup_job_session.xml"),
        repeat=True,
    )
    refs = (
        f'<EntityReferences {NS}><Ref Type="BackupTaskSessionReference" '
        f'Href="{API}/backupTaskSessions/{TASK_SESSION_ID}" Name="srv04@2014-10-19 05:23:44" '
        f'UID="urn:veeam:BackupTaskSession:{TASK_SESSION_ID}" /></EntityReferences>'
    )
    mock.get(f"{API}/backupSessions/{SESSION_ID}/taskSessions", body=refs)
    mock.get(
        f"{API}/backupTaskSessions/{TASK_SESSION_ID}?format=Entity",
        body=fixture_bytes("backup_task_session.xml"),
    )
    mock.post(
        f"{API}/backupSessions/{SESSION_ID}?action=stop",
        status=202,
        body=fixture_bytes("task_running.xml"),
    )
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        session = await em.backup_sessions.get(f"urn:veeam:BackupJobSession:{SESSION_ID}")
        assert session.job_name == "Fileserver Backup"
        assert (await em.backup_sessions.get(session)).id == SESSION_ID  # the model as argument
        (vm,) = await em.backup_sessions.task_sessions(SESSION_ID)
        assert vm.vm_display_name == "srv04" and vm.total_size == 64424509440
        task = await em.backup_sessions.stop(session)
        assert task.id == "task-1"
    with pytest.raises(InvalidIdentifierError, match="names a Job"):
        await em.backup_sessions.get(f"urn:veeam:Job:{SESSION_ID}")


async def test_replica_sessions_read_their_own_collection(mock: aioresponses) -> None:
    replica_id = "0bcf5a1e-866c-4b40-8bc3-ce64753b9a6b"
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(
        f"{API}/replicaSessions/{replica_id}?format=Entity",
        body=fixture_bytes("replica_job_session.xml"),
    )
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        session = await em.replica_sessions.get(replica_id)
    assert isinstance(session, ReplicaJobSession) and session.job_type == "Replica"
    (call,) = requests_to(mock, "GET", f"{API}/replicaSessions/{replica_id}?format=Entity")
    assert call.kwargs["headers"]["X-RestSvcSessionId"]
