"""Fixed-width (Table_Character, Table_Binary) and delimited (Table_Delimited, Inventory)
tables: record structure first, then every field of every record (`columns`).

Fixed tables are read in record blocks of at most `columns.BLOCK_BYTES` (one memory map);
the record delimiter at record_length is checked before the field layout, because a wrong
record_length explains every later problem. Delimited tables are split by Arrow's CSV
reader (quotes, CR/LF), records counted, fields per record checked.
"""

from __future__ import annotations

import io

import numpy as np

from pdsgen.model import DataObject, Field
from pdsgen.pds4.label import child_text
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
from pdsgen.validate.findings import Finding

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


def check_fixed_table(obj: DataObject, el, ctx: Ctx) -> list[Finding]:
    out: list[Finding] = []
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
    character = obj.layout == "fixed_character"
    delim = _record_delimiter(obj) if character else None
    body = reclen - len(delim) if delim else reclen
    field_els = _field_elements(el)
    plain = [f for f in obj.fields if f.bits is None]
    el_of = dict(zip(map(id, plain), field_els, strict=False))
    tasks = []
    for number, f in enumerate(plain, start=1):
        lim = _limits(el_of.get(id(f)), f.special_constants, _dtype_of(f.data_type))
        for loc, suffix in _columns(f):
            tasks.append((number, f, suffix, loc, lim))
    bit_tasks = []
    for f in obj.fields:
        if f.bits is None:
            continue
        lim = _limits(None, f.special_constants)
        if lim.valid_min is not None or lim.valid_max is not None:
            bit_tasks += [(f, suffix, loc, lim) for loc, suffix in _columns(f)]

    rows = max(1, C.BLOCK_BYTES // reclen)
    if records <= rows:  # one block: a plain read is cheaper than a memory map
        mapped = np.fromfile(obj.file, dtype=np.uint8, count=records * reclen, offset=obj.offset)
        mapped = mapped.reshape(records, reclen)
    else:
        mapped = np.memmap(obj.file, dtype=np.uint8, mode="r", offset=obj.offset, shape=(records, reclen))
    blocks = []
    for b0 in range(0, records, rows):
        mat = mapped if records <= rows else np.array(mapped[b0: b0 + rows])
        if b0 == 0:
            # records first (a wrong record_length explains everything after it), then fields
            found = _delimiter_findings(name, el, ctx, mat, delim, body, lambda: _sample(obj, size))
            found = found or _field_layout(obj, el, body, ctx)
            if any(f.type.startswith("error.") for f in found):
                out.extend(found)
                out.extend(_unread_records(obj, el, ctx, found, character))
                break
            out.extend(found)
        found, stop = _check_fixed_block(obj, el, ctx, mat, delim if b0 else None, body, tasks, bit_tasks,
                                         character)
        for f in found:
            if f.record is not None:
                f.record += b0
        blocks.append(found)
        if stop:
            break
    del mapped
    out.extend(blocks[0] if len(blocks) == 1 else _merge_blocks(blocks, ctx))
    return out


FATAL_LAYOUT = ("error.table.field_value_overlap", "error.table.bad_field_read")


def _unread_records(obj: DataObject, el, ctx: Ctx, found: list[Finding], character: bool) -> list[Finding]:
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
    shown: dict[tuple, list[Finding]] = {}
    totals: dict[tuple, int] = {}
    other: list[Finding] = []
    for found in blocks:
        per_block: dict[tuple, int] = {}
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


def _sample(obj: DataObject, size: int, nbytes: int = 1 << 16) -> bytes:
    """The first bytes of a table (at least 64 KiB, or to the end of the file)."""
    need = max(nbytes, (obj.records or 0) * (obj.record_length or 0) if (obj.records or 0) < 4096 else nbytes)
    with open(obj.file, "rb") as fh:
        fh.seek(obj.offset)
        return fh.read(min(need, max(size - obj.offset, 0)))


def _delimiter_findings(name: str, el, ctx: Ctx, mat: np.ndarray, delim: bytes | None, body: int,
                        sample=None) -> list[Finding]:
    """Records that do not end with the record delimiter at record_length.

    Which problem it is is decided on ``sample()`` (the file from the table's offset, at least
    64 KiB; only read when records are wrong) when given, else on the block: no delimiter at all (or CR/LF where the label
    says LF) is ``missing_CRLF``/``missing_LF``; delimiters elsewhere mean the records are
    not record_length long (``record_length_mismatch``), as validate's line-wise reading says.
    """
    if not delim:
        return []
    n, reclen = mat.shape
    ends = np.ones(n, dtype=bool)
    for k, byte in enumerate(delim):
        ends &= mat[:, body + k] == byte
    if ends.all():
        return []
    # which problem: the delimiter is not used at all (missing_CRLF / missing_LF), or it is,
    # but records are not record_length long (record_length_mismatch)
    flat = np.frombuffer(sample(), dtype=np.uint8) if sample is not None else mat.ravel()
    lf = flat == 10
    has_lf = bool(lf.any())
    has_crlf = has_lf and bool((lf[1:] & (flat[:-1] == 13)).any())
    if delim == b"\r\n":
        kind = "error.table.record_length_mismatch" if has_crlf else "error.table.missing_CRLF"
    elif delim == b"\n":
        # no LF at all, or CR/LF where the label says a bare LF (validate: missing_LF)
        kind = "error.table.record_length_mismatch" if has_lf and not has_crlf else "error.table.missing_LF"
    else:
        kind = "error.table.record_length_mismatch"
    first = int(np.flatnonzero(~ends)[0])
    return [Finding(kind, f"{name}: {int((~ends).sum())} of {n} records do not end with the record delimiter "
                          f"at record_length {reclen} (first: record {first + 1})", file=ctx.label,
                    record=first + 1, line=_line(el))]


def _check_fixed_block(obj, el, ctx: Ctx, mat: np.ndarray, delim: bytes | None, body: int, tasks, bit_tasks,
                       character: bool) -> tuple[list[Finding], bool]:
    """Findings of one block of records (record numbers relative to the block); stop?

    `delim` is None when the block's record delimiters are checked already (the first block)."""
    name = obj.name
    n = mat.shape[0]
    out = _delimiter_findings(name, el, ctx, mat, delim, body)
    if out:
        return out, True
    if character and ctx.strict_fields:
        covered = np.zeros(body, dtype=bool)
        for _number, f, _suffix, loc, _lim in tasks:
            covered[max(loc, 0): loc + f.length] = True
        gaps = np.flatnonzero(~covered)
        if gaps.size:
            between = (mat[:, gaps] != 32).any(axis=1)
            _report(out, between, "warning.table.characters_between_fields",
                    lambda i: "non-blank characters between fields", ctx, obj=name)

    def run(task) -> list[Finding]:
        number, f, suffix, loc, lim = task
        found: list[Finding] = []
        col = mat[:, loc: loc + f.length]
        label = f"{name}{suffix}"
        if character or fieldtypes.anchored(f.data_type) or f.data_type.startswith(("ASCII_", "UTF8_")):
            _text_column_checks(found, col, f, lim, ctx, field_no=number, obj=label,
                                numeric_values=lambda ok: _parse_numbers(col, ok, f.data_type))
        else:
            _binary_column_checks(found, col, f, lim, ctx, field_no=number, obj=label)
        return found

    if bit_tasks:
        from pdsgen.data import types

        for f, suffix, loc, lim in bit_tasks:
            raw = np.ascontiguousarray(mat[:, loc: loc + f.length])
            vals = types.unpack_bits(raw, f.bits[0], f.bits[1], f.data_type.startswith("Signed"))
            _range_checks(out, vals, np.ones(n, bool), lim, ctx, kind="table", field=None,
                          name=repr(f.name), obj=f"{name}{suffix}")
    out.extend(_run_tasks(run, tasks, mat.nbytes, ctx))
    return out, False


def _field_layout(obj: DataObject, el, body: int, ctx: Ctx) -> list[Finding]:
    """Fields inside the record, not overlapping; bit fields inside their packed field."""
    out: list[Finding] = []
    spans = []
    for number, f in enumerate((f for f in obj.fields if f.bits is None), start=1):
        for loc, suffix in _columns(f):
            spans.append((loc, loc + f.length, number, f.name + suffix))
    for start, end, number, fname in spans:
        if start < 0 or end > body:
            out.append(Finding("error.label.table_definition_problem",
                               f"{obj.name}: field {fname!r} (bytes {start + 1}..{end}) lies outside the "
                               f"{body}-byte record", file=ctx.label, field=number, line=_line(el)))
    spans.sort()
    for (s0, e0, _n0, f0), (s1, _e1, n1, f1) in zip(spans, spans[1:], strict=False):
        if s1 < e0:
            out.append(Finding("error.table.field_value_overlap",
                               f"{obj.name}: field {f1!r} (starts at byte {s1 + 1}) overlaps field {f0!r} "
                               f"(bytes {s0 + 1}..{e0})", file=ctx.label, field=n1, line=_line(el)))
    for fb in (el.iter("{*}Field_Bit") if el is not None else ()):
        packed_field = fb.getparent().getparent() if fb.getparent() is not None else None
        length = child_text(packed_field, "field_length") if packed_field is not None else None
        start, stop = child_text(fb, "start_bit_location") or child_text(fb, "start_bit"), \
            child_text(fb, "stop_bit_location") or child_text(fb, "stop_bit")
        try:
            nbits, first, last = int(length) * 8, int(start), int(stop)
        except (TypeError, ValueError):
            continue
        if not 1 <= first <= last <= nbits:
            out.append(Finding("error.table.bad_field_read",
                               f"{obj.name}: bit field {child_text(fb, 'name')!r} (bits {first}..{last}) lies "
                               f"outside its {nbits}-bit packed field", file=ctx.label, line=fb.sourceline))
    return out


# --------------------------------------------------------------------------- delimited tables


def _records_extent(raw: bytes, records: int | None, delim: bytes | None) -> tuple[int, int]:
    """(bytes holding the first `records` records, records found in `raw`), vectorised."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == (ord("\r") if delim == b"\r" else ord("\n")))
    found = len(ends) + (1 if len(buf) and (not len(ends) or ends[-1] != len(buf) - 1) else 0)
    if records is None or records >= len(ends):
        return len(raw), found
    return int(ends[records - 1]) + 1 if records > 0 else 0, found


def check_delimited_table(obj: DataObject, el, ctx: Ctx, limit: int | None = None) -> list[Finding]:
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
    delim = _record_delimiter(obj)
    if obj.size is None and limit is not None and limit < size:
        # no object_length: the table ends after its records, before the next object
        keep, _found = _records_extent(raw, obj.records, delim)
        raw = raw[:keep]
    if delim == b"\r\n":
        n_lf, n_crlf = raw.count(b"\n"), raw.count(b"\r\n")
        if n_lf != n_crlf:
            out.append(Finding("error.table.missing_CRLF",
                               f"{name}: {n_lf - n_crlf} record(s) end with a bare line feed, the label says "
                               f"Carriage-Return Line-Feed", file=ctx.label, line=_line(el)))
    elif delim == b"\n":
        n_crlf = raw.count(b"\r\n")
        if n_crlf:
            out.append(Finding("error.table.missing_LF",
                               f"{name}: {n_crlf} record(s) end with carriage-return line-feed, the label says "
                               f"Line-Feed", file=ctx.label, line=_line(el)))
    ncols = int(obj.details.get("fields_per_record") or 0) or (max((f.location for f in obj.fields), default=0) + 1)
    bad_rows: list[str] = []

    from pdsgen.data.delimited import quiet_row_handlers, row_handler

    @row_handler
    def on_invalid(row) -> str:
        bad_rows.append(f"line {row.number}: {row.actual_columns} fields, the label says {row.expected_columns}"
                        if row.number is not None else f"{row.actual_columns} fields, the label says "
                        f"{row.expected_columns}")
        return "skip"

    names = [f"c{i}" for i in range(ncols)]
    try:
        with quiet_row_handlers():
            table = pacsv.read_csv(
                io.BytesIO(raw),
                read_options=pacsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(raw) + 1)),
                parse_options=pacsv.ParseOptions(delimiter=delimiter_char(obj), quote_char='"', double_quote=True,
                                                  newlines_in_values=True, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if not raw.strip():  # an empty table: no records
            if obj.records and obj.label_type != "Inventory":
                out.append(Finding("error.table.records_mismatch",
                                   f"{name}: the label says {obj.records} records, the file has none",
                                   file=ctx.label, line=_line(el)))
            return out
        out.append(Finding("error.table.bad_file_read", f"{name}: records cannot be split: {exc}",
                           file=ctx.label, line=_line(el)))
        return out
    for msg in bad_rows[: ctx.max_reported]:
        out.append(Finding("error.table.fields_mismatch", f"{name}: {msg}", file=ctx.label, line=_line(el)))
    if len(bad_rows) > ctx.max_reported:
        out.append(Finding("error.table.fields_mismatch",
                           f"{name}: {len(bad_rows) - ctx.max_reported} more record(s) with a wrong number of "
                           f"fields", file=ctx.label))
    found_records = table.num_rows + len(bad_rows)
    if obj.records is not None and found_records != obj.records and obj.label_type != "Inventory":
        out.append(Finding("error.table.records_mismatch",
                           f"{name}: the label says {obj.records} records, the file has {found_records}",
                           file=ctx.label, line=_line(el)))
    field_els = _field_elements(el)
    tasks = []
    for number, (f, fel) in enumerate(zip(obj.fields, field_els + [None] * len(obj.fields), strict=False), start=1):
        lim = _limits(fel, f.special_constants)
        idx = [f.location]
        for count, stride in zip(f.shape, f.strides, strict=False):
            idx = [i + k * stride for i in idx for k in range(count)]
        for col_index in idx:
            if col_index < ncols:
                tasks.append((number, f, col_index, lim))

    def run(task) -> list[Finding]:
        number, f, col_index, lim = task
        found: list[Finding] = []
        col = table.column(col_index).combine_chunks()
        # PDS DSV: no double quotes inside values, no record delimiters inside quoted values
        quoted = pc.match_substring(col, '"').to_numpy(zero_copy_only=False)
        broken = pc.match_substring_regex(col, "[\r\n]").to_numpy(zero_copy_only=False)
        shown = _shower(col)
        _report(found, quoted, "error.validation.invalid_field_value",
                lambda i: f"field {f.name!r} value {shown(i)!r} contains a double quote", ctx,
                field=number, obj=name)
        _report(found, broken & ~quoted, "error.validation.invalid_field_value",
                lambda i: f"field {f.name!r} value {shown(i)!r} contains a line break", ctx,
                field=number, obj=name)
        if lim.max_length is not None:
            too_long = (pc.binary_length(col).to_numpy(zero_copy_only=False) > lim.max_length)
            _report(found, too_long, "warning.table.field_value_too_long",
                    lambda i: f"field {f.name!r} value is longer than maximum_field_length {lim.max_length}",
                    ctx, field=number, obj=name)

        def numbers(ok: np.ndarray):
            trimmed = pc.utf8_trim_whitespace(col)
            keep = pc.and_(pa.array(ok), pc.greater(pc.binary_length(trimmed), 0))
            nulled = pc.if_else(keep, trimmed, pa.scalar("0"))
            try:
                return pc.cast(nulled, pa.float64()).to_numpy(zero_copy_only=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None

        _text_column_checks(found, col, f, lim, ctx, field_no=number, obj=name, numeric_values=numbers)
        return found

    out.extend(_run_tasks(run, tasks, len(raw), ctx))
    return out
