"""Veeam Agent backup jobs (``<AgentBackupJob>``, ``/agents/jobs``).

Their ``<JobInfo>`` holds the job's content directly, with no variant element
as VM jobs have, and their includes are ``<ObjectInAgentBackupJob>``: the
shape of a VM job's ``<ObjectInJob>`` (protection groups and computers
instead of VMs).
"""

from __future__ import annotations

import attrs

from .common import Model, xml
from .jobs import (
    GfsRetentionPolicy,
    GuestProcessingOptions,
    JobEntity,
    ObjectInJob,
    SimpleRetentionPolicy,
)


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
class AgentBackupJob(JobEntity):
    """A Veeam Agent backup job entity (``GET /agents/jobs/{id}?format=Entity``)."""

    info: AgentJobInfo | None = xml("JobInfo", default=None)


#: The name API.md gives the agent job model; ``AgentBackupJob`` (EM's element name) stays.
AgentJob = AgentBackupJob
