"""Incremental regeneration: find the pdsgen-made products whose inputs, calibration files,
recipe or pdsgen version changed since they were made, and remake them as new versions.

What a product was made from is in its label (the writers' provenance: input and
calibration LIDVIDs, recipe name/version, parameters, pdsgen version) and so in the
index. The checksum an input had when the product was made is the one the label gives,
or else the one the index saw when it first indexed the product (its baseline); a
product is stale when an input's current checksum differs, when an input or calibration
has a newer version, or when the recipe or pdsgen version differs from the current one.

A run is recorded in the index before any work starts (its task specs and its creation
time), each task writes the new version into its worker's staging folder, and the client
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

import dataclasses
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
from pdsgen.archive.versioning import bump_vid, in_superseded, superseded_dir
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
    resolver: Resolver | None = None,
    unchecked: dict[str, list[str]] | None = None,
) -> list[StaleProduct]:
    """pdsgen-made, current (not superseded) products that must be remade, with reasons.

    ``since`` (normalised time): only input/calibration changes to files modified at or
    after it count (recipe and pdsgen version changes always do). ``resolver``: one
    built over the index as it is now (after `fill_baselines`), to share it.
    ``unchecked``: filled with what could not be checked (a reference that names nothing
    in the archive, a recipe not installed here) → the label paths of the products
    concerned, stale or not.
    """
    import pdsgen

    unchecked_out = unchecked
    if resolver is None:
        fill_baselines(index, root)
        resolver = Resolver(index, root)
    since_ns = None
    if since is not None:
        import datetime as dt

        since_ns = int(dt.datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp() * 1e9)
    versions: dict[str, str | None] = {}
    out = []
    families = calibration_families(resolver)
    for rec in resolver.records:
        if not rec.recipe_name or in_superseded(rec.label_path):
            continue
        if recipe is not None and rec.recipe_name != recipe:
            continue
        newest = resolver.latest.get(rec.lid or "")
        if newest is not None and newest.label_path != rec.label_path and vid_key(newest.vid) > vid_key(rec.vid):
            continue  # an older copy; the newest version is the one to check
        reasons: list[str] = []
        not_checked: list[str] = []
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
                not_checked.append(f"{p.role} {p.ref}")
                if unchecked_out is not None:
                    unchecked_out.setdefault(f"{p.role} {p.ref}: not in the archive (not indexed under the "
                                             "root, no file of that name there)", []).append(rec.label_path)
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
        if cur_version is None and unchecked_out is not None:
            unchecked_out.setdefault(f"recipe {rec.recipe_name}: not installed here, its version is not "
                                     "compared (nor could the product be remade)", []).append(rec.label_path)
        if cur_version and rec.recipe_version and cur_version != rec.recipe_version:
            reasons.append(f"recipe {rec.recipe_name} is now version {cur_version} (made with {rec.recipe_version})")
        if rec.pdsgen_version and rec.pdsgen_version != pdsgen.__version__:
            reasons.append(f"pdsgen is now {pdsgen.__version__} (made with {rec.pdsgen_version})")
        if reasons:
            out.append(StaleProduct(rec, reasons, inputs, cals, not_checked))
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
    import bisect

    key = _family(cal)
    if key is None or not product.start_time:
        return None
    members = families.get(key, [])  # in start-time order: a bisection, not a scan per product

    def start(r: ProductRecord) -> str:
        return r.start_time or ""

    lo = bisect.bisect_right(members, cal.start_time or "", key=start)
    hi = bisect.bisect_right(members, product.start_time, key=start)
    return next((c for c in reversed(members[lo:hi]) if c.label_path != cal.label_path), None)


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
        "old_files": [f.path for f in rec.files if f.path != rec.label_path],
        "old_label_md5": rec.label_md5,
    }


def _worker_staging(spec: dict[str, Any]) -> Path:
    """This worker process's staging folder in the run's staging folder, emptied: made once
    per process and run, and reused by its tasks (a folder per task costs a mkdir and an
    rmdir per product, slow on some file systems). Whatever a dead worker left in its
    folder goes with the run's staging folder at the end of the run."""
    import socket

    folder = Path(spec["staging"]).parent / f"worker-{socket.gethostname()}-{os.getpid()}"
    if str(folder) in _STAGING_MADE:
        with os.scandir(folder) as entries:
            for entry in entries:  # leftovers: a failed task, or a group's other products
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
    else:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        _STAGING_MADE.add(str(folder))
    return folder


