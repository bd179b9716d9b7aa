"""Faults, load, cancellation and secrets, against the simulator over loopback."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.fakes import FakeClock
from veeam_em_async import (
    ClientClosedError,
    EnterpriseManager,
    NotFoundError,
    PollPolicy,
    RetryPolicy,
    ServerError,
    TaskLostError,
    TaskTimeoutError,
    TransportError,
    VeeamEMError,
)
from veeam_em_async.simulator import EMSimulator, Faults


@pytest.fixture(autouse=True)
async def _debug_mode(request: pytest.FixtureRequest) -> None:
    """Tests here run with asyncio's debug mode on, except the 10,000-request load
    test, which debug mode's per-callback bookkeeping would slow tenfold."""
    asyncio.get_running_loop().set_debug("ten_thousand" not in request.node.name)


FAST = PollPolicy(initial_delay=0.02, min_interval=0.02, max_interval=0.1, jitter=0.1)


def client(sim: EMSimulator, **kwargs: object) -> EnterpriseManager:
    options: dict[str, object] = {
        "poll_policy": FAST,
        "retry_policy": RetryPolicy(retries=50, backoff_base=0.005, backoff_max=0.05),
    }
    options.update(kwargs)
    return EnterpriseManager(sim.url, sim.username, sim.password, **options)  # type: ignore[arg-type]


def startable(sim: EMSimulator) -> list[str]:
    return [j.id for j in sim.state.jobs.values() if j.job_type in ("Backup", "Replica")]


async def test_503_storm_during_bulk_start_never_starts_a_job_twice() -> None:
    """EM refuses 150 starts with 503. By default an action is never re-sent: each
    refused start is that job's error, and no job runs twice."""
    async with EMSimulator(jobs=500, task_seconds=0.2, seed=3) as sim:
        ids = startable(sim)
        async with client(sim, max_connections=20) as em:
            sim.faults = Faults(
                error_503_rate=0.5, error_503_methods=frozenset({"POST"}), max_faults=150
            )
            outcomes = await em.jobs.start_many(ids, concurrency=20)
        assert sim.counters.injected_503 == 150
        refused = [o for o in outcomes if isinstance(o.error, ServerError)]
        assert len(refused) == 150 and all(o.error.status == 503 for o in refused)  # type: ignore[union-attr]
        assert sum(o.ok for o in outcomes) == len(ids) - 150
        assert sim.counters.requests["POST /api/jobs/{id}"] == len(ids)  # none re-sent
        runs = {i: len(sim.state.jobs[i].sessions) for i in ids}
        assert sorted(set(runs.values())) == [0, 1]  # refused: not run; others: once
        assert sum(runs.values()) == len(ids) - 150
        assert sim.counters.max_in_flight <= 20


async def test_503_storm_with_refused_actions_re_sent_starts_every_job_once() -> None:
    """The opt-in for a deployment with no proxy in front of EM: the 150 refused
    starts are re-sent, and every job still runs exactly once."""
    async with EMSimulator(jobs=500, task_seconds=0.2, seed=3) as sim:
        ids = startable(sim)
        policy = RetryPolicy(
            retries=50, backoff_base=0.005, backoff_max=0.05, retry_refused_actions=True
        )
        async with client(sim, max_connections=20, retry_policy=policy) as em:
            sim.faults = Faults(
                error_503_rate=0.5, error_503_methods=frozenset({"POST"}), max_faults=150
            )
            outcomes = await em.jobs.start_many(ids, concurrency=20)
            assert em.stats.retries == 150
        assert sim.counters.injected_503 == 150
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok][:3]
        assert all(len(sim.state.jobs[i].sessions) == 1 for i in ids)


async def test_a_proxys_503_after_em_accepted_the_start_does_not_start_it_again() -> None:
    """The probe of issue 9: a load balancer answered 503 after EM had started the
    job, and the client re-sent it: the job ran 4 times. Now it runs once."""
    async with EMSimulator(jobs=20, task_seconds=0.1) as sim:
        ids = startable(sim)[:10]
        async with client(sim) as em:
            sim.faults = Faults(proxy_503_rate=1.0, error_503_methods=frozenset({"POST"}))
            outcomes = await em.jobs.start_many(ids)
        assert all(isinstance(o.error, ServerError) and o.error.status == 503 for o in outcomes)
        assert "body: '<html>" in str(outcomes[0].error)  # the proxy's page, quoted
        assert sim.counters.proxy_503 == 10
        assert [len(sim.state.jobs[i].sessions) for i in ids] == [1] * 10


