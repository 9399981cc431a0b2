"""Incremental regeneration: find the pdsgen-made products whose inputs, calibration files,
recipe or pdsgen version changed since they were made, and remake them as new versions.

What a product was made from is in its label (the writers' provenance: input and
calibration LIDVIDs, recipe name/version, parameters, pdsgen version) and so in the
index. The checksum an input had when the product was made is the one the label gives,
or else the one the index saw when it first indexed the product (its baseline); a
product is stale when an input's current checksum differs, when an input or calibration
has a newer version, or when the recipe or pdsgen version differs from the current one.

A run is recorded in the index before any work starts (its task specs and its creation
time), each task writes the new version into a private staging folder, and the client
moves the staged files into place (data first, label last) and marks the task done in
one step per product. Rerunning after an interruption resumes the recorded run: done
tasks are not redone, a commit that was cut off is finished, and every other unfinished
task is checked again first: it is dropped when its product is no longer stale (the cause
was reverted, or the product was remade meanwhile), so a resumed run never bumps a version
for nothing; otherwise it is redone from scratch with a fresh plan. Nothing half-written
ever sits in the archive.

Task states in the index: pending → committing (remade; its files are being moved into
place, the result recorded) → done; or dropped (no longer stale when the run resumed);
failed tasks go back to pending for the next run.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdsgen.archive.backends import DaskBackend, LocalBackend, make_backend
from pdsgen.archive.find import vid_key
from pdsgen.archive.index import ArchiveIndex, ProductRecord
from pdsgen.archive.labels import md5_file
from pdsgen.archive.provenance import Resolver, fill_baselines, ref_digest
from pdsgen.archive.scan import scan
from pdsgen.archive.versioning import bump_vid, in_superseded, keep_superseded
from pdsgen.errors import PdsgenError
from pdsgen.plugins import Registry
from pdsgen.untrusted import confine

#: recipe name -> "module:function" remaking one product (see `register_maker`); recipes
#: not listed are remade by the recipe engine (`pdsgen run`'s code path).
MAKERS: Registry[str] = Registry("regeneration maker")
RECIPE_MAKER = "pdsgen.archive.regenerate:remake_with_recipe"


def register_maker(recipe_name: str, target: str, *, priority: int = 0, replace: bool = False) -> None:
    """Remake products of ``recipe_name`` with ``target`` (``"module:function"``, called as
    ``fn(spec, staging_dir)`` in a worker; the module may define
    ``recipe_version(name) -> str`` for staleness checks)."""
    MAKERS.register(recipe_name, target, priority=priority, replace=replace, origin=target)


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def maker_for(recipe_name: str) -> str:
    return MAKERS.get(recipe_name) if recipe_name in MAKERS else RECIPE_MAKER


def current_recipe_version(recipe_name: str) -> str | None:
    target = maker_for(recipe_name)
    if target != RECIPE_MAKER:
        module = importlib.import_module(target.partition(":")[0])
        fn = getattr(module, "recipe_version", None)
        return fn(recipe_name) if fn else None
    try:
        from pdsgen.recipes import load_recipe

        return load_recipe(recipe_name).version
    except PdsgenError:
        return None


# ------------------------------------------------------------------ staleness
@dataclass
class StaleProduct:
    record: ProductRecord
    reasons: list[str]
    inputs: list[tuple[str, ProductRecord]]  # (reference in the label, product it names now)
    calibrations: list[tuple[str, ProductRecord]]
    unchecked: list[str] = field(default_factory=list)  # references not found in the archive

    def to_json(self) -> dict[str, Any]:
        return {"lidvid": self.record.lidvid, "label_path": self.record.label_path,
                "recipe": self.record.recipe_name, "reasons": self.reasons,
                "unchecked": self.unchecked}


def find_stale(
    index: ArchiveIndex,
    *,
    recipe: str | None = None,
    since: str | None = None,
    root: Path | None = None,
) -> list[StaleProduct]:
    """pdsgen-made, current (not superseded) products that must be remade, with reasons.

    ``since`` (normalised time): only input/calibration changes to files modified at or
    after it count (recipe and pdsgen version changes always do).
    """
    import pdsgen

    fill_baselines(index, root)
    resolver = Resolver(index, root)
    since_ns = None
    if since is not None:
        import datetime as dt

        since_ns = int(dt.datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp() * 1e9)
    versions: dict[str, str | None] = {}
    out = []
    families = calibration_families(resolver)
    for rec in index.products():
        if not rec.recipe_name or in_superseded(rec.label_path):
            continue
        if recipe is not None and rec.recipe_name != recipe:
            continue
        newest = resolver.latest.get(rec.lid or "")
        if newest is not None and newest.label_path != rec.label_path and vid_key(newest.vid) > vid_key(rec.vid):
            continue  # an older copy; the newest version is the one to check
        reasons: list[str] = []
        unchecked: list[str] = []
        inputs: list[tuple[str, ProductRecord]] = []
        cals: list[tuple[str, ProductRecord]] = []
        for p in rec.provenance:
            was = resolver.exact(p.ref)
            now = resolver.current(p.ref)
            if now is not None:
                (cals if p.role == "calibration" else inputs).append((p.ref, now))
            if now is None:
                # not in the archive (outside ROOT, or a file shipped with the recipe): it
                # cannot be checked, and a remake passes only what it can find
                unchecked.append(f"{p.role} {p.ref}")
                continue
            recent = since_ns is None or any(f.mtime_ns >= since_ns for f in now.files)
            if not recent:
                continue
            successor = successor_in_force(families, now, rec) if p.role == "calibration" else None
            if successor is not None:
                reasons.append(f"calibration {successor.identifier} (from {successor.start_time}) is now in force "
                               f"at {rec.start_time}, not {p.ref}")
                cals[-1] = (successor.lidvid or successor.product_id or successor.label_path, successor)
            elif was is not None and now is not was and vid_key(now.vid) > vid_key(was.vid):
                reasons.append(f"{p.role} {p.ref} has a newer version {now.lidvid}")
            elif p.md5 and ref_digest(p.ref, now) != p.md5:
                reasons.append(f"{p.role} {p.ref} changed (checksum {p.md5[:8]}… → {ref_digest(p.ref, now)[:8]}…)")
        if rec.recipe_name not in versions:
            versions[rec.recipe_name] = current_recipe_version(rec.recipe_name)
        cur_version = versions[rec.recipe_name]
        if cur_version and rec.recipe_version and cur_version != rec.recipe_version:
            reasons.append(f"recipe {rec.recipe_name} is now version {cur_version} (made with {rec.recipe_version})")
        if rec.pdsgen_version and rec.pdsgen_version != pdsgen.__version__:
            reasons.append(f"pdsgen is now {pdsgen.__version__} (made with {rec.pdsgen_version})")
        if reasons:
            out.append(StaleProduct(rec, reasons, inputs, cals, unchecked))
    return out


def _family(rec: ProductRecord) -> tuple[str, ...] | None:
    """Calibration products that replace each other over time: same collection (or data
    set), class, instrument, and name stem (the product's LID component or PRODUCT_ID
    without its trailing digits/separators, e.g. ``cal000`` -> ``cal``)."""
    import re

    if not rec.is_calibration or not rec.start_time:
        return None
    name = (rec.lid.rsplit(":", 1)[-1] if rec.lid else rec.product_id) or ""
    stem = re.sub(r"[\d_.\-]+$", "", name.lower())
    if not stem:
        return None
    where = rec.lid.rsplit(":", 1)[0] if rec.lid else (rec.data_set_id or "")
    return (where, rec.product_class or "", (rec.instrument or "").lower(), stem)


def calibration_families(resolver: Resolver) -> dict[tuple[str, ...], list[ProductRecord]]:
    """Current calibration products by family, in time order."""
    fam: dict[tuple[str, ...], list[ProductRecord]] = {}
    seen: set[str] = set()
    for rec in list(resolver.latest.values()) + list(resolver.by_pid.values()):
        key = _family(rec)
        if key is not None and rec.label_path not in seen:
            seen.add(rec.label_path)
            fam.setdefault(key, []).append(rec)
    for members in fam.values():
        members.sort(key=lambda r: r.start_time or "")
    return fam


def successor_in_force(families: dict[tuple[str, ...], list[ProductRecord]], cal: ProductRecord,
                       product: ProductRecord) -> ProductRecord | None:
    """A calibration of ``cal``'s family dated after it and at or before the product's start
    (the latest such), i.e. the one in force for the product now; None when ``cal`` still is."""
    key = _family(cal)
    if key is None or not product.start_time:
        return None
    later = [c for c in families.get(key, ()) if cal.start_time < c.start_time <= product.start_time
             and c.label_path != cal.label_path]
    return later[-1] if later else None


# ------------------------------------------------------------------ tasks
def task_spec(root: Path, stale: StaleProduct, resolver: Resolver, *, run_id: str, creation_time: str,
              bump: str) -> dict[str, Any]:
    """Everything a worker needs to remake one product, as JSON-able data."""
    rec = stale.record
    tid = hashlib.md5(rec.label_path.encode()).hexdigest()[:16]
    # the index (it may come from elsewhere, --db) never sends a write outside the bundle root
    confine(root, rec.label_path, label=root, what="index label path")

    def files(ref: str, r: ProductRecord) -> dict[str, Any]:
        return {"ref": ref, "lidvid": r.lidvid or r.product_id, "label": str(root / r.label_path),
                "data": [str(root / f.path) for f in r.files if f.path != r.label_path],
                "path": str(root / resolver.path_for(ref, r))}

    return {
        "task_id": tid,
        "root": str(root),
        "label_path": rec.label_path,
        "product_dir": str((root / rec.label_path).parent),
        "lid": rec.lid, "vid": rec.vid, "product_id": rec.product_id,
        "new_vid": bump_vid(rec.vid, bump) if rec.vid else None,
        "recipe": rec.recipe_name, "recipe_version": rec.recipe_version,
        "parameters": rec.parameters or {},
        "inputs": [files(ref, r) for ref, r in stale.inputs],
        "calibrations": [files(ref, r) for ref, r in stale.calibrations],
        "maker": maker_for(rec.recipe_name or ""),
        "creation_time": creation_time,
        "staging": str(root / ".pdsgen" / "staging" / run_id / tid),
        "reasons": stale.reasons,
    }


def run_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker side: remake one product into its (emptied) staging folder."""
    staging = Path(spec["staging"])
    if staging.exists():
        shutil.rmtree(staging)  # leftovers of a task cut off before
    staging.mkdir(parents=True)
    _load(spec["maker"])(spec, staging)
    label_name = spec["label_path"].rsplit("/", 1)[-1]
    names = sorted(p.name for p in staging.iterdir() if not p.name.startswith("."))
    if label_name not in names:
        raise PdsgenError(f"the remake wrote {', '.join(names) or 'nothing'}, not the label {label_name}",
                          path=spec["label_path"])
    return {"files": [{"name": n, "md5": md5_file(staging / n), "size": (staging / n).stat().st_size}
                      for n in names], "label": label_name}