_STAGING_MADE: set[str] = set()


def run_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker side: remake one product into the worker's (emptied) staging folder,
    checksum and describe it (its index record), and validate it when the spec asks.

    Only the product's own files count (its label and the files the label names): a
    multi-part recipe writes the whole group of products into the staging folder, and
    the other members of the group are not this task's (they are remade, if stale, by
    their own tasks; otherwise they keep their version)."""
    from pdsgen.archive.scan import read_product

    staging = _worker_staging(spec)
    _load(spec["maker"])(spec, staging)
    label_name = spec["label_path"].rsplit("/", 1)[-1]
    label = staging / label_name
    if not label.is_file():
        names = sorted(p.name for p in staging.iterdir() if not p.name.startswith("."))
        raise PdsgenError(f"the remake wrote {', '.join(names) or 'nothing'}, not the label {label_name}",
                          path=spec["label_path"])
    record = read_product(staging, label_name, label.stat())
    if record is None:
        raise PdsgenError(f"the remake's {label_name} is not a product label", path=spec["label_path"])
    own = [f for f in record.files if "/" not in f.path]  # files outside the product folder are not moved
    result: dict[str, Any] = {
        "files": [{"name": f.path, "md5": f.md5, "size": f.size} for f in own],
        "label": label_name,
        "record": _record_json(record),
        "ready": True,
    }
    if spec.get("validate"):
        result["invalid"], result["notes"] = _validate_one(label, spec["label_path"])
    # the product's files wait in the run's staging folder under task-unique names (the
    # client only renames them into place); what else the remake wrote is removed before
    # the worker's next task, or with the run's staging folder
    for f in own:
        os.replace(staging / f.path, _ready_path(spec, f.path))
    return result


def _ready_path(spec: dict[str, Any], name: str) -> Path:
    return Path(spec["staging"]).parent / f"{spec['task_id']}.{name}"


def run_tasks(specs: list[dict[str, Any]]) -> list[tuple[dict[str, Any] | None, str | None]]:
    """Worker side, a batch: (result, None) or (None, error text) per spec, in order."""
    out: list[tuple[dict[str, Any] | None, str | None]] = []
    for spec in specs:
        try:
            out.append((run_task(spec), None))
        except Exception as exc:  # one product's failure is reported, the batch goes on
            out.append((None, str(exc) or type(exc).__name__))
    return out


def _record_json(rec: ProductRecord) -> dict[str, Any]:
    d = dataclasses.asdict(rec)
    d.pop("lidvid", None)
    return d


def _record_from_json(d: dict[str, Any], folder: str) -> ProductRecord:
    """A worker's record (paths relative to the staging folder) placed in ``folder``."""
    from pdsgen.archive.index import FileRecord, ProvenanceRef

    prefix = f"{folder}/" if folder else ""
    d = dict(d)
    d["label_path"] = prefix + d["label_path"]
    d["files"] = [FileRecord(**{**f, "path": prefix + f["path"]}) for f in d["files"]]
    d["provenance"] = [ProvenanceRef(**p) for p in d["provenance"]]
    return ProductRecord(**d)


def _moved_record(rec: ProductRecord, old_prefix: str, new_prefix: str) -> ProductRecord:
    """``rec`` with its paths moved from under ``old_prefix`` to ``new_prefix`` (a
    superseded copy: same bytes and mtimes, copied with `shutil.copy2`)."""
    def move(p: str) -> str:
        return new_prefix + p[len(old_prefix):] if p.startswith(old_prefix) else p

    return dataclasses.replace(rec, label_path=move(rec.label_path),
                               files=[dataclasses.replace(f, path=move(f.path)) for f in rec.files],
                               provenance=list(rec.provenance))


