"""``em.backup_sessions.feed(...)``: every job run, once, when it ends.

Each interval sends one query per session type (backup, replica), however
many jobs there are: the sessions that are ``Stopped`` with an ``EndTime``
at or after the *watermark* minus an *overlap*, oldest end first. The
watermark is the latest ``EndTime`` seen, so it moves on EM's clock, never
ours. EM lists some runs late (it collects from the backup servers on its
own schedule): a run that appears after later ones were yielded is still in
the window if it ended within ``overlap`` of the watermark, and its UID not
having been seen is what yields it, once. The overlap never reaches back
before ``since`` (by default, the moment the feed was made): a run that ended
before it is never yielded. UIDs are remembered only while
their end is inside the window, so memory follows the runs of one overlap
window, not the days the feed has been running.

A re-logon is the transport's business and costs the feed nothing. A
transient failure (a dropped connection, a 5xx, a proxy's HTML page) is
logged and tried again after a doubling pause; a refusal (401 after the
re-logon, 403, 400) ends the iteration with its exception. There is no
background task: ``break`` leaves nothing running.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from ..clock import Clock, window_start
from ..errors import ResponseParseError, ServerError, TransportError
from ..models import JobSession
from ..transport import Transport
from ._filters import F, Filter, one_of
from ._query import Query

__all__ = ["FEED_INTERVAL", "FEED_PAGE_SIZE", "SessionFeed"]

log = logging.getLogger("veeam_em_async")

FEED_PAGE_SIZE = 500
#: Seconds between a feed's rounds, by default.
FEED_INTERVAL = 60.0
TRANSIENT = (TransportError, ServerError, ResponseParseError)


def _end_key(session: JobSession) -> tuple[datetime, str]:
    assert session.end_time is not None  # only ended sessions are sorted
    return (session.end_time, session.uid or "")


class SessionFeed:
    """An async iterator of ended job sessions (see the module docstring)."""

    def __init__(
        self,
        transport: Transport,
        clock: Clock,
        *,
        since: datetime | timedelta | None = None,
        results: Collection[str] | None = None,
        interval: float = FEED_INTERVAL,
        overlap: timedelta = timedelta(minutes=15),
        kinds: Sequence[str] = ("BackupJobSession", "ReplicaJobSession"),
        max_backoff: float = 900.0,
        page_size: int = FEED_PAGE_SIZE,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._transport = transport
        self._clock = clock
        #: The latest EndTime seen (EM's clock); the window starts ``overlap`` before it.
        self.watermark = window_start(clock, timedelta(0) if since is None else since)
        #: The floor: a run that ended before ``since`` is never yielded, overlap or not
        #: (a bot restarted "from now" must not post the last 15 minutes again).
        self.since = self.watermark
        self.results = tuple(results) if results else ()
        self.interval = interval
        self.overlap = overlap
        self.kinds = tuple(kinds)
        self.max_backoff = max(max_backoff, interval)
        self.page_size = page_size
        self._seen: dict[str, datetime] = {}
        self._ready: collections.deque[JobSession] = collections.deque()
        self._polled = False
        self._failures = 0
        #: Poll rounds and the queries they sent (for tests and monitoring).
        self.polls = 0
        self.queries = 0

    @property
    def remembered(self) -> int:
        """How many UIDs the feed holds to de-duplicate (one overlap window's runs)."""
        return len(self._seen)

    def _filter(self) -> Filter:
        low = max(self.since, self.watermark - self.overlap)
        ended = (F.State == "Stopped") & (F.EndTime >= low)
        return ended & one_of("Result", self.results) if self.results else ended

    async def poll(self) -> list[JobSession]:
        """One round: the sessions that ended since the last round, oldest first."""
        self.polls += 1
        listed: list[JobSession] = []
        text = str(self._filter())
        for kind in self.kinds:
            query: Query[JobSession] = Query(
                self._transport, kind, filter=text, sort_asc="EndTime", page_size=self.page_size
            )
            try:
                listed.extend(await query.all())
            finally:
                self.queries += query.requests
        fresh = [
            s
            for s in listed
            if s.uid and s.end_time and s.end_time >= self.since and s.uid not in self._seen
        ]
        fresh.sort(key=_end_key)
        for session in fresh:
            assert session.uid is not None and session.end_time is not None
            self._seen[session.uid] = session.end_time
            self.watermark = max(self.watermark, session.end_time)
        low = self.watermark - self.overlap
        self._seen = {uid: end for uid, end in self._seen.items() if end >= low}
        return fresh

    def __aiter__(self) -> SessionFeed:
        return self

    async def __anext__(self) -> JobSession:
        while not self._ready:
            if self._polled:
                await self._clock.sleep(self._pause())
            self._polled = True
            try:
                self._ready.extend(await self.poll())
            except TRANSIENT as exc:
                self._failures += 1
                log.warning(
                    "session feed: %s; trying again in %.0f s", exc, self._pause(), exc_info=False
                )
                continue
            self._failures = 0
        return self._ready.popleft()

    def _pause(self) -> float:
        if not self._failures:
            return self.interval
        return float(min(self.interval * 2 ** (self._failures - 1), self.max_backoff))
