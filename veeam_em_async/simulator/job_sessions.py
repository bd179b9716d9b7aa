"""Simulated job sessions: what a started job runs as, over the simulator's clock.

A session is Starting for its first tenth, Working until its duration has
passed, then Stopped with its result; its ``Result`` is the word ``None``
until then, as EM writes it. Each VM of the job has a task session; a Failed
or Warning run names the VM that caused it in that task session's reason.
``stop`` ends a session at once with the result Failed, as EM reports a run
stopped by a user.

A session is *listed* (in ``/backupSessions``, a job's sessions and the query
service) from ``listed_at`` on: EM may list a new run seconds after the start
task finished. Fetched by its id, it is there from the start. A Failed run
that was not stopped by a user is retried by the job's ``RetryOptions``:
``retries_left`` more runs, each ``RETRY_TIMEOUT_MINUTES`` after the last
one ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VMS_PER_JOB = 3
#: Every simulated job's RetryOptions (as its entity says): 3 retries, 10 minutes apart.
RETRY_TIMES = 3
RETRY_TIMEOUT_MINUTES = 10


def vm_names(job_name: str) -> list[str]:
    """The VMs a job protects: its includes, and the task sessions of each of its runs."""
    slug = job_name.replace(" ", "-").lower()
    return [f"{slug}-vm{index + 1}" for index in range(VMS_PER_JOB)]


#: The simulated vCenters (hierarchy roots): id -> name. Every job's VMs are on the
#: first; seeded restore points may name the second (two VMs of one name on two
#: vCenters are two VMs). Both are added to the one backup server.
HIERARCHY_ROOTS = {
    "00000000-0000-4000-8000-0000000000c1": "vcenter01.sim.local",
    "00000000-0000-4000-8000-0000000000c2": "vcenter02.sim.local",
}
FIRST_ROOT = next(iter(HIERARCHY_ROOTS))


def vm_ref(job_id: str, index: int, root: str = FIRST_ROOT) -> str:
    """The ``HierarchyObjRef`` of a job's VM ``index``, in the vendor's form
    ``urn:VMware:Vm:<HierarchyRootId>.<mo-ref>``."""
    return f"urn:VMware:Vm:{root}.vm-{job_id[:8]}-{index + 1}"


@dataclass
class SimJobSession:
    id: str
    job_id: str
    job_name: str
    job_type: str  # "Backup", "Replica", "NasBackup", "AgentBackup"
    created: float
    duration: float
    final_result: str  # "Success" | "Warning" | "Failed"
    is_retry: bool = False
    stopped_at: float | None = None
    task_ids: list[str] = field(default_factory=list)  # one per VM of ``vms``, in order
    #: The indexes of the job's VMs this run processes (a quick backup: one).
    vms: tuple[int, ...] = tuple(range(VMS_PER_JOB))
    listed_at: float = 0.0
    retries_left: int = 0
    retried: bool = False  # its retry session exists (or it never gets one)

    @property
    def job_uid(self) -> str:
        """The ``JobUid`` EM gives the run: the UID type of its job's kind."""
        kind = {"NasBackup": "NasJob", "AgentBackup": "AgentBackupJob"}.get(self.job_type, "Job")
        return f"urn:veeam:{kind}:{self.job_id}"

    def listed(self, now: float) -> bool:
        return now >= self.listed_at

    def retry_due(self) -> float | None:
        """When EM starts the retry of this run, if it gets one."""
        if self.retried or self.retries_left <= 0 or self.final_result != "Failed":
            return None
        if self.stopped_at is not None and self.stopped_at < self.created + self.duration:
            return None  # a run stopped by a user is not retried
        return self.ended_at() + RETRY_TIMEOUT_MINUTES * 60

    @property
    def replica(self) -> bool:
        return self.job_type == "Replica"

    @property
    def uid_type(self) -> str:
        return "ReplicaJobSession" if self.replica else "BackupJobSession"

    def ended_at(self) -> float:
        natural = self.created + self.duration
        return natural if self.stopped_at is None else min(natural, self.stopped_at)

    def state(self, now: float) -> str:
        if now >= self.ended_at():
            return "Stopped"
        if now - self.created < self.duration * 0.1:
            return "Starting"
        return "Working"

    def result(self, now: float) -> str | None:
        if now < self.ended_at():
            return None
        stopped_early = (
            self.stopped_at is not None and self.stopped_at < self.created + self.duration
        )
        return "Failed" if stopped_early else self.final_result

    def progress(self, now: float) -> int:
        if self.duration <= 0:
            return 100
        return max(
            0, min(100, int(100 * (min(now, self.ended_at()) - self.created) / self.duration))
        )

    def task_id(self, index: int) -> str:
        """The task session id of the job's VM ``index``."""
        return self.task_ids[self.vms.index(index)]

    def task_result(self, index: int, now: float) -> tuple[str | None, str | None]:
        """(result, reason) of the VM ``index`` of this session."""
        result = self.result(now)
        if result is None:
            return None, None
        if result != "Success" and index == self.vms[0]:  # its first VM failed or warned
            reason = (
                "Stopped by user"
                if self.stopped_at is not None
                else (
                    "Error: Failed to create VM snapshot"
                    if result == "Failed"
                    else "Warning: Changed block tracking is disabled"
                )
            )
            return result, reason
        return "Success", None

    def stop(self, now: float) -> None:
        if self.stopped_at is None and now < self.created + self.duration:
            self.stopped_at = now
