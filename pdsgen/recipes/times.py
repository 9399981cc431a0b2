"""Output columns declared ``data_type = "datetime"``: an algorithm's times → numpy datetime64.

The writers write a ``datetime64`` column as ISO 8601 UTC with ``Z`` (PDS4
``ASCII_Date_Time_YMD_UTC``, PDS3 ``TIME``) and anything else as text, so the engine turns
whatever an algorithm returns for a time column into ``datetime64`` here:

- ISO 8601 strings ``YYYY-MM-DD[Thh:mm[:ss[.f…]]][Z]`` and PDS day-of-year strings
  ``YYYY-DDD[Thh:mm[:ss[.f…]]][Z]`` (one column may mix both);
- numpy ``datetime64`` (kept, at least to the second);
- astropy ``Time`` (any scale; converted to UTC);
- Python ``datetime`` objects (aware ones converted to UTC).

Strings are split into fields by one Arrow regex kernel (RE2) and assembled with numpy
integer and datetime64 arithmetic (calendar date: month + day − 1; day of year: year +
DOY − 1), so a column of a million times costs no Python loop per value. numpy's own
string parser is not used: it accepts ``now``, ``today``, ``NaT`` and time-zone offsets,
which are not times of an archive product. The unit follows the most fractional digits in
the column (none → s, ≤3 → ms, ≤6 → µs, ≤9 → ns), so the written text does not lose digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pdsgen.errors import RecipeError

#: ISO calendar or PDS day-of-year date, optional time, optional ``Z`` (RE2 syntax for Arrow).
TIME_PATTERN = (r"^(?P<y>\d{4})-(?:(?P<mo>\d{2})-(?P<d>\d{2})|(?P<doy>\d{3}))"
                r"(?:T(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?)?Z?$")
FORMS = ("ISO 8601 YYYY-MM-DD[Thh:mm:ss[.fff]][Z] or day of year YYYY-DDD[Thh:mm:ss[.fff]][Z], "
         "numpy datetime64 or astropy Time")
_UNITS = ((0, "s"), (3, "ms"), (6, "us"), (9, "ns"))  # most fraction digits → datetime64 unit
_COARSE = {"Y", "M", "W", "D", "h", "m", "generic"}  # units the writers would print without a time


def to_datetime64(values: Any, *, name: str, where: str = "") -> np.ndarray:
    """``values`` (strings, datetime64, astropy Time, datetime objects) as a datetime64 array.

    A RecipeError naming the output ``name`` and the first value that is not a time (or is
    missing: the writers have no missing constant for times).
    """
    if _is_time(values):
        return _from_astropy(values, name=name, where=where)
    if np.ma.is_masked(values):
        mask = np.ma.getmaskarray(values)
        k = int(np.flatnonzero(mask.ravel())[0])
        raise _bad(name, where, f"{int(mask.sum())} missing value(s) (first: record {k}); a time "
                   "column cannot have missing values (PDS has no missing constant for times)")
    arr = np.asarray(np.ma.getdata(values))
    shape = arr.shape
    flat = arr.reshape(-1)
    kind = flat.dtype.kind
    if kind == "M":
        out = _checked_datetime64(flat, name=name, where=where)
    elif kind in "US":
        out = parse_times(flat, name=name, where=where)
    elif kind == "O":
        out = _from_objects(flat, name=name, where=where)
    elif flat.size:
        raise _bad(name, where, f"value {flat[0].item()!r} (record 0) is a {flat.dtype} number, not a time; give {FORMS}")
    else:
        out = np.empty(0, dtype="datetime64[s]")
    return out.reshape(shape)


def parse_times(text: np.ndarray, *, name: str = "time", where: str = "") -> np.ndarray:
    """ISO 8601 / PDS day-of-year strings (1-D ``U``/``S`` array) → datetime64, vectorised."""
    import pyarrow as pa

    flat = np.asarray(text).reshape(-1)
    if flat.dtype.kind == "S":
        try:
            arr = pa.array(flat, type=pa.binary()).cast(pa.string())
        except pa.ArrowInvalid:
            raise _bad(name, where, "byte strings that are not UTF-8 text") from None
    else:
        arr = pa.array(flat, type=pa.string())
    return _parse_arrow(arr, flat, name=name, where=where)


def _parse_arrow(arr: Any, original: np.ndarray, *, name: str, where: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    if n == 0:
        return np.empty(0, dtype="datetime64[s]")
    fields = pc.extract_regex(pc.utf8_trim_whitespace(arr), TIME_PATTERN)
    matched = fields.is_valid().to_numpy(zero_copy_only=False)

    def num(key: str) -> np.ndarray:
        s = fields.field(key)
        s = pc.if_else(pc.equal(s, ""), "0", s)  # absent optional field (and unmatched rows)
        return pc.cast(pc.fill_null(s, "0"), pa.int64()).to_numpy(zero_copy_only=False)

    frac = pc.fill_null(fields.field("f"), "")
    digits = pc.utf8_length(frac).to_numpy(zero_copy_only=False)
    too_fine = digits > 9
    ns = pc.cast(pc.utf8_rpad(pc.utf8_slice_codeunits(frac, 0, 9), 9, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    year, month, day, doy = num("y"), num("mo"), num("d"), num("doy")
    hour, minute, sec = num("h"), num("mi"), num("s")
    is_doy = pc.not_equal(pc.fill_null(fields.field("doy"), ""), "").to_numpy(zero_copy_only=False)

    # calendar date: first of the month + (day - 1); day of year: 1 January + (DOY - 1)
    months = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    years = (year - 1970).astype("datetime64[Y]")
    days = np.where(is_doy, years.astype("datetime64[D]") + (doy - 1),
                    months.astype("datetime64[D]") + (day - 1))
    bad_date = np.where(is_doy, (doy < 1) | (days.astype("datetime64[Y]") != years),
                        (month < 1) | (month > 12) | (day < 1) | (days.astype("datetime64[M]") != months))
    problems = [
        (~matched, lambda v: f"is not a time: give {FORMS}"),
        (matched & is_doy & bad_date, lambda v: f"has a day of year that does not exist in {v.strip()[:4]}"),
        (matched & ~is_doy & bad_date, lambda v: "has a calendar date that does not exist"),
        (matched & (hour > 23), lambda v: "has an hour over 23"),
        (matched & (minute > 59), lambda v: "has a minute over 59"),
        (matched & (sec == 60), lambda v: "is a leap second (hh:mm:60), which a numpy datetime64 column "
                                          "cannot hold"),
        (matched & (sec > 60), lambda v: "has a second over 60"),
        (matched & too_fine, lambda v: "has more than 9 fraction digits (finer than a nanosecond)"),
    ]
    bad = np.zeros(n, dtype=bool)
    for mask, _ in problems:
        bad |= mask
    if bad.any():
        k = int(np.argmax(bad))
        value = original[k]
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        why = next(msg for mask, msg in problems if mask[k])(text)
        more = f" ({int(bad.sum())} bad values)" if bad.sum() > 1 else ""
        raise _bad(name, where, f"value {text!r} (record {k}) {why}{more}")

    most = int(digits.max())
    places, unit = next((p, u) for p, u in _UNITS if most <= p)
    secs = days.astype(np.int64) * 86_400 + hour * 3600 + minute * 60 + sec
    ticks = secs * 10**places + ns // 10 ** (9 - places)
    return ticks.astype(f"datetime64[{unit}]")


def _checked_datetime64(values: np.ndarray, *, name: str, where: str) -> np.ndarray:
    nat = np.isnat(values)
    if nat.any():
        k = int(np.argmax(nat))
        raise _bad(name, where, f"value NaT (record {k}) is not a time ({int(nat.sum())} NaT values); a time "
                   "column cannot have missing values")
    unit = np.datetime_data(values.dtype)[0]
    return values.astype("datetime64[s]") if unit in _COARSE else values


def _from_objects(values: np.ndarray, *, name: str, where: str) -> np.ndarray:
    """Object arrays: text, or datetime objects (via Arrow, which converts aware ones to UTC)."""
    import pyarrow as pa

    try:
        arr = pa.array(values, from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        arr = None
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        if arr.null_count:
            k = int(np.argmax(~arr.is_valid().to_numpy(zero_copy_only=False)))
            raise _bad(name, where, f"value None (record {k}) is not a time; a time column cannot have "
                       "missing values")
        return _parse_arrow(arr, values, name=name, where=where)
    if arr is not None and pa.types.is_timestamp(arr.type) and not arr.null_count:
        return _checked_datetime64(arr.cast(pa.timestamp(arr.type.unit)).to_numpy(zero_copy_only=False),
                                   name=name, where=where)
    if arr is not None and pa.types.is_date(arr.type) and not arr.null_count:
        return arr.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    # error path only: find the first value that is neither text nor a datetime
    import datetime as _dt

    k, value = next(((i, v) for i, v in enumerate(values) if not isinstance(v, str | _dt.datetime | _dt.date)),
                    (0, values[0] if len(values) else None))
    raise _bad(name, where, f"value {value!r} (record {k}, {type(value).__name__}) is not a time; give {FORMS}")


def _from_astropy(t: Any, *, name: str, where: str) -> np.ndarray:
    """astropy Time (any scale) → UTC datetime64, in the coarsest exact unit (s … ns)."""
    mask = np.asarray(getattr(t, "mask", False))
    if mask.any():
        k = int(np.flatnonzero(mask.ravel())[0])
        raise _bad(name, where, f"{int(mask.sum())} masked time(s) (first: record {k}); a time column "
                   "cannot have missing values")
    try:
        values = np.asarray(t.utc.datetime64).astype("datetime64[ns]")
    except ValueError as exc:  # e.g. a leap second, which datetime64 cannot hold
        raise _bad(name, where, f"astropy Time cannot become a numpy datetime64: {exc}") from None
    ticks = values.astype(np.int64)
    for places, unit in _UNITS:
        step = 10 ** (9 - places)
        if not (ticks % step).any():
            return values.astype(f"datetime64[{unit}]")
    return values


def _is_time(value: Any) -> bool:
    return hasattr(value, "jd1") and hasattr(value, "scale") and hasattr(value, "utc")


def _bad(name: str, where: str, what: str) -> RecipeError:
    return RecipeError(f"output {name!r} (data_type datetime): {what}", path=where or None)
