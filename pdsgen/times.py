"""pdsgen's one time module: parsing and formatting the times of labels, of the archive
index, of recipe output columns and of table fields read (ISO 8601 calendar and
day-of-year forms, astropy ``Time``, numpy ``datetime64``). Four sections, the first three
kept from the modules they replace (their parsers differ on purpose: leap seconds kept as
text in the index, vectorised column parsing for outputs, strict forms in labels):

1. Label times (was ``render/times.py``). Times as PDS labels want them: ISO 8601 UTC, deterministic creation times.

The creation time of a product is the ``creation_time`` argument, else the
``SOURCE_DATE_EPOCH`` environment variable (reproducible-builds convention), else now;
so the same inputs and creation time give byte-identical products.

2. Index times (was ``archive/times.py``). Time strings as the index keeps them: one fixed-width UTC form that sorts as text.

Accepted: ISO 8601 calendar (``2005-01-02T03:04:05.123Z``, date only, offsets), ISO
ordinal / PDS day-of-year (``2005-002T03:04:05``) and the mica/Chandra form
``YYYY:DOY[:hh:mm[:ss[.fff]]]``. Normalised: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. A leap
second (``:60``) is kept as written, so the text still sorts in time order; that is
why this is a small parser and not `datetime.fromisoformat`, which rejects second 60.

3. Output columns (was ``recipes/times.py``). Output columns declared ``data_type = "datetime"``: an algorithm's times → numpy datetime64.

The writers write a ``datetime64`` column as ISO 8601 UTC with ``Z`` (PDS4
``ASCII_Date_Time_YMD_UTC``, PDS3 ``TIME``) and anything else as text, so the engine turns
whatever an algorithm returns for a time column into ``datetime64`` here:

- ISO 8601 strings ``YYYY-MM-DD[Thh:mm[:ss[.f…]]][Z]`` and PDS day-of-year strings
  ``YYYY-DDD[Thh:mm[:ss[.f…]]][Z]`` (one column may mix both);
- numpy ``datetime64`` (kept, at least to the second);
- astropy ``Time`` (any scale; converted to UTC);
- Python ``datetime`` objects (aware ones converted to UTC).

Strings written alike (same length and separators: the usual column) are cut from their
byte matrix with numpy (~4 M values/s); other columns are checked by one Arrow RE2 pass and
cut with Arrow string kernels (~1.5 M/s). Fields are assembled with numpy integer and
datetime64 arithmetic (calendar date: first of the month + day − 1; day of year: 1 January
+ DOY − 1), so no Python loop runs per value (a hand-written split because numpy's parser
reads no day of year, Arrow's ``strptime`` reads ``%j`` but no fraction of a second, and
astropy's ``yday`` is ~17× slower). numpy's own
string parser is not used: it accepts ``now``, ``today``, ``NaT`` and time-zone offsets,
which are not times of an archive product. The unit follows the most fractional digits in
the column (none → s, ≤3 → ms, ≤6 → µs, ≤9 → ns), so the written text does not lose digits.
The shorthand's time keys (``latest``, time fields) and the instrument adapters' label
start times use `parse_times` too.

4. astropy ``Time`` of label and table times (was in ``model.py`` and ``data/__init__.py``):
`to_time` (`Product.start_time_as_time`, ``to_table(times="Time")``), leap seconds and
all, as astropy reads them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from pdsgen.errors import LabelError, RecipeError

if TYPE_CHECKING:
    from astropy.time import Time

# --------------------------------------------------------------------------- label times (ISO 8601 UTC, creation time)

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
        text: str = value.strftime("%Y-%m-%dT%H:%M:%S")
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

# --------------------------------------------------------------------------- index times (sortable fixed-width UTC text)

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

# --------------------------------------------------------------------------- output columns (datetime64 from any time form)

#: ISO calendar or PDS day-of-year date, optional time, optional ``Z`` (RE2 syntax for Arrow).
TIME_PATTERN = (r"^(?P<y>\d{4})-(?:(?P<mo>\d{2})-(?P<d>\d{2})|(?P<doy>\d{3}))"
                r"(?:T(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?)?Z?$")
FORMS = ("ISO 8601 YYYY-MM-DD[Thh:mm:ss[.fff]][Z] or day of year YYYY-DDD[Thh:mm:ss[.fff]][Z], "
         "numpy datetime64 or astropy Time")
_TIME_RE = re.compile(TIME_PATTERN.replace(r"\d", "[0-9]"))
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
    """ISO 8601 / PDS day-of-year strings (1-D ``U``/``S`` array) → datetime64, vectorised.

    Values all written alike (same length and separators: the usual column) are cut from
    their byte matrix with numpy; any other column goes through Arrow's string kernels.
    """
    import pyarrow as pa

    flat = np.ascontiguousarray(np.asarray(text).reshape(-1))
    if len(flat) == 0:
        return np.empty(0, dtype="datetime64[s]")
    chars = _ascii_matrix(flat)
    fields = _uniform_fields(chars) if chars is not None else None
    if fields is None:
        arr = _arrow_text(chars) if chars is not None else None
        if arr is None:
            try:
                arr = (pa.array(flat, type=pa.binary()).cast(pa.string()) if flat.dtype.kind == "S"
                       else pa.array(flat, type=pa.string()))
            except pa.ArrowInvalid:
                raise _bad(name, where, "byte strings that are not UTF-8 text") from None
        fields = _arrow_fields(arr)
    return _assemble(fields, flat, name=name, where=where)


def _ascii_matrix(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(n, width) uint8 characters and the text lengths of an ASCII ``U``/``S`` array, else None."""
    n = len(flat)
    width = flat.dtype.itemsize // (4 if flat.dtype.kind == "U" else 1)
    if width == 0:
        return None
    codes = flat.view(np.uint32 if flat.dtype.kind == "U" else np.uint8).reshape(n, width)
    if codes.max() >= 128:
        return None
    chars = codes.astype(np.uint8, copy=False)
    used = chars != 0
    # numpy text ends at its trailing NULs: length = last non-NUL position + 1
    lengths = np.where(used.any(axis=1), width - np.argmax(used[:, ::-1], axis=1), 0)
    return chars, lengths


