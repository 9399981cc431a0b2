"""The Python API as pds4_tools/astropy users expect it: ``obj["FIELD"]`` physical values,
``.data`` as stored, ``.physical``, short reprs, ``info()``, context manager, astropy's
``Table.read(format="pds4"/"pds3")``, times as `astropy.time.Time`, pandas and xarray."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time
from conftest import CORPUS, ROOT

import pdsgen
from pdsgen.render import write_array, write_table
from tests._render_helpers import CREATED, context

CHEMS_PDS3 = ROOT / "labels" / "chems" / "CPHA0_2004183_0001.LBL"


@pytest.fixture()
def scaled_table(tmp_path):
    """A PDS4 binary table whose label scales a field and declares a missing constant."""
    t = {"when": np.array(["2004-07-01T00:00:01.5", "2004-07-01T00:00:02", "2004-07-01T00:00:03"],
                          dtype="datetime64[ms]"),
         "n": np.array([1, -999, 3], dtype="i4"), "x": np.array([0.5, 1.5, 2.5])}
    out = write_table(t, tmp_path, basename="s", context=context(), table_format="binary",
                      special_constants={"n": {"missing_constant": -999}}, creation_time=CREATED,
                      units={"x": "km"})
    return out.label_path


def test_getitem_is_physical_data_is_stored(tmp_path):

    img = np.arange(12, dtype="i2").reshape(3, 4)
    out = write_array(img, tmp_path, basename="a", context=context(), creation_time=CREATED)
    p = pdsgen.open(out.label_path)
    arr = [o for o in p if o.kind == "array"][0]
    np.testing.assert_array_equal(arr.physical, img)
    with pytest.raises(TypeError, match="no fields"):
        arr["x"]


def test_table_field_access_against_pds4_tools(scaled_table):
    import pds4_tools

    p = pdsgen.open(scaled_table)
    obj = p[0]
    ref = [s for s in pds4_tools.read(str(scaled_table), quiet=True) if s.is_table()][0]
    for f in obj.fields:
        ours, theirs = obj[f.name], ref[f.name]
        if np.asarray(theirs).dtype.kind in "SU":
            assert [str(v).strip() for v in np.asarray(ours)] == [str(v).strip() for v in np.asarray(theirs)]
        else:  # the same values; pdsgen also masks the table's special constants
            np.testing.assert_array_equal(np.ma.getdata(ours), np.ma.getdata(theirs))
    assert obj["N"] is obj["n"]  # case-insensitive, one physical read
    assert list(np.ma.getmaskarray(obj["n"])) == [False, True, False]  # -999 is the missing constant
    assert obj.data["n"][1] == -999  # .data stays as stored
    with pytest.raises(KeyError, match="no field 'nope'"):
        obj["nope"]


def test_reprs_are_short_and_say_what_it_is(scaled_table):
    p = pdsgen.open(scaled_table)
    text = repr(p)
    assert text.startswith("<Product PDS4 'urn:nasa:pds:") and "s.xml: 1 object(s) [table" in text
    assert len(text) < 250
    assert repr(p[0]).startswith("<DataObject table ") and "(Table_Binary) 3 records × 3 fields in s." in repr(p[0])


def test_info_prints_what_inspect_prints(scaled_table, capsys):
    from click.testing import CliRunner

    from pdsgen.cli import main

    pdsgen.open(scaled_table).info(rows=3)
    printed = capsys.readouterr().out
    cli = CliRunner().invoke(main, ["inspect", str(scaled_table), "--rows", "3"]).output
    assert printed.split() == cli.split()
    assert "Product_Observational" in printed


def test_context_manager_drops_the_data(scaled_table):
    with pdsgen.open(scaled_table) as p:
        assert p[0]["x"][2] == 2.5
        obj = p[0]
    assert obj._data is None and obj._physical is None
    assert obj["x"][2] == 2.5  # re-read on demand


def test_times_as_astropy_time(scaled_table):
    p = pdsgen.open(scaled_table)
    t = p[0].to_table(times="Time")
    assert isinstance(t["when"], Time) and t["when"].scale == "utc"
    assert list(t["when"].isot) == ["2004-07-01T00:00:01.500", "2004-07-01T00:00:02.000", "2004-07-01T00:00:03.000"]
    plain = p[0].to_table()
    assert plain["when"].dtype.kind == "U"
    with pytest.raises(ValueError, match="times must be"):
        p[0].to_table(times="datetime")
    pds3 = pdsgen.open(CHEMS_PDS3)
    assert pds3.start_time_as_time is None or isinstance(pds3.start_time_as_time, Time)

def test_pds3_day_of_year_times(tmp_path):
    (tmp_path / "t.tab").write_bytes(b"2004-183T00:00:38.956\r\n2004-366T23:59:59.500\r\n")
    (tmp_path / "t.lbl").write_text(
        "PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 23\nFILE_RECORDS = 2\n"
        "^TABLE = \"t.tab\"\nOBJECT = TABLE\n  INTERCHANGE_FORMAT = ASCII\n  ROWS = 2\n  COLUMNS = 1\n"
        "  ROW_BYTES = 23\n  OBJECT = COLUMN\n    NAME = T\n    DATA_TYPE = TIME\n    START_BYTE = 1\n"
        "    BYTES = 21\n  END_OBJECT = COLUMN\nEND_OBJECT = TABLE\nEND\n")
    w = Table.read(tmp_path / "t.lbl", format="pds3", times="Time")["T"]
    # day of year 183 of 2004 (a leap year) is 1 July; 366 is 31 December
    assert isinstance(w, Time) and list(w.isot) == ["2004-07-01T00:00:38.956", "2004-12-31T23:59:59.500"]


def test_product_times(tmp_path):
    from pdsgen.model import _time

    assert _time("2004-183T00:00:38.956Z").isot == "2004-07-01T00:00:38.956"
    assert _time("2004-07-01T00:00:38.956Z").isot == "2004-07-01T00:00:38.956"
    assert _time(None) is None


def test_table_read_pds4_and_pds3(scaled_table):
    t = Table.read(scaled_table, format="pds4")
    ref = pdsgen.open(scaled_table)[0].to_table()
    assert t.colnames == ref.colnames and str(t["x"].unit) == "km"
    for name in t.colnames:
        assert list(t[name]) == list(ref[name])
    t3 = Table.read(CHEMS_PDS3, format="pds3")  # the first table (object 0 is the header)
    pha = [o for o in pdsgen.open(CHEMS_PDS3) if o.kind == "table"][0]
    assert len(t3) == pha.records and t3.colnames == pha.to_table().colnames
    assert Table.read(CHEMS_PDS3, format="pds3", object=pha.name).colnames == t3.colnames
    with pytest.raises(pdsgen.UnsupportedError, match="format='pds3'"):
        Table.read(CHEMS_PDS3, format="pds4")


def test_pandas_and_xarray(tmp_path, scaled_table):
    pytest.importorskip("pandas")
    df = pdsgen.open(scaled_table)[0].to_pandas()
    assert list(df.columns) == ["when", "n", "x"] and df["x"].tolist() == [0.5, 1.5, 2.5]
    assert str(df["when"].dtype).startswith("datetime64")
    xr = pytest.importorskip("xarray")
    img = np.arange(24, dtype="f4").reshape(2, 3, 4)
    out = write_array(img, tmp_path, basename="c", context=context(), creation_time=CREATED,
                      axis_names=["Band", "Line", "Sample"], unit="W/m**2")
    arr = [o for o in pdsgen.open(out.label_path) if o.kind == "array"][0]
    da = arr.to_xarray()
    assert isinstance(da, xr.DataArray) and da.dims == ("Band", "Line", "Sample")
    np.testing.assert_array_equal(da.values, img)
    ds = pdsgen.open(scaled_table)[0].to_xarray()
    assert ds["x"].dims == ("record",) and np.isnan(ds["n"].values[1])


@pytest.mark.shared
def test_corpus_fields_equal_pds4_tools_and_table_read_equals_to_table():
    import pds4_tools

    checked = 0
    for label in sorted((CORPUS / "validate").rglob("*.xml")):
        if checked >= 15:
            break
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = [s for s in pds4_tools.read(str(label), quiet=True, lazy_load=True) if s.is_table()]
            p = pdsgen.open(label)
            tables = [o for o in p if o.kind == "table"]
            if not ref or len(ref) != len(tables):
                continue
            ref[0].data  # noqa: B018 - pds4_tools may fail to read; then skip the label
            obj = tables[0]
            obj.physical  # noqa: B018 - pdsgen may refuse it (short file ...): the corpus test's concern
        except Exception:  # noqa: BLE001 - pds4_tools or pdsgen rejects the label: not this test
            continue
        for f in obj.fields[:6]:
            if f.bits or f.shape:
                continue
            theirs = ref[0][f.name]
            ours = obj[f.name]
            if np.asarray(theirs).dtype.kind in "SUO":
                assert [str(v).strip() for v in np.asarray(ours)] == \
                    [v.decode().strip() if isinstance(v, bytes) else str(v).strip() for v in np.asarray(theirs)]
            else:
                np.testing.assert_array_equal(np.ma.getdata(ours), np.ma.getdata(theirs), err_msg=str(label))
        read = Table.read(label, format="pds4")
        direct = obj.to_table()
        assert read.colnames == direct.colnames
        checked += 1
    assert checked >= 5


def test_table_formats_register_when_astropy_table_is_first_imported(tmp_path):
    """`import pdsgen` does not import astropy.table (0.25 s in every command); the pds4/pds3
    Table.read formats appear the moment the user imports it, and read a product."""
    import subprocess
    import sys

    code = (
        "import sys, inspect\n"
        "import pdsgen\n"
        "assert 'astropy.table' not in sys.modules, 'astropy.table imported by pdsgen'\n"
        "from astropy.table import Table\n"
        "from astropy.io import registry\n"
        "formats = set(registry.get_formats(Table, 'Read')['Format'])\n"
        "assert {'pds4', 'pds3'} <= formats, formats\n"
        "import astropy.table\n"
        "assert inspect.getsource(astropy.table).strip()  # the wrapped loader still serves its source\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
