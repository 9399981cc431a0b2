"""validate's justification rule for table values: a ``%+`` / ``%-`` format flag asks for
right- / left-justified values (FieldValueValidator.checkFormat in validate's
``src/main/java``: ``.*\\s+`` / ``\\s+.*`` matched on the value as read).

Whole-column numpy / Arrow operations; no loop over records.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pdsgen.validate.columns import Ctx, _report
from pdsgen.validate.fieldtypes import ArrowArray, RowMask, TextColumn
from pdsgen.validate.findings import Finding

__all__ = ["justification_findings"]

#: Java's ``\s`` (space, tab, line feed, vertical tab, form feed, carriage return)
_JAVA_BLANK_BYTES = np.array([0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D], dtype=np.uint8)
_JAVA_BLANK_CLASS = "[ \\t\\n\\x0B\\f\\r]"


def justification_findings(col: TextColumn, flag: str, *, name: str, field_no: int, obj: str, ctx: Ctx,
                           fmt: str, level: str | None = None) -> list[Finding]:
    """Values not justified as their format's flag asks (validate's FieldValueValidator.checkFormat).

    ``+`` (right-justified): a value ending in a blank; ``-`` (left-justified): a value
    starting with one. The value is the field as read — a character table's field bytes with
    their padding (pds4-jparser's FixedTableRecord.getString), a delimited table's text
    between delimiters with enclosing double quotes removed — and only values that are not
    blank are checked (blank ones are never format-checked).

    `col`: a character table's column (uint8 matrix, one row per record; format: its
    ``validation_format``) gives ``error.table.field_value_not_{right,left}_justified``; a
    delimited table's Arrow string column (format: its ``field_format``) the
    ``warning.table.…`` types (validate's issues 816/817: field_format mismatches are
    warnings, validation_format ones errors); `level` ("error"/"warning") says which format
    it is when given (a character table's field_format: warnings).
    """
    if flag not in ("+", "-"):
        return []
    fixed = isinstance(col, np.ndarray)
    if fixed and (col.ndim != 2 or col.shape[1] == 0 or len(col) == 0):
        return []
    if not fixed and len(col) == 0:
        return []
    text = col if fixed else _unquoted(col)
    edge = _edge_blank(text, last=flag == "+")
    if not edge.any():
        return []
    side = "right" if flag == "+" else "left"
    bad = edge & ~_blank(text)
    shown = _shown(text)
    out: list[Finding] = []
    level = level or ("error" if fixed else "warning")
    _report(out, bad, f"{level}.table.field_value_not_{side}_justified",
            lambda i: f"field {name!r} value {shown(i)!r} is not {side}-justified (format {fmt})", ctx,
            field=field_no, obj=obj)
    return out


def _edge_blank(col: TextColumn, *, last: bool) -> RowMask:
    """Rows whose first (or last) character is a blank by Java's ``\\s``."""
    if isinstance(col, np.ndarray):
        return np.isin(col[:, -1 if last else 0], _JAVA_BLANK_BYTES)
    import pyarrow.compute as pc

    pattern = f"{_JAVA_BLANK_CLASS}$" if last else f"^{_JAVA_BLANK_CLASS}"
    edge: RowMask = pc.fill_null(pc.match_substring_regex(col, pattern), False).to_numpy(zero_copy_only=False)
    return edge


def _unquoted(col: ArrowArray) -> ArrowArray:
    """Delimited values as strings without their enclosing double quotes (FieldValueValidator
    strips them before any check)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = col if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) else col.cast(pa.string())
    quoted = pc.fill_null(pc.and_(pc.starts_with(text, '"'),
                                  pc.and_(pc.ends_with(text, '"'), pc.greater(pc.utf8_length(text), 1))), False)
    if not pc.any(quoted).as_py():
        return text
    return pc.if_else(quoted, pc.utf8_slice_codeunits(text, 1, -1), text)


def _blank(col: TextColumn) -> RowMask:
    """Rows empty once trimmed (Java's String.trim: characters up to U+0020)."""
    if isinstance(col, np.ndarray):
        return np.asarray((col <= 0x20).all(axis=1))
    import pyarrow.compute as pc

    stripped = pc.replace_substring_regex(col, "^[\\x00-\\x20]+|[\\x00-\\x20]+$", "")
    blank: RowMask = pc.fill_null(pc.equal(pc.binary_length(stripped), 0), True).to_numpy(zero_copy_only=False)
    return blank


def _shown(col: TextColumn) -> Callable[[int], str]:
    if isinstance(col, np.ndarray):
        return lambda i: bytes(col[i]).decode("latin-1")
    return lambda i: str(col[i].as_py()) if col[i].is_valid else ""
