"""Fixed-width (Table_Character, Table_Binary) and delimited (Table_Delimited, Inventory)
tables: record structure first, then every field of every record (`columns`).

Fixed tables are read in record blocks of at most `columns.BLOCK_BYTES` (one memory map);
the record delimiter at record_length is checked before the field layout, because a wrong
record_length explains every later problem. Delimited tables are split by Arrow's CSV
reader (quotes, CR/LF), records counted, fields per record checked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from lxml import etree

from pdsgen.model import DataObject, Field
from pdsgen.pds4.label import child_text, local, texts
from pdsgen.validate import columns as C
from pdsgen.validate import fieldtypes
from pdsgen.validate.columns import (
    RECORD_DELIMITERS,
    Ctx,
    _binary_column_checks,
    _dtype_of,
    _field_elements,
    _limits,
    _line,
    _parse_numbers,
    _range_checks,
    _report,
    _run_tasks,
    _shower,
    _text_column_checks,
)
from pdsgen.validate.fieldtypes import ArrowArray, ByteMatrix, RowMask
from pdsgen.validate.findings import Finding

#: a column of a fixed table to check: (field number, field, repetition suffix, byte location, limits)
_FieldTask: TypeAlias = tuple[int, Field, str, int, C.FieldLimits]
#: a bit field with a valid range: (field, repetition suffix, byte location of its packed field, limits)
_BitTask: TypeAlias = tuple[Field, str, int, C.FieldLimits]
#: a field of a delimited table: (field number, field, its columns (one per repetition), limits)
_DelimitedTask: TypeAlias = tuple[int, Field, list[int], C.FieldLimits]
#: findings of one kind across record blocks: (type, field number, what the message is about)
_ProblemKey: TypeAlias = tuple[str, int | None, str]
#: line ends (exclusive byte offsets) of a text table
_Ends: TypeAlias = npt.NDArray[np.int64]

# --------------------------------------------------------------------------- fixed tables


def _record_delimiter(obj: DataObject) -> bytes | None:
    spelled = obj.details.get("record_delimiter")
    if not spelled:
        return None
    return RECORD_DELIMITERS.get(str(spelled).strip().lower())


def _columns(f: Field) -> list[tuple[int, str]]:
    """Byte location of every repetition of a (group) field, with a suffix naming it."""
    locs = [(f.location, "")]
    for count, stride in zip(f.shape, f.strides, strict=False):
        locs = [(loc + k * stride, f"{suffix}[{k + 1}]") for loc, suffix in locs for k in range(count)]
    return locs


def _group_extent(group: etree._Element) -> int:
    """Bytes one repetition of a group's fields reach, as pds4-jparser's getGroupExtent counts
    them: a field to location + length - 1, an inner group to its location + its
    group_length - 1. (jparser counts an inner group by ONE of its repetitions, which refuses
    every nested repeated group; pdsgen counts the whole inner group, as the Standards
    Reference defines group_length.)"""
    extent = 0
    for child in group:
        tag = local(child) if isinstance(child.tag, str) else ""
        if tag in ("Field_Character", "Field_Binary"):
            start, length = _int(child_text(child, "field_location")), _int(child_text(child, "field_length"))
            if start is not None and length is not None:
                extent = max(extent, start + length - 1)
        elif tag.startswith("Group_Field_"):
            start, length = _int(child_text(child, "group_location")), _int(child_text(child, "group_length"))
            if start is not None and length is not None:
                extent = max(extent, start + length - 1)
    return extent


def _binary_count_problems(obj: DataObject, el: etree._Element | None, ctx: Ctx) -> list[Finding]:
    """A binary record or group whose <fields>/<groups> is not the number of its Field_Binary
    / Group_Field_Binary children: pds4-jparser's TableBinaryAdapter checks both counts
    (Utility.validateCounts) when it opens the table (``table_definition_problem``)."""
    if el is None:
        return []
    for parent in [*el.iter("{*}Record_Binary"), *el.iter("{*}Group_Field_Binary")]:
        kids = [local(c) for c in parent if isinstance(c.tag, str)]
        for count, tag in (("fields", "Field_Binary"), ("groups", "Group_Field_Binary")):
            said = _int(child_text(parent, count))
            if said is not None and said != kids.count(tag):
                return [Finding("error.label.table_definition_problem",
                                f"{obj.name}: {local(parent)} says {count} {said}, it holds {kids.count(tag)} "
                                f"{tag}", file=ctx.label, line=parent.sourceline)]
    return []


def _group_length_problems(obj: DataObject, el: etree._Element | None, ctx: Ctx) -> list[Finding]:
    """Groups whose group_length / repetitions is not the extent of their fields.

    pds4-jparser's TableCharacterAdapter/TableBinaryAdapter refuse such a group (larger or
    smaller alike: ``group_length / repetitions != extent``) with an InvalidTableException
    when the table is opened, before any record is read: validate reports ``error.label.table_definition_problem`` and reads no
    further object of the label (`content.stops_reading`)."""
    out: list[Finding] = _binary_count_problems(obj, el, ctx)
    if out:
        return out
    for group in (el.iter("{*}Group_Field_Character", "{*}Group_Field_Binary") if el is not None else ()):
        reps, glen = _int(child_text(group, "repetitions")), _int(child_text(group, "group_length"))
        if not reps or glen is None:
            continue
        per_rep, extent = glen // reps, _group_extent(group)
        if per_rep != extent:  # a gap after the fields (larger) or fields beyond the group (smaller)
            size = "larger" if per_rep > extent else "smaller"
            out.append(Finding("error.label.table_definition_problem",
                               f"{obj.name}: {local(group)} {child_text(group, 'name')!r}: group_length {glen} over "
                               f"{reps} repetition(s) is {per_rep} bytes each, {size} than its fields ({extent})",
                               file=ctx.label, line=group.sourceline))
            break  # the first one ends the reading of the table
    return out


@dataclass
class _Plan:
    """What `check_fixed_table` reads from a table's label description before any record:
    the limits of each field (plain fields, then bit fields, in order) and whether the
    group lengths and the field layout are free of problems."""

    limits: list[C.FieldLimits]
    bit_limits: list[C.FieldLimits]
    layout_clean: bool | None = None  # None: not known yet


#: plans of problem-free table descriptions by their serialisation (products of one kind share it)
_plans: dict[tuple[bytes, ...], _Plan] = {}
_PLANS_MAX = 256
#: children of a table that differ between products of one kind and that no plan reads
_NOT_PLANNED = frozenset({"offset", "records"})


def _plan_key(el: etree._Element | None, delim: bytes | None) -> tuple[bytes, ...] | None:
    if el is None:
        return None
    return (delim or b"", *(etree.tostring(c, with_tail=False) for c in el
                            if not (isinstance(c.tag, str) and local(c) in _NOT_PLANNED)))


def _plan(obj: DataObject, el: etree._Element | None, key: tuple[bytes, ...] | None) -> _Plan:
    plan = _plans.get(key) if key is not None else None
    if plan is not None:
        return plan
    field_els = _field_elements(el)
    plain = [f for f in obj.fields if f.bits is None]
    el_of = dict(zip(map(id, plain), field_els, strict=False))
    plan = _Plan([_limits(el_of.get(id(f)), f.special_constants, _dtype_of(f.data_type)) for f in plain],
                 [_limits(None, f.special_constants) for f in obj.fields if f.bits is not None])
    if key is not None:
        if len(_plans) >= _PLANS_MAX:
            _plans.clear()
        _plans[key] = plan
    return plan


def check_fixed_table(obj: DataObject, el: etree._Element | None, ctx: Ctx) -> list[Finding]:
    character = obj.layout == "fixed_character"
    delim = _record_delimiter(obj) if character else None
    key = _plan_key(el, delim)
    known = _plans.get(key) if key is not None else None
    out: list[Finding] = [] if known is not None else _group_length_problems(obj, el, ctx)
    if out:
        return out
    name = obj.name
    records, reclen = obj.records or 0, obj.record_length or 0
    size = obj.file.stat().st_size
    needed = obj.offset + records * reclen
    if needed > size:
        out.append(Finding("error.label.table_definition_problem",
                           f"{name}: {records} records of {reclen} bytes from offset {obj.offset} need "
                           f"{needed} bytes, the file {obj.file.name!r} has {size}", file=ctx.label,
                           line=_line(el)))
        return out
    if records == 0 or reclen == 0:
        return out
    body = reclen - len(delim) if delim else reclen
    plan = _plan(obj, el, key)  # (kept only once the layout is known to be clean, below)
    plain = [f for f in obj.fields if f.bits is None]
    tasks: list[_FieldTask] = []
    for number, (f, lim) in enumerate(zip(plain, plan.limits, strict=True), start=1):
        for loc, suffix in _columns(f):
            tasks.append((number, f, suffix, loc, lim))
    bit_tasks: list[_BitTask] = []
    for f, lim in zip([f for f in obj.fields if f.bits is not None], plan.bit_limits, strict=True):
        if lim.valid_min is not None or lim.valid_max is not None:
            bit_tasks += [(f, suffix, loc, lim) for loc, suffix in _columns(f)]

    rows = max(1, C.BLOCK_BYTES // reclen)
    if records <= rows:  # one block: a plain read is cheaper than a memory map
        mapped = C.read_block(obj.file, obj.offset, records * reclen).reshape(records, reclen)
    else:
        mapped = np.memmap(obj.file, dtype=np.uint8, mode="r", offset=obj.offset, shape=(records, reclen))
    blocks: list[list[Finding]] = []
    for b0 in range(0, records, rows):
        mat = mapped if records <= rows else np.array(mapped[b0: b0 + rows])
        if b0 == 0:
            if delim:
                # validate reads a character table's records as windows of record_length bytes
                # (a record shorter than its fields and delimiter ends the table's reading)
                short = _record_shorter_than_its_fields(obj, el, ctx, mat, delim)
                if short:
                    return out + short
            found = [] if plan.layout_clean else _field_layout(obj, el, body, ctx)
            if not plan.layout_clean and key is not None and key in _plans:
                if found:  # (findings name the object and lines: never kept)
                    del _plans[key]
                else:
                    plan.layout_clean = True
            if any(f.type.startswith("error.") for f in found):
                # the record delimiter of record 1 is checked before its fields are read
                out.extend(_delimiter_findings(name, el, ctx, mat[:1], delim))
                out.extend(found)
                out.extend(_unread_records(obj, el, ctx, found, character))
                break
            out.extend(found)
        found = _check_fixed_block(obj, el, ctx, mat, delim, body, tasks, bit_tasks, character)
        for finding in found:
            if finding.record is not None:
                finding.record += b0
        blocks.append(found)
    del mapped
    if blocks:
        out.extend(blocks[0] if len(blocks) == 1 else _merge_blocks(blocks, ctx))
    return out


FATAL_LAYOUT = ("error.table.field_value_overlap", "error.table.bad_field_read")


def _unread_records(obj: DataObject, el: etree._Element | None, ctx: Ctx, found: list[Finding], character: bool) -> list[Finding]:
    """Records left unread after a fatal field layout error, as validate reports them.

    validate stops reading a character table at the first record whose fields overlap or
    cannot be read (its "fatal field content" error) and then reports the records it did
    not read as ``error.table.records_mismatch``; its binary-table path reports no count.
    pdsgen does not read such a table either, so the same count is true here.
    """
    records = obj.records or 0
    if not character or records <= 1 or not any(f.type in FATAL_LAYOUT for f in found):
        return []
    return [Finding("error.table.records_mismatch",
                    f"{obj.name}: only record 1 of {records} read; the field layout error stops reading "
                    f"the table", file=ctx.label, line=_line(el))]


def _merge_blocks(blocks: list[list[Finding]], ctx: Ctx) -> list[Finding]:
    """One table's findings from several record blocks: first few per problem, then one count."""
    shown: dict[_ProblemKey, list[Finding]] = {}
    totals: dict[_ProblemKey, int] = {}
    other: list[Finding] = []
    for found in blocks:
        per_block: dict[_ProblemKey, int] = {}
        for f in found:
            key = (f.type, f.field, f.message.split(":", 1)[0])
            if "count" in f.extra:  # the block's summary (comes last) holds the block's total
                per_block[key] = f.extra["count"]
            elif f.record is not None:
                per_block[key] = per_block.get(key, 0) + 1
                lst = shown.setdefault(key, [])
                if len(lst) < ctx.max_reported:
                    lst.append(f)
            else:
                other.append(f)
        for key, n in per_block.items():
            totals[key] = totals.get(key, 0) + n
    out = list(other)
    for key, lst in shown.items():
        out.extend(lst)
        rest = totals.get(key, len(lst)) - len(lst)
        if rest > 0:
            out.append(Finding(key[0], f"{key[2]}: {rest} more record(s) with the same problem "
                                       f"({totals[key]} in all)", file=lst[0].file, field=key[1],
                               extra={"count": totals[key]}))
    return out


