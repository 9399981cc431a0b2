"""Delimited tables (PDS4 Table_Delimited, PDS3 SPREADSHEET) through pyarrow's CSV reader.

pyarrow splits records and fields in C (quoted strings, empty fields, CRLF) in one
pass; numbers are cast column-wise by arrow (correctly rounded), other text types go
through the same registry decoders as fixed-width tables. Empty numeric values are
masked, never turned into zeros silently.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from pdsgen.data import types
from pdsgen.data.ascii import Issue, as_bytes, tolerant_decode
from pdsgen.data.fixed import assemble, report, warn_text
from pdsgen.data.io import ShortFileError, column_names, read_bytes
from pdsgen.data.text import decode as decode_text
from pdsgen.errors import DataError, LabelError, UnsupportedError
from pdsgen.model import DataObject, Field

DELIMITERS = {
    "comma": ",",
    "horizontal tab": "\t",
    "tab": "\t",
    "semicolon": ";",
    "vertical bar": "|",
}


def delimiter_char(obj: DataObject) -> str:
    spelled = str(obj.details.get("field_delimiter", "comma"))
    char = DELIMITERS.get(spelled.strip().lower(), spelled if len(spelled) == 1 else None)
    if char is None:
        raise UnsupportedError(f"unknown field delimiter {spelled!r}", path=str(obj.file), obj=obj.name)
    return char


def _columns_needed(obj: DataObject) -> int:
    last = 0
    for f in obj.fields:
        span = f.location + sum((n - 1) * s for n, s in zip(f.shape, f.strides, strict=False)) + 1
        last = max(last, span)
    return last


def _parse(obj: DataObject, raw: bytes | None) -> tuple[Any, int]:
    import pyarrow as pa

    ncols = int(obj.details.get("fields_per_record") or _columns_needed(obj))
    if raw is None:
        return None, 0
    try:
        table = read_csv(raw, ncols, delimiter_char(obj))
    except pa.ArrowInvalid as exc:
        raise DataError(f"delimited records do not match the label: {exc}", path=str(obj.file), obj=obj.name) from None
    return checked_slice(obj, table)


def column_text(obj: DataObject, f: Field) -> np.ndarray | None:
    """The values of a scalar field of a delimited table as written (``S<n>``, one per
    record, quotes removed as the reader removes them); None for a repeated field or an
    empty table."""
    if f.shape:
        return None
    table, _ = _parse(obj, record_bytes(obj))
    return None if table is None else fixed_width(table.column(int(f.location)))


def record_bytes(obj: DataObject) -> bytes | None:
    """The object's bytes up to the label's record count; None for an empty table the
    label allows (a label promising records of an empty file is a ShortFileError)."""
    raw = read_bytes(obj, obj.size)
    n_label = obj.records
    # (bytes.count is a memchr pass: no index array unless the records must be cut)
    lfs = raw.count(b"\n")
    if n_label is not None and (lfs > n_label - (not raw.endswith(b"\n"))
                                or _crlf(obj) and raw.count(b"\r") != lfs):
        # Cut after the label's record count (more text may follow: other objects, notes).
        ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
        if _crlf(obj):
            raw, ends = _bare_line_ends(obj, raw, ends, n_label)
        if len(ends) >= n_label:
            cut = int(ends[n_label - 1]) + 1 if n_label else 0
            if obj.details.get("whole_file") and raw[cut:].strip():
                # The object is the whole file (PDS3 pointer to a file): the rest is unread data.
                more = len(ends) - n_label + (not raw.endswith(b"\n"))
                obj.warn(f"the file holds {more} more lines after the label's {n_label} records: "
                         f"they are not read (the label's count is kept)", record=n_label + 1, count=more)
            raw = raw[:cut]
    if not raw or raw.isspace():  # (isspace stops at the first non-blank byte)
        if n_label:
            raise ShortFileError(f"file holds no records at byte {obj.offset}, the label says {n_label}",
                                 path=str(obj.file), obj=obj.name)
        return None
    return raw


_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_hook: Callable[[Any], object] | None = None


def row_handler(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    """Mark ``fn`` as an arrow ``invalid_row_handler`` of pdsgen's (see `quiet_row_handlers`)."""
    fn._pdsgen_row_handler = True  # type: ignore[attr-defined]  # a marker on the function
    return fn


def _quiet_hook(unraisable: Any) -> None:
    if isinstance(unraisable.exc_value, UnicodeDecodeError) and \
            getattr(unraisable.object, "_pdsgen_row_handler", False):
        return
    (_saved_hook or sys.__unraisablehook__)(unraisable)


