"""The client against mocked EM answers (aioresponses): logon, reads, limits, errors."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from tests.conftest import (
    API,
    BACKUP_JOB_ID,
    BASE,
    LOGOFF_URL,
    LOGON_SESSION_ID,
    LOGON_URL,
    NAS_JOB_ID,
    PASSWORD,
    REPLICA_JOB_ID,
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
    EnterpriseManager,
    InvalidIdentifierError,
    Job,
    NasJob,
    NotFoundError,
    PermissionDeniedError,
    ResponseParseError,
    RetryPolicy,
    ServerError,
    TransportError,
)

NO_WAIT_RETRY = RetryPolicy(retries=3, backoff_base=0.0, jitter=0.0)


@pytest.fixture
async def em(mock: aioresponses) -> AsyncIterator[EnterpriseManager]:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    async with EnterpriseManager(BASE, USER, PASSWORD, retry_policy=NO_WAIT_RETRY) as client:
        yield client


async def test_logon_sends_basic_auth_and_keeps_the_token(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(f"{API}/jobs", body=fixture_bytes("job_references.xml"))
    async with EnterpriseManager(f"{BASE}/api/", USER, PASSWORD) as em:
        assert em.logon_session is not None
        assert em.logon_session.session_id == LOGON_SESSION_ID
        refs = await em.jobs.list()
        assert [r.name for r in refs] == ["SQL Replication", "SQL Server Replication"]
    (_, [logon_call]), *_ = [
        (key, calls) for key, calls in mock.requests.items() if key[0] == "POST"
    ]
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert logon_call.kwargs["headers"]["Authorization"] == expected
    (jobs_call,) = requests_to(mock, "GET", f"{API}/jobs")
    assert jobs_call.kwargs["headers"]["X-RestSvcSessionId"] == TOKEN
    assert "Authorization" not in jobs_call.kwargs["headers"]
    # Leaving the block logged off with the token of the session being deleted.
    (logoff,) = requests_to(mock, "DELETE", LOGOFF_URL)
    assert logoff.kwargs["headers"]["X-RestSvcSessionId"] == TOKEN


async def test_refused_logon_raises_authentication_error_with_ems_message(
    mock: aioresponses,
) -> None:
    mock.post(LOGON_URL, status=401, body=error_body(401, "Authentication failed"))
    with pytest.raises(AuthenticationError) as caught:
        async with EnterpriseManager(BASE, USER, PASSWORD):
            pass
    assert caught.value.status == 401
    assert caught.value.message == "Authentication failed"
    assert PASSWORD not in str(caught.value) and TOKEN not in str(caught.value)


async def test_logon_without_token_header_is_a_parse_error(mock: aioresponses) -> None:
    mock.post(LOGON_URL, status=201, body=fixture_bytes("logon_session.xml"))
    em = EnterpriseManager(BASE, USER, PASSWORD)
    with pytest.raises(ResponseParseError, match="X-RestSvcSessionId"):
        await em.login()
    await em.close()


async def test_get_job_entity_and_nas_job(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/jobs/{BACKUP_JOB_ID}?format=Entity", body=fixture_bytes("backup_job.xml"))
    mock.get(f"{API}/nas/jobs/{NAS_JOB_ID}?format=Entity", body=fixture_bytes("nas_job.xml"))
    job = await em.jobs.get(f"urn:veeam:Job:{BACKUP_JOB_ID}")
    assert isinstance(job, Job) and job.name == "DB Backup"
    nas = await em.nas_jobs.get(NAS_JOB_ID)
    assert isinstance(nas, NasJob) and nas.includes[0].inclusion_mask == ["*.*"]


async def test_every_job_argument_form_reaches_the_same_url(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    url = f"{API}/jobs/{REPLICA_JOB_ID}?format=Entity"
    mock.get(url, body=fixture_bytes("replica_job.xml"), repeat=True)
    refs_body = fixture_bytes("job_references.xml")
    mock.get(f"{API}/jobs", body=refs_body)
    (ref, _) = await em.jobs.list()
    job = await em.jobs.get(ref)
    for form in (REPLICA_JOB_ID, f"urn:veeam:Job:{REPLICA_JOB_ID}", ref, job):
        assert (await em.jobs.get(form)).uid == f"urn:veeam:Job:{REPLICA_JOB_ID}"
    assert len(requests_to(mock, "GET", url)) == 5


async def test_bad_identifiers_are_refused_before_any_request(em: EnterpriseManager) -> None:
    with pytest.raises(InvalidIdentifierError, match="names a NasJob"):
        await em.jobs.get(f"urn:veeam:NasJob:{NAS_JOB_ID}")
    with pytest.raises(InvalidIdentifierError):
        await em.jobs.get("../tasks/task-1")
    with pytest.raises(InvalidIdentifierError):
        await em.tasks.get("task-1/../../logonSessions")


async def test_backup_sessions_and_tasks(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(
        f"{API}/jobs/{BACKUP_JOB_ID}/backupSessions",
        body=(
            '<EntityReferences xmlns="http://www.veeam.com/ent/v1.0">'
            '<Ref Type="BackupJobSessionReference" Name="DB Backup@2020-02-01"'
            ' Href="https://em.test:9398/api/backupSessions/abc" UID="urn:veeam:BackupJobSession:'
            '0a0a0a0a-0000-0000-0000-000000000001" /></EntityReferences>'
        ),
    )
    mock.get(f"{API}/tasks/task-1", body=fixture_bytes("task_finished.xml"))
    (session,) = await em.jobs.backup_sessions(BACKUP_JOB_ID)
    assert session.type == "BackupJobSessionReference"
    assert session.id == "0a0a0a0a-0000-0000-0000-000000000001"
    task = await em.tasks.get("task-1")
    assert task.state == "Finished" and task.result is not None and task.result.message == "Ok"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (500, ServerError),
    ],
)
async def test_error_statuses_map_to_classes_with_ems_message(
    em: EnterpriseManager, mock: aioresponses, status: int, cls: type[APIError]
) -> None:
    url = f"{API}/jobs/{BACKUP_JOB_ID}?format=Entity"
    mock.get(url, status=status, body=error_body(status, f"EM says {status}"))
    with pytest.raises(cls) as caught:
        await em.jobs.get(BACKUP_JOB_ID)
    assert type(caught.value) is cls
    assert caught.value.status == status
    assert caught.value.message == f"EM says {status}"
    assert caught.value.url == f"{API}/jobs/{BACKUP_JOB_ID}"
    assert TOKEN not in str(caught.value) and PASSWORD not in str(caught.value)


async def test_error_without_em_body_uses_the_reason_phrase(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.get(f"{API}/jobs", status=404, body="<html>nope</html>")
    with pytest.raises(NotFoundError, match="Not Found"):
        await em.jobs.list()


async def test_truncated_body_raises_response_parse_error(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    body = fixture_bytes("backup_job.xml")
    mock.get(f"{API}/jobs/{BACKUP_JOB_ID}?format=Entity", body=body[: len(body) // 2])
    with pytest.raises(ResponseParseError) as caught:
        await em.jobs.get(BACKUP_JOB_ID)
    assert caught.value.excerpt.startswith("<Job ")


async def test_wrong_document_for_the_call_is_a_parse_error(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.get(f"{API}/jobs/{BACKUP_JOB_ID}?format=Entity", body=fixture_bytes("nas_job.xml"))
    with pytest.raises(ResponseParseError, match="expected <Job>, got <NASJob>"):
        await em.jobs.get(BACKUP_JOB_ID)


async def test_get_is_retried_on_503_honouring_retry_after(mock: aioresponses) -> None:
    clock = FakeClock()
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(f"{API}/jobs", status=503, headers={"Retry-After": "2"}, body=error_body(503, "busy"))
    mock.get(f"{API}/jobs", status=502)
    mock.get(f"{API}/jobs", body=fixture_bytes("job_references.xml"))
    policy = RetryPolicy(retries=3, backoff_base=0.25, jitter=0.0)
    async with EnterpriseManager(BASE, USER, PASSWORD, retry_policy=policy, clock=clock) as em:
        refs = await em.jobs.list()
        assert len(refs) == 2
        assert em.stats.retries == 2
    assert clock.sleeps == [2.0, 0.5]  # Retry-After, then backoff 0.25 * 2**1
    assert len(requests_to(mock, "GET", f"{API}/jobs")) == 3


async def test_get_retries_are_bounded(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/jobs", status=503, repeat=True, body=error_body(503, "still busy"))
    with pytest.raises(ServerError, match="still busy"):
        await em.jobs.list()
    assert len(requests_to(mock, "GET", f"{API}/jobs")) == 1 + NO_WAIT_RETRY.retries


async def test_get_is_retried_after_a_dropped_connection(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    mock.get(f"{API}/tasks/task-1", exception=aiohttp.ServerDisconnectedError())
    mock.get(f"{API}/tasks/task-1", body=fixture_bytes("task_running.xml"))
    task = await em.tasks.get("task-1")
    assert task.state == "Running"


async def test_post_is_not_resent_after_a_dropped_connection(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    url = f"{API}/jobs/{BACKUP_JOB_ID}?action=start"
    mock.post(url, exception=aiohttp.ServerDisconnectedError())
    mock.post(url, status=202, body=fixture_bytes("task_running.xml"))
    with pytest.raises(TransportError, match="ServerDisconnectedError"):
        await em.jobs.start(BACKUP_JOB_ID)
    assert len(requests_to(mock, "POST", url)) == 1


async def test_post_is_not_resent_after_a_timeout(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    url = f"{API}/jobs/{BACKUP_JOB_ID}?action=start"
    mock.post(url, exception=asyncio.TimeoutError())
    with pytest.raises(TransportError, match="timed out") as caught:
        await em.jobs.start(BACKUP_JOB_ID)
    assert caught.value.timed_out is True
    assert len(requests_to(mock, "POST", url)) == 1


async def test_one_relogon_for_fifty_concurrent_requests_that_hit_401(mock: aioresponses) -> None:
    add_logon(mock, token="first-token")
    add_logon(mock, token="second-token")
    mock.delete(LOGOFF_URL, status=204)
    url = f"{API}/tasks/task-1"
    seen_tokens: list[str] = []
    release = asyncio.Event()
    arrived = 0

    async def answer(u: Any, **kwargs: Any) -> CallbackResult:
        nonlocal arrived
        token = kwargs["headers"]["X-RestSvcSessionId"]
        seen_tokens.append(token)
        if token == "first-token":
            arrived += 1
            if arrived == 50:
                release.set()
            await release.wait()  # every request is in flight before any 401 comes back
            return CallbackResult(status=401, body=error_body(401, "session expired"))
        return CallbackResult(status=200, body=fixture_bytes("task_finished.xml"))

    mock.get(url, callback=answer, repeat=True)
    async with EnterpriseManager(BASE, USER, PASSWORD, max_connections=50) as em:
        results = await asyncio.gather(*(em.tasks.get("task-1") for _ in range(50)))
        assert all(r.state == "Finished" for r in results)
        assert em.stats.logons == 2  # the first logon and exactly one re-logon
    logons = [c for (m, u), calls in mock.requests.items() if m == "POST" for c in calls]
    assert len(logons) == 2
    assert seen_tokens.count("first-token") == 50
    assert seen_tokens.count("second-token") == 50


async def test_second_401_after_relogon_raises(mock: aioresponses) -> None:
    add_logon(mock, repeat=True)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(f"{API}/jobs", status=401, repeat=True, body=error_body(401, "no access"))
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        with pytest.raises(AuthenticationError, match="no access"):
            await em.jobs.list()
        assert em.stats.logons == 2


async def test_action_refused_with_401_is_sent_again_after_relogon(mock: aioresponses) -> None:
    add_logon(mock, token="old")
    add_logon(mock, token="new")
    mock.delete(LOGOFF_URL, status=204)
    url = f"{API}/jobs/{BACKUP_JOB_ID}?action=start"
    mock.post(url, status=401, body=error_body(401, "expired"))
    mock.post(url, status=202, body=fixture_bytes("task_running.xml"))
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        task = await em.jobs.start(BACKUP_JOB_ID)
        assert task.id == "task-1"
    tokens = [c.kwargs["headers"]["X-RestSvcSessionId"] for c in requests_to(mock, "POST", url)]
    assert tokens == ["old", "new"]


async def test_never_more_than_max_connections_in_flight(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    in_flight = 0
    peak = 0

    async def answer(u: Any, **kwargs: Any) -> CallbackResult:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return CallbackResult(status=200, body=fixture_bytes("task_running.xml"))

    mock.get(f"{API}/tasks/task-1", callback=answer, repeat=True)
    async with EnterpriseManager(BASE, USER, PASSWORD, max_connections=7) as em:
        results = await asyncio.gather(*(em.tasks.get("task-1") for _ in range(500)))
        assert len(results) == 500
        assert em.stats.max_in_flight == 7
    assert peak == 7


async def test_close_logs_off_once_and_closes_the_session(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    em = EnterpriseManager(BASE, USER, PASSWORD)
    await em.login()
    assert not em.closed
    await em.close()
    await em.close()
    # (an unclosed pool would be reported to the loop and fail the test: conftest)
    assert em.closed
    assert len(requests_to(mock, "DELETE", LOGOFF_URL)) == 1
    assert "closed" in repr(em)


async def test_caller_owned_session_is_not_closed(mock: aioresponses) -> None:
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        async with EnterpriseManager(BASE, USER, PASSWORD, session=session) as em:
            assert em.logon_session is not None
        assert not session.closed
    assert len(requests_to(mock, "DELETE", LOGOFF_URL)) == 1


async def test_repr_logs_and_errors_hold_no_secret(
    mock: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="veeam_em_async")
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    mock.get(f"{API}/jobs", status=500, body=error_body(500, "internal"))
    async with EnterpriseManager(BASE, USER, PASSWORD, retry_policy=NO_WAIT_RETRY) as em:
        text = repr(em)
        with pytest.raises(ServerError) as caught:
            await em.jobs.list()
    for secret in (PASSWORD, TOKEN):
        assert secret not in text
        assert secret not in str(caught.value) and secret not in repr(caught.value)
        assert secret not in caplog.text
    assert "logged on" in text and USER.replace("\\", "\\\\") in text
    assert "GET https://em.test:9398/api/jobs -> 500" in caplog.text
