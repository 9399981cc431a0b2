"""Delivery packaging: inventories, collection/bundle labels, manifests, versioning."""

from __future__ import annotations

import hashlib
import os

import pytest
from click.testing import CliRunner
from conftest import PDS_V1, validate_options
from lxml import etree
from synthetic_archive import make_bundle, observational_label, table_bytes

from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.package import (
    inventory_bytes,
    package_bundle,
    package_collection,
    parse_inventory,
)
from pdsgen.archive.versioning import bump_vid, keep_superseded, parse_vid
from pdsgen.cli import main
from pdsgen.errors import LabelError, PdsgenError

NS = "{http://pds.nasa.gov/pds4/pds/v1}"
CT = "2024-05-06T07:08:09Z"


@pytest.fixture()
def bundle(tmp_path):
    return make_bundle(tmp_path / "synth", 12, n_calibrations=2, per_folder=5)


def _text(path, tag):
    return etree.parse(str(path)).getroot().find(f".//{NS}{tag}").text


def test_inventory_records():
    data = inventory_bytes(["urn:nasa:pds:a:b:c::1.0"], ["urn:nasa:pds:a:b:d"])
    assert data == b"P,urn:nasa:pds:a:b:c::1.0\r\nS,urn:nasa:pds:a:b:d\r\n"
    assert parse_inventory(data) == [("P", "urn:nasa:pds:a:b:c::1.0"), ("S", "urn:nasa:pds:a:b:d")]
    with pytest.raises(LabelError, match="record 2"):
        parse_inventory(b"P,x::1.0\r\nQ,y\r\n", "inv.csv")


@pytest.mark.parametrize("vid, kind, expected", [
    ("1.0", "minor", "1.1"), ("1.9", "minor", "1.10"), ("1.3", "major", "2.0"), ("10.12", "major", "11.0")])
def test_bump_vid(vid, kind, expected):
    assert bump_vid(vid, kind) == expected


@pytest.mark.parametrize("bad", ["1", "01.0", "1.0.0", "a.b", ""])
def test_bad_vid(bad):
    with pytest.raises(LabelError):
        parse_vid(bad)


