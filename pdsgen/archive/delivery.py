"""The delivery walk-through that `pdsgen demo --deliver` runs (README, docs/archive.md),
for every instrument's demo: raw data → workspace → calibrated products and browse plots →
documents → packaged, validated bundle → a calibration file changes → regeneration → new
versions, inventories, superseded versions kept → valid bundle again.

Each instrument's recipe makes one bundle (the bundle its product LIDs name): raw PDS4
inputs whose LIDs lie in it are delivered as their collection; calibration files that are
CSV tables (alone, or the data file of a PDS3 calibration label) are labelled as
Product_Ancillary in ``calibration``; the rest (PDS3 raw inputs, inputs of other bundles)
stay in the workspace's ``inputs/``. The recipe's tables go to their collection, its browse
plots to ``browse``, its algorithm description to ``document``. The calibration change is
the instrument's scripted, documented one (`pdsgen.recipes.demo_data.CalibrationChange`,
declared by its demo generator): a new version of that calibration product, the old one
kept in ``calibration/SUPERSEDED/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: titles of delivered calibration tables (others: "<recipe> calibration table <file>")
CAL_TITLES = {"inms_datasets.csv": "Cassini INMS REU dataset plan: scan ranges and roles per run"}


@dataclass
class Step:
    """One line of the walk-through's table."""

    step: str
    detail: str
    versions: str = ""
    errors: int | None = None
    warnings: int | None = None
    seconds: float = 0.0


@dataclass
class Delivery:
    workspace: Path
    bundle_lid: str = ""
    steps: list[Step] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # errors and warnings of the last validation
    #: label paths (relative to the bundle) of the products regeneration remade
    remade: list[str] = field(default_factory=list)

    @property
    def bundle(self) -> Path:
        return self.workspace / "bundle"


def _validate(bundle: Path) -> tuple[int, int, list[str]]:
    from pdsgen.recipes.demo import default_catalog, default_context_products
    from pdsgen.validate.runner import Options, run

    contexts = default_context_products()
    res = run([str(bundle)], Options(rule="bundle", catalog_path=default_catalog(), offline=True, jobs=1,
                                     context=bool(contexts), context_products=tuple(contexts)))
    found = [f for f in res.all_findings() if f.severity in ("error", "warning")]
    errors = sum(f.severity == "error" for f in found)
    return errors, len(found) - errors, [f"{f.severity} {f.type}: {f.message}" for f in found]


def _versions(bundle: Path, index: Any) -> str:
    rows = index.execute("SELECT label_path, vid FROM products WHERE product_class IN (?, ?)",
                         ("Product_Bundle", "Product_Collection"))
    return ", ".join(f"{lp.split('/')[0] if '/' in lp else 'bundle'} {vid}" for lp, vid in sorted(rows)
                     if "SUPERSEDED" not in lp)


def _label_lid(path: Path) -> str | None:
    """The LID of a PDS4 label (``None`` for anything else)."""
    from pdsgen.errors import LabelError
    from pdsgen.untrusted import parse_label_xml

    try:
        root = parse_label_xml(path).getroot()
    except LabelError:
        return None
    lid: str | None = root.findtext("{*}Identification_Area/{*}logical_identifier")
    return lid


def _label_files(path: Path) -> list[str]:
    """The file names a PDS4 label's File areas give (moved with it; only files the demo
    generator wrote are ever moved)."""
    from pdsgen.untrusted import parse_label_xml

    return [t.strip() for t in parse_label_xml(path).xpath("//*[local-name()='File']/*[local-name()='file_name']/text()")]


@dataclass
class Prepared:
    """A workspace with the demo's raw inputs placed and its recipe run into its collection."""

    workspace: Any  # pdsgen.archive.workspace.Workspace
    recipe: Any
    data: Any  # DemoData with paths inside the workspace
    cal_files: list[Path]
    collection: str
    products: int