def commit_task(spec: dict[str, Any], result: dict[str, Any], *, keep: bool) -> None:
    """Client side: optionally keep the old version, then move the staged files into place
    (data files first, label last). Safe to repeat after an interruption."""
    root = Path(spec["root"])
    product_dir = Path(spec["product_dir"])
    staging = Path(spec["staging"])
    label = result["label"]
    if keep and spec.get("vid"):
        collection = collection_folder_of(root, spec["label_path"])
        old = [product_dir / label] + [Path(p) for p in _old_data(spec)]
        old = [p for p in old if p.is_file()]
        keep_superseded(collection, old, spec["vid"])
    order = [f["name"] for f in result["files"] if f["name"] != label] + [label]
    for name in order:
        src = staging / name
        if src.is_file():
            os.replace(src, product_dir / name)
        elif md5_file(product_dir / name) != next(f["md5"] for f in result["files"] if f["name"] == name):
            raise PdsgenError("staged file vanished before it was moved into place", path=str(src))
    shutil.rmtree(staging, ignore_errors=True)


def collection_folder_of(root: Path, label_path: str) -> Path:
    """The nearest folder above a product holding a collection label (its collection),
    else the product's top-level folder under ``root``."""
    from pdsgen.archive.package import _find_label

    parts = label_path.split("/")[:-1]
    for n in range(len(parts), 0, -1):
        folder = root.joinpath(*parts[:n])
        if _find_label(folder, "Product_Collection") is not None:
            return folder
    return root / parts[0] if parts else root


