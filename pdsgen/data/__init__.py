"""Byte readers shared by PDS3 and PDS4: `read_object`, `physical_data`, `to_table`.

Label readers describe objects with `pdsgen.model`; this package turns those
descriptions into numpy data, one reader per ``DataObject.layout``:

=================  ==========================================  ======================
layout             reader                                      ``.data``
=================  ==========================================  ======================
fixed_character    `pdsgen.data.fixed.read_fixed`              structured array
fixed_binary       `pdsgen.data.fixed.read_fixed`              structured array
delimited          `pdsgen.data.delimited.read_delimited`      structured array
array              `pdsgen.data.arrays.read_array`             n-d array
fits               `pdsgen.data.arrays.read_fits`              n-d array
header             `pdsgen.data.arrays.read_header`            bytes
text               `pdsgen.data.arrays.read_text`              str
=================  ==========================================  ======================

Table arrays are ``np.ma.MaskedArray`` only when some numeric text value is blank.
``.data`` holds stored values; `physical_data` / `to_table` apply special constants
(masked) and scaling. Element types live in the registry `pdsgen.data.types`
(``register_binary_type`` / ``register_character_type``; see its docstring), layouts in
`register_layout` here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from pdsgen.errors import DataError, PdsgenError, UnsupportedError
from pdsgen.model import DataObject, Field
from pdsgen.plugins import Registry
from pdsgen.times import MixedTimeForms, to_time

if TYPE_CHECKING:
    from astropy.table import Table
    from astropy.time import Time

LayoutReader = Callable[[DataObject], Any]


def _builtin_layouts() -> None:
    """Register the built-in readers once (lazily: their modules import numpy/pyarrow)."""
    from pdsgen.data import arrays, delimited, fixed

    for layout, reader in (
        ("fixed_character", fixed.read_fixed),
        ("fixed_binary", fixed.read_fixed),
        ("delimited", delimited.read_delimited),
        ("array", arrays.read_array),
        ("fits", arrays.read_fits),
        ("header", arrays.read_header),
        ("text", arrays.read_text),
    ):
        LAYOUTS.register(layout, reader, priority=0)


#: ``DataObject.layout`` → reader (`pdsgen.registry.Registry`: built-ins at priority 0).
LAYOUTS: Registry[LayoutReader] = Registry("data layout", loader=_builtin_layouts)


def register_layout(layout: str, reader: LayoutReader, *, priority: int = 0, replace: bool = False) -> None:
    """Register the reader for a ``DataObject.layout``; a higher ``priority`` than the
    built-in's (0) overrides it, the same priority is an error unless ``replace=True``."""
    LAYOUTS.register(layout, reader, priority=priority, replace=replace)


def read_object(obj: DataObject) -> Any:
    """Read one object's data as stored (see the table in the module docstring)."""
    if obj.error is not None:
        raise obj.error
    from pdsgen.data.io import check_description

    check_description(obj)
    reader = LAYOUTS.get(obj.layout) if obj.layout in LAYOUTS else None
    if reader is None:
        raise UnsupportedError(
            f"{obj.label_type} objects are described but pdsgen does not read their data",
            path=str(obj.file),
            obj=obj.name,
        )
    try:
        data = reader(obj)
    except PdsgenError:
        raise
    except (ValueError, TypeError, OSError, MemoryError) as exc:
        # The label and the bytes disagree in a way no check above foresaw: still one clear line.
        raise DataError(f"cannot read data: {type(exc).__name__}: {exc}", path=str(obj.file), obj=obj.name) from exc
    if obj.strict and obj.kind == "table":
        # strict: text deviations raise from .data too (lenient reading checks them when
        # the text is decoded, off the fast path)
        for f, name in zip(obj.fields, column_names(obj), strict=True):
            values = np.ma.getdata(data[name])
            if values.dtype.kind == "S" and f.data_type.startswith("ASCII_"):
                _check_ascii(obj, f, values)
    return data


def column_names(obj: DataObject) -> list[str]:
    """The structured-array field names of a table object, in label order."""
    from pdsgen.data.io import column_names as names

    return names(obj)


