"""Physical values from stored ones: special constants masked, then scaling applied.

Pure functions on arrays. PDS4 special constants are compared against the *stored*
values (before scaling), like pds4_tools; ``valid_*`` ranges are not masked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pdsgen.model import SPECIAL_CONSTANT_NAMES


def constant_value(value: Any, dtype: np.dtype) -> Any:
    """A label constant as a value comparable with ``dtype`` data (None if it cannot match).

    Text constants are parsed by the data's kind; ``0x…``/``16#…#`` forms are bit
    patterns for floats (reinterpreted) and plain integers otherwise.
    """
    if value is None:
        return None
    if dtype.kind in "SU":
        return str(value).strip().encode() if dtype.kind == "S" else str(value).strip()
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    bits = None
    if text.lower().startswith("0x"):
        bits = int(text[2:], 16)
    elif text.startswith("16#") and text.endswith("#"):
        bits = int(text[3:-1], 16)
    elif text.startswith("2#") and text.endswith("#"):
        bits = int(text[2:-1], 2)
    elif text.startswith("8#") and text.endswith("#"):
        bits = int(text[2:-1], 8)
    if bits is not None:
        if dtype.kind in "fc":
            size = dtype.itemsize if dtype.kind == "f" else dtype.itemsize // 2
            uint = np.array(bits, dtype=f"u{size}")
            return uint.view(f"f{size}").item()
        return bits
    try:
        return int(text) if dtype.kind in "iub" else float(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def special_mask(values: np.ndarray, constants: dict[str, Any]) -> np.ndarray | None:
    """True where a stored value equals one of the special constants."""
    if not constants or values.dtype.kind in "OV":
        return None
    mask = np.zeros(values.shape, dtype=bool)
    for name, raw in constants.items():
        if name not in SPECIAL_CONSTANT_NAMES:
            continue
        value = constant_value(raw, values.dtype)
        if value is None:
            continue
        if values.dtype.kind in "iu" and isinstance(value, float):
            if not value.is_integer():
                continue
            value = int(value)
        if values.dtype.kind in "iu":
            info = np.iinfo(values.dtype)
            if not info.min <= value <= info.max:
                continue
        with np.errstate(invalid="ignore"):
            mask |= values == value
    return mask if mask.any() else None


def physical(
    values: np.ndarray,
    scaling_factor: float | None = None,
    value_offset: float | None = None,
    constants: dict[str, Any] | None = None,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Scaled values, as a masked array when any value is special or empty.

    Integers stay integers when no scaling applies; with scaling the result is
    float64 (float32 stays float32 if factor and offset are exactly representable).
    """
    special = special_mask(values, constants or {})
    if mask is not None and special is not None:
        mask = mask | special
    elif special is not None:
        mask = special
    scale = scaling_factor not in (None, 1, 1.0)
    offset = value_offset not in (None, 0, 0.0)
    out = values
    if (scale or offset) and values.dtype.kind in "iufcb":
        if values.dtype.kind == "c":
            out = values.astype(np.complex128)
        else:
            out = values.astype(np.float64)
        if scale:
            out *= scaling_factor
        if offset:
            out += value_offset
    if mask is not None and mask.any():
        return np.ma.MaskedArray(out, mask=mask)
    return out


def missing_as_nan(values: Any) -> np.ndarray:
    """Physical values as a plain array, each missing (masked) value NaN — text: ``""``.

    The one form every recipe input takes (``ref``, ``column``): a masked integer column
    becomes float64 so that its missing values are NaN rather than the stored constant.
    """
    if not isinstance(values, np.ma.MaskedArray):
        return np.asarray(values)
    data = np.ma.getdata(values)
    mask = np.ma.getmaskarray(values)
    if not mask.any():
        return np.asarray(data)
    if data.dtype.kind in "SU":
        return np.where(mask, data.dtype.type(""), data)
    if data.dtype.kind in "iub":
        data = data.astype(np.float64)
    if data.dtype.kind in "fc":
        return np.where(mask, np.nan, data)
    return np.asarray(data)
