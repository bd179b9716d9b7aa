"""Bulk actions on jobs: any action on many jobs, one outcome per job, and the
plan that decides what each job is sent (a backup copy job cannot be started)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

import attrs

from ..bulk import Accepted, ActionOutcome, ProgressCallback, act_each, raise_failures
from ..ids import JobLike
from ..policies import PollPolicy
from ..waiting._handles import Task
from .base import Resource

J = TypeVar("J", bound=JobLike)
O = TypeVar("O")  # noqa: E741
#: What a bulk start does with a backup copy job, which EM refuses to start:
#: send ``start`` anyway (EM answers 400), ``sync`` it instead, or ``skip`` it.
CopyJobs = Literal["start", "sync", "skip"]
#: Per job: the action to send, or ``None`` and the reason nothing is sent.
Plan = builtins.list[tuple[str | None, str | None]]


class BulkActions(Resource):
    """``start_many``, ``stop_many``, ``retry_many`` and ``act_many`` of a job collection."""

    async def _action(self, job: JobLike, action: str) -> Task:  # pragma: no cover
        raise NotImplementedError  # each collection knows its URL style

    async def _plan(
        self,
        jobs: builtins.list[Any],
        action: str,
        copy_jobs: CopyJobs,
        known: Mapping[str, Any] | None = None,
    ) -> Plan:
        """What a bulk ``action`` sends to each job: the same action to every
        one, unless the collection knows better (VM jobs: backup copy jobs);
        ``known`` maps job ids to entities already read."""
        return [(action, None)] * len(jobs)

    async def start_many(
        self,
        jobs: Iterable[J],
        concurrency: int | None = None,
        wait: bool = True,
        poll_policy: PollPolicy | None = None,
        *,
        progress: ProgressCallback | None = None,
        raise_on_error: bool = False,
        timeout: float | None = None,
        accepted: Accepted | None = None,
        copy_jobs: CopyJobs = "skip",
    ) -> builtins.list[ActionOutcome[J]]:
        """Start every job; return one `ActionOutcome` per input, in order.

        At most ``concurrency`` start requests are in flight (default: the
        client's ``max_connections``). With ``wait=True`` every task is awaited
        (each for at most ``timeout`` seconds) through the shared watcher.
        ``progress(done, total)`` is called as outcomes arrive, and
        ``accepted(job, task)`` as EM accepts each start. One job's failure
        never raises, unless ``raise_on_error=True``: then an ``ExceptionGroup``
        of the failures is raised, each noted with its job.

        EM has no ``start`` for backup copy jobs (it answers 400, "use sync"):
        by default (``copy_jobs="skip"``, as ``veeam-em``) they are sent nothing
        and their outcome's ``skipped`` says why; ``"sync"`` syncs them instead;
        for jobs given without their entity, one query asks EM which are backup
        copy jobs (it reads those entities only). ``"start"`` sends the start anyway.
        """
        return await self.act_many(
            "start", jobs, concurrency, wait, poll_policy, progress=progress,
            raise_on_error=raise_on_error, timeout=timeout, accepted=accepted,
            copy_jobs=copy_jobs,
        )  # fmt: skip

    async def stop_many(
        self, jobs: Iterable[J], concurrency: int | None = None, wait: bool = True,
        poll_policy: PollPolicy | None = None, **options: Any,
    ) -> builtins.list[ActionOutcome[J]]:  # fmt: skip
        """Stop every job's running session: `act_many` with ``"stop"``."""
        return await self.act_many("stop", jobs, concurrency, wait, poll_policy, **options)

    async def retry_many(
        self, jobs: Iterable[J], concurrency: int | None = None, wait: bool = True,
        poll_policy: PollPolicy | None = None, **options: Any,
    ) -> builtins.list[ActionOutcome[J]]:  # fmt: skip
        """Retry every job's last failed run: `act_many` with ``"retry"``."""
        return await self.act_many("retry", jobs, concurrency, wait, poll_policy, **options)

    async def act_many(
        self,
        action: str,
        jobs: Iterable[J],
        concurrency: int | None = None,
        wait: bool = True,
        poll_policy: PollPolicy | None = None,
        *,
        progress: ProgressCallback | None = None,
        raise_on_error: bool = False,
        timeout: float | None = None,
        accepted: Accepted | None = None,
        copy_jobs: CopyJobs = "skip",
    ) -> builtins.list[ActionOutcome[J]]:
        """Any action of this collection (``"start"``, ``"stop"``, ``"retry"``,
        ``"sync"``, ``"toggleScheduleEnabled"``) on every job, as `start_many`
        does it: the same cap, outcomes, callbacks and errors."""
        items = list(jobs)
        plan = await self._plan(items, action, copy_jobs)
        steps = [(job, sent) for job, (sent, _) in zip(items, plan, strict=True) if sent]
        with self._bulk_span(action, len(steps)):
            done = await act_each(
                lambda step: self._action(step[0], step[1]),
                steps,
                concurrency=concurrency or self._transport.max_connections,
                wait=wait,
                poll_policy=poll_policy,
                progress=progress,
                timeout=timeout,
                accepted=None if accepted is None else lambda step, task: accepted(step[0], task),
            )
        done = [attrs.evolve(o, job=o.job[0], action=o.job[1]) for o in done]
        outcomes = merge_skipped(
            items, plan, done, lambda job, why: ActionOutcome(job, False, skipped=why)
        )
        if raise_on_error:
            raise_failures(outcomes, len(items))
        return outcomes


def merge_skipped(
    items: builtins.list[Any], plan: Plan, done: builtins.list[O], skip: Any
) -> builtins.list[O]:
    """The outcomes of the jobs sent (``done``, in order) with an outcome for
    each job skipped, in the order of ``items``."""
    sent = iter(done)
    return [
        next(sent) if action else skip(job, why)
        for job, (action, why) in zip(items, plan, strict=True)
    ]
