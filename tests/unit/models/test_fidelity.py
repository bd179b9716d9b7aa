"""Every field EM sends is reachable: the fields issue 14 added, on vendor bodies,
and ``extra`` for whatever a model does not name.

Where no vendor page shows a field (``Order``, ``CredentialsNeeded``, the NAS
long-term options), the test takes the vendor body and adds the element or
attribute the schema names, and says so.
"""

from __future__ import annotations

import attrs
import pytest
import xmltodict

from tests.conftest import fixture_bytes
from veeam_em_async import APIError, ErrorInfo, Job, NasJob, TaskInfo, from_xml
from veeam_em_async.models import (
    AgentBackupJob,
    ApiRoot,
    BackupJobInfo,
    FileCopyJobInfo,
    FSFileExcludeOptions,
    GuestProcessingOptions,
    ObjectInJob,
    OracleBackupOptions,
    Repository,
    UnknownJobInfo,
    converter,
)
from veeam_em_async.models.lazy import LAZY_FIELDS
from veeam_em_async.transport._error_map import api_error

NS = 'xmlns="http://www.veeam.com/ent/v1.0"'


def fragment(name: str) -> object:
    """A vendor fragment with no namespace (an element cut from a bigger body)."""
    ((_, content),) = xmltodict.parse(fixture_bytes(name)).items()
    return content


# --- GuestProcessingOptions --------------------------------------------------------


def test_job_level_guest_processing_fields_from_the_vendor_includes_request() -> None:
    # The vendor's POST /jobs/{id}/includes example uses the job-level form.
    spec = xmltodict.parse(fixture_bytes("add_include_request.xml"))["CreateObjectInJobSpec"]
    options = converter.structure(spec["GuestProcessingOptions"], GuestProcessingOptions)
    assert options.app_aware_processing_mode == "RequireSuccess"
    assert options.file_system_indexing_mode == "ExceptSpecifiedFolders"
    assert options.included_indexing_folders == []
    assert options.excluded_indexing_folders == ["%windir%", "%ProgramFiles%", "%TEMP%"]
    assert options.credentials_id is None  # <CredentialsId/>
    assert options.extra == {}


def test_file_exclusion_options_from_the_vendor_fragment() -> None:
    options = converter.structure(fragment("fs_file_exclude_options.xml"), FSFileExcludeOptions)
    assert options == FSFileExcludeOptions(backup_scope=2, include_list=[], exclude_list=["C:/TMP"])


def test_oracle_backup_options_from_the_vendor_fragment() -> None:
    options = converter.structure(fragment("oracle_backup_options.xml"), OracleBackupOptions)
    assert options.backup_logs_enabled is True
    assert options.backup_logs_frequency_min == 15
    assert options.use_db_backup_retention is True
    assert options.retain_days == 15
    assert options.archived_logs_truncation == "BySize"
    assert options.archived_logs_max_size_mb == 10240
    assert options.archived_logs_max_age_hours is None
    assert options.sysdba_creds_id == "00000000-0000-0000-0000-000000000000"
    assert options.proxy_auto_select is True


def test_file_exclusion_and_oracle_options_inside_a_job_are_read() -> None:
    body = fixture_bytes("backup_job.xml").decode()
    extra = (
        fixture_bytes("fs_file_exclude_options.xml").decode()
        + fixture_bytes("oracle_backup_options.xml").decode()
    )
    # The schema puts both last in GuestProcessingOptions; the first one in the
    # vendor body is the object's, the job-level one follows the includes.
    head, _, tail = body.rpartition("</GuestProcessingOptions>")
    job = from_xml(head + extra + "</GuestProcessingOptions>" + tail)
    assert isinstance(job, Job) and isinstance(job.info, BackupJobInfo)
    options = job.info.guest_processing_options
    assert options is not None
    assert options.fs_file_exclude_options == FSFileExcludeOptions(2, [], ["C:/TMP"])
    assert options.oracle_backup_options is not None
    assert options.oracle_backup_options.archived_logs_max_size_mb == 10240


# --- JobInfo variants --------------------------------------------------------------


