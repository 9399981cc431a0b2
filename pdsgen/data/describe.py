"""A product described for people: `summary` (a JSON-ready dict of identification, times
and objects with fields, min/max, first records and reading warnings) and `print_summary`
(the tables ``pdsgen inspect`` and `Product.info()` print).

Built from the shared model only (`pdsgen.model`), so any reader registered with
`pdsgen.open` gets the same view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pdsgen.model import DataObject, Product, ReadWarning

PREVIEW_ROWS = 5


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ma.core.MaskedConstant):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip()
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace").strip()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, complex):
        return [value.real, value.imag]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()] if value.dtype.kind not in "SU" else \
            [_jsonable(v) for v in value.ravel()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, str) or value is None or isinstance(value, (int, float, bool)):
        return value
    return str(value)


def _table_stats(values: dict[str, Any], names: list[str]) -> list[dict[str, Any] | None]:
    """Per field: min and max of the physical values (numbers, masked values left out)."""
    import numpy as np

    out: list[dict[str, Any] | None] = []
    for name in names:
        col = values[name]
        if col.dtype.kind not in "iuf" or col.size == 0 or (np.ma.isMaskedArray(col) and col.mask.all()):
            out.append(None)
            continue
        with np.errstate(all="ignore"):
            out.append({"min": _jsonable(np.ma.min(col)), "max": _jsonable(np.ma.max(col))})
    return out


def _preview(obj: DataObject, rows: int, with_stats: bool = True) -> dict[str, Any]:
    """First rows (tables: per field, with min/max; arrays: leading corner and statistics;
    text: first lines)."""
    import numpy as np

    from pdsgen.data import column_names, physical_data
    from pdsgen.data.io import ShortFileError
    from pdsgen.errors import PdsgenError

    try:
        if obj.kind == "table":
            head = _head(obj, rows)
            try:
                values = physical_data(head)
            except ShortFileError:
                if head is obj:
                    raise
                # fewer records than the preview: reading the whole (short) table is cheap,
                # and its error cites the label's own record count, not the preview's
                values = physical_data(obj)
            names = column_names(obj)
            first = {name: values[name][:rows] for name in names}
            out: dict[str, Any] = {
                "rows": [[_jsonable(first[n][i]) for n in names] for i in range(min(rows, obj.records or 0))]}
            if with_stats:
                out["stats"] = _table_stats(physical_data(obj), names)
            return out
        if obj.kind == "array":
            values = physical_data(obj)
            corner = values[tuple(slice(0, rows) for _ in values.shape)]
            stats = {}
            if values.dtype.kind in "iuf" and values.size:
                with np.errstate(all="ignore"):
                    stats = {"min": _jsonable(np.ma.min(values)), "max": _jsonable(np.ma.max(values)),
                             "mean": _jsonable(np.ma.mean(values))}
            return {"dtype": str(np.asarray(values).dtype), "corner": _jsonable(np.ma.filled(corner, 0)
                                                                              if np.ma.isMaskedArray(corner)
                                                                              else corner), **stats}
        if obj.kind in ("header", "text"):
            data = obj.data
            text = data.decode("latin-1") if isinstance(data, bytes) else data
            lines = [line.rstrip() for line in text.splitlines()[:rows]]
            if len(lines) == 1 and len(lines[0]) > 400:  # FITS headers have no line ends
                lines = [lines[0][i:i + 80].rstrip() for i in range(0, min(len(lines[0]), 80 * rows), 80)]
            return {"lines": lines, "bytes": len(data)}
    except PdsgenError as exc:
        return {"error": str(exc)}
    return {}


def _head(obj: DataObject, rows: int) -> DataObject:
    """The object cut to its first ``rows`` records, so a preview of a huge table reads
    only those (after checking the whole table fits in its file)."""
    import dataclasses

    from pdsgen.data.io import check_extent

    if obj.records is None or obj.records <= rows:
        return obj
    if obj.record_length and obj.layout in ("fixed_character", "fixed_binary"):
        check_extent(obj, obj.records * obj.record_length)
    return dataclasses.replace(obj, records=rows, size=None, _data=None)


def summary(product: Product, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """A JSON-ready description of a product and its objects. An object whose data cannot
    be read carries ``error``; one pdsgen does not read by design (kind ``other``) carries
    ``not_read``. ``rows=0`` reads no data at all."""
    from pdsgen.errors import UnsupportedError
    out: dict[str, Any] = {
        "path": str(product.path),
        "standard": product.standard,
        "product_class": product.product_class,
        "identifier": product.identifier,
        "lid": product.lid,
        "vid": product.vid,
        "product_id": product.product_id,
        "data_set_id": product.data_set_id,
        "title": product.title,
        "start_time": product.start_time,
        "stop_time": product.stop_time,
        "instrument": product.instrument,
        "information_model_version": product.information_model_version,
        "objects": [],
    }
    out = {k: v for k, v in out.items() if v is not None or k in ("standard", "objects")}
    for key, value in product.extra.items():  # e.g. processing_level, investigation
        if isinstance(value, (str, int, float)) and key not in out:
            out[key] = value
    for index, obj in enumerate(product.objects):
        entry: dict[str, Any] = {
            "index": index,
            "name": obj.name,
            "kind": obj.kind,
            "class": obj.label_type,
            "file": obj.file.name,
            "offset": obj.offset,
        }
        if obj.kind == "table":
            entry["records"] = obj.records
            entry["fields"] = [
                {k: v for k, v in {
                    "name": f.name, "type": f.data_type, "unit": f.unit,
                    "shape": list(f.shape) if f.shape else None,
                    "bits": [f.bits[0] + 1, f.bits[1] + 1] if f.bits else None,
                    "scaling_factor": f.scaling_factor, "value_offset": f.value_offset,
                }.items() if v is not None}
                for f in obj.fields
            ]
        elif obj.kind == "array":
            entry["shape"] = list(obj.shape)
            entry["axes"] = [a.name for a in obj.axes]
            entry["type"] = obj.element_type
            if obj.unit:
                entry["unit"] = obj.unit
        elif obj.size is not None:
            entry["bytes"] = obj.size
        if obj.error is not None and obj.kind == "other" and isinstance(obj.error, UnsupportedError):
            entry["not_read"] = str(obj.error)  # by design (documents, QUBE ...): not a failure
        elif obj.error is not None:
            entry["error"] = str(obj.error)
        elif rows > 0 and obj.kind != "other":
            entry.update(_preview(obj, rows))
            for f, st in zip(entry.get("fields", []), entry.pop("stats", []), strict=False):
                if st:
                    f.update(st)
        if obj.warnings:  # after the preview: reading can find some
            entry["warnings"] = [_warning_text(w) for w in obj.warnings]
        out["objects"].append(entry)
    if product.label_warnings:
        out["warnings"] = [str(w) for w in product.label_warnings]
    described: dict[str, Any] = _jsonable(out)
    return described


def _warning_text(w: ReadWarning) -> str:
    """A reading warning without the file and object (the entry already names them)."""
    where = [x for x in (f"field {w.field!r}" if w.field else "",
                         f"record {w.record}" if w.record is not None else "") if x]
    text = w.message + (f" (value {w.value!r})" if w.value is not None else "")
    return f"{', '.join(where)}: {text}" if where else text


def print_summary(info: dict[str, Any]) -> None:
    """Print a `summary` as `pdsgen inspect` does (also `Product.info()`)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(soft_wrap=False)
    head = Table.grid(padding=(0, 2))
    head.add_column(no_wrap=True)
    head.add_column(overflow="fold")
    for key in ("path", "standard", "product_class", "identifier", "title", "start_time", "stop_time",
                "instrument", "investigation", "processing_level", "information_model_version"):
        if info.get(key) is not None:
            head.add_row(Text(key.replace("_", " "), style="bold"), Text(str(info[key])))
    console.print(head)
    for warning in info.get("warnings", []):
        console.print(Text(f"warning: {warning}", style="yellow"))
    for obj in info["objects"]:
        shape = obj.get("records") if obj["kind"] == "table" else obj.get("shape", obj.get("bytes"))
        shape_text = f"{shape} records" if obj["kind"] == "table" else (
            "×".join(map(str, shape)) if isinstance(shape, list) else (f"{shape} bytes" if shape else ""))
        console.print()
        console.print(Text.assemble((f"[{obj['index']}] ", "bold"), (obj["name"], "bold cyan"),
                                    f"  {obj['kind']} ({obj['class']})  {shape_text}  {obj['file']}@{obj['offset']}"))
        if "error" in obj:
            console.print(Text(f"  error: {obj['error']}", style="red"))
        if "not_read" in obj:
            console.print(Text(f"  not read: {obj['not_read']}", style="dim"))
        for warning in obj.get("warnings", []):
            console.print(Text(f"  warning: {warning}", style="yellow"))
        if obj["kind"] == "table" and obj.get("fields"):
            console.print(_fields_table(obj["fields"]))
            if obj.get("rows"):
                console.print(_records_table(obj["fields"], obj["rows"], console.width))
        elif obj["kind"] == "array":
            console.print(f"  {obj.get('type')} axes {obj.get('axes')}" + (f" unit {obj['unit']}" if obj.get("unit")
                                                                          else ""))
            stats = {k: obj[k] for k in ("min", "max", "mean") if k in obj}
            if stats:
                console.print("  " + "  ".join(f"{k} {v:.6g}" if isinstance(v, float) else f"{k} {v}"
                                               for k, v in stats.items()))
        elif obj.get("lines"):
            for line in obj["lines"]:
                console.print(Text("  " + line, style="dim"))


