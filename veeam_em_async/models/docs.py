"""EM's document kinds: root element -> model, declared once, and the parse functions.

A `Doc` is one kind of document (``<Job>`` becomes `Job`); a
`ListDoc` is a list document (``<EntityReferences>`` of ``<Ref>``
items). Resources name the descriptor (``self._get(path, JOB)``) instead of
repeating root strings at every call, and `from_xml` finds every kind
here. Adding a document kind is one line in `DOCUMENTS`'s list below.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, Union

import attrs

from ..errors import ResponseParseError
from ..xmlio import parse_document
from .agents import AgentBackupJob
from .api import ApiRoot
from .backup_servers import BackupServer
from .common import EntityRef, ErrorInfo
from .converter import converter
from .hierarchy import HierarchyItem, HierarchyRoot
from .jobs import Job, ObjectInJob
from .logon import LogonSession
from .nas import NasJob
from .reports import (
    JobStatisticsReport,
    OverviewReport,
    ProcessedVmsReport,
    RepositoryReport,
    VmsOverviewReport,
)
from .repositories import Repository
from .restore_points import Backup, RestorePoint, VmRestorePoint
from .sessions import (
    BackupJobSession,
    BackupTaskSession,
    ReplicaJobSession,
    ReplicaTaskSession,
)
from .tasks import TaskInfo

T = TypeVar("T")

Body = Union[bytes, bytearray, str]


def _structure(root: str, value: Any, target: Any, data: Any) -> Any:
    try:
        return converter.structure(value, target)
    except ResponseParseError:
        raise
    except Exception as exc:  # cattrs/attrs/int()/datetime all raise differently
        raise ResponseParseError(
            f"<{root}> is not a valid EM {root} document: {exc}", data
        ) from None


def _content(data: Body, root: str) -> dict[str, Any]:
    found, content = parse_document(data)
    if found != root:
        raise ResponseParseError(f"expected <{root}>, got <{found}>", data)
    return content


@attrs.frozen
class Doc(Generic[T]):
    """A document whose root element is one entity."""

    root: str
    model: type[T]

    def parse(self, data: Body) -> T:
        return self.from_content(_content(data, self.root), data)

    def from_content(self, content: dict[str, Any], data: Body) -> T:
        """The model of an already parsed root element (``data`` for error excerpts)."""
        result: T = _structure(self.root, content, self.model, data)
        return result


@attrs.frozen
class ListDoc(Generic[T]):
    """A document ``<root><item/>…</root>``: a list of one model."""

    root: str
    item: str
    model: type[T]

    def parse(self, data: Body) -> list[T]:
        return self.from_content(_content(data, self.root), data)

    def from_content(self, content: dict[str, Any], data: Body) -> list[T]:
        """The items of an already parsed root element (``data`` for error excerpts)."""
        items = content.get(self.item)
        result: list[T] = _structure(self.root, items, list[self.model], data)  # type: ignore[name-defined]
        return result

    def raw_items(self, data: Body) -> list[Any]:
        """The items as xmltodict left them, for callers that structure only
        the ones they need (the task watcher, in a long logon session)."""
        items = _content(data, self.root).get(self.item)
        if items is None:
            return []
        return items if isinstance(items, list) else [items]

    def structure(self, raw: Any) -> T:
        """One item from `raw_items` as the model."""
        result: T = _structure(self.root, raw, self.model, str(raw)[:200])
        return result


JOB = Doc("Job", Job)
NAS_JOB = Doc("NASJob", NasJob)
TASK = Doc("Task", TaskInfo)
LOGON_SESSION = Doc("LogonSession", LogonSession)
ERROR = Doc("Error", ErrorInfo)
ENTITY_REFERENCES = ListDoc("EntityReferences", "Ref", EntityRef)
TASKS = ListDoc("Tasks", "Task", TaskInfo)
BACKUP_JOB_SESSION = Doc("BackupJobSession", BackupJobSession)
REPLICA_JOB_SESSION = Doc("ReplicaJobSession", ReplicaJobSession)
BACKUP_TASK_SESSION = Doc("BackupTaskSession", BackupTaskSession)
REPLICA_TASK_SESSION = Doc("ReplicaTaskSession", ReplicaTaskSession)
AGENT_JOB = Doc("AgentBackupJob", AgentBackupJob)
REPOSITORY = Doc("Repository", Repository)
BACKUP_SERVER = Doc("BackupServer", BackupServer)
API_ROOT = Doc("EnterpriseManager", ApiRoot)
OBJECTS_IN_JOB = ListDoc("ObjectsInJob", "ObjectInJob", ObjectInJob)
BACKUP = Doc("Backup", Backup)
RESTORE_POINT = Doc("RestorePoint", RestorePoint)
VM_RESTORE_POINT = Doc("VmRestorePoint", VmRestorePoint)
HIERARCHY_ROOT = Doc("HierarchyRoot", HierarchyRoot)
HIERARCHY_ITEMS = ListDoc("HierarchyItems", "HierarchyItem", HierarchyItem)
OVERVIEW_REPORT = Doc("OverviewReportFrame", OverviewReport)
JOB_STATISTICS_REPORT = Doc("JobStatisticsReportFrame", JobStatisticsReport)
VMS_OVERVIEW_REPORT = Doc("VmsOverviewReportFrame", VmsOverviewReport)
REPOSITORY_REPORT = Doc("RepositoryReportFrame", RepositoryReport)
PROCESSED_VMS_REPORT = Doc("ProcessedVmsReportFrame", ProcessedVmsReport)

#: Every document kind the client knows, by root element (what ``from_xml`` accepts).
DOCUMENTS: dict[str, Doc[Any] | ListDoc[Any]] = {
    doc.root: doc
    for doc in (
        JOB,
        NAS_JOB,
        TASK,
        LOGON_SESSION,
        ERROR,
        Doc("EntityRef", EntityRef),
        Doc("Ref", EntityRef),
        ENTITY_REFERENCES,
        TASKS,
        BACKUP_JOB_SESSION,
        REPLICA_JOB_SESSION,
        BACKUP_TASK_SESSION,
        REPLICA_TASK_SESSION,
        AGENT_JOB,
        REPOSITORY,
        BACKUP_SERVER,
        API_ROOT,
        OBJECTS_IN_JOB,
        BACKUP,
        RESTORE_POINT,
        VM_RESTORE_POINT,
        HIERARCHY_ROOT,
        HIERARCHY_ITEMS,
        Doc("HierarchyItem", HierarchyItem),
        OVERVIEW_REPORT,
        JOB_STATISTICS_REPORT,
        VMS_OVERVIEW_REPORT,
        REPOSITORY_REPORT,
        PROCESSED_VMS_REPORT,
    )
}

Document = Union[
    Job,
    NasJob,
    TaskInfo,
    EntityRef,
    LogonSession,
    ErrorInfo,
    BackupJobSession,
    ReplicaJobSession,
    BackupTaskSession,
    ReplicaTaskSession,
    AgentBackupJob,
    Repository,
    BackupServer,
    ApiRoot,
    Backup,
    RestorePoint,
    VmRestorePoint,
    HierarchyRoot,
    HierarchyItem,
    OverviewReport,
    JobStatisticsReport,
    VmsOverviewReport,
    RepositoryReport,
    ProcessedVmsReport,
    list[EntityRef],
    list[TaskInfo],
    list[ObjectInJob],
    list[HierarchyItem],
]


def from_xml(data: Body) -> Document:
    """Parse one EM document into the model for its root element.

    ``Job``→`Job`, ``NASJob``→`NasJob`, ``Task``→`TaskInfo`,
    ``EntityReferences``→``list[EntityRef]``, ``Tasks``→``list[TaskInfo]``,
    ``LogonSession``→`LogonSession`, ``Error``→`ErrorInfo`
    (returned, not raised), the job and task sessions to their models,
    ``AgentBackupJob``→`AgentBackupJob`, ``Repository``→`Repository`,
    ``BackupServer``→`BackupServer`,
    ``EnterpriseManager``→`ApiRoot`, ``ObjectsInJob``→``list[ObjectInJob]``,
    ``Backup``, ``RestorePoint``, ``VmRestorePoint`` and ``HierarchyRoot`` to
    their models, ``HierarchyItems``→``list[HierarchyItem]``, and the five
    report frames (``OverviewReportFrame``→`OverviewReport`, …).
    Anything else raises `ResponseParseError`.
    """
    root, content = parse_document(data)
    doc = DOCUMENTS.get(root)
    if doc is None:
        raise ResponseParseError(f"unknown root element <{root}>", data)
    result: Document = doc.from_content(content, data)
    return result
