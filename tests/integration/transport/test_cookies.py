"""Against a real HTTP server: EM's session cookie is never sent back.

EM prefers a cookie token over the header, so a kept cookie could carry a
stale token, or another user's in a shared session. aioresponses bypasses the
cookie jar, hence a real server here.
"""

from __future__ import annotations

from aiohttp import web

from tests.conftest import PASSWORD, USER, fixture_bytes
from veeam_em_async import EnterpriseManager


async def test_session_cookie_is_not_kept_or_sent() -> None:
    seen_cookies: list[dict[str, str]] = []
    seen_tokens: list[str | None] = []

    async def logon(request: web.Request) -> web.Response:
        response = web.Response(
            status=201,
            body=fixture_bytes("logon_session.xml"),
            headers={"X-RestSvcSessionId": "header-token"},
            content_type="application/xml",
        )
        response.set_cookie("X-RestSvcSessionId", "cookie-token", path="/api")
        return response

    async def jobs(request: web.Request) -> web.Response:
        seen_cookies.append(dict(request.cookies))
        seen_tokens.append(request.headers.get("X-RestSvcSessionId"))
        return web.Response(
            body=fixture_bytes("job_references.xml"), content_type="application/xml"
        )

    async def logoff(request: web.Request) -> web.Response:
        seen_cookies.append(dict(request.cookies))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/api/sessionMngr/", logon)
    app.router.add_get("/api/jobs", jobs)
    app.router.add_delete("/api/logonSessions/{id}", logoff)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with EnterpriseManager(f"http://127.0.0.1:{port}", USER, PASSWORD) as em:
            assert len(await em.jobs.list()) == 2
            assert len(await em.jobs.list()) == 2
    finally:
        await runner.cleanup()
    assert seen_tokens == ["header-token", "header-token"]
    assert seen_cookies == [{}, {}, {}]