def commit_task(spec: dict[str, Any], result: dict[str, Any], *, keep: bool,
                collections: set[str] | None = None) -> list[str]:
    """Client side: optionally keep the old version, then move the staged files into place
    (data files first, label last). Safe to repeat after an interruption. Returns the
    superseded copies written (paths relative to the root)."""
    root = Path(spec["root"])
    product_dir = Path(spec["product_dir"])
    staging = Path(spec["staging"])
    label = result["label"]
    kept: list[str] = []
    if keep and spec.get("vid"):
        collection = collection_folder_of(root, spec["label_path"], collections)
        crel = collection.relative_to(root).as_posix()
        # paths relative to the root, by string: the product is inside its collection folder
        olds = [spec["label_path"]] + list(spec.get("old_files", ()))
        dest_dir = superseded_dir(collection, spec["vid"]).relative_to(root).as_posix()
        label_dest = root / (dest_dir + spec["label_path"][len(crel):])
        if not label_dest.exists() and spec.get("old_label_md5") and (root / spec["label_path"]).is_file() \
                and md5_file(root / spec["label_path"]) != spec["old_label_md5"]:
            # never keep a newer version under the old version's name
            raise PdsgenError(f"the label is no longer version {spec['vid']}: not kept as superseded",
                              path=str(root / spec["label_path"]))
        for rel in olds:
            dest = dest_dir + rel[len(crel):]
            if (root / rel).is_file():
                # a hard link where possible: the old file is replaced by a rename right below
                _keep_one(root / rel, root / dest)
                kept.append(dest)
    order = [f["name"] for f in result["files"] if f["name"] != label] + [label]
    for name in order:
        src = _ready_path(spec, name) if result.get("ready") else staging / name
        if src.is_file():
            os.replace(src, product_dir / name)
        elif md5_file(product_dir / name) != next(f["md5"] for f in result["files"] if f["name"] == name):
            raise PdsgenError("staged file vanished before it was moved into place", path=str(src))
    # the staging folder (and any other products of a multi-part remake) goes with the
    # run's staging folder at the end of the run
    return kept


def _keep_one(src: Path, dest: Path) -> None:
    """``dest`` becomes the old bytes of ``src`` (a hard link, else a copy by temporary
    name); an existing ``dest`` (a repeated commit) is left as it is."""
    if dest.exists():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)  # atomic: the link appears whole or not at all
    except FileExistsError:
        return
    except OSError:
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copy2(src, tmp)
        os.replace(tmp, dest)


def collection_dirs(index: ArchiveIndex) -> set[str]:
    """Folders (relative to the root) holding a collection label, from the index."""
    rows = index.execute("SELECT label_path FROM products WHERE product_class = ?", ("Product_Collection",))
    return {lp.rsplit("/", 1)[0] if "/" in lp else "" for (lp,) in rows if not in_superseded(lp)}


def collection_folder_of(root: Path, label_path: str, collections: set[str] | None = None) -> Path:
    """The nearest folder above a product holding a collection label (its collection),
    else the product's top-level folder under ``root``. ``collections``: the folders
    holding collection labels (`collection_dirs`); without it the folders are looked at."""
    from pdsgen.archive.package import _find_label

    parts = label_path.split("/")[:-1]
    for n in range(len(parts), 0, -1):
        if collections is not None:
            if "/".join(parts[:n]) in collections:
                return root.joinpath(*parts[:n])
        elif _find_label(root.joinpath(*parts[:n]), "Product_Collection") is not None:
            return root.joinpath(*parts[:n])
    return root / parts[0] if parts else root


def remake_with_recipe(spec: dict[str, Any], staging: Path) -> None:
    """Remake one product with its recipe through the recipe engine (`pdsgen run`'s code):
    the same inputs (latest versions), calibration files and parameters, the new VID."""
    from pdsgen.recipes.run import run_recipe
    from pdsgen.render.provenance import from_json, setting_text

    recipe = _recipe_with_vid(spec["recipe"], spec["new_vid"])
    params = {k: setting_text(from_json(v)) for k, v in spec["parameters"].items()}
    # only this task's product: the group's other browse plots are not drawn
    report = run_recipe(recipe, [i["path"] for i in spec["inputs"]], staging,
                        cal_files=[c["path"] for c in spec["calibrations"]], params=params,
                        creation_time=spec["creation_time"], jobs=1,
                        only={spec["label_path"].rsplit("/", 1)[-1]})
    if report.failed:
        raise PdsgenError(f"recipe {recipe.name} failed: {report.failed[0].error}", path=spec["label_path"])


#: (recipe name, new VID) -> (the recipe file's stat, the recipe with that VID), per worker
_RECIPES: dict[tuple[str, str], tuple[tuple[int, int], Any]] = {}


