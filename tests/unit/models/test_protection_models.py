"""The protection documents (the vendor's own bodies) and the pure RPO fold."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import fixture_bytes
from veeam_em_async import (
    Backup,
    EntityRef,
    HierarchyItem,
    HierarchyRoot,
    JobStatisticsReport,
    OverviewReport,
    ProcessedVmsReport,
    QuickBackupStartupSpec,
    RepositoryReport,
    RestorePoint,
    TaskInfo,
    VmRestorePoint,
    VmsOverviewReport,
    from_xml,
)
from veeam_em_async.models import NewestPoints, ProtectionReport, root_id_of
from veeam_em_async.models.query import parse_query_page
from veeam_em_async.runs._context import related_session
from veeam_em_async.xmlio import parse_document

UTC = timezone.utc


def test_vm_restore_point_entity_of_13_0() -> None:
    point = from_xml(fixture_bytes("vm_restore_point.xml"))
    assert isinstance(point, VmRestorePoint)
    assert point.id == "5acac742-ee17-4080-8e89-a6ea67adfcf3"
    assert point.creation_time == datetime(2016, 10, 6, 13, 59, 50, 783000, tzinfo=UTC)
    assert (point.algorithm, point.point_type) == ("Incremental", "Increment")
    assert point.hierarchy_ref == (
        "urn:HyperV:Vm:757baa80-d19b-4607-a592-98e15d45d9b2.e3e47ce3-ace6-4f06-9aaf-f52cf2e11234"
    )
    assert point.vm_name == "oracle03"  # from the point's name: the 13.0 entity has no VmName
    assert point.backup_server_uid == "urn:veeam:BackupServer:00fd67d9-2b4c-4c56-8a95-0b3dbec7ae43"
    assert dict(point.extra) == {}


def test_vm_restore_point_query_page_of_13_1() -> None:
    page = parse_query_page(fixture_bytes("query_vm_restore_points.xml"), VmRestorePoint)
    assert [p.creation_time.day for p in page.items if p.creation_time] == [16, 15, 14]
    first = page.items[0]
    assert first.vm_name == "dbserver01" and first.vm_display_name == "dbserver01"
    assert first.hierarchy_ref == "urn:VMware:Vm:de28dc43-b8ee-4e17-8e63-3d38b6604033.vm-62228"
    assert first.backup_server_uid == "urn:veeam:BackupServer:7445e6ce-86f5-4171-b909-dac209c66563"
    assert page.paging is not None and page.paging.pages_count == 7 and page.next_page == 2


def test_backups_restore_points_and_hierarchy() -> None:
    page = parse_query_page(fixture_bytes("query_backups.xml"), Backup)
    parent, child = page.items
    assert (parent.name, parent.platform, parent.job_type) == (
        "Agent Backup Job 1", "AgentForWindows", "ParentBackup"
    )  # fmt: skip
    assert child.job_type == "ChildBackup" and child.creation_time is None
    assert child.backup_server_uid == "urn:veeam:BackupServer:7445e6ce-86f5-4171-b909-dac209c66563"
    point = from_xml(fixture_bytes("restore_point.xml"))
    assert isinstance(point, RestorePoint)
    assert point.backup_date == datetime(2016, 9, 20, 14, 59, 2, 777000, tzinfo=UTC)
    roots = from_xml(fixture_bytes("hierarchy_roots.xml"))
    assert isinstance(roots, list) and len(roots) == 4 and isinstance(roots[0], EntityRef)
    assert roots[0].link("Up", "BackupServerReference") is not None
    root = from_xml(fixture_bytes("hierarchy_root.xml"))
    assert isinstance(root, HierarchyRoot) and root.host_type == "VC"
    assert root.backup_server_uid == "urn:veeam:BackupServer:ce15a8c7-aa49-495e-b05b-ee3398c91018"
    assert root.root_id == "0d7ea80c-6ac8-46bf-863c-3a6093f8baec"
    items = from_xml(fixture_bytes("lookup_vm.xml"))
    assert isinstance(items, list) and isinstance(items[0], HierarchyItem)
    assert (items[0].name, items[0].type) == ("DC", "Vm")
    assert items[0].root_uid == "urn:veeam:HierarchyRoot:fa099d3b-7376-49b1-884c-bb6fa47c7b1e"


def test_the_five_report_frames() -> None:
    overview = from_xml(fixture_bytes("report_overview.xml"))
    assert isinstance(overview, OverviewReport)
    assert (overview.backup_servers, overview.proxy_servers, overview.repository_servers) == (
        2, 4, 6
    )  # fmt: skip
    assert overview.successful_vm_lastest_states == 18 and overview.scheduled_jobs == 2
    stats = from_xml(fixture_bytes("report_job_statistics.xml"))
    assert isinstance(stats, JobStatisticsReport)
    assert (stats.total_job_runs, stats.successful_job_runs, stats.failed_job_runs) == (12, 7, 5)
    assert stats.max_duration_backup_job_name == "Backup_2025-10-18T044119"
    assert stats.backup_job_status_report_link is not None
    assert stats.backup_job_status_report_link.endswith("&ShowParams=1")  # &amp; unescaped
    vms = from_xml(fixture_bytes("report_vms_overview.xml"))
    assert isinstance(vms, VmsOverviewReport)
    assert vms.source_vms_size == 70944288914 and vms.success_backup_percents == 100
    repos = from_xml(fixture_bytes("report_repository.xml"))
    assert isinstance(repos, RepositoryReport) and len(repos.periods) == 6
    snapshot = repos.periods[1]
    assert (snapshot.name, snapshot.capacity, snapshot.free_ratio) == ("NetApp SnapShot", -1, None)
    assert repos.periods[0].free_ratio == pytest.approx(321163100160 / 322122547200)
    days = from_xml(fixture_bytes("report_processed_vms.xml"))
    assert isinstance(days, ProcessedVmsReport) and len(days.days) == 7
    # EM stamps the day in its own zone (-07:00): the same instant, in UTC.
    assert days.days[0].timestamp == datetime(2025, 10, 19, 7, tzinfo=UTC)
    assert (days.days[0].backuped_vms, days.days[0].replicated_vms) == (8, 2)


def test_quick_backup_body_is_the_vendors_and_its_task_links_the_session() -> None:
    ref = "urn:VMware:Vm:02bd0847-f522-4670-90eb-10312498809d.vm-80225"
    mine = parse_document(QuickBackupStartupSpec(ref).to_xml())
    vendor = parse_document(fixture_bytes("quick_backup_request.xml"))
    assert mine == vendor
    for bad in ("web01", "urn:VMware:Vm:x<y>.1", ""):
        with pytest.raises(ValueError):
            QuickBackupStartupSpec(bad)
    task = from_xml(fixture_bytes("task_quick_backup_finished.xml"))
    assert isinstance(task, TaskInfo) and task.operation == "QuickBackup"
    assert (
        related_session(task) == "urn:veeam:BackupJobSession:d34e76fb-86d6-41e9-b84f-88a87b52e07a"
    )


def test_root_id_of_a_hierarchy_ref() -> None:
    assert root_id_of("urn:VMware:Vm:de28dc43-b8ee-4e17-8e63-3d38b6604033.vm-62228") == (
        "de28dc43-b8ee-4e17-8e63-3d38b6604033"
    )
    assert root_id_of(
        "urn:vCloud:Vm:fa099d3b-7376-49b1-884c-bb6fa47c7b1e.urn:vcloud:vm:340be4d6-8657"
    ) == ("fa099d3b-7376-49b1-884c-bb6fa47c7b1e")
    assert root_id_of("web01") is None and root_id_of("urn:VMware:Vm:noroot") is None


def _point(name: str, ref: str, hours_ago: float, now: datetime) -> VmRestorePoint:
    created = (now - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (
        f'<VmRestorePoint xmlns="http://www.veeam.com/ent/v1.0" Href="https://em/api/x" '
        f'UID="urn:veeam:VmRestorePoint:{abs(hash((ref, hours_ago))):032x}" Name="{name}@x">'
        f"<CreationTimeUTC>{created}</CreationTimeUTC><HierarchyObjRef>{ref}</HierarchyObjRef>"
        "</VmRestorePoint>"
    )
    point = from_xml(body)
    assert isinstance(point, VmRestorePoint)
    return point


def test_newest_points_are_the_same_in_any_order_and_keyed_by_reference() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    a = "urn:VMware:Vm:aaaaaaaa-0000-4000-8000-000000000001.vm-1"
    b = "urn:VMware:Vm:bbbbbbbb-0000-4000-8000-000000000002.vm-1"  # same name, other vCenter
    points = [_point("web01", ref, h, now) for ref in (a, b) for h in (30, 2, 50, 5)]
    results = []
    for seed in range(5):
        shuffled = list(points)
        random.Random(seed).shuffle(shuffled)
        newest = NewestPoints()
        newest.extend(shuffled)
        results.append({k: p.creation_time for k, p in newest.by_vm.items()})
    assert all(r == results[0] for r in results)
    assert results[0] == {a: now - timedelta(hours=2), b: now - timedelta(hours=2)}


def test_protection_report_verdicts() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    newest = NewestPoints()
    newest.extend([
        _point("ok", "urn:VMware:Vm:aaaaaaaa-0000-4000-8000-000000000001.vm-1", 23.5, now),
        _point("edge", "urn:VMware:Vm:aaaaaaaa-0000-4000-8000-000000000001.vm-2", 24, now),
        _point("old", "urn:VMware:Vm:aaaaaaaa-0000-4000-8000-000000000001.vm-3", 24.5, now),
    ])  # fmt: skip
    report = ProtectionReport.build(
        newest, now=now, max_age=timedelta(hours=24), since=now - timedelta(days=7),
        wanted=["OK", "missing", "urn:VMware:Vm:cccccccc-0000-4000-8000-000000000003.vm-9"],
    )  # fmt: skip
    assert [(v.vm_name, v.ok) for v in report.vms] == [
        ("missing", False), ("old", False), (None, False), ("edge", True), ("ok", True)
    ]  # fmt: skip
    assert [v.reason for v in report.breaches] == [
        "no restore point", "newest point is 24.5h old (max 24h)", "no restore point"
    ]  # fmt: skip
    assert report.breaches[2].hierarchy_ref is not None and report.points_read == 3
    assert not report.ok
