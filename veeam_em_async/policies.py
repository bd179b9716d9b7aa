"""Retry and polling policies: plain values, no I/O.

They are separate on purpose (as in azure-core and google-api-core): how hard
to retry one failed HTTP request has nothing to do with how often to ask
whether a task has finished.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import attrs

__all__ = ["RUN_POLL_POLICY", "PollPolicy", "RetryPolicy", "parse_retry_after"]

# Statuses with which EM (not a proxy) says "not now": the request did not run.
_REFUSED = frozenset({429, 503})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _backoff(base: float, factor: float, cap: float, attempt: int, jitter: float) -> float:
    delay = min(cap, base * (factor**attempt))
    if jitter:
        delay *= 1.0 - jitter * random.random()  # noqa: S311 - timing jitter, not crypto
    return delay


@attrs.frozen
class RetryPolicy:
    """How a request that failed transiently is retried, and how often a
    refused logon may be tried again.

    Only idempotent requests (GET) are retried, after a dropped connection or
    a status in ``retry_statuses`` (429, 502, 503, 504). An action (POST/PUT)
    is never re-sent on any status but 401: a 503 can come from a proxy or
    load balancer *after* EM accepted the start, and a job must not run twice.
    ``retry_refused_actions=True`` opts in to re-sending an action answered
    429 or 503, for a deployment where nothing stands between the client and
    EM. Nothing is ever re-sent after a timeout or a dropped connection.

    One call never spends more than ``max_total_delay`` seconds sleeping
    between its retries, whatever ``Retry-After`` says.

    Logon: a refused or failed logon is not tried again for
    ``logon_retry_interval`` seconds; after each further 401 refusal the pause
    doubles up to ``logon_retry_max_interval``. Every request that needs the
    logon meanwhile gets the error of the last attempt at once. Directory
    services lock accounts after a handful of bad passwords, so a burst of
    re-logons must never happen. Successful re-logons are bound too: at most
    one per ``logon_retry_interval``; a 401 within it is raised as it came
    (EM refuses that request, not the session), so a poll that keeps getting
    401 costs no logon per tick.
    """

    retries: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    backoff_base: float = 0.2
    backoff_factor: float = 2.0
    backoff_max: float = 10.0
    jitter: float = attrs.field(
        default=0.5, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    retry_refused_actions: bool = False
    max_retry_after: float = 60.0
    max_total_delay: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    logon_retry_interval: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    logon_retry_max_interval: float = attrs.field(default=900.0, validator=attrs.validators.ge(0))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return _backoff(
            self.backoff_base, self.backoff_factor, self.backoff_max, attempt, self.jitter
        )

    def resends(self, status: int, idempotent: bool) -> bool:
        """Whether an answer with ``status`` is worth sending the request again."""
        if status not in self.retry_statuses:
            return False
        return idempotent or (self.retry_refused_actions and status in _REFUSED)

    def logon_pause(self, refusals: int) -> float:
        """Seconds before the next logon attempt after a failed one; ``refusals``
        counts the 401 refusals in a row (0 when the attempt failed otherwise:
        EM down, a 503, a dropped connection)."""
        if refusals <= 1:
            return self.logon_retry_interval
        pause = self.logon_retry_interval * 2.0 ** (refusals - 1)
        return min(pause, max(self.logon_retry_max_interval, self.logon_retry_interval))


@attrs.frozen
class PollPolicy:
    """How often a pending task is polled.

    The first poll comes after ``initial_delay`` (EM has just created the
    task; asking at once only costs a request), then the interval grows by
    ``factor`` up to ``max_interval``, with jitter so that a thousand tasks
    started together do not poll in lock-step. A ``Retry-After`` from EM is
    honoured but clamped to ``[min_interval, max_interval]``.

    The defaults poll every 0.5 s at first and back off slowly (x1.25, at
    most every 10 s): with one ``GET /tasks`` per tick serving every pending
    task, a tick costs one request however many tasks wait, so a short
    interval buys prompt completion cheaply (see benchmarks/README.md).
    """

    initial_delay: float = 0.5
    min_interval: float = 0.5
    max_interval: float = 10.0
    factor: float = 1.25
    jitter: float = attrs.field(
        default=0.1, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )

    def interval(self, polls_done: int, retry_after: float | None = None) -> float:
        """Seconds until the next poll after ``polls_done`` polls."""
        if retry_after is not None:
            return min(max(retry_after, self.min_interval), self.max_interval)
        if polls_done == 0:
            return self.initial_delay
        base = max(self.min_interval, self.initial_delay)
        delay = _backoff(base, self.factor, self.max_interval, polls_done - 1, self.jitter)
        return max(self.min_interval, delay)


#: Job runs last minutes to hours: their sessions are polled every 2 s at first,
#: backing off to every 30 s (one query per tick serves every awaited run).
RUN_POLL_POLICY = PollPolicy(initial_delay=2.0, min_interval=2.0, max_interval=30.0, factor=1.5)
