"""Regeneration defects reproduced first (delivery issue): multi-part recipes, superseded
copies, manifests and the index after a run, orphan workers after the client is killed."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import synthetic_archive as synthetic
from conftest import SCHEMAS
from lxml import etree

from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.package import package_bundle
from pdsgen.archive.regenerate import regenerate

NS = "{http://pds.nasa.gov/pds4/pds/v1}"
T0 = "2026-01-01T00:00:00Z"
T1 = "2026-02-01T00:00:00Z"


def _vid(label: Path) -> str:
    return etree.parse(str(label)).getroot().findtext(f"{NS}Identification_Area/{NS}version_id")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".pdsgen" not in p.parts}


@pytest.fixture(scope="module")
def inms_template(tmp_path_factory):
    """The INMS demo (raw scans, dataset plan, calibrated tables and browse plots) packaged
    as one bundle: collections raw/, calibrated/ and browse/."""
    from pdsgen.recipes.demo import run_demo

    base = tmp_path_factory.mktemp("inms")
    rows = run_demo(base / "demo", instruments=["inms"], validate=False, creation_time=T0)
    assert all(r.error is None and r.failed == 0 for r in rows)
    with SQLiteIndex(base / "i.sqlite") as idx:
        package_bundle(base / "demo", idx, creation_time=T0, manifests=False)
    return base


TABLES = {f"calibrated/inms/inms_{k}_r{r}.xml" for k in ("crosstalk", "spectra") for r in (1020, 1021)}


def _browse_of(label: bytes) -> list[str]:
    return etree.fromstring(label).xpath("//p:Internal_Reference[p:reference_type='browse_to_data']"
                                         "/p:lidvid_reference/text()", namespaces={"p": NS[1:-1]})


def test_multipart_recipe_bumps_only_stale_products(inms_template, tmp_path):
    """A new version of one raw scan of run 1021 makes run 1021's products stale (its 2
    tables and 2 browse plots: one recipe group); run 1020's 12 products (same recipe,
    another group) keep their version; every superseded copy holds the OLD bytes."""
    shutil.copytree(inms_template, tmp_path / "w")
    root = tmp_path / "w" / "demo"
    before = _tree(root)
    from pdsgen.archive.versioning import keep_superseded

    scan = root / "raw/inms/REU_2015-353_R1021_MS_D002_S008.xml"
    keep_superseded(root / "raw", [scan, scan.with_suffix(".tab")], "1.0")  # version 1.0 stays in the archive
    scan.write_bytes(scan.read_bytes().replace(b"<version_id>1.0</version_id>", b"<version_id>1.1</version_id>", 1))
    r1021 = {p for p in before if p.endswith(".xml") and "_r1021" in p and p.startswith(("calibrated/", "browse/"))}
    assert len(r1021) == 4
    with SQLiteIndex(tmp_path / "w/i.sqlite") as idx:
        rep = regenerate(root, idx, creation_time=T1, keep=True)
        assert not rep.failed and not rep.invalid, (rep.failed, rep.invalid)
        assert set(rep.remade) == r1021
    after = _tree(root)
    kept = [p for p in before if p.startswith(("calibrated/inms/", "browse/inms/")) and p.endswith(".xml")
            and "_r1020" in p]
    assert len(kept) == 12
    for rel in kept:  # not stale: untouched, same version
        assert after[rel] == before[rel], rel
    for rel in r1021:
        assert _vid(root / rel) == "1.1"
        coll, name = rel.split("/inms/")
        assert after[f"{coll}/SUPERSEDED/v1_0/inms/{name}"] == before[rel]  # the old label, not the new one
        data = name.replace(".xml", ".png" if coll == "browse" else ".tab")
        assert after[f"{coll}/SUPERSEDED/v1_0/inms/{data}"] == before[f"{coll}/inms/{data}"]
        if coll == "browse":  # the plot points at the new versions of its run's tables
            assert _browse_of(after[rel]) == [f"urn:nasa:pds:cassini.inms.reu:calibrated:inms_{k}_r1021::1.1"
                                              for k in ("crosstalk", "spectra")]
    if SCHEMAS.is_dir():
        from test_archive_package import validate_bundle

        # (the INMS products cite IM 1.19, the collection and bundle labels 1.22: a warning)
        assert [f for f in validate_bundle(root) if f.startswith("error")] == []


def test_calibration_change_remakes_the_browse_plots(inms_template, tmp_path):
    """Changing the INMS dataset plan makes every product citing it stale: the 4 tables and
    the 12 browse plots, which cite the calibration file as their tables do (a plot shows
    the calibrated values); each plot is remade from the new values and points at the new
    table versions; the superseded copies hold the old bytes."""
    shutil.copytree(inms_template, tmp_path / "w")
    root = tmp_path / "w" / "demo"
    before = _tree(root)
    plan = root / "raw/inms/inms_datasets.csv"
    plan.write_text(plan.read_text().replace("1020,D001bkgc,1,10", "1020,D001bkgc,1,9")
                    .replace("1020,D002bkgo,11,20", "1020,D002bkgo,10,20"))
    browse = {p for p in before if p.startswith("browse/inms/") and p.endswith(".xml")
              and not p.startswith("browse/inms/collection_")}
    assert len(browse) == 12
    for rel in browse:  # the plot's label cites the calibration file, as its tables' labels do
        assert b"inms_datasets.csv" in before[rel], rel
    with SQLiteIndex(tmp_path / "w/i.sqlite") as idx:
        rep = regenerate(root, idx, creation_time=T1, keep=True)
        assert not rep.failed and not rep.invalid, (rep.failed, rep.invalid)
        assert set(rep.remade) == TABLES | browse
    after = _tree(root)
    for rel in TABLES | browse:
        assert _vid(root / rel) == "1.1"
        coll, name = rel.split("/inms/")
        assert after[f"{coll}/SUPERSEDED/v1_0/inms/{name}"] == before[rel]
    for rel in browse:
        run = "1020" if "_r1020" in rel else "1021"
        assert _browse_of(after[rel]) == [f"urn:nasa:pds:cassini.inms.reu:calibrated:inms_{k}_r{run}::1.1"
                                          for k in ("crosstalk", "spectra")]
        png = rel.replace(".xml", ".png")
        assert after["browse/SUPERSEDED/v1_0/inms/" + png.removeprefix("browse/inms/")] == before[png]
    # run 1020's plan changed (scan 10 moved from D001 to D002): its tables and the mass
    # spectra of D001/D002 change; run 1021's do not
    for rel in TABLES:
        tab = rel.replace(".xml", ".tab")
        assert (after[tab] != before[tab]) == ("r1020" in tab)
    for d in ("d001bkgc", "d002bkgo"):
        png = f"browse/inms/inms_crosstalk_r1020_ms_{d}.png"
        assert after[png] != before[png], png
    assert after["browse/inms/inms_crosstalk_r1021_ms_d001.png"] == before["browse/inms/inms_crosstalk_r1021_ms_d001.png"]


@pytest.fixture()
def synth(tmp_path):
    root = synthetic.make_bundle(tmp_path / "synth", 6, n_calibrations=2, per_folder=5)
    synthetic.make_calibrated(root, creation_time=T0)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_bundle(root, idx, creation_time=T0, manifests=False)
    p = root / "calibration/cal001.tab"
    p.write_bytes(b"     1500\r\n" + p.read_bytes()[11:])
    return root


def test_manifest_and_index_know_superseded_after_run(synth, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        rep = regenerate(synth, idx, creation_time=T1, keep=True)
        assert len(rep.remade) == 3 and not rep.failed and not rep.invalid
        manifest = rep.bundle.transfer_manifest
        rows = {line.split()[1]: line.split()[0] for line in manifest.read_text().splitlines()}
        # no scan in between: the index already holds the superseded copies
        known = {lp for (lp,) in idx.execute("SELECT label_path FROM products")}
    superseded = {
        "SUPERSEDED/v1_0/bundle_synth.xml": "urn:nasa:pds:synth::1.0",
        "data_calibrated/SUPERSEDED/v1_0/collection_data_calibrated.xml": "urn:nasa:pds:synth:data_calibrated::1.0",
        "data_calibrated/SUPERSEDED/v1_0/p0000004_cal.xml": "urn:nasa:pds:synth:data_calibrated:p0000004_cal::1.0",
    }
    for rel, lidvid in superseded.items():
        assert rows.get(rel) == lidvid, rel
        assert rel in known, rel
    on_disk = sorted(p.relative_to(synth).as_posix() for p in synth.rglob("*.xml"))
    assert sorted(rows) == on_disk  # every label of the delivery, no more
    checksum = rep.bundle.checksum_manifest.read_text().splitlines()
    for line in checksum:
        md5, rel = line.split("  ", 1)
        assert hashlib.md5((synth / rel).read_bytes()).hexdigest() == md5


_SLOW_MAKER = """
import time
from pathlib import Path
import synthetic_archive as synthetic

