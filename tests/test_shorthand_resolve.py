"""Resolution semantics on small synthetic tables (CSV files and in-memory arrays).

Expected values come from plain-Python lookups written in the tests, not from pdsgen."""

from __future__ import annotations

import numpy as np
import pytest

from pdsgen.errors import DataError, ResolutionError
from pdsgen.shorthand import from_arrays, load_source, resolve, year_ddoy
from pdsgen.shorthand.sources import read_csv, to_datetime64

ACC_CSV = """\
"Purpose","Start_Ephemeris_s","Rate_A","Rate_B","Label"
"sci",100.0,1,10, alpha
"sci",200.0,2,20,beta
" hk",200.0,3,30,gamma
"sci",300.5,4,40,delta
"""

CAL_CSV = """\
Purpose,Kind,Particle,Start_Year,Start_DDOY,midpoint_value,Start_Date
GEOM_FACTOR,DETECTOR,H,1997,288.0,2.1,1997-10-15
GEOM_FACTOR,DETECTOR,H,2004,150.5,2.3,2004-05-29T12:00:00
GEOM_FACTOR,DETECTOR,O,1997,288.0,1.6,1997-10-15
GEOM_FACTOR,DETECTOR,O,2004,183.25,1.75,2004-07-01T06:00:00
GEOM_FACTOR,DETECTOR,H,2004,183.25,2.45,2004-07-01T06:00:00
OTHER,DETECTOR,H,2004,1.0,9.9,2004-01-01
"""


@pytest.fixture
def acc(tmp_path):
    p = tmp_path / "IACC0_2004183_0001.csv"
    p.write_text(ACC_CSV)
    return load_source(p)


@pytest.fixture
def cal(tmp_path):
    p = tmp_path / "MIMI_INCA_CAL.csv"
    p.write_text(CAL_CSV)
    return load_source(p)


# ---------------------------------------------------------------- reading


def test_bare_csv_types_and_trimming(acc):
    assert acc.names == ["Purpose", "Start_Ephemeris_s", "Rate_A", "Rate_B", "Label"]
    assert acc.columns["Purpose"].tolist() == ["sci", "sci", "hk", "sci"]  # trimmed
    assert acc.columns["Rate_A"].dtype == np.int64
    assert acc.columns["Start_Ephemeris_s"].dtype == np.float64
    assert acc.columns["Label"].tolist() == ["alpha", "beta", "gamma", "delta"]
    assert acc.sensor == "IACC"  # from the file name prefix
    assert acc.instruments == {"INCA"}


