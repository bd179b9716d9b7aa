"""The exporter as a real Prometheus sees it (Debian's ``prometheus`` package: CI
installs it when apt-get can): Prometheus scrapes it on loopback and answers a
query for ``veeam_em_job_last_result``; ``promtool`` checks the example alert rules
and a scrape. Without the package each test is skipped and says why (``-rs``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.cli_support import WATCHDOG, free_port
from veeam_em_async import EnterpriseManager, Fleet
from veeam_em_async.exporter import Exporter, serve
from veeam_em_async.simulator import EMSimulator

ROOT = Path(__file__).resolve().parents[3]
ALERTS = ROOT / "examples" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "examples" / "grafana" / "veeam-em.json"

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="no prometheus/promtool on this machine (Debian package 'prometheus'; "
    "CI installs it when apt-get can)",
)


@pytest_asyncio.fixture
async def exporter_url() -> AsyncIterator[str]:
    """A simulated EM (two jobs, one failed; a VM three days from its newest point)
    behind a real exporter on loopback."""
    async with EMSimulator(jobs=2, nas_jobs=0, agent_jobs=0, job_types=["Backup"]) as sim:
        jobs = list(sim.state.jobs.values())
        now = sim.state.clock()
        sim.state.record_run(jobs[0], "Failed", now - 3600)
        sim.state.protection.seed(["stale-vm"], [72 * 3600.0], now)
        async with EnterpriseManager(sim.url, sim.username, sim.password) as em:
            exporter = Exporter.of({"sim": em}, interval=3600)
            port = free_port()
            runner = await serve(exporter, "127.0.0.1", port)
            try:
                while not exporter.collectors["sim"].collections:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                yield f"127.0.0.1:{port}"
            finally:
                await exporter.stop()
                await runner.cleanup()


@contextlib.contextmanager
def prometheus(tmp_path: Path, scrape_configs: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A real Prometheus on loopback, scraping every second, with the example alert
    rules: its base URL and process (stopped on the way out)."""
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {ALERTS}\n{scrape_configs}"
    )
    web = f"127.0.0.1:{free_port()}"
    assert PROMETHEUS is not None
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address={web}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        yield f"http://{web}", process
    finally:
        process.terminate()
        process.wait(30)


@needs_prometheus
async def test_prometheus_scrapes_the_exporter_and_answers_a_query(
    exporter_url: str, tmp_path: Path
) -> None:
    scrape = (
        "scrape_configs:\n  - job_name: veeam-em\n"
        f"    static_configs:\n      - targets: ['{exporter_url}']\n"
    )
    with prometheus(tmp_path, scrape) as (base, process):
        result = await _query_until_found(base, "veeam_em_job_last_result", process)
        panels = await _dashboard_answers(base)
    # Every query of the example dashboard is valid PromQL with an answer; the four
    # counters say what the simulator was seeded with.
    assert all(answer for answer in panels.values()), {k: v for k, v in panels.items() if not v}
    stats = {
        title: float(answer[0]["value"][1])
        for title, answer in panels.items()
        if title.startswith(("Jobs whose", "VMs breaching", "Repositories over", "EMs not"))
    }
    assert stats == {
        "Jobs whose last run failed": 1.0, "VMs breaching the RPO": 1.0,
        "Repositories over 85 % full": 1.0, "EMs not collected": 0.0,
    }  # fmt: skip
    values = {r["metric"]["jobname"]: float(r["value"][1]) for r in result}
    assert sorted(values.values()) == [-1.0, 2.0], values
    assert {r["metric"]["em"] for r in result} == {"sim"}
    # Prometheus's own labels sit beside the exporter's, none renamed "exported_…".
    assert {r["metric"]["job"] for r in result} == {"veeam-em"}
    assert not [k for r in result for k in r["metric"] if k.startswith("exported_")]


