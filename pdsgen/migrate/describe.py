"""PDS3 data objects (as pdsgen's PDS3 reader describes them) → PDS4 File_Area objects.

Each function takes one `pdsgen.model.DataObject` read from a PDS3 label and returns the
plain dictionary the migration templates render; only the first bytes of encoded files
(their signature) and text objects (7-bit or UTF-8) are read here. A PDS3
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
| IMAGE with line prefixes/suffixes | Table_Binary, one record per stored line |
| QUBE core / backplanes | Array_3D_Spectrum (Image, Array_3D) / Array_3D |
| ARRAY of ELEMENT, HISTOGRAM | Array_1D / Array_2D / Array_3D |
| COLLECTION, ARRAY of COLLECTION | Table_Binary (one record per cell) |
| HEADER, `*_HEADER`, ISIS HISTORY | Header |
| TEXT | Stream_Text; Document_File in a Product_Document of documents only |
| DOCUMENT (PDF, HTML …) | Document_File of a Product_Document |
| encoded IMAGE / image DOCUMENT | Encoded_Image (Product_Browse or supplemental file area) |
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pdsgen.data.types import java_text
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


def typed_constant_text(value: Any, data_type: str) -> str:
    """`constant_text`, except that a bit pattern of an IEEE 754 real (ISIS ``CORE_NULL =
    16#FF7FFFFB#``) is written as the real number it encodes when that number is finite, and
    as Java writes it (``-3.4028226E38`` for a single): PDS4 readers (pds4_tools) match special
    constants by value, and NASA validate by the element's Java text."""
    text = constant_text(value)
    if text.startswith("0x") and data_type.startswith("IEEE754"):
        width = 4 if data_type.endswith("Single") else 8
        bits = int(text, 16)
        if bits < 1 << (8 * width):
            real = float(np.frombuffer(bits.to_bytes(width, "big"), f">f{width}")[0])
            if np.isfinite(real):
                return java_text(real, single=width == 4)
    return text


#: the values a binary integer type holds (PDS4 data type → (lowest, highest))
_INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "UnsignedByte": (0, 255), "SignedByte": (-128, 127),
    **{f"Unsigned{o}{n}": (0, (1 << (8 * n)) - 1) for o in ("MSB", "LSB") for n in (2, 4, 8)},
    **{f"Signed{o}{n}": (-(1 << (8 * n - 1)), (1 << (8 * n - 1)) - 1) for o in ("MSB", "LSB") for n in (2, 4, 8)},
}


def storable_constants(constants: dict[str, str], data_type: str, where: str, notes: Notes) -> dict[str, str]:
    """``constants`` less those a binary integer ``data_type`` cannot hold (``MISSING_CONSTANT =
    -1`` on an unsigned column, ``1.0E+32`` or ``0.5`` on an integer one): such a value matches no stored value, so the PDS3 reading masks
    nothing with it and leaving it out changes no value — while pds4_tools refuses to read a
    label with it (numpy cannot make it the fill value of the field: ``TypeError``). Each left
    out is a note. A bit pattern (``0xFFFF``) counts by its bits."""
    span = _INTEGER_RANGES.get(data_type)
    if span is None:
        return constants
    kept = {}
    for key, text in constants.items():
        if text.lower().startswith("0x"):
            kept[key] = text
            continue
        try:
            value = float(text)
        except ValueError:
            kept[key] = text  # not a number: left to validation, which names it
            continue
        if value.is_integer() and span[0] <= value <= span[1]:
            kept[key] = text
        else:
            notes.add(f"{where}: {key} {text} cannot occur in {data_type} values ({span[0]} … {span[1]}): "
                      "not written (it masks no value; pds4_tools cannot read a label with it)")
    return kept


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


def _time_of_day(flat: np.ndarray) -> np.ndarray:
    """Which byte strings of ``flat`` (stripped, non-blank) are times of day as PDS4's
    ASCII_Time takes them — ``hh:mm``, ``hh:mm:ss``, ``hh:mm:ss.fff``, each with an optional
    ``Z`` — vectorised over the byte matrix."""
    width = max(flat.dtype.itemsize, 10)
    b = np.frombuffer(np.ascontiguousarray(flat.astype(f"S{width}")).tobytes(), np.uint8).reshape(-1, width)
    length = np.char.str_len(flat)
    core = length - (b[np.arange(len(b)), np.maximum(length - 1, 0)] == ord("Z"))
    digit = (b >= ord("0")) & (b <= ord("9"))
    num = b.astype(np.int16) - ord("0")
    ok = digit[:, [0, 1, 3, 4]].all(1) & (b[:, 2] == ord(":")) & (num[:, 0] * 10 + num[:, 1] <= 23)
    ok &= num[:, 3] <= 5
    secs = (core >= 8) & (b[:, 5] == ord(":")) & digit[:, 6] & digit[:, 7] & (num[:, 6] * 10 + num[:, 7] <= 60)
    pos = np.arange(width)
    frac = (core >= 10) & (b[:, 8] == ord(".")) & (digit | (pos < 9) | (pos >= core[:, None])).all(1)
    out: np.ndarray = ok & ((core == 5) | (secs & ((core == 8) | frac)))
    return out


def _date_type(base: str, values: np.ndarray, where: str, notes: Notes) -> str:
    """PDS3 DATE/TIME text → the PDS4 calendar (``_YMD``) or day-of-year (``_DOY``) type,
    decided from the values (PDS3 allows both forms under one type): the date part holds
    two dashes (YMD) or one (DOY) in every non-blank value. Values no single PDS4 date
    type takes — both forms in one column, placeholders (``UNK``), a blank or slash inside
    (``2004-01-01 12:00:00``, ``01/02/2004``), quotes inside the column's bytes
    (``"2001-01-01T00:00:00"``) — are described as ASCII_String (the same text), with a note."""
    flat = np.char.strip(values.reshape(-1).astype("S") if values.dtype.kind == "U" else values.reshape(-1))
    flat = flat[np.char.str_len(flat) > 0]
    dashes = np.char.count(np.char.partition(flat, b"T")[:, 0], b"-")
    odd = (np.char.count(flat, b" ") + np.char.count(flat, b"/")) > 0
    # quotes inside the column's bytes (index tables whose START_BYTE/BYTES take them in)
    odd |= (np.char.count(flat, b'"') + np.char.count(flat, b"'")) > 0
    # PDS4 date-times take at most 6 digits of a second's fraction (nanosecond clocks write 9)
    odd |= np.char.str_len(np.char.rstrip(np.char.partition(flat, b".")[:, 2], b"Z")) > 6
    if base == "ASCII_Date" and flat.size and (np.char.find(flat, b"T") > 0).all():
        base = "ASCII_Date_Time"  # a DATE column holding date-times (a frequent label slip)
        notes.add(f"{where}: a PDS3 DATE column holding date-times (e.g. {flat[0].decode('ascii', 'replace')!r}): "
                  "described as a date-time")
    if not odd.any():
        if dashes.size == 0 or (dashes == 2).all():
            return f"{base}_YMD"
        if (dashes == 1).all():
            return f"{base}_DOY"
        if base == "ASCII_Date_Time" and _time_of_day(flat).all():
            return "ASCII_Time"  # a PDS3 TIME column of times of day (``03:15:42.5``, lightcurves, landers)
        # a placeholder (UNK, N/A) or a value of the other form: the first unlike the most common
        odd = dashes != np.bincount(dashes).argmax()
        if not odd.any():  # every value of one form, none a PDS4 date-time (``1998``, ``12:00:00 UT``)
            odd = np.ones(flat.shape, bool)
    notes.add(f"{where}: date/time values that no PDS4 date type takes (e.g. "
              f"{flat[odd][0].decode('ascii', 'replace')!r}): described as ASCII_String (same text)")
    return "ASCII_String"


def _string_type(values: np.ndarray, where: str, notes: Notes) -> str:
    """``ASCII_String`` for a PDS3 CHARACTER column of 7-bit bytes; ``UTF8_String`` when
    some values hold other bytes that are UTF-8 (``Å`` as C3 85); refused otherwise
    (Latin-1 text: no PDS4 character type takes it)."""
    raw = np.ascontiguousarray(values.astype("S") if values.dtype.kind == "U" else values)
    if raw.dtype.kind != "S" or raw.size == 0 or int(np.frombuffer(raw.tobytes(), np.uint8).max()) < 0x80:
        return "ASCII_String"
    try:
        b"\n".join(raw.reshape(-1).tolist()).decode("utf-8")  # only columns with non-ASCII bytes get here
    except UnicodeDecodeError:
        raise UnsupportedError(f"{where}: CHARACTER values with bytes that are neither 7-bit ASCII nor UTF-8 "
                               "(Latin-1?); PDS4 character fields are ASCII_String or UTF8_String") from None
    notes.add(f"{where}: CHARACTER values with UTF-8 bytes: described as UTF8_String")
    return "UTF8_String"


def _unique_names(obj: DataObject, notes: Notes) -> list[Field]:
    """The table's fields, a top-level name that repeats (``SPARE`` twice) renamed as the
    PDS3 reader names its column (``SPARE_2``): PDS4 readers would pair such fields by
    position, pds4_tools and pdsgen differently."""
    from dataclasses import replace

    from pdsgen.data.io import column_names

    out = []
    for f, name in zip(obj.fields, column_names(obj), strict=True):
        if name != f.name and not f.group_path and f.bits is None:
            notes.add(f"object {obj.name!r}: a second field named {f.name!r} is named {name!r}")
            f = replace(f, name=name)
        out.append(f)
    return out


