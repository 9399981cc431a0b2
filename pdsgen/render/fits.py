"""FITS products: the file is written by astropy.io.fits; the PDS4 label describes each
HDU as a Header plus an Array_* (image HDU) or Table_Binary (binary-table HDU) at the
byte offsets astropy reports, with BSCALE/BZERO (TSCALn/TZEROn) as scaling_factor/value_offset."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from pdsgen.errors import DataError, UnsupportedError
from pdsgen.model import Field
from pdsgen.render.arrays import ArrayInfo, encode_array
from pdsgen.render.columns import Column, columns_from
from pdsgen.render.encode import _statistics, binary_types

_BITPIX: dict[int, np.dtype[Any]] = {8: np.dtype("u1"), 16: np.dtype(">i2"), 32: np.dtype(">i4"), 64: np.dtype(">i8"),
           -32: np.dtype(">f4"), -64: np.dtype(">f8")}


def fits_bytes(data: Any, *, header: dict[str, Any] | None = None, extname: str = "DATA") -> bytes:
    """The FITS file: an image in the primary HDU, or a table in a BINTABLE extension."""
    from astropy.io import fits

    if isinstance(data, np.ndarray) and data.dtype.names is None:
        if data.dtype.kind == "b":
            data = data.astype(np.uint8)
        hdul = fits.HDUList([fits.PrimaryHDU(np.asarray(data))])
    else:
        from astropy.table import Table

        cols = columns_from(data)
        t = Table()
        for c in cols:
            if c.mask is not None:
                raise DataError(f"column {c.name!r} is masked; FITS tables need explicit fill values")
            if c.kind == "datetime":
                raise UnsupportedError(f"column {c.name!r}: write times as ISO strings in FITS tables")
            values = c.values.astype(np.uint8) if c.kind == "bool" else c.values
            if c.kind == "str" and values.dtype.kind != "S":
                try:
                    values = np.char.encode(values.astype(str), "ascii")
                except UnicodeEncodeError as exc:
                    raise DataError(f"column {c.name!r} holds non-ASCII text, which FITS "
                                    "tables cannot carry") from exc
            t[c.name] = values
            if c.unit:
                t[c.name].unit = c.unit
        table = fits.table_to_hdu(t)
        table.name = extname
        hdul = fits.HDUList([fits.PrimaryHDU(), table])
    for key, value in (header or {}).items():
        hdul[0].header[key] = value
    buf = io.BytesIO()
    hdul.writeto(buf, output_verify="exception")
    return buf.getvalue()


def describe_fits(raw: bytes, *, statistics: bool = True, axis_names: tuple[str, ...] | None = None,
                  array_class: str | None = None) -> list[dict[str, Any]]:
    """For each HDU: its header's offset/length and an `ArrayInfo` or a table description."""
    from astropy.io import fits

    hdus = []
    with fits.open(io.BytesIO(raw)) as hdul:
        for i, hdu in enumerate(hdul):
            info = hdul.fileinfo(i)
            entry: dict[str, Any] = {
                "index": i,
                "name": hdu.name or f"HDU{i}",
                "header_offset": info["hdrLoc"],
                "header_length": info["datLoc"] - info["hdrLoc"],
                "data_offset": info["datLoc"],
                "array": None,
                "table": None,
            }
            h = hdu.header
            if isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU) and h.get("NAXIS", 0) > 0:
                stored = _BITPIX[h["BITPIX"]]
                shape = tuple(h[f"NAXIS{k}"] for k in range(h["NAXIS"], 0, -1))
                values = np.frombuffer(raw, dtype=stored, count=int(np.prod(shape)),
                                       offset=int(info["datLoc"])).reshape(shape)
                arr_info, _ = encode_array(values, byte_order="big", statistics=statistics,
                                           axis_names=axis_names, array_class=array_class)
                if h.get("BZERO", 0) != 0:
                    arr_info.value_offset = float(h["BZERO"])
                if h.get("BSCALE", 1) != 1:
                    arr_info.scaling_factor = float(h["BSCALE"])
                if arr_info.value_offset is not None or arr_info.scaling_factor is not None:
                    arr_info.minimum = arr_info.maximum = arr_info.mean = arr_info.standard_deviation = None
                arr_info.offset = info["datLoc"]
                arr_info.name = entry["name"]
                entry["array"] = arr_info
            elif isinstance(hdu, fits.BinTableHDU):
                entry["table"] = _table_info(hdu, raw, info["datLoc"], statistics)
            hdus.append(entry)
    return hdus


def _table_info(hdu: Any, raw: bytes, offset: int, statistics: bool) -> dict[str, Any]:
    h = hdu.header
    rows, row_bytes = h["NAXIS2"], h["NAXIS1"]
    if h.get("PCOUNT", 0):
        raise UnsupportedError("FITS tables with variable-length arrays (heap) are not described")
    stored = hdu.data.dtype  # raw big-endian record layout, TZERO not yet applied
    recs = np.frombuffer(raw, dtype=np.dtype({"names": stored.names,
                                              "formats": [stored.fields[n][0] for n in stored.names],
                                              "offsets": [stored.fields[n][1] for n in stored.names],
                                              "itemsize": row_bytes}),
                         count=rows, offset=offset)
    fields = []
    for k, (name, col) in enumerate(zip(stored.names, hdu.columns, strict=True), 1):
        dt, loc = stored.fields[name][0], stored.fields[name][1]
        if dt.shape:
            raise UnsupportedError(f"FITS column {name!r} is a vector ({dt.shape}); not described yet")
        if dt.kind == "S":
            pds4_type, length = "ASCII_String", dt.itemsize
            lo = hi = None
        elif dt.kind in "iuf":
            pds4_type, _ = binary_types(dt, "big")
            length = dt.itemsize
            lo, hi = _statistics(Column.of(name, recs[name])) if statistics else (None, None)
        else:
            raise UnsupportedError(f"FITS column {name!r} of type {col.format} is not described")
        spec = Field(name, pds4_type, loc, length, label_data_type=pds4_type, number=k,
                     unit=str(col.unit) if col.unit else None)
        if col.bzero not in (None, "", 0):
            spec.value_offset = float(col.bzero)
            lo = hi = None
        if col.bscale not in (None, "", 1):
            spec.scaling_factor = float(col.bscale)
            lo = hi = None
        spec.minimum, spec.maximum = lo, hi
        fields.append(spec)
    return {"class_name": "Table_Binary", "format": "binary", "name": hdu.name, "description": None,
            "offset": offset, "records": rows, "record_length": row_bytes, "max_record_length": row_bytes,
            "fields": fields, "field_count": len(fields), "group_count": 0, "byte_order": "big",
            "record_delimiter": None, "field_delimiter": None}


__all__ = ["ArrayInfo", "describe_fits", "fits_bytes"]
