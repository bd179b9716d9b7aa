"""A Prometheus exporter of EM (the ``exporter`` extra: ``prometheus-client``).

From Python::

    from veeam_em_async import EnterpriseManager
    from veeam_em_async.exporter import Exporter, serve

    async with EnterpriseManager(url, user, password) as em:
        exporter = Exporter.of({"prod": em}, interval=60)
        runner = await serve(exporter, "127.0.0.1", 9247)
        ...  # until shutdown
        await exporter.stop()
        await runner.cleanup()

From the shell: ``veeam-em exporter`` (see ``docs/exporter.md`` for the metrics).
"""

from __future__ import annotations

try:
    import prometheus_client  # noqa: F401
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ImportError(
        "the exporter needs prometheus-client: pip install 'veeam_em_async[exporter]'"
    ) from exc

from .collector import EmCollector, Exporter, UnknownTargetError
from .families import SPECS, Spec, families
from .http import BasicAuth, make_app, serve, tls_context
from .snapshot import JobState, Snapshot, collect

__all__ = [
    "SPECS",
    "BasicAuth",
    "EmCollector",
    "Exporter",
    "JobState",
    "Snapshot",
    "Spec",
    "UnknownTargetError",
    "collect",
    "families",
    "make_app",
    "serve",
    "tls_context",
]
