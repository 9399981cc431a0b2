"""Which text values are valid for each PDS4 character data type — grammars as data.

Each ASCII/UTF8 data type maps onto an RE2 pattern (PDS4 Standards Reference §4B and the
data-type definitions of the Information Model). Matching runs in Arrow's C++ kernels over
a whole column at once (`invalid_rows`); columns come in as fixed-width byte matrices
(zero-copy into Arrow) or Arrow string arrays (delimited tables). Blank values are valid
here (validate reports them as info only); surrounding blanks are allowed in fixed-width
fields.
"""

from __future__ import annotations

import functools
import re
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt

#: an Arrow string/binary array (pyarrow ships no type information: to mypy its objects are Any)
ArrowArray: TypeAlias = Any
#: a fixed-width text column: a (n, width) uint8 matrix, one row per value
ByteMatrix: TypeAlias = npt.NDArray[np.uint8]
#: a text column as the checks take it: a byte matrix or an Arrow array
TextColumn: TypeAlias = ByteMatrix | ArrowArray
#: one flag per row of a column
RowMask: TypeAlias = npt.NDArray[np.bool_]

_SEG = r"[A-Za-z0-9][A-Za-z0-9._\-]*"
_LID = rf"urn:{_SEG}:{_SEG}(:{_SEG}){{1,6}}"
_VID = r"\d+\.\d+"
#: the PDS4 grammar of a LID or LIDVID reference (Standards Reference 6D), for label references
LIDVID_LID_REFERENCE = rf"{_LID}(::{_VID})?"

# validate's own value grammars (FieldValueValidator.checkType and DateTimeValidator): a
# year may carry a minus sign, fractions of a second have 1..6 digits (ASCII_Time: any),
# hours run to 24 (24:00[:00[.0…]] only), a trailing Z is optional but for the *_UTC types
_YEAR = r"-?\d{4}"
_MONTH = r"(0[1-9]|1[0-2])"
_DAY = r"(0[1-9]|[12]\d|3[01])"
_DOY = r"(00[1-9]|0[1-9]\d|[12]\d\d|3[0-5]\d|36[0-6])"
_HOUR = r"([01]\d|2[0-3])"
_T = rf"T({_HOUR}:[0-5]\d(:([0-5]\d|60)(\.\d{{1,6}})?)?|[01]\d|2[0-4]|24(:00|:00:00)?|24:00:00\.0{{1,6}})"
_DATE_YMD = rf"{_YEAR}(-{_MONTH}(-{_DAY})?)?"
_DATE_DOY = rf"{_YEAR}(-{_DOY})?"
_DATE_TIME_YMD = rf"{_YEAR}(-{_MONTH}|-{_MONTH}-{_DAY}({_T})?)?"
_DATE_TIME_DOY = rf"{_YEAR}(-{_DOY}({_T})?)?"
# LIDs as validate matches them: lower case only, VIDs without a leading zero
_JLID = r"urn:[a-z]+:[a-z]+:([-0-9a-z._]:?)+"
_JLIDVID = rf"{_JLID}::[1-9]\d*\.\d+"
# file names as validate's FieldValueValidator matches them (its issue 299 pattern): a letter
# or digit right before the last period, letters and digits only after it, and before it any
# of letters, digits, "_", "-", "." (a leading "_" or "." included)
_FILE_NAME = r"[A-Za-z0-9]*[A-Za-z0-9_.\-]*[A-Za-z0-9]\.[A-Za-z0-9]+"
_DIR_NAME = r"[A-Za-z0-9][A-Za-z0-9_\-]*[A-Za-z0-9]"
# java.net.URI's characters (escapes as %XX), those of a first segment (no ":", "/", "?") and a scheme
_URI_CHAR = r"([^\s\"<>\\^`{|}%#]|%[0-9A-Fa-f]{2})"
_URI_FIRST = r"([^\s\"<>\\^`{|}%#:/?]|%[0-9A-Fa-f]{2})"
_URI_SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]*"
# the folder part of a file specification (FilenameUtils.getFullPath: up to the last "/") as
# validate's dirPattern matches it, `/?(DIR/?|[A-Za-z0-9][^-_]/?)*`, ending in that "/"
_SPEC_DIR_PART = rf"({_DIR_NAME}/?|[A-Za-z0-9][^-_]/?)"
_SPEC_DIR = rf"(/|/?{_SPEC_DIR_PART}*({_DIR_NAME}/|[A-Za-z0-9][^-_]/|[A-Za-z0-9]/))"

