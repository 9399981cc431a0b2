"""PDS3 IMAGE objects whose lines carry prefix or suffix bytes (LINE_PREFIX/SUFFIX_BYTES).

The image is read once as a ``(records, prefix + payload + suffix)`` byte matrix, the
payload columns are sliced out (one copy) and viewed or decoded with the element type;
prefix bytes are available as a matrix through `line_prefixes`. Images without
prefixes/suffixes use the plain ``array`` layout of `pdsgen.data.arrays`.
"""

from __future__ import annotations

import numpy as np

from pdsgen.data import types
from pdsgen.data.io import read_uint8
from pdsgen.errors import DataError, LabelError, UnsupportedError
from pdsgen.model import DataObject


def _geometry(obj: DataObject) -> tuple[int, int, int, int, tuple[int, ...], types.BinaryType]:
    """(records, prefix, payload, suffix, shape, element type) of a prefixed image."""
    name = obj.element_type or ""
    try:
        etype = types.binary_type(name)
    except KeyError:
        raise UnsupportedError(f"unknown image sample type {obj.label_element_type or name!r}",
                               path=str(obj.file), obj=obj.name) from None
    if etype.itemsize is None:
        raise UnsupportedError(f"sample type {name} has no fixed size", path=str(obj.file), obj=obj.name)
    shape = tuple(a.elements for a in obj.axes)
    if not shape or any(n < 0 for n in shape):
        raise LabelError(f"bad image shape {shape}", path=str(obj.file), obj=obj.name)
    prefix = int(obj.details.get("line_prefix_bytes") or 0)
    suffix = int(obj.details.get("line_suffix_bytes") or 0)
    # One record per stored line: BSQ lines of each band; BIL/BIP lines hold all bands.
    payload = shape[-1] * etype.itemsize
    if len(shape) == 3 and obj.details.get("band_storage_type") in ("LINE_INTERLEAVED", "SAMPLE_INTERLEAVED"):
        payload = shape[1] * shape[2] * etype.itemsize
        records = shape[0]
    else:
        records = int(np.prod(shape[:-1]))
    return records, prefix, payload, suffix, shape, etype


def read_image(obj: DataObject) -> np.ndarray:
    """The image without its line prefixes/suffixes, in storage axis order."""
    records, prefix, payload, suffix, shape, etype = _geometry(obj)
    width = prefix + payload + suffix
    matrix = read_uint8(obj, records * width).reshape(records, width)
    body = np.ascontiguousarray(matrix[:, prefix : prefix + payload])
    count = int(np.prod(shape))
    raw = body.reshape(count, etype.itemsize)
    try:
        return etype.decode(raw).reshape(shape)
    except ValueError as exc:
        raise DataError(f"image samples ({etype.name}): {exc}", path=str(obj.file), obj=obj.name) from None


def line_prefixes(obj: DataObject) -> np.ndarray:
    """The prefix bytes of every stored line, ``(records, prefix)`` uint8."""
    records, prefix, payload, suffix, _shape, _etype = _geometry(obj)
    width = prefix + payload + suffix
    return read_uint8(obj, records * width).reshape(records, width)[:, :prefix].copy()
