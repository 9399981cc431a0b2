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
import secrets
import shutil
import tempfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pdsgen.errors import LabelError, PdsgenError, UnsupportedError
from pdsgen.migrate.describe import (
    Notes,
    describe_objects,
    document_file,
    merge_shared_record_tables,
    product_class,
    unique_object_names,
)
from pdsgen.migrate.mapping import MigrationMap
from pdsgen.migrate.verify import (
    compare_objects,
    pds4_tools_available,
    pds4_tools_difference,
    region_difference,
)
from pdsgen.migrate.vocabulary import (
    ALTERNATE_SPELLING,
    ContextIndex,
    context_index,
    default_context_files,
    generic_target_type,
    lid_component,
)
from pdsgen.model import DataObject, Product
from pdsgen.untrusted import not_a_file

TEMPLATE = "pds4/migrate/{product_class}.xml.j2"
#: PDS's registered investigation for products that belong to none ("No Specific Investigation")
NO_SPECIFIC_INVESTIGATION = "urn:nasa:pds:context:investigation:individual.none"
_FORMAT_FINDING = "error.table.field_value_format"
PDS3_SUFFIXES = (".lbl",)
#: widest record read back through pds4_tools (its table reading takes time quadratic in the
#: fields: ~5 s for 1,000, ~20 s for 2,000; a label of 100,000 columns would take hours)
PDS4_TOOLS_MAX_FIELDS = 1000
#: products prepared together (their Schematron runs in one Saxon transform; a worker's unit of work)
BATCH = 32
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


_NO_VALUE = ("N/A", "UNK", "UNKNOWN", "NULL", "NONE")


def _keywords(product: Product, mapping: MigrationMap, name: str) -> list[str]:
    """The values of a PDS3 keyword (a sequence or set — ``TARGET_NAME = {MARS, PHOBOS}``
    — gives each, in label order, once), without the PDS3 no-value words (N/A, UNK …);
    the ``--map`` [keywords] value instead when there is one."""
    if name in mapping.keywords:
        return [str(mapping.keywords[name])]
    v = product.label.get(name) if hasattr(product.label, "get") else None
    values = sorted(v, key=str) if isinstance(v, (set, frozenset)) else v if isinstance(v, (list, tuple)) else [v]
    out: list[str] = []
    for x in values:
        text = " ".join(str(x).split()) if x is not None else ""
        if text and text.upper() not in _NO_VALUE and text not in out:
            out.append(text)
    return out


def _keyword(product: Product, mapping: MigrationMap, *names: str) -> str | None:
    """The first value of the first of ``names`` the label (or ``--map``) gives."""
    for n in names:
        values = _keywords(product, mapping, n)
        if values:
            return values[0]
    return None


def _time(text: str | None) -> str | None:
    if not text:
        return None
    from pdsgen.times import iso_utc

    try:
        return iso_utc(text)
    except PdsgenError:
        return None


