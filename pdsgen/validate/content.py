"""Content validation: every table and array read and checked against its definition.

Objects are described by the shared PDS4 reader (`pdsgen.pds4.objects.build_object` →
`DataObject`); the bytes are read directly (memory-mapped blocks) because type checks need
the raw text of each field, not decoded values. Tables are in `tables`, the per-column
machinery in `columns`, arrays and the dispatch here. All checks are whole-column
numpy or Arrow kernels: record delimiters on the record matrix, value grammars with RE2 on
each field's byte columns (`fieldtypes`), numbers parsed once per column for minimum/maximum
and special-constant ranges. For each problem the first few offending records are reported
with record and field numbers, then one finding with the count of the rest.

Message types are validate's (``error.table.records_mismatch``,
``error.table.field_value_data_type_mismatch``, ``error.array.value_out_of_min_max_range``…).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from lxml import etree

from pdsgen.model import DataObject
from pdsgen.pds4.label import child, child_text, children, local
from pdsgen.validate import arrays as A
from pdsgen.validate import columns as C
from pdsgen.validate.columns import Ctx, _line, _num, _report
from pdsgen.validate.findings import Finding
from pdsgen.validate.tables import check_delimited_table, check_fixed_table

__all__ = ["Ctx", "check_object", "reading_findings", "describe_objects", "check_array", "check_fixed_table",
           "check_delimited_table", "stops_reading", "unreadable_objects"]


# --------------------------------------------------------------------------- arrays


def check_array(obj: DataObject, el: etree._Element | None, ctx: Ctx) -> list[Finding]:
    """An array's elements as validate's ArrayContentValidator reads them (`arrays`): every
    element in the file compared with the special constants, the valid range and
    Object_Statistics; an array running past the end of its file (or starting past it) is
    checked up to the file's end, then ``error.array.bad_file_read`` (validate's reading
    fails there)."""
    from pdsgen.data import types

    out: list[Finding] = []
    name = obj.name
    try:
        bt = types.binary_type(obj.element_type or "")
    except KeyError:
        out.append(Finding("error.array.internal_error", f"{name}: unknown element data_type "
                                                         f"{obj.element_type!r}", file=ctx.label, line=_line(el)))
        return out
    count = int(np.prod([a.elements for a in obj.axes])) if obj.axes else 0
    itemsize = bt.itemsize or 1
    size = obj.file.stat().st_size
    needed = obj.offset + count * itemsize
    readable = count if needed <= size else max(0, size - obj.offset) // itemsize
    past_end = None
    if needed > size:
        past_end = Finding(A.ARRAY_BAD_READ,
                           f"{name}: error reading element {readable + 1}: {count} elements of {itemsize} bytes "
                           f"from offset {obj.offset} need {needed} bytes, {obj.file.name!r} has {size}",
                           file=ctx.label, line=_line(el), record=readable + 1)
    stats_el = child(el, "Object_Statistics") if el is not None else None
    stats: dict[str, float | None] = {}
    scale = None
    if stats_el is not None:
        stats = {k: _num(child_text(stats_el, k)) for k in ("minimum", "maximum")}
        if obj.scaling_factor is not None or obj.value_offset is not None:
            scale = (1.0 if obj.scaling_factor is None else obj.scaling_factor, obj.value_offset or 0.0)
            stats.update({k: _num(child_text(stats_el, k)) for k in ("minimum_scaled_value", "maximum_scaled_value")})
    constants = A.label_texts(obj.special_constants or {}, bt.dtype) if bt.dtype is not None else {}
    dtype = bt.dtype
    checked = (any(v is not None for v in stats.values()) or constants) and bt.kind not in ("complex", "bits", "bytes")
    if not checked or dtype is None or readable == 0:
        return out + ([past_end] if past_end else [])
    step = max(1, C.BLOCK_BYTES // itemsize)
    if readable <= step:  # one block: a plain read is cheaper than a memory map
        mapped = np.fromfile(obj.file, dtype=dtype, count=readable, offset=obj.offset)
    else:
        mapped = np.memmap(obj.file, dtype=dtype, mode="r", offset=obj.offset, shape=(readable,))
    stopped = None
    for b0 in range(0, readable, step):
        values = mapped if readable <= step else np.array(mapped[b0: b0 + step])
        steps = A.check_block(values, constants, stats, scale)
        stop = A.first_fatal(steps)
        if stop is not None:
            A.truncate(steps, stop)
            stopped = Finding(A.ARRAY_BAD_READ, f"{name}: element {b0 + stop[0] + 1} ({values[stop[0]]!r}) cannot be "
                                                f"compared with {steps[stop[1]].what}: validate's reading of the "
                                                f"array ends there", file=ctx.label, line=_line(el),
                              record=b0 + stop[0] + 1)
        found: list[Finding] = []
        for s in steps:
            _report(found, s.bad, s.type, _describer(s, values), ctx, field=None, obj=name)
        for f in found:
            if f.record is not None:
                f.record += b0
        out.extend(found)
        if stopped is not None:
            out.append(stopped)
            break
    del mapped
    return out + ([past_end] if past_end and stopped is None else [])


def _describer(step: A.Step, values: npt.NDArray[np.generic]) -> Callable[[int], str]:
    shown = step.values if step.values is not None else values
    return lambda i: f"element value {shown[i]!r} is {step.what}"


# --------------------------------------------------------------------------- dispatch


def stops_reading(found: list[Finding]) -> bool:
    """Whether the objects after this one go unread: validate reads a label's data objects in
    one pass that a table it cannot open ends (DataDefinitionAndContentValidationRule: the
    InvalidTableException it reports as ``error.label.table_definition_problem``, and any other
    exception of a table it cannot open, reported as ``error.table.bad_field_read`` — a bit
    field outside its packed field — leave the loop over the label's objects, in every
    File_Area)."""
    return any(f.type == "error.label.table_definition_problem" or f.extra.get("stops_reading") for f in found)


NOT_CHECKED = "info.validation.not_checked"
#: What the lenient reader recovered from (pdsgen.model.ReadWarning) becomes this finding:
#: reading is lenient, validation always reports.
READ_RECOVERY = "warning.data.read_recovery"
#: a Header or Stream_Text running past the end of its file (pdsgen's own: validate reads
#: nothing of such objects)
BEYOND_FILE = "warning.data.object_beyond_file"
#: reading warnings validation reports with its own message type (not twice): overlapping
#: fields (field_value_overlap), <fields>/<groups> counts (the label rules and Schematron)
CHECKED_HERE = frozenset({"field_overlap", "record_counts"})


def reading_findings(obj: DataObject) -> list[Finding]:
    """One finding per warning the reader recorded on ``obj`` (label or data deviations)."""
    out = []
    for w in obj.warnings:
        if w.code in CHECKED_HERE:
            continue
        where = ", ".join(x for x in (f"field {w.field!r}" if w.field else "",
                                       f"{w.count} values" if w.count and w.count > 1 else "") if x)
        text = f"{obj.name}: " + (f"{where}: " if where else "") + w.message
        if w.value is not None:
            text += f" (value {w.value!r})"
        out.append(Finding(READ_RECOVERY, text, file=w.file, record=w.record))
    return out


def check_object(obj: DataObject, el: etree._Element | None, ctx: Ctx, *, limit: int | None = None) -> list[Finding]:
    """All content findings of one data object (its label description already built),
    with what the reader recovered from while describing it (`reading_findings`)."""
    return reading_findings(obj) + _check_object(obj, el, ctx, limit=limit)


def axes_counts(el: etree._Element | None) -> tuple[int | None, int]:
    """An array's ``<axes>`` (None when absent or not a number) and its Axis_Array count."""
    declared = child_text(el, "axes") if el is not None else None
    n = len(children(el, "Axis_Array")) if el is not None else 0
    return (int(declared) if declared and declared.strip().isdigit() else None), n