def remake_with_recipe(spec: dict[str, Any], staging: Path) -> None:
    """Remake one product with its recipe through the recipe engine (`pdsgen run`'s code):
    the same inputs (latest versions), calibration files and parameters, the new VID."""
    import dataclasses

    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.run import run_recipe

    recipe = load_recipe(spec["recipe"])
    recipe = dataclasses.replace(recipe, product=dataclasses.replace(recipe.product, vid=spec["new_vid"]))
    from pdsgen.render.provenance import from_json, setting_text

    params = {k: setting_text(from_json(v)) for k, v in spec["parameters"].items()}
    report = run_recipe(recipe, [i["path"] for i in spec["inputs"]], staging,
                        cal_files=[c["path"] for c in spec["calibrations"]], params=params,
                        creation_time=spec["creation_time"], jobs=1)
    if report.failed:
        raise PdsgenError(f"recipe {recipe.name} failed: {report.failed[0].error}", path=spec["label_path"])


def _old_data(spec: dict[str, Any]) -> list[str]:
    root = Path(spec["root"])
    return [str(root / p) for p in spec.get("old_files", [])]


# ------------------------------------------------------------------ the run
@dataclass
class RegenReport:
    stale: list[StaleProduct] = field(default_factory=list)
    run_id: str | None = None
    resumed: bool = False
    remade: list[str] = field(default_factory=list)
    skipped_done: int = 0
    dropped: list[str] = field(default_factory=list)  # resumed run: no longer stale, not remade
    failed: list[tuple[str, str]] = field(default_factory=list)
    collections: list[Any] = field(default_factory=list)
    bundle: Any = None
    invalid: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def regenerate(
    root: str | os.PathLike[str],
    index: ArchiveIndex,
    *,
    recipe: str | None = None,
    since: str | None = None,
    dry_run: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    bump: str = "minor",
    keep: bool = False,
    creation_time: Any = None,
    validate: bool = True,
    package: bool = True,
    progress: Callable[[int, int], None] | None = None,
    restart: bool = False,
) -> RegenReport:
    """Find stale products and (unless ``dry_run``) remake them; resumes an unfinished run
    (``restart``: abandon it and plan afresh; finished products stay as they are)."""
    from pdsgen.archive.find import _time_arg

    t_start = time.perf_counter()
    root = Path(root).resolve()
    report = RegenReport()
    scan(root, index)
    since_n = _time_arg(since, "--since")
    open_run = index.open_run()
    if open_run is not None and restart and not dry_run:
        index.finish_run(open_run[0])
        shutil.rmtree(root / ".pdsgen" / "staging" / open_run[0], ignore_errors=True)
        open_run = None
    if open_run is None or dry_run:
        report.stale = find_stale(index, recipe=recipe, since=since_n, root=root)
        resolver = Resolver(index, root)
        if dry_run:
            report.seconds = time.perf_counter() - t_start
            return report
        todo = report.stale
        from pdsgen.render import iso_utc, resolve_creation_time

        ctime = iso_utc(resolve_creation_time(creation_time))
        run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        specs = []
        for s in todo:
            spec = task_spec(root, s, resolver, run_id=run_id, creation_time=ctime, bump=bump)
            spec["old_files"] = [f.path for f in s.record.files if f.path != s.record.label_path]
            spec["keep"] = keep
            specs.append((s.record.label_path, spec))
        index.start_run(run_id, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), ctime,
                        {"recipe": recipe, "since": since, "bump": bump, "keep": keep}, specs)
    else:
        run_id, ctime, options = open_run
        report.resumed = True
        keep = bool(options.get("keep", keep))
        bump = options.get("bump", bump)
        report.skipped_done = sum(status == "done" for _lp, _s, status, _r in index.run_tasks(run_id))
        _replan_open_run(root, index, run_id, ctime, options, report, bump=bump, keep=keep)
    report.run_id = run_id
    tasks = [t for t in index.run_tasks(run_id) if t[2] != "dropped"]
    pending = [spec for _lp, spec, status, _r in tasks if status != "done"]
    total = len(tasks)
    finished = total - len(pending)
    if progress:
        progress(finished, total)

    def on_done(spec: dict[str, Any], result: dict[str, Any] | None, error: BaseException | None) -> None:
        nonlocal finished
        if error is not None:
            text = str(error)
            # the report pairs the label with the reason: do not name the label twice
            text = text.removeprefix(f"{spec['label_path']}: ")
            index.set_task(run_id, spec["label_path"], "failed", {"error": text})
            report.failed.append((spec["label_path"], text))
        else:
            # recorded before the first file moves: a cut-off commit is finished on resume
            index.set_task(run_id, spec["label_path"], "committing", result)
            commit_task(spec, result, keep=bool(spec.get("keep")))
            index.set_task(run_id, spec["label_path"], "done", result)
            report.remade.append(spec["label_path"])
        finished += 1
        if progress:
            progress(finished, total)

    backend: LocalBackend | DaskBackend = make_backend(jobs, scheduler)
    if pending:
        backend.run(run_task, pending, on_done)
    scan(root, index)
    done_paths = [lp for lp, _s, status, _r in index.run_tasks(run_id) if status == "done"]
    if package and done_paths:
        report.collections, report.bundle = _repackage(root, index, done_paths, bump=bump, keep=keep,
                                                       creation_time=ctime)
    if validate and done_paths:
        report.invalid, notes = validate_products(root, done_paths)
        report.notes += notes
    if not report.failed:
        index.finish_run(run_id)
        shutil.rmtree(root / ".pdsgen" / "staging" / run_id, ignore_errors=True)
    else:
        # failed tasks stay pending for the next run; the run stays open
        for lp, _e in report.failed:
            if index.execute("SELECT COUNT(*) FROM regen_tasks WHERE run_id = ? AND label_path = ?", (run_id, lp))[0][0]:
                index.set_task(run_id, lp, "pending", None)
    report.seconds = time.perf_counter() - t_start
    return report


