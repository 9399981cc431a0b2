"""Numbers from fixed-width text columns through arrow's C++ string kernels.

Why: numpy's ``astype`` from ``S`` text costs ~80 ns per value here; arrow's cast
~20 ns, and the whole ``binary_slice`` → ``ascii_trim_whitespace`` → ``cast`` pipeline
over a zero-copy binary array of the records ~55 ns; it parses exactly like numpy
(fast_float, correctly rounded; the corpus test checks equality with pds4_tools).
Anything arrow refuses (Fortran ``D`` exponents, internal blanks, a ``+`` before an
integer, overflow), and hexadecimal ``0x…`` integers (which arrow would accept), return
``None`` so the caller falls back to numpy, which decides and
reports the exact offending value.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

_TARGETS = {"float64", "int64"}


def records_array(records: np.ndarray) -> Any:
    """A zero-copy arrow ``binary`` array with one value per record."""
    import pyarrow as pa

    n, record_length = records.shape
    if not records.flags.c_contiguous:
        return None
    large = (n + 1) * record_length >= 2**31
    offsets = np.arange(0, (n + 1) * record_length, record_length, dtype=np.int64 if large else np.int32)
    kind = pa.large_binary() if large else pa.binary()
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(records.reshape(-1))])


def parse_field(array: Any, n: int, location: int, length: int, shape: tuple[int, ...], strides: tuple[int, ...],
                dtype: str) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Values ``(n, *shape)`` and blank mask of a text field, or None to fall back to numpy."""
    if array is None or dtype not in _TARGETS:
        return None
    if not shape:
        result = _column(array, location, length, dtype)
        return result
    values = np.empty((n, *shape), dtype=dtype)
    mask = np.zeros((n, *shape), dtype=bool)
    for index in np.ndindex(*shape):  # one pass per repetition (a column), never per value
        start = location + sum(i * s for i, s in zip(index, strides, strict=True))
        result = _column(array, start, length, dtype)
        if result is None:
            return None
        values[(slice(None), *index)] = result[0]
        if result[1] is not None:
            mask[(slice(None), *index)] = result[1]
    return values, (mask if mask.any() else None)


def parse_block(buffer: np.ndarray, n: int, record_length: int, location: int, length: int,
                dtype: str) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Values and blank mask of one field in ``n`` records held in ``buffer`` (uint8, C order),
    or None to fall back to numpy.

    The field's bytes are gathered with one numpy strided copy (an ``S<length>`` view,
    ~40% cheaper than arrow's ``binary_slice``). Right-justified numbers (blanks only
    before the value) are then cast without trimming: each value becomes two arrow
    slots over that copy, a null one holding its leading blanks and a valid one from
    its first non-blank byte to the field's end (arrow's cast skips nulls; measured
    ~15% faster than trim + cast). Any other blank (trailing, internal, all-blank) lands
    inside a valid slot, where arrow refuses it; the trim + cast pipeline then decides.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if dtype not in _TARGETS or n == 0 or 2 * n * length >= 2**31:
        return None
    values = np.ndarray((n,), f"S{length}", buffer=buffer, offset=location, strides=(record_length,)).copy()
    chars = values.view(np.uint8).reshape(n, length)
    if dtype == "int64" and ((chars | 0x20) == ord("x")).any():
        return None  # arrow reads "0x10" as 16; PDS4 (and numpy) say it is not an integer
    starts = _starts(n, length)
    offsets = np.empty(2 * n + 1, dtype=np.int32)
    offsets[0:-1:2] = starts
    # First non-blank byte of each value (argmin of "is blank": 0 for all-blank rows).
    offsets[1::2] = starts + np.argmin(chars == 32, axis=1).astype(np.int32)
    offsets[-1] = n * length
    slots = pa.Array.from_buffers(pa.string(), 2 * n, [_odd_slots(n), pa.py_buffer(offsets), pa.py_buffer(values)])
    target = pa.float64() if dtype == "float64" else pa.int64()
    try:
        parsed = pc.cast(slots, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        text = pa.Array.from_buffers(pa.string(), n, [None, _offsets(n, length), pa.py_buffer(values)])
        return _parse(text, dtype)
    data = np.frombuffer(parsed.buffers()[1], dtype=dtype, count=2 * n, offset=parsed.offset * 8)
    return data[1::2], None


@functools.lru_cache(maxsize=16)
def _starts(n: int, length: int) -> np.ndarray:
    return np.arange(0, n * length, length, dtype=np.int32)


@functools.lru_cache(maxsize=16)
def _odd_slots(n: int) -> Any:
    """Validity bitmap of ``2 n`` slots: even slots null, odd slots valid (bits 0b10101010)."""
    import pyarrow as pa

    return pa.py_buffer(np.full((2 * n + 7) // 8, 0xAA, dtype=np.uint8))


@functools.lru_cache(maxsize=16)
def _offsets(n: int, length: int) -> Any:
    """Arrow offsets of ``n`` values of ``length`` bytes (the same for every full block)."""
    import pyarrow as pa

    return pa.py_buffer(np.arange(0, (n + 1) * length, length, dtype=np.int32))


def _column(array: Any, location: int, length: int, dtype: str) -> tuple[np.ndarray, np.ndarray | None] | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    sliced = pc.binary_slice(array, location, location + length)
    return _parse(sliced.view(pa.large_string() if sliced.type == pa.large_binary() else pa.string()), dtype)


def _parse(untrimmed: Any, dtype: str) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Numbers from an arrow string array of padded values (None: arrow refuses some value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.ascii_trim_whitespace(untrimmed)
    if dtype == "int64" and pc.any(pc.match_substring(text, "x", ignore_case=True)).as_py():
        return None  # arrow reads "0x10" as 16; PDS4 (and numpy) say it is not an integer
    target = pa.float64() if dtype == "float64" else pa.int64()
    try:
        return pc.cast(text, target).to_numpy(zero_copy_only=False), None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    empty = pc.equal(pc.binary_length(text), 0)
    if not pc.any(empty).as_py():
        return None
    try:
        parsed = pc.cast(pc.if_else(empty, pa.scalar(None, text.type), text), target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = pc.fill_null(parsed, 0).to_numpy(zero_copy_only=False)
    return values, empty.to_numpy(zero_copy_only=False)
