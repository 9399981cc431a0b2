"""Read one data file through both labels and compare: the PDS3 reading of the old label
and the PDS4 reading of the new one must give equal values, field by field, element by
element (whole-column numpy comparisons; NaN equals NaN in the same place) — the stored
values and the physical ones (scaling_factor/value_offset applied, special constants
masked: what users see); and pds4_tools' (scaled, masked) reading of the new label must
equal pdsgen's."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from pdsgen.migrate.describe import PAD_DESCRIPTION
from pdsgen.model import DataObject, Field


def _norm_text(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "S":  # UTF-8 text (UTF8_String fields) as characters, other bytes one by one
        try:
            values = np.char.decode(values, "utf-8")
        except UnicodeDecodeError:
            values = np.char.decode(values, "latin-1")
    return np.char.strip(values.astype(str))


def values_difference(a: Any, b: Any) -> str | None:
    """None if ``a`` and ``b`` hold equal values element by element, else what differs."""
    if isinstance(a, bytes | str) or isinstance(b, bytes | str):
        return None if a == b else f"{type(a).__name__} of {len(a)} vs {len(b)}: contents differ"
    a, b = np.asanyarray(a), np.asanyarray(b)
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    if a.dtype.kind in "iuf" and b.dtype.kind in "SU":
        return _numbers_as_text_difference(a, b)
    if a.dtype.kind == "b" and b.dtype.kind in "SU":
        return _booleans_as_text_difference(a, b)
    if np.ma.isMaskedArray(a) or np.ma.isMaskedArray(b):
        a, b = np.ma.getdata(a), np.ma.getdata(b)
    if a.dtype.kind == "S" and b.dtype.kind == "u" and a.dtype.itemsize == b.dtype.itemsize:
        # a PDS3 bit string read whole (its bytes, most significant first) against the
        # PDS4 unsigned integer describing it
        a = np.ascontiguousarray(a).view(f">u{a.dtype.itemsize}").astype(b.dtype)
    if a.dtype.kind in "SUO" or b.dtype.kind in "SUO":
        if a.dtype.kind in "SUO" and b.dtype.kind in "SUO":
            eq = _norm_text(a) == _norm_text(b)
        else:
            return f"types {a.dtype} vs {b.dtype}"
    elif a.dtype.kind == "M" or b.dtype.kind == "M":
        if a.dtype.kind != b.dtype.kind:
            return f"types {a.dtype} vs {b.dtype}"
        eq = (a == b) | (np.isnat(a) & np.isnat(b))
    elif a.dtype.kind in "fc" or b.dtype.kind in "fc":
        eq = (a == b) | (np.isnan(a) & np.isnan(b))
    else:
        eq = a == b
    eq = np.asarray(eq)
    if eq.all():
        return None
    bad = np.argwhere(~eq) if eq.ndim else np.zeros((1, 0), int)
    first = tuple(int(i) for i in bad[0])
    return f"{int((~eq).sum())} values differ, first at {first}: {a[first]!r} vs {b[first]!r}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _beyond_int64(text: str) -> bool:
    """``text`` is an integer outside int64 (the PDS3 reader masks it, not a wrong number)."""
    try:
        n = int(text)
    except ValueError:
        return False
    return not -(2 ** 63) <= n < 2 ** 63


def _numbers_as_text_difference(a: np.ndarray, b: np.ndarray) -> str | None:
    """A PDS3 numeric column (``a``, masked where its text is not a number: blank, ``N/A``)
    against the same cells described as text (``b``): each unmasked value equals its text
    read as a number, each masked one's text is not a number."""
    text = _norm_text(np.ma.getdata(b))
    masked = np.ma.getmaskarray(a)
    values = np.ma.getdata(a)
    eq = np.zeros(a.shape, bool)
    cells = text[~masked]
    if values.dtype.kind == "f":  # Fortran D exponents (1.0D+05), as the PDS3 reader reads them
        cells = np.char.replace(np.char.replace(cells, "D", "E"), "d", "e")
    try:
        read = cells.astype(np.float64 if values.dtype.kind == "f" else np.int64)
    except (ValueError, OverflowError) as exc:
        return f"text that the PDS3 reading took as numbers does not read as numbers: {exc}"
    eq[~masked] = (read == values[~masked]) | (np.isnan(read) & np.isnan(values[~masked].astype(np.float64)))
    # of few distinct spellings; an integer column's masked text may be an integer int64 cannot
    # hold (a 20-digit clock count): no PDS3 number to compare, the text keeps it
    numbers = [t for t in np.unique(text[masked]).tolist()
               if _is_number(t) and not (values.dtype.kind in "iu" and _beyond_int64(t))]
    eq[masked] = ~np.isin(text[masked], np.array(numbers, dtype=text.dtype))
    if eq.all():
        return None
    first = tuple(int(i) for i in np.argwhere(~eq)[0])
    return f"{int((~eq).sum())} values differ, first at {first}: {a[first]!r} vs {text[first]!r}"


