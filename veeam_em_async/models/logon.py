"""The logon session (``<LogonSession>``) returned by ``POST /sessionMngr``.

The token itself is not in the body (it comes in the ``X-RestSvcSessionId``
header); ``session_id`` is the id used to log off.
"""

from __future__ import annotations

import attrs

from .common import HasLinks, Link, Model, xml


@attrs.frozen
class LogonSession(Model, HasLinks):
    href: str | None = xml("@Href", default=None)
    type: str | None = xml("@Type", default=None)
    user_name: str | None = None
    session_id: str | None = None
    links: list[Link] = xml("Links/Link", factory=list)
