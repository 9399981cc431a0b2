"""One column of a table (or the values of an array) against its definition.

Shared by the table and array checks: the reporting rule (first few offending records,
then a count), limits from the label (Field_Statistics / Object_Statistics minimum and
maximum, Special_Constants; hex constants of float types are bit patterns), value
grammars and field_format on text columns (numpy and one `re` call for small columns, Arrow
RE2 kernels for big ones), numbers for range checks, and the thread pool for big tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from pdsgen.model import Field
from pdsgen.pds4.label import child_text, first_children
from pdsgen.validate import fieldtypes
from pdsgen.validate.fieldtypes import ArrowArray, ByteMatrix, RowMask, TextColumn
from pdsgen.validate.findings import Finding

if TYPE_CHECKING:
    from lxml import etree

#: a column's numbers (0 where not ok or blank), with its blank rows when known
Numbers: TypeAlias = npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], RowMask]
#: a column's number parser: the rows that are ok → its numbers, None when they cannot be parsed
NumberParser: TypeAlias = Callable[[RowMask], Numbers | None]
#: a label's special constants (constant name → value as written, or as PDS3's pvl typed it)
SpecialConstants: TypeAlias = Mapping[str, str | float | None]
_Task = TypeVar("_Task")

RECORD_DELIMITERS = {
    "carriage-return line-feed": b"\r\n",
    "line-feed": b"\n",
    "carriage-return": b"\r",
}
#: tables bigger than this are checked field by field in a thread pool (Arrow/numpy release the GIL)
PARALLEL_BYTES = 8 << 20
RANGE_CONSTANTS = ("valid_minimum", "valid_maximum")
#: the special constants a value written exactly as them exempts from its data type's grammar
#: (validate's SpecialConstantChecker.isNonConformantSpecialConstant: a text comparison; the
#: four saturation constants and the valid range must conform to the data type, so never exempt)
TEXT_CONSTANTS = ("error_constant", "invalid_constant", "missing_constant", "not_applicable_constant",
                  "saturated_constant", "unknown_constant")


@dataclass
class Ctx:
    label: str  # label file, for messages
    max_reported: int = 5
    threads: int = 0  # 0: os.cpu_count()
    strict_fields: bool = False  # validate's --strict-field-checks: characters between fields


# --------------------------------------------------------------------------- reporting


def _report(out: list[Finding], bad: RowMask, type_: str, what: Callable[[int], str], ctx: Ctx,
            *, field: int | None = None, file: str | None = None, obj: str = "",
            severity: str | None = None) -> None:
    """First few offending records (1-based record numbers), then the count of the others."""
    idx = np.flatnonzero(bad)
    if idx.size == 0:
        return
    for i in idx[: ctx.max_reported]:
        out.append(Finding(type_, f"{obj}: {what(int(i))}", file=file or ctx.label, record=int(i) + 1,
                           field=field, severity=severity))
    rest = idx.size - ctx.max_reported
    if rest > 0:
        out.append(Finding(type_, f"{obj}: {rest} more record(s) with the same problem "
                                  f"({idx.size} in all)", file=file or ctx.label, field=field,
                           severity=severity, extra={"count": int(idx.size)}))


# --------------------------------------------------------------------------- label extras


def _num(text: str | float | None) -> float | None:
    """A constant or limit as a number: PDS4 gives text, PDS3 labels typed values (pvl)."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text)
    t = str(text).strip()
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


def _line(el: etree._Element | None) -> int | None:
    return getattr(el, "sourceline", None) if el is not None else None


def _field_elements(el: etree._Element | None) -> list[etree._Element]:
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
    constant_texts: frozenset[str] = frozenset()  # special constants as written (exempt from the grammar)
    max_length: int | None = None


def _num_typed(text: str | float | None, dtype: np.dtype[np.generic] | None) -> float | None:
    """A constant; hex constants of float types are bit patterns (PDS4 allows 0xFF7FFFFF)."""
    if (isinstance(text, str) and dtype is not None and dtype.kind == "f"
            and text.strip().lower().startswith("0x")):
        try:
            bits = int(text.strip(), 16)
            return float(np.array(bits, dtype=f"u{dtype.itemsize}").view(dtype.newbyteorder("=")))
        except (ValueError, OverflowError):
            return None
    return _num(text)


#: the children of a field `_limits` reads (one pass over the field's children)
_LIMIT_CHILDREN = frozenset({"Field_Statistics", "Object_Statistics", "maximum_field_length"})