def _booleans_as_text_difference(a: np.ndarray, b: np.ndarray) -> str | None:
    """A PDS3 ASCII_BOOLEAN column (``a``) against the same cells described as text
    (``b``): each value is true where its text is ``true``/``1`` (any case), false where
    ``false``/``0``/blank; a masked one's text is neither."""
    text = np.char.lower(_norm_text(np.ma.getdata(b)))
    truth, falsity = np.isin(text, ["true", "1"]), np.isin(text, ["false", "0", ""])
    masked = np.ma.getmaskarray(a)
    eq = np.where(masked, ~(truth | falsity), np.where(np.ma.getdata(a), truth, falsity))
    if eq.all():
        return None
    first = tuple(int(i) for i in np.argwhere(~eq)[0])
    return f"{int((~eq).sum())} values differ, first at {first}: {a[first]!r} vs {text[first]!r}"


def compare_objects(pairs: Iterable[tuple[DataObject, DataObject]], *, physical: bool = False) -> list[str]:
    """Differences between each (PDS3 object, PDS4 object) pair; empty = equal.

    ``physical``: compare the physical values (`DataObject.physical`: scaling_factor and
    value_offset applied, special constants masked — pdsgen's one implementation, for both
    labels) instead of the stored ones (`DataObject.data`): the masked positions must be
    the same and every other value equal, exactly (both readings scale the same stored
    values by the same arithmetic, so a wrong, rounded or dropped scaling_factor /
    value_offset / special constant in the new label shows; no tolerance). A pair with
    nothing to apply on either side (`_as_stored`) is skipped: its physical values are its
    stored ones, compared without ``physical``. A field the PDS4 label describes as values
    of another kind (numbers whose cells are not all numbers as ASCII_String, a whole bit
    string as an unsigned integer) is compared as stored only: PDS4 has no scaling or
    special constants for it (`describe._field_item` leaves them out with a note)."""
    problems: list[str] = []
    difference = migrated_physical_difference if physical else values_difference
    what = " (physical values)" if physical else ""
    for old, new in pairs:
        if physical and _as_stored(old) and _as_stored(new):
            continue
        a, b = old.data, new.data
        if old.kind == "table":
            names_a = list(a.dtype.names or ())
            # the PDS4 reading also holds each bit-string column that carries Packed_Data_Fields
            # (PDS3 readers give only its BIT_COLUMNs)
            parents = {f.name for f in new.fields if f.data_type.endswith("BitString") and f.bits is None}
            # and the pad fields describing the unused bytes after a group's values
            parents |= {f.name for f in new.fields if f.description == PAD_DESCRIPTION}
            names_b = [n for n in (b.dtype.names or ()) if n not in parents or n in names_a]
            if names_a != names_b:
                problems.append(f"object {old.name!r}: fields {names_a} vs {names_b}")
                continue
            if len(a) != len(b):
                problems.append(f"object {old.name!r}: {len(a)} vs {len(b)} records")
                continue
            if physical:
                fields_a, fields_b = _fields_by_column(old), _fields_by_column(new)
            for name in names_a:
                if physical and (_other_kinds(a[name], b[name]) or not (
                        _applies(fields_a.get(name), a) or _applies(fields_b.get(name), b))):
                    continue  # (physical values: the stored ones, compared)
                diff = (difference(_physical_field(old, fields_a[name], name), _physical_field(new, fields_b[name], name))
                        if physical else values_difference(a[name], b[name]))
                if diff:
                    problems.append(f"object {old.name!r} field {name!r}{what}: {diff}")
            problems.extend(_merged_tables_difference(old, new, names_a, physical))
        elif new.kind == "table" and old.layout == "pds3_qube":  # a QUBE with side/bottomplanes
            problems.extend(qube_planes_difference(old, new, physical=physical))
        elif new.kind == "table":  # an IMAGE with line prefixes/suffixes as a table of lines
            problems.extend(image_lines_difference(old, new, physical=physical))
        else:
            diff = (migrated_physical_difference(old.physical, new.physical) if physical
                    else values_difference(a, b))
            if diff:
                problems.append(f"object {old.name!r}{what}: {diff}")
    return problems


