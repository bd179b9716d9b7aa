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

from tests.cli_support import SimulatorThread, env_for
from veeam_em_async.cli.schema import SCHEMAS
from veeam_em_async.simulator import EMSimulator

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


def test_a_closed_stdout_stops_the_bulk_start_quietly() -> None:
    """`veeam-em jobs start --all … | head -1`: issue 9 saw a 77-line traceback,
    "Task exception was never retrieved", and the jobs still being started. The
    reader here is gone before the first line, so the result is the same on any
    machine: the first progress line (at a quarter) fails, and starting stops."""
    with SimulatorThread(jobs=400, task_seconds=60, job_types=["Backup"]) as sim:
        read_end, write_end = os.pipe()
        os.close(read_end)  # nobody will read
        try:
            process = start(["jobs", "start", "--all", "--max-connections", "4"], sim,
                            stdout=write_end, stderr=subprocess.PIPE)  # fmt: skip
            _out, err = process.communicate()
        finally:
            os.close(write_end)
        starts = sim.counters.requests["POST /api/jobs/{id}"]
        logoffs = sim.counters.logoffs
    assert process.returncode == 1
    assert "Traceback" not in err and "never retrieved" not in err and "Error" not in err, err
    assert all(line.startswith("accepted: ") for line in err.splitlines())
    assert 100 <= starts <= 100 + 4  # a quarter, and at most the four in flight
    assert logoffs == 1  # it still logged off


def test_the_demo_without_a_terminal_adds_up() -> None:
    result = subprocess.run(
        [*CLI, "demo", "--jobs", "20", "--task-seconds", "0.3"],
        capture_output=True, text=True, timeout=WATCHDOG, env={**os.environ, "TERM": "dumb"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Embedded Enterprise Manager simulator at http://127.0.0.1:" in out
    assert "(user TECH\\simulator)" in out
    assert "Starts accepted: 28/28" in out and "Runs finished: 28/28" in out  # 20 + 5 + 3
    runs, by_kind = summary_and_results(out)
    assert runs[0] == 28 == sum(runs[1:5])  # Runs = Success + Warning + Failed + Errors
    assert by_kind == {"VM": 20, "NAS": 5, "Agent": 3}


def test_the_demo_in_a_160_by_45_terminal_keeps_the_header_on_screen() -> None:
    columns, rows = 160, 45
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
    assert "Embedded Enterprise Manager simulator at" in shown  # still on screen
    assert "Starts accepted" in shown and "Runs finished" in shown and "58/58" in shown
    runs, by_kind = summary_and_results(shown)
    assert runs[0] == 58 == sum(runs[1:5])  # Runs = Success + Warning + Failed + Errors
    assert sum(by_kind.values()) == 58 and set(by_kind) == {"VM", "NAS", "Agent"}


def summary_and_results(out: str) -> tuple[list[int], dict[str, int]]:
    """The demo's Summary row, and the runs of each kind in its Results table."""

    def rows(table: str) -> list[list[str]]:
        return [
            [c.strip() for c in line.split("│")[1:-1]]
            for line in table.splitlines()
            if line.startswith("│")  # rich's data rows (its header uses "┃")
        ]

    results, summary = out.split("Results", 1)[1].split("Summary", 1)
    (summary_row,) = rows(summary)[:1]
    by_kind: dict[str, int] = {}
    for row in rows(results):
        by_kind[row[0]] = by_kind.get(row[0], 0) + int(row[-1])
    return [int(c) for c in summary_row[:5]], by_kind


def read_all(fd: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return
        if not chunk:
            return
        yield chunk
