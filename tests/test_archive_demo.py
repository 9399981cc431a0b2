"""The archive commands over what `pdsgen demo` makes (CHEMS and FIPS): index, find by
time range, package collections, regenerate after a calibration file changes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from lxml import etree

import pdsgen
from pdsgen.archive.find import find
from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.package import package_collection
from pdsgen.archive.regenerate import regenerate
from pdsgen.archive.scan import scan

NS = "{http://pds.nasa.gov/pds4/pds/v1}"
T0 = "2026-01-01T00:00:00Z"
T1 = "2026-02-01T00:00:00Z"
CAL = "raw/chems/CHEMS_PHA_CAL_V01.CSV"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from pdsgen.recipes.demo import run_demo

    base = tmp_path_factory.mktemp("demo")
    rows = run_demo(base / "demo", instruments=["chems", "fips"], validate=False, creation_time=T0)
    assert all(r.error is None and r.failed == 0 for r in rows), [r.problems for r in rows]
    root = base / "demo"
    with SQLiteIndex(base / "i.sqlite") as idx:
        scan(root, idx)  # `pdsgen archive index` first: the baselines of the provenance checksums
        for inst in ("chems", "fips"):
            package_collection(root, root / "calibrated" / inst, idx, creation_time=T0)
            package_collection(root, root / "browse" / inst, idx, creation_time=T0)
    return root


@pytest.fixture()
def copy(demo, tmp_path):
    shutil.copytree(demo.parent, tmp_path / "d")
    return tmp_path / "d" / "demo"


def _labels(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in (".xml", ".lbl") and ".pdsgen" not in p.parts)


def test_index_demo(demo, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        report = scan(demo, idx)
        assert not report.errors
        assert idx.count() == len(_labels(demo))
        rec = idx.get("calibrated/chems/cpha0_2004183_0001_cal.xml")
        product = pdsgen.open(demo / rec.label_path)  # the full reader agrees with the indexer
        assert (rec.lid, rec.vid) == (product.lid, product.vid)
        from pdsgen.recipes import load_recipe

        assert (rec.recipe_name, rec.recipe_version) == ("chems-pha", load_recipe("chems-pha").version)
        refs = {p.role: p.ref for p in rec.provenance}
        assert len(rec.provenance) == 2 and refs["input"] == "CPHA0_2004183_0001"
        # the recipe engine names calibration products by PRODUCT_ID (older: label file name)
        assert refs["calibration"] in ("CHEMS_PHA_CAL_V01", "CHEMS_PHA_CAL_V01.LBL")
        cal = idx.get("raw/chems/CHEMS_PHA_CAL_V01.LBL")
        assert cal.product_id == "CHEMS_PHA_CAL_V01" and cal.standard == "PDS3"
        csv = demo / CAL
        assert {f.path: f.md5 for f in cal.files}[CAL] == hashlib.md5(csv.read_bytes()).hexdigest()
        # baseline of the calibration checksum = the CSV's MD5 (its only data file)
        if refs["calibration"] == "CHEMS_PHA_CAL_V01":
            assert {p.ref: p.md5 for p in rec.provenance}[refs["calibration"]] == hashlib.md5(csv.read_bytes()).hexdigest()


def test_find_by_time_range_demo(demo, tmp_path):
    from pdsgen.times import normalize_time

    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        scan(demo, idx)
        t0, t1 = "2004:184:00:00:00", "2004-07-03T12:00:00"
        got = {r.label_path for r in find(idx, start=t0, stop=t1)}
    # expected from the full reader's times, overlap computed here
    lo, hi = normalize_time(t0), normalize_time(t1)
    expected = set()
    for label in _labels(demo):
        p = pdsgen.open(label)
        if not p.start_time:
            continue
        start = normalize_time(str(p.start_time))
        stop = normalize_time(str(p.stop_time)) if p.stop_time else start
        if start <= hi and stop >= lo:
            expected.add(label.relative_to(demo).as_posix())
    assert got == expected and got


def test_regenerate_demo_after_calibration_change(copy, tmp_path):
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file() and ".pdsgen" not in p.parts}
    csv = copy / CAL
    data = csv.read_bytes()
    changed = data.replace(b'"cal","CPHA",1,10.00,220,', b'"cal","CPHA",1,10.00,230,', 1)
    assert changed != data
    csv.write_bytes(changed)
    with SQLiteIndex(copy.parent / "i.sqlite") as idx:
        rep = regenerate(copy, idx, creation_time=T1)
    assert not rep.failed and rep.invalid == []
    # the tables and their M vs M/Q browse plots (which cite the calibration too: a plot shows
    # the calibrated values)
    assert sorted(rep.remade) == sorted([f"calibrated/chems/cpha0_200418{d}_0001_cal.xml" for d in (3, 4, 5)]
                                        + [f"browse/chems/cpha0_200418{d}_0001_cal_m_vs_mq.xml" for d in (3, 4, 5)])
    # FIPS and everything else untouched
    for p, content in before.items():
        rel = p.relative_to(copy).as_posix()
        if not rel.startswith(("calibrated/chems/", "browse/chems/")) and rel != CAL:
            assert p.read_bytes() == content, rel
    # the remade products are what `pdsgen run` makes with the new calibration
    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.run import run_recipe

    out = tmp_path / "fresh"
    inputs = sorted((copy / "raw/chems").glob("CPHA0_*.LBL"))
    run_recipe(load_recipe("chems-pha"), inputs, out, cal_files=[copy / "raw/chems/CHEMS_PHA_CAL_V01.LBL"],
               params={"alpha": "0.85"}, creation_time=T1)
    for d in (3, 4, 5):
        name = f"cpha0_200418{d}_0001_cal"
        new_tab = (copy / f"calibrated/chems/{name}.tab").read_bytes()
        assert new_tab == (out / f"{name}.tab").read_bytes()
        assert new_tab != before[copy / f"calibrated/chems/{name}.tab"]
        label = etree.parse(str(copy / f"calibrated/chems/{name}.xml")).getroot()
        assert label.findtext(f"{NS}Identification_Area/{NS}version_id") == "1.1"
        # the plot: remade from the new values (the fresh run's PNG), pointing at the new table
        png = copy / f"browse/chems/{name}_m_vs_mq.png"
        assert png.read_bytes() == (out / png.name).read_bytes() != before[png]
        browse = etree.parse(str(png.with_suffix(".xml"))).getroot()
        assert browse.findtext(f"{NS}Identification_Area/{NS}version_id") == "1.1"
        assert browse.xpath("//p:Internal_Reference[p:reference_type='browse_to_data']/p:lidvid_reference/text()",
                            namespaces={"p": NS[1:-1]}) == [
            f"urn:nasa:pds:cassini_mimi_calibrated:data_chems_pha:{name}::1.1"]
    inv = (copy / "calibrated/chems/collection_chems_inventory.csv").read_bytes().decode()
    assert inv.count("::1.1\r\n") == 3 and "_m_vs_mq" not in inv  # the tables; the plots are browse products
    inv = (copy / "browse/chems/collection_chems_inventory.csv").read_bytes().decode()
    assert inv.count("_m_vs_mq::1.1\r\n") == 3 and ":browse:" in inv
    coll = etree.parse(str(copy / "calibrated/chems/collection_chems.xml")).getroot()
    assert coll.findtext(f"{NS}Identification_Area/{NS}version_id") == "1.1"
    assert sorted(c.lidvid for c in rep.collections) == ["urn:nasa:pds:cassini_mimi_calibrated:browse::1.1",
                                                         "urn:nasa:pds:cassini_mimi_calibrated:data_chems_pha::1.1"]
    with SQLiteIndex(copy.parent / "i.sqlite") as idx:
        assert regenerate(copy, idx, dry_run=True).stale == []


def crashing_remake(spec, staging):
    """The recipe remaker, except that the worker making $PDSGEN_TEST_CRASH dies."""
    import os

    from pdsgen.archive.regenerate import remake_with_recipe

    if os.environ.get("PDSGEN_TEST_CRASH") == spec["label_path"]:
        os._exit(1)
    remake_with_recipe(spec, staging)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".pdsgen" not in p.parts}


def _two_copies(demo, tmp_path):
    roots = []
    for name in ("a", "b"):
        shutil.copytree(demo.parent, tmp_path / name)
        root = tmp_path / name / "demo"
        csv = root / CAL
        csv.write_bytes(csv.read_bytes().replace(b'"cal","CPHA",1,10.00,220,', b'"cal","CPHA",1,10.00,230,', 1))
        roots.append(root)
    return roots


def test_interrupted_regeneration_resumes(demo, tmp_path, monkeypatch, request):
    from pdsgen.archive import regenerate as regen
    from pdsgen.archive.backends import WorkerLost

    ref, root = _two_copies(demo, tmp_path)
    with SQLiteIndex(ref.parent / "i.sqlite") as idx:
        regenerate(ref, idx, creation_time=T1)
    victim = "calibrated/chems/cpha0_2004184_0001_cal.xml"
    # above the (default) recipe maker for this test only
    regen.register_maker("chems-pha", "test_archive_demo:crashing_remake", priority=100)
    request.addfinalizer(lambda: regen.MAKERS.unregister("chems-pha", priority=100))
    monkeypatch.setenv("PDSGEN_TEST_CRASH", victim)
    with SQLiteIndex(root.parent / "i.sqlite") as idx:
        with pytest.raises(WorkerLost, match="worker process died"):
            regenerate(root, idx, creation_time=T1, jobs=2)
        run_id, _t, _o = idx.open_run()
        done = [lp for lp, _s, status, _r in idx.run_tasks(run_id) if status == "done"]
    assert victim not in done
    # nothing half-written: each calibrated label describes its data file byte for byte
    for label in sorted((root / "calibrated").rglob("*_cal.xml")) + sorted((root / "calibrated").rglob("*_cdr.xml")):
        tree = etree.parse(str(label))
        name = tree.findtext(f".//{NS}File/{NS}file_name")
        data = (label.parent / name).read_bytes()
        assert tree.findtext(f".//{NS}File/{NS}md5_checksum") == hashlib.md5(data).hexdigest(), label
    monkeypatch.delenv("PDSGEN_TEST_CRASH")
    with SQLiteIndex(root.parent / "i.sqlite") as idx:
        rep = regenerate(root, idx, creation_time="2030-01-01T00:00:00Z")  # the recorded run's time wins
        assert rep.resumed and rep.skipped_done == len(done) and not rep.failed
        assert sorted(rep.remade + done) == sorted(
            [f"calibrated/chems/cpha0_200418{d}_0001_cal.xml" for d in (3, 4, 5)]
            + [f"browse/chems/cpha0_200418{d}_0001_cal_m_vs_mq.xml" for d in (3, 4, 5)])
        assert idx.open_run() is None
    assert _tree(root) == _tree(ref)


def test_dask_backend_byte_identical_to_local(demo, tmp_path):
    local_root, dask_root = _two_copies(demo, tmp_path)
    with SQLiteIndex(local_root.parent / "i.sqlite") as idx:
        local = regenerate(local_root, idx, creation_time=T1, keep=True)
    with SQLiteIndex(dask_root.parent / "i.sqlite") as idx:
        dask = regenerate(dask_root, idx, creation_time=T1, keep=True, scheduler="local", jobs=2)
    assert sorted(dask.remade) == sorted(local.remade) and len(dask.remade) == 6  # 3 tables, their 3 plots
    assert not dask.failed and dask.invalid == []
    assert _tree(dask_root) == _tree(local_root)
