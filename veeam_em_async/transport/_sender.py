"""The only code that touches aiohttp: send one request, read one bounded answer.

It owns the ``aiohttp.ClientSession`` (or borrows the caller's), the cap on
requests in flight, the per-request timeout, the body size bound, and the
translation of aiohttp's and the OS's exceptions into `TransportError`.
It knows nothing of logons, retries or EM's statuses: every answer, 500 or
401 included, is returned as a `Response`. Layers above depend on the
`Sender` protocol, so their tests use a plain fake instead of HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Protocol

import aiohttp

from ..errors import ClientClosedError, ResponseTooLargeError, TransportError
from ..xmlio import MAX_BODY_BYTES
from ._adaptive import AIMD
from ._bodies import ACCEPT_ENCODING, CHUNK_BYTES, BodyBudget, BodyDecoder
from ._sansio import TOKEN_HEADER, Response, SslSetting, TransportStats, ssl_setting
from ._slots import Slots

__all__ = ["AiohttpSender", "Sender"]

log = logging.getLogger("veeam_em_async")


class Sender(Protocol):
    """What the transport needs of HTTP."""

    max_connections: int
    stats: TransportStats

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        privileged: bool = False,
    ) -> Response:
        """One request, one answer; ``privileged`` goes ahead of the queue and
        is still allowed while closing (the logoff)."""
        ...

    def close_queue(self) -> int:
        """Fail every request waiting for a slot, refuse new ones; return how many."""
        ...

    async def abort(self) -> None:
        """Fail the requests in flight (their callers get `TransportError`);
        a privileged request (the logoff) may still be sent afterwards."""
        ...

    async def aclose(self) -> None:
        """Release the connection pool (if this sender made it)."""
        ...


class AiohttpSender:
    """`Sender` over one ``aiohttp.ClientSession``."""

    def __init__(
        self,
        *,
        verify_ssl: SslSetting = True,
        max_connections: int = 20,
        timeout: float = 60.0,
        session: aiohttp.ClientSession | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        stats: TransportStats | None = None,
        body_budget: BodyBudget | None = None,
        adaptive: bool = False,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        self.max_connections = max_connections
        self.max_body_bytes = max_body_bytes
        #: The bound on the bytes of every body being read at once (maybe shared).
        self.body_budget = body_budget if body_budget is not None else BodyBudget()
        self.timeout = timeout
        self.stats = stats or TransportStats()
        self._ssl = ssl_setting(verify_ssl)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._own_session = session is None
        self._session = session
        self._slots = Slots(max_connections)
        #: A cap shared with other clients (a `Fleet`'s ``max_in_flight``), taken after
        #: this client's own slot.
        self.shared_slots: Slots | None = None
        #: With ``adaptive``: the AIMD limit under ``max_connections`` (`_adaptive`).
        self.adaptive = AIMD(max_connections) if adaptive else None
        self.stats.limit = max_connections
        self._closed = False
        if session is not None and not isinstance(session.cookie_jar, aiohttp.DummyCookieJar):
            log.warning(
                "the aiohttp session given to EnterpriseManager keeps cookies; EM's session "
                "cookie overrides the token header, so veeam_em_async removes it after each "
                "response. Pass cookie_jar=aiohttp.DummyCookieJar() to avoid the race."
            )

    def _get_session(self, privileged: bool = False) -> aiohttp.ClientSession:
        if self._session is None:
            if self._closed and not privileged:
                raise ClientClosedError("the EnterpriseManager client is closed")
            connector = aiohttp.TCPConnector(limit=self.max_connections, ssl=self._ssl)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        privileged: bool = False,
    ) -> Response:
        queued = time.monotonic()
        await self._slots.acquire(privileged=privileged)
        shared = self.shared_slots
        if shared is not None:
            try:
                await shared.acquire(privileged=privileged)
            except BaseException:
                self._slots.release()
                raise
        stats = self.stats
        started = time.monotonic()
        waited = started - queued
        if waited > 0.0005:
            stats.slot_wait_seconds += waited
            stats.slot_waits += 1
        stats.in_flight += 1
        try:
            session = self._get_session(privileged)
            stats.requests[method] += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            async with session.request(
                method,
                url,
                params=params,
                data=body,
                headers={**(headers or {}), "Accept-Encoding": ACCEPT_ENCODING},
                timeout=self._timeout,
                allow_redirects=False,
                auto_decompress=False,  # _bodies inflates, within the size bound
            ) as resp:
                data = await _read_body(resp, self.max_body_bytes, url, self.body_budget)
                status, resp_headers = resp.status, resp.headers
        except asyncio.TimeoutError:
            self._adapt(None, started)
            raise TransportError(
                f"{method} timed out after {self.timeout:g} s", url, timed_out=True
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            self._adapt(None, started)
            raise TransportError(f"{method} failed: {type(exc).__name__}: {exc}", url) from None
        finally:
            stats.in_flight -= 1
            self._slots.release()
            if shared is not None:
                shared.release()
        self._adapt(status, started)
        if not self._own_session and session.cookie_jar is not None:
            session.cookie_jar.clear(lambda cookie: cookie.key == TOKEN_HEADER)
        log.debug("%s %s -> %s in %.3f s", method, url, status, time.monotonic() - started)
        return Response(status=status, headers=resp_headers, body=data, url=url)

    def _adapt(self, status: int | None, started: float) -> None:
        """Tell the adaptive limit (if any) how the request went; apply its verdict."""
        if self.adaptive is not None:
            limit = self.adaptive.observe(status, time.monotonic() - started)
            if limit != self._slots.limit:
                self.stats.limit = self._slots.set_limit(limit)

    def close_queue(self) -> int:
        self._closed = True
        return self._slots.close()

    async def abort(self) -> None:
        if self._own_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()  # its connections close: the reads in flight fail

    async def aclose(self) -> None:
        self.close_queue()
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None


async def _read_body(
    resp: aiohttp.ClientResponse, limit: int, url: str, budget: BodyBudget
) -> bytes | bytearray:
    """Read ``resp`` (opened with ``auto_decompress=False``) into at most ``limit``
    bytes, stopping as soon as the decoded size passes the limit or the bodies
    being read at once would pass ``budget``."""
    decoder = BodyDecoder(resp.headers.get("Content-Encoding"), limit, url, budget)
    try:
        length = resp.content_length
        if not decoder.compressed and length is not None:
            if length > limit:
                raise ResponseTooLargeError(limit, url)
            decoder.reserve(length)
            return await resp.read()  # plain and announced within the limit: one read
        async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
            decoder.feed(chunk)
        return decoder.finish()
    except BaseException:
        # The exception's traceback keeps the decoder alive for as long as the caller
        # keeps the exception (a bulk call keeps twenty): drop the body now.
        decoder.body = bytearray()
        raise
    finally:
        decoder.release()