def _field_item(f: Field, *, location: int | None, length: int, allowed: frozenset[str], where: str,
                notes: Notes, units: dict[str, str], data: np.ndarray | None = None,
                real_in_integer: frozenset[str] = frozenset(),
                raw_text: Callable[[Field], np.ndarray | None] | None = None) -> dict[str, Any]:
    """One PDS3 column → a PDS4 field. ``raw_text`` (fixed-width character tables only)
    gives a column's cells as written. A numeric column of such a table holding values
    the PDS3 reader masks as not numbers (blank, ``N/A``, ``UNK``: frequent in index
    tables) is described as ASCII_String with a note: pds4_tools converts every cell of a
    numeric Table_Character field before any special constant is matched (its
    ``data_type_convert_table_ascii``), so no Special_Constants entry would let it read them."""
    per_item = f.extra.get("item_special_constants")
    if per_item:
        key, vals = next(iter(per_item.items()))
        raise UnsupportedError(f"{where}: field {f.name!r}: {key} differs per item ({', '.join(map(str, vals))}); a "
                               "PDS4 field's repetitions share one Special_Constants")
    if f.extra.get("item_scaling"):
        raise UnsupportedError(f"{where}: field {f.name!r}: SCALING_FACTOR/OFFSET differ per item; a PDS4 field's "
                               "repetitions share one scaling_factor and value_offset")
    source_type = f.data_type
    if source_type in ("ASCII_Date_Time", "ASCII_Date") and data is not None:
        source_type = _date_type(source_type, data[f.name], f"{where}: field {f.name!r}", notes)
    elif source_type in _BIT_STRINGS and f.bits is None and f.length in (1, 2, 4, 8):
        source_type = _whole_bit_string_type(source_type, f.length)
        notes.add(f"{where}: field {f.name!r}: a {_label_type(f)} without BIT_COLUMNs is described as "
                  f"{source_type} (the same bits, read as one unsigned integer)")
    elif source_type == "ASCII_Integer" and f.name in real_in_integer:
        source_type = "ASCII_Real"
        notes.add(f"{where}: field {f.name!r}: PDS3 ASCII_INTEGER holding real numbers (e.g. 1.00000) is "
                  "described as ASCII_Real (same values)")
    data_type = pds4_data_type(source_type, allowed, where=f"{where}: field {f.name!r}",
                               label_type=f.label_data_type)
    numeric_text = False
    if data_type in _ASCII_NUMBERS and raw_text is not None and data is not None \
            and f.name in (data.dtype.names or ()) and _not_numbers(f, data[f.name], raw_text, location is None):
        data_type, numeric_text = "ASCII_String", True
        notes.add(f"{where}: field {f.name!r}: {source_type} values that are not numbers "
                  f"({_first_masked_text(f, data[f.name], raw_text)}): described as ASCII_String (same text; "
                  "pds4_tools converts every value of a numeric Table_Character field, special constants "
                  "included, and fails on them)"
                  + ("; its scaling_factor/value_offset are left out" if f.scaling_factor is not None
                     or f.value_offset is not None else ""))
    if data_type == "ASCII_Boolean" and raw_text is not None and data is not None \
            and f.name in (data.dtype.names or ()):
        example = _not_zero_one(f, raw_text)
        if example:
            data_type, numeric_text = "ASCII_String", True
            notes.add(f"{where}: field {f.name!r}: booleans written {example} (pds4_tools reads ASCII_Boolean "
                      "values as the integers 0 and 1 only): described as ASCII_String (same text)")
    if data_type == "ASCII_Real" and not numeric_text and raw_text is not None and data is not None \
            and f.name in (data.dtype.names or ()):
        example = _fortran_exponent(f, data[f.name], raw_text)
        if example:
            data_type, numeric_text = "ASCII_String", True
            notes.add(f"{where}: field {f.name!r}: reals written with a Fortran D exponent ({example}), which "
                      "PDS4 ASCII_Real does not take: described as ASCII_String (same text)"
                      + ("; its scaling_factor/value_offset are left out" if f.scaling_factor is not None
                         or f.value_offset is not None else ""))
    if data_type == "ASCII_String" and data is not None and f.name in (data.dtype.names or ()) \
            and not numeric_text:
        data_type = _string_type(data[f.name], f"{where}: field {f.name!r}", notes)
    unit, note = _unit(f.unit, units)
    notes.add(f"{where}: field {f.name!r}: {note}" if note else None)
    constants = storable_constants({k: typed_constant_text(v, data_type) for k, v in f.special_constants.items()},
                                   data_type, f"{where}: field {f.name!r}", notes)
    if data_type in CHARACTER_TYPES and data is not None and f.name in (data.dtype.names or ()):
        values: np.ndarray | None = data[f.name]
        if (values is not None and values.dtype.kind == "f" and raw_text is not None
                and not np.isfinite(np.ma.getdata(values)).all()):
            values = raw_text(f)  # a real column holding NaN/inf: their spellings, as written
        if values is not None:
            constants.update(_inf_nan_constants(values, constants, f"{where}: field {f.name!r}", notes))
    return {
        "kind": "field", "name": f.name, "location": location, "length": length, "data_type": data_type,
        "field_format": field_format(f.field_format) if data_type in CHARACTER_TYPES and not numeric_text else None,
        "unit": unit, "scaling_factor": None if numeric_text else f.scaling_factor,
        "value_offset": None if numeric_text else f.value_offset,
        "description": with_kept_keywords(f.description, f.extra.get("pds3_keywords")),
        "special_constants": constants,
    }


def with_kept_keywords(description: str | None, kept: dict[str, str] | None) -> str | None:
    """``description`` and the PDS3 keywords PDS4 has no current element for (a bit mask, the
    display orientation: `pdsgen.pds3.structure.kept_keywords`), so that nothing is lost."""
    if not kept:
        return description
    said = "PDS3 " + ", ".join(f"{k} = {v}" for k, v in kept.items()) + "."
    return f"{description.rstrip()} {said}" if description and description.strip() else said


#: pdsgen's names of the PDS3 bit-string types (MSB_BIT_STRING / LSB_BIT_STRING, VAX_BIT_STRING)
_BIT_STRINGS = {"UnsignedBitString": "MSB", "PDS3_LSBBitString": "LSB"}


def _whole_bit_string_type(data_type: str, nbytes: int) -> str:
    """A PDS3 bit-string column read whole (no BIT_COLUMNs) of 1, 2, 4 or 8 bytes → the
    PDS4 unsigned integer of its size and byte order: the same bits, one value. PDS4 has
    no little-endian bit string (Field_Bit counts bits in storage order), so this is the
    only faithful PDS4 form of a whole LSB_BIT_STRING; an MSB one is read by every PDS4
    reader as a number rather than raw bytes."""
    return "UnsignedByte" if nbytes == 1 else f"Unsigned{_BIT_STRINGS[data_type]}{nbytes}"


def _label_type(f: Field) -> str:
    return f.label_data_type or f.data_type


#: PDS4 numeric character types (a PDS3 column of them holding blanks or ``N/A``, which the
#: PDS3 reader masks, is described as ASCII_String: see `_field_item`)
_ASCII_NUMBERS = frozenset({"ASCII_Real", "ASCII_Integer", "ASCII_NonNegative_Integer", "ASCII_Numeric_Base2",
                            "ASCII_Numeric_Base8", "ASCII_Numeric_Base16"})


def _not_numbers(f: Field, values: np.ndarray, raw_text: Callable[[Field], np.ndarray | None],
                 delimited: bool) -> bool:
    """Whether a numeric column holds values the PDS3 reader masked as not numbers that a
    PDS4 numeric field cannot hold: any in a fixed-width table; in a delimited table only
    non-empty ones (pds4_tools and validate take an empty delimited value as null)."""
    masked = np.ma.getmaskarray(values)
    if not masked.any() or not delimited:
        return bool(masked.any())
    raw = raw_text(f)
    return raw is not None and bool((np.char.str_len(np.char.strip(raw[masked.reshape(-1)])) > 0).any())


def _not_zero_one(f: Field, raw_text: Callable[[Field], np.ndarray | None]) -> str | None:
    """The first value of an ASCII_BOOLEAN column not written ``0``/``1`` (``T``, ``true``),
    as written; None when all are (or the column is repeated)."""
    raw = raw_text(f)
    if raw is None:
        return None
    cells = np.char.strip(raw)
    other = ~np.isin(cells, np.array([b"0", b"1", b""]))
    return repr(cells[other][0].decode("latin-1")) if other.any() else None


def _fortran_exponent(f: Field, values: np.ndarray, raw_text: Callable[[Field], np.ndarray | None]) -> str | None:
    """The first value of a real column written with a Fortran ``D`` exponent (``1.0D+05``,
    which the PDS3 reader reads as a number and PDS4 ASCII_Real does not take), as written;
    None when there is none (or the column is repeated: its cells are not at hand)."""
    raw = raw_text(f)
    if raw is None:
        return None
    cells = raw[~np.ma.getmaskarray(values).reshape(-1)]
    hit = np.char.find(np.char.upper(cells), b"D") >= 0
    return repr(cells[hit][0].decode("latin-1").strip()) if hit.any() else None


def _first_masked_text(f: Field, values: np.ndarray, raw_text: Callable[[Field], np.ndarray | None]) -> str:
    """The first value of a column the PDS3 reader masked (not a number), as written
    (``'N/A'``, ``'    '``); "blank, N/A …" for a repeated column."""
    raw = raw_text(f)
    if raw is None:
        return "blank, N/A …"
    cells = raw[np.ma.getmaskarray(values).reshape(-1)]
    shown = cells[np.char.str_len(np.char.strip(cells)) > 0]  # a non-empty one first
    return repr((shown if shown.size else cells)[0].decode("latin-1"))


#: Special_Constants a value validate's type check rejects may still be written as (validate's
#: SpecialConstantChecker.isNonConformantSpecialConstant compares these as text), in the order
#: INF/NaN spellings of a text column take them
_TEXT_CONSTANTS = ("missing_constant", "invalid_constant", "unknown_constant", "not_applicable_constant",
                   "error_constant", "saturated_constant")


def _inf_nan_constants(values: np.ndarray, constants: dict[str, str], where: str, notes: Notes) -> dict[str, str]:
    """Special constants for the INF/NaN spellings (``NaN``, ``-Inf`` …) of a PDS3 text
    column: validate rejects them in every PDS4 character field type (strings included)
    unless a value is written as one of the field's special constants. Each spelling not
    yet a constant takes the next free one of `_TEXT_CONSTANTS` (``NaN`` → missing_constant
    first); refused when they run out."""
    from pdsgen.validate.fieldtypes import INF_NAN_SPELLINGS

    raw = np.ma.getdata(values).reshape(-1)
    if raw.dtype.kind not in "SU" or raw.size == 0:
        return {}
    flat = np.char.strip(raw)
    upper = np.char.upper(flat)
    spellings = sorted({str(v.decode() if isinstance(v, bytes) else v)
                        for v in np.unique(flat[np.isin(upper, np.array(INF_NAN_SPELLINGS, dtype=upper.dtype))])},
                       key=lambda t: ("NAN" not in t.upper(), t))
    taken = set(constants.values())
    free = [k for k in _TEXT_CONSTANTS if k not in constants]
    out: dict[str, str] = {}
    for text in (t for t in spellings if t not in taken):
        if not free:
            raise UnsupportedError(f"{where}: values {', '.join(map(repr, spellings))}: validate rejects INF/NaN "
                                   "spellings in PDS4 character fields unless each is a special constant, and "
                                   "the field has no free Special_Constants left")
        out[free.pop(0)] = text
    if out:
        notes.add(f"{where}: values {', '.join(f'{v!r} as {k}' for k, v in out.items())} (Special_Constants): "
                  "validate accepts INF/NaN spellings in a character field only as special constants")
    return out


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


def _span(node: Any) -> tuple[int, int]:
    """Bytes [start, end) of a `_tree` node in the record (0-based), all repetitions."""
    if isinstance(node, Field):
        return node.location, node.location + node.length
    if isinstance(node, _Packed):
        return node.location, node.location + node.length
    spans = [_span(c) for c in node.children]
    start = min(s for s, _ in spans)
    return start, max(e for _, e in spans) + (node.repetitions - 1) * node.stride