def physical_data(obj: DataObject) -> Any:
    """Values with special constants masked and scaling applied (like pds4_tools' ``.data``).

    Arrays: an (optionally masked) n-d array. Tables: a dict ``name → array`` in label
    order (fields can change dtype under scaling, so one structured array cannot hold them).
    """
    from pdsgen.data.values import physical

    data = obj.data
    if obj.kind == "array":
        values = np.asarray(data)
        mask = None
        if obj.details.get("band_special_constants"):  # PDS3: one constant per band
            from pdsgen.data.pds3_image import band_special_mask

            mask = band_special_mask(obj, values)
        scaled = physical(values, obj.scaling_factor, obj.value_offset, obj.special_constants, mask)
        if obj.details.get("band_scaling"):  # PDS3: one SCALING_FACTOR / OFFSET per band
            from pdsgen.data.pds3_image import band_scaled

            scaled = band_scaled(obj, scaled)
        return scaled
    if obj.kind != "table":
        return data
    return {name: physical_column(obj, f, name) for f, name in zip(obj.fields, column_names(obj), strict=True)}


def physical_column(obj: DataObject, f: Field, name: str) -> np.ndarray:
    """One field of a table as `physical_data` gives it (``name``: its column in ``.data``)."""
    from pdsgen.data.values import physical

    data = obj.data
    masked = isinstance(data, np.ma.MaskedArray)
    values = np.asarray(data[name]) if not masked else np.ma.getdata(data[name])
    if values.dtype.kind == "S" and f.data_type.startswith("ASCII_"):
        _check_ascii(obj, f, values)
    mask = np.ma.getmaskarray(data)[name] if masked else None
    if mask is not None and not mask.any():
        mask = None
    per_item = f.extra.get("item_special_constants")
    if per_item:  # PDS3: one constant per item of an ITEMS column
        from pdsgen.data.values import special_mask

        own = np.zeros(values.shape, dtype=bool)
        for key, vals in per_item.items():
            for i, v in enumerate(vals):
                m = special_mask(values[..., i], {key: v})
                if m is not None:
                    own[..., i] |= m
        mask = own if mask is None else (mask | own)
    scaled = physical(values, f.scaling_factor, f.value_offset, f.special_constants, mask)
    item_scaling = f.extra.get("item_scaling")
    if item_scaling:  # PDS3: one SCALING_FACTOR / OFFSET per item of an ITEMS column
        factor = np.asarray(item_scaling["scaling_factor"], dtype=np.float64)
        offset = np.asarray(item_scaling["value_offset"], dtype=np.float64)
        kept = np.ma.getmaskarray(scaled) if isinstance(scaled, np.ma.MaskedArray) else None
        scaled = np.ma.getdata(scaled).astype(np.float64) * factor + offset
        if kept is not None:
            scaled = np.ma.MaskedArray(scaled, mask=kept)
    return scaled


@functools.lru_cache(maxsize=4096)  # astropy's failure path ("did you mean") costs ~10 ms
def _unit(text: str | None, pds3: bool = False) -> Any:
    """The label's unit for astropy. PDS4 units are astropy-compatible as written; PDS3
    labels shout (``KM/S``, ``DN/S``: DN per second, not per siemens) and use archive
    spellings (``COUNTS``), so they go through `pdsgen.units` first. A unit nobody can
    parse stays a named `UnrecognizedUnit`, never an error or a wrong unit."""
    if not text:
        return None
    from astropy import units as u

    from pdsgen.units import read_unit

    if not pds3:
        try:
            return u.Unit(text, parse_strict="raise")
        except (ValueError, TypeError):
            pass
    return read_unit(text)


def _check_ascii(obj: DataObject, f: Field, values: np.ndarray) -> None:
    """Warn (once per field) when an ASCII_* field holds bytes above 127; values stay bytes."""
    from pdsgen.data.fixed import warn_text
    from pdsgen.data.text import non_ascii

    bad = non_ascii(values)
    if bad is not None:
        warn_text(obj, f, bad, values, f"{f.data_type} value holds bytes that are not 7-bit ASCII: kept")


