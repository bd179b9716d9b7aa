"""Parts of a model structured on first use: a job's schedule is half of a job's
parsing cost and most callers never read it (``em.jobs.get`` for a name or a
state). The model keeps xmltodict's value and a slot for the structured one.

The converter registers itself here when it is made (`set_structure`), so that the
models need not import it (it imports them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .schedule import JobScheduleOptions

__all__ = ["LAZY_FIELDS", "LazySchedule", "lazily", "set_structure"]

#: Raw field -> the property that structures it: what a model shows for the field
#: when it is shown whole (the CLI's ``show``).
LAZY_FIELDS = {"schedule_raw": "schedule_options", "info_raw": "info"}

T = TypeVar("T")

_structure: Callable[[Any, Any], Any] | None = None


def set_structure(structure: Callable[[Any, Any], Any]) -> None:
    """The converter's ``structure`` (called once, when the converter is made)."""
    global _structure
    _structure = structure


def lazily(model: Any, raw_field: str, cache_field: str, target: type[T]) -> T | None:
    """``target`` made from ``model.<raw_field>`` once, kept in ``<cache_field>``.
    A malformed part raises `ResponseParseError` when it is first read."""
    cached = getattr(model, cache_field)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    raw = getattr(model, raw_field)
    if raw is None:
        return None
    assert _structure is not None, "the converter registers itself on import"
    try:
        value = _structure(raw, target)
    except Exception as exc:
        from ..errors import ResponseParseError

        raise ResponseParseError(
            f"<{target.__name__}> is not valid: {exc}", str(raw)[:200]
        ) from None
    object.__setattr__(model, cache_field, value)
    return value  # type: ignore[no-any-return]


class LazySchedule:
    """Mixin of the job models with ``schedule_raw`` and a ``_schedule`` slot."""

    @property
    def schedule_options(self) -> JobScheduleOptions | None:
        """The job's schedule, structured when first read (most callers never do)."""
        return lazily(self, "schedule_raw", "_schedule", JobScheduleOptions)