def _context(product: Product, opts: MigrateOptions, notes: Notes, *, required: bool = True) -> dict[str, Any]:
    """The Investigation_Area, Observing_System and Target_Identification of the new label
    from the PDS3 names. ``required`` (an observational product): each is required, and
    what cannot be referenced or typed is refused; otherwise (a Context_Area, all optional)
    what cannot be written is left out with a note."""
    m, ctx = opts.mapping, opts.mapping.context
    files = tuple(opts.context_products) or tuple(str(p) for p in default_context_files())
    idx = context_index(files) if files else ContextIndex({})
    if not files:
        notes.add("no registered-context-products list: no context references written")
    mission = _keyword(product, m, "MISSION_NAME")
    host_name = _keyword(product, m, "INSTRUMENT_HOST_NAME", "SPACECRAFT_NAME")
    host_id = _keyword(product, m, "INSTRUMENT_HOST_ID", "SPACECRAFT_ID")
    inst_names = _keywords(product, m, "INSTRUMENT_NAME")
    inst_ids = _keywords(product, m, "INSTRUMENT_ID")
    targets = _keywords(product, m, "TARGET_NAME")

    def pick(kind: str, names: list[str | None], within: str | None = None
             ) -> tuple[str | None, str | None, str | None]:
        given = [n for n in names if n]
        if kind in ctx:  # a LID from --map: the name and type it is registered under (validate compares them)
            known = idx.registered(ctx[kind])
            if known:
                return ctx[kind], known[1], known[0]
            return ctx[kind], None, given[0] if given else None
        lid, type_, note, name = idx.find(kind, given, within=within)
        if lid is None or note.startswith(ALTERNATE_SPELLING):
            notes.add(note)
        return lid, type_, name or (given[0] if given else None)

    host_lid, _, host_label = pick("instrument_host", [host_name, host_id, mission])
    inv_lid: str | None
    inv_type: str | None
    inv_name: str | None
    inferred = None
    if mission is None and host_lid and "investigation" not in ctx and \
            idx.find("investigation", [n for n in (host_name, host_id) if n])[0] is None:
        # no MISSION_NAME and a registered spacecraft: the mission it is named after (VIKING ORBITER 1)
        inferred = idx.mission_of_host(host_lid, [n for n in (host_name, host_id) if n])
    if inferred is not None:
        inv_lid, inv_type, inv_note, inv_name = inferred
        notes.add(inv_note)
    else:
        inv_lid, inv_type, inv_name = pick("investigation", [mission, host_name, host_id])
    within = host_lid.rsplit(".", 1)[-1] if host_lid else (host_id or "").lower() or None
    # one instrument per INSTRUMENT_NAME (its INSTRUMENT_ID at the same place as a second name)
    instruments = [pick("instrument", [n, inst_ids[k] if k < len(inst_ids) else None], within=within)
                   for k, n in enumerate(inst_names or inst_ids[:1] or [None])]
    if inv_lid is None and mission is None and host_lid is None and "investigation" not in ctx:
        # no mission and no registered spacecraft (ground-based, laboratory data): PDS registers
        # "No Specific Investigation" for products that belong to none — referenced, not invented
        known = idx.registered(NO_SPECIFIC_INVESTIGATION)
        if known is not None:
            inv_lid, (inv_name, inv_type) = NO_SPECIFIC_INVESTIGATION, known
            notes.add(f"no MISSION_NAME and no registered instrument host: Investigation_Area references the "
                      f"registered {inv_name!r} ({NO_SPECIFIC_INVESTIGATION})")
    if inv_lid is None and not required:
        notes.add("no registered investigation: the Context_Area has no Investigation_Area")
    elif inv_lid is None:
        # PDS4's Investigation_Area requires an Internal_Reference (schema: 1..n): no
        # investigation LID is ever invented, so a team gives the registered one
        tried = " / ".join(repr(n) for n in (mission, host_name, host_id) if n) or "none (no MISSION_NAME, " \
            "INSTRUMENT_HOST_NAME or INSTRUMENT_HOST_ID)"
        raise UnsupportedError(f"no registered investigation context product for the names {tried}; PDS4's "
                               "Investigation_Area must reference one: give the LID of a registered context "
                               "product in --map as [context] investigation = "
                               '"urn:nasa:pds:context:investigation:<type>.<name>" (validate checks it is registered)')
    if not targets and "target" not in ctx:
        notes.add("no target name in the PDS3 label")
    if not targets and "target" not in ctx and required:
        raise UnsupportedError("the PDS3 label names no TARGET_NAME (or N/A, UNK …); PDS4's Target_Identification "
                               'needs one: give [keywords] TARGET_NAME = "..." in --map, with [context] target = '
                               '"<registered target LID>" or target_type = "<PDS4 target type>"')
    found_targets = []
    for target in list[str | None](targets) or ([None] if required or "target" in ctx else []):
        tgt_lid, tgt_type, tgt_name = pick("target", [target] if target else [])
        tgt_type = ctx.get("target_type") or (tgt_type if tgt_type != "N/A" else None)
        if not tgt_type and target:
            # no registered body: a region, medium or calibration scene has a PDS4 type of its own; the
            # Target_Identification is then written without an Internal_Reference (optional in the schema)
            tgt_type = generic_target_type(target)
            if tgt_type:
                notes.add(f"target {target!r}: no registered context product; Target_Identification written "
                          f"with type {tgt_type!r} (generic target) and no Internal_Reference")
        if not tgt_type and not required:
            notes.add(f"target {target!r}: no registered context product and no generic target: no "
                      "Target_Identification written")
            continue
        if not tgt_type:
            raise UnsupportedError(f"target {target!r} has no registered context product and is no generic target "
                                   "(HELIOSPHERE, DUST, SKY …), so its PDS4 type is unknown; give [context] "
                                   'target = "<registered target LID>" or target_type = "<PDS4 target type>" in '
                                   "--map")
        found_targets.append({"name": tgt_name or str(tgt_lid).rsplit(".", 1)[-1], "type": tgt_type,
                              "lid": tgt_lid})
        if "target" in ctx:  # the --map names one target
            break
    observing = []
    if host_label:
        observing.append({"name": host_label, "type": "Host", "lid": host_lid,
                          "reference_type": "is_instrument_host"})
    for inst_lid, _, inst_label in instruments:
        if inst_label:
            observing.append({"name": inst_label, "type": "Instrument", "lid": inst_lid,
                              "reference_type": "is_instrument"})
    if not observing and required:
        raise UnsupportedError("the PDS3 label names no instrument or host (Observing_System needs one)")
    # (the type validate compares with the registered one; a mission when the list says nothing)
    return {"investigations": [{"name": inv_name, "type": inv_type if inv_type and inv_type != "N/A" else "Mission",
                                "lid": inv_lid}] if inv_lid else [],
            "observing_system": observing,
            "targets": found_targets}


