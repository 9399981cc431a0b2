"""Content validation: every table and array read and checked against its definition.

Objects are described by the shared PDS4 reader (`pdsgen.pds4.objects.build_object` →
`DataObject`); the bytes are read here directly (one ``np.fromfile`` per object) because
type checks need the raw text of each field, not decoded values. All checks are whole-column
numpy or Arrow kernels: record delimiters on the record matrix, value grammars with RE2 on
each field's byte columns (`fieldtypes`), numbers parsed once per column for minimum/maximum
and special-constant ranges. For each problem the first few offending records are reported
with record and field numbers, then one finding with the count of the rest.

Message types are validate's (``error.table.records_mismatch``,
``error.table.field_value_data_type_mismatch``, ``error.array.value_out_of_min_max_range``…).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pdsgen.model import DataObject, Field
from pdsgen.validate import fieldtypes
from pdsgen.validate.findings import Finding
from pdsgen.validate.pds4label import kid, kids, ktext, local

RECORD_DELIMITERS = {
    "carriage-return line-feed": b"\r\n",
    "line-feed": b"\n",
    "carriage-return": b"\r",
}
#: tables bigger than this are checked field by field in a thread pool (Arrow/numpy release the GIL)
PARALLEL_BYTES = 8 << 20
RANGE_CONSTANTS = ("valid_minimum", "valid_maximum")


@dataclass
class Ctx:
    label: str  # label file, for messages
    max_reported: int = 5
    threads: int = 0  # 0: os.cpu_count()


# --------------------------------------------------------------------------- reporting


def _report(out: list[Finding], bad: np.ndarray, type_: str, what: Callable[[int], str], ctx: Ctx,
            *, field: int | None = None, file: str | None = None, obj: str = "") -> None:
    """First few offending records (1-based record numbers), then the count of the others."""
    idx = np.flatnonzero(bad)
    if idx.size == 0:
        return
    for i in idx[: ctx.max_reported]:
        out.append(Finding(type_, f"{obj}: {what(int(i))}", file=file or ctx.label, record=int(i) + 1,
                           field=field))
    rest = idx.size - ctx.max_reported
    if rest > 0:
        out.append(Finding(type_, f"{obj}: {rest} more record(s) with the same problem "
                                  f"({idx.size} in all)", file=file or ctx.label, field=field,
                           extra={"count": int(idx.size)}))


# --------------------------------------------------------------------------- label extras


def _num(text: str | None) -> float | None:
    if text is None:
        return None
    t = text.strip()
    try:
        return float(t)
    except ValueError:
        pass
    try:
        return float(int(t, 0))  # 0x7FFF style constants
    except ValueError:
        pass
    if "#" in t:  # PDS3-style radix notation 16#FFFF#
        try:
            base, digits = t.strip("#").split("#", 1)
            return float(int(digits.strip("#"), int(base)))
        except ValueError:
            return None
    return None


def _line(el) -> int | None:
    return getattr(el, "sourceline", None) if el is not None else None


def _field_elements(el) -> list:
    """Field_Character/Binary/Delimited elements in document order (groups included)."""
    if el is None:
        return []
    names = {"Field_Character", "Field_Binary", "Field_Delimited"}
    return list(el.iter(*(f"{{*}}{n}" for n in names)))


@dataclass
class FieldLimits:
    minimum: float | None = None
    maximum: float | None = None
    valid_min: float | None = None
    valid_max: float | None = None
    constants: tuple[float, ...] = ()
    max_length: int | None = None


def _num_typed(text: str | None, dtype: np.dtype | None) -> float | None:
    """A constant; hex constants of float types are bit patterns (PDS4 allows 0xFF7FFFFF)."""
    if text is not None and dtype is not None and dtype.kind == "f" and text.strip().lower().startswith("0x"):
        try:
            bits = int(text.strip(), 16)
            return float(np.array(bits, dtype=f"u{dtype.itemsize}").view(dtype.newbyteorder("=")))
        except (ValueError, OverflowError):
            return None
    return _num(text)


def _limits(field_el, special: dict | None, dtype: np.dtype | None = None) -> FieldLimits:
    lim = FieldLimits()
    if field_el is not None:
        stats = kid(field_el, "Field_Statistics")
        if stats is None:
            stats = kid(field_el, "Object_Statistics")
        if stats is not None:
            lim.minimum = _num(ktext(stats, "minimum"))
            lim.maximum = _num(ktext(stats, "maximum"))
        ml = ktext(field_el, "maximum_field_length")
        lim.max_length = int(ml) if ml and ml.isdigit() else None
    special = special or {}
    lim.valid_min = _num_typed(special.get("valid_minimum"), dtype)
    lim.valid_max = _num_typed(special.get("valid_maximum"), dtype)
    lim.constants = tuple(v for k, s in special.items() if k not in RANGE_CONSTANTS
                          and (v := _num_typed(s, dtype)) is not None)
    return lim


def _range_checks(out, values: np.ndarray, usable: np.ndarray, lim: FieldLimits, ctx: Ctx, *,
                  kind: str, field: int | None, name: str, obj: str, file: str | None = None) -> None:
    """Minimum/maximum (statistics) and valid_minimum/valid_maximum (special constants)."""
    if lim.minimum is None and lim.maximum is None and lim.valid_min is None and lim.valid_max is None:
        return
    vals = values.astype(np.float64, copy=False)
    use = usable & ~np.isnan(vals) if vals.dtype.kind == "f" else usable
    for c in lim.constants:
        use = use & (vals != c)
    sev = f"error.{kind}." + ("value_out_of_min_max_range" if kind == "array" else "field_value_out_of_min_max_range")
    if lim.minimum is not None or lim.maximum is not None:
        lo = -np.inf if lim.minimum is None else lim.minimum
        hi = np.inf if lim.maximum is None else lim.maximum
        bad = use & ((vals < lo) | (vals > hi))
        _report(out, bad, sev, lambda i: f"{name} value {vals[i]:g} is outside minimum/maximum [{lo:g}, {hi:g}]",
                ctx, field=field, obj=obj, file=file)
    if lim.valid_min is not None or lim.valid_max is not None:
        lo = -np.inf if lim.valid_min is None else lim.valid_min
        hi = np.inf if lim.valid_max is None else lim.valid_max
        bad = use & ((vals < lo) | (vals > hi))
        wtype = ("warning.array.value_out_of_special_constant_min_max_range" if kind == "array"
                 else "warning.table.field_value_out_of_special_constant_min_max_range")
        _report(out, bad, wtype,
                lambda i: f"{name} value {vals[i]:g} is outside valid_minimum/valid_maximum [{lo:g}, {hi:g}]",
                ctx, field=field, obj=obj, file=file)


# --------------------------------------------------------------------------- text fields


def _text_column_checks(out, col, f: Field, lim: FieldLimits, ctx: Ctx, *, field_no: int, obj: str,
                        numeric_values: Callable[[np.ndarray], np.ndarray | None]) -> None:
    """Type grammar, field_format and ranges of one text column (matrix or Arrow array).

    Big fixed-width columns go into Arrow once and every check (RE2 grammar, precision,
    number parsing) runs on that array; small ones stay in numpy / one `re` call.
    """
    shown = _shower(col)
    if isinstance(col, np.ndarray) and len(col) > fieldtypes.SMALL_COLUMN and fieldtypes.anchored(f.data_type):
        col = fieldtypes.arrow_binary(col)
        numeric_values = _arrow_numbers(col)
    fmt = fieldtypes.parse_format(f.field_format) if f.field_format else None
    precision = None
    if fmt is not None and f.data_type == "ASCII_Real" and fmt[3] in "feE" and fmt[2] is not None:
        precision = _precision_ok(col, fmt[2])  # None: all values have the format's decimals
    if precision is not None and not isinstance(col, np.ndarray):
        # a value with the format's decimals is a valid real: only check the others' grammar
        bad = np.zeros(len(col), dtype=bool)
        idx = np.flatnonzero(~precision)
        if idx.size:
            import pyarrow as pa

            sub = fieldtypes.invalid_rows(col.take(pa.array(idx)), f.data_type)
            bad[idx] = sub
    elif precision is None and fmt is not None and f.data_type == "ASCII_Real" and fmt[3] in "feE" and fmt[2] is not None:
        bad = np.zeros(len(col), dtype=bool)
    else:
        bad = fieldtypes.invalid_rows(col, f.data_type)
    if bad is not None and bad.any():
        _report(out, bad, "error.table.field_value_data_type_mismatch",
                lambda i: f"field {f.name!r} value {shown(i)!r} is not a valid {f.data_type}",
                ctx, field=field_no, obj=obj)
    if fmt is not None and f.data_type in fieldtypes.NUMERIC:
        _format_checks(out, col, f, fmt, bad, ctx, field_no=field_no, obj=obj, shown=shown, precision=precision)
    if lim.minimum is None and lim.maximum is None and lim.valid_min is None and lim.valid_max is None:
        return
    if f.data_type not in fieldtypes.NUMERIC:
        return
    ok = ~bad if bad is not None else np.ones(len(col), dtype=bool)
    parsed = numeric_values(ok)
    if parsed is None:
        return
    values, blank = parsed if isinstance(parsed, tuple) else (parsed, _blank(col))
    _range_checks(out, values, ok & ~blank, lim, ctx, kind="table", field=field_no, name=repr(f.name), obj=obj)


def _arrow_numbers(arr):
    """Number parser for an Arrow column (blank and invalid rows become 0)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def numbers(ok: np.ndarray):
        try:
            trimmed = pc.utf8_trim_whitespace(arr.cast(pa.string()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        filled = pc.greater(pc.binary_length(trimmed), 0)
        blank = ~filled.to_numpy(zero_copy_only=False)
        keep = filled if ok.all() else pc.and_(filled, pa.array(ok))
        if not pc.all(keep).as_py():
            trimmed = pc.if_else(keep, trimmed, pa.scalar("0"))
        try:
            return pc.cast(trimmed, pa.float64()).to_numpy(zero_copy_only=False), blank
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None

    return numbers


def _precision_value(prec: int) -> str:
    return rf"[+-]?\d*\.\d{{{prec}}}([eE][+-]?\d+)?"


def _precision_ok(col, prec: int) -> np.ndarray | None:
    """Rows whose value has exactly `prec` decimals (blank rows count as ok); None if all do."""
    import re

    import pyarrow.compute as pc

    value = _precision_value(prec)
    if isinstance(col, np.ndarray):
        if len(col) <= fieldtypes.SMALL_COLUMN:
            joined = np.empty((col.shape[0], col.shape[1] + 1), dtype=np.uint8)
            joined[:, :-1] = col
            joined[:, -1] = 10
            rx = re.compile(rf"(?:[ \t\r\x00]*(?:{value}[ \t\r\x00]*)?\n)*".encode())
            if rx.fullmatch(joined.tobytes()) is not None:
                return None
        col = fieldtypes.arrow_binary(col)
    ok = pc.match_substring_regex(col, rf"^[ \t\r\x00]*({value}[ \t\r\x00]*)?$").to_numpy(zero_copy_only=False)
    return None if ok.all() else ok


def _shower(col) -> Callable[[int], str]:
    if isinstance(col, np.ndarray):
        return lambda i: bytes(col[i]).decode("latin-1").strip()
    return lambda i: str(col[i].as_py()).strip() if col[i].is_valid else ""


def _blank(col) -> np.ndarray:
    if isinstance(col, np.ndarray):
        return fieldtypes.blank_rows(col)
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = col.cast(pa.string()) if not pa.types.is_string(col.type) else col
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.zeros(len(col), dtype=bool)
    return pc.equal(pc.binary_length(pc.utf8_trim_whitespace(text)), 0).to_numpy(zero_copy_only=False)


def _format_checks(out, col, f: Field, fmt, bad, ctx: Ctx, *, field_no: int, obj: str, shown,
                   precision: np.ndarray | None) -> None:
    """field_format: value no wider than the format; reals with exactly its decimals."""
    import pyarrow.compute as pc

    _flags, width, prec, conv = fmt
    good = ~bad if bad is not None else np.ones(len(col), dtype=bool)
    fixed = isinstance(col, np.ndarray)
    if width is not None and not (fixed and col.shape[1] <= width):
        arr = fieldtypes.arrow_binary(col) if fixed else col
        lengths = pc.binary_length(pc.utf8_trim_whitespace(arr.cast("string"))).to_numpy(zero_copy_only=False)
        _report(out, good & (lengths > width), "error.table.field_value_too_long",
                lambda i: f"field {f.name!r} value {shown(i)!r} is longer than its field_format {f.field_format}",
                ctx, field=field_no, obj=obj)
    if conv not in "feE" or prec is None or precision is None:
        return
    _report(out, good & ~precision, "error.table.field_value_format_precision_mismatch",
            lambda i: f"field {f.name!r} value {shown(i)!r} does not have the {prec} decimals of "
                      f"field_format {f.field_format}", ctx, field=field_no, obj=obj)


def _parse_numbers(matrix: np.ndarray, ok: np.ndarray, data_type: str) -> np.ndarray | None:
    """Numbers of a fixed-width text column (rows not ok or blank become 0).

    numpy's own parser on an ``S<width>`` view; blanks and invalid rows are only patched
    (one copy) when the direct parse fails.
    """
    width = matrix.shape[1]
    if width == 0:
        return None
    if data_type.startswith("ASCII_Numeric_Base"):
        return None  # ranges of based numbers are not checked
    m = np.ascontiguousarray(matrix)
    if ok.all():
        try:
            return m.view(f"S{width}").ravel().astype(np.float64)
        except (ValueError, OverflowError):
            pass
    m = m.copy()
    reset = ~ok | fieldtypes.blank_rows(m)
    m[reset] = ord(" ")
    m[reset, -1] = ord("0")
    try:
        return m.view(f"S{width}").ravel().astype(np.float64)
    except (ValueError, OverflowError):
        return None


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


#: tables bigger than this are read and checked in blocks of records (bounded memory)
BLOCK_BYTES = 256 << 20


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

    rows = max(1, BLOCK_BYTES // reclen)
    mapped = np.memmap(obj.file, dtype=np.uint8, mode="r", offset=obj.offset, shape=(records, reclen))
    blocks = []
    for b0 in range(0, records, rows):
        mat = np.array(mapped[b0: b0 + rows])
        if b0 == 0:
            # records first (a wrong record_length explains everything after it), then fields
            found = _delimiter_findings(name, el, ctx, mat, delim, body)
            found = found or _field_layout(obj, el, body, ctx)
            if any(f.type.startswith("error.") for f in found):
                out.extend(found)
                break
            out.extend(found)
        found, stop = _check_fixed_block(obj, el, ctx, mat, delim, body, tasks, bit_tasks, character)
        for f in found:
            if f.record is not None:
                f.record += b0
        blocks.append(found)
        if stop:
            break
    del mapped
    out.extend(blocks[0] if len(blocks) == 1 else _merge_blocks(blocks, ctx))
    return out


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


def _delimiter_findings(name: str, el, ctx: Ctx, mat: np.ndarray, delim: bytes | None, body: int) -> list[Finding]:
    """Records that do not end with the record delimiter at record_length."""
    if not delim:
        return []
    n, reclen = mat.shape
    ends = np.ones(n, dtype=bool)
    for k, byte in enumerate(delim):
        ends &= mat[:, body + k] == byte
    if ends.all():
        return []
    lf_only = delim == b"\r\n" and bool((mat[:, -1] == 10).all())
    kind = "error.table.missing_CRLF" if lf_only else "error.table.record_length_mismatch"
    first = int(np.flatnonzero(~ends)[0])
    return [Finding(kind, f"{name}: {int((~ends).sum())} of {n} records do not end with the record delimiter "
                          f"at record_length {reclen} (first: record {first + 1})", file=ctx.label,
                    record=first + 1, line=_line(el))]


def _check_fixed_block(obj, el, ctx: Ctx, mat: np.ndarray, delim: bytes | None, body: int, tasks, bit_tasks,
                       character: bool) -> tuple[list[Finding], bool]:
    """Findings of one block of records (record numbers relative to the block); stop?"""
    name = obj.name
    n = mat.shape[0]
    out = _delimiter_findings(name, el, ctx, mat, delim, body)
    if out:
        return out, True

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


def _run_tasks(run, tasks, nbytes: int, ctx: Ctx) -> list[Finding]:
    out: list[Finding] = []
    if nbytes >= PARALLEL_BYTES and len(tasks) > 1:
        workers = ctx.threads or os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for found in pool.map(run, tasks):
                out.extend(found)
    else:
        for t in tasks:
            out.extend(run(t))
    return out


def _dtype_of(data_type: str) -> np.dtype | None:
    from pdsgen.data import types

    try:
        return types.binary_type(data_type).dtype
    except KeyError:
        return None


def _binary_column_checks(out, col: np.ndarray, f: Field, lim: FieldLimits, ctx: Ctx, *, field_no: int,
                          obj: str) -> None:
    from pdsgen.data import types

    if lim.minimum is None and lim.maximum is None and lim.valid_min is None and lim.valid_max is None:
        return
    try:
        bt = types.binary_type(f.data_type)
        if bt.kind in ("bits", "bytes", "complex"):
            return
        values = bt.decode(np.ascontiguousarray(col))
    except (KeyError, ValueError):
        return
    _range_checks(out, values, np.ones(len(values), bool), lim, ctx, kind="table", field=field_no,
                  name=repr(f.name), obj=obj)


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
        length = ktext(packed_field, "field_length") if packed_field is not None else None
        start, stop = ktext(fb, "start_bit_location") or ktext(fb, "start_bit"), \
            ktext(fb, "stop_bit_location") or ktext(fb, "stop_bit")
        try:
            nbits, first, last = int(length) * 8, int(start), int(stop)
        except (TypeError, ValueError):
            continue
        if not 1 <= first <= last <= nbits:
            out.append(Finding("error.table.bad_field_read",
                               f"{obj.name}: bit field {ktext(fb, 'name')!r} (bits {first}..{last}) lies "
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
    ncols = int(obj.details.get("fields_per_record") or 0) or (max((f.location for f in obj.fields), default=0) + 1)
    bad_rows: list[str] = []

    def on_invalid(row) -> str:
        bad_rows.append(f"line {row.number}: {row.actual_columns} fields, the label says {row.expected_columns}"
                        if row.number is not None else f"{row.actual_columns} fields, the label says "
                        f"{row.expected_columns}")
        return "skip"

    names = [f"c{i}" for i in range(ncols)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(raw) + 1)),
            parse_options=pacsv.ParseOptions(delimiter=delimiter_char(obj), quote_char='"', double_quote=True,
                                              newlines_in_values=False, invalid_row_handler=on_invalid),
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
        quoted = pc.match_substring(col, '"').to_numpy(zero_copy_only=False)
        shown = _shower(col)
        _report(found, quoted, "error.validation.invalid_field_value",
                lambda i: f"field {f.name!r} value {shown(i)!r} contains a double quote", ctx,
                field=number, obj=name)
        if lim.max_length is not None:
            too_long = (pc.binary_length(col).to_numpy(zero_copy_only=False) > lim.max_length)
            _report(found, too_long, "error.table.field_value_too_long",
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


# --------------------------------------------------------------------------- arrays


def check_array(obj: DataObject, el, ctx: Ctx) -> list[Finding]:
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
    if needed > size:
        out.append(Finding("error.array.bad_file_read",
                           f"{name}: {count} elements of {itemsize} bytes from offset {obj.offset} need {needed} "
                           f"bytes, the file {obj.file.name!r} has {size}", file=ctx.label, line=_line(el)))
        return out
    stats = kid(el, "Object_Statistics") if el is not None else None
    lim = _limits(None, obj.special_constants, bt.dtype)
    if stats is not None:
        lim.minimum = _num(ktext(stats, "minimum"))
        lim.maximum = _num(ktext(stats, "maximum"))
    if lim.minimum is None and lim.maximum is None and lim.valid_min is None and lim.valid_max is None:
        return out
    if bt.dtype is None or bt.kind in ("complex", "bits", "bytes"):
        return out
    mapped = np.memmap(obj.file, dtype=bt.dtype, mode="r", offset=obj.offset, shape=(count,))
    step = max(1, BLOCK_BYTES // itemsize)
    for b0 in range(0, count, step):
        values = np.array(mapped[b0: b0 + step])
        found: list[Finding] = []
        _range_checks(found, values, np.ones(len(values), dtype=bool), lim, ctx, kind="array", field=None,
                      name="element", obj=name)
        for f in found:
            if f.record is not None:
                f.record += b0
        out.extend(found)
    del mapped
    return out


# --------------------------------------------------------------------------- dispatch

NOT_CHECKED = "info.validation.not_checked"


def check_object(obj: DataObject, el, ctx: Ctx, *, limit: int | None = None) -> list[Finding]:
    """All content findings of one data object (its label description already built)."""
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
    if obj.layout in ("fixed_character", "fixed_binary"):
        return check_fixed_table(obj, el, ctx)
    if obj.layout == "delimited":
        return check_delimited_table(obj, el, ctx, limit)
    if obj.layout in ("array", "fits"):
        return check_array(obj, el, ctx)
    if obj.kind in ("header", "text"):
        size = obj.file.stat().st_size
        if obj.size is not None and obj.offset + obj.size > size:
            return [Finding("error.label.invalid_object_definition",
                            f"{obj.name}: object_length {obj.size} from offset {obj.offset} runs past the end of "
                            f"{obj.file.name!r} ({size} bytes)", file=ctx.label, line=_line(el))]
        return []
    enc = obj.details.get("encoding_standard_id") or obj.label_type
    return [Finding(NOT_CHECKED, f"{obj.name}: {obj.label_type} ({enc}) content is not checked by pdsgen "
                                 f"(format outside its scope)", file=ctx.label, line=_line(el))]


def describe_objects(tree, label_path: Path) -> list[tuple[DataObject, object, int | None]]:
    """(DataObject, element, next offset) for every data object of every File_Area.

    Objects come from the shared reader; "next offset" is where the next object of the
    same file starts (None for the last), the end of a table without object_length.
    """
    from pdsgen.pds4.objects import build_object, classify

    out = []
    index = 0
    for area in tree.getroot():
        if not isinstance(area.tag, str) or not local(area).startswith("File_Area"):
            continue
        file_el = kid(area, "File")
        file_name = ktext(file_el, "file_name") if file_el is not None else None
        if not file_name:
            continue
        data_file = label_path.parent / file_name
        area_objs = []
        for el in kids(area):
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
