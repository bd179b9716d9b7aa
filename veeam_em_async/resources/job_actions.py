"""What VM, NAS and agent jobs share: the job argument, the actions, bulk actions and runs."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ..bulk import (
    Accepted,
    ProgressCallback,
    RunOutcome,
    await_run,
    for_each,
    raise_failures,
)
from ..clock import window_start
from ..ids import JobLike, entity_id
from ..models import JobSession, JobType, RetryOptions
from ..policies import PollPolicy
from ..query._filters import F, one_of
from ..runs import JobRun
from ..runs._sessions import newest_session
from ..waiting._handles import Task
from .bulk_actions import BulkActions, CopyJobs, J, merge_skipped


@attrs.frozen
class RunTarget:
    """What a run of one job needs before its start is sent."""

    session_kind: str  # "BackupJobSession" | "ReplicaJobSession"
    job_uid: str
    retry_options: RetryOptions | None = None
    #: Whether ``retry_options`` was read (else it is, once a retry is followed).
    known: bool = False


class JobCollection(BulkActions):
    """Base of ``em.jobs``, ``em.nas_jobs`` and ``em.agent_jobs``; each says how its
    actions are addressed."""

    #: The entity type a UID of this collection must name (``urn:veeam:<type>:<uuid>``).
    entity_type = "Job"

    def _id(self, job: JobLike) -> str:
        return entity_id(job, self.entity_type)

    async def start(self, job: JobLike) -> Task:
        """Start the job (``?action=start`` for VM jobs, ``/start`` for NAS jobs)."""
        return await self._action(job, "start")

    async def stop(self, job: JobLike) -> Task:
        """Stop the job's running session."""
        return await self._action(job, "stop")

    async def retry(self, job: JobLike) -> Task:
        """Retry the job's last failed run."""
        return await self._action(job, "retry")

    async def toggle_schedule_enabled(self, job: JobLike) -> Task:
        """Enable the job's schedule if disabled, disable it if enabled."""
        return await self._action(job, "toggleScheduleEnabled")

    async def get(self, job: JobLike) -> Any:
        """The job's entity (each collection reads its own URL)."""
        raise NotImplementedError

    async def retry_options(self, job: JobLike) -> RetryOptions | None:
        """The job's ``RetryOptions``, from its entity (one GET, at this collection's URL)."""
        entity = await self.get(job)
        schedule = getattr(entity, "schedule_options", None)
        return schedule.retry_options if schedule is not None else None

    def _session_kind(self, job: Any) -> str:
        """The session type of ``job``'s runs, from the job itself (an entity or a
        reference of any collection): a replica job runs replica sessions (its type,
        or its reference's Down link); every other job, NAS and agent jobs included,
        runs backup sessions. Deciding it per job lets one ``last_results`` serve
        jobs of every collection at once."""
        if getattr(job, "job_type", None) == JobType.REPLICA:
            return "ReplicaJobSession"
        link = getattr(job, "link", None)
        if link is not None and link("Down", "ReplicaJobSessionReferenceList") is not None:
            return "ReplicaJobSession"
        return "BackupJobSession"

    async def last_results(
        self,
        since: datetime | timedelta = timedelta(days=7),
        *,
        page_size: int | None = None,
        jobs: Iterable[Any] | None = None,
        results: Sequence[str] | None = None,
    ) -> dict[str, JobSession | None]:
        """Job UID -> its newest stopped session created within ``since`` (a
        datetime, or a timedelta back from now), or ``None``.

        One query lists the jobs (their references say which session type each
        runs), unless ``jobs`` gives them (entities or references already read,
        of this collection or any other: ``em.jobs.last_results(jobs=vm_jobs +
        nas_jobs)`` reads each session type once for both);
        then one query per session type reads the stopped sessions of the
        window, newest first, and stops as soon as every job of that type has
        its newest. ``page_size`` defaults to twice the number of jobs (50 to 1,000):
        a page large enough for most jobs' newest run, not 5 times what is needed. With
        ``page_size`` at least the number of jobs and of
        sessions, that is 3 requests (2 with jobs of one session type only).
        ``results`` keeps only sessions of those results: ``("Success", "Warning")``
        gives each job's last successful run (what the exporter reports).
        """
        low = window_start(self._transport.clock, since)
        if jobs is None:
            jobs = await self._query(
                self.entity_type, entities=False, page_size=page_size or 1000
            ).all()
        newest: dict[str, JobSession | None] = {}
        waiting: dict[str, set[str]] = {}
        for job in jobs:
            if not job.uid:
                continue
            newest[job.uid] = None
            waiting.setdefault(self._session_kind(job), set()).add(job.uid)
        ended = (F.State == "Stopped") & (F.CreationTime >= low)
        if results:
            ended = ended & one_of("Result", list(results))
        for kind, uids in waiting.items():
            size = page_size or min(1000, max(50, 2 * len(uids)))
            query = self._query(kind, filter=ended, sort_desc="CreationTime", page_size=size)
            async for session in query:
                if session.job_uid in uids:
                    newest[session.job_uid] = session
                    uids.discard(session.job_uid)
                    if not uids:
                        break
        return newest

    #: The actions that start a run of a job of this collection.
    run_actions: tuple[str, ...] = ("start", "retry")

    #: The model of this collection's entities (whose schedule gives RetryOptions).
    entity_model: type[Any] = object

    async def _run_target(self, job: JobLike, known: Mapping[str, Any] | None = None) -> RunTarget:
        """What a run of ``job`` needs; ``known`` maps job ids to entities already read.

        By default a run is a backup session under the job's own UID, nothing to
        ask first (NAS and agent jobs); VM jobs override this.
        """
        uid = f"urn:veeam:{self.entity_type}:{self._id(job)}"
        if isinstance(job, self.entity_model):
            options = job.schedule_options.retry_options if job.schedule_options else None
            return RunTarget(self._session_kind(job), uid, options, known=True)
        return RunTarget("BackupJobSession", uid)

    async def _known_jobs(self, jobs: Sequence[JobLike]) -> Mapping[str, Any]:
        """Entities of many jobs read at once for ``run_many`` (none by default)."""
        return {}

    async def _watermarks(self, entities: Mapping[str, Any]) -> dict[str, JobSession | None]:
        """For ``run_many``: job id -> a baseline shared by every job of one backup
        server, instead of one query per job (none by default)."""
        return {}

    async def run(
        self, job: JobLike, action: str = "start", *, follow_retries: bool = False
    ) -> JobRun:
        """Send ``action`` and return a `JobRun` once EM accepted it.

        ``await run`` waits for the backup's real result: the job session the
        start became (see `veeam_em_async.runs` for how it is found).
        Before the start, the job's newest session is read (one query), so that
        an older run is never taken for this one.
        """
        return await self._run(job, action, follow_retries)

    async def _run(
        self,
        job: JobLike,
        action: str,
        follow_retries: bool,
        targets: Mapping[str, RunTarget] | None = None,
        watermarks: Mapping[str, JobSession | None] | None = None,
    ) -> JobRun:
        if action not in self.run_actions:
            raise ValueError(f"{action!r} does not start a run; use one of {self.run_actions}")
        target = (targets or {}).get(self._id(job)) or await self._run_target(job)
        kind, job_uid = target.session_kind, target.job_uid
        job_id = job_uid.rsplit(":", 1)[-1]
        marks = watermarks or {}
        shared = job_id in marks
        if shared:
            baseline = marks[job_id]
        else:
            baseline = await newest_session(self._transport, kind, job_uid)
        task = await self._action(job, action)

        async def retry_options() -> RetryOptions | None:
            if target.known:
                return target.retry_options
            return await self.retry_options(job_uid)

        return JobRun(
            self._runs, kind=kind, job_uid=job_uid, task=task, baseline=baseline,
            follow_retries=follow_retries, retry_options=retry_options, shared_baseline=shared,
        )  # fmt: skip

    async def run_many(
        self,
        jobs: Iterable[J],
        concurrency: int | None = None,
        *,
        action: str = "start",
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
        follow_retries: bool = False,
        poll_policy: PollPolicy | None = None,
        raise_on_error: bool = False,
        accepted: Accepted | None = None,
        copy_jobs: CopyJobs = "skip",
    ) -> builtins.list[RunOutcome[J]]:
        """Run every job and wait for each run's result: one `RunOutcome`
        per input, in order, never raising for one job (unless
        ``raise_on_error=True``: then an ``ExceptionGroup`` of the failures).

        At most ``concurrency`` runs are being started at a time (default: the
        client's ``max_connections``); waiting takes no slot, and every awaited
        run is polled by the one run watcher. ``timeout`` bounds each run's wait.
        ``accepted(job, run)`` is called as EM accepts each start; ``copy_jobs``
        as for `start_many`.
        """
        items = list(jobs)
        if action not in self.run_actions:
            raise ValueError(f"{action!r} does not start a run; use one of {self.run_actions}")
        entities = await self._known_jobs(items)
        plan = await self._plan(items, action, copy_jobs, entities)
        watermarks = await self._watermarks(entities)
        # What each run needs of its job, so that the entities (kilobytes each) are not
        # held for the hours the runs may take.
        targets = {job_id: await self._run_target(job) for job_id, job in entities.items()}
        del entities

        async def send(step: tuple[J, str]) -> JobRun:
            return await self._run(step[0], step[1], follow_retries, targets, watermarks)

        async def finish(
            step: tuple[J, str], run: JobRun | None, error: BaseException | None
        ) -> RunOutcome[J]:
            job, sent = step
            return await await_run(job, run, error, sent, timeout=timeout, poll_policy=poll_policy)

        steps = [(job, sent) for job, (sent, _) in zip(items, plan, strict=True) if sent]
        with self._bulk_span(action, len(steps)):
            done = await for_each(
                steps, send, finish,
                concurrency=concurrency or self._transport.max_connections, progress=progress,
                accepted=None if accepted is None else lambda step, run: accepted(step[0], run),
            )  # fmt: skip
        outcomes = merge_skipped(
            items, plan, done, lambda job, why: RunOutcome(job, False, skipped=why)
        )
        if raise_on_error:
            raise_failures(outcomes, len(items))
        return outcomes
