"""Many EMs from one process: `Fleet`.

Managed service providers and large companies run several Enterprise Managers. A
fleet logs every one on at once and keeps going without the ones that cannot be
reached or refuse the logon; `Fleet.each` runs one coroutine per EM and gives one
`FleetResult` each, never raising for one EM; `Fleet.feed` merges the change feeds.
``max_in_flight`` caps the requests of all the EMs together (each keeps its own cap
too), and one `BodyBudget` bounds the response bodies of them all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

import attrs

from .client import EnterpriseManager
from .clock import window_start
from .errors import ClientClosedError
from .models import JobSession
from .query import FEED_INTERVAL
from .transport._bodies import BodyBudget
from .transport._sender import AiohttpSender
from .transport._slots import Slots

__all__ = ["Fleet", "FleetResult"]

log = logging.getLogger("veeam_em_async.fleet")

T = TypeVar("T")


@attrs.frozen
class FleetResult(Generic[T]):
    """What one EM gave: ``value``, or the ``error`` that stopped it (its refused logon,
    a timeout, any exception of the coroutine)."""

    name: str
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _sender_of(em: EnterpriseManager) -> AiohttpSender | None:
    sender = em._transport.sender
    inner = getattr(sender, "inner", sender)  # under a TracedSender
    return inner if isinstance(inner, AiohttpSender) else None


class Fleet:
    """``async with Fleet({"eu": EnterpriseManager(...), "us": ...}) as fleet:``.

    Entering logs every EM on concurrently; one that cannot be reached or refuses
    the logon is recorded in ``failed`` (its error) and skipped, never stopping the
    others. It is not left out for good: a service runs for months, and an EM down
    when it started comes back. `each` and `feed` try its logon again, which its
    client paces (within the pause after a failed logon nothing is sent and the
    same error comes back), so a refused password is never tried in a burst; once
    it logs on, it leaves ``failed``. Leaving closes every client.
    """

    def __init__(
        self,
        managers: Mapping[str, EnterpriseManager],
        *,
        max_in_flight: int | None = None,
        body_budget: BodyBudget | None = None,
    ) -> None:
        if not managers:
            raise ValueError("a fleet needs at least one EnterpriseManager")
        self.managers = dict(managers)
        self.failed: dict[str, BaseException] = {}
        self.max_in_flight = max_in_flight
        self.body_budget = body_budget or BodyBudget()
        shared = Slots(max_in_flight) if max_in_flight is not None else None
        for em in self.managers.values():
            sender = _sender_of(em)
            if sender is not None:
                sender.shared_slots = shared
                sender.body_budget = self.body_budget

    def __repr__(self) -> str:
        return f"<Fleet {sorted(self.managers)} failed={sorted(self.failed)}>"

    @property
    def live(self) -> dict[str, EnterpriseManager]:
        """The EMs logged on (every one but those in ``failed``)."""
        return {n: em for n, em in self.managers.items() if n not in self.failed}

    async def _rejoin(self, name: str) -> BaseException | None:
        """Try the logon of an EM in ``failed`` again: the error that still keeps it
        out (kept in ``failed``), or ``None`` once it is back."""
        try:
            await self.managers[name].login()
        except ClientClosedError:
            raise  # closed: nothing to wait for (a feed's pump ends here)
        except Exception as exc:
            self.failed[name] = exc
            return exc
        if self.failed.pop(name, None) is not None:  # two callers may both see it back
            log.info("%s: logged on; back in the fleet", name)
        return None

    @classmethod
    def from_profiles(
        cls, path: str | Path | None = None, names: Iterable[str] | None = None, **options: Any
    ) -> Fleet:
        """A fleet of the CLI's profiles (``veeam-em profile add``; all of them, or
        ``names``), each password from ``VEEAM_EM_PASSWORD`` or the keyring, as the CLI
        takes it (never from the file). Needs the ``cli`` extra; ``options`` go to `Fleet`."""
        from .cli.config import config_path, load_profile, profile_names, stored_password

        file = Path(path) if path is not None else config_path()
        chosen = list(names) if names is not None else profile_names(file)
        managers = {}
        for name in chosen:
            profile = load_profile(file, name)
            url, user = profile.get("url"), profile.get("user")
            if not url or not user:
                raise ValueError(f"profile {name!r} has no url or user")
            password = stored_password(url, user)
            if not password:
                raise ValueError(f"profile {name!r}: no password: set VEEAM_EM_PASSWORD or "
                                 "store one with `veeam-em profile set-password`")  # fmt: skip
            managers[name] = EnterpriseManager(url, user, password)
        return cls(managers, **options)

    async def __aenter__(self) -> Fleet:
        names = list(self.managers)
        results = await asyncio.gather(
            *(self.managers[n].login() for n in names), return_exceptions=True
        )
        for name, result in zip(names, results, strict=True):
            if isinstance(result, Exception):
                self.failed[name] = result
                log.warning("%s: logon failed (%s); the fleet goes on without it", name, result)
            elif isinstance(result, BaseException):  # a cancellation: not one EM's failure
                await self.close()
                raise result
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every client (each logs off), whatever the others do."""
        await asyncio.gather(*(em.close() for em in self.managers.values()),
                             return_exceptions=True)  # fmt: skip

    async def each(
        self, fn: Callable[[EnterpriseManager], Awaitable[T]], *, timeout: float | None = None
    ) -> dict[str, FleetResult[T]]:
        """``fn(em)`` on every EM at once: one `FleetResult` per EM, in the fleet's
        order, never raising for one EM (an EM in ``failed`` is tried again first, and
        gives its logon's error if it is still out; one that takes longer than
        ``timeout`` seconds, logon included, a ``TimeoutError``)."""

        async def attempt(name: str) -> FleetResult[T]:
            if name in self.failed:
                error = await self._rejoin(name)
                if error is not None:  # returned, not raised: raising it grows it
                    return FleetResult(name, error=error)
            return FleetResult(name, value=await fn(self.managers[name]))

        async def one(name: str) -> FleetResult[T]:
            try:
                return await asyncio.wait_for(attempt(name), timeout)
            except asyncio.TimeoutError:
                return FleetResult(name, error=TimeoutError(f"{name}: no answer in {timeout} s"))
            except Exception as exc:
                return FleetResult(name, error=exc)

        results = await asyncio.gather(*(one(name) for name in self.managers))
        return {r.name: r for r in results}

    async def feed(
        self,
        since: datetime | timedelta | None = None,
        results: Iterable[str] | None = None,
        **options: Any,
    ) -> AsyncIterator[tuple[str, JobSession]]:
        """Every EM's change feed merged, as ``(name, session)`` in the order they
        arrive (see ``em.backup_sessions.feed`` for ``since``, ``results``, ``interval``
        and ``overlap``). One EM's feed failing is logged and leaves the others. An EM
        in ``failed`` is tried again every ``interval`` (its client's pause between
        attempts still holds); once back, its feed starts from the merged feed's
        ``since``, so the runs that ended while it was out are not lost."""
        # Bounded: a slow reader holds the feeds back instead of buffering without end.
        queue: asyncio.Queue[tuple[str, JobSession]] = asyncio.Queue(maxsize=256)
        wanted = tuple(results) if results is not None else None
        # One start for every EM, fixed now: an EM that joins later reads from it too.
        start = timedelta(0) if since is None else since
        starts = {n: window_start(em.clock, start) for n, em in self.managers.items()}
        pace = float(options.get("interval", FEED_INTERVAL))

        async def pump(name: str, em: EnterpriseManager) -> None:
            try:
                while name in self.failed and await self._rejoin(name) is not None:
                    await em.clock.sleep(pace)
                feed = em.backup_sessions.feed(since=starts[name], results=wanted, **options)
                async for session in feed:
                    await queue.put((name, session))
            except Exception as exc:  # one EM's end is not the fleet's
                log.warning("%s: its feed stopped (%s)", name, exc)

        pumps = [asyncio.ensure_future(pump(n, em)) for n, em in self.managers.items()]
        getter: asyncio.Future[tuple[str, JobSession]] | None = None
        try:
            while True:
                if all(p.done() for p in pumps) and queue.empty():
                    return
                getter = asyncio.ensure_future(queue.get())
                running = [p for p in pumps if not p.done()]
                await asyncio.wait([getter, *running], return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
        finally:
            if getter is not None:
                getter.cancel()
            for p in pumps:
                p.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
