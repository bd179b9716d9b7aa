"""Text of the query service's ``filter`` parameter. Pure.

EM compares ``Field op value``; a value with anything but letters, digits
and ``-_.:`` in it is double-quoted (a ``"`` or ``\\`` inside is escaped
with ``\\``), so spaces, ``;``, ``,`` and parentheses in a job name cannot
end the comparison early. Datetimes go out as UTC ``YYYY-MM-DDTHH:MM:SSZ``,
the form EM's pages use; naive datetimes are refused rather than guessed.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

__all__ = ["condition", "quote", "utc_text"]

_BARE = re.compile(r"[A-Za-z0-9_.:-]+")
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
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def condition(field: str, op: str, value: object) -> str:
    """``JobUid=="urn:…"``: one comparison."""
    if op not in _OPERATORS:
        raise ValueError(f"unknown comparison operator {op!r}")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", field):
        raise ValueError(f"not a query field name: {field!r}")
    return f"{field}{op}{quote(value)}"