def _replan_open_run(root: Path, index: ArchiveIndex, run_id: str, ctime: str, options: dict[str, Any],
                     report: RegenReport, *, bump: str, keep: bool) -> None:
    """Before resuming ``run_id``: finish commits that were cut off, drop unfinished tasks
    whose product is no longer stale (with a note), and give the others a fresh spec
    (inputs and calibration in force now; the run's creation time and version rule)."""
    from pdsgen.archive.find import _time_arg

    tasks = index.run_tasks(run_id)
    for lp, spec, status, result in tasks:
        if status == "committing" and result is not None:
            # remade and partly moved into place: finish the move, never leave it half-written
            commit_task(spec, result, keep=bool(spec.get("keep")))
            index.set_task(run_id, lp, "done", result)
            report.remade.append(lp)
    if any(status == "committing" for _lp, _s, status, _r in tasks):
        scan(root, index)
    stale = {s.record.label_path: s for s in find_stale(
        index, recipe=options.get("recipe"), since=_time_arg(options.get("since"), "--since"), root=root)}
    resolver = Resolver(index, root)
    replanned: set[str] = set()
    for lp, spec, status, _r in tasks:
        if status not in ("pending", "failed"):
            continue
        s = stale.get(lp)
        if s is None:
            index.set_task(run_id, lp, "dropped", {"note": "no longer stale when the run resumed"})
            report.dropped.append(lp)
            cur = index.get(lp)
            now = "its label is gone" if cur is None else f"stays {cur.lidvid or cur.product_id or 'as it is'}"
            report.notes.append(f"{lp}: no longer stale, dropped from the resumed run ({now})")
            continue
        fresh = task_spec(root, s, resolver, run_id=run_id, creation_time=ctime, bump=bump)
        fresh["old_files"] = [f.path for f in s.record.files if f.path != s.record.label_path]
        fresh["keep"] = keep
        replanned.add(lp)
        if fresh != spec:
            index.set_task_spec(run_id, lp, fresh)
    # e.g. products this run already remade, when the change it acted on was reverted
    others = sorted(set(stale) - replanned)
    if others:
        report.notes.append(f"{len(others)} stale products are not part of the resumed run "
                            f"({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}): run again to remake them")


