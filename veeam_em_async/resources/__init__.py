"""Resource namespaces hanging off the client: ``em.jobs``, ``em.nas_jobs``, ``em.agent_jobs``,
``em.repositories``, ``em.tasks`` and the sessions.

Each method is a URL, a verb and a model; retries, limits and re-logon are
the transport's business.
"""

from .agent_jobs import AgentJobsResource
from .backup_servers import BackupServersResource
from .jobs import JobsResource
from .nas_jobs import NasJobsResource
from .repositories import RepositoriesResource
from .sessions import BackupSessionsResource, ReplicaSessionsResource
from .tasks import TasksResource

__all__ = [
    "AgentJobsResource",
    "BackupServersResource",
    "BackupSessionsResource",
    "JobsResource",
    "NasJobsResource",
    "ReplicaSessionsResource",
    "RepositoriesResource",
    "TasksResource",
]
