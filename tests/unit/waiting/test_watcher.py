"""The generic watcher on its own: a fake source, a fake clock, no HTTP at all."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from tests.fakes import FakeClock
from veeam_em_async import ClientClosedError, NotFoundError, PollPolicy
from veeam_em_async.waiting._watcher import DeadlinePassedError, Entry, PollStatus, Watcher

POLICY = PollPolicy(initial_delay=1, min_interval=1, max_interval=8, factor=2, jitter=0)


class Job:
    """What the fake source reports for one key: done after ``finish_at``."""

    def __init__(self, finish_at: float, fails: bool = False) -> None:
        self.finish_at = finish_at
        self.fails = fails


class FakeSource:
    """A PollSource over a dict; counts what a real one would send."""

    batch_threshold = 3

    def __init__(self, clock: FakeClock, jobs: dict[str, Job]) -> None:
        self.clock = clock
        self.jobs = jobs
        self.listed: set[str] | None = None  # keys fetch_many reports (None: all)
        self.one_calls: list[str] = []
        self.many_calls: list[list[str]] = []
        self.errors: dict[str, BaseException] = {}

    def snapshot(self, key: str) -> tuple[str, bool]:
        job = self.jobs[key]
        return ("done" if self.clock.now() >= job.finish_at else "running"), job.fails

    async def fetch_one(self, key: str) -> tuple[tuple[str, bool], float | None]:
        self.one_calls.append(key)
        if key in self.errors:
            raise self.errors[key]
        return self.snapshot(key), None

    async def fetch_many(
        self, keys: Mapping[str, Entry[str, tuple[str, bool]]]
    ) -> tuple[Mapping[str, tuple[str, bool]], float | None]:
        self.many_calls.append(sorted(keys))
        shown = [k for k in keys if self.listed is None or k in self.listed]
        return {k: self.snapshot(k) for k in shown}, None

    def status(self, value: tuple[str, bool]) -> PollStatus:
        state, fails = value
        if state == "running":
            return PollStatus.RUNNING
        return PollStatus.FAILED if fails else PollStatus.SUCCEEDED

    def failure(self, value: tuple[str, bool]) -> BaseException:
        return RuntimeError(f"failed: {value}")


def make(jobs: dict[str, Job]) -> tuple[FakeClock, FakeSource, Watcher[str, tuple[str, bool]]]:
    clock = FakeClock(start=0.0)
    source = FakeSource(clock, jobs)
    return clock, source, Watcher(source, POLICY, clock, coalesce=0.0)


async def wait(
    watcher: Watcher[str, tuple[str, bool]], key: str, timeout: float | None = None
) -> float:
    entry = watcher.track(key)
    waiter = watcher.watch(entry, None, timeout)
    try:
        await waiter
    finally:
        watcher.unwatch(entry, waiter)
    failure = entry.failure()  # as the handles raise it
    if failure is not None:
        raise failure
    return watcher.clock.now()


async def test_one_key_is_polled_on_the_policys_schedule_and_ends_when_done() -> None:
    clock, source, watcher = make({"a": Job(finish_at=7)})
    finished_at = await wait(watcher, "a")
    assert clock.sleeps == [1, 1, 2, 4]  # polls at 1, 2, 4, 8 (initial 1, then 1 x 2^n)
    assert finished_at == 8 and source.one_calls == ["a"] * 4
    for _ in range(3):  # the background task ends once its schedule is empty
        await asyncio.sleep(0)
    assert not watcher.running and watcher.pending == 0


async def test_many_due_keys_cost_one_batch_request_per_tick() -> None:
    jobs = {f"k{i}": Job(finish_at=3) for i in range(500)}
    _clock, source, watcher = make(jobs)
    await asyncio.gather(*(wait(watcher, key) for key in jobs))
    assert len(source.many_calls) == watcher.ticks == watcher.batch_polls == 3  # at 1, 2, 4
    assert source.one_calls == []
    assert all(len(keys) == 500 for keys in source.many_calls)


async def test_keys_the_batch_answer_lacks_are_fetched_one_by_one() -> None:
    jobs = {f"k{i}": Job(finish_at=1) for i in range(5)}
    _clock, source, watcher = make(jobs)
    source.listed = {"k0", "k1", "k2"}
    await asyncio.gather(*(wait(watcher, key) for key in jobs))
    assert len(source.many_calls) == 1 and sorted(source.one_calls) == ["k3", "k4"]


async def test_a_failed_value_raises_the_sources_failure_for_every_waiter() -> None:
    _clock, source, watcher = make({"a": Job(finish_at=1, fails=True)})
    results = await asyncio.gather(*(wait(watcher, "a") for _ in range(3)), return_exceptions=True)
    assert [str(r) for r in results] == ["failed: ('done', True)"] * 3
    assert source.one_calls == ["a"]  # three waiters, one entry, one poll


async def test_a_deadline_fires_on_the_clock_between_polls() -> None:
    clock, source, watcher = make({"a": Job(finish_at=100)})
    with pytest.raises(DeadlinePassedError):
        await wait(watcher, "a", timeout=5.5)
    assert clock.now() == 5.5  # after the polls at 1, 2 and 4, before the one at 8
    assert source.one_calls == ["a", "a", "a"]
    assert watcher.pending == 0


async def test_a_short_deadline_does_not_end_a_longer_wait_on_the_same_key() -> None:
    _clock, _source, watcher = make({"a": Job(finish_at=7)})
    short = asyncio.ensure_future(wait(watcher, "a", timeout=2))
    long = asyncio.ensure_future(wait(watcher, "a", timeout=60))
    with pytest.raises(DeadlinePassedError):
        await short
    assert await long == 8


async def test_cancelling_the_only_waiter_takes_the_key_off_the_schedule() -> None:
    _clock, source, watcher = make({"a": Job(finish_at=100)})
    waiting = asyncio.ensure_future(wait(watcher, "a"))
    while len(source.one_calls) < 2:  # noqa: ASYNC110
        await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    for _ in range(5):
        await asyncio.sleep(0)
    assert watcher.pending == 0 and not watcher.running
    assert len(source.one_calls) == 2  # nothing more was fetched


async def test_fatal_errors_end_the_wait_at_once_transient_ones_after_a_limit() -> None:
    _clock, source, watcher = make({"gone": Job(1), "flaky": Job(1)})
    source.errors = {"gone": NotFoundError(404, "no such task", "u"), "flaky": OSError("reset")}
    with pytest.raises(NotFoundError):
        await wait(watcher, "gone")
    assert source.one_calls == ["gone"]
    with pytest.raises(OSError, match="reset"):
        await wait(watcher, "flaky")
    assert source.one_calls.count("flaky") == watcher.max_poll_errors


async def test_close_wakes_every_waiter_with_client_closed_error() -> None:
    _clock, _source, watcher = make({"a": Job(100), "b": Job(100)})
    waits = [asyncio.ensure_future(wait(watcher, key)) for key in ("a", "b", "a")]
    await asyncio.sleep(0)
    await watcher.close()
    results = await asyncio.gather(*waits, return_exceptions=True)
    assert all(isinstance(r, ClientClosedError) for r in results)
    with pytest.raises(ClientClosedError):
        watcher.watch(watcher.track("c"))


async def test_an_idle_watcher_sleeps_once_per_poll_never_spins() -> None:
    """Issue 10: a watcher given a fake sleep but the loop's time slept 5,218 times
    for 2 requests. With one clock, sleeps equal polls."""
    clock, source, watcher = make({"a": Job(finish_at=15)})
    await wait(watcher, "a")
    assert len(clock.sleeps) == len(source.one_calls) == 5  # 1, 2, 4, 8, 16


async def test_a_value_given_with_the_key_that_is_already_done_needs_no_poll() -> None:
    _clock, source, watcher = make({"a": Job(finish_at=0)})
    entry = watcher.track("a", ("done", False))
    assert entry.settled
    assert await wait(watcher, "a") == 0 and source.one_calls == []
