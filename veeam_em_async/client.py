"""``EnterpriseManager``: the facade that owns the transport and the resources."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from .actions import ActionHook
from .clock import Clock, check_clock
from .models import (
    JobSession,
    LogonSession,
    SupportedVersion,
    TaskInfo,
)
from .policies import RUN_POLL_POLICY, PollPolicy, RetryPolicy
from .query._methods import QueryMethods
from .resources import (
    AgentJobsResource,
    BackupServersResource,
    BackupSessionsResource,
    BackupsResource,
    HierarchyRootsResource,
    JobsResource,
    NasJobsResource,
    ReplicaSessionsResource,
    ReportsResource,
    RepositoriesResource,
    RestorePointsResource,
    TasksResource,
    VmRestorePointsResource,
    VmsResource,
)
from .resources.tasks import TaskSource
from .resources.vm_restore_points import ProtectionMethods
from .runs import RunContext, SessionSource
from .telemetry import make_telemetry, observe
from .transport import Transport
from .transport._bodies import BodyBudget
from .transport._sansio import SslSetting, TransportStats
from .transport._sender import AiohttpSender
from .transport._traced import instrument
from .waiting._handles import TaskWatcher
from .waiting._watcher import Watcher
from .xmlio import MAX_BODY_BYTES

if TYPE_CHECKING:
    import aiohttp


class EnterpriseManager(QueryMethods, ProtectionMethods):
    """An asyncio client for one Veeam Backup Enterprise Manager.

    ``async with EnterpriseManager(url, user, password) as em:`` logs on when
    entering and off when leaving. Every request goes through one connection
    pool with at most ``max_connections`` requests in flight; when EM's idle
    session (15 minutes) expires, the client logs on again once for all
    requests in flight and re-sends them. The password and the session token
    are never part of ``repr``, logs or exception texts.

    Attributes:
        jobs: VM jobs (``/jobs``): read, start/stop/retry/sync, clone, edit,
            includes, bulk actions, runs and their results, last results.
        nas_jobs: file share (NAS) backup jobs (``/nas/jobs``).
        agent_jobs: Veeam Agent backup jobs (``/agents/jobs``).
        repositories: backup repositories and their free space.
        backup_servers: the backup servers EM manages.
        backups: the backups the jobs wrote; restore_points: their points.
        vm_restore_points: each VM's points: ``latest()``, the newest per VM.
        reports: EM's summary reports; hierarchy_roots: the vCenters and hosts.
        vms: find a VM by name; back it up now (quick backup), awaited.
        tasks: EM's tasks by id; ``em.tasks.handle(id)`` resumes waiting on one.
        backup_sessions: backup job sessions (runs), their VMs, the change feed.
        replica_sessions: replication job sessions and their VMs.
        clock: the one time source of polling, retries and deadlines.
        poll_policy: the pace of polling awaited tasks.
        run_poll_policy: the pace of polling awaited job runs.

    Args:
        url: EM's address, ``https://em.example:9398`` (``/api`` is added).
        username: a user EM accepts, in the ``DOMAIN\\user`` form for a domain account.
        password: that user's password; kept only for logons.
        verify_ssl: ``True`` (the system's CAs), ``False`` (no verification), a
            CA bundle's path, or an ``ssl.SSLContext``.
        max_connections: the hard cap on requests in flight, and the pool's size.
        timeout: seconds per request, counted from when it is sent (not while
            it waits for a slot under the cap).
        api_version: ``"latest"``, or a version such as ``"v1_5"``: EM is asked
            first (``GET /api/``) and a version it does not offer raises
            `UnsupportedVersionError` before the password is sent.
        poll_policy: paces the polling of awaited tasks (`PollPolicy`).
        run_poll_policy: paces that of awaited job runs (slower by default:
            `RUN_POLL_POLICY`).
        retry_policy: which failed requests are retried, and how
            (`RetryPolicy`; actions are never re-sent unless EM answered 401).
        session: an ``aiohttp.ClientSession`` of your own (with your
            ``trace_configs``, proxies…); the client then does not close it.
        clock: the one time source (`Clock`, with
            ``now()`` and ``sleep()``). Tests inject a fake one so that polling,
            back-off, the re-logon throttle and deadlines take no real time.
        max_body_bytes: the bound on each response body, decompressed: a larger
            one raises `ResponseTooLargeError` and is not read further.
        body_budget: the bound on the bytes of all bodies being read at once
            (`BodyBudget`, 128 MiB by default, one per client). Give
            several clients one budget to bound them together; a body that
            would pass it raises `BodyBudgetExceededError`.
        before_action: awaited once with each `Action` before it is sent; if it
            raises, nothing is sent and the caller (a bulk call: the job) gets it.
        tracer_provider: OpenTelemetry's (default: the global one); the ``otel`` extra.
        meter_provider: likewise, for the client's metrics.
        adaptive: cut the cap in flight when EM sheds load or slows down, grow it back
            when EM keeps up (AIMD, at most ``max_connections``; ``em.stats.limit``).
        parse_offload_bytes: parse query pages larger than this in a thread (None: never).
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
        clock: Clock | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        body_budget: BodyBudget | None = None,
        before_action: ActionHook | None = None,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        adaptive: bool = False,
        parse_offload_bytes: int | None = None,
    ) -> None:
        self.clock = check_clock(clock)
        telemetry = make_telemetry(tracer_provider, meter_provider)
        sender = AiohttpSender(
            verify_ssl=verify_ssl,
            max_connections=max_connections,
            timeout=timeout,
            session=session,
            max_body_bytes=max_body_bytes,
            body_budget=body_budget,
            adaptive=adaptive,
        )
        self._transport = Transport(
            url, username, password, instrument(sender, telemetry),
            api_version=api_version, retry_policy=retry_policy, clock=self.clock,
        )  # fmt: skip
        self._transport.before_action = before_action
        self._transport.parse_offload_bytes = parse_offload_bytes
        self._transport.telemetry = self._transport.logon.telemetry = telemetry
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
        observe(telemetry, self._transport.stats, self._watcher, self._run_watcher)
        # Runs find the resources they use (sessions to stop, jobs' RetryOptions) on
        # this client, from the start.
        runs = RunContext(self._transport, self._run_watcher, self.run_poll_policy, self)
        parts = (self._transport, self._watcher, runs)
        self.jobs = JobsResource(*parts)
        self.nas_jobs = NasJobsResource(*parts)
        self.agent_jobs = AgentJobsResource(*parts)
        self.repositories = RepositoriesResource(*parts)
        self.backup_servers = BackupServersResource(*parts)
        self.backups = BackupsResource(*parts)
        self.restore_points = RestorePointsResource(*parts)
        self.vm_restore_points = VmRestorePointsResource(*parts)
        self.reports = ReportsResource(*parts)
        self.hierarchy_roots = HierarchyRootsResource(*parts)
        self.vms = VmsResource(*parts)
        self.tasks = TasksResource(*parts)
        self.backup_sessions = BackupSessionsResource(*parts)
        self.replica_sessions = ReplicaSessionsResource(*parts)

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

    async def api_versions(self) -> list[SupportedVersion]:
        """``GET /api/``: the API versions EM offers (no logon needed, asked once).

        With an explicit ``api_version``, the client asks this before its first
        logon and refuses a version EM does not offer with
        `UnsupportedVersionError`, without sending the password.
        """
        return list((await self._transport.logon.fetch_api_root()).supported_versions)

    async def login(self) -> LogonSession:
        """Log on (``POST /sessionMngr/?v=…``). ``async with`` does this for you."""
        return await self._transport.login()

    async def drain(self, grace: float = 5.0) -> int:
        """Stop sending, and let what was sent be answered: for a Ctrl-C or a
        shutdown that wants a true record of what EM accepted.

        From now on no request is sent (queued and new ones fail with
        `ClientClosedError`: not sent; polls too). Requests in flight get ``grace``
        seconds of the client's clock; those still in flight then fail with
        `TransportError` (sent, outcome unknown), and their number is returned. A
        bulk call returns its outcomes as these arrive. `close` still logs off."""
        return await self._transport.drain(grace)

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
