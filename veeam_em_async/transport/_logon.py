"""The logon session: logon, logoff, and the shared, throttled re-logon on 401.

One object holds EM's token and a *generation* number that grows with every
logon. A request remembers the generation it was sent with; when it gets
401 it asks for a re-logon *of that generation*, so that fifty requests that
saw the same expired token cause one logon between them (the pattern of
aiohttp's digest-auth middleware, which re-authenticates on 401 once).

Directory services lock accounts after a few bad passwords, so a failed
attempt is remembered: every request that waited on it gets its error, and
no new attempt is made before the pause of `RetryPolicy` has passed.

An explicit ``api_version`` is checked against ``GET /api/`` (no credentials
needed) before the first logon: a version EM does not offer fails with
`UnsupportedVersionError` naming the ones it does, and the password
is never sent for a logon EM would refuse.
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import partial
from types import TracebackType

from ..clock import Clock
from ..errors import (
    APIError,
    AuthenticationError,
    ClientClosedError,
    ResponseParseError,
    TransportError,
    UnsupportedVersionError,
    VeeamEMError,
    forget_secret,
    register_secret,
)
from ..ids import id_from_em
from ..models import API_ROOT, LOGON_SESSION, ApiRoot, LogonSession
from ..policies import RetryPolicy
from ..telemetry import NO_TELEMETRY, Telemetry
from ._error_map import api_error
from ._retry import send_with_retries
from ._sansio import TOKEN_HEADER, basic_auth, is_success
from ._sender import Sender

__all__ = ["LATEST", "Logon"]

LATEST = "latest"
_VERSION_NAME = re.compile(r"v\d+(?:_\d+)?")

log = logging.getLogger("veeam_em_async")


class Logon:
    """EM's logon session for one client: who is logged on, with which token."""

    def __init__(
        self,
        sender: Sender,
        api: str,
        username: str,
        password: str,
        *,
        api_version: str,
        policy: RetryPolicy,
        clock: Clock,
    ) -> None:
        self._sender = sender
        self._api = api
        self.username = username
        self.__authorization = basic_auth(username, password)
        for secret in (password, self.__authorization, self.__authorization[6:]):
            register_secret(secret)
        if api_version != LATEST and not _VERSION_NAME.fullmatch(api_version):
            raise ValueError(f"api_version must be 'latest' or like 'v1_7', got {api_version!r}")
        self.api_version = api_version
        #: What ``GET /api/`` said, once asked (the versions do not change under a client).
        self.api_root: ApiRoot | None = None
        self.policy = policy
        self.clock = clock
        self.token: str | None = None
        self.generation = 0
        self.session: LogonSession | None = None
        self._attempt_task: asyncio.Task[LogonSession] | None = None
        self._closed = False
        self._last_relogon_at: float | None = None
        # The throttle: the last failed logon's error, and when the next may be tried.
        self._failure: VeeamEMError | None = None
        # Its traceback as the attempt left it: each raise within the pause starts
        # from it, or the one shared error would grow by every caller's frames.
        self._failure_tb: TracebackType | None = None
        self._next_attempt_at = 0.0
        self._refusals = 0
        #: Spans of logons (a re-logon's linked to the request that asked for it).
        self.telemetry: Telemetry = NO_TELEMETRY

    def close(self) -> None:
        """No logon from now on (the client is closing); one under way is stopped."""
        self._closed = True
        if self._attempt_task is not None:
            self._attempt_task.cancel()

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError("the EnterpriseManager client is closed")

    def _raise_if_throttled(self) -> None:
        if self._failure is not None and self.clock.now() < self._next_attempt_at:
            raise self._failure.with_traceback(self._failure_tb)

    async def login(self) -> LogonSession:
        """Log on; within the pause after a failed logon, raise its error again
        without sending the password. Joins a logon already under way."""
        self._check_open()
        attempt = self._attempt_task
        if attempt is None:
            self._raise_if_throttled()
            attempt = self._start_attempt()
        return await self._join(attempt)

    async def relogon(self, generation: int, refused: APIError | None = None) -> None:
        """Log on again unless another request already did since ``generation``.

        ``refused`` is the 401 that asked for this. Re-logons are rate-bound: within
        ``logon_retry_interval`` of the last one, that 401 is raised instead (EM
        refuses the request, not the session, when a fresh session gets 401).

        Every caller waits on one shared attempt, shielded from each caller's
        cancellation: a caller that gives up (a bot's command timed out) leaves
        the logon to finish for the others, and a cancelled wait is not a refusal.
        """
        self._check_open()
        if self.generation != generation:
            return
        attempt = self._attempt_task
        if attempt is None:
            self._raise_if_throttled()
            last = self._last_relogon_at
            if (
                refused is not None
                and last is not None
                and self.clock.now() - last < self.policy.logon_retry_interval
            ):
                raise refused
            log.info("EM session expired; logging on again")
            self._last_relogon_at = self.clock.now()
            attempt = self._start_attempt()
        await self._join(attempt)

    async def _join(self, attempt: asyncio.Task[LogonSession]) -> LogonSession:
        """Wait for the shared attempt; cancelling this wait leaves it running."""
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            if attempt.cancelled() and self._closed:  # close() stopped it, not our caller
                raise ClientClosedError("the client was closed during the logon") from None
            raise

    def _start_attempt(self) -> asyncio.Task[LogonSession]:
        """The one logon under way: a task of its own, so that it finishes (or
        fails) for every waiter whatever happens to the caller that started it."""
        loop = asyncio.get_running_loop()
        attempt = loop.create_task(self._attempt(), name="veeam_em_async logon")
        self._attempt_task = attempt

        def done(task: asyncio.Task[LogonSession]) -> None:
            if self._attempt_task is task:
                self._attempt_task = None
            if not task.cancelled():
                task.exception()  # retrieved: its waiters (if any are left) got it

        attempt.add_done_callback(done)
        return attempt

    async def _attempt(self) -> LogonSession:
        """One logon (with the policy's retries for 503s and drops), recorded for
        the throttle. Only one runs at a time (``_attempt_task``)."""
        started = self.clock.now()
        try:
            with self.telemetry.logon_span(relogon=self.generation > 0):
                token, session = await self._post_logon()
        except VeeamEMError as exc:
            if isinstance(exc, ClientClosedError):
                raise
            self._refusals = self._refusals + 1 if isinstance(exc, AuthenticationError) else 0
            self._failure, self._failure_tb = exc, exc.__traceback__
            self._next_attempt_at = started + self.policy.logon_pause(self._refusals)
            log.warning(
                "logon to %s as %s failed (%s); not trying again for %.0f s",
                self._api, self.username, exc, self._next_attempt_at - started,
            )  # fmt: skip
            raise
        register_secret(token)
        forget_secret(self.token)
        self.token, self.session = token, session
        self._failure, self._failure_tb, self._refusals = None, None, 0
        self.generation += 1
        self._sender.stats.logons += 1
        log.info("logged on to %s as %s", self._api, self.username)
        return session

    async def fetch_api_root(self) -> ApiRoot:
        """``GET /api/``: the versions EM offers. Needs no logon; asked once."""
        if self.api_root is None:
            url = f"{self._api}/"
            send = partial(self._sender.send, "GET", url)
            response = await send_with_retries(
                send, policy=self.policy, clock=self.clock, idempotent=True,
                on_retry=self._count_retry,
            )  # fmt: skip
            if not is_success(response.status):
                raise api_error(response.status, response.body, url, response.headers)
            self.api_root = API_ROOT.parse(response.body)
        return self.api_root

    async def _check_version(self) -> None:
        """An explicit version EM does not offer fails here, before the password is sent."""
        if self.api_version == LATEST:
            return
        offered = (await self.fetch_api_root()).version_names
        if self.api_version not in offered:
            raise UnsupportedVersionError(self.api_version, offered, str(self._api))

    async def _post_logon(self) -> tuple[str, LogonSession]:
        await self._check_version()
        url = f"{self._api}/sessionMngr/"

        send = partial(
            self._sender.send, "POST", url, params={"v": self.api_version},
            headers={"Authorization": self.__authorization},
        )  # fmt: skip
        response = await send_with_retries(
            send, policy=self.policy, clock=self.clock, idempotent=True,
            on_retry=self._count_retry,
        )  # fmt: skip
        if response.status == 401:
            raise api_error(
                401, response.body, url, cls=AuthenticationError, default="logon refused"
            )
        if not is_success(response.status):
            raise api_error(response.status, response.body, url, response.headers)
        token = response.headers.get(TOKEN_HEADER)
        if not token:
            raise ResponseParseError(f"logon answer has no {TOKEN_HEADER} header", response.body)
        session = LOGON_SESSION.parse(response.body)
        if session.session_id is not None:
            id_from_em(session.session_id, "SessionId", response.body)
        return token, session

    def _count_retry(self) -> None:
        self._sender.stats.retries += 1

    async def logout(self) -> None:
        """Delete the logon session on EM. Failures are logged, not raised: this
        runs while closing, ahead of any queued request."""
        session, token = self.session, self.token
        self.token, self.session = None, None
        if token is None or session is None or not session.session_id:
            return
        url = f"{self._api}/logonSessions/{session.session_id}"
        try:
            response = await self._sender.send(
                "DELETE", url, headers={TOKEN_HEADER: token}, privileged=True
            )
        except (TransportError, ClientClosedError) as exc:
            log.warning("logoff failed: %s", exc)
            return
        finally:
            forget_secret(token)
        if response.status >= 400 and response.status not in (401, 404):
            log.warning("logoff answered %s", response.status)