def _stored_column(obj: DataObject, name: str) -> Any:
    return obj.data[name]


def _physical_column(obj: DataObject, name: str) -> Any:
    return obj.physical[name]


def _fields_by_column(obj: DataObject) -> dict[str, Field]:
    from pdsgen.data import column_names

    return dict(zip(column_names(obj), obj.fields, strict=True))


def _applies(f: Field | None, data: Any) -> bool:
    """Whether a field's physical values may differ from its stored ones: scaling, an
    offset or special constants, or values its reader masked."""
    return (f is None or bool(f.special_constants) or _scaled(f.scaling_factor, f.value_offset)
            or bool(f.extra.get("item_special_constants") or f.extra.get("item_scaling"))  # PDS3 per item
            or isinstance(data, np.ma.MaskedArray))


def _physical_field(obj: DataObject, f: Field, name: str) -> Any:
    """One field's physical values, as `DataObject.physical` gives them (without making the
    other fields' physical values)."""
    from pdsgen.data import decode_text, physical_column

    return decode_text(physical_column(obj, f, name))


_TEXT_KINDS = "SUO"


def _other_kinds(a: np.ndarray, b: np.ndarray) -> bool:
    """Stored values of a text kind on one side only (numbers described as text, bit
    strings as unsigned integers): no physical values to compare."""
    return (a.dtype.kind in _TEXT_KINDS) != (b.dtype.kind in _TEXT_KINDS)


def _scaled(scaling_factor: float | None, value_offset: float | None) -> bool:
    """Whether `pdsgen.data.values.physical` changes values with these (its own test)."""
    return scaling_factor not in (None, 1, 1.0) or value_offset not in (None, 0, 0.0)


def _as_stored(obj: DataObject) -> bool:
    """The physical values of ``obj`` (and of the PDS3 objects merged into it or kept as
    its parts) are its stored ones: no scaling, offset or special constant anywhere, per
    band neither, and no value masked by the reader."""
    d = obj.details
    for o in (obj, *d.get("merged_tables", ()), *d.get("line_tables", ()), *d.get("qube_parts", ())):
        if (o.details.get("band_scaling") or o.details.get("band_special_constants") or o.special_constants
                or _scaled(o.scaling_factor, o.value_offset)
                or any(_applies(f, None) for f in o.fields)
                or (o.kind in ("table", "array") and isinstance(o.data, np.ma.MaskedArray))):
            return False
    return True


def _first(flags: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(flags)[0]) if flags.ndim else ()


def _non_finite(values: np.ndarray) -> np.ndarray:
    """True where a value is NaN or an infinity (a number, or text that reads as one)."""
    if values.dtype.kind in "fc":
        return np.asarray(~np.isfinite(values), dtype=bool)
    if values.dtype.kind in "SU":
        def reads_non_finite(text: str) -> bool:
            try:
                return not np.isfinite(float(text))
            except ValueError:
                return False
        found = {t: reads_non_finite(t) for t in np.unique(_norm_text(values)).tolist()}
        return np.array([found[t] for t in _norm_text(values).tolist()], bool).reshape(values.shape)
    return np.zeros(values.shape, bool)


def migrated_physical_difference(old: Any, new: Any) -> str | None:
    """`physical_values_difference` of a PDS3 reading (``old``) and the PDS4 reading of the
    new label (``new``), except where the PDS4 reading alone masks a NaN or an infinity: a
    character field's NaN/INF spellings become Special_Constants of the new label
    (`describe._inf_nan_constants`, with a note: validate accepts them in a character field
    only so), which the PDS3 label did not declare."""
    if isinstance(old, bytes | str) or isinstance(new, bytes | str):
        return values_difference(old, new)
    data_old, mask_old, mask_new = np.ma.getdata(old), _mask(old), _mask(new)
    if mask_new is not None and data_old.shape == mask_new.shape:
        added = mask_new if mask_old is None else mask_new & ~mask_old
        if added.any() and _non_finite(data_old[added]).all():
            mask_old = mask_new if mask_old is None else mask_old | added
    return _masked_difference(data_old, mask_old, np.ma.getdata(new), mask_new)


