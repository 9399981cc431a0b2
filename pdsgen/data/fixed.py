"""Fixed-width tables (PDS4 Table_Character / Table_Binary, PDS3 ASCII and BINARY TABLE).

The whole table is read once into an ``(records, record_length)`` uint8 matrix; each
field is a strided view of that matrix (``(records, *repetitions, length)``, built
with ``as_strided`` from the field's location and group strides, so groups and nested
repetitions cost nothing), decoded column-wise by the type registry. A binary table
whose fields are all plain numeric types in place is instead one ``np.frombuffer``
with a structured dtype carrying the label's offsets (no per-field copy at all).
Common character tables (scalar string and ASCII_Real/ASCII_Integer fields) are first
offered to the block reader `pdsgen.data.chartable` (one cache-friendly pass, no record
matrix); whatever it declines (or anything to report) is read here.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from pdsgen.data import arrowtext, chartable, types
from pdsgen.data.ascii import Issue, blank_rows, parse_text, text_view, tolerant_decode, trim_text
from pdsgen.data.io import column_names, read_uint8
from pdsgen.data.text import decode as decode_text
from pdsgen.errors import DataError, LabelError, PdsgenError, UnsupportedError
from pdsgen.model import DataObject, Field

#: Tables at least this big decode their columns in threads, on machines with at least
#: PARALLEL_CPUS cores (on 2 busy cores threads only added GIL hand-over cost: measured).
PARALLEL_BYTES = 8 << 20
PARALLEL_CPUS = 4


def _fail(obj: DataObject, message: str, cls: type[PdsgenError] = DataError) -> PdsgenError:
    return cls(message, path=str(obj.file), obj=obj.name)


def _span(f: Field) -> int:
    """Bytes from the field's location to the end of its last repetition."""
    return sum((n - 1) * s for n, s in zip(f.shape, f.strides, strict=False)) + f.length


def check_layout(obj: DataObject, data_length: int) -> None:
    """Every field must lie inside the record; raise `LabelError` naming the field."""
    for f in obj.fields:
        if len(f.strides) != len(f.shape):
            raise _fail(obj, f"field {f.name!r}: group strides do not match its repetitions", LabelError)
        end = f.location + _span(f)
        if f.location < 0 or end > data_length:
            raise _fail(
                obj,
                f"field {f.name!r} (bytes {f.location + 1}..{end}) lies beyond the record length {data_length}",
                LabelError,
            )


def check_delimiters(obj: DataObject, records: np.ndarray) -> None:
    """Character records end with CR LF; if not, record_length or offset is wrong and
    every value would be shifted: say so instead of returning shifted numbers."""
    delimiter = str(obj.details.get("record_delimiter") or "carriage-return line-feed").lower()
    ending = b"\r\n" if "carriage" in delimiter else b"\n"
    if records.shape[0] == 0 or records.shape[1] < len(ending):
        return
    # One 1-D comparison per delimiter byte: reductions over short rows are slow in numpy.
    good = records[:, -1] == ending[-1]
    if len(ending) == 2:
        good &= records[:, -2] == ending[0]
    pds4 = obj.label_type in ("Table_Character", "Transfer_Manifest")
    if not pds4 and not good[0]:
        return  # PDS3 ASCII tables without line ends exist; only a break after row 1 is an error
    if not good.all():
        first = int(np.argmin(good))
        end = obj.offset + (first + 1) * records.shape[1]
        raise _fail(
            obj,
            f"record {first + 1} does not end with {ending!r} at byte {end} ({int((~good).sum())} of "
            f"{len(good)} records do not): the label's record_length {records.shape[1]} or offset "
            f"{obj.offset} does not match the file",
        )


def field_bytes(records: np.ndarray, f: Field) -> np.ndarray:
    """A view ``(n, *f.shape, f.length)`` of the field's bytes in every record."""
    base = records[:, f.location :]
    shape = (records.shape[0], *f.shape, f.length)
    strides = (records.strides[0], *f.strides, 1)
    return as_strided(base, shape=shape, strides=strides, writeable=False)


def _record_matrix(obj: DataObject) -> np.ndarray:
    if obj.records is None or obj.record_length is None:
        raise _fail(obj, "the label gives no record count or record length", LabelError)
    if obj.record_length <= 0:
        raise _fail(obj, f"record length {obj.record_length} is not positive", LabelError)
    flat = read_uint8(obj, obj.records * obj.record_length)
    return flat.reshape(obj.records, obj.record_length)