def _limits(field_el: etree._Element | None, special: SpecialConstants | None,
            dtype: np.dtype[np.generic] | None = None) -> FieldLimits:
    lim = FieldLimits()
    if field_el is not None:
        found = first_children(field_el, _LIMIT_CHILDREN)
        stats = found.get("Field_Statistics")
        if stats is None:
            stats = found.get("Object_Statistics")
        if stats is not None:
            lim.minimum = _num(child_text(stats, "minimum"))
            lim.maximum = _num(child_text(stats, "maximum"))
        ml = found.get("maximum_field_length")
        ml = ml.text.strip() if ml is not None and ml.text is not None else None
        lim.max_length = int(ml) if ml and ml.isdigit() else None
    if not special:
        return lim
    lim.valid_min = _num_typed(special.get("valid_minimum"), dtype)
    lim.valid_max = _num_typed(special.get("valid_maximum"), dtype)
    lim.constants = tuple(v for k, s in special.items() if k not in RANGE_CONSTANTS
                          and (v := _num_typed(s, dtype)) is not None)
    lim.constant_texts = frozenset(str(s).strip() for k, s in special.items() if k in TEXT_CONSTANTS)
    return lim


def _exempt_constants(col: TextColumn, bad: RowMask, texts: frozenset[str]) -> RowMask:
    """Special constants are checked before the data type (as validate does): values written
    exactly as a special constant are not grammar errors. Only the offending rows are looked at."""
    import pyarrow as pa
    import pyarrow.compute as pc

    idx = np.flatnonzero(bad)
    if isinstance(col, np.ndarray):
        rows = np.ascontiguousarray(col[idx])
        values = np.strings.strip(rows.view(f"S{rows.shape[1]}").ravel()) if rows.shape[1] else np.array([])
        hit = np.isin(values, np.array(sorted(t.encode("latin-1", "replace") for t in texts)))
    else:
        values = pc.utf8_trim_whitespace(col.take(pa.array(idx)).cast(pa.string()))
        hit = pc.is_in(values, value_set=pa.array(sorted(texts))).to_numpy(zero_copy_only=False)
    bad = bad.copy()
    bad[idx[hit]] = False
    return bad


def _range_checks(out: list[Finding], values: npt.NDArray[np.number], usable: RowMask, lim: FieldLimits, ctx: Ctx, *,
                  kind: str, field: int | None, name: str, obj: str, file: str | None = None) -> None:
    """Minimum/maximum (statistics) and valid_minimum/valid_maximum (special constants) of a
    table's column (arrays: `arrays.check_block`)."""
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


def _text_column_checks(out: list[Finding], col: TextColumn, f: Field, lim: FieldLimits, ctx: Ctx, *, field_no: int, obj: str,
                        numeric_values: NumberParser,
                        formats: tuple[tuple[str, str], ...] = ()) -> None:
    """Type grammar, formats and ranges of one text column (matrix or Arrow array).

    `formats`: (kind, printf format) pairs the non-blank values are checked against, as
    validate's FieldValueValidator chooses them: a character table's ``validation_format``
    (errors) and ``field_format`` (warnings), a delimited table's ``field_format``
    (warnings), none for the text fields of a binary table. Values of blanks only are blank
    (no type, format or range check) in fixed-width and delimited fields alike.

    Big fixed-width columns go into Arrow once and every check (RE2 grammar, formats,
    number parsing) runs on that array; small ones stay in numpy / one `re` call.
    """
    shown = _shower(col)
    matrix = col if isinstance(col, np.ndarray) else None
    joined = None
    if matrix is not None and (fieldtypes.anchored(f.data_type) or formats):
        # one copy of the column, newline-joined: whole-column matches first, Arrow rows
        # (same bytes) for the per-value checks and numbers
        joined = fieldtypes.joined_rows(matrix)
        if len(matrix) > fieldtypes.SMALL_COLUMN:
            col = fieldtypes.rows_array(joined)
            numeric_values = _arrow_numbers(col)
    bad = fieldtypes.invalid_rows(col, f.data_type, joined=joined)
    if bad is not None and bad.any() and lim.constant_texts:
        bad = _exempt_constants(col, bad, lim.constant_texts)
    if bad is not None and bad.any():
        _report(out, bad, "error.table.field_value_data_type_mismatch",
                lambda i: f"field {f.name!r} value {shown(i)!r} is not a valid {f.data_type}",
                ctx, field=field_no, obj=obj)
    if f.data_type == "ASCII_Real":
        huge = fieldtypes.real_out_of_range(col, joined=joined)
        if bad is not None:
            huge &= ~bad
        if huge.any():
            _report(out, huge, "error.table.field_value_data_type_mismatch",
                    lambda i: f"field {f.name!r} value {shown(i)!r} is outside the range of an ASCII_Real "
                              "(an IEEE 754 double)", ctx, field=field_no, obj=obj)
    if formats:
        flat = joined if joined is not None else _arrow_joined(col)
        valid = bad is None or not bad.any()
        for kind, text in formats:
            _format_checks(out, col, matrix, flat, f, kind, text, ctx, field_no=field_no, obj=obj, shown=shown,
                           valid_type=valid)
    if lim.minimum is None and lim.maximum is None and lim.valid_min is None and lim.valid_max is None:
        return
    _not_a_number(out, col, f, bad, lim, ctx, field_no=field_no, obj=obj, shown=shown)
    if f.data_type not in fieldtypes.NUMERIC:
        return
    ok = ~bad if bad is not None else np.ones(len(col), dtype=bool)
    parsed = numeric_values(ok)
    if parsed is None:
        return
    values, blank = parsed if isinstance(parsed, tuple) else (parsed, _blank(col))
    _range_checks(out, values, ok & ~blank, lim, ctx, kind="table", field=field_no, name=repr(f.name), obj=obj)


