"""The JSON shapes of the things ``veeam-em`` prints: jobs (always ``{"id", "name",
"type"}``), tasks and sessions, any model as JSON-ready data, and that data as
YAML-like lines (``show -o wide``). Pure: no output, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ..models import EntityRef, TaskInfo
from ..models.lazy import LAZY_FIELDS

__all__ = ["job_summary", "session_summary", "task_summary", "to_json", "yaml_lines"]


def to_json(value: Any) -> Any:
    """Models, datetimes and exceptions as JSON-ready data."""
    if attrs.has(type(value)):
        data = {
            LAZY_FIELDS.get(f.name, f.name): getattr(value, LAZY_FIELDS.get(f.name, f.name))
            for f in attrs.fields(type(value))
            if f.init  # (a lazily structured part is shown structured)
        }
        if hasattr(value, "id") and "id" not in data:
            data = {"id": value.id, **data}
        return {k: to_json(v) for k, v in data.items()}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)  # an empty list or mapping reads [] or {}


def yaml_lines(value: Any, indent: int = 0) -> list[str]:
    """JSON-ready data as YAML-like ``key: value`` lines, nested by indentation
    (what ``show -o wide`` prints: every field, no Python reprs)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines += [f"{pad}{key}:", *yaml_lines(item, indent + 1)]
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                first, *rest = yaml_lines(item, indent + 1)
                lines += [f"{pad}- {first.lstrip()}", *rest]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def job_summary(job: Any, kind: str | None = None) -> dict[str, Any]:
    """``{"id", "name", "type"}`` of a job model, reference or id."""
    if isinstance(job, str):
        return {"id": job, "name": None, "type": kind}
    job_type = getattr(job, "job_type", None)
    if job_type is None and not isinstance(job, EntityRef):
        job_type = kind
    return {"id": job.id, "name": job.name, "type": job_type or kind}


def task_summary(task: TaskInfo | None) -> dict[str, Any] | None:
    if task is None:
        return None
    result = task.result
    return {
        "id": task.id,
        "operation": task.operation,
        "state": task.state,
        "success": None if result is None else result.success,
        "message": None if result is None else result.message,
    }


def session_summary(session: Any) -> dict[str, Any] | None:
    if session is None:
        return None
    return {
        "id": session.id,
        "name": session.name,
        "job_uid": session.job_uid,
        "job_name": session.job_name,
        "job_type": session.job_type,
        "state": session.state,
        "result": session.result,
        "progress": session.progress,
        "is_retry": session.is_retry,
        "creation_time": to_json(session.creation_time),
        "end_time": to_json(session.end_time),
        "failure_message": session.failure_message,
    }
