"""PDS3 data objects (as pdsgen's PDS3 reader describes them) → PDS4 File_Area objects.

Each function takes one `pdsgen.model.DataObject` read from a PDS3 label and returns the
plain dictionary the migration template renders; nothing here reads data bytes. A PDS3
construct PDS4 cannot express over the same bytes raises `UnsupportedError` naming the
object (and field) and why — migration never rewrites data to make it fit.

| PDS3 | PDS4 |
|---|---|
| TABLE (ASCII), `*_TABLE`, SERIES … | Table_Character |
| TABLE (BINARY) | Table_Binary |
| COLUMN ITEMS / CONTAINER | Group_Field_Character / Group_Field_Binary (nested) |
| COLUMN with BIT_COLUMNs | Field_Binary (UnsignedBitString) with Packed_Data_Fields / Field_Bit |
| SPREADSHEET | Table_Delimited (FIELD ITEMS → Group_Field_Delimited) |
| IMAGE (1 band / n bands) | Array_2D_Image / Array_3D_Image |
| HEADER, `*_HEADER` | Header |
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pdsgen.errors import UnsupportedError
from pdsgen.migrate.vocabulary import (
    BINARY_FIELD_TYPES,
    BIT_TYPES,
    CHARACTER_TYPES,
    NUMERIC_TYPES,
    pds4_data_type,
    pds4_unit,
)
from pdsgen.model import DataObject, Field

_RECORD_DELIMITERS = {"carriage-return line-feed": "Carriage-Return Line-Feed", "line-feed": "Line-Feed"}
_FIELD_DELIMITERS = {"comma": "Comma", "horizontal tab": "Horizontal Tab", "semicolon": "Semicolon",
                     "vertical bar": "Vertical Bar"}
_FORTRAN = re.compile(r"^\s*([AIFEDG])(\d+)(?:\.(\d+))?\s*$", re.IGNORECASE)
_PDS4_FORMAT = re.compile(r"^%[+-]?[0-9]+(\.[0-9]+)?[doxfeEs]$")


@dataclass
class Notes:
    """What a migration decided that a reader of the report should know."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str | None) -> None:
        if text and text not in self.items:
            self.items.append(text)


def constant_text(value: Any) -> str:
    """A PDS3 special-constant value as PDS4 writes it: numbers as themselves, PDS3
    based-integer bit patterns of real fields (``16#FF7FFFFB#``) as ``0xFF7FFFFB``."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    text = str(value).strip()
    m = re.fullmatch(r"16#([0-9A-Fa-f]+)#", text)
    return f"0x{m.group(1).upper()}" if m else text


def field_format(pds3_format: str | None) -> str | None:
    """PDS3 FORTRAN-style FORMAT → PDS4 field_format (``F13.5`` → ``%13.5f``); None when
    the PDS3 format has no PDS4 form."""
    if not pds3_format:
        return None
    m = _FORTRAN.match(pds3_format)
    if not m:
        return None
    kind, width, prec = m.group(1).upper(), m.group(2), m.group(3)
    conv = {"A": "s", "I": "d", "F": "f", "E": "e", "D": "e", "G": "e"}[kind]
    out = f"%{width}{'.' + prec if prec is not None and kind != 'A' else ''}{conv}"
    return out if _PDS4_FORMAT.match(out) else None


def _unit(text: str | None, units: dict[str, str]) -> tuple[str | None, str | None]:
    """(PDS4 unit, note): the --map's [units] first, then the PDS4 unit vocabulary."""
    if text is not None and text in units:
        return units[text], None
    return pds4_unit(text)


_REAL_IN_INTEGER = "real number in an integer field"