def _describe(product: Product, notes: Notes, units: dict[str, str]) -> dict[Path, list[dict[str, Any]]]:
    by_file: dict[Path, list[dict[str, Any]]] = {}
    objs = merge_shared_record_tables(sorted(unique_object_names(product.objects, notes),
                                             key=lambda o: (str(o.file), o.offset)), notes)
    for i, obj in enumerate(objs):
        nxt = objs[i + 1] if i + 1 < len(objs) and objs[i + 1].file == obj.file else None
        by_file.setdefault(obj.file, []).extend(
            describe_objects(obj, next_offset=nxt.offset if nxt else None, notes=notes, units=units, siblings=objs))
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


def _same_path(a: Path, b: Path) -> bool:
    """``a.resolve() == b.resolve()``, without resolving (a system call per folder of
    each) two paths of different files."""
    try:
        sa, sb = a.stat(), b.stat()
    except OSError:
        return a.resolve() == b.resolve()
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino) and a.resolve() == b.resolve()


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


def _validate(tree: Any, text: bytes, label: Path, opts: MigrateOptions,
              described: list[DataObject]) -> list[str]:
    """Error findings of pdsgen's validation of the label ``tree`` (parsed from ``text``,
    to be written at ``label``): schema, Schematron and content, on the in-memory tree.
    ``described`` receives the data objects the content check described (pdsgen's PDS4
    reading of ``tree``, read back next without describing them again)."""
    from pdsgen.validate.runner import validate_pds4

    vopts = _validate_options(opts.catalog_path, opts.offline, tuple(opts.context_products))
    described.clear()
    return _errors(validate_pds4(tree, label, vopts, data=text, described=described).finish())


def _validate_steps(tree: Any, text: bytes, label: Path, opts: MigrateOptions,
                    described: list[DataObject]) -> Generator[list[Any], list[Any], list[str]]:
    """`_validate` with the catalog Schematron runs yielded (`_DeferredSchematron`s) and
    their outcomes received (findings, or the `ValidationRunError` of a batched run that
    failed: then the label is validated again alone, as `validate_labels` does)."""
    from pdsgen.validate.runner import validate_pds4

    vopts = _validate_options(opts.catalog_path, opts.offline, tuple(opts.context_products))
    described.clear()
    runs: list[Any] = []
    res = validate_pds4(tree, label, vopts, data=text, described=described, deferred=runs)
    if runs:
        outcomes = yield runs
        if any(not isinstance(o, list) for o in outcomes):
            return _validate(tree, text, label, opts, described)
        for run, found in reversed(list(zip(runs, outcomes, strict=True))):  # later insertion points first
            res.findings[run.at:run.at] = found
    res.finish()
    return _errors(res)


def _errors(res: Any) -> list[str]:
    return [f"{f.type}: {f.message}" for f in res.findings if str(f.type).startswith("error.")]


@lru_cache(maxsize=1)
def _pds4_tools() -> bool:
    return pds4_tools_available()


