"""PDS3 label → `pdsgen.model.Product` with its data objects (read lazily by `pdsgen.data`).

Each ``^NAME`` pointer is paired with the ``OBJECT = NAME`` of the same name (the k-th
pointer of a name with the k-th object), the object's keywords are mapped onto the
shared model (`pdsgen.pds3.structure` for tables and arrays), and its bytes are read
by the shared readers. Objects that cannot be described still appear, with ``error``
set, so the product opens and says what is wrong when the data is asked for.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pvl.collections import PVLModule, PVLObject

from pdsgen.errors import LabelError, PdsgenError, UnsupportedError
from pdsgen.model import DataObject, Product, ReadWarning
from pdsgen.pds3 import structure
from pdsgen.pds3.label import read_label, upper_keywords
from pdsgen.pds3.parser import is_block
from pdsgen.pds3.pointers import Location, line_offset, parse_pointer, resolve_file
from pdsgen.registry import register_reader
from pdsgen.untrusted import ReferenceEscapeError

log = logging.getLogger(__name__)

_STRUCTURE_POINTER = re.compile(r"(?:\w+_)?STRUCTURE$")
_KEY_AT_START = re.compile(rb"\A(?:\s|/\*.*?\*/)*\^?[A-Za-z][A-Za-z0-9_:]*\s*=", re.S)
_SUFFIXES = {".lbl", ".fmt", ".pvl", ".cat", ".lab"}


def detect(path: Path, head: bytes) -> bool:
    """A PDS3 label: ODL keywords, not XML."""
    stripped = head.lstrip()
    if stripped.startswith(b"<") or head.startswith(b"SIMPLE  ="):  # XML, FITS
        return False
    if b"PDS_VERSION_ID" in head or b"ODL_VERSION_ID" in head:
        return True
    if path.suffix.lower() in _SUFFIXES:
        return True
    return _KEY_AT_START.match(head) is not None and b"END" in head.upper()


@dataclass(frozen=True)
class _FileContext:
    """Record layout of the file the pointers of one label level refer to."""

    label: Path
    file: Path  # the file pointers without a file name refer to
    record_bytes: int | None
    record_type: str | None
    label_end_byte: int | None


def _ensure_readers() -> None:
    """Register the PDS3-only element types and the prefixed-image layout (once)."""
    global _READERS_READY
    if _READERS_READY:
        return
    import pdsgen.data as data
    import pdsgen.data.pds3_types  # noqa: F401  (registers VAX/IBM reals, booleans)
    from pdsgen.data.pds3_image import read_image
    from pdsgen.data.pds3_qube import read_qube
    from pdsgen.data.pds3_spreadsheet import read_spreadsheet

    data.register_layout("pds3_image", read_image, priority=10)
    data.register_layout("pds3_qube", read_qube, priority=10)
    # Same reader for every delimited object; only PDS3 spreadsheets (details
    # short_records = "mask") take the short-record path, the rest go to read_delimited.
    data.register_layout("delimited", read_spreadsheet, priority=10)
    _READERS_READY = True


_READERS_READY = False


def open_pds3(path: Path) -> Product:
    """Open a PDS3 label (detached or attached) as a `Product`."""
    _ensure_readers()
    path = Path(path)
    module, text = read_label(path, strict=True, lenient_ends=True)  # reading is lenient
    mismatches = getattr(module, "end_name_mismatches", ())
    module = upper_keywords(module)
    if not len(module):
        raise LabelError("no keywords: not a PDS3 label (an empty or comment-only file)", path=str(path))
    kw = structure.keywords(module)  # (pvl's get is slow)
    ctx = _FileContext(
        label=path,
        file=path,
        record_bytes=_int_or_none(kw.get("RECORD_BYTES")),
        record_type=_str_or_none(kw.get("RECORD_TYPE")),
        label_end_byte=text.end_byte,
    )
    objects: list[DataObject] = []
    _collect(module, ctx, objects)
    _bound_headers(objects)
    label_warnings = [
        ReadWarning(f"END_OBJECT/END_GROUP = {written} closes the block {opened!r}: the names differ (read as "
                    "the end of that block)", file=str(path), object=opened, value=written, code="end_name_mismatch")
        for opened, written in mismatches]
    return Product(
        standard="PDS3",
        path=path,
        label=module,
        objects=objects,
        product_id=_str_or_none(kw.get("PRODUCT_ID")),
        data_set_id=_join(kw.get("DATA_SET_ID")),
        product_class=_str_or_none(kw.get("PRODUCT_TYPE")) or _main_object_type(objects),
        product_type=_str_or_none(kw.get("PRODUCT_TYPE")),
        title=_str_or_none(kw.get("PRODUCT_NAME")),
        start_time=_time_text(kw.get("START_TIME")),
        stop_time=_time_text(kw.get("STOP_TIME")),
        instrument=_join(kw.get("INSTRUMENT_ID") or kw.get("INSTRUMENT_NAME")),
        information_model_version=_str_or_none(kw.get("PDS_VERSION_ID")),
        extra={
            "record_type": ctx.record_type,
            "record_bytes": ctx.record_bytes,
            "file_records": _int_or_none(kw.get("FILE_RECORDS")),
            "label_records": _int_or_none(kw.get("LABEL_RECORDS")),
            "label_end_byte": text.end_byte,
            "label_repaired": text.repaired,
            "mission": _join(kw.get("MISSION_NAME")),
            "target": _join(kw.get("TARGET_NAME")),
            "instrument_host": _join(kw.get("INSTRUMENT_HOST_ID") or kw.get("INSTRUMENT_HOST_NAME")),
        },
        label_warnings=label_warnings,
    )


def _collect(agg: PVLModule | PVLObject, ctx: _FileContext, out: list[DataObject]) -> None:
    """Data objects of one label level (the label, or a FILE object inside it)."""
    pointers: dict[str, list[Any]] = {}
    for key, value in agg:  # (a pvl block iterates its (key, value) pairs; .items() is slower)
        if isinstance(key, str) and key.startswith("^"):
            name = key[1:]
            if not _STRUCTURE_POINTER.fullmatch(name):
                pointers.setdefault(name, []).append(value)
    seen: dict[str, int] = {}
    orphans = _orphan_pointers(agg, pointers)
    for key, value in agg:
        if not is_block(value, PVLObject):
            continue
        if key == "FILE" or (isinstance(key, str) and key.endswith(("COMPRESSED_FILE", "UNCOMPRESSED_FILE"))):
            # OBJECT = FILE, and HiRISE/MOC-style COMPRESSED_FILE / UNCOMPRESSED_FILE blocks
            out_ctx = _file_object_context(value, ctx)
            _collect(value, out_ctx, out)
            continue
        k = seen.get(key, 0)
        seen[key] = k + 1
        values = pointers.get(key, [])
        pointer = values[k] if k < len(values) else None
        stand_in = orphans.get(key) if pointer is None and k == 0 else None
        if stand_in is not None:
            pointer = pointers[stand_in][0]
        obj = _object(key, value, pointer, ctx)
        if obj is not None:
            if stand_in is not None:
                obj.warn(f"no ^{key} pointer: ^{stand_in} (no object of that name) is taken as its pointer",
                         file=ctx.label, code="pointer_name_mismatch")
            out.append(obj)
            out.extend(obj.details.pop("extra_objects", []))  # e.g. a QUBE's suffix planes


def _orphan_pointers(agg: PVLModule | PVLObject, pointers: dict[str, list[Any]]) -> dict[str, str]:
    """Objects without a pointer of their name → the one pointer without an object of its
    name that names the same thing (``OBJECT = SPECTRAL_QUBE`` with ``^QUBE``, as Cassini
    VIMS labels have it): one name ends with ``_`` + the other. Ambiguous pairs are left."""
    objects = {k for k, v in agg if is_block(v, PVLObject) and isinstance(k, str)
               and structure.object_kind(k, v) not in ("other", "text")}
    named = {k for k, v in agg if is_block(v, PVLObject)}
    free = [p for p in pointers if p not in named and len(pointers[p]) == 1]
    out: dict[str, str] = {}
    for name in objects - set(pointers):
        hits = [p for p in free if name.endswith(f"_{p}") or p.endswith(f"_{name}")]
        if len(hits) == 1:
            out[name] = hits[0]
    if len(set(out.values())) != len(out):  # one pointer claimed by two objects: neither
        counts = {p: list(out.values()).count(p) for p in out.values()}
        out = {k: p for k, p in out.items() if counts[p] == 1}
    return out


def _bound_headers(objects: list[DataObject]) -> None:
    """A HEADER without BYTES or RECORDS (MSL/MER ``IMAGE_HEADER``s) ends where the next
    object of its file starts, not at the end of the file."""
    for obj in objects:
        if obj.kind != "header" or obj.size is not None or obj.error is not None:
            continue
        after = [o.offset for o in objects if o.file == obj.file and o.offset > obj.offset]
        if after:
            obj.size = min(after) - obj.offset


def _file_object_context(fobj: PVLObject, ctx: _FileContext) -> _FileContext:
    name = fobj.get("FILE_NAME")
    file = ctx.file
    if isinstance(name, str):
        try:
            file = resolve_file(ctx.label, name, "FILE_NAME")
        except ReferenceEscapeError:
            raise  # never a fallback outside the label's folder
        except LabelError:
            file = ctx.file if Path(name).name.lower() == ctx.label.name.lower() else ctx.label.parent / name
    return _FileContext(
        label=ctx.label,
        file=file,
        record_bytes=_int_or_none(fobj.get("RECORD_BYTES")) or ctx.record_bytes,
        record_type=_str_or_none(fobj.get("RECORD_TYPE")) or ctx.record_type,
        label_end_byte=ctx.label_end_byte if file == ctx.label else None,
    )


def _object(name: str, definition: PVLObject, pointer: Any, ctx: _FileContext) -> DataObject | None:
    kind = structure.object_kind(name, definition)
    if pointer is None and kind != "text":
        return None  # a description (e.g. IMAGE_MAP_PROJECTION), not data
    description = _str_or_none(definition.get("DESCRIPTION"))
    try:
        file, offset = _where(name, pointer, ctx, kind)
        obj = DataObject(name=name, kind="other", layout="other", file=file, offset=offset,
                         label_type=name, description=description)
        obj.details["pointer"] = pointer
        obj.details["label"] = ctx.label
        if pointer is not None and isinstance(pointer, str):
            obj.details["whole_file"] = True  # ^NAME = "FILE": the object is the whole file
        structure.describe(obj, definition, kind, ctx.record_bytes, ctx.label)
        if (ctx.record_type or "").upper() == "VARIABLE_LENGTH" and obj.kind in ("table", "array") \
                and obj.layout not in ("fixed_character", "delimited"):
            # Standards Reference chapter 15 (Record formats): VARIABLE_LENGTH records each
            # begin with a 2-byte LSB count of their bytes and are padded to an even length
            # (VAX/VMS). Binary rows or samples read at ROW_BYTES steps would run through the
            # counts (silently wrong values); PDS4 has no record with such counts either.
            raise UnsupportedError("RECORD_TYPE = VARIABLE_LENGTH: binary records carry 2-byte length "
                                   "prefixes (PDS3 Standards Reference ch. 15); they are not read",
                                   path=str(ctx.label), obj=name)
        if kind == "text" and obj.layout == "text" and obj.size is None and file == ctx.label:
            obj.details["attached"] = True
        return obj
    except PdsgenError as exc:
        if pointer is None and kind == "text" and isinstance(exc, LabelError):
            return None
        log.debug("%s: object %s cannot be described: %s", ctx.label, name, exc)
        return DataObject(name=name, kind="other", layout="other", file=ctx.file, offset=0,
                          label_type=name, description=description, error=exc)


def _where(name: str, pointer: Any, ctx: _FileContext, kind: str) -> tuple[Path, int]:
    if pointer is None:
        # A document attached after the label with no pointer (e.g. ASCII_DOCUMENT labels).
        if ctx.label_end_byte is None or ctx.file != ctx.label:
            raise LabelError("no pointer and no attached text after END", path=str(ctx.label), obj=name)
        if ctx.label_end_byte >= os.path.getsize(ctx.label):
            raise LabelError("no pointer and nothing after END", path=str(ctx.label), obj=name)
        return ctx.label, ctx.label_end_byte
    loc: Location = parse_pointer(pointer, label=ctx.label, name=name)
    file = loc.file or ctx.file
    if loc.byte is not None:
        return file, loc.byte - 1
    if loc.record is None:
        return file, 0
    # STREAM (and VARIABLE_LENGTH, whose text records are its lines): the n-th record is
    # the n-th line (Standards Reference ch. 15), not (n - 1) × RECORD_BYTES.
    stream = (ctx.record_type or "").upper() in ("STREAM", "VARIABLE_LENGTH")
    if ctx.record_bytes and not stream:
        return file, (loc.record - 1) * ctx.record_bytes
    if stream or not ctx.record_bytes:
        return file, line_offset(file, loc.record)
    raise UnsupportedError("record pointer without RECORD_BYTES", path=str(ctx.label), obj=name)


def _main_object_type(objects: list[DataObject]) -> str | None:
    """The ODL name of the product's main object: the first table or array, else the first."""
    for obj in objects:
        if obj.kind in ("table", "array"):
            return obj.label_type
    return objects[0].label_type if objects else None


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return None
    return str(value)


def _join(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _int_or_none(value: Any) -> int | None:
    if hasattr(value, "units"):
        value = value.value
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int) else None


def _time_text(value: Any) -> str | None:
    """Label times as ISO text (UTC 'Z' when pvl gave a UTC time zone)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is not None and offset:
            return value.isoformat()
        text = value.replace(tzinfo=None).isoformat(timespec="milliseconds" if value.microsecond else "seconds")
        return text + "Z" if offset is not None else text
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


register_reader("PDS3", detect, open_pds3, priority=10)

__all__ = ["detect", "open_pds3"]
