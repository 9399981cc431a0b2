"""PDS3 label and content checks, on top of the shared PDS3 parser (`pdsgen.pds3`).

ODL syntax (the parser's `LabelError` with line/column), required keywords of the label
and of each object, pointers resolving to existing files, RECORD_BYTES × FILE_RECORDS
against the file size for FIXED_LENGTH files, COLUMNs inside ROW_BYTES and not
overlapping, and ASCII values against DATA_TYPE (the same column checks as PDS4 tables,
`pdsgen.validate.content`). PDS3 has no validate message vocabulary of its own here, so the
types follow validate's PDS4 names where the condition is the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pdsgen.errors import PdsgenError
from pdsgen.validate.findings import Finding

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


def _objects(module: Any, path: tuple[str, ...] = ()):
    """(path, kind, block) of every OBJECT block, depth first."""
    from pvl.collections import PVLGroup, PVLObject

    for key, value in module.items():
        if isinstance(value, PVLObject):
            yield (*path, key), str(key).upper(), value
            yield from _objects(value, (*path, key))
        elif isinstance(value, PVLGroup):
            yield from _objects(value, (*path, key))


def validate_pds3(p: Path, opts):
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
        if kind.endswith("TABLE") or kind in ("SERIES", "SPECTRUM"):
            res.findings += _columns(block, "/".join(map(str, opath)), file)
    res.findings += _pointers(label, p, opts)
    if opts.content and not any(f.is_error for f in res.findings):
        seen = {(f.type, f.message) for f in res.findings}  # a refused pointer is reported once
        res.findings += [f for f in _content(p, opts) if (f.type, f.message) not in seen]
    return res


def _int(v) -> int | None:
    try:
        return int(getattr(v, "value", v))
    except (TypeError, ValueError):
        return None


def _columns(table, where: str, file: str) -> list[Finding]:
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
        offset = _int(col.get("ITEM_OFFSET")) or item_bytes
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


def _pointers(label, p: Path, opts) -> list[Finding]:
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


def _content(p: Path, opts) -> list[Finding]:
    """Column values through the shared PDS3 reader's object descriptions."""
    from pdsgen.errors import PdsgenError as _E
    from pdsgen.untrusted import ReferenceEscapeError
    from pdsgen.validate.content import Ctx, check_object

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
        try:
            out += check_object(obj, None, ctx)
        except Exception as exc:  # noqa: BLE001 - a reader quirk must not stop the run
            out.append(Finding("error.validation.internal_error", f"{obj.name}: {type(exc).__name__}: {exc}",
                               file=str(p)))
    return out
