"""Numbers and strings from fixed-width text, one column at a time, without Python loops.

Every function takes a ``uint8`` matrix of shape ``(n, width)`` (one row per value, as
sliced from the record matrix) and returns ``n`` values. Decimal integers and reals go
through numpy's own C string parser (``astype`` on an ``S<width>`` view): measured on
1,000,000 values here it takes 0.08 s, against 0.25 s for digit arithmetic on the byte
matrix (``d @ 10**k``), it rounds reals correctly (digit arithmetic does only on
Clinger's fast path) and accepts every spelling PDS4 allows (exponents, ``+``, blanks).
Bases 2/8/16 and booleans have no numpy parser, so they use arithmetic on the matrix.
"""

from __future__ import annotations

import numpy as np

_BLANKS = np.zeros(256, dtype=bool)
_BLANKS[[0, 9, 10, 13, 32]] = True


def blank_rows(chars: np.ndarray) -> np.ndarray:
    """Rows that are all blanks (space, tab, NUL, CR/LF): PDS4 empty values."""
    if chars.shape[-1] == 0:
        return np.ones(chars.shape[:-1], dtype=bool)
    return _BLANKS[chars].all(axis=-1)


def as_bytes(chars: np.ndarray) -> np.ndarray:
    """A contiguous ``S<width>`` view of the rows (no trimming)."""
    chars = np.ascontiguousarray(chars)
    width = chars.shape[-1]
    if width == 0:
        return np.zeros(chars.shape[:-1], dtype="S1")
    return chars.view(f"S{width}")[..., 0]


def trim(chars: np.ndarray) -> np.ndarray:
    """Rows as ``bytes`` with surrounding blanks removed (``S<width>`` array).

    numpy's ``S`` type drops trailing NULs, so ``rstrip`` is nearly free; ``lstrip`` is
    only run when some value starts with a blank.
    """
    values = as_bytes(chars)
    values = np.char.rstrip(values)
    if chars.shape[-1] and _BLANKS[chars[..., 0]].any():
        values = np.char.lstrip(values)
    return values


def text_view(raw: np.ndarray) -> np.ndarray:
    """``S<width>`` view of a ``(..., width)`` uint8 array whose last axis is contiguous (no copy)."""
    width = raw.shape[-1]
    if width == 0:
        return np.zeros(raw.shape[:-1], dtype="S1")
    if raw.strides[-1] != 1:
        raw = np.ascontiguousarray(raw)
    return raw.view(f"S{width}")[..., 0]