def _uniform_fields(found: tuple[np.ndarray, np.ndarray]) -> dict[str, Any] | None:
    """Fields of a column whose values share one layout (length, separators), else None.

    The first value is matched against `TIME_PATTERN`; every value then has the same
    length, the same separator bytes at the same places and ASCII digits elsewhere, which
    is the pattern's whole check, so the fields are digit columns of the byte matrix.
    """
    chars, lengths = found
    size = int(lengths[0])
    if not (lengths == size).all():
        return None
    mat = chars[:, :size]
    first = mat[0].tobytes().decode("ascii")
    m = _TIME_RE.fullmatch(first)
    if m is None:
        return None
    is_digit = np.frombuffer(first.encode(), dtype=np.uint8) - 48 <= 9
    digits = mat - np.uint8(48)  # wraps below '0': anything but a digit is > 9
    if not (digits[:, is_digit] <= 9).all() or not (mat[:, ~is_digit] == mat[0, ~is_digit]).all():
        return None
    n = len(mat)

    def num(group: str, width: int | None = None) -> np.ndarray:
        a, b = m.span(group)
        out = np.zeros(n, dtype=np.int64)
        if a < 0:
            return out
        for i in range(a, b if width is None else min(b, a + width)):  # a few digit columns, not values
            out = out * 10 + digits[:, i]
        if width is not None:
            out *= 10 ** max(0, width - (b - a))
        return out

    frac_digits = max(0, m.end("f") - m.start("f")) if m.start("f") >= 0 else 0
    return {"matched": np.ones(n, dtype=bool), "is_doy": np.full(n, m.start("doy") >= 0),
            "year": num("y"), "month": num("mo"), "day": num("d"), "doy": num("doy"),
            "hour": num("h"), "minute": num("mi"), "sec": num("s"), "ns": num("f", 9),
            "digits": np.full(n, frac_digits)}


