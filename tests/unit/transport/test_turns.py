"""The client's share of a loop turn (`transport._turns`): counted in turns of a real
event loop, with a time source that advances by a fixed step per reading, so
nothing here depends on the machine's speed."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from tests.conftest import API, PASSWORD, TOKEN, USER, fixture_bytes
from tests.fakes import FakeSender
from veeam_em_async.transport import Transport
from veeam_em_async.transport._sansio import Response
from veeam_em_async.transport._turns import MIN_PER_TURN, TurnBudget, for_loop

T = TypeVar("T")


class Work:
    """The budget's time source: it moves only when an answer "works" (``cost``
    seconds each), so every answer costs the same whatever the machine."""

    def __init__(self, cost: float) -> None:
        self.cost, self.t = cost, 0.0

    def __call__(self) -> float:
        return self.t

    def done(self) -> None:
        self.t += self.cost


class Turns:
    """Counts the loop's turns: a callback that schedules itself once per turn."""

    def __init__(self) -> None:
        self.count = 0
        self._handle = asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        self._handle = asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def burst(
    budget: TurnBudget, n: int, work: Work | None = None
) -> tuple[list[int], Counter[int], int]:
    """``n`` answers arriving in one turn: the order they went on in, how many went on
    in each turn, and how many turns that took."""
    turns = Turns()
    order: list[int] = []
    per_turn: Counter[int] = Counter()

    async def answer(i: int) -> None:
        await budget.wait()
        order.append(i)
        per_turn[turns.count] += 1
        if work is not None:
            work.done()

    await asyncio.gather(*(answer(i) for i in range(n)))
    turns.stop()
    return order, per_turn, len(per_turn)


async def test_a_burst_goes_on_a_budget_a_turn_in_the_order_it_arrived() -> None:
    # About 1 ms an answer, ten of them a turn's budget (in powers of two, so that
    # the sums are exact): 200 answers arriving at once go on ten a turn, first come
    # first served; before, all 200 went on in one turn (checked with the budget's
    # wait made a no-op).
    work = Work(1 / 1024)
    budget = TurnBudget(10 / 1024, now=work)
    order, per_turn, turns = await burst(budget, 200, work)
    assert order == list(range(200))
    assert set(per_turn.values()) == {10}
    assert turns == 20
    assert budget.deferred > 150


async def test_answers_that_fit_the_budget_never_wait() -> None:
    # No time passes (the answers are cheap): a thousand go on in their own turn,
    # none is deferred: a client not under a burst only reads the clock.
    budget = TurnBudget(0.01, now=lambda: 0.0)
    order, _, turns = await burst(budget, 1000)
    assert (turns, budget.deferred, order) == (1, 0, list(range(1000)))


async def test_an_infinite_budget_turns_it_off() -> None:
    work = Work(1 / 1024)
    budget = for_loop()
    budget.seconds = math.inf  # what README tells a batch script that wants no turns
    budget._now = work  # the loop's own budget, with the test's time
    order, _, turns = await burst(budget, 200, work)
    assert (turns, budget.deferred, order) == (1, 0, list(range(200)))


async def test_a_turn_slow_for_another_reason_defers_nothing_below_the_minimum() -> None:
    # Each answer 50 ms (the collector ran, the OS took the core): the first
    # MIN_PER_TURN answers still go on in the turn they arrived in.
    work = Work(0.05)
    budget = TurnBudget(0.01, now=work)
    _, per_turn, _ = await burst(budget, MIN_PER_TURN, work)
    assert list(per_turn.values()) == [MIN_PER_TURN]
    assert budget.deferred == 0


def answering(budget: TurnBudget, work: Work, log: list[T]) -> Callable[[T], Awaitable[None]]:
    """An answer that waits its turn, is logged, and costs ``work``'s step."""

    async def answer(name: T) -> None:
        await budget.wait()
        log.append(name)
        work.done()

    return answer


