"""The query service's ``filter`` parameter, built from Python: ``F``. Pure.

``F.Result == "Failed"`` is one comparison; ``&`` joins with EM's ``;``
(and), ``|`` with ``,`` (or). Python already groups ``a & b | c`` as
``(a & b) | c``; the text says so with parentheses wherever an *and* sits
inside an *or* or the other way round, because the vendor pages show
grouping but never state which of ``;`` and ``,`` binds tighter.

Values follow the vendor's "optional query parameters" page: anything but
letters, digits and ``-_.:`` is double-quoted, and a ``"`` inside is doubled
(``Name==""Backup""``). Backslashes stay as they are: EM's own job names
hold them (``Periodic Backup Copy Job\\Backup Job 1``). Datetimes go out as UTC
``YYYY-MM-DDTHH:MM:SSZ``; naive ones are refused rather than guessed. The
text is URL-encoded once, by the HTTP layer, with the other parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Union

import attrs

__all__ = ["F", "Filter", "condition", "filter_text", "one_of", "quote", "utc_text"]

_BARE = re.compile(r"[A-Za-z0-9_.:-]+")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">="})


def utc_text(value: datetime) -> str:
    """An aware datetime as EM's filter wants it (whole seconds, rounded down)."""
    if value.tzinfo is None:
        raise ValueError("a filter datetime must be timezone-aware (UTC is what EM compares)")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def quote(value: object) -> str:
    """A value as it goes into a filter."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return f'"{utc_text(value)}"'
    text = str(value)
    if _BARE.fullmatch(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def condition(field: str, op: str, value: object) -> str:
    """``JobUid=="urn:…"``: one comparison, as text."""
    if op not in _OPERATORS:
        raise ValueError(f"unknown comparison operator {op!r}")
    if not _FIELD.fullmatch(field):
        raise ValueError(f"not a query field name: {field!r}")
    return f"{field}{op}{quote(value)}"


class Filter:
    """A filter expression; ``str()`` is the text EM reads."""

    def text(self, inside: str | None = None) -> str:
        """The text, in parentheses when it sits inside the other junction."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    def __and__(self, other: FilterLike) -> Filter:
        return _junction(";", self, as_filter(other))

    def __rand__(self, other: FilterLike) -> Filter:
        return _junction(";", as_filter(other), self)

    def __or__(self, other: FilterLike) -> Filter:
        return _junction(",", self, as_filter(other))

    def __ror__(self, other: FilterLike) -> Filter:
        return _junction(",", as_filter(other), self)

    def __bool__(self) -> bool:
        raise TypeError("a Filter has no truth value: join filters with & and |, not and/or")


FilterLike = Union[Filter, str]


@attrs.frozen(eq=False)
class Comparison(Filter):
    field: str
    op: str
    value: object

    def text(self, inside: str | None = None) -> str:
        return condition(self.field, self.op, self.value)


@attrs.frozen(eq=False)
class Raw(Filter):
    """Filter text written by hand: kept as is, and grouped when joined."""

    raw: str

    def text(self, inside: str | None = None) -> str:
        return f"({self.raw})" if inside else self.raw


@attrs.frozen(eq=False)
class Junction(Filter):
    """Parts joined by ``;`` (and) or ``,`` (or)."""

    sep: str
    parts: tuple[Filter, ...]

    def text(self, inside: str | None = None) -> str:
        body = self.sep.join(part.text(self.sep) for part in self.parts)
        return f"({body})" if inside is not None and inside != self.sep else body


def _junction(sep: str, left: Filter, right: Filter) -> Filter:
    parts: list[Filter] = []
    for side in (left, right):
        if isinstance(side, Junction) and side.sep == sep:
            parts.extend(side.parts)
        else:
            parts.append(side)
    return Junction(sep, tuple(parts))


def one_of(field: str, values: Sequence[object]) -> Filter:
    """``field`` equal to any of ``values``: ``(Result==Failed,Result==Warning)``."""
    if not values:
        raise ValueError(f"one_of({field!r}) needs at least one value")
    found: Filter = Comparison(field, "==", values[0])
    for value in values[1:]:
        found = found | Comparison(field, "==", value)
    return found


def as_filter(value: FilterLike) -> Filter:
    if isinstance(value, Filter):
        return value
    if isinstance(value, str):
        return Raw(value)
    raise TypeError(f"a filter is an F expression or a string, not {type(value).__name__}")


def filter_text(value: FilterLike | None) -> str | None:
    """The ``filter`` parameter for what a caller passed (``None``: no filter)."""
    if value is None:
        return None
    return as_filter(value).text()


class Field:
    """``F.Name``: compare it with ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not _FIELD.fullmatch(name):
            raise ValueError(f"not a query field name: {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return f"F.{self.name}"

    def __eq__(self, value: object) -> Comparison:  # type: ignore[override]
        return Comparison(self.name, "==", value)

    def __ne__(self, value: object) -> Comparison:  # type: ignore[override]
        return Comparison(self.name, "!=", value)

    def __lt__(self, value: object) -> Comparison:
        return Comparison(self.name, "<", value)

    def __le__(self, value: object) -> Comparison:
        return Comparison(self.name, "<=", value)

    def __gt__(self, value: object) -> Comparison:
        return Comparison(self.name, ">", value)

    def __ge__(self, value: object) -> Comparison:
        return Comparison(self.name, ">=", value)

    def __hash__(self) -> int:
        return hash(self.name)


class _Fields:
    """``F.<Field>``: any field name of the queried type, as the vendor page lists it."""

    def __getattr__(self, name: str) -> Field:
        if name.startswith("__"):
            raise AttributeError(name)
        return Field(name)

    def __repr__(self) -> str:
        return "F"


F = _Fields()
