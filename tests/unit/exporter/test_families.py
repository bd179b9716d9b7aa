"""The metrics from a snapshot of the vendor's own bodies, with no EM and no HTTP:
names, labels and values, parsed back by prometheus_client's parser."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import fixture_bytes
from veeam_em_async.exporter import SPECS, JobState, Snapshot, families
from veeam_em_async.exporter.families import job_last_result, jobs_sessions_state
from veeam_em_async.models import (
    BACKUP_JOB_SESSION,
    BACKUP_SERVER,
    OVERVIEW_REPORT,
    REPOSITORY,
    VM_RESTORE_POINT,
    VMS_OVERVIEW_REPORT,
    ProtectionReport,
)
from veeam_em_async.models.protection import NewestPoints

NOW = datetime(2025, 8, 17, tzinfo=timezone.utc)


@attrs.define
class View:
    name: str
    snapshot: Snapshot | None = None
    up: bool = True
    errors: int = 0
    duration: float | None = 1.5
    requests: int = 12


def snapshot(**changes: object) -> Snapshot:
    session = BACKUP_JOB_SESSION.parse(fixture_bytes("backup_job_session.xml"))
    newest = NewestPoints()
    newest.extend([VM_RESTORE_POINT.parse(fixture_bytes("vm_restore_point.xml"))])
    report = ProtectionReport.build(
        newest, now=NOW, max_age=timedelta(hours=24), since=NOW - timedelta(days=7),
        wanted=["missing-vm"],
    )  # fmt: skip
    values: dict[str, object] = {
        "taken_at": NOW,
        "overview": OVERVIEW_REPORT.parse(fixture_bytes("report_overview.xml")),
        "vms_overview": VMS_OVERVIEW_REPORT.parse(fixture_bytes("report_vms_overview.xml")),
        "repositories": [REPOSITORY.parse(fixture_bytes("repository.xml"))],
        "backup_servers": [BACKUP_SERVER.parse(fixture_bytes("backup_server.xml"))],
        "jobs": [
            JobState(
                "Backup Job 1", "urn:veeam:Job:1", "vbr01", last=session, last_success=session
            ),
            JobState("Never Ran", "urn:veeam:Job:2", "vbr01"),
        ],
        "protection": report,
        **changes,
    }
    return Snapshot(**values)  # type: ignore[arg-type]


class Registry:
    def __init__(self, *views: View) -> None:
        self.views = views

    def collect(self):  # type: ignore[no-untyped-def]
        return families(self.views)


def parsed(*views: View) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = generate_latest(Registry(*views)).decode()  # type: ignore[arg-type]
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_every_family_is_served_once_with_an_em_label_first() -> None:
    found = parsed(View("prod", snapshot()))
    served = {name.removesuffix("_total") for name in found}
    assert served == {spec.name for spec in SPECS}  # the job with a run fills every family
    assert all(labels["em"] == "prod" for rows in found.values() for labels, _ in rows)
    assert len({spec.name for spec in SPECS}) == len(SPECS)


def test_the_vendors_reports_become_the_veeam_em_family() -> None:
    found = parsed(View("prod", snapshot()))
    overview = OVERVIEW_REPORT.parse(fixture_bytes("report_overview.xml"))
    counts = {
        (ls["type"], ls["count_type"]): v for ls, v in found["veeam_em_overview_element_count"]
    }
    assert counts[("backup", "server")] == overview.backup_servers
    assert counts[("failed_vms", "tasks")] == overview.failed_vm_lastest_states
    repo = REPOSITORY.parse(fixture_bytes("repository.xml"))
    ((labels, total),) = found["veeam_em_overview_repositories_capacity_total_bytes"]
    assert (labels["name"], labels["uid"], total) == (repo.name, repo.uid, repo.capacity)
    ((_, ratio),) = found["veeam_em_repository_free_ratio"]
    assert ratio == repo.free_ratio
    ((server, one),) = found["veeam_em_backup_servers_config"]
    assert one == 1 and server["full_version"].startswith(server["version"])


def test_a_job_without_a_run_is_minus_one_and_has_no_session_series() -> None:
    found = parsed(View("prod", snapshot()))
    results = {ls["jobname"]: v for ls, v in found["veeam_em_job_last_result"]}
    session = BACKUP_JOB_SESSION.parse(fixture_bytes("backup_job_session.xml"))
    assert results == {"Backup Job 1": job_last_result(session), "Never Ran": -1}
    states = found["veeam_em_jobs_sessions_state"]
    assert [ls["jobname"] for ls, _ in states] == ["Backup Job 1"]
    # The family's "name" label is the job's, not the session's: no series per run.
    assert states[0][0]["name"] == "Backup Job 1"
    ((_, when),) = found["veeam_em_job_last_success_timestamp_seconds"]
    assert session.end_time is not None and when == session.end_time.timestamp()


def test_vms_with_and_without_a_point() -> None:
    found = parsed(View("prod", snapshot()))
    point = VM_RESTORE_POINT.parse(fixture_bytes("vm_restore_point.xml"))
    protected = {ls["vm"]: (ls, v) for ls, v in found["veeam_em_vm_protected"]}
    # Named in vms= but without a point: a breach, with no timestamp series.
    assert protected["missing-vm"] == (
        {"em": "prod", "vm": "missing-vm", "vm_ref": "", "backupserver": ""},
        0.0,
    )
    ((labels, when),) = found["veeam_em_vm_last_restore_point_timestamp_seconds"]
    assert labels["vm"] == point.vm_name and labels["vm_ref"] == point.hierarchy_ref
    assert point.creation_time is not None and when == point.creation_time.timestamp()
    # The vendor's point is years older than NOW: not protected within 24 hours.
    assert protected[point.vm_name][1] == 0.0


def test_an_em_never_collected_is_down_with_health_only() -> None:
    found = parsed(View("prod", snapshot()), View("dr", None, up=False, errors=3))
    assert {ls["em"]: v for ls, v in found["veeam_em_up"]} == {"prod": 1, "dr": 0}
    assert {ls["em"]: v for ls, v in found["veeam_em_collect_errors_total"]}["dr"] == 3
    assert {ls["em"] for ls, _ in found["veeam_em_job_last_result"]} == {"prod"}
    assert [ls["em"] for ls, _ in found["veeam_em_last_collect_timestamp_seconds"]] == ["prod"]


def test_a_label_set_given_twice_is_served_once() -> None:
    snap = snapshot()
    twin = attrs.evolve(snap.jobs[0], uid="urn:veeam:Job:3")  # same name, server and type
    found = parsed(View("prod", attrs.evolve(snap, jobs=[*snap.jobs, twin])))
    names = [ls["jobname"] for ls, _ in found["veeam_em_job_last_result"]]
    assert sorted(names) == ["Backup Job 1", "Never Ran"]


def test_the_numbers_of_results_and_states() -> None:
    session = BACKUP_JOB_SESSION.parse(fixture_bytes("backup_job_session.xml"))
    for result, family, ours in (("Success", 1, 0), ("Warning", 2, 1), ("Failed", 3, 2)):
        run = attrs.evolve(session, result=result, state="Stopped")
        assert (jobs_sessions_state(run), job_last_result(run)) == (family, ours)
    stopped = attrs.evolve(session, result=None, state="Stopped")
    assert (jobs_sessions_state(stopped), job_last_result(stopped)) == (10, -1)
    working = attrs.evolve(session, result=None, state="Working")
    assert jobs_sessions_state(working) == 5
    assert job_last_result(None) == -1


async def test_a_render_that_fails_in_the_background_is_logged_and_the_last_page_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from veeam_em_async import EnterpriseManager
    from veeam_em_async.exporter import Exporter

    em = EnterpriseManager("http://127.0.0.1:9", "u", "p")  # never asked: no collection
    exporter = Exporter.of({"prod": em})
    first, _ = await exporter.page()  # rendered once: health only, up 0
    exporter.collectors["prod"].version += 1  # a collection ended: the page is stale

    def broken(*args: object) -> tuple[bytes, str]:
        raise RuntimeError("encoder bug")

    exporter.render = broken  # type: ignore[method-assign]
    served, _ = await exporter.page()
    assert served == first  # the last page, while the new one is (not) made
    assert exporter._rendering is not None
    await asyncio.gather(exporter._rendering, return_exceptions=True)
    await asyncio.sleep(0)  # the done callback runs
    assert "rendering the metrics failed" in caplog.text and "encoder bug" in caplog.text
    await em.close()