class _Staging:
    """Staging folders inside the output folders, one per process and output folder
    (``.migrate-<run>-<pid>-*``), made on first use and removed by whoever started the run
    (`remove`): a product's files are checked there under their own names, then renamed
    to a name unique in the folder (``<n>.<name>``) until they are placed in ``out``."""

    def __init__(self, run: str | None = None, *, park: bool = False):
        self.run = run or secrets.token_hex(4)
        self.parks = park  # a worker's products are placed later, by another process
        self._folders: dict[tuple[Path, int, int], Path] = {}
        self._count = 0

    def folder(self, out: Path, slot: int = 0) -> Path:
        """This process's staging folder in ``out``; ``slot`` k > 0: its subfolder ``k``
        (the k-th product of a batch stages there: products of one batch are staged at
        the same time and may have files of one name). Made once, used by every batch."""
        key = (out, os.getpid(), slot)
        found = self._folders.get(key)
        if found is None or not found.is_dir():
            if slot:
                found = self.folder(out) / str(slot)
                found.mkdir(exist_ok=True)
            else:
                out.mkdir(parents=True, exist_ok=True)
                found = Path(tempfile.mkdtemp(prefix=f".migrate-{self.run}-{os.getpid()}-", dir=out))
            self._folders[key] = found
        return found

    def park(self, staged: Path) -> Path:
        """``staged`` renamed to a name no later product of this process uses (when the
        products are placed later by another process; else as it is)."""
        if not self.parks:
            return staged
        self._count += 1
        parked = staged.with_name(f"{self._count}.{staged.name}")
        os.replace(staged, parked)
        return parked

    def remove(self, out: Path) -> None:
        for folder in out.glob(f".migrate-{self.run}-*"):
            shutil.rmtree(folder, ignore_errors=True)


@dataclass
class _Prepared:
    """A product checked in its staging folder: files to place in ``out`` in order (data
    first, label last) as (staged path, final name, md5 or None for the label)."""

    result: MigrationResult
    files: list[tuple[Path, str, str | None]] = field(default_factory=list)


def migrate_product(label: Path, opts: MigrateOptions) -> MigrationResult:
    """Migrate one PDS3 product; never raises for bad input (the result says why)."""
    staging = _Staging()
    try:
        return _Placer(Path(opts.out)).place(_prepare(Path(label), opts, staging))
    finally:
        staging.remove(Path(opts.out))


#: the steps of one product (`_steps`): they stop once, with the label's catalog
#: Schematron runs for `_prepare_batch` to batch, and are sent those runs' outcomes
_Steps = Generator[list[Any], list[Any], _Prepared]


def _prepare(label: Path, opts: MigrateOptions, staging: _Staging) -> _Prepared:
    """Everything but the placing, for one product."""
    return _prepare_batch([label], opts, staging)[0]


#: `_settle_heap` acts in this process (set by `migrate` for its run, and in its workers)
_heap_run = False
#: the process whose long-lived objects `_settle_heap` has frozen
_settled_pid: int | None = None
#: the garbage collector's first threshold during a run (Python's default: 700 allocations)
_YOUNG_THRESHOLD = 10_000


def _settle_heap() -> None:
    """Once per process of a `migrate` run, after its first batch: collect, then move
    everything alive — modules, compiled templates, schemas, caches, the loaded
    vocabularies — out of the garbage collector's reach (`gc.freeze`). Otherwise every
    full collection walks those ~100,000 long-lived objects again, ~0.5 ms of CPU a
    product over a run; what the products allocate later is collected as usual."""
    import gc

    global _settled_pid
    if _heap_run and _settled_pid != os.getpid():
        _settled_pid = os.getpid()
        gc.collect()
        gc.freeze()


@contextmanager
def _run_heap() -> Iterator[None]:
    """A `migrate` run's garbage collection: young collections every `_YOUNG_THRESHOLD`
    allocations instead of 700 (a product allocates tens of thousands of short-lived
    objects, nearly all freed by reference counting: ~0.1 ms a product less), the
    long-lived heap frozen after the first batch (`_settle_heap`); both undone after."""
    import gc

    global _heap_run, _settled_pid
    if _heap_run:  # (a run inside a run)
        yield
        return
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], _YOUNG_THRESHOLD), *thresholds[1:])
    _heap_run = True
    try:
        yield
    finally:
        _heap_run, _settled_pid = False, None
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _prepare_batch(labels: Sequence[Path], opts: MigrateOptions, staging: _Staging) -> list[_Prepared]:
    """`_steps` of each label, with the Schematron runs of them all batched: one Saxon
    transform per Schematron for the batch (`schematron.check_schematron_batch`: each
    label its own document and its own findings, exactly those of a run alone). Each
    product stages in a slot of its own; nothing else is shared between them."""
    try:
        return _prepare_batch_steps(labels, opts, staging)
    finally:
        _settle_heap()


