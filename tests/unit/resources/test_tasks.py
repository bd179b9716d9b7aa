"""Actions, awaitable Task handles, the shared watcher and start_many (aioresponses)."""

from __future__ import annotations

import asyncio
import re
import sys
import traceback
from collections.abc import AsyncIterator
from typing import Any
from xml.etree.ElementTree import canonicalize

import pytest
from aioresponses import CallbackResult, aioresponses

from tests.conftest import (
    API,
    BACKUP_JOB_ID,
    BASE,
    LOGON_SESSION_ID,
    NAS_JOB_ID,
    PASSWORD,
    USER,
    add_logon,
    error_body,
    fixture_bytes,
    requests_to,
)
from tests.fakes import FakeClock
from veeam_em_async import (
    ClientClosedError,
    EnterpriseManager,
    Job,
    JobCloneSpec,
    JobEdit,
    NotFoundError,
    PollPolicy,
    RetryPolicy,
    ServerError,
    TaskFailedError,
    TaskTimeoutError,
    TransportError,
)

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import ExceptionGroup

NS = 'xmlns="http://www.veeam.com/ent/v1.0"'
START_URL = f"{API}/jobs/{BACKUP_JOB_ID}?action=start"
POLICY = PollPolicy(initial_delay=1.0, min_interval=1.0, max_interval=15.0, factor=2.0, jitter=0)


def task_xml(task_id: str, state: str, success: bool | None = None, message: str = "Ok") -> str:
    result = ""
    if success is not None:
        result = f'<Result Success="{str(success).lower()}"><Message>{message}</Message></Result>'
    return (
        f'<Task {NS} Type="Task" Href="{API}/tasks/{task_id}"><TaskId>{task_id}</TaskId>'
        f"<State>{state}</State><Operation>StartJob</Operation>{result}</Task>"
    )


def tasks_xml(items: list[str]) -> str:
    inner = "".join(item.replace(f" {NS}", "") for item in items)
    return f"<Tasks {NS}>{inner}</Tasks>"


@pytest.fixture
def fake_time() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def em(mock: aioresponses, fake_time: FakeClock) -> AsyncIterator[EnterpriseManager]:
    add_logon(mock)
    mock.delete(f"{API}/logonSessions/{LOGON_SESSION_ID}", status=204)
    async with EnterpriseManager(
        BASE,
        USER,
        PASSWORD,
        poll_policy=POLICY,
        retry_policy=RetryPolicy(backoff_base=0, jitter=0),
        clock=fake_time,
    ) as client:
        yield client
    assert not client.task_watcher.running  # no stray background task once closed


async def test_start_returns_a_handle_that_polls_until_finished(
    em: EnterpriseManager, mock: aioresponses, fake_time: FakeClock
) -> None:
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    mock.get(f"{API}/tasks/task-1", body=task_xml("task-1", "Running"))
    mock.get(f"{API}/tasks/task-1", body=task_xml("task-1", "Running"))
    mock.get(f"{API}/tasks/task-1", body=fixture_bytes("task_finished.xml"))
    task = await em.jobs.start(BACKUP_JOB_ID)
    assert task.id == "task-1" and task.state == "Running" and not task.done()
    assert task.href == f"{API}/tasks/task-1".replace("em.test:9398", "localhost:9398")
    info = await task
    assert info.state == "Finished" and info.result is not None and info.result.message == "Ok"
    assert task.done() and task.info == info
    assert len(requests_to(mock, "GET", f"{API}/tasks/task-1")) == 3
    # First poll only after the initial delay, then backoff 1 s -> 2 s.
    assert fake_time.sleeps == [1.0, 1.0, 2.0]
    assert em.task_watcher.pending == 0


