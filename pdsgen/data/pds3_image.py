"""PDS3 IMAGE objects whose lines carry prefix or suffix bytes (LINE_PREFIX/SUFFIX_BYTES).

The image is read once as a ``(records, prefix + payload + suffix)`` byte matrix, the
payload columns are sliced out (one copy) and viewed or decoded with the element type;
prefix bytes are available as a matrix through `line_prefixes`. Images without
prefixes/suffixes use the plain ``array`` layout of `pdsgen.data.arrays`.

Packed samples (SAMPLE_BITS not a multiple of 8: 12-bit, 1-bit ...) also come here:
each stored line starts on a byte boundary and holds its samples as one continuous bit
stream; `unpack_samples` turns the whole payload matrix into integers with numpy bit
arithmetic (one pass per bit of a sample, never per pixel).
"""

from __future__ import annotations

import math

import numpy as np

from pdsgen.data import types
from pdsgen.data.io import read_uint8
from pdsgen.data.values import constant_value
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
    per_line = shape[-1]
    if len(shape) == 3 and obj.details.get("band_storage_type") in ("LINE_INTERLEAVED", "SAMPLE_INTERLEAVED"):
        per_line = shape[1] * shape[2]
        records = shape[0]
    else:
        records = int(np.prod(shape[:-1]))
    bits = _packed_bits(obj)
    payload = -(-per_line * bits // 8) if bits else per_line * etype.itemsize
    return records, prefix, payload, suffix, shape, etype


def _packed_bits(obj: DataObject) -> int | None:
    bits = int(obj.details.get("sample_bits") or 0)
    return bits if bits % 8 else None


def unpack_samples(lines: np.ndarray, count: int, bits: int, order: str, signed: bool) -> np.ndarray:
    """The first *count* *bits*-bit samples of each row of a uint8 matrix ``(lines, bytes)``.

    ``order`` "MSB": samples fill bytes from their most significant bit, each sample
    written most significant bit first (12-bit: ``s0 = b0 << 4 | b1 >> 4``). "LSB": the
    bit stream starts at bit 0 of each byte, each sample least significant bit first
    (``s0 = b0 | (b1 & 0xF) << 8``). Returns ``(lines, count)`` of the smallest
    (un)signed integer type holding *bits* bits; signed values are two's complement.

    Bit offsets repeat every ``lcm(bits, 8)`` bits (12-bit: 2 samples in 3 bytes), so the
    lines are viewed as ``(lines, groups, group bytes)`` and each of the few samples of a
    group is assembled from its bytes (strided column views of the whole image) and
    shifted into place; samples over 57 bits (up to 9 bytes) go bit by bit.
    """
    size = next(n for n in (1, 2, 4, 8) if 8 * n >= bits)
    big = order != "LSB"
    nlines = lines.shape[0]
    if bits <= 57:
        per_group = math.lcm(bits, 8) // bits
        group_bytes = per_group * bits // 8
        groups = -(-count // per_group)
        need = groups * group_bytes
        matrix = lines[:, :need]
        if matrix.shape[1] < need:
            matrix = np.zeros((nlines, need), dtype=np.uint8)
            matrix[:, : lines.shape[1]] = lines
        grouped = matrix.reshape(nlines, groups, group_bytes)
        out = np.empty((nlines, groups * per_group), dtype=f"u{size}")
        for k in range(per_group):  # at most 8 samples a group, each over the whole image
            first, skew = divmod(k * bits, 8)
            nbytes = (skew + bits + 7) // 8
            wtype = np.uint32 if nbytes <= 4 else np.uint64
            word = np.zeros((nlines, groups), dtype=wtype)
            for j in range(nbytes):
                word |= np.left_shift(grouped[:, :, first + j].astype(wtype),
                                      wtype(8 * (nbytes - 1 - j) if big else 8 * j))
            shift = 8 * nbytes - skew - bits if big else skew
            out[:, k::per_group] = (word >> wtype(shift)) & wtype((1 << bits) - 1)
        out = out[:, :count]
    else:
        stream = np.unpackbits(lines, axis=1, bitorder="big" if big else "little")
        stream = stream[:, : count * bits].reshape(nlines, count, bits)
        out = np.zeros((nlines, count), dtype=f"u{size}")
        for k in range(bits):  # one vectorised pass per bit position of a sample
            weight = bits - 1 - k if big else k
            out |= stream[:, :, k].astype(out.dtype) << out.dtype.type(weight)
    if not signed:
        return out
    # Two's complement: move the sign bit to the top, then an arithmetic shift back.
    pad = 8 * size - bits
    shifted: np.ndarray = (out << out.dtype.type(pad)).view(f"i{size}") >> np.dtype(f"i{size}").type(pad)
    return shifted


def read_image(obj: DataObject) -> np.ndarray:
    """The image without its line prefixes/suffixes, in storage axis order."""
    records, prefix, payload, suffix, shape, etype = _geometry(obj)
    width = prefix + payload + suffix
    matrix = read_uint8(obj, records * width).reshape(records, width)
    body = np.ascontiguousarray(matrix[:, prefix : prefix + payload])
    count = int(np.prod(shape))
    bits = _packed_bits(obj)
    if bits:
        order = str(obj.details.get("packed_bit_order") or "MSB")
        signed = (obj.element_type or "").startswith("Signed")
        return unpack_samples(body, count // max(records, 1), bits, order, signed).reshape(shape)
    assert etype.itemsize is not None  # _geometry refuses types without a fixed size
    raw = body.reshape(count, etype.itemsize)
    try:
        return etype.decode(raw).reshape(shape)
    except ValueError as exc:
        raise DataError(f"image samples ({etype.name}): {exc}", path=str(obj.file), obj=obj.name) from None


def _band_shape(obj: DataObject, values: np.ndarray) -> list[int] | None:
    """The shape that lays one value per band along ``values``' BAND axis (1 elsewhere),
    None when the object has no BAND axis."""
    names = [a.name.upper() for a in obj.axes]
    if "BAND" not in names:
        return None
    shape = [1] * values.ndim
    shape[names.index("BAND")] = values.shape[names.index("BAND")]
    return shape


def band_special_mask(obj: DataObject, values: np.ndarray) -> np.ndarray | None:
    """True where a sample equals its own band's special constant
    (``details["band_special_constants"]``: one value per band, from a per-band
    MISSING_CONSTANT / INVALID_CONSTANT ... list)."""
    per_band = obj.details.get("band_special_constants") or {}
    shape = _band_shape(obj, values)
    if not per_band or shape is None:
        return None
    mask = np.zeros(values.shape, dtype=bool)
    for constants in per_band.values():
        converted = [constant_value(c, values.dtype) for c in constants]
        known = np.array([c is not None for c in converted]).reshape(shape)
        table = np.array([c if c is not None else 0 for c in converted]).astype(values.dtype, copy=False)
        with np.errstate(invalid="ignore"):
            mask |= (values == table.reshape(shape)) & known
    return mask if mask.any() else None


def band_scaled(obj: DataObject, values: np.ndarray) -> np.ndarray:
    """``values`` (physical, special constants masked) with each band's own SCALING_FACTOR
    and OFFSET applied (``details["band_scaling"]``: PDS3 Standards Reference, IMAGE object:
    true value = OFFSET + SCALING_FACTOR × stored value, here one pair per band)."""
    per_band = obj.details.get("band_scaling")
    shape = _band_shape(obj, values)
    if not per_band or shape is None:
        return values
    scale = np.asarray(per_band["scaling_factor"], dtype=np.float64).reshape(shape)
    offset = np.asarray(per_band["value_offset"], dtype=np.float64).reshape(shape)
    out = np.ma.getdata(values).astype(np.float64) * scale + offset
    return np.ma.MaskedArray(out, mask=values.mask) if isinstance(values, np.ma.MaskedArray) else out


def physical_image(obj: DataObject) -> np.ndarray:
    """`pdsgen.data.physical_data` of an image (per-band constants masked too)."""
    from pdsgen.data import physical_data

    values: np.ndarray = physical_data(obj)
    return values


def line_prefixes(obj: DataObject) -> np.ndarray:
    """The prefix bytes of every stored line, ``(records, prefix)`` uint8."""
    records, prefix, payload, suffix, _shape, _etype = _geometry(obj)
    width = prefix + payload + suffix
    return read_uint8(obj, records * width).reshape(records, width)[:, :prefix].copy()
