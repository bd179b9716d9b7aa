"""Typed models of EM documents and :func:`from_xml`, the one way in."""

from __future__ import annotations

from typing import Any, TypeVar, Union

from ..errors import ResponseParseError
from ..xmlio import parse_document
from .common import EntityRef, ErrorInfo, HasLinks, Link
from .converter import converter
from .jobs import (
    AdvancedStorageOptions,
    BackupCopyJobInfo,
    BackupJobInfo,
    GfsPeriod,
    GfsRetentionPolicy,
    GuestFSIndexingOptions,
    GuestProcessingOptions,
    ImmediateBackupCopyJobInfo,
    Job,
    JobInfo,
    JobType,
    LinkedBackupRepository,
    LinkedJob,
    ObjectInJob,
    Platform,
    ReplicaJobInfo,
    SimpleRetentionPolicy,
    SqlBackupOptions,
    VssSnapshotOptions,
)
from .nas import NasAclOptions, NasAdvancedStorageOptions, NasJob, NasObject, NasStorageOptions
from .schedule import (
    BackupWindowOptions,
    ContinuousOptions,
    DailyOptions,
    DaisyChainingOptions,
    DaySchedule,
    ImmediateCopyMode,
    JobScheduleOptions,
    MonthlyOptions,
    PeriodicallyOptions,
    RetryOptions,
    StandardSchedule,
)
from .sessions import LogonSession
from .tasks import TaskInfo, TaskResult, TaskState

T = TypeVar("T")

Document = Union[
    Job, NasJob, TaskInfo, EntityRef, LogonSession, ErrorInfo, list[EntityRef], list[TaskInfo]
]

#: root element -> (model, child element holding the items for list documents)
_ROOTS: dict[str, tuple[Any, str | None]] = {
    "Job": (Job, None),
    "NASJob": (NasJob, None),
    "Task": (TaskInfo, None),
    "EntityRef": (EntityRef, None),
    "Ref": (EntityRef, None),
    "LogonSession": (LogonSession, None),
    "Error": (ErrorInfo, None),
    "EntityReferences": (list[EntityRef], "Ref"),
    "Tasks": (list[TaskInfo], "Task"),
}


def _structure(root: str, value: Any, target: Any, data: Any) -> Any:
    try:
        return converter.structure(value, target)
    except ResponseParseError:
        raise
    except Exception as exc:  # cattrs/attrs/int()/fromisoformat all raise differently
        raise ResponseParseError(
            f"<{root}> is not a valid EM {root} document: {exc}", data
        ) from None


def from_xml(data: bytes | bytearray | str) -> Document:
    """Parse one EM document into the model for its root element.

    ``Job``→:class:`Job`, ``NASJob``→:class:`NasJob`, ``Task``→:class:`TaskInfo`,
    ``EntityReferences``→``list[EntityRef]``, ``Tasks``→``list[TaskInfo]``,
    ``LogonSession``→:class:`LogonSession`, ``Error``→:class:`ErrorInfo`
    (returned, not raised). Anything else raises :class:`ResponseParseError`.
    """
    root, content = parse_document(data)
    try:
        target, item_key = _ROOTS[root]
    except KeyError:
        raise ResponseParseError(f"unknown root element <{root}>", data) from None
    value = content.get(item_key) if item_key else content
    result: Document = _structure(root, value, target, data)
    return result


def parse_as(data: bytes | bytearray | str, model: type[T], root: str) -> T:
    """Parse a document that must have root ``root``, as ``model``."""
    found, content = parse_document(data)
    if found != root:
        raise ResponseParseError(f"expected <{root}>, got <{found}>", data)
    result: T = _structure(root, content, model, data)
    return result


def parse_list_as(data: bytes | bytearray | str, model: type[T], root: str, item: str) -> list[T]:
    """Parse a list document (``<root><item/>…</root>``) as ``list[model]``."""
    found, content = parse_document(data)
    if found != root:
        raise ResponseParseError(f"expected <{root}>, got <{found}>", data)
    result: list[T] = _structure(root, content.get(item), list[model], data)  # type: ignore[valid-type]
    return result


def list_items(data: bytes | bytearray | str, root: str, item: str) -> list[Any]:
    """The raw (unstructured) items of a list document, for callers that
    structure only the items they need (see the task watcher)."""
    found, content = parse_document(data)
    if found != root:
        raise ResponseParseError(f"expected <{root}>, got <{found}>", data)
    items = content.get(item)
    if items is None:
        return []
    return items if isinstance(items, list) else [items]


def structure_item(raw: Any, model: type[T], root: str) -> T:
    """Structure one raw item from :func:`list_items` as ``model``."""
    result: T = _structure(root, raw, model, str(raw)[:200])
    return result


__all__ = [
    "AdvancedStorageOptions",
    "BackupCopyJobInfo",
    "BackupJobInfo",
    "BackupWindowOptions",
    "ContinuousOptions",
    "DailyOptions",
    "DaisyChainingOptions",
    "DaySchedule",
    "Document",
    "EntityRef",
    "ErrorInfo",
    "GfsPeriod",
    "GfsRetentionPolicy",
    "GuestFSIndexingOptions",
    "GuestProcessingOptions",
    "HasLinks",
    "ImmediateBackupCopyJobInfo",
    "ImmediateCopyMode",
    "Job",
    "JobInfo",
    "JobScheduleOptions",
    "JobType",
    "LinkedBackupRepository",
    "LinkedJob",
    "Link",
    "LogonSession",
    "MonthlyOptions",
    "NasAclOptions",
    "NasAdvancedStorageOptions",
    "NasJob",
    "NasObject",
    "NasStorageOptions",
    "ObjectInJob",
    "PeriodicallyOptions",
    "Platform",
    "ReplicaJobInfo",
    "RetryOptions",
    "SimpleRetentionPolicy",
    "SqlBackupOptions",
    "StandardSchedule",
    "TaskInfo",
    "TaskResult",
    "TaskState",
    "VssSnapshotOptions",
    "converter",
    "from_xml",
    "list_items",
    "structure_item",
    "parse_as",
    "parse_list_as",
]
