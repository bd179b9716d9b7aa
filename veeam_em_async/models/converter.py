"""The one cattrs ``Converter``: xmltodict output -> frozen attrs models.

All the rules that turn EM's XML-as-dicts into typed values live here, in
`_register_hooks`:

- a field's XML location is its PascalCase name, or the ``xml(...)`` path
  declared on the field (``@Attr``, ``#text``, ``Parent/Child``);
- a ``list[...]`` field takes a list, one item (xmltodict gives a dict or a
  string for a single child) or nothing (an empty element is ``None``);
- ``bool`` accepts ``true``/``false`` in any case and nothing else (cattrs
  would otherwise turn the string ``"false"`` into ``True``);
- ``datetime`` is timezone-aware UTC (EM's placeholder 1900-01-01T00:00:00Z for
  "not yet", a running session's end, is ``None``), parsed by one regular expression
  rather than ``datetime.fromisoformat`` (which on Python 3.10 rejects
  fractions of 1, 2, 4 or 5 digits, and EM sends ``.7Z`` and ``.68Z``);
  fractions of any length are cut or padded to microseconds;
- enum-like values stay strings, so a value EM adds later is kept; a field
  declared with ``none_word`` (EM's ``<Result>None</Result>``) reads that word
  as a missing element;
- an element or attribute no field names goes into the model's ``extra``
  mapping (see `Model`), so nothing EM
  sends is lost; namespace declarations (``@xmlns…``) are not content.

Any shape the rules cannot accept raises ``ValueError``/``TypeError`` here;
`veeam_em_async.from_xml` turns those into ``ResponseParseError``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from types import UnionType
from typing import Any, Optional, TypeVar, Union, get_args, get_origin

import attrs
import cattrs

from .common import NONE_WORD_KEY, XML_KEY, Model, keep_extra
from .datetimes import parse_datetime
from .jobs import JOB_INFO_VARIANTS, JobInfo, UnknownJobInfo
from .lazy import set_structure
from .schedule import JobScheduleOptions

T = TypeVar("T")


def pascal_case(name: str) -> str:
    """``schedule_enabled`` -> ``ScheduleEnabled``: EM's element names."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        text = value.get("#text")
        if isinstance(text, str):
            return text
    raise ValueError(f"expected text, got {type(value).__name__}")


def _structure_str(value: Any, _: type) -> str:
    return _text_of(value)


_BOOLEANS = {"true": True, "false": False}


def _structure_bool(value: Any, _: type) -> bool:
    if type(value) is str:  # the common case first: EM's exact spelling
        known = _BOOLEANS.get(value)
        if known is not None:
            return known
    elif isinstance(value, bool):
        return value
    text = _text_of(value).strip().lower()
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"not a boolean: {text[:40]!r}")


def _structure_int(value: Any, _: type) -> int:
    if type(value) is str:
        return int(value)  # (int() strips whitespace itself)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(_text_of(value))


#: EM's words for "no time yet": a running session's ``<EndTimeUTC>`` is
#: 1900-01-01T00:00:00Z (.NET's DateTime.MinValue, 0001-01-01, also appears).
_NO_TIME = frozenset(
    {datetime(1900, 1, 1, tzinfo=timezone.utc), datetime(1, 1, 1, tzinfo=timezone.utc)}
)


def _structure_datetime(value: Any, _: type) -> datetime | None:
    if isinstance(value, datetime):
        return value
    moment = parse_datetime(_text_of(value))
    return None if moment in _NO_TIME else moment


def _is_list(tp: Any) -> bool:
    return get_origin(tp) is list