def parse_text(values: np.ndarray, dtype: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Numbers from an ``S`` array (any shape, strided is fine) and the mask of blank values.

    The fast path is one ``astype`` (numpy's C parser skips surrounding blanks); only when
    it fails are blank values looked for, replaced by ``0`` and masked.
    """
    try:
        return values.astype(dtype), None
    except (ValueError, OverflowError):
        pass
    stripped = np.char.strip(values)
    if dtype.startswith("float"):
        # Fortran writes exponents with D ("1.5D+03"); common in PDS3 ASCII tables.
        stripped = np.char.replace(np.char.replace(stripped, b"D", b"E"), b"d", b"e")
    blank = stripped == b""
    if blank.any():
        stripped = stripped.copy()
        stripped[blank] = b"0"
    flat = stripped.reshape(-1)
    try:
        return stripped.astype(dtype), (blank if blank.any() else None)
    except (ValueError, OverflowError):
        index, bad = _first_bad(flat, dtype)
        where = np.unravel_index(index, values.shape) if values.ndim else (0,)
        place = f"record {where[0] + 1}" + (f", repetition {tuple(int(i) + 1 for i in where[1:])}"
                                            if len(where) > 1 else "")
        raise ValueError(f"value {bad!r} ({place}) is not a valid {dtype} number") from None


def trim_text(values: np.ndarray, first_bytes: np.ndarray | None,
              last_bytes: np.ndarray | None = None) -> np.ndarray:
    """``S`` values with surrounding blanks removed; each value's first/last byte say
    whether ``lstrip``/``rstrip`` (a copy each) are needed at all."""
    # (``<= 32``: space, tab, CR, LF, NUL — a cheap superset test; strip decides exactly)
    if last_bytes is None or (last_bytes <= 32).any():
        values = np.char.rstrip(values)
    if first_bytes is not None and (first_bytes <= 32).any():
        values = np.char.lstrip(values)
    return values


def _numeric(chars: np.ndarray, dtype: str) -> np.ndarray:
    values = as_bytes(chars)
    blank = blank_rows(chars)
    if blank.any():
        values = values.copy()
        values[blank] = b"0"
    try:
        return values.astype(dtype)
    except (ValueError, OverflowError):
        bad = _first_bad(values, dtype)
        raise ValueError(f"value {bad[1]!r} (row {bad[0] + 1}) is not a valid {dtype} number") from None


def _first_bad(values: np.ndarray, dtype: str) -> tuple[int, bytes]:
    # Error path only: bisect to the first value numpy cannot parse (log2(n) astype calls).
    lo, hi = 0, len(values)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            values[lo:mid].astype(dtype)
            lo = mid
        except (ValueError, OverflowError):
            hi = mid
    return lo, bytes(values[lo])


def parse_real(chars: np.ndarray) -> np.ndarray:
    """ASCII_Real → float64 (blank rows give 0.0; the caller masks them)."""
    return _numeric(chars, "float64")


def parse_integer(chars: np.ndarray) -> np.ndarray:
    """ASCII_Integer → int64."""
    return _numeric(chars, "int64")


def parse_unsigned(chars: np.ndarray) -> np.ndarray:
    """ASCII_NonNegative_Integer → uint64 (a leading '-' is an error, not a wrap-around)."""
    if (chars == ord("-")).any():
        row = int(np.nonzero((chars == ord("-")).any(axis=-1))[0][0])
        raise ValueError(f"negative value {bytes(chars[row]).strip()!r} (row {row + 1}) in a non-negative field")
    return _numeric(chars, "uint64")


_DIGIT_VALUE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789"):
    _DIGIT_VALUE[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _DIGIT_VALUE[_c] = 10 + _i
    _DIGIT_VALUE[_c - 32] = 10 + _i


def base_parser(base: int):
    """A parser for ASCII_Numeric_Base{2,8,16}: digits in ``base``, blanks around them."""

    def parse(chars: np.ndarray) -> np.ndarray:
        digits = _DIGIT_VALUE[chars]
        blank = _BLANKS[chars]
        invalid = ~blank & (digits >= base)
        if invalid.any():
            row = int(np.nonzero(invalid.any(axis=-1))[0][0])
            raise ValueError(f"value {bytes(chars[row]).strip()!r} (row {row + 1}) is not a base-{base} number")
        ndigits = (~blank).sum(axis=-1)
        if ndigits.size and ndigits.max() * np.log2(base) > 63:
            raise ValueError(f"base-{base} value wider than 63 bits")
        value = np.zeros(chars.shape[0], dtype=np.int64)
        # One pass per character column (width is small), each vectorised over all rows.
        for j in range(chars.shape[1]):
            keep = ~blank[:, j]
            value = np.where(keep, value * base + digits[:, j], value)
        return value

    return parse


def parse_boolean(chars: np.ndarray) -> np.ndarray:
    """ASCII_Boolean: ``true``/``false``/``1``/``0`` (case-insensitive)."""
    text = np.char.lower(trim(chars))
    true = (text == b"true") | (text == b"1")
    false = (text == b"false") | (text == b"0") | (text == b"")
    if not (true | false).all():
        row = int(np.nonzero(~(true | false))[0][0])
        raise ValueError(f"value {bytes(text[row])!r} (row {row + 1}) is not a boolean")
    return true
