"""``em.reports``: the five summary reports EM computes (``/reports/summary/…``)."""

from __future__ import annotations

from ..models import (
    JOB_STATISTICS_REPORT,
    OVERVIEW_REPORT,
    PROCESSED_VMS_REPORT,
    REPOSITORY_REPORT,
    VMS_OVERVIEW_REPORT,
    JobStatisticsReport,
    OverviewReport,
    ProcessedVmsReport,
    RepositoryReport,
    VmsOverviewReport,
)
from .base import Resource


class ReportsResource(Resource):
    """What EM's dashboards show, one request each: the numbers monitoring reads."""

    async def overview(self) -> OverviewReport:
        """``GET /reports/summary/overview``: servers, jobs and VMs' latest states."""
        return await self._get("reports/summary/overview", OVERVIEW_REPORT)

    async def job_statistics(self) -> JobStatisticsReport:
        """``GET /reports/summary/job_statistics``: runs by result, longest runs."""
        return await self._get("reports/summary/job_statistics", JOB_STATISTICS_REPORT)

    async def vms_overview(self) -> VmsOverviewReport:
        """``GET /reports/summary/vms_overview``: protected VMs, points and sizes."""
        return await self._get("reports/summary/vms_overview", VMS_OVERVIEW_REPORT)

    async def repositories(self) -> RepositoryReport:
        """``GET /reports/summary/repository``: capacity and free space per repository."""
        return await self._get("reports/summary/repository", REPOSITORY_REPORT)

    async def processed_vms(self) -> ProcessedVmsReport:
        """``GET /reports/summary/processed_vms``: VMs processed per day."""
        return await self._get("reports/summary/processed_vms", PROCESSED_VMS_REPORT)
