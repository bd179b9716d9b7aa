"""``veeam-em`` as a user's shell runs it: a real process, real signals, real pipes
and a real terminal (a pseudo-terminal of 160 by 45 read through ``pyte``).

Nothing here waits a fixed time: each test waits for an event it can see (a
line, a request counted by the simulator) and sends the signal then.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator

import jsonschema
import pyte
import pytest

from tests.cli_support import SimulatorThread, env_for
from veeam_em_async.cli.schema import SCHEMAS
from veeam_em_async.simulator import EMSimulator, Faults

CLI = [sys.executable, "-m", "veeam_em_async.cli"]
WATCHDOG = 120.0  # a hung command fails its test instead of hanging the suite


def start(argv: list[str], sim: EMSimulator, **kwargs: object) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [*CLI, *argv],
        text=True,
        env={**os.environ, **env_for(sim)},
        **kwargs,  # type: ignore[call-overload]
    )
    watchdog = threading.Timer(WATCHDOG, process.kill)
    watchdog.daemon = True  # never keeps the test run alive once pytest is done
    watchdog.start()
    return process


def wait_for(condition: object) -> None:
    """Until ``condition()`` holds (the watchdog bounds it)."""
    deadline = time.monotonic() + WATCHDOG
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)
    assert condition(), "the event never came"  # type: ignore[operator]


def test_ctrl_c_during_start_wait_prints_the_accepted_task_ids() -> None:
    with SimulatorThread(jobs=3, task_seconds=3600, job_types=["Backup"]) as sim:
        process = start(["jobs", "start", "--all", "--wait"], sim,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        assert process.stderr is not None
        accepted = []
        while len(accepted) < 3:
            line = process.stderr.readline()
            assert line, "the command ended before EM accepted the three starts"
            if line.startswith("accepted: "):
                accepted.append(line)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate()
        logoffs = sim.counters.logoffs
        tasks = set(sim.state.tasks)
    assert process.returncode == 130
    printed = {line.rsplit("task ", 1)[1].strip() for line in accepted}
    assert len(printed) == 3 and printed <= tasks
    assert "interrupted" in err and "Traceback" not in err
    assert logoffs == 1  # the cancellation still logged off


def test_ctrl_c_in_json_mode_prints_the_document_with_the_ids() -> None:
    with SimulatorThread(jobs=1, task_seconds=3600, job_types=["Backup"]) as sim:
        process = start(["jobs", "start", "Job 0000", "--wait", "-o", "json"], sim,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        # The task is polled only after the client took EM's answer (and the id).
        wait_for(lambda: sim.counters.requests["GET /api/tasks"]
                 + sim.counters.requests["GET /api/tasks/{id}"] > 0)  # fmt: skip
        process.send_signal(signal.SIGINT)
        out, _err = process.communicate()
        tasks = set(sim.state.tasks)
    assert process.returncode == 130
    document = json.loads(out)
    jsonschema.validate(document, SCHEMAS["jobs start"])
    assert document["interrupted"] is True and document["exit_code"] == 130
    (result,) = document["results"]
    assert result["status"] == "accepted" and result["task"]["id"] in tasks


@pytest.mark.parametrize("mode", ["table", "json"])
def test_ctrl_c_while_starts_are_in_flight_leaves_a_true_trail(mode: str) -> None:
    """Issue 23: 500 jobs at 0.2 s latency, Ctrl-C: EM had started 138 runs and the
    trail named 120. Now every start EM accepted is in the trail with its task id,
    every job the trail calls not sent was not started, and the totals add up."""
    faults = Faults(latency=0.2)
    with SimulatorThread(jobs=60, task_seconds=3600, job_types=["Backup"], faults=faults) as sim:
        argv = ["jobs", "run", "--all", *(["-o", "json"] if mode == "json" else [])]
        process = start(argv, sim, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Starts are going out (20 at a time, each answered after 0.2 s): Ctrl-C now.
        wait_for(lambda: sim.counters.requests["POST /api/jobs/{id}"] >= 25)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate()
        started = {t.job.id: t.id for t in list(sim.state.tasks.values()) if t.job is not None}
        logoffs = sim.counters.logoffs
    assert process.returncode == 130 and "Traceback" not in err, err
    assert 25 <= len(started) < 60 and logoffs == 1
    if mode == "json":
        document = json.loads(out)
        jsonschema.validate(document, SCHEMAS["jobs run"])
        trail = {r["job"]["id"]: (r["status"], (r["task"] or {}).get("id"))
                 for r in document["results"]}  # fmt: skip
        totals = document["totals"]
    else:
        trail = {job: ("not_sent", None) for job in sim.state.jobs}
        for line in err.splitlines():  # accepted: Job 0003 (<id>): task task-9
            if line.startswith("accepted: "):
                job_id = line.split("(", 1)[1].split(")", 1)[0]
                trail[job_id] = ("accepted", line.rsplit("task ", 1)[1])
        totals_line = next(line for line in out.splitlines() if line.startswith("Totals: "))
        totals = {"jobs": int(totals_line.split()[1]), "line": totals_line}
        assert "interrupted: nothing more was sent" in err
    for job_id, task_id in started.items():  # one by one: what EM started is in the trail
        assert trail[job_id] in (("accepted", task_id), ("unknown", None)), job_id
    for job_id, (status, _task) in trail.items():
        if status == "not_sent":
            assert job_id not in started
    assert totals["jobs"] == 60
    if mode == "json":
        accepted = sum(1 for status, _ in trail.values() if status == "accepted")
        assert totals["interrupted"] == accepted and accepted + totals["unknown"] >= len(started)
        assert sum(v for k, v in totals.items() if k != "jobs") == 60
    else:
        assert f"{len(started)} accepted, wait interrupted" in totals["line"]


def test_ctrl_c_on_commands_that_send_no_action_just_says_interrupted() -> None:
    with SimulatorThread(jobs=1, job_types=["Backup"]) as sim:
        watch = start(["sessions", "watch", "--interval", "0.1"], sim,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        wait_for(lambda: sim.counters.requests["GET /api/query"] >= 2)  # watching
        watch.send_signal(signal.SIGINT)
        _out, watch_err = watch.communicate()
    simulate = start(["simulate", "--port", "0"], sim,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert simulate.stdout is not None
    while "Press Ctrl-C" not in simulate.stdout.readline():
        pass
    simulate.send_signal(signal.SIGINT)
    _out, simulate_err = simulate.communicate()
    for code, err in ((watch.returncode, watch_err), (simulate.returncode, simulate_err)):
        assert code == 130 and err.strip().splitlines()[-1] == "interrupted", err
        assert "keeps running" not in err and "Traceback" not in err


def test_a_closed_stdout_ends_the_bulk_start_quietly() -> None:
    """`veeam-em jobs start --all … | head -1`: issue 9 saw a 77-line traceback and
    "Task exception was never retrieved". Progress and the trail go to stderr (issue
    23, as gh and kubectl), so stdout is first written with the results table: the
    starts all go out once, and the closed pipe then ends the command quietly."""
    with SimulatorThread(jobs=40, task_seconds=60, job_types=["Backup"]) as sim:
        read_end, write_end = os.pipe()
        os.close(read_end)  # nobody will read
        try:
            process = start(["jobs", "start", "--all", "--max-connections", "4"], sim,
                            stdout=write_end, stderr=subprocess.PIPE)  # fmt: skip
            _out, err = process.communicate()
        finally:
            os.close(write_end)
        starts = sim.counters.requests["POST /api/jobs/{id}"]
        started = sum(1 for job in sim.state.jobs.values() if job.sessions)
        logoffs = sim.counters.logoffs
    assert process.returncode == 1
    assert "Traceback" not in err and "never retrieved" not in err and "Error" not in err, err
    lines = err.splitlines()
    assert sum(line.startswith("accepted: ") for line in lines) == 40
    assert {line for line in lines if not line.startswith("accepted: ")} == {
        f"start jobs: {n}/40" for n in (10, 20, 30, 40)
    }  # the progress, on stderr
    assert starts == started == 40  # each sent once
    assert logoffs == 1  # it still logged off


def test_the_demo_without_a_terminal_adds_up() -> None:
    result = subprocess.run(
        [*CLI, "demo", "--jobs", "20", "--task-seconds", "0.3"],
        capture_output=True, text=True, timeout=WATCHDOG, env={**os.environ, "TERM": "dumb"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Embedded EM simulator at http://127.0.0.1:" in out
    assert "user TECH\\simulator" in out
    assert "Starts accepted" not in out  # progress goes to stderr, not into the report
    assert "Starts accepted: 28/28" in result.stderr and "Runs finished: 28/28" in result.stderr
    runs, by_kind = summary_and_results(out)
    assert runs[0] == 28 == sum(runs[1:5])  # Runs = Success + Warning + Failed + Errors
    assert by_kind == {"VM": 20, "NAS": 5, "Agent": 3}


def test_the_demo_fits_an_80_by_24_terminal() -> None:
    columns, rows = 80, 24
    pid, fd = pty.fork()
    if pid == 0:  # the child: the demo, on the terminal
        os.environ["TERM"] = "xterm-256color"
        os.environ.pop("NO_COLOR", None)
        os.execv(sys.executable, [*CLI, "demo", "--task-seconds", "0.3"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    for chunk in read_all(fd):
        stream.feed(chunk)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "\n".join(screen.display)
    shown = "\n".join(screen.display)
    assert screen.display[0].startswith("Embedded EM simulator at")  # still on screen
    assert "Starts accepted" in shown and "Runs finished" in shown and "58/58" in shown
    runs, by_kind = summary_and_results(shown)
    assert runs[0] == 58 == sum(runs[1:5])  # Runs = Success + Warning + Failed + Errors
    assert sum(by_kind.values()) == 58 and set(by_kind) == {"VM", "NAS", "Agent"}
    failed = [line.strip() for line in screen.display if " Failed: " in line]
    assert failed and all(line.count("Job ") == 1 for line in failed)  # the job, once
    assert all("-vm" in line and "Failed to create VM snapshot" in line for line in failed)


def summary_and_results(out: str) -> tuple[list[int], dict[str, int]]:
    """The demo's summary line (Runs, Success, Warning, Failed, Errors), and the runs
    of each kind in its Results table."""
    summary = re.search(
        r"(\d+) runs = (\d+) Success \+ (\d+) Warning \+ (\d+) Failed \+ (\d+) Errors", out
    )
    assert summary, out
    by_kind: dict[str, int] = {}
    table = out.split("Results", 1)[1].split(summary.group(0), 1)[0]
    for line in table.splitlines():
        cells = line.split()
        if cells and cells[0] in ("VM", "NAS", "Agent") and cells[-1].isdigit():
            by_kind[cells[0]] = by_kind.get(cells[0], 0) + int(cells[-1])
    return [int(n) for n in summary.groups()], by_kind


def read_all(fd: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return
        if not chunk:
            return
        yield chunk
