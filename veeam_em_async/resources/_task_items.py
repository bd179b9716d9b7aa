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

The caller keeps each listing (its bytes, its parts and the value read from it: a
`Listing`) for the next, so an item is cut apart once. The action's answer is
the first listing: a ``202`` body is the task's list item with the namespace
declared on it (`answered`), so a task first listed already ended has only its
result and links parsed. A ``<Result>`` seen before is not parsed again (EM's
messages repeat: every task reads "OperationFinished" before it ends).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, TypeVar

import attrs

from ..models import Link, TaskInfo, TaskResult, TaskState
from ..models.converter import converter
from ..xmlio import EM_NAMESPACE, parse_fragment

__all__ = ["KEPT_BYTES", "Listing", "Parts", "answered", "keep", "split", "without_parsing"]

_NAME_ENDS = frozenset(b" \t\r\n/>")
#: Results parsed, by their bytes: the same bytes parse the same way, and a
#: `TaskResult` is frozen, so one value serves every task (and every client).
_RESULTS: dict[bytes, TaskResult] = {}
#: The most bytes of an item (or a result) kept for the next reading: a task's item
#: is a few hundred bytes, and what a hostile EM sends is not held for long.
KEPT_BYTES = 8192
#: The most values a module-wide store keeps (`keep`).
KEPT_ITEMS = 256
T = TypeVar("T")
#: A 202 body's ``<Task>`` start tag, with EM's namespace declared first on it.
_ANSWER = re.compile(
    rb'\s*(?:<\?xml[^>]*\?>\s*)?<Task xmlns="' + re.escape(EM_NAMESPACE.encode()) + rb'"(?=[ >])'
)


class Parts(NamedTuple):
    rest: bytes  # the item without its state, links and result
    state: str
    links: bytes | None
    result: bytes | None


class Listing(NamedTuple):
    """How a task's value was read: the item's bytes, their parts (``None`` when
    not plain) and the value. Kept in the watcher's `Entry.memo`."""

    fragment: bytes
    parts: Parts | None
    value: TaskInfo


def answered(body: bytes | bytearray, value: TaskInfo) -> Listing | None:
    """The action's answer ``body`` (read into ``value``) as ``GET /tasks`` lists
    it: the ``<Task>`` element without the namespace declaration its list's root
    carries instead. ``None`` for any other shape (then the first listing is
    parsed, as before)."""
    found = _ANSWER.match(body)
    if found is None or len(body) > KEPT_BYTES:
        return None
    fragment = (b"<Task" + body[found.end() :]).rstrip()
    if not fragment.endswith(b"</Task>"):
        return None
    return Listing(fragment, split(fragment), value)


def _element(item: bytes, name: bytes) -> tuple[int, int] | None:
    """Where the one ``<name …>…</name>`` (or ``<name …/>``) of ``item`` is; ``(0, 0)``
    when it has none; ``None`` when it is not that plain (found with ``bytes.find``:
    a regular expression here cost 17 µs an item, most of what it spared)."""
    opening = b"<" + name
    start = item.find(opening)
    if start < 0:
        return 0, 0
    after = item[start + len(opening) : start + len(opening) + 1]
    if item.find(opening, start + 1) >= 0 or not after or after[0] not in _NAME_ENDS:
        return None  # twice, cut short, or another name (<Results>)
    close = item.find(b">", start)
    if close < 0:
        return None
    if item[close - 1] == ord("/"):
        return start, close + 1
    end = item.find(b"</" + name + b">", close)
    return None if end < 0 else (start, end + len(name) + 3)


def split(item: bytes) -> Parts | None:
    """``item``'s state, links and result, and the rest; ``None`` when it is not
    in the plain shape (see `_element`)."""
    state_at, links_at, result_at = (_element(item, n) for n in (b"State", b"Links", b"Result"))
    if state_at is None or links_at is None or result_at is None or state_at == (0, 0):
        return None
    state = item[state_at[0] + 7 : state_at[1] - 8]  # <State>…</State>
    if not state.isalpha():
        return None
    pieces, at = [], 0
    for start, end in sorted((state_at, links_at, result_at)):
        if start < at:
            return None  # one inside another: not the plain shape
        pieces.append(item[at:start])
        at = max(at, end)
    pieces.append(item[at:])
    return Parts(
        b"".join(pieces),
        state.decode(),
        item[links_at[0] : links_at[1]] if links_at[1] else None,
        item[result_at[0] : result_at[1]] if result_at[1] else None,
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


def keep(store: dict[bytes, T], key: bytes, value: T) -> None:
    """``store[key] = value`` within the bounds: nothing keyed by over `KEPT_BYTES`,
    and at most `KEPT_ITEMS` values (then the store starts again: a bound, not an
    LRU; what names a job may never repeat)."""
    if len(key) <= KEPT_BYTES:
        if len(store) >= KEPT_ITEMS:
            store.clear()
        store[key] = value


def _result(element: bytes) -> TaskResult | None:
    found = _RESULTS.get(element)
    if found is None:
        found = _alone(element, "Result", None, TaskResult)
        if found is not None:
            keep(_RESULTS, element, found)
    return found


def without_parsing(last: TaskInfo, now: Parts, before: Parts | None) -> TaskInfo | None:
    """The value of the item split into ``now`` from what was known of the task:
    ``last``, read from the listing split into ``before`` (``None``: from the
    action's answer), parsing only what changed; ``None`` when the item must be
    parsed whole. With no listing before, only an item in the in-progress state
    the answer gave, with no result, is taken as it is."""
    if last.state not in TaskState.IN_PROGRESS:
        return None  # an ended task is never taken back
    if before is None:
        same = now.state == last.state and now.result is None and last.result is None
        return last if same else None
    if before.rest != now.rest:
        return None
    links: list[Link] | None = last.links
    result: TaskResult | None = last.result
    if now.links != before.links:
        links = [] if now.links is None else _alone(now.links, "Links", "Link", list[Link])
    if now.result != before.result:
        result = None if now.result is None else _result(now.result)
        if result is None and now.result is not None:
            return None  # it does not parse alone: the whole parse says why
    if links is None or (result is None and now.state not in TaskState.IN_PROGRESS):
        return None  # the same for the links; an end with no result is read whole
    if (now.state, links, result) == (last.state, last.links, last.result):
        return last
    return attrs.evolve(last, state=now.state, links=links, result=result)
