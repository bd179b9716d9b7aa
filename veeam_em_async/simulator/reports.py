"""The five summary reports, computed from the simulator's own state, so that a
report and the jobs, sessions, repositories and points it sums never disagree.

The vendor pages do not say over which period the run counts are taken; the
simulator takes the runs created in the last 24 hours (EM's dashboard default),
and the processed-VMs report's last 7 days (the vendor's example has 7), by UTC day.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from .documents import EPOCH, NS, _a
from .job_sessions import VMS_PER_JOB
from .protection import VM_SIZE

if TYPE_CHECKING:
    from .job_sessions import SimJobSession
    from .state import EMState, SimJob

__all__ = ["REPORTS"]

DAY = 86_400.0
_RESULTS = ("Success", "Warning", "Failed")


def _jobs(state: EMState) -> list[SimJob]:
    return [*state.jobs.values(), *state.nas_jobs.values(), *state.agent_jobs.values()]


def _recent_runs(state: EMState, now: float) -> list[SimJobSession]:
    return [r for r in state.job_sessions.values() if now - DAY <= r.created <= now]


def _frame(root: str, values: dict[str, object], attributes: str = "") -> str:
    body = "".join(f"<{k}>{v}</{k}>" for k, v in values.items())
    return f"<{root} {NS}{attributes}>{body}</{root}>"


def overview(state: EMState, now: float) -> str:
    latest: dict[str, int] = dict.fromkeys(_RESULTS, 0)
    for job in state.jobs.values():
        ended = [r for r in map(state.job_sessions.get, job.sessions)
                 if r is not None and r.result(now) is not None]  # fmt: skip
        if not ended or job.job_type not in ("Backup", "Replica"):
            continue
        for index in range(VMS_PER_JOB):  # each VM's newest run (a quick backup runs one)
            last = next((r for r in reversed(ended) if index in r.vms), None)
            result = last.task_result(index, now)[0] if last is not None else None
            if result in latest:
                latest[result] += 1
    return _frame("OverviewReportFrame", {
        "BackupServers": len(state.backup_servers),
        "ProxyServers": 1,
        "RepositoryServers": len(state.repositories),
        "RunningJobs": sum(state.running(j) for j in _jobs(state)),
        "ScheduledJobs": sum(j.schedule_enabled for j in _jobs(state)),
        "SuccessfulVmLastestStates": latest["Success"],
        "WarningVmLastestStates": latest["Warning"],
        "FailedVmLastestStates": latest["Failed"],
    })  # fmt: skip


def job_statistics(state: EMState, now: float) -> str:
    ended = [r for r in _recent_runs(state, now) if r.result(now) is not None]
    counts = {result: sum(r.result(now) == result for r in ended) for result in _RESULTS}

    def longest(runs: list[SimJobSession]) -> tuple[int, str]:
        if not runs:
            return 0, ""
        run = max(runs, key=lambda r: r.ended_at() - r.created)
        return round(run.ended_at() - run.created), run.job_name

    backups = [r for r in ended if not r.replica]
    replicas = [r for r in ended if r.replica]
    (most, _), (most_backup, backup_name) = longest(ended), longest(backups)
    most_replica, replica_name = longest(replicas)
    scheduled = [j for j in state.jobs.values() if j.schedule_enabled]
    return _frame("JobStatisticsReportFrame", {
        "RunningJobs": sum(state.running(j) for j in _jobs(state)),
        "ScheduledJobs": sum(j.schedule_enabled for j in _jobs(state)),
        "ScheduledBackupJobs": sum(j.job_type == "Backup" for j in scheduled),
        "ScheduledReplicaJobs": sum(j.job_type == "Replica" for j in scheduled),
        "TotalJobRuns": len(ended),
        "SuccessfulJobRuns": counts["Success"],
        "WarningsJobRuns": counts["Warning"],
        "FailedJobRuns": counts["Failed"],
        "MaxJobDuration": most,
        "MaxBackupJobDuration": most_backup,
        "MaxReplicaJobDuration": most_replica,
        "MaxDurationBackupJobName": backup_name,
        "MaxDurationReplicaJobName": replica_name,
        "BackupJobStatusReportLink": "Workspace/ViewReport.aspx?definition=sim&amp;ShowParams=1",
    })  # fmt: skip


def _replicated(
    state: EMState, now: float, low: float = float("-inf"), high: float = float("inf")
) -> int:
    """VMs of replica runs that ended well, between ``low`` and ``high``."""
    vms: set[tuple[str, int]] = set()
    for run in state.job_sessions.values():
        if run.replica and run.result(now) in ("Success", "Warning"):
            if low <= run.ended_at() < high:
                vms.update((run.job_id, index) for index in run.vms)
    return len(vms)


def vms_overview(state: EMState, now: float) -> str:
    points = state.protection.points
    backed_up = len({p.vm.ref for p in points})
    replicated = _replicated(state, now)
    ended = [r for r in _recent_runs(state, now) if r.result(now) is not None]
    good = sum(r.result(now) in ("Success", "Warning") for r in ended)
    return _frame("VmsOverviewReportFrame", {
        "ProtectedVms": backed_up + replicated,
        "BackedUpVms": backed_up,
        "ReplicatedVms": replicated,
        "RestorePoints": len(points),
        "FullBackupPointsSize": sum(p.size for p in points if p.point_type == "Full"),
        "IncrementalBackupPointsSize": sum(p.size for p in points if p.point_type != "Full"),
        "ReplicaRestorePointsSize": 0,
        "SourceVmsSize": backed_up * VM_SIZE,
        "SuccessBackupPercents": round(100 * good / len(ended)) if ended else 100,
        "ProtectedVmsReportLink": "Workspace/ViewReport.aspx?definition=sim&amp;ShowParams=1",
    })  # fmt: skip


def repository(state: EMState, now: float) -> str:
    periods = "".join(
        f"<Period><Name>{r.name}</Name><Capacity>{r.capacity}</Capacity>"
        f"<FreeSpace>{r.free}</FreeSpace><BackupSize>{r.capacity - r.free}</BackupSize></Period>"
        for r in state.repositories.values()
    )
    link = _a("Workspace/ViewReport.aspx?definition=sim&ShowParams=1")
    root = "RepositoryReportFrame"
    return f"<{root} {NS} CapacityPlanningReportLink={link}>{periods}</{root}>"


def processed_vms(state: EMState, now: float) -> str:
    today = datetime.fromtimestamp(EPOCH + now, timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    days = []
    for back in range(7):
        start = today - timedelta(days=back)
        low = start.timestamp() - EPOCH
        high = low + DAY
        backed = len({p.vm.ref for p in state.protection.points if low <= p.created < high})
        replicated = _replicated(state, now, low, high)
        days.append(f'<Day BackupedVms="{backed}" ReplicatedVms="{replicated}" '
                    f'Timestamp="{start:%Y-%m-%dT%H:%M:%S}+00:00" />')  # fmt: skip
    return f"<ProcessedVmsReportFrame {NS}>{''.join(days)}</ProcessedVmsReportFrame>"


#: URL name -> the function that renders it.
REPORTS = {
    "overview": overview,
    "job_statistics": job_statistics,
    "vms_overview": vms_overview,
    "repository": repository,
    "processed_vms": processed_vms,
}
