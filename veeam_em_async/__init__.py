"""veeam_em_async: an asyncio client for the Veeam Backup Enterprise Manager REST API."""

from .bulk import ActionOutcome
from .client import EnterpriseManager
from .errors import (
    APIError,
    AuthenticationError,
    ClientClosedError,
    InvalidIdentifierError,
    NotFoundError,
    PermissionDeniedError,
    ResponseParseError,
    ServerError,
    TaskFailedError,
    TaskTimeoutError,
    TransportError,
    VeeamEMError,
)
from .models import (
    EntityRef,
    ErrorInfo,
    Job,
    JobType,
    Link,
    LogonSession,
    NasJob,
    Platform,
    TaskInfo,
    TaskResult,
    TaskState,
    from_xml,
)
from .models.requests import JobCloneSpec, JobEdit
from .policies import PollPolicy, RetryPolicy
from .polling import Task

__version__ = "0.1.0"

__all__ = [
    "ActionOutcome",
    "JobCloneSpec",
    "JobEdit",
    "Task",
    "APIError",
    "AuthenticationError",
    "ClientClosedError",
    "EnterpriseManager",
    "EntityRef",
    "ErrorInfo",
    "InvalidIdentifierError",
    "Job",
    "JobType",
    "Link",
    "LogonSession",
    "NasJob",
    "NotFoundError",
    "PermissionDeniedError",
    "Platform",
    "PollPolicy",
    "ResponseParseError",
    "RetryPolicy",
    "ServerError",
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
