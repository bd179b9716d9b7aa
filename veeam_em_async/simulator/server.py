"""The simulator's HTTP face: an aiohttp.web app that answers like EM does."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
from aiohttp import web, web_app

from .config import SimConfig
from .faults import Counters, Faults
from .responses import SESSION, TOKEN
from .responses import error as _error
from .routes import Handler, all_routes
from .state import EMState


class EMSimulator:
    """An embedded Enterprise Manager for demos, tests and benchmarks.

    ``async with EMSimulator(jobs=50, nas_jobs=5, task_seconds=1.0) as sim:``
    serves on ``sim.url`` (127.0.0.1, a free port unless ``port`` is given).
    Every setting is a field of `SimConfig`, given as a keyword or as a whole
    config (``EMSimulator(config, jobs=10)``); ``clock=`` is the simulator's time.
    Log on with ``sim.username``/``sim.password``. ``sim.faults`` injects
    latency, 503s and dropped connections; ``sim.counters`` records requests
    by route, the peak in flight and logons; ``sim.state`` holds jobs,
    sessions and tasks; ``job_types`` (e.g. ``["Backup"]``) replaces the default
    mix of 7 backup, 1 replica and 2 backup copy jobs in 10; ``history_tasks``
    gives every new logon session that many finished tasks, as a session logged
    on for days has.

    Runs: a start, retry or sync creates a job session lasting
    ``session_seconds``; ``failure_rate`` and ``warning_rate`` are the shares
    of runs that end Failed or Warning (``state.scripted[job_id]`` lists the
    results of a job's next runs instead), and a Failed run is retried per
    the job's RetryOptions (3 times, 10 minutes apart, on the simulator's
    clock). ``start_failure_rate`` is the share of start tasks that fail
    instead. Tasks belong to the logon session that created them, as on a real
    EM: another session's ``GET /tasks/{id}`` gets EM's HTTP 500 "There is no
    backup task with id [task-N] in current rest session" (``session_tasks=False``
    serves every task to every session, as older builds of this simulator did).
    ``session_links=False`` leaves out the start task's Related link
    to its session, as older EM builds do; ``list_delay`` lists a new run that
    many seconds after its start task ended; ``history_sessions`` gives every
    job that many finished runs, one a day, the newest a day before now. ``https=True``
    serves TLS with a self-signed certificate made at start (``sim.ca_file``
    is the PEM clients trust).
    """

    def __init__(
        self, config: SimConfig | None = None, /, *, faults: Faults | None = None, **settings: Any
    ) -> None:
        #: The settings it was made with (``config`` with ``settings`` on top).
        self.config = attrs.evolve(config or SimConfig(), **settings)
        self.api_versions = self.config.api_versions
        self.state = EMState(self.config)
        self.username = self.config.username
        self.password = self.config.password
        self.host = self.config.host
        self.port = self.config.port
        self.https = self.config.https
        self.faults = faults or Faults()
        self.counters = Counters()
        self.ca_file: str | None = None
        self._runner: web.AppRunner | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._rng = self.state.rng

    def __repr__(self) -> str:
        return (
            f"<EMSimulator {self.url if self._runner else 'stopped'} jobs={len(self.state.jobs)}>"
        )

    @property
    def url(self) -> str:
        scheme = "https" if self.https else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> EMSimulator:
        app = self.make_app()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        ssl_context = self._server_ssl() if self.https else None
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=ssl_context)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            # aiohttp caches each handler's middleware chain in a module-level LRU
            # (web_app._cached_build_middleware, 1024 entries); our handlers and
            # middlewares are bound to this simulator, so the cache would keep every
            # stopped simulator, and its whole state, alive (a test run held 50,000
            # objects of one 10,000-run simulator until the end).
            cache = getattr(web_app, "_cached_build_middleware", None)
            if cache is not None and hasattr(cache, "cache_clear"):
                cache.cache_clear()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    async def __aenter__(self) -> EMSimulator:
        return await self.start()

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this simulator's certificate (HTTPS only)."""
        if self.ca_file is None:
            raise RuntimeError("the simulator is not serving HTTPS")
        return ssl.create_default_context(cafile=self.ca_file)

    def _server_ssl(self) -> ssl.SSLContext:
        self._tmpdir = tempfile.TemporaryDirectory(prefix="veeam-em-sim-")
        cert, key, ca = _self_signed(Path(self._tmpdir.name), self.host)
        self.ca_file = str(ca)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context

    # -- the app -------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._count, self._inject_faults, self._auth])
        for method, path, handler in all_routes(self):
            app.router.add_route(method, path, handler)
        return app

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_sim/"):
            return await handler(request)
        route = request.match_info.route.resource
        name = route.canonical if route is not None else request.path
        self.counters.requests[f"{request.method} {name}"] += 1
        self.state.advance()  # EM's automatic retries, on the simulator's clock
        self.counters.in_flight += 1
        self.counters.max_in_flight = max(self.counters.max_in_flight, self.counters.in_flight)
        try:
            return await handler(request)
        finally:
            self.counters.in_flight -= 1

    @web.middleware
    async def _inject_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        faults = self.faults
        if request.path.startswith("/_sim/"):
            return await handler(request)
        if faults.capacity is not None and self.counters.in_flight > 2 * faults.capacity:
            self.counters.shed += 1
            return _error(503, "The service is overloaded; try again later")
        if faults.latency > 0:
            load = 1.0 if faults.capacity is None else self.counters.in_flight / faults.capacity
            await asyncio.sleep(faults.latency * max(1.0, load))
        if faults.max_faults is not None and self.counters.faults >= faults.max_faults:
            return await handler(request)
        method = request.method
        if (
            faults.drop_rate > 0
            and method in faults.drop_methods
            and self._chance(faults.drop_rate)
        ):
            self.counters.dropped += 1
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if (
            faults.error_503_rate > 0
            and method in faults.error_503_methods
            and self._chance(faults.error_503_rate)
        ):
            self.counters.injected_503 += 1
            headers = {"Retry-After": f"{faults.retry_after:g}"} if faults.retry_after else None
            return _error(503, "The service is temporarily overloaded", headers)
        if (
            faults.proxy_503_rate > 0
            and method in faults.error_503_methods
            and self._chance(faults.proxy_503_rate)
        ):
            await handler(request)  # EM did the work; the answer is lost behind the proxy
            self.counters.proxy_503 += 1
            return web.Response(
                status=503, text="<html><body>503 Service Unavailable</body></html>"
            )
        return await handler(request)

    def _chance(self, rate: float) -> bool:
        return rate >= 1.0 or self._rng.random() < rate

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in ("/api/", "/api/sessionMngr/") or request.path.startswith("/_sim/"):
            return await handler(request)
        # EM prefers the cookie over the header when both are sent.
        token = request.cookies.get(TOKEN) or request.headers.get(TOKEN)
        session = self.state.authenticate(token)
        if session is None:
            return _error(401, "Authorization token is missing, invalid or expired")
        request[SESSION] = session
        return await handler(request)

    # -- handlers ------------------------------------------------------------


def _self_signed(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A throw-away certificate for ``host`` -> (server cert, key, file clients trust).

    Uses trustme when installed (the ``test`` and ``cli`` extras bring it), else
    the ``openssl`` command; the core library needs neither.
    """
    cert, key, ca = directory / "cert.pem", directory / "key.pem", directory / "ca.pem"
    try:
        trustme: Any = importlib.import_module("trustme")
    except ImportError:
        trustme = None
    if trustme is not None:
        authority = trustme.CA()
        issued = authority.issue_cert(host, "localhost")
        issued.private_key_pem.write_to_path(str(key))
        issued.cert_chain_pems[0].write_to_path(str(cert))
        authority.cert_pem.write_to_path(str(ca))
        return cert, key, ca
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("HTTPS needs 'trustme' (pip install trustme) or the openssl command")
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host},DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key, cert
