"""Which text values are valid for each PDS4 character data type — grammars as data.

Each ASCII/UTF8 data type maps onto an RE2 pattern (PDS4 Standards Reference §4B and the
data-type definitions of the Information Model). Matching runs in Arrow's C++ kernels over
a whole column at once (`invalid_rows`); columns come in as fixed-width byte matrices
(zero-copy into Arrow) or Arrow string arrays (delimited tables). Blank values are valid
here (validate reports them as info only); surrounding blanks are allowed in fixed-width
fields.
"""

from __future__ import annotations

import re

import numpy as np

_Y = r"\d{4}"
_M = r"(0[1-9]|1[0-2])"
_D = r"(0[1-9]|[12]\d|3[01])"
_DOY = r"(00[1-9]|0[1-9]\d|[12]\d\d|3[0-5]\d|36[0-6])"
_TIME = r"([01]\d|2[0-3])(:[0-5]\d(:([0-5]\d|60)(\.\d+)?)?)?"
_YMD = rf"{_Y}(-{_M}(-{_D})?)?"
_YDOY = rf"{_Y}(-{_DOY})?"
_SEG = r"[A-Za-z0-9][A-Za-z0-9._\-]*"
_LID = rf"urn:{_SEG}:{_SEG}(:{_SEG}){{1,6}}"
_VID = r"\d+\.\d+"

#: data type → pattern for the (trimmed) value; types not listed are checked as strings
PATTERNS: dict[str, str] = {
    "ASCII_Integer": r"[+-]?\d+",
    "ASCII_NonNegative_Integer": r"\+?\d+",
    "ASCII_Real": r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?",
    "ASCII_Numeric_Base2": r"[01]+",
    "ASCII_Numeric_Base8": r"[0-7]+",
    "ASCII_Numeric_Base16": r"[0-9a-fA-F]+",
    "ASCII_Boolean": r"(true|false|TRUE|FALSE|True|False|0|1)",
    "ASCII_Date_YMD": _YMD,
    "ASCII_Date_DOY": _YDOY,
    "ASCII_Date": rf"({_YMD}|{_YDOY})",
    "ASCII_Time": rf"{_TIME}Z?",
    "ASCII_Date_Time_YMD": rf"{_Y}(-{_M}(-{_D}(T{_TIME})?)?)?Z?",
    "ASCII_Date_Time_DOY": rf"{_Y}(-{_DOY}(T{_TIME})?)?Z?",
    "ASCII_Date_Time_YMD_UTC": rf"{_Y}(-{_M}(-{_D}(T{_TIME})?)?)?Z",
    "ASCII_Date_Time_DOY_UTC": rf"{_Y}(-{_DOY}(T{_TIME})?)?Z",
    "ASCII_Date_Time": rf"({_Y}(-{_M}(-{_D}(T{_TIME})?)?)?|{_Y}(-{_DOY}(T{_TIME})?)?)Z?",
    "ASCII_Date_Time_UTC": rf"({_Y}(-{_M}(-{_D}(T{_TIME})?)?)?|{_Y}(-{_DOY}(T{_TIME})?)?)Z",
    "ASCII_AnyURI": r"\S+",
    "ASCII_MD5_Checksum": r"[0-9a-fA-F]{32}",
    "ASCII_LID": _LID,
    "ASCII_LIDVID": rf"{_LID}::{_VID}",
    "ASCII_LIDVID_LID": rf"{_LID}(::{_VID})?",
    "ASCII_VID": _VID,
    "ASCII_Directory_Path_Name": r"[A-Za-z0-9_./\-]+",
    "ASCII_File_Name": r"[^\s/\\]+",
    "ASCII_File_Specification_Name": r"[^\s\\]+",
}

NUMERIC = {"ASCII_Integer", "ASCII_NonNegative_Integer", "ASCII_Real"}

_BLANK = r"[ \t\r\n\x00]*"


def anchored(data_type: str) -> str | None:
    """The full-value pattern (blank values and surrounding blanks allowed) or None."""
    core = PATTERNS.get(data_type)
    if core is None:
        return None
    return rf"^{_BLANK}(({core}){_BLANK})?$"


def arrow_binary(matrix: np.ndarray):
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
_column_res: dict[str, object] = {}
_BLANKS = r"[ \t\r\x00]*"


def joined_rows(matrix: np.ndarray) -> np.ndarray:
    """A (n, width) byte matrix as (n, width + 1) with a newline closing each value: one copy
    that serves both the whole-column match (`joined_match`) and Arrow rows (`rows_array`)."""
    n, width = matrix.shape
    joined = np.empty((n, width + 1), dtype=np.uint8)
    joined[:, :width] = matrix
    joined[:, width] = 10
    return joined