#: data type → pattern for the (trimmed) value, as validate checks it; data types validate
#: does not check (ASCII_Boolean, ASCII_Date, ASCII_Date_Time, ASCII_Date_Time_UTC, the
#: ASCII_*_Collapsed/Preserved strings …) are not listed: only the INF/NaN rule applies to them
PATTERNS: dict[str, str] = {
    "ASCII_Integer": r"[+-]?\d+",
    "ASCII_NonNegative_Integer": r"\d+",  # Guava's UnsignedLong.valueOf takes no sign
    "ASCII_Real": r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?",
    "ASCII_Numeric_Base2": r"[01]{1,255}",
    "ASCII_Numeric_Base8": r"[0-7]{1,255}",
    "ASCII_Numeric_Base16": r"[0-9a-fA-F]{1,255}",
    "ASCII_MD5_Checksum": r"[0-9a-fA-F]{32}",
    "ASCII_DOI": r"10\.\S+/\S+",
    "ASCII_BibCode": r"\d{4}[A-Za-z\d.&]{5}[A-Za-z\d.]{9}[A-Z]",
    "ASCII_LID": _JLID,
    "ASCII_LIDVID": _JLIDVID,
    "ASCII_LIDVID_LID": rf"({_JLIDVID}|{_JLID})",
    "ASCII_VID": r"[1-9]\d*\.\d+(\.\d+)?(\.\d+)?",
    # java.net.URI: no blanks, none of "<>\^`{|}, % only as an escape; a ":" before the first
    # "/", "?" or "#" ends a scheme (a letter, then letters, digits, "+", "-", ".") that a
    # scheme-specific part follows; one "#" at most
    "ASCII_AnyURI": rf"({_URI_SCHEME}:{_URI_CHAR}+|{_URI_FIRST}*([/?]{_URI_CHAR}*)?)(#{_URI_CHAR}*)?",
    "ASCII_Date_YMD": rf"{_DATE_YMD}Z?",
    "ASCII_Date_DOY": rf"{_DATE_DOY}Z?",
    "ASCII_Date_Time_YMD": rf"{_DATE_TIME_YMD}Z?",
    "ASCII_Date_Time_DOY": rf"{_DATE_TIME_DOY}Z?",
    "ASCII_Date_Time_YMD_UTC": rf"{_DATE_TIME_YMD}Z",
    "ASCII_Date_Time_DOY_UTC": rf"{_DATE_TIME_DOY}Z",
    "ASCII_Time": r"(([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d+)?)?|[01]\d|2[0-4]|24:00(:00(\.0+)?)?)Z?",
    # each "/"-separated name two or more letters/digits/_/- (trailing slashes allowed)
    "ASCII_Directory_Path_Name": rf"{_DIR_NAME}(/{_DIR_NAME})*/*",
    "ASCII_File_Name": _FILE_NAME,
    "ASCII_File_Specification_Name": rf"{_SPEC_DIR}?{_FILE_NAME}",
}

#: values validate rejects in every field type but the IEEE 754 ones, strings included
#: (FieldValueValidator.checkType: the trimmed value, upper-cased, in INF_NAN_VALUES), unless
#: the value is written as one of the field's special constants
INF_NAN_SPELLINGS = ("INF", "-INF", "+INF", "INFINITY", "-INFINITY", "+INFINITY", "NAN", "-NAN", "+NAN")
INF_NAN = r"[+-]?(?i:INF|INFINITY|NAN)"

NUMERIC = {"ASCII_Integer", "ASCII_NonNegative_Integer", "ASCII_Real"}

_BLANK = r"[ \t\r\n\x00]*"