def _date_type(base: str, values: np.ndarray, where: str) -> str:
    """PDS3 DATE/TIME text → the PDS4 calendar (``_YMD``) or day-of-year (``_DOY``) type,
    decided from the values (PDS3 allows both forms under one type): the date part holds
    two dashes (YMD) or one (DOY) in every non-blank value."""
    flat = np.char.strip(values.reshape(-1).astype("S") if values.dtype.kind == "U" else values.reshape(-1))
    date_part = np.char.partition(flat, b"T")[:, 0]
    dashes = np.char.count(date_part, b"-")[np.char.str_len(flat) > 0]
    if dashes.size == 0 or (dashes == 2).all():
        return f"{base}_YMD"
    if (dashes == 1).all():
        return f"{base}_DOY"
    raise UnsupportedError(f"{where}: PDS3 {base.removeprefix('ASCII_').upper()} values mix calendar and "
                           "day-of-year dates; no single PDS4 type describes them")


def _field_item(f: Field, *, location: int | None, length: int, allowed: frozenset[str], where: str,
                notes: Notes, units: dict[str, str], data: np.ndarray | None = None,
                real_in_integer: frozenset[str] = frozenset()) -> dict[str, Any]:
    source_type = f.data_type
    if source_type in ("ASCII_Date_Time", "ASCII_Date") and data is not None:
        source_type = _date_type(source_type, data[f.name], f"{where}: field {f.name!r}")
    elif source_type == "ASCII_Integer" and f.name in real_in_integer:
        source_type = "ASCII_Real"
        notes.add(f"{where}: field {f.name!r}: PDS3 ASCII_INTEGER holding real numbers (e.g. 1.00000) is "
                  "described as ASCII_Real (same values)")
    data_type = pds4_data_type(source_type, allowed, where=f"{where}: field {f.name!r}",
                               label_type=f.label_data_type)
    unit, note = _unit(f.unit, units)
    notes.add(f"{where}: field {f.name!r}: {note}" if note else None)
    return {
        "kind": "field", "name": f.name, "location": location, "length": length, "data_type": data_type,
        "field_format": field_format(f.field_format) if data_type in CHARACTER_TYPES else None,
        "unit": unit, "scaling_factor": f.scaling_factor, "value_offset": f.value_offset,
        "description": f.description,
        "special_constants": {k: constant_text(v) for k, v in f.special_constants.items()},
    }


@dataclass
class _Packed:
    """A PDS3 COLUMN holding BIT_COLUMNs: a bit-string Field_Binary with Packed_Data_Fields."""

    name: str
    location: int
    length: int
    bits: list[Field] = field(default_factory=list)

    def start(self) -> int:
        return self.location


@dataclass
class _Group:
    name: str
    repetitions: int
    stride: int
    children: list[Any] = field(default_factory=list)  # _Group | (Field, level)

    def start(self) -> int:
        return min(c.location if isinstance(c, Field) else c.start() for c in self.children)


def _tree(fields: list[Field]) -> list[Any]:
    """Nest fields into groups: one group per CONTAINER (fields sharing the container's
    name, repetitions and stride) and one per ITEMS column."""
    root: list[Any] = []
    for f in fields:
        if f.bits is None and "bit_range" in f.extra:
            raise UnsupportedError(f"field {f.name!r}: a BIT_COLUMN straddling the bytes of a little-endian "
                                   "column has no PDS4 form (Field_Bit counts bits in storage order)")
        level = root
        for i, (reps, stride) in enumerate(zip(f.shape, f.strides, strict=True)):
            is_container = i < len(f.group_path)
            name = f.group_path[i] if is_container else f.name
            found = None
            if is_container:
                found = next((g for g in level if isinstance(g, _Group) and g.name == name
                              and g.repetitions == reps and g.stride == stride), None)
            if found is None:
                found = _Group(name, reps, stride)
                level.append(found)
            level = found.children
        if f.bits is not None:  # a BIT_COLUMN: its parent column's name ends group_path
            parent = f.group_path[-1] if len(f.group_path) > len(f.shape) else f.name
            packed = next((p for p in level if isinstance(p, _Packed) and p.name == parent
                           and (p.location, p.length) == (f.location, f.length)), None)
            if packed is None:
                if any(isinstance(p, _Packed) and p.name == parent for p in level):
                    raise UnsupportedError(f"column {parent!r}: BIT_COLUMNs of a little-endian column lie in "
                                           "different bytes; PDS4 Packed_Data_Fields count bits in storage order")
                packed = _Packed(parent, f.location, f.length)
                level.append(packed)
            packed.bits.append(f)
            continue
        level.append(f)
    return root


