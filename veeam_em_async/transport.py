"""The only module that touches aiohttp.

It owns: the cap on requests in flight, the session token header, logon and
the shared re-logon on 401, retries of idempotent requests, the per-request
timeout and the mapping of error statuses to exceptions. Everything above it
deals in paths, bytes and models.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import attrs

from .errors import (
    APIError,
    AuthenticationError,
    ClientClosedError,
    NotFoundError,
    PermissionDeniedError,
    ResponseParseError,
    ServerError,
    TransportError,
)
from .models import ErrorInfo, LogonSession, from_xml, parse_as
from .policies import RetryPolicy, parse_retry_after
from .xmlio import MAX_BODY_BYTES

log = logging.getLogger("veeam_em_async")

TOKEN_HEADER = "X-RestSvcSessionId"  # noqa: S105 - a header name
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_REFUSED = frozenset({429, 503})

SslSetting = bool | ssl.SSLContext | str
Sleep = Callable[[float], Awaitable[None]]


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


@attrs.define
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


@attrs.define
class TransportStats:
    """Counters for tests, benchmarks and the CLI summary."""

    requests: Counter[str] = attrs.field(factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    logons: int = 0
    retries: int = 0

    def total(self) -> int:
        return sum(self.requests.values())


class Transport:
    """One pool of connections to one EM, shared by every request of a client."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        verify_ssl: SslSetting = True,
        max_connections: int = 20,
        timeout: float = 60.0,
        api_version: str = "latest",
        retry_policy: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.api = api_root(base_url)
        self.username = username
        self.__password = password
        self.api_version = api_version
        self.max_connections = max_connections
        self.retry_policy = retry_policy or RetryPolicy()
        self.stats = TransportStats()
        self._ssl = ssl_setting(verify_ssl)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._timeout_s = timeout
        self._own_session = session is None
        self._session = session
        self._slots = asyncio.Semaphore(max_connections)
        self._login_lock = asyncio.Lock()
        self._token: str | None = None
        self._generation = 0
        self._logon: LogonSession | None = None
        self._closed = False
        self._sleep = sleep
        if session is not None and not isinstance(session.cookie_jar, aiohttp.DummyCookieJar):
            log.warning(
                "the aiohttp session given to EnterpriseManager keeps cookies; EM's session "
                "cookie overrides the token header, so veeam_em_async removes it after each "
                "response. Pass cookie_jar=aiohttp.DummyCookieJar() to avoid the race."
            )

    # -- state -------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    @property
    def logon_session(self) -> LogonSession | None:
        return self._logon

    @property
    def closed(self) -> bool:
        return self._closed

    def url(self, path: str) -> str:
        return f"{self.api}/{path.lstrip('/')}"

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("the EnterpriseManager client is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self.max_connections, ssl=self._ssl)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    # -- logon -------------------------------------------------------------

    async def login(self) -> LogonSession:
        """Create a logon session; EM's token goes into every later request."""
        async with self._login_lock:
            return await self._login_locked()

    async def _login_locked(self) -> LogonSession:
        url = self.url("sessionMngr/")
        response = await self._send_retrying(
            "POST",
            url,
            params={"v": self.api_version},
            headers={"Authorization": basic_auth(self.username, self.__password)},
            idempotent=True,
        )
        if response.status == 401:
            raise self._error(response, AuthenticationError, "logon refused")
        if response.status >= 400:
            raise self._error(response)
        token = response.headers.get(TOKEN_HEADER)
        if not token:
            raise ResponseParseError(f"logon answer has no {TOKEN_HEADER} header", response.body)
        logon = parse_as(response.body, LogonSession, "LogonSession")
        self._token = token
        self._logon = logon
        self._generation += 1
        self.stats.logons += 1
        log.info("logged on to %s as %s", self.api, self.username)
        return logon

    async def _relogon(self, generation: int) -> None:
        """Log on again unless another request already did since ``generation``."""
        async with self._login_lock:
            if self._generation != generation:
                return
            log.info("EM session expired; logging on again")
            await self._login_locked()

    async def logout(self) -> None:
        """Delete the logon session on EM. Failures are logged, not raised."""
        logon, token = self._logon, self._token
        self._token = None
        self._logon = None
        if token is None or logon is None or not logon.session_id or self._session is None:
            return
        url = self.url(f"logonSessions/{logon.session_id}")
        try:
            response = await self._send("DELETE", url, headers={TOKEN_HEADER: token})
        except TransportError as exc:
            log.warning("logoff failed: %s", exc)
            return
        if response.status >= 400 and response.status not in (401, 404):
            log.warning("logoff answered %s", response.status)

    async def close(self) -> None:
        """Log off, then close the connection pool if this transport made it."""
        if self._closed:
            return
        try:
            await self.logout()
        finally:
            self._closed = True
            if self._own_session and self._session is not None:
                await self._session.close()
            self._session = None

    # -- requests ----------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        """Send one authenticated request and return a non-error response.

        A 401 triggers one re-logon shared with every other request that saw
        the same expired token, then this request is sent again (EM refused
        it, so even an action did not run). A second 401 raises
        :class:`AuthenticationError`.
        """
        url = self.url(path)
        idempotent = method in _IDEMPOTENT
        headers = {"Content-Type": "application/xml"} if body is not None else {}
        relogged = False
        while True:
            if self._token is None:
                await self._relogon(self._generation)
            generation, token = self._generation, self._token
            assert token is not None
            response = await self._send_retrying(
                method,
                url,
                params=params,
                data=body,
                headers={**headers, TOKEN_HEADER: token},
                idempotent=idempotent,
            )
            if response.status == 401:
                if relogged:
                    raise self._error(response, AuthenticationError, "unauthorized after re-logon")
                await self._relogon(generation)
                relogged = True
                continue
            if response.status >= 400:
                raise self._error(response)
            return response

    async def _send_retrying(
        self, method: str, url: str, *, idempotent: bool, **kwargs: Any
    ) -> Response:
        policy = self.retry_policy
        attempt = 0
        while True:
            try:
                response = await self._send(method, url, **kwargs)
            except TransportError as exc:
                # A timed-out request is not repeated: the server may be overloaded
                # and the caller's timeout would silently multiply.
                if not idempotent or exc.timed_out or attempt >= policy.retries:
                    raise
                delay = policy.delay(attempt)
            else:
                status = response.status
                retryable = status in policy.retry_statuses and (
                    idempotent or (policy.retry_refused_actions and status in _REFUSED)
                )
                if not retryable or attempt >= policy.retries:
                    return response
                delay = policy.delay(
                    attempt, parse_retry_after(response.headers.get("Retry-After"))
                )
                log.debug("%s %s answered %s; retrying in %.2f s", method, url, status, delay)
            attempt += 1
            self.stats.retries += 1
            await self._sleep(delay)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        session = self._get_session()
        async with self._slots:
            stats = self.stats
            stats.requests[method] += 1
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            started = time.monotonic()
            try:
                async with session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as resp:
                    body = await _read_limited(resp)
                    status, resp_headers = resp.status, resp.headers
            except asyncio.TimeoutError:
                raise TransportError(
                    f"{method} timed out after {self._timeout_s:g} s", url, timed_out=True
                ) from None
            except (aiohttp.ClientError, OSError) as exc:
                raise TransportError(f"{method} failed: {type(exc).__name__}: {exc}", url) from None
            finally:
                stats.in_flight -= 1
        if not self._own_session and session.cookie_jar is not None:
            session.cookie_jar.clear(lambda cookie: cookie.key == TOKEN_HEADER)
        log.debug("%s %s -> %s in %.3f s", method, url, status, time.monotonic() - started)
        return Response(status=status, headers=resp_headers, body=body, url=url)

    @staticmethod
    def _error(
        response: Response, cls: type[APIError] | None = None, default: str | None = None
    ) -> APIError:
        """Map an error response to the exception of its status, with EM's message."""
        message = None
        if response.body:
            try:
                info = from_xml(response.body)
            except ResponseParseError:
                info = None
            if isinstance(info, ErrorInfo):
                message = info.message
        if cls is None:
            status = response.status
            cls = (
                AuthenticationError
                if status == 401
                else PermissionDeniedError
                if status == 403
                else NotFoundError
                if status == 404
                else ServerError
                if status >= 500
                else APIError
            )
        return cls(response.status, message or default or _reason(response.status), response.url)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


async def _read_limited(resp: aiohttp.ClientResponse) -> bytes:
    if resp.content_length is not None and resp.content_length > MAX_BODY_BYTES:
        raise aiohttp.ClientPayloadError(f"body of {resp.content_length} bytes is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise aiohttp.ClientPayloadError("body is too large")
        chunks.append(chunk)
    return b"".join(chunks)
