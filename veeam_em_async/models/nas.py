"""File share (NAS) backup jobs (``<NASJob>``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from .common import Entity, Model, xml
from .lazy import LazySchedule
from .schedule import JobScheduleOptions


@attrs.frozen
class NasObject(Model):
    """A file share, file or folder a NAS job processes (``<NASObject>``)."""

    href: str | None = xml("@Href", default=None)
    type: str | None = xml("@Type", default=None)
    hierarchy_obj_ref: str | None = None
    object_in_job_id: str | None = None
    file_or_folder: str | None = None
    file_server_uid: str | None = None
    inclusion_mask: list[str] = xml("InclusionMask/Extension", factory=list)
    exclusion_mask: list[str] = xml("ExclusionMask/Extension", factory=list)


@attrs.frozen
class NasAclOptions(Model):
    file_attributes_change_tracking_mode: str | None = None


@attrs.frozen
class NasAdvancedStorageOptions(Model):
    acl: NasAclOptions | None = xml("ACL", default=None)


@attrs.frozen
class NasFileExtensionsOption(Model):
    """Which file types go to the archive (``<FileExtensionsOption>``):
    ``archive_file_extensions_scope`` is ``Any``, ``Specified`` or ``ExceptSpecified``."""

    archive_file_extensions_scope: str | None = None
    inclusion_mask: list[str] = xml("InclusionMask/Extension", factory=list)
    exclusion_mask: list[str] = xml("ExclusionMask/Extension", factory=list)


@attrs.frozen
class NasArchiveFileTypes(Model):
    """How many versions of active and deleted files the archive keeps (``<ArchiveFileTypes>``)."""

    active_file_retention_enabled: bool | None = None
    max_active_file_versions_to_keep: int | None = None
    deleted_file_retention_enabled: bool | None = None
    max_deleted_file_versions_to_keep: int | None = None
    file_extensions_option: NasFileExtensionsOption | None = None


@attrs.frozen
class NasFileVersionsHistory(Model):
    """Long-term retention: the archive repository and how long it keeps file
    versions (``<KeepFileVersionsHistoryOptions>``)."""

    longterm_retention_type: str | None = None
    longterm_retention_period: int | None = None
    backup_repository_uid: str | None = None
    archive_file_types: NasArchiveFileTypes | None = None


@attrs.frozen
class NasStorageOptions(Model):
    backup_repository_uid: str | None = None
    shortterm_retention_type: str | None = None
    shortterm_retention_period: int | None = None
    longterm_retention_enabled: bool | None = None
    keep_file_versions_history_options: NasFileVersionsHistory | None = None
    advanced_storage_options: NasAdvancedStorageOptions | None = None


@attrs.frozen
class NasJob(Entity, LazySchedule):
    """A NAS job entity (``GET /nas/jobs/{id}?format=Entity``)."""

    description: str | None = None
    includes: list[NasObject] = xml("Includes/NASObject", factory=list)
    storage_options: NasStorageOptions | None = None
    schedule_configured: bool = False
    schedule_enabled: bool = False
    next_run: datetime | None = None
    #: ``<JobScheduleOptions>`` as xmltodict gave it; `schedule_options` is the model.
    schedule_raw: Any = xml("JobScheduleOptions", default=None, repr=False)
    _schedule: JobScheduleOptions | None = attrs.field(
        init=False, default=None, repr=False, eq=False
    )