def _items(nodes: list[Any], base: int, *, delimited: bool, allowed: frozenset[str], where: str,
           notes: Notes, units: dict[str, str], data: np.ndarray | None = None,
           real_in_integer: frozenset[str] = frozenset()) -> tuple[list[dict[str, Any]], int, int]:
    out: list[dict[str, Any]] = []
    n_fields = n_groups = 0
    for node in nodes:
        if isinstance(node, _Packed):
            n_fields += 1
            bits = []
            for k, b in enumerate(node.bits, 1):
                assert b.bits is not None
                item = _field_item(b, location=None, length=b.length, allowed=BIT_TYPES, where=where, notes=notes,
                                   units=units)
                bits.append({**item, "number": k, "start_bit": b.bits[0] + 1, "stop_bit": b.bits[1] + 1})
            out.append({"kind": "packed", "name": node.name, "number": n_fields,
                        "location": node.location - base + 1, "length": node.length,
                        "data_type": "UnsignedBitString", "bits": bits})
        elif isinstance(node, _Group):
            start = node.start()
            kids, kf, kg = _items(node.children, start, delimited=delimited, allowed=allowed, where=where,
                                  notes=notes, units=units, data=data, real_in_integer=real_in_integer)
            n_groups += 1
            out.append({"kind": "group", "name": node.name, "number": n_groups, "repetitions": node.repetitions,
                        "fields": kf, "groups": kg, "location": None if delimited else start - base + 1,
                        "length": node.repetitions * node.stride, "items": kids})
        else:
            n_fields += 1
            item = _field_item(node, location=None if delimited else node.location - base + 1,
                               length=node.length, allowed=allowed, where=where, notes=notes, units=units,
                               data=data, real_in_integer=real_in_integer)
            item["number"] = n_fields
            out.append(item)
    return out, n_fields, n_groups


def describe_table(obj: DataObject, *, notes: Notes, units: dict[str, str]) -> dict[str, Any]:
    """``obj.data`` is read (it is compared with the PDS4 reading afterwards anyway): PDS3
    types whose PDS4 counterpart depends on the values (DATE/TIME forms, ASCII_INTEGER
    columns holding reals, which the PDS3 reader accepts with a warning) are decided from it."""
    where = f"object {obj.name!r}"
    data = obj.data
    real_in_integer = frozenset(w.field for w in obj.warnings
                                if w.field and w.message.startswith(_REAL_IN_INTEGER))
    kw = {"data": data, "real_in_integer": real_in_integer}
    if obj.records is None:
        raise UnsupportedError(f"{where}: the label gives no ROWS")
    if obj.layout == "delimited":
        if obj.details.get("short_record_count"):
            raise UnsupportedError(f"{where}: {obj.details['short_record_count']} records have fewer fields "
                                   "than the label; PDS4 Table_Delimited cannot describe them")
        items, nf, ng = _items(_tree(obj.fields), 0, delimited=True, allowed=CHARACTER_TYPES, where=where,
                               notes=notes, units=units, **kw)
        delim = str(obj.details.get("field_delimiter", "comma"))
        if delim not in _FIELD_DELIMITERS:
            raise UnsupportedError(f"{where}: field delimiter {delim!r} has no PDS4 equivalent")
        return {"class_name": "Table_Delimited", "format": "delimited", "name": obj.name, "offset": obj.offset,
                "records": obj.records, "description": obj.description,
                "record_delimiter": obj.details.get("record_delimiter_pds4", "Carriage-Return Line-Feed"),
                "field_delimiter": _FIELD_DELIMITERS[delim], "fields": nf, "groups": ng, "items": items}
    character = obj.layout == "fixed_character"
    if obj.record_length is None:
        raise UnsupportedError(f"{where}: the label gives no ROW_BYTES")
    items, nf, ng = _items(_tree(obj.fields), 0, delimited=False,
                           allowed=CHARACTER_TYPES if character else BINARY_FIELD_TYPES, where=where,
                           notes=notes, units=units, **kw)
    delim = str(obj.details.get("record_delimiter") or "")
    if character and delim not in _RECORD_DELIMITERS:
        raise UnsupportedError(f"{where}: ASCII table records end in {delim or 'nothing'!r}; "
                               "PDS4 Table_Character needs CR LF or LF")
    return {"class_name": "Table_Character" if character else "Table_Binary",
            "format": "character" if character else "binary", "name": obj.name, "offset": obj.offset,
            "records": obj.records, "description": obj.description,
            "record_delimiter": _RECORD_DELIMITERS.get(delim) if character else None,
            "record_length": obj.record_length, "fields": nf, "groups": ng, "items": items}