@needs_prometheus
async def test_the_guides_multi_target_configuration_scrapes_each_em_alone(
    tmp_path: Path,
) -> None:
    """The scrape configuration of docs/guides/exporter.md, as written (only the
    exporter's address changed), against a fleet of two EMs, one refusing the logon."""
    guide = (ROOT / "docs" / "guides" / "exporter.md").read_text()
    scrape = next(block for block in re.findall(r"```yaml\n(.*?)```", guide, re.S)
                  if "__param_target" in block)  # fmt: skip
    async with (
        EMSimulator(jobs=1, nas_jobs=0, agent_jobs=0) as eu,
        EMSimulator(jobs=1, nas_jobs=0, agent_jobs=0) as us,
    ):
        managers = {"eu": EnterpriseManager(eu.url, eu.username, eu.password),
                    "us": EnterpriseManager(us.url, us.username, "wrong")}  # fmt: skip
        async with Fleet(managers) as fleet:
            exporter = Exporter.of(fleet.managers, interval=3600)
            port = free_port()
            runner = await serve(exporter, "127.0.0.1", port)
            try:
                config = scrape.replace("127.0.0.1:9247", f"127.0.0.1:{port}")
                with prometheus(tmp_path, config) as (base, process):
                    found = await _query_until_found(base, "veeam_em_up", process, wanted=2)
            finally:
                await exporter.stop()
                await runner.cleanup()
    seen = {(r["metric"]["instance"], r["metric"]["em"], float(r["value"][1])) for r in found}
    assert seen == {("eu", "eu", 1.0), ("us", "us", 0.0)}  # each target, its own EM alone


async def _query_until_found(
    base: str, query: str, process: subprocess.Popen[str], wanted: int = 1
) -> list[dict[str, Any]]:
    """Ask Prometheus's HTTP API until the query has results (the watchdog bounds it)."""
    deadline = time.monotonic() + WATCHDOG
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                async with http.get(f"{base}/api/v1/query", params={"query": query}) as r:
                    answer = await r.json() if r.status == 200 else {}
            except aiohttp.ClientError:
                answer = {}  # not listening yet
            found: list[dict[str, Any]] = answer.get("data", {}).get("result", [])
            if len(found) >= wanted:
                return found
            await asyncio.sleep(0.2)
    raise AssertionError(f"Prometheus never returned {query} (exit {process.poll()})")


async def _dashboard_answers(base: str) -> dict[str, list[dict[str, Any]]]:
    """Each panel's first query of the example dashboard (its ``$em`` as "every EM"),
    asked of Prometheus: panel title -> the result."""
    answers: dict[str, list[dict[str, Any]]] = {}
    dashboard = json.loads(DASHBOARD.read_text())
    async with aiohttp.ClientSession() as http:
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                expr = target["expr"].replace("$em", ".*")
                async with http.get(f"{base}/api/v1/query", params={"query": expr}) as r:
                    answer = await r.json()
                assert answer["status"] == "success", (panel["title"], expr, answer)
                answers.setdefault(panel["title"], answer["data"]["result"])
    return answers


@needs_prometheus
def test_promtool_accepts_the_example_alert_rules() -> None:
    assert PROMTOOL is not None
    checked = subprocess.run([PROMTOOL, "check", "rules", str(ALERTS)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 4 rules found" in checked.stdout


@needs_prometheus
async def test_promtool_accepts_a_scrape(exporter_url: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"http://{exporter_url}/metrics") as r:
        scrape = await r.read()
    assert PROMTOOL is not None
    checked = await asyncio.to_thread(
        subprocess.run, [PROMTOOL, "check", "metrics"], input=scrape, capture_output=True,
        check=False,
    )  # fmt: skip
    # promtool parses the whole scrape; its only findings are the lint of the two
    # names kept from the veeam_em_* family for its dashboards (docs/exporter.md).
    findings = set((checked.stdout + checked.stderr).decode().splitlines())
    suffix = 'non-histogram and non-summary metrics should not have "_count" suffix'
    assert findings == {
        f"veeam_em_overview_element_count {suffix}",
        f"veeam_em_overview_vms_count {suffix}",
    }
    assert b"veeam_em_job_last_result" in scrape