def _job_with_info(info: str) -> str:
    return (
        f'<Job {NS} Href="https://em/api/jobs/1?format=Entity" '
        f'UID="urn:veeam:Job:00000000-0000-0000-0000-000000000001"><JobInfo>{info}</JobInfo></Job>'
    )


def test_file_copy_job_info_is_its_own_variant() -> None:
    job = from_xml(_job_with_info("<FileCopyJobInfo><Source>C:\\data</Source></FileCopyJobInfo>"))
    assert isinstance(job, Job)
    assert isinstance(job.info, FileCopyJobInfo)
    assert job.info.extra == {"Source": "C:\\data"}  # the schema names no fields: kept anyway


def test_an_unknown_job_info_variant_stays_visible() -> None:
    job = from_xml(_job_with_info("<CdpPolicyInfo><Rpo>15</Rpo></CdpPolicyInfo>"))
    assert isinstance(job, Job)
    assert isinstance(job.info, UnknownJobInfo)
    assert job.info.kind == "CdpPolicyInfo"
    assert job.info.extra == {"Rpo": "15"}


def test_an_empty_job_info_is_none() -> None:
    job = from_xml(_job_with_info(""))
    assert isinstance(job, Job) and job.info is None


# --- ObjectInJob -------------------------------------------------------------------


def test_object_in_job_links_type_and_order() -> None:
    items = from_xml(fixture_bytes("job_includes.xml"))
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    assert isinstance(item, ObjectInJob)
    assert item.type == "ObjectInJob"
    assert item.id == "83071dc0-44f2-49b6-b431-1cb79ed66639"
    delete = item.link("Delete")
    assert delete is not None
    assert delete.href.endswith("/includes/83071dc0-44f2-49b6-b431-1cb79ed66639")
    assert item.link("Up") is not None
    assert item.order is None  # the vendor example sends none
    # The schema's <Order> (v1_2 on), after DisplayName:
    body = (
        fixture_bytes("job_includes.xml")
        .decode()
        .replace(
            "<DisplayName>oracle</DisplayName>", "<DisplayName>oracle</DisplayName><Order>3</Order>"
        )
    )
    (ordered,) = from_xml(body)  # type: ignore[misc]
    assert ordered.order == 3
    assert ordered.extra == {}


# --- TaskResult and Error ----------------------------------------------------------


def test_task_result_credentials_and_confirmation_attributes() -> None:
    body = fixture_bytes("task_finished.xml").decode()
    assert 'Result Success="true"' in body
    plain = from_xml(body)
    assert isinstance(plain, TaskInfo) and plain.result is not None
    assert plain.result.credentials_needed is None and plain.result.confirmation_needed is None
    flagged = from_xml(
        body.replace(
            'Result Success="true"',
            'Result Success="false" CredentialsNeeded="true" ConfirmationNeeded="false"',
        )
    )
    assert isinstance(flagged, TaskInfo) and flagged.result is not None
    assert flagged.result.credentials_needed is True
    assert flagged.result.confirmation_needed is False
    assert flagged.result.extra == {}


def test_error_first_chance_message_stack_trace_and_status() -> None:
    info = from_xml(fixture_bytes("error_first_chance.xml"))
    assert isinstance(info, ErrorInfo)
    assert info.status_code == 500
    assert info.first_chance_exception_message == (
        "Object reference not set to an instance of an object."
    )
    # Same text as Message: the exception says it once.
    assert info.describe() == "Object reference not set to an instance of an object."
    full = ErrorInfo(
        message="Failed to start the job.",
        status_code=500,
        status="InternalServerError",
        first_chance_exception_message="Backup server srv01 is not available.",
        stack_trace="   at Veeam.Backup.Rest.JobsController.Start()",
    )
    assert full.describe() == (
        "Failed to start the job. (first-chance exception: Backup server srv01 is not available.)"
    )


