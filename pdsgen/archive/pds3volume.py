"""PDS3 volumes: PDS3 products packaged in the standard volume tree.

The PDS3 Standards Reference (chapter 19, "Volume Organization and Naming"; Appendix A,
the VOLUME, DATA_PRODUCER, CATALOG, TEXT and INDEX_TABLE objects) asks of an archive
volume: ``AAREADME.TXT`` and ``VOLDESC.CAT`` at the root, the data under ``DATA/``, an
``INDEX/`` folder with ``INDEX.TAB`` and its label ``INDEX.LBL``, ``CATALOG/`` for the
catalog files and ``DOCUMENT/`` for documents; names in the "27.3" form of ISO 9660 level 2
(upper case). `build_volume` makes one from a folder of PDS3 products:

- every product of ``src`` (a detached ``.LBL`` and the files its pointers name, or a file
  with an attached label) is hard-linked (or copied) to ``DATA/<its path under src>``;
  ``uppercase=True`` gives files and folders upper-case names and rewrites the labels'
  pointers to them (same length: attached labels keep their offsets);
- ``INDEX/INDEX.TAB``: one row per product (VOLUME_ID, DATA_SET_ID, FILE_SPECIFICATION_NAME,
  PRODUCT_ID, PRODUCT_CREATION_TIME, START_TIME, STOP_TIME from its label), fixed-width
  ASCII, character fields in double quotes and fields separated by commas, CRLF;
  ``INDEX/INDEX.LBL`` is rendered from the same `TableLayout` the rows were written with;
- ``VOLDESC.CAT`` (VOLUME with DATA_PRODUCER and CATALOG pointers), ``AAREADME.TXT``
  (attached stream label, ``^TEXT`` byte pointer solved to a fixed point);
- ``INDEX/CHECKSUM.TAB`` + ``CHECKSUM.LBL``: the MD5 of every other file of the volume.

Everything is written into a hidden staging folder beside ``out`` and renamed to ``out``
at the end; any failure removes the staging folder, so nothing half-made is left.
Bad input (a product without PRODUCT_ID, a name PDS3 forbids, two products at one
volume path, a path leading out of ``src``) is an `ArchiveInputError` / `LabelError`
naming the file, before anything is written.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.archive.labels import md5_file
from pdsgen.errors import LabelError
from pdsgen.untrusted import ReferenceEscapeError, inside, pds3_name_problem

DATA_DIR = "DATA"
#: folders of the volume's root pdsgen writes itself (a data folder may not take their names)
RESERVED_DIRS = ("INDEX", "CATALOG", "DOCUMENT")
#: ISO 9660 volume identifiers are up to 11 characters; PDS3 VOLUME_ID follows them
_VOLUME_ID = re.compile(r"[A-Z0-9_]{1,11}")
_VOLUME_SET_ID = re.compile(r"[A-Z0-9_]{1,60}")
#: catalog file top-level OBJECT → the VOLDESC.CAT CATALOG pointer naming it
CATALOG_POINTERS = {
    "MISSION": "MISSION_CATALOG",
    "INSTRUMENT_HOST": "INSTRUMENT_HOST_CATALOG",
    "INSTRUMENT": "INSTRUMENT_CATALOG",
    "DATA_SET": "DATA_SET_CATALOG",
    "DATA_SET_COLLECTION": "DATA_SET_COLLECTION_CATALOG",
    "REFERENCE": "REFERENCE_CATALOG",
    "PERSONNEL": "PERSONNEL_CATALOG",
    "TARGET": "TARGET_CATALOG",
    "SOFTWARE": "SOFTWARE_CATALOG",
    "DATA_SET_MAP_PROJECTION": "DATA_SET_MAP_PROJECTION_CATALOG",
}
#: INDEX.TAB columns: (name, PDS3 data type, quoted, description)
INDEX_COLUMNS = (
    ("VOLUME_ID", "CHARACTER", True, "The volume holding the product (VOLDESC.CAT VOLUME_ID)."),
    ("DATA_SET_ID", "CHARACTER", True, "The data set of the product, as its label gives it."),
    ("FILE_SPECIFICATION_NAME", "CHARACTER", True,
     "Path of the product's label from the root of the volume."),
    ("PRODUCT_ID", "CHARACTER", True, "The product's PRODUCT_ID, as its label gives it."),
    ("PRODUCT_CREATION_TIME", "TIME", False, "PRODUCT_CREATION_TIME of the label (UTC); N/A when not given."),
    ("START_TIME", "TIME", False, "START_TIME of the label (UTC); N/A when not given."),
    ("STOP_TIME", "TIME", False, "STOP_TIME of the label (UTC); N/A when not given."),
)
CHECKSUM_COLUMNS = (
    ("MD5_CHECKSUM", "CHARACTER", True, "MD5 checksum of the file, 32 lower-case hexadecimal digits."),
    ("FILE_SPECIFICATION_NAME", "CHARACTER", True, "Path of the file from the root of the volume."),
)
NOT_GIVEN = "N/A"


@dataclass(frozen=True)
class DataProducer:
    """The DATA_PRODUCER object of VOLDESC.CAT (all four keywords are required)."""

    full_name: str
    institution_name: str
    facility_name: str
    address_text: str


@dataclass
class VolumeInfo:
    """What VOLDESC.CAT says of the volume; names left None are made from the identifiers."""

    volume_id: str
    volume_set_id: str
    data_set_ids: tuple[str, ...]
    producer: DataProducer
    volume_name: str | None = None
    volume_set_name: str | None = None
    volume_series_name: str | None = None
    volume_version_id: str = "VERSION 1"
    volumes: int = 1
    medium_type: str = "ELECTRONIC"
    volume_format: str = "ISO-9660"
    description: str | None = None
    publication_date: str | None = None


@dataclass
class VolumeProduct:
    """One indexed product: its label's path in the volume and what INDEX.TAB says of it."""

    label: str
    product_id: str
    data_set_id: str
    product_creation_time: str
    start_time: str
    stop_time: str
    files: list[str] = field(default_factory=list)