async def test_session_expiry_in_the_middle_of_a_bulk_start_relogs_on_once() -> None:
    async with EMSimulator(jobs=300, task_seconds=0.2, seed=4) as sim:
        ids = startable(sim)
        async with client(sim, max_connections=20) as em:
            expired = False

            def progress(done: int, total: int) -> None:
                nonlocal expired
                if done == 50 and not expired:
                    expired = True
                    sim.state.expire_sessions()

            outcomes = await em.jobs.start_many(ids, progress=progress)
            assert expired and em.stats.logons == 2 and sim.counters.logons == 2
            # EM keeps a task only within its logon session (issue 22): the starts
            # whose task was still running at the expiry are lost, typed, never hung
            # or re-sent; every other start is awaited to its end.
            lost = [o for o in outcomes if isinstance(o.error, TaskLostError)]
            assert lost and all(o.ok for o in outcomes if o.error is None)
            assert len(lost) + sum(o.ok for o in outcomes) == len(ids)
        assert all(len(sim.state.jobs[i].sessions) == 1 for i in ids)  # each sent once


async def test_simulator_restart_during_polling_fails_clearly_and_never_hangs() -> None:
    sim = await EMSimulator(jobs=10, task_seconds=3600).start()
    port = sim.port
    em = client(sim)
    await em.login()
    try:
        tasks = [await em.jobs.start(i) for i in startable(sim)[:3]]
        waits = [asyncio.ensure_future(t.wait(timeout=600)) for t in tasks]
        while sim.counters.requests["GET /api/tasks/{id}"] < 3:  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # every task polled at least once before the restart
        await sim.stop()
        restarted = await EMSimulator(jobs=10, task_seconds=3600, port=port).start()
        results = await asyncio.gather(*waits, return_exceptions=True)
        # The new EM knows neither the session (re-logon happens) nor the tasks.
        assert all(isinstance(r, NotFoundError) for r in results), results
        assert restarted.counters.logons == 1
        # "At once": per task, one poll (401: unknown session), one re-send after the
        # shared re-logon (404), and the waiter had its answer; no further polling.
        assert restarted.counters.requests["GET /api/tasks/{id}"] == 3 * 2
        await restarted.stop()
    finally:
        await em.close()


async def test_server_slower_than_the_timeout_gives_transport_error_and_no_leak() -> None:
    async with EMSimulator(jobs=5) as sim:
        async with client(sim, timeout=0.1) as em:
            sim.faults = Faults(latency=0.5)
            with pytest.raises(TransportError, match="timed out"):
                await em.jobs.start(startable(sim)[0])
            sim.faults = Faults()
        # The pool is closed: an unclosed session or connector would be reported to the
        # loop's exception handler, which fails every test here (conftest.strict_event_loop).
        assert em.closed
        # The timed-out start was never re-sent.
        assert sim.counters.requests["POST /api/jobs/{id}"] == 1


async def test_cancelling_start_many_leaves_nothing_running() -> None:
    async with EMSimulator(jobs=200, task_seconds=5) as sim:
        em = client(sim)
        await em.login()
        bulk = asyncio.ensure_future(em.jobs.start_many(startable(sim), concurrency=5))
        while sim.counters.requests["POST /api/jobs/{id}"] < 20:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        bulk.cancel()
        with pytest.raises(asyncio.CancelledError):
            await bulk
        await em.close()
        assert em.closed
        assert not em.task_watcher.running and em.task_watcher.pending == 0
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not [t for t in others if "veeam_em_async" in repr(t)]


async def test_closing_while_waiting_wakes_every_waiter() -> None:
    async with EMSimulator(jobs=10, task_seconds=30) as sim:
        em = client(sim)
        await em.login()
        tasks = [await em.jobs.start(i) for i in startable(sim)[:5]]
        waits = [asyncio.ensure_future(t.wait()) for t in tasks for _ in range(2)]
        await asyncio.sleep(0.05)
        await em.close()
        results = await asyncio.gather(*waits, return_exceptions=True)
        assert all(isinstance(r, ClientClosedError) for r in results)


async def test_ten_thousand_concurrent_refreshes_respect_the_cap() -> None:
    async with EMSimulator(jobs=10, task_seconds=60) as sim:
        async with client(sim, max_connections=20) as em:
            sim.faults = Faults(latency=0.001)  # keep requests overlapping on the server
            task = await em.jobs.start(startable(sim)[0])
            infos = await asyncio.gather(*(task.refresh() for _ in range(10_000)))
            assert len(infos) == 10_000 and all(i.id == task.id for i in infos)
        assert sim.counters.requests["GET /api/tasks/{id}"] == 10_000
        # The server never saw more than the cap; the client did fill it.
        assert sim.counters.max_in_flight <= 20
        assert em.stats.max_in_flight == 20


async def test_wait_timeout_against_a_slow_task() -> None:
    """The deadline is on the client's clock: a fake one makes this take no real time."""
    clock = FakeClock()
    async with EMSimulator(jobs=5, task_seconds=30) as sim:
        async with client(sim, clock=clock) as em:
            task = await em.jobs.start(startable(sim)[0])
            started = clock.now()
            with pytest.raises(TaskTimeoutError) as caught:
                await task.wait(timeout=5)
            assert clock.now() - started == 5
            assert caught.value.task is not None and caught.value.task.state == "Running"
            # polls at FAST's intervals (0.02 s, growing to at most 0.1 s) until the deadline
            assert sim.counters.requests["GET /api/tasks/{id}"] >= 40


