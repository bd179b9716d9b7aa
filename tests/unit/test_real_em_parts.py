"""What a real EM does that our simulator did not model (issue 22), on the pure parts
and over plain fakes of the sender: the lost-task answer, ``<Resources>`` query
results, the contract's names, the shared body budget and the shielded re-logon."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from tests.conftest import API, PASSWORD, USER, error_body, fixture_bytes
from tests.fakes import FakeClock, FakeSender
from veeam_em_async import (
    AgentBackupJob,
    AgentJob,
    BodyBudget,
    BodyBudgetExceededError,
    NotFoundError,
    RetryPolicy,
    ServerError,
    TaskInfo,
    TaskLostError,
)
from veeam_em_async.models.query import parse_query_page
from veeam_em_async.transport import Transport
from veeam_em_async.transport._bodies import BodyDecoder
from veeam_em_async.transport._error_map import api_error
from veeam_em_async.transport._sansio import TOKEN_HEADER, Response

LOST = "There is no backup task with id [task-297] in current rest session"
URL = f"{API}/tasks/task-297"


# -- 1. a task belongs to its logon session ---------------------------------------------


def test_the_lost_task_answer_is_a_typed_not_found_that_says_what_to_do() -> None:
    error = api_error(500, error_body(500, LOST).encode(), URL)
    assert isinstance(error, TaskLostError) and isinstance(error, NotFoundError)
    assert error.task_id == "task-297" and error.status == 500 and error.url == URL
    text = str(error)
    assert "logon session" in text  # EM dropped it with its logon session
    assert "sent once" in text  # the action is not sent again
    assert "job's sessions" in text  # where to look for the outcome
    assert LOST in text  # EM's own words stay


def test_other_server_errors_stay_server_errors() -> None:
    other = api_error(500, error_body(500, "Object reference not set").encode(), URL)
    assert type(other) is ServerError
    # The same words with another status are not EM's lost-task answer.
    assert type(api_error(400, error_body(400, LOST).encode(), URL)).__name__ == "BadRequestError"


# -- 2. <QueryResult> holds <Resources> for non-key resources ----------------------------


def test_a_query_page_of_resources_gives_task_models() -> None:
    page = parse_query_page(fixture_bytes("query_tasks_resources.xml"), TaskInfo)
    assert [t.id for t in page.items] == ["task-29", "task-30"]
    first, second = page.items
    assert (first.operation, first.state) == ("StartRebuildScope", "Finished")
    assert first.result is not None and first.result.success and first.result.message is None
    assert second.result is not None
    assert second.result.message == 'Job "SQL Server Replication" triggered to start.'
    assert second.href == "https://localhost:9398/api/tasks/task-30"
    assert page.paging is None and page.next_page is None


# -- 5. the contract's names ------------------------------------------------------------


def test_every_returned_type_is_importable_and_all_is_sorted() -> None:
    import veeam_em_async as package

    assert AgentJob is AgentBackupJob
    for name in (
        "Query", "SessionFeed", "JobSession", "TransportStats", "ApiRoot", "SupportedVersion",
        "TaskLostError", "BodyBudget", "JobRun", "Task", "ActionOutcome", "RunOutcome",
    ):  # fmt: skip
        assert name in package.__all__ and hasattr(package, name), name

    # Sorted as ruff's RUF022 sorts (constants, classes, then the rest), which CI checks too.
    def order(name: str) -> tuple[int, str]:
        if len(name) > 1 and name == name.upper():
            return 0, name
        return (1 if name[0].isupper() else 2), name

    assert package.__all__ == sorted(package.__all__, key=order)


# -- 7. one bound on the bodies being read, shared --------------------------------------


def test_a_shared_budget_bounds_bodies_across_decoders_and_gives_bytes_back() -> None:
    budget = BodyBudget(limit=1000)
    first = BodyDecoder(None, limit=800, url="u1", budget=budget)
    second = BodyDecoder(None, limit=800, url="u2", budget=budget)
    first.feed(b"a" * 600)
    second.feed(b"b" * 300)
    assert budget.held == 900
    with pytest.raises(BodyBudgetExceededError, match="900 of the shared 1000") as caught:
        second.feed(b"b" * 200)  # within its own 800, past the shared 1000
    assert caught.value.url == "u2" and caught.value.limit == 1000
    second.release()  # what the sender does when a read ends, whatever the outcome
    assert budget.held == 600
    first.feed(b"a" * 200)
    assert bytes(first.finish()) == b"a" * 800
    first.release()
    assert budget.held == 0 and budget.peak == 900


# -- 9. a cancelled caller must not poison the re-logon ----------------------------------


class SlowLogonSender(FakeSender):
    """A fake EM: ``GET`` answers 401 to any token but the newest; the logon hands
    out a new token after waiting for ``gate`` (EM slow to answer the logon)."""

    max_connections = 20

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.logon_started = asyncio.Event()
        self.logons = 0
        self.token = "token-0"

    async def answer(self, method: str, url: str, headers: Mapping[str, str]) -> Response:
        if method == "POST" and url.endswith("/sessionMngr/"):
            self.logons += 1
            if self.logons > 1:  # the re-logon is slow
                self.logon_started.set()
                await self.gate.wait()
            self.token = f"token-{self.logons}"
            body = fixture_bytes("logon_session.xml")
            return Response(201, {TOKEN_HEADER: self.token}, body, url)
        if method == "DELETE":
            return Response(204, {}, b"", url)
        await asyncio.sleep(0)
        ok = headers.get(TOKEN_HEADER) == self.token
        return Response(200 if ok else 401, {}, b"", url)


async def test_a_cancelled_caller_leaves_the_relogon_to_finish_for_the_others() -> None:
    sender, clock = SlowLogonSender(), FakeClock()
    transport = Transport(
        "https://em.test:9398", USER, PASSWORD, sender, retry_policy=RetryPolicy(), clock=clock
    )
    await transport.login()
    sender.token = "token-expired"  # EM dropped the session: every request gets 401
    first = asyncio.ensure_future(transport.request("GET", "jobs"))
    await sender.logon_started.wait()  # the first request holds the re-logon now
    others = [asyncio.ensure_future(transport.request("GET", "jobs")) for _ in range(10)]
    await asyncio.sleep(0)
    first.cancel()  # a bot's command timed out while EM was slow to answer the logon
    with pytest.raises(asyncio.CancelledError):
        await first
    sender.gate.set()
    answers = await asyncio.gather(*others)
    assert [a.status for a in answers] == [200] * 10  # the password was right all along
    assert sender.logons == 2  # the first logon, and exactly one re-logon
    assert transport.logon.generation == 2
    # A cancelled wait is not a refusal: no throttle, and a later re-logon is allowed.
    assert transport.logon._failure is None
    assert (await transport.request("GET", "jobs")).status == 200
    await transport.close()


async def test_closing_during_a_relogon_stops_it_and_tells_the_waiters() -> None:
    sender, clock = SlowLogonSender(), FakeClock()
    transport = Transport("https://em.test:9398", USER, PASSWORD, sender, clock=clock)
    await transport.login()
    sender.token = "token-expired"
    waiting = asyncio.ensure_future(transport.request("GET", "jobs"))
    await sender.logon_started.wait()
    await transport.close()
    with pytest.raises(Exception, match="closed") as caught:
        await waiting
    assert type(caught.value).__name__ == "ClientClosedError"
    assert sender.logons == 2 and not sender.gate.is_set()