def test_bundle_packaging(bundle, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        r = package_bundle(bundle, idx, creation_time=CT, manifest_dir=tmp_path / "out")
    assert r.lidvid == "urn:nasa:pds:synth::1.0"
    inv = bundle / "data/collection_data_inventory.csv"
    expected = "".join(f"P,urn:nasa:pds:synth:data:p{i:07d}::1.0\r\n" for i in range(12)).encode()
    assert inv.read_bytes() == expected
    label = bundle / "data/collection_data.xml"
    assert _text(label, "logical_identifier") == "urn:nasa:pds:synth:data"
    assert _text(label, "file_size") == str(len(expected))
    assert _text(label, "md5_checksum") == hashlib.md5(expected).hexdigest()
    assert _text(label, "records") == "12"
    assert _text(label, "collection_type") == "Data"
    assert _text(label, "start_date_time") == "2005-01-01T00:00:00Z"
    assert _text(label, "stop_date_time") == "2005-01-01T12:00:00Z"
    cal_inv = (bundle / "calibration/collection_calibration_inventory.csv").read_bytes()
    assert cal_inv == b"P,urn:nasa:pds:synth:calibration:cal000::1.0\r\nP,urn:nasa:pds:synth:calibration:cal001::1.0\r\n"
    root = etree.parse(str(bundle / "bundle_synth.xml")).getroot()
    entries = [(e.findtext(f"{NS}lidvid_reference"), e.findtext(f"{NS}reference_type"))
               for e in root.iter(f"{NS}Bundle_Member_Entry")]
    assert entries == [("urn:nasa:pds:synth:calibration::1.0", "bundle_has_calibration_collection"),
                       ("urn:nasa:pds:synth:data::1.0", "bundle_has_data_collection")]

    # checksum manifest: every file of the bundle, md5 as hashlib computes it, CRLF
    lines = r.checksum_manifest.read_bytes().split(b"\r\n")
    assert lines[-1] == b""
    listed = {}
    for line in lines[:-1]:
        md5, rel = line.decode().split("  ", 1)
        listed[rel] = md5
    on_disk = {}
    for folder, _dirs, files in os.walk(bundle):
        if ".pdsgen" in folder:
            continue
        for f in files:
            p = os.path.join(folder, f)
            on_disk[os.path.relpath(p, bundle)] = hashlib.md5(open(p, "rb").read()).hexdigest()
    assert listed == on_disk
    # transfer manifest: one line per product label (12 + 2 + 2 collections + bundle)
    rows = r.transfer_manifest.read_text().splitlines()
    assert len(rows) == 17
    assert "urn:nasa:pds:synth:data:p0000003::1.0 data/d0000/p0000003.xml" in [" ".join(x.split()) for x in rows]
    widths = {len(x) - len(x.split()[-1]) for x in rows}
    assert len(widths) == 1  # LIDVID column padded to one width


def test_unchanged_bundle_keeps_versions(bundle, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_bundle(bundle, idx, creation_time=CT, manifests=False)
        before = (bundle / "bundle_synth.xml").read_bytes()
        r = package_bundle(bundle, idx, creation_time="2030-01-01T00:00:00Z", manifests=False)
    assert not r.changed and r.vid == "1.0" and not any(c.changed for c in r.collections)
    assert (bundle / "bundle_synth.xml").read_bytes() == before


def test_new_product_version(bundle, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_bundle(bundle, idx, creation_time=CT, manifests=False)
        old_inv = (bundle / "data/collection_data_inventory.csv").read_bytes()
        # product 7 gets version 1.1; the old one is kept under SUPERSEDED/v1_0/
        folder = bundle / "data"
        p7 = folder / "d0001/p0000007.xml"
        keep_superseded(folder, [p7, folder / "d0001/p0000007.tab"], "1.0")
        (folder / "d0001/p0000007.tab").write_bytes(table_bytes([70, 71, 72, 73]))
        p7.write_text(observational_label("urn:nasa:pds:synth:data:p0000007", "1.1", "v2",
                                          "2005-01-01T07:00:00.000Z", "2005-01-01T08:00:00.000Z",
                                          "p0000007.tab", 4))
        r = package_bundle(bundle, idx, creation_time="2024-06-01T00:00:00Z", keep=True,
                           manifests=False)
    data, cal = {c.lid.rsplit(":", 1)[1]: c for c in r.collections}["data"], r.collections[0]
    assert (data.vid, data.previous_vid, data.changed) == ("1.1", "1.0", True)
    assert data.added == ["urn:nasa:pds:synth:data:p0000007::1.1"]
    assert data.removed == ["urn:nasa:pds:synth:data:p0000007::1.0"]
    assert (cal.vid, cal.changed) == ("1.0", False)
    assert (r.vid, r.previous_vid) == ("1.1", "1.0")
    inv = (bundle / "data/collection_data_inventory.csv").read_bytes()
    assert inv == old_inv.replace(b"p0000007::1.0", b"p0000007::1.1")
    # superseded collection files and product kept, old label still describes the old inventory
    old_label = bundle / "data/SUPERSEDED/v1_0/collection_data.xml"
    assert (bundle / "data/SUPERSEDED/v1_0/collection_data_inventory.csv").read_bytes() == old_inv
    assert _text(old_label, "md5_checksum") == hashlib.md5(old_inv).hexdigest()
    assert (bundle / "data/SUPERSEDED/v1_0/d0001/p0000007.xml").is_file()
    assert (bundle / "SUPERSEDED/v1_0/bundle_synth.xml").is_file()
    label = etree.parse(str(bundle / "data/collection_data.xml")).getroot()
    assert [e.text for e in label.iter(f"{NS}version_id")] == ["1.1", "1.0", "1.1"]
    assert bump_vid("1.1", "major") == "2.0"


def test_major_bump_and_errors(bundle, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_collection(bundle, bundle / "data", idx, creation_time=CT)
        (bundle / "data/d0000/p0000001.xml").unlink()
        r = package_collection(bundle, bundle / "data", idx, creation_time=CT, bump="major")
        assert (r.vid, r.members, r.removed) == ("2.0", 11, ["urn:nasa:pds:synth:data:p0000001::1.0"])
        (bundle / "empty").mkdir()
        with pytest.raises(PdsgenError, match="no member products"):
            package_collection(bundle, bundle / "empty", idx)
        dup = bundle / "data/d0000/dup.xml"
        dup.write_text(observational_label("urn:nasa:pds:synth:data:p0000002", "1.1", "dup",
                                           "2005-01-01T02:00:00Z", "2005-01-01T03:00:00Z", "p0000002.tab", 3))
        with pytest.raises(PdsgenError, match="two versions of urn:nasa:pds:synth:data:p0000002"):
            package_collection(bundle, bundle / "data", idx)


def test_deterministic(tmp_path):
    outs = []
    for name in ("a", "b"):
        b = make_bundle(tmp_path / name / "synth", 5, n_calibrations=1)
        with SQLiteIndex(tmp_path / name / "i.sqlite") as idx:
            package_bundle(b, idx, creation_time=CT, manifest_dir=tmp_path / name)
        outs.append([(b / p).read_bytes() for p in ("bundle_synth.xml", "data/collection_data.xml")]
                    + [(tmp_path / name / "synth_v1.0_checksum_manifest.txt").read_bytes()])
    assert outs[0] == outs[1]


def test_labels_schema_and_schematron_valid(bundle, tmp_path):
    from pdsgen.validate.schematron import check_schematron

    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_bundle(bundle, idx, creation_time=CT, manifests=False)
    xsd = etree.XMLSchema(etree.parse(str(PDS_V1 / "PDS4_PDS_1M00.xsd")))
    sch = PDS_V1 / "PDS4_PDS_1M00.sch"
    for rel in ("bundle_synth.xml", "data/collection_data.xml", "calibration/collection_calibration.xml",
                "data/d0000/p0000001.xml", "calibration/cal001.xml"):
        tree = etree.parse(str(bundle / rel))
        assert xsd.validate(tree), (rel, xsd.error_log)
        assert not [f for f in check_schematron(bundle / rel, sch) if f.is_error], rel


def validate_bundle(root) -> list[str]:
    """`pdsgen validate --rule bundle` (offline, the shared catalog and context products when
    present, else the shipped schemas)."""
    from pdsgen.validate.runner import Options, run

    res = run([str(root)], Options(**validate_options(rule="bundle")))
    return [f"{f.severity} {f.type}: {f.message}" for f in res.all_findings()]


def test_validate_rule_bundle_passes(tmp_path):
    root = make_bundle(tmp_path / "synth", 8, n_calibrations=2, per_folder=4)
    from synthetic_archive import make_calibrated

    make_calibrated(root)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_bundle(root, idx, creation_time=CT, manifests=False)
    assert validate_bundle(root) == []


def test_cli_collection_and_bundle(bundle, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["archive", "collection", str(bundle / "data"), "--creation-time", CT,
                               "--title", "Synthetic data"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("urn:nasa:pds:synth:data::1.0: 12 members")
    assert _text(bundle / "data/collection_data.xml", "title") == "Synthetic data"
    res = runner.invoke(main, ["archive", "bundle", str(bundle), "--creation-time", CT,
                               "--manifest-dir", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "urn:nasa:pds:synth::1.0: 2 collections, new" in res.output
    assert (tmp_path / "m/synth_v1.0_checksum_manifest.txt").is_file()


def test_inventory_replaced_but_label_not(bundle, tmp_path):
    """An interruption between the inventory's and the label's rename is repaired."""
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_collection(bundle, bundle / "data", idx, creation_time=CT)
        (bundle / "data/d0000/p0000001.xml").unlink()
        inv = bundle / "data/collection_data_inventory.csv"
        new = b"".join(line for line in inv.read_bytes().splitlines(keepends=True) if b"p0000001" not in line)
        inv.write_bytes(new)  # as if the label's rename never happened
        r = package_collection(bundle, bundle / "data", idx, creation_time=CT)
    assert r.changed and r.vid == "1.1"
    assert _text(bundle / "data/collection_data.xml", "md5_checksum") == hashlib.md5(new).hexdigest()


def test_default_index_inside_bundle_is_not_an_archive_member(tmp_path):
    # `pdsgen archive index ROOT` keeps its database in ROOT/.pdsgen/ by default; validation
    # of the packaged bundle must not report it (or anything hidden) as an unreferenced file.
    root = make_bundle(tmp_path / "synth", 4, n_calibrations=1, per_folder=4)
    (root / ".pdsgen").mkdir()
    with SQLiteIndex(root / ".pdsgen" / "archive.sqlite") as idx:
        package_bundle(root, idx, creation_time=CT, manifests=False)
    (root / ".pdsgen" / "stray.xml").write_text("<not a label/>")
    assert validate_bundle(root) == []
    (root / "data" / "stray.txt").write_text("x")
    assert any("stray.txt" in f and "not_referenced" in f for f in validate_bundle(root))
