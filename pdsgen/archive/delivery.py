"""The delivery walk-through that `pdsgen demo --deliver` runs (README, docs/archive.md):
raw data → workspace → calibrated products → documents → packaged, validated bundle →
a calibration file changes → regeneration → new versions, inventories, superseded
versions kept → valid bundle again.

Shown on the INMS demo, whose products' LIDs (``urn:nasa:pds:cassini.inms.reu:...``)
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
    from pdsgen.archive.documents import write_recipe_document
    from pdsgen.archive.index import SQLiteIndex, default_db
    from pdsgen.archive.package import package_bundle
    from pdsgen.archive.regenerate import regenerate
    from pdsgen.archive.versioning import keep_superseded
    from pdsgen.archive.workspace import init_workspace
    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.demo_data import generate
    from pdsgen.recipes.run import run_recipe
    from pdsgen.render import DEFAULT_IM_VERSION, iso_utc, resolve_creation_time

    ws_path = Path(workspace)
    if ws_path.exists():
        shutil.rmtree(ws_path)
    out = Delivery(ws_path)
    created = iso_utc(resolve_creation_time(creation_time))
    changed = iso_utc(resolve_creation_time(change_time)) if change_time is not None else created

    t = time.perf_counter()
    ws = init_workspace(ws_path, BUNDLE, extra=["raw", "calibration"])
    raw = ws.collection_dir("raw")
    # delivered raw inputs cite the Information Model of the rest of the bundle (validate
    # warns pds4_version_mismatch when a bundle's labels cite more than one)
    data = generate("inms", raw, seed, im_version=DEFAULT_IM_VERSION)
    cal_dir = ws.collection_dir("calibration")
    plan_src = raw / PLAN
    label_delimited(plan_src, cal_dir, f"{ws.collections['calibration'].lid}:inms_datasets",
                    title="Cassini INMS REU dataset plan: scan ranges and roles per run",
                    creation_time=created)
    plan_src.unlink()  # delivered as a product of the calibration collection
    out.steps.append(Step("init", f"workspace, {len(data.inputs)} raw scans in raw/, the dataset plan "
                          "labelled in calibration/", seconds=time.perf_counter() - t))

    t = time.perf_counter()
    recipe = load_recipe(RECIPE)
    report = run_recipe(recipe, data.inputs, ws.collection_dir("calibrated"), cal_files=[cal_dir / PLAN],
                        params=dict(data.params), jobs=jobs, creation_time=created)
    if report.failed:
        raise RuntimeError(f"{RECIPE} failed: {report.failed[0].error}")
    products = sum(len(o.outputs) for o in report.written)
    write_recipe_document(recipe, ws.collection_dir("document"), ws.collections["document"].lid,
                          creation_time=created)
    out.steps.append(Step("run", f"pdsgen run {RECIPE} --workspace --out calibrated: {products} products; "
                          "algorithm description in document/", seconds=time.perf_counter() - t))

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
                        title="Cassini INMS REU dataset plan: scan ranges and roles per run", vid="1.1",
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