@functools.lru_cache(maxsize=256)
def anchored(data_type: str) -> str | None:
    """The full-value pattern (blank values and surrounding blanks allowed) or None."""
    core = PATTERNS.get(data_type)
    if core is None:
        return None
    return rf"^{_BLANK}(({core}){_BLANK})?$"


def arrow_binary(matrix: ByteMatrix) -> ArrowArray:
    """A (n, width) uint8 matrix as an Arrow binary array, without copying the bytes twice."""
    import pyarrow as pa

    matrix = np.ascontiguousarray(matrix)
    n, width = matrix.shape
    if width == 0:
        return pa.array([b""] * 0, pa.binary()) if n == 0 else pa.array(np.zeros(n, "S1")).cast(pa.binary())
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, pa.py_buffer(matrix)])
    return fixed.cast(pa.binary())


#: below this many values a column is first checked with one Python `re` match over the
#: whole column (values joined by newlines): one C call, no per-value Python, and far less
#: fixed cost than an Arrow kernel call for the small tables most products have
SMALL_COLUMN = 4096
_column_res: dict[str, re.Pattern[bytes]] = {}
_BLANKS = r"[ \t\r\x00]*"


def joined_rows(matrix: ByteMatrix) -> ByteMatrix:
    """A (n, width) byte matrix as (n, width + 1) with a newline closing each value: one copy
    that serves both the whole-column match (`joined_match`) and Arrow rows (`rows_array`)."""
    n, width = matrix.shape
    joined = np.empty((n, width + 1), dtype=np.uint8)
    joined[:, :width] = matrix
    joined[:, width] = 10
    return joined


def rows_array(joined: ByteMatrix) -> ArrowArray:
    """The values of a `joined_rows` matrix as an Arrow binary array, without copying the bytes
    (each value keeps its closing newline, which every per-value pattern treats as a blank)."""
    import pyarrow as pa

    n, stride = joined.shape
    if n * stride >= 1 << 31:
        offsets = np.arange(0, (n + 1) * stride, stride, dtype=np.int64)
        return pa.Array.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(joined)])
    offsets = np.arange(0, (n + 1) * stride, stride, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(joined)])


def joined_match(joined: ByteMatrix, core: str) -> bool:
    """Whether every value of a `joined_rows` matrix is blank or `core` between blanks.

    One match over the whole column instead of one per value: Python `re` for small
    columns (least fixed cost), RE2 through Arrow on the column as a single value for big
    ones (its DFA runs at hundreds of MB/s, where a kernel call per value costs ~100 ns each).
    A False answer says nothing about which rows: then the per-value check runs.
    """
    if joined.shape[0] == 0:
        return True
    if joined.shape[0] <= SMALL_COLUMN:
        rx = _column_res.get(core)
        if rx is None:
            import re

            # each value's group atomic: it can only end at the value's own newline (neither
            # the blanks nor any grammar matches one), so no match is lost, and Python's
            # backtracking into earlier values (costly for the date grammars) is skipped
            rx = re.compile(rf"(?>{_BLANKS}(?:(?:{core}){_BLANKS})?\n)*".encode())
            _column_res[core] = rx
        return rx.fullmatch(joined.tobytes()) is not None
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pa.Array.from_buffers(pa.large_binary(), 1, [
        None, pa.py_buffer(np.array([0, joined.size], dtype=np.int64)), pa.py_buffer(joined)])
    return bool(pc.match_substring_regex(whole, rf"^(?:{_BLANKS}(?:(?:{core}){_BLANKS})?\n)*$")[0].as_py())


