"""What every HTTP exchange with EM needs, with no I/O: URLs, headers, the
answer's shape and the counters. (gidgethub's ``sansio``: the part that is
tested without a server.)"""

from __future__ import annotations

import base64
import ssl
from collections import Counter
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import attrs

from ..errors import InvalidIdentifierError

__all__ = [
    "TOKEN_HEADER",
    "Response",
    "SslSetting",
    "TransportStats",
    "api_root",
    "basic_auth",
    "check_path",
    "is_success",
    "ssl_setting",
]

TOKEN_HEADER = "X-RestSvcSessionId"  # noqa: S105 - a header name
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSAFE_PATH_CHARS = frozenset("?#%\\")

SslSetting = bool | ssl.SSLContext | str


@attrs.define
class Response:
    """One HTTP answer, body read whole (within the client's size bound)."""

    status: int
    headers: Mapping[str, str]
    body: bytes | bytearray
    url: str


@attrs.define
class TransportStats:
    """Counters for tests, benchmarks and the CLI summary."""

    requests: Counter[str] = attrs.field(factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    logons: int = 0
    retries: int = 0
    #: Seconds requests waited for a slot under ``max_connections`` (its metric tells an
    #: operator the cap is too low), and how many waited at all.
    slot_wait_seconds: float = 0.0
    slot_waits: int = 0
    #: Requests allowed in flight now: ``max_connections``, or the adaptive limit.
    limit: int = 0

    def total(self) -> int:
        return sum(self.requests.values())


def is_success(status: int) -> bool:
    return 200 <= status < 300


def api_root(base_url: str) -> str:
    """``https://em:9398``, ``…/api`` or ``…/api/`` -> ``https://em:9398/api``."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base URL must be http(s)://host[:port][/api], got {base_url!r}")
    if parts.username or parts.password:
        raise ValueError("pass the user and password as arguments, not in the URL")
    path = parts.path.rstrip("/")
    if not path.endswith("/api"):
        path = f"{path}/api"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def check_path(path: str) -> str:
    """``path`` relative to the API root, refused if it could leave it.

    Ids are validated where they are taken, but a path is the last place to
    stop an id from EM's own answers (``../../sessionMngr``) from steering a
    request carrying the token elsewhere: aiohttp normalises dot segments.
    """
    path = path.lstrip("/")
    for segment in path.split("/"):
        if segment in (".", "..") or not _UNSAFE_PATH_CHARS.isdisjoint(segment):
            raise InvalidIdentifierError(f"refusing a URL path with segment {segment!r}")
    return path


def basic_auth(username: str, password: str) -> str:
    """The ``Authorization`` value for HTTP Basic (RFC 7617, UTF-8)."""
    if ":" in username:
        raise ValueError("a ':' is not allowed in a Basic auth user name")
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def ssl_setting(verify_ssl: SslSetting) -> ssl.SSLContext | bool:
    """What aiohttp's ``ssl=`` takes for our ``verify_ssl`` argument."""
    if isinstance(verify_ssl, ssl.SSLContext):
        return verify_ssl
    if isinstance(verify_ssl, str):
        return ssl.create_default_context(cafile=verify_ssl)
    if verify_ssl is True:
        return True
    if verify_ssl is False:
        return False
    raise TypeError("verify_ssl must be True, False, an ssl.SSLContext or a CA bundle path")
