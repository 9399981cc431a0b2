"""Text values that are not valid for their declared type: kept, never a crash.

Pure functions on ``S`` arrays (no I/O); readers turn what they report into warnings on
the object (`pdsgen.model.DataObject.warn`). Policy (docs/pds4-reading.md, "Lenient
reading"): ``ASCII_*`` values stay bytes in ``.data`` whatever they hold; ``UTF8_*``
values (and every text column of `to_table`) are decoded as UTF-8 where they are valid
UTF-8 and as Latin-1 where they are not, so every byte is kept (Latin-1 maps each byte
to one character) and valid values are never altered.
"""

from __future__ import annotations

import numpy as np


def _flat_bytes(values: np.ndarray) -> np.ndarray:
    """The bytes of an ``S`` array (C-contiguous copy when needed) as uint8 (n, itemsize)."""
    values = np.ascontiguousarray(values)
    return values.view(np.uint8).reshape(values.size, values.dtype.itemsize)


def non_ascii(values: np.ndarray) -> np.ndarray | None:
    """Mask of ``S`` values holding a byte above 127 (None when all are 7-bit ASCII)."""
    if values.dtype.kind != "S" or values.size == 0 or values.dtype.itemsize == 0:
        return None
    high = _flat_bytes(values) >= 128
    if not high.any():
        return None
    return np.asarray(high.any(axis=1)).reshape(values.shape)


def decode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``S`` values as ``str``: UTF-8, or Latin-1 for values that are not valid UTF-8.

    Returns the ``U`` array and the mask of values that were not valid UTF-8 (or None).
    """
    try:
        return np.char.decode(values, "utf-8"), None
    except UnicodeDecodeError:
        pass
    replaced = np.char.decode(values, "utf-8", errors="replace")
    suspects = np.char.find(replaced, "\ufffd") >= 0
    # (a genuine U+FFFD in valid UTF-8 decodes the same either way: checked exactly below)
    strict = np.char.decode(values[suspects], "latin-1")
    again = np.char.encode(replaced[suspects], "utf-8") == values[suspects]
    bad = suspects.copy()
    bad[suspects] = ~again
    width = max(replaced.dtype.itemsize, strict.dtype.itemsize) // 4
    out = replaced.astype(f"U{max(width, 1)}")
    out[bad] = np.char.decode(values[bad], "latin-1")
    return out, (bad if bad.any() else None)
