"""The exporter's listener, on aiohttp's server (the core has aiohttp already):
``/metrics`` (``?target=NAME`` for one EM), ``/-/healthy`` and a small index page.

Nothing it serves carries a secret: the metrics hold EM's names and numbers, the
index the EMs' names, addresses and health. Basic auth, when configured, guards
``/metrics`` and the index; ``/-/healthy`` says only "OK", for a load balancer.
"""

from __future__ import annotations

import hmac
import html
import ssl
from typing import Any

import aiohttp
import attrs
from aiohttp import web

from .collector import Exporter, UnknownTargetError

__all__ = ["BasicAuth", "make_app", "serve", "tls_context"]


@attrs.frozen(repr=False)
class BasicAuth:
    """The one user and password ``/metrics`` asks for (compared in constant time)."""

    user: str
    password: str

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        try:  # aiohttp's parser of the header (scheme, base64, "user:password")
            given = aiohttp.BasicAuth.decode(header, encoding="utf-8")
        except ValueError:  # UnicodeDecodeError included
            return False
        same_user = hmac.compare_digest(given.login.encode(), self.user.encode())
        same_password = hmac.compare_digest(given.password.encode(), self.password.encode())
        return same_user and same_password

    def __repr__(self) -> str:
        return f"BasicAuth(user={self.user!r}, password=<hidden>)"


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context for ``--tls-cert``/``--tls-key`` (TLS 1.2 at least)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


def _index(exporter: Exporter) -> str:
    rows = []
    for name, c in exporter.collectors.items():
        state = "up" if c.up else ("collecting" if c.collections == 0 else "down")
        rows.append(
            f"<tr><td><a href='metrics?target={html.escape(name)}'>{html.escape(name)}</a></td>"
            f"<td>{html.escape(c.em.url)}</td><td>{state}</td><td>{c.collections}</td>"
            f"<td>{c.errors}</td><td>{html.escape(c.last_error or '')}</td></tr>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>veeam-em exporter</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em .8em;"
        "text-align:left}</style></head><body><h1>veeam-em exporter</h1>"
        "<p><a href='metrics'>/metrics</a>: every EM &middot; <a href='-/healthy'>"
        "/-/healthy</a></p><table><tr><th>EM</th><th>URL</th><th>State</th>"
        "<th>Collections</th><th>Errors</th><th>Last error</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


def make_app(exporter: Exporter, *, auth: BasicAuth | None = None) -> web.Application:
    """The aiohttp application; `serve` runs it, a test can run it on its own."""

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if auth is not None and request.path != "/-/healthy":
            if not auth.allows(request.headers.get("Authorization")):
                return web.Response(
                    status=401, text="authentication required\n",
                    headers={"WWW-Authenticate": 'Basic realm="veeam-em exporter"'},
                )  # fmt: skip
        response: web.StreamResponse = await handler(request)
        return response

    async def metrics(request: web.Request) -> web.Response:
        target = request.query.get("target")
        try:
            body, content_type = await exporter.page(target, request.headers.get("Accept"))
        except UnknownTargetError:
            return web.Response(status=404, text=f"no EM called {target!r} here\n")
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def healthy(request: web.Request) -> web.Response:
        return web.Response(text="OK\n")

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=_index(exporter), content_type="text/html")

    app = web.Application(middlewares=[guard])
    app.router.add_get("/", index)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/-/healthy", healthy)
    return app


async def serve(
    exporter: Exporter,
    host: str = "127.0.0.1",
    port: int = 9247,
    *,
    auth: BasicAuth | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> web.AppRunner:
    """Start the collectors and listen; returns the runner (``await runner.cleanup()``
    stops listening; ``await exporter.stop()`` stops collecting)."""
    runner = web.AppRunner(make_app(exporter, auth=auth), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    exporter.start()
    return runner
