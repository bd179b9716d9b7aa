"""Response bodies: a hard bound on memory, decompressed or not (issue 9, item 5)."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from tests.conftest import fixture_bytes
from veeam_em_async import (
    BodyBudget,
    BodyBudgetExceededError,
    EnterpriseManager,
    ResponseParseError,
    ResponseTooLargeError,
)
from veeam_em_async.simulator import EMSimulator
from veeam_em_async.transport._bodies import MAX_TOTAL_BODY_BYTES, BodyDecoder

MiB = 1024 * 1024


def gzip_bomb(decompressed: int) -> bytes:
    """``decompressed`` zero bytes, gzip-compressed (about 1/1000 of the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MiB)
    parts = [packer.compress(block) for _ in range(decompressed // MiB)]
    parts.append(packer.flush())
    return b"".join(parts)


def feed_in_chunks(decoder: BodyDecoder, data: bytes, size: int = 65536) -> None:
    for start in range(0, len(data), size):
        decoder.feed(data[start : start + size])


def test_identity_gzip_and_both_deflates_decode_to_the_same_body() -> None:
    body = fixture_bytes("backup_job.xml")
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    encoded = {
        None: body,
        "gzip": gzip.compress(body),
        "deflate": zlib.compress(body),
        " Deflate ": raw_deflate.compress(body) + raw_deflate.flush(),
    }
    for encoding, data in encoded.items():
        decoder = BodyDecoder(encoding, limit=len(body))
        feed_in_chunks(decoder, data, 100)
        assert bytes(decoder.finish()) == body, encoding


def test_a_gzip_bomb_stops_at_the_limit_without_inflating_further() -> None:
    bomb = gzip_bomb(256 * MiB)
    decoder = BodyDecoder("gzip", limit=1 * MiB)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError):
            feed_in_chunks(decoder, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(decoder.body) <= 1 * MiB
    assert peak < 4 * MiB  # 256 MiB would have been inflated without the bound


def test_a_plain_body_over_the_limit_and_corrupt_gzip_are_typed_errors() -> None:
    decoder = BodyDecoder(None, limit=10)
    with pytest.raises(ResponseTooLargeError, match="limit of 10 bytes"):
        decoder.feed(b"x" * 11)
    corrupt = BodyDecoder("gzip", limit=MiB)
    with pytest.raises(ResponseParseError, match="corrupt compressed body"):
        corrupt.feed(b"\x1f\x8b\x08\x00garbage-garbage-garbage")
    truncated = BodyDecoder("gzip", limit=MiB)
    truncated.feed(gzip.compress(fixture_bytes("backup_job.xml"))[:200])
    with pytest.raises(ResponseParseError, match="ends early"):
        truncated.finish()


@pytest.fixture
async def bomb_server() -> AsyncIterator[tuple[str, list[int]]]:
    """A loopback server whose every answer is a 64 MiB gzip bomb (64 KiB on the wire)."""
    bomb = gzip_bomb(64 * MiB)
    served: list[int] = []

    async def logon(request: web.Request) -> web.Response:
        body = fixture_bytes("logon_session.xml")
        return web.Response(status=201, body=body, headers={"X-RestSvcSessionId": "tok-12345"})

    async def bombs(request: web.Request) -> web.StreamResponse:
        # Streamed in small pieces, as over a real network: the twenty bodies grow
        # side by side instead of one after the other.
        served.append(1)
        response = web.StreamResponse(
            headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"}
        )
        await response.prepare(request)
        try:
            for start in range(0, len(bomb), 2048):
                await response.write(bomb[start : start + 2048])
                await asyncio.sleep(0)
            await response.write_eof()
        except (ConnectionResetError, RuntimeError):
            pass  # the client stopped reading at its bound
        return response

    async def logoff(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/api/sessionMngr/", logon)
    app.router.add_get("/api/jobs", bombs)
    app.router.add_delete("/api/logonSessions/{id}", logoff)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", served
    await runner.cleanup()


async def twenty_lists(em: EnterpriseManager) -> tuple[list[object], int]:
    """Twenty concurrent ``GET /jobs`` (each a bomb): what each raised, and the peak
    of Python's allocations meanwhile."""
    tracemalloc.start()
    try:
        results = await asyncio.gather(*(em.jobs.list() for _ in range(20)), return_exceptions=True)
        return list(results), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_twenty_concurrent_gzip_bombs_cost_at_most_the_limit_each_and_are_not_retried(
    bomb_server: tuple[str, list[int]],
) -> None:
    url, served = bomb_server
    limit = 2 * MiB
    async with EnterpriseManager(url, "u", "p", max_connections=20, max_body_bytes=limit) as em:
        results, peak = await twenty_lists(em)
    assert all(isinstance(r, ResponseTooLargeError) for r in results), results[:2]
    assert len(served) == 20  # each read once: a body over the limit is not retried
    # 20 x 64 MiB = 1.25 GiB inflated without the bound; with it, about 20 x the limit.
    assert peak < 20 * (limit + MiB)


async def test_the_simulator_answers_pass_through_the_bounded_reader() -> None:
    async with EMSimulator(jobs=20) as sim:
        async with EnterpriseManager(
            sim.url, sim.username, sim.password, max_body_bytes=4000
        ) as em:
            assert len(await em.nas_jobs.list()) == 5  # about 3,400 bytes
            with pytest.raises(ResponseTooLargeError):
                await em.jobs.list()  # twenty references: about 12,600 bytes
        assert sim.counters.requests["GET /api/jobs"] == 1


async def test_twenty_concurrent_bombs_with_the_defaults_cost_one_shared_budget(
    bomb_server: tuple[str, list[int]],
) -> None:
    # Issue 22: with only the per-body bound, 20 bombs grew the process by 676 MB
    # (32 MiB each); the client's one BodyBudget bounds the bodies read at once.
    url, served = bomb_server
    async with EnterpriseManager(url, "u", "p") as em:  # every bound at its default
        budget = em._transport.sender.body_budget  # type: ignore[attr-defined]
        results, peak = await twenty_lists(em)
    assert all(isinstance(r, ResponseTooLargeError) for r in results), results[:2]
    assert any(isinstance(r, BodyBudgetExceededError) for r in results)
    assert len(served) == 20 and budget.held == 0
    assert budget.peak <= MAX_TOTAL_BODY_BYTES
    assert peak < MAX_TOTAL_BODY_BYTES + 20 * MiB < 400 * 1000 * 1000


async def test_clients_that_share_a_budget_are_bounded_together(
    bomb_server: tuple[str, list[int]],
) -> None:
    url, served = bomb_server
    shared = BodyBudget(limit=8 * MiB)
    clients = [
        EnterpriseManager(url, "u", "p", max_body_bytes=6 * MiB, body_budget=shared)
        for _ in range(2)
    ]
    for em in clients:
        await em.login()
    try:
        results = await asyncio.gather(
            *(em.jobs.list() for em in clients for _ in range(5)), return_exceptions=True
        )
    finally:
        for em in clients:
            await em.close()
    assert len(served) == 10 and all(isinstance(r, ResponseTooLargeError) for r in results)
    assert shared.peak <= 8 * MiB < 2 * 6 * MiB and shared.held == 0
