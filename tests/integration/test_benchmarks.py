"""The benchmark scripts run and report what they claim (tiny sizes; no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def run(script: str, *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("| ")  # a Markdown table first
    data: dict[str, object] = json.loads(lines[-1])  # and one JSON line last
    return data


def test_bench_parse() -> None:
    data = run("bench_parse.py", "--repeat", "1")
    rows = data["rows"]
    assert isinstance(rows, list) and [r["document"] for r in rows] == [
        "backup job entity",
        "1,000-task list",
    ]
    assert all(r["from_xml"] > 0 and r["from_xml_vs_xmltodict"] > 0 for r in rows)


def test_bench_scale() -> None:
    data = run("bench_scale.py", "--handles", "300", "--task-seconds", "1.5")
    assert data["handles"] == 300
    assert data["task_gets"] == 0  # every tick served by one GET /tasks
    assert data["task_list_gets"] == data["ticks"]
    assert isinstance(data["bytes_per_handle"], int) and data["bytes_per_handle"] > 0


def test_bench_bulk_quick() -> None:
    data = run(
        "bench_bulk.py", "--jobs", "20", "40", "--quick", "--latency", "0",
        "--task-seconds", "0.5", "--history-tasks", "300",
    )  # fmt: skip
    rows = data["rows"]
    assert isinstance(rows, list) and {r["variant"] for r in rows} == {
        "veeam_em_async",
        "lower bound",
    }
    ours = [r for r in rows if r["variant"] == "veeam_em_async"]
    assert [r["posts"] for r in ours] == [20, 40] and all(r["task_list_gets"] >= 1 for r in ours)
    # 300 old tasks in the session: the lists were scanned, not parsed whole
    assert all(r["history"] == 300 and r["parsed_per_job"] < 10 for r in ours)


def test_bench_requests_quick() -> None:
    data = run("bench_requests.py", "--requests", "50", "--rounds", "1")
    ratios = data["ratios"]
    assert isinstance(ratios, dict) and set(ratios) == {
        "transport.request / bare",
        "em.tasks.get / bare",
        "em.jobs.get / bare",
    }
    assert all(value > 0 for value in ratios.values())


def test_bench_runs_quick() -> None:
    data = run(
        "bench_runs.py", "--runs", "10", "30", "--latency", "0", "--task-seconds", "0.2",
        "--session-seconds", "0.6", "--cadence", "0.2",
    )  # fmt: skip
    rows = data["rows"]
    assert isinstance(rows, list) and [r["runs"] for r in rows] == [10, 30]
    for row in rows:
        # one start per run plus shared queries; the bound polls every session every tick
        assert 1 <= row["requests_per_run"] < row["bound_requests_per_run"]
        # shared polling: far below one request per run per tick (no timing asserted:
        # a run that ended before its first poll is fetched once by id, so not exactly 1/N)
        assert row["ticks"] >= 1 and row["polls_per_run_per_tick"] < 0.5


def test_bench_query_quick() -> None:
    data = run("bench_query.py", "--jobs", "50", "450", "--latency", "0")
    rows = data["rows"]
    assert isinstance(rows, list) and [r["jobs"] for r in rows] == [50, 450]
    # ⌈N/200⌉ queries against N + 1 requests: counted, never timed
    assert [(r["query_requests"], r["list_get_requests"]) for r in rows] == [(1, 51), (3, 451)]


def test_bench_protection_quick() -> None:
    data = run("bench_protection.py", "--vms", "30", "300", "--latency", "0")
    rows = data["rows"]
    assert isinstance(rows, list) and [r["vms"] for r in rows] == [30, 300]
    # ⌈7 N / 1,000⌉ queries against N: counted, never timed
    assert [(r["report_requests"], r["per_vm_requests"]) for r in rows] == [(1, 30), (3, 300)]


def test_bench_tracing_quick() -> None:
    data = run("bench_tracing.py", "--jobs", "20", "--rounds", "1", "--latency", "0",
               "--task-seconds", "0.2")  # fmt: skip
    rows = data["rows"]
    assert isinstance(rows, list)
    # Without the package none of it is loaded; with the SDK, more than with the API.
    loaded = {r["mode"]: r["otel_modules_loaded"] for r in rows}
    assert loaded["no package"] == 0 and loaded["SDK, no-op exporter"] > loaded["api, no SDK"] > 0


def test_bench_adaptive_quick() -> None:
    data = run("bench_adaptive.py", "--jobs", "10", "--rounds", "4", "--latency", "0.005")
    rows = data["rows"]
    assert isinstance(rows, list) and [r["mode"] for r in rows] == ["fixed cap 20", "adaptive"]
    assert all(r["reads"] == 40 for r in rows)


def test_bench_get_quick() -> None:
    data = run("bench_get.py", "--gets", "40", "--rounds", "1")
    rows = data["rows"]
    assert isinstance(rows, list) and [r["gets"] for r in rows] == [40, 40]


def test_bench_fleet_quick() -> None:
    data = run("bench_fleet.py", "--k", "2", "--jobs", "5", "--latency", "0", "--task-seconds",
               "0.2", "--rounds", "2", "--turn-budgets", "0.01", "inf")  # fmt: skip
    rows = data["rows"]
    assert isinstance(rows, list)
    assert [(r["k"], r["variant"], r["turn_budget"]) for r in rows] == [
        (2, "bound", "-"), (2, "fleet", "0.01"), (2, "fleet", "inf")
    ]  # fmt: skip
    assert all(r["failed"] == 0 and r["jobs"] == 10 for r in rows)
    # The lag's and the collector's columns, which the README's K = 50 analysis reads.
    assert all(r["late_100ms"] >= 0 and r["gc_full"] >= 0 and r["gc_full_max_ms"] >= 0
               for r in rows)  # fmt: skip


def test_bench_offload_quick() -> None:
    data = run("bench_offload.py", "--vms", "50", "--rounds", "1")
    rows = data["rows"]
    assert isinstance(rows, list) and [r["mode"] for r in rows] == ["on the loop", "in a thread"]
    assert all(r["points"] == 350 for r in rows)


def test_bench_exporter_quick() -> None:
    data = run("bench_exporter.py", "--sizes", "20x400", "--latency", "0")
    (row,) = data["rows"]  # type: ignore[misc]
    assert (row["jobs"], row["vms"]) == (20, 400)
    # A warm collection reads only the new points: fewer requests than the first.
    assert row["warm_requests"] < row["requests_per_collection"]
    assert row["family_requests_per_scrape"] == 8 and row["series"] > 20 + 400
    assert row["requests_per_hour"] < row["family_requests_per_hour"]
