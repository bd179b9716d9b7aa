"""The veeam-em command, invoked for real against the simulator."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from veeam_em_async.cli import main
from veeam_em_async.simulator import EMSimulator


class SimulatorThread:
    """The simulator on its own event loop, so the CLI can run asyncio.run()."""

    def __init__(self, **kwargs: object) -> None:
        self.sim = EMSimulator(**kwargs)  # type: ignore[arg-type]
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> EMSimulator:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.sim.start(), self.loop).result(10)
        return self.sim

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[EMSimulator]:
    with SimulatorThread(jobs=12, nas_jobs=2, task_seconds=0.05) as simulator:
        monkeypatch.setenv("VEEAM_EM_URL", simulator.url)
        monkeypatch.setenv("VEEAM_EM_USER", simulator.username)
        monkeypatch.setenv("VEEAM_EM_PASSWORD", simulator.password)
        yield simulator


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stream=out)
    return code, out.getvalue()


def test_demo_end_to_end_with_the_readme_command() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "veeam_em_async.cli",
            "demo",
            "--jobs",
            "20",
            "--task-seconds",
            "0.3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TERM": "dumb"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Embedded Enterprise Manager simulator at http://127.0.0.1:" in out
    assert "20 jobs" in out and "Job 0019" in out and "ImmediateBackupCopy" in out
    assert "Starting and awaiting jobs: 20/20" in out  # progress as lines: not a terminal
    assert "Summary" in out and "Requests sent" in out
    assert "Traceback" not in result.stderr


def test_jobs_list_and_show_json(sim: EMSimulator) -> None:
    code, out = run("jobs", "list", "--json")
    assert code == 0
    refs = json.loads(out)
    assert len(refs) == 12 and refs[0]["name"] == "Job 0000"
    code, out = run("jobs", "show", refs[0]["id"], "--json")
    assert code == 0
    job = json.loads(out)
    assert job["job_type"] == "Backup" and job["id"] == refs[0]["id"]
    code, out = run("jobs", "show", refs[0]["id"])
    assert code == 0 and "Job 0000" in out and "job_type" in out


def test_jobs_start_one_and_wait(sim: EMSimulator) -> None:
    job_id = next(iter(sim.state.jobs))
    code, out = run("jobs", "start", job_id, "--wait", "--json")
    assert code == 0
    task = json.loads(out)
    assert task["state"] == "Finished" and task["result"]["success"] is True


def test_jobs_start_all_by_name_with_progress(sim: EMSimulator) -> None:
    code, out = run("jobs", "start", "--all", "--name-like", "Job 000[0-6]", "--wait")
    assert code == 0
    assert "start 7 jobs: 7/7" in out
    assert out.count("Finished") == 7
    assert sim.counters.requests["POST /api/jobs/{id}"] == 7


def test_failed_action_exits_one(sim: EMSimulator) -> None:
    copy_job = next(j for j in sim.state.jobs.values() if j.job_type == "BackupCopy")
    code, out = run("jobs", "start", "--all", "--name-like", copy_job.name, "--json")
    assert code == 1
    (outcome,) = json.loads(out)
    assert outcome["ok"] is False and "backup copy" in outcome["error"]


def test_nas_jobs_and_tasks(sim: EMSimulator) -> None:
    code, out = run("nas-jobs", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 2
    nas_id = json.loads(out)[0]["id"]
    code, out = run("nas-jobs", "start", nas_id, "--json")
    assert code == 0
    task_id = json.loads(out)["id"]
    code, out = run("tasks", "show", task_id, "--json")
    assert code == 0 and json.loads(out)["operation"] == "StartNasJob"


def test_errors_print_one_line_and_exit_one(
    sim: EMSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _ = run("jobs", "show", "00000000-0000-4000-8000-000000000000")
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: 404") and err.count("\n") == 1
    code, _ = run("jobs", "show", "urn:veeam:Job:not-a-uuid")
    assert code == 1 and "not a Job id" in capsys.readouterr().err
    code, _ = run("jobs", "show", "not-a-job")  # not an id: a name, and no job has it
    assert code == 1 and "no job is named 'not-a-job'" in capsys.readouterr().err
    monkeypatch.setenv("VEEAM_EM_PASSWORD", "wrong")
    code, _ = run("jobs", "list")
    err = capsys.readouterr().err
    assert code == 1 and "Authentication failed" in err and "wrong" not in err
    monkeypatch.delenv("VEEAM_EM_URL")
    code, _ = run("jobs", "list")
    assert code == 1 and "VEEAM_EM_URL" in capsys.readouterr().err


def test_insecure_warns(sim: EMSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("jobs", "list", "--insecure")
    assert code == 0
    assert "verification is disabled" in capsys.readouterr().err


def test_a_closed_stdout_stops_the_bulk_start_quietly() -> None:
    """`veeam-em jobs start --all … | head -1`: issue 9 saw a 77-line traceback,
    "Task exception was never retrieved", and the jobs still being started. The
    reader here is gone before the first line, so the result is the same on any
    machine: the first progress line (at a quarter) fails, and starting stops."""
    with SimulatorThread(jobs=400, task_seconds=60, job_types=["Backup"]) as sim:
        env = {
            **os.environ,
            "VEEAM_EM_URL": sim.url,
            "VEEAM_EM_USER": sim.username,
            "VEEAM_EM_PASSWORD": sim.password,
        }
        read_end, write_end = os.pipe()
        os.close(read_end)  # nobody will read
        try:
            result = subprocess.run(
                [sys.executable, "-m", "veeam_em_async.cli", "jobs", "start", "--all",
                 "--max-connections", "4"],
                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, env=env,
            )  # fmt: skip
        finally:
            os.close(write_end)
        starts = sim.counters.requests["POST /api/jobs/{id}"]
    assert result.returncode == 1
    assert result.stderr.count("\n") <= 1 and "Traceback" not in result.stderr, result.stderr
    assert "never retrieved" not in result.stderr
    assert 100 <= starts <= 100 + 4  # a quarter, and at most the four in flight
    assert sim.counters.logoffs == 1  # it still logged off


def test_wait_has_a_default_timeout() -> None:
    from veeam_em_async.cli import DEFAULT_WAIT_TIMEOUT, build_parser

    args = build_parser().parse_args(["jobs", "start", "x", "--wait"])
    assert args.wait_timeout == DEFAULT_WAIT_TIMEOUT == 600
    assert (
        build_parser().parse_args(["jobs", "start", "x", "--wait-timeout", "5"]).wait_timeout == 5
    )


def test_jobs_run_one_waits_for_the_backups_result(sim: EMSimulator) -> None:
    job_id = next(j.id for j in sim.state.jobs.values() if j.job_type == "Backup")
    code, out = run("jobs", "run", job_id, "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert row["ok"] is True and row["result"] == "Success" and row["vm_reasons"] == []
    assert row["session"]["id"] == sim.state.jobs[job_id].sessions[-1]
    assert row["session"]["state"] == "Stopped"


def test_jobs_run_many_shows_the_reasons_of_failed_vms(sim: EMSimulator) -> None:
    jobs = [j for j in sim.state.jobs.values() if j.job_type == "Backup"][:3]
    sim.state.scripted = {jobs[1].id: ["Failed"], jobs[2].id: ["Warning"]}
    code, out = run("jobs", "run", *(j.id for j in jobs), "--json")
    assert code == 1  # one run failed
    rows = json.loads(out)
    assert [r["result"] for r in rows] == ["Success", "Failed", "Warning"]
    assert [r["ok"] for r in rows] == [True, False, True]
    assert rows[1]["vm_reasons"] == [
        f"{jobs[1].name.replace(' ', '-').lower()}-vm1: Error: Failed to create VM snapshot"
    ]
    assert "Failed" in rows[1]["error"] and rows[2]["vm_reasons"][0].endswith("is disabled")
    code, table = run("jobs", "run", jobs[0].id, jobs[2].id)
    assert code == 0 and "Runs" in table and "Success" in table


def test_sessions_list_show_and_stop(sim: EMSimulator) -> None:
    job_id = next(j.id for j in sim.state.jobs.values() if j.job_type == "Backup")
    sim.state.session_seconds = 3600
    code, _ = run("jobs", "start", job_id, "--wait")
    assert code == 0
    (session_id,) = sim.state.jobs[job_id].sessions
    code, out = run("sessions", "list", "--json")
    assert code == 0 and [s["id"] for s in json.loads(out)] == [session_id]
    code, out = run("sessions", "show", session_id, "--json")
    assert code == 0 and json.loads(out)["state"] in ("Starting", "Working")
    code, out = run("sessions", "stop", session_id, "--json")
    assert code == 0 and json.loads(out)["session"]["result"] == "Failed"
    code, out = run("sessions", "show", session_id)
    assert code == 1 and "Stopped by user" in out  # a Failed session exits 1
    code, out = run("sessions", "list", "--replica", "--json")
    assert code == 0 and json.loads(out) == []


def test_jobs_are_taken_by_name_where_ids_are(sim: EMSimulator) -> None:
    code, out = run("jobs", "show", "Job 0003", "--json")
    assert code == 0 and json.loads(out)["name"] == "Job 0003"
    code, out = run("jobs", "start", "Job 0000", "Job 0001", "--wait", "--json")
    assert code == 0 and [o["job"] for o in json.loads(out)] == ["Job 0000", "Job 0001"]
    code, out = run("jobs", "show", "Job 00*")
    assert code == 1
    code, out = run("jobs", "show", "No such job")
    assert code == 1


def test_sessions_list_filters_watch_streams_and_jobs_status(sim: EMSimulator) -> None:
    backup = [j for j in sim.state.jobs.values() if j.job_type == "Backup"]
    sim.state.scripted[backup[0].id] = ["Failed"]
    sim.state.scripted[backup[1].id] = ["Warning"]
    code, _ = run("jobs", "run", backup[0].id, backup[1].id, backup[2].id, "--json")
    assert code == 1  # one run failed
    code, out = run("sessions", "list", "--since", "1h", "--result", "Failed,Warning", "--json")
    assert code == 0
    assert sorted(s["result"] for s in json.loads(out)) == ["Failed", "Warning"]
    code, out = run("sessions", "list", "--job", backup[2].name, "--json")
    assert code == 0 and [s["job_name"] for s in json.loads(out)] == [backup[2].name]
    code, out = run(
        "sessions", "watch", "--since", "1h", "--count", "3", "--interval", "0.05", "--json"
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 3
    assert {line["job_name"] for line in lines} == {j.name for j in backup[:3]}
    code, out = run("jobs", "status", "--json")
    status = {row["name"]: row["last"] for row in json.loads(out)}
    assert code == 1  # a job's last run failed
    assert status[backup[0].name]["result"] == "Failed"
    assert status[backup[2].name]["result"] == "Success"
    assert status[backup[3].name] is None and len(status) == 12
    code, table = run("jobs", "status")
    assert "no run" in table and "Failed" in table


def test_agent_jobs_list_show_and_start(sim: EMSimulator) -> None:
    code, out = run("agent-jobs", "list", "--json")
    assert code == 0
    jobs = json.loads(out)
    assert [j["name"] for j in jobs] == ["Agent Job 00", "Agent Job 01", "Agent Job 02"]
    code, out = run("agent-jobs", "show", "Agent Job 01", "--json")
    assert code == 0 and json.loads(out)["platform"] == "AgentForLinux"
    code, out = run("agent-jobs", "start", "Agent Job 00", "--wait", "--json")
    assert code == 0 and json.loads(out)["state"] == "Finished"


def test_repositories_table_with_percent_used(sim: EMSimulator) -> None:
    code, out = run("repositories")
    assert code == 1  # Backup Volume 02 is 91 % used, over the default 85
    assert "Backup Volume 01" in out and "38.0 %" in out and "91.0 %" in out
    assert "8.0 TiB" in out
    code, out = run("repositories", "--json", "--warn-above", "95")
    assert code == 0
    rows = json.loads(out)
    assert [(r["name"], r["used_percent"]) for r in rows] == [
        ("Backup Volume 01", 38.0), ("Backup Volume 02", 91.0),
    ]  # fmt: skip
    assert all(r["capacity"] == 8 << 40 for r in rows)
