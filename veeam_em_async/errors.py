"""The exception hierarchy.

Every error the library raises derives from `VeeamEMError`, so a caller
can catch one class. Messages carry what EM said and the URL, never a header:
the session token travels in a header and the password only in the logon
request, so neither can reach an exception text.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models.sessions import BackupJobSession, ReplicaJobSession
    from .models.tasks import TaskInfo

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BodyBudgetExceededError",
    "ClientClosedError",
    "InvalidIdentifierError",
    "NotFoundError",
    "PermissionDeniedError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RunFailedError",
    "RunTimeoutError",
    "ServerError",
    "TaskFailedError",
    "TaskLostError",
    "TaskTimeoutError",
    "TransportError",
    "VeeamEMError",
]

_EXCERPT_CHARS = 200
_REDACTED = "<redacted>"

# Secrets of the live clients (passwords, Basic credentials, session tokens).
# A hostile or broken server can echo request headers into a body or an
# <Error Message=…>; every text an exception carries passes through redact().
_SECRETS: set[str] = set()


def register_secret(value: str | None) -> None:
    """Never let ``value`` appear in an exception text (no-op for short values)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def forget_secret(value: str | None) -> None:
    if value:
        _SECRETS.discard(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``<redacted>``."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, _REDACTED)
    return text


class VeeamEMError(Exception):
    """Base class of every error raised by veeam_em_async."""


class APIError(VeeamEMError):
    """EM answered with an error status.

    ``message`` is the text of EM's ``<Error Message=…>`` body when there is one,
    otherwise the HTTP reason phrase.
    """

    def __init__(self, status: int, message: str, url: str) -> None:
        self.status = status
        self.message = redact(message)
        self.url = url
        super().__init__(f"{status} {self.message} ({url})")


class BadRequestError(APIError):
    """400: EM refused the request as invalid, for example ``start`` on a backup
    copy job (which takes ``sync``) or a malformed clone specification."""


class AuthenticationError(APIError):
    """The logon was refused, or EM answered 401 again right after a (re-)logon."""


class PermissionDeniedError(APIError):
    """403: the account lacks the EM role the request needs."""


class NotFoundError(APIError):
    """404: the job, task or other resource does not exist."""


class ServerError(APIError):
    """5xx from EM."""


class TaskLostError(NotFoundError):
    """EM dropped the task with the logon session that created it (after a re-logon,
    ``GET /tasks/{id}`` answers 500 "There is no backup task with id [task-297] in
    current rest session"). Polling cannot cure it. The action was sent once and
    may have run: its outcome is in what it acted on (a job's sessions)."""

    def __init__(self, status: int, message: str, url: str, task_id: str) -> None:
        self.task_id = task_id
        why = f"EM dropped task {task_id} with the logon session that created it ({message})"
        how = "the action was sent once; its outcome is in what it acted on (a job's sessions)"
        super().__init__(status, f"{why}; {how}", url)


class TransportError(VeeamEMError):
    """The request got no HTTP answer: refused, reset, TLS failure or timeout.

    For a POST action this means the caller cannot know whether EM acted on it,
    which is why the library never re-sends one by itself.
    """

    def __init__(self, message: str, url: str | None = None, *, timed_out: bool = False) -> None:
        message = redact(message)
        self.message = message
        self.url = url
        self.timed_out = timed_out
        super().__init__(f"{message} ({url})" if url else message)


class ClientClosedError(VeeamEMError):
    """The client was closed (or never opened) while a call needed it."""


class UnsupportedVersionError(VeeamEMError):
    """EM does not offer the API version the client was asked for.

    Raised before the logon is sent, so no password goes to a doomed logon.
    ``offered`` lists the versions EM does offer (``["v1_4", "v1_5"]``).
    """

    def __init__(self, wanted: str, offered: list[str], url: str) -> None:
        self.wanted = wanted
        self.offered = offered
        self.url = url
        shown = ", ".join(offered) if offered else "none"
        super().__init__(
            f"EM at {url} does not offer API version {wanted!r}; it offers: {shown} "
            "(or use api_version='latest')"
        )


class InvalidIdentifierError(VeeamEMError, ValueError):
    """A job or task identifier that cannot be turned into an EM URL."""


class ResponseParseError(VeeamEMError):
    """A body was not the EM XML document expected.

    ``excerpt`` holds the first characters of the body to help diagnose it.
    """

    def __init__(self, reason: str, body: bytes | bytearray | str | None = None) -> None:
        if isinstance(body, (bytes, bytearray, memoryview)):
            body = bytes(body[: _EXCERPT_CHARS * 4]).decode("utf-8", errors="replace")
        # Redact before cutting, so that a secret straddling the cut cannot leak a part.
        self.reason = reason = redact(reason)
        self.excerpt = redact((body or "")[: _EXCERPT_CHARS * 4])[:_EXCERPT_CHARS]
        text = reason if not self.excerpt else f"{reason}; body starts: {self.excerpt!r}"
        super().__init__(text)


class ResponseTooLargeError(ResponseParseError):
    """A body (decompressed) exceeded the client's ``max_body_bytes``.

    Not retried: the same request would bring the same body. Reading stops at
    the limit, so a hostile server (a gzip bomb) costs at most that much memory.
    """

    def __init__(self, limit: int, url: str | None = None, why: str | None = None) -> None:
        self.limit = limit
        self.url = url
        where = f" from {url}" if url else ""
        super().__init__(f"response body{where} {why or f'exceeds the limit of {limit} bytes'}")


class BodyBudgetExceededError(ResponseTooLargeError):
    """The bodies being read at once would pass the shared ``BodyBudget`` (many large
    answers at once, or hostile ones). Not retried; its bytes are given back at once."""

    def __init__(self, limit: int, held: int, url: str | None = None) -> None:
        self.held = held
        why = f"not read whole: bodies being read hold {held} of the shared {limit} bytes"
        super().__init__(limit, url, f"{why} (body_budget)")


class TaskFailedError(VeeamEMError):
    """The task finished and EM reported ``Result Success="false"``."""

    def __init__(self, task: TaskInfo) -> None:
        self.task = task
        default = "task failed" if task.result else f"task ended in state {task.state!r}"
        self.message = redact((task.result.message if task.result else None) or default)
        super().__init__(f"task {task.id} ({task.operation}) failed: {self.message}")


class TaskTimeoutError(VeeamEMError, TimeoutError):
    """``Task.wait(timeout=…)`` ran out before EM reported ``Finished``.

    ``task`` is the last `TaskInfo` seen (``None`` if none was fetched).
    The task itself keeps running on EM.
    """

    def __init__(self, task_id: str, timeout: float, task: TaskInfo | None) -> None:
        self.task_id = task_id
        self.timeout = timeout
        self.task = task
        state = task.state if task else "unknown"
        super().__init__(f"task {task_id} not finished after {timeout:g} s (last state: {state})")


class RunFailedError(VeeamEMError):
    """The job run ended ``Failed`` (or stopped without a result).

    ``session`` is the final job session; ``message`` says which job and
    how it ended. `JobRun.task_sessions` gives each VM's reason.
    """

    def __init__(self, session: BackupJobSession | ReplicaJobSession) -> None:
        self.session = session
        result = session.result or f"no result (state {session.state})"
        retry = " (a retry)" if session.is_retry else ""
        self.message = redact(f"job {session.job_name!r} run {session.name!r}{retry}: {result}")
        super().__init__(self.message)


class RunTimeoutError(VeeamEMError, TimeoutError):
    """``JobRun.wait(timeout=…)`` ran out before the run ended.

    ``session`` is the last session seen (``None`` if EM had not listed the
    run's session yet). The job keeps running on EM; nothing was sent to stop it.
    """

    def __init__(
        self, timeout: float, session: BackupJobSession | ReplicaJobSession | None, what: str
    ) -> None:
        self.timeout = timeout
        self.session = session
        state = f"last state: {session.state}" if session else "no session listed yet"
        super().__init__(f"{what} not finished after {timeout:g} s ({state})")


#: Status -> exception class; any other 4xx is a plain APIError, any 5xx a ServerError.
_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}


def error_class(status: int) -> type[APIError]:
    """The exception class for an error ``status``. Pure."""
    if status >= 500:
        return ServerError
    return _STATUS_ERRORS.get(status, APIError)


def reason_phrase(status: int) -> str:
    """``404`` -> ``"Not Found"``; EM's message stands in when it sent one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"