def _fields_table(fields: list[dict[str, Any]]) -> Any:
    """One line per field: name, type, unit, min, max."""
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, header_style="bold", box=None, padding=(0, 2, 0, 0))
    for title in ("field", "type", "unit", "min", "max"):
        table.add_column(title, overflow="fold", max_width=28)
    for f in fields:
        label = f["name"] + (f"[{','.join(map(str, f['shape']))}]" if f.get("shape") else "")
        if f.get("bits"):
            label += f" (bits {f['bits'][0]}-{f['bits'][1]})"
        table.add_row(label, f["type"], f.get("unit") or "",
                      *(_cell(f[k]) if k in f else "" for k in ("min", "max")))
    return table


def _records_table(fields: list[dict[str, Any]], rows: list[list[Any]], width: int) -> Any:
    """The first records as rows, fields as columns: as many fields as fit in ``width``."""
    from rich.table import Table

    cells = [[_cell(row[i]) for row in rows] for i in range(len(fields))]
    widths = [min(max([len(f["name"])] + [len(c) for c in col]), 24) for f, col in zip(fields, cells, strict=True)]
    shown: list[int] = []
    used = 0
    for i, w in enumerate(widths):
        if shown and used + w + 2 > width - 12:  # keep room for the "+N fields" column
            break
        shown.append(i)
        used += w + 2
    table = Table(show_edge=False, pad_edge=False, header_style="bold", box=None, padding=(0, 2, 0, 0),
                  title_justify="left")
    for i in shown:
        table.add_column(fields[i]["name"], no_wrap=True, max_width=24, overflow="ellipsis",
                         justify="right" if fields[i]["type"] not in _TEXT_TYPES and "String" not in fields[i]["type"]
                         and "Date" not in fields[i]["type"] else "left")
    hidden = len(fields) - len(shown)
    if hidden:
        table.add_column(f"+{hidden} fields", no_wrap=True, style="dim")
    for r in range(len(rows)):
        table.add_row(*(cells[i][r] for i in shown), *(["…"] if hidden else []))
    return table


_TEXT_TYPES = ("ASCII_AnyURI", "ASCII_BibCode", "ASCII_DOI", "ASCII_LID", "ASCII_LIDVID", "ASCII_MD5_Checksum",
               "ASCII_Directory_Path_Name", "ASCII_File_Name", "ASCII_File_Specification_Name", "UTF8_Text_Preserved")


def _cell(value: Any) -> str:
    if isinstance(value, list):
        text = ", ".join(_cell(v) for v in value[:4]) + (", …" if len(value) > 4 else "")
        return f"[{text}]"
    if value is None:
        return "--"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)
