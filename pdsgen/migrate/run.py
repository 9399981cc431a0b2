"""`migrate`: PDS3 products → PDS4 labels over the same data bytes, validated and read
back through both labels before anything is placed in the output folder.

Per product: open the PDS3 label (pdsgen's reader) → describe each data object in PDS4
terms (`describe`) → hard-link (else copy) the data files unchanged into a hidden staging
folder inside ``out`` → render the label (template ``pds4/migrate/Product_Observational.xml.j2``,
overridable) → validate it (pdsgen's schema, Schematron, content checks) → open it with
pdsgen's PDS4 reader and compare every object's values with the PDS3 reading → move the
files into ``out`` (data first, label last). Any failure removes the staging folder: nothing
is left in ``out`` for that product.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pdsgen.errors import LabelError, PdsgenError, UnsupportedError
from pdsgen.migrate.describe import Notes, describe_object, document_file, product_class
from pdsgen.migrate.mapping import MigrationMap
from pdsgen.migrate.verify import compare_objects, region_difference
from pdsgen.migrate.vocabulary import (
    ContextIndex,
    context_index,
    default_context_files,
    lid_component,
)
from pdsgen.model import DataObject, Product

TEMPLATE = "pds4/migrate/{product_class}.xml.j2"
_FORMAT_FINDING = "error.table.field_value_format"
PDS3_SUFFIXES = (".lbl",)
#: CODMAC level in a PDS3 DATA_SET_ID (``ODY-M-ACCEL-5-DERIVED-V1.0``, ``LRO-L-LEND-4/5-RDR-V1.0``)
_LEVEL = re.compile(r"-(1A|1B|[1-6])(?:/[1-6])?-")
_LEVELS = {"1": "Raw", "1A": "Raw", "1B": "Partially Processed", "2": "Partially Processed", "3": "Calibrated",
           "4": "Derived", "5": "Derived", "6": "Derived"}


@dataclass(frozen=True)
class MigrateOptions:
    out: Path
    bundle_lid: str | None = None
    collection: str = "data"
    templates_dir: str | None = None
    mapping: MigrationMap = field(default_factory=MigrationMap)
    creation_time: Any = None
    #: validation (pdsgen.validate.runner.Options fields): catalog, offline, context products
    catalog_path: str | None = None
    offline: bool = True
    context_products: tuple[str, ...] = ()
    validate: bool = True
    im_version: str = "1.22.0.0"


@dataclass
class MigrationResult:
    """One report line: ``status`` is ``migrated`` or ``failed`` (with ``reason``)."""

    source: str
    status: str
    pds4_label: str | None = None
    lid: str | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.status == "migrated":
            return f"MIGRATED {self.source} -> {self.pds4_label} ({self.lid}; {', '.join(self.objects)})"
        return f"FAILED   {self.source}: {self.reason}"


# --------------------------------------------------------------------------- discovery


def find_labels(targets: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """PDS3 labels given or under the given folders (``*.lbl``, any case), sorted per folder."""
    out: list[Path] = []
    for t in targets:
        p = Path(t)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in PDS3_SUFFIXES
                              and not any(part.startswith(".") for part in q.relative_to(p).parts)))
        elif p.is_file():
            out.append(p)
        else:
            raise LabelError("no such file or folder", path=str(p))
    return out


# --------------------------------------------------------------------------- one product


def _keyword(product: Product, mapping: MigrationMap, *names: str) -> str | None:
    for n in names:
        if n in mapping.keywords:
            return str(mapping.keywords[n])
        v = product.label.get(n) if hasattr(product.label, "get") else None
        if v is not None and str(v).strip() and str(v).strip().upper() not in ("N/A", "UNK", "NULL", "NONE"):
            return " ".join(str(v).split())
    return None


def _time(text: str | None) -> str | None:
    if not text:
        return None
    from pdsgen.times import iso_utc

    try:
        return iso_utc(text)
    except PdsgenError:
        return None


def _context(product: Product, opts: MigrateOptions, notes: Notes) -> dict[str, Any]:
    m, ctx = opts.mapping, opts.mapping.context
    files = tuple(opts.context_products) or tuple(str(p) for p in default_context_files())
    idx = context_index(files) if files else ContextIndex({})
    if not files:
        notes.add("no registered-context-products list: no context references written")
    mission = _keyword(product, m, "MISSION_NAME")
    host_name = _keyword(product, m, "INSTRUMENT_HOST_NAME", "SPACECRAFT_NAME")
    host_id = _keyword(product, m, "INSTRUMENT_HOST_ID", "SPACECRAFT_ID")
    inst_names = [_keyword(product, m, "INSTRUMENT_NAME"), _keyword(product, m, "INSTRUMENT_ID")]
    target = _keyword(product, m, "TARGET_NAME")

    def pick(kind: str, names: list[str | None], within: str | None = None
             ) -> tuple[str | None, str | None, str | None]:
        given = [n for n in names if n]
        if kind in ctx:
            return ctx[kind], None, given[0] if given else None
        lid, type_, note, name = idx.find(kind, given, within=within)
        if lid is None:
            notes.add(note)
        return lid, type_, name or (given[0] if given else None)

    inv_lid, _, inv_name = pick("investigation", [mission, host_name, host_id])
    host_lid, _, host_label = pick("instrument_host", [host_name, host_id, mission])
    within = host_lid.rsplit(".", 1)[-1] if host_lid else (host_id or "").lower() or None
    inst_lid, _, inst_label = pick("instrument", [*inst_names], within=within)
    tgt_lid, tgt_type, tgt_name = pick("target", [target])
    if inv_lid is None:
        raise UnsupportedError("no investigation context product found for MISSION_NAME/INSTRUMENT_HOST_NAME "
                               f"{mission or host_name or host_id!r}; PDS4 needs one: give [context] investigation "
                               "in --map")
    if target is None and tgt_lid is None:
        raise UnsupportedError("the PDS3 label names no TARGET_NAME; give [keywords] TARGET_NAME and "
                               "[context] target in --map")
    tgt_type = ctx.get("target_type") or tgt_type
    if not tgt_type or tgt_type == "N/A":
        raise UnsupportedError(f"target {target!r} has no registered context product, so its PDS4 type is "
                               "unknown; give [context] target and target_type in --map")
    observing = []
    if host_label:
        observing.append({"name": host_label, "type": "Host", "lid": host_lid,
                          "reference_type": "is_instrument_host"})
    if inst_label:
        observing.append({"name": inst_label, "type": "Instrument", "lid": inst_lid,
                          "reference_type": "is_instrument"})
    if not observing:
        raise UnsupportedError("the PDS3 label names no instrument or host (Observing_System needs one)")
    return {"investigations": [{"name": inv_name, "type": "Mission", "lid": inv_lid}],
            "observing_system": observing,
            "targets": [{"name": tgt_name or str(tgt_lid).rsplit(".", 1)[-1], "type": tgt_type, "lid": tgt_lid}]}


def _describe(product: Product, notes: Notes, units: dict[str, str]) -> dict[Path, list[dict[str, Any]]]:
    by_file: dict[Path, list[dict[str, Any]]] = {}
    objs = sorted(product.objects, key=lambda o: (str(o.file), o.offset))
    for i, obj in enumerate(objs):
        nxt = objs[i + 1] if i + 1 < len(objs) and objs[i + 1].file == obj.file else None
        d = describe_object(obj, next_offset=nxt.offset if nxt else None, notes=notes, units=units)
        d["source"] = obj
        by_file.setdefault(obj.file, []).append(d)
    if not by_file:
        raise UnsupportedError("the PDS3 label describes no data object")
    return by_file


def _without_file_suffix(product_id: str, suffixes: list[str]) -> str:
    """PRODUCT_ID without a trailing data-file extension (``ACCANCP007.TAB`` → ``ACCANCP007``):
    many PDS3 archives used the file name as the product id."""
    for suffix in suffixes:
        if suffix and product_id.upper().endswith(suffix.upper()) and len(product_id) > len(suffix):
            return product_id[: -len(suffix)]
    return product_id


def _place(src: Path, dst: Path) -> tuple[int, str]:
    """Hard-link (else copy) ``src`` to ``dst``; (size, md5) of the bytes."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
    return dst.stat().st_size, _md5(dst)


