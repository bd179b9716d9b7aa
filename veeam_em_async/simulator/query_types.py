"""What the simulator's query service can list: one entry per EM query type.

Each type gives its rows (the fields a filter or a sort sees, lower-case, as
the vendor's ``get_query_*`` pages name them), and renders an item as an
entity (``format=Entities``) or a reference. Rows are cheap; only the items
of the page asked for are rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from . import documents, responses
from . import protection_documents as protection_docs
from .job_sessions import HIERARCHY_ROOTS, SimJobSession
from .protection import SimPoint
from .state import SimJob, SimRepository, SimSession, SimTask

if TYPE_CHECKING:
    from .server import EMSimulator

__all__ = ["QUERY_TYPES", "QueryType", "job_ref_links", "session_row"]

Row = dict[str, object]
SERVER_UID = f"urn:veeam:BackupServer:{documents.BACKUP_SERVER}"


@dataclass(frozen=True)
class QueryType:
    group: str  # <Entities><{group}>…
    rows: Callable[[EMSimulator, float, SimSession], list[tuple[Any, Row]]]
    entity: Callable[[EMSimulator, Any, float], str]
    ref: Callable[[EMSimulator, Any, float], str]
    #: ``<Entities>`` for EM's key resources; ``<Resources>`` for the others, such as
    #: tasks: the vendor's whole ``GET /query?type=Task&format=Entities`` example
    #: (13.1 help center) is ``<QueryResult><Resources><Tasks><Task>…``.
    container: str = "Entities"
    #: ``(sim, field, value)`` -> the rows whose ``field`` equals ``value``, for the
    #: fields EM's database would index (``VmDisplayName``), or ``None``: no index.
    index: Callable[[EMSimulator, str, str], list[tuple[Any, Row]] | None] | None = None
    #: A number that changes whenever the rows do: the query service then keeps a
    #: filtered, sorted window between the pages of one reading.
    version: Callable[[EMSimulator], int] | None = None


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(documents.EPOCH + seconds, timezone.utc)


def _bare(xml: str) -> str:
    """An entity as an item of a list: without its own ``xmlns``."""
    return xml.replace(f" {documents.NS}", "", 1)


# -- jobs ---------------------------------------------------------------------


def job_row(job: SimJob) -> Row:
    return {
        "uid": job.uid,
        "name": job.name,
        "jobtype": job.job_type,
        "platform": job.platform,
        "scheduleenabled": job.schedule_enabled,
        "scheduleconfigured": True,
        "description": job.description,
        "backupserveruid": SERVER_UID,
    }


def _job_rows(sim: EMSimulator, *, nas: bool) -> list[tuple[Any, Row]]:
    jobs: dict[str, SimJob] = sim.state.nas_jobs if nas else sim.state.jobs
    return [(job, job_row(job)) for job in jobs.values()]


def job_ref_links(api: str, job: SimJob) -> str:
    """A job reference's links, as the vendor's: the Down link names its session type."""
    path = f"nas/jobs/{job.id}" if job.nas else f"jobs/{job.id}"
    sessions = "replicaSessions" if job.job_type == "Replica" else "backupSessions"
    kind = "ReplicaJobSession" if job.job_type == "Replica" else "BackupJobSession"
    return (
        documents.link("Up", f"{api}/backupServers/{documents.BACKUP_SERVER}",
                       "BackupServerReference", "vbr01")
        + documents.link("Alternate", f"{api}/{path}?format=Entity",
                         "NasJob" if job.nas else "Job", job.name)
        + documents.link("Down", f"{api}/{path}/{sessions}", f"{kind}ReferenceList")
    )  # fmt: skip


def _job_ref(sim: EMSimulator, job: SimJob, now: float) -> str:
    path = f"nas/jobs/{job.id}" if job.nas else f"jobs/{job.id}"
    type_ = "NasJobReference" if job.nas else "JobReference"
    return documents.ref(type_, f"{sim.api}/{path}", job.name, job.uid, job_ref_links(sim.api, job))


def _nas_entity(sim: EMSimulator, job: SimJob, now: float) -> str:
    return _bare(
        documents.nas_job_entity(
            sim.api, job.id, job.name, job.description, job.schedule_enabled, job.index
        )
    )


# -- job sessions and task sessions -----------------------------------------------


def session_row(run: SimJobSession, now: float) -> Row:
    ended = now >= run.ended_at()
    return {
        "uid": f"urn:veeam:{run.uid_type}:{run.id}",
        "name": run.job_name,
        "jobuid": run.job_uid,
        "jobname": run.job_name,
        "jobtype": run.job_type,
        "creationtime": _instant(run.created),
        "endtime": _instant(run.ended_at()) if ended else None,
        "state": run.state(now),
        "result": run.result(now),
        "isretry": run.is_retry,
        "backupserveruid": SERVER_UID,
    }


def _sessions(replica: bool) -> Callable[[EMSimulator, float, SimSession], list[tuple[Any, Row]]]:
    def rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
        return [
            (run, session_row(run, now))
            for run in sim.state.job_sessions.values()
            if run.replica == replica and run.listed(now)
        ]

    return rows


def _session_ref(sim: EMSimulator, run: SimJobSession, now: float) -> str:
    xml = documents.job_session(sim.api, run, now, entity=False, root=False)
    return xml.replace("<EntityRef", "<Ref", 1).replace("</EntityRef>", "</Ref>")


def _task_sessions(
    replica: bool,
) -> Callable[[EMSimulator, float, SimSession], list[tuple[Any, Row]]]:
    def rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
        found: list[tuple[Any, Row]] = []
        for run in sim.state.job_sessions.values():
            if run.replica != replica or not run.listed(now):
                continue
            parent = session_row(run, now)
            for index in run.vms:
                result, reason = run.task_result(index, now)
                row = {
                    **parent,
                    "uid": f"urn:veeam:{run.uid_type[:-10]}TaskSession:{run.task_id(index)}",
                    "jobsessionuid": parent["uid"],
                    "state": "Completed" if result else "InProgress",
                    "result": result,
                    "reason": reason,
                    "vmdisplayname": f"{run.job_name.replace(' ', '-').lower()}-vm{index + 1}",
                }
                found.append(((run, index), row))
        return found

    return rows


def _task_session_entity(sim: EMSimulator, item: tuple[SimJobSession, int], now: float) -> str:
    return _bare(documents.task_session(sim.api, item[0], item[1], now))


def _task_session_ref(sim: EMSimulator, item: tuple[SimJobSession, int], now: float) -> str:
    run, index = item
    kind = "ReplicaTaskSession" if run.replica else "BackupTaskSession"
    collection = "replicaTaskSessions" if run.replica else "backupTaskSessions"
    task_id = run.task_id(index)
    href = f"{sim.api}/{collection}/{task_id}"
    return documents.ref(
        f"{kind}Reference", href, f"vm{index + 1}", f"urn:veeam:{kind}:{task_id}",
        documents.link("Alternate", f"{href}?format=Entity", kind),
    )  # fmt: skip


# -- tasks and repositories ---------------------------------------------------------


def _task_rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
    tasks = [sim.state.tasks[t] for t in session.tasks]  # EM lists a logon session's own
    return [(t, {"taskid": t.id, "state": t.state(now), "operation": t.operation}) for t in tasks]


def _task_ref(sim: EMSimulator, task: SimTask, now: float) -> str:
    href = f"{sim.api}/tasks/{task.id}"
    return documents.ref("TaskReference", href, task.id, f"urn:veeam:Task:{task.id}", "")


def _repository_rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
    return [
        (r, {"uid": r.uid, "name": r.name, "capacity": r.capacity, "freespace": r.free,
             "kind": r.kind, "backupserveruid": SERVER_UID, "backupservername": SERVER_NAME})
        for r in sim.state.repositories.values()
    ]  # fmt: skip


def _repository_entity(sim: EMSimulator, r: SimRepository, now: float) -> str:
    return documents.repository(sim.api, r.id, r.name, r.capacity, r.free, r.kind)


def _repository_ref(sim: EMSimulator, r: SimRepository, now: float) -> str:
    href = f"{sim.api}/repositories/{r.id}"
    links = documents.link("Alternate", f"{href}?format=Entity", "Repository", r.name)
    return documents.ref("RepositoryReference", href, r.name, r.uid, links)


# -- the backup server (the one every simulated job is on) -------------------------------

SERVER_NAME = "vbr01"


def server_rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
    return [
        (server_id, {"uid": f"urn:veeam:BackupServer:{server_id}", "name": name, "port": 9392})
        for server_id, name in sim.state.backup_servers
    ]


def _server_name(sim: EMSimulator, server_id: str) -> str:
    return dict(sim.state.backup_servers).get(server_id, SERVER_NAME)


def server_entity(sim: EMSimulator, server_id: str, now: float) -> str:
    """A ``<BackupServer>`` shaped like the vendor's ``/backupServers/{ID}`` body."""
    href = f"{sim.api}/backupServers/{server_id}"
    name = _server_name(sim, server_id)
    return (
        f'<BackupServer Type="BackupServer" Href="{href}?format=Entity" Name="{name}" '
        f'UID="urn:veeam:BackupServer:{server_id}"><Links>'
        + documents.link("Alternate", href, "BackupServerReference", name)
        + documents.link("Down", f"{href}/jobs", "JobReferenceList")
        + documents.link("QuickBackup", f"{href}?action=quickbackup")
        + "</Links><Description /><Port>9392</Port><Version>13.0</Version></BackupServer>"
    )


