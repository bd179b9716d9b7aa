"""veeam_em_async: an asyncio client for the Veeam Backup Enterprise Manager REST API."""

import logging

from .bulk import ActionOutcome, RunOutcome
from .client import EnterpriseManager
from .clock import Clock, LoopClock
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BodyBudgetExceededError,
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
    TaskLostError,
    TaskTimeoutError,
    TransportError,
    UnsupportedVersionError,
    VeeamEMError,
)
from .models import (
    AgentBackupJob,
    AgentJob,
    ApiRoot,
    BackupJobSession,
    BackupServer,
    BackupTaskSession,
    EntityRef,
    ErrorInfo,
    Job,
    JobSession,
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
    SupportedVersion,
    TaskInfo,
    TaskResult,
    TaskState,
    UnknownJobInfo,
    from_xml,
)
from .models.requests import JobCloneSpec, JobEdit
from .policies import RUN_POLL_POLICY, PollPolicy, RetryPolicy
from .query import Query
from .query._feed import SessionFeed
from .query._filters import F, Filter
from .runs import JobRun
from .transport._bodies import BodyBudget
from .transport._sansio import TransportStats
from .waiting._handles import Task

__version__ = "0.2.0"

# A library never prints on its own: without logging configured by the
# application, records stop here instead of reaching stderr (logging's
# lastResort handler).
logging.getLogger("veeam_em_async").addHandler(logging.NullHandler())

__all__ = [
    "RUN_POLL_POLICY",
    "APIError",
    "ActionOutcome",
    "AgentBackupJob",
    "AgentJob",
    "ApiRoot",
    "AuthenticationError",
    "BackupJobSession",
    "BackupServer",
    "BackupTaskSession",
    "BadRequestError",
    "BodyBudget",
    "BodyBudgetExceededError",
    "ClientClosedError",
    "Clock",
    "EnterpriseManager",
    "EntityRef",
    "ErrorInfo",
    "F",
    "Filter",
    "InvalidIdentifierError",
    "Job",
    "JobCloneSpec",
    "JobEdit",
    "JobRun",
    "JobSession",
    "JobType",
    "Link",
    "LogonSession",
    "LoopClock",
    "NasJob",
    "NotFoundError",
    "ObjectInJob",
    "PermissionDeniedError",
    "Platform",
    "PollPolicy",
    "Query",
    "ReplicaJobSession",
    "ReplicaTaskSession",
    "Repository",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "RunFailedError",
    "RunOutcome",
    "RunTimeoutError",
    "ServerError",
    "SessionFeed",
    "SessionResult",
    "SessionState",
    "SupportedVersion",
    "Task",
    "TaskFailedError",
    "TaskInfo",
    "TaskLostError",
    "TaskResult",
    "TaskState",
    "TaskTimeoutError",
    "TransportError",
    "TransportStats",
    "UnknownJobInfo",
    "UnsupportedVersionError",
    "VeeamEMError",
    "__version__",
    "from_xml",
]