def test_csv_empty_cells_make_float_nan(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b\n1,x\n,y\n3,z\n")
    names, cols = read_csv(p)
    assert cols["a"].dtype == np.float64 and np.isnan(cols["a"][1]) and cols["a"][2] == 3.0


def test_csv_dates_and_booleans_stay_text(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('a,when,flag,doy\n"sci",2004-07-01T00:00:00,true,2004-183T00:00:00\n x ,2004-07-02,false,2004-184\n')
    names, cols = read_csv(p)
    assert cols["when"].tolist() == ["2004-07-01T00:00:00", "2004-07-02"]
    assert cols["flag"].tolist() == ["true", "false"]
    assert cols["doy"].tolist() == ["2004-183T00:00:00", "2004-184"]
    assert cols["a"].tolist() == ["sci", "x"]


@pytest.mark.parametrize(
    "content, words",
    [("", "empty file"), ("a,a\n1,2\n", "unique"), ("a,b\n1,2,3\n", "malformed")],
)
def test_bad_csv_is_a_data_error(tmp_path, content, words):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(DataError) as err:
        load_source(p)
    assert words in str(err.value) and "bad.csv" in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ResolutionError, match="no such file"):
        load_source(tmp_path / "nope.csv")


# ---------------------------------------------------------------- row matching


def test_dp_reference_returns_every_matching_record(acc):
    r = resolve('dp:IACC:"sci":["Start_Ephemeris_s"]', dp=[acc])
    assert r.values.tolist() == [100.0, 200.0, 300.5]
    assert r.records.tolist() == [0, 1, 3]
    assert not r.scalar


def test_literal_is_trimmed_and_matches_trimmed_field(acc):
    r = resolve('dp:IACC:" hk ":["Rate_A"]', dp=[acc])
    assert r.values.tolist() == [3]


def test_numbers_compare_numerically(acc):
    # "200" as a literal matches 200.0 in a numeric field
    r = resolve('dp:IACC:"sci":"200":["Rate_B"]', dp=[acc], one=True)
    assert r.value == 20
    r = resolve('dp:IACC:"sci":"3.005e2":["Rate_B"]', dp=[acc], one=True)
    assert r.value == 40


def test_seed_variable_row_and_variable_column(acc):
    ref = 'dp:IACC:"sci":("Start_Ephemeris_s"):[(datacolumntype)]'
    r = resolve(ref, dp=[acc], variables={"Start_Ephemeris_s": 200, "datacolumntype": "Rate_B"})
    assert r.scalar and r.value == 20 and r.columns == ("Rate_B",)
    # per record: each query picks its own row and column
    times = np.array([300.5, 100.0, 200.0, 100.0])
    kinds = np.array(["Rate_A", "Rate_B", "Rate_A", "rate_a"])  # case-insensitive column
    r = resolve(ref, dp=[acc], variables={"Start_Ephemeris_s": times, "datacolumntype": kinds})
    table = {100.0: {"Rate_A": 1, "Rate_B": 10}, 200.0: {"Rate_A": 2, "Rate_B": 20}, 300.5: {"Rate_A": 4, "Rate_B": 40}}
    expected = [table[t][k if k != "rate_a" else "Rate_A"] for t, k in zip(times, kinds, strict=True)]
    assert r.values.tolist() == expected


def test_column_exact_then_case_insensitive_then_did_you_mean(acc):
    assert resolve('dp:IACC:"sci":["rate_b"]', dp=[acc]).columns == ("Rate_B",)
    with pytest.raises(ResolutionError) as err:
        resolve('dp:IACC:"sci":["Rate_C"]', dp=[acc])
    msg = str(err.value)
    assert "no column 'Rate_C'" in msg and "did you mean" in msg and "'Rate_A'" in msg
    assert "IACC0_2004183_0001.csv" in msg


def test_column_case_insensitive_ambiguity_is_an_error():
    src = from_arrays("x.csv", {"p": ["a"], "Val": [1], "VAL": [2]})
    with pytest.raises(ResolutionError, match="several columns"):
        resolve('cdp:"a":["val"]', cdp=[src])
    assert resolve('cdp:"a":["VAL"]', cdp=[src]).value == 2


def test_zero_matches_names_reference_file_and_values(acc):
    with pytest.raises(ResolutionError) as err:
        resolve('dp:IACC:"sky":["Rate_A"]', dp=[acc])
    msg = str(err.value)
    assert 'dp:IACC:"sky":["Rate_A"]' in msg and "IACC0_2004183_0001.csv" in msg
    assert "'sky'" in msg and "'hk', 'sci'" in msg


def test_zero_matches_for_a_variable_value(acc):
    with pytest.raises(ResolutionError) as err:
        resolve('dp:IACC:"sci":(t):["Rate_A"]', dp=[acc], variables={"t": 250})
    assert "no record matches {t=250}" in str(err.value)


def test_several_matches_where_one_is_needed_lists_candidates(cal):
    with pytest.raises(ResolutionError) as err:
        resolve('cdf:"GEOM_FACTOR":"DETECTOR":"H":["midpoint_value"]', cdp=[cal])
    msg = str(err.value)
    assert "3 records match" in msg
    assert "record 1 (GEOM_FACTOR, DETECTOR, H, 1997" in msg and "record 5" in msg


def test_several_matches_for_a_variable_lists_candidates(tmp_path):
    src = from_arrays("dup.csv", {"p": ["a", "a", "a"], "k": [1, 1, 2], "v": [5.0, 6.0, 7.0]})
    assert resolve('cdp:"a":(k):["v"]', cdp=[src], variables={"k": 2}).value == 7.0
    with pytest.raises(ResolutionError) as err:
        resolve('cdp:"a":(k):["v"]', cdp=[src], variables={"k": np.array([2, 1, 2])})
    msg = str(err.value)
    assert "2 records match {k=1}" in msg and "record 1 (a, 1, 5)" in msg and "record 2 (a, 1, 6)" in msg


def test_cdp_without_variables_is_one_value(tmp_path):
    src = from_arrays("c.csv", {"Purpose": ["cal"], "sep_distance(cm)": [10.0]})
    r = resolve("CPHA:cdf:sep_distance(cm)", cdp=[src])
    assert r.scalar and r.value == 10.0


def test_too_many_row_values(acc):
    with pytest.raises(ResolutionError, match="6 row values but the file has only 5 fields"):
        resolve('dp:IACC:"a":"b":"c":"d":"e":"f":["Rate_A"]', dp=[acc])


def test_text_literal_against_number_field_matches_nothing(acc):
    with pytest.raises(ResolutionError, match="no record matches"):
        resolve('dp:IACC:"sci":"abc":["Rate_A"]', dp=[acc])


def test_fold_case(acc):
    with pytest.raises(ResolutionError, match="case is ignored"):
        resolve('dp:IACC:"SCI":["Rate_A"]', dp=[acc])
    assert resolve('dp:IACC:"SCI":["Rate_A"]', dp=[acc], fold_case=True).values.tolist() == [1, 2, 4]


# ---------------------------------------------------------------- variables


def test_unbound_variable(acc):
    with pytest.raises(ResolutionError) as err:
        resolve('dp:IACC:"sci":(t):["Rate_A"]', dp=[acc])
    assert "unbound variable ['t']" in str(err.value) and "--var t=VALUE" in str(err.value)


def test_per_record_lengths_must_agree(cal):
    with pytest.raises(ResolutionError, match="different lengths"):
        resolve(
            'cdf:"GEOM_FACTOR":"DETECTOR":(p):(y):["midpoint_value"]',
            cdp=[cal],
            variables={"p": np.array(["H", "O"]), "y": np.array([1997, 1997, 2004])},
        )


def test_bind_from_the_data_product(acc, tmp_path):
    steps = tmp_path / "steps.csv"
    steps.write_text("Purpose,step_0_val,step_1_val,step_2_val\ncal,0.5,1.5,2.5\n")
    data = from_arrays("CPHA0_x.csv", {"Purpose": ["sci"] * 5, "DPPS_Level": [2, 0, 1, 2, 2]}, sensor="CPHA")
    r = resolve("CPHA:cdf:step_(step)_val", dp=[data], cdp=[steps], bind={"step": "DPPS_Level"})
    assert r.values.tolist() == [2.5, 0.5, 1.5, 2.5, 2.5]
    with pytest.raises(ResolutionError, match="binding"):
        resolve("CPHA:cdf:step_(step)_val", dp=[data], cdp=[steps], bind={"step": "DPPS_Levl"})
    with pytest.raises(ResolutionError, match="step_7_val"):
        resolve("CPHA:cdf:step_(step)_val", cdp=[steps], variables={"step": np.array([0, 7])})


def test_exact_join_matches_a_python_dict_lookup():
    rng = np.random.default_rng(1)
    keys_a = np.repeat(np.arange(20), 10)
    keys_b = np.tile(np.array(list("abcdefghij")), 20)
    value = rng.normal(size=200)
    src = from_arrays("t.csv", {"p": ["x"] * 200, "a": keys_a, "b": keys_b, "v": value})
    lookup = {(int(a), str(b)): float(v) for a, b, v in zip(keys_a, keys_b, value, strict=True)}
    qa = rng.integers(0, 20, 5000)
    qb = rng.choice(list("abcdefghij"), 5000)
    r = resolve('cdp:"x":(a):(b):["v"]', cdp=[src], variables={"a": qa, "b": qb})
    assert r.values.tolist() == [lookup[(int(a), str(b))] for a, b in zip(qa, qb, strict=True)]


# ---------------------------------------------------------------- time-keyed ("latest at or before")

GEOM = 'cdf:"GEOM_FACTOR":"DETECTOR":("Particle"):("Start_Year"):("Start_DDOY"):["midpoint_value"]'


def _latest_by_hand(rows, particle, year, ddoy):
    ok = [r for r in rows if r[0] == particle and (r[1], r[2]) <= (year, ddoy)]
    return max(ok, key=lambda r: (r[1], r[2]))[3] if ok else None


def test_latest_mode_picks_the_latest_record_not_after_the_time(cal):
    rows = [("H", 1997, 288.0, 2.1), ("H", 2004, 150.5, 2.3), ("O", 1997, 288.0, 1.6), ("O", 2004, 183.25, 1.75), ("H", 2004, 183.25, 2.45)]
    particles = np.array(["H", "O", "H", "H", "O", "H", "O"])
    years = np.array([1998, 2004, 2004, 2004, 2004, 2004, 2005])
    ddoys = np.array([10.0, 183.0, 150.5, 183.2499, 183.25, 300.0, 1.0])
    r = resolve(GEOM, cdp=[cal], variables={"Particle": particles, "Start_Year": years, "Start_DDOY": ddoys},
                latest=["Start_Year", "Start_DDOY"])
    expected = [_latest_by_hand(rows, p, y, d) for p, y, d in zip(particles, years, ddoys, strict=True)]
    assert r.values.tolist() == expected == [2.1, 1.6, 2.3, 2.3, 1.75, 2.45, 1.75]


def test_latest_marker_in_the_reference_equals_the_latest_argument(cal):
    marked = 'cdf:"GEOM_FACTOR":"DETECTOR":("Particle"):(<=Start_Year):(<=Start_DDOY):["midpoint_value"]'
    variables = {"Particle": np.array(["H", "O", "H"]), "Start_Year": 2004, "Start_DDOY": np.array([183.0, 190.0, 184.0])}
    by_text = resolve(marked, cdp=[cal], variables=variables)
    by_argument = resolve(GEOM, cdp=[cal], variables=variables, latest=["Start_Year", "Start_DDOY"])
    assert by_text.values.tolist() == by_argument.values.tolist() == [2.3, 1.75, 2.45]


def test_latest_mode_before_every_start_is_zero_matches(cal):
    with pytest.raises(ResolutionError) as err:
        resolve(GEOM, cdp=[cal], variables={"Particle": "H", "Start_Year": 1990, "Start_DDOY": 1.0},
                latest=["Start_Year", "Start_DDOY"])
    assert "latest at or before" in str(err.value) and "Start_Year=1990" in str(err.value)


def test_exact_mode_is_the_default_not_a_guess(cal):
    with pytest.raises(ResolutionError, match="no record matches"):
        resolve(GEOM, cdp=[cal], variables={"Particle": "H", "Start_Year": 2004, "Start_DDOY": 160.0})


def test_latest_must_name_row_variables(cal):
    with pytest.raises(ResolutionError, match="not row variables"):
        resolve(GEOM, cdp=[cal], variables={"Particle": "H", "Start_Year": 2004, "Start_DDOY": 1.0}, latest=["when"])


def test_latest_on_a_date_column(cal):
    ref = 'cdf:"GEOM_FACTOR":"DETECTOR":("Particle"):"1997|2004":["midpoint_value"]'
    del ref  # the date column is not a leading field: use arrays with the date first
    src = from_arrays(
        "dates.csv",
        {"Purpose": ["EQ"] * 3, "Start_Date": ["2009-01-01", "2011-03-18T00:00:00", "2013-07-01"], "table": ["a", "b", "c"]},
    )
    times = np.array(["2010-06-01T00:00:00", "2011-077T00:00:00", "2011-03-17T23:59:59", "2014-001"])
    r = resolve('cdp:"EQ":(t):["table"]', cdp=[src], variables={"t": times}, latest=["t"])
    assert r.values.tolist() == ["a", "b", "a", "c"]


def test_year_ddoy_and_doy_times():
    years, ddoy = year_ddoy(np.array(["2004-07-01T06:00:00", "2004-183T18:00:00", "2005-01-01"]))
    assert years.tolist() == [2004, 2004, 2005]
    assert ddoy.tolist() == pytest.approx([183.25, 183.75, 1.0])
    assert str(to_datetime64("2004-366T23:59:59.5Z")) == "2004-12-31T23:59:59.500000"
    with pytest.raises(ValueError):
        to_datetime64(["not a time"])


# ---------------------------------------------------------------- choosing the file


def test_dp_sensor_selects_the_product(acc):
    other = from_arrays("CPHA0_2004183_0001.csv", {"Purpose": ["sci"], "Start_Ephemeris_s": [1.0]})
    assert other.sensor is None  # from_arrays does not guess
    other.sensor = "CPHA"
    r = resolve('dp:IACC:"sci":["Start_Ephemeris_s"]', dp=[other, acc])
    assert r.source is acc
    with pytest.raises(ResolutionError) as err:
        resolve('dp:IIMG:"sci":["Start_Ephemeris_s"]', dp=[other, acc])
    assert "no data product of sensor data type IIMG" in str(err.value) and "IACC" in str(err.value)


def test_sensor_override_on_load(tmp_path):
    p = tmp_path / "events.csv"
    p.write_text("Purpose,E\nsci,1.5\n")
    assert load_source(p).sensor is None
    src = load_source(p, sensor="cpha")
    assert resolve("CPHA:dp:E", dp=[src]).values.tolist() == [1.5]


def test_cdp_files_are_chosen_by_instrument_and_column(tmp_path):
    chems = from_arrays("CHEMS_CAL.csv", {"Purpose": ["cal"], "v": [1.0]}, instrument="CHEMS")
    inca = from_arrays("INCA_CAL.csv", {"Purpose": ["cal"], "v": [2.0]}, instrument="INCA")
    anyone = from_arrays("MIMI_OTHER.csv", {"Purpose": ["cal"], "w": [3.0]})
    assert resolve("CPHA:cdf:v", cdp=[chems, inca, anyone]).value == 1.0
    assert resolve("IACC:cdf:v", cdp=[chems, inca, anyone]).value == 2.0
    assert resolve("IACC:cdf:w", cdp=[chems, inca, anyone]).value == 3.0
    with pytest.raises(ResolutionError, match="several files match"):
        resolve('cdp:"cal":["v"]', cdp=[chems, inca])
    with pytest.raises(ResolutionError, match="no calibration file for LFRT"):
        resolve("LFRT:cdf:v", cdp=[chems, inca])


def test_a_single_source_need_not_be_in_a_list(acc, tmp_path):
    assert resolve('dp:IACC:"hk":["Rate_A"]', dp=acc).values.tolist() == [3]
    assert resolve('dp:IACC:"hk":["Rate_A"]', dp=str(acc.path)).values.tolist() == [3]


def test_nothing_to_resolve_against():
    with pytest.raises(ResolutionError, match="no calibration file"):
        resolve("CPHA:cdf:v")


# ---------------------------------------------------------------- the large-key-space path


@pytest.fixture
def sorted_path(monkeypatch):
    """Force the binary-search join (used when the key grid would be too large)."""
    from pdsgen.shorthand import resolver as module
    monkeypatch.setattr(module, "_LUT_CELLS", 0)


def test_sorted_path_exact_join(sorted_path):
    test_exact_join_matches_a_python_dict_lookup()


def test_sorted_path_latest(sorted_path, cal):
    test_latest_mode_picks_the_latest_record_not_after_the_time(cal)
    test_latest_mode_before_every_start_is_zero_matches(cal)


def test_sorted_path_ambiguity(sorted_path):
    test_several_matches_for_a_variable_lists_candidates(None)


def test_latest_with_exact_group_and_wide_keys():
    """Many distinct start times and groups, checked against a per-query Python scan."""
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 30, 400)
    starts = rng.choice(np.arange(0, 100_000, 3), 400, replace=False).astype(float)
    value = np.arange(400, dtype=float)
    src = from_arrays("w.csv", {"p": ["x"] * 400, "g": groups, "t": starts, "v": value})
    qg = rng.integers(0, 30, 3000)
    qt = rng.uniform(starts.min(), 100_000, 3000)
    best = {}
    for g, t, v in zip(groups, starts, value, strict=True):
        best.setdefault(int(g), []).append((t, v))
    expected = []
    for g, t in zip(qg, qt, strict=True):
        ok = [(st, v) for st, v in best.get(int(g), []) if st <= t]
        expected.append(max(ok)[1] if ok else None)
    keep = np.array([e is not None for e in expected])
    r = resolve('cdp:"x":(g):(t):["v"]', cdp=[src], variables={"g": qg[keep], "t": qt[keep]}, latest=["t"])
    assert r.values.tolist() == [e for e in expected if e is not None]
