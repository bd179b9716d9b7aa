"""The no-op telemetry: the interface the client calls, costing one shared null
context manager when nothing observes it. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

__all__ = ["NO_SPAN", "NO_TELEMETRY", "ClientSpan", "Telemetry"]

Attributes = Mapping[str, Any]


class ClientSpan:
    """What a client span is told about its request's answer (nothing, here)."""

    def answered(self, status: int) -> None:
        """EM answered with ``status``."""

    def failed(self, error: BaseException) -> None:
        """No answer: ``error`` (a timeout, a dropped connection)."""

    def note(self, key: str, value: int) -> None:
        """One more attribute (``veeam_em.limit``: the cap in flight when it was sent)."""


_NO_CLIENT_SPAN = ClientSpan()
#: The span when nothing records: stateless and reentrant, so one serves every call
#: (a task's wait holds it for the whole wait: ten thousand waits, one object).
NO_SPAN: AbstractContextManager[Any] = nullcontext()


class Telemetry:
    """No spans, no metrics. `OtelTelemetry` records them."""

    enabled = False

    @property
    def recording(self) -> bool:
        """Whether anything is recorded now (a provider is configured)."""
        return False

    def span(self, name: str, attributes: Attributes | None = None) -> AbstractContextManager[Any]:
        """A logical span (``veeam_em.task.wait``…), current inside the ``with``."""
        return NO_SPAN

    @contextmanager
    def client_span(
        self, method: str, url: str, params: Mapping[str, str] | None = None
    ) -> Iterator[ClientSpan]:
        """One HTTP request's span (one per attempt: a retry is another)."""
        yield _NO_CLIENT_SPAN

    def logon_span(self, relogon: bool) -> AbstractContextManager[Any]:
        """A logon's span; a re-logon's is linked to the request that asked for it
        (the last client span of the caller's context)."""
        return NO_SPAN

    def observe(self, name: str, read: Callable[[], Mapping[str, float]], unit: str,
                description: str) -> None:  # fmt: skip
        """A counter read when metrics are collected: ``read()`` gives a value per
        ``outcome`` attribute (``{"": n}`` for one without)."""


NO_TELEMETRY = Telemetry()
