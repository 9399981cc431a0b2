"""Run a recipe over many inputs and write one product per input (or per group).

Each product is computed and written by pdsgen's writers (`pdsgen.render`) into a hidden
staging folder inside ``--out``; only when all its files (data, label, browse) are there
does the caller move them into ``--out`` (data files first, labels last), so a failure
or a crash never leaves a half-written product. A product that fails is reported with
its file and reason and the others still run.
"""

from __future__ import annotations

import glob as globmod
import io
import logging
import multiprocessing
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from pdsgen.errors import PdsgenError, RecipeError
from pdsgen.recipes.loader import Recipe

if TYPE_CHECKING:
    from pdsgen.render.writers import Standard, TableFormat

log = logging.getLogger(__name__)

STAGING_PREFIX = ".pdsgen-staging-"
#: the collection of a recipe's browse plots, beside its data products' collection
BROWSE_COLLECTION = "browse"
#: an empty staging folder of another machine's run is left alone this long (it may be live)
STALE_EMPTY_SECONDS = 3600.0


def staging_name() -> str:
    """``.pdsgen-staging-<host>-<pid>-<random>``: the next run can tell a killed run's
    leftovers (same host, process gone) from a concurrent run's folder."""
    import socket

    host = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"
    return f"{STAGING_PREFIX}{host}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _holds_files(folder: Path) -> bool:
    return any(files for _root, _dirs, files in os.walk(folder))


def remove_stale_staging(out: Path) -> list[Path]:
    """Remove staging folders left in ``out`` by runs that were killed (nothing in them was
    ever committed): those of this host whose process is gone, and empty ones (only empty
    folders) of unknown owner; an empty one of another host only after an hour. Returns
    what was removed; a folder that cannot be removed is left (the run goes on)."""
    import socket

    host = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"
    removed: list[Path] = []
    try:
        candidates = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX) and p.is_dir()
                      and not p.is_symlink()]
    except OSError:
        return removed
    for folder in candidates:
        parts = folder.name[len(STAGING_PREFIX):].rsplit("-", 2)
        owner_host, pid = (parts[0], int(parts[1])) if len(parts) == 3 and parts[1].isdigit() else (None, None)
        try:
            if owner_host == host and pid is not None:
                stale = not _pid_alive(pid)
            elif _holds_files(folder):
                stale = False
            elif owner_host is None:
                stale = True
            else:
                stale = time.time() - folder.stat().st_mtime > STALE_EMPTY_SECONDS
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    return removed


@dataclass
class ProductOutcome:
    """What happened to one input (or group): written files, or the error."""

    inputs: list[Path]
    group: str | None = None
    outputs: list[Path] = field(default_factory=list)  # label paths, final location
    files: list[Path] = field(default_factory=list)  # every file written (data, labels, browse)
    records: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # inputs left out of the group: (path, error)
    staged: list[tuple[Path, Path]] = field(default_factory=list, repr=False)  # (staging, final)
    stage_dir: Path | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def name(self) -> str:
        return self.group if self.group is not None else self.inputs[0].name


