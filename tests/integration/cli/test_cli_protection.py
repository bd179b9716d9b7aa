"""``veeam-em protection``, ``reports`` and ``vms`` against the simulator: the JSON
contract, exit statuses and what the table says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli_support import SimulatorThread, env_for, run, run_json
from veeam_em_async.simulator import EMSimulator

HOUR = 3600.0


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[EMSimulator]:
    monkeypatch.setenv("VEEAM_EM_CONFIG", str(tmp_path) + "/none.ini")
    with SimulatorThread(jobs=3, nas_jobs=0, agent_jobs=0, job_types=["Backup"],
                         task_seconds=0.05) as simulator:  # fmt: skip
        for name, value in env_for(simulator).items():
            monkeypatch.setenv(name, value)
        yield simulator


def test_protection_lists_breaches_first_and_exits_1(sim: EMSimulator) -> None:
    now = sim.state.clock()
    sim.state.protection.seed(["web01"], [2 * HOUR], now)
    sim.state.protection.seed(["db01"], [30 * HOUR], now)
    code, doc = run_json("protection", "--max-age", "24h", "--vm", "ghost01")
    assert code == 1 and doc["breaches"] == 2 and doc["max_age_seconds"] == 86400
    assert [(i["vm"], i["ok"]) for i in doc["items"]] == [
        ("db01", False), ("ghost01", False), ("web01", True)
    ]  # fmt: skip
    assert doc["items"][0]["reason"] == "newest point is 30h old (max 24h)"
    assert doc["items"][1]["latest"] is None and doc["items"][2]["latest"]["id"]
    code, table = run("protection", "--max-age", "24h", "--vm", "ghost01")
    assert code == 1 and "2 of 3 VMs breach the 24 h RPO" in table
    assert "BREACH: no restore point" in table and "web01" not in table  # breaches only
    code, table = run("protection", "--max-age", "36h")
    assert code == 0 and "0 of 2 VMs breach the 36 h RPO" in table and "web01" in table
    code, _ = run("protection", "--max-age", "-3h")
    assert code == 2


def test_reports_print_every_field(sim: EMSimulator) -> None:
    code, doc = run_json("reports", "overview")
    assert code == 0 and doc["item"]["backup_servers"] == 1 and doc["item"]["scheduled_jobs"] == 3
    code, doc = run_json("reports", "jobs")
    assert code == 0 and doc["item"]["total_job_runs"] == 0
    code, doc = run_json("reports", "vms")
    assert code == 0 and "protected_vms" in doc["item"]
    code, doc = run_json("reports", "repositories")
    names = [p["name"] for p in doc["item"]["periods"]]
    assert code == 0 and names == ["Backup Volume 01", "Backup Volume 02"]
    assert doc["item"]["periods"][1]["free_ratio"] == pytest.approx(0.09, abs=0.001)
    code, table = run("reports", "overview")
    assert code == 0 and "successful_vm_lastest_states" in table


def test_vms_find_and_backup(sim: EMSimulator) -> None:
    code, doc = run_json("vms", "find", "job-0001-vm3")
    assert code == 0 and len(doc["items"]) == 1 and doc["items"][0]["ref"].startswith("urn:VMware")
    code, doc = run_json("vms", "find", "no-such-vm")
    assert code == 4
    code, doc = run_json("vms", "backup", "job-0000-vm1", "job-0002-vm2")
    assert code == 0, doc
    assert [r["status"] for r in doc["results"]] == ["success", "success"]
    assert [r["session"]["job_name"] for r in doc["results"]] == ["Job 0000", "Job 0002"]
    assert doc["totals"] == {"vms": 2, "succeeded": 2, "failed": 0, "dry_run": 0}
    code, doc = run_json("protection", "--vm", "job-0000-vm1")
    assert [i["vm"] for i in doc["items"] if i["ok"]] == ["job-0000-vm1", "job-0002-vm2"]


def test_dry_run_prints_what_would_be_sent_and_sends_nothing(sim: EMSimulator) -> None:
    names = sorted(j.name for j in sim.state.jobs.values())
    code, doc = run_json("jobs", "start", "--all", "--dry-run")
    assert code == 0 and doc["dry_run"] is True
    assert sorted(a["target_name"] for a in doc["would_send"]) == names
    assert {(a["method"], a["action"]) for a in doc["would_send"]} == {("POST", "start")}
    assert {r["status"] for r in doc["results"]} == {"dry_run"}
    assert doc["totals"]["dry_run"] == 3 and doc["totals"]["failed"] == 0
    code, doc = run_json("jobs", "run", names[0], "--dry-run")
    assert code == 0 and [r["status"] for r in doc["results"]] == ["dry_run"]
    code, doc = run_json("vms", "backup", "job-0000-vm1", "--dry-run")
    assert code == 0 and doc["would_send"][0]["action"] == "quickbackup"
    assert doc["would_send"][0]["target_name"] == "job-0000-vm1"
    code, table = run("jobs", "stop", names[1], "--dry-run")
    assert code == 0 and "not sent (dry run)" in table
    assert sim.counters.requests["POST /api/jobs/{id}"] == 0
    assert sim.counters.requests["POST /api/backupServers/{id}"] == 0
    assert not sim.state.job_sessions  # nothing ran


def test_read_commands_on_every_profile_with_an_em_column(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    with SimulatorThread(jobs=2, nas_jobs=0, agent_jobs=0) as lab, \
            SimulatorThread(jobs=3, nas_jobs=0, agent_jobs=0) as prod:  # fmt: skip
        config = Path(str(tmp_path)) / "config.ini"
        config.write_text(
            f"[lab]\nurl = {lab.url}\nuser = {lab.username}\n\n"
            f"[prod]\nurl = {prod.url}\nuser = {prod.username}\n\n"
            "[gone]\nurl = http://127.0.0.1:9\nuser = nobody\n"
        )
        monkeypatch.setenv("VEEAM_EM_CONFIG", str(config))
        monkeypatch.setenv("VEEAM_EM_PASSWORD", lab.password)
        for name in ("VEEAM_EM_URL", "VEEAM_EM_USER"):
            monkeypatch.delenv(name, raising=False)
        code, doc = run_json("jobs", "list", "--profile", "lab,prod")
        assert code == 0 and doc["ems"] == ["lab", "prod"] and doc["errors"] == {}
        assert sorted((i["em"], i["name"]) for i in doc["items"]) == [
            ("lab", "Job 0000"), ("lab", "Job 0001"),
            ("prod", "Job 0000"), ("prod", "Job 0001"), ("prod", "Job 0002"),
        ]  # fmt: skip
        code, doc = run_json("--all-profiles", "repositories")
        assert set(doc["errors"]) == {"gone"} and code == 1  # the worst of the three
        assert {i["em"] for i in doc["items"]} == {"lab", "prod"}
        code, table = run("jobs", "list", "--profile", "lab,prod")
        assert code == 0 and "jobs list on 2 EMs" in table and "prod" in table
        assert "Job 0002" in table  # each EM's rows, in the command's own table
        code, _ = run("jobs", "start", "--all", "--all-profiles")
        assert code == 2  # actions run on one EM at a time
        assert lab.counters.requests["POST /api/jobs/{id}"] == 0
