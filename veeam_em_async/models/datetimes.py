"""EM's ``xs:dateTime`` text -> aware UTC ``datetime``. Pure.

One regular expression rather than ``datetime.fromisoformat``, which on
Python 3.10 rejects fractions of 1, 2, 4 or 5 digits (EM sends ``.7Z`` and
``.68Z``); fractions of any length are cut or padded to microseconds.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["parse_datetime"]

_XS_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def parse_datetime(text: str) -> datetime:
    """EM's ``xs:dateTime`` as an aware UTC datetime (naive values are UTC).

    Same result on every supported Python: ``2020-02-05T01:00:20.68Z``,
    ``….7Z``, seven-digit fractions and ``+03:00`` offsets all parse.
    """
    match = _XS_DATETIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an xs:dateTime: {text[:40]!r}")
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if sign is not None:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    parsed = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
    )
    return parsed.astimezone(timezone.utc)
