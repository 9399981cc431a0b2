"""Time strings as the index keeps them: one fixed-width UTC form that sorts as text.

Accepted: ISO 8601 calendar (``2005-01-02T03:04:05.123Z``, date only, offsets), ISO
ordinal / PDS day-of-year (``2005-002T03:04:05``) and the mica/Chandra form
``YYYY:DOY[:hh:mm[:ss[.fff]]]``. Normalised: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. A leap
second (``:60``) is kept as written, so the text still sorts in time order; that is
why this is a small parser and not `datetime.fromisoformat`, which rejects second 60.
"""

from __future__ import annotations

import datetime as dt
import re

_TIME = r"(?:[T ](?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?)?)?"
_ZONE = r"(?P<z>Z|[+-]\d{2}:?\d{2})?"
_CAL = re.compile(r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})" + _TIME + _ZONE + r"$")
_ORD = re.compile(r"^(?P<y>\d{4})-(?P<doy>\d{3})" + _TIME + _ZONE + r"$")
_MICA = re.compile(
    r"^(?P<y>\d{4}):(?P<doy>\d{3})(?::(?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?)?)?$"
)


_FAST = re.compile(r"^(\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d)(?:\.(\d{1,6}))?Z$")


def normalize_time(text: str) -> str:
    """``text`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC); ValueError when it is not a time."""
    s = text.strip()
    fast = _FAST.match(s)
    if fast and int(s[11:13]) < 24 and int(s[5:7]) in range(1, 13) and 1 <= int(s[8:10]) <= _days(s):
        return f"{fast[1]}.{(fast[2] or '').ljust(6, '0')}Z"
    m = _CAL.match(s) or _ORD.match(s) or _MICA.match(s)
    if m is None:
        raise ValueError(f"not an ISO 8601 or YYYY:DOY[:hh:mm:ss] time: {text!r}")
    g = m.groupdict()
    year = int(g["y"])
    if g.get("doy"):
        doy = int(g["doy"])
        try:
            date = dt.date(year, 1, 1) + dt.timedelta(days=doy - 1)
        except OverflowError as exc:  # pragma: no cover - 4-digit years cannot overflow
            raise ValueError(f"bad day of year in {text!r}") from exc
        if doy < 1 or date.year != year:
            raise ValueError(f"day of year {doy} out of range in {text!r}")
    else:
        try:
            date = dt.date(year, int(g["mo"]), int(g["d"]))
        except ValueError as exc:
            raise ValueError(f"bad calendar date in {text!r}: {exc}") from exc
    h, mi, sec = int(g["h"] or 0), int(g["mi"] or 0), int(g["s"] or 0)
    frac = (g["f"] or "").ljust(6, "0")[:6]
    if h > 23 or mi > 59 or sec > 60:
        raise ValueError(f"bad time of day in {text!r}")
    zone = g.get("z")
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = dt.datetime(date.year, date.month, date.day, h, mi, min(sec, 59)) - sign * offset
        date, h, mi = moment.date(), moment.hour, moment.minute
        sec = sec if sec == 60 else moment.second
    return f"{date.isoformat()}T{h:02d}:{mi:02d}:{sec:02d}.{frac}Z"


def _days(s: str) -> int:
    """Days in the month of ``YYYY-MM...``."""
    y, m = int(s[:4]), int(s[5:7])
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def try_normalize(text: str | None) -> str | None:
    """`normalize_time`, or None for missing/unparseable values (labels say UNK, N/A ...)."""
    if not text:
        return None
    try:
        return normalize_time(text)
    except ValueError:
        return None
