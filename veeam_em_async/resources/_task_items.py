"""What changed in a ``GET /tasks`` item since the listing before, so that only the
changed elements go through xmltodict.

A started job's task is listed Running, then OperationFinished with a result, then
Finished with its result and a link to the job's session. Parsing each listing
whole (88 µs of xmltodict and 28 µs of structuring, for a small ``<Task>``) was
most of what awaiting a started job cost the event loop at 50 EMs
(``benchmarks/bench_fleet.py``). An item is cut into its ``<State>`` text, its
``<Links>`` and ``<Result>`` elements, and the rest; when the rest is the listing
before's byte for byte, the value is the one before with the new state and with
whichever of the two elements changed parsed alone, by the same hardened parser
(13 µs a result). Anything else, or anything that does not parse alone, is
parsed whole by the caller, which reports its errors as it always did.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import attrs

from ..models import Link, TaskInfo, TaskResult, TaskState
from ..models.converter import converter
from ..xmlio import parse_fragment

__all__ = ["without_parsing"]

_STATE = re.compile(rb"<State>([A-Za-z]+)</State>")
_ELEMENTS = {
    name: re.compile(rb"<%s\b[^>]*/>|<%s\b[^>]*>.*?</%s>" % (name, name, name), re.DOTALL)
    for name in (b"Links", b"Result")
}


class _Parts(NamedTuple):
    rest: bytes  # the item without its state, links and result
    state: str
    links: bytes | None
    result: bytes | None


def _split(item: bytes) -> _Parts | None:
    if item.count(b"<State") != 1 or item.count(b"<Links") > 1 or item.count(b"<Result") > 1:
        return None
    found = _STATE.search(item)
    if found is None:
        return None
    cuts = [(found.start(), found.end())]
    elements: dict[bytes, bytes | None] = {}
    for name, pattern in _ELEMENTS.items():
        element = pattern.search(item) if b"<" + name in item else None
        if element is None and b"<" + name in item:
            return None
        elements[name] = element.group(0) if element else None
        if element:
            cuts.append((element.start(), element.end()))
    cuts.sort()
    pieces, at = [], 0
    for start, end in cuts:
        if start < at:
            return None  # one inside another: not the plain shape
        pieces.append(item[at:start])
        at = end
    pieces.append(item[at:])
    return _Parts(
        b"".join(pieces), found.group(1).decode(), elements[b"Links"], elements[b"Result"]
    )


def _alone(element: bytes, root: str, child: str | None, target: Any) -> Any:
    """One element (or its ``child``) parsed and structured alone; ``None`` if it
    does not parse so."""
    try:
        found, content = parse_fragment(element)
        if found != root or (child is not None and child not in content):
            return None
        return converter.structure(content if child is None else content[child], target)
    except Exception:
        return None


def without_parsing(
    last: TaskInfo, item: bytes, previous: tuple[bytes, TaskInfo] | None
) -> TaskInfo | None:
    """The value of ``item`` from what was known of the task (``last``, and the
    ``previous`` listing it was read from), parsing only what changed; ``None``
    when the item must be parsed whole. With no listing before, only an item
    in the in-progress state the action's answer gave, with no result, is
    taken as it is."""
    if last.state not in TaskState.IN_PROGRESS:
        return None  # an ended task is never taken back
    now = _split(item)
    if now is None:
        return None
    if previous is None:
        same = now.state == last.state and now.result is None and last.result is None
        return last if same else None
    before = _split(previous[0])
    if before is None or before.rest != now.rest:
        return None
    links: list[Link] | None = last.links
    result: TaskResult | None = last.result
    if now.links != before.links:
        links = [] if now.links is None else _alone(now.links, "Links", "Link", list[Link])
    if now.result != before.result:
        result = None if now.result is None else _alone(now.result, "Result", None, TaskResult)
        if result is None and now.result is not None:
            return None  # it does not parse alone: the whole parse says why
    if links is None or (result is None and now.state not in TaskState.IN_PROGRESS):
        return None  # the same for the links; an end with no result is read whole
    if (now.state, links, result) == (last.state, last.links, last.result):
        return last
    return attrs.evolve(last, state=now.state, links=links, result=result)
