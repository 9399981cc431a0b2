"""Array encoder: an N-D numpy array → raw binary bytes (C order, last index fastest)
and the facts an Array_* / PDS3 IMAGE label states (axes, element type, statistics)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from pdsgen.data.types import java_text
from pdsgen.errors import DataError, UnsupportedError
from pdsgen.render.encode import binary_types

#: default PDS4 class and axis names by number of dimensions
_DEFAULTS = {
    1: ("Array_1D", ("Sample",)),
    2: ("Array_2D_Image", ("Line", "Sample")),
    3: ("Array_3D_Image", ("Band", "Line", "Sample")),
}


@dataclass
class ArrayInfo:
    class_name: str
    shape: tuple[int, ...]
    axis_names: tuple[str, ...]
    data_type: str  # PDS4 element type
    pds3_sample_type: str
    itemsize: int
    byte_order: str
    unit: str | None = None
    scaling_factor: float | None = None
    value_offset: float | None = None
    special_constants: dict[str, str] = field(default_factory=dict)
    minimum: str | None = None
    maximum: str | None = None
    mean: str | None = None
    standard_deviation: str | None = None
    description: str | None = None
    offset: int = 0
    name: str = "array"
    axis_index_order: str = "Last Index Fastest"

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def axes(self) -> list[dict[str, Any]]:
        return [{"axis_name": n, "elements": e, "sequence_number": i}
                for i, (n, e) in enumerate(zip(self.axis_names, self.shape, strict=True), 1)]

    @property
    def sample_bits(self) -> int:
        return self.itemsize * 8

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) * self.itemsize


def _text(value: Any, dtype: np.dtype, name: str) -> str:
    """A special constant as the label gives it: an integer's digits; a float constant as
    Java writes the float (``-1.0E30``: what NASA validate compares an element's text
    with, `types.java_text`); the valid range and the statistics as the exact double
    (validate compares them as numbers)."""
    v = np.asarray(value).astype(dtype).item()
    if dtype.kind != "f":
        return str(int(v))
    return repr(float(v)) if name in ("valid_minimum", "valid_maximum", "minimum", "maximum") else \
        java_text(float(v), single=dtype.itemsize == 4)


def encode_array(
    array: Any,
    *,
    byte_order: str = "big",
    array_class: str | None = None,
    axis_names: tuple[str, ...] | None = None,
    unit: str | None = None,
    scaling_factor: float | None = None,
    value_offset: float | None = None,
    special_constants: Mapping[str, Any] | None = None,
    statistics: bool = True,
    description: str | None = None,
) -> tuple[ArrayInfo, bytes | memoryview]:
    if byte_order not in ("big", "little"):
        raise DataError(f"byte_order must be 'big' or 'little', not {byte_order!r}")
    mask = np.ma.getmaskarray(array) if isinstance(array, np.ma.MaskedArray) else None
    values = np.asarray(array.data if isinstance(array, np.ma.MaskedArray) else array)
    if values.dtype.kind == "b":
        values = values.astype(np.uint8)
    if values.dtype.kind not in "iuf":
        raise UnsupportedError(f"array dtype {values.dtype} cannot be written as a PDS array")
    if values.ndim == 0 or values.size == 0:
        raise DataError(f"array of shape {values.shape} has no elements to write")
    sc = dict(special_constants or {})
    if mask is not None and mask.any():
        if "missing_constant" not in sc:
            raise DataError(f"array has {int(mask.sum())} masked element(s) but no missing_constant")
        fill = np.asarray(sc["missing_constant"]).astype(values.dtype)
        values = np.where(mask, fill, values)
    default_class, default_axes = _DEFAULTS.get(values.ndim, (f"Array_{values.ndim}D", None))
    array_class = array_class or default_class
    if axis_names is None:
        if default_axes is None:
            axis_names = tuple(f"Axis_{i}" for i in range(1, values.ndim + 1))
        else:
            axis_names = default_axes
    if len(axis_names) != values.ndim:
        raise DataError(f"{len(axis_names)} axis names given for a {values.ndim}-D array")
    if values.ndim > 3 and array_class.startswith(("Array_1D", "Array_2D", "Array_3D")):
        raise UnsupportedError(f"{array_class} cannot hold a {values.ndim}-D array")
    endian: Literal["big", "little"] = "big" if byte_order == "big" else "little"  # checked above
    pds4_type, pds3_type = binary_types(values.dtype, endian)
    order: Literal[">", "<"] = ">" if byte_order == "big" else "<"
    out_dtype = values.dtype.newbyteorder(order) if values.dtype.itemsize > 1 else values.dtype
    data = np.ascontiguousarray(values, dtype=out_dtype).reshape(-1).view(np.uint8).data
    info = ArrayInfo(
        class_name=array_class, shape=tuple(int(s) for s in values.shape), axis_names=tuple(axis_names),
        data_type=pds4_type, pds3_sample_type=pds3_type, itemsize=values.dtype.itemsize,
        byte_order=byte_order, unit=unit, scaling_factor=scaling_factor, value_offset=value_offset,
        special_constants={k: _text(v, values.dtype, k) for k, v in sc.items()},
        description=description,
    )
    if statistics:
        good = np.ones(values.shape, bool) if mask is None else ~mask
        for v in sc.values():
            good &= values != np.asarray(v).astype(values.dtype)
        if values.dtype.kind == "f":
            good &= np.isfinite(values)
        valid = values[good]
        if valid.size:
            info.minimum = _text(valid.min(), values.dtype, "minimum")
            info.maximum = _text(valid.max(), values.dtype, "maximum")
            with np.errstate(over="ignore", invalid="ignore"):
                mean = float(valid.mean(dtype=np.float64))
                std = float(valid.std(dtype=np.float64))
            # ASCII_Real has no inf/nan: statistics that overflow float64 are left out
            info.mean = repr(mean) if np.isfinite(mean) else None
            info.standard_deviation = repr(std) if np.isfinite(std) else None
    return info, data
