"""The retry loop: a plain function of a policy and a clock.

It decides, for one call, whether an answer or a failure is worth sending
again, and how long to wait first; the sender does the sending. Kept apart
so that "an action is sent at most once" and "one call sleeps at most
``max_total_delay``" are tested with a fake ``send`` and a fake clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ..clock import Clock
from ..errors import TransportError
from ..policies import RetryPolicy, parse_retry_after
from ._sansio import Response

__all__ = ["send_with_retries"]

log = logging.getLogger("veeam_em_async")


async def send_with_retries(
    send: Callable[[], Awaitable[Response]],
    *,
    policy: RetryPolicy,
    clock: Clock,
    idempotent: bool,
    on_retry: Callable[[], None] | None = None,
) -> Response:
    """Call ``send`` until its answer is final under ``policy``; return that answer.

    Retried: an idempotent request after a dropped connection (never after a
    timeout: the caller's timeout would silently multiply) or a status in
    ``policy.retry_statuses``; an action only as ``policy.resends`` allows.
    After ``policy.retries`` retries, or once the sleeps would pass
    ``policy.max_total_delay``, the last answer is returned (or the last
    `TransportError` raised).
    """
    attempt = 0
    slept = 0.0
    while True:
        failure: TransportError | None = None
        response: Response | None = None
        try:
            response = await send()
        except TransportError as exc:
            if not idempotent or exc.timed_out or attempt >= policy.retries:
                raise
            failure = exc
            delay = policy.delay(attempt)
        else:
            if attempt >= policy.retries or not policy.resends(response.status, idempotent):
                return response
            delay = policy.delay(attempt, parse_retry_after(response.headers.get("Retry-After")))
        remaining = policy.max_total_delay - slept
        if delay > 0 and remaining <= 0:
            # This call's retry budget is spent: give the caller what we have.
            if failure is not None:
                raise failure
            assert response is not None
            return response
        delay = min(delay, remaining) if delay > 0 else 0.0
        cause = failure if failure is not None else getattr(response, "status", None)
        log.debug("retrying in %.2f s after: %s", delay, cause)
        attempt += 1
        slept += delay
        if on_retry is not None:
            on_retry()
        await clock.sleep(delay)
