"""PDS4 data-object classes → `pdsgen.model.DataObject` (structure only, no bytes read).

Class names map onto layouts by family (``Array*``, ``Table_Character``, ...), so
subclasses such as Inventory (a Table_Delimited) or Transfer_Manifest (a
Table_Character) need no code of their own. Group fields are flattened into fields
with ``shape``/``strides`` (bytes for fixed tables, columns for delimited ones).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from lxml import etree

from pdsgen.errors import LabelError, PdsgenError
from pdsgen.model import Axis, DataObject, Field, Kind, Layout
from pdsgen.pds4.label import child, children, integer, local, number, text, texts, to_number
from pdsgen.untrusted import ReferenceEscapeError

FITS_SUFFIXES = (".fits", ".fit", ".fts")

FIXED_CHARACTER = {"Table_Character", "Transfer_Manifest"}
FIXED_BINARY = {"Table_Binary"}
DELIMITED = {"Table_Delimited", "Inventory", "Table_Delimited_Source_Product_Internal",
             "Table_Delimited_Source_Product_External"}
HEADERS = {"Header", "Header_Encoded"}
TEXT = {"Stream_Text", "Parsable_Byte_Stream", "Checksum_Manifest"}
NOT_OBJECTS = {"File", "Local_Internal_Reference", "Internal_Reference", "External_Reference"}


def _is_fits(path: Path) -> bool:
    """A FITS file starts with the card ``SIMPLE  =`` whatever its name."""
    try:
        with open(path, "rb") as fh:
            return fh.read(9) == b"SIMPLE  ="
    except OSError:
        return False


def classify(tag: str) -> tuple[Kind, Layout] | None:
    """(kind, layout) of a data-object class, or None for elements that are not objects."""
    if tag in NOT_OBJECTS:
        return None
    if tag.startswith("Array"):
        return "array", "array"
    if tag in FIXED_CHARACTER:
        return "table", "fixed_character"
    if tag in FIXED_BINARY:
        return "table", "fixed_binary"
    if tag in DELIMITED or tag.startswith("Table_Delimited"):
        return "table", "delimited"
    if tag in HEADERS:
        return "header", "header"
    if tag in TEXT:
        return "text", "text"
    return "other", "other"


#: The children of PDS4 Special_Constants (pds:Special_Constants, IM 1.x).
SPECIAL_CONSTANTS_CHILDREN = frozenset({
    "saturated_constant", "missing_constant", "error_constant", "invalid_constant", "unknown_constant",
    "not_applicable_constant", "valid_maximum", "high_instrument_saturation",
    "high_representation_saturation", "valid_minimum", "low_instrument_saturation",
    "low_representation_saturation",
})


def special_constants(element: etree._Element | None) -> dict[str, str]:
    """Special_Constants children as raw text (typed when compared with the data); elements
    the dictionary does not define (a misspelt ``satured_constant``) are left out, never
    applied (`unknown_elements` reports them)."""
    sc = child(element, "Special_Constants") if element is not None else None
    if sc is None:
        return {}
    return {local(c): c.text.strip() for c in children(sc)
            if c.text and c.text.strip() and local(c) in SPECIAL_CONSTANTS_CHILDREN}


def unknown_elements(el: etree._Element, obj: DataObject, label_path: Path) -> None:
    """Warn about Special_Constants children the PDS4 dictionary does not define (ignored)."""
    for sc in el.iter("{*}Special_Constants"):  # (lxml's tag matcher, in C)
        owner = sc.getparent()
        for c in children(sc):
            if local(c) not in SPECIAL_CONSTANTS_CHILDREN:
                obj.warn(f"unknown element <{local(c)}> in Special_Constants (label line {c.sourceline}): "
                         f"ignored", field=text(owner, "name") if owner is not None and owner is not el else None,
                         value=(c.text or "").strip(), file=label_path)


#: the children of a field `_field_common` reads
_FIELD_VALUES = ("data_type", "name", "field_number", "unit", "scaling_factor", "value_offset", "description",
                 "field_format", "validation_format")


def _field_common(el: etree._Element, *, path: Path, obj: str) -> dict[str, Any]:
    values = texts(el, *_FIELD_VALUES)
    dtype = values["data_type"]
    if dtype is None:
        raise LabelError(f"field {values['name']!r} has no <data_type>", path=str(path), obj=obj,
                         line=el.sourceline)
    return {
        "name": values["name"] or f"field_{values['field_number'] or '?'}",
        "data_type": dtype,
        "label_data_type": dtype,
        "unit": values["unit"],
        "scaling_factor": to_number(values["scaling_factor"]),
        "value_offset": to_number(values["value_offset"]),
        "special_constants": special_constants(el),
        "description": values["description"],
        "field_format": values["field_format"],
        "validation_format": values["validation_format"],
    }


def fixed_fields(record: etree._Element, *, path: Path, obj: str, base: int = 0, shape: tuple[int, ...] = (),
                 strides: tuple[int, ...] = (), groups: tuple[str, ...] = (), problems: list[str] | None = None) -> list[Field]:
    """Fields of a Record_Character/Record_Binary or group, locations 0-based from the record start.

    Label problems that only affect one bit field are appended to ``problems``.
    """
    problems = [] if problems is None else problems
    fields: list[Field] = []
    for el in children(record):
        tag = local(el)
        if tag in ("Field_Character", "Field_Binary"):
            common = _field_common(el, path=path, obj=obj)
            location = base + integer(el, "field_location", path=path, obj=obj) - 1
            length = integer(el, "field_length", path=path, obj=obj)
            fields.append(Field(location=location, length=length, shape=shape, strides=strides,
                                group_path=groups, **common))
            packed = child(el, "Packed_Data_Fields")
            if packed is not None:
                fields.extend(_bit_fields(packed, location, length, path=path, obj=obj, shape=shape,
                                          strides=strides, groups=(*groups, common["name"]),
                                          problems=problems))
        elif tag in ("Group_Field_Character", "Group_Field_Binary"):
            reps = integer(el, "repetitions", path=path, obj=obj)
            glen = integer(el, "group_length", path=path, obj=obj)
            gloc = integer(el, "group_location", path=path, obj=obj)
            if reps <= 0:
                raise LabelError(f"group has {reps} repetitions", path=str(path), obj=obj, line=el.sourceline)
            if glen % reps:
                raise LabelError(f"group_length {glen} is not a multiple of repetitions {reps}", path=str(path),
                                 obj=obj, line=el.sourceline)
            name = text(el, "name") or f"GROUP_{len(groups)}"
            fields.extend(fixed_fields(el, path=path, obj=obj, base=base + gloc - 1, shape=(*shape, reps),
                                       strides=(*strides, glen // reps), groups=(*groups, name),
                                       problems=problems))
    return fields


def _bit_fields(packed: etree._Element, location: int, length: int, *, path: Path, obj: str, shape: tuple[int, ...],
                strides: tuple[int, ...], groups: tuple[str, ...],
                problems: list[str]) -> list[Field]:
    out = []
    for el in children(packed, "Field_Bit"):
        common = _field_common(el, path=path, obj=obj)
        start = text(el, "start_bit_location") or text(el, "start_bit")
        stop = text(el, "stop_bit_location") or text(el, "stop_bit")
        if start is None or stop is None:
            raise LabelError(f"bit field {common['name']!r} has no start/stop bit", path=str(path), obj=obj,
                             line=el.sourceline)
        first, last = int(start) - 1, int(stop) - 1
        if not 0 <= first <= last < 8 * length:
            # A label mistake confined to this bit field: report it, keep the table readable.
            problem = (f"bit field {common['name']!r} (bits {first + 1}..{last + 1}) lies outside its "
                       f"{length}-byte packed field; not read")
            problems.append(problem)
            continue
        out.append(Field(location=location, length=length, shape=shape, strides=strides, group_path=groups,
                         bits=(first, last), **common))
    return out


def delimited_fields(record: etree._Element, *, path: Path, obj: str) -> tuple[list[Field], int]:
    """Fields of a Record_Delimited with 0-based column indices; and columns per record."""

    def walk(element: etree._Element, column: int, shape: tuple[int, ...], strides: tuple[int, ...],
             groups: tuple[str, ...]) -> tuple[list[Field], int]:
        out: list[Field] = []
        for el in children(element):
            tag = local(el)
            if tag == "Field_Delimited":
                common = _field_common(el, path=path, obj=obj)
                length = integer(el, "maximum_field_length", path=path, obj=obj, required=False) or 0
                out.append(Field(location=column, length=length, shape=shape, strides=strides,
                                 group_path=groups, **common))
                column += 1
            elif tag == "Group_Field_Delimited":
                reps = integer(el, "repetitions", path=path, obj=obj)
                name = text(el, "name") or f"GROUP_{len(groups)}"
                inner, width = walk(el, 0, (), (), ())
                for f in inner:
                    f.location += column
                    f.shape = (*shape, reps, *f.shape)
                    f.strides = (*strides, width, *f.strides)
                    f.group_path = (*groups, name, *f.group_path)
                out.extend(inner)
                column += reps * width
        return out, column

    fields, columns = walk(record, 0, (), (), ())
    return fields, columns


def count_problems(record: etree._Element, *, path: Path, obj: str) -> list[tuple[str, etree._Element]]:
    """A record's (and each group's) ``<fields>``/``<groups>`` that do not count its direct
    Field_*/Group_Field_* children: (problem, element), outermost first."""
    out: list[tuple[str, etree._Element]] = []
    stack = [record]
    while stack:
        element = stack.pop()
        kids = [(local(c), c) for c in children(element)]
        groups = [c for tag, c in kids if tag.startswith("Group_Field")]
        for tag, found in (("fields", sum(tag.startswith("Field_") for tag, _c in kids)), ("groups", len(groups))):
            declared = integer(element, tag, path=path, obj=obj, required=False)
            if declared is not None and declared != found:
                what = "Field_*" if tag == "fields" else "Group_Field_*"
                out.append((f"<{local(element)}> says <{tag}>{declared}</{tag}> but has {found} {what}", element))
        stack.extend(groups)
    return out


def check_counts(record: etree._Element, *, path: Path, obj: str) -> None:
    """A binary record's (and each group's) ``<fields>``/``<groups>`` must count its direct
    Field_Binary/Group_Field_Binary children, as pds4-jparser requires of a binary table: a
    count that disagrees means the description lost or gained a field, and values read from
    it could be silently wrong."""
    problems = count_problems(record, path=path, obj=obj)
    if problems:
        message, element = problems[0]
        raise LabelError(message, path=str(path), obj=obj, line=element.sourceline)


def warn_counts(target: DataObject, record: etree._Element, *, path: Path) -> None:
    """The same counts of a character or delimited record, read leniently: the fields are read
    as the Field_* elements describe them (pds4-jparser does not count them either); each
    disagreement is a reading warning (``record_counts``)."""
    for message, _element in count_problems(record, path=path, obj=target.name):
        target.warn(message, file=path, code="record_counts")


def _axes(el: etree._Element, *, path: Path, obj: str) -> list[Axis]:
    axes: list[Axis] = []
    for ax in children(el, "Axis_Array"):
        axes.append(Axis(
            name=text(ax, "axis_name") or f"axis_{len(axes) + 1}",
            elements=integer(ax, "elements", path=path, obj=obj),
            sequence_number=integer(ax, "sequence_number", path=path, obj=obj, required=False),
            unit=text(ax, "unit"),
        ))
    numbers = [a.sequence_number for a in axes]
    if all(n is not None for n in numbers):
        axes.sort(key=lambda a: a.sequence_number or 0)
    return axes


def build_object(el: etree._Element, tag: str, index: int, data_file: Path, *, label_path: Path,
                 file_error: Exception | None = None) -> DataObject:
    """One DataObject; description errors are kept on the object, not raised."""
    classified = classify(tag)
    if classified is None:
        raise LabelError(f"<{tag}> is not a data object", path=str(label_path), line=el.sourceline)
    kind, layout = classified
    name = text(el, "local_identifier") or text(el, "name") or f"{tag}_{index}"
    obj = DataObject(name=name, kind=kind, layout=layout, file=data_file, offset=0, label_type=tag,
                     description=text(el, "description"))
    try:
        obj.offset = integer(el, "offset", path=label_path, obj=name, required=kind != "other") or 0
        _describe(obj, el, tag, label_path)
        unknown_elements(el, obj, label_path)
    except PdsgenError as exc:
        obj.error = exc
    if file_error is not None and (obj.error is None or isinstance(file_error, ReferenceEscapeError)) and (
            kind != "other" or isinstance(file_error, ReferenceEscapeError)):
        obj.error = file_error  # a file outside the label's folder: no object of it is read
    return obj


#: fixed-width record descriptions by the exact XML of their Record_* element (see
#: `record_fields`), most recently used last
_RECORDS: OrderedDict[bytes, tuple[tuple[Field, ...], tuple[str, ...], str | None]] = OrderedDict()
_RECORDS_KEPT = 64
_RECORDS_LOCK = threading.Lock()


def record_fields(record: etree._Element, *, path: Path, obj: str) -> tuple[list[Field], list[str], str | None]:
    """The fields of a Record_Character/Record_Binary (`fixed_fields`), the bit-field
    problems `fixed_fields` reports and the first overlap of two fields
    (`pdsgen.data.io.field_overlap`), or the `LabelError` that stops its description.

    All three are pure functions of the record element's XML (``path`` and ``obj`` only
    name the label in errors, which are never remembered), so they are remembered per
    exact serialisation of that element — every tag with its namespace, text, attribute
    and child — and a record of the same XML (many products of one shape: a migration,
    a delivery's validation) gets copies of them instead of being described again. Each
    caller gets fields of its own (fresh `Field` objects and dicts)."""
    key = etree.tostring(record, with_tail=False)
    with _RECORDS_LOCK:
        found = _RECORDS.get(key)
        if found is not None:
            _RECORDS.move_to_end(key)
    if found is None:
        problems: list[str] = []
        fields = fixed_fields(record, path=path, obj=obj, problems=problems)
        from pdsgen.data.io import field_overlap

        found = (tuple(_field_copy(f) for f in fields), tuple(problems), field_overlap(fields))
        with _RECORDS_LOCK:
            _RECORDS[key] = found
            while len(_RECORDS) > _RECORDS_KEPT:
                _RECORDS.popitem(last=False)
    return [_field_copy(f) for f in found[0]], list(found[1]), found[2]


def _field_copy(f: Field) -> Field:
    out = copy.copy(f)
    out.special_constants = dict(f.special_constants)
    out.extra = dict(f.extra)
    return out


def _describe(obj: DataObject, el: etree._Element, tag: str, label_path: Path) -> None:
    name = obj.name
    if obj.kind == "array":
        obj.axes = _axes(el, path=label_path, obj=name)
        elem = child(el, "Element_Array")
        if elem is None:
            raise LabelError("array has no <Element_Array>", path=str(label_path), obj=name, line=el.sourceline)
        obj.element_type = obj.label_element_type = text(elem, "data_type")
        obj.unit = text(elem, "unit")
        obj.scaling_factor = number(elem, "scaling_factor")
        obj.value_offset = number(elem, "value_offset")
        obj.special_constants = special_constants(el)
        obj.details["axis_index_order"] = text(el, "axis_index_order")
        declared = integer(el, "axes", path=label_path, obj=name, required=False)
        if declared is not None and declared != len(obj.axes):
            raise LabelError(f"<axes> says {declared} but {len(obj.axes)} Axis_Array are given",
                             path=str(label_path), obj=name, line=el.sourceline)
        if obj.file.suffix.lower() in FITS_SUFFIXES or _is_fits(obj.file):
            # Read by the label's own description (as pds4_tools does): the PDS4 label is
            # the authority even where the FITS header says otherwise.
            obj.details["fits"] = True
        return
    if obj.layout in ("fixed_character", "fixed_binary"):
        obj.records = integer(el, "records", path=label_path, obj=name)
        rec_tag = "Record_Character" if obj.layout == "fixed_character" else "Record_Binary"
        record = child(el, rec_tag)
        if record is None:
            raise LabelError(f"table has no <{rec_tag}>", path=str(label_path), obj=name, line=el.sourceline)
        obj.record_length = integer(record, "record_length", path=label_path, obj=name)
        if obj.layout == "fixed_binary":
            check_counts(record, path=label_path, obj=name)
        else:
            warn_counts(obj, record, path=label_path)
        obj.fields, problems, overlap = record_fields(record, path=label_path, obj=name)
        for problem in problems:
            obj.warn(problem, file=label_path)
        if overlap:  # archived products do this (by a byte); read as labelled, said loudly
            obj.warn(f"{overlap}: values read as the label says", file=label_path, code="field_overlap")
        delimiter = text(el, "record_delimiter")
        if delimiter:
            obj.details["record_delimiter"] = delimiter
        return
    if obj.layout == "delimited":
        obj.records = integer(el, "records", path=label_path, obj=name)
        obj.size = integer(el, "object_length", path=label_path, obj=name, required=False)
        obj.details["field_delimiter"] = text(el, "field_delimiter") or "Comma"
        obj.details["record_delimiter"] = text(el, "record_delimiter")
        record = child(el, "Record_Delimited")
        if record is None:
            raise LabelError("table has no <Record_Delimited>", path=str(label_path), obj=name, line=el.sourceline)
        warn_counts(obj, record, path=label_path)
        obj.fields, columns = delimited_fields(record, path=label_path, obj=name)
        obj.details["fields_per_record"] = columns
        obj.details["maximum_record_length"] = integer(record, "maximum_record_length", path=label_path,
                                                       obj=name, required=False)
        return
    obj.size = integer(el, "object_length", path=label_path, obj=name, required=False)
    obj.details["encoding"] = text(el, "encoding_standard_id") or text(el, "encoding_type")
    if obj.kind == "header":
        obj.details["parsing_standard_id"] = text(el, "parsing_standard_id")
    elif obj.kind == "text":
        obj.details["parsing_standard_id"] = text(el, "parsing_standard_id")
        obj.details["encoding"] = text(el, "encoding_type") or "UTF-8"
    elif obj.kind == "other":
        obj.details["encoding_standard_id"] = text(el, "encoding_standard_id")