def server_ref(sim: EMSimulator, server_id: str, now: float) -> str:
    href = f"{sim.api}/backupServers/{server_id}"
    name = _server_name(sim, server_id)
    links = documents.link("Alternate", f"{href}?format=Entity", "BackupServer", name)
    return documents.ref(
        "BackupServerReference", href, name, f"urn:veeam:BackupServer:{server_id}", links
    )


# -- restore points, backups, hierarchy roots, objects in jobs --------------------------


def point_row(point: SimPoint) -> Row:
    if point.row is None:
        point.row = _point_row(point)
    return point.row


def _point_row(point: SimPoint) -> Row:
    return {
        "uid": point.uid,
        "name": protection_docs.vm_point_name(point),
        "creationtime": _instant(point.created),
        "type": point.point_type,
        "algorithm": point.algorithm,
        "restorepointid": f"urn:veeam:RestorePoint:{point.restore_point_id}",
        "vmdisplayname": point.vm.name,
        "backupserveruid": SERVER_UID,
        "backupservername": SERVER_NAME,
    }


def _point_rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
    return [(p, point_row(p)) for p in sim.state.protection.points]


def _keep_xml(point: SimPoint, xml: str) -> str:
    point.xml = xml
    return xml


def _points_named(sim: EMSimulator, field: str, value: str) -> list[tuple[Any, Row]] | None:
    if field != "vmdisplayname":
        return None
    return [(p, point_row(p)) for p in sim.state.protection.by_name.get(value.lower(), [])]


