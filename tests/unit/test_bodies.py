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
from veeam_em_async import EnterpriseManager, ResponseParseError, ResponseTooLargeError
from veeam_em_async.bodies import BodyDecoder
from veeam_em_async.simulator import EMSimulator

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

    async def bombs(request: web.Request) -> web.Response:
        served.append(1)
        return web.Response(
            body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"}
        )

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


async def test_twenty_concurrent_gzip_bombs_cost_at_most_the_limit_each_and_are_not_retried(
    bomb_server: tuple[str, list[int]],
) -> None:
    url, served = bomb_server
    limit = 2 * MiB
    async with EnterpriseManager(url, "u", "p", max_connections=20, max_body_bytes=limit) as em:
        tracemalloc.start()
        try:
            results = await asyncio.gather(
                *(em.jobs.list() for _ in range(20)), return_exceptions=True
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
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
