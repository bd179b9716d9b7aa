"""from_xml on the vendor's own documents, and the parsing rules of API.md."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.conftest import fixture_bytes
from veeam_em_async import (
    BackupServer,
    EntityRef,
    ErrorInfo,
    Job,
    LogonSession,
    NasJob,
    ResponseParseError,
    TaskInfo,
    UnknownJobInfo,
    from_xml,
)
from veeam_em_async.models import (
    BackupJobInfo,
    ImmediateBackupCopyJobInfo,
    ReplicaJobInfo,
)

NS = 'xmlns="http://www.veeam.com/ent/v1.0"'


def parse(name: str) -> object:
    return from_xml(fixture_bytes(name))


def test_backup_job_entity() -> None:
    job = parse("backup_job.xml")
    assert isinstance(job, Job)
    assert job.name == "DB Backup"
    assert job.id == "5658281f-625e-4627-89dd-d2a0c48be99e"
    assert job.uid == "urn:veeam:Job:5658281f-625e-4627-89dd-d2a0c48be99e"
    assert job.job_type == "Backup"
    assert job.platform == "HyperV"  # documented as "Hyperv": the body wins
    assert job.description == "Backup of MS SQL Server DB"
    assert job.schedule_configured is True
    assert job.schedule_enabled is True
    assert job.next_run == datetime(2020, 2, 1, 17, 0, tzinfo=timezone.utc)
    assert job.next_run is not None and job.next_run.tzinfo is not None
    assert len(job.links) == 11
    start = job.link("start")
    assert start is not None and start.href.endswith("?action=start")
    assert job.link("Sync") is None


def test_backup_job_schedule_options() -> None:
    job = parse("backup_job.xml")
    assert isinstance(job, Job) and job.schedule_options is not None
    standard = job.schedule_options.standard
    assert standard is not None
    assert job.schedule_options.immediate_copy_mode is None
    assert standard.retry_options is not None
    assert standard.retry_options.retry_times == 3
    assert standard.retry_options.retry_timeout == 10
    assert standard.retry_options.retry_specified is True
    assert standard.wait_for_backup_completion is True
    assert standard.backup_competition_waiting_period_min == 180
    daily = standard.options_daily
    assert daily is not None and daily.enabled is True
    assert daily.kind == "Everyday"
    assert daily.days == [
        "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    ]  # fmt: skip
    assert daily.time == "18:00:00.0000000+01:00"
    monthly = standard.options_monthly
    assert monthly is not None and monthly.enabled is False
    assert monthly.day_number_in_month == "Fourth"
    assert monthly.day_of_week == ["Saturday"]
    assert len(monthly.months) == 12 and monthly.day_of_month == 1
    periodic = standard.options_periodically
    assert periodic is not None and periodic.enabled is False and periodic.full_period == 1
    assert [d.name for d in periodic.schedule][:2] == ["Sunday", "Monday"]
    assert periodic.schedule[0].hours == (True,) * 24
    assert standard.options_backup_window is not None
    assert len(standard.options_backup_window.time_periods) == 7
    chaining = standard.options_daisy_chaining
    assert chaining is not None and chaining.enabled is False
    assert chaining.previous_job_uid is None  # <PreviousJobUid />


def test_backup_job_info_includes_guest_processing_and_retention() -> None:
    job = parse("backup_job.xml")
    assert isinstance(job, Job)
    info = job.info
    assert isinstance(info, BackupJobInfo)
    (include,) = info.includes
    assert include.name == "sqlsrv03"
    assert include.object_in_job_id == "0493ea16-2c1f-4d02-b74b-994bd438b89a"
    gpo = include.guest_processing_options
    assert gpo is not None and gpo.vss_snapshot_options is not None
    assert gpo.vss_snapshot_options.vss_snapshot_mode == "RequireSuccess"
    assert gpo.vss_snapshot_options.is_copy_only is False
    assert gpo.vss_snapshot_options.use_persistent_guest_agent is False
    assert gpo.windows_guest_fs_indexing_options is not None
    assert gpo.windows_guest_fs_indexing_options.included_indexing_folders == []
    assert gpo.windows_guest_fs_indexing_options.excluded_indexing_folders[0] == "%windir%"
    assert gpo.linux_guest_fs_indexing_options is not None
    assert "/lost+found" in gpo.linux_guest_fs_indexing_options.excluded_indexing_folders
    assert gpo.sql_backup_options is not None
    assert gpo.sql_backup_options.transaction_logs_processing == "Backup"
    assert gpo.sql_backup_options.use_db_backup_retention is False
    assert gpo.sql_backup_options.retain_days == 5
    assert gpo.windows_credentials_id is None
    job_gpo = info.guest_processing_options
    assert job_gpo is not None
    assert job_gpo.windows_credentials_id == "7255bb17-aa93-44d0-9a24-00b9cd1da6c4"
    assert info.advanced_storage_options is not None
    assert info.advanced_storage_options.password_key_id == "3d152e9d-a473-4990-bc2f-27710833ba20"
    gfs = info.gfs_retention_policy
    assert gfs is not None and gfs.enabled is True
    assert gfs.weekly is not None and gfs.weekly.retention_period == 2
    assert gfs.monthly is not None and gfs.monthly.selected_week == "First"
    assert gfs.yearly is not None and gfs.yearly.selected_month == "January"
    simple = info.simple_retention_policy
    assert simple is not None
    assert (simple.retain_cycles, simple.retain_days_to_keep, simple.retain_limit_type) == (
        5,
        7,
        "Cycles",
    )


def test_replica_job_with_flat_schedule_options() -> None:
    job = parse("replica_job.xml")
    assert isinstance(job, Job)
    assert job.name == "SQL Replication"
    assert job.job_type == "Replica" and job.platform == "VMware"
    assert job.schedule_configured is False and job.schedule_enabled is True
    assert job.next_run is None
    assert job.description == "Created by SRV02\\Administrator at 10/7/2014 6:02 AM."
    # This older body has no <Standart>: the options sit directly in JobScheduleOptions.
    assert job.schedule_options is not None and job.schedule_options.standard is not None
    standard = job.schedule_options.standard
    assert standard.options_daily is not None
    assert standard.options_daily.time == "22:00:00.0000000-07:00"
    assert standard.options_daily.time_offset_utc is None
    assert standard.options_continuous is not None
    assert standard.options_continuous.enabled is False
    assert standard.options_continuous.schedule == []  # <OptionsContinuous Enabled="false" />
    info = job.info
    assert isinstance(info, ReplicaJobInfo)
    assert (
        info.includes[0].hierarchy_obj_ref
        == "urn:VMware:Vm:ca2f751f-8f26-4f39-815e-ce493b61fd80.11"
    )
    gpo = info.guest_processing_options
    assert gpo is not None and gpo.vss_snapshot_options is not None
    assert gpo.vss_snapshot_options.vss_snapshot_mode == "Disabled"
    assert gpo.vss_snapshot_options.is_copy_only is True


def test_immediate_backup_copy_job() -> None:
    job = parse("immediate_backup_copy_job.xml")
    assert isinstance(job, Job)
    assert job.job_type == "ImmediateBackupCopy"
    assert job.platform == "CustomPlatform"
    assert job.link("Sync") is not None
    assert job.schedule_options is not None
    assert job.schedule_options.standard is None
    mode = job.schedule_options.immediate_copy_mode
    assert mode is not None and mode.options_continuous is not None
    assert mode.options_continuous.enabled is True
    tuesday = mode.options_continuous.schedule[2]
    assert tuesday.name == "Tuesday"
    assert tuesday.hours[:5] == (True, True, True, True, False)
    info = job.info
    assert isinstance(info, ImmediateBackupCopyJobInfo)
    (linked,) = info.linked_job_includes
    assert linked.linked_job_uid == "urn:veeam:Job:33fecc36-554b-437b-8bf8-3fdcb11866e7"
    assert info.linked_backup_repository_includes == []


def test_periodic_backup_copy_job() -> None:
    job = parse("periodic_backup_copy_job.xml")
    assert isinstance(job, Job)
    assert job.name == "Periodic Backup Copy Job"
    info = job.info
    assert isinstance(info, ImmediateBackupCopyJobInfo)
    assert info.linked_job_includes == []
    (repo,) = info.linked_backup_repository_includes
    assert repo.linked_backup_repository_uid == (
        "urn:veeam:Repository:da49abfc-838a-40a1-90a3-40acd2bc7000"
    )


def test_nas_job() -> None:
    job = parse("nas_job.xml")
    assert isinstance(job, NasJob)
    assert job.name == "Shared Files Backup"
    assert job.id == "93dfbb3e-f420-45cf-addc-4ee9297113f2"
    assert job.description == "Backup of file share"
    assert job.next_run == datetime(2020, 1, 31, 15, 0, tzinfo=timezone.utc)
    (share,) = job.includes
    assert share.file_or_folder == "\\\\srv12\\share"
    assert share.inclusion_mask == ["*.*"]
    assert share.exclusion_mask == ["\\\\srv12\\share\\.snapshot", "\\\\srv12\\share\\~snapshot"]
    assert share.file_server_uid == "urn:veeam:FileServer:517be4c8-9c43-4e7c-9f59-4e368d3a8f3c"
    storage = job.storage_options
    assert storage is not None
    assert storage.shortterm_retention_type == "Day"
    assert storage.shortterm_retention_period == 3
    assert storage.longterm_retention_enabled is False
    assert storage.advanced_storage_options is not None
    assert storage.advanced_storage_options.acl is not None
    assert (
        storage.advanced_storage_options.acl.file_attributes_change_tracking_mode
        == "TrackOnlyFolderAttributesChanges"
    )
    assert job.schedule_options is not None and job.schedule_options.standard is not None
    daily = job.schedule_options.standard.options_daily
    assert daily is not None and daily.time == "16:00:00.0000000+01:00"
    start = job.link("Start")
    assert start is not None and start.href.endswith(
        "/nas/jobs/93dfbb3e-f420-45cf-addc-4ee9297113f2/start"
    )


def test_entity_reference_list() -> None:
    refs = parse("job_references.xml")
    assert isinstance(refs, list) and len(refs) == 2
    first = refs[0]
    assert isinstance(first, EntityRef)
    assert first.name == "SQL Replication"
    assert first.type == "JobReference"
    assert first.id == "b04c217b-0538-4650-bec4-19deff4ea1ac"
    alternate = first.link("Alternate")
    assert alternate is not None and alternate.type == "Job"
    assert refs[1].name == "SQL Server Replication"


@pytest.mark.parametrize(
    ("name", "state", "success", "message"),
    [
        ("task_running.xml", "Running", None, None),
        ("task_finished.xml", "Finished", True, "Ok"),
        ("task_operation_finished.xml", "OperationFinished", True, "OperationFinished"),
        (
            "task_finished_with_message.xml",
            "Finished",
            True,
            'Job "SQL Server Replication" triggered to start.',
        ),
        ("task_sync_operation_finished.xml", "OperationFinished", True, "OperationFinished"),
    ],
)
def test_task_bodies(name: str, state: str, success: bool | None, message: str | None) -> None:
    task = parse(name)
    assert isinstance(task, TaskInfo)
    assert task.state == state
    assert task.finished is (state == "Finished")
    if success is None:
        assert task.result is None
    else:
        assert task.result is not None
        assert task.result.success is success
        assert task.result.message == message


def test_task_clone_result_links_to_the_new_job() -> None:
    task = parse("task_clone_finished.xml")
    assert isinstance(task, TaskInfo)
    assert task.id == "task-1" and task.operation == "CloneJob"
    related = task.link("Related")
    assert related is not None and related.type == "Job"
    assert "1ef18e6a-531a-4dbd-bb96-827478a25965" in related.href


def test_logon_session() -> None:
    logon = parse("logon_session.xml")
    assert isinstance(logon, LogonSession)
    assert logon.user_name == "SRV12\\Administrator"
    assert logon.session_id == "15a3fc97-0325-4119-b789-5c0367c6c565"
    tasks = [link for link in logon.links if link.type == "TaskList"]
    assert tasks and tasks[0].href.endswith("/api/tasks")


def test_error_document_is_returned_not_raised() -> None:
    error = from_xml(f'<Error {NS} Message="Job not found" StatusCode="404" />')
    assert isinstance(error, ErrorInfo)
    assert error.message == "Job not found" and error.status_code == 404


# -- the parsing rules ------------------------------------------------------


def test_repeating_elements_are_lists_even_with_one_or_none() -> None:
    one = from_xml(
        f'<Tasks {NS}><Task Href="h"><TaskId>task-9</TaskId><State>Running</State></Task></Tasks>'
    )
    assert isinstance(one, list) and [t.id for t in one] == ["task-9"]
    none = from_xml(f"<Tasks {NS} />")
    assert none == []
    empty_refs = from_xml(f"<EntityReferences {NS}></EntityReferences>")
    assert empty_refs == []


def test_booleans_any_case_and_false_is_false() -> None:
    task = from_xml(
        f"<Task {NS}><TaskId>t1</TaskId><State>Finished</State>"
        f'<Result Success="FALSE"><Message>boom</Message></Result></Task>'
    )
    assert isinstance(task, TaskInfo) and task.result is not None
    assert task.result.success is False
    job = from_xml(
        f'<Job {NS} Href="h" UID="urn:veeam:Job:5658281f-625e-4627-89dd-d2a0c48be99e">'
        "<ScheduleEnabled>True</ScheduleEnabled><ScheduleConfigured>false</ScheduleConfigured></Job>"
    )
    assert isinstance(job, Job)
    assert job.schedule_enabled is True and job.schedule_configured is False


def test_not_a_boolean_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError, match="not a boolean"):
        from_xml(f'<Task {NS}><TaskId>t1</TaskId><Result Success="maybe" /></Task>')


def test_unknown_enum_values_and_elements_are_kept() -> None:
    job = from_xml(
        f'<Job {NS} Href="h" UID="urn:veeam:Job:5658281f-625e-4627-89dd-d2a0c48be99e" Extra="x">'
        "<JobType>QuantumBackup</JobType><Platform>Nutanix</Platform>"
        "<SomethingNew><Deep>1</Deep></SomethingNew>"
        "<JobInfo><FutureJobInfo><X>1</X></FutureJobInfo></JobInfo></Job>"
    )
    assert isinstance(job, Job)
    assert job.job_type == "QuantumBackup" and job.platform == "Nutanix"
    assert job.extra == {"@Extra": "x", "SomethingNew": {"Deep": "1"}}
    assert isinstance(job.info, UnknownJobInfo) and job.info.kind == "FutureJobInfo"
    assert job.info.extra == {"X": "1"}
    task = from_xml(f"<Task {NS}><TaskId>t2</TaskId><State>Paused</State></Task>")
    assert isinstance(task, TaskInfo) and task.state == "Paused"


def test_empty_elements_become_none_or_defaults() -> None:
    job = from_xml(
        f'<Job {NS} Href="h" UID="urn:veeam:Job:5658281f-625e-4627-89dd-d2a0c48be99e">'
        "<Links /><Description /><NextRun /><JobScheduleOptions /><JobInfo /></Job>"
    )
    assert isinstance(job, Job)
    assert job.links == [] and job.description is None and job.next_run is None
    assert job.info is None


def test_next_run_with_offset_and_seven_digit_fraction_is_utc() -> None:
    job = from_xml(
        f'<Job {NS} Href="h" UID="urn:veeam:Job:5658281f-625e-4627-89dd-d2a0c48be99e">'
        "<NextRun>2024-05-01T10:30:00.1234567+02:00</NextRun></Job>"
    )
    assert isinstance(job, Job)
    assert job.next_run == datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (fixture_bytes("backup_job.xml")[:500], "not well-formed"),
        (b"", "empty body"),
        (b'<?xml version="1.0" encoding="u-f-8"?><Task/>', "not well-formed"),
        (b"<html><body>Service Unavailable</body></html>", "not in the EM namespace"),
        (f"<Job {NS}><JobType>Backup</JobType></Job>".encode(), "missing"),
        (f"<Unknown {NS} />".encode(), "unknown root"),
        (b'<Job xmlns="http://example.com/other" Href="h" UID="u" />', "not in the EM namespace"),
        (f"<Task {NS}><TaskId><A>1</A></TaskId></Task>".encode(), "expected text"),
        (
            f'<Job {NS} Href="h" UID="urn:veeam:Job:x"><NextRun>tomorrow</NextRun></Job>'.encode(),
            "not an xs:dateTime",
        ),
    ],
)
def test_malformed_documents_raise_response_parse_error(body: bytes, reason: str) -> None:
    with pytest.raises(ResponseParseError, match=reason) as caught:
        from_xml(body)
    if body:
        assert caught.value.excerpt == body[:200].decode()


def test_a_malformed_schedule_raises_when_it_is_first_read() -> None:
    """The schedule is structured on first use (most callers never read it): a
    malformed one is a `ResponseParseError` then, and the rest of the job reads."""
    body = (
        f'<Job {NS} Href="h" UID="u" Name="n"><JobScheduleOptions><Standart><RetryOptions>'
        "<RetryTimes>three</RetryTimes></RetryOptions></Standart></JobScheduleOptions></Job>"
    )
    job = from_xml(body)
    assert isinstance(job, Job) and job.name == "n"
    with pytest.raises(ResponseParseError, match="invalid literal"):
        job.schedule_options  # noqa: B018


def test_the_schedule_is_structured_once_when_first_read() -> None:
    job = from_xml(fixture_bytes("backup_job.xml"))
    assert isinstance(job, Job)
    first = job.schedule_options
    assert first is not None and job.schedule_options is first  # kept, not structured again
    assert first.retry_options is not None and first.retry_options.retry_times == 3


def test_doctype_and_entities_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE Task [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<Task xmlns="http://www.veeam.com/ent/v1.0"><TaskId>&b;</TaskId></Task>'
    )
    with pytest.raises(ResponseParseError, match="DOCTYPE"):
        from_xml(laughs)
    external = (
        b'<?xml version="1.0"?><!DOCTYPE Task SYSTEM "file:///etc/passwd">'
        b'<Task xmlns="http://www.veeam.com/ent/v1.0"><TaskId>t</TaskId></Task>'
    )
    with pytest.raises(ResponseParseError, match="DOCTYPE"):
        from_xml(external)


def test_a_backup_server_entity_from_the_vendors_body() -> None:
    server = from_xml(fixture_bytes("backup_server.xml"))
    assert isinstance(server, BackupServer)
    assert server.id == "ce15a8c7-aa49-495e-b05b-ee3398c91018"
    assert server.uid == "urn:veeam:BackupServer:ce15a8c7-aa49-495e-b05b-ee3398c91018"
    assert (server.name, server.port, server.version) == ("srv02.tech.local", 9392, "8.0")
    assert server.description is None  # <Description /> is empty
    jobs = server.link("Down", "JobReferenceList")
    assert jobs is not None and jobs.href.endswith("/backupServers/" + server.id + "/jobs")
