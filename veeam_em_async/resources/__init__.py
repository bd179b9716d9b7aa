"""Resource namespaces hanging off the client: ``em.jobs``, ``em.nas_jobs``, ``em.tasks``.

Each method is a URL, a verb and a model; retries, limits and re-logon are
the transport's business.
"""

from .jobs import JobsResource
from .nas_jobs import NasJobsResource
from .sessions import BackupSessionsResource, ReplicaSessionsResource
from .tasks import TasksResource

__all__ = [
    "BackupSessionsResource",
    "JobsResource",
    "NasJobsResource",
    "ReplicaSessionsResource",
    "TasksResource",
]