@lru_cache(maxsize=8)
def _validate_options(catalog_path: str | None, offline: bool, context_products: tuple[str, ...]) -> Any:
    """One validation `Options` per worker and setting: it keeps the loaded XML catalog
    (and through it the compiled Schematron) between products."""
    from pdsgen.validate.runner import Options

    files = context_products or tuple(str(p) for p in default_context_files())
    return Options(catalog_path=catalog_path, offline=offline, jobs=1, content_threads=1, context=bool(files),
                   context_products=files)


def _validate(label: Path, opts: MigrateOptions) -> list[str]:
    from pdsgen.validate.runner import validate_label

    vopts = _validate_options(opts.catalog_path, opts.offline, tuple(opts.context_products))
    res = validate_label(label, vopts)
    return [f"{f.type}: {f.message}" for f in res.findings if str(f.type).startswith("error.")]


def migrate_product(label: Path, opts: MigrateOptions) -> MigrationResult:
    """Migrate one PDS3 product; never raises for bad input (the result says why)."""
    notes = Notes()
    stage: Path | None = None
    try:
        import pdsgen

        product = pdsgen.open(label)
        if product.standard != "PDS3":
            raise UnsupportedError(f"{label} is a {product.standard} label, not PDS3")
        result = _migrate(product, label, opts, notes)
        return result
    except PdsgenError as exc:
        return MigrationResult(str(label), "failed", reason=str(exc), notes=notes.items)
    except (OSError, ValueError) as exc:
        return MigrationResult(str(label), "failed", reason=f"{type(exc).__name__}: {exc}", notes=notes.items)
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


