"""File share (NAS) backup jobs (``<NASJob>``)."""

from __future__ import annotations

from datetime import datetime

import attrs

from .common import HasLinks, Link, uuid_from_uid, xml
from .schedule import JobScheduleOptions


@attrs.frozen
class NasObject:
    """A file share, file or folder a NAS job processes (``<NASObject>``)."""

    href: str | None = xml("@Href", default=None)
    hierarchy_obj_ref: str | None = None
    object_in_job_id: str | None = None
    file_or_folder: str | None = None
    file_server_uid: str | None = None
    inclusion_mask: list[str] = xml("InclusionMask/Extension", factory=list)
    exclusion_mask: list[str] = xml("ExclusionMask/Extension", factory=list)


@attrs.frozen
class NasAclOptions:
    file_attributes_change_tracking_mode: str | None = None


@attrs.frozen
class NasAdvancedStorageOptions:
    acl: NasAclOptions | None = xml("ACL", default=None)


@attrs.frozen
class NasStorageOptions:
    backup_repository_uid: str | None = None
    shortterm_retention_type: str | None = None
    shortterm_retention_period: int | None = None
    longterm_retention_enabled: bool | None = None
    advanced_storage_options: NasAdvancedStorageOptions | None = None


@attrs.frozen
class NasJob(HasLinks):
    """A NAS job entity (``GET /nas/jobs/{id}?format=Entity``)."""

    href: str = xml("@Href")
    uid: str = xml("@UID")
    name: str | None = xml("@Name", default=None)
    type: str | None = xml("@Type", default=None)
    links: list[Link] = xml("Links/Link", factory=list)
    description: str | None = None
    includes: list[NasObject] = xml("Includes/NASObject", factory=list)
    storage_options: NasStorageOptions | None = None
    schedule_configured: bool = False
    schedule_enabled: bool = False
    next_run: datetime | None = None
    schedule_options: JobScheduleOptions | None = xml("JobScheduleOptions", default=None)

    @property
    def id(self) -> str:
        """The UUID part of ``uid``."""
        return uuid_from_uid(self.uid) or ""