@contextlib.contextmanager
def quiet_row_handlers() -> Iterator[None]:
    """While arrow reads with a `row_handler`: arrow decodes a bad row's text as UTF-8
    *before* calling the handler; on non-UTF-8 data that fails inside arrow, which would
    print "Exception ignored … UnicodeDecodeError" with a traceback and then treat the row
    as an error (the read fails with arrow's own clear message, which pdsgen reports). This
    silences exactly that report; any other unraisable exception goes to the hook in place
    before. Nested and concurrent uses share one installation; the previous hook is put
    back when the last one ends (unless someone replaced ours meanwhile)."""
    global _quiet_depth, _saved_hook
    with _quiet_lock:
        if _quiet_depth == 0:
            _saved_hook = sys.unraisablehook
            sys.unraisablehook = _quiet_hook
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                if sys.unraisablehook is _quiet_hook:
                    sys.unraisablehook = _saved_hook or sys.__unraisablehook__
                _saved_hook = None


#: Stand-ins for line ends inside a field of a CR LF table while arrow splits the records
#: (arrow ends a record at any LF or CR); put back in text values by `_strings`.
BARE_LF, BARE_CR = "\x1f", "\x1e"


def _crlf(obj: DataObject) -> bool:
    return "carriage" in str(obj.details.get("record_delimiter") or "").lower()


def _bare_line_ends(obj: DataObject, raw: bytes, ends: np.ndarray, n_label: int) -> tuple[bytes, np.ndarray]:
    """A CR LF table whose fields hold a bare LF or CR: records end at CR LF only. The bare
    ones inside the label's records are swapped for stand-ins (if the data has none of
    them), with a warning; returns the bytes and the positions of record-ending LFs."""
    arr = np.frombuffer(raw, dtype=np.uint8)
    record_ends = ends[(ends > 0) & (arr[np.maximum(ends - 1, 0)] == 13)]
    if len(record_ends) == len(ends) and raw.count(b"\r") == len(ends):
        return raw, ends
    stop = int(record_ends[n_label - 1]) + 1 if 0 < n_label <= len(record_ends) else len(raw)
    body = arr[:stop]
    nxt = np.append(body[1:], 0)
    prev = np.insert(body[:-1], 0, 0)
    bare = ((body == 10) & (prev != 13)) | ((body == 13) & (nxt != 10))
    if not bare.any():
        return raw, ends
    if (body == ord(BARE_LF)).any() or (body == ord(BARE_CR)).any():
        return raw, ends  # no free stand-in: arrow splits there (and reports the record count)
    fixed = body.copy()
    fixed[bare & (body == 10)] = ord(BARE_LF)
    fixed[bare & (body == 13)] = ord(BARE_CR)
    obj.details["bare_line_ends"] = True
    first = int(np.searchsorted(record_ends, int(np.argmax(bare)))) + 1
    obj.warn(f"{int(bare.sum())} bare LF/CR inside records of a CR LF table: kept in their field "
             f"(records end at CR LF only)", record=first, count=int(bare.sum()))
    return fixed.tobytes() + raw[stop:], record_ends


def read_csv(raw: bytes, ncols: int, delimiter: str, handler: Callable[[Any], str] | None = None) -> Any:
    """``ncols`` string columns ``c0, c1, ...`` of delimited records, split by arrow in C;
    ``handler`` is arrow's ``invalid_row_handler`` (its line numbers need one serial pass)."""
    names = [f"c{i}" for i in range(ncols)]
    if handler is not None:
        handler = row_handler(handler)
    with quiet_row_handlers() if handler is not None else contextlib.nullcontext():
        return _read_csv(raw, names, delimiter, handler)


def _read_csv(raw: bytes, names: list[str], delimiter: str, handler: Callable[[Any], str] | None) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def read(check_utf8: bool) -> Any:
        return pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(raw) + 1),
                                           use_threads=handler is None),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                             newlines_in_values=False, invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=check_utf8),
        )

    # Bytes that are not UTF-8 are kept as they are (`_decode` decides per field what they
    # mean). Decided before the one pass: a second pass would call ``handler`` (which
    # records rows) twice for the same rows.
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return read(False)
    return read(True)


def checked_slice(obj: DataObject, table: Any) -> tuple[Any, int]:
    """(the label's records of ``table``, their count); too few records is a ShortFileError."""
    n = obj.records if obj.records is not None else table.num_rows
    if table.num_rows < n:
        raise ShortFileError(
            f"file has {table.num_rows} records, the label says {n}", path=str(obj.file), obj=obj.name
        )
    return table.slice(0, n), n


def _column_indices(f: Field) -> np.ndarray:
    idx = np.full(f.shape or (), f.location, dtype=np.int64)
    for axis, (count, stride) in enumerate(zip(f.shape, f.strides, strict=True)):
        shape = [1] * len(f.shape)
        shape[axis] = count
        idx = idx + (np.arange(count) * stride).reshape(shape)
    return idx