def _prepare_batch_steps(labels: Sequence[Path], opts: MigrateOptions, staging: _Staging) -> list[_Prepared]:
    from pdsgen.validate import schematron

    out: list[_Prepared | None] = [None] * len(labels)
    waiting: list[tuple[int, _Steps, list[Any]]] = []
    for i, label in enumerate(labels):
        steps = _steps(Path(label), opts, staging, slot=i)
        try:
            waiting.append((i, steps, next(steps)))
        except StopIteration as done:
            out[i] = done.value
    outcomes: list[list[Any]] = [[None] * len(runs) for _i, _s, runs in waiting]
    by_sch: dict[Path, list[tuple[int, int]]] = {}
    for k, (_i, _s, runs) in enumerate(waiting):
        for j, run in enumerate(runs):
            by_sch.setdefault(run.sch, []).append((k, j))
    for sch, members in by_sch.items():
        runs = [waiting[k][2][j] for k, j in members]
        found = schematron.check_schematron_batch([(r.tree, r.data, r.file) for r in runs], sch)
        for (k, j), outcome in zip(members, found, strict=True):
            outcomes[k][j] = outcome
    for (i, steps, _runs), outcome in zip(waiting, outcomes, strict=True):
        try:
            steps.send(outcome)
        except StopIteration as done:
            out[i] = done.value
        else:  # (the steps stop once)
            steps.close()
            raise AssertionError("migrate steps stopped twice")
    assert all(p is not None for p in out)
    return out  # type: ignore[return-value]


def _steps(label: Path, opts: MigrateOptions, staging: _Staging, slot: int = 0) -> _Steps:
    """Everything but the placing: read, describe, stage, render, validate, read back;
    stops once at the catalog Schematron runs of the validation (see `_Steps`)."""
    notes = Notes()
    staged: list[Path] = []
    try:
        import pdsgen
        from pdsgen.untrusted import confine

        if label.is_symlink():  # a label linked in from outside its folder is not read
            confine(label.parent, label.name, label=label, what="label")
        product = pdsgen.open(label)
        if product.standard != "PDS3":
            raise UnsupportedError(f"{label} is a {product.standard} label, not PDS3")
        return (yield from _migrate(product, label, opts, notes, staging, staged, slot))
    except PdsgenError as exc:
        failed = MigrationResult(str(label), "failed", reason=str(exc), notes=notes.items)
    except (OSError, ValueError) as exc:
        failed = MigrationResult(str(label), "failed", reason=f"{type(exc).__name__}: {exc}", notes=notes.items)
    for p in staged:  # nothing of a failed product stays
        p.unlink(missing_ok=True)
    return _Prepared(failed)


