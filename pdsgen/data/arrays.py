"""Arrays and images (PDS4 Array*, PDS3 IMAGE/ARRAY), headers, text and FITS HDUs.

Arrays are one ``np.fromfile`` with the element dtype and the label's axis order
(first axis slowest, PDS4 "Last Index Fastest"); element types that need decoding
(registered decoders, e.g. VAX reals from PDS3) read the raw bytes once and decode
them in one vectorised call.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from pdsgen.data import types
from pdsgen.data.io import check_extent, file_size, read_bytes, read_uint8
from pdsgen.errors import DataError, LabelError, UnsupportedError
from pdsgen.model import DataObject


def _element(obj: DataObject) -> types.BinaryType:
    name = obj.element_type
    if not name:
        raise LabelError("array has no element data type", path=str(obj.file), obj=obj.name)
    try:
        return types.binary_type(name)
    except KeyError:
        raise UnsupportedError(
            f"unknown array element data type {obj.label_element_type or name!r}", path=str(obj.file), obj=obj.name
        ) from None


def read_array(obj: DataObject) -> np.ndarray:
    """The n-d array in the label's axis order, values as stored (no scaling)."""
    shape = tuple(a.elements for a in obj.axes)
    if not shape:
        raise LabelError("array has no axes", path=str(obj.file), obj=obj.name)
    if any(n < 0 for n in shape):
        raise LabelError(f"negative axis length in {shape}", path=str(obj.file), obj=obj.name)
    etype = _element(obj)
    # "Last Index Fastest" (PDS4, C order) unless the label says the first index varies fastest.
    order: Literal["C", "F"] = "F" if str(obj.details.get("axis_index_order") or "").lower().startswith("first") else "C"
    count = int(np.prod(shape))
    itemsize = etype.itemsize
    if itemsize is None:
        raise UnsupportedError(f"element type {etype.name} has no fixed size", path=str(obj.file), obj=obj.name)
    nbytes = count * itemsize
    if obj.details.get("fits") and "fits_checked" not in obj.details:
        obj.details["fits_checked"] = True
        for problem in fits_problems(obj):
            obj.warn(problem)
    if etype.dtype is not None:
        check_extent(obj, nbytes)
        if count == 0:
            return np.zeros(shape, dtype=etype.dtype)
        return np.fromfile(obj.file, dtype=etype.dtype, count=count, offset=obj.offset).reshape(shape, order=order)
    raw = read_uint8(obj, nbytes).reshape(count, itemsize)
    try:
        return etype.decode(raw).reshape(shape, order=order)
    except ValueError as exc:
        raise DataError(f"array elements ({etype.name}): {exc}", path=str(obj.file), obj=obj.name) from None


_BITPIX = {8: "u1", 16: "i2", 32: "i4", 64: "i8", -32: "f4", -64: "f8"}


def fits_problems(obj: DataObject) -> list[str]:
    """Where the FITS header of the HDU at the object's offset disagrees with the label.

    The label stays the authority for reading (as in pds4_tools); a disagreement is a
    label (or file) mistake worth reporting, found by astropy.io.fits from the header
    alone (no data read).
    """
    from astropy.io import fits

    try:
        with fits.open(obj.file, memmap=False, lazy_load_hdus=True) as hdul:
            for hdu in hdul:
                info = hdu.fileinfo()
                if not info or info.get("datLoc") != obj.offset:
                    continue
                header = hdu.header
                problems = []
                axes = tuple(header.get(f"NAXIS{i}", 0) for i in range(header.get("NAXIS", 0), 0, -1))
                shape = tuple(a.elements for a in obj.axes)
                if axes and axes != shape:
                    problems.append(f"FITS header has axes {axes}, the label {shape}")
                code = _BITPIX.get(header.get("BITPIX"))
                etype = types.binary_type(obj.element_type) if obj.element_type else None
                # Same size and integer-vs-real is a match: signedness may be a BZERO convention.
                if code and etype is not None and etype.dtype is not None and (
                    np.dtype(code).itemsize != etype.dtype.itemsize or (code[0] == "f") != (etype.dtype.kind == "f")
                ):
                    problems.append(f"FITS BITPIX {header.get('BITPIX')} is {code}, the label's element type "
                                    f"{obj.element_type} is {etype.dtype.str[1:]}")
                return problems
    except (OSError, KeyError, ValueError, TypeError):
        return []
    return [f"no FITS HDU data starts at byte {obj.offset}"]


def read_header(obj: DataObject) -> bytes:
    return read_bytes(obj, obj.size)


def read_text(obj: DataObject) -> str:
    raw = read_bytes(obj, obj.size)
    encoding = str(obj.details.get("encoding") or "utf-8")
    codec = {"ASCII": "ascii", "UTF-8": "utf-8", "UTF8": "utf-8"}.get(encoding.upper(), encoding)
    try:
        return raw.decode(codec)
    except LookupError:
        obj.warn(f"unknown text encoding {encoding!r}: read as UTF-8")
        codec = "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        # Kept: the bytes that are not valid become U+FFFD (the rest of the text is intact).
        obj.warn(f"text is not valid {encoding} from byte {obj.offset + exc.start} on "
                 f"({exc.reason}): invalid bytes replaced by U+FFFD", value=raw[exc.start:exc.start + 8])
        return raw.decode(codec, errors="replace")


def read_fits(obj: DataObject) -> np.ndarray:
    """The data of the FITS HDU whose data starts at the object's offset (astropy.io.fits).

    Values are returned as stored (BSCALE/BZERO not applied: the label's own
    scaling_factor/value_offset is what `to_table` applies). When astropy finds no HDU
    at that offset the label's own description is read as a plain array.
    """
    from astropy.io import fits

    shape = tuple(a.elements for a in obj.axes)
    etype = _element(obj) if obj.kind == "array" and obj.element_type else None
    if etype is not None and etype.itemsize:
        check_extent(obj, int(np.prod(shape)) * etype.itemsize)  # short file: clear error first
    else:
        file_size(obj)
    try:
        with fits.open(obj.file, memmap=False, do_not_scale_image_data=True, lazy_load_hdus=True) as hdul:
            for hdu in hdul:
                info = hdu.fileinfo()
                if info and info.get("datLoc") == obj.offset and hdu.data is not None:
                    data = np.array(hdu.data)
                    if shape and data.shape != shape:
                        if data.size != int(np.prod(shape)):
                            raise DataError(
                                f"FITS HDU at byte {obj.offset} has shape {data.shape}, the label says {shape}",
                                path=str(obj.file),
                                obj=obj.name,
                            )
                        # Same bytes, other axis description: the PDS4 label is the authority.
                        obj.details["fits_shape"] = data.shape
                        data = data.reshape(shape)
                    return data
    except OSError:
        pass  # not a FITS file astropy can parse: fall back to the label's description
    if obj.kind == "array" and obj.element_type:
        return read_array(obj)
    raise DataError(f"no FITS HDU starts at byte {obj.offset}", path=str(obj.file), obj=obj.name)
