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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

_BLANKS = np.zeros(256, dtype=bool)
_BLANKS[[0, 9, 10, 13, 32]] = True


def blank_rows(chars: np.ndarray) -> np.ndarray:
    """Rows that are all blanks (space, tab, NUL, CR/LF): PDS4 empty values."""
    if chars.shape[-1] == 0:
        return np.ones(chars.shape[:-1], dtype=bool)
    blank: np.ndarray = _BLANKS[chars].all(axis=-1)
    return blank


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


@dataclass(frozen=True)
class Issue:
    """Values a tolerant parse could not read as the field's type (pure data, no I/O).

    ``where`` is a boolean mask shaped like the parsed values; ``first`` the first
    offending text (flat order). The caller turns it into a warning naming its field.
    """

    message: str
    where: np.ndarray
    first: bytes
    masked: bool = True  # False: the values were read (e.g. a real number in an integer field)

    @property
    def count(self) -> int:
        return int(self.where.sum())

    @property
    def record(self) -> int:
        """1-based record of the first offending value (axis 0 is the record)."""
        flat = self.where.reshape(self.where.shape[0], -1) if self.where.ndim else self.where.reshape(1, 1)
        return int(np.argmax(flat.any(axis=1))) + 1


def parse_text(values: np.ndarray, dtype: str,
               issues: list[Issue] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Numbers from an ``S`` array (any shape, strided is fine) and the mask of blank values.

    The fast path is one ``astype`` (numpy's C parser skips surrounding blanks); only when
    it fails are blank values looked for, replaced by ``0`` and masked. With ``issues``
    (a list) the parse is tolerant: values that are not numbers are masked too and
    described in ``issues`` (`tolerant_numbers`); without it the first one raises.
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
        if issues is None:
            index, bad = _first_bad(flat, dtype)
            where = np.unravel_index(index, values.shape) if values.ndim else (0,)
            place = f"record {where[0] + 1}" + (f", repetition {tuple(int(i) + 1 for i in where[1:])}"
                                                if len(where) > 1 else "")
            raise ValueError(f"value {bad!r} ({place}) is not a valid {dtype} number") from None
    out, unreadable = tolerant_numbers(stripped, dtype, issues)
    mask = blank | unreadable
    return out, (mask if mask.any() else None)


def failing(parse: Callable[[np.ndarray], Any], values: np.ndarray) -> np.ndarray:
    """Which of ``values`` (1-D) ``parse`` refuses, by bisection: O(k log n) calls of the
    vectorised ``parse`` for k refused values, never one call per value."""
    bad = np.zeros(len(values), dtype=bool)
    stack = [(0, len(values))]
    while stack:
        lo, hi = stack.pop()
        try:
            parse(values[lo:hi])
            continue
        except (ValueError, OverflowError):
            pass
        if hi - lo == 1:
            bad[lo] = True
            continue
        mid = (lo + hi) // 2
        stack += [(mid, hi), (lo, mid)]
    return bad


def tolerant_numbers(stripped: np.ndarray, dtype: str, issues: list[Issue]) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from stripped, non-blank ``S`` text of any shape; (values, mask of unreadable).

    Distinct texts are parsed once (``np.unique``); those numpy refuses are found by
    bisection. In an integer field a real number (``1.00000``) is read as the number: the
    column stays integer when every such value is integral, else becomes float64.
    Anything else (``UNK``, ``N/A``, junk bytes) is masked with value 0.
    """
    unique, inverse = np.unique(stripped.reshape(-1), return_inverse=True)
    refused = failing(lambda v: v.astype(dtype), unique)
    real = np.zeros_like(refused)
    if dtype.startswith(("int", "uint")) and refused.any():
        candidates = np.flatnonzero(refused)
        as_real = failing(lambda v: v.astype("float64"), unique[candidates])
        readable = candidates[~as_real]
        with np.errstate(invalid="ignore"):
            numbers = unique[readable].astype("float64")
            # (an integer beyond the type's range is unreadable, not a rounded real)
            digits_only = np.char.isdigit(np.char.lstrip(unique[readable], b"+-"))
            fits = np.isfinite(numbers) & (np.abs(numbers) < 2.0**63) & ~digits_only
        real[readable[fits]] = True
    unreadable_u = refused & ~real
    filled = unique.copy()
    filled[refused] = b"0"
    out_dtype = dtype
    if real.any():
        reals = unique[real].astype("float64")
        if not (np.isfinite(reals).all() and (reals == np.round(reals)).all()):
            out_dtype = "float64"
    values = filled.astype(out_dtype)
    if real.any():
        reals = unique[real].astype("float64")
        values[real] = reals if out_dtype == "float64" else reals.astype(dtype)
    shaped = values[inverse].reshape(stripped.shape)
    unreadable = unreadable_u[inverse].reshape(stripped.shape)
    if unreadable.any():
        first = bytes(stripped.reshape(-1)[np.argmax(unreadable.reshape(-1))])
        issues.append(Issue(f"value is not {_kind_text(dtype)}: masked", unreadable, first))
    realpos = real[inverse].reshape(stripped.shape)
    if realpos.any():
        first = bytes(stripped.reshape(-1)[np.argmax(realpos.reshape(-1))])
        how = "read as the number" + (" (column read as float64)" if out_dtype != dtype else "")
        issues.append(Issue(f"real number in an integer field: {how}", realpos, first, masked=False))
    return shaped, unreadable


def _kind_text(dtype: str) -> str:
    return "a real number" if dtype.startswith("float") else "an integer of its type's range"


def tolerant_decode(decoder: Callable[[np.ndarray], np.ndarray], chars: np.ndarray, what: str,
                    issues: list[Issue]) -> np.ndarray:
    """``decoder`` over a uint8 matrix ``(n, width)``; rows it refuses are given the value of
    a blank row and described in ``issues`` (the caller masks them)."""
    try:
        return decoder(chars)
    except ValueError:
        pass
    width = chars.shape[-1]
    text = as_bytes(chars)
    unique, inverse = np.unique(text, return_inverse=True)

    def matrix(v: np.ndarray) -> np.ndarray:
        m = np.full((len(v), width), 32, dtype=np.uint8)
        m[:, :] = np.frombuffer(v.astype(f"S{width}").tobytes(), dtype=np.uint8).reshape(len(v), width) \
            if len(v) else m
        return np.where(m == 0, np.uint8(32), m)

    refused = failing(lambda v: decoder(matrix(v)), unique)
    filled = unique.copy()
    filled[refused] = b""
    values = decoder(matrix(filled))[inverse]
    where = refused[inverse]
    first = bytes(unique[refused][0]).strip()
    issues.append(Issue(f"value is not a valid {what}: masked", where, first))
    return values


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


def base_parser(base: int) -> Callable[[np.ndarray], np.ndarray]:
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
    true: np.ndarray = (text == b"true") | (text == b"1")
    false = (text == b"false") | (text == b"0") | (text == b"")
    if not (true | false).all():
        row = int(np.nonzero(~(true | false))[0][0])
        raise ValueError(f"value {bytes(text[row])!r} (row {row + 1}) is not a boolean")
    return true