def physical_values_difference(a: Any, b: Any) -> str | None:
    """None if the physical values ``a`` and ``b`` (scaled, special constants masked) are
    masked at the same positions and equal elsewhere (`values_difference`), else what
    differs. The values under a mask are not compared (they are not physical values)."""
    if isinstance(a, bytes | str) or isinstance(b, bytes | str):
        return values_difference(a, b)
    return _masked_difference(np.ma.getdata(a), _mask(a), np.ma.getdata(b), _mask(b))


def _mask(values: Any) -> np.ndarray | None:
    """The mask of ``values``; None when nothing is masked (no masked array is made)."""
    if isinstance(values, np.ma.MaskedArray) and values.mask is not np.ma.nomask and values.mask.any():
        return np.ma.getmaskarray(values)
    return None


def _masked_difference(a: np.ndarray, mask_a: np.ndarray | None, b: np.ndarray,
                       mask_b: np.ndarray | None) -> str | None:
    """`physical_values_difference` of values ``a``, ``b`` and their masks (None: none)."""
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    if mask_a is None and mask_b is None:
        return values_difference(a, b)
    mask_a = np.zeros(a.shape, bool) if mask_a is None else mask_a
    mask_b = np.zeros(b.shape, bool) if mask_b is None else mask_b
    apart = mask_a != mask_b
    if apart.any():
        first = _first(apart)
        shown = ["masked" if m[first] else repr(v[first]) for v, m in ((a, mask_a), (b, mask_b))]
        return (f"{int(apart.sum())} values masked as special constants in one reading only, "
                f"first at {first}: {shown[0]} vs {shown[1]}")
    return values_difference(a, np.where(mask_a, a, b) if mask_a.any() else b)


def _merged_tables_difference(old: DataObject, new: DataObject, names: list[str],
                              physical: bool = False) -> list[str]:
    """Tables merged into ``old`` (`describe.merge_shared_record_tables`): each PDS3 table's
    own reading against the PDS4 fields made from its columns (in order, so a name the
    merge renamed, ``SPARE`` → ``SPARE_2``, pairs with its column)."""
    problems: list[str] = []
    names_b = iter(names)
    column = _physical_column if physical else _stored_column
    difference = migrated_physical_difference if physical else values_difference
    for t in old.details.get("merged_tables", ()):
        a = t.data
        for name in a.dtype.names or ():
            name_b = next(names_b)
            if physical and _other_kinds(a[name], new.data[name_b]):
                continue
            diff = difference(column(t, name), column(new, name_b))
            if diff:
                problems.append(f"object {t.name!r} field {name!r}{' (physical values)' if physical else ''}: "
                                f"{diff}")
    return problems


def pds4_tools_available() -> bool:
    """Whether pds4_tools (the optional extra ``pdsgen[migrate]``) is installed."""
    import importlib.util

    return importlib.util.find_spec("pds4_tools") is not None


def pds4_tools_difference(label: Path, objects: Sequence[DataObject]) -> list[str]:
    """Differences between pds4_tools' reading of the PDS4 ``label`` and pdsgen's reading
    of the same label (``objects``); empty = equal.

    pds4_tools reads each table field and array unscaled (``no_scale``) and its stored
    values are compared with pdsgen's (``.data``); then its physical values — scaled,
    Special_Constants masked, as users read them (``.as_masked()``), made from that reading
    by its own functions (`pds4_tools_physical`) — with pdsgen's (`DataObject.physical`)
    by `pds4_tools_physical_difference`: the same masked positions, equal values
    elsewhere. Text fields (and fields pds4_tools gives as text) are compared as stored
    only: pds4_tools masks no character values (its ``mask_special_constants`` leaves text
    alone) where pdsgen masks a text special constant, and neither scales text.
    Objects pair by name (in label order among equal names), table fields in label order;
    every table and array must be read by both. pds4_tools gives a bit-string field with
    Packed_Data_Fields as the whole field, not its Field_Bits: those are compared through
    pdsgen's reading only."""
    import logging
    import sys

    import pds4_tools
    from pds4_tools.utils.logging import logger_init

    hook = sys.excepthook  # pds4_tools.read installs its own
    # pds4_tools keeps every record it logs, in every process, for good (its log
    # handler's ``records``): its "Processing label"/"Now processing" notes are not made
    # (WARNING and above still are) and what this read recorded is let go after it
    log = logger_init()
    level, kept = log.level, log.get_handler("log_handler")
    recorded = len(kept.records)
    log.setLevel(max(level, logging.WARNING))
    try:
        with table_descriptions_per_shape():
            structures = pds4_tools.read(str(label), quiet=True, lazy_load=True, no_scale=True).structures
            return _pds4_tools_difference(structures, objects)
    except Exception as exc:  # noqa: BLE001 - the reference reader's failure is the finding
        return [f"pds4_tools cannot read the label: {type(exc).__name__}: {exc}"]
    finally:
        sys.excepthook = hook
        log.setLevel(level)
        del kept.records[recorded:]