#: a value Java's NumberUtils.isCreatable accepts (validate's test before a min/max comparison):
#: decimal or hexadecimal, an optional exponent and type suffix, blanks around it
_CREATABLE = r"[+-]?(0[xX][0-9a-fA-F]+[lL]?|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdDlL]?)"


def _not_a_number(out: list[Finding], col: TextColumn, f: Field, bad: RowMask | None, lim: FieldLimits, ctx: Ctx, *,
                  field_no: int, obj: str, shown: Callable[[int], str]) -> None:
    """A field with a minimum/maximum (Field_Statistics or valid_minimum/valid_maximum): every
    non-blank value must be a number to be compared (validate's checkSpecialMinMax:
    ``error.table.field_value_not_a_number``), whatever its data type (dates and strings
    too); a number field's values that fail their grammar fail this too."""
    if f.data_type in fieldtypes.NUMERIC:
        if bad is None or not bad.any():
            return
        mask = bad
    else:
        import pyarrow.compute as pc

        arr = fieldtypes.arrow_binary(col) if isinstance(col, np.ndarray) else col
        number = pc.match_substring_regex(arr, rf"^{_EDGE}({_CREATABLE}{_EDGE})?$")
        mask = ~number.fill_null(True).to_numpy(zero_copy_only=False)
        if not mask.any():
            return
        if lim.constant_texts:
            mask = _exempt_constants(col, mask, lim.constant_texts)
    _report(out, mask, "error.table.field_value_not_a_number",
            lambda i: f"field {f.name!r} value {shown(i)!r} is not a number to compare with the field's "
                      f"minimum/maximum", ctx, field=field_no, obj=obj)