def _migrate(product: Product, label: Path, opts: MigrateOptions, notes: Notes, staging: _Staging,
             staged: list[Path], slot: int = 0) -> _Steps:
    from pdsgen.render.env import render_label
    from pdsgen.render.ids import check_lid, information_model
    from pdsgen.times import iso_date, iso_utc, resolve_creation_time
    from pdsgen.untrusted import parse_label_xml

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
    if cls == "Product_Observational" and not _keywords(product, m, "TARGET_NAME") and "target" not in m.context:
        # data that observe no target (calibration, geometry, index tables …) are PDS4's ancillary
        # products, whose Context_Area needs neither a target nor an investigation
        cls = "Product_Ancillary"
        notes.add("no TARGET_NAME (or N/A, UNK …): data that observe no target are migrated as a "
                  "Product_Ancillary; give [keywords] TARGET_NAME (and [context] target or target_type) in "
                  "--map for a Product_Observational")
    level = m.product.get("processing_level")
    if level is None and cls == "Product_Observational":
        found = _LEVEL.search((data_set_id or "").upper())
        # else the PDS3 PROCESSING_LEVEL_ID keyword (the CODMAC level: 2, "1B" …)
        codmac = (_keyword(product, m, "PROCESSING_LEVEL_ID") or "").strip().upper()
        level = _LEVELS[found.group(1)] if found else _LEVELS.get(codmac)
        if level is None:
            raise UnsupportedError(f"DATA_SET_ID {data_set_id!r} and PROCESSING_LEVEL_ID {codmac or None!r} give no "
                                   "processing level; give [product] processing_level in --map")
    start = _time(m.keywords.get("START_TIME") or product.start_time)
    stop = _time(m.keywords.get("STOP_TIME") or product.stop_time)
    if not start:
        notes.add("no START_TIME: start_date_time is nil (missing)")
    # a product of several data sets (DATA_SET_ID = {"A", "B"}) names each
    ref = f"PDS3 product DATA_SET_ID = {', '.join(_keywords(product, m, 'DATA_SET_ID')) or 'N/A'}, PRODUCT_ID = {product_id}"
    try:
        ctx = _context(product, opts, notes, required=cls != "Product_Ancillary")
    except UnsupportedError as exc:
        if cls == "Product_Observational":
            raise
        ctx = {"investigations": [], "observing_system": [], "targets": []}  # optional outside data products
        notes.add(f"no Context_Area: {exc}")

    out = Path(opts.out)
    names = [src.name for src in by_file]
    if len(set(names)) != len(names):  # objects in files of one name in other folders
        raise UnsupportedError(f"two data files named {names}; a PDS4 product's files share one folder")
    stage = staging.folder(out, slot)
    files: list[dict[str, Any]] = []
    for src, objects in by_file.items():
        if _same_path(src, label) and len(by_file) > 0:
            notes.add(f"attached label: {src.name} (the PDS3 label and its text) is the Document_File"
                      if cls == "Product_Document" else
                      f"attached label: {src.name} is the data file; objects addressed by offset")
        staged.append(stage / src.name)
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
    text = render_label(template, variables, opts.templates_dir).encode("utf-8")
    tree = parse_label_xml(text, path=staged_label, remove_comments=False)
    described: list[DataObject] = []
    if opts.validate:
        errors = yield from _validate_steps(tree, text, staged_label, opts, described)
        if errors and all(_FORMAT_FINDING in e for e in errors):
            # PDS3 FORMATs are often looser than the values (F6.2 over "-3.5"); PDS4
            # validation checks them: the label is written again without field formats.
            variables["with_formats"] = False
            text = render_label(template, variables, opts.templates_dir).encode("utf-8")
            tree = parse_label_xml(text, path=staged_label, remove_comments=False)
            notes.add(f"field formats left out: the values do not follow the PDS3 FORMATs ({errors[0]})")
            errors = _validate(tree, text, staged_label, opts, described)
        if errors:
            raise UnsupportedError(f"the new label does not validate: {'; '.join(errors[:5])}")
    new_objects, problems = _read_back(tree, staged_label, [o for f in files for o in f["objects"]], stage,
                                       described)
    if problems:
        raise UnsupportedError(f"values differ between the PDS3 and PDS4 labels: {'; '.join(problems[:5])}")
    staged.append(staged_label)
    staged_label.write_bytes(text)
    widest = max((len(o.fields) for o in new_objects), default=0)
    problems = pds4_tools_difference(staged_label, new_objects) if _pds4_tools() and widest <= \
        PDS4_TOOLS_MAX_FIELDS else []
    if not _pds4_tools():
        notes.add("pds4_tools is not installed (pip install 'pdsgen[migrate]'): the values were not read back "
                  "through it")
    elif widest > PDS4_TOOLS_MAX_FIELDS:
        notes.add(f"a record of {widest:,} fields: the values were not read back through pds4_tools (its time grows "
                  f"with the square of the fields: minutes past {PDS4_TOOLS_MAX_FIELDS:,}), only through pdsgen's "
                  "PDS4 reading")
    if problems:
        raise UnsupportedError(f"values differ between pds4_tools' and pdsgen's readings of the PDS4 label: "
                               f"{'; '.join(problems[:5])}")
    for w in product.warnings:  # what the lenient PDS3 reading recovered from (label and data), for the report
        where = "".join(f"{k} {v!r}: " for k, v in (("object", w.object), ("field", w.field)) if v)
        notes.add(f"PDS3 reading: {where}{w.message}" + (f" ({w.count} values)" if w.count and w.count > 1 else ""))
    result = MigrationResult(str(label), "migrated", pds4_label=str(out / label_name), lid=lid, notes=notes.items,
                             objects=[f"{o['source'].name} → {_class_name(o, cls)}"
                                      for f in files for o in f["objects"]])
    # (a worker's files are parked under names of their own: its next product stages the same names)
    placed = [(staging.park(stage / f["file_name"]), f["file_name"], f["md5"]) for f in files]
    staged.clear()
    return _Prepared(result, [*placed, (staging.park(staged_label), label_name, None)])


