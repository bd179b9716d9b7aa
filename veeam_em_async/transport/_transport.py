"""One authenticated request: the parts put together.

``request()`` takes a path, adds the token, lets the retry loop send it
through the sender, turns a 401 into one shared re-logon and a second try,
and any other non-2xx answer into the exception of its status. The parts:

- ``_sansio``  URLs, headers, the answer's shape (pure);
- ``_sender``  the only code that touches aiohttp (cap, timeout, body bound);
- ``_retry``   what is sent again, and after how long (a function);
- ``_logon``   the token, logon, logoff, the shared and throttled re-logon;
- ``_error_map`` status and ``<Error>`` body -> exception (pure).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial

from ..actions import ActionHook
from ..clock import Clock, LoopClock
from ..errors import AuthenticationError, ClientClosedError
from ..models import LogonSession
from ..policies import RetryPolicy
from ..telemetry import NO_TELEMETRY, Telemetry
from ._error_map import api_error
from ._logon import Logon
from ._retry import send_with_retries
from ._sansio import (
    IDEMPOTENT_METHODS,
    TOKEN_HEADER,
    Response,
    TransportStats,
    api_root,
    check_path,
    is_success,
)
from ._sender import Sender
from ._turns import TurnBudget, for_loop

__all__ = ["Response", "Transport", "TransportStats"]

log = logging.getLogger("veeam_em_async")

#: How often `Transport.drain` looks whether the requests in flight were answered.
_DRAIN_STEP = 0.05


class Transport:
    """Every request of one client to one EM goes through here."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        sender: Sender,
        *,
        api_version: str = "latest",
        retry_policy: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.api = api_root(base_url)
        self.retry_policy = retry_policy or RetryPolicy()
        self.clock: Clock = clock or LoopClock()
        self.sender = sender
        self.stats: TransportStats = sender.stats
        self.logon = Logon(
            self.sender, self.api, username, password,
            api_version=api_version, policy=self.retry_policy, clock=self.clock,
        )  # fmt: skip
        self._closed = False
        #: The client's ``before_action`` hook (resources await it before each action).
        self.before_action: ActionHook | None = None
        #: Spans and metrics (`veeam_em_async.telemetry`; no-op without OpenTelemetry).
        self.telemetry: Telemetry = NO_TELEMETRY
        #: Query pages larger than this many bytes are parsed off the loop (None: never).
        self.parse_offload_bytes: int | None = None
        #: The share of a loop turn the answers may take (None: the loop's, shared by
        #: every client of it; see `_turns`).
        self.turns: TurnBudget | None = None

    # -- state -------------------------------------------------------------

    @property
    def username(self) -> str:
        return self.logon.username

    @property
    def max_connections(self) -> int:
        return self.sender.max_connections

    @property
    def logged_in(self) -> bool:
        return self.logon.token is not None

    @property
    def logon_session(self) -> LogonSession | None:
        return self.logon.session

    @property
    def closed(self) -> bool:
        return self._closed

    def url(self, path: str) -> str:
        return f"{self.api}/{check_path(path)}"

    # -- lifecycle -----------------------------------------------------------

    async def login(self) -> LogonSession:
        return await self.logon.login()

    async def close(self) -> None:
        """Stop: refuse new requests, fail the queued ones, log off, close the pool.

        Requests already in flight finish (their callers get their answers);
        nothing queued behind ``max_connections`` is sent, no re-logon
        starts, and the logoff takes the first free slot ahead of the queue.
        """
        if self._closed:
            return
        self._closed = True
        self.logon.close()
        failed = self.sender.close_queue()
        if failed:
            log.debug("close(): %d queued requests not sent", failed)
        try:
            await self.logon.logout()
        finally:
            await self.sender.aclose()

    async def drain(self, grace: float) -> int:
        """Send nothing more: refuse new requests and fail the queued ones; give
        those in flight ``grace`` seconds of the clock to be answered, then fail
        them (`TransportError`: sent, outcome unknown). Returns how many were
        failed so. The logoff of `close` still goes out. For a Ctrl-C: every
        action already sent gets its answer if EM gives one in time."""
        self.sender.close_queue()
        waited = 0.0
        while self.stats.in_flight and waited < grace:
            step = min(_DRAIN_STEP, grace - waited)
            await self.clock.sleep(step)
            waited += step
        left = self.stats.in_flight
        if left:
            await self.sender.abort()
        return left

    # -- requests ------------------------------------------------------------

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
        `AuthenticationError`. Any other non-2xx status raises the
        `APIError` subclass of its status.
        """
        url = self.url(path)
        headers = {"Content-Type": "application/xml"} if body is not None else {}
        logon = self.logon
        turns = self.turns or for_loop()
        relogged = False
        while True:
            if self._closed:
                raise ClientClosedError("the EnterpriseManager client is closed")
            if logon.token is None:
                await logon.relogon(logon.generation)
            generation, token = logon.generation, logon.token
            assert token is not None
            send = partial(
                self.sender.send, method, url, params=params, body=body,
                headers={**headers, TOKEN_HEADER: token},
            )  # fmt: skip
            response = await send_with_retries(
                send, policy=self.retry_policy, clock=self.clock,
                idempotent=method in IDEMPOTENT_METHODS, on_retry=self._count_retry,
            )  # fmt: skip
            await turns.wait()  # a burst of answers goes on over several turns of the loop
            if response.status == 401:
                if relogged:
                    raise api_error(
                        401, response.body, url, cls=AuthenticationError,
                        default="unauthorized after re-logon",
                    )  # fmt: skip
                await logon.relogon(generation, api_error(401, response.body, url))
                relogged = True
                continue
            if not is_success(response.status):
                raise api_error(response.status, response.body, url, response.headers)
            return response

    def _count_retry(self) -> None:
        self.stats.retries += 1