def _record_shorter_than_its_fields(obj: DataObject, el: etree._Element | None, ctx: Ctx, mat: ByteMatrix,
                                    delim: bytes) -> list[Finding]:
    """validate's first check of a character table's content (since its issue 680): the
    first record read (record_length bytes) must hold every field and the record delimiter;
    otherwise ``record_length_mismatch`` once, and no record is read (TableValidator).

    validate measures that record, and each record after it, as a Java string decoded from
    UTF-8, so a multi-byte character makes its record "shorter"; pdsgen counts bytes, as
    the Standards Reference defines record_length (and as pdsgen writes UTF8_String fields)."""
    extent = max((loc + f.length for f in obj.fields if f.bits is None for loc, _ in _columns(f)), default=0)
    need = extent + len(delim)
    got = mat.shape[1]
    if got >= need:
        return []
    return [Finding("error.table.record_length_mismatch",
                    f"{obj.name}: record_length {got} is less than its fields and record delimiter need ({need}); "
                    f"the table is not read", file=ctx.label, record=1, line=_line(el))]


def _delimiter_findings(name: str, el: etree._Element | None, ctx: Ctx, mat: ByteMatrix, delim: bytes | None) -> list[Finding]:
    """validate's end-of-line check of each record of a character table, read as a window of
    record_length bytes (TableValidator.checkEOL): a window that does not end in CR/LF where
    the label says Carriage-Return Line-Feed is ``missing_CRLF``; one that does not end in
    LF, or ends in CR/LF, where it says Line-Feed is ``missing_LF`` — a wrong record_length
    included (validate's issue 680: the fields of the shifted windows are still read)."""
    if delim not in (b"\r\n", b"\n") or not mat.shape[0]:
        return []
    n, reclen = mat.shape
    crlf = (mat[:, reclen - 2] == 13) & (mat[:, reclen - 1] == 10) if reclen >= 2 else np.zeros(n, bool)
    if delim == b"\r\n":
        bad, kind, said = ~crlf, "error.table.missing_CRLF", "carriage-return line-feed"
    else:
        bad, kind, said = (mat[:, reclen - 1] != 10) | crlf, "error.table.missing_LF", "a bare line feed"
    out: list[Finding] = []
    _report(out, bad, kind, lambda i: f"record {i + 1} (its {reclen} bytes at record_length) does not end in "
                                      f"{said}, the label's record_delimiter", ctx, obj=name)
    for f in out:
        f.line = f.line or _line(el)
    return out


