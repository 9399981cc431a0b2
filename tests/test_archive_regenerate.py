"""Regeneration on a synthetic archive (the synthetic-offset pipeline): staleness from
provenance, remake with new versions, repackaging, filters, CLI. Resume after a killed
worker and the Dask backend are tested over the demo (test_archive_demo.py)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import synthetic_archive as synthetic
from click.testing import CliRunner
from lxml import etree

from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.package import package_bundle
from pdsgen.archive.regenerate import find_stale, regenerate
from pdsgen.cli import main

NS = "{http://pds.nasa.gov/pds4/pds/v1}"
T0 = "2024-01-01T00:00:00Z"
T1 = "2024-02-01T00:00:00Z"


def _make(path: Path) -> Path:
    # 6 raw products, one per hour from 2005-01-01T00; calibrations start at 0 h and 3 h
    root = synthetic.make_bundle(path / "synth", 6, n_calibrations=2, per_folder=5)
    synthetic.make_calibrated(root, creation_time=T0)
    with SQLiteIndex(path / "i.sqlite") as idx:
        package_bundle(root, idx, creation_time=T0, manifests=False)
    return root


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return _make(tmp_path_factory.mktemp("regen"))


@pytest.fixture()
def archive(template, tmp_path):
    shutil.copytree(template.parent, tmp_path, dirs_exist_ok=True)
    return tmp_path / "synth"


def _change_calibration(root: Path) -> None:
    p = root / "calibration/cal001.tab"
    data = p.read_bytes()
    assert data.startswith(b"     1000\r\n")
    p.write_bytes(b"     1500\r\n" + data[11:])  # same size, new offset


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".pdsgen" not in p.parts}


def _values(tab: Path) -> list[float]:
    return [float(x) for x in tab.read_text().split()]


def test_nothing_stale_after_packaging(archive):
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        rep = regenerate(archive, idx, dry_run=True)
    assert rep.stale == []


def test_regenerate_after_calibration_change(archive):
    before = _tree(archive)
    _change_calibration(archive)
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        dry = regenerate(archive, idx, dry_run=True)
        # products 3, 4, 5 start at or after 3 h: made with cal001; 0-2 with cal000
        assert sorted(s.record.lid.rsplit(":", 1)[1] for s in dry.stale) == [
            "p0000003_cal", "p0000004_cal", "p0000005_cal"]
        assert all("calibration urn:nasa:pds:synth:calibration:cal001::1.0 changed" in s.reasons[0]
                   for s in dry.stale)
        rep = regenerate(archive, idx, creation_time=T1, keep=True)
        assert not rep.failed and not rep.invalid
        assert sorted(rep.remade) == [f"data_calibrated/p000000{i}_cal.xml" for i in (3, 4, 5)]
        assert find_stale(idx) == []
    after = _tree(archive)
    for i in range(6):
        label = f"data_calibrated/p000000{i}_cal.xml"
        vid = etree.fromstring(after[label]).findtext(f"{NS}Identification_Area/{NS}version_id")
        if i < 3:
            assert after[label] == before[label] and vid == "1.0"
        else:
            assert vid == "1.1"
            # gain 2 * counter (i, i+1, i+2) + new offset 1500
            assert _values(archive / f"data_calibrated/p000000{i}_cal.tab") == [2.0 * v + 1500 for v in (i, i + 1, i + 2)]
            old = archive / f"data_calibrated/SUPERSEDED/v1_0/p000000{i}_cal.tab"
            assert _values(old) == [2.0 * v + 1000 for v in (i, i + 1, i + 2)]
            tree = etree.fromstring(after[label])
            tab = after[f"data_calibrated/p000000{i}_cal.tab"]
            assert tree.findtext(f".//{NS}File/{NS}md5_checksum") == hashlib.md5(tab).hexdigest()
    inv = after["data_calibrated/collection_data_calibrated_inventory.csv"].decode()
    assert inv == "".join(
        f"P,urn:nasa:pds:synth:data_calibrated:p000000{i}_cal::{'1.1' if i >= 3 else '1.0'}\r\n" for i in range(6))
    coll = etree.fromstring(after["data_calibrated/collection_data_calibrated.xml"])
    assert coll.findtext(f"{NS}Identification_Area/{NS}version_id") == "1.1"
    assert etree.fromstring(after["bundle_synth.xml"]).findtext(f"{NS}Identification_Area/{NS}version_id") == "1.1"
    # the raw and calibration collections did not change
    assert after["data/collection_data.xml"] == before["data/collection_data.xml"]
    from test_archive_package import validate_bundle

    assert validate_bundle(archive) == []


def test_recipe_version_and_filters(archive, monkeypatch):
    monkeypatch.setattr(synthetic, "SYNTHETIC_RECIPE_VERSION", "2.0")
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        stale = find_stale(idx)
        assert len(stale) == 6
        assert stale[0].reasons == ["recipe synthetic-offset is now version 2.0 (made with 1.0)"]
        assert find_stale(idx, recipe="chems-pha") == []


def test_since_filter(archive):
    _change_calibration(archive)
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        assert len(regenerate(archive, idx, dry_run=True, since="2000-01-01").stale) == 3
        assert regenerate(archive, idx, dry_run=True, since="2999:001").stale == []


def test_cli_dry_run(archive):
    _change_calibration(archive)
    res = CliRunner().invoke(main, ["archive", "regenerate", str(archive), "--db",
                                    str(archive.parent / "i.sqlite"), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[-1] == "3 products to remake"
    assert res.output.startswith("urn:nasa:pds:synth:data_calibrated:p0000003_cal::1.0: calibration")


def test_values_read_back(archive):
    import pdsgen

    p = pdsgen.open(archive / "data_calibrated/p0000001_cal.xml")
    assert np.allclose(np.asarray(p[0].data["calibrated"], float), [2.0 * v + 1000 * 0 for v in (1, 2, 3)])


def test_cli_regenerate(archive):
    _change_calibration(archive)
    db = str(archive.parent / "i.sqlite")
    res = CliRunner().invoke(main, ["archive", "regenerate", str(archive), "--db", db,
                                    "--creation-time", T1, "--major"])
    assert res.exit_code == 0, res.output
    assert "3 remade, 0 already done, 0 failed, 0 validation problems" in res.output
    assert "urn:nasa:pds:synth:data_calibrated::2.0 (was 1.0)" in res.output
    label = etree.parse(str(archive / "data_calibrated/p0000005_cal.xml")).getroot()
    assert label.findtext(f"{NS}Identification_Area/{NS}version_id") == "2.0"
    res = CliRunner().invoke(main, ["archive", "regenerate", str(archive), "--db", db, "--dry-run"])
    assert res.output.strip() == "0 products to remake"


def test_failed_product_is_retried_on_resume(archive):
    _change_calibration(archive)
    raw = archive / "data/d0000/p0000004.tab"
    good = raw.read_bytes()
    raw.write_bytes(good.replace(b"       4", b"    four"))  # same size, not an integer
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        rep = regenerate(archive, idx, creation_time=T1)
        assert sorted(rep.remade) == ["data_calibrated/p0000003_cal.xml", "data_calibrated/p0000005_cal.xml"]
        assert [lp for lp, _e in rep.failed] == ["data_calibrated/p0000004_cal.xml"]
        assert "p0000004.tab" in rep.failed[0][1]
        assert idx.open_run() is not None
        old = (archive / "data_calibrated/p0000004_cal.xml").read_bytes()
        assert b"<version_id>1.0</version_id>" in old  # the failed product is untouched
        raw.write_bytes(good)
        again = regenerate(archive, idx, creation_time=T1)
        assert again.resumed and again.remade == ["data_calibrated/p0000004_cal.xml"] and not again.failed
        assert idx.open_run() is None
        assert regenerate(archive, idx, dry_run=True).stale == []


def test_restart_abandons_open_run(archive):
    _change_calibration(archive)
    raw = archive / "data/d0000/p0000004.tab"
    raw.write_bytes(raw.read_bytes().replace(b"       4", b"    four"))
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        first = regenerate(archive, idx, creation_time=T1)
        assert first.failed and idx.open_run()[0] == first.run_id
        second = regenerate(archive, idx, creation_time=T1, restart=True)
        assert not second.resumed and second.run_id != first.run_id
        assert [s.record.label_path for s in second.stale] == ["data_calibrated/p0000004_cal.xml"]


def test_reference_outside_archive_is_unchecked_not_stale(archive, monkeypatch):
    for suffix in (".xml", ".tab"):
        (archive / f"calibration/cal000{suffix}").unlink()
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        assert regenerate(archive, idx, dry_run=True).stale == []
        monkeypatch.setattr(synthetic, "SYNTHETIC_RECIPE_VERSION", "1.1")
        stale = {s.record.label_path: s for s in find_stale(idx)}
    assert len(stale) == 6
    assert stale["data_calibrated/p0000001_cal.xml"].unchecked == [
        "calibration urn:nasa:pds:synth:calibration:cal000::1.0"]
    assert stale["data_calibrated/p0000004_cal.xml"].unchecked == []


def test_dask_scheduler_address(archive, tmp_path):
    """`--scheduler tcp://HOST:PORT`: an existing scheduler (here an in-process cluster
    listening on loopback TCP, threads instead of worker processes to keep CI quick)."""
    from distributed import LocalCluster

    _change_calibration(archive)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with SQLiteIndex(archive.parent / "i.sqlite") as idx:
            rep = regenerate(archive, idx, creation_time=T1, scheduler=cluster.scheduler_address)
    assert sorted(rep.remade) == [f"data_calibrated/p000000{i}_cal.xml" for i in (3, 4, 5)]
    assert not rep.failed and not rep.invalid
    assert _values(archive / "data_calibrated/p0000005_cal.tab") == [2.0 * v + 1500 for v in (5, 6, 7)]


def test_new_calibration_in_force(archive):
    """A new calibration product dated 1 h takes over products 1 and 2 (cal001 from 3 h on
    still covers 3-5, cal000 still covers product 0)."""
    from pdsgen.archive.find import calibration_for

    cal = archive / "calibration"
    (cal / "cal002.tab").write_bytes(synthetic.table_bytes([7000, 7001, 7002]))
    (cal / "cal002.xml").write_text(synthetic.ancillary_label(
        "urn:nasa:pds:synth:calibration:cal002", "1.0", "Synthetic calibration 2",
        "2005-01-01T01:00:00.000Z", "2005-01-02T00:00:00.000Z", "cal002.tab", 3))
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        dry = regenerate(archive, idx, dry_run=True)
        assert sorted(s.record.label_path for s in dry.stale) == [
            "data_calibrated/p0000001_cal.xml", "data_calibrated/p0000002_cal.xml"]
        assert "calibration urn:nasa:pds:synth:calibration:cal002::1.0" in dry.stale[0].reasons[0]
        rep = regenerate(archive, idx, creation_time=T1)
        assert len(rep.remade) == 2 and not rep.failed and not rep.invalid
        assert calibration_for(idx, "urn:nasa:pds:synth:data:p0000001").lid.endswith("cal002")
        rec = idx.get("data_calibrated/p0000001_cal.xml")
        assert {p.ref for p in rec.provenance if p.role == "calibration"} == {
            "urn:nasa:pds:synth:calibration:cal002::1.0"}
        assert find_stale(idx) == []
    assert _values(archive / "data_calibrated/p0000001_cal.tab") == [2.0 * v + 7000 for v in (1, 2, 3)]
    assert _values(archive / "data_calibrated/p0000000_cal.tab") == [2.0 * v + 1000 * 0 for v in (0, 1, 2)]


def _break_raw(archive: Path, *numbers: int) -> dict[Path, bytes]:
    """Make raw products unreadable (same size, a counter that is not an integer), so their
    remakes fail; returns the good bytes to put back."""
    good = {}
    for n in numbers:
        (raw,) = archive.glob(f"data/d*/p000000{n}.tab")
        good[raw] = raw.read_bytes()
        raw.write_bytes(good[raw].replace(f"       {n}".encode(), b"     bad"))
    return good


def _vid(label: Path) -> str:
    return etree.parse(str(label)).getroot().findtext(f"{NS}Identification_Area/{NS}version_id")


def test_resume_after_reverted_cause_bumps_nothing(archive):
    """A run fails part-way, the calibration change is reverted, the run resumes: the
    unfinished product is no longer stale, so it is dropped (no version 1.1 identical to
    1.0), and the finished ones are not redone."""
    cal = archive / "calibration/cal001.tab"
    original_cal = cal.read_bytes()
    _change_calibration(archive)
    good = _break_raw(archive, 4)
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        first = regenerate(archive, idx, creation_time=T1)
        assert sorted(first.remade) == ["data_calibrated/p0000003_cal.xml", "data_calibrated/p0000005_cal.xml"]
        assert [lp for lp, _e in first.failed] == ["data_calibrated/p0000004_cal.xml"]
        before = _tree(archive)
        cal.write_bytes(original_cal)  # the cause is reverted (and the raw file repaired)
        for raw, data in good.items():
            raw.write_bytes(data)
        again = regenerate(archive, idx, creation_time=T1)
        assert again.resumed and again.run_id == first.run_id
        assert again.remade == [] and not again.failed and again.skipped_done == 2
        assert again.dropped == ["data_calibrated/p0000004_cal.xml"]
        assert "data_calibrated/p0000004_cal.xml: no longer stale, dropped from the resumed run " \
               "(stays urn:nasa:pds:synth:data_calibrated:p0000004_cal::1.0)" in again.notes
        # products 3 and 5 were made with the changed calibration: stale again, for the next run
        assert any(n.startswith("2 stale products are not part of the resumed run") for n in again.notes)
        assert idx.open_run() is None
        assert [s.record.label_path for s in find_stale(idx)] == [
            "data_calibrated/p0000003_cal.xml", "data_calibrated/p0000005_cal.xml"]
    after = _tree(archive)
    assert _vid(archive / "data_calibrated/p0000004_cal.xml") == "1.0"
    for rel, data in before.items():
        if not rel.startswith("calibration/cal001") and not rel.startswith("data/d0000/p0000004"):
            assert after[rel] == data, rel  # nothing rewritten, no collection or bundle bump
    inv = after["data_calibrated/collection_data_calibrated_inventory.csv"].decode()
    assert "p0000004_cal::1.0\r\n" in inv and "p0000003_cal::1.1\r\n" in inv


def test_resume_after_fixed_cause_remakes_only_unfinished_stale(archive):
    """A run fails on products 4 and 5; the raw files are repaired, and product 5 is remade
    meanwhile outside the run (at 1.1, with the changed calibration). Resuming remakes only
    product 4; 3 (done) is not redone, 5 (no longer stale) is dropped."""
    _change_calibration(archive)
    good = _break_raw(archive, 4, 5)
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        first = regenerate(archive, idx, creation_time=T1)
        assert first.remade == ["data_calibrated/p0000003_cal.xml"] and len(first.failed) == 2
        for raw, data in good.items():
            raw.write_bytes(data)
        out = archive / "data_calibrated"
        synthetic.calibrate_one(archive / "data/d0001/p0000005.xml", archive / "calibration/cal001.xml", out,
                                "urn:nasa:pds:synth:data_calibrated:p0000005_cal", "1.1", 2.0,
                                "2024-01-15T00:00:00Z")
        before = _tree(archive)
        again = regenerate(archive, idx, creation_time=T1)
        assert again.resumed and again.skipped_done == 1 and not again.failed
        assert again.remade == ["data_calibrated/p0000004_cal.xml"]
        assert again.dropped == ["data_calibrated/p0000005_cal.xml"]
        assert "data_calibrated/p0000005_cal.xml: no longer stale, dropped from the resumed run " \
               "(stays urn:nasa:pds:synth:data_calibrated:p0000005_cal::1.1)" in again.notes
        assert find_stale(idx) == [] and idx.open_run() is None
    after = _tree(archive)
    for rel in ("p0000003_cal.xml", "p0000003_cal.tab", "p0000005_cal.xml", "p0000005_cal.tab"):
        assert after[f"data_calibrated/{rel}"] == before[f"data_calibrated/{rel}"], rel
    assert _vid(archive / "data_calibrated/p0000004_cal.xml") == "1.1"
    assert _vid(archive / "data_calibrated/p0000005_cal.xml") == "1.1"
    assert _values(archive / "data_calibrated/p0000004_cal.tab") == [2.0 * v + 1500 for v in (4, 5, 6)]


def test_commit_cut_off_is_finished_on_resume(archive, monkeypatch):
    """Interrupted while moving a remade product into place (data moved, label not): even
    with the cause reverted, the resumed run finishes that move rather than leave a label
    that does not describe its data file."""
    from pdsgen.archive import regenerate as regen

    cal = archive / "calibration/cal001.tab"
    original_cal = cal.read_bytes()
    _change_calibration(archive)
    real_replace = os.replace

    def cut_off(src, dst):
        if str(dst).endswith("p0000004_cal.xml") and ".pdsgen" not in str(dst):  # the commit, not the staging
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(regen.os, "replace", cut_off)
    with SQLiteIndex(archive.parent / "i.sqlite") as idx:
        with pytest.raises(KeyboardInterrupt):
            regenerate(archive, idx, creation_time=T1)
        monkeypatch.setattr(regen.os, "replace", real_replace)
        tab = archive / "data_calibrated/p0000004_cal.tab"
        label = archive / "data_calibrated/p0000004_cal.xml"
        assert _values(tab) == [2.0 * v + 1500 for v in (4, 5, 6)] and _vid(label) == "1.0"  # half-placed
        cal.write_bytes(original_cal)
        again = regenerate(archive, idx, creation_time=T1)
        assert again.resumed and "data_calibrated/p0000004_cal.xml" in again.remade and not again.failed
    assert _vid(label) == "1.1"
    tree = etree.parse(str(label))
    assert tree.findtext(f".//{NS}File/{NS}md5_checksum") == hashlib.md5(tab.read_bytes()).hexdigest()


def test_calibration_in_force_is_the_latest_started_at_or_before_the_product():
    """`successor_in_force` over a family of calibration products (cal000 … cal003 started on
    days 1, 10, 20, 30): the answer for each case worked out by hand from the start days."""
    from pdsgen.archive.index import ProductRecord
    from pdsgen.archive.regenerate import _family, successor_in_force

    def rec(name: str, day: int, cal: bool = True) -> ProductRecord:
        coll = "calibration" if cal else "data"
        return ProductRecord(label_path=f"{coll}/{name}.xml", standard="pds4", label_size=1, label_mtime_ns=0,
                             label_md5="", lid=f"urn:nasa:pds:s:{coll}:{name}", vid="1.0",
                             product_class="Product_Ancillary" if cal else "Product_Observational",
                             start_time=f"2005-01-{day:02d}T00:00:00.000000Z", is_calibration=cal)

    cals = [rec(f"cal{k:03d}", day) for k, day in enumerate((1, 10, 20, 30))]
    families = {_family(cals[0]): list(cals)}
    assert all(_family(c) == _family(cals[0]) for c in cals)
    # a product of day 25 made with cal000: cal002 (day 20) is in force now, not cal001 (day 10)
    assert successor_in_force(families, cals[0], rec("p1", 25, cal=False)) is cals[2]
    # made with cal002, day 25: still in force
    assert successor_in_force(families, cals[2], rec("p2", 25, cal=False)) is None
    # day 10 exactly: cal001 starts at the product's start, so it is in force
    assert successor_in_force(families, cals[0], rec("p3", 10, cal=False)) is cals[1]
    # day 5: none started after cal000 yet
    assert successor_in_force(families, cals[0], rec("p4", 5, cal=False)) is None
    # day 31, made with cal001: cal003
    assert successor_in_force(families, cals[1], rec("p5", 31, cal=False)) is cals[3]