def _free(lo: int, hi: int, bounds: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    """Bytes [lo, hi) lie inside ``bounds`` and no other node's span."""
    return bounds[0] <= lo and hi <= bounds[1] and not any(s < hi and lo < e for s, e in others)


def _renumbered(items: list[dict[str, Any]], by: int) -> list[dict[str, Any]]:
    """Items of one group level with their field numbers moved up by ``by``."""
    return [{**it, "number": it["number"] + by} if it["kind"] in ("field", "packed") else it for it in items]


class _NoRoomForGap(Exception):
    """A gapped ITEMS column whose unused bytes fit neither after nor before its items."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _items(nodes: list[Any], base: int, *, delimited: bool, allowed: frozenset[str], where: str,
           notes: Notes, units: dict[str, str], data: np.ndarray | None = None,
           real_in_integer: frozenset[str] = frozenset(),
           raw_text: Callable[[Field], np.ndarray | None] | None = None,
           bounds: tuple[int, int] | None = None) -> tuple[list[dict[str, Any]], int, int]:
    """PDS4 fields and groups of one level of `_tree` (locations relative to ``base``).
    ``bounds``: the bytes [lo, hi) this level's fields may occupy (a record's values, a
    group's repetition), where the unused bytes of a gapped group's repetitions go."""
    out: list[dict[str, Any]] = []
    n_fields = n_groups = 0
    spans = [_span(n) for n in nodes] if bounds is not None else []
    for index, node in enumerate(nodes):
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
                                  notes=notes, units=units, data=data, real_in_integer=real_in_integer,
                                  raw_text=raw_text, bounds=None if delimited else (start, start + node.stride))
            extent = 0 if delimited else max(k["location"] + k["length"] - 1 for k in kids)
            gap = node.stride - extent
            if gap > 0 and not delimited:  # unused bytes in each repetition
                others = spans[:index] + spans[index + 1:]
                end = spans[index][1] if spans else start
                if bounds is not None and not _free(end, end + gap, bounds, others) \
                        and not _free(start - gap, start, bounds, others) \
                        and [c.name for c in node.children if isinstance(c, Field)] == [node.name]:
                    # an ITEMS column filling its row from its first byte to the line end:
                    # no room for the gap after or before; each item becomes a field
                    raise _NoRoomForGap(node.name)
                if bounds is not None and not _free(end, end + gap, bounds, others) \
                        and _free(start - gap, start, bounds, others):
                    # the bytes after the last repetition are taken (the line end, the next column: a
                    # PDS3 ITEMS column whose BYTES end at its last item): the gap goes before each item
                    pads = _pad_fields(node.name, 1, gap, 1, text=allowed is CHARACTER_TYPES)
                    kids = pads + [{**k, "location": k["location"] + gap} for k in _renumbered(kids, len(pads))]
                    start -= gap
                    where_pad = "before"
                else:
                    pads = _pad_fields(node.name, extent + 1, gap, kf + 1, text=allowed is CHARACTER_TYPES)
                    kids = kids + pads
                    where_pad = "after"
                kf += len(pads)
                notes.add(f"{where}: group {node.name!r}: the {gap} byte(s) {where_pad} its fields in each "
                          f"repetition are described as pad field(s) {', '.join(p['name'] for p in pads)}")
            n_groups += 1
            out.append({"kind": "group", "name": node.name, "number": n_groups, "repetitions": node.repetitions,
                        "fields": kf, "groups": kg, "location": None if delimited else start - base + 1,
                        "length": node.repetitions * node.stride, "items": kids})
        else:
            n_fields += 1
            item = _field_item(node, location=None if delimited else node.location - base + 1,
                               length=node.length, allowed=allowed, where=where, notes=notes, units=units,
                               data=data, real_in_integer=real_in_integer, raw_text=raw_text)
            item["number"] = n_fields
            out.append(item)
    return out, n_fields, n_groups


def _raw_text(obj: DataObject) -> Callable[[Field], np.ndarray | None]:
    """The bytes of a scalar column of a fixed-width character table as written (``S<n>``
    values, one per record; None for repeated columns), read when first asked for."""
    from pdsgen.data.io import read_uint8

    records: list[np.ndarray] = []

    def column(f: Field) -> np.ndarray | None:
        if f.shape or obj.records is None or obj.record_length is None:
            return None
        if not records:
            records.append(read_uint8(obj, obj.records * obj.record_length).reshape(obj.records, obj.record_length))
        cells = np.ascontiguousarray(records[0][:, f.location:f.location + f.length])  # 0-based location
        return cells.view(f"S{f.length}").reshape(-1)

    return column


def _line_end_bytes(obj: DataObject) -> int:
    """Bytes of a fixed-width ASCII table's record delimiter (LF 1, CR LF 2)."""
    return 1 if obj.details.get("record_delimiter") == "line-feed" else 2


def _delimited_text(obj: DataObject) -> Callable[[Field], np.ndarray | None]:
    """`_raw_text` of a delimited table: a scalar column's values as written, split when
    first asked for (pdsgen's delimited reader, arrow)."""
    from pdsgen.data.delimited import column_text

    columns: dict[str, np.ndarray | None] = {}

    def column(f: Field) -> np.ndarray | None:
        if f.name not in columns:
            columns[f.name] = column_text(obj, f)
        return columns[f.name]

    return column


def _within_line(obj: DataObject, fields: list[Field], notes: Notes) -> list[Field]:
    """An ASCII table's fields whose BYTES run into the record's line end (a frequent label
    error: the last column counted with its CR) end before it, with a note: a PDS4
    Table_Character field lies inside the record's values (validate:
    ``table_definition_problem``). The values are the same (the PDS3 reading ignores the
    trailing CR as a blank)."""
    from dataclasses import replace

    if not obj.record_length:
        return fields
    end = obj.record_length - _line_end_bytes(obj)
    out = []
    for f in fields:
        if not f.shape and f.bits is None and f.location < end < f.location + f.length <= obj.record_length:
            notes.add(f"object {obj.name!r}: field {f.name!r} runs {f.location + f.length - end} byte(s) into the "
                      f"line end: described as {end - f.location} bytes")
            f = replace(f, length=end - f.location)
        out.append(f)
    return out


#: the separator the PDS3 reader found a "fixed" ASCII table's records split on → its name
_SEPARATOR_NAMES = {",": "comma", "\t": "horizontal tab"}


def _first_line_end(obj: DataObject) -> str:
    """The record delimiter of the object's first line: CR LF or LF."""
    with open(obj.file, "rb") as fh:
        fh.seek(obj.offset)
        head = fh.read(max((obj.record_length or 0) * 4 + 2, 65536))
    at = head.find(b"\n")
    return "carriage-return line-feed" if at > 0 and head[at - 1:at] == b"\r" else "line-feed"


def _separated_table(obj: DataObject, *, notes: Notes, units: dict[str, str], data: Any,
                     real_in_integer: frozenset[str]) -> dict[str, Any]:
    """A PDS3 ASCII TABLE whose records are comma- or tab-separated rather than at their
    START_BYTE columns (lines of varying length; the PDS3 reader split them, with a
    warning): PDS4 Table_Character needs fixed positions, so a Table_Delimited over the
    same lines, one Field_Delimited per column in label order (ITEMS and CONTAINERs as
    Group_Field_Delimited)."""
    where = f"object {obj.name!r}"
    name = _SEPARATOR_NAMES[obj.details["separator"]]
    items, nf, ng = _items(_tree(_unique_names(obj, notes)), 0, delimited=True, allowed=CHARACTER_TYPES,
                           where=where, notes=notes, units=units, data=data, real_in_integer=real_in_integer)
    notes.add(f"{where}: the records are {name}-separated, not at the label's START_BYTE columns (the PDS3 "
              "reader splits them): described as Table_Delimited")
    return {"class_name": "Table_Delimited", "format": "delimited", "name": obj.name, "offset": obj.offset,
            "records": obj.records, "description": obj.description,
            "record_delimiter": _RECORD_DELIMITERS[_first_line_end(obj)],
            "field_delimiter": _FIELD_DELIMITERS[name], "fields": nf, "groups": ng, "items": items}


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
    if obj.records == 0:
        raise UnsupportedError(f"{where}: ROWS = 0; a PDS4 table has at least 1 record")
    if obj.layout == "delimited":
        if obj.details.get("short_record_count"):
            raise UnsupportedError(f"{where}: {obj.details['short_record_count']} records have fewer fields "
                                   "than the label (not only leading title lines); PDS4 Table_Delimited cannot "
                                   "describe them")
        items, nf, ng = _items(_tree(_unique_names(obj, notes)), 0, delimited=True, allowed=CHARACTER_TYPES, where=where,
                               notes=notes, units=units, raw_text=_delimited_text(obj), **kw)
        delim = str(obj.details.get("field_delimiter", "comma"))
        if delim not in _FIELD_DELIMITERS:
            raise UnsupportedError(f"{where}: field delimiter {delim!r} has no PDS4 equivalent")
        return {"class_name": "Table_Delimited", "format": "delimited", "name": obj.name, "offset": obj.offset,
                "records": obj.records, "description": obj.description,
                "record_delimiter": _RECORD_DELIMITERS[_first_line_end(obj)],
                "field_delimiter": _FIELD_DELIMITERS[delim], "fields": nf, "groups": ng, "items": items}
    character = obj.layout == "fixed_character"
    if character and obj.details.get("separator") in _SEPARATOR_NAMES:
        return _separated_table(obj, notes=notes, units=units, **kw)
    uneven = next((w for w in obj.warnings if w.code == "lines_not_records"), None)
    if character and uneven is not None:
        raise UnsupportedError(f"{where}: {uneven.message.split(':')[0]} (lines of varying length, e.g. trimmed "
                               "trailing blanks); PDS4 Table_Character records are all record_length bytes and "
                               "Table_Delimited takes only comma, tab, semicolon or vertical-bar delimiters")
    if character and obj.details.get("line_ends") is False:
        # records back to back with no line end (FITS ASCII table extensions): a Table_Character
        # needs CR LF or LF after each record; a Table_Binary of PDS4's ASCII field types is the same bytes
        character = False
        notes.add(f"{where}: ASCII records with no line end (back to back): described as a Table_Binary "
                  "whose fields have PDS4's ASCII data types")
    if obj.record_length is None:
        raise UnsupportedError(f"{where}: the label gives no ROW_BYTES")
    fields = _unique_names(obj, notes)
    values_end = obj.record_length - (_line_end_bytes(obj) if character else 0)
    items, nf, ng = _items(_tree(_within_line(obj, fields, notes) if character else fields), 0, delimited=False,
                           allowed=CHARACTER_TYPES if character else BINARY_FIELD_TYPES, where=where,
                           notes=notes, units=units,
                           raw_text=_raw_text(obj) if obj.layout == "fixed_character" else None,
                           bounds=(0, values_end), **kw)
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

#: field names of an IMAGE with line prefixes/suffixes described as a Table_Binary of lines
IMAGE_VALUE_FIELD = "SAMPLE"
PREFIX_FIELD = "LINE_PREFIX_BYTE"
SUFFIX_FIELD = "LINE_SUFFIX_BYTE"


def _element(obj: DataObject, where: str, notes: Notes, units: dict[str, str]) -> dict[str, Any]:
    """Element type, unit, scaling and special constants of an array object."""
    data_type = pds4_data_type(str(obj.element_type), NUMERIC_TYPES, where=where,
                               label_type=obj.label_element_type)
    unit, note = _unit(obj.unit, units)
    notes.add(f"{where}: {note}" if note else None)
    return {"data_type": data_type, "unit": unit, "scaling_factor": obj.scaling_factor,
            "value_offset": obj.value_offset,
            "special_constants": storable_constants(
                {k: typed_constant_text(v, data_type) for k, v in obj.special_constants.items()}, data_type, where,
                notes)}


def _byte_group(name: str, field_name: str, count: int, location: int, number: int) -> dict[str, Any]:
    """``count`` opaque bytes (a line prefix or suffix) as a group of UnsignedByte fields."""
    byte = {"kind": "field", "name": field_name, "number": 1, "location": 1, "length": 1,
            "data_type": "UnsignedByte", "field_format": None, "unit": None, "scaling_factor": None,
            "value_offset": None, "description": None, "special_constants": {}}
    return {"kind": "group", "name": name, "number": number, "repetitions": count, "fields": 1, "groups": 0,
            "location": location, "length": count, "items": [byte]}


def _band_nodes(storage: str, axes: list[dict[str, Any]], element: dict[str, Any], itemsize: int,
                per_band: dict[str, list[Any]], location: int, description: str | None,
                scaling: dict[str, list[float]] | None = None) -> list[dict[str, Any]]:
    """The samples of one stored line of a line- or sample-interleaved image with per-band
    special constants or scaling (``scaling``: ``scaling_factor`` / ``value_offset`` lists):
    one field per band (``SAMPLE_BAND_<n>``, its own Special_Constants, scaling_factor and
    value_offset), in a group of its own per band (line-interleaved: ``BAND_<n>_SAMPLES``) or
    side by side in one group of samples (sample-interleaved: ``SAMPLES``)."""
    bands = next(a["elements"] for a in axes if a["axis_name"] == "Band")
    samples = next(a["elements"] for a in axes if a["axis_name"] == "Sample")

    def value(b: int, at: int) -> dict[str, Any]:
        constants = {**element["special_constants"],
                     **{k: typed_constant_text(v[b], element["data_type"]) for k, v in per_band.items()}}
        own = {k: v[b] for k, v in (scaling or {}).items()}
        return {"kind": "field", "name": f"{IMAGE_VALUE_FIELD}_BAND_{b + 1}", "number": b + 1, "location": at,
                "length": itemsize, "field_format": None, "description": description,
                **element, **own, "special_constants": constants}

    if storage == "LINE_INTERLEAVED":
        return [{"kind": "group", "name": f"BAND_{b + 1}_SAMPLES", "number": b + 1, "repetitions": samples,
                 "fields": 1, "groups": 0, "location": location + b * samples * itemsize,
                 "length": samples * itemsize, "items": [value(b, 1)]} for b in range(bands)]
    return [{"kind": "group", "name": f"{IMAGE_VALUE_FIELD}S", "number": 1, "repetitions": samples,
             "fields": bands, "groups": 0, "location": location, "length": samples * bands * itemsize,
             "items": [value(b, 1 + b * itemsize) for b in range(bands)]}]


def _image_lines_table(obj: DataObject, axes: list[dict[str, Any]], element: dict[str, Any],
                       itemsize: int, overlay: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """An IMAGE whose stored lines carry LINE_PREFIX_BYTES / LINE_SUFFIX_BYTES as a
    Table_Binary with one record per stored line: the prefix bytes (a group of
    UnsignedByte), the line's samples (a group of SAMPLE fields of the image's type; for
    line- or sample-interleaved bands two nested groups in storage order), the suffix
    bytes. PDS4 arrays cannot skip bytes between lines; a table of lines describes the
    same bytes unchanged (PDS4 Standards Reference: Table_Binary, Group_Field_Binary)."""
    prefix = int(obj.details.get("line_prefix_bytes") or 0)
    suffix = int(obj.details.get("line_suffix_bytes") or 0)
    storage = str(obj.details.get("band_storage_type") or "BAND_SEQUENTIAL")
    # the axes within one stored line, slowest first: BSQ lines hold one band's samples
    interleaved = len(axes) == 3 and storage in ("LINE_INTERLEAVED", "SAMPLE_INTERLEAVED")
    inner = axes[1:] if interleaved else axes[-1:]
    records = axes[0]["elements"] if interleaved else int(np.prod([a["elements"] for a in axes[:-1]]))
    value = {"kind": "field", "name": IMAGE_VALUE_FIELD, "number": 1, "location": 1, "length": itemsize,
             "field_format": None, "description": obj.description, **element}
    node: dict[str, Any] = value
    length = itemsize
    for ax in reversed(inner):  # innermost (fastest) group first
        length *= ax["elements"]
        name = f"{ax['axis_name'].upper()}S"
        node = {"kind": "group", "name": name, "number": 1, "repetitions": ax["elements"],
                "fields": 1 if node is value else 0, "groups": 0 if node is value else 1,
                "location": 1, "length": length, "items": [node]}
    node["location"] = prefix + 1
    nodes = [node]
    per_band = obj.details.get("band_special_constants") or {}
    scaling = obj.details.get("band_scaling")
    if (per_band or scaling) and interleaved:
        nodes = _band_nodes(storage, axes, element, itemsize, per_band, prefix + 1, obj.description, scaling)
    items: list[dict[str, Any]] = []
    overlay = overlay or {}
    if "prefix" in overlay:
        items.extend(overlay["prefix"])
    elif prefix:
        items.append(_byte_group("LINE_PREFIX", PREFIX_FIELD, prefix, 1, 1))
    items.extend(nodes)
    if "suffix" in overlay:
        items.extend(overlay["suffix"])
    elif suffix:
        items.append(_byte_group("LINE_SUFFIX", SUFFIX_FIELD, suffix, prefix + length + 1, 1))
    n_fields = n_groups = 0
    for it in items:  # fields and groups are numbered apart, in record order
        if it["kind"] == "group":
            n_groups += 1
            it["number"] = n_groups
        else:
            n_fields += 1
            it["number"] = n_fields
    return {"kind": "table", "class_name": "Table_Binary", "format": "binary", "name": obj.name,
            "offset": obj.offset, "records": records,
            "description": (obj.description + " " if obj.description else "")
            + f"PDS3 IMAGE ({' x '.join(str(a['elements']) for a in axes)} {storage.lower().replace('_', ' ')}) "
            f"with {prefix} prefix and {suffix} suffix bytes per stored line: one record per line.",
            "record_delimiter": None, "record_length": prefix + length + suffix, "fields": n_fields,
            "groups": n_groups, "items": items, "image_lines": True}


def line_tables(image: DataObject, siblings: Sequence[DataObject]) -> dict[str, DataObject]:
    """PDS3 TABLEs whose rows are an IMAGE's line prefixes or suffixes (Cassini ISS's
    LINE_PREFIX_TABLE: ROW_BYTES of prefix, ROW_SUFFIX_BYTES over the line's samples):
    same file and start, one row per stored line, the stored line's length, every column
    inside the prefix (``"prefix"``) or the suffix (``"suffix"``) bytes. PDS4 objects of
    one file may not overlap, so their columns become fields of the image's table of lines."""
    d = image.details
    prefix, suffix = int(d.get("line_prefix_bytes") or 0), int(d.get("line_suffix_bytes") or 0)
    bits = int(d.get("sample_bits") or 0)
    if not (prefix or suffix) or bits % 8 or image.size is None:
        return {}
    storage = str(d.get("band_storage_type") or "BAND_SEQUENTIAL")
    shape = [a.elements for a in image.axes]
    lines = int(np.prod(shape[:-1])) if len(shape) < 3 or storage == "BAND_SEQUENTIAL" else shape[0]
    width = image.size // max(lines, 1)
    found: dict[str, DataObject] = {}
    for t in siblings:
        if (t.kind != "table" or t.layout != "fixed_binary" or t.file != image.file or t.offset != image.offset
                or t.records != lines or t.record_length != width or not t.fields or t.error is not None):
            continue
        start = min(f.location for f in t.fields)
        end = max(f.location + (f.strides[0] * f.shape[0] if f.shape else f.length) for f in t.fields)
        if end <= prefix:
            found.setdefault("prefix", t)
        elif start >= width - suffix and suffix:
            found.setdefault("suffix", t)
    return found


def _byte_span(t: DataObject) -> tuple[int, int]:
    """First byte and end (exclusive) of a table's fields within its records."""
    start = min(f.location for f in t.fields)
    end = max(f.location + (f.strides[0] * f.shape[0] if f.shape else f.length) for f in t.fields)
    return start, end


def unique_object_names(objects: Sequence[DataObject], notes: Notes) -> list[DataObject]:
    """``objects`` with a repeated name (two ``OBJECT = TABLE`` with two ``^TABLE`` pointers,
    which some labels have) numbered from the second on in label order (``TABLE_2``):
    PDS4 readers and the read-back pair objects by name."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out: list[DataObject] = []
    for o in objects:
        seen[o.name] = seen.get(o.name, 0) + 1
        if seen[o.name] > 1:
            name = f"{o.name}_{seen[o.name]}"
            notes.add(f"object {o.name!r} is named more than once in the label: its object number "
                      f"{seen[o.name]} is named {name!r}")
            o = replace(o, name=name, _data=None, _physical=None)
        out.append(o)
    return out


def merge_shared_record_tables(objects: Sequence[DataObject], notes: Notes) -> list[DataObject]:
    """``objects`` with the PDS3 tables that share their records merged into one table.

    Some PDS3 products describe one file's records with two tables over the same bytes,
    each skipping the other's part (Cassini RPWS: a ``ROW_PREFIX_TABLE`` whose
    ROW_SUFFIX_BYTES cover the samples, and a ``TIME_SERIES`` whose ROW_PREFIX_BYTES
    cover the prefix table's columns). PDS4 objects of one file may not overlap
    (validate: ``invalid_object_definition``), so tables of one file with the same start,
    records, record length and layout whose fields lie in disjoint byte ranges become one
    table with the fields of each, in byte order, named ``A+B``; its
    ``details["merged_tables"]`` are the PDS3 tables whose values the read-back compares.
    An image's line prefix/suffix tables are left to `line_tables`."""
    from dataclasses import replace

    in_images = {id(t) for o in objects if o.kind == "array" and o.error is None and "sample_bits" in o.details
                 for t in line_tables(o, objects).values()}
    groups: dict[tuple[Any, ...], list[DataObject]] = {}
    for o in objects:
        if (o.kind == "table" and o.error is None and o.fields and id(o) not in in_images
                and o.layout in ("fixed_binary", "fixed_character")):
            groups.setdefault((o.file, o.offset, o.records, o.record_length, o.layout), []).append(o)
    merged: dict[int, DataObject | None] = {}
    for tables in groups.values():
        if len(tables) < 2:
            continue
        tables = sorted(tables, key=lambda t: _byte_span(t)[0])
        spans = [_byte_span(t) for t in tables]
        if any(spans[i][1] > spans[i + 1][0] for i in range(len(spans) - 1)):
            continue  # overlapping columns: left to validation, which names the overlap
        name = "+".join(t.name for t in tables)
        first = tables[0]
        one = replace(first, name=name, label_type=name, fields=[f for t in tables for f in t.fields],
                      description=" / ".join(t.description for t in tables if t.description) or None,
                      details={**first.details, "merged_tables": tables}, warnings=[], _data=None,
                      _physical=None)
        notes.add(f"objects {', '.join(repr(t.name) for t in tables)} describe the same records of "
                  f"{first.file.name} (disjoint bytes): one table {name!r} with the fields of each "
                  "(PDS4 objects of a file may not overlap)")
        merged[id(tables[0])] = one
        merged.update({id(t): None for t in tables[1:]})
    out: list[DataObject] = []
    for o in objects:
        if id(o) not in merged:
            out.append(o)
        elif merged[id(o)] is not None:
            out.append(merged[id(o)])  # type: ignore[arg-type]
    return out


def _line_table_items(table: DataObject, notes: Notes, units: dict[str, str]) -> list[dict[str, Any]]:
    items, _, _ = _items(_tree(_unique_names(table, notes)), 0, delimited=False, allowed=BINARY_FIELD_TYPES,
                         where=f"object {table.name!r}", notes=notes, units=units, data=table.data)
    return items


def _packed_image_table(obj: DataObject, axes: list[dict[str, Any]], element: dict[str, Any],
                        bits: int) -> dict[str, Any]:
    """An IMAGE of packed samples (SAMPLE_BITS not a multiple of 8; PDS3 Standards
    Reference, IMAGE: each stored line a continuous bit stream starting on a byte
    boundary, most significant bit first) as a Table_Binary with one record per stored
    line. Bit offsets repeat every lcm(SAMPLE_BITS, 8) bits (12-bit samples: 2 in 3
    bytes), so a line is a group ``SAMPLES`` of that many bytes, each a bit-string field
    ``PACKED_SAMPLES`` whose Packed_Data_Fields hold the samples as Field_Bits
    ``SAMPLE_1`` … ``SAMPLE_k`` (start/stop bit counted from the field's first bit), with
    the image's unit, scaling and special constants; line prefix/suffix bytes as groups
    of UnsignedByte around it. Refused when the samples of a line do not fill whole units
    (the last unit would reach past the line) or are packed least significant bit first
    (Field_Bit counts bits in storage order)."""
    import math

    where = f"object {obj.name!r}"
    d = obj.details
    if str(d.get("packed_bit_order") or "MSB") == "LSB":
        raise UnsupportedError(f"{where}: SAMPLE_BITS = {bits} packed least significant bit first "
                               f"({obj.label_element_type}); PDS4 Field_Bit counts bits from the most significant "
                               "bit of the stored bytes")
    prefix = int(d.get("line_prefix_bytes") or 0)
    suffix = int(d.get("line_suffix_bytes") or 0)
    storage = str(d.get("band_storage_type") or "BAND_SEQUENTIAL")
    per_line_axes = axes[1:] if len(axes) == 3 and storage != "BAND_SEQUENTIAL" else axes[-1:]
    values = int(np.prod([a["elements"] for a in per_line_axes]))
    records = int(np.prod([a["elements"] for a in axes])) // values
    per_unit = math.lcm(bits, 8) // bits
    unit_bytes = per_unit * bits // 8
    if values % per_unit:
        raise UnsupportedError(f"{where}: {values} samples of {bits} bits per stored line do not fill whole "
                               f"{unit_bytes}-byte units of {per_unit} samples; PDS4 Packed_Data_Fields describe "
                               "whole fields")
    bit_type = "SignedBitString" if element["data_type"].startswith("Signed") else "UnsignedBitString"
    samples = [{"kind": "field", "name": f"{IMAGE_VALUE_FIELD}_{k + 1}", "number": k + 1, "location": None,
                "length": unit_bytes, "field_format": None, "description": None, **element, "data_type": bit_type,
                "start_bit": k * bits + 1, "stop_bit": (k + 1) * bits} for k in range(per_unit)]
    packed = {"kind": "packed", "name": "PACKED_SAMPLES", "number": 1, "location": 1, "length": unit_bytes,
              "data_type": "UnsignedBitString", "bits": samples}
    length = values // per_unit * unit_bytes
    group = {"kind": "group", "name": f"{IMAGE_VALUE_FIELD}S", "number": 1, "repetitions": values // per_unit,
             "fields": 1, "groups": 0, "location": prefix + 1, "length": length, "items": [packed]}
    items: list[dict[str, Any]] = []
    if prefix:
        items.append(_byte_group("LINE_PREFIX", PREFIX_FIELD, prefix, 1, 1))
    group["number"] = len(items) + 1
    items.append(group)
    if suffix:
        items.append(_byte_group("LINE_SUFFIX", SUFFIX_FIELD, suffix, prefix + length + 1, len(items) + 1))
    return {"kind": "table", "class_name": "Table_Binary", "format": "binary", "name": obj.name,
            "offset": obj.offset, "records": records,
            "description": (obj.description + " " if obj.description else "")
            + f"PDS3 IMAGE ({' x '.join(str(a['elements']) for a in axes)} {storage.lower().replace('_', ' ')}) "
            f"of {bits}-bit samples packed most significant bit first: one record per stored line, "
            f"{per_unit} samples in each {unit_bytes}-byte unit.",
            "record_delimiter": None, "record_length": prefix + length + suffix, "fields": 0,
            "groups": len(items), "items": items, "image_lines": True}


def _per_band_kinds(details: dict[str, Any]) -> str:
    """What a PDS3 image gives per band: special constants, scaling (SCALING_FACTOR /
    OFFSET lists) or both (for notes and reasons)."""
    kinds = [k for k, key in (("special constants", "band_special_constants"), ("scaling", "band_scaling"))
             if details.get(key)]
    return " and ".join(kinds)


def _items_as_fields(obj: DataObject, names: set[str] | frozenset[str] = frozenset()) -> DataObject:
    """A table whose ITEMS columns carry one special constant or scaling per item (PDS3:
    ``MISSING_CONSTANT = (-1, -2, -3)``, ``SCALING_FACTOR = (0.5, 2.0, 10.0)``) with each
    such column as one field per item (``<name>_<n>``, at the item's bytes, with the item's
    own constants and scaling): a PDS4 field's repetitions share one Special_Constants and
    one scaling. Also the ITEMS columns ``names`` (a gapped column that fills its records:
    `_NoRoomForGap`). Read again through the same reader, so both sides of the read-back hold
    the same fields."""
    from dataclasses import replace

    fields: list[Field] = []
    for f in obj.fields:
        per_item, scaling = f.extra.get("item_special_constants"), f.extra.get("item_scaling")
        if not (per_item or scaling or f.name in names) or not f.shape:
            fields.append(f)
            continue
        extra = {k: v for k, v in f.extra.items() if k not in ("item_special_constants", "item_scaling")}
        for i in range(f.shape[-1]):
            own = {k: v[i] for k, v in (scaling or {}).items()}
            fields.append(replace(f, name=f"{f.name}_{i + 1}", location=f.location + i * f.strides[-1],
                                  shape=f.shape[:-1], strides=f.strides[:-1],
                                  special_constants={**f.special_constants,
                                                     **{k: v[i] for k, v in (per_item or {}).items()}},
                                  scaling_factor=own.get("scaling_factor", f.scaling_factor),
                                  value_offset=own.get("value_offset", f.value_offset), extra=extra))
    return replace(obj, fields=fields, _data=None, _physical=None)


def _band_images(obj: DataObject) -> list[DataObject] | None:
    """A band-sequential IMAGE with per-band special constants (``MISSING_CONSTANT =
    (0, 255)``) as one 2-D image per band — each band's bytes are contiguous, so each is
    an Array_2D_Image of its own with its own Special_Constants (``<IMAGE>_BAND_<n>``);
    None when the bands are interleaved or the lines carry prefix/suffix bytes or packed
    samples (the bands are then not contiguous arrays)."""
    from dataclasses import replace

    d = obj.details
    per_band: dict[str, list[Any]] = d.get("band_special_constants") or {}
    scaling = d.get("band_scaling") or {}
    bits = int(d.get("sample_bits") or 0)
    if (str(d.get("band_storage_type") or "BAND_SEQUENTIAL") != "BAND_SEQUENTIAL" or bits % 8
            or d.get("line_prefix_bytes") or d.get("line_suffix_bytes") or len(obj.axes) != 3):
        return None
    bands, lines, samples = (a.elements for a in obj.axes)
    band_bytes = lines * samples * bits // 8
    data = obj.data
    details = {k: v for k, v in d.items() if k not in ("band_special_constants", "band_scaling")}
    return [replace(obj, name=f"{obj.name}_BAND_{b + 1}", offset=obj.offset + b * band_bytes,
                    axes=[replace(a, sequence_number=i + 1) for i, a in enumerate(obj.axes[1:])],
                    special_constants={**obj.special_constants, **{k: v[b] for k, v in per_band.items()}},
                    scaling_factor=scaling["scaling_factor"][b] if scaling else obj.scaling_factor,
                    value_offset=scaling["value_offset"][b] if scaling else obj.value_offset,
                    size=band_bytes, details=details, _data=data[b], _physical=None)
            for b in range(bands)]


def describe_image(obj: DataObject, *, notes: Notes, units: dict[str, str],
                   line_tables: dict[str, DataObject] | None = None) -> dict[str, Any]:
    """An IMAGE → Array_2D_Image / Array_3D_Image, or a Table_Binary of its stored lines
    (line prefix/suffix bytes, packed samples); ``line_tables``: PDS3 tables of its line
    prefixes/suffixes (`line_tables`), whose columns take the place of those bytes."""
    where = f"object {obj.name!r}"
    d = obj.details
    bits = d.get("sample_bits")
    storage = str(d.get("band_storage_type") or "BAND_SEQUENTIAL")
    interleaved_bands = storage in ("LINE_INTERLEAVED", "SAMPLE_INTERLEAVED") and len(obj.axes) == 3
    per_band = sorted(d.get("band_special_constants") or {}) + sorted(d.get("band_scaling") or {})
    if per_band and not (interleaved_bands and not (bits and int(bits) % 8)):
        raise UnsupportedError(f"{where}: per-band {_per_band_kinds(d)} "
                               f"({', '.join(per_band)}) in a "
                               f"{str(d.get('band_storage_type') or 'BAND_SEQUENTIAL').lower().replace('_', ' ')} "
                               "image whose bands are neither contiguous arrays nor fields of its lines (band "
                               "sequential with line prefixes/suffixes, or packed samples); PDS4 Special_Constants "
                               "and scaling apply to a whole array or field")
    element = _element(obj, where, notes, units)
    names = [_AXIS.get(a.name.upper()) for a in obj.axes]
    if None in names:
        raise UnsupportedError(f"{where}: axes {[a.name for a in obj.axes]} are not LINE/SAMPLE/BAND")
    axes = [{"axis_name": n, "elements": a.elements, "sequence_number": i + 1}
            for i, (n, a) in enumerate(zip(names, obj.axes, strict=True))]
    if len(axes) == 3 and axes[0]["elements"] == 1:
        axes = [dict(a, sequence_number=i + 1) for i, a in enumerate(axes[1:])]
    if len(axes) not in (2, 3):
        raise UnsupportedError(f"{where}: {len(axes)} axes; an image has 2 or 3")
    if bits is not None and int(bits) % 8:
        notes.add(f"{where}: SAMPLE_BITS = {bits} (packed samples): described as a Table_Binary of image lines "
                  "with Packed_Data_Fields (PDS4 arrays have no packed element types)")
        return _packed_image_table(obj, axes, element, int(bits))
    if per_band:  # interleaved bands: one field per band in a table of lines
        notes.add(f"{where}: per-band {_per_band_kinds(d)} in a {storage.lower().replace('_', ' ')} image: described "
                  "as a Table_Binary of image lines with one field per band (SAMPLE_BAND_<n>)")
    if d.get("line_prefix_bytes") or d.get("line_suffix_bytes"):
        notes.add(f"{where}: LINE_PREFIX_BYTES = {d.get('line_prefix_bytes') or 0}, LINE_SUFFIX_BYTES = "
                  f"{d.get('line_suffix_bytes') or 0}: described as a Table_Binary of image lines "
                  "(PDS4 arrays cannot skip bytes per line)")
    if d.get("line_prefix_bytes") or d.get("line_suffix_bytes") or per_band:
        overlay = {part: _line_table_items(t, notes, units) for part, t in (line_tables or {}).items()}
        for part, t in (line_tables or {}).items():
            notes.add(f"object {t.name!r}: its rows are the line {part}es of {obj.name!r}: its columns are "
                      f"fields of {obj.name!r}'s table of lines (PDS4 objects of a file may not overlap)")
        return _image_lines_table(obj, axes, element, int(bits) // 8 if bits else 1, overlay)
    return {"kind": "array", "class_name": "Array_2D_Image" if len(axes) == 2 else "Array_3D_Image",
            "name": obj.name, "offset": obj.offset, "axes": axes, "ndim": len(axes), "description": obj.description,
            **element}


def describe_qube(obj: DataObject, *, notes: Notes, units: dict[str, str]) -> dict[str, Any]:
    """A QUBE core (or its backplanes, the suffix object ``<QUBE>.<AXIS>_SUFFIX`` of the
    slowest storage axis) as one PDS4 array over the same bytes.

    PDS4 arrays are contiguous. The core is contiguous only when no suffix items follow
    it along the two faster storage axes (sideplanes, bottomplanes); backplanes (suffix
    items along the slowest axis) follow the whole core and form an array of their own
    when each item fills its SUFFIX_BYTES slot. Anything else is refused naming the
    suffix dimensions. Axes: storage order, slowest first (AXIS_NAME read backwards);
    class by the axes: SAMPLE/LINE/BAND with BAND > 1 → Array_3D_Spectrum, BAND = 1 →
    Array_3D_Image, other axis names → Array_3D (Array_2D for two axes)."""
    g = obj.details["qube"]
    names = list(g["axis_names"])
    suffix = tuple(g["suffix"])[: len(names)]
    where = f"object {obj.name!r}"
    interleaved = [f"{names[k]} ({suffix[k]} {('sideplane', 'bottomplane')[k]} items)"
                   for k in range(min(2, len(names), len(suffix))) if suffix[k]]
    qube = obj.name.rsplit(".", 1)[0] if g.get("part") is not None else obj.name
    if interleaved:
        raise UnsupportedError(f"object {qube!r}: SUFFIX_ITEMS = ({', '.join(map(str, suffix))}) along "
                               f"AXIS_NAME ({', '.join(names)}): suffix items along {' and '.join(interleaved)} "
                               "interleave with the core; PDS4 arrays are contiguous, so neither the core nor "
                               "the suffix planes can be described without rewriting the data")
    part = g.get("part")
    (n0, n1, n2), (_s0, _s1, s2) = tuple(g["core"]), tuple(g["suffix"])
    offset = obj.offset
    if part is not None:
        if g["item_bytes"] != g["suffix_bytes"]:
            raise UnsupportedError(f"{where}: suffix items of {g['item_bytes']} bytes in "
                                   f"{g['suffix_bytes']}-byte slots (SUFFIX_BYTES) have no PDS4 array form")
        offset += n2 * n1 * n0 * g["core_bytes"]
        if g.get("item") is not None:  # one backplane of its own keywords: the item-th plane
            offset += g["item"] * n1 * n0 * g["suffix_bytes"]
    element = _element(obj, where, notes, units)
    upper = [a.name.upper() for a in obj.axes]
    spatial = set(upper) <= {"SAMPLE", "LINE", "BAND"}
    axes = [{"axis_name": _AXIS.get(n, a.name), "elements": a.elements, "sequence_number": i + 1}
            for i, (n, a) in enumerate(zip(upper, obj.axes, strict=True))]
    if part is not None:
        cls = f"Array_{len(axes)}D"
    elif len(axes) == 3 and spatial and set(upper) == {"SAMPLE", "LINE", "BAND"}:
        bands = obj.axes[upper.index("BAND")].elements
        cls = "Array_3D_Spectrum" if bands > 1 else "Array_3D_Image"
    elif len(axes) == 2 and set(upper) == {"SAMPLE", "LINE"}:
        cls = "Array_2D_Image"
    else:
        cls = f"Array_{len(axes)}D"
    if part is None and s2:
        notes.add(f"{where}: {s2} backplanes ({names[2]} suffix) follow the core: described as "
                  f"{obj.name}.{names[2]}_SUFFIX")
    return {"kind": "array", "class_name": cls, "name": obj.name, "offset": offset, "axes": axes,
            "ndim": len(axes), "description": obj.description, **element}


def describe_array(obj: DataObject, *, notes: Notes, units: dict[str, str]) -> dict[str, Any]:
    """A PDS3 ARRAY of one ELEMENT (any ``*_ARRAY``) or a HISTOGRAM (any ``*_HISTOGRAM``:
    ITEMS values of one type) → Array_1D / Array_2D / Array_3D over the same bytes, axes
    in storage order (PDS3 AXIS_ITEMS: last axis fastest, as PDS4's Last Index Fastest),
    names as the label gives them (AXIS_NAME; a histogram's one axis ``ITEM``). PDS4 has
    no array class for more than 3 axes: those are refused."""
    where = f"object {obj.name!r}"
    if not 1 <= len(obj.axes) <= 3:
        raise UnsupportedError(f"{where}: {len(obj.axes)} axes (AXIS_ITEMS); PDS4 arrays (Array_1D/2D/3D) have "
                               "1 to 3")
    element = _element(obj, where, notes, units)
    if obj.details.get("array_levels"):
        notes.add(f"{where}: an ARRAY of ARRAY ({obj.details['array_levels']} levels) is one array of "
                  f"{len(obj.axes)} axes (the inner arrays stored one after the other)")
    axes = [{"axis_name": a.name, "elements": a.elements, "sequence_number": i + 1} for i, a in enumerate(obj.axes)]
    return {"kind": "array", "class_name": f"Array_{len(axes)}D", "name": obj.name, "offset": obj.offset,
            "axes": axes, "ndim": len(axes), "description": obj.description, **element}


#: field of the core values in a QUBE described as a table of planes (sideplanes/bottomplanes)
QUBE_CORE_FIELD = "CORE"


#: description of the pad fields (`_pad_fields`), by which the read-back leaves them out
PAD_DESCRIPTION = "Unused bytes after the values of the PDS3 group or slot."
#: unsigned types of the pad fields filling a slot after its value, widest first
_PAD_TYPES = ((8, "UnsignedMSB8"), (4, "UnsignedMSB4"), (2, "UnsignedMSB2"), (1, "UnsignedByte"))


def _pad_fields(field_name: str, start: int, count: int, number: int, *, text: bool = False) -> list[dict[str, Any]]:
    """``count`` opaque bytes from ``start`` (1-based) as unsigned integer fields
    (``<field>_PAD``, ``<field>_PAD_2`` …; 8-, 4-, 2- and 1-byte ones, widest first), or one
    ASCII_String field in a character table (``text``): a group's fields must reach its
    group_length (pds4-jparser refuses a gap after them)."""
    out: list[dict[str, Any]] = []
    for width, data_type in ((count, "ASCII_String"),) if text else _PAD_TYPES:
        while count >= width:
            out.append({"kind": "field", "name": f"{field_name}_PAD" + (f"_{len(out) + 1}" if out else ""),
                        "number": number + len(out), "location": start, "length": width, "data_type": data_type,
                        "field_format": None, "unit": None, "scaling_factor": None, "value_offset": None,
                        "description": PAD_DESCRIPTION,
                        "special_constants": {}})
            start, count = start + width, count - width
    return out


def _typed_group(name: str, field_name: str, count: int, stride: int, location: int, number: int,
                 element: dict[str, Any], item_bytes: int) -> dict[str, Any]:
    """``count`` typed items in ``stride``-byte slots (the value in the slot's first
    ``item_bytes``, the rest of the slot `_pad_fields`)."""
    item = {"kind": "field", "name": field_name, "number": 1, "location": 1, "length": item_bytes,
            "field_format": None, "description": None, **element}
    items = [item, *_pad_fields(field_name, item_bytes + 1, stride - item_bytes, 2)]
    return {"kind": "group", "name": name, "number": number, "repetitions": count, "fields": len(items),
            "groups": 0, "location": location, "length": count * stride, "items": items}


def _slots(name: str, count: int, value: dict[str, Any], corner: int, stride: int, location: int,
           number: int, corner_name: str) -> dict[str, Any]:
    """A group of ``count`` lines, each ``value`` (a group) then ``corner`` suffix slots of
    ``stride`` bytes (corner items, suffixes of suffixes: opaque bytes)."""
    inner = [dict(value, number=1)]
    length = value["length"]
    if corner:
        inner.append(_byte_group(corner_name, f"{corner_name}_BYTE", corner * stride, length + 1, 2))
        length += corner * stride
    return {"kind": "group", "name": name, "number": number, "repetitions": count, "fields": 0,
            "groups": len(inner), "location": location, "length": count * length, "items": inner}


def _one_set_per_axis(obj: DataObject, parts: Sequence[DataObject]) -> None:
    """Refuse suffix items split one object per item (their own type, scaling or special
    values: `pdsgen.pds3.structure._suffix_parts`) inside a table of planes, where each
    suffix axis is one field (of one type and scaling) repeated over its items."""
    split = [q.name for q in parts if q.details["qube"].get("item") is not None]
    for q in parts:
        types = sorted({p.label_element_type or "" for p in parts if p.name.startswith(q.name.rsplit("_", 1)[0])})
        if len(types) > 1 and q.details["qube"].get("item") is not None:
            axis = q.details["qube"]["axis_names"][q.details["qube"]["part"]]
            raise UnsupportedError(f"object {q.name.rsplit('_', 1)[0]!r} cannot be described: {axis} suffix items "
                                   f"of different types {types} (one PDS4 field repeated over them has one)")
    if split:
        raise UnsupportedError(f"object {obj.name!r}: the suffix items {', '.join(split)} each have their own "
                               "type, scaling or special values (<AXIS>_SUFFIX_* sequences) and interleave with "
                               "the core; a PDS4 field repeated over them has one")


def qube_planes_table(obj: DataObject, parts: list[DataObject], *, notes: Notes,
                      units: dict[str, str]) -> dict[str, Any]:
    """A QUBE with sideplanes or bottomplanes (suffix items along the two faster storage
    axes, which interleave with the core) as a Table_Binary with one record per core
    plane of the slowest axis (PDS3 Standards Reference A.23 layout): a group of the n1
    lines, each the n0 core items (field ``CORE``, the core's type, unit, scaling and
    special constants) then the s0 sideplane items (field ``<A0>_SUFFIX``, the suffix
    type, in SUFFIX_BYTES slots); then the s1 bottomplane lines (field ``<A1>_SUFFIX``),
    their s0 corner slots as opaque bytes. Backplanes are `qube_backplanes_table`.
    ``parts``: the PDS3 reader's sideplane/bottomplane objects, compared with the table's
    suffix fields on read-back."""
    g = obj.details["qube"]
    names = list(g["axis_names"])
    (n0, n1, n2), (s0, s1, _s2) = tuple(g["core"]), tuple(g["suffix"])
    cb, sb = int(g["core_bytes"]), int(g["suffix_bytes"])
    where = f"object {obj.name!r}"
    a0, a1 = names[0], names[1] if len(names) > 1 else "AXIS_2"
    _one_set_per_axis(obj, parts)
    by_part = {int(q.details["qube"]["part"]): q for q in parts}
    for q in by_part.values():
        if q.error is not None:
            raise UnsupportedError(f"object {q.name!r} cannot be described: {q.error}")
    core = _typed_group(f"{a0}S", QUBE_CORE_FIELD, n0, cb, 1, 1, _element(obj, where, notes, units), cb)
    line_items = [core]
    if s0:
        q = by_part[0]
        line_items.append(_typed_group(f"{a0}_SUFFIX_ITEMS", f"{a0}_SUFFIX", s0, sb, n0 * cb + 1, 2,
                                       _element(q, f"object {q.name!r}", notes, units),
                                       int(q.details["qube"]["item_bytes"])))
    row = n0 * cb + s0 * sb
    lines = {"kind": "group", "name": f"{a1}S", "number": 1, "repetitions": n1, "fields": 0,
             "groups": len(line_items), "location": 1, "length": n1 * row, "items": line_items}
    items = [lines]
    if s1:
        q = by_part[1]
        value = _typed_group(f"{a1}_SUFFIX_ITEMS", f"{a1}_SUFFIX", n0, sb, 1, 1,
                             _element(q, f"object {q.name!r}", notes, units), int(q.details["qube"]["item_bytes"]))
        items.append(_slots(f"{a1}_SUFFIX_LINES", s1, value, s0, sb, n1 * row + 1, 2, "CORNER"))
    plane = n1 * row + s1 * (n0 + s0) * sb
    notes.add(f"{where}: SUFFIX_ITEMS = ({', '.join(map(str, g['suffix'][:len(names)]))}) along AXIS_NAME "
              f"({', '.join(names)}): sideplanes/bottomplanes interleave with the core, so the qube is described "
              f"as a Table_Binary of its {n2} core planes (fields {QUBE_CORE_FIELD}"
              + "".join(f", {names[k]}_SUFFIX" for k in (0, 1) if k in by_part) + ")")
    return {"kind": "table", "class_name": "Table_Binary", "format": "binary", "name": obj.name,
            "offset": obj.offset, "records": n2,
            "description": (obj.description + " " if obj.description else "")
            + f"PDS3 QUBE (AXIS_NAME {', '.join(names)}; CORE_ITEMS {n0}, {n1}, {n2}; SUFFIX_ITEMS "
            f"{s0}, {s1}, {_s2}): one record per {names[2] if len(names) > 2 else 'qube'} plane.",
            "record_delimiter": None, "record_length": plane, "fields": 0, "groups": len(items), "items": items}


def qube_backplanes_table(part: DataObject, *, notes: Notes, units: dict[str, str]) -> dict[str, Any]:
    """The backplanes (suffix planes along the slowest axis) of a QUBE that also has
    sideplanes or bottomplanes, or whose items do not fill their SUFFIX_BYTES slots (no
    array steps over the padding): a Table_Binary of the s2 suffix planes right after the
    core planes, each (n1 + s1) lines of (n0 + s0) SUFFIX_BYTES slots; the backplane items
    are field ``<A2>_SUFFIX``, corner slots opaque bytes."""
    _one_set_per_axis(part, [part])
    g = part.details["qube"]
    names = list(g["axis_names"])
    (n0, n1, n2), (s0, s1, s2) = tuple(g["core"]), tuple(g["suffix"])
    cb, sb = int(g["core_bytes"]), int(g["suffix_bytes"])
    if part.error is not None:
        raise UnsupportedError(f"object {part.name!r} cannot be described: {part.error}")
    value = _typed_group(f"{names[0]}S", f"{names[2]}_SUFFIX", n0, sb, 1, 1,
                         _element(part, f"object {part.name!r}", notes, units), int(g["item_bytes"]))
    items = [_slots(f"{names[1]}S", n1, value, s0, sb, 1, 1, "CORNER")]
    if s1:
        items.append(_byte_group("CORNER_LINES", "CORNER_LINE_BYTE", s1 * (n0 + s0) * sb, n1 * (n0 + s0) * sb + 1, 2))
    plane = n1 * (n0 * cb + s0 * sb) + s1 * (n0 + s0) * sb
    return {"kind": "table", "class_name": "Table_Binary", "format": "binary", "name": part.name,
            "offset": part.offset + n2 * plane, "records": s2, "description": part.description,
            "record_delimiter": None, "record_length": (n1 + s1) * (n0 + s0) * sb, "fields": 0,
            "groups": len(items), "items": items}


def _interleaved_suffix(obj: DataObject) -> bool:
    g = obj.details.get("qube") or {}
    return obj.layout == "pds3_qube" and any(tuple(g.get("suffix") or (0, 0, 0))[:2])


def describe_header(obj: DataObject, *, length: int | None) -> dict[str, Any]:
    size = obj.size if obj.size is not None else length
    if not size:
        raise UnsupportedError(f"object {obj.name!r}: the header's length is not known")
    kind = str(obj.details.get("header_type") or "").upper()
    standard = {"FITS": "FITS 3.0", "VICAR": "VICAR2", "VICAR2": "VICAR2", "ISIS": "ISIS2"}.get(kind,
                                                                                              "7-Bit ASCII Text")
    return {"name": obj.name, "offset": obj.offset, "object_length": size, "parsing_standard_id": standard,
            "description": obj.description}


# --------------------------------------------------------------------------- documents, encoded images

#: PDS3 DOCUMENT_FORMAT → PDS4 Document_File document_standard_id (the 1M00 Schematron's list)
DOCUMENT_STANDARDS = {
    "PDF": "PDF", "PDFA": "PDF/A", "PDF/A": "PDF/A", "HTML": "HTML", "HTM": "HTML", "PS": "Postscript",
    "POSTSCRIPT": "Postscript", "EPS": "Encapsulated Postscript", "TEX": "LaTEX", "LATEX": "LaTEX",
    "DOC": "Microsoft Word", "DOCX": "Microsoft Word", "WORD": "Microsoft Word", "MSWORD": "Microsoft Word",
    "XLS": "Microsoft Excel", "XLSX": "Microsoft Excel", "EXCEL": "Microsoft Excel", "RTF": "Rich Text",
    "MP4": "MPEG-4", "MPEG-4": "MPEG-4",
}
#: PDS3 DOCUMENT_FORMAT / IMAGE ENCODING_TYPE → PDS4 Encoded_Image encoding_standard_id
IMAGE_ENCODINGS = {"JPG": "JPEG", "JPEG": "JPEG", "GIF": "GIF", "PNG": "PNG", "TIF": "TIFF", "TIFF": "TIFF",
                   "JP2": "J2C", "J2C": "J2C", "JPEG2000": "J2C", "JPEG_2000": "J2C"}
#: how files of each standard begin (checked: a label never claims a format its bytes do not have)
_MAGIC = {"JPEG": (b"\xff\xd8\xff",), "PNG": (b"\x89PNG\r\n\x1a\n",), "GIF": (b"GIF87a", b"GIF89a"),
          "TIFF": (b"II*\0", b"MM\0*"), "J2C": (b"\xff\x4f\xff\x51", b"\0\0\0\x0cjP  \r\n\x87\n"),
          "PDF": (b"%PDF",), "PDF/A": (b"%PDF",), "Postscript": (b"%!",),
          "Encapsulated Postscript": (b"%!", b"\xc5\xd0\xd3\xc6"), "Rich Text": (b"{\\rtf",)}


def _head(obj: DataObject, n: int = 16) -> bytes:
    with open(obj.file, "rb") as fh:
        fh.seek(obj.offset)
        return fh.read(n)


def _check_magic(obj: DataObject, standard: str, said: str) -> None:
    magic = _MAGIC.get(standard)
    if magic and not _head(obj).startswith(magic):
        raise UnsupportedError(f"object {obj.name!r}: {said} but {obj.file.name} at byte {obj.offset} does not "
                               f"begin like a {standard} file")


def encoding_of(obj: DataObject) -> tuple[str, str] | None:
    """(PDS3 spelling, kind) of an encoded object: kind "image" (an IMAGE with an
    ENCODING_TYPE, or a DOCUMENT in an image format), "document" (PDF, HTML ...), None
    when the object is not encoded."""
    fmt = obj.details.get("encoding_type") or obj.details.get("document_format")
    if not fmt:
        return None
    key = "_".join(str(fmt).upper().split())
    if key in IMAGE_ENCODINGS:
        return str(fmt), "image"
    if key in DOCUMENT_STANDARDS and "encoding_type" not in obj.details:
        return str(fmt), "document"
    what = "ENCODING_TYPE" if "encoding_type" in obj.details else "DOCUMENT_FORMAT"
    raise UnsupportedError(f"object {obj.name!r}: {what} = {fmt} has no PDS4 form (Encoded_Image takes "
                           f"{', '.join(sorted(set(IMAGE_ENCODINGS.values())))}; Document_File takes "
                           f"{', '.join(sorted(set(DOCUMENT_STANDARDS.values())))} and text)")


def _length(obj: DataObject, next_offset: int | None) -> int:
    """Bytes of an object: the label's size, else up to the next object, else to the end of the file."""
    if obj.size is not None:
        return obj.size
    return (next_offset if next_offset is not None else obj.file.stat().st_size) - obj.offset


def describe_encoded_image(obj: DataObject, next_offset: int | None = None) -> dict[str, Any]:
    """An encoded image (JPEG, PNG, GIF, TIFF, JPEG 2000) → Encoded_Image over the same bytes."""
    fmt, _ = encoding_of(obj) or ("", "")
    standard = IMAGE_ENCODINGS["_".join(fmt.upper().split())]
    key = "ENCODING_TYPE" if "encoding_type" in obj.details else "DOCUMENT_FORMAT"
    _check_magic(obj, standard, f"{key} = {fmt}")
    size = _length(obj, next_offset)
    return {"kind": "encoded", "class_name": "Encoded_Image", "name": obj.name, "offset": obj.offset,
            "object_length": size, "encoding_standard_id": standard, "description": obj.description}


def _text_standard(raw: bytes, where: str) -> str:
    arr = np.frombuffer(raw, np.uint8)
    if arr.size == 0 or int(arr.max()) < 0x80:
        return "7-Bit ASCII Text"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsupportedError(f"{where}: text that is neither 7-bit ASCII nor UTF-8 (byte {exc.start}); "
                               "PDS4 text documents are one or the other") from None
    return "UTF-8 Text"


def describe_text(obj: DataObject) -> dict[str, Any]:
    """A PDS3 TEXT (or plain-text DOCUMENT) object: Stream_Text over its bytes in an
    observational product; in a product of documents only, its whole file is the
    Document_File (`document_file`)."""
    where = f"object {obj.name!r}"
    size = obj.size if obj.size is not None else obj.file.stat().st_size - obj.offset
    with open(obj.file, "rb") as fh:
        fh.seek(obj.offset)
        raw = fh.read(size)
    standard = _text_standard(raw, where)
    return {"kind": "text", "class_name": "Stream_Text", "name": obj.name, "offset": obj.offset,
            "object_length": size, "parsing_standard_id": standard,
            "record_delimiter": "Carriage-Return Line-Feed" if b"\r\n" in raw else "Line-Feed",
            "description": obj.description}


def document_file(obj: DataObject, desc: dict[str, Any]) -> dict[str, Any]:
    """The Document_File standard of a document object's whole file (text: 7-bit ASCII
    or UTF-8 decided from the file's bytes; encoded: from DOCUMENT_FORMAT, checked
    against the file's first bytes)."""
    where = f"object {obj.name!r}"
    if desc["kind"] == "text":
        standard = _text_standard(obj.file.read_bytes(), f"{where}: file {obj.file.name}")
    else:
        fmt = str(obj.details.get("document_format"))
        standard = DOCUMENT_STANDARDS["_".join(fmt.upper().split())]
        _check_magic(obj, standard, f"DOCUMENT_FORMAT = {fmt}")
    return {"standard": standard, "edition": f"{obj.name} ({standard})"}


def leading_short_records(obj: DataObject) -> int | None:
    """Bytes of the leading records of a delimited table when they are exactly its short
    records (fewer fields than the label: a title line above a CSV's data, as in Mini-RF's
    housekeeping files), else None. Only those few records are split here (csv module,
    the reader's quoting rules); the rest of the table is not touched."""
    import csv

    count = int(obj.details.get("short_record_count") or 0)
    ncols = int(obj.details.get("fields_per_record") or len(obj.fields))
    if not count or obj.records is None or count >= obj.records:
        return None
    delimiter = {"comma": ",", "horizontal tab": "\t", "semicolon": ";", "vertical bar": "|"}.get(
        str(obj.details.get("field_delimiter", "comma")))
    if delimiter is None:
        return None
    size = 0
    with open(obj.file, "rb") as fh:
        fh.seek(obj.offset)
        for k in range(count + 1):
            line = fh.readline()
            if not line.strip():
                return None  # a blank line: the reader skips it, record numbers would not follow the bytes
            cells = next(csv.reader([line.decode("latin-1").rstrip("\r\n")], delimiter=delimiter,
                                    quotechar='"', doublequote=True), [])
            if (len(cells) < ncols) != (k < count):
                return None
            if k < count:
                size += len(line)
    return size


def _leading_header(obj: DataObject, size: int, count: int, notes: Notes,
                    units: dict[str, str]) -> list[dict[str, Any]]:
    """A delimited table whose first ``count`` records (``size`` bytes) are short: those
    bytes as a Header, the table after them with ``count`` fewer records. The PDS3 side
    of the comparison becomes the same records (a copy of ``obj`` starting after them)."""
    from dataclasses import replace

    from pdsgen.model import DataObject as _DataObject

    head = _DataObject(name=f"{obj.name}_TITLE_LINES", kind="header", layout="header", file=obj.file,
                       offset=obj.offset, label_type="HEADER", size=size,
                       description=f"The first {count} line(s) of the PDS3 {obj.label_type}: fewer fields than "
                                   "its records (a title)")
    rest = replace(obj, offset=obj.offset + size, records=int(obj.records or 0) - count,
                   details={k: v for k, v in obj.details.items() if k != "short_record_count"},
                   _data=obj.data[count:])
    notes.add(f"object {obj.name!r}: the first {count} record(s) have fewer fields than the label (a title): "
              f"described as Header {head.name!r} ({size} bytes), the Table_Delimited starts after them with "
              f"{rest.records} records")
    table = {"kind": "table", **describe_table(rest, notes=notes, units=units), "source": rest}
    return [{"kind": "header", **describe_header(head, length=size), "source": head}, table]


def describe_objects(obj: DataObject, *, next_offset: int | None, notes: Notes, units: dict[str, str],
                     siblings: Sequence[DataObject] = ()) -> list[dict[str, Any]]:
    descs = _describe_objects(obj, next_offset=next_offset, notes=notes, units=units, siblings=siblings)
    kept = obj.details.get("pds3_keywords")
    if kept:
        for d in descs:
            d["description"] = with_kept_keywords(d.get("description"), kept)
        notes.add(f"object {obj.name!r}: {', '.join(kept)} kept in its description (PDS4 has no current "
                  "element for them; stored values unchanged)")
    if obj.error is None and obj.size and obj.kind in ("table", "array") and obj.file.is_file() \
            and not obj.details.get("separator"):  # separated records: lines, not ROWS × ROW_BYTES
        have = obj.file.stat().st_size
        if obj.offset + obj.size > have:  # the reason, rather than a later validation or read-back finding
            raise UnsupportedError(f"object {obj.name!r}: {obj.file.name} has {have} bytes; the label places "
                                   f"{obj.size} bytes at offset {obj.offset} (file shorter than the label says)")
    return descs


def _describe_objects(obj: DataObject, *, next_offset: int | None, notes: Notes, units: dict[str, str],
                      siblings: Sequence[DataObject]) -> list[dict[str, Any]]:
    """`describe_object`, except that one PDS3 object may become several PDS4 objects
    (a delimited table's leading title lines → Header + Table_Delimited; a band-sequential
    image with per-band constants → one image per band) or none (the sideplanes and
    bottomplanes of a QUBE, fields of the core's table of planes); each dictionary
    carries the PDS3 object its values are compared with as ``source``. ``siblings``:
    the product's other objects (a QUBE core finds its suffix objects there)."""
    padded = obj.layout == "pds3_qube" and obj.details["qube"].get("part") == 2 and \
        obj.details["qube"].get("item_bytes") != obj.details["qube"].get("suffix_bytes")
    if (_interleaved_suffix(obj) or padded) and obj.error is None:
        part = obj.details["qube"].get("part")
        if part in (0, 1):
            return []  # in the core's table of planes (compared there)
        if part == 2:
            return [{**qube_backplanes_table(obj, notes=notes, units=units), "source": obj}]
        from dataclasses import replace

        parts = [q for q in siblings if q.layout == "pds3_qube" and q.name.startswith(f"{obj.name}.")
                 and q.details["qube"].get("part") in (0, 1)]
        desc = qube_planes_table(obj, parts, notes=notes, units=units)
        return [{**desc, "source": replace(obj, details={**obj.details, "qube_parts": parts})}]
    if obj.kind == "table" and obj.layout == "delimited" and obj.error is None and \
            obj.data is not None and obj.details.get("short_record_count"):
        size = leading_short_records(obj)
        if size is not None:
            return _leading_header(obj, size, int(obj.details["short_record_count"]), notes, units)
    if obj.kind == "table" and obj.error is None and any(
            line_tables(o, siblings).get(k) is obj for o in siblings if o.kind == "array" and o is not obj
            for k in ("prefix", "suffix")):
        return []  # an image's line prefixes/suffixes: fields of its table of lines (compared there)
    if obj.kind == "table" and obj.error is None and any(
            f.extra.get("item_special_constants") or f.extra.get("item_scaling") for f in obj.fields):
        split = _items_as_fields(obj)
        notes.add(f"object {obj.name!r}: special constants or scaling that differ per item: "
                  f"{', '.join(f.name for f in obj.fields if f not in split.fields)} described item by item "
                  "(one field per item, `<name>_<n>`, each with its own)")
        return [{**describe_object(split, next_offset=next_offset, notes=notes, units=units), "source": split}]
    if obj.kind == "table" and obj.error is None:
        try:
            return [{**describe_object(obj, next_offset=next_offset, notes=notes, units=units), "source": obj}]
        except _NoRoomForGap as exc:
            split = _items_as_fields(obj, {exc.name})
            if split.fields == obj.fields:
                raise UnsupportedError(f"object {obj.name!r}: group {exc.name!r}: its unused bytes fit neither "
                                       "after nor before its items") from None
            notes.add(f"object {obj.name!r}: ITEMS column {exc.name!r} fills its records with gaps between its "
                      "items and none after the last: described item by item (`<name>_<n>`)")
            return _describe_objects(split, next_offset=next_offset, notes=notes, units=units, siblings=siblings)
    if obj.kind == "array" and obj.error is None and "sample_bits" in obj.details and line_tables(obj, siblings):
        from dataclasses import replace

        tables = line_tables(obj, siblings)
        desc = describe_image(obj, notes=notes, units=units, line_tables=tables)
        return [{**desc, "source": replace(obj, details={**obj.details, "line_tables": list(tables.values()),
                                                         "line_prefix_table": "prefix" in tables})}]
    if obj.kind == "array" and obj.error is None and (obj.details.get("band_special_constants")
                                                      or obj.details.get("band_scaling")):
        bands = _band_images(obj)
        if bands is not None:
            notes.add(f"object {obj.name!r}: per-band {_per_band_kinds(obj.details)}: one Array_2D_Image per band "
                      f"({', '.join(b.name for b in bands)})")
            return [{**describe_image(b, notes=notes, units=units), "source": b} for b in bands]
    return [{**describe_object(obj, next_offset=next_offset, notes=notes, units=units), "source": obj}]


def describe_object(obj: DataObject, *, next_offset: int | None, notes: Notes,
                    units: dict[str, str]) -> dict[str, Any]:
    """One PDS3 data object → the dictionary the migration templates render (``kind``:
    table, array, header, text, encoded; ``document`` for a DOCUMENT in a non-image
    format, which only a Product_Document can hold). ``next_offset``: where the next
    object of the same file starts (a header without BYTES ends there)."""
    if obj.error is not None and obj.kind == "other" and obj.label_type.upper().endswith("HISTORY"):
        # ISIS HISTORY: PVL text the PDS3 reader does not parse; PDS4 Header (issue 18: HEADER/HISTORY)
        return {"kind": "header", **describe_header(obj, length=next_offset - obj.offset if next_offset else None)}
    encoded = encoding_of(obj) if (obj.details.get("encoding_type") or obj.details.get("document_format")) else None
    if encoded is not None:
        if encoded[1] == "image":
            return describe_encoded_image(obj, next_offset)
        return {"kind": "document", "name": obj.name, "offset": obj.offset, "object_length": _length(obj, None),
                "description": obj.description}
    if obj.error is not None:
        raise UnsupportedError(f"object {obj.name!r} cannot be read: {obj.error}")
    if obj.kind == "table":
        return {"kind": "table", **describe_table(obj, notes=notes, units=units)}
    if obj.kind == "array" and obj.layout == "pds3_qube":
        return describe_qube(obj, notes=notes, units=units)
    if obj.kind == "array" and obj.layout in ("array", "pds3_image") and "sample_bits" in obj.details:
        return describe_image(obj, notes=notes, units=units)  # an IMAGE (LINES, LINE_SAMPLES, SAMPLE_BITS)
    if obj.kind == "array" and obj.layout == "array":  # ARRAY of ELEMENT, HISTOGRAM
        return describe_array(obj, notes=notes, units=units)
    if obj.kind == "header":
        return {"kind": "header", **describe_header(obj, length=next_offset - obj.offset if next_offset else None)}
    if obj.kind == "text":
        return describe_text(obj)
    raise UnsupportedError(f"object {obj.name!r} ({obj.label_type}, {obj.kind}) is not migrated: only TABLE, "
                           "SPREADSHEET, IMAGE, QUBE, ARRAY, HISTOGRAM, COLLECTION, HEADER, HISTORY, TEXT and "
                           "DOCUMENT objects are")


def product_class(descs: list[dict[str, Any]]) -> str:
    """The PDS4 product class of a migrated product, from its objects' kinds: data
    objects → Product_Observational (encoded images in a File_Area_Observational_Supplemental,
    text as Stream_Text); only documents → Product_Document (each file a Document_File);
    only encoded images (and headers) → Product_Browse."""
    kinds = {d["kind"] for d in descs}
    if kinds & {"table", "array"}:
        if "document" in kinds:
            names = [d["name"] for d in descs if d["kind"] == "document"]
            raise UnsupportedError(f"object(s) {', '.join(map(repr, names))}: an encoded document beside data "
                                   "objects; PDS4 holds it only in a Product_Document of its own (migrate its "
                                   "PDS3 label separately)")
        return "Product_Observational"
    if kinds <= {"text", "document"}:
        return "Product_Document"
    if "encoded" in kinds and kinds <= {"encoded", "header"}:
        return "Product_Browse"
    names = [d["name"] for d in descs]
    raise UnsupportedError(f"objects {', '.join(map(repr, names))} ({', '.join(sorted(kinds))}) make neither an "
                           "observational product (no table or array), a document nor a browse product")
