"""PDS3 volume checks (``--rule volume``, validate's ``pds3.volume``; chosen automatically
for a folder with ``VOLDESC.CAT`` at its top).

On top of the per-label PDS3 checks (`pdsgen.validate.pds3`) of every label of the volume,
the volume as a whole (PDS3 Standards Reference chapter 19, Appendix A VOLUME and
INDEX_TABLE), with VOLDESC.CAT, AAREADME.TXT and the catalog files (``CATALOG/*.CAT``)
validated as PDS3 labels too:

- the required files: ``AAREADME.TXT``, ``VOLDESC.CAT``, ``INDEX/INDEX.LBL`` and
  ``INDEX/INDEX.TAB``; VOLDESC.CAT's VOLUME object and DATA_PRODUCER with their required
  keywords, its CATALOG pointers naming files of ``CATALOG/``;
- the index read back through its label with pdsgen's PDS3 table reader: a row per product
  whose FILE_SPECIFICATION_NAME names an existing label inside the volume with the same
  PRODUCT_ID (and DATA_SET_ID), VOLUME_ID as VOLDESC.CAT says, no row twice, and every
  label under the data folders listed;
- the checksum table (``INDEX/CHECKSUM.LBL``, as `pdsgen archive volume` writes it): every
  listed file present with that MD5, every file of the volume listed;
- every file and folder name in the "27.3" form (upper case, ISO 9660 level 2).

Findings are added to the run (``RunResult.integrity``); the volume's attached-label files
(VOLDESC.CAT, AAREADME.TXT, products listed by the index that are not ``.LBL`` files) are
validated as products of the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pdsgen.validate.findings import Finding
from pdsgen.validate.results import Options, ProductResult, RunResult

if TYPE_CHECKING:
    from pvl.collections import PVLObject

REQUIRED_FILES = ("AAREADME.TXT", "VOLDESC.CAT", "INDEX/INDEX.LBL", "INDEX/INDEX.TAB")
#: PDS3 Standards Reference Appendix A: required keywords of VOLUME and DATA_PRODUCER
VOLUME_KEYWORDS = ("DATA_SET_ID", "DESCRIPTION", "MEDIUM_TYPE", "PUBLICATION_DATE", "VOLUME_FORMAT",
                   "VOLUME_ID", "VOLUME_NAME", "VOLUME_SERIES_NAME", "VOLUME_SET_NAME", "VOLUME_SET_ID",
                   "VOLUME_VERSION_ID", "VOLUMES")
PRODUCER_KEYWORDS = ("INSTITUTION_NAME", "FACILITY_NAME", "FULL_NAME", "ADDRESS_TEXT")
#: folders of a volume's root whose labels are not data products (not expected in INDEX.TAB)
NOT_INDEXED = {"INDEX", "CATALOG", "DOCUMENT", "LABEL", "SOFTWARE", "EXTRAS", "GAZETTER", "CALIB", "GEOMETRY",
               "BROWSE"}
CHECKSUM_LABEL = "INDEX/CHECKSUM.LBL"
CHECKSUM_TABLE = "INDEX/CHECKSUM.TAB"


def is_volume(folder: Path) -> bool:
    """Whether ``folder`` is the root of a PDS3 volume (VOLDESC.CAT at its top)."""
    try:
        return any(e.name.upper() == "VOLDESC.CAT" and e.is_file() for e in os.scandir(folder))
    except OSError:
        return False


def _find(root: Path, rel: str) -> Path | None:
    from pdsgen.pds3.pointers import find_case_insensitive

    found = find_case_insensitive(root, rel)
    return found if found is not None and found.is_file() else None


def _find_folder(root: Path, name: str) -> Path | None:
    from pdsgen.pds3.pointers import find_case_insensitive

    found = find_case_insensitive(root, name)
    return found if found is not None and found.is_dir() else None


def volume_checks(result: RunResult, root: Path, opts: Options,
                  validate: Callable[[Path], ProductResult]) -> None:
    """Check the volume at ``root``; ``validate`` validates one label as a product of the run."""
    out: list[Finding] = []
    for rel in REQUIRED_FILES:
        if _find(root, rel) is None:
            out.append(Finding("error.volume.missing_required_file",
                               f"{rel} is missing (a PDS3 volume holds AAREADME.TXT, VOLDESC.CAT and "
                               "INDEX/INDEX.LBL + INDEX.TAB)", file=str(root / rel)))
    validated = {os.path.abspath(p.label) for p in result.products}
    catalog = _find_folder(root, "CATALOG")
    catalogs = sorted(p.relative_to(root).as_posix() for p in catalog.iterdir()
                      if p.suffix.upper() == ".CAT" and p.is_file()) if catalog is not None else []
    for rel in ("VOLDESC.CAT", "AAREADME.TXT", *catalogs):  # labels attached to text files
        found = _find(root, rel)
        if found is not None and os.path.abspath(found) not in validated:
            result.products.append(validate(found))
            validated.add(os.path.abspath(found))
    volume_id = None
    voldesc = _find(root, "VOLDESC.CAT")
    if voldesc is not None:
        volume_id, voldesc_findings = _voldesc(voldesc, root)
        out += voldesc_findings
    index_label = _find(root, "INDEX/INDEX.LBL")
    if index_label is not None:
        out += _index(root, index_label, volume_id, result, validated, validate)
    checksum_label = _find(root, CHECKSUM_LABEL)
    if checksum_label is not None:
        out += _checksums(root, checksum_label, opts)
    else:
        out.append(Finding("warning.volume.missing_checksums",
                           f"no {CHECKSUM_LABEL}: the files of the volume have no checksums to check",
                           file=str(root)))
    out += _names(root)
    result.integrity += out
    result.integrity_checked = True


# ------------------------------------------------------------------ VOLDESC.CAT
def _voldesc(path: Path, root: Path) -> tuple[str | None, list[Finding]]:
    from pdsgen.errors import PdsgenError
    from pdsgen.pds3 import load

    try:
        label = load(path, strict=True)
    except (PdsgenError, OSError, ValueError):
        return None, []  # the product check of VOLDESC.CAT reports it
    volume = label.get("VOLUME")
    if not hasattr(volume, "get"):
        return None, [Finding("error.label.missing_keyword", "VOLDESC.CAT has no VOLUME object", file=str(path))]
    out = [Finding("error.label.missing_keyword", f"OBJECT VOLUME: required keyword {k} is missing", file=str(path))
           for k in VOLUME_KEYWORDS if k not in volume]
    producer = volume.get("DATA_PRODUCER")
    if not hasattr(producer, "get"):
        out.append(Finding("error.label.missing_keyword", "OBJECT VOLUME: required object DATA_PRODUCER is missing",
                           file=str(path)))
    else:
        out += [Finding("error.label.missing_keyword", f"OBJECT VOLUME/DATA_PRODUCER: required keyword {k} is missing",
                        file=str(path)) for k in PRODUCER_KEYWORDS if k not in producer]
    catalog = volume.get("CATALOG")
    if not hasattr(catalog, "items"):
        out.append(Finding("warning.volume.no_catalog",
                           "OBJECT VOLUME has no CATALOG object: the volume names no catalog files describing "
                           "its mission, instrument and data sets", file=str(path)))
    else:
        out += _catalog_pointers(catalog, root, path)
    vid = volume.get("VOLUME_ID")
    return (str(vid).strip() if vid is not None else None), out


def _catalog_pointers(catalog: PVLObject, root: Path, path: Path) -> list[Finding]:
    """CATALOG pointers name files of CATALOG/ (or of the root), inside the volume."""
    from pdsgen.untrusted import ReferenceEscapeError, confine

    out = []
    for key, value in catalog.items():
        if not str(key).startswith("^"):
            continue
        names = sorted(value) if isinstance(value, set | frozenset) else (
            value if isinstance(value, list | tuple) else [value])
        for name in names:
            if not isinstance(name, str):
                continue
            try:
                confine(root / "CATALOG", name, label=path, what=str(key))
            except ReferenceEscapeError as exc:
                out.append(Finding("error.validation.file_naming_problem", exc.message, file=str(path)))
                continue
            if _find(root, f"CATALOG/{name}") is None and _find(root, name) is None:
                out.append(Finding("error.label.missing_file",
                                   f"OBJECT VOLUME/CATALOG: {key} names {name!r}, which is not in CATALOG/",
                                   file=str(path)))
    return out


# ------------------------------------------------------------------ INDEX
def _read_table(label: Path, kind: str) -> tuple[Any, str | None]:
    """(astropy Table, None) of the label's first table object, or (None, why not)."""
    from pdsgen.errors import PdsgenError
    from pdsgen.registry import open as open_product

    try:
        product = open_product(label)
        tables = [o for o in product.objects if o.kind == "table"]
        if not tables:
            return None, f"{label.name} describes no {kind} object"
        return tables[0].to_table(), None
    except PdsgenError as exc:
        return None, getattr(exc, "message", str(exc))
    except (OSError, ValueError) as exc:
        return None, str(exc)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return "" if value is None or getattr(value, "mask", False) is True else str(value).strip()


