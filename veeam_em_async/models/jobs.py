"""VM jobs (``<Job>``) and the ``<JobInfo>`` variants.

``job_type`` and ``platform`` are kept as EM's strings: EM documents
``VMware``/``Hyperv``/``vCloud`` but sends ``HyperV`` and ``CustomPlatform``,
and later versions add more. The ``JobType``/``Platform`` classes list the
values known today for comparisons, without rejecting new ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Union

import attrs

from .common import Entity, HasLinks, Link, Model, xml
from .lazy import LazySchedule, lazily
from .schedule import JobScheduleOptions


class JobType:
    BACKUP = "Backup"
    REPLICA = "Replica"
    BACKUP_COPY = "BackupCopy"
    IMMEDIATE_BACKUP_COPY = "ImmediateBackupCopy"


class Platform:
    VMWARE = "VMware"
    HYPERV = "HyperV"
    VCLOUD = "vCloud"
    CUSTOM = "CustomPlatform"


@attrs.frozen
class VssSnapshotOptions(Model):
    vss_snapshot_mode: str | None = None
    is_copy_only: bool | None = None
    use_persistent_guest_agent: bool | None = None


@attrs.frozen
class GuestFSIndexingOptions(Model):
    file_system_indexing_mode: str | None = None
    included_indexing_folders: list[str] = xml("IncludedIndexingFolders/Path", factory=list)
    excluded_indexing_folders: list[str] = xml("ExcludedIndexingFolders/Path", factory=list)


@attrs.frozen
class SqlBackupOptions(Model):
    transaction_logs_processing: str | None = None
    backup_logs_frequency_min: int | None = None
    use_db_backup_retention: bool | None = None
    retain_days: int | None = None


@attrs.frozen
class FSFileExcludeOptions(Model):
    """Guest file exclusions (``<FSFileExcludeOptions>``): ``backup_scope`` 1
    backs up only ``include_list``, 2 everything but ``exclude_list``."""

    backup_scope: int | None = None
    include_list: list[str] = xml("IncludeList/Path", factory=list)
    exclude_list: list[str] = xml("ExcludeList/Path", factory=list)


@attrs.frozen
class OracleBackupOptions(Model):
    """Oracle archived-log handling (``<OracleBackupOptions>``)."""

    backup_logs_enabled: bool | None = None
    backup_logs_frequency_min: int | None = None
    use_db_backup_retention: bool | None = None
    retain_days: int | None = None
    archived_logs_truncation: str | None = None
    archived_logs_max_age_hours: int | None = None
    archived_logs_max_size_mb: int | None = None
    sysdba_creds_id: str | None = None
    proxy_auto_select: bool | None = None


@attrs.frozen
class GuestProcessingOptions(Model):
    """Application-aware processing and indexing (``GuestProcessingOptionsType``).

    The first five fields are the job-level form EM's ``POST …/includes``
    example still uses (``AppAwareProcessingMode``, ``FileSystemIndexingMode``,
    the indexing folders, ``CredentialsId``); the rest are the per-OS form.
    Both are in the schema from v1_2 to v1_7, in this order.
    """

    app_aware_processing_mode: str | None = None
    file_system_indexing_mode: str | None = None
    included_indexing_folders: list[str] = xml("IncludedIndexingFolders/Path", factory=list)
    excluded_indexing_folders: list[str] = xml("ExcludedIndexingFolders/Path", factory=list)
    credentials_id: str | None = None
    vss_snapshot_options: VssSnapshotOptions | None = None
    windows_guest_fs_indexing_options: GuestFSIndexingOptions | None = xml(
        "WindowsGuestFSIndexingOptions", default=None
    )
    linux_guest_fs_indexing_options: GuestFSIndexingOptions | None = xml(
        "LinuxGuestFSIndexingOptions", default=None
    )
    sql_backup_options: SqlBackupOptions | None = None
    windows_credentials_id: str | None = None
    linux_credentials_id: str | None = None
    fs_file_exclude_options: FSFileExcludeOptions | None = xml("FSFileExcludeOptions", default=None)
    oracle_backup_options: OracleBackupOptions | None = None


@attrs.frozen
class ObjectInJob(Model, HasLinks):
    """A VM or container a job processes (``<ObjectInJob>``; an agent job's
    ``<ObjectInAgentBackupJob>`` has the same shape)."""

    object_in_job_id: str | None = None
    hierarchy_obj_ref: str | None = None
    name: str | None = None
    display_name: str | None = None
    #: Processing order within the job (EM sends it from v1_2 on).
    order: int | None = None
    href: str | None = xml("@Href", default=None)
    type: str | None = xml("@Type", default=None)
    links: list[Link] = xml("Links/Link", factory=list)
    guest_processing_options: GuestProcessingOptions | None = None

    @property
    def id(self) -> str | None:
        """``ObjectInJobId``: what ``/jobs/{id}/includes/{id}`` is built from."""
        return self.object_in_job_id


@attrs.frozen
class AdvancedStorageOptions(Model):
    password_key_id: str | None = None


@attrs.frozen
class GfsPeriod(Model):
    """One of ``<Weekly>``, ``<Monthly>``, ``<Yearly>`` in a GFS policy."""

    enabled: bool | None = None
    retention_period: int | None = None
    selected_day: str | None = None
    selected_week: str | None = None
    selected_month: str | None = None


@attrs.frozen
class GfsRetentionPolicy(Model):
    enabled: bool = xml("@Enabled", default=False)
    weekly: GfsPeriod | None = None
    monthly: GfsPeriod | None = None
    yearly: GfsPeriod | None = None


@attrs.frozen
class SimpleRetentionPolicy(Model):
    retain_cycles: int | None = None
    retain_days_to_keep: int | None = None
    retain_limit_type: str | None = None


@attrs.frozen
class LinkedJob(Model):
    object_in_job_id: str | None = None
    linked_job_uid: str | None = None


@attrs.frozen
class LinkedBackupRepository(Model):
    object_in_job_id: str | None = None
    linked_backup_repository_uid: str | None = None


@attrs.frozen
class BackupJobInfo(Model):
    includes: list[ObjectInJob] = xml("Includes/ObjectInJob", factory=list)
    guest_processing_options: GuestProcessingOptions | None = None
    advanced_storage_options: AdvancedStorageOptions | None = None
    gfs_retention_policy: GfsRetentionPolicy | None = None
    simple_retention_policy: SimpleRetentionPolicy | None = None


@attrs.frozen
class ReplicaJobInfo(Model):
    includes: list[ObjectInJob] = xml("Includes/ObjectInJob", factory=list)
    guest_processing_options: GuestProcessingOptions | None = None


@attrs.frozen
class BackupCopyJobInfo(Model):
    """Periodic backup copy jobs made by Veeam B&R 11a or earlier."""

    includes: list[ObjectInJob] = xml("Includes/ObjectInJob", factory=list)
    linked_job_includes: list[LinkedJob] = xml("LinkedJobIncludes/LinkedJobObject", factory=list)
    advanced_storage_options: AdvancedStorageOptions | None = None


@attrs.frozen
class ImmediateBackupCopyJobInfo(Model):
    """Immediate backup copy jobs, and periodic ones made by B&R 12 or later."""

    linked_job_includes: list[LinkedJob] = xml("LinkedJobIncludes/LinkedJobObject", factory=list)
    linked_backup_repository_includes: list[LinkedBackupRepository] = xml(
        "LinkedBackupRepositoryIncludes/LinkedBackupRepository", factory=list
    )


@attrs.frozen
class FileCopyJobInfo(Model):
    """File copy jobs: the schema gives them no fields; whatever EM sends is
    in `extra`."""


@attrs.frozen
class UnknownJobInfo(Model):
    """A ``<JobInfo>`` variant this version does not know (a later EM's).

    It is kept visible rather than read as "no info": ``kind`` is the
    variant's element name and `extra` its content as xmltodict gave it.
    """

    kind: str


JobInfo = Union[
    BackupJobInfo,
    ReplicaJobInfo,
    BackupCopyJobInfo,
    ImmediateBackupCopyJobInfo,
    FileCopyJobInfo,
    UnknownJobInfo,
]

#: ``<JobInfo>`` child element name -> model.
JOB_INFO_VARIANTS: dict[str, type[JobInfo]] = {
    "BackupJobInfo": BackupJobInfo,
    "ReplicaJobInfo": ReplicaJobInfo,
    "BackupCopyJobInfo": BackupCopyJobInfo,
    "ImmediateBackupCopyJobInfo": ImmediateBackupCopyJobInfo,
    "FileCopyJobInfo": FileCopyJobInfo,
}


@attrs.frozen
class JobEntity(Entity, LazySchedule):
    """What VM and agent job entities share: all but their ``info``, which each
    subclass declares last (the schema puts ``<JobInfo>`` last)."""

    job_type: str | None = None
    platform: str | None = None
    description: str | None = None
    schedule_configured: bool = False
    schedule_enabled: bool = False
    next_run: datetime | None = None
    #: ``<JobScheduleOptions>`` as xmltodict gave it; `schedule_options` is the model.
    schedule_raw: Any = xml("JobScheduleOptions", default=None, repr=False)
    _schedule: JobScheduleOptions | None = attrs.field(
        init=False, default=None, repr=False, eq=False
    )


@attrs.frozen
class Job(JobEntity):
    """A VM job entity (``GET /jobs/{id}?format=Entity``)."""

    #: ``<JobInfo>`` as xmltodict gave it; `info` is the model, made on first use.
    info_raw: Any = xml("JobInfo", default=None, repr=False)
    _info: JobInfo | None = attrs.field(init=False, default=None, repr=False, eq=False)

    @property
    def info(self) -> JobInfo | None:
        """The job's ``<JobInfo>`` variant, structured when first read."""
        return lazily(self, "info_raw", "_info", JobInfo)  # type: ignore[arg-type]