def _backup_rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
    return [
        (b, {"uid": b.uid, "name": b.name, "platform": b.platform, "backuptype": "Standard",
             "jobuid": f"urn:veeam:Job:{b.job_id}" if b.job_id else None,
             "jobname": b.name if b.job_id else None})
        for b in sim.state.protection.backups.values()
    ]  # fmt: skip


def _include_rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
    rows: list[tuple[Any, Row]] = []
    for job_id, objects in sim.state.includes.items():
        job = sim.state.jobs[job_id]
        for item in objects:
            rows.append(((job, item), {
                "uid": item[0], "name": item[2], "jobuid": job.uid, "jobname": job.name,
                "backupserveruid": SERVER_UID, "backupservername": SERVER_NAME,
            }))  # fmt: skip
    return rows


def _include_entity(sim: EMSimulator, item: tuple[SimJob, Any], now: float) -> str:
    job, (object_id, ref_, name, order) = item
    return documents.object_in_job(f"{sim.api}/jobs/{job.id}", object_id, ref_, name, order)


def _root_rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
    return [
        (root, {"uid": f"urn:veeam:HierarchyRoot:{root}", "name": name, "hosttype": "VC",
                "backupserveruid": SERVER_UID, "backupservername": SERVER_NAME})
        for root, name in HIERARCHY_ROOTS.items()
    ]  # fmt: skip


