"""Exit statuses and the one-line messages of ``veeam-em``. Pure.

The statuses are a contract (``docs/cli.md``), as ``gh`` and ``kubectl`` users
expect: a script tells "EM refused the password" from "no such job" from "3 of
30 jobs failed" without reading the text.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

from ..errors import (
    AuthenticationError,
    InvalidIdentifierError,
    NotFoundError,
    PermissionDeniedError,
    TaskLostError,
    TransportError,
    UnsupportedVersionError,
)

OK = 0
#: The action or run failed, a check failed (``jobs status``, ``repositories``),
#: or any other error.
FAILED = 1
#: A bad command line, option, profile or id (click's own usage errors too).
USAGE = 2
#: EM refused the logon (401) or the user's rights (403).
AUTH = 3
#: A job, session or task named on the command line does not exist.
NOT_FOUND = 4
#: A bulk action or run: some jobs succeeded and some failed.
PARTIAL = 5
#: Ctrl-C (128 + SIGINT), after printing what EM had already accepted.
INTERRUPTED = 130

EXIT_CODES = {
    "ok": OK, "failed": FAILED, "usage": USAGE, "auth": AUTH, "not_found": NOT_FOUND,
    "partial": PARTIAL, "interrupted": INTERRUPTED,
}  # fmt: skip


class UsageError(Exception):
    """A mistake on the command line or in the profile: exit 2."""


class JobNotFoundError(Exception):
    """A name or id on the command line matches nothing: exit 4."""


def bulk_status(succeeded: int, failed: int) -> int:
    """0 if nothing failed, 1 if nothing succeeded, else 5 (partial)."""
    if not failed:
        return OK
    return PARTIAL if succeeded else FAILED


def exit_code(error: BaseException) -> int:
    if isinstance(error, (UsageError, InvalidIdentifierError, UnsupportedVersionError)):
        return USAGE
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return AUTH
    if isinstance(error, (NotFoundError, JobNotFoundError)):
        return NOT_FOUND
    return FAILED


#: Where the exceptions under aiohttp's come from: they say what happened plainly.
_STDLIB = ("builtins", "ssl", "socket")


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def hint(error: BaseException, url: str | None = None) -> str | None:
    """What to try next, for the mistakes people make when they first connect."""
    causes = list(_causes(error))
    if isinstance(error, AuthenticationError):
        return (
            "check the user name and password; a domain account is written DOMAIN\\user "
            "(in a shell, quote it: 'DOMAIN\\user')"
        )
    if isinstance(error, PermissionDeniedError):
        return "the user needs a Portal Administrator or Portal User role in Enterprise Manager"
    if isinstance(error, TaskLostError):
        return (
            "EM keeps a task only within its logon session, and each veeam-em command logs "
            "on anew: see the job's runs with 'veeam-em sessions list --since 1h'"
        )
    if not isinstance(error, TransportError):
        return None
    if any(isinstance(c, ssl.SSLCertVerificationError) for c in causes):
        return "EM's certificate is not trusted: pass --ca-file with its CA, or --insecure"
    if any(isinstance(c, ssl.SSLError) and "WRONG_VERSION_NUMBER" in str(c) for c in causes):
        plain = url.replace("https://", "http://", 1) if url else "http://…"
        return f"the server does not speak TLS on that port: try {plain}"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "nothing listens there: EM's REST API listens on port 9398 (https://host:9398)"
    if any(isinstance(c, OSError) and "Name or service not known" in str(c) for c in causes):
        return "the host name does not resolve: check the URL"
    if error.timed_out or any(isinstance(c, TimeoutError) for c in causes):
        return "EM did not answer in time: check the URL, or raise --timeout"
    return None


def message(error: BaseException) -> str:
    """The error in one line, without the internals of the HTTP library."""
    if isinstance(error, TransportError):
        # The deepest cause the standard library raised says it plainly.
        root = next(
            (c for c in reversed(list(_causes(error))) if type(c).__module__ in _STDLIB), None
        )
        where = f" at {error.url}" if error.url else ""
        if error.timed_out:
            return f"EM{where} did not answer within the timeout"
        return f"cannot reach EM{where}: {_plain(root) if root is not None else error.message}"
    text = str(error) or type(error).__name__
    return " ".join(text.split())


def _plain(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = getattr(error, "verify_message", None)
        return f"certificate verify failed ({detail})" if detail else "certificate verify failed"
    if isinstance(error, ssl.SSLError):
        return f"TLS error ({getattr(error, 'reason', None) or error})"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
