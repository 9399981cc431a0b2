"""PDS3 SPREADSHEET records with fewer fields than the label (missing trailing values masked).

Real PDS3 spreadsheets carry lines the label does not describe field by field: the
Mini-RF housekeeping CSVs start with a one-field title line under a label that says
``FIELDS = 3``. Such a product should read: the missing trailing values of a short
record become empty, masked values (never zeros, never shifted into the next field),
and a warning names the file, the object and how many records were short. A record
with MORE fields than the label stays an error (the label cannot say which value is
which). PDS3 objects ask for this with ``details["short_records"] = "mask"``; every
other delimited object goes to `pdsgen.data.delimited.read_delimited` unchanged.

Records are split by pyarrow's CSV reader in C; its ``invalid_row_handler`` is called
only for records whose field count differs from the label (exceptions, not a per-record
loop). Those few records are split with Python's ``csv`` module and slotted back into
the arrow columns by one ``take``; values are then decoded by the shared delimited
decoders, so the same rules apply as for full records.
"""

from __future__ import annotations

import csv
import io
import logging

import numpy as np

from pdsgen.data import delimited
from pdsgen.data.fixed import assemble
from pdsgen.data.io import ShortFileError, column_names, read_bytes
from pdsgen.errors import DataError, LabelError
from pdsgen.model import DataObject

log = logging.getLogger(__name__)


def read_spreadsheet(obj: DataObject) -> np.ndarray:
    """Structured array of a delimited table; short records masked when the object asks."""
    if obj.details.get("short_records") != "mask":
        return delimited.read_delimited(obj)
    if not obj.fields:
        raise LabelError("table has no fields", path=str(obj.file), obj=obj.name)
    table, n, missing = _parse(obj)
    if table is None:
        return np.zeros(0, dtype=[(name, "S1") for name in column_names(obj)])
    columns = []
    masks = {}
    for f, name in zip(obj.fields, column_names(obj), strict=True):
        idx = delimited._column_indices(f)
        parts, part_masks = [], []
        for i in idx.ravel():
            values, mask = delimited._decode(obj, f, table.column(int(i)))
            absent = missing[:, int(i)] if missing is not None else None
            if absent is not None and absent.any() and values.dtype.kind in "SU":
                values = values.copy()
                values[absent] = values.dtype.type()  # no text for an absent value
            mask = _or(mask, absent, n)
            parts.append(values)
            part_masks.append(mask if mask is not None else np.zeros(n, dtype=bool))
        if idx.ndim == 0:
            values, mask = parts[0], part_masks[0]
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


def _or(mask: np.ndarray | None, absent: np.ndarray | None, n: int) -> np.ndarray | None:
    if absent is None or not absent.any():
        return mask
    return absent if mask is None else (mask | absent)


def _parse(obj: DataObject):
    """(arrow table of ``ncols`` string columns, record count, absent-value mask or None)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    ncols = int(obj.details.get("fields_per_record") or delimited._columns_needed(obj))
    raw = read_bytes(obj, obj.size)
    n_label = obj.records
    if n_label is not None:
        # Cut after the label's record count (more text may follow: other objects, notes).
        ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
        if len(ends) >= n_label:
            raw = raw[: int(ends[n_label - 1]) + 1] if n_label else b""
    if not raw.strip():
        if n_label:
            raise ShortFileError(f"file holds no records at byte {obj.offset}, the label says {n_label}",
                                 path=str(obj.file), obj=obj.name)
        return None, 0, None
    delimiter = delimited.delimiter_char(obj)
    short: list[tuple[int, str]] = []  # (physical line number, text)
    long: list[tuple[int, int]] = []

    def invalid(row) -> str:
        if row.actual_columns < row.expected_columns and row.number is not None:
            short.append((row.number, row.text))
            return "skip"
        long.append((row.number or 0, row.actual_columns))
        return "error"

    names = [f"c{i}" for i in range(ncols)]

    def parse(handler):
        return pacsv.read_csv(
            io.BytesIO(raw),
            # line numbers (for the handler) need one serial pass
            read_options=pacsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(raw) + 1),
                                           use_threads=handler is None),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                             newlines_in_values=False, invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    try:
        try:
            table = parse(None)  # the usual case: every record has the label's fields
        except pa.ArrowInvalid:
            table = parse(invalid)
    except pa.ArrowInvalid as exc:
        if long:
            line, count = long[0]
            raise DataError(f"record at line {line} has {count} fields, the label says {ncols}",
                            path=str(obj.file), obj=obj.name) from None
        raise DataError(f"delimited records do not match the label: {exc}", path=str(obj.file),
                        obj=obj.name) from None
    missing = None
    if short:
        table, missing = _merge(table, short, raw, delimiter, ncols)
        log.warning("%s: %s: %d of %d records have fewer fields than the label's %d; their missing "
                    "trailing values are masked", obj.file, obj.name, len(short), table.num_rows, ncols)
        obj.details["short_record_count"] = len(short)
    n = obj.records if obj.records is not None else table.num_rows
    if table.num_rows < n:
        raise ShortFileError(f"file has {table.num_rows} records, the label says {n}", path=str(obj.file),
                             obj=obj.name)
    if missing is not None:
        missing = missing[:n]
    return table.slice(0, n), n, missing


def _merge(table, short: list[tuple[int, str]], raw: bytes, delimiter: str, ncols: int):
    """Slot the short records back at their places; mask of their absent values."""
    import pyarrow as pa

    # Record index of a physical line: arrow skips empty lines, so do not count them.
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(raw)]))
    body = stops - starts - (np.frombuffer(raw, dtype=np.uint8)[np.maximum(stops - 1, 0)] == 13)
    empty_before = np.cumsum(body <= 0) - (body <= 0)
    lines = np.array([number for number, _ in short], dtype=np.int64) - 1
    positions = lines - empty_before[lines]
    total = table.num_rows + len(short)
    # Short records are exceptions (the invalid-row callback saw each one): split them
    # with the csv module, which applies the same quoting rules as the arrow parser.
    cells = [next(csv.reader([text], delimiter=delimiter, quotechar='"', doublequote=True), [])
             for _, text in short]
    missing = np.zeros((total, ncols), dtype=bool)
    counts = np.array([len(c) for c in cells], dtype=np.int64)
    missing[positions] = np.arange(ncols)[None, :] >= counts[:, None]
    keep = np.ones(total, dtype=bool)
    keep[positions] = False
    others = np.flatnonzero(keep)
    order = np.empty(total, dtype=np.int64)
    order[others] = np.arange(len(others))
    order[positions] = len(others) + np.arange(len(short))
    merged = []
    for j in range(ncols):
        extra = pa.array([c[j] if j < len(c) else "" for c in cells], type=pa.string())
        merged.append(pa.concat_arrays([table.column(j).combine_chunks(), extra]).take(pa.array(order)))
    return pa.Table.from_arrays(merged, names=table.column_names), missing