def decode_text(values: np.ndarray) -> np.ndarray:
    """Text columns as ``str``: UTF-8, Latin-1 for the values that are not UTF-8."""
    from pdsgen.data.text import decode

    if isinstance(values, np.ma.MaskedArray):
        return np.ma.MaskedArray(decode_text(values.data), mask=values.mask)
    if values.dtype.kind == "S":
        return decode(values)[0]
    return values


def to_table(obj: DataObject, times: str | None = None) -> Table:
    """An `astropy.table.Table` of a table or array object, with label units.

    Special constants and blank values are masked, scaling applied, text as ``str``.
    A 1-D array gives one column; an n-d array one row per first-axis index.
    ``times="Time"``: date/time fields (``ASCII_Date_Time…``, PDS3 ``TIME``/``DATE``)
    become `astropy.time.Time` columns (UTC; ISO and day-of-year forms; blanks masked).
    """
    from astropy.table import Column, MaskedColumn, Table

    if times not in (None, "Time"):
        raise ValueError(f"times must be None or 'Time', not {times!r}")

    if obj.kind not in ("table", "array"):
        raise UnsupportedError(f"{obj.kind} objects have no table form", path=str(obj.file), obj=obj.name)
    meta = {"name": obj.name, "label_type": obj.label_type}
    if obj.description:
        meta["description"] = obj.description
    values = physical_data(obj)
    if obj.kind == "array":
        items = [(obj.name, values, obj.unit, obj.description)]
    else:
        items = [
            (name, values[name], f.unit, f.description)
            for f, name in zip(obj.fields, column_names(obj), strict=True)
        ]
    # PDS3 object names are upper-case ODL identifiers (TABLE, IMAGE); PDS4 classes are not.
    pds3 = obj.label_type.isupper()
    columns = []
    for name, col, unit, description in items:
        col = decode_text(col)
        if times and obj.kind == "table" and _is_time(obj, name):
            col = _as_time(col, obj, name)
            col.info.description = description
            columns.append(col)
            continue
        cls = MaskedColumn if isinstance(col, np.ma.MaskedArray) else Column
        columns.append(cls(col, name=name, unit=_unit(unit, pds3), description=description))
    return Table(columns, names=[item[0] for item in items], meta=meta, copy=False)


def _is_time(obj: DataObject, name: str) -> bool:
    f = obj.fields[column_names(obj).index(name)]
    return f.data_type.startswith(("ASCII_Date", "ASCII_Time")) and not f.shape


def _as_time(col: np.ndarray, obj: DataObject, name: str) -> Time:
    """Date/time text → `astropy.time.Time` (UTC). ISO (``2004-07-01T00:00:38.9Z``) and
    day-of-year (``2004-183T00:00:38.9``) forms, one form per column; blanks masked."""
    from astropy.time import Time

    mask = np.ma.getmaskarray(col) if isinstance(col, np.ma.MaskedArray) else np.zeros(len(col), bool)
    text = np.char.rstrip(np.char.strip(np.asarray(np.ma.getdata(col), dtype=str)), "Z")
    mask = mask | (np.char.str_len(text) == 0)
    good = text[~mask]
    if good.size == 0:  # nothing to parse: every value masked
        return _masked_time(Time(np.full(len(text), "2000-01-01T00:00:00"), format="isot", scale="utc"), mask)
    filled = np.full(len(text), good[0], dtype=good.dtype)  # masked entries: a valid time
    filled[~mask] = good
    try:
        out = to_time(filled)
    except MixedTimeForms:
        raise DataError(f"field {name!r} mixes ISO and day-of-year times", path=str(obj.file),
                        obj=obj.name) from None
    except ValueError as exc:
        raise DataError(f"field {name!r}: not a time: {exc}", path=str(obj.file), obj=obj.name) from exc
    return _masked_time(out, mask)


def _masked_time(t: Time, mask: np.ndarray) -> Time:
    if mask.any():
        t = t.copy()
        t[mask] = np.ma.masked
    return t


from pdsgen.data.describe import print_summary, summary  # noqa: E402 - after the names describe uses

__all__ = ["column_names", "decode_text", "physical_column", "physical_data", "print_summary", "summary", "read_object", "register_layout", "to_table"]