def _repackage(root: Path, index: ArchiveIndex, paths: list[str], *, bump: str, keep: bool,
               creation_time: str) -> tuple[list[Any], Any]:
    """New versions of the collections holding remade products, and of the bundle if any."""
    from pdsgen.archive.package import _find_label, package_bundle, package_collection

    folders = sorted({collection_folder_of(root, p) for p in paths if "/" in p})
    if _find_label(root, "Product_Bundle") is not None:
        result = package_bundle(root, index, bump=bump, keep=keep, creation_time=creation_time)
        return [c for c in result.collections if c.folder in folders], result
    out = []
    for folder in folders:
        if _find_label(folder, "Product_Collection") is not None:
            out.append(package_collection(root, folder, index, bump=bump, keep=keep,
                                          creation_time=creation_time))
    return out, None


def validation_options(rule: str = "product") -> Any:
    """Options of pdsgen's validator: catalog from $PDSGEN_CATALOG, else a development
    checkout's ../shared, else the user cache; offline (never downloads)."""
    from pdsgen.validate.runner import Options

    catalog = os.environ.get("PDSGEN_CATALOG")
    context: tuple[str, ...] = ()
    shared = Path(__file__).resolve().parents[2].parent / "shared"
    if not catalog and (shared / "pds4-schemas" / "catalog.xml").is_file():
        catalog = str(shared / "pds4-schemas" / "catalog.xml")
    if (shared / "pds4-context" / "registered_context_products.json").is_file():
        context = (str(shared / "pds4-context" / "registered_context_products.json"),)
    return Options(rule=rule, catalog_path=catalog, offline=True, context_products=context, jobs=1)


def validate_products(root: Path, label_paths: list[str]) -> tuple[list[str], list[str]]:
    """(errors, notes): errors pdsgen's validator finds in the labels regeneration wrote
    (schema, Schematron, file sizes, checksums, content); notes when it cannot run
    (no schemas offline: set $PDSGEN_CATALOG)."""
    from pdsgen.errors import ValidationRunError
    from pdsgen.validate.runner import validate_label

    opts = validation_options()
    problems: list[str] = []
    notes: list[str] = []
    for rel in label_paths:
        try:
            res = validate_label(root / rel, opts)
        except ValidationRunError as exc:
            notes.append(f"{rel}: not validated: {exc}")
            continue
        problems += [f"{rel}: {f}" for f in res.findings if f.severity == "error"]
    return problems, notes


def stale_as_json(stale: list[StaleProduct]) -> str:
    return json.dumps([s.to_json() for s in stale], indent=1)
