"""The adaptive limit (AIMD) and the slots it moves: pure."""

from __future__ import annotations

import asyncio

import pytest

from veeam_em_async.transport._adaptive import AIMD
from veeam_em_async.transport._slots import Slots


def test_overload_halves_the_limit_once_a_round_and_good_rounds_add_one() -> None:
    aimd = AIMD(20)
    assert aimd.limit == 20
    assert aimd.observe(503, 0.01) == 10  # the first overload cuts at once
    for _ in range(5):  # the same overload's other answers: no second cut this round
        assert aimd.observe(503, 0.01) == 10
    for _ in range(4):
        aimd.observe(202, 0.01)
    assert aimd.limit == 10  # a round is `limit` answers since the last change: not yet
    assert aimd.observe(429, 0.01) == 5  # a new round's overload: cut again
    for _ in range(5):
        aimd.observe(200, 0.01)
    assert aimd.limit == 6  # one round in time: one more
    assert aimd.observe(None, 30.0) == 6  # a timeout within the round after a change
    for _ in range(6):
        aimd.observe(None, 30.0)
    assert aimd.limit == 3


def test_the_limit_stays_between_one_and_the_maximum_and_slow_answers_are_overload() -> None:
    aimd = AIMD(4)
    for _ in range(100):
        aimd.observe(200, 0.01)
    assert aimd.limit == 4
    for _ in range(50):
        aimd.observe(503, 0.01)
    assert aimd.limit == 1
    slow = AIMD(8)
    slow.observe(200, 0.02)  # the fastest seen
    assert slow.observe(200, 0.2) == 4  # ten times slower: overload
    assert slow.observe(200, 0.04) == 4  # twice as slow is not
    with pytest.raises(ValueError):
        AIMD(0)


async def test_lowering_the_slots_limit_retires_slots_and_raising_it_lets_waiters_in() -> None:
    slots = Slots(4)
    for _ in range(4):
        await slots.acquire()
    assert slots.set_limit(2) == 2
    waiter = asyncio.ensure_future(slots.acquire())
    slots.release()
    slots.release()  # two holders gone: both slots retired, none handed on
    await asyncio.sleep(0)
    assert not waiter.done()
    slots.release()  # one holder left: this slot goes to the waiter
    await asyncio.sleep(0)
    assert waiter.done()
    blocked = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    assert not blocked.done()
    assert slots.set_limit(9) == 4  # at most the size; the waiter gets in at once
    await asyncio.sleep(0)
    assert blocked.done()