def pds4_tools_physical_difference(ours: Any, theirs: Any, constants: dict[str, Any] | None,
                                   masked: bool = True, stored: Any = None) -> str | None:
    """pdsgen's physical values (``ours``) against pds4_tools' scaled, masked reading of the
    same PDS4 field or array (``theirs``; ``constants``: its Special_Constants as it read
    them). None when masked at the same positions and equal elsewhere (exactly: pds4_tools
    scales in float64 as pdsgen does, or in integers when factor, offset and values are
    integers, which float64 holds exactly up to 2**53).

    One difference is pds4_tools' by design (read_tables.new_table, read_arrays.new_array):
    it masks Special_Constants a second time after scaling, so a scaled value that happens
    to equal a constant is masked too; such positions, where pdsgen's physical value
    equals one of the constants, are not counted as a difference. Both match constants
    against the stored values, both leave valid_minimum/valid_maximum unmasked. A second:
    pds4_tools misses a float32 constant not exactly a float32 in its text once an earlier
    constant has masked a value (below); pdsgen masks it. ``masked`` False: ``theirs`` is
    pds4_tools' unmasked reading (it could not mask, `pds4_tools_physical`): only the values
    pdsgen does not mask are compared."""
    data_ours, data_theirs = np.ma.getdata(ours), np.ma.getdata(theirs)
    mask_ours, mask_theirs = _mask(ours), _mask(theirs)
    if data_ours.shape != data_theirs.shape:
        return f"shape {data_ours.shape} vs {data_theirs.shape}"
    if not masked:  # pds4_tools could not mask (`pds4_tools_physical`): the values only
        return _masked_difference(data_ours, mask_ours, data_theirs, mask_ours)
    if mask_ours is None and mask_theirs is None:
        return values_difference(data_ours, data_theirs)
    mask_ours = np.zeros(data_ours.shape, bool) if mask_ours is None else mask_ours
    mask_theirs = np.zeros(data_theirs.shape, bool) if mask_theirs is None else mask_theirs
    numbers = [c for k, c in (constants or {}).items()
               if not k.startswith("valid_") and isinstance(c, int | float) and not isinstance(c, bool)]
    extra = mask_theirs & ~mask_ours
    if extra.any() and _equals_any(data_ours[extra], numbers).all():
        # masked again after scaling: its value under the mask is the scaled one, compared
        mask_theirs = mask_theirs & ~extra
    missed = mask_ours & ~mask_theirs
    stored = data_theirs if stored is None else np.ma.getdata(stored)
    if missed.any() and stored.dtype.kind == "f" and stored.dtype.itemsize == 4 and stored.shape == missed.shape:
        # pds4_tools masks a field's constants one after the other; once one has masked a
        # value, numpy compares the next ones with the masked array as float64 arrays (any
        # byte order: a big-endian >f4 array too), so
        # a constant whose text is not exactly a float32 value (Java's shortest text of
        # one: -3.4028235E38 for the most negative float32) no longer matches its stored
        # value (which it then scales): not counted where the stored value is such a constant
        inexact = [np.float32(c) for c in numbers if float(np.float32(c)) != c]
        if _equals_any(stored[missed], inexact).all():
            mask_theirs = mask_theirs | missed
    return _masked_difference(data_ours, mask_ours, data_theirs, mask_theirs)


def _equals_any(values: np.ndarray, constants: Sequence[Any]) -> np.ndarray:
    found = np.zeros(values.shape, bool)
    for c in constants:
        with np.errstate(invalid="ignore"):
            found |= values == c
    return found


#: pds4_tools' table descriptions by the exact XML of their table element (see
#: `table_descriptions_per_shape`), most recently used last
_SHAPES: OrderedDict[tuple[str, tuple[Any, ...]], Any] = OrderedDict()
_SHAPES_KEPT = 64


