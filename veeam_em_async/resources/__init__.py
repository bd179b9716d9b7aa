"""Resource namespaces hanging off the client: ``em.jobs``, ``em.nas_jobs``, ``em.agent_jobs``,
``em.repositories``, ``em.tasks``, the sessions, and protection: ``em.backup_servers``,
``em.backups``, ``em.restore_points``, ``em.vm_restore_points``, ``em.reports``,
``em.hierarchy_roots`` and ``em.vms``.

Each method is a URL, a verb and a model; retries, limits and re-logon are
the transport's business.
"""

from .agent_jobs import AgentJobsResource
from .backup_servers import BackupServersResource
from .backups import BackupsResource, RestorePointsResource
from .hierarchy_roots import HierarchyRootsResource
from .jobs import JobsResource
from .nas_jobs import NasJobsResource
from .reports import ReportsResource
from .repositories import RepositoriesResource
from .sessions import BackupSessionsResource, ReplicaSessionsResource
from .tasks import TasksResource
from .vm_restore_points import VmRestorePointsResource
from .vms import VmsResource

__all__ = [
    "AgentJobsResource",
    "BackupServersResource",
    "BackupSessionsResource",
    "BackupsResource",
    "HierarchyRootsResource",
    "JobsResource",
    "NasJobsResource",
    "ReplicaSessionsResource",
    "ReportsResource",
    "RepositoriesResource",
    "RestorePointsResource",
    "TasksResource",
    "VmRestorePointsResource",
    "VmsResource",
]
