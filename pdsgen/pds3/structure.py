"""PDS3 object definitions → `DataObject` fields, axes and layout for the shared readers.

One function per object family: tables (TABLE, INDEX_TABLE, SERIES, SPECTRUM,
*_TABLE; COLUMN, CONTAINER, BIT_COLUMN, ITEMS), spreadsheets (FIELD), images
(IMAGE), arrays (ARRAY/ELEMENT, COLLECTION, HISTOGRAM), headers and text. ``^STRUCTURE``
includes are spliced in first (`expand`). Row prefixes are folded into field offsets
(record length = prefix + ROW_BYTES + suffix), so the fixed-width reader needs nothing
PDS3-specific.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, overload

from pvl.collections import OrderedMultiDict, PVLObject, Quantity

from pdsgen.errors import LabelError, UnsupportedError
from pdsgen.model import Axis, DataObject, Field
from pdsgen.pds3 import types as pds3_types
from pdsgen.pds3.parser import is_block

_TEXT_FORMATS = {"TEXT", "ASCII", "TXT", "PLAIN_TEXT", "ASCII_TEXT"}
_STRUCTURE_KEY = re.compile(r"\^(?:\w+_)?STRUCTURE$")
_NO_UNIT = {"N/A", "NONE", "UNK", "NULL", "UNITLESS", "DIMENSIONLESS", ""}

#: PDS3 special-constant keywords → the model's (PDS4) names.
SPECIAL_CONSTANTS = {
    # ``NULL`` is the missing value of ISIS-made PDS3 images (ISIS3 ProcessExportPds writes
    # ``NULL = 16#FF7FFFFB#`` on PC_REAL, ``NULL = -32768`` on LSB_INTEGER IMAGE objects, with
    # VALID_MINIMUM and the four saturations; LROC, HiRISE, Kaguya, THEMIS products): the
    # IMAGE counterpart of the QUBE's CORE_NULL (PDS3 SR Appendix A.23). Before
    # MISSING_CONSTANT, which wins where a label gives both.
    "NULL": "missing_constant",
    "MISSING_CONSTANT": "missing_constant",
    "MISSING": "missing_constant",
    "INVALID_CONSTANT": "invalid_constant",
    "UNKNOWN_CONSTANT": "unknown_constant",
    "NOT_APPLICABLE_CONSTANT": "not_applicable_constant",
    "SATURATED_CONSTANT": "saturated_constant",
    "ERROR_CONSTANT": "error_constant",
    "LOW_REPR_SATURATION": "low_representation_saturation",
    "LOW_INSTR_SATURATION": "low_instrument_saturation",
    "HIGH_REPR_SATURATION": "high_representation_saturation",
    "HIGH_INSTR_SATURATION": "high_instrument_saturation",
    # The valid range (PDS3 Data Dictionary VALID_MINIMUM / VALID_MAXIMUM: the least /
    # greatest valid value of the stored data) is PDS4's Special_Constants valid_minimum /
    # valid_maximum; neither masks a value (not in `pdsgen.model.SPECIAL_CONSTANT_NAMES`).
    "VALID_MINIMUM": "valid_minimum",
    "VALID_MAXIMUM": "valid_maximum",
}


def object_kind(name: str, definition: PVLObject) -> str:
    """The object family: by structure first (any object with COLUMN sub-objects is a table,
    with FIELD sub-objects a spreadsheet, with LINES and LINE_SAMPLES an image), then by
    the ODL name's last word (INDEX_TABLE is a table)."""
    n = name.upper()
    if not n.endswith(("HEADER", "TEXT", "DOCUMENT")):
        subs: set[str] = set()
        keys: set[str] = set()
        for k, v in definition:  # (a pvl block iterates its (key, value) pairs; its views are slower)
            if isinstance(k, str):
                keys.add(k)
            if is_block(v, PVLObject):
                subs.add(k)
        if "CORE_ITEMS" in keys:
            return "qube"  # whatever its name (QUBE, SPECTRAL_QUBE ...)
        if "COLUMN" in subs or "CONTAINER" in subs:
            return "table"
        if "FIELD" in subs:
            return "spreadsheet"
        if {"LINES", "LINE_SAMPLES"} <= keys:
            return "image"
        if "AXIS_ITEMS" in keys and not n.endswith(("HISTOGRAM", "COLLECTION")):
            return "array"
    if n.endswith("HEADER"):
        return "header"
    if n.endswith("SPREADSHEET"):
        return "spreadsheet"
    if n.endswith(("TABLE", "SERIES", "SPECTRUM", "PALETTE")):
        return "table"
    if n.endswith("QUBE"):
        return "qube"
    if n.endswith("IMAGE"):
        return "image"
    if n.endswith("HISTOGRAM"):
        return "histogram"
    if n.endswith("ARRAY"):
        return "array"
    if n.endswith("COLLECTION"):
        return "collection"
    if n.endswith(("TEXT", "DOCUMENT")):
        return "text"
    return "other"


def _recognised(d: PVLObject) -> str:
    """What an unread object's definition holds (for the message naming it)."""
    subs = sorted({k for k, v in d.items() if is_block(v, PVLObject)})
    keys = [k for k, v in d.items() if isinstance(k, str) and not is_block(v, PVLObject)]
    parts = []
    if subs:
        parts.append("sub-objects " + ", ".join(subs))
    if keys:
        parts.append("keywords " + ", ".join(keys[:8]) + (" …" if len(keys) > 8 else ""))
    return "; ".join(parts) or "nothing"


#: keywords that fix where and how an object's values are read: given twice in one block
#: with different values, which one holds is not known (pvl's ``get`` takes the first)
LAYOUT_KEYWORDS = frozenset({
    "ROWS", "ROW_BYTES", "ROW_PREFIX_BYTES", "ROW_SUFFIX_BYTES", "COLUMNS", "FIELDS", "INTERCHANGE_FORMAT",
    "START_BYTE", "BYTES", "DATA_TYPE", "ITEMS", "ITEM_BYTES", "ITEM_OFFSET", "REPETITIONS", "START_BIT", "BITS",
    "FIELD_NUMBER", "FIELD_DELIMITER", "LINES", "LINE_SAMPLES", "BANDS", "SAMPLE_TYPE", "SAMPLE_BITS",
    "BAND_STORAGE_TYPE", "LINE_PREFIX_BYTES", "LINE_SUFFIX_BYTES", "AXES", "AXIS_ITEMS", "CORE_ITEMS",
    "CORE_ITEM_BYTES", "CORE_ITEM_TYPE", "SUFFIX_ITEMS", "SUFFIX_BYTES", "SCALING_FACTOR", "OFFSET",
    "CORE_MULTIPLIER", "CORE_BASE", "ENCODING_TYPE"})


def conflicting_keywords(obj: DataObject, d: PVLObject) -> None:
    """`LabelError` naming the keyword and its values when a `LAYOUT_KEYWORDS` keyword is
    given twice with different values in the object's block or a block inside it."""
    todo: list[tuple[Any, str | None]] = [(d, None)]
    while todo:
        block, kind = todo.pop()
        if not isinstance(block, OrderedMultiDict):
            continue
        for k, vs in dict.items(block):
            if len(vs) > 1:
                if k in LAYOUT_KEYWORDS and any(v != vs[0] for v in vs[1:]):
                    name = _text(_first_value(block, "NAME")) if kind else None
                    where = f"{kind.lower()} {name!r}: " if kind and name else f"{kind.lower()}: " if kind else ""
                    raise _err(obj, f"{where}{k} is given {len(vs)} times with different values "
                                    f"({', '.join(repr(_value(v)) for v in vs)}): which one holds is not known")
            elif type(vs[0]) is not str and is_block(vs[0], PVLObject):
                todo.append((vs[0], str(k)))
            if len(vs) > 1:
                todo.extend((v, str(k)) for v in vs if is_block(v, PVLObject))


def _first_value(block: Any, key: str) -> Any:
    values = dict.get(block, key)
    return values[0] if values else None