def _arrow_numbers(arr: ArrowArray) -> NumberParser:
    """Number parser for an Arrow column (blank and invalid rows become 0)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def numbers(ok: RowMask) -> Numbers | None:
        # bytes viewed as text without UTF-8 validation and trimmed byte-wise: rows that are
        # not ok (where other bytes could be) are replaced below, valid numbers are ASCII
        try:
            if pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type):
                text = arr.view(pa.string() if pa.types.is_binary(arr.type) else pa.large_string())
            else:
                text = arr.cast(pa.string())
            trimmed = pc.ascii_trim_whitespace(text)
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


#: blanks around a value (the newline closes values of `fieldtypes.rows_array`)
_EDGE = r"[ \t\r\n\x00]*"


def _shower(col: TextColumn) -> Callable[[int], str]:
    if isinstance(col, np.ndarray):
        return lambda i: bytes(col[i]).decode("latin-1").strip()
    return lambda i: str(col[i].as_py()).strip() if col[i].is_valid else ""


def _blank(col: TextColumn) -> RowMask:
    if isinstance(col, np.ndarray):
        return fieldtypes.blank_rows(col)
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = col.cast(pa.string()) if not pa.types.is_string(col.type) else col
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.zeros(len(col), dtype=bool)
    blank: RowMask = pc.equal(pc.binary_length(pc.utf8_trim_whitespace(text)), 0).to_numpy(zero_copy_only=False)
    return blank


#: value shapes of each printf conversion, as validate's checkFormat parses the trimmed value:
#: %d a BigInteger, %o a non-negative decimal BigInteger, %x a non-negative hexadecimal
#: one, %e/%E a real with an exponent, %f one without; %s anything
_SPECIFIER = {
    "d": r"[+-]?\d+", "o": r"(\+?\d+|-0+)", "x": r"(\+?[0-9a-fA-F]+|-0+)",
    "e": r"[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+", "E": r"[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+",
    "f": r"[+-]?(\d+(\.\d*)?|\.\d+)",
}
#: what validate trims (String.trim: every character up to the blank)
_TRIMMED = "".join(map(chr, range(33)))


def _decimals_pattern(prec: int, exact: bool) -> str:
    """A trimmed value whose digits after the first point (before any e/E) are exactly (or at
    most) `prec` in number, as validate counts them: any value, numbers or not."""
    if not exact:
        return rf"[^eE.\s]*(\.[^eE\s]{{0,{prec}}})?([eE]\S*)?"
    if prec == 0:
        return r"[^eE.\s]*\.?([eE]\S*)?"
    return rf"[^eE.\s]*\.[^eE\s]{{{prec}}}([eE]\S*)?"


def _arrow_joined(col: ArrowArray) -> ByteMatrix | None:
    """The values of an Arrow string/binary array as one byte buffer, each value closed by a
    newline (a (n, 1) view serves `fieldtypes.joined_match`); None if a value holds a newline."""
    import pyarrow as pa

    if col.null_count or not (pa.types.is_string(col.type) or pa.types.is_binary(col.type)):
        return None
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset: col.offset + len(col) + 1]
    data = np.frombuffer(col.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[-1]] if len(col) else \
        np.zeros(0, np.uint8)
    if (data == 10).any():
        return None
    flat = np.full(data.size + len(col), 10, dtype=np.uint8)
    keep = np.ones(flat.size, dtype=bool)
    keep[offsets[1:] - offsets[0] + np.arange(len(col))] = False
    flat[keep] = data
    return flat


def _shaped_decimals(prec: int, conv: str, exact: bool) -> str:
    """A number of the f/e/E conversion's shape with exactly (or at most) `prec` decimals: a
    whole column matching it passes both checks at once."""
    digits = f"{{{prec}}}" if exact else f"{{0,{prec}}}"
    mantissa = r"\d+\.?" if prec == 0 else rf"(\d+\.\d{digits}|\.\d{digits})" if exact else \
        rf"(\d+(\.\d{digits})?|\.\d{{1,{prec}}})"
    return rf"[+-]?{mantissa}" + (r"[eE][+-]?\d+" if conv in "eE" else "")


def _all_match(col: TextColumn, joined: ByteMatrix | None, core: str) -> RowMask:
    """Rows whose value is blank or `core` between blanks (`joined`: the column as
    `fieldtypes.joined_rows`, or as `_arrow_joined` for an Arrow column)."""
    if joined is not None and fieldtypes.joined_match(joined if joined.ndim == 2 else joined.reshape(-1, 1), core):
        return np.ones(len(col), dtype=bool)
    import pyarrow.compute as pc

    arr = fieldtypes.rows_array(joined) if joined is not None and joined.ndim == 2 and isinstance(col, np.ndarray) \
        else col
    matched: RowMask = pc.match_substring_regex(arr, rf"^{_EDGE}({core}{_EDGE})?$").to_numpy(zero_copy_only=False)
    return matched


def _trimmed_lengths(col: TextColumn, matrix: ByteMatrix | None) -> npt.NDArray[np.intp]:
    """Length of each value once trimmed as Java trims (bytes up to the blank at both ends)."""
    if matrix is not None:
        kept = matrix > 32
        first = np.argmax(kept, axis=1)
        last = matrix.shape[1] - np.argmax(kept[:, ::-1], axis=1)
        return np.where(kept.any(axis=1), last - first, 0)
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow: ArrowArray = col  # no matrix: the column is an Arrow array
    text = arrow if pa.types.is_string(arrow.type) else arrow.cast(pa.string())
    lengths: npt.NDArray[np.intp] = pc.binary_length(pc.utf8_trim(text, characters=_TRIMMED)).to_numpy(zero_copy_only=False)
    return lengths


#: conversions whose shape every valid value of a data type has (no need to match them again)
_IMPLIED = {("ASCII_Integer", "d"), ("ASCII_NonNegative_Integer", "d"), ("ASCII_NonNegative_Integer", "o")}


def _format_checks(out: list[Finding], col: TextColumn, matrix: ByteMatrix | None, joined: ByteMatrix | None, f: Field,
                   kind: str, text: str, ctx: Ctx, *, field_no: int, obj: str, shown: Callable[[int], str],
                   valid_type: bool = False) -> None:
    """One format against the non-blank values (validate's FieldValueValidator.checkFormat).

    Only formats of validate's pattern ``%[+,-]<width>[.<precision>]<d|o|x|f|e|E|s>`` are
    checked, in validate's order: justification (``+``: no trailing blank, ``-``: no leading
    one), the conversion's shape, the width (trimmed value no longer), the digits after the
    point for f/e/E. A ``validation_format`` is a rule (``error.table.*``, exact precision,
    validate's issue 817); a ``field_format`` a description (``warning.table.*``, the
    precision a maximum: issues 815/816). Values failing their data type are checked too."""
    fmt = fieldtypes.parse_format(text)
    if fmt is None or not len(col):
        return
    flags, width, prec, conv = fmt
    strict = kind == "validation_format"
    level = "error" if strict else "warning"

    def report(bad: RowMask, problem: str, what: str) -> None:
        # every check but the justification passes blank values by itself
        _report(out, bad, f"{level}.table.{problem}",
                lambda i: f"field {f.name!r} value {shown(i)!r} {what} ({kind} {text})", ctx, field=field_no,
                obj=obj)

    if flags in ("+", "-"):  # validate's justification rule (pdsgen.validate.justification)
        from pdsgen.validate.justification import justification_findings

        out.extend(justification_findings(matrix if matrix is not None else col, flags, name=f.name,
                                          field_no=field_no, obj=obj, ctx=ctx, fmt=f"{kind} {text}", level=level))
    shape = _SPECIFIER.get(conv)
    decimals = prec is not None and conv in "feE"
    if decimals and prec is not None and joined is not None and fieldtypes.joined_match(
            joined if joined.ndim == 2 else joined.reshape(-1, 1), _shaped_decimals(prec, conv, strict)):
        shape = None  # one whole-column match: every value has the conversion's shape and decimals
        decimals = False
    if shape is not None and not (valid_type and (f.data_type, conv) in _IMPLIED):
        report(~_all_match(col, joined, shape), "field_value_format_specifier_mismatch",
               f"does not match the %{conv} conversion")
    if width is not None and not (matrix is not None and matrix.shape[1] <= width):
        report(_trimmed_lengths(col, matrix) > width, "field_value_too_long", f"is longer than {width} characters")
    if decimals and prec is not None:
        report(~_all_match(col, joined, _decimals_pattern(prec, strict)), "field_value_format_precision_mismatch",
               f"does not have {'' if strict else 'at most '}{prec} digit(s) after the point")


def _parse_numbers(matrix: ByteMatrix, ok: RowMask, data_type: str) -> Numbers | None:
    """Numbers of a fixed-width text column (rows not ok or blank become 0), with the blank
    rows when they are known already (a direct parse succeeds only when there are none).

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
            # (a blank value, all blanks or NULs, is no number: parsed, none is blank)
            return m.view(f"S{width}").ravel().astype(np.float64), np.zeros(len(m), dtype=bool)
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


