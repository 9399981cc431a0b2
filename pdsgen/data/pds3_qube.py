"""PDS3 QUBE objects (ISIS-style spectral cubes): the core and each suffix plane set as arrays.

Layout (PDS3 Standards Reference, Appendix A.23 QUBE; ISIS qube files). ``AXIS_NAME``
lists the storage axes from the fastest varying to the slowest (``(SAMPLE, LINE, BAND)``
is band sequential, ``(BAND, SAMPLE, LINE)`` band interleaved by pixel), ``CORE_ITEMS``
their core sizes and ``SUFFIX_ITEMS`` how many suffix items follow the core along each
axis, every suffix item ``SUFFIX_BYTES`` long (its value in the first
``<AXIS>_SUFFIX_ITEM_BYTES`` of the slot). With storage axes a0 (fastest), a1, a2, core
sizes n0, n1, n2, suffix counts s0, s1, s2, core item bytes cb and suffix bytes sb:

* a line along a0 is n0 core items then s0 suffix items (sideplanes): ``R = n0 cb + s0 sb``;
* a plane along a1 is n1 such lines then s1 suffix lines (bottomplanes) of ``(n0 + s0) sb``:
  ``P = n1 R + s1 (n0 + s0) sb``;
* the qube is n2 planes then s2 suffix planes (backplanes) of ``(n1 + s1)(n0 + s0) sb``.

Every part is one strided view of the qube's bytes (no loop per item), decoded by the
shared type registry. The core is the object itself (axes slowest first, as every array
of the model); each suffix set is a DataObject of its own named ``<QUBE>.<AXIS>_SUFFIX``
(axis k replaced by the suffix items), so `to_table`, `physical_data` and `export` treat
them like any array. Corner items (suffix of suffix) are not returned.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pdsgen.data import types
from pdsgen.data.io import read_uint8
from pdsgen.errors import DataError, UnsupportedError
from pdsgen.model import DataObject


def geometry(obj: DataObject) -> dict[str, Any]:
    qube: dict[str, Any] = obj.details["qube"]
    return qube


def qube_bytes(core: tuple[int, int, int], suffix: tuple[int, int, int], core_bytes: int, suffix_bytes: int) -> int:
    """Total bytes of a qube (core plus every suffix)."""
    (n0, n1, n2), (s0, s1, s2) = core, suffix
    row = n0 * core_bytes + s0 * suffix_bytes
    plane = n1 * row + s1 * (n0 + s0) * suffix_bytes
    return n2 * plane + s2 * (n1 + s1) * (n0 + s0) * suffix_bytes


def part_view(core: tuple[int, int, int], suffix: tuple[int, int, int], core_bytes: int, suffix_bytes: int,
              part: int | None) -> tuple[int, tuple[int, int, int], tuple[int, int, int]]:
    """(byte offset, shape, strides) of the core (``part=None``) or of the suffix items of
    storage axis ``part``, in C order (slowest axis first: a2, a1, a0)."""
    (n0, n1, n2), (s0, s1, s2) = core, suffix
    cb, sb = core_bytes, suffix_bytes
    row = n0 * cb + s0 * sb
    suffix_row = (n0 + s0) * sb
    plane = n1 * row + s1 * suffix_row
    if part is None:
        return 0, (n2, n1, n0), (plane, row, cb)
    if part == 0:
        return n0 * cb, (n2, n1, s0), (plane, row, sb)
    if part == 1:
        return n1 * row, (n2, s1, n0), (plane, suffix_row, sb)
    back = (n1 + s1) * suffix_row
    return n2 * plane, (s2, n1, n0), (back, suffix_row, sb)


def read_qube(obj: DataObject) -> np.ndarray:
    """The core (or the suffix set ``details["qube"]["part"]``) of a QUBE, values as stored."""
    g = geometry(obj)
    core, suffix = tuple(g["core"]), tuple(g["suffix"])
    cb, sb = g["core_bytes"], g["suffix_bytes"]
    part = g.get("part")
    try:
        etype = types.binary_type(obj.element_type or "")
    except KeyError:
        raise UnsupportedError(f"unknown QUBE item type {obj.label_element_type!r}", path=str(obj.file),
                               obj=obj.name) from None
    item = cb if part is None else g["item_bytes"]
    if etype.itemsize is not None and etype.itemsize != item:
        raise DataError(f"{obj.label_element_type} items are {etype.itemsize} bytes, the label says {item}",
                        path=str(obj.file), obj=obj.name)
    raw = read_uint8(obj, qube_bytes(core, suffix, cb, sb))
    offset, shape, strides = part_view(core, suffix, cb, sb, part)
    if 0 in shape:
        return np.zeros(g["shape"], dtype=etype.dtype or np.float64)
    view = np.lib.stride_tricks.as_strided(raw[offset:], shape=(*shape, item), strides=(*strides, 1),
                                           writeable=False)
    item_index = g.get("item")
    if part is not None and item_index is not None:
        # one suffix item of its own keywords (`pdsgen.pds3.structure._suffix_parts`): its
        # slice along the suffix axis (storage axis ``part`` is C-order axis 2 - part)
        view = np.take(view, [item_index], axis=2 - part)
    try:
        values = etype.decode(np.ascontiguousarray(view))
    except ValueError as exc:
        raise DataError(f"QUBE items ({etype.name}): {exc}", path=str(obj.file), obj=obj.name) from None
    return values.reshape(g["shape"])


__all__ = ["geometry", "part_view", "qube_bytes", "read_qube"]