def _recipe_with_vid(name: str, vid: str) -> Any:
    """The installed recipe ``name`` with product VID ``vid``, loaded once per worker
    process (again when its file changed)."""
    from pdsgen.recipes import load_recipe

    cached = _RECIPES.get((name, vid))
    if cached is not None and cached[1].path is not None:
        try:
            st = os.stat(cached[1].path)
        except OSError:
            st = None
        if st is not None and (st.st_mtime_ns, st.st_size) == cached[0]:
            return cached[1]
    recipe = load_recipe(name)
    recipe = dataclasses.replace(recipe, product=dataclasses.replace(recipe.product, vid=vid))
    if recipe.path is not None:
        st = os.stat(recipe.path)
        if len(_RECIPES) > 64:
            _RECIPES.clear()
        _RECIPES[(name, vid)] = ((st.st_mtime_ns, st.st_size), recipe)
    return recipe


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
    #: what could not be checked → label paths of the products concerned (see `find_stale`)
    unchecked: dict[str, list[str]] = field(default_factory=dict)
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
    resolver = Resolver(index, root)  # the scan filled the provenance baselines
    if open_run is None or dry_run:
        report.stale = find_stale(index, recipe=recipe, since=since_n, root=root, resolver=resolver,
                                  unchecked=report.unchecked)
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
        resolver = _replan_open_run(root, index, run_id, ctime, options, report, bump=bump, keep=keep,
                                    resolver=resolver)
    report.run_id = run_id
    tasks = [t for t in index.run_tasks(run_id) if t[2] != "dropped"]
    pending = [spec for _lp, spec, status, _r in tasks if status != "done"]
    for spec in pending:
        spec["validate"] = validate
    total = len(tasks)
    finished = total - len(pending)
    if progress:
        progress(finished, total)
    collections = collection_dirs(index)
    buffer: list[tuple[dict[str, Any], dict[str, Any]]] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        if buffer:
            done = commit_batch(root, index, run_id, buffer, collections, resolver)
            report.remade += done
            for _spec, result in buffer:
                report.invalid += [f"{_spec['label_path']}: {e}" for e in result.get("invalid", ())]
                report.notes += result.get("notes", [])
            buffer.clear()
        last_flush = time.monotonic()

    def on_done(spec: dict[str, Any], result: dict[str, Any] | None, error: str | None) -> None:
        nonlocal finished
        if error is not None or result is None:
            # the report pairs the label with the reason: do not name the label twice
            text = (error or "no result").removeprefix(f"{spec['label_path']}: ")
            index.set_task(run_id, spec["label_path"], "failed", {"error": text})
            report.failed.append((spec["label_path"], text))
        else:
            buffer.append((spec, result))
            # committed in batches: one transaction for many products (an interruption
            # loses only uncommitted remakes, which the next run makes again)
            if len(buffer) >= COMMIT_BATCH or time.monotonic() - last_flush > COMMIT_SECONDS:
                flush()
        finished += 1
        if progress:
            progress(finished, total)

    backend: LocalBackend | DaskBackend = make_backend(jobs, scheduler)
    try:
        if pending:
            backend.run(run_tasks, pending, on_done)
    finally:
        flush()
    done_paths = [lp for lp, _s, status, _r in index.run_tasks(run_id) if status == "done"]
    if package and done_paths:
        report.collections, report.bundle = _repackage(root, index, done_paths, bump=bump, keep=keep,
                                                       creation_time=ctime, collections=collections)
    if not report.failed:
        index.finish_run(run_id)
        shutil.rmtree(root / ".pdsgen" / "staging" / run_id, ignore_errors=True)
    else:
        # failed tasks stay pending for the next run; the run stays open
        index.set_tasks(run_id, [(lp, "pending", None) for lp, _e in report.failed])
    report.notes = list(dict.fromkeys(report.notes))
    report.seconds = time.perf_counter() - t_start
    return report


#: Remade products moved into place and recorded per transaction, at most (or every few seconds).
COMMIT_BATCH = 500
COMMIT_SECONDS = 5.0


