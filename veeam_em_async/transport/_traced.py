"""A `Sender` that wraps another in one client span per request (one per attempt:
the retry loop calls it again, so a retry is a new span under the same parent),
for `veeam_em_async.telemetry`. The client uses it only when telemetry is on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..telemetry import Telemetry
from ._sansio import Response, TransportStats
from ._sender import Sender

__all__ = ["TracedSender", "instrument"]


class TracedSender:
    """``inner``'s requests, each in ``telemetry``'s client span."""

    def __init__(self, inner: Sender, telemetry: Telemetry) -> None:
        self.inner = inner
        self.telemetry = telemetry
        self.max_connections = inner.max_connections
        self.stats: TransportStats = inner.stats

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
        if not self.telemetry.recording:  # the API alone: no span, no cost but this test
            return await self.inner.send(
                method, url, params=params, body=body, headers=headers, privileged=privileged
            )
        with self.telemetry.client_span(method, url, params) as span:
            span.note("veeam_em.limit", self.stats.limit)
            response = await self.inner.send(
                method, url, params=params, body=body, headers=headers, privileged=privileged
            )
            span.answered(response.status)
            return response

    def __getattr__(self, name: str) -> Any:
        """The wrapped sender's other attributes (``timeout``, ``body_budget``…)."""
        return getattr(self.inner, name)

    def close_queue(self) -> int:
        return self.inner.close_queue()

    async def abort(self) -> None:
        await self.inner.abort()

    async def aclose(self) -> None:
        await self.inner.aclose()


def instrument(sender: Sender, telemetry: Telemetry) -> Sender:
    """``sender`` in client spans when ``telemetry`` records any (else as it is)."""
    return TracedSender(sender, telemetry) if telemetry.enabled else sender
