"""The delivery walk-through that `pdsgen demo --deliver` runs (README, docs/archive.md):
raw data → workspace → calibrated products → documents → packaged, validated bundle →
a calibration file changes → regeneration → new versions, inventories, superseded
versions kept → valid bundle again.

`deliver_instrument` delivers any instrument's demo the same way (without the change and
regeneration): the recipe's bundle, raw PDS4 inputs whose LIDs lie in it delivered as
their collection, CSV calibration files labelled in ``calibration``, the rest (PDS3 raw
inputs and calibration files, inputs of other bundles) in the workspace's ``inputs/``.

`deliver` is shown on the INMS demo, whose products' LIDs (``urn:nasa:pds:cassini.inms.reu:...``)
make one bundle with its raw inputs: collections ``raw`` (the scans, delivered),
``calibration`` (the dataset plan, labelled as a Product_Ancillary), ``calibrated`` (the
recipe's tables and browse plots) and ``document`` (the recipe's algorithm description).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUNDLE = "urn:nasa:pds:cassini.inms.reu"
RECIPE = "inms-crosstalk"
PLAN = "inms_datasets.csv"
PLAN_TITLE = "Cassini INMS REU dataset plan: scan ranges and roles per run"


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
    steps: list[Step] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # errors and warnings of the last validation

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
    return root.findtext("{*}Identification_Area/{*}logical_identifier")


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


def prepare(workspace: str | os.PathLike[str], instrument: str, *, seed: int = 0, jobs: int = 1,
            created: str, cal_titles: dict[str, str] | None = None) -> Prepared:
    """Workspace for ``instrument``'s recipe bundle (emptied first): the demo's raw inputs
    (written against pdsgen's Information Model) — a PDS4 input whose LID lies in the bundle in
    the collection its LID names, the rest in ``inputs/``; CSV calibration files labelled as
    Product_Ancillary in ``calibration/``; the recipe run into its collection; its
    algorithm description in ``document/``."""
    import tempfile

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
        csv_cals = [c for c in data.calibrations if c.suffix.lower() == ".csv"]
        extra = sorted(set(placed.values()) | ({"calibration"} if csv_cals else set()))
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
        if c in csv_cals:
            cal_dir = ws.collection_dir("calibration")
            title = (cal_titles or {}).get(c.name) or f"{recipe.name} calibration table {c.name}"
            label_delimited(moved[c], cal_dir, f"{ws.collections['calibration'].lid}:{c.stem.lower()}",
                            title=title, creation_time=created)
            moved[c].unlink()  # delivered as a product of the calibration collection
            cal_files.append(cal_dir / c.name)
        else:
            cal_files.append(moved[c])
    data = DemoData(data.recipe, [moved[p] for p in data.inputs], cal_files, dict(data.params), data.description)
    report = run_recipe(recipe, data.inputs, ws.collection_dir(coll_name), cal_files=cal_files,
                        params=dict(data.params), jobs=jobs, creation_time=created,
                        browse_dir=browse_folder(ws.path, recipe))
    if report.failed:
        raise RuntimeError(f"{recipe.name} failed: {report.failed[0].error}")
    write_recipe_document(recipe, ws.collection_dir("document"), ws.collections["document"].lid,
                          creation_time=created)
    return Prepared(ws, recipe, data, cal_files, coll_name, sum(len(o.outputs) for o in report.written))


def deliver_instrument(workspace: str | os.PathLike[str], instrument: str, *, seed: int = 0, jobs: int = 1,
                       creation_time: Any = None) -> Delivery:
    """`prepare` ``instrument``'s delivery, package the bundle and validate it (``--rule bundle``)."""
    from pdsgen.archive.index import SQLiteIndex, default_db
    from pdsgen.archive.package import package_bundle
    from pdsgen.render import iso_utc, resolve_creation_time

    created = iso_utc(resolve_creation_time(creation_time))
    out = Delivery(Path(workspace))
    t = time.perf_counter()
    prep = prepare(workspace, instrument, seed=seed, jobs=jobs, created=created)
    ws = prep.workspace
    where = ", ".join(f"{n}/" for n in sorted(ws.collections))
    out.steps.append(Step("init + run", f"{ws.bundle_lid}: {len(prep.data.inputs)} raw inputs, "
                          f"{prep.products} products of {prep.recipe.name} in {prep.collection}/; "
                          f"collections {where}", seconds=time.perf_counter() - t))
    with SQLiteIndex(default_db(ws.bundle_dir)) as idx:
        t = time.perf_counter()
        res = package_bundle(ws.bundle_dir, idx, creation_time=created, manifest_dir=ws.path / "manifests")
        out.manifests = [m for m in (res.checksum_manifest, res.transfer_manifest) if m is not None]
        errors, warnings, out.findings = _validate(ws.bundle_dir)
        out.steps.append(Step("package + validate", "archive bundle; validate --rule bundle",
                              _versions(ws.bundle_dir, idx), errors, warnings, time.perf_counter() - t))
    return out


def change_plan(path: Path) -> None:
    """The demo's calibration change: scan 10 of run 1020 moves from dataset D001 to D002."""
    text = path.read_bytes().decode("ascii")
    new = text.replace("1020,D001bkgc,1,10", "1020,D001bkgc,1,9").replace("1020,D002bkgo,11,20", "1020,D002bkgo,10,20")
    if new == text:
        raise ValueError(f"{path}: the dataset plan does not have the rows the demo changes")
    path.write_bytes(new.encode("ascii"))


def deliver(workspace: str | os.PathLike[str], *, seed: int = 0, jobs: int = 1, scheduler: str | None = None,
            creation_time: Any = None, change_time: Any = None) -> Delivery:
    """Run the walk-through in ``workspace`` (emptied first)."""
    from pdsgen.archive.ancillary import label_delimited
    from pdsgen.archive.index import SQLiteIndex, default_db
    from pdsgen.archive.package import package_bundle
    from pdsgen.archive.regenerate import regenerate
    from pdsgen.archive.versioning import keep_superseded
    from pdsgen.render import iso_utc, resolve_creation_time

    ws_path = Path(workspace)
    out = Delivery(ws_path)
    created = iso_utc(resolve_creation_time(creation_time))
    changed = iso_utc(resolve_creation_time(change_time)) if change_time is not None else created

    t = time.perf_counter()
    prep = prepare(ws_path, "inms", seed=seed, jobs=jobs, created=created, cal_titles={PLAN: PLAN_TITLE})
    ws, cal_dir = prep.workspace, prep.workspace.collection_dir("calibration")
    out.steps.append(Step("init + run", f"workspace, {len(prep.data.inputs)} raw scans in raw/, the dataset plan "
                          f"labelled in calibration/; pdsgen run {RECIPE} --workspace --out calibrated: "
                          f"{prep.products} products; algorithm description in document/",
                          seconds=time.perf_counter() - t))

    manifests = ws_path / "manifests"
    with SQLiteIndex(default_db(ws.bundle_dir)) as idx:
        t = time.perf_counter()
        first = package_bundle(ws.bundle_dir, idx, creation_time=created, manifest_dir=manifests)
        out.manifests = [m for m in (first.checksum_manifest, first.transfer_manifest) if m is not None]
        errors, warnings, out.findings = _validate(ws.bundle_dir)
        out.steps.append(Step("package + validate", "archive bundle; validate --rule bundle",
                              _versions(ws.bundle_dir, idx), errors, warnings, time.perf_counter() - t))

        t = time.perf_counter()
        plan_label = cal_dir / "inms_datasets.xml"
        keep_superseded(cal_dir, [plan_label, cal_dir / PLAN], "1.0")
        edited = ws.inputs_dir / PLAN
        shutil.copy(cal_dir / PLAN, edited)
        change_plan(edited)
        label_delimited(edited, cal_dir, f"{ws.collections['calibration'].lid}:inms_datasets",
                        title=PLAN_TITLE, vid="1.1",
                        history=[{"date": created[:10], "vid": "1.0", "description": "First version."}],
                        creation_time=changed)
        out.steps.append(Step("change calibration", "dataset plan 1.1: scan 10 of run 1020 moves to D002 "
                              "(1.0 kept in calibration/SUPERSEDED/v1_0/)", seconds=time.perf_counter() - t))

        t = time.perf_counter()
        rep = regenerate(ws.bundle_dir, idx, creation_time=changed, keep=True, jobs=jobs, scheduler=scheduler)
        if rep.failed or rep.invalid:
            raise RuntimeError(f"regeneration: {rep.failed[:1]} {rep.invalid[:1]}")
        if rep.bundle is not None and rep.bundle.checksum_manifest is not None:
            # the regenerated delivery's manifests go where the first ones went
            for m in (rep.bundle.checksum_manifest, rep.bundle.transfer_manifest):
                manifests.mkdir(exist_ok=True)
                os.replace(m, manifests / m.name)
            out.manifests = [manifests / rep.bundle.checksum_manifest.name,
                             manifests / rep.bundle.transfer_manifest.name]
        kept = len(idx.execute("SELECT label_path FROM products WHERE label_path LIKE ?", ("%SUPERSEDED/%",)))
        out.steps.append(Step("archive regenerate", f"{len(rep.remade)} products remade as new versions, "
                              f"{kept} superseded labels kept", _versions(ws.bundle_dir, idx),
                              seconds=time.perf_counter() - t))
        t = time.perf_counter()
        errors, warnings, out.findings = _validate(ws.bundle_dir)
        out.steps.append(Step("validate", "validate --rule bundle (superseded versions in place)",
                              _versions(ws.bundle_dir, idx), errors, warnings, time.perf_counter() - t))
    return out