async def test_failed_task_raises_task_failed_error(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    mock.get(
        f"{API}/tasks/task-1",
        body=task_xml("task-1", "Finished", success=False, message="Job is already running"),
    )
    task = await em.jobs.start(BACKUP_JOB_ID)
    with pytest.raises(TaskFailedError) as caught:
        await task
    assert caught.value.message == "Job is already running"
    assert caught.value.task.result is not None and caught.value.task.result.success is False
    assert task.done()
    with pytest.raises(TaskFailedError):  # a second await gives the same answer, no request
        await task.wait()
    assert len(requests_to(mock, "GET", f"{API}/tasks/task-1")) == 1


async def test_a_failed_task_awaited_again_raises_its_error_without_growing_it(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    # Every await of an ended task raises the error its entry keeps: raising one
    # exception object again appends the awaiting frames to its traceback each time.
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    mock.get(f"{API}/tasks/task-1", body=task_xml("task-1", "Finished", success=False))
    task = await em.jobs.start(BACKUP_JOB_ID)
    depths, errors = [], set()
    for _ in range(20):
        with pytest.raises(TaskFailedError) as caught:
            await task
        errors.add(id(caught.value))
        depths.append(len(traceback.extract_tb(caught.value.__traceback__)))
    assert len(errors) == 1  # the one error, as before
    assert len(set(depths)) == 1  # twenty awaits from one place: one depth


async def test_operation_finished_is_not_finished(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    mock.get(f"{API}/tasks/task-1", body=task_xml("task-1", "OperationFinished", success=True))
    mock.get(f"{API}/tasks/task-1", body=fixture_bytes("task_finished.xml"))
    task = await em.jobs.start(BACKUP_JOB_ID)
    first = await task.refresh()
    assert first.state == "OperationFinished" and task.state == "OperationFinished"
    assert not task.done()
    final = await task
    assert final.state == "Finished" and task.done()


async def test_wait_timeout_raises_task_timeout_error_with_last_info(
    em: EnterpriseManager, mock: aioresponses, fake_time: FakeClock
) -> None:
    """On the client's clock: polls at 1, 2, 4, 8 s (POLICY), the deadline at 10 s."""
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    mock.get(f"{API}/tasks/task-1", body=task_xml("task-1", "Running"), repeat=True)
    task = await em.jobs.start(BACKUP_JOB_ID)
    started = fake_time.now()
    with pytest.raises(TaskTimeoutError) as caught:
        await task.wait(timeout=10)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.task is not None and caught.value.task.state == "Running"
    assert fake_time.now() - started == 10  # no real time: the fake clock moved
    assert len(requests_to(mock, "GET", f"{API}/tasks/task-1")) == 4
    assert not task.done()
    await asyncio.sleep(0)
    assert em.task_watcher.pending == 0  # nobody waits any more: polling stopped


async def test_retry_after_is_honoured_but_clamped(
    em: EnterpriseManager, mock: aioresponses, fake_time: FakeClock
) -> None:
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    mock.get(
        f"{API}/tasks/task-1", body=task_xml("task-1", "Running"), headers={"Retry-After": "7"}
    )
    mock.get(
        f"{API}/tasks/task-1", body=task_xml("task-1", "Running"), headers={"Retry-After": "600"}
    )
    mock.get(
        f"{API}/tasks/task-1", body=task_xml("task-1", "Running"), headers={"Retry-After": "0"}
    )
    mock.get(f"{API}/tasks/task-1", body=fixture_bytes("task_finished.xml"))
    await (await em.jobs.start(BACKUP_JOB_ID))
    assert fake_time.sleeps == [1.0, 7.0, 15.0, 1.0]  # 600 clamped to max, 0 to min


async def test_cancelling_one_waiter_leaves_the_other(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    gate = asyncio.Event()
    polls = 0

    async def answer(url: Any, **kwargs: Any) -> CallbackResult:
        nonlocal polls
        polls += 1
        await gate.wait()
        return CallbackResult(body=fixture_bytes("task_finished.xml"))

    mock.get(f"{API}/tasks/task-1", callback=answer, repeat=True)
    task = await em.jobs.start(BACKUP_JOB_ID)
    first = asyncio.ensure_future(task.wait())
    second = asyncio.ensure_future(task.wait())
    for _ in range(5):
        await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    gate.set()
    info = await second
    assert info.state == "Finished"
    assert polls == 1  # one poll served both waiters; cancelling sent nothing


async def test_all_waiters_cancelled_stops_the_watcher(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    mock.get(f"{API}/tasks/task-1", body=task_xml("task-1", "Running"), repeat=True)
    task = await em.jobs.start(BACKUP_JOB_ID)
    waiter = asyncio.ensure_future(task.wait())
    for _ in range(10):
        await asyncio.sleep(0)
    assert em.task_watcher.running
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    for _ in range(10):
        await asyncio.sleep(0)
    assert em.task_watcher.pending == 0 and not em.task_watcher.running


async def test_resume_waiting_by_task_id(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/tasks/task-7", body=task_xml("task-7", "Running"))
    mock.get(f"{API}/tasks/task-7", body=task_xml("task-7", "Finished", success=True))
    task = em.tasks.handle("task-7")
    assert task.info is None and task.state is None and not task.done()
    info = await task
    assert info.id == "task-7" and info.state == "Finished"
    assert mock.requests  # the handle itself sent nothing until awaited


async def test_unknown_task_fails_with_not_found(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/tasks/task-404", status=404, body=error_body(404, "Task not found"))
    with pytest.raises(NotFoundError, match="Task not found"):
        await em.tasks.handle("task-404")


async def test_polling_survives_transient_errors_then_gives_up(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.get(f"{API}/tasks/task-2", exception=ConnectionResetError(), repeat=4)
    mock.get(f"{API}/tasks/task-2", body=task_xml("task-2", "Finished", success=True))
    assert (await em.tasks.handle("task-2")).state == "Finished"
    mock.get(f"{API}/tasks/task-3", status=500, body=error_body(500, "db down"), repeat=True)
    with pytest.raises(ServerError, match="db down"):
        await em.tasks.handle("task-3")
    assert len(requests_to(mock, "GET", f"{API}/tasks/task-3")) == em.task_watcher.max_poll_errors


async def test_a_thousand_tasks_poll_through_one_task_list(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    ids = [f"task-{i}" for i in range(1000)]
    running = tasks_xml([task_xml(i, "Running") for i in ids])
    finished = tasks_xml([task_xml(i, "Finished", success=True) for i in ids])
    mock.get(f"{API}/tasks", body=running, repeat=2)
    mock.get(f"{API}/tasks", body=finished)
    single = re.compile(rf"^{re.escape(API)}/tasks/task-\d+$")
    mock.get(single, body=task_xml("task-x", "Finished", success=True), repeat=True)
    handles = [em.tasks.handle(i) for i in ids]
    infos = await asyncio.gather(*handles)
    assert all(info.state == "Finished" for info in infos)
    list_calls = len(requests_to(mock, "GET", f"{API}/tasks"))
    per_task = sum(
        len(calls) for (m, u), calls in mock.requests.items() if m == "GET" and single.match(str(u))
    )
    assert list_calls == 3 == em.task_watcher.ticks  # O(ticks), not O(tasks x ticks)
    assert per_task == 0


async def test_tasks_missing_from_the_list_are_fetched_by_id(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    ids = [f"task-{i}" for i in range(10)]
    # task-9 belongs to an earlier logon session: GET /tasks does not list it.
    mock.get(f"{API}/tasks", body=tasks_xml([task_xml(i, "Finished", True) for i in ids[:9]]))
    mock.get(f"{API}/tasks/task-9", body=task_xml("task-9", "Finished", success=True))
    infos = await asyncio.gather(*(em.tasks.handle(i) for i in ids))
    assert [info.id for info in infos] == ids
    assert len(requests_to(mock, "GET", f"{API}/tasks/task-9")) == 1
    assert len(requests_to(mock, "GET", f"{API}/tasks")) == 1


async def test_close_wakes_waiters_with_a_clear_error(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(f"{API}/logonSessions/{LOGON_SESSION_ID}", status=204)
    mock.get(f"{API}/tasks/task-1", body=task_xml("task-1", "Running"), repeat=True)
    em = EnterpriseManager(BASE, USER, PASSWORD, poll_policy=POLICY)
    await em.login()
    waiters = [asyncio.ensure_future(em.tasks.handle("task-1").wait()) for _ in range(3)]
    await asyncio.sleep(0)
    await em.close()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, ClientClosedError) for r in results)
    assert not em.task_watcher.running


async def test_nas_actions_are_path_style(em: EnterpriseManager, mock: aioresponses) -> None:
    for action in ("start", "stop", "retry", "toggleScheduleEnabled"):
        mock.post(
            f"{API}/nas/jobs/{NAS_JOB_ID}/{action}", status=202, body=task_xml("t", "Running")
        )
    nas = em.nas_jobs
    for call in (nas.start, nas.stop, nas.retry, nas.toggle_schedule_enabled):
        task = await call(f"urn:veeam:NasJob:{NAS_JOB_ID}")
        assert task.id == "t"
    for action in ("start", "stop", "retry", "toggleScheduleEnabled"):
        assert len(requests_to(mock, "POST", f"{API}/nas/jobs/{NAS_JOB_ID}/{action}")) == 1


async def test_vm_job_actions_use_the_action_query(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    actions = ("start", "stop", "retry", "sync", "toggleScheduleEnabled")
    for action in actions:
        mock.post(
            f"{API}/jobs/{BACKUP_JOB_ID}?action={action}", status=202, body=task_xml("t", "Running")
        )
    jobs = em.jobs
    for call in (jobs.start, jobs.stop, jobs.retry, jobs.sync, jobs.toggle_schedule_enabled):
        assert (await call(BACKUP_JOB_ID)).state == "Running"
    for action in actions:
        (call_,) = requests_to(mock, "POST", f"{API}/jobs/{BACKUP_JOB_ID}?action={action}")
        assert call_.kwargs["data"] is None


async def test_start_on_a_dropped_connection_is_not_resent(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.post(START_URL, exception=ConnectionResetError())
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    with pytest.raises(TransportError):
        await em.jobs.start(BACKUP_JOB_ID)
    assert len(requests_to(mock, "POST", START_URL)) == 1


def canonical(xml: bytes | str) -> str:
    text = xml.decode() if isinstance(xml, bytes) else xml
    return canonicalize(xml_data=text, strip_text=True)


@pytest.mark.parametrize(
    ("spec", "fixture_name"),
    [
        (
            JobCloneSpec.backup(
                "Oracle Backup 01",
                "Oracle Backup 01",
                "urn:veeam:Repository:cbd9a4b6-b9ed-4cd6-a091-75b6481c9d55",
                "Cloned Oracle backup job",
            ),
            "clone_backup_request.xml",
        ),
        (
            JobCloneSpec.replica(
                "Cloned job (2/11/2020 6:13:50 PM)",
                "_replica",
                "This job was created by cloning Appserver Replication job",
            ),
            "clone_replica_request.xml",
        ),
        (
            JobCloneSpec.backup_copy(
                "Cloned job (2/11/2020 6:15:44 PM)",
                "Cloned job _2_11_2020 6_15_44 PM_",
                "urn:veeam:Repository:8a511e84-067a-4f0c-a30d-ad79092691be",
                "This job was created by cloning CRM Backup Copy job",
            ),
            "clone_backup_copy_request.xml",
        ),
        (
            JobCloneSpec.immediate_backup_copy(
                "Cloned job (2/11/2020 6:17:41 PM)",
                "Cloned job _2_11_2020 6_17_41 PM_",
                "urn:veeam:Repository:cf99cfbb-e097-432c-bafb-6558d3957f5b",
                "This job was created by cloning Backup Copy job",
            ),
            "clone_immediate_request.xml",
        ),
    ],
)
async def test_clone_body_matches_ems_example(
    em: EnterpriseManager, mock: aioresponses, spec: JobCloneSpec, fixture_name: str
) -> None:
    url = f"{API}/jobs/{BACKUP_JOB_ID}?action=clone"
    mock.post(url, status=202, body=task_xml("task-1", "Running"))
    mock.get(f"{API}/tasks/task-1", body=fixture_bytes("task_clone_finished.xml"))
    task = await em.jobs.clone(BACKUP_JOB_ID, spec)
    (call,) = requests_to(mock, "POST", url)
    assert canonical(call.kwargs["data"]) == canonical(fixture_bytes(fixture_name))
    assert call.kwargs["headers"]["Content-Type"] == "application/xml"
    info = await task
    related = info.link("Related")
    assert related is not None and related.type == "Job"


def test_clone_spec_refuses_a_long_name() -> None:
    with pytest.raises(ValueError, match="1 to 50"):
        JobCloneSpec.replica("x" * 51, "_replica")


async def test_edit_body_matches_ems_example(em: EnterpriseManager, mock: aioresponses) -> None:
    # EM's example echoes these attributes of the job being edited.
    job = Job(
        href="https://localhost:9398/api/jobs/6c86549b-154f-4566-a76e-52bd64a33aea?format=Entity",
        uid="urn:veeam:Job:d1b85018-2769-45be-89bc-03f66b60e6cb",
        name="SQL Backup HV",
        type="Job",
    )
    url = f"{API}/jobs/d1b85018-2769-45be-89bc-03f66b60e6cb?action=edit"
    mock.put(url, status=202, body=task_xml("task-1", "Running"))
    task = await em.jobs.edit(job, JobEdit(schedule={"RetryOptions": {"RetryTimes": 5}}))
    assert task.id == "task-1"
    (call,) = requests_to(mock, "PUT", url)
    assert canonical(call.kwargs["data"]) == canonical(fixture_bytes("edit_request.xml"))


def test_edit_body_keeps_element_order_and_booleans() -> None:
    body = JobEdit(description="Nightly", schedule_enabled=False, schedule_configured=True).to_xml()
    text = body.decode()
    assert text.index("<Description>") < text.index("<ScheduleConfigured>")
    assert text.index("<ScheduleConfigured>") < text.index("<ScheduleEnabled>")
    assert "<ScheduleEnabled>false</ScheduleEnabled>" in text


# -- start_many -------------------------------------------------------------


def job_uuid(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


async def test_start_many_two_hundred_jobs_with_failures(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    in_flight = 0
    peak = 0
    started: list[int] = []

    async def start(url: Any, **kwargs: Any) -> CallbackResult:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        in_flight -= 1
        i = int(str(url).split("/jobs/")[1].split("?")[0][-12:])
        started.append(i)
        if i % 10 == 3:
            return CallbackResult(status=404, body=error_body(404, f"Job {i} not found"))
        if i % 10 == 5:
            return CallbackResult(status=500, body=error_body(500, "backup server unreachable"))
        return CallbackResult(status=202, body=task_xml(f"task-{i}", "Running"))

    def all_tasks(url: Any, **kwargs: Any) -> CallbackResult:
        items = [
            task_xml(f"task-{i}", "Finished", success=(i % 10 != 7), message=f"m{i}")
            for i in started
            if i % 10 not in (3, 5)
        ]
        return CallbackResult(body=tasks_xml(items))

    mock.post(
        re.compile(rf"^{re.escape(API)}/jobs/[0-9a-f-]+\?action=start$"),
        callback=start,
        repeat=True,
    )
    mock.get(f"{API}/tasks", callback=all_tasks, repeat=True)
    progress: list[tuple[int, int]] = []
    jobs: list[Any] = [job_uuid(i) for i in range(200)]
    # copy_jobs="start": ids alone, no lookup of their types (tested in test_bulk_actions_sim).
    outcomes = await em.jobs.start_many(
        jobs, concurrency=8, progress=lambda done, total: progress.append((done, total)),
        copy_jobs="start",
    )  # fmt: skip
    assert [o.job for o in outcomes] == jobs
    assert sorted(started) == list(range(200))  # each job started exactly once
    assert peak <= 8
    for i, outcome in enumerate(outcomes):
        if i % 10 == 3:
            assert not outcome.ok and isinstance(outcome.error, NotFoundError)
            assert outcome.error.message == f"Job {i} not found" and outcome.task is None
        elif i % 10 == 5:
            assert not outcome.ok and isinstance(outcome.error, ServerError)
        elif i % 10 == 7:
            assert not outcome.ok and isinstance(outcome.error, TaskFailedError)
            assert outcome.task is not None and outcome.task.id == f"task-{i}"
        else:
            assert outcome.ok and outcome.error is None
            assert outcome.task is not None and outcome.task.state == "Finished"
            assert outcome.task.result is not None and outcome.task.result.message == f"m{i}"
    assert progress[-1] == (200, 200) and len(progress) == 200
    assert [done for done, _ in progress] == list(range(1, 201))


async def test_start_many_without_wait_and_raise_on_error(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    ok_id, bad_id = job_uuid(1), job_uuid(2)
    mock.post(f"{API}/jobs/{ok_id}?action=start", status=202, body=task_xml("task-1", "Running"))
    mock.post(f"{API}/jobs/{bad_id}?action=start", status=404, body=error_body(404, "gone"))
    outcomes = await em.jobs.start_many([ok_id, bad_id], wait=False, copy_jobs="start")
    assert outcomes[0].ok and outcomes[0].task is not None and outcomes[0].task.state == "Running"
    assert not outcomes[1].ok
    mock.post(f"{API}/jobs/{ok_id}?action=start", status=202, body=task_xml("task-2", "Running"))
    mock.post(f"{API}/jobs/{bad_id}?action=start", status=404, body=error_body(404, "gone"))
    with pytest.raises(ExceptionGroup) as caught:
        await em.jobs.start_many(
            [ok_id, bad_id], wait=False, raise_on_error=True, copy_jobs="start"
        )
    (error,) = caught.value.exceptions
    assert isinstance(error, NotFoundError)
    assert f"job: '{bad_id}'" in getattr(error, "__notes__", [])


async def test_nas_start_many(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.post(f"{API}/nas/jobs/{NAS_JOB_ID}/start", status=202, body=task_xml("task-5", "Running"))
    mock.get(f"{API}/tasks/task-5", body=task_xml("task-5", "Finished", success=True))
    (outcome,) = await em.nas_jobs.start_many([NAS_JOB_ID])
    assert outcome.ok and outcome.task is not None and outcome.task.id == "task-5"


def test_the_clock_is_a_clock_and_nothing_else() -> None:
    """The first version's ``clock=<callable>, sleep=<coroutine function>`` pair is gone
    (issue 24): a callable is refused with a clear error, and so is ``sleep=``."""
    fake = FakeClock()
    with pytest.raises(TypeError, match="clock must be a Clock"):
        EnterpriseManager(BASE, USER, PASSWORD, clock=fake.now)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sleep"):
        EnterpriseManager(BASE, USER, PASSWORD, sleep=fake.sleep)  # type: ignore[call-arg]
    assert EnterpriseManager(BASE, USER, PASSWORD, clock=fake).clock is fake