async def test_late_arrivals_queue_behind_the_waiting_ones() -> None:
    work = Work(1 / 1024)
    budget = TurnBudget(10 / 1024, now=work)
    order: list[str] = []
    answer = answering(budget, work, order)
    first = [asyncio.ensure_future(answer(f"a{i}")) for i in range(60)]
    await asyncio.sleep(0)  # the first turn: ten went on, the rest wait
    assert len(order) == 10
    late = [asyncio.ensure_future(answer(f"b{i}")) for i in range(10)]
    await asyncio.gather(*first, *late)
    assert order == [f"a{i}" for i in range(60)] + [f"b{i}" for i in range(10)]


class CancelAfterLettingIn(TurnBudget):
    """Cancels ``victims`` the moment the first batch was let in: some of them let in
    and not yet resumed, the others still in the queue."""

    __slots__ = ("victims",)

    def _end(self) -> None:
        super()._end()
        for task in getattr(self, "victims", []):
            task.cancel()
        self.victims: list[asyncio.Future[None]] = []


async def test_cancelled_waiters_hold_no_place_and_leave_no_count() -> None:
    work = Work(1 / 1024)
    budget = CancelAfterLettingIn(10 / 1024, now=work)
    done: list[int] = []
    answer = answering(budget, work, done)
    tasks = [asyncio.ensure_future(answer(i)) for i in range(100)]
    budget.victims = tasks[5:80]  # 0-9 go on in the first turn, 10-19 are let in next
    await asyncio.gather(*tasks, return_exceptions=True)
    assert done == [*range(10), *range(80, 100)]
    assert sum(task.cancelled() for task in tasks) == 70
    # Nothing is left counted as waiting or let in: the next turn's answer goes on at once.
    await asyncio.sleep(0)
    before = budget.deferred
    await budget.wait()
    assert budget.deferred == before


class Answers(FakeSender):
    async def answer(self, method: str, url: str, headers: object) -> Response:
        if url.endswith("sessionMngr/"):
            body = fixture_bytes("logon_session.xml")
            return Response(201, {"X-RestSvcSessionId": TOKEN}, body, url)
        return Response(200, {}, b"<Ok/>", url)


async def gets_per_turn(
    transports: list[Transport], n: int, work: Work
) -> tuple[list[bytes], Counter[int]]:
    """``n`` GETs through each transport at once: the bodies, and how many answers
    went on in each turn of the loop (each costing ``work``'s step, its parse)."""
    for transport in transports:
        await transport.login()
    turns = Turns()
    per_turn: Counter[int] = Counter()

    async def get(transport: Transport, i: int) -> bytes:
        response = await transport.request("GET", f"jobs/{i}")
        per_turn[turns.count] += 1
        work.done()
        return bytes(response.body)

    bodies = await asyncio.gather(*(get(t, i) for i in range(n) for t in transports))
    turns.stop()
    return bodies, per_turn


async def test_the_transport_sends_and_continues_a_burst_over_turns_each_once() -> None:
    sender = Answers()
    transport = Transport(API, USER, PASSWORD, sender)
    work = Work(1 / 1024)
    transport.turns = TurnBudget(10 / 1024, now=work)
    bodies, per_turn = await gets_per_turn([transport], 100, work)
    assert bodies == [b"<Ok/>"] * 100
    gets = [url for method, url, _ in sender.sent if method == "GET"]
    assert sorted(gets) == sorted(f"{API}/jobs/{i}" for i in range(100))  # each sent once
    assert max(per_turn.values()) <= 10
    assert len(per_turn) >= 10
    assert transport.turns.deferred > 0


async def test_every_client_of_a_loop_shares_one_budget() -> None:
    # Two transports left to the loop's budget: 50 answers each, ten a turn in all
    # (a budget each would let twenty through).
    work = Work(1 / 1024)
    budget = for_loop()
    assert for_loop() is budget and for_loop(asyncio.get_running_loop()) is budget
    budget.seconds, budget._now = 10 / 1024, work
    transports = [Transport(API, USER, PASSWORD, Answers()) for _ in range(2)]
    _, per_turn = await gets_per_turn(transports, 50, work)
    assert sum(per_turn.values()) == 100 and max(per_turn.values()) <= 10
    assert budget.deferred > 0
    with pytest.raises(ValueError, match="positive"):
        TurnBudget(0)
