"""The veeam-em command, invoked for real against the simulator: the JSON
contract of every command (failures included), exit statuses, options before
and after the subcommand, environment variables, and the totals of bulk actions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

import jsonschema
import pytest

from tests.cli_support import SimulatorThread, env_for, run, run_json
from veeam_em_async.cli.schema import SCHEMAS, SESSION_LINE
from veeam_em_async.simulator import EMSimulator

COPY_TYPES = ("BackupCopy", "ImmediateBackupCopy")
#: The totals of an interrupt's trail and of a dry run: none when neither happened.
NO_TRAIL = {"not_sent": 0, "unknown": 0, "interrupted": 0, "dry_run": 0}


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[EMSimulator]:
    monkeypatch.setenv("VEEAM_EM_CONFIG", str(tmp_path) + "/none.ini")  # no profile of the host
    with SimulatorThread(jobs=12, nas_jobs=2, task_seconds=0.05) as simulator:
        for name, value in env_for(simulator).items():
            monkeypatch.setenv(name, value)
        yield simulator


def backups(sim: EMSimulator) -> list[object]:
    return [j for j in sim.state.jobs.values() if j.job_type == "Backup"]


def test_every_command_has_a_schema() -> None:
    from veeam_em_async.cli.app import cli

    def leaves(group: object, prefix: str) -> Iterator[str]:
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            if hasattr(command, "commands"):
                yield from leaves(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}"

    local = {"demo", "simulate", "completion", "profile add", "profile remove",
             "profile set-password"}  # fmt: skip
    assert set(leaves(cli, "")) - local == set(SCHEMAS)


def test_list_and_show_name_every_job_by_id_name_and_type(sim: EMSimulator) -> None:
    code, doc = run_json("jobs", "list")
    assert code == 0 and len(doc["items"]) == 12
    assert {i["type"] for i in doc["items"]} == {"Backup", "Replica", *COPY_TYPES}
    first = doc["items"][0]
    code, doc = run_json("jobs", "show", first["id"])
    assert code == 0 and doc["item"]["name"] == first["name"] and doc["item"]["type"] == "Backup"
    code, table = run("jobs", "list")
    assert code == 0 and "JobReference" not in table and "BackupCopy" in table
    code, wide_show = run("jobs", "show", first["id"], "-o", "wide")  # YAML-like, no reprs
    assert code == 0 and "{'" not in wide_show and "\nschedule_options:\n" in wide_show
    assert "\n  - href: " in wide_show and wide_show.startswith(f"id: {first['id']}\n")
    code, wide = run("jobs", "list", "-o", "wide")
    assert first["id"] in wide and first["id"] not in table
    for group, count in (("nas-jobs", 2), ("agent-jobs", 3)):
        code, doc = run_json(group, "list")
        assert code == 0 and len(doc["items"]) == count and all(i["type"] for i in doc["items"])


def test_one_id_or_two_give_the_same_shape_with_id_and_name(sim: EMSimulator) -> None:
    job = backups(sim)[0]
    code, one = run_json("jobs", "start", job.id, "--wait")  # type: ignore[attr-defined]
    assert code == 0 and len(one["results"]) == 1
    (result,) = one["results"]
    assert result["job"] == {"id": job.id, "name": job.name, "type": "Backup"}  # type: ignore[attr-defined]
    assert result["status"] == "finished" and result["task"]["success"] is True
    code, two = run_json("jobs", "start", "Job 0001", "Job 0002", "--wait")
    assert code == 0 and [r["job"]["name"] for r in two["results"]] == ["Job 0001", "Job 0002"]
    assert two["totals"] == {"jobs": 2, "succeeded": 2, "failed": 0, "skipped": 0, **NO_TRAIL}


def test_a_failed_task_still_prints_json_and_exits_one(sim: EMSimulator) -> None:
    job = backups(sim)[0]
    sim.state.session_seconds = 3600
    assert run_json("jobs", "start", job.id, "--wait")[0] == 0  # type: ignore[attr-defined]
    code, doc = run_json("jobs", "start", job.id, "--wait")  # type: ignore[attr-defined]
    assert code == 1 and doc["ok"] is False
    (result,) = doc["results"]
    assert result["status"] in ("failed", "error") and "already running" in result["error"]
    assert result["job"]["name"] == job.name  # type: ignore[attr-defined]


def test_bulk_start_skips_copy_jobs_by_default_and_ends_with_totals(sim: EMSimulator) -> None:
    code, doc = run_json("jobs", "start", "--all")
    copies = [r for r in doc["results"] if r["job"]["type"] in COPY_TYPES]
    assert code == 0 and len(copies) == 2
    assert {r["job"]["name"] for r in copies} == {
        j.name for j in sim.state.jobs.values() if j.job_type in COPY_TYPES
    }
    assert all(r["status"] == "skipped" and "only sync" in r["reason"] for r in copies)
    assert doc["totals"] == {"jobs": 12, "succeeded": 10, "failed": 0, "skipped": 2, **NO_TRAIL}
    assert sim.counters.requests["POST /api/jobs/{id}"] == 10
    code, table = run("jobs", "start", "--all", "--copy-jobs", "sync")
    assert code == 0
    assert table.rstrip().splitlines()[-1] == "Totals: 12 jobs, 12 ok, 0 failed, 0 skipped"
    code, doc = run_json("jobs", "start", "--all", "--copy-jobs", "start")
    assert code == 5  # partial: EM refused the two copy jobs
    assert doc["totals"]["failed"] == 2 and doc["totals"]["succeeded"] == 10


def test_exit_statuses(sim: EMSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    code, doc = run_json("jobs", "show", "00000000-0000-4000-8000-000000000000")
    assert code == 4 and "no job has the id" in doc["error"]["message"]
    code, doc = run_json("jobs", "start", "No such job")
    assert code == 4 and doc["error"]["type"] == "JobNotFoundError"
    assert sim.counters.requests["POST /api/jobs/{id}"] == 0
    code, doc = run_json("jobs", "show", "urn:veeam:Job:not-a-uuid")
    assert code == 2 and "not a Job id" in doc["error"]["message"]
    code, _ = run("jobs", "show", "Job 00*")
    assert code == 2  # names several jobs
    code, _ = run("jobs", "frobnicate")
    assert code == 2
    code, doc = run_json("tasks", "show", "task-999")
    assert code == 4
    sim.state.scripted = {backups(sim)[1].id: ["Failed"]}  # type: ignore[attr-defined]
    code, doc = run_json("jobs", "run", "Job 0000", "Job 0001")
    assert code == 5 and [r["status"] for r in doc["results"]] == ["success", "failed"]
    code, doc = run_json("jobs", "run", "Job 0001")  # its one scripted failure is spent
    assert code == 0 and doc["results"][0]["status"] == "success"
    sim.state.scripted = {backups(sim)[1].id: ["Failed"]}  # type: ignore[attr-defined]
    code, doc = run_json("jobs", "run", "Job 0001")
    assert code == 1 and doc["results"][0]["status"] == "failed"  # one job: 1, not 5
    monkeypatch.setenv("VEEAM_EM_PASSWORD", "wrong")
    code, doc = run_json("jobs", "list")
    assert code == 3 and "DOMAIN\\user" in doc["error"]["hint"] and "wrong" not in json.dumps(doc)


def test_usage_errors_exit_2_and_unknown_names_get_a_suggestion(
    sim: EMSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 23: what gh and kubectl do with a typo."""
    code, doc = run_json("jobs", "show", "Jbo 0001")
    assert code == 4 and "did you mean 'Job 0001' or" in doc["error"]["message"]
    code, doc = run_json("jobs", "start", "File Share 01")  # a NAS job, asked of VM jobs
    assert code == 4 and "it is a NAS job, see 'veeam-em nas-jobs'" in doc["error"]["message"]
    assert sim.counters.requests["POST /api/jobs/{id}"] == 0
    code, _ = run("sessions", "list", "--result", "Bogus")
    assert code == 2  # not a silent 0 sessions (click's usage error, before any document)
    code, doc = run_json("sessions", "list", "--result", "failed,Warning")
    assert code == 0  # EM's results, any case
    code, doc = run_json("jobs", "--url", sim.url, "list")  # a root option after the noun
    assert code == 0 and len(doc["items"]) == 12
    monkeypatch.setenv("VEEAM_EM_URL", sim.url.split("://", 1)[1])  # no scheme
    code, doc = run_json("jobs", "list")
    assert code == 2 and "https://" in doc["error"]["message"]