_AXIS = {"LINE": "Line", "SAMPLE": "Sample", "BAND": "Band"}


def describe_image(obj: DataObject, *, notes: Notes, units: dict[str, str]) -> dict[str, Any]:
    where = f"object {obj.name!r}"
    d = obj.details
    for key in ("line_prefix_bytes", "line_suffix_bytes"):
        if d.get(key):
            raise UnsupportedError(f"{where}: {key.upper()} = {d[key]}: PDS4 arrays have no per-line "
                                   "prefix/suffix; describing them would need a rewritten data file")
    bits = d.get("sample_bits")
    if bits is not None and int(bits) % 8:
        raise UnsupportedError(f"{where}: SAMPLE_BITS = {bits} (packed samples) has no PDS4 array type")
    if d.get("band_special_constants"):
        raise UnsupportedError(f"{where}: per-band special constants have no PDS4 form")
    data_type = pds4_data_type(str(obj.element_type), NUMERIC_TYPES, where=where,
                               label_type=obj.label_element_type)
    names = [_AXIS.get(a.name.upper()) for a in obj.axes]
    if None in names:
        raise UnsupportedError(f"{where}: axes {[a.name for a in obj.axes]} are not LINE/SAMPLE/BAND")
    axes = [{"axis_name": n, "elements": a.elements, "sequence_number": i + 1}
            for i, (n, a) in enumerate(zip(names, obj.axes, strict=True))]
    if len(axes) == 3 and axes[0]["elements"] == 1:
        axes = [dict(a, sequence_number=i + 1) for i, a in enumerate(axes[1:])]
    if len(axes) not in (2, 3):
        raise UnsupportedError(f"{where}: {len(axes)} axes; an image has 2 or 3")
    unit, note = _unit(obj.unit, units)
    notes.add(f"{where}: {note}" if note else None)
    return {"class_name": "Array_2D_Image" if len(axes) == 2 else "Array_3D_Image", "name": obj.name,
            "offset": obj.offset, "axes": axes, "ndim": len(axes), "data_type": data_type, "unit": unit,
            "scaling_factor": obj.scaling_factor, "value_offset": obj.value_offset,
            "description": obj.description,
            "special_constants": {k: constant_text(v) for k, v in obj.special_constants.items()}}


def describe_header(obj: DataObject, *, length: int | None) -> dict[str, Any]:
    size = obj.size if obj.size is not None else length
    if not size:
        raise UnsupportedError(f"object {obj.name!r}: the header's length is not known")
    kind = str(obj.details.get("header_type") or "").upper()
    standard = {"FITS": "FITS 3.0", "VICAR": "VICAR2", "VICAR2": "VICAR2", "ISIS": "ISIS2"}.get(kind,
                                                                                              "7-Bit ASCII Text")
    return {"name": obj.name, "offset": obj.offset, "object_length": size, "parsing_standard_id": standard,
            "description": obj.description}