async def test_hrefs_to_other_hosts_are_never_followed(caplog: pytest.LogCaptureFixture) -> None:
    """Task bodies carry EM's own absolute Hrefs; polling builds URLs from the id only."""
    caplog.set_level(logging.DEBUG, logger="veeam_em_async")
    async with EMSimulator(jobs=5, task_seconds=0.1) as sim:
        async with client(sim) as em:
            task = await em.jobs.start(startable(sim)[0])
            # Pretend EM pointed the task at another host: the handle ignores it.
            assert task.info is not None
            object.__setattr__(task.info, "href", "https://evil.example/api/tasks/task-1")
            info = await task
            assert info.state == "Finished"
    assert "evil.example" not in caplog.text
    requests = [r.getMessage() for r in caplog.records if r.name != "veeam_em_async.audit"]
    assert all(sim.api in line or "logged on" in line for line in requests)


async def test_demo_run_logs_no_secret_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with EMSimulator(jobs=30, task_seconds=0.1, start_failure_rate=0.2) as sim:
        async with client(sim) as em:
            outcomes = await em.jobs.start_many(startable(sim))
            tokens = list(sim.state.sessions)  # the simulator's live sessions, by token
            sim.state.expire_sessions()
            await em.jobs.list()
            tokens += list(sim.state.sessions)
            errors = [str(o.error) + repr(o.error) for o in outcomes if o.error]
            text = repr(em)
    assert len(tokens) == 2 and errors
    for secret in (sim.password, *tokens):
        assert secret not in caplog.text
        assert secret not in text
        assert not any(secret in e for e in errors)
    assert "logging on again" in caplog.text  # the log did record the re-logon


async def test_only_veeam_errors_escape_the_client() -> None:
    async with EMSimulator(jobs=5) as sim:
        async with client(sim, retry_policy=RetryPolicy(retries=0)) as em:
            sim.faults = Faults(drop_rate=1.0, drop_methods=frozenset({"GET", "POST"}))
            for call in (em.jobs.list(), em.jobs.start(startable(sim)[0]), em.tasks.get("task-1")):
                with pytest.raises(VeeamEMError):
                    await call
            sim.faults = Faults()


def start_many_tasks() -> list[asyncio.Task[object]]:
    """The per-job coroutines of start_many still alive (the simulator's own are not)."""
    return [
        t
        for t in asyncio.all_tasks()
        if "for_each" in getattr(t.get_coro(), "__qualname__", "") and not t.done()
    ]


async def test_a_progress_callback_that_raises_ends_start_many_and_every_start_with_it() -> None:
    """Issue 9: start_many raised, but 95 of 100 starts were still sent afterwards."""
    async with EMSimulator(jobs=150, task_seconds=60) as sim:
        ids = startable(sim)[:100]
        async with client(sim) as em:

            def progress(done: int, total: int) -> None:
                if done == 5:
                    raise RuntimeError("the bot's chat connection broke")

            with pytest.raises(RuntimeError, match="chat connection"):
                await em.jobs.start_many(ids, concurrency=5, wait=False, progress=progress)
            sent = sim.counters.requests["POST /api/jobs/{id}"]
            assert start_many_tasks() == []  # nothing of start_many left running
            for _ in range(50):
                await asyncio.sleep(0)
            assert sim.counters.requests["POST /api/jobs/{id}"] == sent
        assert 5 <= sent <= 5 + 5  # the five reported, and at most the five in flight
        assert sum(len(j.sessions) for j in sim.state.jobs.values()) == sent


async def test_close_during_a_bulk_start_sends_nothing_that_was_queued() -> None:
    """Issue 9: with a bulk start queued, 188 POSTs were sent after close()."""
    async with EMSimulator(jobs=300, task_seconds=60) as sim:
        ids = startable(sim)
        em = client(sim, max_connections=5)
        await em.login()
        bulk = asyncio.ensure_future(em.jobs.start_many(ids, concurrency=50, wait=False))
        while sim.counters.requests["POST /api/jobs/{id}"] < 20:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        await em.close()
        sent_at_close = sim.counters.requests["POST /api/jobs/{id}"]
        outcomes = await bulk
        assert sim.counters.requests["POST /api/jobs/{id}"] <= sent_at_close + 5  # in flight
        closed = [o for o in outcomes if isinstance(o.error, ClientClosedError)]
        assert len(closed) >= len(ids) - sent_at_close - 5
        assert sum(o.ok for o in outcomes) == sum(len(j.sessions) for j in sim.state.jobs.values())
        assert sim.counters.logoffs == 1