@dataclass
class VolumeResult:
    root: Path
    volume_id: str
    products: list[VolumeProduct]
    files: int
    documents: int = 0
    catalogs: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ fixed-width tables
@dataclass
class TableColumn:
    name: str
    data_type: str
    quoted: bool
    description: str
    start_byte: int = 0  # 1-based, of the value (inside the quotes)
    bytes: int = 0
    not_applicable: str | None = None  # NOT_APPLICABLE_CONSTANT, when the column holds it


@dataclass
class TableLayout:
    columns: list[TableColumn]
    rows: int
    row_bytes: int


def fixed_table(specs: tuple[tuple[str, str, bool, str], ...], values: list[list[str]],
                *, where: str) -> tuple[bytes, TableLayout]:
    """A PDS3 fixed-width ASCII table: each column as wide as its longest value, quoted
    columns in double quotes, fields separated by commas, rows ending in CRLF; the
    `TableLayout` (START_BYTE, BYTES, ROW_BYTES) the label is rendered from. Padding and
    joining are numpy string operations over whole columns."""
    columns = []
    cells = []
    position = 1
    rows = len(values[0]) if values else 0
    for (name, data_type, quoted, description), column in zip(specs, values, strict=True):
        arr = np.asarray(column, dtype=str) if rows else np.zeros(0, dtype="U1")
        bad = [v for v in column if not v.isascii() or '"' in v or any(ch in v for ch in "\r\n\t")
               or (not quoted and "," in v)]
        if bad:
            raise ArchiveInputError(f"{name} value {bad[0]!r} cannot be written in a PDS3 ASCII table "
                                    "(non-ASCII, a double quote, a control character, or a comma in an "
                                    "unquoted field)", path=where)
        width = max(1, int(np.char.str_len(arr).max()) if rows else 1)
        padded = np.char.ljust(arr, width)
        if quoted:
            padded = np.char.add(np.char.add('"', padded), '"')
        columns.append(TableColumn(name, data_type, quoted, description, position + (1 if quoted else 0), width,
                                   NOT_GIVEN if data_type != "CHARACTER" and NOT_GIVEN in column else None))
        cells.append(padded)
        position += width + (2 if quoted else 0) + 1  # the comma (or, after the last, CR)
    row_bytes = position - 1 + 1  # the last field's comma position holds CR; LF follows
    if not rows:
        return b"", TableLayout(columns, 0, row_bytes)
    line = cells[0]
    for c in cells[1:]:
        line = np.char.add(np.char.add(line, ","), c)
    data = "\r\n".join(line.tolist()) + "\r\n"
    return data.encode("ascii"), TableLayout(columns, rows, row_bytes)