def remake(spec, staging):
    Path(spec["root"]).joinpath("..", "worker-%d" % __import__("os").getpid()).resolve().touch()
    time.sleep(60)
    synthetic.remake(spec, staging)

def recipe_version(name):
    return synthetic.recipe_version(name)
"""

_CLIENT = """
import sys
from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.regenerate import register_maker, regenerate

if __name__ == "__main__":
    import slowmaker  # noqa: F401  (imports the synthetic pipeline, which registers its own maker)

    register_maker("synthetic-offset", "slowmaker:remake", replace=True)
    root, db, how = sys.argv[1], sys.argv[2], sys.argv[3]
    kw = {"jobs": 2} if how == "pool" else {"jobs": 2, "scheduler": "local"}
    with SQLiteIndex(db) as idx:
        regenerate(root, idx, creation_time="2026-02-01T00:00:00Z", **kw)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("how", ["pool", "dask"])
def test_killed_client_leaves_no_workers(synth, tmp_path, how):
    """SIGKILL the client mid-run: its worker processes end by themselves."""
    import psutil

    (tmp_path / "slowmaker.py").write_text(textwrap.dedent(_SLOW_MAKER))
    (tmp_path / "client.py").write_text(textwrap.dedent(_CLIENT))
    tests = str(Path(__file__).resolve().parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), tests, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, str(tmp_path / "client.py"), str(synth), str(tmp_path / "i.sqlite"), how],
                            env=env, cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(tmp_path.glob("worker-*"))) < 2:
            assert proc.poll() is None, "the client ended before its workers started"
            time.sleep(0.2)
        assert len(list(tmp_path.glob("worker-*"))) == 2
        children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
        assert set(workers) <= set(children)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.2)
        left = [c for c in children if _alive(c)]
        assert left == [], f"orphan processes after the client was killed: {left}"
    finally:
        for pid in [proc.pid] + [c.pid for c in psutil.Process().children(recursive=True)]:
            try:
                os.killpg(pid, signal.SIGKILL) if pid == proc.pid else os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