def _migrate(product: Product, label: Path, opts: MigrateOptions, notes: Notes) -> MigrationResult:
    from pdsgen.render.env import render_label
    from pdsgen.render.ids import check_lid, information_model
    from pdsgen.times import iso_date, iso_utc, resolve_creation_time

    m = opts.mapping
    by_file = _describe(product, notes, m.units)
    product_id = _keyword(product, m, "PRODUCT_ID") or label.stem
    lid_id = _without_file_suffix(product_id, [p.suffix for p in by_file])
    data_set_id = _keyword(product, m, "DATA_SET_ID")
    if not opts.bundle_lid and "{bundle}" in m.lid_pattern:
        raise UnsupportedError("no bundle LID: give --bundle-lid (or a [lid] pattern in --map)")
    lid = m.lid_pattern.format(bundle=opts.bundle_lid or "", collection=lid_component(opts.collection),
                               product_id=lid_component(lid_id),
                               data_set_id=lid_component(data_set_id or "unknown"), stem=lid_component(label.stem))
    check_lid(lid, level="product")
    created = resolve_creation_time(opts.creation_time)
    title = m.product.get("title") or _keyword(product, m, "PRODUCT_NAME", "TITLE") or " ".join(
        x for x in (data_set_id, product_id) if x)
    cls = product_class([d for objects in by_file.values() for d in objects])
    level = m.product.get("processing_level")
    if level is None and cls == "Product_Observational":
        found = _LEVEL.search((data_set_id or "").upper())
        level = _LEVELS[found.group(1)] if found else None
        if level is None:
            raise UnsupportedError(f"DATA_SET_ID {data_set_id!r} gives no processing level; "
                                   "give [product] processing_level in --map")
    start = _time(m.keywords.get("START_TIME") or product.start_time)
    stop = _time(m.keywords.get("STOP_TIME") or product.stop_time)
    if not start:
        notes.add("no START_TIME: start_date_time is nil (missing)")
    ref = f"PDS3 product DATA_SET_ID = {data_set_id or 'N/A'}, PRODUCT_ID = {product_id}"
    try:
        ctx = _context(product, opts, notes)
    except UnsupportedError as exc:
        if cls == "Product_Observational":
            raise
        ctx = {"investigations": [], "observing_system": [], "targets": []}  # optional outside data products
        notes.add(f"no Context_Area: {exc}")

    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".migrate-", dir=out))
    try:
        files: list[dict[str, Any]] = []
        for src, objects in by_file.items():
            if src.resolve() == label.resolve() and len(by_file) > 0:
                notes.add(f"attached label: {src.name} (the PDS3 label and its text) is the Document_File"
                          if cls == "Product_Document" else
                          f"attached label: {src.name} is the data file; objects addressed by offset")
            size, md5 = _place(src, stage / src.name)
            files.append({"file_name": src.name, "size": size, "md5": md5, "objects": objects,
                          "supplemental": any(o["kind"] == "encoded" for o in objects),
                          "document": document_file(objects[0]["source"], objects[0])
                          if cls == "Product_Document" else None})
        label_name = f"{label.stem}.xml"
        if any(f["file_name"] == label_name for f in files):
            label_name = f"{label.stem}_pds4.xml"
        variables = {
            "product": {"lid": lid, "vid": "1.0", "title": title, "start_time": start, "stop_time": stop,
                        "purpose": m.product.get("purpose", "Science"), "processing_level": level,
                        "discipline": m.product.get("discipline"), "pds3_reference": ref,
                        "modification": f"Migrated from PDS3 ({ref}) by pdsgen migrate; data bytes unchanged.",
                        "comment": f"PDS3 label {label.name} migrated to PDS4 by pdsgen; the data files are "
                                   "the PDS3 product's, byte for byte.",
                        "document": _document_info(product, by_file, title), **ctx},
            "im": information_model(opts.im_version), "creation_time": iso_utc(created),
            "creation_date": iso_date(created), "files": files, "with_formats": True,
            "product_class": cls,
        }
        staged_label = stage / label_name
        template = TEMPLATE.format(product_class=cls)
        staged_label.write_text(render_label(template, variables, opts.templates_dir), encoding="utf-8")
        if opts.validate:
            errors = _validate(staged_label, opts)
            if errors and all(_FORMAT_FINDING in e for e in errors):
                # PDS3 FORMATs are often looser than the values (F6.2 over "-3.5"); PDS4
                # validation checks them: the label is written again without field formats.
                variables["with_formats"] = False
                staged_label.write_text(render_label(template, variables, opts.templates_dir), encoding="utf-8")
                notes.add(f"field formats left out: the values do not follow the PDS3 FORMATs ({errors[0]})")
                errors = _validate(staged_label, opts)
            if errors:
                raise UnsupportedError(f"the new label does not validate: {'; '.join(errors[:5])}")
        problems = _read_back(staged_label, [o for f in files for o in f["objects"]], stage)
        if problems:
            raise UnsupportedError(f"values differ between the PDS3 and PDS4 labels: {'; '.join(problems[:5])}")
        _check_collisions(out, stage, [f["file_name"] for f in files], label_name, lid)
        names = [f["file_name"] for f in files] + [label_name]
        for name in names:  # data first, label last
            os.replace(stage / name, out / name)
        return MigrationResult(str(label), "migrated", pds4_label=str(out / label_name), lid=lid, notes=notes.items,
                               objects=[f"{o['source'].name} → {_class_name(o, cls)}"
                                        for f in files for o in f["objects"]])
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _document_info(product: Product, by_file: dict[Path, list[dict[str, Any]]], title: str) -> dict[str, Any]:
    """Document name, publication date and description of the first TEXT/DOCUMENT object
    (its PDS3 DOCUMENT_NAME, PUBLICATION_DATE, DESCRIPTION)."""
    first = next(iter(by_file.values()))[0]["source"]
    definition = product.label.get(first.label_type) if hasattr(product.label, "get") else None
    keys: Any = definition if hasattr(definition, "get") else {}
    date = _time(str(keys.get("PUBLICATION_DATE"))) if keys.get("PUBLICATION_DATE") else None
    name = " ".join(str(keys.get("DOCUMENT_NAME") or "").split()) or None
    return {"name": name, "publication_date": date[:10] if date else None,
            "description": " ".join(str(first.description or "").split()) or title}


