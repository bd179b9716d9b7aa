"""`Telemetry` through ``opentelemetry-api``: spans named and attributed by
OpenTelemetry's HTTP client conventions, and metrics. Imported only when the
package is installed (`veeam_em_async.telemetry.make_telemetry`).

Nothing recorded holds a secret: the token travels in a header and the password
only in the logon's ``Authorization`` header, and no header is recorded; the URL
keeps the query values of EM's own parameters (``type``, ``action``, ``page``…)
and replaces the others with ``REDACTED``; an exception is recorded by its type
and its already-redacted text (`veeam_em_async.errors.redact`).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from .. import __version__
from ..errors import redact
from ._base import NO_SPAN, Attributes, ClientSpan, Telemetry

__all__ = ["RECHECK", "OtelTelemetry", "safe_url"]

#: Calls between two looks for a provider set after the client was made.
RECHECK = 256

#: Query parameters that hold no secret: kept in a recorded URL.
_PLAIN_PARAMETERS = frozenset({"type", "format", "action", "page", "pageSize", "sortAsc",
                               "sortDesc", "v"})  # fmt: skip


def safe_url(url: str, params: Mapping[str, str] | None = None) -> str:
    """``url`` with its query (and ``params``) as recorded: EM's own parameters kept,
    any other value ``REDACTED``. (The client sends its parameters apart from the
    URL, so the common case is a plain join, not a parse.)"""
    if "?" in url:
        url, query = url.split("?", 1)
        pairs = [*parse_qsl(query, keep_blank_values=True), *(params or {}).items()]
    elif params:
        pairs = list(params.items())
    else:
        return url
    kept = [(k, v if k in _PLAIN_PARAMETERS else "REDACTED") for k, v in pairs]
    return f"{url}?{urlencode(kept)}"


class _Span(ClientSpan):
    def __init__(self, span: trace.Span) -> None:
        self.span = span
        self.status: int | None = None
        self.error_type: str | None = None

    def answered(self, status: int) -> None:
        self.status = status
        self.span.set_attribute("http.response.status_code", status)
        if status >= 400:
            self.error_type = str(status)
            self.span.set_attribute("error.type", self.error_type)
            self.span.set_status(Status(StatusCode.ERROR))

    def note(self, key: str, value: int) -> None:
        self.span.set_attribute(key, value)

    def failed(self, error: BaseException) -> None:
        self.error_type = type(error).__name__
        self.span.set_attribute("error.type", self.error_type)
        self.span.set_status(Status(StatusCode.ERROR, redact(str(error))))


class OtelTelemetry(Telemetry):
    """Spans through the tracer provider given (else the global one), metrics
    through the meter provider given (else the global one)."""

    enabled = True

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        provider = tracer_provider or trace.get_tracer_provider()
        self.tracer = provider.get_tracer("veeam_em_async", __version__)
        self._tracing = _configured(provider)
        self._measuring = _configured(meter_provider or metrics.get_meter_provider())
        self._unchecked = RECHECK
        self._servers: dict[str, tuple[str, int]] = {}
        self.meter = (meter_provider or metrics.get_meter_provider()).get_meter(
            "veeam_em_async", __version__
        )
        self.duration = self.meter.create_histogram(
            "http.client.request.duration", unit="s",
            description="Duration of HTTP client requests.",
        )  # fmt: skip
        #: The span context of the last request sent in this context: what a re-logon
        #: caused by its 401 links to.
        self._last: contextvars.ContextVar[trace.SpanContext | None] = contextvars.ContextVar(
            "veeam_em_async_last_request", default=None
        )

    @property
    def recording(self) -> bool:
        """Whether a provider records anything: an application that installed only
        the API pays no span. A provider set later (the SDK configured after the
        client was made) is noticed within `RECHECK` calls: looking costs an
        environment look-up in the API, too much for every request."""
        if self._tracing or self._measuring:
            return True
        self._unchecked -= 1
        if self._unchecked > 0:
            return False
        self._unchecked = RECHECK
        if self._tracer_provider is None and _configured(provider := trace.get_tracer_provider()):
            self._tracing = True
            self.tracer = provider.get_tracer("veeam_em_async", __version__)
        if self._meter_provider is None:
            self._measuring = _configured(metrics.get_meter_provider())
        return self._tracing or self._measuring

    def _traces(self) -> bool:
        if not self._tracing:
            self.recording  # noqa: B018 - looks whether a provider was set since
        return self._tracing

    def span(self, name: str, attributes: Attributes | None = None) -> AbstractContextManager[Any]:
        if not self._traces():
            return NO_SPAN
        return self.tracer.start_as_current_span(name, attributes=dict(attributes or {}))

    @contextmanager
    def client_span(
        self, method: str, url: str, params: Mapping[str, str] | None = None
    ) -> Iterator[ClientSpan]:
        host, port = self._server(url)
        attributes: dict[str, str | int] = {
            "http.request.method": method, "server.address": host, "server.port": port,
            "url.full": safe_url(url, params),
        }  # fmt: skip
        started = time.monotonic()
        with self.tracer.start_as_current_span(
            method, kind=SpanKind.CLIENT, attributes=attributes, record_exception=False,
            set_status_on_exception=False,
        ) as span:  # fmt: skip
            self._last.set(span.get_span_context())
            handle = _Span(span)
            try:
                yield handle
            except BaseException as exc:
                if handle.error_type is None:
                    handle.failed(exc)
                raise
            finally:
                metric: dict[str, Any] = {
                    k: attributes[k]
                    for k in ("http.request.method", "server.address", "server.port")
                }
                if handle.status is not None:
                    metric["http.response.status_code"] = handle.status
                if handle.error_type is not None:
                    metric["error.type"] = handle.error_type
                if self._measuring:
                    self.duration.record(time.monotonic() - started, metric)

    def _server(self, url: str) -> tuple[str, int]:
        """``server.address`` and ``server.port`` of ``url`` (one EM: parsed once)."""
        origin = url[: url.find("/", url.find("//") + 2)]
        found = self._servers.get(origin)
        if found is None:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            found = self._servers[origin] = (parts.hostname or "", port)
        return found

    def logon_span(self, relogon: bool) -> AbstractContextManager[Any]:
        if not self._traces():
            return NO_SPAN
        cause = self._last.get() if relogon else None
        links = [Link(cause)] if cause is not None and cause.is_valid else None
        return self.tracer.start_as_current_span(
            "veeam_em.logon", attributes={"veeam_em.relogon": relogon}, links=links
        )

    def observe(self, name: str, read: Callable[[], Mapping[str, float]], unit: str,
                description: str) -> None:  # fmt: skip
        def callback(_options: CallbackOptions) -> list[Observation]:
            return [
                Observation(value, {"outcome": key} if key else {}) for key, value in read().items()
            ]

        self.meter.create_observable_counter(name, [callback], unit=unit, description=description)


def _configured(provider: Any) -> bool:
    """Whether ``provider`` is an SDK's (or another real one), not the API's default
    proxy or no-op provider."""
    return type(provider).__name__ not in (
        "ProxyTracerProvider", "NoOpTracerProvider", "_ProxyMeterProvider", "NoOpMeterProvider"
    )  # fmt: skip
