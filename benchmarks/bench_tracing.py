"""The cost of tracing: bench_bulk's start-and-await of N jobs by the async client,
(1) with OpenTelemetry hidden (the package not installed), (2) with
``opentelemetry-api`` but no SDK (the global no-op provider), (3) with the SDK, a
batch span processor and an exporter that drops everything, and a metric reader.

The simulator runs in its own process (20 ms latency, 2 s tasks); each run is a
fresh child; the modes are interleaved ``--rounds`` times so that the machine's
noise falls on all of them. The table shows CPU per job (the cost) and wall time.
Run: ``python benchmarks/bench_tracing.py`` (1,000 jobs, 2 rounds: about 2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

from bench_bulk import (
    child_options,
    job_ids,
    print_table,
    run_async_client,
    run_child,
    spawn_simulator,
)

MODES = ("no package", "api, no SDK", "SDK, no-op exporter")


def hide_opentelemetry() -> None:
    """As if ``opentelemetry`` were not installed (the otel extra left out)."""
    import importlib.abc
    import importlib.util

    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name == "opentelemetry" or name.startswith("opentelemetry."):
                raise ModuleNotFoundError(name)

    sys.meta_path.insert(0, Hide())
    real = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *a: (  # type: ignore[assignment]
        None if name.startswith("opentelemetry") else real(name, *a)
    )


def install_sdk() -> None:
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Drop()))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def child(args: argparse.Namespace) -> None:
    if args.variant == MODES[0]:
        hide_opentelemetry()
    elif args.variant == MODES[2]:
        install_sdk()
    import veeam_em_async  # noqa: F401

    with open(args.ids_file) as f:
        ids = json.load(f)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    asyncio.run(run_async_client(args.url, ids, args.connections, args.task_seconds))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
    print(json.dumps({"wall": wall, "cpu": cpu, "otel_modules": len(loaded)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--task-seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=20)
    child_options(parser)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    proc, url = spawn_simulator(
        "--jobs", str(args.jobs), "--nas-jobs", "0", "--task-seconds", str(args.task_seconds),
        "--latency", str(args.latency), "--job-types", "Backup",
    )  # fmt: skip
    found: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(job_ids(url), f)
        for _ in range(args.rounds):
            for mode in MODES:
                result = run_child(
                    __file__, url, mode, "--ids-file", f.name, "--connections",
                    str(args.connections), "--task-seconds", str(args.task_seconds),
                )  # fmt: skip
                found[mode].append(result)
                print(f"  {mode}: cpu {result['cpu']:.2f} s", file=sys.stderr)
        os.unlink(f.name)
    finally:
        proc.terminate()
        proc.wait(10)
    base = statistics.median(r["cpu"] for r in found[MODES[0]])

    def per_job(runs: list[dict[str, Any]]) -> float:
        return round(statistics.median(r["cpu"] for r in runs) * 1000 / args.jobs, 3)

    rows = [
        {
            "mode": mode, "jobs": args.jobs, "cpu_ms_per_job": per_job(runs),
            "cpu_runs_ms_per_job": ", ".join(f"{r['cpu'] * 1000 / args.jobs:.3f}" for r in runs),
            "cpu_vs_no_package": round(statistics.median(r["cpu"] for r in runs) / base, 3),
            "wall_s": round(statistics.median(r["wall"] for r in runs), 2),
            "otel_modules_loaded": runs[0]["otel_modules"],
        }
        for mode, runs in found.items()
    ]  # fmt: skip
    print_table(list(rows[0]), rows)
    print()
    print(json.dumps({"benchmark": "tracing", "rows": rows}))


if __name__ == "__main__":
    main()
