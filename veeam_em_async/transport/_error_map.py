"""An error answer -> the exception to raise. Pure: status, headers and body in.

EM explains itself in an ``<Error Message=… StatusCode=…>`` body; proxies,
load balancers and broken servers answer HTML or nothing. Either way the
exception says the status, and what the body said when it said anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import APIError, ResponseParseError, TaskLostError, error_class, reason_phrase
from ..models import ErrorInfo, from_xml

__all__ = ["api_error"]

_HINT_CHARS = 120

# A real EM's answer to GET /tasks/{id} for a task of an earlier logon session:
# HTTP 500, "There is no backup task with id [task-297] in current rest session"
# (quoted by a production integration that polls EM tasks; see docs/reliability.md).
_LOST_TASK = re.compile(r"no\s.*?\btask with id \[([^\]]+)\][^.]*\bsession", re.I)


def _describe(body: bytes | bytearray) -> tuple[str | None, str | None]:
    """(EM's ``Message`` or ``None``, an excerpt of a body that is not EM XML or ``None``)."""
    if not body or body.isspace():
        return None, None
    try:
        info = from_xml(body)
    except ResponseParseError as exc:
        return None, exc.excerpt[:_HINT_CHARS]
    if isinstance(info, ErrorInfo):
        return info.describe(), None
    return None, None


def api_error(
    status: int,
    body: bytes | bytearray,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    cls: type[APIError] | None = None,
    default: str | None = None,
) -> APIError:
    """The exception for an answer with a non-2xx ``status``.

    ``cls`` overrides the class the status table gives (a 401 on the logon is
    a refused logon); ``default`` is the text when EM sent no message.
    """
    message, excerpt = _describe(body)
    lost = _LOST_TASK.search(message) if message is not None and status >= 500 else None
    if lost is not None:
        return TaskLostError(status, message or "", url, lost.group(1))
    if message is None:
        message = default or reason_phrase(status)
        if 300 <= status < 400:
            location = (headers or {}).get("Location")
            message += f" (redirect{' to ' + location if location else ''}, not followed)"
        if excerpt:
            message += f"; body: {excerpt!r}"
        elif not body or body.isspace():
            message += " (empty body)"
    return (cls or error_class(status))(status, message, url)