def rows_array(joined: np.ndarray):
    """The values of a `joined_rows` matrix as an Arrow binary array, without copying the bytes
    (each value keeps its closing newline, which every per-value pattern treats as a blank)."""
    import pyarrow as pa

    n, stride = joined.shape
    if n * stride >= 1 << 31:
        offsets = np.arange(0, (n + 1) * stride, stride, dtype=np.int64)
        return pa.Array.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(joined)])
    offsets = np.arange(0, (n + 1) * stride, stride, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(joined)])


def joined_match(joined: np.ndarray, core: str) -> bool:
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

            rx = re.compile(rf"(?:{_BLANKS}(?:(?:{core}){_BLANKS})?\n)*".encode())
            _column_res[core] = rx
        return rx.fullmatch(joined.tobytes()) is not None
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pa.Array.from_buffers(pa.large_binary(), 1, [
        None, pa.py_buffer(np.array([0, joined.size], dtype=np.int64)), pa.py_buffer(joined)])
    return bool(pc.match_substring_regex(whole, rf"^(?:{_BLANKS}(?:(?:{core}){_BLANKS})?\n)*$")[0].as_py())


def invalid_rows(values, data_type: str, *, joined: np.ndarray | None = None) -> np.ndarray | None:
    """Boolean mask of values that do not match `data_type`, or None if the type has no grammar.

    `values` is an Arrow string/binary array or a (n, width) uint8 matrix; `joined`, when
    given, is the same column as `joined_rows` (matched whole first).
    """
    pattern = anchored(data_type)
    if pattern is None:
        if data_type.startswith("ASCII_"):
            return non_ascii_rows(values)
        return None
    if joined is None and isinstance(values, np.ndarray):
        joined = joined_rows(values)
    if joined is not None and joined_match(joined, PATTERNS[data_type]):
        return np.zeros(joined.shape[0], dtype=bool)
    import pyarrow.compute as pc  # only now: small valid columns never need Arrow

    if isinstance(values, np.ndarray):
        values = rows_array(joined)
    ok = pc.match_substring_regex(values, pattern)
    return ~ok.to_numpy(zero_copy_only=False)


def non_ascii_rows(values) -> np.ndarray:
    """Rows holding bytes outside printable 7-bit ASCII (tab allowed): ASCII_* strings."""
    if isinstance(values, np.ndarray):
        # one wrap-around subtraction: bytes outside 32..126 become > 94; a flat test first
        # (cheap), rows only when something is there
        if not ((values - np.uint8(32)) > np.uint8(94)).any():
            return np.zeros(values.shape[0], dtype=bool)
        suspect = ((values - np.uint8(32)) > np.uint8(94)).any(axis=1)
        if suspect.any():
            rows = values[suspect]
            bad = (rows > 126) | ((rows < 32) & (rows != 9) & (rows != 0) & (rows != 10) & (rows != 13))
            suspect[suspect] = bad.any(axis=1)
        return suspect
    import pyarrow.compute as pc

    ok = pc.match_substring_regex(values, r"^[\x09\x0a\x0d\x20-\x7e]*$")
    return ~ok.to_numpy(zero_copy_only=False)


def blank_rows(matrix: np.ndarray) -> np.ndarray:
    """All-blank values of a (n, width) matrix (missing values in fixed-width tables)."""
    blank = np.zeros(256, dtype=bool)
    blank[[0, 9, 10, 13, 32]] = True
    if matrix.shape[1] == 0:
        return np.ones(matrix.shape[0], dtype=bool)
    return blank[matrix].all(axis=1)


def parse_format(fmt: str) -> tuple[str, int | None, int | None, str] | None:
    """``%-10.3f`` → (flags, width, precision, conversion); None when validate does not check
    the format: its pattern is one optional ``+``/``-``/``,`` flag, a width (required), an
    optional precision and one of ``d o x f e E s`` (FieldValueValidator's formatPattern), so
    ``%.3f``, ``%05.2f`` or ``%8.3g`` are not checked."""
    import re

    m = re.fullmatch(r"%([+,-])?(\d+)(?:\.(\d+))?([doxfeEs])", fmt.strip())
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


def real_out_of_range(values, *, joined: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of ASCII_Real values a double cannot hold (overflow to ±inf, or a
    non-zero value that underflows to 0), e.g. ``1e999999``. Candidates are found by one
    RE2 pass over the column; only they are parsed."""
    import pyarrow.compute as pc

    if isinstance(values, np.ndarray):
        joined = joined if joined is not None else joined_rows(values)
        if joined.nbytes <= _SMALL_COLUMN and _HUGE_REAL_BYTES.search(joined.tobytes()) is None:
            return np.zeros(len(values), dtype=bool)  # a small column without candidates (Arrow's set-up is not)
        values = rows_array(joined)
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