def invalid_rows(values: TextColumn, data_type: str, *, joined: ByteMatrix | None = None) -> RowMask | None:
    """Boolean mask of values validate's checkType rejects for `data_type`, or None if it
    checks nothing of the type.

    `values` is an Arrow string/binary array or a (n, width) uint8 matrix; `joined`, when
    given, is the same column as `joined_rows` (matched whole first). Besides each type's
    grammar: ASCII_String takes no byte above 127, UTF8_String no literal ``\\s`` (validate
    tests ``contains("\\\\s")``), ASCII_Integer must fit a Java long and
    ASCII_NonNegative_Integer an unsigned one, and INF/NaN spellings are rejected in every
    text field.
    """
    pattern = anchored(data_type)
    bad: RowMask | None
    if pattern is None:
        if data_type == "ASCII_String":
            bad = non_ascii_rows(values)
        elif data_type == "UTF8_String":
            bad = _rows_matching(values, r"\\s", joined)
        else:
            bad = None
        inf = _rows_matching(values, rf"^{_BLANK}{INF_NAN}{_BLANK}$", joined)
        if inf is None:
            return bad
        return inf if bad is None else bad | inf
    if joined is None and isinstance(values, np.ndarray):
        joined = joined_rows(values)
    if joined is not None and joined_match(joined, PATTERNS[data_type]):
        bad = np.zeros(joined.shape[0], dtype=bool)
    else:
        import pyarrow.compute as pc  # only now: small valid columns never need Arrow

        arr = rows_array(joined) if isinstance(values, np.ndarray) and joined is not None else values
        bad = ~pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)
    if data_type in _INTEGER_LIMITS:
        bad |= integer_out_of_range(values, data_type, joined=joined)
    if data_type in ("ASCII_AnyURI", "ASCII_Directory_Path_Name"):  # grammars "NaN" would pass
        inf = _rows_matching(values, rf"^{_BLANK}{INF_NAN}{_BLANK}$", joined)
        if inf is not None:
            bad |= inf
    return bad


#: (lowest, highest) value of the integer types as validate parses them (Long.parseLong,
#: Guava's UnsignedLong.valueOf)
_INTEGER_LIMITS = {"ASCII_Integer": (-(1 << 63), (1 << 63) - 1), "ASCII_NonNegative_Integer": (0, (1 << 64) - 1)}
_LONG_DIGITS = re.compile(rb"\d{19,}")


def integer_out_of_range(values: TextColumn, data_type: str, *, joined: ByteMatrix | None = None) -> RowMask:
    """Integer values of 19 or more digits outside the type's range (only those few parsed)."""
    n = joined.shape[0] if joined is not None else len(values)
    out = np.zeros(n, dtype=bool)
    if joined is not None:
        if joined.shape[1] < 20 or (joined.nbytes <= _SMALL_COLUMN and _LONG_DIGITS.search(joined.tobytes()) is None):
            return out  # (Arrow not even imported: small columns never need it)
    import pyarrow.compute as pc

    if joined is None and (not n or (pc.max(pc.binary_length(values)).as_py() or 0) < 19):
        return out
    arr = rows_array(joined) if joined is not None else values
    lo, hi = _INTEGER_LIMITS[data_type]
    for i in np.flatnonzero(pc.match_substring_regex(arr, r"\d{19,}").to_numpy(zero_copy_only=False)):
        raw = arr[int(i)].as_py()
        text = (raw.decode("latin-1") if isinstance(raw, bytes) else raw).strip(" \t\r\n\x00")
        try:
            number = int(text)
        except ValueError:
            continue  # not an integer at all: the grammar reports it
        out[i] = not lo <= number <= hi
    return out


def _rows_matching(values: TextColumn, pattern: str, joined: ByteMatrix | None) -> RowMask | None:
    """Rows (of a matrix or Arrow array) where `pattern` (RE2, Python-compatible) is found;
    None when none is (a small column is searched whole first)."""
    if isinstance(values, np.ndarray) or joined is not None:
        joined = joined if joined is not None else joined_rows(values)
        if joined.shape[0] <= SMALL_COLUMN:
            rx = _column_res.get("search:" + pattern)
            if rx is None:
                rx = re.compile(pattern.replace("^", "(?m)^", 1).encode() if pattern.startswith("^")
                                else pattern.encode())
                _column_res["search:" + pattern] = rx
            if rx.search(joined.tobytes()) is None:
                return None
        else:  # one RE2 pass over the whole column first (most columns hold no such value)
            import pyarrow as pa
            import pyarrow.compute as pc

            whole = pa.Array.from_buffers(pa.large_binary(), 1, [
                None, pa.py_buffer(np.array([0, joined.size], dtype=np.int64)), pa.py_buffer(joined)])
            if not pc.match_substring_regex(whole, "(?m)" + pattern)[0].as_py():
                return None
        values = rows_array(joined)
    import pyarrow.compute as pc

    found: RowMask = pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)
    return found if found.any() else None