def _agent_job_rows(sim: EMSimulator, now: float, session: SimSession) -> list[tuple[Any, Row]]:
    return [(job, job_row(job)) for job in sim.state.agent_jobs.values()]


#: Query type (lower case) -> how the simulator lists it.
QUERY_TYPES: dict[str, QueryType] = {
    "job": QueryType(
        "Jobs",
        lambda sim, now, s: _job_rows(sim, nas=False),
        lambda sim, job, now: _bare(responses.job_xml(sim.api, sim.state, job)),
        _job_ref,
    ),
    "nasjob": QueryType(
        "NASJobs",
        lambda sim, now, s: _job_rows(sim, nas=True),
        _nas_entity,
        _job_ref,
    ),
    "backupjobsession": QueryType(
        "BackupJobSessions",
        _sessions(replica=False),
        lambda sim, run, now: documents.job_session(sim.api, run, now, root=False),
        _session_ref,
    ),
    "replicajobsession": QueryType(
        "ReplicaJobSessions",
        _sessions(replica=True),
        lambda sim, run, now: documents.job_session(sim.api, run, now, root=False),
        _session_ref,
    ),
    "backuptasksession": QueryType(
        "BackupTaskSessions", _task_sessions(replica=False), _task_session_entity, _task_session_ref
    ),
    "replicatasksession": QueryType(
        "ReplicaTaskSessions", _task_sessions(replica=True), _task_session_entity, _task_session_ref
    ),
    "task": QueryType(
        "Tasks",
        _task_rows,
        lambda sim, task, now: responses.task_xml(sim.api, sim.state, task, root=False),
        _task_ref,
        container="Resources",
    ),
    "repository": QueryType("Repositories", _repository_rows, _repository_entity, _repository_ref),
    "backupserver": QueryType("BackupServers", server_rows, server_entity, server_ref),
    "vmrestorepoint": QueryType(
        "VmRestorePoints",
        _point_rows,
        lambda sim, point, now: (
            point.xml or _keep_xml(point, protection_docs.vm_point_entity(sim.api, point))
        ),
        lambda sim, point, now: protection_docs.vm_point_ref(sim.api, point),
        index=_points_named,
        version=lambda sim: sim.state.protection.version,
    ),
    "backup": QueryType(
        "Backups",
        _backup_rows,
        lambda sim, backup, now: protection_docs.backup_entity(sim.api, backup),
        lambda sim, backup, now: protection_docs.backup_ref(sim.api, backup),
    ),
    "objectinjob": QueryType(
        "ObjectsInJob",
        _include_rows,
        _include_entity,
        lambda sim, item, now: documents.ref(
            "ObjectInJobReference",
            f"{sim.api}/jobs/{item[0].id}/includes/{item[1][0]}",
            item[1][2],
            f"urn:veeam:ObjectInJob:{item[1][0]}",
            "",
        ),
    ),
    "hierarchyroot": QueryType(
        "HierarchyRoots",
        _root_rows,
        lambda sim, root, now: _bare(protection_docs.root_entity(sim.api, root)),
        lambda sim, root, now: protection_docs.root_ref(sim.api, root),
    ),
    "agentbackupjob": QueryType(
        "AgentBackupJobs",
        _agent_job_rows,
        lambda sim, job, now: _bare(
            documents.agent_job_entity(
                sim.api, job.id, job.name, job.platform, job.schedule_enabled
            )
        ),
        lambda sim, job, now: documents.ref(
            "AgentBackupJobReference",
            f"{sim.api}/agents/jobs/{job.id}",
            job.name,
            job.uid,
            documents.link("Alternate", f"{sim.api}/agents/jobs/{job.id}?format=Entity", "Job"),
        ),
    ),
}