def unreadable_objects(objects: list[tuple[DataObject, etree._Element, int | None]], label: str) -> Finding | None:
    """validate builds all data objects of a label before reading any (pds4-jparser's
    Label.getObjects): an array whose ``<axes>`` is more than its Axis_Array elements fails
    there (index out of bounds), DataDefinitionAndContentValidationRule reports the
    exception as ``error.table.bad_field_read``, and no object of the label is read."""
    for obj, el, _ in objects:
        if obj.kind == "array":
            declared, n = axes_counts(el)
            if declared is not None and declared > n:
                return Finding("error.table.bad_field_read",
                               f"{obj.name}: <axes> is {declared} but {n} Axis_Array are given: the label's data "
                               f"objects cannot be read", file=label, line=_line(el), extra={"stops_reading": True})
    return None


def _check_object(obj: DataObject, el: etree._Element | None, ctx: Ctx, *, limit: int | None = None) -> list[Finding]:
    declared, n = axes_counts(el) if obj.error is not None and obj.kind == "array" else (None, 0)
    if declared is not None and declared < n:
        # validate reads each element by the Axis_Array count, the array by <axes>: the
        # first read has the wrong number of dimensions (ArrayContentValidator)
        return [Finding("error.array.bad_file_read",
                        f"{obj.name}: <axes> is {declared} but {n} Axis_Array are given: the elements "
                        f"cannot be read", file=ctx.label, line=_line(el), record=1)]
    if obj.error is not None:
        kind = "error.label.table_definition_problem" if obj.kind == "table" else "error.label.invalid_object_definition"
        return [Finding(kind, f"{obj.name}: {getattr(obj.error, 'message', obj.error)}", file=ctx.label,
                        line=_line(el))]
    if not Path(obj.file).is_file():
        # the label checks report error.label.missing_file; like validate, each object whose
        # bytes cannot be read is reported too
        if obj.kind in ("array", "table"):
            return [Finding(f"error.{obj.kind}.bad_file_read",
                            f"{obj.name}: data file {obj.file.name!r} cannot be read (missing)",
                            file=ctx.label, line=_line(el))]
        return []
    from pdsgen.data.io import check_description
    from pdsgen.errors import DataError, PdsgenError

    definition = "error.label.table_definition_problem" if obj.kind == "table" else \
        "error.label.invalid_object_definition"
    try:
        check_description(obj)
    except PdsgenError as exc:
        return [Finding(definition, f"{obj.name}: {exc.message}", file=ctx.label, line=_line(el))]
    try:
        return _check_content(obj, el, ctx, limit)
    except DataError as exc:
        return [Finding(f"error.{_kind(obj)}.bad_file_read", f"{obj.name}: {exc.message}", file=ctx.label,
                        line=_line(el))]
    except PdsgenError as exc:
        return [Finding(definition, f"{obj.name}: {exc.message}", file=ctx.label, line=_line(el))]
    except (OSError, OverflowError, MemoryError) as exc:
        # the read edge: permission denied, an offset the OS refuses (EINVAL), a size mmap
        # cannot map — the bytes cannot be read, which is a finding, not a validator failure
        why = getattr(exc, "strerror", None) or f"{type(exc).__name__}: {exc}"
        return [Finding(f"error.{_kind(obj)}.bad_file_read",
                        f"{obj.name}: data file {obj.file.name!r} cannot be read ({why})",
                        file=ctx.label, line=_line(el))]