def test_errors_are_one_line_with_a_hint_on_stderr(
    sim: EMSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEEAM_EM_PASSWORD", "wrong")
    code, _ = run("jobs", "list")
    err = capsys.readouterr().err.splitlines()
    assert code == 3 and len(err) == 2
    assert err[0].startswith("error: ") and err[1].startswith("hint: ")
    monkeypatch.setenv("VEEAM_EM_URL", "https://" + sim.url.split("://", 1)[1])
    code, _ = run("jobs", "list")
    err = capsys.readouterr().err
    assert code == 1 and "try " + sim.url in err and "aiohttp" not in err
    assert "Client" not in err and "Traceback" not in err
    monkeypatch.setenv("VEEAM_EM_URL", "http://127.0.0.1:1")
    code, _ = run("jobs", "list")
    err = capsys.readouterr().err
    assert code == 1 and "connection refused" in err and "9398" in err
    monkeypatch.delenv("VEEAM_EM_URL")
    code, _ = run("jobs", "list")
    assert code == 2 and "VEEAM_EM_URL" in capsys.readouterr().err


def test_options_work_before_and_after_the_subcommand(
    sim: EMSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sim.url
    monkeypatch.setenv("VEEAM_EM_URL", "http://127.0.0.1:1")  # the command line wins
    for argv in (
        ("--url", url, "-o", "json", "jobs", "list"),
        ("jobs", "list", "--url", url, "--output", "json"),
        ("--json", "jobs", "list", "--url", url),
        ("--url", "http://127.0.0.1:1", "jobs", "list", "--url", url, "--json"),  # the last wins
    ):
        code, out = run(*argv)
        assert code == 0, argv
        assert len(json.loads(out)["items"]) == 12


def test_env_vars_cover_what_a_ci_job_sets(
    sim: EMSimulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEEAM_EM_OUTPUT", "json")
    monkeypatch.setenv("VEEAM_EM_INSECURE", "1")
    monkeypatch.setenv("VEEAM_EM_TIMEOUT", "30")
    monkeypatch.setenv("VEEAM_EM_MAX_CONNECTIONS", "2")
    code, out = run("jobs", "list")
    assert code == 0 and len(json.loads(out)["items"]) == 12
    assert "verification is disabled" in capsys.readouterr().err
    monkeypatch.setenv("VEEAM_EM_TIMEOUT", "soon")
    code, _ = run("jobs", "list")
    assert code == 2 and "soon" in capsys.readouterr().err


def test_a_profile_gives_url_and_user_and_never_holds_a_password(
    sim: EMSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    config = Path(str(tmp_path)) / "veeam-em" / "config.ini"
    monkeypatch.setenv("VEEAM_EM_CONFIG", str(config))
    monkeypatch.delenv("VEEAM_EM_URL")
    monkeypatch.delenv("VEEAM_EM_USER")
    code, _ = run("profile", "add", "lab", "--url", sim.url, "--user", sim.username)
    assert code == 0 and config.stat().st_mode & 0o077 == 0  # the owner's only
    assert "password" not in config.read_text() and sim.password not in config.read_text()
    code, doc = run_json("--profile", "lab", "jobs", "list")
    assert code == 0 and len(doc["items"]) == 12
    monkeypatch.setenv("VEEAM_EM_PROFILE", "lab")
    assert run_json("jobs", "list")[0] == 0
    code, doc = run_json("profile", "list")
    assert [i["name"] for i in doc["items"]] == ["lab"] and doc["items"][0]["url"] == sim.url
    config.write_text(config.read_text() + f"password = {sim.password}\n")
    code, _ = run("jobs", "list")
    assert code == 2  # refused, not read
    code, _ = run("--profile", "nope", "jobs", "list")
    assert code == 2


def test_a_keyring_password_is_used_when_the_environment_has_none(
    sim: EMSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: ClassVar[dict[tuple[str, str], str]] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        monkeypatch.setenv("VEEAM_EM_CONFIG", f"{tmp_path}/config.ini")
        assert run("profile", "add", "lab", "--url", sim.url, "--user", sim.username)[0] == 0
        code, _ = run("profile", "set-password", "lab")  # from VEEAM_EM_PASSWORD
        assert code == 0 and MemoryKeyring.store == {
            (f"veeam-em:{sim.url}", sim.username): sim.password
        }
        monkeypatch.delenv("VEEAM_EM_PASSWORD")
        code, doc = run_json("--profile", "lab", "jobs", "list")
        assert code == 0 and len(doc["items"]) == 12
        assert run_json("profile", "list")[1]["items"][0]["password_in_keyring"] is True
    finally:
        keyring.set_keyring(previous)


def test_completion_scripts_are_generated() -> None:
    for shell, marker in (("bash", "complete -o nosort -F"), ("zsh", "#compdef veeam-em"),
                          ("fish", "complete --no-files --command veeam-em")):  # fmt: skip
        code, out = run("completion", shell)
        assert code == 0 and marker in out and "_VEEAM_EM_COMPLETE" in out


def test_help_has_no_rest_markup_and_every_command_a_description() -> None:
    from veeam_em_async.cli.app import cli

    code, _ = run("--help")
    assert code == 0

    def walk(group: object) -> Iterator[object]:
        for command in group.commands.values():  # type: ignore[attr-defined]
            yield command
            if hasattr(command, "commands"):
                yield from walk(command)

    for command in walk(cli):
        short = command.get_short_help_str()  # type: ignore[attr-defined]
        assert short and "``" not in short and ":class:" not in short, command
        if not hasattr(command, "commands"):  # a leaf: examples of its own
            assert "Example" in (command.help or ""), command  # type: ignore[attr-defined]
        for param in command.params:  # type: ignore[attr-defined]
            if param.param_type_name == "option":
                assert param.help, (command, param.name)


def test_sessions_status_repositories_and_tasks(
    sim: EMSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs = backups(sim)[:3]
    sim.state.scripted = {jobs[0].id: ["Failed"], jobs[1].id: ["Warning"]}  # type: ignore[attr-defined]
    code, doc = run_json("jobs", "run", *(j.id for j in jobs))  # type: ignore[attr-defined]
    assert code == 5
    assert [r["result"] for r in doc["results"]] == ["Failed", "Warning", "Success"]
    (vm,) = doc["results"][0]["vm_reasons"]  # an object per VM (issue 23), not a string
    assert vm["result"] == "Failed" and vm["reason"].endswith("Failed to create VM snapshot")
    assert vm["vm"] == "job-0000-vm1"
    task_id = doc["results"][2]["task"]["id"]
    # A new command is a new logon session, and EM keeps a task only within the
    # session that created it (issue 22): the answer says so, and where to look.
    code, doc = run_json("tasks", "show", task_id)
    assert code == 4 and doc["error"]["type"] == "TaskLostError"
    assert task_id in doc["error"]["message"] and "sessions list" in doc["error"]["hint"]
    code, doc = run_json("sessions", "list", "--since", "1h", "--result", "Failed,Warning")
    assert code == 0 and sorted(s["result"] for s in doc["items"]) == ["Failed", "Warning"]
    failed_id = next(s["id"] for s in doc["items"] if s["result"] == "Failed")
    code, doc = run_json("sessions", "show", failed_id)
    assert code == 1 and doc["item"]["vm_reasons"]
    code, out = run("sessions", "watch", "--since", "1h", "--count", "3", "--interval", "0.05",
                    "-o", "json")  # fmt: skip
    lines = [json.loads(line) for line in out.splitlines()]
    for line in lines:  # JSON Lines: each one a session
        jsonschema.validate(line, SESSION_LINE)
    assert code == 0 and {line["job_name"] for line in lines} == {j.name for j in jobs}  # type: ignore[attr-defined]
    code, doc = run_json("jobs", "status")  # VM, NAS and agent jobs (issue 23)
    assert code == 1 and len(doc["items"]) == 12 + 2 + 3
    assert {i["job"]["type"] for i in doc["items"][12:]} == {"NAS", "AgentBackup"}
    capsys.readouterr()
    code, table = run("jobs", "status")
    assert code == 1 and "File Share 00" in table and "Agent Job 00" in table
    assert "exit 1: the last run of 1 jobs failed: Job 0000" in capsys.readouterr().err
    code, doc = run_json("repositories")
    assert code == 1 and doc["over"] == ["Backup Volume 02"]
    code, doc = run_json("repositories", "--warn-above", "95")
    assert code == 0 and [r["used_percent"] for r in doc["items"]] == [38.0, 91.0]


def test_sessions_stop(sim: EMSimulator) -> None:
    job = backups(sim)[0]
    sim.state.session_seconds = 3600
    assert run("jobs", "start", job.id, "--wait")[0] == 0  # type: ignore[attr-defined]
    (session_id,) = sim.state.jobs[job.id].sessions  # type: ignore[attr-defined]
    code, doc = run_json("sessions", "stop", session_id)
    assert code == 0 and doc["item"]["result"] == "Failed" and doc["task"]["state"] == "Finished"


def test_simulate_prints_the_user_as_typed() -> None:
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "veeam_em_async.cli", "simulate", "--port", "0", "--jobs", "1"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
    finally:
        process.terminate()
        process.wait(30)
        process.stdout.close()  # type: ignore[union-attr]
    assert lines[1].strip() == "user: TECH\\simulator"  # one backslash, no quotes


def test_wait_has_a_default_timeout() -> None:
    from veeam_em_async.cli.app import cli
    from veeam_em_async.cli.base import DEFAULT_WAIT_TIMEOUT

    for group in ("jobs", "nas-jobs", "agent-jobs"):
        start = cli.commands[group].commands["start"]  # type: ignore[attr-defined]
        (param,) = [p for p in start.params if p.name == "wait_timeout"]
        assert param.default == DEFAULT_WAIT_TIMEOUT == 600


def test_every_job_command_prints_its_schema_success_or_failure(sim: EMSimulator) -> None:
    """The commands the other tests leave out, each validated by ``run_json``; a
    retry of a job with no failed run fails, and says so in the same shape."""
    sim.state.session_seconds = 3600
    expected = {
        ("jobs", "start", "Job 0000"): ("finished", 0),
        ("jobs", "stop", "Job 0000"): ("finished", 0),
        ("jobs", "retry", "Job 0001"): ("failed", 1),  # no failed run to retry
        ("jobs", "sync", "Job 0008"): ("finished", 0),  # a backup copy job
        ("nas-jobs", "start", "--all"): ("finished", 0),
        ("nas-jobs", "stop", "--all"): ("finished", 0),
        ("agent-jobs", "start", "Agent Job 00"): ("finished", 0),
        ("agent-jobs", "stop", "Agent Job 00"): ("finished", 0),
        ("agent-jobs", "retry", "Agent Job 01"): ("failed", 1),
    }
    assert sim.state.jobs[list(sim.state.jobs)[8]].job_type == "BackupCopy"
    for argv, (status, exit_status) in expected.items():
        code, doc = run_json(*argv, "--wait")
        assert {r["status"] for r in doc["results"]} == {status}, (argv, doc["results"])
        assert code == exit_status, argv
    sim.state.session_seconds = 0.2
    for group, job in (("nas-jobs", "File Share 01"), ("agent-jobs", "Agent Job 02")):
        code, doc = run_json(group, "run", job)
        assert code == 0 and {r["status"] for r in doc["results"]} == {"success"}, doc
        assert doc["results"][0]["session"]["result"] == "Success"
        code, doc = run_json(group, "show", job)
        assert code == 0 and doc["item"]["name"] == job
    code, doc = run_json("agent-jobs", "show", "Agent Job 01")
    assert code == 0 and doc["item"]["platform"] == "AgentForLinux"
    code, doc = run_json("nas-jobs", "show", doc["item"]["id"])
    assert code == 4  # an agent job's id is no NAS job


def test_an_untrusted_certificate_gets_the_ca_file_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEEAM_EM_CONFIG", f"{tmp_path}/none.ini")
    with SimulatorThread(jobs=2, https=True) as sim:
        for name, value in env_for(sim).items():
            monkeypatch.setenv(name, value)
        code, _ = run("jobs", "list")
        err = capsys.readouterr().err
        assert code == 1 and "certificate verify failed" in err and "--ca-file" in err
        code, doc = run_json("jobs", "list", "--ca-file", str(sim.ca_file))
        assert code == 0 and len(doc["items"]) == 2


def test_a_job_named_twice_is_started_once(sim: EMSimulator) -> None:
    job = backups(sim)[0]
    code, doc = run_json("jobs", "start", "Job 0000", job.id, "Job 000[01]")  # type: ignore[attr-defined]
    assert code == 0 and [r["job"]["name"] for r in doc["results"]] == ["Job 0000", "Job 0001"]
    assert sim.counters.requests["POST /api/jobs/{id}"] == 2


def test_a_bug_is_one_line_unless_debugging(
    sim: EMSimulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from veeam_em_async.cli.commands import jobs

    async def broken(*_args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(jobs, "list_jobs", broken)
    code, doc = run_json("jobs", "list")
    assert code == 1 and doc["error"]["message"] == "RuntimeError: a bug"
    err = capsys.readouterr().err
    assert "VEEAM_EM_DEBUG=1" in err and "Traceback" not in err
    monkeypatch.setenv("VEEAM_EM_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        run("jobs", "list")


def test_a_keyring_that_refuses_is_a_usage_error(
    sim: EMSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: object,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        monkeypatch.setenv("VEEAM_EM_CONFIG", f"{tmp_path}/config.ini")
        assert run("profile", "add", "lab", "--url", sim.url, "--user", sim.username)[0] == 0
        code, _ = run("profile", "set-password", "lab")
        err = capsys.readouterr().err
        assert code == 2 and "keyring refused" in err and sim.password not in err
    finally:
        keyring.set_keyring(previous)


def test_completion_offers_job_names_from_em_and_caches_them(
    sim: EMSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: object,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Issue 23: `veeam-em jobs start Jo<TAB>` completes names, like kubectl's
    resource names, asking EM at most once a minute."""
    from veeam_em_async.cli import job_names as completion

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    clock = [1000.0]
    names = completion.job_names("jobs", now=lambda: clock[0])
    assert names[:2] == ["Job 0000", "Job 0001"] and len(names) == 12
    logons = sim.counters.logons
    assert completion.job_names("jobs", now=lambda: clock[0]) == names  # from the cache
    assert sim.counters.logons == logons
    clock[0] += completion.CACHE_SECONDS
    assert completion.job_names("nas-jobs", now=lambda: clock[0]) == [
        "File Share 00", "File Share 01"
    ]  # fmt: skip
    assert sim.counters.logons == logons + 1
    monkeypatch.delenv("VEEAM_EM_PASSWORD")  # no password without asking: no completion
    assert completion.job_names("agent-jobs") == []
    # As the shell asks for it (click's completion protocol): the names on stdout.
    monkeypatch.setenv("VEEAM_EM_PASSWORD", sim.password)
    monkeypatch.setenv("_VEEAM_EM_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "veeam-em jobs start Job")
    monkeypatch.setenv("COMP_CWORD", "3")
    from veeam_em_async.cli.app import cli

    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli.main(args=[], prog_name="veeam-em")
    shell = capsys.readouterr().out
    assert shell.splitlines() == [f"plain,{name}" for name in names]


def test_global_options_are_shown_once_and_work_everywhere(
    sim: EMSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 24: the root's options are listed by ``veeam-em --help`` only; every other
    help says in one line that they work there too (and they do)."""

    def help_of(*argv: str) -> str:
        capsys.readouterr()
        run(*argv, "--help")
        return capsys.readouterr().out

    root, leaf, group = help_of(), help_of("jobs", "start"), help_of("sessions")
    assert "--max-connections" in root and "Global options (" not in root
    for text in (leaf, group):
        assert "--max-connections N" not in text and "Global options (--url" in text
    code, doc = run_json("jobs", "list", "--max-connections", "2")  # still taken there
    assert code == 0 and len(doc["items"]) == 12


def test_jobs_status_reads_each_session_type_once_for_every_group(sim: EMSimulator) -> None:
    """``jobs status`` lists the three groups, then one ``last_results`` over all
    of them: NAS and agent jobs run backup sessions, read in the VM jobs' query."""
    sim.state.session_seconds = 0.2
    ran = (("jobs", "Job 0001"), ("nas-jobs", "File Share 01"), ("agent-jobs", "Agent Job 02"))
    for group, job in ran:
        assert run_json(group, "run", job)[0] == 0
    sim.counters.requests.clear()
    code, doc = run_json("jobs", "status")
    last = {i["job"]["name"]: (i["last"] or {}).get("result") for i in doc["items"]}
    assert code == 0 and {name for name, result in last.items() if result} == {j for _, j in ran}
    assert set(last.values()) == {"Success", None}
    # 3 lists + BackupJobSession + ReplicaJobSession (the fixture has a replica
    # job); one query per session type per group was 7
    assert sim.counters.requests["GET /api/query"] == 5
