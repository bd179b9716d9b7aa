"""The only module that touches aiohttp.

It owns: the cap on requests in flight, the session token header, logon and
the shared, throttled re-logon on 401, retries of idempotent requests, the
per-request timeout, the body size bound and the mapping of error statuses to
exceptions. Everything above it deals in paths, bytes and models.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import attrs

from .bodies import ACCEPT_ENCODING, read_body
from .clock import Clock, LoopClock
from .error_map import api_error
from .errors import (
    APIError,
    AuthenticationError,
    ClientClosedError,
    InvalidIdentifierError,
    ResponseParseError,
    TransportError,
    VeeamEMError,
    forget_secret,
    register_secret,
)
from .ids import id_from_em
from .models import LogonSession, parse_as
from .policies import RetryPolicy, parse_retry_after
from .slots import Slots
from .xmlio import MAX_BODY_BYTES

log = logging.getLogger("veeam_em_async")

TOKEN_HEADER = "X-RestSvcSessionId"  # noqa: S105 - a header name
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSAFE_PATH_CHARS = frozenset("?#%\\")

SslSetting = bool | ssl.SSLContext | str


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


@attrs.define
class Response:
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
        clock: Clock | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        self.api = api_root(base_url)
        self.username = username
        self.__authorization = basic_auth(username, password)
        for secret in (password, self.__authorization, self.__authorization[6:]):
            register_secret(secret)
        self.api_version = api_version
        self.max_connections = max_connections
        self.max_body_bytes = max_body_bytes
        self.retry_policy = retry_policy or RetryPolicy()
        self.stats = TransportStats()
        self.clock: Clock = clock or LoopClock()
        self._ssl = ssl_setting(verify_ssl)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._timeout_s = timeout
        self._own_session = session is None
        self._session = session
        self._slots = Slots(max_connections)
        self._login_lock = asyncio.Lock()
        self._token: str | None = None
        self._generation = 0
        self._logon: LogonSession | None = None
        self._last_relogon_at: float | None = None
        # The throttle: the last failed logon's error, and when the next may be tried.
        self._logon_failure: VeeamEMError | None = None
        self._next_logon_at = 0.0
        self._refusals = 0
        self._closed = False
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

    @property
    def queued(self) -> int:
        """Requests waiting for a slot under ``max_connections``."""
        return self._slots.queued

    def url(self, path: str) -> str:
        return f"{self.api}/{check_path(path)}"

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError("the EnterpriseManager client is closed")

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._check_open()
            connector = aiohttp.TCPConnector(limit=self.max_connections, ssl=self._ssl)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    # -- logon -------------------------------------------------------------

    async def login(self) -> LogonSession:
        """Create a logon session; EM's token goes into every later request.

        Within the pause after a failed logon (see :class:`RetryPolicy`) this
        raises that logon's error again without sending the password.
        """
        async with self._login_lock:
            self._check_open()
            self._raise_if_throttled()
            return await self._attempt_logon()

    def _raise_if_throttled(self) -> None:
        failure = self._logon_failure
        if failure is not None and self.clock.now() < self._next_logon_at:
            raise failure

    async def _attempt_logon(self) -> LogonSession:
        """One logon (with the retry policy's retries for 503s and drops), recorded
        for the throttle. The caller holds the lock."""
        started = self.clock.now()
        try:
            response = await self._send_retrying(
                "POST",
                self.url("sessionMngr/"),
                params={"v": self.api_version},
                headers={"Authorization": self.__authorization},
                idempotent=True,
            )
            if response.status == 401:
                raise api_error(
                    401,
                    response.body,
                    response.url,
                    cls=AuthenticationError,
                    default="logon refused",
                )
            if not 200 <= response.status < 300:
                raise api_error(response.status, response.body, response.url, response.headers)
            token = response.headers.get(TOKEN_HEADER)
            if not token:
                raise ResponseParseError(
                    f"logon answer has no {TOKEN_HEADER} header", response.body
                )
            logon = parse_as(response.body, LogonSession, "LogonSession")
            if logon.session_id is not None:
                id_from_em(logon.session_id, "SessionId", response.body)
        except VeeamEMError as exc:
            if isinstance(exc, ClientClosedError):
                raise
            refused = isinstance(exc, AuthenticationError)
            self._refusals = self._refusals + 1 if refused else 0
            self._logon_failure = exc
            self._next_logon_at = started + self.retry_policy.logon_pause(self._refusals)
            log.warning(
                "logon to %s as %s failed (%s); not trying again for %.0f s",
                self.api, self.username, exc, self._next_logon_at - started,
            )  # fmt: skip
            raise
        register_secret(token)
        forget_secret(self._token)
        self._token = token
        self._logon = logon
        self._logon_failure = None
        self._refusals = 0
        self._generation += 1
        self.stats.logons += 1
        log.info("logged on to %s as %s", self.api, self.username)
        return logon

    async def _relogon(self, generation: int, refused: APIError | None = None) -> None:
        """Log on again unless another request already did since ``generation``.

        Every request that saw the same expired token shares one attempt and,
        if it fails, its error. ``refused`` is the 401 that asked for this.
        Re-logons are rate-bound: within ``logon_retry_interval`` of the last
        one, that 401 is raised instead of sending the password again (EM
        refuses the request, not the session, when a fresh session gets 401).
        """
        async with self._login_lock:
            self._check_open()
            if self._generation != generation:
                return
            self._raise_if_throttled()
            last = self._last_relogon_at
            if (
                refused is not None
                and last is not None
                and self.clock.now() - last < self.retry_policy.logon_retry_interval
            ):
                raise refused
            log.info("EM session expired; logging on again")
            self._last_relogon_at = self.clock.now()
            await self._attempt_logon()

    async def _logout(self) -> None:
        """Delete the logon session on EM. Failures are logged, not raised."""
        logon, token = self._logon, self._token
        self._token = None
        self._logon = None
        if token is None or logon is None or not logon.session_id or self._session is None:
            return
        url = self.url(f"logonSessions/{logon.session_id}")
        try:
            response = await self._send(
                "DELETE", url, headers={TOKEN_HEADER: token}, privileged=True
            )
        except TransportError as exc:
            log.warning("logoff failed: %s", exc)
            return
        finally:
            forget_secret(token)
        if response.status >= 400 and response.status not in (401, 404):
            log.warning("logoff answered %s", response.status)

    async def close(self) -> None:
        """Stop: refuse new requests, fail the queued ones, log off, close the pool.

        Requests already in flight finish (their caller gets their answer);
        nothing queued behind ``max_connections`` is sent, and the logoff
        takes the first free slot ahead of the queue.
        """
        if self._closed:
            return
        self._closed = True
        failed = self._slots.close()
        if failed:
            log.debug("close(): %d queued requests not sent", failed)
        try:
            await self._logout()
        finally:
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
        """Send one authenticated request and return a 2xx response.

        A 401 triggers one re-logon shared with every other request that saw
        the same expired token, then this request is sent again (EM refused
        it, so even an action did not run). A second 401 raises
        :class:`AuthenticationError`. Any other non-2xx status raises the
        :class:`APIError` subclass of its status.
        """
        url = self.url(path)
        idempotent = method in _IDEMPOTENT
        headers = {"Content-Type": "application/xml"} if body is not None else {}
        relogged = False
        while True:
            self._check_open()
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
                    raise api_error(
                        401, response.body, url, cls=AuthenticationError,
                        default="unauthorized after re-logon",
                    )  # fmt: skip
                await self._relogon(generation, api_error(401, response.body, url))
                relogged = True
                continue
            if not 200 <= response.status < 300:
                raise api_error(response.status, response.body, url, response.headers)
            return response

    async def _send_retrying(
        self, method: str, url: str, *, idempotent: bool, **kwargs: Any
    ) -> Response:
        """Send, retrying what the policy allows, sleeping at most
        ``max_total_delay`` seconds in all."""
        policy = self.retry_policy
        attempt = 0
        slept = 0.0
        while True:
            failure: TransportError | None = None
            response: Response | None = None
            try:
                response = await self._send(method, url, **kwargs)
            except TransportError as exc:
                # A timed-out request is not repeated: the server may be overloaded
                # and the caller's timeout would silently multiply.
                if not idempotent or exc.timed_out or attempt >= policy.retries:
                    raise
                failure = exc
                delay = policy.delay(attempt)
            else:
                if attempt >= policy.retries or not policy.resends(response.status, idempotent):
                    return response
                delay = policy.delay(
                    attempt, parse_retry_after(response.headers.get("Retry-After"))
                )
            remaining = policy.max_total_delay - slept
            if delay > 0 and remaining <= 0:
                # This call's retry budget is spent: give the caller what we have.
                if failure is not None:
                    raise failure
                assert response is not None
                return response
            delay = min(delay, remaining) if delay > 0 else 0.0
            cause = failure if failure is not None else getattr(response, "status", None)
            log.debug("%s %s: %s; retrying in %.2f s", method, url, cause, delay)
            attempt += 1
            slept += delay
            self.stats.retries += 1
            await self.clock.sleep(delay)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        privileged: bool = False,
    ) -> Response:
        await self._slots.acquire(privileged=privileged)
        stats = self.stats
        stats.in_flight += 1
        try:
            session = self._get_session()
            stats.requests[method] += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            started = time.monotonic()
            async with session.request(
                method,
                url,
                params=params,
                data=data,
                headers={**(headers or {}), "Accept-Encoding": ACCEPT_ENCODING},
                timeout=self._timeout,
                allow_redirects=False,
                auto_decompress=False,
            ) as resp:
                body = await read_body(resp, self.max_body_bytes, url)
                status, resp_headers = resp.status, resp.headers
        except asyncio.TimeoutError:
            raise TransportError(
                f"{method} timed out after {self._timeout_s:g} s", url, timed_out=True
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"{method} failed: {type(exc).__name__}: {exc}", url) from None
        finally:
            stats.in_flight -= 1
            self._slots.release()
        if not self._own_session and session.cookie_jar is not None:
            session.cookie_jar.clear(lambda cookie: cookie.key == TOKEN_HEADER)
        log.debug("%s %s -> %s in %.3f s", method, url, status, time.monotonic() - started)
        return Response(status=status, headers=resp_headers, body=body, url=url)