def _read_back(tree: Any, pds4_label: Path, objects: Sequence[dict[str, Any]],
               stage: Path, described: Sequence[DataObject] = ()) -> tuple[list[DataObject], list[str]]:
    """pdsgen's PDS4 reading of the new label (the in-memory ``tree``, data beside
    ``pds4_label`` in ``stage``) and its differences from the PDS3 reading of each object.

    ``described``: the objects validation's content check described from ``tree`` (the
    same reader, `pdsgen.pds4.objects.build_object`, on the same elements and files);
    used when they are the label's objects one for one, by name, else the label is read
    through `product_from_tree`.

    Encoded images, documents and objects the PDS3 reader does not read (ISIS HISTORY)
    are compared as bytes: those the new label points at must be the PDS3 object's (a
    Document_File is the whole file)."""
    from pdsgen.pds4.product import product_from_tree

    documents = all(o["kind"] in ("document", "text") for o in objects)
    as_bytes = [documents or o["kind"] in ("encoded", "document") or o["source"].error is not None
                for o in objects]
    problems = [diff for o, whole in zip(objects, as_bytes, strict=True) if whole
                for diff in [region_difference(o["source"].file, stage / o["source"].file.name,
                                               0 if documents else o["offset"],
                                               o["source"].file.stat().st_size if documents else o["object_length"],
                                               what=f"object {o['name']!r}")] if diff]
    if documents:
        return [], problems
    names = {o["source"].name for o in objects}
    if len(described) == len(objects) and all(o.name in names for o in described):
        new_objects = list(described)
    else:
        new_objects = product_from_tree(tree, pds4_label).objects
    if len(new_objects) != len(objects):
        return new_objects, [f"the PDS4 label reads as {len(new_objects)} objects, {len(objects)} were written"]
    pairs: list[tuple[DataObject, DataObject]] = []
    by_name = {o.name: o for o in new_objects}
    for o, whole in zip(objects, as_bytes, strict=True):
        new_obj = by_name.get(o["source"].name)
        if new_obj is None:
            return new_objects, [f"object {o['source'].name!r} missing from the PDS4 reading"]
        if not whole:
            pairs.append((o["source"], new_obj))
    problems += compare_objects(pairs)
    # then what users see: the physical values (scaled, special constants masked) — a
    # wrong or dropped scaling_factor, value_offset or special constant shows only there
    return new_objects, problems or compare_objects(pairs, physical=True)


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


# --------------------------------------------------------------------------- placing


