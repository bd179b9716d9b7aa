"""``veeam-em exporter`` as a service manager runs it (a real process, stopped with
SIGTERM), and its listener's basic auth and TLS. Nothing waits a fixed time: each
step waits for what it can see (the "serving" line, a collection at the simulator)."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

import jsonschema
import pytest
import trustme

from tests.cli_support import WATCHDOG, SimulatorThread, env_for, free_port, run, wait_for
from veeam_em_async.cli.commands.exporter import parse_listen
from veeam_em_async.cli.exits import UsageError
from veeam_em_async.cli.schema import SCHEMAS

CLI = [sys.executable, "-m", "veeam_em_async.cli"]


def exporter(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """The exporter in its own process; its stderr lines are collected as they come
    (`stop` ends it and closes its pipes)."""
    process = subprocess.Popen([*CLI, "exporter", *argv], text=True, env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    lines: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        lines.extend(process.stderr)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    process.reader = reader  # type: ignore[attr-defined]
    timer = threading.Timer(WATCHDOG, process.kill)
    timer.daemon = True
    timer.start()
    wait_for(lambda: any("serving" in line for line in lines) or process.poll() is not None)
    return process, lines


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM, as a service manager stops it: the exit status and what it printed."""
    process.send_signal(signal.SIGTERM)
    code = process.wait(WATCHDOG)
    process.reader.join(WATCHDOG)  # type: ignore[attr-defined]
    assert process.stdout is not None and process.stderr is not None
    printed = process.stdout.read()
    process.stdout.close()
    process.stderr.close()
    return code, printed


def get(url: str, *, context: ssl.SSLContext | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, str]:  # fmt: skip
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_exporter_serves_collects_once_and_stops_on_sigterm() -> None:
    port = free_port()
    with SimulatorThread(jobs=4, nas_jobs=0, agent_jobs=0, history_sessions=1) as sim:
        process, lines = exporter(["--listen", f"127.0.0.1:{port}", "-o", "json"], env_for(sim))
        up = 'veeam_em_up{em="127.0.0.1"} 1.0'
        # Until the first collection ends, EM is served as not up (never as up).
        wait_for(lambda: up in get(f"http://127.0.0.1:{port}/metrics")[1])
        _, text = get(f"http://127.0.0.1:{port}/metrics")
        assert text.count("veeam_em_job_last_result{") == 4
        sent = sum(sim.counters.requests.values())
        assert get(f"http://127.0.0.1:{port}/metrics")[0] == 200
        assert sum(sim.counters.requests.values()) == sent  # a scrape never reaches EM
        code, printed = stop(process)
        assert code == 0
        document = json.loads(printed)
        jsonschema.validate(document, SCHEMAS["exporter"])
        assert document["ok"] and document["ems"] == ["127.0.0.1"]
        assert document["collections"] == {"127.0.0.1": 1}
        assert document["listen"] == f"http://127.0.0.1:{port}"
        # Stopped in order: the logon session was deleted on the way out.
        assert sim.counters.requests.get("DELETE /api/logonSessions/{id}", 0) == 1
    assert not [line for line in lines if sim.password in line]


def test_basic_auth_guards_metrics_and_tls_serves_https(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    port = free_port()
    with SimulatorThread(jobs=2, nas_jobs=0, agent_jobs=0) as sim:
        env = {**env_for(sim), "VEEAM_EM_EXPORTER_PASSWORD": "listener-pass"}
        process, lines = exporter(
            ["--listen", f"127.0.0.1:{port}", "--basic-auth-user", "prom",
             "--tls-cert", str(cert_file), "--tls-key", str(key_file)], env,
        )  # fmt: skip
        try:
            base = f"https://127.0.0.1:{port}"
            assert get(f"{base}/metrics", context=client_context)[0] == 401
            wrong = {"Authorization": "Basic " + b64encode(b"prom:nope").decode()}
            assert get(f"{base}/metrics", context=client_context, headers=wrong)[0] == 401
            right = {"Authorization": "Basic " + b64encode(b"prom:listener-pass").decode()}
            status, text = get(f"{base}/metrics", context=client_context, headers=right)
            assert status == 200 and "veeam_em_up" in text
            assert get(f"{base}/-/healthy", context=client_context) == (200, "OK\n")
            assert any(line.startswith("serving https://") for line in lines)
        finally:
            stop(process)
    assert "listener-pass" not in "".join(lines)


def test_the_exporter_refuses_bad_options_with_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="HOST:PORT"):
        parse_listen("9247")
    assert parse_listen(":9247") == ("127.0.0.1", 9247)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    monkeypatch.delenv("VEEAM_EM_EXPORTER_PASSWORD", raising=False)
    code, _ = run("--url", "http://127.0.0.1:9", "--user", "u", "exporter",
                  "--basic-auth-user", "prom")  # fmt: skip
    assert code == 2
    code, _ = run("exporter", "--listen", "nowhere")
    assert code == 2
