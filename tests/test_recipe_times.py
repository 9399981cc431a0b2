"""Output ``data_type = "datetime"``: times from an algorithm → datetime64 → ASCII_Date_Time_YMD_UTC / TIME.

Expected values are computed by hand (day-of-year tables) or by the standard library's
``datetime`` (``%Y-%j``), independently of pdsgen's vectorised conversion.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time

import pdsgen
from pdsgen.errors import RecipeError
from pdsgen.instruments.fips import demo as fips
from pdsgen.recipes import recipe_from_dict, register_algorithm
from pdsgen.recipes.engine import compute
from pdsgen.recipes.run import run_recipe
from pdsgen.times import parse_times, to_datetime64

CT = "2026-01-01T00:00:00Z"


def _dt(values):
    return to_datetime64(np.asarray(values), name="T", where="x.lbl")


# --------------------------------------------------------------------------- conversion


@pytest.mark.parametrize(("text", "expected"), [
    # 2004 is a leap year: Jan 31 + Feb 29 + Mar 31 + Apr 30 + May 31 + Jun 30 = 182 → day 183 = 1 July
    ("2004-183T06:00:00", "2004-07-01T06:00:00"),
    ("2004-366T23:59:59Z", "2004-12-31T23:59:59"),  # last day of a leap year
    ("2003-365T00:00:00", "2003-12-31T00:00:00"),
    ("2003-001T00:00:00", "2003-01-01T00:00:00"),
    ("2000-060T12:00:00", "2000-02-29T12:00:00"),  # 2000 is a leap year (divisible by 400): 31 + 29
    ("1900-060T12:00:00", "1900-03-01T12:00:00"),  # 1900 is not (divisible by 100): 31 + 28 = 59
    ("2004-183", "2004-07-01T00:00:00"),  # date only: midnight
    ("2004-183T06:07", "2004-07-01T06:07:00"),
    ("2004-07-01T06:00:00Z", "2004-07-01T06:00:00"),
    ("  2004-07-01  ", "2004-07-01T00:00:00"),
])
def test_single_values_by_hand(text, expected):
    got = _dt([text])
    assert got.dtype == np.dtype("datetime64[s]")  # no fraction digits: whole seconds
    assert got[0] == np.datetime64(expected)
    # what the writers print for a datetime64 column (np.datetime_as_string + "Z")
    assert str(np.datetime_as_string(got)[0]) + "Z" == expected + "Z"


def test_fraction_digits_set_the_unit_and_survive():
    got = _dt(["2004-183T06:00:00.5", "2004-07-01T06:00:00.123456Z"])
    assert got.dtype == np.dtype("datetime64[us]")
    assert list(np.datetime_as_string(got)) == ["2004-07-01T06:00:00.500000", "2004-07-01T06:00:00.123456"]
    assert _dt(["2004-183T06:00:00.956"]).dtype == np.dtype("datetime64[ms]")
    ns = _dt(["2004-183T06:00:00.000000001"])
    assert ns.dtype == np.dtype("datetime64[ns]") and ns[0] - np.datetime64("2004-07-01T06:00:00", "ns") == 1


def test_day_of_year_against_the_standard_library():
    rng = np.random.default_rng(7)
    years = rng.integers(1601, 2400, 5000)
    leap = (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
    doys = 1 + (rng.random(5000) * np.where(leap, 366, 365)).astype(int)
    secs = rng.integers(0, 86_400, 5000)
    text = [f"{y:04d}-{d:03d}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
            for y, d, s in zip(years, doys, secs, strict=True)]
    expected = [datetime.strptime(t, "%Y-%jT%H:%M:%S").strftime("%Y-%m-%dT%H:%M:%S") for t in text]
    assert list(np.datetime_as_string(parse_times(np.array(text)))) == expected
    # byte strings (PDS3 tables read as bytes) and object arrays of text give the same
    assert np.array_equal(_dt(np.array(text, dtype="S")), _dt(np.array(text, dtype=object)))


def test_uniform_and_general_paths_agree():
    """A column written alike is cut from its byte matrix; any other goes through Arrow."""
    rng = np.random.default_rng(3)
    doys = rng.integers(1, 366, 2000)
    uniform = np.array([f"2004-{d:03d}T{d % 24:02d}:{d % 60:02d}:{d % 59:02d}.{d:03d}" for d in doys])
    mixed = np.concatenate([uniform, [" 2004-07-01T06:00"]])  # other length and a blank: Arrow
    a, b = parse_times(uniform), parse_times(mixed)
    assert a.dtype == b.dtype == np.dtype("datetime64[ms]")
    assert np.array_equal(a, b[:-1]) and b[-1] == np.datetime64("2004-07-01T06:00")
    expected = [datetime.strptime(t, "%Y-%jT%H:%M:%S.%f").isoformat(timespec="milliseconds") for t in uniform]
    assert list(np.datetime_as_string(a)) == expected


def test_datetime64_astropy_time_and_datetime_objects():
    d64 = np.array(["2004-07-01T06:00:00.250"], dtype="datetime64[ms]")
    assert _dt(d64) is not None and _dt(d64).dtype == d64.dtype and _dt(d64)[0] == d64[0]
    # a date-only datetime64 gets a time (the writer would print "2004-07-01Z" otherwise)
    assert _dt(np.array(["2004-07-01"], dtype="datetime64[D]")).dtype == np.dtype("datetime64[s]")
    # TT - UTC in 2004 = 32.184 s + 32 leap seconds (TAI - UTC since 1999) = 64.184 s
    tt = Time(["2004-07-01T06:01:04.184", "2004-07-01T06:01:05.184"], scale="tt")
    got = to_datetime64(tt, name="T")
    assert got.dtype == np.dtype("datetime64[s]")  # whole seconds in UTC: the coarsest exact unit
    assert list(got) == [np.datetime64("2004-07-01T06:00:00"), np.datetime64("2004-07-01T06:00:01")]
    aware = np.array([datetime(2004, 7, 1, 8, 0, tzinfo=timezone(timedelta(hours=2)))], dtype=object)
    assert _dt(aware)[0] == np.datetime64("2004-07-01T06:00:00")
    naive = np.array([datetime(2004, 7, 1, 6, 0, 0, 500_000)], dtype=object)
    assert _dt(naive)[0] == np.datetime64("2004-07-01T06:00:00.5")


@pytest.mark.parametrize(("values", "message"), [
    (["2004-183T06:00:00", "2003-366T00:00:00"], r"'2003-366T00:00:00' \(record 1\) has a day of year that does not exist in 2003"),
    (["2100-366"], r"'2100-366' \(record 0\) has a day of year that does not exist in 2100"),
    (["2004-183T00:00:00", "2004-18xT00:00:00"], r"'2004-18xT00:00:00' \(record 1\) is not a time"),
    (["2004-000T00:00"], r"'2004-000T00:00' \(record 0\) has a day of year"),
    (["2004-02-30T00:00:00"], r"'2004-02-30T00:00:00' \(record 0\) has a calendar date that does not exist"),
    (["2004-13-01"], r"'2004-13-01' \(record 0\) has a calendar date"),
    (["2004-07-01T24:00:00"], r"hour over 23"),
    (["2004-07-01T23:60:00"], r"minute over 59"),
    (["2016-366T23:59:60"], r"leap second"),
    (["2004-07-01", "now", "today"], r"'now' \(record 1\) is not a time.*\(2 bad values\)"),
    ([""], r"'' \(record 0\) is not a time"),
    (["NaT"], r"'NaT' \(record 0\) is not a time"),
    (["2004-07-01T06:00:00+02:00"], r"is not a time"),  # other time zones: refused, like the writers
    (["2004-07-01T06:00:00.1234567891"], r"more than 9 fraction digits"),
    ([1.5, 2.5], r"value 1.5 \(record 0\) is a float64 number, not a time"),
    (np.array(["2004-07-01", None], dtype=object), r"value None \(record 1\)"),
    (np.array(["2004-07-01", 3], dtype=object), r"value 3 \(record 1, int\) is not a time"),
    (np.array(["2004-07-01", "NaT"], dtype="datetime64[s]"), r"NaT \(record 1\)"),
    (np.ma.masked_array(["2004-183", "2004-184"], mask=[False, True]), r"1 missing value\(s\) \(first: record 1\)"),
])
def test_bad_values_named(values, message):
    with pytest.raises(RecipeError, match=r"x.lbl: output 'T' \(data_type datetime\): .*" + message):
        to_datetime64(values, name="T", where="x.lbl")


def test_empty_column():
    assert to_datetime64(np.array([], dtype=str), name="T").dtype.kind == "M"


# --------------------------------------------------------------------------- recipes


def _recipe(outputs, standard="pds4"):
    return recipe_from_dict({
        "recipe": {"name": "times", "algorithm": "test_times_algo", "standard": standard},
        "inputs": {"met": {"column": "MET", "unit": "s"}},
        "outputs": outputs,
        "product": {"lid": "urn:nasa:pds:b:c:{stem}_t", "product_id": "{STEM}_T", "file_name": "{stem}_t.tab",
                    "product_class": "Product_Ancillary"},
    })


OUTS = [{"name": "when", "data_type": "datetime", "description": "event time"},
        {"name": "t2", "data_type": "datetime"},
        {"name": "y", "unit": "s", "format": "%.3f"}]
DOY = ["2004-183T06:00:00.250", "2004-366T23:59:59.000", "2005-001T00:00:00.000"]
ISO = ["2004-07-01T06:00:00.250Z", "2004-12-31T23:59:59.000Z", "2005-01-01T00:00:00.000Z"]


@register_algorithm("test_times_algo")
def _times_algo(ctx):
    met = np.asarray(ctx.inputs["met"].value[:3])
    bad = ctx.params.get("bad") if ctx.params else None
    when = list(DOY) if not bad else [DOY[0], bad, DOY[2]]
    return Table({"when": when, "t2": Time(ISO, scale="utc"), "y": met})


def test_loader_accepts_datetime_and_refuses_unit_format_missing_constant():
    r = _recipe(OUTS)
    assert [o.data_type for o in r.outputs] == ["datetime", "datetime", "float64"]
    for key, value in (("unit", "s"), ("format", "%s"), ("missing_constant", -1)):
        with pytest.raises(RecipeError, match=rf"outputs\[0\]\.{key}.*datetime output is written as ISO 8601 UTC"):
            _recipe([{"name": "when", "data_type": "datetime", key: value}])
    with pytest.raises(RecipeError, match="'date' is not one of"):
        _recipe([{"name": "when", "data_type": "date"}])


@pytest.fixture(scope="module")
def fips_data(tmp_path_factory):
    return fips.generate(tmp_path_factory.mktemp("fips_times"), seed=1)


def test_compute_conforms_strings_and_time(fips_data):
    t = compute(_recipe(OUTS), [fips_data.inputs[1]], []).tables[""]
    expected = np.array([s[:-1] for s in ISO], dtype="datetime64[ms]")
    assert t["when"].dtype == np.dtype("datetime64[ms]") and list(t["when"]) == list(expected)
    assert list(t["t2"]) == list(expected)
    assert t["when"].description == "event time"


@pytest.mark.parametrize(("standard", "declared"), [("pds4", "ASCII_Date_Time_YMD_UTC"), ("pds3", "TIME")])
def test_run_writes_times_and_reads_back_same_instants(fips_data, tmp_path, standard, declared):
    rep = run_recipe(_recipe(OUTS, standard), [fips_data.inputs[1]], tmp_path, creation_time=CT)
    assert not rep.failed, rep.failed
    label = rep.outcomes[0].outputs[0]
    text = label.read_text()
    if standard == "pds4":
        assert text.count("<data_type>ASCII_Date_Time_YMD_UTC</data_type>") == 2
    else:
        assert len(re.findall(r"DATA_TYPE\s*=\s*TIME\b", text)) == 2
    data = next(p for p in rep.outcomes[0].files if p.suffix == ".tab").read_text().splitlines()
    assert [line.split()[0] for line in data] == ISO  # the hand-converted calendar dates
    assert [line.split()[1] for line in data] == ISO
    back = pdsgen.open(label)
    obj = next(o for o in back.objects if o.fields)
    assert [f.label_data_type for f in obj.fields][:2] == [declared] * 2
    assert all(f.data_type.startswith("ASCII_Date_Time") for f in obj.fields[:2])  # PDS3 TIME is not YMD-only
    table = obj.to_table()
    for name in ("when", "t2"):
        got = [datetime.fromisoformat(str(v).strip().replace("Z", "+00:00")) for v in table[name]]
        want = [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in ISO]
        assert got == want
        assert all(g.tzinfo == UTC or g.utcoffset() == timedelta(0) for g in got)


def test_run_reports_the_bad_time_and_writes_nothing(fips_data, tmp_path):
    r = recipe_from_dict({
        "recipe": {"name": "times", "algorithm": "test_times_algo"},
        "inputs": {"met": {"column": "MET", "unit": "s"}},
        "parameters": {"bad": {"default": "", "type": "str"}},
        "outputs": OUTS,
        "product": {"lid": "urn:nasa:pds:b:c:{stem}_t", "product_id": "{STEM}_T", "file_name": "{stem}_t.tab",
                    "product_class": "Product_Ancillary"},
    })
    rep = run_recipe(r, [fips_data.inputs[1]], tmp_path, creation_time=CT, params={"bad": "2005-366T00:00"})
    assert len(rep.failed) == 1 and not rep.written
    assert re.search(r"output 'when' \(data_type datetime\): value '2005-366T00:00' \(record 1\) has a day of "
                     r"year that does not exist in 2005", rep.failed[0].error)
    assert not list(tmp_path.glob("*.tab")) and not list(tmp_path.glob("*.xml"))
