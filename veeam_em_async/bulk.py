"""Run one action on many jobs: a concurrency cap, and one outcome per job.

A bulk start must not turn one missing job into an exception that hides the
other 999 results, so each job's failure is caught and reported in its own
`ActionOutcome`. Callers who prefer an exception pass
``raise_on_error=True`` and get an ``ExceptionGroup`` of the failures, each
noted with its job.

Anything else that ends the call (a ``progress`` callback that raises, a
cancellation, ``KeyboardInterrupt``) ends all of it: every per-job coroutine
is cancelled and awaited before the call returns or raises, so no action is
sent after it ended and nothing of it is left running (the structured
concurrency of ``asyncio.TaskGroup``, which Python 3.10 lacks).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

import attrs

from .group import TaskGroup
from .models import TaskInfo
from .policies import PollPolicy
from .waiting._handles import Task

if sys.version_info < (3, 11):  # pragma: no cover - cattrs brings the backport on 3.10
    from exceptiongroup import ExceptionGroup  # type: ignore[import-not-found,unused-ignore]

#: Called with (done, total) as each job's outcome arrives.
ProgressCallback = Callable[[int, int], None]
#: Called with (job, handle) the moment EM accepted one job's action: a ``Task``
#: for an action, a ``JobRun`` for a run. A command line prints the id there, so
#: that an interrupted bulk call still leaves a trail of what EM is doing.
Accepted = Callable[[Any, Any], None]
J = TypeVar("J")
T = TypeVar("T")
H = TypeVar("H")
O = TypeVar("O")  # noqa: E741


@attrs.frozen
class ActionOutcome(Generic[J]):
    """What happened to one job of a bulk call.

    ``job`` is the input as given (its type is the input's: ``ActionOutcome[Job]``
    for a list of ``Job``); ``task`` the final `TaskInfo` when waited for
    (else the one from EM's 202 answer); ``error`` the exception that stopped
    this job (``TaskFailedError``, ``NotFoundError``, …). ``action`` is what was
    sent (a backup copy job may be synced where the others were started), and
    ``skipped`` says why nothing was sent, when nothing was.
    """

    job: J
    ok: bool
    task: TaskInfo | None = None
    error: BaseException | None = None
    action: str | None = None
    skipped: str | None = None


@attrs.frozen
class RunOutcome(Generic[J]):
    """What happened to one job of ``run_many``.

    ``ok`` means the run ended Success or Warning; ``session`` is the final
    (or last seen) job session, ``None`` if none was found; ``error`` is what
    stopped this job (``RunFailedError``, ``RunTimeoutError``,
    ``TaskFailedError`` for a refused start, ``NotFoundError``, …); ``action``
    and ``skipped`` as on `ActionOutcome`.
    """

    job: J
    ok: bool
    session: Any = None
    error: BaseException | None = None
    action: str | None = None
    skipped: str | None = None
    #: The `JobRun` (``None`` if nothing was started).
    run: Any = attrs.field(default=None, repr=False, eq=False)

    async def failed_vms(self) -> list[Any]:
        """The task sessions of the VMs that did not succeed (``reason`` says why),
        one request for the list and one per VM; ``[]`` for a Success run or when
        no session was found."""
        session = self.session
        if self.run is None or session is None or session.result in (None, "Success"):
            return []
        return [vm for vm in await self.run.task_sessions() if vm.result != "Success"]


async def await_run(
    job: J,
    run: Any,
    error: BaseException | None,
    action: str | None,
    *,
    timeout: float | None,
    poll_policy: PollPolicy | None,
) -> RunOutcome[J]:
    """The `RunOutcome` of one started run (``run``, a `JobRun`), awaited within
    ``timeout``, or of a start that failed with ``error``: what every ``run_many``
    gives per item."""
    if error is None and run is not None:
        try:
            session = await run.wait(timeout=timeout, poll_policy=poll_policy)
        except Exception as exc:
            error = exc
        else:
            return RunOutcome(job=job, ok=True, session=session, action=action, run=run)
    last = getattr(error, "session", None) or (run.session if run else None)
    return RunOutcome(job=job, ok=False, session=last, error=error, action=action, run=run)


def _note(error: BaseException, text: str) -> None:
    notes = getattr(error, "__notes__", None)
    if notes is None:
        notes = []
        try:
            error.__notes__ = notes  # type: ignore[attr-defined]
        except AttributeError:  # pragma: no cover - exotic exception types
            return
    notes.append(text)


async def for_each(
    items: list[Any],
    send: Callable[[Any], Awaitable[H]],
    finish: Callable[[Any, H | None, BaseException | None], Awaitable[O]],
    *,
    concurrency: int,
    progress: ProgressCallback | None = None,
    accepted: Accepted | None = None,
) -> list[O]:
    """``send`` for every item, at most ``concurrency`` at a time, then ``finish``
    (outside the cap: waiting takes no slot) with the handle or the error; one
    outcome per item, in order. ``accepted(item, handle)`` is called as each
    send succeeds. One item's exception is its outcome's business; anything
    that ends the call, a callback that raises included, ends all of it (see
    the module).

    ``concurrency`` workers take the items in order, and an item gets a
    coroutine of its own only once it was sent, to be finished: ten thousand
    items queued behind a cap of 20 are not ten thousand tasks parked on a
    semaphore, all made in one turn of the event loop (which then ran them
    all in its next turn: a loop blocked for hundreds of milliseconds, and
    objects for the garbage collector to walk; see ``benchmarks/bench_fleet.py``).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    total = len(items)
    outcomes: list[Any] = [None] * total
    queue = iter(enumerate(items))
    group = TaskGroup()
    done = 0

    async def settle(index: int, item: Any, handle: H | None, error: BaseException | None) -> None:
        nonlocal done
        try:
            outcomes[index] = await finish(item, handle, error)
            done += 1
            if progress is not None:
                progress(done, total)
        except BaseException:
            group.failed = True  # before the done callback: no sibling sends after this
            raise

    async def worker() -> None:
        for index, item in queue:
            if group.failed:
                return  # a sibling failed; the cancellation of all is on its way
            try:
                handle = await send(item)
            except Exception as exc:  # one item's failure is that item's outcome
                group.spawn(settle(index, item, None, exc))
                continue
            if accepted is not None:
                try:
                    accepted(item, handle)
                except BaseException:
                    group.failed = True
                    raise
            group.spawn(settle(index, item, handle, None))

    for _ in range(min(concurrency, total)):
        group.spawn(worker())
    await group.wait()
    return outcomes


def raise_failures(outcomes: Sequence[Any], total: int) -> None:
    """An ``ExceptionGroup`` of the outcomes' errors, each noted with its job."""
    failures: list[Exception] = []
    for outcome in outcomes:
        if outcome.error is not None and isinstance(outcome.error, Exception):
            _note(outcome.error, f"job: {outcome.job!r}")
            failures.append(outcome.error)
    if failures:
        raise ExceptionGroup(f"{len(failures)} of {total} jobs failed", failures)


async def act_each(
    action: Callable[[Any], Awaitable[Task]],
    jobs: Iterable[Any],
    *,
    concurrency: int,
    wait: bool,
    poll_policy: PollPolicy | None,
    progress: ProgressCallback | None = None,
    raise_on_error: bool = False,
    timeout: float | None = None,
    accepted: Accepted | None = None,
    action_name: str | None = None,
) -> list[ActionOutcome[Any]]:
    """Apply ``action`` to every job, at most ``concurrency`` actions at a time:
    any action, one `ActionOutcome` per job, in order (see the module)."""
    items = list(jobs)
    name = action_name or getattr(action, "__name__", None)

    async def finish(
        job: Any, task: Task | None, error: BaseException | None
    ) -> ActionOutcome[Any]:
        if error is None and task is not None:
            try:
                info = (
                    await task.wait(timeout=timeout, poll_policy=poll_policy) if wait else task.info
                )
            except Exception as exc:
                error = exc
            else:
                return ActionOutcome(job=job, ok=True, task=info, action=name)
        task_info = task.info if task is not None else None
        return ActionOutcome(job=job, ok=False, task=task_info, error=error, action=name)

    outcomes = await for_each(
        items, action, finish, concurrency=concurrency, progress=progress, accepted=accepted
    )
    if raise_on_error:
        raise_failures(outcomes, len(items))
    return outcomes


_RENAMED = {"Progress": "ProgressCallback", "run_many": "act_each"}


def __getattr__(name: str) -> Any:
    """The names this module had before issue 24, for one release, with a warning."""
    if name in _RENAMED:
        import warnings

        new = _RENAMED[name]
        warnings.warn(f"veeam_em_async.bulk.{name} is now {new}", DeprecationWarning, stacklevel=2)
        return globals()[new]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
