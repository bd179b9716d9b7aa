"""Safety against EM, proxies and hostile servers (issue 9), with mocked answers and a fake clock.

Every test here failed on the code before the fix it names: a refused re-logon
that became a burst of password attempts, an action re-sent after a proxy's 503,
a ``close()`` that sent the whole queue first, a ``Retry-After`` that held one
call for minutes, an id from EM's answer put into a URL unchecked, a task in an
unknown state polled forever, and error texts that said "empty body" or echoed
the token.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import traceback
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses

from tests.conftest import (
    API,
    BACKUP_JOB_ID,
    BASE,
    LOGOFF_URL,
    LOGON_SESSION_ID,
    LOGON_URL,
    PASSWORD,
    TOKEN,
    USER,
    add_logon,
    error_body,
    fixture_bytes,
    requests_to,
)
from tests.fakes import FakeClock
from veeam_em_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    EnterpriseManager,
    PollPolicy,
    ResponseParseError,
    RetryPolicy,
    ServerError,
    TaskFailedError,
)

NS = 'xmlns="http://www.veeam.com/ent/v1.0"'
START_URL = f"{API}/jobs/{BACKUP_JOB_ID}?action=start"
TASK_URL = f"{API}/tasks/task-1"
NO_BACKOFF = RetryPolicy(backoff_base=0.0, jitter=0.0)


def logons(mock: aioresponses) -> int:
    return sum(len(calls) for (method, url), calls in mock.requests.items() if method == "POST"
               and "sessionMngr" in str(url))  # fmt: skip


def task_xml(task_id: str, state: str, result: str = "") -> str:
    return (
        f'<Task {NS} Type="Task" Href="{API}/tasks/{task_id}"><TaskId>{task_id}</TaskId>'
        f"<State>{state}</State><Operation>StartJob</Operation>{result}</Task>"
    )


async def fifty_requests_behind_one_expired_token(
    mock: aioresponses, em: EnterpriseManager
) -> list[Any]:
    """50 GETs all in flight with the first token, all answered 401 together."""
    release = asyncio.Event()
    arrived = 0

    async def answer(url: Any, **kwargs: Any) -> CallbackResult:
        nonlocal arrived
        if kwargs["headers"]["X-RestSvcSessionId"] == TOKEN:
            arrived += 1
            if arrived == 50:
                release.set()
            await release.wait()
            return CallbackResult(status=401, body=error_body(401, "session expired"))
        return CallbackResult(status=200, body=fixture_bytes("task_finished.xml"))

    mock.get(TASK_URL, callback=answer, repeat=True)
    return await asyncio.gather(
        *(em.tasks.get("task-1") for _ in range(50)), return_exceptions=True
    )


# -- 2. a refused re-logon is one attempt, never a burst ----------------------------


async def test_refused_relogon_is_one_attempt_whose_error_all_fifty_requests_share(
    mock: aioresponses,
) -> None:
    add_logon(mock)  # the first logon works; the re-logon is refused
    mock.post(LOGON_URL, status=401, body=error_body(401, "Authentication failed"), repeat=True)
    mock.delete(LOGOFF_URL, status=204)
    em = EnterpriseManager(BASE, USER, PASSWORD, max_connections=50, clock=FakeClock())
    await em.login()
    results = await fifty_requests_behind_one_expired_token(mock, em)
    await em.close()
    assert logons(mock) == 2  # the first logon and ONE refused re-logon, not 50
    assert all(isinstance(r, AuthenticationError) for r in results)
    assert len({id(r) for r in results}) == 1  # the same error, shared
    assert results[0].message == "Authentication failed"


async def test_relogon_answered_503_is_one_attempt_with_the_policys_shared_retries(
    mock: aioresponses,
) -> None:
    add_logon(mock)
    mock.post(LOGON_URL, status=503, body=error_body(503, "busy"), repeat=True)
    em = EnterpriseManager(
        BASE, USER, PASSWORD, max_connections=50, retry_policy=NO_BACKOFF, clock=FakeClock()
    )
    await em.login()
    results = await fifty_requests_behind_one_expired_token(mock, em)
    await em.close()
    # 1 logon + 1 re-logon attempt with its 3 retries: 5 POSTs, not 200.
    assert logons(mock) == 1 + 1 + NO_BACKOFF.retries
    assert all(isinstance(r, ServerError) and r.status == 503 for r in results)


async def test_after_a_refused_logon_the_password_waits_out_a_growing_pause(
    mock: aioresponses,
) -> None:
    clock = FakeClock()
    mock.post(LOGON_URL, status=401, body=error_body(401, "Authentication failed"), repeat=True)
    policy = RetryPolicy(logon_retry_interval=30, logon_retry_max_interval=900)
    em = EnterpriseManager(BASE, USER, PASSWORD, retry_policy=policy, clock=clock)
    with pytest.raises(AuthenticationError):
        await em.login()
    assert logons(mock) == 1
    for _ in range(20):  # requests and explicit logons within the pause send nothing
        with pytest.raises(AuthenticationError, match="Authentication failed"):
            await em.jobs.list()
        with pytest.raises(AuthenticationError):
            await em.login()
    assert logons(mock) == 1
    clock.advance(30)
    with pytest.raises(AuthenticationError):
        await em.jobs.list()
    assert logons(mock) == 2  # one attempt after 30 s ...
    clock.advance(30)
    with pytest.raises(AuthenticationError):
        await em.jobs.list()
    assert logons(mock) == 2  # ... then the pause doubles to 60 s
    clock.advance(30)
    with pytest.raises(AuthenticationError):
        await em.jobs.list()
    assert logons(mock) == 3
    await em.close()


async def test_the_error_raised_again_within_the_pause_does_not_grow(mock: aioresponses) -> None:
    """Every caller within the pause gets the one remembered error. Raising an exception
    object again appends the new frames to its traceback: a bot asking every second, or
    a bulk run of ten thousand jobs, grew it (and kept each frame's locals alive) for the
    whole pause."""
    clock = FakeClock()
    mock.post(LOGON_URL, status=401, body=error_body(401, "Authentication failed"), repeat=True)
    em = EnterpriseManager(BASE, USER, PASSWORD, clock=clock)
    with pytest.raises(AuthenticationError) as first:
        await em.login()
    depths = []
    for _ in range(50):
        with pytest.raises(AuthenticationError) as caught:
            await em.jobs.list()
        assert caught.value is first.value  # still the one error, shared
        depths.append(len(traceback.extract_tb(caught.value.__traceback__)))
    assert logons(mock) == 1
    assert len(set(depths)) == 1  # fifty raises from one place: one depth
    await em.close()


async def test_a_poll_that_keeps_getting_401_costs_no_logon_per_tick(mock: aioresponses) -> None:
    clock = FakeClock()
    add_logon(mock, repeat=True)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(TASK_URL, status=401, body=error_body(401, "no access"), repeat=True)
    async with EnterpriseManager(BASE, USER, PASSWORD, clock=clock) as em:
        for _ in range(60):  # a poll tick every 0.5 s for 30 s
            with pytest.raises(AuthenticationError, match="no access"):
                await em.tasks.get("task-1")
            clock.advance(0.5)
        # The first 401 re-logged on once; the next ones within 30 s did not.
        assert logons(mock) == 2
        with pytest.raises(AuthenticationError):
            await em.tasks.get("task-1")
        assert logons(mock) == 3  # 30 s later, one more re-logon is allowed
    assert len(requests_to(mock, "GET", TASK_URL)) == 1 + 1 + 59 + 2


# -- 3. an action is sent once, whatever a proxy answers ------------------------------


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_an_action_answered_with_a_retryable_status_is_not_sent_again(
    mock: aioresponses, status: int
) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.post(START_URL, status=status, body="<html>proxy</html>", repeat=True)
    async with EnterpriseManager(BASE, USER, PASSWORD, retry_policy=NO_BACKOFF) as em:
        with pytest.raises(APIError) as caught:
            await em.jobs.start(BACKUP_JOB_ID)
    assert caught.value.status == status
    assert len(requests_to(mock, "POST", START_URL)) == 1


async def test_re_sending_refused_actions_is_an_opt_in(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.post(START_URL, status=503, body=error_body(503, "busy"))
    mock.post(START_URL, status=429, body=error_body(429, "slow down"))
    mock.post(START_URL, status=202, body=fixture_bytes("task_running.xml"))
    policy = RetryPolicy(backoff_base=0.0, jitter=0.0, retry_refused_actions=True)
    async with EnterpriseManager(BASE, USER, PASSWORD, retry_policy=policy) as em:
        task = await em.jobs.start(BACKUP_JOB_ID)
    assert task.id == "task-1"
    assert len(requests_to(mock, "POST", START_URL)) == 3


async def test_a_get_is_retried_on_429_as_documented(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(f"{API}/jobs", status=429, headers={"Retry-After": "1"})
    mock.get(f"{API}/jobs", body=fixture_bytes("job_references.xml"))
    clock = FakeClock()
    async with EnterpriseManager(BASE, USER, PASSWORD, clock=clock) as em:
        assert len(await em.jobs.list()) == 2
    assert clock.sleeps == [1.0]
    assert 429 in RetryPolicy().retry_statuses and not RetryPolicy().retry_refused_actions


# -- 4. close() means stop ---------------------------------------------------------------


async def test_close_fails_the_queue_at_once_and_sends_none_of_it(mock: aioresponses) -> None:
    add_logon(mock)
    order: list[str] = []
    release = asyncio.Event()

    async def slow_get(url: Any, **kwargs: Any) -> CallbackResult:
        order.append("GET")
        await release.wait()
        return CallbackResult(status=200, body=fixture_bytes("task_running.xml"))

    async def logoff(url: Any, **kwargs: Any) -> CallbackResult:
        order.append("DELETE")
        return CallbackResult(status=204)

    mock.get(TASK_URL, callback=slow_get, repeat=True)
    mock.delete(LOGOFF_URL, callback=logoff)
    em = EnterpriseManager(BASE, USER, PASSWORD, max_connections=2)
    await em.login()
    calls = [asyncio.ensure_future(em.tasks.get("task-1")) for _ in range(1000)]
    while len(order) < 2:  # noqa: ASYNC110 - two in flight, 998 queued
        await asyncio.sleep(0)
    closing = asyncio.ensure_future(em.close())
    results = await asyncio.gather(*calls[2:], return_exceptions=True)
    assert all(isinstance(r, ClientClosedError) for r in results)  # at once: nothing released yet
    assert order == ["GET", "GET"]
    release.set()
    await closing
    done = await asyncio.gather(*calls[:2])
    assert [d.state for d in done] == ["Running", "Running"]  # in flight: finished normally
    assert order == ["GET", "GET", "DELETE"]  # the logoff went ahead of the (failed) queue
    with pytest.raises(ClientClosedError):
        await em.tasks.get("task-1")
    assert order.count("GET") == 2


async def test_no_relogon_and_no_resend_after_close(mock: aioresponses) -> None:
    add_logon(mock, repeat=True)
    mock.delete(LOGOFF_URL, status=204)
    clock = FakeClock()
    mock.get(f"{API}/jobs", status=503, body=error_body(503, "busy"), repeat=True)
    policy = RetryPolicy(retries=5, backoff_base=1.0, jitter=0.0)
    em = EnterpriseManager(BASE, USER, PASSWORD, retry_policy=policy, clock=clock)
    await em.login()
    gate = asyncio.Event()
    real_sleep = clock.sleep

    async def sleep_until_closed(seconds: float) -> None:
        await gate.wait()
        await real_sleep(seconds)

    clock.sleep = sleep_until_closed  # type: ignore[method-assign]
    listing = asyncio.ensure_future(em.jobs.list())
    while not requests_to(mock, "GET", f"{API}/jobs"):  # noqa: ASYNC110
        await asyncio.sleep(0)
    await em.close()
    gate.set()
    with pytest.raises(ClientClosedError):
        await listing  # the retry after its back-off was not sent
    assert len(requests_to(mock, "GET", f"{API}/jobs")) == 1
    assert logons(mock) == 1


# -- 5. hostile or broken servers -----------------------------------------------------------


async def test_retry_after_is_bounded_per_call_not_only_per_attempt(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(f"{API}/jobs", status=503, headers={"Retry-After": "100000"}, repeat=True)
    clock = FakeClock()
    policy = RetryPolicy(retries=10, max_retry_after=60, max_total_delay=90)
    async with EnterpriseManager(BASE, USER, PASSWORD, retry_policy=policy, clock=clock) as em:
        with pytest.raises(ServerError):
            await em.jobs.list()
    assert clock.sleeps == [60.0, 30.0]  # 90 s in all, not 10 x 60 s
    assert len(requests_to(mock, "GET", f"{API}/jobs")) == 3


async def test_a_task_id_from_ems_answer_that_would_leave_the_api_is_refused(
    mock: aioresponses,
) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.post(START_URL, status=202, body=task_xml("../../sessionMngr", "Running"))
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        with pytest.raises(ResponseParseError, match="unusable TaskId"):
            await em.jobs.start(BACKUP_JOB_ID)
    # logon, start, logoff: no poll went anywhere with the token
    assert [m for (m, _) in mock.requests] == ["POST", "POST", "DELETE"]


async def test_a_session_id_from_the_logon_answer_is_checked_too(mock: aioresponses) -> None:
    body = fixture_bytes("logon_session.xml").replace(LOGON_SESSION_ID.encode(), b"../../jobs")
    mock.post(LOGON_URL, status=201, body=body, headers={"X-RestSvcSessionId": TOKEN})
    em = EnterpriseManager(BASE, USER, PASSWORD)
    with pytest.raises(ResponseParseError, match="unusable SessionId"):
        await em.login()
    await em.close()
    assert [m for (m, _) in mock.requests] == ["POST"]  # no logoff to a forged URL


@pytest.mark.parametrize(
    ("result", "raises"),
    [
        ('<Result Success="false"><Message>Cancelled by user</Message></Result>', True),
        ("", True),  # an end state with no result at all
        ('<Result Success="true"><Message>Done</Message></Result>', False),
    ],
)
async def test_a_task_in_a_state_the_client_does_not_know_ends_the_wait(
    mock: aioresponses, result: str, raises: bool
) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.post(START_URL, status=202, body=task_xml("task-1", "Running"))
    mock.get(TASK_URL, body=task_xml("task-1", "Cancelled", result), repeat=True)
    clock = FakeClock()
    policy = PollPolicy(initial_delay=1, min_interval=1, jitter=0)
    async with EnterpriseManager(BASE, USER, PASSWORD, poll_policy=policy, clock=clock) as em:
        task = await em.jobs.start(BACKUP_JOB_ID)
        if raises:
            with pytest.raises(TaskFailedError, match="Cancelled"):
                await task
        else:
            assert (await task).state == "Cancelled"
        assert task.done()
    assert len(requests_to(mock, "GET", TASK_URL)) == 1  # one poll, not forever


async def test_a_redirect_with_an_empty_body_says_its_status(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(f"{API}/jobs", status=302, headers={"Location": "https://sso.example/login"})
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        with pytest.raises(APIError) as caught:
            await em.jobs.list()
    assert caught.value.status == 302
    assert "302" in str(caught.value) and "redirect to https://sso.example/login" in str(
        caught.value
    )
    assert "empty body" in str(caught.value)


async def test_an_html_error_page_says_its_status_and_what_it_held(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    mock.get(f"{API}/jobs", status=502, body=page, repeat=True)
    async with EnterpriseManager(BASE, USER, PASSWORD, retry_policy=NO_BACKOFF) as em:
        with pytest.raises(ServerError) as caught:
            await em.jobs.list()
    assert str(caught.value).startswith("502 Bad Gateway; body: ")
    assert "nginx" in str(caught.value)


async def test_a_server_echoing_the_token_and_password_never_gets_them_into_errors(
    mock: aioresponses,
) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)

    def echo(url: Any, **kwargs: Any) -> CallbackResult:
        headers = " ".join(f"{k}: {v}" for k, v in kwargs["headers"].items())
        return CallbackResult(status=500, body=f"<html><pre>{headers} {PASSWORD}</pre></html>")

    def echo_in_em_error(url: Any, **kwargs: Any) -> CallbackResult:
        token = kwargs["headers"]["X-RestSvcSessionId"]
        return CallbackResult(status=400, body=error_body(400, f"bad token {token}"))

    def echo_in_a_200(url: Any, **kwargs: Any) -> CallbackResult:
        return CallbackResult(status=200, body=f"oops {kwargs['headers']['X-RestSvcSessionId']}")

    mock.get(f"{API}/jobs", callback=echo, repeat=True)
    mock.get(f"{API}/nas/jobs", callback=echo_in_em_error)
    mock.get(TASK_URL, callback=echo_in_a_200)
    errors: list[BaseException] = []
    async with EnterpriseManager(BASE, USER, PASSWORD, retry_policy=RetryPolicy(retries=0)) as em:
        for call in (em.jobs.list(), em.nas_jobs.list(), em.tasks.get("task-1")):
            with pytest.raises((ServerError, BadRequestError, ResponseParseError)) as caught:
                await call
            errors.append(caught.value)
    texts = [str(e) + repr(e) + getattr(e, "excerpt", "") for e in errors]
    assert all("<redacted>" in t for t in texts)
    for secret in (TOKEN, PASSWORD):
        assert not any(secret in t for t in texts)


# -- 7. a library's manners -------------------------------------------------------------------


def test_the_library_logger_prints_nothing_when_the_application_configured_no_logging() -> None:
    script = (
        "import logging, veeam_em_async\n"
        "logging.getLogger('veeam_em_async').warning('logoff failed: boom')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stderr == ""
    assert any(
        isinstance(h, logging.NullHandler) for h in logging.getLogger("veeam_em_async").handlers
    )


async def test_a_400_raises_bad_request_error(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    url = f"{API}/jobs/{BACKUP_JOB_ID}?action=start"
    message = "Start is not available for backup copy jobs; use sync"
    mock.post(url, status=400, body=error_body(400, message))
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        with pytest.raises(BadRequestError) as caught:
            await em.jobs.start(BACKUP_JOB_ID)
    assert isinstance(caught.value, APIError) and caught.value.message == message
    assert len(requests_to(mock, "POST", url)) == 1


def test_the_error_table_is_pure() -> None:
    from veeam_em_async.transport._error_map import api_error

    cases = {
        400: "BadRequestError",
        401: "AuthenticationError",
        403: "PermissionDeniedError",
        404: "NotFoundError",
        409: "APIError",
        500: "ServerError",
        503: "ServerError",
    }
    for status, name in cases.items():
        error = api_error(status, error_body(status, "said EM").encode(), "u")
        assert type(error).__name__ == name and error.message == "said EM"
    assert api_error(503, b"", "u").message == "Service Unavailable (empty body)"


async def test_unsupported_content_encoding_is_a_parse_error(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(f"{API}/jobs", body=b"\x00\x01", headers={"Content-Encoding": "br"})
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        with pytest.raises(ResponseParseError, match="unsupported Content-Encoding 'br'"):
            await em.jobs.list()
    (call,) = requests_to(mock, "GET", f"{API}/jobs")
    assert call.kwargs["headers"]["Accept-Encoding"] == "gzip, deflate"
    assert call.kwargs["auto_decompress"] is False


def test_paths_that_could_leave_the_api_are_refused() -> None:
    from veeam_em_async.errors import InvalidIdentifierError
    from veeam_em_async.transport._sansio import check_path

    assert check_path("/jobs/abc") == "jobs/abc"
    assert check_path("sessionMngr/") == "sessionMngr/"
    for bad in ("tasks/../../sessionMngr", "tasks/./x", "tasks/a%2F..", "jobs/a?b", "x/#", "a\\b"):
        with pytest.raises(InvalidIdentifierError):
            check_path(bad)