def _row_file(root: Path, label: Path, spec: str, number: int, missing: str, out: list[Finding]) -> Path | None:
    """The file a table row's FILE_SPECIFICATION_NAME names inside the volume, or None with
    the finding added to ``out`` (a name leading out of the volume; no such file: ``missing``)."""
    from pdsgen.untrusted import ReferenceEscapeError, confine

    try:
        confine(root, spec, label=label, what="FILE_SPECIFICATION_NAME")
    except ReferenceEscapeError as exc:
        out.append(Finding("error.validation.file_naming_problem", f"row {number}: {exc.message}", file=str(label),
                           record=number))
        return None
    target = _find(root, spec)
    if target is None:
        out.append(Finding(missing, f"row {number}: {spec!r} is not a file of the volume", file=str(label),
                           record=number))
    return target


def _index(root: Path, label: Path, volume_id: str | None, result: RunResult, validated: set[str],
           validate: Callable[[Path], ProductResult]) -> list[Finding]:
    from pdsgen.errors import PdsgenError
    from pdsgen.pds3 import load

    file = str(label)
    out: list[Finding] = []
    try:
        index_keywords = load(label, strict=True)
    except (PdsgenError, OSError, ValueError):
        return out  # the product check of INDEX.LBL reports it
    if not any(str(k).upper() == "INDEX_TABLE" for k in index_keywords.keys()):
        out.append(Finding("warning.volume.index_table_problem", "INDEX.LBL describes no INDEX_TABLE object",
                           file=file))
    stated = index_keywords.get("VOLUME_ID")
    if volume_id and stated is not None and str(stated).strip() != volume_id:
        out.append(Finding("error.volume.volume_id_mismatch",
                           f"VOLUME_ID {str(stated).strip()!r} of INDEX.LBL is not VOLDESC.CAT's {volume_id!r}",
                           file=file))
    table, problem = _read_table(label, "INDEX_TABLE")
    if table is None:
        return out + [Finding("error.volume.index_table_problem",
                              f"INDEX.TAB cannot be read through INDEX.LBL: {problem}", file=file)]
    names = {c.upper(): c for c in table.colnames}
    spec_col = names.get("FILE_SPECIFICATION_NAME")
    path_cols = (names.get("PATH_NAME"), names.get("FILE_NAME"))
    if spec_col is None and None in path_cols:
        return out + [Finding("error.volume.index_table_problem",
                              "INDEX_TABLE has no FILE_SPECIFICATION_NAME column (nor PATH_NAME and FILE_NAME)",
                              file=file)]
    if "PRODUCT_ID" not in names:
        out.append(Finding("error.volume.index_table_problem", "INDEX_TABLE has no PRODUCT_ID column", file=file))
    listed: dict[str, int] = {}
    for number, row in enumerate(table, start=1):
        spec = _text(row[spec_col]) if spec_col else "/".join(
            p for p in (_text(row[path_cols[0]]).strip("/"), _text(row[path_cols[1]])) if p)
        if not spec:
            out.append(Finding("error.volume.index_file_not_found", f"row {number}: no file named", file=file,
                               record=number))
            continue
        target = _row_file(root, label, spec, number, "error.volume.index_file_not_found", out)
        if target is None:
            continue
        key = os.path.abspath(target)
        if key in listed:
            out.append(Finding("error.volume.duplicate_index_entry",
                               f"row {number}: {spec!r} is also row {listed[key]}", file=file, record=number))
            continue
        listed[key] = number
        if key not in validated:  # an attached label (X.IMG, X.TAB) the label walk did not find
            result.products.append(validate(target))
            validated.add(key)
        try:
            product_label = load(target, strict=True)
        except (PdsgenError, OSError, ValueError):
            continue  # the product check reports it
        for column, keyword in (("PRODUCT_ID", "PRODUCT_ID"), ("DATA_SET_ID", "DATA_SET_ID")):
            if column not in names:
                continue
            given = _text(row[names[column]])
            actual = product_label.get(keyword)
            actual_text = ",".join(str(v).strip() for v in actual) if isinstance(actual, list | tuple) else (
                None if actual is None else str(actual).strip())
            if actual_text is None:
                if keyword == "PRODUCT_ID":
                    out.append(Finding("error.volume.index_value_mismatch",
                                       f"row {number}: {spec} has no PRODUCT_ID (the index says {given!r})",
                                       file=file, record=number))
            elif given != actual_text:
                out.append(Finding("error.volume.index_value_mismatch",
                                   f"row {number}: {column} {given!r}, but {spec} says {actual_text!r}",
                                   file=file, record=number))
        if volume_id and "VOLUME_ID" in names:
            given = _text(row[names["VOLUME_ID"]])
            if given != volume_id:
                out.append(Finding("error.volume.volume_id_mismatch",
                                   f"row {number}: VOLUME_ID {given!r} is not VOLDESC.CAT's {volume_id!r}",
                                   file=file, record=number))
    # data labels the index does not list
    for folder, dirs, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (rel_folder == Path(".") and d.upper() in NOT_INDEXED))
        if rel_folder == Path("."):
            continue
        for name in sorted(files):
            p = Path(folder, name)
            if name.upper().endswith(".LBL") and os.path.abspath(p) not in listed:
                out.append(Finding("warning.volume.product_not_indexed",
                                   f"{p.relative_to(root).as_posix()} is not listed in INDEX.TAB", file=str(p)))
    return out