def describe(obj: DataObject, d: PVLObject, kind: str, record_bytes: int | None, label: Path) -> None:
    """Fill *obj* from its definition *d* (raises LabelError/UnsupportedError)."""
    if kind not in ("header", "text", "other"):
        conflicting_keywords(obj, d)
    if kind == "table":
        _table(obj, d, label)
    elif kind == "spreadsheet":
        _spreadsheet(obj, d, label)
    elif kind == "image":
        _image(obj, d)
    elif kind == "histogram":
        _histogram(obj, d)
    elif kind == "array":
        _array(obj, d, label)
    elif kind == "collection":
        _collection(obj, d, label)
    elif kind == "qube":
        _qube(obj, d, label)
    elif kind == "header":
        obj.kind, obj.layout = "header", "header"
        obj.size = _size(d, record_bytes)
        obj.details["header_type"] = _text(d.get("HEADER_TYPE"))
    elif kind == "text":
        _text_object(obj, d, record_bytes)
    else:
        obj.kind, obj.layout = "other", "other"
        what = "a QUBE" if "CORE_ITEMS" in d else "an object kind pdsgen does not read"
        obj.error = UnsupportedError(f"{obj.name} is {what} (recognised: {_recognised(d)})",
                                     path=str(obj.file), obj=obj.name)


# --- helpers ------------------------------------------------------------------------------
def _err(obj: DataObject, msg: str) -> LabelError:
    return LabelError(msg, path=str(obj.file), obj=obj.name)