def _calibration_table(path: Path) -> Path | None:
    """The CSV table a calibration file delivers as a Product_Ancillary: the file itself
    (``.csv``), or the one data file of a PDS3 calibration label when it is a CSV table;
    ``None`` for anything else (it stays in ``inputs/``)."""
    from pdsgen.errors import PdsgenError
    from pdsgen.registry import open as open_product

    if path.suffix.lower() == ".csv":
        return path
    if path.suffix.lower() != ".lbl":
        return None
    try:
        files = {Path(o.file) for o in open_product(path).objects if getattr(o, "file", None)}
    except PdsgenError:
        return None
    if len(files) == 1 and (only := files.pop()).suffix.lower() == ".csv" and only.parent == path.parent:
        return only
    return None


def prepare(workspace: str | os.PathLike[str], instrument: str, *, seed: int = 0, jobs: int = 1,
            created: str) -> Prepared:
    """Workspace for ``instrument``'s recipe bundle (emptied first): the demo's raw inputs
    (written against pdsgen's Information Model) — a PDS4 input whose LID lies in the bundle in
    the collection its LID names, the rest in ``inputs/``; calibration CSV tables labelled as
    Product_Ancillary in ``calibration/`` (the recipe then reads a PDS3 calibration's table
    through its new PDS4 label); the recipe run into its collection, its browse plots into
    ``browse/``; its algorithm description in ``document/``."""
    from pdsgen.archive.ancillary import label_delimited
    from pdsgen.archive.documents import write_recipe_document
    from pdsgen.archive.workspace import browse_folder, init_workspace, recipe_collections
    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.demo_data import DemoData, generate
    from pdsgen.recipes.run import run_recipe
    from pdsgen.render import DEFAULT_IM_VERSION

    ws_path = Path(workspace)
    if ws_path.exists():
        shutil.rmtree(ws_path)
    ws_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ws_path.parent, prefix=f".{ws_path.name}.") as tmp:
        gen = Path(tmp)
        # raw inputs delivered with the products cite the Information Model of the rest of the
        # bundle (validate warns pds4_version_mismatch when one bundle's labels cite several)
        data = generate(instrument, gen, seed, im_version=DEFAULT_IM_VERSION)
        recipe = load_recipe(data.recipe)
        lids = sorted(recipe_collections(recipe))
        if len(lids) != 1:
            raise ValueError(f"recipe {recipe.name}: its products lie in {len(lids)} collections ({lids}); "
                             "the delivery needs one")
        coll_lid = lids[0]
        bundle_lid, coll_name = coll_lid.rsplit(":", 1)
        placed = {}
        for p in data.inputs:
            lid = _label_lid(p) if p.suffix.lower() == ".xml" else None
            if lid and lid.startswith(bundle_lid + ":") and lid.count(":") >= 5:
                placed[p] = lid.split(":")[4]
        tables = {c: t for c in data.calibrations if (t := _calibration_table(c)) is not None}
        extra = sorted(set(placed.values()) | ({"calibration"} if tables else set()))
        ws = init_workspace(ws_path, bundle_lid, extra=extra)
        moved: dict[Path, Path] = {}
        for label, name in placed.items():
            dest = ws.collection_dir(name)
            for f in [*_label_files(label), label.name]:
                moved[label.parent / f] = dest / f
        for src in sorted(gen.rglob("*")):
            if src.is_file():
                dest = moved.get(src, ws.inputs_dir / src.relative_to(gen))
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dest)
                moved[src] = dest
    cal_files = []
    for c in data.calibrations:
        table = tables.get(c)
        if table is None:
            cal_files.append(moved[c])
            continue
        cal_dir = ws.collection_dir("calibration")
        title = CAL_TITLES.get(table.name) or f"{recipe.name} calibration table {table.name}"
        label = label_delimited(moved[table], cal_dir, f"{ws.collections['calibration'].lid}:{table.stem.lower()}",
                                title=title, creation_time=created)
        if table == c:
            moved[c].unlink()  # delivered as a product of the calibration collection
            cal_files.append(cal_dir / c.name)
        else:  # a PDS3 calibration label (left in inputs/): the recipe reads its table through the PDS4 label
            cal_files.append(label)
    data = DemoData(data.recipe, [moved[p] for p in data.inputs], cal_files, dict(data.params), data.description)
    report = run_recipe(recipe, data.inputs, ws.collection_dir(coll_name), cal_files=cal_files,
                        params=dict(data.params), jobs=jobs, creation_time=created,
                        browse_dir=browse_folder(ws.path, recipe))
    if report.failed:
        raise RuntimeError(f"{recipe.name} failed: {report.failed[0].error}")
    write_recipe_document(recipe, ws.collection_dir("document"), ws.collections["document"].lid,
                          creation_time=created)
    return Prepared(ws, recipe, data, cal_files, coll_name, sum(len(o.outputs) for o in report.written))