def _md5(p: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(p, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


class _Placer:
    """Moves checked products into ``out``, one at a time in input order (the only writer
    of ``out`` in a run, whatever the number of workers): a product that would replace
    another product's files — written earlier in this run, or already in ``out`` — is
    refused as a whole; a re-run of the same product replaces its own files."""

    def __init__(self, out: Path):
        self.out = out
        #: file name -> (PDS3 label, md5 of a data file or None for a PDS4 label) of this run
        self.claimed: dict[str, tuple[str, str | None]] = {}
        self.lids: dict[str, str] = {}

    def place(self, prepared: _Prepared) -> MigrationResult:
        r = prepared.result
        try:
            if r.status == "migrated":
                self._check(r, prepared.files)
                for staged, name, _md5sum in prepared.files:  # data first, label last
                    os.replace(staged, self.out / name)
                for _staged, name, md5sum in prepared.files:
                    self.claimed.setdefault(name, (r.source, md5sum))
                self.lids[str(r.lid)] = r.source
            return r
        except (UnsupportedError, OSError) as exc:
            reason = str(exc) if isinstance(exc, UnsupportedError) else f"{type(exc).__name__}: {exc}"
            return MigrationResult(r.source, "failed", reason=reason, notes=r.notes)
        finally:
            for staged, _name, _md5sum in prepared.files:
                staged.unlink(missing_ok=True)

    def _check(self, r: MigrationResult, files: list[tuple[Path, str, str | None]]) -> None:
        if r.lid in self.lids:
            raise UnsupportedError(f"LID {r.lid} is already that of {self.lids[str(r.lid)]} in this run; "
                                   "not written")
        for staged, name, md5sum in files:
            target = self.out / name
            kind = not_a_file(target, follow=False)
            if kind is not None:
                raise UnsupportedError(f"{target} exists and is {kind}, not a file of a migrated product; "
                                       "not replaced (nothing is written through a link)")
            earlier = self.claimed.get(name)
            if earlier is not None:
                if md5sum is None or earlier[1] != md5sum:  # the same data bytes may be shared
                    what = "PDS4 label" if earlier[1] is None else "data file (other bytes)"
                    raise UnsupportedError(f"would overwrite {target}, the {what} of {earlier[0]} migrated "
                                           "in this run; not replaced")
            elif md5sum is not None:
                if target.exists() and not _same_bytes(target, staged, md5sum):
                    raise UnsupportedError(f"{target} already exists with other bytes (another product's data "
                                           "file of the same name?); not replaced")
            elif target.exists():
                text = target.read_text(encoding="utf-8", errors="replace")
                if f"<logical_identifier>{r.lid}</logical_identifier>" not in text:
                    raise UnsupportedError(f"{target} already exists for another product; not replaced")


def _same_bytes(existing: Path, staged: Path, md5sum: str) -> bool:
    if existing.stat().st_size != staged.stat().st_size:
        return False
    if os.path.samefile(existing, staged):
        return True
    return _md5(existing) == md5sum


# --------------------------------------------------------------------------- many products

#: the staging of a worker process of `migrate` (set by `_init_worker`)
_worker_staging: _Staging | None = None


def _init_worker(run: str) -> None:
    """A worker of `migrate --jobs`: its own staging folder and warm caches (templates,
    catalog, Schematron, context list: loaded on its first product, kept for the others)."""
    import signal

    global _worker_staging, _heap_run
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _heap_run = True  # (a spawned worker; a forked one has it already)
    _worker_staging = _Staging(run, park=True)


def _prepare_in_worker(args: tuple[list[Path], MigrateOptions]) -> list[_Prepared]:
    assert _worker_staging is not None
    return _prepare_batch(args[0], args[1], _worker_staging)


def _warm(opts: MigrateOptions) -> None:
    """Load before the workers are forked what each of them would load on its first
    product — the modules, the unit vocabulary, the compiled templates, the context list,
    the XML catalog — so that they share it (Saxon is not started here: it does not
    survive fork; each worker loads its compiled Schematron). A failure here is left for
    the products to report."""
    try:
        import pdsgen.pds3.product
        import pdsgen.pds4.product
        import pdsgen.validate.runner  # noqa: F401
        from pdsgen.migrate.vocabulary import unit_vocabulary
        from pdsgen.render.env import label_environment

        unit_vocabulary()
        env = label_environment(opts.templates_dir)
        for cls in ("Product_Observational", "Product_Ancillary", "Product_Document", "Product_Browse"):
            env.get_template(TEMPLATE.format(product_class=cls))
        files = tuple(opts.context_products) or tuple(str(p) for p in default_context_files())
        if files:
            context_index(files)
        if opts.validate:
            _validate_options(opts.catalog_path, opts.offline, tuple(opts.context_products)).get_catalog()
        if _pds4_tools():
            import pds4_tools  # noqa: F401
    except (PdsgenError, OSError, ValueError):
        pass


def migrate(targets: Iterable[str | os.PathLike[str]], opts: MigrateOptions, *, jobs: int = 1) -> list[MigrationResult]:
    """Migrate every PDS3 label given or found under the given folders; one result each,
    in input order. ``jobs`` > 1 prepares products in worker processes; this process alone
    places them into ``opts.out``, in input order (two products of one file name or LID:
    the first is placed, the second refused, whatever the timing)."""
    labels = find_labels(targets)
    out = Path(opts.out)
    staging = _Staging()
    placer = _Placer(out)
    size = BATCH if jobs <= 1 else max(1, min(BATCH, len(labels) // (jobs * 4)))  # (workers: 4 batches each at least)
    batches = [labels[k:k + size] for k in range(0, len(labels), size)]
    with _run_heap():
        return _run(batches, opts, jobs, staging, placer, out)


def _run(batches: list[list[Path]], opts: MigrateOptions, jobs: int, staging: _Staging, placer: _Placer,
         out: Path) -> list[MigrationResult]:
    try:
        if jobs <= 1 or sum(map(len, batches)) < 2:
            return [placer.place(p) for batch in batches for p in _prepare_batch(batch, opts, staging)]
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        from pdsgen.validate import schematron

        # fork unless this process runs Saxon (a GraalVM isolate does not survive fork)
        method = "spawn" if schematron.saxon_started() or "fork" not in mp.get_all_start_methods() else "fork"
        if method == "fork":
            _warm(opts)
            _settle_heap()  # (and the workers never walk, nor copy on write, what they inherit)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context(method), initializer=_init_worker,
                                 initargs=(staging.run,)) as pool:
            return [placer.place(p) for prepared in pool.map(_prepare_in_worker, [(b, opts) for b in batches])
                    for p in prepared]
    finally:
        staging.remove(out)