def _make_list_hook(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], list[Any]]:
    (item_type,) = get_args(tp) or (Any,)
    item_hook = converter.get_structure_hook(item_type)

    def structure_list(value: Any, _: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        return [item_hook(item, item_type) for item in value if item is not None]

    def structure_text_list(value: Any, _: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        return [v if type(v) is str else _text_of(v) for v in value if v is not None]

    return structure_text_list if item_hook is _structure_str else structure_list


def _inner_type(tp: Any) -> Any:
    """``X`` for ``Optional[X]`` (a missing element is handled by the caller)."""
    args = get_args(tp)
    if get_origin(tp) in (Union, UnionType) and len(args) == 2 and type(None) in args:
        return next(arg for arg in args if arg is not type(None))
    return tp


#: Namespace declarations EM puts on root elements: markup, not content.
_NAMESPACE_ATTRIBUTES = frozenset({"@xmlns", "@xmlns:xsd", "@xmlns:xsi"})


def _make_model_hook(cls: type[T], converter: cattrs.Converter) -> Callable[[Any, Any], T]:
    """Generate one straight-line structuring function per model class, once.

    Like cattrs' own ``make_dict_structure_fn``, the function is Python source
    built for the class and compiled: each field is a dict lookup along its
    XML path and a call of its leaf hook (text inline), with no loop, no
    per-field dispatch (``Optional[X]`` is resolved to ``X``'s hook here) and
    no kwargs for absent elements, so attrs defaults apply.
    """
    attrs.resolve_types(cls)  # type: ignore[type-var]
    name = cls.__name__
    namespace: dict[str, Any] = {"cls": cls, "_text_of": _text_of}
    keeps_extra = issubclass(cls, Model)
    lines = [
        "def structure_model(data, _):",
        "    if type(data) is not dict:",
        "        if data is None:",
        "            data = {}",
    ]
    fields = [f for f in attrs.fields(cls) if f.init]  # type: ignore[arg-type]
    paths = {f.name: f.metadata.get(XML_KEY) or pascal_case(f.name) for f in fields}
    if "#text" in paths.values():
        lines += ["        elif isinstance(data, str):", "            data = {'#text': data}"]
    lines += [
        "        elif not isinstance(data, dict):",
        f"            raise ValueError({name + ': expected an element, got '!r}"
        " + type(data).__name__)",
        "    kw = {}",
    ]
    for i, field in enumerate(fields):
        steps = paths[field.name].split("/")
        inner = _inner_type(field.type)
        hook = converter.get_structure_hook(inner)
        namespace[f"h{i}"], namespace[f"t{i}"] = hook, inner
        required = field.default is attrs.NOTHING
        indent = "    "
        lines.append(f"{indent}v = data.get({steps[0]!r})")
        for step in steps[1:]:  # a child of a child: Links/Link
            lines += [
                f"{indent}if v is not None:",
                f"{indent}    if not isinstance(v, dict):",
                f"{indent}        raise ValueError("
                f"{f'{name}.{field.name}: unexpected shape at {step}'!r})",
                f"{indent}    v = v.get({step!r})",
            ]
        none_word = field.metadata.get(NONE_WORD_KEY)
        if none_word is not None:  # EM's word for "no value" is no value
            lines.append(f"{indent}if v == {none_word!r}: v = None")
        if required:
            lines += [
                f"{indent}if v is None:",
                f"{indent}    raise ValueError({f'{name}: ' + '/'.join(steps) + ' is missing'!r})",
            ]
        else:
            lines.append(f"{indent}if v is not None:")
            indent += "    "
        if hook is _structure_str:
            lines.append(f"{indent}kw[{field.name!r}] = v if type(v) is str else _text_of(v)")
        else:
            lines.append(f"{indent}kw[{field.name!r}] = h{i}(v, t{i})")
    if keeps_extra:
        # One C-level set difference per element; a dict only when something is left.
        # One C-level superset test per element (no allocation); a dict only
        # when something is left over.
        known = {p.split("/")[0] for p in paths.values()} | _NAMESPACE_ATTRIBUTES
        namespace["known"] = frozenset(known)
        namespace["_keep"] = keep_extra
        lines += [
            "    if not known.issuperset(data):",
            "        extra = {k: v for k, v in data.items()"
            " if k not in known and not k.startswith('@xmlns')}",
            "        if extra:",
            "            return _keep(cls(**kw), extra)",
        ]
    lines.append("    return cls(**kw)")
    exec(compile("\n".join(lines), f"<structure {name}>", "exec"), namespace)  # noqa: S102
    function: Callable[[Any, Any], T] = namespace["structure_model"]
    return function


def _structure_job_info(value: Any, _: Any) -> JobInfo | None:
    """``<JobInfo>`` holds exactly one variant, named by its child element."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("JobInfo: expected an element")
    for key, model in JOB_INFO_VARIANTS.items():
        if key in value:
            return converter.structure(value[key], model)
    for key, content in value.items():
        if not key.startswith("@"):  # a variant this version does not know: keep it visible
            unknown = UnknownJobInfo(kind=key)
            return keep_extra(unknown, content) if isinstance(content, dict) else unknown
    return None  # an empty <JobInfo/>


def _make_schedule_hook(
    converter: cattrs.Converter,
) -> Callable[[Any, Any], JobScheduleOptions]:
    generated = _make_model_hook(JobScheduleOptions, converter)

    def structure_schedule(value: Any, tp: Any) -> JobScheduleOptions:
        # Older API versions put the Standart content directly under JobScheduleOptions.
        if isinstance(value, dict) and not ({"Standart", "ImmediateCopyMode"} & value.keys()):
            value = {"Standart": value}
        return generated(value, tp)

    return structure_schedule


def _register_hooks(converter: cattrs.Converter) -> None:
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook_func(
        lambda tp: tp in (JobInfo, Optional[JobInfo]), _structure_job_info
    )
    converter.register_structure_hook_factory(_is_list, lambda tp: _make_list_hook(tp, converter))
    # Model functions are generated at registration and look their fields' hooks up
    # then: the attrs factory comes before any hook (the schedule's) built on it.
    converter.register_structure_hook_factory(
        attrs.has, lambda cls: _make_model_hook(cls, converter)
    )
    converter.register_structure_hook(JobScheduleOptions, _make_schedule_hook(converter))


converter = cattrs.Converter()
_register_hooks(converter)
set_structure(converter.structure)
