"""An action's ``202`` answer read from the last answer of its shape: a bulk start
gets ten thousand ``<Task>`` bodies that differ only by the task's id (in
``<TaskId>`` and in every ``Href``).

The first answer of a shape is parsed whole, by the hardened parser. It becomes
a template: its bytes with the id cut out, and xmltodict's value. It is kept only
if the id sits in values alone (text or attributes, never in markup, never
written with an entity, never made by joining text): the template with another
id put in is parsed too and must give the value with that id put in. A later
answer whose bytes, with its own id cut out, are the template's is then that
value with the new id put in, structured as any answer (so a malformed value
still fails), without going through expat and xmltodict again. Any other
answer is parsed whole. In the benchmarks, this parse was about a tenth of a
bulk start's CPU in the client (``benchmarks/bench_fleet.py``).
"""

from __future__ import annotations

from typing import Any

from ..models import TASK, TaskInfo
from ..xmlio import key_pattern, parse_document
from ._task_items import KEPT_BYTES, keep

__all__ = ["read_answer"]

#: What a task id may be here: ListItemScanner's rule (EM's are ``task-N``).
_TASK_ID = key_pattern("TaskId")
_HOLE = b"\x00"  # never in an XML document: where the id was
_PROBE = "Zq9Zq"  # another id, to check a template with
_TEMPLATES: dict[bytes, tuple[str, dict[str, Any]]] = {}


def read_answer(body: bytes | bytearray) -> TaskInfo:
    """The `TaskInfo` of an action's answer, as ``TASK.parse`` gives it."""
    found = _TASK_ID.search(body)
    if found is None or _HOLE in body:
        return TASK.parse(body)
    task_id = found.group(1).decode()  # ASCII: the pattern allows nothing else
    template = bytes(body).replace(found.group(1), _HOLE)
    known = _TEMPLATES.get(template)
    if known is not None:
        old, content = known
        return TASK.from_content(_put(content, old, task_id), body)
    _root, content = parse_document(body)
    info = TASK.from_content(content, body)  # the root is checked here
    if len(template) <= KEPT_BYTES and _fits(template, content, task_id):
        keep(_TEMPLATES, template, (task_id, content))
    return info


def _fits(template: bytes, content: dict[str, Any], task_id: str) -> bool:
    """Whether the id is in ``content``'s values exactly where the template's
    holes are: the template with another id parses to the value with it."""
    if _PROBE in task_id or task_id in _PROBE:
        return False
    try:
        _root, probed = parse_document(template.replace(_HOLE, _PROBE.encode()))
    except Exception:
        return False
    return bool(probed == _put(content, task_id, _PROBE))


def _put(value: Any, old: str, new: str) -> Any:
    """``value`` (xmltodict's) with ``old`` replaced by ``new`` in every string."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {key: _put(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_put(item, old, new) for item in value]
    return value
