"""veeam_em_async: an asyncio client for the Veeam Backup Enterprise Manager REST API."""

import logging

from .bulk import ActionOutcome, RunOutcome
from .client import EnterpriseManager
from .clock import Clock, LoopClock
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    InvalidIdentifierError,
    NotFoundError,
    PermissionDeniedError,
    ResponseParseError,
    ResponseTooLargeError,
    RunFailedError,
    RunTimeoutError,
    ServerError,
    TaskFailedError,
    TaskTimeoutError,
    TransportError,
    UnsupportedVersionError,
    VeeamEMError,
)
from .filters import F, Filter
from .handles import Task
from .models import (
    AgentBackupJob,
    BackupJobSession,
    BackupTaskSession,
    EntityRef,
    ErrorInfo,
    Job,
    JobType,
    Link,
    LogonSession,
    NasJob,
    ObjectInJob,
    Platform,
    ReplicaJobSession,
    ReplicaTaskSession,
    Repository,
    SessionResult,
    SessionState,
    TaskInfo,
    TaskResult,
    TaskState,
    UnknownJobInfo,
    from_xml,
)
from .models.requests import JobCloneSpec, JobEdit
from .policies import RUN_POLL_POLICY, PollPolicy, RetryPolicy
from .runs import JobRun

__version__ = "0.2.0"

# A library never prints on its own: without logging configured by the
# application, records stop here instead of reaching stderr (logging's
# lastResort handler).
logging.getLogger("veeam_em_async").addHandler(logging.NullHandler())

__all__ = [
    "AgentBackupJob",
    "ObjectInJob",
    "Repository",
    "UnknownJobInfo",
    "ActionOutcome",
    "F",
    "Filter",
    "JobRun",
    "RUN_POLL_POLICY",
    "RunFailedError",
    "RunOutcome",
    "RunTimeoutError",
    "JobCloneSpec",
    "JobEdit",
    "Task",
    "APIError",
    "AuthenticationError",
    "BackupJobSession",
    "BackupTaskSession",
    "BadRequestError",
    "ClientClosedError",
    "Clock",
    "EnterpriseManager",
    "EntityRef",
    "ErrorInfo",
    "InvalidIdentifierError",
    "UnsupportedVersionError",
    "Job",
    "JobType",
    "Link",
    "LogonSession",
    "LoopClock",
    "NasJob",
    "NotFoundError",
    "PermissionDeniedError",
    "Platform",
    "PollPolicy",
    "ReplicaJobSession",
    "ReplicaTaskSession",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "SessionResult",
    "SessionState",
    "TaskFailedError",
    "TaskInfo",
    "TaskResult",
    "TaskState",
    "TaskTimeoutError",
    "TransportError",
    "VeeamEMError",
    "__version__",
    "from_xml",
]
