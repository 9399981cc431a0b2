"""PDS3 "fixed-width" ASCII tables whose records are really tab- or comma/quote-separated.

Some PDS3 labels describe a TABLE with START_BYTE/BYTES columns while the file holds
``1.0<TAB>2.5`` or ``"A","B",3`` records: the values are not at the label's columns.
pdr reads such tables by splitting on the separator (``pd.read_csv``) whenever that
gives as many values as the label has columns; pdsgen does the same, but only after
the fixed-width reading failed (lines that are not ROW_BYTES records) or found tabs,
which a fixed-width ASCII table does not hold: the clean fast path never comes here.

The split is done by arrow's CSV reader in C (`pdsgen.data.delimited.read_csv`); the
values are then written back at their fields' START_BYTE columns of a blank record
matrix (one scatter per field, never per record), so the usual fixed-width decoding,
masking and warnings apply unchanged. The layout is "explained" only if every one of
the label's ROWS lines splits into exactly the label's number of values and each value
fits its field's BYTES; otherwise `separated_records` returns None and the caller keeps
its fixed-width reading or error.
"""

from __future__ import annotations

import numpy as np

from pdsgen.model import DataObject

#: Separator → the name used in warnings.
SEPARATORS = {"\t": "tab", ",": "comma"}


def _slots(obj: DataObject) -> list[tuple[int, int]]:
    """(byte location, length) of every value of a record, in label order (repetitions
    of a field by ITEMS / CONTAINER in row-major order)."""
    slots = []
    for f in obj.fields:
        for index in np.ndindex(*f.shape) if f.shape else [()]:
            slots.append((f.location + sum(i * s for i, s in zip(index, f.strides, strict=False)), f.length))
    return slots


def separator_of(raw: bytes) -> str | None:
    """The separator the records would use: a tab if any, else a comma; None if neither."""
    if b"\t" in raw:
        return "\t"
    return "," if b"," in raw else None


def separated_records(obj: DataObject, raw: bytes, separator: str) -> np.ndarray | None:
    """The ``(ROWS, record length)`` uint8 record matrix of a table whose first ROWS lines
    of *raw* split on *separator* (``"`` quotes values) into exactly the label's values,
    each written left-justified at its field's location; None if they do not."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from pdsgen.data.delimited import fixed_width, read_csv

    n, width = obj.records or 0, obj.record_length or 0
    slots = _slots(obj)
    if n <= 0 or len(slots) < 2 or width <= 0:
        return None
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    if len(ends) >= n:
        raw = raw[: int(ends[n - 1]) + 1]
    try:
        table = read_csv(raw, len(slots), separator)
    except (pa.ArrowInvalid, ValueError):
        return None  # a line with another number of values: not explained by the separator
    if table.num_rows != n:
        return None
    ending = b"\r\n" if "carriage" in str(obj.details.get("record_delimiter") or "carriage").lower() else b"\n"
    out = np.full((n, width), 32, dtype=np.uint8)
    for k, (location, length) in enumerate(slots):  # one scatter per value slot
        text = table.column(k)
        if (pc.max(pc.binary_length(text)).as_py() or 0) > length:
            return None  # a value wider than its field: the label does not describe these records
        values = fixed_width(text)
        cells = values.view(np.uint8).reshape(n, values.dtype.itemsize)[:, :length]
        cells = np.where(cells == 0, np.uint8(32), cells)
        out[:, location : location + cells.shape[1]] = cells
    if width > len(ending):
        out[:, width - len(ending) :] = np.frombuffer(ending, dtype=np.uint8)
    return out


def _cells(records: np.ndarray, location: int, length: int) -> np.ndarray:
    """The stripped text of one value slot in every record (quotes count as blanks)."""
    block = np.ascontiguousarray(records[:, location : location + length])
    block = np.where(block == 34, np.uint8(32), block)
    return np.char.strip(block.view(f"S{length}")[:, 0])


def same_values(obj: DataObject, lines: np.ndarray, split: np.ndarray) -> bool:
    """True if every value slot holds the same text in both record matrices."""
    return all(np.array_equal(_cells(lines, loc, length), _cells(split, loc, length)) for loc, length in _slots(obj))