def _decode_field(obj: DataObject, f: Field, raw: np.ndarray, arrow_records: Any = None,
                  records: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Values ``(n, *shape)`` of one field and the mask of its empty or unreadable values
    (or None). Values that cannot be read as the field's type are masked and reported as
    warnings on the object (`report`); strict reading raises instead."""
    issues: list[Issue] = []
    try:
        values, mask = _decode_values(obj, f, raw, arrow_records, records, issues)
    except ValueError as exc:
        raise _fail(obj, f"field {f.name!r} ({f.label_data_type or f.data_type}): {exc}") from None
    for issue in issues:
        if issue.masked:
            mask = issue.where if mask is None else (mask | issue.where)
    report(obj, f, issues)
    return values, mask


def report(obj: DataObject, f: Field, issues: list[Issue]) -> None:
    """Warnings on ``obj`` for what tolerant decoding of field ``f`` found (raises when strict)."""
    for issue in issues:
        if not issue.where.any():
            continue
        count = issue.count
        message = issue.message + (f" ({count} values)" if count > 1 else "")
        obj.warn(message, field=f.name, record=issue.record, value=issue.first, count=count)


def warn_text(obj: DataObject, f: Field, bad: np.ndarray, values: np.ndarray, message: str) -> None:
    """One warning for the text values of ``f`` marked in ``bad`` (first record and value, count)."""
    report(obj, f, [Issue(message, bad, bytes(values.reshape(-1)[int(np.argmax(bad.reshape(-1)))]))])


def _decode_values(obj: DataObject, f: Field, raw: np.ndarray, arrow_records: Any, records: np.ndarray | None,
                   issues: list[Issue]) -> tuple[np.ndarray, np.ndarray | None]:
    lead = raw.shape[:-1]
    name = f.data_type
    if types.is_character(name) and f.bits is None:
        ctype = types.character_type(name)
        if ctype.decoder is None:
            ends = (raw[..., 0], raw[..., -1]) if f.length else (None, None)
            text = trim_text(text_view(raw), *ends)
            if name.startswith("UTF8_"):
                raw_text = text
                text, bad = decode_text(raw_text)
                if bad is not None:  # kept, not masked: the values are there
                    warn_text(obj, f, bad, raw_text, "text is not valid UTF-8: decoded as Latin-1 (every byte kept)")
            return text, None
        if ctype.text_dtype is not None:
            fast = arrowtext.parse_field(arrow_records, raw.shape[0], f.location, f.length, f.shape,
                                         f.strides, ctype.text_dtype) if arrow_records is not None else None
            if fast is not None:
                return fast
            return parse_text(text_view(raw), ctype.text_dtype, issues)
    if f.bits is None and records is not None and not types.is_character(name):
        dtype = _plain_dtype(f, check_repetitions=False)
        if dtype is not None:
            if records.shape[0] == 0:
                return np.zeros(lead, dtype=dtype), None  # no record: no buffer to view
            # A strided view of the record matrix: the one copy happens in `assemble`.
            return np.ndarray(lead, dtype=dtype, buffer=records, offset=f.location,
                              strides=raw.strides[:-1]), None
    flat = raw.reshape(-1, raw.shape[-1]) if raw.size else np.zeros((int(np.prod(lead)), f.length), np.uint8)
    if f.bits is not None:
        signed = name.startswith("Signed")
        if f.bits[1] - f.bits[0] >= 64:
            # Wider than any integer type: the bits themselves, as '0'/'1' text (nothing lost).
            bits = _bit_text(flat, *f.bits)
            obj.warn(f"bit field of {f.bits[1] - f.bits[0] + 1} bits is wider than 64 bits: kept as its bits "
                     f"('0'/'1' text)", field=f.name)
            return bits.reshape(lead), None
        values = types.unpack_bits(flat, f.bits[0], f.bits[1], signed)
        return values.reshape(lead), None
    if types.is_character(name):
        ctype = types.character_type(name)
        blank = blank_rows(flat)
        found: list[Issue] = []
        assert ctype.decoder is not None  # strings (no decoder) returned above
        values = tolerant_decode(ctype.decoder, flat, f.label_data_type or name, found)
        issues.extend(Issue(i.message, i.where.reshape(lead), i.first, i.masked) for i in found)
        mask = blank.reshape(lead) if blank.any() else None
        return values.reshape(lead), mask
    try:
        btype = types.binary_type(name)
    except KeyError:
        raise _fail(obj, f"field {f.name!r}: unknown data type {f.label_data_type or name!r}",
                    UnsupportedError) from None
    return btype.decode(flat).reshape(lead), None


def _bit_text(flat: np.ndarray, first: int, last: int) -> np.ndarray:
    """Bits ``first..last`` (0-based from the MSB of the first byte) of each row as ``S`` text."""
    bits = np.unpackbits(np.ascontiguousarray(flat), axis=-1)[:, first:last + 1]
    chars = np.ascontiguousarray((bits + ord("0")).astype(np.uint8))
    return chars.view(f"S{last - first + 1}")[:, 0]


def _plain_dtype(f: Field, check_repetitions: bool = True) -> np.dtype | None:
    """The in-place dtype of a field, when it can be read without decoding
    (``check_repetitions``: also require repetitions to be contiguous sub-arrays)."""
    if f.bits is not None:
        return None
    try:
        btype = types.binary_type(f.data_type)
    except KeyError:
        return None
    if btype.dtype is None or btype.dtype.itemsize != f.length:
        return None
    if not check_repetitions:
        return btype.dtype
    # Repetitions must be C-contiguous elements for a numpy sub-array.
    expected = btype.dtype.itemsize
    for n, s in zip(reversed(f.shape), reversed(f.strides), strict=False):
        if s != expected and n > 1:
            return None
        expected *= n
    return btype.dtype


def read_fixed(obj: DataObject) -> np.ndarray:
    """Structured array of a fixed-width table (masked where numeric text is blank)."""
    if not obj.fields:
        raise _fail(obj, "table has no fields", LabelError)
    names = column_names(obj)
    record_length = obj.record_length or 0
    data_length = record_length - int(obj.details.get("record_delimiter_length", 0))
    check_layout(obj, data_length)

    if obj.layout == "fixed_binary":
        plain = [_plain_dtype(f) for f in obj.fields]
        if all(d is not None for d in plain) and obj.records is not None:
            dtype = np.dtype(
                {
                    "names": names,
                    "formats": [(d, f.shape) if f.shape else d for d, f in zip(plain, obj.fields, strict=True)],
                    "offsets": [f.location for f in obj.fields],
                    "itemsize": record_length,
                }
            )
            flat = read_uint8(obj, obj.records * record_length)
            return flat.view(dtype)

    if obj.layout == "fixed_character":
        # Common tables (scalar string and number fields) in one cache-friendly pass;
        # None: anything else, or anything to report, is left to the whole-table reader.
        table = chartable.read_blocks(obj, names)
        if table is not None:
            return table
    if obj.layout == "fixed_character" and obj.details.get("interchange_format") == "ASCII":
        records = _pds3_ascii_records(obj)  # PDS3: lines that are not ROW_BYTES long are read as lines
    else:
        records = _record_matrix(obj)
        if obj.layout == "fixed_character":
            check_delimiters(obj, records)
    columns = []
    masks = {}
    text_numbers = any(
        types.is_character(f.data_type) and types.character_type(f.data_type).text_dtype for f in obj.fields
    )
    arrow_records = arrowtext.records_array(records) if text_numbers else None

    def decode(f: Field) -> tuple[np.ndarray, np.ndarray | None]:
        return _decode_field(obj, f, field_bytes(records, f), arrow_records, records)

    if records.size >= PARALLEL_BYTES and len(obj.fields) > 1 and (os.cpu_count() or 1) >= PARALLEL_CPUS:
        # Columns are independent and arrow/numpy release the GIL while parsing.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(len(obj.fields), os.cpu_count() or 1)) as pool:
            decoded = list(pool.map(decode, obj.fields))
    else:
        decoded = [decode(f) for f in obj.fields]
    for (values, mask), name in zip(decoded, names, strict=True):
        columns.append((name, values))
        if mask is not None:
            masks[name] = mask
    return assemble(columns, obj.records or 0, masks)


def _pds3_ascii_records(obj: DataObject) -> np.ndarray:
    """The record matrix of a PDS3 ASCII table; when its lines are not ROW_BYTES long (a
    file written with other line lengths, as pdr tolerates), one record per line instead,
    padded with blanks to the record length, and a warning. Records that are tab- or
    comma/quote-separated (tabs in the records, or lines whose values are not at the
    label's columns) are split on the separator, with a warning. Misaligned data that
    neither explains (fewer lines than ROWS, other value counts) keeps the fixed-length
    error."""
    try:
        records = _record_matrix(obj)
        check_delimiters(obj, records)
    except DataError as exc:
        error = exc
    else:
        # A tab is no blank padding of a fixed-width table: tab-separated records?
        split = _separated(obj, None) if (records == 9).any() else None
        return records if split is None else split
    lines = lines_matrix(obj, quiet=True)
    split = _separated(obj, lines)
    if split is not None:
        return split
    if lines is None:
        raise error
    again = lines_matrix(obj)  # again, to record its warning
    assert again is not None  # same bytes, same answer
    return again


def _separated(obj: DataObject, lines: np.ndarray | None) -> np.ndarray | None:
    """The records re-laid at the label's columns if they are tab- or comma/quote-separated
    (`pdsgen.data.separated`), with a warning; None if a separator does not explain them,
    or if the line-by-line *lines* already hold the same values at the label's columns
    (a fixed-width table with trimmed lines and commas between its columns)."""
    from pdsgen.data.io import read_bytes
    from pdsgen.data.separated import SEPARATORS, same_values, separated_records, separator_of

    raw = read_bytes(obj, None)
    separator = separator_of(raw)
    records = separated_records(obj, raw, separator) if separator else None
    if records is None or separator is None or (lines is not None and same_values(obj, lines, records)):
        return None
    obj.warn(f"records are {SEPARATORS[separator]}-separated, not at the label's START_BYTE columns: "
             f"read by splitting each line on {separator!r} (quoted values unquoted)", count=obj.records or 0,
             code="separated_records")
    obj.details["separator"] = separator  # the records are delimited (pdsgen.migrate: Table_Delimited)
    return records


def lines_matrix(obj: DataObject, *, quiet: bool = False) -> np.ndarray | None:
    """One row per line (LF, CR LF) of the object's bytes, ``(records, record_length)`` uint8,
    blank padded, each row ending with the table's delimiter; None if the lines are fewer
    than the records or some line is longer than the record."""
    from pdsgen.data.io import read_bytes

    n, width = obj.records or 0, obj.record_length or 0
    ending = b"\r\n" if "carriage" in str(obj.details.get("record_delimiter") or "carriage").lower() else b"\n"
    data_length = width - len(ending)
    raw = np.frombuffer(read_bytes(obj, None), dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if len(ends) < n and len(raw) and (len(ends) == 0 or ends[-1] < len(raw) - 1):
        ends = np.append(ends, len(raw))  # a last line without its line end
    if len(ends) < n or data_length <= 0:
        return None
    ends = ends[:n]
    starts = np.concatenate(([0], ends[:-1] + 1))
    stops = ends - ((raw[np.maximum(ends - 1, 0)] == 13) & (ends > starts))
    lengths = stops - starts
    if (lengths > data_length).any():
        return None
    crlf = (raw[np.maximum(ends - 1, 0)] == 13) & (ends > starts)
    odd = np.flatnonzero((lengths != data_length) | (crlf != (ending == b"\r\n")))
    out = np.full((n, width), 32, dtype=np.uint8)
    # One scatter of every line's bytes into its row (no loop per line).
    line = np.repeat(np.arange(n), lengths)
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[line, within] = raw[np.repeat(starts, lengths) + within]
    out[:, data_length:] = np.frombuffer(ending, dtype=np.uint8)
    if len(odd) and not quiet:
        obj.warn(f"{len(odd)} of {n} lines are not {data_length}-byte records ending {ending!r}: read line "
                 f"by line, short lines padded with blanks", record=int(odd[0]) + 1, count=len(odd),
                 value=f"{int(lengths[odd[0]])} bytes", code="lines_not_records")
    return out


def assemble(columns: list[tuple[str, np.ndarray]], n: int, masks: dict[str, np.ndarray]) -> np.ndarray:
    """One packed structured array from decoded columns; masked array if any mask."""
    dtype = np.dtype([(name, values.dtype, values.shape[1:]) for name, values in columns])
    out = np.empty(n, dtype=dtype)
    # Fill in blocks of records so each block of the output stays in cache while every
    # column is written into it (about 1.5× faster than whole columns one after another).
    block = max(1, (1 << 21) // max(dtype.itemsize, 1))
    for start in range(0, n, block):
        stop = start + block
        for name, values in columns:
            out[name][start:stop] = values[start:stop]
    if not masks:
        return out
    mask: np.ndarray[Any, Any] = np.zeros(n, dtype=np.ma.make_mask_descr(dtype))
    for name, m in masks.items():
        mask[name] = m
    return np.ma.MaskedArray(out, mask=mask)