@contextmanager
def table_descriptions_per_shape() -> Iterator[None]:
    """Within this block, pds4_tools builds the description of a table (its
    ``TableManifest``: fields, groups, locations, shapes; and its ``Meta_TableStructure``)
    once per distinct table element and reuses it for a table element of the same XML.

    Both are pure functions of that element's XML (pds4_tools' own parsed element,
    serialised whole: names, types, locations, lengths, records, offset, special
    constants), so a reused one is exactly what pds4_tools would build again; a table with
    a ``local_identifier`` (whose meta data also looks at the full label) is never reused.
    The data are still read by pds4_tools from each product's own file with that
    description. Migrating many products of one shape spends most of pds4_tools' time
    building these descriptions (~1 ms a table)."""
    from pds4_tools.reader import table_objects as T

    manifest_from_label = T.TableManifest.__dict__["from_label"]
    meta_from_label = T.Meta_TableStructure.__dict__["from_label"]
    keys: dict[int, tuple[Any, tuple[Any, ...]]] = {}  # id(element) -> (element, its XML), in this block

    def _element_xml(label: Any) -> tuple[Any, ...]:
        root = label.getroot() if hasattr(label, "getroot") else label
        found = keys.get(id(root))
        if found is None or found[0] is not root:
            found = keys[id(root)] = (root, element_xml(root))
        return found[1]

    def manifest(cls: Any, table_label: Any) -> Any:
        key = ("manifest", _element_xml(table_label))
        found = _SHAPES.get(key)
        if found is None:
            found = manifest_from_label.__func__(cls, table_label)
            _keep(key, found)
        else:
            _SHAPES.move_to_end(key)
        return found

    def meta(cls: Any, xml_table: Any, full_label: Any = None) -> Any:
        key = ("meta", _element_xml(xml_table))
        found = _SHAPES.get(key)
        if found is None:
            found = meta_from_label.__func__(cls, xml_table, full_label)
            if "local_identifier" not in found:
                _keep(key, found)
        else:
            _SHAPES.move_to_end(key)
        return found

    T.TableManifest.from_label = classmethod(manifest)
    T.Meta_TableStructure.from_label = classmethod(meta)
    try:
        yield
    finally:
        T.TableManifest.from_label = manifest_from_label
        T.Meta_TableStructure.from_label = meta_from_label


def element_xml(root: Any) -> tuple[Any, ...]:
    """The whole XML of an ElementTree element ``root``: for each element in document
    order its tag, text, tail, attributes and number of children (which fixes the tree)."""
    return tuple((e.tag, e.text, e.tail, tuple(e.attrib.items()), len(e)) for e in root.iter())


def _keep(key: tuple[str, tuple[Any, ...]], value: Any) -> None:
    _SHAPES[key] = value
    while len(_SHAPES) > _SHAPES_KEPT:
        _SHAPES.popitem(last=False)


def pds4_tools_physical(values: Any, scaling_factor: Any, value_offset: Any,
                        constants: dict[str, Any] | None) -> tuple[Any, dict[str, Any] | None, bool, Any] | None:
    """pds4_tools' physical values (scaled, Special_Constants masked: its ``.as_masked()``
    reading) of one field or array, from its unscaled reading ``values`` and the label's
    ``scaling_factor``, ``value_offset`` and Special_Constants as it read them — made by
    its own functions in the order its reading applies them (read_tables.new_table,
    read_arrays.new_array): ``apply_scaling_and_value_offset`` (which masks the special
    constants first so that they are not scaled), then ``mask_special_constants``. Its
    ``as_masked`` reading gives the same values and masks, but builds a masked structured
    array of the whole table (~2.5 ms a product more; tests/test_migphys.py checks the
    two agree).

    Returns (values, constants, masked, stored) for `pds4_tools_physical_difference`
    (``stored``: ``values``, its unscaled reading); ``masked``
    False when pds4_tools cannot mask — a constant its data type cannot hold
    (MISSING_CONSTANT -1 of an unsigned field, from the PDS3 label), which it sets as the
    fill value, and numpy refuses. None when it cannot scale for that reason either (no
    physical values of its own: the stored ones were compared)."""
    if not constants and not _scaled(scaling_factor, value_offset):
        return values, constants, True, values
    from pds4_tools.reader.data_types import apply_scaling_and_value_offset, mask_special_constants

    try:
        scaled = apply_scaling_and_value_offset(values.copy(), scaling_factor, value_offset,
                                                special_constants=constants)
    except (TypeError, OverflowError, ValueError):
        return None
    if not constants:
        return scaled, constants, True, values
    try:
        return mask_special_constants(scaled, special_constants=constants), constants, True, values
    except (TypeError, OverflowError, ValueError):
        return scaled, constants, False, values


