"""``veeam-em exporter``: serve EM's numbers to Prometheus (the ``exporter`` extra)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from urllib.parse import urlsplit

import click

from ...fleet import Fleet
from ..base import CONTEXT
from ..exits import OK, UsageError
from ..options import Settings, connection_options
from ..output import Output
from ..profiles_run import profiles_of, settings_for
from ..runner import connect, execute
from ..when import parse_duration

#: The basic-auth password of the listener comes from here only, never a flag
#: (a flag shows in ``ps`` and in shell history).
AUTH_PASSWORD_ENV = "VEEAM_EM_EXPORTER_PASSWORD"  # noqa: S105 - a variable's name


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` (loopback) or ``[::1]:PORT``."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--listen takes HOST:PORT, e.g. 127.0.0.1:9247, not {text!r}")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def _name_of(s: Settings) -> str:
    return s.profile or urlsplit(s.url or "").hostname or "em"


@click.command("exporter", context_settings=CONTEXT)
@click.option(
    "--listen",
    default="127.0.0.1:9247",
    show_default=True,
    metavar="HOST:PORT",
    help="where to serve /metrics (0.0.0.0:9247 for every interface)",
)
@click.option(
    "--interval",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="collect from each EM at most this often",
)
@click.option(
    "--max-age",
    default="24h",
    show_default=True,
    help="a VM whose newest restore point is older is not protected (the RPO)",
)
@click.option(
    "--window",
    default="7d",
    show_default=True,
    help="how far back runs and restore points are read",
)
@click.option(
    "--full-every",
    default=60,
    show_default=True,
    type=click.IntRange(min=1),
    metavar="N",
    help="read the whole window of restore points once in N collections (the others "
    "read only the points new since the last)",
)
@click.option(
    "--basic-auth-user",
    metavar="USER",
    help=f"ask for this user on /metrics; the password comes from {AUTH_PASSWORD_ENV}",
)
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, exists=True),
    help="serve HTTPS with this certificate (PEM; with --tls-key)",
)
@click.option(
    "--tls-key",
    type=click.Path(dir_okay=False, exists=True),
    help="the certificate's private key (PEM)",
)
@connection_options
def exporter_command(
    listen: str, interval: float, max_age: str, window: str, full_every: int,
    basic_auth_user: str | None, tls_cert: str | None, tls_key: str | None,
) -> int:  # fmt: skip
    """Serve EM's metrics to Prometheus: job results, RPO, repositories, health.

    Each EM is read in the background at most once per --interval, on one logon
    session; a scrape serves the last collection and never waits on EM. An EM that
    is down is served as veeam_em_up 0 with its last values. Needs the exporter
    extra: pip install 'veeam_em_async[exporter]'.

    \b
    Examples:
      veeam-em --profile prod exporter
      veeam-em exporter --all-profiles --listen 0.0.0.0:9247   # ?target=NAME: one EM
      VEEAM_EM_EXPORTER_PASSWORD=… veeam-em exporter --basic-auth-user prom
    """
    ctx = click.get_current_context()
    names = profiles_of(ctx)

    async def body(s: Settings, out: Output) -> int:
        host, port = parse_listen(listen)
        rpo, since = parse_duration(max_age, "--max-age"), parse_duration(window, "--window")
        if (tls_cert is None) != (tls_key is None):
            raise UsageError("--tls-cert and --tls-key go together")
        try:
            from ...exporter import BasicAuth, Exporter, serve, tls_context
        except ImportError as exc:
            raise UsageError(str(exc)) from None
        auth = None
        if basic_auth_user:
            password = os.environ.get(AUTH_PASSWORD_ENV)
            if not password:
                raise UsageError(f"--basic-auth-user needs the password in {AUTH_PASSWORD_ENV}")
            auth = BasicAuth(basic_auth_user, password)
        tls = tls_context(tls_cert, tls_key) if tls_cert and tls_key else None
        if names is not None:
            settings = {name: settings_for(ctx, name) for name in names}
        else:
            settings = {_name_of(s): s}
        managers = {name: connect(each, out) for name, each in settings.items()}
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        async with Fleet(managers) as fleet:
            exporter = Exporter.of(
                fleet.managers, interval=interval, max_age=rpo, window=since,
                full_every=full_every,
            )  # fmt: skip
            runner = await serve(exporter, host, port, auth=auth, ssl_context=tls)
            listening = f"{'https' if tls else 'http'}://{host}:{port}"
            out.doc.update(ems=list(managers), listen=listening)
            out.note(f"serving {listening}/metrics for {len(managers)} EM(s): "
                     f"{', '.join(managers)}; Ctrl-C stops")  # fmt: skip
            try:
                await _until_terminated()
            finally:
                await exporter.stop()
                await runner.cleanup()
                collectors = exporter.collectors.items()
                out.doc["collections"] = {name: c.collections for name, c in collectors}
        return OK

    return execute(ctx, "exporter", body, use_profile=names is None)


async def _until_terminated() -> None:
    """Wait for SIGTERM (a service manager's stop); Ctrl-C cancels the wait itself."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals on Windows
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