def _inventories(bundle: Path) -> dict[str, dict[str, int]]:
    """Per collection folder: how many inventory members cite each VID."""
    out: dict[str, dict[str, int]] = {}
    for inv in sorted(bundle.glob("*/collection_*_inventory.csv")):
        counts: dict[str, int] = {}
        for line in inv.read_bytes().decode("ascii").splitlines():
            if line.startswith("P,") and "::" in line:
                vid = line.rsplit("::", 1)[1]
                counts[vid] = counts.get(vid, 0) + 1
        out[inv.parent.name] = dict(sorted(counts.items()))
    return out


def _inventory_text(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> str:
    """The inventories regeneration changed: ``browse: 12 at 1.0 -> 12 at 1.1``."""
    def show(c: dict[str, int]) -> str:
        return " + ".join(f"{n} at {vid}" for vid, n in c.items()) or "none"

    return "; ".join(f"{name}: {show(before.get(name, {}))} -> {show(c)}" for name, c in after.items()
                     if before.get(name) != c)


def _change_calibration(ws: Any, change: Any, created: str, changed: str) -> str:
    """Make the new version of the calibration product whose table is ``change.file``
    (minor VID + 1, a Modification_Detail added), the old one kept in
    ``calibration/SUPERSEDED/``; returns the new LIDVID."""
    from pdsgen.archive.ancillary import label_delimited
    from pdsgen.archive.versioning import keep_superseded
    from pdsgen.untrusted import parse_label_xml

    cal_dir = ws.collection_dir("calibration")
    table = cal_dir / change.file
    label = table.with_suffix(".xml")
    if not table.is_file() or not label.is_file():
        raise ValueError(f"{table}: the calibration file the demo changes is not delivered in calibration/")
    root = parse_label_xml(label).getroot()
    ident = root.find("{*}Identification_Area")
    lid, vid, title = (ident.findtext(f"{{*}}{n}") or "" for n in ("logical_identifier", "version_id", "title"))
    history = [{"date": d.findtext("{*}modification_date"), "vid": d.findtext("{*}version_id"),
                "description": d.findtext("{*}description")} for d in ident.iter("{*}Modification_Detail")]
    major, minor = (int(x) for x in vid.split("."))
    new_vid = f"{major}.{minor + 1}"
    keep_superseded(cal_dir, [label, table], vid)
    with tempfile.TemporaryDirectory(dir=ws.path, prefix=".change.") as tmp:
        edited = Path(tmp) / change.file
        shutil.copy(table, edited)
        change.apply(edited)
        label_delimited(edited, cal_dir, lid, title=" ".join(title.split()), vid=new_vid, history=history,
                        creation_time=changed)
    return f"{lid}::{new_vid}"


def deliver(workspace: str | os.PathLike[str], instrument: str = "inms", *, seed: int = 0, jobs: int = 1,
            scheduler: str | None = None, creation_time: Any = None, change_time: Any = None,
            change: bool = True) -> Delivery:
    """Run the walk-through for ``instrument`` in ``workspace`` (emptied first): prepare,
    package and validate; then, when its demo declares a calibration change (and ``change``),
    change that file, regenerate the workspace (``--keep-superseded``; ``jobs`` /
    ``scheduler``: its index covers ``bundle/`` and ``inputs/``, so inputs that are not
    delivered are found too), package the bundle again and validate it."""
    from pdsgen.archive.index import SQLiteIndex, default_db
    from pdsgen.archive.package import package_bundle
    from pdsgen.archive.regenerate import regenerate
    from pdsgen.archive.scan import scan
    from pdsgen.recipes.demo_data import calibration_change
    from pdsgen.render import iso_utc, resolve_creation_time

    ws_path = Path(workspace)
    out = Delivery(ws_path)
    created = iso_utc(resolve_creation_time(creation_time))
    changed = iso_utc(resolve_creation_time(change_time)) if change_time is not None else created

    t = time.perf_counter()
    prep = prepare(ws_path, instrument, seed=seed, jobs=jobs, created=created)
    ws = prep.workspace
    out.bundle_lid = ws.bundle_lid
    counts = {n: len([p for p in ws.collection_dir(n).glob("*.xml")]) for n in sorted(ws.collections)}
    where = ", ".join(f"{n}/ {k}" for n, k in counts.items() if k)
    out.steps.append(Step("init + run", f"{len(prep.data.inputs)} raw inputs; pdsgen run {prep.recipe.name} "
                          f"--workspace --out {prep.collection}; labels per collection: {where}",
                          seconds=time.perf_counter() - t))

    manifests = ws_path / "manifests"
    scripted = calibration_change(instrument) if change else None
    with SQLiteIndex(default_db(ws.bundle_dir)) as idx:
        t = time.perf_counter()
        first = package_bundle(ws.bundle_dir, idx, creation_time=created, manifest_dir=manifests)
        out.manifests = [m for m in (first.checksum_manifest, first.transfer_manifest) if m is not None]
        errors, warnings, out.findings = _validate(ws.bundle_dir)
        out.steps.append(Step("package + validate", "archive bundle; validate --rule bundle",
                              _versions(ws.bundle_dir, idx), errors, warnings, time.perf_counter() - t))
    if scripted is None:
        return out

    with SQLiteIndex(default_db(ws.path)) as widx:
        t = time.perf_counter()
        scan(ws.path, widx)  # `archive index WS` before the change: the checksum baselines
        before = _inventories(ws.bundle_dir)
        lidvid = _change_calibration(ws, scripted, created, changed)
        out.steps.append(Step("change calibration", f"{scripted.file}: {scripted.description}; "
                              f"new version {lidvid.rsplit(':', 1)[1]}, the old one kept in calibration/SUPERSEDED/",
                              seconds=time.perf_counter() - t))
        t = time.perf_counter()
        rep = regenerate(ws.path, widx, creation_time=changed, keep=True, jobs=jobs, scheduler=scheduler)
        if rep.failed or rep.invalid:
            raise RuntimeError(f"{instrument}: regeneration: {rep.failed[:1]} {rep.invalid[:1]}")
    out.remade = sorted(p.removeprefix("bundle/") for p in rep.remade)
    with SQLiteIndex(default_db(ws.bundle_dir)) as idx:
        again = package_bundle(ws.bundle_dir, idx, keep=True, creation_time=changed, manifest_dir=manifests)
        out.manifests = [m for m in (again.checksum_manifest, again.transfer_manifest) if m is not None]
        kept = len(idx.execute("SELECT label_path FROM products WHERE label_path LIKE ?", ("%SUPERSEDED/%",)))
        per: dict[str, int] = {}
        for lp in out.remade:
            per[lp.split("/")[0]] = per.get(lp.split("/")[0], 0) + 1
        made = ", ".join(f"{n} in {c}/" for c, n in sorted(per.items()))
        out.steps.append(Step("archive regenerate WS; archive bundle WS/bundle",
                              f"{len(out.remade)} products remade as new versions ({made}); inventories "
                              f"{_inventory_text(before, _inventories(ws.bundle_dir))}; {kept} superseded labels kept",
                              _versions(ws.bundle_dir, idx), seconds=time.perf_counter() - t))
        t = time.perf_counter()
        errors, warnings, out.findings = _validate(ws.bundle_dir)
        out.steps.append(Step("validate", "validate --rule bundle (superseded versions in place)",
                              _versions(ws.bundle_dir, idx), errors, warnings, time.perf_counter() - t))
    return out