def commit_batch(root: Path, index: ArchiveIndex, run_id: str,
                 items: list[tuple[dict[str, Any], dict[str, Any]]], collections: set[str],
                 resolver: Resolver | None = None) -> list[str]:
    """Move remade products into place and record them: one transaction marks them all
    `committing`, the files move (superseded copies first), and one transaction records
    the new index rows (the workers' records, and the superseded copies' old rows under
    their new paths) and marks the tasks done. Returns the label paths committed.

    The new rows' provenance baselines (the checksums of what each product was made from)
    are taken from ``resolver``, built before the remakes: what the workers were given."""
    index.set_tasks(run_id, [(spec["label_path"], "committing", result) for spec, result in items])
    olds = {r.label_path: r for r in index.records_for([spec["label_path"] for spec, _r in items])}
    records: list[ProductRecord] = []
    for spec, result in items:
        kept = commit_task(spec, result, keep=bool(spec.get("keep")), collections=collections)
        folder = spec["label_path"].rsplit("/", 1)[0] if "/" in spec["label_path"] else ""
        if "record" in result:
            new = _record_from_json(result["record"], folder)
            for p in new.provenance:
                found = resolver.exact(p.ref) if resolver is not None and p.md5 is None else None
                if found is not None:
                    p.md5 = ref_digest(p.ref, found)
            records.append(new)
        old = olds.get(spec["label_path"])
        if kept and old is not None:
            label_copy = next((k for k in kept if k.rsplit("/", 1)[-1] == result["label"]), None)
            if label_copy is not None:
                old_prefix = folder + "/" if folder else ""
                new_prefix = label_copy[: len(label_copy) - len(result["label"])]
                records.append(_moved_record(old, old_prefix, new_prefix))
    with index.transaction():
        index.put_products(records)
        index.set_tasks(run_id, [(spec["label_path"], "done", {k: v for k, v in result.items() if k != "record"})
                                 for spec, result in items])
    return [spec["label_path"] for spec, _r in items]


def _replan_open_run(root: Path, index: ArchiveIndex, run_id: str, ctime: str, options: dict[str, Any],
                     report: RegenReport, *, bump: str, keep: bool, resolver: Resolver) -> Resolver:
    """Before resuming ``run_id``: finish commits that were cut off, drop unfinished tasks
    whose product is no longer stale (with a note), and give the others a fresh spec
    (inputs and calibration in force now; the run's creation time and version rule)."""
    from pdsgen.archive.find import _time_arg

    tasks = index.run_tasks(run_id)
    cut_off = [(spec, result) for _lp, spec, status, result in tasks if status == "committing" and result]
    if cut_off:
        # remade and partly moved into place: finish the moves, never leave them half-written
        report.remade += commit_batch(root, index, run_id, cut_off, collection_dirs(index), resolver)
        resolver = Resolver(index, root)
    stale = {s.record.label_path: s for s in find_stale(
        index, recipe=options.get("recipe"), since=_time_arg(options.get("since"), "--since"), root=root,
        resolver=resolver)}
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
        fresh["keep"] = keep
        replanned.add(lp)
        if fresh != spec:
            index.set_task_spec(run_id, lp, fresh)
    # e.g. products this run already remade, when the change it acted on was reverted
    others = sorted(set(stale) - replanned)
    if others:
        report.notes.append(f"{len(others)} stale products are not part of the resumed run "
                            f"({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}): run again to remake them")
    return resolver


def _repackage(root: Path, index: ArchiveIndex, paths: list[str], *, bump: str, keep: bool,
               creation_time: str, collections: set[str]) -> tuple[list[Any], Any]:
    """New versions of the collections holding remade products, and of the bundle if any
    (the index is up to date: nothing is rescanned)."""
    from pdsgen.archive.package import _find_label, package_bundle, package_collection

    folders = sorted({collection_folder_of(root, p, collections) for p in paths if "/" in p})
    if _find_label(root, "Product_Bundle") is not None:
        result = package_bundle(root, index, bump=bump, keep=keep, creation_time=creation_time, rescan=False)
        return [c for c in result.collections if c.folder in folders], result
    out = []
    for folder in folders:
        if folder.relative_to(root).as_posix() in collections:
            out.append(package_collection(root, folder, index, bump=bump, keep=keep,
                                          creation_time=creation_time, rescan=False))
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


_OPTIONS: Any = None


def _validate_one(label: Path, rel: str) -> tuple[list[str], list[str]]:
    """(errors, notes) of pdsgen's validator on one written label (schema, Schematron, file
    sizes, checksums, content); a note when it cannot run (no schemas offline: set
    $PDSGEN_CATALOG). The options (and so the loaded catalog and compiled schemas) are
    kept for the process's next labels."""
    global _OPTIONS
    from pdsgen.errors import ValidationRunError
    from pdsgen.validate.runner import validate_label

    if _OPTIONS is None:
        _OPTIONS = validation_options()
    try:
        res = validate_label(label, _OPTIONS)
    except ValidationRunError as exc:
        return [], [f"{rel}: not validated: {exc}"]
    return [str(f) for f in res.findings if f.severity == "error"], []


def stale_as_json(stale: list[StaleProduct]) -> str:
    return json.dumps([s.to_json() for s in stale], indent=1)
