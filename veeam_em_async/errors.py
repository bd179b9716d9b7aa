"""The exception hierarchy.

Every error the library raises derives from :class:`VeeamEMError`, so a caller
can catch one class. Messages carry what EM said and the URL, never a header:
the session token travels in a header and the password only in the logon
request, so neither can reach an exception text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models.tasks import TaskInfo

__all__ = [
    "APIError",
    "AuthenticationError",
    "ClientClosedError",
    "InvalidIdentifierError",
    "NotFoundError",
    "PermissionDeniedError",
    "ResponseParseError",
    "ServerError",
    "TaskFailedError",
    "TaskTimeoutError",
    "TransportError",
    "VeeamEMError",
]

_EXCERPT_CHARS = 200


class VeeamEMError(Exception):
    """Base class of every error raised by veeam_em_async."""


class APIError(VeeamEMError):
    """EM answered with an error status.

    ``message`` is the text of EM's ``<Error Message=…>`` body when there is one,
    otherwise the HTTP reason phrase.
    """

    def __init__(self, status: int, message: str, url: str) -> None:
        self.status = status
        self.message = message
        self.url = url
        super().__init__(f"{status} {message} ({url})")


class AuthenticationError(APIError):
    """The logon was refused, or EM answered 401 again right after a re-logon."""


class PermissionDeniedError(APIError):
    """403: the account lacks the EM role the request needs."""


class NotFoundError(APIError):
    """404: the job, task or other resource does not exist."""


class ServerError(APIError):
    """5xx from EM."""


class TransportError(VeeamEMError):
    """The request got no HTTP answer: refused, reset, TLS failure or timeout.

    For a POST action this means the caller cannot know whether EM acted on it,
    which is why the library never re-sends one by itself.
    """

    def __init__(self, message: str, url: str | None = None, *, timed_out: bool = False) -> None:
        self.message = message
        self.url = url
        self.timed_out = timed_out
        super().__init__(f"{message} ({url})" if url else message)


class ClientClosedError(VeeamEMError):
    """The client was closed (or never opened) while a call needed it."""


class InvalidIdentifierError(VeeamEMError, ValueError):
    """A job or task identifier that cannot be turned into an EM URL."""


class ResponseParseError(VeeamEMError):
    """A body was not the EM XML document expected.

    ``excerpt`` holds the first characters of the body to help diagnose it.
    """

    def __init__(self, reason: str, body: bytes | str | None = None) -> None:
        self.reason = reason
        if isinstance(body, bytes):
            body = body[: _EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
        self.excerpt = (body or "")[:_EXCERPT_CHARS]
        text = reason if not self.excerpt else f"{reason}; body starts: {self.excerpt!r}"
        super().__init__(text)


class TaskFailedError(VeeamEMError):
    """The task finished and EM reported ``Result Success="false"``."""

    def __init__(self, task: TaskInfo) -> None:
        self.task = task
        self.message = (task.result.message if task.result else None) or "task failed"
        super().__init__(f"task {task.id} ({task.operation}) failed: {self.message}")


class TaskTimeoutError(VeeamEMError, TimeoutError):
    """``Task.wait(timeout=…)`` ran out before EM reported ``Finished``.

    ``task`` is the last :class:`TaskInfo` seen (``None`` if none was fetched).
    The task itself keeps running on EM.
    """

    def __init__(self, task_id: str, timeout: float, task: TaskInfo | None) -> None:
        self.task_id = task_id
        self.timeout = timeout
        self.task = task
        state = task.state if task else "unknown"
        super().__init__(f"task {task_id} not finished after {timeout:g} s (last state: {state})")
