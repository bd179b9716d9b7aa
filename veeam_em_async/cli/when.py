"""Times on the command line: ``--since`` (``30m``, ``24h``, ``7d`` or an ISO time)
read, and EM's times shown in UTC, as EM stores them. Pure."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .exits import UsageError

__all__ = ["parse_duration", "parse_since", "when"]


_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str) -> datetime | timedelta:
    """``90s``, ``30m``, ``24h``, ``7d`` (back from now) or an ISO 8601 time (UTC if no zone)."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since takes 30m, 24h, 7d or an ISO time, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_duration(text: str, option: str) -> timedelta:
    """A positive duration (``36h``, ``7d``) for ``option``, or a `UsageError` naming it."""
    match = _DURATION.fullmatch(text.strip())
    seconds = float(match.group(1)) * _UNITS[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise UsageError(f"{option} takes a duration such as 24h or 7d, not {text!r}")
    return timedelta(seconds=seconds)


def when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"