def _physical_difference(ours: Any, values: Any, scaling_factor: Any, value_offset: Any,
                         constants: dict[str, Any] | None) -> str | None:
    theirs = pds4_tools_physical(values, scaling_factor, value_offset, constants)
    if theirs is None or not theirs[2]:
        # pds4_tools' default reading (scaled, masked) of this label raises here: users
        # reading the product with it get an error, so the product is not read back
        return (f"pds4_tools cannot {'scale' if theirs is None else 'mask'} the values with the label's "
                f"scaling_factor {scaling_factor!r}, value_offset {value_offset!r} and Special_Constants "
                f"{constants!r} (its default reading raises)")
    diff = pds4_tools_physical_difference(ours, *theirs)
    return f"physical values: {diff}" if diff else None


def _pds4_tools_difference(structures: Sequence[Any], objects: Sequence[DataObject]) -> list[str]:
    by_name: dict[str, list[Any]] = {}
    for st in structures:
        by_name.setdefault(st.id, []).append(st)
    problems: list[str] = []
    for obj in objects:
        found = by_name.get(obj.name)
        if not found:
            if obj.kind in ("table", "array"):  # what pds4_tools reads; not encoded or document bytes
                problems.append(f"object {obj.name!r}: pds4_tools reads no such structure "
                                f"({[st.id for st in structures]})")
            continue
        st = found.pop(0)
        try:
            if st.is_table():
                fields = [f for f in obj.fields if f.bits is None]
                if len(st.fields) != len(fields):
                    problems.append(f"object {obj.name!r}: pds4_tools reads {len(st.fields)} fields, "
                                    f"pdsgen {len(fields)}")
                    continue
                for f, values in zip(fields, st.fields, strict=True):
                    stored = obj.data[f.name]
                    diff = values_difference(stored, np.ma.getdata(values))
                    meta = values.meta_data
                    if not diff and stored.dtype.kind not in _TEXT_KINDS and values.dtype.kind not in _TEXT_KINDS \
                            and (_applies(f, obj.data) or meta.get("Special_Constants")
                                 or _scaled(meta.get("scaling_factor"), meta.get("value_offset"))):
                        diff = _physical_difference(_physical_field(obj, f, f.name), values,
                                                    meta.get("scaling_factor"), meta.get("value_offset"),
                                                    meta.get("Special_Constants"))
                    if diff:
                        problems.append(f"object {obj.name!r} field {f.name!r} (pds4_tools): {diff}")
            elif st.is_header():
                diff = values_difference(obj.data, st.data)
                if diff:
                    problems.append(f"object {obj.name!r} (pds4_tools): {diff}")
            else:
                diff = values_difference(obj.data, np.ma.getdata(st.data))
                if not diff:
                    element = st.meta_data.get("Element_Array") or {}
                    diff = _physical_difference(obj.physical, st.data, element.get("scaling_factor"),
                                                element.get("value_offset"), st.meta_data.get("Special_Constants"))
                if diff:
                    problems.append(f"object {obj.name!r} (pds4_tools): {diff}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"object {obj.name!r}: pds4_tools cannot read it: {type(exc).__name__}: {exc}")
    return problems


def image_lines_difference(old: DataObject, new: DataObject, *, physical: bool = False) -> list[str]:
    """A PDS3 IMAGE (samples without their line prefixes/suffixes) against the PDS4
    Table_Binary of its stored lines: the SAMPLE values in storage order equal the
    image's, the prefix bytes equal the PDS3 reader's line prefixes. ``physical``: the
    physical values (`compare_objects`) of the samples and of the PDS3 line tables; the
    prefix bytes are bytes."""
    from pdsgen.data.pds3_image import line_prefixes
    from pdsgen.migrate.describe import IMAGE_VALUE_FIELD, PREFIX_FIELD

    table = new.physical if physical else new.data
    names = tuple(table) if physical else (table.dtype.names or ())
    difference = migrated_physical_difference if physical else values_difference
    what = " (physical values)" if physical else ""
    # packed samples: Field_Bits SAMPLE_1 … SAMPLE_k of each packed unit, in storage order
    packed = [n for n in names if n.startswith(f"{IMAGE_VALUE_FIELD}_") and n.rpartition("_")[2].isdigit()]
    if IMAGE_VALUE_FIELD not in names and not packed:
        return [f"object {old.name!r}: no {IMAGE_VALUE_FIELD} field in the PDS4 reading ({list(names)})"]
    image = np.ma.asanyarray(old.physical) if physical else np.asarray(old.data)
    # one field per band (SAMPLE_BAND_<n>, interleaved bands with per-band constants): bands
    # sit between lines and samples (line-interleaved) or after the samples (sample-interleaved)
    by_band = bool(packed) and all(n.startswith(f"{IMAGE_VALUE_FIELD}_BAND_") for n in packed)
    axis = 1 if by_band and old.details.get("band_storage_type") == "LINE_INTERLEAVED" else -1
    as_array = np.ma.asanyarray if physical else np.asarray
    values = (as_array(table[IMAGE_VALUE_FIELD]) if IMAGE_VALUE_FIELD in names else
              (np.ma.stack if physical else np.stack)(
                  [as_array(table[n]) for n in sorted(packed, key=lambda n: int(n.rpartition("_")[2]))], axis=axis))
    if values.size != image.size:
        return [f"object {old.name!r}: {values.shape} line values vs image {image.shape}"]
    problems = []
    diff = difference(image, values.reshape(image.shape))
    if diff:
        problems.append(f"object {old.name!r}{what}: {diff}")
    for t in old.details.get("line_tables", []):  # PDS3 tables of the line prefixes/suffixes
        for name in t.data.dtype.names or ():
            if name not in names:
                problems.append(f"object {t.name!r}: no field {name!r} in {old.name!r}'s PDS4 table of lines")
                continue
            if physical and _other_kinds(t.data[name], new.data[name]):
                continue
            diff = difference(t.physical[name] if physical else t.data[name], table[name])
            if diff:
                problems.append(f"object {t.name!r} field {name!r}{what}: {diff}")
    if old.details.get("line_prefix_bytes") and not old.details.get("line_prefix_table") and not physical:
        if PREFIX_FIELD not in names:
            return [*problems, f"object {old.name!r}: no {PREFIX_FIELD} field in the PDS4 reading"]
        diff = values_difference(line_prefixes(old), np.asarray(table[PREFIX_FIELD]).reshape(
            -1, int(old.details["line_prefix_bytes"])))
        if diff:
            problems.append(f"object {old.name!r} line prefixes: {diff}")
    return problems


def qube_planes_difference(old: DataObject, new: DataObject, *, physical: bool = False) -> list[str]:
    """A PDS3 QUBE with sideplanes/bottomplanes (core, and the suffix objects the
    description kept in ``details["qube_parts"]``) or its backplanes against the PDS4
    Table_Binary of its planes: each array equals the table's field of the same values
    (``CORE``, ``<AXIS>_SUFFIX``), element by element in storage order; ``physical``: their
    physical values (`compare_objects`)."""
    from pdsgen.migrate.describe import QUBE_CORE_FIELD

    g = old.details["qube"]
    names = list(g["axis_names"])
    if g.get("part") is None:
        checks = [(old, QUBE_CORE_FIELD)] + [(q, f"{names[q.details['qube']['part']]}_SUFFIX")
                                             for q in old.details.get("qube_parts", [])]
    else:
        checks = [(old, f"{names[g['part']]}_SUFFIX")]
    table = new.physical if physical else new.data
    fields = tuple(table) if physical else (table.dtype.names or ())
    as_array = np.ma.asanyarray if physical else np.asarray
    difference = migrated_physical_difference if physical else values_difference
    problems = []
    for obj, name in checks:
        if name not in fields:
            problems.append(f"object {obj.name!r}: no field {name!r} in the PDS4 reading")
            continue
        a, b = as_array(obj.physical if physical else obj.data), as_array(table[name])
        diff = (difference(a, b.reshape(a.shape)) if a.size == b.size
                else f"{b.shape} table values vs {a.shape}")
        if diff:
            problems.append(f"object {obj.name!r}{' (physical values)' if physical else ''}: {diff}")
    return problems


def region_difference(a: Path, b: Path, offset: int, length: int, *, what: str) -> str | None:
    """None when bytes ``offset … offset + length`` of files ``a`` and ``b`` are equal
    (compared by MD5 in 4 MiB chunks), else what differs."""
    digests = []
    for path in (a, b):
        h = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as fh:
            fh.seek(offset)
            left = length
            while left > 0 and (chunk := fh.read(min(left, 1 << 22))):
                h.update(chunk)
                left -= len(chunk)
        if left > 0:
            return f"{what}: {path.name} ends {left} bytes before the object does"
        digests.append(h.hexdigest())
    return None if digests[0] == digests[1] else f"{what}: bytes differ between {a} and {b}"
