"""PDS3 label and content checks, on top of the shared PDS3 parser (`pdsgen.pds3`).

ODL syntax (the parser's `LabelError` with line/column), required keywords of the label
and of each object, pointers resolving to existing files, RECORD_BYTES × FILE_RECORDS
against the file size for FIXED_LENGTH files, COLUMNs inside ROW_BYTES and not
overlapping, and ASCII values against DATA_TYPE (the same column checks as PDS4 tables,
`pdsgen.validate.content`). PDS3 has no validate message vocabulary of its own here, so the
types follow validate's PDS4 names where the condition is the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from pdsgen.errors import PdsgenError
from pdsgen.validate.findings import Finding

if TYPE_CHECKING:
    from pvl.collections import PVLGroup, PVLModule, PVLObject

    from pdsgen.model import DataObject
    from pdsgen.validate.results import Options, ProductResult

#: a PDS3 label or one of its OBJECT/GROUP blocks (pvl's mappings; pvl ships no type information)
_Block: TypeAlias = "PVLModule | PVLObject | PVLGroup"

REQUIRED_LABEL = ("PDS_VERSION_ID", "RECORD_TYPE")
ADVISORY = {"INTERCHANGE_FORMAT"}
REQUIRED_OBJECT = {
    "TABLE": ("INTERCHANGE_FORMAT", "ROWS", "COLUMNS", "ROW_BYTES"),
    "INDEX_TABLE": ("INTERCHANGE_FORMAT", "ROWS", "COLUMNS", "ROW_BYTES"),
    "SERIES": ("INTERCHANGE_FORMAT", "ROWS", "COLUMNS", "ROW_BYTES"),
    "SPECTRUM": ("INTERCHANGE_FORMAT", "ROWS", "COLUMNS", "ROW_BYTES"),
    "SPREADSHEET": ("ROWS", "FIELDS", "ROW_BYTES", "FIELD_DELIMITER"),
    "IMAGE": ("LINES", "LINE_SAMPLES", "SAMPLE_BITS", "SAMPLE_TYPE"),
    "COLUMN": ("NAME", "DATA_TYPE", "START_BYTE", "BYTES"),
    "FIELD": ("NAME", "DATA_TYPE", "BYTES"),
    "BIT_COLUMN": ("NAME", "BIT_DATA_TYPE", "START_BIT", "BITS"),
}


def _keys(obj: Any) -> set[str]:
    return {str(k).upper() for k in obj.keys()} if hasattr(obj, "keys") else set()


def _objects(module: _Block, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, PVLObject]]:
    """(path, kind, block) of every OBJECT block, depth first."""
    from pvl.collections import PVLGroup, PVLObject

    for key, value in module.items():
        if isinstance(value, PVLObject):
            yield (*path, key), str(key).upper(), value
            yield from _objects(value, (*path, key))
        elif isinstance(value, PVLGroup):
            yield from _objects(value, (*path, key))


def validate_pds3(p: Path, opts: Options) -> ProductResult:
    from pdsgen.validate.results import ProductResult

    file = str(p)
    res = ProductResult(file, standard="PDS3")
    try:
        from pdsgen.pds3.label import load

        label = load(p, strict=True)
    except PdsgenError as exc:
        res.findings.append(Finding("error.label.syntax", getattr(exc, "message", str(exc)), file=file,
                                    line=getattr(exc, "line", None), column=getattr(exc, "column", None)))
        return res
    except (OSError, ValueError) as exc:
        res.findings.append(Finding("error.label.syntax", str(exc), file=file))
        return res
    keys = _keys(label)
    for k in REQUIRED_LABEL:
        if k not in keys:
            res.findings.append(Finding("error.label.missing_keyword", f"required keyword {k} is missing", file=file))
    res.findings += _absurd_values(label, file)
    res.lid = str(label.get("PRODUCT_ID")) if label.get("PRODUCT_ID") else None
    res.product_class = "PDS3"
    for opath, kind, block in _objects(label):
        required = REQUIRED_OBJECT.get(kind) or REQUIRED_OBJECT.get(kind.rsplit("_", 1)[-1])
        bkeys = _keys(block)
        for k in required or ():
            if k not in bkeys:
                # keywords the data cannot be read without are errors; INTERCHANGE_FORMAT,
                # often omitted by real archives and implied by DATA_TYPEs, a warning
                kind = "warning" if k in ADVISORY else "error"
                res.findings.append(Finding(f"{kind}.label.missing_keyword",
                                            f"OBJECT {'/'.join(map(str, opath))}: required keyword {k} is missing",
                                            file=file))
        where = "/".join(map(str, opath))
        res.findings += _numbers(block, where, file)
        if kind.endswith("TABLE") or kind in ("SERIES", "SPECTRUM"):
            res.findings += _columns(block, where, file)
            res.findings += _count(block, "COLUMNS", "COLUMN", where, file)
        elif kind == "SPREADSHEET":
            res.findings += _count(block, "FIELDS", "FIELD", where, file)
    res.findings += _pointers(label, p, opts)
    if opts.content and not any(f.is_error for f in res.findings):
        seen = {(f.type, f.message) for f in res.findings}  # a refused pointer is reported once
        res.findings += [f for f in _content(p, opts) if (f.type, f.message) not in seen]
    return res


_LONG_YEAR = re.compile(r"^\s*[+-]?\d{5,}-")


def _absurd_values(label: PVLModule, file: str) -> list[Finding]:
    """Values no PDS3 keyword can hold: numbers beyond a double (``1e999999`` reads as
    infinity), and dates/times whose year has more than four digits (left as text by the
    parser, so nothing else notices)."""
    import math

    out: list[Finding] = []
    stack: list[tuple[tuple[str, ...], Any]] = [((), label)]
    while stack:
        where, block = stack.pop()
        for key, value in block.items():
            k = str(key)
            if hasattr(value, "items"):
                stack.append(((*where, k), value))
                continue
            values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
            for v in values:
                v = getattr(v, "value", v)
                name = "/".join((*where, k))
                if isinstance(v, float) and not math.isfinite(v):
                    out.append(Finding("error.validation.invalid_field_value",
                                       f"{name}: a number out of range (it reads as {v})", file=file))
                elif isinstance(v, str) and k.upper().endswith(("_TIME", "_DATE")) and _LONG_YEAR.match(v):
                    out.append(Finding("error.validation.invalid_field_value",
                                       f"{name}: {v!r} is not a date/time (a year has four digits)", file=file))
    return out


def _int(v: Any) -> int | None:  # a pvl value, a Quantity included (pvl ships no type information)
    try:
        return int(getattr(v, "value", v))
    except (TypeError, ValueError, OverflowError):  # text, or 1e999999 (infinity)
        return None


#: keywords that count or measure bytes, items or records: never negative (START_BYTE and
#: the like count from 1)
NON_NEGATIVE = ("ROWS", "ROW_BYTES", "ROW_PREFIX_BYTES", "ROW_SUFFIX_BYTES", "COLUMNS", "FIELDS", "BYTES",
                "ITEMS", "ITEM_BYTES", "ITEM_OFFSET", "REPETITIONS", "LINES", "LINE_SAMPLES", "BANDS",
                "SAMPLE_BITS", "LINE_PREFIX_BYTES", "LINE_SUFFIX_BYTES", "RECORD_BYTES", "FILE_RECORDS",
                "BITS", "AXES")
POSITIVE = ("START_BYTE", "START_BIT", "COLUMN_NUMBER", "FIELD_NUMBER")


def _numbers(block: PVLObject, where: str, file: str) -> list[Finding]:
    """Counts and sizes of one OBJECT that no data can have (ROWS = -1, BYTES = -4)."""
    out = []
    for key, value in block.items():
        k = str(key).upper()
        if k not in NON_NEGATIVE and k not in POSITIVE:
            continue
        n = _int(value)
        if n is None:
            continue
        low = 1 if k in POSITIVE else 0
        if n < low:
            out.append(Finding("error.label.table_definition_problem" if k not in ("LINES", "LINE_SAMPLES", "BANDS",
                                                                                     "SAMPLE_BITS", "AXES")
                               else "error.label.invalid_object_definition",
                               f"{where}: {k} = {n} (must be {'at least 1' if low else 'zero or more'})",
                               file=file))
    return out


def _count(block: PVLObject, keyword: str, member: str, where: str, file: str) -> list[Finding]:
    """COLUMNS (FIELDS) must count the table's COLUMN (FIELD) objects. Tables whose
    columns come from a ^STRUCTURE file are left to the reader."""
    declared = _int(block.get(keyword))
    if declared is None or any(str(k).upper().endswith("STRUCTURE") for k in block.keys()):
        return []
    direct = sum(1 for k, v in block.items() if str(k).upper() == member and hasattr(v, "get"))
    nested = sum(1 for _p, kind, _b in _objects(block) if kind == member)
    if declared in (direct, nested):
        return []
    return [Finding("error.label.table_definition_problem",
                    f"{where}: {keyword} = {declared} but the object holds {direct} {member} object(s)", file=file)]


def _columns(table: PVLObject, where: str, file: str) -> list[Finding]:
    """COLUMNs inside ROW_BYTES (PDS3 START_BYTE is 1-based) and not overlapping."""
    out = []
    row_bytes = _int(table.get("ROW_BYTES"))
    spans = []
    for key, col in table.items():
        if str(key).upper() != "COLUMN" or not hasattr(col, "get"):
            continue
        start, nbytes = _int(col.get("START_BYTE")), _int(col.get("BYTES"))
        items = _int(col.get("ITEMS")) or 1
        item_bytes = _int(col.get("ITEM_BYTES")) or (nbytes // items if nbytes and items else nbytes)
        offset = _int(col.get("ITEM_OFFSET")) or item_bytes or 0
        if start is None or nbytes is None:
            continue
        end = start - 1 + (offset * (items - 1) + item_bytes if items > 1 and item_bytes else nbytes)
        name = str(col.get("NAME"))
        spans.append((start - 1, end, name))
        if row_bytes is not None and end > row_bytes:
            out.append(Finding("error.label.table_definition_problem",
                               f"{where}: COLUMN {name!r} (bytes {start}..{end}) extends past ROW_BYTES {row_bytes}",
                               file=file))
    spans.sort()
    for (s0, e0, n0), (s1, _e1, n1) in zip(spans, spans[1:], strict=False):
        if s1 < e0:
            out.append(Finding("error.table.field_value_overlap",
                               f"{where}: COLUMN {n1!r} (starts at byte {s1 + 1}) overlaps COLUMN {n0!r} "
                               f"(bytes {s0 + 1}..{e0})", file=file))
    return out


def _pointers(label: PVLModule, p: Path, opts: Options) -> list[Finding]:
    """Pointers to files that exist; FIXED_LENGTH files sized RECORD_BYTES × FILE_RECORDS."""
    from pdsgen.pds3.pointers import parse_pointer
    from pdsgen.untrusted import ReferenceEscapeError

    out = []
    files: set[Path] = set()
    for key, value in label.items():
        k = str(key)
        if not k.startswith("^") or k.upper().endswith(("STRUCTURE", "DESCRIPTION", "CATALOG")):
            continue
        try:
            loc = parse_pointer(value, label=p, name=k)
        except ReferenceEscapeError as exc:
            out.append(Finding("error.validation.file_naming_problem", exc.message, file=str(p)))
            continue
        except PdsgenError as exc:
            out.append(Finding("error.label.missing_file", f"{k}: {getattr(exc, 'message', exc)}", file=str(p)))
            continue
        if loc.file is not None:
            if not loc.file.is_file():
                out.append(Finding("error.label.missing_file", f"{k} names {loc.file_name!r}, which does not exist",
                                   file=str(p)))
            else:
                files.add(loc.file)
    if not opts.content:
        return out
    rtype = str(label.get("RECORD_TYPE", "")).upper()
    rbytes, nrec = _int(label.get("RECORD_BYTES")), _int(label.get("FILE_RECORDS"))
    if rtype == "FIXED_LENGTH" and rbytes and nrec:
        expected = rbytes * nrec
        targets = files or {p}
        for f in targets:
            attached = f == p
            size = f.stat().st_size
            if (attached and size < expected) or (not attached and size != expected):
                out.append(Finding("error.label.filesize_mismatch",
                                   f"RECORD_BYTES {rbytes} × FILE_RECORDS {nrec} = {expected} bytes, "
                                   f"{f.name!r} has {size}", file=str(p)))
    return out


def _content(p: Path, opts: Options) -> list[Finding]:
    """Column values through the shared PDS3 reader's object descriptions."""
    from pdsgen.errors import PdsgenError as _E
    from pdsgen.untrusted import ReferenceEscapeError
    from pdsgen.validate.content import Ctx, check_object, reading_findings

    try:
        import pdsgen

        product = pdsgen.open(p)
    except ReferenceEscapeError as exc:
        return [Finding("error.validation.file_naming_problem", exc.message, file=str(p))]
    except _E as exc:
        return [Finding("error.label.syntax", getattr(exc, "message", str(exc)), file=str(p))]
    out = []
    ctx = Ctx(str(p), max_reported=opts.max_reported, threads=1)
    from pdsgen.errors import UnsupportedError

    for obj in product.objects:
        if obj.layout not in ("fixed_character", "fixed_binary", "delimited", "array") or obj.error is not None:
            out += reading_findings(obj)  # (check_object reports them for the others)
        if isinstance(obj.error, UnsupportedError) or (obj.error is None and obj.kind == "other"):
            # encoded documents and images (JPEG, PDF ...): outside pdsgen's scope, said so
            why = getattr(obj.error, "message", None) or f"{obj.label_type} content"
            out.append(Finding("info.validation.not_checked", f"{obj.name}: {why}: not checked by pdsgen",
                               file=str(p)))
            continue
        if isinstance(obj.error, ReferenceEscapeError):
            out.append(Finding("error.validation.file_naming_problem", f"{obj.name}: {obj.error.message}",
                               file=str(p)))
            continue
        if obj.error is not None:
            out.append(Finding("error.label.invalid_object_definition",
                               f"{obj.name}: {getattr(obj.error, 'message', obj.error)}", file=str(p)))
            continue
        if obj.layout not in ("fixed_character", "fixed_binary", "delimited", "array"):
            continue
        if obj.layout == "delimited":
            out += _last_record_end(obj, str(p))
        try:
            out += check_object(obj, None, ctx)
        except Exception as exc:  # noqa: BLE001 - a reader quirk must not stop the run
            out.append(Finding("error.validation.internal_error", f"{obj.name}: {type(exc).__name__}: {exc}",
                               file=str(p)))
    return out


def _last_record_end(obj: DataObject, file: str) -> list[Finding]:
    """A SPREADSHEET's last record ends with its delimiter like every other (a file that
    lost its last byte or bytes reads the same values otherwise, so only this says so)."""
    try:
        size = obj.file.stat().st_size
        end = obj.offset + obj.size if obj.size is not None else size
        if end <= obj.offset or end > size:
            return []
        with open(obj.file, "rb") as fh:
            fh.seek(end - 2 if end - obj.offset >= 2 else obj.offset)
            tail = fh.read(2)
    except OSError as exc:
        return [Finding("error.table.bad_file_read", f"{obj.name}: {obj.file.name!r} cannot be read "
                        f"({exc.strerror or exc})", file=file)]
    if tail.endswith(b"\r\n"):
        return []
    return [Finding("error.table.missing_CRLF",
                    f"{obj.name}: the last record of {obj.file.name!r} does not end with CR LF "
                    f"(the file ends with {tail[-1:]!r}: truncated?)", file=file)]
