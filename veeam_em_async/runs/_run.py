"""Job runs: a start and the job session it became, awaited to its real result.

A finished start task only says "triggered to start"; the backup runs as a job
session. A `JobRun` finds it, then waits on the client's one run watcher.

Finding the session, the part that must never attach a run to an older one:

1. Newer EM builds put a ``Link Rel="Related"`` to the session on the
   finished start task: that link names it.
2. Otherwise (or when EM dropped the start task with its logon session after
   a re-logon: the start was accepted all the same), the job's newest session
   was read *before* the start was sent (the baseline). After the task
   finished, the job's newest session is asked for again until it is one that
   is not the baseline and not older than it. EM may list a new run seconds
   late, so this keeps looking, within the run's timeout, on the run policy's
   cadence. A quick backup of a VM no job includes by itself has no job to look in.

With ``follow_retries=True``, a Failed session is not final while the job's
``RetryOptions`` allow another try: the run waits up to ``RetryTimeout``
minutes plus `RETRY_GRACE` seconds for the session EM starts with
``IsRetry=true``, follows it, and reports the last session of the chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from ..errors import RunFailedError, RunTimeoutError, TaskLostError, TaskTimeoutError, VeeamEMError
from ..models import BackupTaskSession, JobSession, ReplicaTaskSession, TaskInfo
from ..policies import PollPolicy
from ..waiting._handles import Task
from ..waiting._watcher import DeadlinePassedError
from ._context import RetryOptionsLoader, RunContext, is_newer, related_session, wait_for_session
from ._sessions import session_kind

__all__ = ["RETRY_GRACE", "JobRun", "RunContext"]

#: Seconds past a job's ``RetryTimeout`` that a run following retries waits for the retry.
RETRY_GRACE = 120.0


class JobRun:
    """One run of a job: ``await run`` returns the final job session.

    Success and Warning are returned; Failed raises `RunFailedError`
    (``.session``); a wait longer than ``timeout`` raises
    `RunTimeoutError` (the job keeps running). A refused start raises
    the start task's `TaskFailedError`, with EM's message (``Job "X"
    is already running``). Cancelling a wait sends nothing to EM.
    """

    def __init__(
        self,
        context: RunContext,
        *,
        kind: str,
        job_uid: str | None,
        task: Task | None = None,
        baseline: JobSession | None = None,
        session: JobSession | None = None,
        session_uid: str | None = None,
        follow_retries: bool = False,
        retry_options: RetryOptionsLoader | None = None,
        shared_baseline: bool = False,
    ) -> None:
        self._context = context
        self.kind = kind  # "BackupJobSession" | "ReplicaJobSession"
        self.job_uid = job_uid
        self.task = task
        self.follow_retries = follow_retries
        self._baseline = baseline
        self._shared_baseline = shared_baseline  # the server's newest session, not the job's
        self._session = session
        self._uid = session.uid if session is not None and session.uid else session_uid
        self._retry_options = retry_options
        self._retries_followed = 0
        self._final = False
        self._finding: asyncio.Lock | None = None
        self._deadline: float | None = None  # of the latest wait(timeout=…), on the clock

    def __repr__(self) -> str:
        return f"<JobRun job={self.job_uid} session={self._uid} state={self.state!r}>"

    @property
    def session(self) -> JobSession | None:
        """The last job session seen, or ``None`` before EM listed it."""
        if self._uid is not None:
            entry = self._context.watcher.track(self._uid)
            if entry.value is not None:
                return entry.value
        return self._session

    @property
    def state(self) -> str | None:
        return self.session.state if self.session else None

    @property
    def progress(self) -> int | None:
        """EM's progress figure (not trusted to mean anything; ``done()`` is the state)."""
        return self.session.progress if self.session else None

    def done(self) -> bool:
        """True once the run's final session is known (retries followed, if asked)."""
        return self._final

    async def task_sessions(self) -> list[BackupTaskSession] | list[ReplicaTaskSession]:
        """Each VM's task session of the current session (its ``reason`` says why
        it failed or warned)."""
        session = await self._need_session()
        result: list[BackupTaskSession] | list[ReplicaTaskSession]
        result = await self._context.sessions(self.kind).task_sessions(session)
        return result

    async def stop(self, timeout: float | None = None) -> Task:
        """``POST /backupSessions/{id}?action=stop`` (or ``/replicaSessions``).

        Right after `JobsResource.run` the start may still be on its way to
        the backup server, and EM lists the run's session only after that: the
        stop first waits for the session, as ``await run`` finds it, within
        ``timeout`` seconds (default: what is left of a running ``wait(timeout=…)``
        of this run, else no bound), then sends the stop once. A session not
        found in time raises `RunTimeoutError` and nothing is sent.
        """
        if timeout is None and self._deadline is not None:
            timeout = max(0.0, self._deadline - self._context.clock.now())
        session = await self._need_session(wait=True, timeout=timeout)
        return await self._context.sessions(self.kind).stop(session)

    async def _need_session(
        self, *, wait: bool = False, timeout: float | None = None
    ) -> JobSession:
        """The run's session; with ``wait``, found within ``timeout`` (see `stop`),
        else only if the start task has ended and EM lists it now."""
        if self._uid is None and self.task is not None:
            policy = self._context.policy
            if wait:
                deadline = None if timeout is None else self._context.clock.now() + timeout
                await self._find(deadline, policy, timeout)
            elif self.task.done():
                await self._find(None, policy, None, once=True)
        if self._uid is None:
            raise VeeamEMError("EM has not listed this run's job session yet")
        session = self.session
        if session is None:
            session, _ = await self._context.source.fetch_one(self._uid)
            self._session = session
        return session

    async def wait(
        self, timeout: float | None = None, poll_policy: PollPolicy | None = None
    ) -> JobSession:
        """Wait for the run's final session (see the class)."""
        clock = self._context.clock
        deadline = None if timeout is None else clock.now() + timeout
        if deadline is not None:
            self._deadline = deadline  # a stop() meanwhile waits for the session as long
        policy = poll_policy or self._context.policy
        if self._uid is None:
            await self._find(deadline, policy, timeout)
        while True:
            assert self._uid is not None
            watcher = self._context.watcher
            entry = watcher.track(self._uid, self._session)
            left = None if deadline is None else max(0.0, deadline - clock.now())
            waiter = watcher.watch(entry, policy, left)
            try:
                with watcher.span("veeam_em.run.wait", {"veeam_em.session.uid": self._uid}):
                    await waiter
            except DeadlinePassedError:
                raise RunTimeoutError(timeout or 0.0, self.session, self._what()) from None
            finally:
                watcher.unwatch(entry, waiter)
            if entry.value is not None:
                self._session = entry.value
                self.job_uid = self.job_uid or entry.value.job_uid
            outcome = entry.failure()
            if isinstance(outcome, RunFailedError) and self.follow_retries:
                retry = await self._find_retry(outcome.session, deadline, policy, timeout)
                if retry is not None:
                    self._adopt(retry)
                    continue
            if outcome is not None:
                if isinstance(outcome, RunFailedError):
                    self._final = True
                raise outcome
            self._final = True
            assert self._session is not None
            return self._session

    def __await__(self) -> Generator[Any, None, JobSession]:
        return self.wait().__await__()

    # -- finding the session -------------------------------------------------

    def _what(self) -> str:
        return f"run of job {self.job_uid}" if self.job_uid else f"session {self._uid}"

    def _adopt(self, session: JobSession) -> None:
        self._session = session
        self._uid = session.uid

    async def _find(
        self,
        deadline: float | None,
        policy: PollPolicy,
        timeout: float | None,
        *,
        once: bool = False,
    ) -> None:
        if self._finding is None:
            self._finding = asyncio.Lock()
        async with self._finding:
            if self._uid is not None:
                return
            assert self.task is not None
            clock = self._context.clock
            left = None if deadline is None else max(0.0, deadline - clock.now())
            try:
                info: TaskInfo | None = await self.task.wait(timeout=left)
            except TaskTimeoutError:
                raise RunTimeoutError(timeout or 0.0, None, self._what()) from None
            except TaskLostError:  # EM dropped it with its logon session; the start stands
                info = None
            related = related_session(info) if info is not None else None
            if related is not None:
                self.kind = session_kind(related)
                self._uid = related
                return
            if self.job_uid is None:  # a quick backup of a VM no job includes by itself
                raise VeeamEMError(f"task {self.task.id} links no session and names no job")
            found = await wait_for_session(
                self._context, self.kind, self.job_uid, deadline, policy, self._is_ours, once=once
            )
            if found is not None:
                self._adopt(found)
            elif not once:
                raise RunTimeoutError(timeout or 0.0, None, self._what())

    def _is_ours(self, session: JobSession) -> bool:
        return is_newer(session, self._baseline, strict=self._shared_baseline)

    async def _find_retry(
        self, failed: JobSession, deadline: float | None, policy: PollPolicy, timeout: float | None
    ) -> JobSession | None:
        """The retry session EM starts after ``failed``, or ``None`` if none comes."""
        if self.job_uid is None:
            return None
        if self._retry_options is not None:
            options = await self._retry_options()
        else:
            options = await self._context.retry_options(self.job_uid)
        if options is None or not options.retry_specified:
            return None
        if self._retries_followed >= (options.retry_times or 0):
            return None
        clock = self._context.clock
        pause = (options.retry_timeout or 0) * 60.0
        window_end = clock.now() + pause + RETRY_GRACE
        until = window_end if deadline is None else min(window_end, deadline)
        # EM waits RetryTimeout minutes before the retry: nothing to ask before then.
        first_look = min(until, clock.now() + max(0.0, pause - policy.max_interval))
        if first_look > clock.now():
            await clock.sleep(first_look - clock.now())

        def is_retry(session: JobSession) -> bool:
            return session.is_retry and is_newer(session, failed)

        found = await wait_for_session(
            self._context, self.kind, self.job_uid, until, policy, is_retry
        )
        if found is not None:
            self._retries_followed += 1
        elif until != window_end:  # the run's deadline came first: not known to be final
            raise RunTimeoutError(timeout or 0.0, self._session, self._what())
        return found
