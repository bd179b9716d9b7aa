"""Veeam Agent backup jobs (``<AgentBackupJob>``, ``/agents/jobs``).

Their ``<JobInfo>`` holds the job's content directly, with no variant element
as VM jobs have, and their includes are ``<ObjectInAgentBackupJob>``: the
shape of a VM job's ``<ObjectInJob>`` (protection groups and computers
instead of VMs).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from .common import HasLinks, Link, Model, uuid_from_uid, xml
from .jobs import GfsRetentionPolicy, GuestProcessingOptions, ObjectInJob, SimpleRetentionPolicy
from .schedule import JobScheduleOptions


class AgentPlatform:
    """Known ``Platform`` values of agent jobs (kept as strings: EM may add more)."""

    WINDOWS = "AgentForWindows"
    LINUX = "AgentForLinux"


@attrs.frozen
class AgentJobInfo(Model):
    includes: list[ObjectInJob] = xml("Includes/ObjectInAgentBackupJob", factory=list)
    guest_processing_options: GuestProcessingOptions | None = None
    gfs_retention_policy: GfsRetentionPolicy | None = None
    simple_retention_policy: SimpleRetentionPolicy | None = None


@attrs.frozen
class AgentBackupJob(Model, HasLinks):
    """A Veeam Agent backup job entity (``GET /agents/jobs/{id}?format=Entity``)."""

    href: str = xml("@Href")
    uid: str = xml("@UID")
    name: str | None = xml("@Name", default=None)
    type: str | None = xml("@Type", default=None)
    links: list[Link] = xml("Links/Link", factory=list)
    job_type: str | None = None
    platform: str | None = None
    description: str | None = None
    schedule_configured: bool = False
    schedule_enabled: bool = False
    next_run: datetime | None = None
    schedule_options: JobScheduleOptions | None = xml("JobScheduleOptions", default=None)
    info: AgentJobInfo | None = xml("JobInfo", default=None)

    @property
    def id(self) -> str:
        """The UUID part of ``uid``."""
        return uuid_from_uid(self.uid) or ""
