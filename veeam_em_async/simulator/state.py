"""The simulated EM's data: jobs, logon sessions and tasks, with EM's action rules."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from .config import SimConfig
from .documents import BACKUP_SERVER
from .job_sessions import RETRY_TIMES, VMS_PER_JOB, SimJobSession, vm_names, vm_ref
from .protection import SimProtection

JOB_TYPES = ("Backup", "Replica", "BackupCopy", "ImmediateBackupCopy")
PLATFORMS = ("VMware", "HyperV", "vCloud")


class RefusedError(Exception):
    """EM refuses the action outright (HTTP 400, with this message)."""


@dataclass
class SimJob:
    id: str
    name: str
    job_type: str
    platform: str
    index: int
    nas: bool = False
    agent: bool = False
    description: str = "Created by the veeam_em_async simulator"
    schedule_enabled: bool = True
    sessions: list[str] = field(default_factory=list)  # its job sessions, oldest first

    @property
    def uid(self) -> str:
        kind = "NasJob" if self.nas else ("AgentBackupJob" if self.agent else "Job")
        return f"urn:veeam:{kind}:{self.id}"


@dataclass
class SimTask:
    id: str
    session_id: str
    operation: str
    created: float
    duration: float
    success: bool
    message: str
    job: SimJob | None = None
    related: str | None = None  # a cloned job's id
    related_session: str | None = None  # the job session a start or retry created
    final_item: str | None = None  # its list item, rendered once it can no longer change

    def state(self, now: float) -> str:
        age = now - self.created
        if age >= self.duration:
            return "Finished"
        if age >= self.duration * 0.8:
            return "OperationFinished"
        return "Running"


@dataclass
class SimRepository:
    id: str
    name: str
    capacity: int  # bytes
    free: int  # bytes
    kind: str = "WindowsLocal"

    @property
    def uid(self) -> str:
        return f"urn:veeam:Repository:{self.id}"


@dataclass
class SimSession:
    id: str
    token: str
    user: str
    last_seen: float
    tasks: list[str] = field(default_factory=list)


class EMState:
    """Everything the simulator knows; every rule of EM it imitates lives here."""

    def __init__(self, config: SimConfig) -> None:
        c = self.config = config
        self.rng = random.Random(c.seed)  # noqa: S311 - reproducible fakes, not secrets
        self.clock = c.clock
        self.task_seconds = c.task_seconds
        self.failure_rate = c.failure_rate  # share of runs (job sessions) that end Failed
        self.start_failure_rate = c.start_failure_rate  # share of start tasks that fail
        self.session_links = c.session_links  # finished start tasks link their session
        self.list_delay = c.list_delay  # seconds after the start task ends before a run is listed
        # job id -> results its next runs end with (tests script outcomes with it)
        self.scripted: dict[str, list[str]] = {}
        self._retry_candidates: list[SimJobSession] = []
        self.session_timeout = c.session_timeout
        # A task belongs to the logon session that created it, as on a real EM.
        self.session_tasks = c.session_tasks
        self.history_tasks = c.history_tasks  # finished tasks every new logon session starts with
        self.warning_rate = c.warning_rate  # share of successful runs that end with Warning
        self.session_seconds = c.task_seconds if c.session_seconds is None else c.session_seconds
        self.job_sessions: dict[str, SimJobSession] = {}  # by session id
        self.task_sessions: dict[str, tuple[SimJobSession, int]] = {}  # id -> (job session, VM)
        self.jobs: dict[str, SimJob] = {}
        self.nas_jobs: dict[str, SimJob] = {}
        self.agent_jobs: dict[str, SimJob] = {}
        #: VM job id -> objects added through POST /jobs/{id}/includes: (id, ref, name, order).
        self.includes: dict[str, list[tuple[str, str, str, int]]] = {}
        self.sessions: dict[str, SimSession] = {}  # by token
        self.tasks: dict[str, SimTask] = {}
        self._task_counter = 0
        #: VMs, backups and restore points, made by the runs below and by `seed`.
        self.protection = SimProtection(self._uuid)
        #: (id, name) of each backup server; every job, root and point is on the first.
        self.backup_servers = [(BACKUP_SERVER, "vbr01")] + [
            (f"00000000-0000-4000-8000-{0xB5 + n:012x}", f"vbr{n + 1:02d}")
            for n in range(1, c.backup_servers)
        ]
        for i in range(c.jobs):
            if c.job_types:
                job_type = c.job_types[i % len(c.job_types)]
            else:  # EM-like mix: 7 backup, 1 replica, 1 backup copy, 1 immediate copy in 10
                job_type = JOB_TYPES[0] if i % 10 < 7 else JOB_TYPES[1 + (i % 10) - 7]
            self._add(
                self.jobs, SimJob(self._uuid(), f"Job {i:04d}", job_type, PLATFORMS[i % 3], i)
            )
        for i in range(c.nas_jobs):
            self._add(
                self.nas_jobs,
                SimJob(self._uuid(), f"File Share {i:02d}", "NasBackup", "FileShare", i, nas=True),
            )
        for i in range(c.agent_jobs):
            platform = ("AgentForWindows", "AgentForLinux")[i % 2]
            job = SimJob(self._uuid(), f"Agent Job {i:02d}", "AgentBackup", platform, i, agent=True)
            self._add(self.agent_jobs, job)
        tib = 1 << 40
        self.repositories: dict[str, SimRepository] = {}
        for i, (free, kind) in enumerate(((0.62, "WindowsLocal"), (0.09, "LinuxLocal"))):
            repo = SimRepository(self._uuid(), f"Backup Volume {i + 1:02d}", 8 * tib, 0, kind)
            repo.free = int(repo.capacity * free)
            self.repositories[repo.id] = repo
        now = self.clock()
        for job in [*self.jobs.values(), *self.nas_jobs.values(), *self.agent_jobs.values()]:
            # One finished run a day, oldest first, the newest a day before now: on
            # the wall clock too, so that `last_results()`' 7-day window sees them.
            for day in range(c.history_sessions, 0, -1):
                self.record_run(job, "Success", now - 86_400.0 * day)
        if c.restore_point_vms:
            ages = [3600.0 * c.restore_point_hours + 86_400.0 * d
                    for d in range(c.restore_point_days)]  # fmt: skip
            self.protection.seed(c.restore_point_vms, ages, now, order=self.rng.shuffle)
        for job in self.jobs.values():
            if job.job_type in ("Backup", "Replica"):  # the VMs its runs report
                self.includes[job.id] = [
                    (self._uuid(), vm_ref(job.id, i), name, i)
                    for i, name in enumerate(vm_names(job.name))
                ]
                self.protection.job_vms(job.id, job.name)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    @staticmethod
    def _add(table: dict[str, SimJob], job: SimJob) -> None:
        table[job.id] = job

    # -- sessions ------------------------------------------------------------

    def logon(self, user: str) -> SimSession:
        session = SimSession(str(uuid.uuid4()), uuid.uuid4().hex, user, self.clock())
        self.sessions[session.token] = session
        for _ in range(self.history_tasks):  # a session that has been busy for days
            task = self.new_task(session, "StartJob", message="Job triggered to start.")
            task.created -= task.duration + 86_400
        return session

    def authenticate(self, token: str | None) -> SimSession | None:
        """The live session of ``token``, touching it; ``None`` if unknown or idle too long."""
        session = self.sessions.get(token or "")
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.session_timeout:
            del self.sessions[session.token]
            return None
        session.last_seen = now
        return session

    def logoff(self, session_id: str) -> bool:
        for token, session in list(self.sessions.items()):
            if session.id == session_id:
                del self.sessions[token]
                return True
        return False

    def expire_sessions(self) -> int:
        """Drop every logon session now, as an idle timeout or an EM restart would."""
        count = len(self.sessions)
        self.sessions.clear()
        return count

    # -- tasks ---------------------------------------------------------------

    def new_task(
        self,
        session: SimSession,
        operation: str,
        *,
        success: bool = True,
        message: str = "Ok",
        job: SimJob | None = None,
        duration: float | None = None,
        related: str | None = None,
    ) -> SimTask:
        self._task_counter += 1
        task = SimTask(
            id=f"task-{self._task_counter}",
            session_id=session.id,
            operation=operation,
            created=self.clock(),
            duration=self.task_seconds if duration is None else duration,
            success=success,
            message=message,
            job=job,
            related=related,
        )
        self.tasks[task.id] = task
        session.tasks.append(task.id)
        return task

    # -- job actions (EM's rules) ------------------------------------------------

    def _job(self, job_id: str) -> SimJob | None:
        """A VM, NAS or agent job by id."""
        return self.jobs.get(job_id) or self.nas_jobs.get(job_id) or self.agent_jobs.get(job_id)

    def last_run(self, job: SimJob) -> SimJobSession | None:
        return self.job_sessions[job.sessions[-1]] if job.sessions else None

    def running(self, job: SimJob) -> bool:
        run = self.last_run(job)
        return run is not None and self.clock() < run.ended_at()

    def act(self, session: SimSession, job: SimJob, action: str) -> SimTask:
        """Run ``action``; return its task. An action EM refuses outright (its 400)
        raises `RefusedError` with EM's message."""
        self.advance()
        running = self.running(job)
        kind = "NasJob" if job.nas else "Job"
        if action == "start":
            if job.job_type in ("BackupCopy", "ImmediateBackupCopy"):
                raise RefusedError("Start is not available for backup copy jobs; use sync")
            if running:
                return self._task(
                    session, job, f"Start{kind}", False, f'Job "{job.name}" is already running'
                )
            return self._run(session, job, f"Start{kind}", "triggered to start")
        if action == "sync":
            if job.nas or job.job_type not in ("BackupCopy", "ImmediateBackupCopy"):
                raise RefusedError("Sync is available for backup copy jobs only")
            return self._run(session, job, "StartJobSync", "triggered to sync")
        if action == "retry":
            last = self.last_run(job)
            if running or last is None or last.result(self.clock()) != "Failed":
                return self._task(
                    session,
                    job,
                    f"Retry{kind}",
                    False,
                    f'Job "{job.name}" has no failed run to retry',
                )
            last.retried = True  # a manual retry replaces the automatic one
            return self._run(session, job, f"Retry{kind}", "triggered to retry")
        if action == "stop":
            last = self.last_run(job)
            if last is not None:
                last.stop(self.clock())
            return self._task(session, job, f"Stop{kind}", True, f'Job "{job.name}" stopped.')
        if action == "toggleScheduleEnabled":
            job.schedule_enabled = not job.schedule_enabled
            return self._task(session, job, "UpdateJob", True, "Ok")
        raise RefusedError(f"Unknown action {action!r}")

    def _task(
        self, session: SimSession, job: SimJob, operation: str, success: bool, message: str
    ) -> SimTask:
        return self.new_task(session, operation, success=success, message=message, job=job)

    def _run(self, session: SimSession, job: SimJob, operation: str, verb: str) -> SimTask:
        """A start, sync or retry: the task always succeeds ("triggered to start")
        unless ``start_failure_rate`` says the backup server refused it; the
        run's own result comes with its session."""
        if self.rng.random() < self.start_failure_rate:
            return self._task(session, job, operation, False, f'Job "{job.name}" failed to start.')
        run = self._new_job_session(job, self._next_result(job), is_retry=False)
        run.is_retry = operation.startswith("Retry")
        task = self._task(session, job, operation, True, f'Job "{job.name}" {verb}.')
        task.related_session = run.id
        run.listed_at = task.created + task.duration + self.list_delay
        return task

    def _next_result(self, job: SimJob) -> str:
        scripted = self.scripted.get(job.id)
        if scripted:
            return scripted.pop(0)
        if self.rng.random() < self.failure_rate:
            return "Failed"
        return "Warning" if self.rng.random() < self.warning_rate else "Success"

    def _new_job_session(
        self,
        job: SimJob,
        result: str,
        *,
        is_retry: bool,
        at: float | None = None,
        vms: tuple[int, ...] = tuple(range(VMS_PER_JOB)),
    ) -> SimJobSession:
        job_type = "NasBackup" if job.nas else job.job_type
        created = self.clock() if at is None else at
        run = SimJobSession(
            self._uuid(), job.id, job.name, job_type, created, self.session_seconds, result,
            is_retry=is_retry, listed_at=created + self.list_delay, retries_left=RETRY_TIMES,
        )  # fmt: skip
        run.vms = vms
        for index in vms:
            task_session_id = self._uuid()
            run.task_ids.append(task_session_id)
            self.task_sessions[task_session_id] = (run, index)
        self.job_sessions[run.id] = run
        job.sessions.append(run.id)
        if job.job_type == "Backup" and not (job.nas or job.agent):
            self.protection.add_run(run, vms)  # its points, if it ends well
        if result == "Failed":
            self._retry_candidates.append(run)
        return run

    def record_run(
        self, job: SimJob, result: str, at: float, *, listed_at: float | None = None
    ) -> SimJobSession:
        """A run of ``job`` that started at ``at`` (seconds on the simulator's clock,
        past or future) and ends ``session_seconds`` later with ``result``, never
        retried; listed from ``listed_at`` (default: at once). For tests and
        benchmarks that script a history."""
        run = self._new_job_session(job, result, is_retry=False, at=at)
        run.retried = True
        if listed_at is not None:
            run.listed_at = listed_at
        return run

    def advance(self) -> int:
        """Start the automatic retries whose time has come (EM's RetryOptions);
        return how many. Called on every request, so the clock decides."""
        now, started = self.clock(), 0
        self.protection.settle(now)
        while True:
            due = [(r, at) for r in self._retry_candidates if (at := r.retry_due()) is not None]
            self._retry_candidates = [r for r, at in due if at > now]  # the rest never retry
            due = [(r, at) for r, at in due if at <= now]
            if not due:
                return started
            for run, at in due:
                run.retried = True
                job = self._job(run.job_id)
                if job is None or self.last_run(job) is not run:
                    continue  # the job ran again since: no retry of this one
                retry = self._new_job_session(job, self._next_result(job), is_retry=True, at=at)
                retry.retries_left = run.retries_left - 1
                started += 1

    def quick_backup(self, session: SimSession, ref: str) -> SimTask:
        """``POST /backupServers/{id}?action=quickbackup``: an incremental run of the
        job that includes the VM, for that VM alone; the task links its session."""
        self.advance()
        vm = self.protection.vms.get(ref)
        job = self.jobs.get(vm.job_id) if vm is not None and vm.job_id else None
        if vm is None or job is None or job.job_type != "Backup":
            # The simulator's own wording: no vendor page shows this refusal.
            return self.new_task(session, "QuickBackup", success=False,
                                 message=f"No backup job processes the VM {ref}")  # fmt: skip
        if self.running(job):
            return self._task(session, job, "QuickBackup", False,
                              f'Job "{job.name}" is already running')  # fmt: skip
        index = int(ref.rsplit("-", 1)[-1]) - 1
        run = self._new_job_session(job, self._next_result(job), is_retry=False, vms=(index,))
        task = self._task(session, job, "QuickBackup", True, "Ok")
        task.related_session = run.id
        run.listed_at = task.created + task.duration + self.list_delay
        return task

    def stop_session(self, session: SimSession, run: SimJobSession) -> SimTask:
        """``POST /backupSessions/{id}?action=stop``."""
        run.stop(self.clock())
        return self.new_task(
            session, "StopJobSession", message=f"Session of {run.job_name} stopped."
        )

    def clone(self, session: SimSession, job: SimJob, new_name: str) -> SimTask:
        clone = SimJob(self._uuid(), new_name, job.job_type, job.platform, len(self.jobs))
        self._add(self.jobs, clone)
        return self.new_task(session, "CloneJob", job=job, related=clone.id)