def test_the_exception_shows_the_first_chance_message_but_never_the_stack_trace() -> None:
    body = (
        f'<Error {NS} Message="Failed to start the job." StatusCode="500" Status="Error">'
        "<FirstChanceExceptionMessage>Backup server srv01 is not available."
        "</FirstChanceExceptionMessage>"
        "<StackTrace>   at Veeam.Backup.Rest.JobsController.Start() secret-frame</StackTrace>"
        "</Error>"
    ).encode()
    info = from_xml(body)
    assert isinstance(info, ErrorInfo)
    assert info.status == "Error" and info.stack_trace is not None
    error = api_error(500, body, "https://em/api/jobs/1?action=start")
    assert isinstance(error, APIError)
    assert "Backup server srv01 is not available." in str(error)
    assert "StackTrace" not in str(error) and "secret-frame" not in str(error)


# --- NAS storage options -----------------------------------------------------------


def test_nas_long_term_retention_and_archive_options() -> None:
    # The vendor pages describe these elements but show no body with them; this
    # is the vendor NAS job with long-term retention on, as the page's tables say.
    body = fixture_bytes("nas_job.xml").decode()
    ltr = (
        "<LongtermRetentionEnabled>true</LongtermRetentionEnabled>"
        "<KeepFileVersionsHistoryOptions>"
        "<LongtermRetentionType>Year</LongtermRetentionType>"
        "<LongtermRetentionPeriod>3</LongtermRetentionPeriod>"
        "<BackupRepositoryUid>urn:veeam:Repository:d4b5e196-f3ad-474c-99bc-dfef051dae07"
        "</BackupRepositoryUid>"
        "<ArchiveFileTypes>"
        "<ActiveFileRetentionEnabled>true</ActiveFileRetentionEnabled>"
        "<MaxActiveFileVersionsToKeep>10</MaxActiveFileVersionsToKeep>"
        "<DeletedFileRetentionEnabled>false</DeletedFileRetentionEnabled>"
        "<MaxDeletedFileVersionsToKeep>3</MaxDeletedFileVersionsToKeep>"
        "<FileExtensionsOption><ArchiveFileExtensionsScope>ExceptSpecified"
        "</ArchiveFileExtensionsScope><InclusionMask /><ExclusionMask>"
        "<Extension>*.tmp</Extension><Extension>*.bak</Extension></ExclusionMask>"
        "</FileExtensionsOption></ArchiveFileTypes></KeepFileVersionsHistoryOptions>"
    )
    assert "<LongtermRetentionEnabled>false</LongtermRetentionEnabled>" in body
    job = from_xml(body.replace("<LongtermRetentionEnabled>false</LongtermRetentionEnabled>", ltr))
    assert isinstance(job, NasJob) and job.storage_options is not None
    assert job.storage_options.longterm_retention_enabled is True
    history = job.storage_options.keep_file_versions_history_options
    assert history is not None
    assert (history.longterm_retention_type, history.longterm_retention_period) == ("Year", 3)
    assert history.backup_repository_uid == (
        "urn:veeam:Repository:d4b5e196-f3ad-474c-99bc-dfef051dae07"
    )
    archive = history.archive_file_types
    assert archive is not None
    assert archive.active_file_retention_enabled is True
    assert archive.max_active_file_versions_to_keep == 10
    assert archive.deleted_file_retention_enabled is False
    assert archive.max_deleted_file_versions_to_keep == 3
    assert archive.file_extensions_option is not None
    assert archive.file_extensions_option.archive_file_extensions_scope == "ExceptSpecified"
    assert archive.file_extensions_option.exclusion_mask == ["*.tmp", "*.bak"]
    assert archive.file_extensions_option.inclusion_mask == []


def test_vendor_nas_job_without_long_term_options_reads_none() -> None:
    job = from_xml(fixture_bytes("nas_job.xml"))
    assert isinstance(job, NasJob) and job.storage_options is not None
    assert job.storage_options.keep_file_versions_history_options is None


# --- New documents -----------------------------------------------------------------


