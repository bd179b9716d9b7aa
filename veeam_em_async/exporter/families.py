"""The metrics: every family the exporter serves (`SPECS`), and how a snapshot and a
collector's health become their samples. Pure: no EM, no HTTP.

The names shared with the ``veeam_em_*`` family of httpapi_exporter's Veeam
contribution keep that exporter's label names, so its dashboards keep working
(``docs/exporter.md`` lists the mapping). Every sample also has an ``em`` label,
the EM's name, so one ``/metrics`` can serve a fleet. Cardinality is bounded by
what EM manages: a series per job, per VM, per repository and per backup server,
never per session or per restore point.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import attrs
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..models import JobSession
from .snapshot import JobState, Snapshot

__all__ = ["SPECS", "EmView", "Spec", "families", "job_last_result", "jobs_sessions_state"]


@attrs.frozen
class Spec:
    """One family: its name (a counter's without ``_total``), type, help and labels
    (``em`` first, always)."""

    name: str
    kind: str
    help: str
    labels: tuple[str, ...] = ()

    def empty(self) -> Metric:
        labels = ["em", *self.labels]
        if self.kind == "counter":
            return CounterMetricFamily(self.name, self.help, labels=labels)
        return GaugeMetricFamily(self.name, self.help, labels=labels)


# Not "job": Prometheus gives every target a ``job`` label and would rename ours
# ``exported_job`` (seen with a real Prometheus); the veeam_em_* family's spelling.
_JOB = ("jobname", "jobtype", "backupserver")
_VM = ("vm", "vm_ref", "backupserver")
_REPO = ("name", "type", "uid")
_SESSION = ("backupserver", "name", "jobname", "jobtype")

SPECS: tuple[Spec, ...] = (
    # The veeam_em_* family's names and labels.
    Spec("veeam_em_overview_element_count", "gauge", "EM's overview report: servers by "
         "type (count_type=server) and scheduled jobs and VMs' latest states "
         "(count_type=tasks)", ("type", "count_type")),
    Spec("veeam_em_overview_vms_count", "gauge", "VMs by protection (protected, backedup, "
         "replicated) and restore points (type=restore_points)", ("type",)),
    Spec("veeam_em_overview_vms_total_bytes", "gauge", "Sizes from EM's VMs overview: "
         "full and incremental backup points, replica points, source VMs", ("type",)),
    Spec("veeam_em_overview_vms_success_backup_percent", "gauge",
         "Percentage of successful VM backups (EM's VMs overview)"),
    Spec("veeam_em_overview_repositories_capacity_total_bytes", "gauge",
         "Capacity of each repository in bytes", _REPO),
    Spec("veeam_em_overview_repositories_capacity_free_bytes", "gauge",
         "Free space of each repository in bytes", _REPO),
    Spec("veeam_em_backup_servers_config", "gauge", "A backup server EM manages (always 1; "
         "the labels carry its settings)", ("name", "description", "port", "full_version",
                                            "version")),
    Spec("veeam_em_jobs_sessions_state", "gauge", "Each job's newest finished run (0 unknown, "
         "1 Success, 2 Warning, 3 Failed, 10 Stopped without a result); name is the job's",
         _SESSION),
    Spec("veeam_em_jobs_sessions_duration", "gauge", "How long each job's newest finished "
         "run took, in seconds", _SESSION),
    # What none of them has.
    Spec("veeam_em_job_last_result", "gauge", "Each job's newest finished run in the window: "
         "0 Success, 1 Warning, 2 Failed, -1 none (no run, or stopped without a result)", _JOB),
    Spec("veeam_em_job_last_success_timestamp_seconds", "gauge", "When each job's newest "
         "Success or Warning run in the window ended (Unix time)", _JOB),
    Spec("veeam_em_vm_last_restore_point_timestamp_seconds", "gauge", "When each VM's newest "
         "restore point in the window was created (Unix time)", _VM),
    Spec("veeam_em_vm_protected", "gauge", "1 when the VM's newest restore point is no older "
         "than the exporter's --max-age (the RPO), else 0", _VM),
    Spec("veeam_em_repository_free_ratio", "gauge", "Free space as a share of capacity (0 to "
         "1); absent where EM cannot read the capacity", _REPO),
    # The exporter's own health, per EM.
    Spec("veeam_em_up", "gauge", "1 when the last collection from this EM succeeded"),
    Spec("veeam_em_collect_duration_seconds", "gauge", "How long the last collection took"),
    Spec("veeam_em_collect_errors", "counter", "Collections that failed"),
    Spec("veeam_em_requests", "counter", "Requests the exporter sent to this EM"),
    Spec("veeam_em_last_collect_timestamp_seconds", "gauge",
         "When the values served were collected (Unix time; absent before the first)"),
)  # fmt: skip


class EmView(Protocol):
    """What the families need of one EM's collector."""

    @property
    def name(self) -> str: ...
    @property
    def snapshot(self) -> Snapshot | None: ...
    @property
    def up(self) -> bool: ...
    @property
    def errors(self) -> int: ...
    @property
    def duration(self) -> float | None: ...
    @property
    def requests(self) -> int: ...


#: Result, else state, as the veeam_em_* family numbers them (its ``jobStatus``).
_SESSION_STATES = {
    "Unknown": 0, "Success": 1, "Warning": 2, "Failed": 3, "Idle": 4, "Working": 5,
    "Starting": 6, "Stopping": 7, "Pausing": 8, "Resuming": 9, "Stopped": 10,
}  # fmt: skip
_LAST_RESULT = {"Success": 0, "Warning": 1, "Failed": 2}


def jobs_sessions_state(session: JobSession) -> int:
    """The family's number for a session: its result if it has one, else its state."""
    word = session.result if session.result not in (None, "None") else session.state
    return _SESSION_STATES.get(word or "Unknown", 0)


def job_last_result(session: JobSession | None) -> int:
    """0 Success, 1 Warning, 2 Failed, -1 no run or no result."""
    if session is None or session.result is None:
        return -1
    return _LAST_RESULT.get(session.result, -1)


def _seconds(session: JobSession) -> float | None:
    if session.creation_time is None or session.end_time is None:
        return None
    return max(0.0, (session.end_time - session.creation_time).total_seconds())


class _Families:
    """The families being filled; a label set given twice keeps its first value
    (two samples with one label set would make the exposition invalid)."""

    def __init__(self) -> None:
        self.by_name = {spec.name: spec.empty() for spec in SPECS}
        self._seen: set[tuple[str, tuple[str, ...]]] = set()

    def add(self, name: str, labels: Iterable[object], value: float | None) -> None:
        if value is None:
            return
        values = tuple("" if v is None else str(v) for v in labels)
        if (name, values) in self._seen:
            return
        self._seen.add((name, values))
        family = self.by_name[name]
        family.add_metric(list(values), value)  # type: ignore[attr-defined]


def _jobs(out: _Families, em: str, jobs: Iterable[JobState]) -> None:
    for job in jobs:
        labels = (em, job.name, job.job_type, job.backup_server)
        out.add("veeam_em_job_last_result", labels, job_last_result(job.last))
        success = job.last_success
        if success is not None and success.end_time is not None:
            out.add("veeam_em_job_last_success_timestamp_seconds", labels,
                    success.end_time.timestamp())  # fmt: skip
        if job.last is not None:
            session = (em, job.backup_server, job.name, job.name, job.job_type)
            out.add("veeam_em_jobs_sessions_state", session, jobs_sessions_state(job.last))
            out.add("veeam_em_jobs_sessions_duration", session, _seconds(job.last))


def _snapshot(out: _Families, em: str, snap: Snapshot) -> None:
    o, v = snap.overview, snap.vms_overview
    for kind, count_type, value in (
        ("backup", "server", o.backup_servers), ("proxy", "server", o.proxy_servers),
        ("repository", "server", o.repository_servers),
        ("scheduled_jobs", "tasks", o.scheduled_jobs),
        ("successful_vms", "tasks", o.successful_vm_lastest_states),
        ("warning_vms", "tasks", o.warning_vm_lastest_states),
        ("failed_vms", "tasks", o.failed_vm_lastest_states),
    ):  # fmt: skip
        out.add("veeam_em_overview_element_count", (em, kind, count_type), value)
    for kind, value in (
        ("protected", v.protected_vms),
        ("backedup", v.backed_up_vms),
        ("replicated", v.replicated_vms),
        ("restore_points", v.restore_points),
    ):
        out.add("veeam_em_overview_vms_count", (em, kind), value)  # fmt: skip
    for kind, value in (
        ("full_backup_points", v.full_backup_points_size),
        ("incremental_backup_points", v.incremental_backup_points_size),
        ("replica_restore_points", v.replica_restore_points_size),
        ("source_vms", v.source_vms_size),
    ):
        out.add("veeam_em_overview_vms_total_bytes", (em, kind), value)
    out.add("veeam_em_overview_vms_success_backup_percent", (em,), v.success_backup_percents)
    for repo in snap.repositories:
        labels = (em, repo.name, repo.kind, repo.uid)
        out.add("veeam_em_overview_repositories_capacity_total_bytes", labels, repo.capacity)
        out.add("veeam_em_overview_repositories_capacity_free_bytes", labels, repo.free_space)
        out.add("veeam_em_repository_free_ratio", labels, repo.free_ratio)
    for server in snap.backup_servers:
        full = server.version or ""
        config = (em, server.name, server.description, server.port, full,
                  ".".join(full.split(".")[:3]))  # fmt: skip
        out.add("veeam_em_backup_servers_config", config, 1)
    _jobs(out, em, snap.jobs)
    for vm in snap.protection.vms:
        labels = (em, vm.vm_name, vm.hierarchy_ref, snap.server_name(vm.backup_server_uid))
        point = vm.latest
        if point is not None and point.creation_time is not None:
            out.add("veeam_em_vm_last_restore_point_timestamp_seconds", labels,
                    point.creation_time.timestamp())  # fmt: skip
        out.add("veeam_em_vm_protected", labels, 1 if vm.ok else 0)


def families(views: Iterable[EmView]) -> Iterator[Metric]:
    """Every family, each once, with the samples of every EM in ``views``."""
    out = _Families()
    for view in views:
        em = view.name
        out.add("veeam_em_up", (em,), 1 if view.up else 0)
        out.add("veeam_em_collect_duration_seconds", (em,), view.duration)
        out.add("veeam_em_collect_errors", (em,), view.errors)
        out.add("veeam_em_requests", (em,), view.requests)
        snap = view.snapshot
        if snap is not None:
            out.add("veeam_em_last_collect_timestamp_seconds", (em,), snap.taken_at.timestamp())
            _snapshot(out, em, snap)
    yield from out.by_name.values()
