"""The transport's parts, each on its own: the retry loop and the logon session over
plain fakes of the sender, and the aiohttp sender over aioresponses."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
import pytest
from aioresponses import aioresponses

from tests.conftest import API, PASSWORD, TOKEN, USER, error_body, fixture_bytes
from tests.fakes import FakeClock, FakeSender
from veeam_em_async import (
    AuthenticationError,
    ClientClosedError,
    ResponseParseError,
    RetryPolicy,
    TransportError,
)
from veeam_em_async.transport._logon import Logon
from veeam_em_async.transport._retry import send_with_retries
from veeam_em_async.transport._sansio import Response
from veeam_em_async.transport._sender import AiohttpSender

POLICY = RetryPolicy(retries=3, backoff_base=1.0, backoff_factor=2.0, jitter=0.0)


def answer(status: int, body: bytes = b"", **headers: str) -> Response:
    return Response(status=status, headers=headers, body=body, url="u")


class Script:
    """A ``send`` that plays back answers (or raises errors) in order."""

    def __init__(self, *steps: Response | BaseException) -> None:
        self.steps = list(steps)
        self.calls = 0

    async def __call__(self) -> Response:
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if isinstance(step, BaseException):
            raise step
        return step


# -- the retry loop ------------------------------------------------------------------


async def test_a_get_is_retried_with_backoff_until_an_answer_is_final() -> None:
    clock, send = FakeClock(), Script(answer(503), answer(502), answer(200))
    response = await send_with_retries(send, policy=POLICY, clock=clock, idempotent=True)
    assert response.status == 200 and send.calls == 3 and clock.sleeps == [1.0, 2.0]


async def test_an_action_is_sent_once_whatever_the_status() -> None:
    for status in (429, 500, 502, 503, 504):
        clock, send = FakeClock(), Script(answer(status), answer(202))
        response = await send_with_retries(send, policy=POLICY, clock=clock, idempotent=False)
        assert response.status == status and send.calls == 1 and clock.sleeps == []


async def test_retries_stop_at_the_count_and_at_the_time_budget() -> None:
    clock, send = FakeClock(), Script(answer(503))
    response = await send_with_retries(send, policy=POLICY, clock=clock, idempotent=True)
    assert response.status == 503 and send.calls == 4 and clock.sleeps == [1.0, 2.0, 4.0]
    budget = RetryPolicy(retries=100, backoff_base=1.0, jitter=0.0, max_total_delay=10)
    clock, send = FakeClock(), Script(answer(503, **{"Retry-After": "4"}))
    await send_with_retries(send, policy=budget, clock=clock, idempotent=True)
    assert clock.sleeps == [4.0, 4.0, 2.0] and send.calls == 4  # 10 s in all


async def test_a_dropped_get_is_retried_a_timed_out_one_is_not() -> None:
    clock, send = FakeClock(), Script(TransportError("reset"), answer(200))
    assert (
        await send_with_retries(send, policy=POLICY, clock=clock, idempotent=True)
    ).status == 200
    clock, send = FakeClock(), Script(TransportError("slow", timed_out=True), answer(200))
    with pytest.raises(TransportError, match="slow"):
        await send_with_retries(send, policy=POLICY, clock=clock, idempotent=True)
    assert send.calls == 1 and clock.sleeps == []


# -- the logon session over a fake sender ----------------------------------------------


class LogonSender(FakeSender):
    """The Sender protocol over canned logon answers."""

    def __init__(self, *logon_answers: Response) -> None:
        super().__init__()
        self.answers = list(logon_answers)

    async def answer(self, method: str, url: str, headers: Mapping[str, str]) -> Response:
        await asyncio.sleep(0)
        if method == "DELETE":
            return answer(204)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def logged_on(token: str = TOKEN) -> Response:
    return answer(201, fixture_bytes("logon_session.xml"), **{"X-RestSvcSessionId": token})


def make_logon(sender: LogonSender, clock: FakeClock) -> Logon:
    return Logon(sender, API, USER, PASSWORD, api_version="latest", policy=POLICY, clock=clock)


async def test_logon_generations_make_fifty_401s_one_relogon() -> None:
    sender, clock = LogonSender(logged_on("one"), logged_on("two")), FakeClock()
    logon = make_logon(sender, clock)
    await logon.login()
    assert (logon.token, logon.generation) == ("one", 1)
    await asyncio.gather(*(logon.relogon(1) for _ in range(50)))
    assert (logon.token, logon.generation) == ("two", 2)
    assert [m for m, _, _ in sender.sent] == ["POST", "POST"]
    assert sender.sent[0][1] == f"{API}/sessionMngr/" and "Authorization" in sender.sent[0][2]


async def test_logon_refusals_are_shared_and_paused() -> None:
    refused = answer(401, error_body(401, "Authentication failed").encode())
    sender, clock = LogonSender(logged_on(), refused), FakeClock()
    logon = make_logon(sender, clock)
    await logon.login()
    results = await asyncio.gather(*(logon.relogon(1) for _ in range(20)), return_exceptions=True)
    assert (
        all(isinstance(r, AuthenticationError) for r in results)
        and len({id(r) for r in results}) == 1
    )
    with pytest.raises(AuthenticationError):
        await logon.login()
    assert len(sender.sent) == 2  # the first logon and one refused re-logon
    clock.advance(POLICY.logon_retry_interval)
    with pytest.raises(AuthenticationError):
        await logon.login()
    assert len(sender.sent) == 3


async def test_a_logon_answer_without_a_token_or_with_a_forged_id_is_refused() -> None:
    clock = FakeClock()
    with pytest.raises(ResponseParseError, match="X-RestSvcSessionId"):
        await make_logon(
            LogonSender(answer(201, fixture_bytes("logon_session.xml"))), clock
        ).login()
    forged = fixture_bytes("logon_session.xml").replace(b"15a3fc97", b"../../a")
    with pytest.raises(ResponseParseError, match="SessionId"):
        await make_logon(
            LogonSender(answer(201, forged, **{"X-RestSvcSessionId": "t"})), clock
        ).login()


async def test_logoff_is_privileged_and_after_close_nothing_logs_on() -> None:
    sender, clock = LogonSender(logged_on()), FakeClock()
    logon = make_logon(sender, clock)
    await logon.login()
    logon.close()
    await logon.logout()
    assert sender.sent[-1][0] == "DELETE" and sender.sent[-1][2]["X-RestSvcSessionId"] == TOKEN
    with pytest.raises(ClientClosedError):
        await logon.relogon(logon.generation)
    assert logon.token is None and len(sender.sent) == 2


# -- the aiohttp sender --------------------------------------------------------------------


async def test_the_sender_returns_every_status_and_maps_only_transport_failures(
    mock: aioresponses,
) -> None:
    mock.get(f"{API}/jobs", status=500, body=error_body(500, "boom"))
    mock.get(f"{API}/tasks", exception=aiohttp.ServerDisconnectedError())
    sender = AiohttpSender(max_connections=2)
    try:
        response = await sender.send("GET", f"{API}/jobs")
        assert response.status == 500 and b"boom" in response.body  # not raised: not its job
        with pytest.raises(TransportError, match="ServerDisconnectedError"):
            await sender.send("GET", f"{API}/tasks")
        assert sender.stats.requests["GET"] == 2 and sender.stats.max_in_flight == 1
    finally:
        await sender.aclose()
    with pytest.raises(ClientClosedError):
        await sender.send("GET", f"{API}/jobs")


async def test_the_sender_refuses_bad_settings() -> None:
    for kwargs in ({"max_connections": 0}, {"timeout": 0}, {"max_body_bytes": 0}):
        with pytest.raises(ValueError):
            AiohttpSender(**kwargs)  # type: ignore[arg-type]


async def test_the_sender_surfaces_a_5xx_for_the_retry_loop_to_judge(mock: aioresponses) -> None:
    mock.get(f"{API}/jobs", status=503, body=error_body(503, "busy"), repeat=True)
    sender = AiohttpSender()
    clock = FakeClock()
    try:
        response = await send_with_retries(
            lambda: sender.send("GET", f"{API}/jobs"), policy=POLICY, clock=clock, idempotent=True
        )
    finally:
        await sender.aclose()
    # 1 + 3 retries; the 503 comes back as an answer (the transport maps it to ServerError)
    assert response.status == 503 and sender.stats.requests["GET"] == 4
