"""``EnterpriseManager``: the facade that owns the transport and the resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

from .clock import Clock, as_clock
from .filters import FilterLike
from .handles import TaskWatcher
from .models import (
    AgentBackupJob,
    BackupJobSession,
    EntityRef,
    Job,
    LogonSession,
    NasJob,
    ReplicaJobSession,
    Repository,
    SupportedVersion,
    TaskInfo,
)
from .policies import RUN_POLL_POLICY, PollPolicy, RetryPolicy
from .polling import Watcher
from .query import Query
from .resources import (
    AgentJobsResource,
    BackupSessionsResource,
    JobsResource,
    NasJobsResource,
    ReplicaSessionsResource,
    RepositoriesResource,
    TasksResource,
)
from .resources.tasks import TaskSource
from .runs import RunContext
from .sansio import SslSetting, TransportStats
from .sender import AiohttpSender
from .session_source import JobSession, SessionSource
from .transport import Transport
from .xmlio import MAX_BODY_BYTES

if TYPE_CHECKING:
    import aiohttp


class EnterpriseManager:
    """An asyncio client for one Veeam Backup Enterprise Manager.

    ``async with EnterpriseManager(url, user, password) as em:`` logs on when
    entering and off when leaving. Every request goes through one connection
    pool with at most ``max_connections`` requests in flight; when EM's idle
    session (15 minutes) expires, the client logs on again once for all
    requests in flight and re-sends them.

    ``clock`` is the one time source of polling, retry back-off, the
    re-logon throttle and wait deadlines: a :class:`~veeam_em_async.clock.Clock`
    (``now()`` and ``sleep()``). Tests inject a fake one so that all of them
    take no real time. (A ``now`` callable with a ``sleep`` coroutine
    function is still accepted.)

    ``poll_policy`` paces the polling of awaited tasks; ``run_poll_policy``
    that of awaited job runs (slower by default: :data:`RUN_POLL_POLICY`).

    ``max_body_bytes`` bounds each response body, decompressed: a larger one
    raises :class:`ResponseTooLargeError` and is not read further.

    The password and the session token are never part of ``repr``, logs or
    exception texts.
    """

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        verify_ssl: SslSetting = True,
        max_connections: int = 20,
        timeout: float = 60.0,
        api_version: str = "latest",
        poll_policy: PollPolicy | None = None,
        run_poll_policy: PollPolicy | None = None,
        retry_policy: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Clock | Callable[[], float] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.clock = as_clock(clock, sleep)
        sender = AiohttpSender(
            verify_ssl=verify_ssl,
            max_connections=max_connections,
            timeout=timeout,
            session=session,
            max_body_bytes=max_body_bytes,
        )
        self._transport = Transport(
            url, username, password, sender,
            api_version=api_version, retry_policy=retry_policy, clock=self.clock,
        )  # fmt: skip
        self.poll_policy = poll_policy or PollPolicy()
        self._watcher: TaskWatcher = Watcher[str, TaskInfo](
            TaskSource(self._transport),
            self.poll_policy,
            self.clock,
            poll_concurrency=max_connections,
            name="task watcher",
        )
        self.run_poll_policy = run_poll_policy or RUN_POLL_POLICY
        self._run_watcher: Watcher[str, JobSession] = Watcher[str, JobSession](
            SessionSource(self._transport),
            self.run_poll_policy,
            self.clock,
            poll_concurrency=max_connections,
            name="run watcher",
        )
        runs = RunContext(self._transport, self._run_watcher, self.run_poll_policy)
        parts = (self._transport, self._watcher, runs)
        self.jobs = JobsResource(*parts)
        self.nas_jobs = NasJobsResource(*parts)
        self.agent_jobs = AgentJobsResource(*parts)
        self.repositories = RepositoriesResource(*parts)
        self.tasks = TasksResource(*parts)
        self.backup_sessions = BackupSessionsResource(*parts)
        self.replica_sessions = ReplicaSessionsResource(*parts)
        runs.sessions.update(
            BackupJobSession=self.backup_sessions, ReplicaJobSession=self.replica_sessions
        )

    def __repr__(self) -> str:
        state = (
            "closed"
            if self._transport.closed
            else ("logged on" if self._transport.logged_in else "not logged on")
        )
        return (
            f"<EnterpriseManager {str(self._transport.api)!r} user={self._transport.username!r} "
            f"{state} max_connections={self._transport.max_connections}>"
        )

    @property
    def url(self) -> str:
        """The API root every request is built from (``…/api``)."""
        return str(self._transport.api)

    @property
    def stats(self) -> TransportStats:
        """Requests sent by method, the peak in flight, logons and retries."""
        return self._transport.stats

    @property
    def task_watcher(self) -> TaskWatcher:
        """The shared watcher of awaited tasks: its ``pending``, ``running``,
        ``ticks``, ``batch_polls`` and ``single_polls`` are for tests and monitoring."""
        return self._watcher

    @property
    def run_watcher(self) -> Watcher[str, JobSession]:
        """The shared watcher of awaited job runs (one query per tick serves them all)."""
        return self._run_watcher

    @property
    def closed(self) -> bool:
        return self._transport.closed

    @property
    def logon_session(self) -> LogonSession | None:
        return self._transport.logon_session

    # fmt: off
    @overload
    def query(self, type: str, *, filter: FilterLike | None = ..., sort_asc: str | None = ...,
              sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[False]) -> Query[EntityRef]: ...
    @overload
    def query(self, type: Literal["Job"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ...,
              page_size: int | None = ..., entities: Literal[True] = ...) -> Query[Job]: ...
    @overload
    def query(self, type: Literal["NasJob"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ...,
              page_size: int | None = ..., entities: Literal[True] = ...) -> Query[NasJob]: ...
    @overload
    def query(self, type: Literal["BackupJobSession"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[True] = ...) -> Query[BackupJobSession]: ...
    @overload
    def query(self, type: Literal["ReplicaJobSession"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[True] = ...) -> Query[ReplicaJobSession]: ...
    @overload
    def query(self, type: Literal["Repository"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[True] = ...) -> Query[Repository]: ...
    @overload
    def query(self, type: Literal["AgentBackupJob"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[True] = ...) -> Query[AgentBackupJob]: ...
    @overload
    def query(self, type: str, *, filter: FilterLike | None = ..., sort_asc: str | None = ...,
              sort_desc: str | None = ..., page_size: int | None = ...,
              entities: bool = ...) -> Query[Any]: ...
    # fmt: on
    def query(
        self,
        type: str,
        *,
        filter: FilterLike | None = None,
        sort_asc: str | None = None,
        sort_desc: str | None = None,
        page_size: int | None = None,
        entities: bool = True,
    ) -> Query[Any]:
        """EM's query service (``GET /query?type=…``) as an async iterator.

        ``type`` is EM's type name (``"Job"``, ``"BackupJobSession"``, ``"Task"``,
        …); ``filter`` an :data:`F` expression or EM's filter text. Items are
        models for the types the client knows (``format=Entities``) and
        :class:`EntityRef` for the others or with ``entities=False``. Pages
        are fetched as iteration reaches them; ``.all()`` and ``.first()``
        are shortcuts. Nothing is sent until iteration starts.
        """
        return Query(
            self._transport, type, filter=filter, sort_asc=sort_asc, sort_desc=sort_desc,
            page_size=page_size, entities=entities,
        )  # fmt: skip

    async def api_versions(self) -> list[SupportedVersion]:
        """``GET /api/``: the API versions EM offers (no logon needed, asked once).

        With an explicit ``api_version``, the client asks this before its first
        logon and refuses a version EM does not offer with
        :class:`UnsupportedVersionError`, without sending the password.
        """
        return list((await self._transport.logon.fetch_api_root()).supported_versions)

    async def login(self) -> LogonSession:
        """Log on (``POST /sessionMngr/?v=…``). ``async with`` does this for you."""
        return await self._transport.login()

    async def close(self) -> None:
        """Stop polling (waiters get ``ClientClosedError``), log off, and release
        the connection pool (unless the caller owns it)."""
        try:
            await self._watcher.close()
            await self._run_watcher.close()
        finally:
            await self._transport.close()

    async def __aenter__(self) -> EnterpriseManager:
        try:
            await self.login()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