def _check_fixed_block(obj: DataObject, el: etree._Element | None, ctx: Ctx, mat: ByteMatrix, delim: bytes | None,
                       body: int, tasks: list[_FieldTask], bit_tasks: list[_BitTask], character: bool) -> list[Finding]:
    """Findings of one block of records (record numbers relative to the block): record
    delimiters, then the fields (read in each record_length window, as validate reads them)."""
    name = obj.name
    n = mat.shape[0]
    out = _delimiter_findings(name, el, ctx, mat, delim)
    if character and ctx.strict_fields:
        covered = np.zeros(body, dtype=bool)
        for _number, f, _suffix, loc, _lim in tasks:
            covered[max(loc, 0): loc + f.length] = True
        gaps = np.flatnonzero(~covered)
        if gaps.size:
            between = (mat[:, gaps] != 32).any(axis=1)
            _report(out, between, "warning.table.characters_between_fields",
                    lambda i: "non-blank characters between fields", ctx, obj=name)

    def run(task: _FieldTask) -> list[Finding]:
        number, f, suffix, loc, lim = task
        found: list[Finding] = []
        col = mat[:, loc: loc + f.length]
        label = f"{name}{suffix}"
        if character or fieldtypes.anchored(f.data_type) or f.data_type.startswith(("ASCII_", "UTF8_")):
            _text_column_checks(found, col, f, lim, ctx, field_no=number, obj=label,
                                numeric_values=lambda ok: _parse_numbers(col, ok, f.data_type),
                                formats=_formats(f) if character else ())
        else:
            _binary_column_checks(found, col, f, lim, ctx, field_no=number, obj=label)
        return found

    if bit_tasks:
        from pdsgen.data import types

        for f, suffix, loc, lim in bit_tasks:
            assert f.bits is not None  # (bit tasks are the fields with bits)
            raw = np.ascontiguousarray(mat[:, loc: loc + f.length])
            vals = types.unpack_bits(raw, f.bits[0], f.bits[1], f.data_type.startswith("Signed"))
            _range_checks(out, vals, np.ones(n, bool), lim, ctx, kind="table", field=None,
                          name=repr(f.name), obj=f"{name}{suffix}")
    out.extend(_run_tasks(run, tasks, mat.nbytes, ctx))
    return out