#: tables bigger than this are read and checked in blocks of records (bounded memory)
BLOCK_BYTES = 256 << 20


def read_block(path: str | os.PathLike[str], offset: int, count: int) -> npt.NDArray[np.uint8]:
    """`count` bytes of `path` from `offset` (fewer at the end of the file) as a uint8 array:
    one unbuffered open and read into the array, cheaper than ``np.fromfile`` for the small
    blocks most tables are."""
    out = np.empty(count, dtype=np.uint8)
    view = memoryview(out.data)
    got = 0
    with open(path, "rb", buffering=0) as fh:
        fh.seek(offset)
        while got < count:
            n = fh.readinto(view[got:])
            if not n:
                break
            got += n
    return out[:got]


def _run_tasks(run: Callable[[_Task], list[Finding]], tasks: Sequence[_Task], nbytes: int, ctx: Ctx) -> list[Finding]:
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


def _dtype_of(data_type: str) -> np.dtype[np.generic] | None:
    from pdsgen.data import types

    if data_type not in types.BINARY_TYPES:  # character types (the registry's miss builds a message)
        return None
    return types.binary_type(data_type).dtype


def _binary_column_checks(out: list[Finding], col: ByteMatrix, f: Field, lim: FieldLimits, ctx: Ctx, *, field_no: int,
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
    usable = np.ones(len(values), bool)
    if values.dtype.kind == "f":
        # validate reads the value as text (Java's "NaN", "Infinity", "-Infinity"), which
        # checkSpecialMinMax cannot cast to a number (NumberUtils.isCreatable): an error and no
        # range or special-constant comparison, a NaN special constant included
        usable = np.isfinite(values)
        if not usable.all():
            _report(out, ~usable, "error.table.field_value_not_a_number",
                    lambda i: f"field {f.name!r} value {values[i]} is not a number to compare with the "
                              "field's minimum/maximum", ctx, field=field_no, obj=obj)
    _range_checks(out, values, usable, lim, ctx, kind="table", field=field_no, name=repr(f.name), obj=obj)