def _decode(obj: DataObject, f: Field, column: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Values and empty-mask of one delimited column (a pyarrow string array, or a number
    array already parsed by `typed_csv`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        if column.null_count:  # empty values: a neutral 0, masked
            return (pc.fill_null(column, 0).to_numpy(zero_copy_only=False),
                    column.is_null().to_numpy(zero_copy_only=False))
        return column.to_numpy(zero_copy_only=False), None

    try:
        text = pc.utf8_trim_whitespace(column)
    except pa.ArrowInvalid:  # bytes that are not UTF-8 (read with check_utf8=False): trim ASCII blanks
        text = pc.ascii_trim_whitespace(column)
    # A quoted value with blanks outside its quotes (` "a,b" `) reaches us with the quotes:
    # drop one enclosing pair, as pds4_tools does.
    if pc.any(pc.starts_with(text, '"')).as_py():
        text = pc.replace_substring_regex(text, pattern=r'^"(.*)"$', replacement=r"\1")
    name = f.data_type
    if not types.is_character(name):
        raise UnsupportedError(f"field {f.name!r}: data type {name!r} cannot be delimited text",
                               path=str(obj.file), obj=obj.name)
    ctype = types.character_type(name)
    if ctype.decoder is None:
        return _strings(obj, f, text, name), None
    empty = pc.equal(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
    target = {"float": pa.float64(), "int": pa.int64(), "uint": pa.uint64()}.get(ctype.kind)
    if target is not None and name in ("ASCII_Real", "ASCII_Integer", "ASCII_NonNegative_Integer") and not (
            ctype.kind != "float" and pc.any(pc.match_substring(text, "x", ignore_case=True)).as_py()):
        # (arrow's integer cast reads "0x10" as 16; numpy below rejects it, as PDS4 does)
        nulled = pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)
        try:
            values = pc.cast(nulled, target).to_numpy(zero_copy_only=False)
            if values.dtype == object or np.issubdtype(values.dtype, np.floating) and ctype.kind != "float":
                raise pa.ArrowInvalid("nulls")
            return _fill(values, empty, ctype.kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # spellings arrow rejects (e.g. "+5", "1.5D3"): numpy's parser decides below
    strings = fixed_width(text)
    width = max(strings.dtype.itemsize, 1)
    matrix = np.ascontiguousarray(strings.astype(f"S{width}")).view(np.uint8).reshape(len(strings), width)
    matrix = np.where(matrix == 0, np.uint8(32), matrix)
    issues: list[Issue] = []
    values = tolerant_decode(ctype.decoder, matrix, f.label_data_type or name, issues)
    report(obj, f, issues)
    for issue in issues:
        if issue.masked:
            empty = empty | issue.where
    return values, (empty if empty.any() else None)


def _strings(obj: DataObject, f: Field, text: Any, name: str) -> np.ndarray:
    """ASCII_* text as bytes (like fixed-width tables), UTF8_* as str (Latin-1 where not UTF-8)."""
    if obj.details.get("bare_line_ends"):
        import pyarrow.compute as pc

        text = pc.replace_substring(pc.replace_substring(text, BARE_LF, "\n"), BARE_CR, "\r")
    values = fixed_width(text)
    if name.startswith("UTF8_"):
        decoded, bad = decode_text(values)
        if bad is not None:
            warn_text(obj, f, bad, values, "text is not valid UTF-8: decoded as Latin-1 (every byte kept)")
        return decoded
    return values


def fixed_width(text: Any) -> np.ndarray:
    """An arrow string array as a numpy ``S<max length>`` array, by one scatter of its
    bytes (no Python object per value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    n = len(text)
    fast = _padded(text, n, pa, pc)
    if fast is not None:
        return fast
    large = pa.types.is_large_string(text.type) or pa.types.is_large_binary(text.type)
    _, offsets_buf, data_buf = text.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if large else np.int32, count=n + 1,
                            offset=text.offset * (8 if large else 4)).astype(np.int64)
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 0
    out = np.zeros((n, max(width, 1)), dtype=np.uint8)
    if width:
        data = np.frombuffer(data_buf, dtype=np.uint8)
        src = np.arange(offsets[0], offsets[-1])
        dest = src + np.repeat(np.arange(n, dtype=np.int64) * out.shape[1] - offsets[:-1], lengths)
        out.reshape(-1)[dest] = data[src]
    return out.view(f"S{out.shape[1]}")[:, 0]


def _padded(text: Any, n: int, pa: Any, pc: Any) -> np.ndarray | None:
    """The values NUL-padded by arrow to the longest (``ascii_rpad`` counts bytes), whose
    data buffer then *is* the ``S<width>`` array; None to use the scatter."""
    if n == 0 or pa.types.is_large_string(text.type) or text.null_count:
        return None
    width = pc.max(pc.binary_length(text)).as_py() or 0
    if width == 0:
        return None
    try:
        padded = pc.ascii_rpad(text, width=width, padding="\x00")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    _, offsets_buf, data_buf = padded.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=n + 1, offset=padded.offset * 4)
    if int(offsets[-1]) - int(offsets[0]) != n * width:
        return None
    return np.frombuffer(data_buf, dtype=f"S{width}", count=n, offset=int(offsets[0]))


def _fill(values: np.ndarray, empty: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray | None]:
    if not empty.any():
        return values, None
    # arrow turned nulls into NaN (float) — give the empty cells a neutral 0 and mask them.
    values = np.where(empty, 0, values)
    if kind == "int":
        values = values.astype(np.int64)
    elif kind == "uint":
        values = values.astype(np.uint64)
    return values, empty


def typed_csv(obj: DataObject, raw: bytes, ncols: int) -> Any:
    """The fast path: arrow's CSV reader parsing ASCII_Real/ASCII_Integer columns itself
    (explicit column types, one C pass, no string columns for numbers); None when the
    table needs the general path (groups; a value arrow refuses: ``+5``, ``1.5D3``, ``N/A``,
    blanks; an ``x`` anywhere, since arrow reads ``0x10`` as 16)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if any(f.shape for f in obj.fields):
        return None
    hexish = b"x" in raw or b"X" in raw
    names = [f"c{i}" for i in range(ncols)]
    kinds = {n: pa.string() for n in names}
    for f in obj.fields:
        if f.data_type == "ASCII_Real":
            kinds[f"c{f.location}"] = pa.float64()
        elif f.data_type == "ASCII_Integer" and not hexish:
            kinds[f"c{f.location}"] = pa.int64()
    if all(t == pa.string() for t in kinds.values()):
        return None
    try:
        return pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(raw) // 8 + 1)),
            parse_options=pacsv.ParseOptions(delimiter=delimiter_char(obj), quote_char='"', double_quote=True,
                                             newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types=kinds, null_values=[""], strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None


def read_delimited(obj: DataObject) -> np.ndarray:
    """Structured (masked where empty) array of a delimited table."""
    if not obj.fields:
        raise LabelError("table has no fields", path=str(obj.file), obj=obj.name)
    raw = record_bytes(obj)
    if raw is None:
        return np.zeros(0, dtype=[(name, "S1") for name in column_names(obj)])
    ncols = int(obj.details.get("fields_per_record") or _columns_needed(obj))
    table = typed_csv(obj, raw, ncols)
    if table is not None:
        table, n = checked_slice(obj, table)
        return decode_table(obj, table, n)
    table, n = _parse(obj, raw)
    if table is None:
        return np.zeros(0, dtype=[(name, "S1") for name in column_names(obj)])
    return decode_table(obj, table, n)


def decode_table(obj: DataObject, table: Any, n: int, absent: np.ndarray | None = None) -> np.ndarray:
    """Structured array of the label's fields from arrow string columns; ``absent``
    (records x columns, optional) marks values a record lacks: masked, with no text."""
    columns = []
    masks = {}
    for f, name in zip(obj.fields, column_names(obj), strict=True):
        idx = _column_indices(f)
        parts = []
        part_masks = []
        for i in idx.ravel():
            values, mask = _decode(obj, f, table.column(int(i)))
            lacking = absent[:, int(i)] if absent is not None else None
            if lacking is not None and lacking.any():
                if values.dtype.kind in "SU":
                    values = values.copy()
                    values[lacking] = values.dtype.type()  # no text for an absent value
                mask = lacking if mask is None else (mask | lacking)
            parts.append(values)
            part_masks.append(mask if mask is not None else np.zeros(n, dtype=bool))
        if idx.ndim == 0:
            values = parts[0]
            mask = part_masks[0]
        else:
            width = max((p.dtype.itemsize for p in parts if p.dtype.kind in "SU"), default=0)
            if width:
                parts = [p.astype(f"{p.dtype.kind}{width // (4 if p.dtype.kind == 'U' else 1)}") for p in parts]
            values = np.stack(parts, axis=1).reshape((n, *f.shape))
            mask = np.stack(part_masks, axis=1).reshape((n, *f.shape))
        columns.append((name, values))
        if mask.any():
            masks[name] = mask
    return assemble(columns, n, masks)


__all__ = ["read_delimited", "delimiter_char", "as_bytes", "column_text"]
