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
from typing import Any

import numpy as np

from pdsgen.data import delimited
from pdsgen.data.io import column_names
from pdsgen.errors import DataError, LabelError
from pdsgen.model import DataObject


def read_spreadsheet(obj: DataObject) -> np.ndarray:
    """Structured array of a delimited table; short records masked when the object asks."""
    if obj.details.get("short_records") != "mask":
        return delimited.read_delimited(obj)
    if not obj.fields:
        raise LabelError("table has no fields", path=str(obj.file), obj=obj.name)
    table, n, missing = _parse(obj)
    if table is None:
        return np.zeros(0, dtype=[(name, "S1") for name in column_names(obj)])
    return delimited.decode_table(obj, table, n, missing)


def _parse(obj: DataObject) -> tuple[Any, int, np.ndarray | None]:
    """(arrow table of ``ncols`` string columns, record count, absent-value mask or None)."""
    import pyarrow as pa

    ncols = int(obj.details.get("fields_per_record") or delimited._columns_needed(obj))
    raw = delimited.record_bytes(obj)
    if raw is None:
        return None, 0, None
    delimiter = delimited.delimiter_char(obj)
    short: list[tuple[int, str]] = []  # (physical line number, text)
    long: list[tuple[int, int]] = []

    def invalid(row: Any) -> str:
        if row.actual_columns < row.expected_columns and row.number is not None:
            short.append((row.number, row.text))
            return "skip"
        long.append((row.number or 0, row.actual_columns))
        return "error"

    try:
        try:
            table = delimited.read_csv(raw, ncols, delimiter)  # the usual case: every record has the label's fields
        except pa.ArrowInvalid:
            table = delimited.read_csv(raw, ncols, delimiter, invalid)
    except pa.ArrowInvalid as exc:
        if long:
            line, count = long[0]
            raise DataError(f"record at line {line} has {count} fields, the label says {ncols}",
                            path=str(obj.file), obj=obj.name) from None
        raise DataError(f"delimited records do not match the label: {exc}", path=str(obj.file),
                        obj=obj.name) from None
    missing = None
    if short:
        table, missing = _merge(obj, table, short, raw, delimiter, ncols)
        first = min(number for number, _ in short)
        obj.warn(f"{len(short)} of {table.num_rows} records have fewer fields than the label's {ncols}: "
                 f"their missing trailing values are masked", record=first, count=len(short))
        obj.details["short_record_count"] = len(short)
    table, n = delimited.checked_slice(obj, table)
    if missing is not None:
        missing = missing[:n]
    return table, n, missing


def _merge(obj: DataObject, table: Any, short: list[tuple[int, str]], raw: bytes, delimiter: str,
           ncols: int) -> tuple[Any, np.ndarray]:
    """Slot the short records back at their places; mask of their absent values."""
    import pyarrow as pa

    # Record index of a physical line: arrow skips empty lines, so do not count them.
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(raw)]))
    body = stops - starts - (np.frombuffer(raw, dtype=np.uint8)[np.maximum(stops - 1, 0)] == 13)
    empty_before = np.cumsum(body <= 0) - (body <= 0)
    lines = np.array([number for number, _ in short], dtype=np.int64) - 1
    if lines.size and (lines.min() < 0 or lines.max() >= len(body)):
        raise DataError(f"record at line {int(lines.max()) + 1} lies past the file's last line",
                        path=str(obj.file), obj=obj.name)
    positions = lines - empty_before[lines]
    total = table.num_rows + len(short)
    if positions.min() < 0 or positions.max() >= total or np.unique(positions).size != positions.size:
        # the parser's records and the file's lines disagree: refuse rather than misplace values
        raise DataError(f"the short records cannot be put back at their lines (near line "
                        f"{int(lines.min()) + 1}): records and lines disagree", path=str(obj.file), obj=obj.name)
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
