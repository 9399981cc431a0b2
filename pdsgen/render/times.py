"""Times as PDS labels want them: ISO 8601 UTC, deterministic creation times.

The creation time of a product is the ``creation_time`` argument, else the
``SOURCE_DATE_EPOCH`` environment variable (reproducible-builds convention), else now;
so the same inputs and creation time give byte-identical products.
"""

from __future__ import annotations

import calendar
import os
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pdsgen.errors import LabelError

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]00:?00)?"
)
_DOY = re.compile(r"(\d{4})-(\d{3})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z)?")


def resolve_creation_time(creation_time: Any = None) -> datetime:
    """The product creation time as an aware UTC datetime (argument > SOURCE_DATE_EPOCH > now)."""
    if creation_time is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            try:
                return datetime.fromtimestamp(int(epoch), UTC)
            except ValueError as exc:
                raise LabelError(f"SOURCE_DATE_EPOCH={epoch!r} is not an integer") from exc
        return datetime.now(UTC).replace(microsecond=0)
    if isinstance(creation_time, datetime):
        if creation_time.tzinfo is None:
            return creation_time.replace(tzinfo=UTC)
        return creation_time.astimezone(UTC)
    if isinstance(creation_time, int | float):
        return datetime.fromtimestamp(creation_time, UTC)
    text = iso_utc(creation_time, what="creation time")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso_utc(value: Any, *, what: str = "time") -> str:
    """ISO 8601 UTC text ``YYYY-MM-DDTHH:MM:SS[.fff…]Z`` for a datetime, numpy/astropy time or string.

    Strings keep their own precision (a label must not invent digits) but are checked and
    given the ``Z`` suffix; day-of-year strings (``2004-123T…``) become calendar dates
    (PDS4 ``ASCII_Date_Time_YMD_UTC``).
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
        return text + "Z"
    if hasattr(value, "isot") and hasattr(value, "scale"):  # astropy Time
        return iso_utc(str(value.utc.isot), what=what)
    if type(value).__name__ == "datetime64":
        import numpy as np

        return iso_utc(str(np.datetime_as_string(value)), what=what)
    if isinstance(value, str):
        text = value.strip()
        m = _ISO.fullmatch(text)
        if m:
            try:
                datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0),
                         min(int(m[6] or 0), 59))
            except ValueError as exc:
                raise LabelError(f"{what} {value!r} is not a valid date/time: {exc}") from exc
            if m[4] is None:  # date only: complete to midnight
                return f"{m[1]}-{m[2]}-{m[3]}T00:00:00Z"
            body = text[: m.start(8)] if m[8] else text
            return body + "Z"
        m = _DOY.fullmatch(text)
        if m:  # day of year → calendar date (PDS4 start/stop_date_time are YMD only)
            year, doy = int(m[1]), int(m[2])
            if not 1 <= doy <= (366 if calendar.isleap(year) else 365):
                raise LabelError(f"{what} {value!r}: day of year {doy} does not exist in {year}")
            day = date(year, 1, 1) + timedelta(days=doy - 1)
            rest = text[8:].rstrip("Z") if m[3] is not None else "T00:00:00"
            return iso_utc(day.isoformat() + rest + "Z", what=what)
        raise LabelError(f"{what} {value!r} is not an ISO 8601 UTC date/time")
    raise LabelError(f"{what} {value!r} ({type(value).__name__}) is not a date/time")


def iso_date(value: Any) -> str:
    """``YYYY-MM-DD`` of a time (Modification_Detail/modification_date)."""
    return iso_utc(value)[:10]
