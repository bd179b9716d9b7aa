"""What the client tells an observer: OpenTelemetry spans and metrics when the
``otel`` extra (``opentelemetry-api``) is installed, and nothing otherwise.

The client holds one `Telemetry`. Without ``opentelemetry-api`` it is the no-op
base, and no OpenTelemetry module is imported; with it, `make_telemetry` gives
`OtelTelemetry` on the global providers or the ones given. What is recorded
follows OpenTelemetry's HTTP client conventions (see ``docs/guides/observability.md``).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Protocol

from ._base import NO_TELEMETRY, ClientSpan, Telemetry

__all__ = ["NO_TELEMETRY", "ClientSpan", "Telemetry", "make_telemetry", "observe"]


def make_telemetry(tracer_provider: Any = None, meter_provider: Any = None) -> Telemetry:
    """`OtelTelemetry` when ``opentelemetry-api`` is installed (or providers are
    given), else `NO_TELEMETRY`, without importing anything of OpenTelemetry."""
    given = tracer_provider is not None or meter_provider is not None
    if not given and importlib.util.find_spec("opentelemetry") is None:
        return NO_TELEMETRY
    from ._otel import OtelTelemetry

    return OtelTelemetry(tracer_provider, meter_provider)


class _Stats(Protocol):
    logons: int
    slot_wait_seconds: float


class _Watcher(Protocol):
    outcomes: Any
    span: Any


def observe(telemetry: Telemetry, stats: _Stats, tasks: _Watcher, runs: _Watcher) -> None:
    """The client's own metrics, read when collected, and the watchers' wait spans:
    re-logons; tasks and job runs finished, by outcome; time spent waiting for a slot
    under ``max_connections`` (a growing figure says the cap is too low)."""
    if not telemetry.enabled:
        return
    tasks.span = runs.span = telemetry.span
    telemetry.observe("veeam_em.relogons", lambda: {"": max(0, stats.logons - 1)}, "{logon}",
                      "Logons after the first: EM's session expired or was refused.")  # fmt: skip
    telemetry.observe("veeam_em.tasks.finished", lambda: dict(tasks.outcomes), "{task}",
                      "Awaited EM tasks that ended, by outcome.")  # fmt: skip
    telemetry.observe("veeam_em.runs.finished", lambda: dict(runs.outcomes), "{run}",
                      "Awaited job runs that ended, by outcome.")  # fmt: skip
    telemetry.observe("veeam_em.slot.wait.time", lambda: {"": stats.slot_wait_seconds}, "s",
                      "Time requests waited for a slot under max_connections.")  # fmt: skip