@dataclass
class RunReport:
    recipe: Recipe
    outcomes: list[ProductOutcome]
    seconds: float

    @property
    def failed(self) -> list[ProductOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def written(self) -> list[ProductOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def records(self) -> int:
        return sum(o.records for o in self.written)

    def summary(self) -> str:
        n_out = sum(len(o.outputs) for o in self.written)
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        used = sum(len(o.inputs) for o in self.written)
        total = used + sum(len(o.inputs) for o in self.failed)
        return (f"{self.recipe.name}: {used} of {total} inputs done, "
                f"{n_out} products written, {total - used} failed, {self.records} records "
                f"in {self.seconds:.2f} s ({rate:,.0f} records/s)")


# --------------------------------------------------------------------------- inputs


def expand_inputs(items: Iterable[str | Path], recipe: Recipe) -> list[Path]:
    """Files as given, folders searched (recursively) with the recipe's ``input_glob``,
    shell-style globs expanded. An item that matches nothing is an error."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_file():
            found = [p]
        elif p.is_dir():
            found = sorted({f for pat in recipe.input_glob for f in p.rglob(pat) if f.is_file()
                            and not any(part.startswith(STAGING_PREFIX) for part in f.parts)})
        else:
            found = sorted(Path(f) for f in globmod.glob(str(item), recursive=True) if Path(f).is_file())
        if not found:
            if p.is_dir():
                what = "folder has no " + " / ".join(recipe.input_glob) + " files"
            elif globmod.has_magic(str(item)):
                what = "the pattern matches no file"
            else:
                what = "no such file"
            raise RecipeError(f"input {str(item)!r}: {what}")
        out.extend(found)
    seen: set[Path] = set()
    unique = []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def group_inputs(paths: list[Path], recipe: Recipe,
                 rejected: list[tuple[Path, str]] | None = None) -> list[tuple[str | None, list[Path]]]:
    """``[(group key, paths)]``: one per input, or the recipe's groups when it aggregates.

    An input that cannot be grouped (no group keyword, unreadable label, name not matching)
    is an error; with ``rejected`` given it is appended there ``(path, error)`` instead,
    and the other inputs are still grouped.
    """
    def refuse(exc: PdsgenError, p: Path) -> None:
        if rejected is None:
            raise exc
        text = str(exc)
        rejected.append((p, text if str(p) in text else f"{p}: {text}"))

    if not recipe.aggregate:
        return [(None, [p]) for p in paths]
    if recipe.group_by == "all":
        return [(recipe.name, list(paths))] if paths else []
    groups: dict[str, list[Path]] = {}
    if recipe.group_by.startswith("name:"):
        rx = re.compile(recipe.group_by[5:])
        for p in paths:
            m = rx.search(p.name)
            if not m:
                refuse(RecipeError(f"file name does not match group_by {recipe.group_by[5:]!r}", path=str(p)), p)
                continue
            groups.setdefault(m.group(1) if m.groups() else m.group(0), []).append(p)
    else:
        from pdsgen.recipes.keywords import find_keyword
        from pdsgen.registry import open as open_product

        key = recipe.group_by[len("keyword:"):]
        for p in paths:
            try:
                value, _ = find_keyword(open_product(p), key)
                if value is None:
                    raise RecipeError(f"no keyword {key!r} to group by", path=str(p))
            except PdsgenError as exc:
                refuse(exc, p)
                continue
            groups.setdefault(str(value), []).append(p)
    return sorted(groups.items())


# --------------------------------------------------------------------------- naming


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "product"


def browse_lid(product_lid: str, plot: str) -> str:
    """The LID of the browse plot ``plot`` of the product ``product_lid``: in the bundle's
    browse collection (``urn:nasa:pds:<bundle>:browse:<product>_<plot>``), so that browse
    products are a collection of their own; a LID without a collection field keeps the
    plot beside the product (``<lid>_<plot>``)."""
    name = _safe(plot).lower()
    fields = product_lid.split(":")
    if len(fields) >= 6:
        return ":".join([*fields[:4], BROWSE_COLLECTION, f"{fields[-1]}_{name}"])
    return f"{product_lid}_{name}"


def name_fields(recipe: Recipe, paths: list[Path], group: str | None, part: str) -> dict[str, str]:
    stem = _safe(group if group is not None else paths[0].stem)
    return {"stem": stem.lower(), "STEM": stem.upper(), "group": stem.lower(), "GROUP": stem.upper(),
            "part": part.lower(), "PART": part.upper(), "recipe": recipe.name, "version": recipe.version}


def _format(pattern: str, fields: Mapping[str, str]) -> str:
    return pattern.format_map(dict(fields))


# --------------------------------------------------------------------------- one product


def process(
    recipe: Recipe,
    paths: list[Path],
    group: str | None,
    stage_root: Path,
    cal_files: list[Path],
    params: Mapping[str, Any],
    standard: Standard,
    templates_dir: Path | None,
    creation_time: Any,
    only: Collection[str] | None = None,
    browse_dir: Path | None = None,
) -> ProductOutcome:
    """Compute and write one product into its own staging folder (no move into --out;
    browse plots go to ``browse_dir`` when given); ``only``: see `write_products`."""
    t0 = time.perf_counter()
    outcome = ProductOutcome(inputs=list(paths), group=group)
    stage = stage_root / uuid.uuid4().hex
    outcome.stage_dir = stage
    try:
        from pdsgen.recipes.engine import compute

        computed = compute(recipe, paths, cal_files, params, group=group)
        outcome.notes = computed.notes  # write_products may add to them
        if computed.context is not None and computed.context.rejected:
            # inputs of the group that failed: reported per product; the group is made of the rest
            outcome.rejected = list(computed.context.rejected)
            paths = list(computed.context.paths)
            outcome.inputs = list(paths)
        stage.mkdir(parents=True)
        written = write_products(recipe, computed, paths, group, stage, cal_files, params, standard,
                                 templates_dir, creation_time, only=only)
        outcome.records = sum(len(t) for t in computed.tables.values())
        for label, files, browse in written:
            dest = browse_dir if browse and browse_dir is not None else stage_root.parent
            outcome.outputs.append(dest / label.name)
            for f in files:
                outcome.staged.append((f, dest / f.name))
    except PdsgenError as exc:
        outcome.error = _error_text(exc, paths)
        outcome.rejected = []
    except Exception as exc:  # noqa: BLE001 - a bug in one (third-party) algorithm fails its product only
        outcome.error = f"{paths[0]}: {type(exc).__name__}: {exc}"
    if outcome.error is not None:
        shutil.rmtree(stage, ignore_errors=True)
        outcome.staged = []
        outcome.outputs = []
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _error_text(exc: PdsgenError, paths: list[Path]) -> str:
    if exc.path and STAGING_PREFIX in exc.path:  # a writer error: name the output, not the staging folder
        name = Path(exc.path).name
        exc.path = None
        exc.message = f"writing {name}: {exc.message}"
    text = str(exc)
    if exc.path is None or not any(str(p) in text for p in paths):
        return f"{paths[0]}: {text}" if len(paths) == 1 else f"{paths[0].parent} ({len(paths)} inputs): {text}"
    return text


def write_products(
    recipe: Recipe,
    computed: Any,
    paths: list[Path],
    group: str | None,
    stage: Path,
    cal_files: list[Path],
    params: Mapping[str, Any],
    standard: Standard,
    templates_dir: Path | None,
    creation_time: Any,
    *,
    only: Collection[str] | None = None,
) -> list[tuple[Path, list[Path], bool]]:
    """Write each output table (and browse plot) through `pdsgen.render`;
    ``[(label, files, is_browse)]``. A browse plot cites the data products it shows
    (``browse_to_data``) and the run's inputs and calibration files, so a calibration
    change makes it stale together with its data products.

    ``only``: the label file names wanted (regeneration remakes one product of a group): a
    browse plot whose label is not among them is neither drawn nor written. Tables and
    arrays are always written (the browse labels cite their LIDVIDs)."""
    from pdsgen.render import (
        ContextReference,
        ProductContext,
        write_array,
        write_browse,
        write_table,
    )

    ctx = computed.context
    products = ctx.products if ctx is not None else []
    start, stop = _times(products, computed.meta)
    inputs = [_identifier(p, path) for p, path in zip(products, paths, strict=False)]
    sums = {ref: _md5(p, path) for ref, p, path in zip(inputs, products, paths, strict=False)}
    cal_pairs = [_cal_identifier(c) for c in cal_files]
    cals = [ref for ref, _ in cal_pairs]
    sums.update(cal_pairs)
    notes = computed.notes
    shown_params = {k: _param_text(v) for k, v in params.items()}
    spec = recipe.product
    out: list[tuple[Path, list[Path], bool]] = []
    lidvids: list[str] = []
    for part, table in computed.tables.items():
        over = spec.for_part(part)
        if standard == "pds4" and over["product_class"] == "Product_Observational":
            missing = [k for k in ("investigations", "observing_system", "targets") if not getattr(spec, k)]
            if missing:
                where = f"{recipe.path}: " if recipe.path else ""
                raise RecipeError(f"{where}[product] needs {', '.join(missing)} for a PDS4 Product_Observational "
                                  "label (context references; see docs/recipes.md)")
        fields = name_fields(recipe, paths, group, part)
        file_name = _format(over["file_name"], fields)
        basename, ext = os.path.splitext(file_name)
        table_format = cast("TableFormat", over["table_format"] or {  # checked by the recipe loader
            ".csv": "delimited", ".dat": "binary", ".bin": "binary"}.get(ext.lower(), "character"))
        pctx = ProductContext(
            lid=_format(over["lid"], fields).lower(), vid=spec.vid,
            title=_format(over["title"] or recipe.title, fields),
            description=over["description"] or recipe.description.strip() or None,
            start_time=computed.meta.get("start_time", start), stop_time=computed.meta.get("stop_time", stop),
            processing_level=spec.processing_level,
            investigations=[_reference(r, ContextReference) for r in spec.investigations],
            observing_system=[_reference(r, ContextReference) for r in spec.observing_system],
            targets=[_reference(r, ContextReference) for r in spec.targets],
            input_products=inputs, calibration_files=cals, recipe_name=recipe.name,
            recipe_version=recipe.version, parameters=shown_params, checksums=sums, notes=notes,
            product_id=_format(over["product_id"], fields), data_set_id=spec.data_set_id,
            product_type=over["product_type"] or None,
        )
        present = [o for o in recipe.outputs_for(part) if o.name in table.colnames]  # optional ones may be absent
        table = _rounded(table, present)
        specials = {o.name: {"missing_constant": o.missing_constant}
                    for o in present if o.missing_constant is not None}
        written = write_table(
            table, stage, basename=basename, special_constants=specials or None, context=pctx, standard=standard, table_format=table_format,
            product_class=over["product_class"], template=recipe.template if standard == recipe.standard else None,
            templates_dir=templates_dir, creation_time=creation_time, data_extension=ext or None,
        )
        out.append((written.label_path, [*written.data_paths, written.label_path], False))
        if written.lid:
            lidvids.append(f"{written.lid}::{written.vid}")
    for part, arr in getattr(computed, "arrays", {}).items():
        over = spec.for_part(part)
        fields = name_fields(recipe, paths, group, part)
        basename, ext = os.path.splitext(_format(over["file_name"], fields))
        pctx = ProductContext(
            lid=_format(over["lid"], fields).lower(), vid=spec.vid,
            title=_format(over["title"] or recipe.title, fields),
            description=over["description"] or arr.description or recipe.description.strip() or None,
            start_time=arr.meta.get("start_time", computed.meta.get("start_time", start)),
            stop_time=arr.meta.get("stop_time", computed.meta.get("stop_time", stop)),
            processing_level=spec.processing_level,
            investigations=[_reference(r, ContextReference) for r in spec.investigations],
            observing_system=[_reference(r, ContextReference) for r in spec.observing_system],
            targets=[_reference(r, ContextReference) for r in spec.targets],
            input_products=inputs if arr.sources is None else [inputs[i] for i in arr.sources],
            calibration_files=cals, recipe_name=recipe.name,
            recipe_version=recipe.version, parameters=shown_params, checksums=sums, notes=notes,
            product_id=_format(over["product_id"], fields), data_set_id=spec.data_set_id,
            product_type=over["product_type"] or None,
        )
        data, unit = arr.data, arr.unit
        if hasattr(data, "unit") and hasattr(data, "value"):  # a Quantity
            unit = unit or data.unit.to_string()
            data = data.value
        written = write_array(
            data, stage, basename=basename, context=pctx, standard=standard, axis_names=arr.axis_names,
            product_class=over["product_class"], unit=unit, description=arr.description or None,
            templates_dir=templates_dir, creation_time=creation_time, data_extension=ext or None,
        )
        out.append((written.label_path, [*written.data_paths, written.label_path], False))
        if written.lid:
            lidvids.append(f"{written.lid}::{written.vid}")
    if computed.plots:
        if standard != "pds4":
            computed.notes.append("browse plots are written as PDS4 Product_Browse only; skipped for PDS3")
        else:
            base_fields = name_fields(recipe, paths, group, "")
            for pname, fig in computed.plots.items():
                bname = _safe(f"{os.path.splitext(_format(spec.file_name, {**base_fields, 'part': pname}))[0]}")
                if pname not in bname:
                    bname = f"{bname}_{_safe(pname).lower()}"
                if only is not None and f"{bname}.xml" not in only:
                    continue  # drawing a plot costs more than the rest of the product
                png = _png_bytes(fig)
                bctx = ProductContext(
                    lid=browse_lid(_format(spec.lid, base_fields).lower(), pname), vid=spec.vid,
                    title=f"{recipe.title}: {pname}", recipe_name=recipe.name, recipe_version=recipe.version,
                    input_products=inputs, calibration_files=cals, parameters=shown_params, checksums=sums,
                    notes=notes)
                written = write_browse(png, stage, basename=bname, context=bctx, browse_of=lidvids,
                                       templates_dir=templates_dir, creation_time=creation_time,
                                       description=f"{pname} plot made by pdsgen recipe {recipe.name}")
                out.append((written.label_path, [*written.data_paths, written.label_path], True))
    return out


def _rounded(table: Any, specs: list[Any]) -> Any:
    """A copy of ``table`` with float columns rounded to their declared ``format``."""
    from pdsgen.recipes.engine import round_to_format

    out = table.copy(copy_data=False)
    for spec in specs:
        col = out[spec.name]
        if spec.format and col.dtype.kind == "f":
            out[spec.name] = type(col)(round_to_format(np.asarray(col), spec.format), name=col.name, unit=col.unit,
                                       description=col.description, format=col.format,
                                       **({"mask": col.mask} if hasattr(col, "mask") else {}))
    return out


def _png_bytes(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    return buf.getvalue()


def _reference(r: Mapping[str, str], cls: Any) -> Any:
    return cls(name=r["name"], type=r["type"], lid_reference=r.get("lid"), pds3_id=r.get("pds3_id"))


def _identifier(product: Any, path: Path) -> str:
    if getattr(product, "lidvid", None):
        return str(product.lidvid)
    return str(getattr(product, "product_id", None) or path.name)


def _md5(product: Any, path: Path) -> str:
    """MD5 of what a provenance identifier names (`pdsgen.render.provenance.product_md5`)."""
    from pdsgen.render.provenance import product_md5

    files = {o.file for o in getattr(product, "objects", []) if getattr(o, "file", None)}
    return product_md5(path, sorted(files))


def _cal_identifier(path: Path) -> tuple[str, str]:
    """A calibration file's LIDVID (PDS4 label), PRODUCT_ID (PDS3 label) or file name,
    and the MD5 of what that names."""
    if path.suffix.lower() in (".xml", ".lbl"):
        try:
            from pdsgen.registry import open as open_product

            p = open_product(path)
            return p.lidvid or p.product_id or path.name, _md5(p, path)
        except PdsgenError:
            pass
    return path.name, _md5(None, path)


def _param_text(v: Any) -> Any:
    """A parameter as provenance shows it: the typed value the algorithm used (0.5, 3, True;
    a Quantity keeps value and unit), never the text given with --set
    (`pdsgen.render.provenance` formats it)."""
    return v.item() if hasattr(v, "item") and not hasattr(v, "unit") else v


def _times(products: list[Any], meta: Mapping[str, Any]) -> tuple[Any, Any]:
    starts = [p.start_time for p in products if getattr(p, "start_time", None)]
    stops = [p.stop_time for p in products if getattr(p, "stop_time", None)]
    return (min(starts) if starts else None), (max(stops) if stops else None)


# --------------------------------------------------------------------------- the run


def commit(outcome: ProductOutcome, out_dir: Path, taken: dict[Path, str]) -> None:
    """Move a staged product into ``out_dir``: data first, labels last; refuse name clashes."""
    clash = [final for _src, final in outcome.staged if final in taken]
    if clash:
        outcome.error = (f"{outcome.inputs[0]}: output {clash[0].name} was already written for "
                         f"{taken[clash[0]]} in this run (check the recipe's file_name pattern)")
    else:
        labels = {o.name for o in outcome.outputs}
        ordered = sorted(outcome.staged, key=lambda sf: sf[1].name in labels)
        for src, final in ordered:
            os.replace(src, final)
            taken[final] = outcome.name
            outcome.files.append(final)
    if outcome.stage_dir is not None:
        shutil.rmtree(outcome.stage_dir, ignore_errors=True)
    outcome.staged = []
    if outcome.error is not None:
        outcome.outputs = []


def check_calibrations(recipe: Recipe, cal_files: list[Path]) -> None:
    """Calibration files the recipe cannot run without, checked once before any product
    (rather than failing every product with the same error)."""
    import fnmatch

    from pdsgen.shorthand import parse

    if not cal_files:
        for spec in recipe.inputs.values():
            if spec.ref and spec.required and parse(spec.ref).file_type != "dp":
                raise RecipeError(f"recipe {recipe.name!r}: input {spec.name!r} ({spec.ref}) comes from a "
                                  "calibration data file: give it with --cal FILE")
    for name, cal in recipe.calibrations.items():
        if not cal.required or cal.default:
            continue
        pats = [q.strip().lower() for q in cal.match.split("|")]
        if not any(fnmatch.fnmatch(c.name.lower(), q) for c in cal_files for q in pats):
            given = ", ".join(c.name for c in cal_files) or "none"
            raise RecipeError(f"recipe {recipe.name!r} needs calibration {name!r} "
                              f"({cal.description or cal.match}): give a file matching {cal.match!r} with "
                              f"--cal (given: {given})")


def run_recipe(
    recipe: Recipe,
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    *,
    cal_files: Iterable[str | Path] = (),
    params: Mapping[str, Any] | None = None,
    standard: str | None = None,
    jobs: int = 1,
    templates_dir: str | Path | None = None,
    creation_time: Any = None,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[ProductOutcome], None] | None = None,
    only: Collection[str] | None = None,
    browse_dir: str | Path | None = None,
) -> RunReport:
    """Run ``recipe`` over ``inputs`` into ``out_dir`` (browse plots into ``browse_dir``,
    default ``out_dir``); never raises for a bad product.
    ``only``: the label file names wanted (see `write_products`; default: every product)."""
    t0 = time.perf_counter()
    chosen = (standard or recipe.standard).lower()
    if chosen not in ("pds4", "pds3"):
        raise RecipeError(f"--standard {chosen!r}: use pds4 or pds3")
    fmt = cast("Standard", chosen)
    coerced = recipe.resolve_params(dict(params or {}))
    cals = [Path(c) for c in cal_files]
    for c in cals:
        if not c.is_file():
            raise RecipeError("calibration file not found", path=str(c))
    check_calibrations(recipe, cals)
    # one creation time for the whole run (checked here, not once per product)
    from pdsgen.render import resolve_creation_time

    try:
        creation_time = resolve_creation_time(creation_time)
    except PdsgenError as exc:
        raise RecipeError(f"--creation-time {creation_time!r}: {exc.message}") from None
    paths = expand_inputs(inputs, recipe)
    ungrouped: list[tuple[Path, str]] = []
    groups = group_inputs(paths, recipe, ungrouped)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(out)
        stage_root = out / staging_name()
        stage_root.mkdir()
    except OSError as exc:
        raise RecipeError(f"cannot write to the output folder: {exc.strerror or exc}", path=str(out)) from None
    tdir = Path(templates_dir) if templates_dir else None
    bdir = Path(browse_dir) if browse_dir is not None else None
    if bdir is not None:
        try:
            bdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecipeError(f"cannot write to the browse folder: {exc.strerror or exc}", path=str(bdir)) from None
    if on_start:
        on_start(len(groups))
    rejected_outcomes: list[ProductOutcome] = []

    def report_rejected(pairs: list[tuple[Path, str]]) -> None:
        for p, text in pairs:
            o = ProductOutcome(inputs=[p], error=text)
            rejected_outcomes.append(o)
            if on_done:
                on_done(o)

    report_rejected(ungrouped)
    outcomes: list[ProductOutcome | None] = [None] * len(groups)
    taken: dict[Path, str] = {}
    args = (stage_root, cals, coerced, fmt, tdir, creation_time, only, bdir)

    def finish(i: int, o: ProductOutcome) -> None:
        commit(o, out, taken)
        if o.error:
            log.info("%s: %s failed: %s", recipe.name, o.name, o.error)
        else:
            log.info("%s: %s → %s (%d records, %.2f s)", recipe.name, o.name,
                     ", ".join(p.name for p in o.outputs), o.records, o.seconds)
        outcomes[i] = o
        if on_done:
            on_done(o)
        report_rejected(o.rejected)

    try:
        if jobs <= 1 or len(groups) <= 1:
            for i, (key, members) in enumerate(groups):
                finish(i, process(recipe, members, key, *args))
        else:
            # fork where there is one: workers start with pdsgen/astropy already imported (a
            # forkserver or spawn start costs seconds of imports per run); workers touch no
            # locks of the parent's progress-bar thread.
            methods = multiprocessing.get_all_start_methods()
            mp = multiprocessing.get_context("fork" if "fork" in methods else None)
            with ProcessPoolExecutor(max_workers=jobs, mp_context=mp) as pool:
                futures = {pool.submit(process, recipe, members, key, *args): i
                           for i, (key, members) in enumerate(groups)}
                for fut in as_completed(futures):
                    i = futures[fut]
                    try:
                        o = fut.result()
                    except Exception as exc:  # a worker that died: report it for its product only
                        o = ProductOutcome(inputs=groups[i][1], group=groups[i][0],
                                           error=f"{groups[i][1][0]}: worker failed: {type(exc).__name__}: {exc}")
                    finish(i, o)
    finally:
        shutil.rmtree(stage_root, ignore_errors=True)
    return RunReport(recipe=recipe, outcomes=[o for o in outcomes if o is not None] + rejected_outcomes,
                     seconds=time.perf_counter() - t0)