# ------------------------------------------------------------------ products of the source
@dataclass
class _Source:
    label: Path  # in the source
    product_id: str | None
    data_set_id: str | None
    times: tuple[str, str, str]
    files: list[Path]  # other files the label names (data, structure)
    pointer_names: list[str]  # the file names as the label writes them


def _time_text(value: Any) -> str:
    """A PDS3 time keyword as INDEX.TAB writes it: ISO UTC without invented digits; a date
    as written; N/A when the label gives none."""
    from pdsgen.times import iso_utc

    if value is None:
        return NOT_GIVEN
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or NOT_GIVEN


def _pointers(block: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) of every ^POINTER of a label, nested objects included."""
    for key, value in block.items():
        if str(key).startswith("^"):
            yield str(key)[1:], value
        elif hasattr(value, "items"):
            yield from _pointers(value)


def _read_source(label_path: Path, src: Path) -> _Source:
    """Identification, times and the files of one PDS3 product of ``src``."""
    from pdsgen.pds3 import load
    from pdsgen.pds3.pointers import find_format_file, parse_pointer

    label = load(label_path, strict=True)
    files: list[Path] = []
    names: list[str] = []
    for key, value in _pointers(label):
        if key.upper().endswith("STRUCTURE"):
            name = value if isinstance(value, str) else None
            found = find_format_file(label_path, name) if name else None
            if name and found is None:
                raise LabelError(f"^{key} names {name!r}, which is neither beside the label nor in a LABEL "
                                 "folder", path=str(label_path))
        else:
            loc = parse_pointer(value, label=label_path, name=key)
            found, name = loc.file, loc.file_name
        if found is None or name is None:
            continue  # attached: the object is in the label's own file
        if not inside(found, src):
            raise ReferenceEscapeError(f"^{key} {name!r} leads outside {src}", path=str(label_path),
                                       reference=name)
        if found not in files:
            files.append(found)
        names.append(name)

    def text(key: str) -> str | None:
        v = label.get(key)
        if v is None:
            return None
        if isinstance(v, list | tuple | set | frozenset):
            return ",".join(str(x).strip() for x in v)
        return str(v).strip() or None

    times = tuple(_time_text(label.get(k)) for k in ("PRODUCT_CREATION_TIME", "START_TIME", "STOP_TIME"))
    return _Source(label_path, text("PRODUCT_ID"), text("DATA_SET_ID"), times, files, names)  # type: ignore[arg-type]


def _is_attached_label(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return False
    return head.lstrip(b" \t\r\n").startswith((b"PDS_VERSION_ID", b"CCSD")) and b"PDS_VERSION_ID" in head


def _walk(src: Path) -> list[Path]:
    """Every file under ``src`` (hidden ones and symbolic links out of it skipped: refused)."""
    out = []
    for folder, dirs, names in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            p = Path(folder, name)
            if p.is_symlink() and not inside(p, src):
                raise ReferenceEscapeError("a symbolic link leading outside the source folder; not packaged",
                                           path=str(p), reference=name)
            if p.is_file():
                out.append(p)
    return out


def gather_products(src: Path) -> tuple[list[_Source], list[Path]]:
    """The products of ``src``: detached labels (``.LBL``) with the files they name, then
    files with attached labels; (products, every file). A file that is neither a label nor
    named by one is an `ArchiveInputError` (every file of a PDS3 volume is labelled)."""
    files = _walk(src)
    sources = [_read_source(p, src) for p in files if p.suffix.lower() == ".lbl"]
    named = {f for s in sources for f in s.files} | {s.label for s in sources}
    for p in files:
        if p in named:
            continue
        if not _is_attached_label(p):
            raise ArchiveInputError("not a PDS3 label, and no label names it (every file of a PDS3 volume "
                                    "is labelled)", path=str(p))
        sources.append(_read_source(p, src))
    return sources, files


# ------------------------------------------------------------------ naming
def _volume_path(prefix: str, rel: str, uppercase: bool, where: Path) -> str:
    target = f"{prefix}/{rel.upper() if uppercase else rel}"
    problem = pds3_name_problem(target)
    if problem is not None:
        hint = "; --uppercase renames files and folders (and rewrites the labels' pointers)" if (
            not uppercase and pds3_name_problem(f"{prefix}/{rel.upper()}") is None) else ""
        raise ArchiveInputError(f"{problem}{hint}", path=str(where))
    return target


_POINTER_LINE = re.compile(rb"^[ \t]*(?:\^|FILE_NAME\b)[^\r\n]*", re.MULTILINE)
_END_LINE = re.compile(rb"^[ \t]*END[ \t]*\r?$", re.MULTILINE)


def uppercase_pointers(label: bytes, names: list[str]) -> bytes:
    """The label with each quoted file name of its pointer (and FILE_NAME) lines that is one
    of ``names`` in upper case (the same length, so an attached label keeps its offsets). Only the
    label part (up to its END line) is touched."""
    end = _END_LINE.search(label)
    head, tail = (label[:end.end()], label[end.end():]) if end else (label, b"")
    wanted = {n.encode("ascii", "replace") for n in names}

    def line(m: re.Match[bytes]) -> bytes:
        return re.sub(rb'"([^"\r\n]*)"',
                      lambda q: b'"' + q.group(1).upper() + b'"' if q.group(1) in wanted else q.group(0),
                      m.group(0))

    return _POINTER_LINE.sub(line, head) + tail


# ------------------------------------------------------------------ building
def _check_info(info: VolumeInfo) -> None:
    if not _VOLUME_ID.fullmatch(info.volume_id):
        raise ArchiveInputError(f"--volume-id {info.volume_id!r} is not 1-11 characters of A-Z 0-9 _ "
                                "(PDS3 VOLUME_ID, an ISO 9660 volume identifier)")
    if not _VOLUME_SET_ID.fullmatch(info.volume_set_id):
        raise ArchiveInputError(f"--volume-set-id {info.volume_set_id!r} is not 1-60 characters of A-Z 0-9 _")
    if not info.data_set_ids:
        raise ArchiveInputError("no --data-set-id given")
    from pdsgen.render.escape import pds3_string

    for what, value in (("--data-set-id", v) for v in info.data_set_ids):
        pds3_string(value, what=what)
    for name in ("full_name", "institution_name", "facility_name", "address_text"):
        if not str(getattr(info.producer, name) or "").strip():
            raise ArchiveInputError(f"the data producer's {name.upper()} is empty (VOLDESC.CAT DATA_PRODUCER "
                                    "requires FULL_NAME, INSTITUTION_NAME, FACILITY_NAME and ADDRESS_TEXT)")


def _plan(src: Path, prefix: str, uppercase: bool) -> tuple[list[_Source], dict[str, tuple[Path, _Source | None]]]:
    """(products, volume path → (source file, the product whose label it is, or None))."""
    sources, files = gather_products(src)
    placed: dict[str, tuple[Path, _Source | None]] = {}
    labels = {s.label: s for s in sources}
    for p in files:
        rel = p.relative_to(src).as_posix()
        target = _volume_path(prefix, rel, uppercase, p)
        if target in placed:
            raise ArchiveInputError(f"two files would be {target} in the volume: {placed[target][0]} and {p}",
                                    path=str(src))
        placed[target] = (p, labels.get(p))
    return sources, placed


def _place(staging: Path, placed: dict[str, tuple[Path, _Source | None]], uppercase: bool, link: bool) -> None:
    for target, (p, source) in placed.items():
        dest = staging / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        if uppercase and source is not None and source.pointer_names:
            data = p.read_bytes()
            dest.write_bytes(uppercase_pointers(data, source.pointer_names))
            continue
        if link:
            try:
                os.link(p, dest)
                continue
            except OSError:
                pass  # another file system, or links not allowed: copy
        shutil.copyfile(p, dest)


def _render(template: str, context: dict[str, Any], templates: Any) -> str:
    from pdsgen.render import render_label

    return render_label(template, context, templates)


def _crlf(text: str) -> bytes:
    """Label/text lines ending in CR LF (PDS3), ASCII only."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def _wrapped(body: str, width: int = 78) -> str:
    """Paragraph lines wrapped to ``width``; lines starting with a blank kept as written."""
    out = []
    for line in body.split("\n"):
        if not line or line.startswith(" "):
            out.append(line.rstrip())
        else:
            out += textwrap.wrap(line, width=width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(out)


def _attached_text(label_template: str, context: dict[str, Any], body: bytes, templates: Any) -> bytes:
    """A stream file with an attached label whose ``^TEXT = n <BYTES>`` names the first
    byte of ``body``: the label's length depends on the pointer's digits, so iterate."""
    size = 0
    for _ in range(10):
        context["pointer"] = f"{size + 1} <BYTES>"
        label = _crlf(_render(label_template, context, templates))
        if len(label) == size:
            return label + body
        size = len(label)
    raise LabelError(f"the attached label from {label_template} did not reach a stable length")


def _tree(staging: Path, products: list[VolumeProduct]) -> list[dict[str, str]]:
    """AAREADME's table of the volume's organisation, from what is in it."""
    entries = [{"name": "AAREADME.TXT", "what": "this file"},
               {"name": "VOLDESC.CAT", "what": "description of the volume (VOLUME object)"}]
    if (staging / "CATALOG").is_dir():
        n = sum(1 for _ in (staging / "CATALOG").iterdir())
        entries.append({"name": "CATALOG/", "what": f"{n} catalog file(s)"})
    data = staging / DATA_DIR
    counts: dict[str, int] = {}
    for p in products:
        parts = p.label.split("/")
        key = "/".join(parts[:2]) + "/" if len(parts) > 2 else parts[0] + "/"
        counts[key] = counts.get(key, 0) + 1
    if data.is_dir():
        entries.append({"name": f"{DATA_DIR}/", "what": f"{len(products)} data product(s)"})
        for key in sorted(counts):
            if key != f"{DATA_DIR}/":
                entries.append({"name": "  " + key[len(DATA_DIR) + 1:], "what": f"{counts[key]} product(s)"})
    if (staging / "DOCUMENT").is_dir():
        entries.append({"name": "DOCUMENT/", "what": "documents"})
    entries += [{"name": "INDEX/", "what": "index and checksum tables"},
                {"name": "  INDEX.TAB", "what": "one row per data product"},
                {"name": "  INDEX.LBL", "what": "label of INDEX.TAB (INDEX_TABLE)"},
                {"name": "  CHECKSUM.TAB", "what": "MD5 of every other file of the volume"},
                {"name": "  CHECKSUM.LBL", "what": "label of CHECKSUM.TAB"}]
    return entries


def _catalogs(files: list[Path], uppercase: bool) -> tuple[dict[str, Path], list[tuple[str, list[str]]]]:
    """(CATALOG/<name> → source, VOLDESC.CAT pointers) of the catalog files."""
    from pdsgen.pds3 import load

    placed: dict[str, Path] = {}
    pointers: dict[str, list[str]] = {}
    for f in files:
        f = Path(f)
        if not f.is_file():
            raise ArchiveInputError("catalog file not found", path=str(f))
        name = f.name.upper() if uppercase else f.name
        target = _volume_path("CATALOG", name, uppercase, f)
        if target in placed:
            raise ArchiveInputError(f"two catalog files would be {target}: {placed[target]} and {f}", path=str(f))
        label = load(f, strict=True)
        kinds = [str(k).upper() for k, v in label.items() if hasattr(v, "items")]
        kind = next((CATALOG_POINTERS[k] for k in kinds if k in CATALOG_POINTERS), None)
        if kind is None:
            raise ArchiveInputError(f"no catalog object ({', '.join(sorted(CATALOG_POINTERS))}) in the file "
                                    f"(objects: {', '.join(kinds) or 'none'})", path=str(f))
        placed[target] = f
        pointers.setdefault(kind, []).append(name)
    order = list(CATALOG_POINTERS.values())
    return placed, sorted(pointers.items(), key=lambda kv: order.index(kv[0]))


def build_volume(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    info: VolumeInfo,
    *,
    catalogs: list[str | os.PathLike[str]] | tuple[str | os.PathLike[str], ...] = (),
    documents: str | os.PathLike[str] | None = None,
    uppercase: bool = False,
    link: bool = True,
    creation_time: Any = None,
    templates: Any = None,
) -> VolumeResult:
    """Package the PDS3 products under ``src`` as the volume ``out`` (which must not exist)."""
    from pdsgen.render import iso_utc, resolve_creation_time
    from pdsgen.render.escape import pds3_value

    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise ArchiveInputError("the source folder does not exist", path=str(src))
    if out.exists():
        raise ArchiveInputError("the volume folder exists already; give a new one", path=str(out))
    if inside(out, src) or inside(src, out):
        raise ArchiveInputError("the volume folder and the source folder must not contain each other", path=str(out))
    _check_info(info)
    created = iso_utc(resolve_creation_time(creation_time))
    publication = info.publication_date or created[:10]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", publication):
        raise ArchiveInputError(f"--publication-date {publication!r} is not YYYY-MM-DD")

    # everything is planned and checked before the first file is written
    _sources, placed = _plan(src, DATA_DIR, uppercase)
    target_of = {p: t for t, (p, _s) in placed.items()}
    products: list[VolumeProduct] = []
    seen_ids: dict[str, str] = {}
    for target, (p, s) in sorted(placed.items()):
        if s is None:
            continue
        if not s.product_id:
            raise ArchiveInputError("the label has no PRODUCT_ID (INDEX.TAB needs one per product)", path=str(p))
        if s.product_id in seen_ids:
            raise ArchiveInputError(f"PRODUCT_ID {s.product_id!r} is also the PRODUCT_ID of {seen_ids[s.product_id]}",
                                    path=str(p))
        seen_ids[s.product_id] = str(p)
        if not s.data_set_id:
            raise ArchiveInputError("the label has no DATA_SET_ID (INDEX.TAB needs one per product)", path=str(p))
        unknown = [d for d in s.data_set_id.split(",") if d.strip() not in info.data_set_ids]
        if unknown:
            raise ArchiveInputError(f"DATA_SET_ID {s.data_set_id!r} is not one of the volume's "
                                    f"({', '.join(info.data_set_ids)}); add it with --data-set-id", path=str(p))
        products.append(VolumeProduct(target, s.product_id, s.data_set_id, *s.times,
                                      files=sorted(target_of[f] for f in s.files)))
    if not products:
        raise ArchiveInputError("no PDS3 products (labels) under the source folder", path=str(src))
    doc_placed: dict[str, tuple[Path, _Source | None]] = {}
    if documents is not None:
        _doc_sources, doc_placed = _plan(Path(documents), "DOCUMENT", uppercase)
    cat_placed, catalog_pointers = _catalogs([Path(c) for c in catalogs], uppercase)
    reserved = {t.split("/")[1] for t in placed if t.count("/") >= 2}
    clash = reserved & set(RESERVED_DIRS)
    if clash:
        raise ArchiveInputError(f"a data folder is named {sorted(clash)[0]}, a folder of the volume's own",
                                path=str(src))

    index_values = [[info.volume_id] * len(products), [p.data_set_id for p in products],
                    [p.label for p in products], [p.product_id for p in products],
                    [p.product_creation_time for p in products], [p.start_time for p in products],
                    [p.stop_time for p in products]]
    index_tab, index_layout = fixed_table(INDEX_COLUMNS, index_values, where=str(src))
    volume = {
        "volume_id": info.volume_id, "volume_set_id": info.volume_set_id,
        "data_set_ids": list(info.data_set_ids),
        "volume_name": info.volume_name or f"{', '.join(info.data_set_ids)} volume {info.volume_id}",
        "volume_set_name": info.volume_set_name or info.volume_set_id,
        "volume_series_name": info.volume_series_name or info.volume_set_name or info.volume_set_id,
        "volume_version_id": info.volume_version_id, "volumes": info.volumes,
        "medium_type": info.medium_type, "volume_format": info.volume_format, "producer": info.producer,
    }
    data_set_value = (pds3_value(info.data_set_ids[0]) if len(info.data_set_ids) == 1
                      else pds3_value(list(info.data_set_ids), first=31))
    volume["data_set_value"] = data_set_value
    patterns = sorted({"*" + Path(p.label).suffix for p in products})
    description = info.description or (
        f"This volume holds {len(products)} data product(s) of the data set(s) {', '.join(info.data_set_ids)}"
        f" under {DATA_DIR}/, an index of them (INDEX/INDEX.TAB) and the MD5 checksums of its files "
        "(INDEX/CHECKSUM.TAB)" + (", and the catalog files that describe them (CATALOG/)." if cat_placed else "."))
    context: dict[str, Any] = {"volume": volume, "creation_time": created, "publication_date": publication,
                               "layout": index_layout, "indexed_patterns": patterns,
                               "catalog_pointers": catalog_pointers, "description": description}
    from pdsgen import __version__

    staging = out.parent / f".{out.name}.{os.getpid()}.staging"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as exc:
        raise ArchiveInputError(f"cannot create the volume folder: {exc.strerror or exc}", path=str(out)) from None
    try:
        _place(staging, placed, uppercase, link)
        _place(staging, doc_placed, uppercase, link)
        for target, f in cat_placed.items():
            dest = staging / target
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
        (staging / "INDEX").mkdir()
        (staging / "INDEX" / "INDEX.TAB").write_bytes(index_tab)
        (staging / "INDEX" / "INDEX.LBL").write_bytes(_crlf(_render("pds3/volume/index.lbl.j2", context, templates)))
        (staging / "VOLDESC.CAT").write_bytes(_crlf(_render("pds3/volume/voldesc.cat.j2", context, templates)))
        body_context = dict(context, products=products, catalog_files=sorted(cat_placed),
                            tree=_tree(staging, products), pdsgen_version=__version__,
                            index_columns=[c[0] for c in INDEX_COLUMNS], index_row_bytes=index_layout.row_bytes)
        body = _crlf(_wrapped(_render("pds3/volume/aareadme_body.txt.j2", body_context, templates)))
        (staging / "AAREADME.TXT").write_bytes(
            _attached_text("pds3/volume/aareadme.txt.j2", dict(context), body, templates))
        every = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        sums = [md5_file(staging / rel) for rel in every]
        checksum_tab, checksum_layout = fixed_table(CHECKSUM_COLUMNS, [sums, every], where=str(staging))
        (staging / "INDEX" / "CHECKSUM.TAB").write_bytes(checksum_tab)
        (staging / "INDEX" / "CHECKSUM.LBL").write_bytes(
            _crlf(_render("pds3/volume/checksum.lbl.j2", dict(context, layout=checksum_layout), templates)))
        os.rename(staging, out)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise ArchiveInputError(f"cannot write the volume: {exc.strerror or exc}",
                                    path=str(exc.filename or out)) from None
        raise
    return VolumeResult(out, info.volume_id, products, len(every) + 2,
                        documents=sum(1 for s in doc_placed.values() if s[1] is not None),
                        catalogs=sorted(cat_placed))


__all__ = ["DataProducer", "VolumeInfo", "VolumeProduct", "VolumeResult", "TableLayout", "build_volume",
           "fixed_table", "gather_products", "uppercase_pointers"]