def _kind(obj: DataObject) -> str:
    return "array" if obj.kind == "array" else "table"


def _check_content(obj: DataObject, el: etree._Element | None, ctx: Ctx, limit: int | None) -> list[Finding]:
    if obj.layout in ("fixed_character", "fixed_binary"):
        return check_fixed_table(obj, el, ctx)
    if obj.layout == "delimited":
        return check_delimited_table(obj, el, ctx, limit)
    if obj.layout in ("array", "fits"):
        return check_array(obj, el, ctx)
    if obj.kind in ("header", "text"):
        # validate reads nothing of a Header or Stream_Text (pds4-jparser's GenericObject:
        # only its offset and object_length, for the object layout): one that runs past the
        # end of its file is pdsgen's own warning, not an error
        size = obj.file.stat().st_size
        if obj.size is not None and obj.offset + obj.size > size:
            return [Finding(BEYOND_FILE,
                            f"{obj.name}: object_length {obj.size} from offset {obj.offset} runs past the end of "
                            f"{obj.file.name!r} ({size} bytes)", file=ctx.label, line=_line(el))]
        return []
    enc = obj.details.get("encoding_standard_id") or obj.label_type
    return [Finding(NOT_CHECKED, f"{obj.name}: {obj.label_type} ({enc}) content is not checked by pdsgen "
                                 f"(format outside its scope)", file=ctx.label, line=_line(el))]


def describe_objects(tree: etree._ElementTree, label_path: Path) -> list[tuple[DataObject, etree._Element, int | None]]:
    """(DataObject, element, next offset) for every data object of every File_Area.

    Objects come from the shared reader; "next offset" is where the next object of the
    same file starts (None for the last), the end of a table without object_length.
    """
    from pdsgen.pds4.objects import build_object, classify
    from pdsgen.untrusted import ReferenceEscapeError, confine

    out = []
    index = 0
    for area in tree.getroot():
        if not isinstance(area.tag, str) or not local(area).startswith("File_Area"):
            continue
        file_el = child(area, "File")
        file_name = child_text(file_el, "file_name") if file_el is not None else None
        if not file_name:
            continue
        try:
            data_file = confine(label_path.parent, file_name, label=label_path, what="file_name")
        except ReferenceEscapeError:
            continue  # reported by the label checks (file_naming_problem); never read
        area_objs = []
        for el in children(area):
            tag = local(el)
            if tag == "File" or classify(tag) is None:
                continue
            area_objs.append((build_object(el, tag, index, data_file, label_path=label_path), el))
            index += 1
        offsets = sorted({o.offset for o, _ in area_objs if o.offset is not None})
        for o, el in area_objs:
            later = [x for x in offsets if x > (o.offset or 0)]
            out.append((o, el, later[0] if later else None))
    return out