# ------------------------------------------------------------------ checksums
def _checksums(root: Path, label: Path, opts: Options) -> list[Finding]:
    from pdsgen.validate.pds4label import md5_of

    file = str(label)
    table, problem = _read_table(label, "TABLE")
    if table is None:
        return [Finding("error.volume.index_table_problem",
                        f"{CHECKSUM_TABLE} cannot be read through {CHECKSUM_LABEL}: {problem}", file=file)]
    names = {c.upper(): c for c in table.colnames}
    if "MD5_CHECKSUM" not in names or "FILE_SPECIFICATION_NAME" not in names:
        return [Finding("error.volume.index_table_problem",
                        f"{CHECKSUM_TABLE} has no MD5_CHECKSUM and FILE_SPECIFICATION_NAME columns", file=file)]
    out: list[Finding] = []
    listed: set[str] = set()
    for number, row in enumerate(table, start=1):
        spec, expected = _text(row[names["FILE_SPECIFICATION_NAME"]]), _text(row[names["MD5_CHECKSUM"]]).lower()
        target = _row_file(root, label, spec, number, "error.label.missing_file", out)
        if target is None:
            continue
        listed.add(os.path.abspath(target))
        if opts.content and md5_of(target) != expected:
            out.append(Finding("error.label.checksum_mismatch",
                               f"row {number}: MD5 of {spec!r} does not match {expected} of {CHECKSUM_TABLE}",
                               file=str(target), record=number))
    exempt = {os.path.abspath(p) for p in (label, _find(root, CHECKSUM_TABLE)) if p is not None}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            p = os.path.abspath(os.path.join(folder, name))
            if not name.startswith(".") and p not in listed and p not in exempt:
                out.append(Finding("error.label.missing_checksum",
                                   f"{Path(p).relative_to(root.absolute()).as_posix()} is not listed in "
                                   f"{CHECKSUM_TABLE}", file=p))
    return out


# ------------------------------------------------------------------ names
def _names(root: Path) -> list[Finding]:
    """Each file and folder name of the volume against the PDS3 rules, once per name."""
    from pdsgen.untrusted import PDS3_MAX_DEPTH, pds3_name_problem

    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = Path(folder).relative_to(root)
        for name in dirs:  # each folder once, by its own name and its depth
            problem = pds3_name_problem(f"{name}/A.TXT")
            if problem is not None:
                problem = (f"folder name {name!r} in {(rel / name).as_posix()!r} is not 1-31 characters of "
                           "A-Z 0-9 _ (PDS3 volume naming, ISO 9660 level 2)")
            elif len(rel.parts) + 1 > PDS3_MAX_DEPTH:
                problem = f"folder {(rel / name).as_posix()!r} lies deeper than {PDS3_MAX_DEPTH} levels (PDS3)"
            if problem is not None:
                out.append(Finding("error.volume.file_naming_problem", problem, file=str(Path(folder, name))))
        for name in sorted(files):
            if name.startswith("."):
                continue
            problem = pds3_name_problem(name)
            if problem is not None:
                out.append(Finding("error.volume.file_naming_problem", problem, file=str(Path(folder, name))))
    return out
