"""The query service's ``filter`` language, as the simulator understands it.

``Field op value`` comparisons (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``)
joined by ``;`` (and) and ``,`` (or), grouped with parentheses; ``;`` binds
tighter than ``,``. A value is bare (up to the next ``;``, ``,`` or ``)``) or
double-quoted (a ``"`` inside is doubled, as the vendor page says; a
backslash is an ordinary character). Names and string values
compare case-insensitively, ``*`` in a string value matches anything;
datetimes compare as instants, and ``Result`` by EM's order (Success <
Warning < Failed).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

__all__ = ["FilterError", "compile_filter"]

Row = Mapping[str, object]  # lower-case field name -> value
Predicate = Callable[[Row], bool]

_RESULT_ORDER = {"success": 0, "warning": 1, "failed": 2}
_TOKEN = re.compile(r'\s*(?:(?P<punct>[(),;])|(?P<cmp>[A-Za-z][\w.]*\s*(?:==|!=|<=|>=|<|>)\s*'
                    r'(?:"(?:[^"]|"")*"|[^;,()]*)))')  # fmt: skip
_CMP = re.compile(r"([A-Za-z][\w.]*)\s*(==|!=|<=|>=|<|>)\s*(.*)", re.S)


class FilterError(ValueError):
    """The filter is not in EM's syntax (EM answers 400)."""


def _value(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw


def _datetime(text: str) -> datetime:
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def _compare(field: str, op: str, wanted: str) -> Predicate:
    def test(row: Row) -> bool:
        have = row.get(field)
        if have is None:
            return op == "!="
        if field.endswith("uid") and not wanted.lower().startswith("urn:"):
            have = str(have).rsplit(":", 1)[-1]  # a bare UUID names the same entity
        left: object
        right: object
        if isinstance(have, datetime):
            left, right = have, _datetime(wanted)
        elif isinstance(have, bool):
            left, right = str(have).lower(), wanted.lower()
        elif isinstance(have, (int, float)):
            left, right = have, float(wanted)
        elif field == "result" and wanted.lower() in _RESULT_ORDER:
            left = _RESULT_ORDER.get(str(have).lower(), -1)
            right = _RESULT_ORDER[wanted.lower()]
        else:
            left, right = str(have).lower(), wanted.lower()
            if op in ("==", "!=") and "*" in str(right):
                matched = fnmatch.fnmatchcase(str(left), str(right))
                return matched if op == "==" else not matched
        return bool(
            {
                "==": left == right,
                "!=": left != right,
                "<": left < right,  # type: ignore[operator]
                "<=": left <= right,  # type: ignore[operator]
                ">": left > right,  # type: ignore[operator]
                ">=": left >= right,  # type: ignore[operator]
            }[op]
        )

    return test


def compile_filter(text: str | None) -> Predicate:
    """A predicate over rows for ``text``; `FilterError` if malformed."""
    if not text or not text.strip():
        return lambda row: True
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip():
                raise FilterError(f"cannot read the filter at {text[pos : pos + 20]!r}")
            break
        pos = match.end()
        if match.group("punct"):
            tokens.append(("punct", match.group("punct")))
        else:
            tokens.append(("cmp", match.group("cmp")))
    index = 0

    def peek() -> str | None:
        return tokens[index][1] if index < len(tokens) and tokens[index][0] == "punct" else None

    def parse_or() -> Predicate:
        nonlocal index
        parts = [parse_and()]
        while peek() == ",":
            index += 1
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def parse_and() -> Predicate:
        nonlocal index
        parts = [parse_atom()]
        while peek() == ";":
            index += 1
            parts.append(parse_atom())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def parse_atom() -> Predicate:
        nonlocal index
        if index >= len(tokens):
            raise FilterError("the filter ends where a comparison was expected")
        kind, value = tokens[index]
        index += 1
        if kind == "punct" and value == "(":
            inner = parse_or()
            if peek() != ")":
                raise FilterError("a '(' is not closed")
            index += 1
            return inner
        if kind != "cmp":
            raise FilterError(f"unexpected {value!r}")
        match = _CMP.fullmatch(value.strip())
        if match is None:  # pragma: no cover - the token pattern guarantees it
            raise FilterError(f"not a comparison: {value!r}")
        field, op, raw = match.groups()
        if not raw.strip():
            raise FilterError(f"{field}{op} has no value")
        return _compare(field.lower(), op, _value(raw))

    predicate = parse_or()
    if index != len(tokens):
        raise FilterError(f"unexpected {tokens[index][1]!r}")
    return predicate