def test_agent_backup_job_from_the_vendor_body() -> None:
    job = from_xml(fixture_bytes("agent_job.xml"))
    assert isinstance(job, AgentBackupJob)
    assert job.id == "a6deb158-b26c-4140-8b26-5a3cc344e8ec"
    assert (job.name, job.job_type) == ("Server Backup", "AgentBackup")
    assert job.platform == "AgentForWindows"
    assert job.schedule_enabled is True
    assert job.schedule_options is not None and job.schedule_options.retry_options is not None
    assert job.schedule_options.retry_options.retry_times == 3
    assert job.info is not None
    (group,) = job.info.includes
    assert (group.name, group.type) == ("Windows Servers", "ObjectInAgentBackupJob")
    assert group.guest_processing_options is not None
    linux = group.guest_processing_options.linux_guest_fs_indexing_options
    assert linux is not None and "/lost+found" in linux.excluded_indexing_folders
    assert job.info.simple_retention_policy is not None
    assert job.info.simple_retention_policy.retain_cycles == 5
    assert job.link("Start") is not None and job.link("Retry") is not None


def test_repository_from_the_vendor_body_and_free_ratio() -> None:
    repo = from_xml(fixture_bytes("repository.xml"))
    assert isinstance(repo, Repository)
    assert repo.capacity == 1079639011328
    assert repo.free_space == 881812750336
    assert repo.kind == "WindowsLocal"
    assert repo.free_ratio == pytest.approx(881812750336 / 1079639011328)
    assert repo.used_ratio == pytest.approx(1 - 881812750336 / 1079639011328)


@pytest.mark.parametrize(
    ("capacity", "free", "ratio"),
    [(None, 5, None), (0, 0, None), (100, None, None), (100, 15, 0.15), (100, 120, 1.0)],
)
def test_free_ratio_without_usable_numbers(
    capacity: int | None, free: int | None, ratio: float | None
) -> None:
    repo = Repository(href="h", uid="urn:veeam:Repository:x", capacity=capacity, free_space=free)
    assert repo.free_ratio == ratio


def test_api_root_lists_the_versions_em_offers() -> None:
    root = from_xml(fixture_bytes("api_versions.xml"))
    assert isinstance(root, ApiRoot)
    assert root.version_names == ["v1_5", "v1_6", "v1_7"]
    create = root.supported_versions[2].link("Create")
    assert create is not None and create.href.endswith("/api/sessionMngr/?v=v1_7")


# --- extra -------------------------------------------------------------------------


def test_unmodelled_elements_and_attributes_are_kept_in_extra() -> None:
    body = (
        fixture_bytes("backup_job.xml")
        .decode()
        .replace("<Description>", '<FutureElement Mode="x">kept</FutureElement><Description>', 1)
    )
    job = from_xml(body)
    assert isinstance(job, Job)
    assert job.extra == {"FutureElement": {"@Mode": "x", "#text": "kept"}}
    assert job == from_xml(fixture_bytes("backup_job.xml"))  # extra is not part of equality
    assert "FutureElement" not in repr(job)


def test_vendor_bodies_leave_nothing_unmodelled_but_known_gaps() -> None:
    """Walk every model in the vendor bodies: the only leftovers are the ones
    this version deliberately leaves in ``extra`` (``LinkedBackupIncludes``:
    the vendor pages never show its items)."""
    leftovers: set[tuple[str, str]] = set()

    def walk(value: object) -> None:
        if attrs.has(type(value)):
            for key in getattr(value, "extra", {}):
                leftovers.add((type(value).__name__, key))
            for field in attrs.fields(type(value)):
                if field.init:  # a lazily structured part is walked structured
                    walk(getattr(value, LAZY_FIELDS.get(field.name, field.name)))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for name in (
        "backup_job.xml", "replica_job.xml", "periodic_backup_copy_job.xml",
        "immediate_backup_copy_job.xml", "nas_job.xml", "agent_job.xml", "repository.xml",
        "job_includes.xml", "task_finished.xml", "backup_job_session.xml",
        "replica_task_session.xml", "logon_session.xml", "api_versions.xml",
        "agent_job_references.xml",
    ):  # fmt: skip
        walk(from_xml(fixture_bytes(name)))
    assert leftovers == {("ImmediateBackupCopyJobInfo", "LinkedBackupIncludes")}