def _formats(f: Field) -> tuple[tuple[str, str], ...]:
    """The formats a character table's field is checked against: its validation_format (a
    rule) and field_format (a description), as validate's FieldValueValidator since its
    issues 816/817."""
    return tuple((kind, text) for kind, text in (("validation_format", f.validation_format),
                                                 ("field_format", f.field_format)) if text)


def field_sequence(table_el: etree._Element | None) -> list[tuple[int, int, int, str]]:
    """(start, end, occurrence number, name) of every field of a fixed table's record in the
    label's order, as validate lists them: each group's fields repetition by repetition
    (fields inside a group located from the group's start), bit fields left out."""
    out: list[tuple[int, int, int, str]] = []

    def walk(parent: etree._Element, base: int, suffix: str) -> None:
        for child in parent:
            tag = local(child) if isinstance(child.tag, str) else ""
            if tag in ("Field_Character", "Field_Binary"):
                values = texts(child, "field_location", "field_length", "name")  # (one pass)
                start, length = _int(values["field_location"]), _int(values["field_length"])
                if start is None or length is None:
                    continue
                out.append((base + start - 1, base + start - 1 + length, len(out) + 1,
                            f"{values['name']}{suffix}"))
            elif tag.startswith("Group_Field_"):
                values = texts(child, "repetitions", "group_length", "group_location")
                reps, glen, gloc = (_int(values["repetitions"]), _int(values["group_length"]),
                                    _int(values["group_location"]))
                if not reps or glen is None or gloc is None:
                    continue
                for r in range(reps):
                    walk(child, base + gloc - 1 + r * (glen // reps), f"{suffix}[{r + 1}]")

    record = next((c for c in (table_el if table_el is not None else ())
                   if isinstance(c.tag, str) and local(c).startswith("Record_")), None)
    if record is not None:
        walk(record, 0, "")
    return out


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip()) if text is not None else None
    except ValueError:
        return None


def _field_layout(obj: DataObject, el: etree._Element | None, body: int, ctx: Ctx) -> list[Finding]:
    """Fields inside the record, not overlapping; bit fields inside their packed field.

    A binary table's field beyond its record cannot be read: validate's FieldValueValidator
    fails reading it in record 1 (``bad_field_read``, fatal for the table, the later objects
    are still read); a character table's is found before (`_record_shorter_than_its_fields`)."""
    out: list[Finding] = []
    spans = field_sequence(el)
    for start, end, number, fname in spans:
        if start < 0 or end > body:
            kind = "error.table.bad_field_read" if obj.layout == "fixed_binary" else \
                "error.label.table_definition_problem"
            out.append(Finding(kind, f"{obj.name}: field {fname!r} (bytes {start + 1}..{end}) lies outside the "
                                     f"{body}-byte record", file=ctx.label, field=number, record=1, line=_line(el)))
            break  # the first field that cannot be read ends the reading of the table
    for fb in (el.iter("{*}Field_Bit") if el is not None else ()):
        packed_field = fb.getparent().getparent() if fb.getparent() is not None else None
        length = child_text(packed_field, "field_length") if packed_field is not None else None
        start_text = child_text(fb, "start_bit_location") or child_text(fb, "start_bit")
        stop_text = child_text(fb, "stop_bit_location") or child_text(fb, "stop_bit")
        if length is None or start_text is None or stop_text is None:
            continue
        try:
            nbits, first, last = int(length) * 8, int(start_text), int(stop_text)
        except ValueError:
            continue
        if not 1 <= first <= last <= nbits:
            out.append(Finding("error.table.bad_field_read",
                               f"{obj.name}: bit field {child_text(fb, 'name')!r} (bits {first}..{last}) lies "
                               f"outside its {nbits}-bit packed field", file=ctx.label, line=fb.sourceline,
                               extra={"stops_reading": True}))
    if any(f.type == "error.table.bad_field_read" for f in out):
        return out  # validate cannot open the table: it compares no fields (FAIL-style bit layouts)
    # validate compares each field with the next one in the label's order: a next field that
    # starts before this one ends, or before this one starts (fields out of order), overlaps.
    # Bit fields are not compared with each other: validate's source compares their bits,
    # but its releases accept bit fields whose bit ranges overlap
    for (s0, e0, n0, f0), (s1, _e1, _n1, f1) in zip(spans, spans[1:], strict=False):
        if s1 < e0 or s1 < s0:
            out.append(Finding("error.table.field_value_overlap",
                               f"{obj.name}: field {f0!r} (bytes {s0 + 1}..{e0}) overlaps the next field {f1!r} "
                               f"(starts at byte {s1 + 1})", file=ctx.label, field=n0, line=_line(el)))
    return out


# --------------------------------------------------------------------------- delimited tables


def line_ends(raw: bytes) -> _Ends:
    """End offsets (exclusive) of the physical lines of `raw`, as validate reads a text table.

    validate's line reader ends a line at LF, at CR LF, or at a CR not followed by LF; a last
    line without a terminator is a line too, an empty remainder is not. Each line, blank ones
    included, is one record of a delimited table.
    """
    buf = np.frombuffer(raw, dtype=np.uint8)
    if not buf.size:
        return np.zeros(0, dtype=np.int64)
    lf = buf == 10
    cr = buf == 13
    lone_cr = cr.copy()
    lone_cr[:-1] &= ~lf[1:]
    ends = np.flatnonzero(lf | lone_cr) + 1
    if not ends.size or ends[-1] != buf.size:
        ends = np.append(ends, buf.size)
    return ends


def _terminators(raw: bytes, ends: _Ends) -> tuple[npt.NDArray[np.int64], RowMask]:
    """(terminator length, ends with CR/LF) of each line (`ends` from `line_ends`, not empty)."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    starts = np.concatenate(([0], ends[:-1]))
    last = buf[ends - 1]
    crlf = (last == 10) & (ends - starts >= 2) & (buf[np.maximum(ends - 2, 0)] == 13)
    return np.where(crlf, 2, ((last == 10) | (last == 13)).astype(np.int64)), crlf


def _terminator_findings(name: str, raw: bytes, ends: _Ends, delim: bytes | None, el: etree._Element | None,
                         ctx: Ctx) -> list[Finding]:
    """validate's end-of-line check of each record read: CR/LF where the label says
    Carriage-Return Line-Feed (``missing_CRLF``), LF but not CR/LF where it says Line-Feed
    (``missing_LF``); a last record without its delimiter is such a record."""
    if not ends.size or delim not in (b"\r\n", b"\n"):
        return []
    crlf = _terminators(raw, ends)[1]
    last = np.frombuffer(raw, dtype=np.uint8)[ends - 1]
    if delim == b"\r\n":
        bad, kind, said = ~crlf, "error.table.missing_CRLF", "carriage-return line-feed"
    else:
        bad, kind, said = (last != 10) | crlf, "error.table.missing_LF", "a bare line feed"
    out: list[Finding] = []
    _report(out, bad, kind, lambda i: f"record {i + 1} does not end in {said} (the label's record_delimiter)",
            ctx, obj=name)
    for f in out:
        f.line = f.line or _line(el)
    return out


def _enclosed_in_quotes(col: ArrowArray, holds_quote: RowMask, raw: bytes) -> RowMask:
    """Of the values holding a double quote, those that were a quoted field (a doubled
    quote inside quotes).

    validate (FieldValueValidator, its issue 298) flags a value that starts and ends with a
    double quote and holds another one; a quote inside an unquoted field (``1, "a"`` with a
    blank before the quote, ``5"``) is literal text to it, not an error. Arrow unquotes
    quoted fields, so a value is taken as quoted when its quoted, doubled-quote spelling is in
    the table's bytes (only values holding a quote are looked at)."""
    out = np.zeros(len(holds_quote), dtype=bool)
    verdicts: dict[str, bool] = {}
    for i in np.flatnonzero(holds_quote):
        value = col[int(i)].as_py() or ""
        if value not in verdicts:
            spelled = ('"' + value.replace('"', '""') + '"').encode("utf-8", "surrogateescape")
            verdicts[value] = spelled in raw
        out[i] = verdicts[value]
    return out


def _csv_records_run_out(obj: DataObject, raw: bytes, ends: _Ends,
                         size: int) -> tuple[int | None, int | None, int | None, bytes | None]:
    """(the line at which validate finds no CSV record left, the line whose CSV record has a
    quote that never closes, the byte where the complete CSV records end — the last two only
    for such a quote —, the table's bytes to the end of the file when they had to be read).

    validate (TableValidator.validateTableCharacterContent over pds4-jparser's
    RawTableReader) reads a delimited table's physical lines and its CSV records side by
    side, one each per record, up to the label's count: a quoted value holding a line break
    takes two lines for one record, so the CSV records (read to the end of the file) can run
    out before the lines do. The record read then has no values: ``bad_field_read``, fatal
    (reading stops; fewer records than the label says are then ``records_mismatch``). A
    quote that never closes makes the CSV reader (opencsv) fail on its record, which
    validate reports as ``fields_mismatch``; the lines after it have no record left."""
    records = obj.records
    if not records or b'"' not in raw:
        return None, None, None, None
    lines = min(records, len(ends))

    def complete_records(buf: bytes, line_end: _Ends) -> tuple[int, int, bool]:
        quotes = np.cumsum(np.frombuffer(buf, dtype=np.uint8) == 34)
        closed = line_end[quotes[line_end - 1] % 2 == 0]
        return int(closed.size), int(closed[-1]) if closed.size else 0, bool(quotes[-1] % 2)

    if complete_records(raw, ends)[0] >= lines:
        return None, None, None, None
    whole = None
    if obj.offset + len(raw) < size:  # the CSV reader goes on to the end of the file
        with open(obj.file, "rb") as fh:
            fh.seek(obj.offset + len(raw))
            whole = raw + fh.read()
    found, cut, open_quote = complete_records(whole, line_ends(whole)) if whole is not None else \
        complete_records(raw, ends)
    unterminated = found + 1 if open_quote and found < lines else None
    empty = found + 1 + (unterminated is not None)
    return (empty if empty <= lines else None), unterminated, (cut if unterminated else None), whole


def check_delimited_table(obj: DataObject, el: etree._Element | None, ctx: Ctx, limit: int | None = None) -> list[Finding]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from pdsgen.data.delimited import delimiter_char

    out: list[Finding] = []
    name = obj.name
    size = obj.file.stat().st_size
    end = min(limit, size) if limit is not None else size
    length = obj.size if obj.size is not None else end - obj.offset
    if length < 0:  # the offset lies past the next object's start or the end of the file
        out.append(Finding("error.label.table_definition_problem",
                           f"{name}: offset {obj.offset} lies past the end of the table's room in "
                           f"{obj.file.name!r} (byte {end})", file=ctx.label, line=_line(el)))
        return out
    if obj.offset + length > size:
        out.append(Finding("error.label.table_definition_problem",
                           f"{name}: object_length {length} from offset {obj.offset} runs past the end of "
                           f"{obj.file.name!r} ({size} bytes)", file=ctx.label, line=_line(el)))
        return out
    with open(obj.file, "rb") as fh:
        fh.seek(obj.offset)
        raw = fh.read(length)
        if obj.records == 0:
            # validate's line reader goes on to the end of the file; a first line there is a
            # record the table reader refuses to give (its index is past the label's count):
            # the exception ends the table's reading as a file read error
            rest = raw + fh.read(2) if len(raw) < 2 else raw
            if rest and rest != b"\r":
                return [Finding("error.table.bad_file_read",
                                f"{name}: the label says 0 records, but a line follows the table's offset "
                                f"{obj.offset} in {obj.file.name!r}", file=ctx.label, record=1, line=_line(el))]
    delim = _record_delimiter(obj)
    # validate reads a delimited table line by line and stops at the label's record count:
    # lines after it are not read (no error), every line before it is a record (a blank line
    # too: it then has the wrong number of fields)
    ends = line_ends(raw)
    records = obj.records
    if records is not None and len(ends) < records and obj.offset + len(raw) < size:
        # object_length shorter than the records: validate's reader goes on to the end of the file
        with open(obj.file, "rb") as fh:
            fh.seek(obj.offset + len(raw))
            raw += fh.read()
        ends = line_ends(raw)
    fatal, unterminated, complete_end, raw_whole = _csv_records_run_out(obj, raw, ends, size)
    if unterminated is not None:
        out.append(Finding("error.table.fields_mismatch",
                           f"{name}: line {unterminated}: a quoted value that never closes (the CSV reader fails "
                           f"on its record)", file=ctx.label, record=unterminated, line=_line(el)))
    if fatal is not None:
        out.append(Finding("error.table.bad_field_read",
                           f"{name}: line {fatal} has no CSV record left to read (a quoted value holds a line "
                           f"break, so the lines outnumber the records); reading stops", file=ctx.label,
                           record=fatal, line=_line(el)))
        ends = ends[:fatal]
    if fatal is not None and raw_whole is not None:
        raw = raw_whole
    if records is not None and len(ends) > records:
        # the fields of the first <records> CSV records are checked: a quoted value may hold
        # a line break, so a record ends at a line end outside quotes (even count of quotes)
        record_ends = ends
        if b'"' in raw:
            quotes = np.cumsum(np.frombuffer(raw, dtype=np.uint8) == 34)
            record_ends = ends[quotes[ends - 1] % 2 == 0]
        if records == 0:
            raw = b""
        elif len(record_ends) > records:
            raw = raw[: int(record_ends[records - 1])]
        ends = ends[:records]
    out += _terminator_findings(name, raw, ends, delim, el, ctx)
    # only the complete CSV records have values to check (a quote that never closes ends them)
    csv_raw = raw[:complete_end] if complete_end is not None else raw
    max_len = child_text(el.find("{*}Record_Delimited") if el is not None else None, "maximum_record_length")
    if max_len and max_len.strip().isdigit() and ends.size:
        lengths = np.diff(np.concatenate(([0], ends)))
        _report(out, lengths > int(max_len), "error.table.record_length_mismatch",
                lambda i: f"record {i + 1} is longer than maximum_record_length {int(max_len)} "
                          f"(delimiter included)", ctx, obj=name)
    ncols = int(obj.details.get("fields_per_record") or 0) or (max((f.location for f in obj.fields), default=0) + 1)
    bad_rows: list[str] = []

    from pdsgen.data.delimited import quiet_row_handlers, row_handler

    @row_handler
    def on_invalid(row: Any) -> str:  # a pyarrow.csv.InvalidRow (pyarrow ships no type information)
        bad_rows.append(f"line {row.number}: {row.actual_columns} fields, the label says {row.expected_columns}"
                        if row.number is not None else f"{row.actual_columns} fields, the label says "
                        f"{row.expected_columns}")
        return "skip"

    names = [f"c{i}" for i in range(ncols)]
    try:
        with quiet_row_handlers():
            table = pacsv.read_csv(
                io.BytesIO(csv_raw),
                read_options=pacsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(raw) + 1)),
                parse_options=pacsv.ParseOptions(delimiter=delimiter_char(obj), quote_char='"', double_quote=True,
                                                  newlines_in_values=True, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if not csv_raw.strip():  # an empty table: no records
            if records and len(ends) < records and obj.label_type != "Inventory":
                out.append(Finding("error.table.records_mismatch",
                                   f"{name}: the label says {records} records, the file has {len(ends)}",
                                   file=ctx.label, line=_line(el)))
            return out
        out.append(Finding("error.table.bad_file_read", f"{name}: records cannot be split: {exc}",
                           file=ctx.label, line=_line(el)))
        return out
    # a blank line is a record of one empty field for validate's CSV reader (Arrow skips it)
    if ncols > 1 and ends.size:
        blank = np.flatnonzero(np.diff(np.concatenate(([0], ends))) == _terminators(raw, ends)[0])
        if unterminated is not None:  # the lines from there on have no CSV record of their own
            blank = blank[blank + 1 < unterminated]
        bad_rows += [f"line {i + 1}: blank, 1 empty field, the label says {ncols}" for i in blank]
    if records is not None and table.num_rows + len(bad_rows) > records:
        table = table.slice(0, max(records - len(bad_rows), 0))
    for msg in bad_rows[: ctx.max_reported]:
        out.append(Finding("error.table.fields_mismatch", f"{name}: {msg}", file=ctx.label, line=_line(el)))
    if len(bad_rows) > ctx.max_reported:
        out.append(Finding("error.table.fields_mismatch",
                           f"{name}: {len(bad_rows) - ctx.max_reported} more record(s) with a wrong number of "
                           f"fields", file=ctx.label))
    if records is not None and len(ends) < records and obj.label_type != "Inventory":
        read = "reading stopped after line" if fatal is not None else "the file has"
        out.append(Finding("error.table.records_mismatch",
                           f"{name}: the label says {records} records, {read} {len(ends)}",
                           file=ctx.label, line=_line(el)))
    field_els = _field_elements(el)
    tasks: list[_DelimitedTask] = []
    for number, (f, fel) in enumerate(zip(obj.fields, field_els + [None] * len(obj.fields), strict=False), start=1):
        lim = _limits(fel, f.special_constants)
        idx = [f.location]
        for count, stride in zip(f.shape, f.strides, strict=False):
            idx = [i + k * stride for i in idx for k in range(count)]
        idx = [i for i in idx if i < ncols]
        if idx:
            tasks.append((number, f, idx, lim))
    nrows = table.num_rows

    def run(task: _DelimitedTask) -> list[Finding]:
        number, f, col_indexes, lim = task
        found: list[Finding] = []
        # the repetitions of a group field are checked as one column (repetition-major), the
        # records of the findings mapped back: one pass per field, not per repetition
        if len(col_indexes) == 1:
            col = table.column(col_indexes[0]).combine_chunks()
        else:
            col = pa.concat_arrays([table.column(i).combine_chunks() for i in col_indexes])
        # PDS DSV: no record delimiters inside (quoted) values, no double quotes inside quoted
        # ones. validate (FieldValueValidator) reports a line break and checks nothing else
        # of that value; a quote only in a value it does not skip
        broken = pc.match_substring_regex(col, "[\r\n]").to_numpy(zero_copy_only=False)
        quoted = pc.match_substring(col, '"').to_numpy(zero_copy_only=False)
        if quoted.any():
            quoted &= _enclosed_in_quotes(col, quoted, csv_raw) & ~broken
        shown = _shower(col)
        _report(found, broken, "error.validation.invalid_field_value",
                lambda i: f"field {f.name!r} value {shown(i)!r} contains a line break", ctx,
                field=number, obj=name)
        _report(found, quoted, "error.validation.invalid_field_value",
                lambda i: f"field {f.name!r} value {shown(i)!r} contains a double quote", ctx,
                field=number, obj=name)
        if broken.any():
            col = pc.if_else(pa.array(broken), pa.scalar("", col.type), col)
        if lim.max_length is not None:  # the trimmed value (String.trim) against maximum_field_length
            trimmed_length = pc.binary_length(pc.utf8_trim(col, characters="".join(map(chr, range(33)))))
            too_long = trimmed_length.to_numpy(zero_copy_only=False) > lim.max_length
            _report(found, too_long, "warning.table.field_value_too_long",
                    lambda i: f"field {f.name!r} value is longer than maximum_field_length {lim.max_length}",
                    ctx, field=number, obj=name)

        def numbers(ok: RowMask) -> C.Numbers | None:
            trimmed = pc.utf8_trim_whitespace(col)
            keep = pc.and_(pa.array(ok), pc.greater(pc.binary_length(trimmed), 0))
            nulled = pc.if_else(keep, trimmed, pa.scalar("0"))
            try:
                parsed: npt.NDArray[np.float64] = pc.cast(nulled, pa.float64()).to_numpy(zero_copy_only=False)
                return parsed
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None

        _text_column_checks(found, col, f, lim, ctx, field_no=number, obj=name, numeric_values=numbers,
                            formats=(("field_format", f.field_format),) if f.field_format else ())
        if len(col_indexes) > 1 and nrows:
            for finding in found:
                if finding.record is not None:
                    rep, finding.record = divmod(finding.record - 1, nrows)
                    finding.record += 1
                    finding.message += f" (repetition {rep + 1})"
        return found

    out.extend(_run_tasks(run, tasks, len(raw), ctx))
    return out