def non_ascii_rows(values: TextColumn) -> RowMask:
    """Rows holding a byte above 127 (validate's ASCII_String test: a character > 127 once
    the bytes are read as US-ASCII; control characters pass)."""
    if isinstance(values, np.ndarray):
        if not values.size or values.max() <= 127:
            return np.zeros(values.shape[0], dtype=bool)
        return np.asarray((values > 127).any(axis=1))
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        ok = pc.string_is_ascii(values)
    else:
        ok = pc.match_substring_regex(values, r"^[\x00-\x7f]*$")
    bad: RowMask = ~ok.to_numpy(zero_copy_only=False)
    return bad


def blank_rows(matrix: ByteMatrix) -> RowMask:
    """All-blank values of a (n, width) matrix (missing values in fixed-width tables)."""
    blank = np.zeros(256, dtype=bool)
    blank[[0, 9, 10, 13, 32]] = True
    if matrix.shape[1] == 0:
        return np.ones(matrix.shape[0], dtype=bool)
    return cast(RowMask, blank[matrix].all(axis=1))  # numpy types .all(axis=) as a scalar or an array


#: validate's formatPattern (one flag, a width, an optional precision, one conversion)
_FORMAT = re.compile(r"%([+,-])?(\d+)(?:\.(\d+))?([doxfeEs])")


@functools.lru_cache(maxsize=1024)
def parse_format(fmt: str) -> tuple[str, int | None, int | None, str] | None:
    """``%-10.3f`` → (flags, width, precision, conversion); None when validate does not check
    the format: its pattern is one optional ``+``/``-``/``,`` flag, a width (required), an
    optional precision and one of ``d o x f e E s`` (FieldValueValidator's formatPattern), so
    ``%.3f``, ``%05.2f`` or ``%8.3g`` are not checked."""
    m = _FORMAT.fullmatch(fmt.strip())
    if m is None:
        return None
    flags, width, prec, conv = m.groups()
    return flags or "", int(width), int(prec) if prec else None, conv


#: values that could lie outside an IEEE 754 double (|x| > 1.8e308, or a non-zero |x| below
#: 5e-324): a three-digit or longer exponent, or 300 digits; only these few are parsed
_HUGE_REAL = r"[eE][+-]?0*[1-9]\d{2,}|\d{300,}"
_HUGE_REAL_BYTES = re.compile(_HUGE_REAL.encode("ascii"))
#: columns up to this many bytes are searched for candidates with `re` first
_SMALL_COLUMN = 1 << 16


def real_out_of_range(values: TextColumn, *, joined: ByteMatrix | None = None) -> RowMask:
    """Boolean mask of ASCII_Real values a double cannot hold (overflow to ±inf, or a
    non-zero value that underflows to 0), e.g. ``1e999999``. Candidates are found by one
    RE2 pass over the column; only they are parsed."""
    if isinstance(values, np.ndarray):
        joined = joined if joined is not None else joined_rows(values)
        if joined.nbytes <= _SMALL_COLUMN and _HUGE_REAL_BYTES.search(joined.tobytes()) is None:
            return np.zeros(len(values), dtype=bool)  # a small column without candidates (Arrow's set-up is not)
        values = rows_array(joined)
    import pyarrow.compute as pc

    candidates = np.flatnonzero(pc.match_substring_regex(values, _HUGE_REAL).to_numpy(zero_copy_only=False))
    out = np.zeros(len(values), dtype=bool)
    for i in candidates:
        raw = values[int(i)].as_py()
        text = (raw.decode("latin-1") if isinstance(raw, bytes) else raw).strip(" \t\r\n\x00")
        try:
            x = float(text)
        except ValueError:
            continue  # not a number at all: the grammar check reports it
        mantissa = text.lower().split("e", 1)[0]
        out[i] = x in (float("inf"), float("-inf")) or (x == 0.0 and any(c in "123456789" for c in mantissa))
    return out