def _arrow_text(found: tuple[np.ndarray, np.ndarray]) -> Any:
    """An Arrow string array built from the byte matrix's buffers (``pa.array`` converts
    numpy text value by value, ~0.25 s per million; this is a third of that)."""
    import pyarrow as pa

    chars, lengths = found
    offsets = np.zeros(len(chars) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = chars[np.arange(chars.shape[1]) < lengths[:, None]]
    return pa.LargeStringArray.from_buffers(len(chars), pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())


def _arrow_fields(arr: Any) -> dict[str, Any]:
    """Check every value against `TIME_PATTERN` (one RE2 pass), then cut the fields at their
    fixed positions (the pattern guarantees them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):  # pa.array gives chunks for long text columns
        arr = arr.combine_chunks()
    text = pc.utf8_trim_whitespace(arr)
    ok = pc.fill_null(pc.match_substring_regex(text, TIME_PATTERN), False)
    text = pc.if_else(ok, text, "1970-01-01")  # bad values: a placeholder, reported later

    def cut(s: Any, a: int, b: int | None = None) -> Any:
        return pc.utf8_slice_codeunits(s, a, b)

    def num(s: Any) -> np.ndarray:
        out: np.ndarray = pc.cast(pc.if_else(pc.equal(s, ""), "0", s), pa.int64()).to_numpy(zero_copy_only=False)
        return out

    doy_form = pc.not_equal(cut(text, 7, 8), "-")  # YYYY-DDD… has no second '-' at index 7
    rest = pc.utf8_rtrim(pc.if_else(doy_form, cut(text, 8), cut(text, 10)), "Z")  # "", "Thh:mm", "Thh:mm:ss.f…"
    frac = cut(rest, 10)
    return {"matched": ok.to_numpy(zero_copy_only=False), "is_doy": doy_form.to_numpy(zero_copy_only=False),
            "year": num(cut(text, 0, 4)), "doy": num(pc.if_else(doy_form, cut(text, 5, 8), "")),
            "month": num(pc.if_else(doy_form, "", cut(text, 5, 7))),
            "day": num(pc.if_else(doy_form, "", cut(text, 8, 10))),
            "hour": num(cut(rest, 1, 3)), "minute": num(cut(rest, 4, 6)), "sec": num(cut(rest, 7, 9)),
            "ns": num(pc.utf8_rpad(cut(frac, 0, 9), 9, "0")),
            "digits": pc.utf8_length(frac).to_numpy(zero_copy_only=False)}


def _assemble(f: dict[str, Any], original: np.ndarray, *, name: str, where: str) -> np.ndarray:
    """Fields → datetime64 with integer/datetime64 arithmetic; the first bad value named."""
    n = len(original)
    matched, is_doy = f["matched"], f["is_doy"]
    year, month, day, doy = f["year"], f["month"], f["day"], f["doy"]
    hour, minute, sec, ns, digits = f["hour"], f["minute"], f["sec"], f["ns"], f["digits"]
    too_fine = digits > 9
    # calendar date: first of the month + (day - 1); day of year: 1 January + (DOY - 1)
    months = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    years = (year - 1970).astype("datetime64[Y]")
    days = np.where(is_doy, years.astype("datetime64[D]") + (doy - 1),
                    months.astype("datetime64[D]") + (day - 1))
    bad_date = np.where(is_doy, (doy < 1) | (days.astype("datetime64[Y]") != years),
                        (month < 1) | (month > 12) | (day < 1) | (days.astype("datetime64[M]") != months))
    problems: list[tuple[np.ndarray, Callable[[str], str]]] = [
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
    out: np.ndarray = ticks.astype(f"datetime64[{unit}]")
    return out


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
        return _assemble(_arrow_fields(arr), values, name=name, where=where)
    if arr is not None and pa.types.is_timestamp(arr.type) and not arr.null_count:
        return _checked_datetime64(arr.cast(pa.timestamp(arr.type.unit)).to_numpy(zero_copy_only=False),
                                   name=name, where=where)
    if arr is not None and pa.types.is_date(arr.type) and not arr.null_count:
        dates: np.ndarray = arr.to_numpy(zero_copy_only=False).astype("datetime64[s]")
        return dates
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

# --------------------------------------------------------------------------- astropy Time (label and table times)


class MixedTimeForms(ValueError):
    """An array of times mixes ISO calendar and day-of-year text."""


def to_time(values: str | np.ndarray) -> Time:
    """ISO 8601 (``2004-07-01T00:00:38.9``) or PDS day-of-year (``2004-183T00:00:38.9``)
    text → UTC `astropy.time.Time`; surrounding blanks and a trailing ``Z`` are ignored.

    One string gives a scalar Time (ISO forms guessed by astropy), an array an array Time
    (``isot`` or ``iso``, from the first value); an array holds one form only. ValueError
    when the forms are mixed or astropy cannot read the text. Day-of-year text becomes
    astropy's ``yday`` form (``YYYY:DDD:hh:mm:ss``).
    """
    from astropy.time import Time

    scalar = isinstance(values, str)
    text = np.char.rstrip(np.char.strip(np.asarray(values, dtype=str)), "Z")
    date = np.char.partition(text, "T")[..., 0]
    doy = (np.char.str_len(date) == 8) & (np.char.find(date, "-") == 4)  # YYYY-DDD
    fmt: str | None
    if doy.all():
        text, fmt = np.char.replace(np.char.replace(text, "T", ":"), "-", ":"), "yday"
    elif doy.any():
        raise MixedTimeForms("ISO and day-of-year times mixed")
    elif scalar:
        fmt = None
    else:
        fmt = "isot" if text.size and "T" in str(text.flat[0]) else "iso"
    return Time(str(text) if scalar else text, format=fmt, scale="utc")