def _class_name(desc: dict[str, Any], product_class: str) -> str:
    if product_class == "Product_Document":
        return "Document_File"
    return desc.get("class_name") or "Header"


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    if os.path.samefile(a, b):
        return True
    return _md5(a) == _md5(b)


def _md5(p: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(p, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _check_collisions(out: Path, stage: Path, data_names: list[str], label_name: str, lid: str) -> None:
    """Refuse to replace a different product's files in ``out``: a data file of the same
    name with other bytes, or a label of the same name with another LID (a re-run of the
    same product replaces its own files)."""
    for name in data_names:
        if (out / name).exists() and not _same_bytes(out / name, stage / name):
            raise UnsupportedError(f"{out / name} already exists with other bytes (another product's data "
                                   "file of the same name?); not replaced")
    existing = out / label_name
    if existing.exists():
        text = existing.read_text(encoding="utf-8", errors="replace")
        if f"<logical_identifier>{lid}</logical_identifier>" not in text:
            raise UnsupportedError(f"{existing} already exists for another product; not replaced")


def _read_back(pds4_label: Path, objects: Sequence[dict[str, Any]], stage: Path) -> list[str]:
    import pdsgen

    # encoded images, documents and objects the PDS3 reader does not read (ISIS HISTORY): the
    # bytes the new label points at are the PDS3 object's (a Document_File is the whole file)
    documents = all(o["kind"] in ("document", "text") for o in objects)
    as_bytes = [documents or o["kind"] in ("encoded", "document") or o["source"].error is not None
                for o in objects]
    problems = [diff for o, whole in zip(objects, as_bytes, strict=True) if whole
                for diff in [region_difference(o["source"].file, stage / o["source"].file.name,
                                               0 if documents else o["offset"],
                                               o["source"].file.stat().st_size if documents else o["object_length"],
                                               what=f"object {o['name']!r}")] if diff]
    if documents:
        return problems
    new = pdsgen.open(pds4_label)
    if len(new.objects) != len(objects):
        return [f"the PDS4 label reads as {len(new.objects)} objects, {len(objects)} were written"]
    pairs: list[tuple[DataObject, DataObject]] = []
    by_name = {o.name: o for o in new.objects}
    for o, whole in zip(objects, as_bytes, strict=True):
        new_obj = by_name.get(o["source"].name)
        if new_obj is None:
            return [f"object {o['source'].name!r} missing from the PDS4 reading"]
        if not whole:
            pairs.append((o["source"], new_obj))
    return problems + compare_objects(pairs)


# --------------------------------------------------------------------------- many products


def _one(args: tuple[Path, MigrateOptions]) -> MigrationResult:
    return migrate_product(*args)


def migrate(targets: Iterable[str | os.PathLike[str]], opts: MigrateOptions, *, jobs: int = 1) -> list[MigrationResult]:
    """Migrate every PDS3 label given or found under the given folders; one result each,
    in input order. ``jobs`` > 1 uses forked worker processes."""
    labels = find_labels(targets)
    if jobs <= 1 or len(labels) < 2:
        return [migrate_product(p, opts) for p in labels]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        return list(pool.map(_one, [(p, opts) for p in labels], chunksize=max(1, len(labels) // (jobs * 8))))