def keywords(block: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict of ``block``'s keywords, each with its first value — what pvl's ``get``
    and ``[]`` give, built once: pvl's ``get`` is the generic ``Mapping.get`` going through
    two Python calls a look-up (a column's description looks up ~18 keywords)."""
    if isinstance(block, OrderedMultiDict):  # pvl's blocks: a dict of key → [its values], in order
        return {k: vs[0] for k, vs in dict.items(block)}
    return first_keywords(block.items())


def first_keywords(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """`keywords` of a block given as its (key, value) items (e.g. after `expand`)."""
    out: dict[str, Any] = {}
    for k, v in items:
        if k not in out:
            out[k] = v
    return out


def _value(v: Any) -> Any:
    return v.value if isinstance(v, Quantity) else v


@overload
def _int(d: Mapping[str, Any], key: str, obj: DataObject, *, required: Literal[True], where: str = "") -> int: ...
@overload
def _int(d: Mapping[str, Any], key: str, obj: DataObject, *, required: bool = False, where: str = "") -> int | None: ...
def _int(d: Mapping[str, Any], key: str, obj: DataObject, *, required: bool = False, where: str = "") -> int | None:
    v = d.get(key)
    if type(v) is int and -(2**63) <= v < 2**63:  # the usual case, at once
        return v
    v = _value(v)
    if v is None or (isinstance(v, str) and v.upper() in ("N/A", "UNK", "NULL")):
        if required:
            raise _err(obj, f"{where}{key} is missing")
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise _err(obj, f"{where}{key} = {v!r} is not an integer")
    if not -(2**63) <= v < 2**63:  # beyond any file, array or numpy index
        raise _err(obj, f"{where}{key} = {v} is out of range")
    return v


def _float(v: Any) -> float | None:
    v = _value(v)
    if isinstance(v, str):
        # A number given as a quoted string (``SCALING_FACTOR = "0.5"``): ODL's quoted text
        # (Standards Reference 12.3.3) of a numeric keyword is still its number; ignoring it
        # read physical = stored (silently wrong values).
        v = _number_text(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        return float(v)
    except OverflowError:  # an integer beyond a double: infinite, refused where it matters
        return float("inf") if v > 0 else float("-inf")


def _number_text(text: str) -> int | float | None:
    """The number a quoted keyword value spells (``"0.5"``, ``" 1.0E-3 "``, ``"16#FF#"``), else None."""
    t = text.strip()
    m = re.fullmatch(r"([+-]?)(\d+)#([0-9A-Fa-f]+)#", t)
    if m:  # a based integer (Standards Reference 12.3.1.2) written in quotes
        try:
            n = int(m.group(3), int(m.group(2)))
        except ValueError:
            return None
        return -n if m.group(1) == "-" else n
    try:
        return int(t)
    except ValueError:
        pass
    try:
        x = float(t)
    except ValueError:
        return None
    return x if t.upper() not in ("NAN", "INF", "-INF", "+INF", "INFINITY", "-INFINITY") else None


def _text(v: Any) -> str | None:
    if v is None:
        return None
    v = _value(v)
    return str(v) if not isinstance(v, (list, set, frozenset)) else None


def _unit(v: Any) -> str | None:
    text = _text(v)
    if text is None or text.strip().upper() in _NO_UNIT:
        return None
    return text.strip()


def _size(d: Mapping[str, Any], record_bytes: int | None) -> int | None:
    nbytes = _value(d.get("BYTES"))
    if isinstance(nbytes, int):
        return nbytes
    records = _value(d.get("RECORDS"))
    if isinstance(records, int) and record_bytes:
        return records * record_bytes
    return None


def _constants(d: Mapping[str, Any], data_type: str | None, nbytes: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    floaty = data_type is not None and ("IEEE754" in data_type or "Float" in data_type or "IBM" in data_type)
    for key, name in SPECIAL_CONSTANTS.items():
        if key not in d:
            continue
        v = _value(d[key])
        if isinstance(v, list):  # e.g. MISSING_CONSTANT per band: keep the first
            v = v[0] if v else None
        if v is None:
            continue
        if isinstance(v, str) and name in _NUMERIC_CONSTANTS:
            # The valid range and the saturations are numbers of the data's type (PDS4 makes
            # them conform to it); a quoted number is that number, a no-value word (``"N/A"``,
            # ``UNK``) means there is none.
            v = _number_text(v)
            if v is None:
                continue
        # pvl turns 16#FF7FFFFB# into an int; for real data that is a bit pattern.
        if floaty and isinstance(v, int) and not isinstance(v, bool) and nbytes and v >= 2 ** (8 * nbytes - 1):
            v = f"16#{v:X}#"
        elif (data_type or "").startswith("Signed") and isinstance(v, int) and not isinstance(v, bool) and nbytes \
                and nbytes <= 8 and 2 ** (8 * nbytes - 1) <= v < 2 ** (8 * nbytes):
            # A based integer of a signed integer's bit pattern (``16#FFFF#`` on a 2-byte
            # MSB_INTEGER; Standards Reference 12.3.1.2: based integers; appendix C: two's
            # complement integers): pvl gives 65535, which no stored value can equal — the
            # value the bits hold is -1. No decimal constant beyond the type's range means
            # anything else.
            v -= 2 ** (8 * nbytes)
        out[name] = v
    return out


#: special constants that are numbers of the data's type, never text
_NUMERIC_CONSTANTS = frozenset({"valid_minimum", "valid_maximum", "low_representation_saturation",
                                "high_representation_saturation", "low_instrument_saturation",
                                "high_instrument_saturation"})


def unknown_constants(obj: DataObject, d: PVLObject, field: str | None = None) -> None:
    """Warn about keywords that look like a misspelt special constant (``SATURATED_CONSTNT``):
    they are ignored, never applied."""
    for key, value in d:  # (a pvl block iterates its (key, value) pairs)
        if not isinstance(key, str) or key in SPECIAL_CONSTANTS or key.startswith("^"):
            continue
        close = _close_constant(key)
        if close:
            obj.warn(f"unknown keyword {key} (did you mean {close}?): ignored", field=field,
                     value=str(_value(value)), file=obj.details.get("label"))


@lru_cache(maxsize=4096)
def _close_constant(key: str) -> str | None:
    """The special-constant keyword ``key`` looks like a misspelling of, if any (the same
    keywords recur in every column and label: remembered)."""
    import difflib

    close = difflib.get_close_matches(key, SPECIAL_CONSTANTS, n=1, cutoff=0.85)
    return close[0] if close else None


def _band_constants(obj: DataObject, d: PVLObject, bands: int, data_type: str,
                    nbytes: int) -> dict[str, list[Any]]:
    """Special constants given as one value per band, where the values differ."""
    out: dict[str, list[Any]] = {}
    for key, name in SPECIAL_CONSTANTS.items():
        v = _value(d.get(key))
        if not isinstance(v, list) or len({repr(_value(x)) for x in v}) < 2:
            continue
        if len(v) != bands:
            raise _err(obj, f"{key} has {len(v)} values for {bands} bands")
        out[name] = [_constants(PVLObject([(key, x)]), data_type, nbytes)[name] for x in v]
    return out


def _item_constants(obj: DataObject, c: Mapping[str, Any], name: str, items: int | None, data_type: str,
                    nbytes: int) -> dict[str, list[Any]]:
    """Special constants of an ITEMS column given as one value per item
    (``MISSING_CONSTANT = (-1, -2, -3)``), where the values differ: item i's constant is the
    i-th (a sequence value of a keyword applies element by element, Standards Reference
    12.5.4). Before, the first was applied to every item, silently. A list of another
    length, or on a column of single values, keeps the first value, with a warning."""
    out: dict[str, list[Any]] = {}
    for key, model_name in SPECIAL_CONSTANTS.items():
        v = _value(c.get(key))
        if not isinstance(v, list) or len({repr(_value(x)) for x in v}) < 2:
            continue
        if not items or len(v) != items:
            obj.warn(f"{key} = {v!r} is a list of {len(v)} values for {items or 1} item(s): the first is used",
                     field=name, code="constant_list")
            continue
        out[model_name] = [_constants(PVLObject([(key, x)]), data_type, nbytes)[model_name] for x in v]
    return out


def _item_scaling(obj: DataObject, c: Mapping[str, Any], name: str, items: int | None
                  ) -> tuple[dict[str, float | None], dict[str, list[float]]]:
    """SCALING_FACTOR / OFFSET of a column: (one value each, per-item lists). A sequence
    (``SCALING_FACTOR = (0.1, 0.2, 0.5)`` on a 3-item column) scales item i by its i-th
    value (Standards Reference 12.5.4, as per-item constants); all equal: one value. Before,
    a sequence was ignored (physical = stored, silently). A sequence of another length, or
    not of numbers, is a label error naming the column."""
    one: dict[str, float | None] = {}
    lists: dict[str, list[float]] = {}
    for key, model_name in (("SCALING_FACTOR", "scaling_factor"), ("OFFSET", "value_offset")):
        v = _value(c.get(key))
        if not isinstance(v, list):
            one[model_name] = _float(v)
            continue
        values = [_float(x) for x in v]
        if not values or any(x is None for x in values):
            raise _err(obj, f"column {name!r}: {key} = {v!r} is not a number per item")
        if len(set(values)) == 1:
            one[model_name] = values[0]
            continue
        if not items or len(values) != items:
            raise _err(obj, f"column {name!r}: {key} has {len(values)} values for {items or 1} item(s)")
        one[model_name] = None
        lists[model_name] = [float(x) for x in values]  # type: ignore[arg-type]
    if lists:
        for model_name, unit in (("scaling_factor", 1.0), ("value_offset", 0.0)):
            if model_name not in lists:
                base = one[model_name]
                lists[model_name] = [unit if base is None else base] * int(items or 1)
                one[model_name] = None
    return one, lists


def _band_scaling(obj: DataObject, d: Mapping[str, Any], bands: int) -> None:
    """SCALING_FACTOR / OFFSET given as one value per band (``SCALING_FACTOR = (0.5, 2.0)``):
    one value for all bands when they are all the same, else ``details["band_scaling"]``
    (``scaling_factor`` / ``value_offset`` lists, one per band), applied by
    `pdsgen.data.physical_data`. Before, a list was ignored: physical = stored."""
    lists: dict[str, list[float]] = {}
    for key, name in (("SCALING_FACTOR", "scaling_factor"), ("OFFSET", "value_offset")):
        v = _value(d.get(key))
        if not isinstance(v, list):
            continue
        values = [_float(x) for x in v]
        if not values or any(x is None for x in values):
            raise _err(obj, f"{key} = {v!r} is not a number per band")
        if len(set(values)) == 1:
            setattr(obj, name, values[0])
            continue
        if len(values) != bands:
            raise _err(obj, f"{key} has {len(values)} values for {bands} bands")
        lists[name] = [float(x) for x in values]  # type: ignore[arg-type]
    if lists:
        sf, vo = obj.scaling_factor, obj.value_offset  # a single value (or one list of equal values)
        obj.details["band_scaling"] = {"scaling_factor": lists.get("scaling_factor", [1.0 if sf is None else sf] * bands),
                                       "value_offset": lists.get("value_offset", [0.0 if vo is None else vo] * bands)}
        obj.scaling_factor = obj.value_offset = None


def expand(d: PVLObject, label: Path, depth: int = 0) -> list[tuple[str, Any]]:
    """The object's items with ``^STRUCTURE`` format files spliced in place."""
    from pdsgen.pds3.label import load, upper_keywords
    from pdsgen.pds3.pointers import find_format_file

    items: list[tuple[str, Any]] = []
    for key, value in d.items():
        if isinstance(key, str) and _STRUCTURE_KEY.fullmatch(key):
            names = value if isinstance(value, list) else [value]
            for fname in names:
                if not isinstance(fname, str):
                    raise LabelError(f"{key} = {fname!r} is not a file name", path=str(label))
                path = find_format_file(label, fname)
                if path is None:
                    raise LabelError(
                        f"{key} names {fname!r}, not found next to the label or in a LABEL folder",
                        path=str(label),
                    )
                if depth > 8:
                    raise LabelError(f"{key} includes nest deeper than 8 levels", path=str(path))
                included = upper_keywords(load(path, strict=True))
                items.extend(expand(included, path, depth + 1))
        else:
            items.append((key, value))
    return items


# --- tables -------------------------------------------------------------------------------
def _table(obj: DataObject, d: PVLObject, label: Path) -> None:
    items = expand(d, label)
    dd = first_keywords(items)
    fmt = (_text(dd.get("INTERCHANGE_FORMAT")) or "").upper()
    rows = _int(dd, "ROWS", obj, required=True)
    row_bytes = _int(dd, "ROW_BYTES", obj, required=True)
    prefix = _int(dd, "ROW_PREFIX_BYTES", obj) or 0
    suffix = _int(dd, "ROW_SUFFIX_BYTES", obj) or 0
    if fmt not in ("ASCII", "BINARY"):
        fmt = "ASCII" if _all_character(items) else "BINARY"
    ascii_table = fmt == "ASCII"
    obj.records = rows
    obj.record_length = prefix + row_bytes + suffix
    obj.size = rows * obj.record_length
    if ascii_table:  # may find the records longer than the label says (ROW_BYTES without the line end)
        obj.details["record_delimiter"] = _sniff_delimiter(obj)
        if _no_line_ends(obj):
            obj.details["line_ends"] = False
    # where a row's values end: ROW_BYTES, less an ASCII row's line end unless suffix bytes follow
    values_end = row_bytes if not ascii_table or suffix or obj.details.get("line_ends") is False else (
        obj.record_length - prefix - (1 if obj.details["record_delimiter"] == "line-feed" else 2))
    items = _last_column_bytes(obj, items, values_end)
    fields: list[Field] = []
    _columns(obj, items, prefix, (), (), (), ascii_table, fields, label)
    if not fields:
        raise _err(obj, "table has no COLUMN objects")
    from pdsgen.data.fixed import check_layout
    from pdsgen.data.io import field_overlap

    obj.fields = fields
    kept = kept_keywords(dd, _SAMPLING_KEYWORDS, None)
    if kept:
        obj.details["pds3_keywords"] = kept
    check_layout(obj, obj.record_length)  # (before the overlap pass: ITEMS = 10**12 is refused, not expanded)
    overlap = field_overlap(fields)
    if overlap:  # PDS3 forbids it and no schema ever checked it: the values are not trustworthy
        raise _err(obj, overlap)
    obj.kind = "table"
    obj.layout = "fixed_character" if ascii_table else "fixed_binary"
    obj.fields = fields
    obj.details.update(
        interchange_format=fmt,
        row_bytes=row_bytes,
        row_prefix_bytes=prefix,
        row_suffix_bytes=suffix,
        columns=_int(dd, "COLUMNS", obj),
    )


def _last_column_bytes(obj: DataObject, items: list[tuple[str, Any]], values_end: int) -> list[tuple[str, Any]]:
    """Older labels leave BYTES off the last COLUMN (it runs to the end of the row's values,
    ``values_end`` bytes after the prefix: before an ASCII row's line end): that column
    gets the bytes up to there, with a warning."""
    cols = [i for i, (k, v) in enumerate(items) if k == "COLUMN" and is_block(v, PVLObject)]
    if not cols or any(k == "CONTAINER" for k, _ in items):
        return items
    i = cols[-1]
    c = items[i][1]
    start = _int(c, "START_BYTE", obj)
    if "BYTES" in c or "ITEMS" in c or "BIT_COLUMN" in c or not start:
        return items
    nbytes = values_end - (start - 1)
    if nbytes <= 0:
        return items
    name = _text(c.get("NAME"))
    obj.warn(f"the last column has no BYTES: {nbytes} bytes to the end of the row assumed", field=name,
             file=obj.details.get("label"), code="column_bytes_missing")
    return [*items[:i], ("COLUMN", PVLObject([*c.items(), ("BYTES", nbytes)])), *items[i + 1:]]


def _sniff_delimiter(obj: DataObject) -> str:
    """PDS3 asks for CR LF after each ASCII row; many files have LF only: look at rows 1 and 2.

    Labels often count only the values in ROW_BYTES (the line end, which PDS3 includes,
    left out): when row 1 does not end with a line end but one follows it right after,
    and row 2 ends at the same stride, the records are that much longer (a warning)."""
    n = obj.record_length or 0
    try:
        with open(obj.file, "rb") as fh:
            fh.seek(obj.offset)
            head = fh.read(2 * n + 4)
    except (OSError, ValueError):
        head = b""
    if n and head[n - 1:n] != b"\n" and obj.records:
        for end in (b"\r\n", b"\n"):
            stride = n + len(end)
            if head[n:stride] == end and (obj.records == 1 or head[2 * stride - len(end):2 * stride] == end):
                obj.warn(f"ROW_BYTES does not count the line end {end!r} that follows each row: "
                         f"records read as {stride} bytes", code="row_bytes_without_line_end")
                obj.record_length, obj.size = stride, obj.records * stride
                n = stride
                break
    end2 = head[max(n - 2, 0):n]
    return "line-feed" if end2[-1:] == b"\n" and end2[:1] != b"\r" else "carriage-return line-feed"


def _no_line_ends(obj: DataObject) -> bool:
    """An ASCII table whose records hold no CR or LF at all (a FITS ASCII table extension,
    records back to back): only looked at when the first record does not end in LF."""
    n, rows = obj.record_length or 0, obj.records or 0
    if not n or not rows:
        return False
    try:
        with open(obj.file, "rb") as fh:
            fh.seek(obj.offset)
            if fh.read(n)[-1:] == b"\n":
                return False
            fh.seek(obj.offset)
            region = fh.read(n * rows)
    except (OSError, ValueError):
        return False
    return len(region) == n * rows and b"\n" not in region and b"\r" not in region


def _all_character(items: list[tuple[str, Any]]) -> bool:
    for key, value in items:
        if key == "COLUMN" and is_block(value, PVLObject):
            t = pds3_types.clean_type(value.get("DATA_TYPE", ""))
            if t not in pds3_types.CHARACTER_TYPES:
                return False
    return True


def _columns(obj: DataObject, items: list[PVLObject], base: int, shape: tuple[int, ...], strides: tuple[int, ...],
             group_path: tuple[str, ...], ascii_table: bool, out: list[Field], label: Path) -> None:
    for key, value in items:
        if not is_block(value, PVLObject):
            continue
        if key == "COLUMN":
            _column(obj, value, base, shape, strides, group_path, ascii_table, out)
        elif key == "CONTAINER":
            citems = expand(value, label)
            c = first_keywords(citems)
            cname = _text(c.get("NAME")) or "CONTAINER"
            where = f"container {cname!r}: "
            start = _int(c, "START_BYTE", obj, required=True, where=where)
            reps = _int(c, "REPETITIONS", obj, required=True, where=where)
            nbytes = _int(c, "BYTES", obj, required=True, where=where)
            _columns(obj, citems, base + start - 1, (*shape, reps), (*strides, nbytes),
                     (*group_path, cname), ascii_table, out, label)


def _column(obj: DataObject, c: PVLObject, base: int, shape: tuple[int, ...], strides: tuple[int, ...],
            group_path: tuple[str, ...], ascii_table: bool, out: list[Field]) -> None:
    block, c = c, keywords(c)  # (the block itself for its repeated keywords)
    name = _text(c.get("NAME")) or f"COLUMN_{len(out) + 1}"
    where = f"column {name!r}: "
    label_type = c.get("DATA_TYPE")
    if label_type is None:
        raise _err(obj, f"{where}DATA_TYPE is missing")
    start = _int(c, "START_BYTE", obj, required=True, where=where)
    nbytes = _int(c, "BYTES", obj, where=where)
    items = _int(c, "ITEMS", obj, where=where)
    item_bytes = _int(c, "ITEM_BYTES", obj, where=where)
    if items and not item_bytes:
        if not nbytes:
            raise _err(obj, f"{where}ITEMS without ITEM_BYTES or BYTES")
        item_bytes = nbytes // items
    length = item_bytes if items else nbytes
    if not length:
        raise _err(obj, f"{where}BYTES is missing")
    item_offset: int = _int(c, "ITEM_OFFSET", obj, where=where) or item_bytes or 0
    location = base + start - 1
    bit_columns = [v for k, v in block if k == "BIT_COLUMN" and is_block(v, PVLObject)]
    if bit_columns:
        _bit_columns(obj, block, bit_columns, location, length, shape, strides, group_path, out)
        return
    try:
        data_type = pds3_types.normalise(label_type, length, ascii_table=ascii_table)
    except KeyError:
        raise _err(obj, f"{where}unknown DATA_TYPE {label_type!r}") from None
    except ValueError as exc:
        bits_type = pds3_types.odd_size_msb_integer(label_type, length)
        if bits_type is None or items:
            raise _err(obj, f"{where}{exc}") from None
        # an MSB integer of 3, 5, 6 or 7 bytes: numpy has no such type, but its bytes are
        # one big-endian bit field, read as a BIT_COLUMN over the whole column would be
        # (the column's own name; the bytes holding it named <name>_BYTES)
        unknown_constants(obj, block, name)
        out.append(Field(name=name, data_type=bits_type, location=location, length=length,
                         label_data_type=str(label_type), unit=_unit(c.get("UNIT")),
                         scaling_factor=_float(c.get("SCALING_FACTOR")), value_offset=_float(c.get("OFFSET")),
                         special_constants=_constants(c, bits_type, None), description=_text(c.get("DESCRIPTION")),
                         shape=shape, strides=strides, bits=(0, 8 * length - 1),
                         group_path=(*group_path, f"{name}_BYTES"),
                         extra={"bit_range": (0, 8 * length - 1), "column_number": _value(c.get("COLUMN_NUMBER"))}))
        return
    unknown_constants(obj, block, name)
    fshape, fstrides = shape, strides
    if items:
        fshape, fstrides = (*shape, items), (*strides, item_offset)
    constants = _constants(c, data_type, length)
    per_item = _item_constants(obj, c, name, items, data_type, length)
    scaling, item_scaling = _item_scaling(obj, c, name, items)
    for key in per_item:
        constants.pop(key, None)
    out.append(
        Field(
            name=name,
            data_type=data_type,
            location=location,
            length=length,
            label_data_type=str(label_type),
            unit=_unit(c.get("UNIT")),
            scaling_factor=scaling["scaling_factor"],
            value_offset=scaling["value_offset"],
            special_constants=constants,
            description=_text(c.get("DESCRIPTION")),
            field_format=_text(c.get("FORMAT")),
            minimum=_value(c.get("MINIMUM", c.get("VALID_MINIMUM"))),
            maximum=_value(c.get("MAXIMUM", c.get("VALID_MAXIMUM"))),
            shape=fshape,
            strides=fstrides,
            group_path=group_path,
            extra={"column_number": _value(c.get("COLUMN_NUMBER")),
                   "pds3_keywords": kept_keywords(c, _COLUMN_KEPT_KEYWORDS, 8 * (item_bytes or length)),
                   **({"item_special_constants": per_item} if per_item else {}),
                   **({"item_scaling": item_scaling} if item_scaling else {})},
        )
    )


def _bit_columns(obj: DataObject, c: PVLObject, bit_columns: list[PVLObject], location: int, length: int,
                 shape: tuple[int, ...], strides: tuple[int, ...], group_path: tuple[str, ...],
                 out: list[Field]) -> None:
    parent = pds3_types.clean_type(c.get("DATA_TYPE"))
    lsb = parent.startswith(("LSB_", "PC_", "VAX_"))
    for b in bit_columns:
        bname = _text(b.get("NAME")) or f"BIT_COLUMN_{len(out) + 1}"
        where = f"bit column {bname!r}: "
        start_bit = _int(b, "START_BIT", obj, required=True, where=where)
        bits = _int(b, "BITS", obj, where=where)
        items = _int(b, "ITEMS", obj, where=where) or 1
        item_bits = _int(b, "ITEM_BITS", obj, where=where) or bits
        if not item_bits:
            raise _err(obj, f"{where}BITS is missing")
        item_offset = _int(b, "ITEM_OFFSET", obj, where=where) or item_bits
        dtype = pds3_types.bit_type(b.get("BIT_DATA_TYPE", "MSB_UNSIGNED_INTEGER"))
        for k in range(items):  # label items, not data values
            first = start_bit - 1 + k * item_offset
            last = first + item_bits - 1
            loc, nbytes, ftype, fbits = location, length, dtype, None
            if last >= length * 8:
                raise _err(obj, f"{where}bits {first + 1}..{last + 1} lie outside the {length}-byte column")
            if lsb and length > 1:
                # Bits count from the MSB of the little-endian value: its bytes are stored
                # last to first, so byte b (from the MSB) sits at length - 1 - b.
                b0, b1 = first // 8, last // 8
                loc, nbytes = location + (length - 1 - b1), b1 - b0 + 1
                first, last = first - 8 * b0, last - 8 * b0
                if nbytes > 1:  # straddles bytes: read reversed, as a type of its own
                    from pdsgen.data.pds3_types import lsb_bit_field_type

                    ftype = lsb_bit_field_type(nbytes, first, last, dtype.startswith("Signed"))
            if ftype == dtype:
                fbits = (first, last)
            out.append(
                Field(
                    name=bname if items == 1 else f"{bname}_{k + 1}",
                    data_type=ftype,
                    location=loc,
                    length=nbytes,
                    label_data_type=str(b.get("BIT_DATA_TYPE", "")),
                    unit=_unit(b.get("UNIT")),
                    scaling_factor=_float(b.get("SCALING_FACTOR")),
                    value_offset=_float(b.get("OFFSET")),
                    special_constants=_constants(b, dtype, None),
                    description=_text(b.get("DESCRIPTION")),
                    shape=shape,
                    strides=strides,
                    bits=fbits,
                    group_path=(*group_path, _text(c.get("NAME")) or ""),
                    extra={"bit_range": (first, last)},
                )
            )


# --- spreadsheets -------------------------------------------------------------------------
_DELIMITERS = {"COMMA": "comma", "SEMICOLON": "semicolon", "TAB": "horizontal tab",
               "HORIZONTAL_TAB": "horizontal tab", "VERTICAL_BAR": "vertical bar", "BAR": "vertical bar"}


def _spreadsheet(obj: DataObject, d: PVLObject, label: Path) -> None:
    items = expand(d, label)
    dd = PVLObject(items)
    delim = pds3_types.clean_type(dd.get("FIELD_DELIMITER", "COMMA"))
    if delim not in _DELIMITERS:
        raise _err(obj, f"unknown FIELD_DELIMITER {delim!r}")
    fields: list[Field] = []
    index = 0
    for key, f in items:
        if key != "FIELD" or not is_block(f, PVLObject):
            continue
        name = _text(f.get("NAME")) or f"FIELD_{index + 1}"
        where = f"field {name!r}: "
        label_type = f.get("DATA_TYPE")
        if label_type is None:
            raise _err(obj, f"{where}DATA_TYPE is missing")
        try:
            data_type = pds3_types.normalise(label_type, None, ascii_table=True)
        except KeyError:
            raise _err(obj, f"{where}unknown DATA_TYPE {label_type!r}") from None
        n_items = _int(f, "ITEMS", obj, where=where)
        fields.append(
            Field(
                name=name, data_type=data_type, location=index, length=_int(f, "BYTES", obj, where=where) or 0,
                label_data_type=str(label_type), unit=_unit(f.get("UNIT")),
                scaling_factor=_float(f.get("SCALING_FACTOR")), value_offset=_float(f.get("OFFSET")),
                special_constants=_constants(f, data_type, None), description=_text(f.get("DESCRIPTION")),
                field_format=_text(f.get("FORMAT")),
                shape=(n_items,) if n_items else (), strides=(1,) if n_items else (),
                extra={"field_number": _value(f.get("FIELD_NUMBER"))},
            )
        )
        index += n_items or 1
    if not fields:
        raise _err(obj, "spreadsheet has no FIELD objects")
    obj.kind, obj.layout = "table", "delimited"
    obj.records = _int(dd, "ROWS", obj, required=True)
    obj.fields = fields
    # Records with fewer fields than FIELDS read with their missing values masked
    # (pdsgen.data.pds3_spreadsheet); more fields stay an error.
    obj.details.update(field_delimiter=_DELIMITERS[delim], fields_per_record=index,
                       row_bytes=_int(dd, "ROW_BYTES", obj), short_records="mask")


# --- images and arrays --------------------------------------------------------------------
def _element_type(obj: DataObject, label_type: Any, nbytes: int) -> str:
    try:
        return pds3_types.normalise(label_type, nbytes, ascii_table=False)
    except KeyError:
        raise _err(obj, f"unknown data type {label_type!r}") from None
    except ValueError as exc:
        raise UnsupportedError(str(exc), path=str(obj.file), obj=obj.name) from None


def _array_common(obj: DataObject, d: PVLObject, etype: str, label_type: Any) -> None:
    obj.kind, obj.layout = "array", "array"
    obj.element_type = etype
    obj.label_element_type = str(label_type)
    obj.scaling_factor = _float(d.get("SCALING_FACTOR"))
    obj.value_offset = _float(d.get("OFFSET"))
    obj.unit = _unit(d.get("UNIT"))
    obj.special_constants = _constants(d, etype, None)
    unknown_constants(obj, d)


def _image(obj: DataObject, d: PVLObject) -> None:
    lines = _int(d, "LINES", obj, required=True)
    samples = _int(d, "LINE_SAMPLES", obj, required=True)
    bands = _int(d, "BANDS", obj) or 1
    bits = _int(d, "SAMPLE_BITS", obj, required=True)
    label_type = d.get("SAMPLE_TYPE")
    if label_type is None:
        raise _err(obj, "SAMPLE_TYPE is missing")
    if not 0 < bits <= 64:
        raise _err(obj, f"SAMPLE_BITS = {bits} is not 1..64")
    packed = bits % 8 != 0
    # Packed samples (12-bit, 1-bit ...) are unpacked into the smallest integer that holds them.
    container = next(n for n in (1, 2, 4, 8) if 8 * n >= bits) if packed else bits // 8
    kind = pds3_types.BINARY_KINDS.get(pds3_types.clean_type(label_type), ("", ""))
    if packed and kind[0] not in ("int", "uint"):
        # PDS3 Standards Reference appendix C defines reals (IEEE, PC, VAX, IBM) and
        # complex numbers only as whole 4/8/16-byte items: a packed real has no defined
        # sign/exponent/fraction layout, so there is nothing correct to decode.
        raise UnsupportedError(f"SAMPLE_BITS = {bits} with SAMPLE_TYPE {label_type!r}: the PDS3 standard packs "
                               "only integer samples (reals and complex values are whole 4/8/16-byte items)",
                               path=str(obj.file), obj=obj.name)
    label_bits = bits
    if packed and _whole_container_samples(obj, d, lines, samples, bands, bits, container):
        obj.warn(f"SAMPLE_BITS = {bits}, but from the image's start to the end of {obj.file.name} there are "
                 f"exactly {container} bytes per sample (packed {bits}-bit samples would fill "
                 f"{_packed_bytes(lines, samples, bands, bits)}): read as {8 * container}-bit samples",
                 code="sample_bits_in_container")
        bits, packed = 8 * container, False
    etype = _element_type(obj, label_type, container)
    _array_common(obj, d, etype, label_type)
    obj.special_constants = _constants(d, etype, container)
    # ISIS-made images (HiRISE RDRs, isis2pds exports) give ISIS's special pixels as the
    # QUBE core keywords on the IMAGE (CORE_NULL = 0, CORE_HIGH_REPR_SATURATION = 1023 …)
    for key, name in _CORE_SPECIALS.items():
        if key in d and name not in obj.special_constants:
            v = _constants(PVLObject([("MISSING_CONSTANT", d[key])]), etype, container).get("missing_constant")
            if v is not None:
                obj.special_constants[name] = v
    _band_scaling(obj, d, bands)
    per_band = _band_constants(obj, d, bands, etype, container)
    if per_band:
        # Different constants per band do not fit the model's one value per name: they
        # live in details, `pdsgen.data.pds3_image.physical_image` applies them.
        for name in per_band:
            obj.special_constants.pop(name, None)
        obj.details["band_special_constants"] = per_band
    said = pds3_types.clean_type(_value(d.get("BAND_STORAGE_TYPE")) or "BAND_SEQUENTIAL")
    storage = _BAND_STORAGE.get(said)
    if storage is None:
        if bands > 1:  # guessing an order would give wrong samples
            raise _err(obj, f"BAND_STORAGE_TYPE {said!r} is not a band storage PDS3 defines "
                            "(BAND_SEQUENTIAL, LINE_INTERLEAVED, SAMPLE_INTERLEAVED)")
        storage = "BAND_SEQUENTIAL"
    elif storage != said:
        obj.warn(f"BAND_STORAGE_TYPE {said} read as {storage}", code="band_storage_spelling")
    if bands > 1 and storage == "LINE_INTERLEAVED":
        axes = [Axis("LINE", lines), Axis("BAND", bands), Axis("SAMPLE", samples)]
    elif bands > 1 and storage == "SAMPLE_INTERLEAVED":
        axes = [Axis("LINE", lines), Axis("SAMPLE", samples), Axis("BAND", bands)]
    else:
        axes = ([Axis("BAND", bands)] if bands > 1 else []) + [Axis("LINE", lines), Axis("SAMPLE", samples)]
    for n, a in enumerate(axes, 1):
        a.sequence_number = n
    obj.axes = axes
    prefix = _int(d, "LINE_PREFIX_BYTES", obj) or 0
    suffix = _int(d, "LINE_SUFFIX_BYTES", obj) or 0
    obj.details.update(band_storage_type=storage, line_prefix_bytes=prefix, line_suffix_bytes=suffix,
                       sample_bits=bits)
    kept = kept_keywords(d, _IMAGE_KEPT_KEYWORDS, bits)
    if label_bits != bits:
        kept["SAMPLE_BITS"] = str(label_bits)
    if kept:
        obj.details["pds3_keywords"] = kept
    encoding = (_text(d.get("ENCODING_TYPE")) or "").strip()
    if encoding and encoding.upper() not in ("N/A", "NONE", "UNK", "NULL", "UNCOMPRESSED"):
        # A compressed image (JPEG, JPEG 2000, CLEM-JPEG, Huffman first difference ...):
        # its bytes are not samples; reading them as such would give wrong numbers.
        obj.details["encoding_type"] = encoding
        obj.error = UnsupportedError(f"{obj.name} is an encoded image (ENCODING_TYPE = {encoding}); pdsgen "
                                     "reads uncompressed samples only", path=str(obj.file), obj=obj.name)
        return
    itemsize = bits // 8
    if packed:
        # Each stored line starts on a byte boundary; its samples are a continuous bit stream.
        obj.details.update(packed_bit_order="LSB" if kind[1] == "LSB" else "MSB")
    if prefix or suffix or packed:
        obj.layout = "pds3_image"  # pdsgen.data.pds3_image
        values = (bands if storage != "BAND_SEQUENTIAL" else 1) * samples
        per_line = -(-values * bits // 8) + prefix + suffix
        records = lines * (bands if storage == "BAND_SEQUENTIAL" else 1)
        obj.size = records * per_line
    else:
        obj.size = lines * samples * bands * itemsize


def _histogram(obj: DataObject, d: PVLObject) -> None:
    items = _int(d, "ITEMS", obj, required=True)
    # Older labels (Voyager, Viking) give ITEM_TYPE / ITEM_BITS instead of DATA_TYPE / ITEM_BYTES.
    label_type = d.get("DATA_TYPE", d.get("ITEM_TYPE"))
    if label_type is None:
        raise _err(obj, "DATA_TYPE (or ITEM_TYPE) is missing")
    item_bits = _int(d, "ITEM_BITS", obj)
    item_bytes = (_int(d, "ITEM_BYTES", obj) or (item_bits // 8 if item_bits and item_bits % 8 == 0 else 0)
                  or (_int(d, "BYTES", obj) or 0) // max(items, 1))
    etype = _element_type(obj, label_type, item_bytes)
    _array_common(obj, d, etype, label_type)
    obj.axes = [Axis("ITEM", items, 1)]
    obj.size = items * item_bytes


def _axis_list(v: Any) -> list[Any]:
    v = _value(v)
    if v is None:
        return []
    return [_value(x) for x in v] if isinstance(v, list) else [v]


def _array(obj: DataObject, d: PVLObject, label: Path) -> None:
    items = expand(d, label)
    dd = PVLObject(items)
    sizes = _axis_list(dd.get("AXIS_ITEMS"))
    if not sizes or not all(isinstance(n, int) for n in sizes):
        raise _err(obj, "AXIS_ITEMS is missing or not integers")
    names = [str(n) for n in _axis_list(dd.get("AXIS_NAME"))] or [f"AXIS_{k + 1}" for k in range(len(sizes))]
    if len(names) != len(sizes):
        names = [f"AXIS_{k + 1}" for k in range(len(sizes))]
    children = [(k, v) for k, v in items if is_block(v, PVLObject)]
    if len(children) != 1:
        raise UnsupportedError("ARRAY with more than one sub-object", path=str(obj.file), obj=obj.name)
    ckey, child = children[0]
    if ckey == "ARRAY":
        ckey, child = _nested_arrays(obj, child, label, sizes, names)
    if ckey == "ELEMENT":
        nbytes = _int(child, "BYTES", obj, required=True, where="ELEMENT ")
        label_type = child.get("DATA_TYPE")
        etype = _element_type(obj, label_type, nbytes)
        _array_common(obj, child, etype, label_type)
        obj.axes = [Axis(n, s, k + 1) for k, (n, s) in enumerate(zip(names, sizes, strict=True))]
        obj.size = math.prod(sizes) * nbytes
        return
    if ckey == "COLLECTION":
        # An array of records: a binary table with one row per array cell.
        _collection(obj, child, label)
        obj.records = math.prod(sizes)
        obj.size = obj.records * (obj.record_length or 0)
        obj.details["axis_items"] = sizes
        return
    raise UnsupportedError(f"ARRAY of {ckey} objects", path=str(obj.file), obj=obj.name)


def _nested_arrays(obj: DataObject, child: PVLObject, label: Path, sizes: list[Any],
                   names: list[str]) -> tuple[str, PVLObject]:
    """An ARRAY of ARRAY (of ARRAY …): each cell of the outer array is the inner array, stored
    one after the other (PDS3 Standards Reference, ARRAY object), so the whole is one array
    whose axes are the outer axes then the inner ones. ``sizes``/``names`` grow in place;
    gives the innermost sub-object (an ELEMENT or a COLLECTION). An inner array whose BYTES
    are not its cells' (padding between them) is refused."""
    depth = 0
    key = "ARRAY"
    while key == "ARRAY":
        depth += 1
        sub_items = expand(child, label)
        sub = PVLObject(sub_items)
        inner = _axis_list(sub.get("AXIS_ITEMS"))
        if not inner or not all(isinstance(n, int) for n in inner):
            raise _err(obj, f"inner ARRAY {depth}: AXIS_ITEMS is missing or not integers")
        inner_names = [str(n) for n in _axis_list(sub.get("AXIS_NAME"))]
        if len(inner_names) != len(inner):
            inner_names = [f"AXIS_{len(sizes) + k + 1}" for k in range(len(inner))]
        grandchildren = [(k, v) for k, v in sub_items if is_block(v, PVLObject)]
        if len(grandchildren) != 1:
            raise UnsupportedError(f"inner ARRAY {depth} with {len(grandchildren)} sub-objects",
                                   path=str(obj.file), obj=obj.name)
        key, leaf = grandchildren[0]
        declared = _int(sub, "BYTES", obj)
        if declared and key == "ELEMENT":
            cell = _int(leaf, "BYTES", obj) or 0
            if declared != math.prod(inner) * cell:
                raise UnsupportedError(f"inner ARRAY {depth}: BYTES = {declared} is not its {math.prod(inner)} "
                                       f"cells of {cell} bytes (bytes between the inner arrays)",
                                       path=str(obj.file), obj=obj.name)
        sizes.extend(inner)
        names.extend(n if n not in names else f"{n}_{depth + 1}" for n in inner_names)
        child = leaf
    obj.details["array_levels"] = depth + 1  # a standard structure, not a deviation: no warning
    return key, child


def _collection(obj: DataObject, d: PVLObject, label: Path) -> None:
    """A COLLECTION of ELEMENT / ARRAY(ELEMENT) objects: one binary record."""
    items = expand(d, label)
    dd = PVLObject(items)
    nbytes = _int(dd, "BYTES", obj, required=True)
    fields: list[Field] = []
    for key, child in items:
        if not is_block(child, PVLObject):
            continue
        name = _text(child.get("NAME")) or key
        start = _int(child, "START_BYTE", obj, where=f"{key} {name!r}: ") or 1
        if key == "ELEMENT":
            length = _int(child, "BYTES", obj, required=True, where=f"element {name!r}: ")
            label_type = child.get("DATA_TYPE")
            etype = _element_type(obj, label_type, length)
            fields.append(Field(name, etype, start - 1, length, label_data_type=str(label_type),
                                unit=_unit(child.get("UNIT")), scaling_factor=_float(child.get("SCALING_FACTOR")),
                                value_offset=_float(child.get("OFFSET")),
                                special_constants=_constants(child, etype, length),
                                description=_text(child.get("DESCRIPTION"))))
        elif key == "ARRAY":
            sub = PVLObject(expand(child, label))
            sizes = _axis_list(sub.get("AXIS_ITEMS"))
            elements = [v for k, v in sub.items() if k == "ELEMENT" and is_block(v, PVLObject)]
            if not sizes or len(elements) != 1:
                raise UnsupportedError(f"array {name!r} inside a collection is not an array of ELEMENTs",
                                       path=str(obj.file), obj=obj.name)
            el = elements[0]
            length = _int(el, "BYTES", obj, required=True, where=f"array {name!r} element: ")
            label_type = el.get("DATA_TYPE")
            etype = _element_type(obj, label_type, length)
            strides: list[int] = []
            step = length
            for n in reversed(sizes):
                strides.insert(0, step)
                step *= n
            fields.append(Field(name, etype, start - 1, length, label_data_type=str(label_type),
                                unit=_unit(el.get("UNIT")), scaling_factor=_float(el.get("SCALING_FACTOR")),
                                value_offset=_float(el.get("OFFSET")),
                                special_constants=_constants(el, etype, length),
                                description=_text(sub.get("DESCRIPTION")), shape=tuple(sizes),
                                strides=tuple(strides)))
        else:
            raise UnsupportedError(f"{key} inside a COLLECTION", path=str(obj.file), obj=obj.name)
    if not fields:
        raise _err(obj, "collection has no ELEMENT or ARRAY objects")
    obj.kind, obj.layout = "table", "fixed_binary"
    obj.records = 1
    obj.record_length = nbytes
    obj.size = nbytes
    obj.fields = fields


#: BAND_STORAGE_TYPE spellings of real labels → the PDS3 standard's three values
_BAND_STORAGE = {
    "BAND_SEQUENTIAL": "BAND_SEQUENTIAL", "BSQ": "BAND_SEQUENTIAL", "N/A": "BAND_SEQUENTIAL",
    "LINE_INTERLEAVED": "LINE_INTERLEAVED", "BAND_INTERLEAVED_BY_LINE": "LINE_INTERLEAVED", "BIL": "LINE_INTERLEAVED",
    "LINE_INTERLEAVED_BY_BAND": "LINE_INTERLEAVED",
    "SAMPLE_INTERLEAVED": "SAMPLE_INTERLEAVED", "BAND_INTERLEAVED_BY_PIXEL": "SAMPLE_INTERLEAVED",
    "BAND_INTERLEAVED_BY_SAMPLE": "SAMPLE_INTERLEAVED", "PIXEL_INTERLEAVED": "SAMPLE_INTERLEAVED",
    "BIP": "SAMPLE_INTERLEAVED",
}


def _packed_bytes(lines: int, samples: int, bands: int, bits: int) -> int:
    """Bytes of packed samples, each stored line starting on a byte boundary."""
    return lines * bands * -(-samples * bits // 8)


def _whole_container_samples(obj: DataObject, d: Mapping[str, Any], lines: int, samples: int, bands: int,
                             bits: int, container: int) -> bool:
    """Whether an image labelled with SAMPLE_BITS not a multiple of 8 (12) is in fact stored
    one sample per ``container`` bytes (16 bits; SAMPLE_BITS given as the active bits, which
    PDS3 says with SAMPLE_BIT_MASK): the data file holds exactly that many bytes from the
    image's start to its end, and packed samples would fill fewer. SAMPLE_BITS is the stored
    size (Standards Reference appendix A, IMAGE); the file's size is the evidence against it.
    Never with line prefixes/suffixes (their sizes would have to be guessed too)."""
    if d.get("LINE_PREFIX_BYTES") or d.get("LINE_SUFFIX_BYTES"):
        return False
    try:
        size = obj.file.stat().st_size - obj.offset
    except OSError:
        return False
    whole = lines * samples * bands * container
    return size == whole and whole != _packed_bytes(lines, samples, bands, bits)


#: IMAGE keywords PDS4 has no current element for, kept as text in the migrated description:
#: the display orientation and first line/sample numbers (PDS3 Data Dictionary; PDS4's
#: Display_2D_Image is deprecated, disp:Display_Settings is a discipline dictionary), the
#: active bits (SAMPLE_BIT_MASK; PDS4 Object_Statistics/bit_mask is deprecated — the bits
#: outside the mask are not cleared: readers, pdr and PDS4 alike, give the stored values)
#: and DERIVED_MINIMUM/MAXIMUM (statistics after scaling, unchecked against the data).
_IMAGE_KEPT_KEYWORDS = ("FIRST_LINE", "FIRST_LINE_SAMPLE", "LINE_DISPLAY_DIRECTION", "SAMPLE_DISPLAY_DIRECTION",
                        "SAMPLE_BIT_MASK", "DERIVED_MINIMUM", "DERIVED_MAXIMUM")
#: COLUMN keywords kept alike (BIT_MASK: Field_Binary has no bit mask).
#: SERIES / TIME_SERIES / SPECTRUM sampling (PDS3 SR A.24 SERIES, A.27 SPECTRUM: the spacing
#: of the rows, or of a column's items, in the sampling parameter). It is no value of the
#: data, and PDS4 tables and fields have no element for it: kept in the description.
_SAMPLING_KEYWORDS = ("SAMPLING_PARAMETER_NAME", "SAMPLING_PARAMETER_INTERVAL", "SAMPLING_PARAMETER_UNIT",
                      "MINIMUM_SAMPLING_PARAMETER", "MAXIMUM_SAMPLING_PARAMETER")
_COLUMN_KEPT_KEYWORDS = ("BIT_MASK", "DERIVED_MINIMUM", "DERIVED_MAXIMUM", *_SAMPLING_KEYWORDS)


def kept_keywords(d: Mapping[str, Any], keys: tuple[str, ...], bits: int | None) -> dict[str, str]:
    """``keys`` of ``d`` as PDS3 text (a bit mask as ``2#…#`` of ``bits`` digits)."""
    out: dict[str, str] = {}
    for key in keys:
        v = _value(d.get(key))
        if v is None or isinstance(v, (list, set, frozenset, dict)) or isinstance(v, PVLObject) \
                or (isinstance(v, str) and v.strip().upper() in _NO_UNIT):
            continue
        if key.endswith("BIT_MASK") and isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            v = f"2#{v:0{bits or 1}b}#"
        out[key] = str(v)
    return out


# --- QUBE ---------------------------------------------------------------------------------
#: ISIS core special values → the model's special constant names.
_CORE_SPECIALS = {
    "CORE_NULL": "missing_constant",
    "CORE_LOW_REPR_SATURATION": "low_representation_saturation",
    "CORE_LOW_INSTR_SATURATION": "low_instrument_saturation",
    "CORE_HIGH_REPR_SATURATION": "high_representation_saturation",
    "CORE_HIGH_INSTR_SATURATION": "high_instrument_saturation",
    # ISIS: the least valid stored value (every special value is below it); PDS4 valid_minimum
    "CORE_VALID_MINIMUM": "valid_minimum",
}


def _qube(obj: DataObject, d: PVLObject, label: Path) -> None:
    """A QUBE: the core on ``obj``; each suffix set a DataObject in details["extra_objects"]
    (`pdsgen.data.pds3_qube` reads both)."""
    from pdsgen.data.pds3_qube import qube_bytes

    dd = PVLObject(expand(d, label))
    names = [str(n).upper() for n in _axis_list(dd.get("AXIS_NAME"))]
    core = _axis_list(dd.get("CORE_ITEMS"))
    if not core or not all(isinstance(n, int) and n >= 0 for n in core):
        raise _err(obj, "CORE_ITEMS is missing or not non-negative integers")
    if len(names) != len(core):
        raise _err(obj, f"AXIS_NAME has {len(names)} names for {len(core)} CORE_ITEMS")
    if len(core) > 3:
        raise UnsupportedError(f"QUBE with {len(core)} axes (at most 3 are read)", path=str(obj.file), obj=obj.name)
    suffix = _axis_list(dd.get("SUFFIX_ITEMS")) or [0] * len(core)
    if len(suffix) != len(core) or not all(isinstance(n, int) and n >= 0 for n in suffix):
        raise _err(obj, f"SUFFIX_ITEMS {suffix} does not match CORE_ITEMS {core}")
    core_bytes = _int(dd, "CORE_ITEM_BYTES", obj, required=True)
    label_type = dd.get("CORE_ITEM_TYPE")
    if label_type is None:
        raise _err(obj, "CORE_ITEM_TYPE is missing")
    suffix_bytes = _int(dd, "SUFFIX_BYTES", obj) or 4
    pad = 3 - len(core)
    n3, s3 = (*core, *[1] * pad), (*suffix, *[0] * pad)
    geometry = {"core": n3, "suffix": s3, "core_bytes": core_bytes, "suffix_bytes": suffix_bytes,
                "axis_names": names, "part": None}
    etype = _element_type(obj, label_type, core_bytes)
    _array_common(obj, dd, etype, label_type)
    obj.scaling_factor = _float(dd.get("CORE_MULTIPLIER"))
    obj.value_offset = _float(dd.get("CORE_BASE"))
    obj.unit = _unit(dd.get("CORE_UNIT"))
    specials = {}
    for key, name in _CORE_SPECIALS.items():
        if key in dd:
            specials[name] = _constants(PVLObject([("MISSING_CONSTANT", dd[key])]), etype, core_bytes).get(
                "missing_constant")
    obj.special_constants = {k: v for k, v in specials.items() if v is not None}
    obj.layout = "pds3_qube"
    obj.axes = [Axis(n, c, k + 1) for k, (n, c) in enumerate(zip(reversed(names), reversed(core), strict=True))]
    geometry["shape"] = tuple(reversed(core))
    obj.details["qube"] = geometry
    obj.size = qube_bytes(n3, s3, core_bytes, suffix_bytes)
    extra = []
    for k, count in enumerate(suffix):
        if count:
            extra.extend(_suffix_parts(obj, dd, geometry, names, core, k, count, label_type, suffix_bytes))
    obj.details["extra_objects"] = extra


#: ISIS suffix special values (``<AXIS>_SUFFIX_NULL`` …, PDS3 SR Appendix A.23 QUBE: the
#: suffix keywords mirror the core's, saturations abbreviated ``_SAT``) → the model's names.
_SUFFIX_SPECIALS = {
    "NULL": "missing_constant",
    "LOW_REPR_SAT": "low_representation_saturation",
    "LOW_INSTR_SAT": "low_instrument_saturation",
    "HIGH_REPR_SAT": "high_representation_saturation",
    "HIGH_INSTR_SAT": "high_instrument_saturation",
    "LOW_REPR_SATURATION": "low_representation_saturation",
    "LOW_INSTR_SATURATION": "low_instrument_saturation",
    "HIGH_REPR_SATURATION": "high_representation_saturation",
    "HIGH_INSTR_SATURATION": "high_instrument_saturation",
    "VALID_MINIMUM": "valid_minimum",
}


def _per_item(obj: DataObject, dd: PVLObject, key: str, count: int, default: Any = None) -> list[Any]:
    """``key`` for each of ``count`` suffix items: PDS3 SR A.23 gives the ``<AXIS>_SUFFIX_*``
    keywords one value per suffix item (a sequence), one value standing for all."""
    if key not in dd:
        return [default] * count
    v = _value(dd[key])
    if not isinstance(v, list):
        return [v] * count
    items = [_value(x) for x in v]
    if len(items) == 1:
        return items * count
    if len(items) != count:
        raise _err(obj, f"{key} has {len(items)} values for {count} suffix items")
    return items


def _suffix_parts(obj: DataObject, dd: PVLObject, geometry: dict[str, Any], names: list[str], core: list[int],
                  k: int, count: int, label_type: Any, suffix_bytes: int) -> list[DataObject]:
    """The suffix items along storage axis ``k`` as DataObjects: one ``<QUBE>.<AXIS>_SUFFIX``
    when every item has the same type, size, scaling, unit and special values, else one
    ``<QUBE>.<AXIS>_SUFFIX_<i>`` per item (each its own keywords: a backplane's
    ``BAND_SUFFIX_MULTIPLIER = (0.01, 0.5)`` scales each plane by its own factor — taking the
    first for all read the other planes silently wrong)."""
    axis = names[k]
    pre = f"{axis}_SUFFIX_"
    suffix_names = [str(x) for x in _axis_list(dd.get(pre + "NAME"))]
    per = {
        "bytes": _per_item(obj, dd, pre + "ITEM_BYTES", count, suffix_bytes),
        "type": _per_item(obj, dd, pre + "ITEM_TYPE", count, _value(label_type)),
        "base": _per_item(obj, dd, pre + "BASE", count),
        "multiplier": _per_item(obj, dd, pre + "MULTIPLIER", count),
        "unit": _per_item(obj, dd, pre + "UNIT", count),
        **{key: _per_item(obj, dd, pre + key, count) for key in _SUFFIX_SPECIALS},
    }
    rows = [tuple(repr(per[key][i]) for key in per) for i in range(count)]
    items: list[int | None] = [None] if len(set(rows)) == 1 else list(range(count))
    out = []
    for i in items:
        j = i or 0
        name = f"{obj.name}.{axis}_SUFFIX" + ("" if i is None else f"_{j + 1}")
        these = suffix_names if i is None else suffix_names[j:j + 1]
        part = DataObject(name=name, kind="array", layout="pds3_qube", file=obj.file, offset=obj.offset,
                          label_type=obj.label_type,
                          description=f"{axis} suffix items of {obj.name}: " + ", ".join(these))
        item_bytes = per["bytes"][j]
        if not isinstance(item_bytes, int) or item_bytes <= 0:
            raise _err(obj, f"{pre}ITEM_BYTES = {item_bytes!r} is not a positive integer")
        stype: str | None
        try:
            stype = _element_type(part, per["type"][j], item_bytes)
        except UnsupportedError as exc:
            part.error = exc
            stype = None
        part.element_type, part.label_element_type = stype, str(per["type"][j])
        part.scaling_factor = _float(per["multiplier"][j])
        part.value_offset = _float(per["base"][j])
        part.unit = _unit(per["unit"][j])
        specials = {}
        for key, special in _SUFFIX_SPECIALS.items():
            if per[key][j] is not None:
                specials[special] = _constants(PVLObject([("MISSING_CONSTANT", per[key][j])]), stype,
                                               item_bytes).get("missing_constant")
        part.special_constants = {n: v for n, v in specials.items() if v is not None}
        sizes = list(core)
        sizes[k] = count if i is None else 1
        axis_names = list(names)
        axis_names[k] = f"{axis}_SUFFIX"
        part.axes = [Axis(n, c, m + 1) for m, (n, c) in enumerate(zip(reversed(axis_names), reversed(sizes),
                                                                            strict=True))]
        part.details["qube"] = {**geometry, "part": k, "item": i, "item_bytes": item_bytes,
                                "shape": tuple(reversed(sizes))}
        part.details["suffix_names"] = these
        part.size = obj.size
        out.append(part)
    return out


# --- headers and text ---------------------------------------------------------------------
def _text_object(obj: DataObject, d: PVLObject, record_bytes: int | None) -> None:
    fmt = (_text(d.get("INTERCHANGE_FORMAT")) or "").upper()
    doc_fmt = pds3_types.clean_type(d.get("DOCUMENT_FORMAT", "")) if "DOCUMENT_FORMAT" in d else ""
    if doc_fmt in _TEXT_FORMATS or (not doc_fmt and fmt in ("", "ASCII")):
        obj.kind, obj.layout = "text", "text"
        obj.size = _size(d, record_bytes)
        obj.details["encoding"] = "utf-8"
        return
    obj.kind, obj.layout = "other", "other"
    obj.details["document_format"] = doc_fmt or None
    obj.error = UnsupportedError(
        f"{obj.name} is {doc_fmt or fmt} (an encoded document), not text", path=str(obj.file), obj=obj.name
    )
