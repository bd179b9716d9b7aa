"""One background collector per EM, and the `Exporter` that renders them all.

Collection is decoupled from scrapes: an `EmCollector` reads a `Snapshot` at most
once per interval, whatever the scrapes do, and keeps the last good one when a
collection fails (``up`` goes to 0 and ``errors`` counts it). It never raises
for EM's sake: EM down, a refused logon (which the client throttles, so a wrong
password is not retried in a burst) or a malformed answer is one failed collection,
logged in one line, and the next interval tries again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric

from ..client import EnterpriseManager
from ..clock import Clock
from ..errors import VeeamEMError
from .families import families
from .points import PointsCache
from .snapshot import Snapshot, collect

__all__ = ["EmCollector", "Exporter", "UnknownTargetError"]

log = logging.getLogger("veeam_em_async.exporter")


class UnknownTargetError(LookupError):
    """``/metrics?target=`` names no EM of this exporter."""


class EmCollector:
    """Collects one EM's snapshot every ``interval`` seconds (on the client's clock)."""

    def __init__(
        self,
        name: str,
        em: EnterpriseManager,
        *,
        interval: float = 60.0,
        max_age: timedelta = timedelta(hours=24),
        window: timedelta = timedelta(days=7),
        clock: Clock | None = None,
        full_every: int = 60,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.name = name
        self.em = em
        self.interval = interval
        self.max_age = max_age
        self.window = window
        self.clock = clock or em.clock
        #: Restore points kept between collections; the window is read whole every
        #: ``full_every`` collections (see `PointsCache`).
        self.points = PointsCache(full_every=full_every)
        self.snapshot: Snapshot | None = None
        self.up = False
        self.errors = 0
        self.collections = 0
        self.duration: float | None = None
        self.last_error: str | None = None
        #: Bumped by every collection, good or not: the exporter's render cache key.
        self.version = 0

    @property
    def requests(self) -> int:
        """Every request this EM's client sent (logons and failed ones included)."""
        return self.em.stats.total()

    async def collect_once(self) -> bool:
        """One collection; whether it succeeded. Raises only a cancellation."""
        started = self.clock.now()
        try:
            snapshot = await collect(
                self.em, max_age=self.max_age, window=self.window, points=self.points
            )
        except Exception as exc:
            self.up = False
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            known = isinstance(exc, (VeeamEMError, OSError, asyncio.TimeoutError))
            log.warning("%s: collection failed, serving the last values: %s", self.name,
                        self.last_error, exc_info=not known)  # fmt: skip
        else:
            self.snapshot, self.up, self.last_error = snapshot, True, None
        self.collections += 1
        self.duration = self.clock.now() - started
        self.version += 1
        return self.up

    async def run(self, after: Callable[[], Awaitable[None]] | None = None) -> None:
        """Collect now, then every ``interval`` from the start of the last collection
        (right after it, when it took longer), until cancelled; ``after`` is awaited
        after each collection (the exporter renders the new page then)."""
        while True:
            started = self.clock.now()
            await self.collect_once()
            if after is not None:
                await after()
            await self.clock.sleep(max(0.0, started + self.interval - self.clock.now()))


class Exporter:
    """Every EM's collector, and the exposition of their last snapshots.

    ``render`` serves ``/metrics``: every EM, or one (``target``, the multi-target
    pattern). What it renders is cached until a collector's next collection, so a
    scrape costs a dictionary lookup, not a walk over thousands of VMs.
    """

    def __init__(self, collectors: Iterable[EmCollector]) -> None:
        self.collectors: dict[str, EmCollector] = {c.name: c for c in collectors}
        if not self.collectors:
            raise ValueError("an exporter needs at least one EM")
        self._cache: dict[tuple[str | None, str], tuple[tuple[int, ...], bytes]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._rendering: asyncio.Future[tuple[bytes, str]] | None = None

    @classmethod
    def of(cls, managers: Mapping[str, EnterpriseManager], **options: Any) -> Exporter:
        """An exporter of ``{name: EnterpriseManager}`` (``options`` go to each collector)."""
        return cls(EmCollector(name, em, **options) for name, em in managers.items())

    def _views(self, target: str | None) -> list[EmCollector]:
        if target is None:
            return list(self.collectors.values())
        if target not in self.collectors:
            raise UnknownTargetError(target)
        return [self.collectors[target]]

    def render(self, target: str | None = None, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition (Prometheus text, or OpenMetrics when ``accept`` asks for it)
        and its content type, of the collectors' state now (rendered unless cached).
        Raises `UnknownTargetError` for an unknown ``target``."""
        views = self._views(target)
        encoder, content_type = choose_encoder(accept or "")
        key = (target, content_type)
        versions = tuple(view.version for view in views)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == versions:
            return cached[1], content_type
        body: bytes = encoder(_Registry(views))
        self._cache[key] = (versions, body)
        return body, content_type

    async def page(self, target: str | None = None, accept: str | None = None) -> tuple[bytes, str]:
        """What a scrape is served, without stalling the event loop: the cached page,
        even one a collection has just made stale while its new page is being
        rendered in a worker thread (the scrape after gets the new one); only a page
        never rendered is waited for, rendered in the thread too."""
        views = self._views(target)  # an unknown target fails here, at once
        _, content_type = choose_encoder(accept or "")
        cached = self._cache.get((target, content_type))
        if cached is None:
            return await asyncio.to_thread(self.render, target, accept)
        if cached[0] == tuple(view.version for view in views):
            return cached[1], content_type
        if self._rendering is None or self._rendering.done():
            self._rendering = asyncio.ensure_future(asyncio.to_thread(self.render, target, accept))
            self._rendering.add_done_callback(_log_failure)
        return cached[1], content_type

    async def prerender(self, target: str | None = None) -> None:
        """Render the Prometheus text pages a collection changed, in a worker thread:
        thousands of series take tens of milliseconds, which would otherwise stall
        the event loop. Snapshots are never changed once made, so the thread reads
        them safely."""
        names = [None, target] if target is not None and len(self.collectors) > 1 else [None]
        for name in names:
            await asyncio.to_thread(self.render, name)

    def start(self) -> None:
        """Start every collector in the background (``stop`` ends them); each
        collection's pages are rendered as it ends, not on the next scrape."""
        if not self._tasks:
            self._tasks = [
                asyncio.ensure_future(c.run(after=functools.partial(self.prerender, name)))
                for name, c in self.collectors.items()
            ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        if self._rendering is not None:
            tasks.append(self._rendering)  # type: ignore[arg-type]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _log_failure(future: asyncio.Future[tuple[bytes, str]]) -> None:
    """A render nobody awaits: its error is logged (the next scrape tries again)."""
    if not future.cancelled() and future.exception() is not None:
        log.error("rendering the metrics failed", exc_info=future.exception())


class _Registry:
    """What prometheus_client's encoders read: an object with ``collect()``."""

    def __init__(self, views: list[EmCollector]) -> None:
        self._views = views

    def collect(self) -> Iterable[Metric]:
        return families(self._views)
