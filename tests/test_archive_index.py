"""Archive index: scanning, incremental re-indexing, interruption, find, calibration-for."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from click.testing import CliRunner
from synthetic_archive import make_bundle

from pdsgen.archive import scan as scan_mod
from pdsgen.archive.find import calibration_for, find
from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.scan import scan
from pdsgen.cli import main
from pdsgen.errors import PdsgenError
from pdsgen.times import normalize_time

T0 = dt.datetime(2005, 1, 1)


@pytest.fixture()
def bundle(tmp_path):
    return make_bundle(tmp_path / "b", 30, n_calibrations=3, per_folder=10)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2005-01-02T03:04:05Z", "2005-01-02T03:04:05.000000Z"),
        ("2005-01-02", "2005-01-02T00:00:00.000000Z"),
        ("2005:032", "2005-02-01T00:00:00.000000Z"),
        ("2005:032:01:02:03.5", "2005-02-01T01:02:03.500000Z"),
        ("2004-366T23:59:60.25", "2004-12-31T23:59:60.250000Z"),  # leap year, leap second
        ("2005-01-01T01:30:00+02:00", "2004-12-31T23:30:00.000000Z"),
        ("2005-02-03T04:05:06.123456789", "2005-02-03T04:05:06.123456Z"),
    ],
)
def test_normalize_time(text, expected):
    assert normalize_time(text) == expected


@pytest.mark.parametrize("bad", ["2005:366", "2005-13-01", "yesterday", "2005:001:25:00"])
def test_normalize_time_rejects(bad):
    with pytest.raises(ValueError):
        normalize_time(bad)


def test_index_records_products(bundle, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        report = scan(bundle, idx)
        assert report.added == 33 and not report.errors
        rec = idx.get("data/d0001/p0000012.xml")
        assert rec.lidvid == "urn:nasa:pds:synth:data:p0000012::1.0"
        assert rec.product_class == "Product_Observational"
        assert rec.instrument == "MIMI CHEMS"
        assert rec.start_time == "2005-01-01T12:00:00.000000Z"
        assert rec.stop_time == "2005-01-01T13:00:00.000000Z"
        assert not rec.is_calibration
        tab = bundle / "data/d0001/p0000012.tab"
        files = {f.path: (f.size, f.md5) for f in rec.files}
        assert files["data/d0001/p0000012.tab"] == (tab.stat().st_size, hashlib.md5(tab.read_bytes()).hexdigest())
        assert files["data/d0001/p0000012.xml"][1] == hashlib.md5((bundle / rec.label_path).read_bytes()).hexdigest()
        cal = idx.get("calibration/cal001.xml")
        assert cal.is_calibration and cal.product_class == "Product_Ancillary"


def test_incremental_reindex(bundle, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        scan(bundle, idx)
        again = scan(bundle, idx)
        assert (again.added, again.updated, again.unchanged) == (0, 0, 33)
        tab = bundle / "data/d0000/p0000001.tab"
        st = tab.stat()
        import os

        os.utime(tab, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same bytes, new mtime
        changed = bundle / "data/d0000/p0000002.tab"
        changed.write_bytes(changed.read_bytes().replace(b"2", b"7"))  # same size, new bytes
        (bundle / "data/d0002/p0000025.xml").unlink()
        r = scan(bundle, idx)
        assert (r.touched, r.updated, r.removed, r.unchanged) == (1, 1, 1, 30)
        md5 = {f.path: f.md5 for f in idx.get("data/d0000/p0000002.xml").files}
        assert md5["data/d0000/p0000002.tab"] == hashlib.md5(changed.read_bytes()).hexdigest()
        assert idx.get("data/d0002/p0000025.xml") is None
        assert scan(bundle, idx).unchanged == 32


def test_interrupted_scan_leaves_whole_rows(bundle, tmp_path, monkeypatch):
    real = scan_mod.read_product
    calls = {"n": 0}

    def dying(root, rel, st):
        calls["n"] += 1
        if calls["n"] == 13:
            raise KeyboardInterrupt
        return real(root, rel, st)

    monkeypatch.setattr(scan_mod, "read_product", dying)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        with pytest.raises(KeyboardInterrupt):
            scan(bundle, idx, batch=5)
    monkeypatch.setattr(scan_mod, "read_product", real)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        # two whole batches of 5 committed, nothing of the third
        assert idx.count() == 10
        n_files = idx.execute("SELECT COUNT(*) FROM files")[0][0]
        assert n_files == 20  # label + table for each committed product, no orphans
        r = scan(bundle, idx)
        assert (r.added, r.unchanged) == (23, 10)
        assert idx.count() == 33


def test_find_time_range_type_lid(bundle, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        scan(bundle, idx)
        got = find(idx, types=["Observational"], start="2005:001:05:30", stop="2005-01-01T08:00")
        # product i covers [i h, (i+1) h]: overlaps [5.5 h, 8 h] for i = 5, 6, 7, 8
        assert [r.lid.rsplit(":", 1)[1] for r in got] == ["p0000005", "p0000006", "p0000007", "p0000008"]
        assert [r.label_path for r in find(idx, lid="*cal00[12]")] == [
            "calibration/cal001.xml", "calibration/cal002.xml"]
        assert len(find(idx, types=["calibrated"])) == 3
        assert len(find(idx, instrument="chems")) == 33
        assert find(idx, instrument="lemms") == []
        with pytest.raises(PdsgenError, match="after --stop"):
            find(idx, start="2005:002", stop="2005:001")
        with pytest.raises(PdsgenError, match="--start"):
            find(idx, start="soon")


def test_calibration_for(bundle, tmp_path):
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        scan(bundle, idx)
        # calibration k starts at k * 30 h / 3 = 10k h: product 19 (19 h) -> cal001, 20 -> cal002
        assert calibration_for(idx, "urn:nasa:pds:synth:data:p0000019").lid.endswith("cal001")
        assert calibration_for(idx, "urn:nasa:pds:synth:data:p0000020::1.0").lid.endswith("cal002")
        assert calibration_for(idx, "data/d0000/p0000000.xml").lid.endswith("cal000")
        with pytest.raises(PdsgenError, match="no indexed product"):
            calibration_for(idx, "urn:nasa:pds:synth:data:nothing")


def test_pds3_label(tmp_path):
    root = tmp_path / "vol"
    (root / "DATA").mkdir(parents=True)
    (root / "DATA" / "X1.TAB").write_bytes(b"1,2\r\n")
    (root / "DATA" / "X1.LBL").write_text(
        'PDS_VERSION_ID = PDS3\r\nRECORD_TYPE = FIXED_LENGTH\r\nRECORD_BYTES = 5\r\n'
        'FILE_RECORDS = 1\r\n^TABLE = "X1.TAB"\r\nDATA_SET_ID = "CO-S-MIMI-4-CHEMS-CALIB-V1.0"\r\n'
        'PRODUCT_ID = "X1"\r\nPRODUCT_TYPE = DATA\r\nINSTRUMENT_ID = CHEMS\r\n'
        'START_TIME = 2005-032T01:02:03\r\nSTOP_TIME = 2005-032T02:00:00\r\n'
        'SOURCE_PRODUCT_ID = {"RAW1", "RAW2"}\r\n'
        'OBJECT = TABLE\r\n ROWS = 1\r\n COLUMNS = 2\r\n ROW_BYTES = 5\r\n INTERCHANGE_FORMAT = ASCII\r\n'
        'END_OBJECT = TABLE\r\nEND\r\n'
    )
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        assert scan(root, idx).added == 1
        rec = idx.get("DATA/X1.LBL")
        assert (rec.standard, rec.product_id, rec.instrument) == ("PDS3", "X1", "CHEMS")
        assert rec.start_time == "2005-02-01T01:02:03.000000Z"
        assert {f.path for f in rec.files} == {"DATA/X1.LBL", "DATA/X1.TAB"}
        assert sorted(p.ref for p in rec.provenance if p.role == "input") == ["RAW1", "RAW2"]
        assert [r.product_id for r in find(idx, lid="X1", start="2005:032:01:30")] == ["X1"]


def test_bad_label_reported_not_fatal(bundle, tmp_path):
    (bundle / "data/d0000/broken.xml").write_text("<Product_Observational><oops></Product_Observational>")
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        r = scan(bundle, idx)
        assert r.added == 33 and len(r.errors) == 1 and "broken.xml" in r.errors[0]


def test_cli_index_and_find(bundle):
    runner = CliRunner()
    res = runner.invoke(main, ["archive", "index", str(bundle), "-q"])
    assert res.exit_code == 0, res.output
    assert "33 products indexed: 33 added" in res.output
    assert (bundle / ".pdsgen/archive.sqlite").is_file()
    res = runner.invoke(main, ["archive", "find", str(bundle), "--start", "2005:001:02:00",
                               "--stop", "2005:001:02:00", "--type", "observational", "--json"])
    assert res.exit_code == 0, res.output
    assert [r["lid"][-8:] for r in json.loads(res.output)] == ["p0000001", "p0000002"]
    res = runner.invoke(main, ["archive", "find", str(bundle), "--calibration-for",
                               "urn:nasa:pds:synth:data:p0000009"])
    assert res.exit_code == 0 and res.output.startswith("urn:nasa:pds:synth:calibration:cal000::1.0")
    res = runner.invoke(main, ["archive", "find", str(bundle), "--calibrations", "--start", "2005:002"])
    assert res.exit_code == 0 and [ln.split("\t")[0] for ln in res.output.splitlines()] == [
        "urn:nasa:pds:synth:calibration:cal000::1.0", "urn:nasa:pds:synth:calibration:cal001::1.0",
        "urn:nasa:pds:synth:calibration:cal002::1.0"]
    res = runner.invoke(main, ["archive", "find", str(bundle), "--start", "2005:400"])
    assert res.exit_code == 2 and "day of year 400" in res.output


def test_cli_find_without_index(tmp_path):
    res = CliRunner().invoke(main, ["archive", "find", str(tmp_path), "--start", "2005:001"])
    assert res.exit_code == 2 and "no archive index" in res.output
    assert not (tmp_path / ".pdsgen").exists()


def test_pds3_product_written_by_pdsgen(tmp_path):
    """Provenance of a PDS3 product from the writers: sources, calibration, recipe, parameters."""
    from pdsgen.render import ProductContext, write_table

    ctx = ProductContext(product_id="X_CAL", data_set_id="CO-S-MIMI-4-CHEMS-CALIB-V1.0",
                         title="x", start_time="2005-02-01T01:02:03Z", stop_time="2005-02-01T02:00:00Z",
                         input_products=["X_RAW"], calibration_files=["CAL_TABLE_V01"],
                         recipe_name="chems-pha", recipe_version="1.0.0", parameters={"alpha": 0.5})
    (tmp_path / "vol").mkdir()
    write_table({"m": [1.0, 2.0]}, tmp_path / "vol", basename="x_cal", context=ctx, standard="pds3",
                creation_time="2024-01-01T00:00:00Z")
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        assert scan(tmp_path / "vol", idx).added == 1
        (rec,) = idx.products()
    assert (rec.standard, rec.product_id, rec.recipe_name, rec.recipe_version) == ("PDS3", "X_CAL", "chems-pha", "1.0.0")
    assert rec.parameters == {"alpha": 0.5}
    assert {(p.role, p.ref) for p in rec.provenance} == {("input", "X_RAW"), ("calibration", "CAL_TABLE_V01")}
    assert rec.start_time == "2005-02-01T01:02:03.000000Z"


def test_index_interface_is_abstract(tmp_path):
    """`ArchiveIndex` is the interface for SQLite/PostgreSQL backends: without `connect` it
    cannot be instantiated; a subclass giving only `connect` is a working index."""
    import sqlite3

    from pdsgen.archive.index import ArchiveIndex

    with pytest.raises(TypeError, match="connect"):
        ArchiveIndex(tmp_path / "x.sqlite")

    class Incomplete(ArchiveIndex):
        pass

    with pytest.raises(TypeError, match="connect"):
        Incomplete(tmp_path / "x.sqlite")

    class Plain(ArchiveIndex):
        def connect(self):
            return sqlite3.connect(self.location)

    with Plain(tmp_path / "p.sqlite") as idx:
        assert idx.meta("schema_version") == "1" and idx.count() == 0
