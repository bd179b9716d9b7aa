"""The summary reports (``GET /reports/summary/…``): the five frames EM computes.

Each element of the vendor's frames is a snake_case field, EM's spelling kept
(``successful_vm_lastest_states``). Counts are ``int``; sizes are bytes;
``-1`` is EM's "cannot read it" (a snapshot-only repository's capacity);
times are aware UTC. A field a build leaves out is ``None``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from .common import Model, xml

__all__ = [
    "JobStatisticsReport",
    "OverviewReport",
    "ProcessedVmsDay",
    "ProcessedVmsReport",
    "RepositoryReport",
    "RepositoryReportPeriod",
    "VmsOverviewReport",
]


@attrs.frozen
class OverviewReport(Model):
    """``<OverviewReportFrame>``: the backup infrastructure and its VMs' latest states."""

    backup_servers: int | None = None
    proxy_servers: int | None = None
    repository_servers: int | None = None
    running_jobs: int | None = None
    scheduled_jobs: int | None = None
    successful_vm_lastest_states: int | None = None
    warning_vm_lastest_states: int | None = None
    failed_vm_lastest_states: int | None = None


@attrs.frozen
class JobStatisticsReport(Model):
    """``<JobStatisticsReportFrame>``: job runs by result, and the longest ones
    (durations as EM sends them)."""

    running_jobs: int | None = None
    scheduled_jobs: int | None = None
    scheduled_backup_jobs: int | None = None
    scheduled_replica_jobs: int | None = None
    total_job_runs: int | None = None
    successful_job_runs: int | None = None
    warnings_job_runs: int | None = None
    failed_job_runs: int | None = None
    max_job_duration: int | None = None
    max_backup_job_duration: int | None = None
    max_replica_job_duration: int | None = None
    max_duration_backup_job_name: str | None = None
    max_duration_replica_job_name: str | None = None
    backup_job_status_report_link: str | None = None


@attrs.frozen
class VmsOverviewReport(Model):
    """``<VmsOverviewReportFrame>``: protected VMs, their points and sizes (bytes)."""

    protected_vms: int | None = None
    backed_up_vms: int | None = None
    replicated_vms: int | None = None
    restore_points: int | None = None
    full_backup_points_size: int | None = None
    incremental_backup_points_size: int | None = None
    replica_restore_points_size: int | None = None
    source_vms_size: int | None = None
    success_backup_percents: int | None = None
    protected_vms_report_link: str | None = None


@attrs.frozen
class RepositoryReportPeriod(Model):
    """One repository of the repository report (EM calls the element ``Period``)."""

    name: str | None = None
    capacity: int | None = None
    free_space: int | None = None
    backup_size: int | None = None

    @property
    def free_ratio(self) -> float | None:
        """Free space as a share of capacity, or ``None`` where EM could not read
        the capacity (``-1``) or it is zero."""
        if self.capacity is None or self.capacity <= 0 or self.free_space is None:
            return None
        if self.free_space < 0:
            return None
        return min(self.free_space / self.capacity, 1.0)


@attrs.frozen
class RepositoryReport(Model):
    """``<RepositoryReportFrame>``: capacity, free space and backup size per repository."""

    periods: list[RepositoryReportPeriod] = xml("Period", factory=list)
    capacity_planning_report_link: str | None = xml("@CapacityPlanningReportLink", default=None)


@attrs.frozen
class ProcessedVmsDay(Model):
    """One day of the processed-VMs report (EM stamps it in its own time zone;
    ``timestamp`` is that instant in UTC)."""

    timestamp: datetime | None = xml("@Timestamp", default=None)
    backuped_vms: int | None = xml("@BackupedVms", default=None)
    replicated_vms: int | None = xml("@ReplicatedVms", default=None)


@attrs.frozen
class ProcessedVmsReport(Model):
    """``<ProcessedVmsReportFrame>``: VMs backed up and replicated per day, newest first."""

    days: list[ProcessedVmsDay] = xml("Day", factory=list)
