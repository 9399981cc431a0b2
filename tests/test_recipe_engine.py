"""The engine: inputs (shorthand refs, columns, keywords) with unit checks, algorithms from
every registry source, output conforming, and the CHEMS recipe as expressions agreeing with
the registered algorithm."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table

from pdsgen.errors import RecipeError, ResolutionError
from pdsgen.instruments.chems import algorithm as chems_calib
from pdsgen.instruments.chems import demo as chems
from pdsgen.instruments.fips import demo as fips
from pdsgen.recipes import load_recipe, recipe_from_dict, register_algorithm
from pdsgen.recipes import registry as registry_mod
from pdsgen.recipes.engine import compute
from pdsgen.units import parse_unit


@pytest.fixture(scope="module")
def chems_data(tmp_path_factory):
    return chems.generate(tmp_path_factory.mktemp("chems"), seed=1)


@pytest.fixture(scope="module")
def fips_data(tmp_path_factory):
    return fips.generate(tmp_path_factory.mktemp("fips"), seed=1)


def _csv_columns(label_path):
    """The CHEMS CSV read independently of pdsgen (numpy), for reference values."""
    csv = label_path.with_suffix(".CSV")
    names = [n.strip('"') for n in csv.read_text().splitlines()[0].split(",")]
    data = np.genfromtxt(csv, delimiter=",", skip_header=1, dtype=None, encoding="ascii")
    return {n: data[f"f{i}"] for i, n in enumerate(names)}


def test_chems_recipe_matches_independent_computation(chems_data):
    r = load_recipe("chems-pha")
    c = compute(r, chems_data.inputs[:1], chems_data.calibrations, {"alpha": "0.85"})
    t = c.tables[""]
    cols = _csv_columns(chems_data.inputs[0])
    steps = cols["DPPS_Level"]
    eq = chems.eq_table()[steps]  # the generator's E/Q per step, independently of the calibration reader
    tau = cols["Time_of_Flight(Microsec)"] / 1e6
    energy = cols["Energy(keV)"]
    expect_mq = 2 * (tau / 0.1) ** 2 * eq * 1.602176634e-16 / 1.66053906660e-27
    assert t["MQ"].unit == parse_unit("u/e") and t["Q"].unit == parse_unit("e")
    assert chems_calib.KEV_S2_PER_M2_IN_U == pytest.approx(1.602176634e-16 / 1.66053906660e-27, rel=1e-8)
    assert np.allclose(t["MQ"], expect_mq, rtol=1e-8)
    has_e = energy > 0
    assert np.allclose(t["Q"][has_e], energy[has_e] / 0.85 / eq[has_e], rtol=1e-12)
    assert np.isnan(np.asarray(t["M"])[~has_e]).all() and (~has_e).sum() > 0
    assert list(t["step"]) == list(steps)
    assert t["M"].unit == u.u and t["E"].unit == u.keV
    # the generator's ions come back: M/Q within 3 % of H+, He++, He+, O+, O6+, H2O+
    ion_mq = np.array([1.00728, 2.000755, 4.00205, 15.99437, 2.66527, 18.0106])
    nearest = np.min(np.abs(np.asarray(t["MQ"])[:, None] / ion_mq[None, :] - 1), axis=1)
    assert np.median(nearest) < 0.03


def test_chems_as_expressions_equals_registered_algorithm(chems_data):
    r = load_recipe("chems-pha")
    raw = dict(r.raw)
    raw["recipe"] = {**raw["recipe"], "algorithm": "expressions", "name": "chems-expr"}
    raw["expressions"] = {
        "MQ": "2 * (tau / dist) ** 2 * eq",
        "Q": "where(energy > 0, (energy / alpha) / eq, nan)",
        "M": "where(energy > 0, 2 * (tau / dist) ** 2 * (energy / alpha), nan)",
        "E": "Q * eq",
    }
    expr = recipe_from_dict(raw, path=r.path)
    a = compute(r, chems_data.inputs[:1], chems_data.calibrations, {"alpha": "0.7"}).tables[""]
    b = compute(expr, chems_data.inputs[:1], chems_data.calibrations, {"alpha": "0.7"}).tables[""]
    for name in ("M", "MQ", "Q", "E"):
        assert a[name].unit == b[name].unit
        np.testing.assert_allclose(np.asarray(a[name]), np.asarray(b[name]), rtol=1e-12, equal_nan=True)


def test_convert_checked_against_units(chems_data):
    raw = dict(load_recipe("chems-pha").raw)
    raw["inputs"] = {**raw["inputs"], "tau": {**raw["inputs"]["tau"], "convert": "/1000"}}
    r = recipe_from_dict(raw, path=load_recipe("chems-pha").path)
    with pytest.raises(RecipeError, match="convert '/1000'.*us"):
        compute(r, chems_data.inputs[:1], chems_data.calibrations, {"alpha": "0.5"})


def test_column_input_unit_mismatch_and_missing_column(fips_data):
    base = load_recipe("fips-cdr").raw
    raw = {**base, "inputs": {**base["inputs"], "met": {"column": "MET", "unit": "m"}}}
    r = recipe_from_dict(raw, path=load_recipe("fips-cdr").path)
    scan = fips_data.inputs[1]
    with pytest.raises(RecipeError, match="unit mismatch.*'s'.*'m'"):
        compute(r, [scan], fips_data.calibrations)
    raw = {**base, "inputs": {**base["inputs"], "met": {"column": "MTE", "unit": "s"}}}
    r = recipe_from_dict(raw, path=load_recipe("fips-cdr").path)
    with pytest.raises(RecipeError, match="no column 'MTE'; did you mean 'MET'"):
        compute(r, [scan], fips_data.calibrations)


def test_keyword_input_from_pds3_label(fips_data):
    c = compute(load_recipe("fips-cdr"), [fips_data.inputs[2]], fips_data.calibrations)
    assert c.context.inputs["fsw_version"] == "6"
    assert str(c.context.inputs["start_time"]).startswith("2008-10-06")
    assert c.meta["fsw_version"] == "6"


def _mini_recipe(algorithm, outputs=({"name": "y", "unit": "m"},)):
    return recipe_from_dict({
        "recipe": {"name": "mini", "algorithm": algorithm},
        "inputs": {"met": {"column": "MET", "unit": "s"}},
        "outputs": list(outputs),
        "product": {"lid": "urn:nasa:pds:b:c:{stem}", "product_id": "{STEM}", "file_name": "{stem}.tab"},
    })


def test_runtime_registered_algorithm_and_output_conforming(fips_data):
    @register_algorithm("test_mini_km")
    def mini(ctx):
        return Table({"y": np.asarray(ctx.inputs["met"].value[:3]) * 1e-3 * u.km, "extra": [1, 2, 3]})

    c = compute(_mini_recipe("test_mini_km"), [fips_data.inputs[1]], [])
    t = c.tables[""]
    assert t.colnames == ["y"] and t["y"].unit == u.m  # converted km → m, undeclared column dropped
    met = c.context.inputs["met"].value[:3]
    assert np.allclose(t["y"], met)
    with pytest.raises(RecipeError, match="unit mismatch.*km.*'s'"):
        compute(_mini_recipe("test_mini_km", [{"name": "y", "unit": "s"}]), [fips_data.inputs[1]], [])
    with pytest.raises(RecipeError, match="gave no output column 'z'"):
        compute(_mini_recipe("test_mini_km", [{"name": "z"}]), [fips_data.inputs[1]], [])


def test_module_function_and_entry_point_algorithms(fips_data, monkeypatch):
    c = compute(_mini_recipe("tests.test_recipe_engine:_double_met", [{"name": "y", "unit": "s"}]),
                [fips_data.inputs[1]], [])
    assert np.allclose(c.tables[""]["y"], 2 * c.context.inputs["met"].value)

    class FakeEP:
        name = "plugin_algo"
        value = "tests.test_recipe_engine:_double_met"

        def load(self):
            return _double_met

    monkeypatch.setattr(registry_mod, "entry_points", lambda group: [FakeEP()] if group == "pdsgen.algorithms" else [])
    # registrations other test modules made at import time (e.g. test_recipe_times' decorator)
    # must survive this test, whatever order the tests run in
    saved = (list(registry_mod.ALGORITHMS._entries), registry_mod.ALGORITHMS._loaded)
    registry_mod.ALGORITHMS.reset()  # load the entry points again, with the fake one
    try:
        assert "plugin_algo" in registry_mod.available_algorithms()
        assert registry_mod.get_algorithm("plugin_algo") is _double_met
        entry = registry_mod.ALGORITHMS.entry("plugin_algo")
        assert (entry.priority, entry.origin) == (50, "tests.test_recipe_engine:_double_met")
        assert "chems_pha" in registry_mod.available_algorithms()  # the units' stay
    finally:
        monkeypatch.undo()
        registry_mod.ALGORITHMS._entries, registry_mod.ALGORITHMS._loaded = saved
        registry_mod.ALGORITHMS._changed()
    with pytest.raises(RecipeError, match="no algorithm 'nope'"):
        registry_mod.get_algorithm("nope")
    with pytest.raises(RecipeError, match="cannot import"):
        registry_mod.get_algorithm("no_such_module_xyz:f")


def _double_met(ctx):
    return Table({"y": 2 * ctx.inputs["met"]})


def test_round_to_format():
    from pdsgen.recipes.engine import round_to_format

    x = np.array([1.4270370123, 0.31988133512505107, 18032470.04357071, 8.081017179885895e-13, 0.0, np.nan,
                  -123.456789, 1e300])
    e = round_to_format(x, "%.6e")
    assert [repr(float(v)) for v in e[:5]] == ["1.427037", "0.3198813", "18032470.0", "8.081017e-13", "0.0"]
    assert np.isnan(e[5]) and e[6] == -123.4568 and e[7] == 1e300
    f = round_to_format(x, "%.3f")
    assert [float(v) for v in f[[0, 1, 2, 6]]] == [1.427, 0.32, 18032470.044, -123.457]
    assert round_to_format(x, "%d") is x  # not a float format: untouched


def test_fits_header_and_pds4_label_keywords(tmp_path):
    from pdsgen.render import ContextReference, write_fits

    ctx = {"lid": "urn:nasa:pds:test:raw:dark1", "title": "a dark", "start_time": "2014-11-03T02:17:41Z",
           "stop_time": "2014-11-03T02:18:41Z",
           "investigations": [ContextReference("MAVEN", "Mission", "urn:nasa:pds:context:investigation:mission.maven")],
           "observing_system": [ContextReference("MAVEN", "Spacecraft")], "targets": [ContextReference("Mars", "Planet")]}
    w = write_fits(np.arange(12, dtype=">i2").reshape(3, 4), tmp_path, basename="dark1", context=ctx,
                   fits_header={"INT_TIME": 14400, "XUV": "FUV"})
    r = recipe_from_dict({
        "recipe": {"name": "kw", "algorithm": "expressions"},
        "inputs": {"t": {"keyword": "INT_TIME", "source_unit": "ms", "unit": "s"},
                   "start": {"keyword": "start_date_time"}},
        "outputs": [{"name": "t", "unit": "min"}],
        "expressions": {"t2": "t * 1"},
        "product": {"lid": "urn:nasa:pds:b:c:{stem}", "product_id": "{STEM}", "file_name": "{stem}.tab"},
    })
    c = compute(r, [w.label_path], [])
    assert c.context.inputs["t"].unit == u.s and float(c.context.inputs["t"].value) == pytest.approx(14.4)
    assert float(c.tables[""]["t"][0]) == pytest.approx(0.24)  # 14.4 s in minutes
    assert str(c.context.inputs["start"]).startswith("2014-11-03T02:17:41")


def test_compute_checks_parameters_given_as_numbers(chems_data):
    with pytest.raises(RecipeError, match="alpha"):
        compute(load_recipe("chems-pha"), chems_data.inputs[:1], chems_data.calibrations, {"alpha": 1.0})


def test_unknown_label_unit_needs_source_unit(tmp_path):
    from pdsgen.render import write_table

    t = Table({"MET": np.array([1.0, 2.0]), "C": np.array([3, 4], dtype=np.int32)})
    w = write_table(t, tmp_path, basename="odd", standard="pds3", units={"MET": "BLIPS"},
                    context={"product_id": "ODD", "start_time": "2011-01-01T00:00:00Z",
                             "stop_time": "2011-01-01T00:00:01Z"})
    r = _mini_recipe("tests.test_recipe_engine:_double_met", [{"name": "y", "unit": "s"}])
    with pytest.raises(RecipeError, match="unit 'BLIPS'.*source_unit"):
        compute(r, [w.label_path], [])
    raw = dict(r.raw)
    raw["inputs"] = {"met": {"column": "MET", "unit": "s", "source_unit": "ms"}}
    c = compute(recipe_from_dict(raw), [w.label_path], [])
    assert np.allclose(c.tables[""]["y"], [0.002, 0.004])


@pytest.mark.shared
def test_document_skeleton_completed_gives_the_builtin_numbers(chems_data, tmp_path):
    """seed 002 → `recipe from-document` skeleton → filled in by hand → same values as chems-pha."""
    from click.testing import CliRunner
    from conftest import SEEDS

    from pdsgen.cli import main

    seed = next(SEEDS.glob("002_*.txt"))
    res = CliRunner().invoke(main, ["recipe", "from-document", str(seed), "-o", str(tmp_path / "skel.toml")])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "skel.toml").read_text()
    for name, unit in (("M_Q", "u/e"), ("Q", "e"), ("M", "u"), ("E", "keV")):
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\nunit = "{unit}"\n', 1)
    text = text.replace("[parameters.alpha]\n", "[parameters.alpha]\ndefault = 0.85\nmin = 0.0\n", 1)
    text += """
[expressions]
M_Q = "2 * (tau / dist) ** 2 * E_Q"
Q = "where(Energy > 0, (Energy / alpha) / E_Q, nan)"
M = "where(Energy > 0, 2 * (tau / dist) ** 2 * (Energy / alpha), nan)"
E = "Q * E_Q"

[product]
lid = "urn:nasa:pds:test:cal:{stem}_cal"
product_id = "{STEM}_CAL"
file_name = "{stem}_cal.tab"
"""
    (tmp_path / "done.toml").write_text(text)
    mine = compute(load_recipe(tmp_path / "done.toml"), chems_data.inputs[:1], chems_data.calibrations).tables[""]
    builtin = compute(load_recipe("chems-pha"), chems_data.inputs[:1], chems_data.calibrations,
                      {"alpha": "0.85"}).tables[""]
    for a, b in (("M_Q", "MQ"), ("Q", "Q"), ("M", "M"), ("E", "E")):
        np.testing.assert_allclose(np.asarray(mine[a]), np.asarray(builtin[b]), rtol=1e-12, equal_nan=True)


def test_pds3_keyword_with_unit(tmp_path):
    import shutil

    from pdsgen.resources import labels_dir

    for ext in (".lbl", ".tab"):
        shutil.copy(labels_dir() / "fips" / f"FIPS_SCAN_2011100_EDR{ext}", tmp_path)
    lbl = tmp_path / "FIPS_SCAN_2011100_EDR.lbl"
    text = lbl.read_bytes().replace(b"MISSION_PHASE_NAME", b"EXPOSURE_DURATION            = 12.5 <ms>\r\nMISSION_PHASE_NAME")
    lbl.write_bytes(text)
    r = recipe_from_dict({
        "recipe": {"name": "kw3", "algorithm": "expressions"},
        "inputs": {"exp": {"keyword": "EXPOSURE_DURATION", "unit": "s"},
                   "bad": {"keyword": "EXPOSURE_DURATION", "unit": "m", "required": False}},
        "outputs": [{"name": "exp", "unit": "us"}],
        "expressions": {"x": "exp * 2"},
        "product": {"lid": "urn:nasa:pds:b:c:{stem}", "product_id": "{STEM}", "file_name": "{stem}.tab"},
    })
    with pytest.raises(RecipeError, match="unit mismatch.*'ms'.*'m'"):
        compute(r, [lbl], [])
    raw = dict(r.raw)
    raw["inputs"] = {"exp": raw["inputs"]["exp"]}
    c = compute(recipe_from_dict(raw), [lbl], [])
    assert float(c.context.inputs["exp"].to_value(u.s)) == pytest.approx(0.0125)
    assert float(c.tables[""]["exp"][0]) == pytest.approx(12500.0)


def test_time_keyed_calibration_input_latest_before_each_event():
    """Geometric factor by validity start (Start_Year, Start_DDOY) per event: the latest at or before."""
    from pdsgen.resources import labels_dir

    chems_dir = labels_dir() / "chems"
    r = recipe_from_dict({
        "recipe": {"name": "gf", "algorithm": "expressions"},
        "inputs": {
            "g": {"ref": 'cdf:"GEOM_FACTOR":"ACC":"INCA":"DETECTOR":("Particle"):("Start_Year"):("Start_DDOY"):'
                         '["midpoint_value"]',
                  "vars": {"Particle": "$particle"}, "bind": {"Start_Year": "Year", "Start_DDOY": "DDOY"},
                  "latest": ["Start_Year", "Start_DDOY"], "unit": "cm2 sr"},
            "ddoy": {"ref": "CPHA:dp:DDOY"},
        },
        "parameters": {"particle": {"default": "H", "choices": ["H", "O"]}},
        "outputs": [{"name": "g", "unit": "cm2 sr"}, {"name": "ddoy", "unit": "d"}],
        "expressions": {"g_again": "g * 1"},
        "product": {"lid": "urn:nasa:pds:b:c:{stem}", "product_id": "{STEM}", "file_name": "{stem}.tab"},
    })
    pha = chems_dir / "CPHA0_2004183_0001.LBL"
    cal = chems_dir / "MIMI_GEOM_FACTOR_V01.LBL"
    t = compute(r, [pha], [cal]).tables[""]
    ddoy = np.asarray(t["ddoy"], float)
    assert (ddoy < 183.25).any() and (ddoy >= 183.25).any()
    np.testing.assert_array_equal(np.asarray(t["g"]), np.where(ddoy >= 183.25, 2.45, 2.30))
    t_o = compute(r, [pha], [cal], {"particle": "O"}).tables[""]
    np.testing.assert_array_equal(np.asarray(t_o["g"]), np.where(ddoy >= 183.25, 1.75, 1.60))
    bad = dict(r.raw)
    bad["inputs"] = {**r.raw["inputs"], "g": {**r.raw["inputs"]["g"], "vars": {"Particle": "$nope"}}}
    with pytest.raises(RecipeError, match="names no recipe parameter"):
        compute(recipe_from_dict(bad), [pha], [cal])
    # the recipe's latest and ignore_case reach the resolver: "h" matches "H" only case-folded
    lower = dict(r.raw)
    lower["parameters"] = {"particle": {"default": "h"}}
    with pytest.raises(ResolutionError, match="ignor"):
        compute(recipe_from_dict(lower), [pha], [cal])
    lower["inputs"] = {**r.raw["inputs"], "g": {**r.raw["inputs"]["g"], "ignore_case": True}}
    t_h = compute(recipe_from_dict(lower), [pha], [cal]).tables[""]
    np.testing.assert_array_equal(np.asarray(t_h["g"]), np.asarray(t["g"]))
    exact = dict(r.raw)  # without latest the (Year, DDOY) keys must match exactly: no event falls on one
    exact["inputs"] = {**r.raw["inputs"], "g": {k: v for k, v in r.raw["inputs"]["g"].items() if k != "latest"}}
    with pytest.raises(ResolutionError):
        compute(recipe_from_dict(exact), [pha], [cal])
    with pytest.raises(RecipeError, match="ignore_case apply to shorthand 'ref' inputs only"):
        recipe_from_dict({**r.raw, "inputs": {"x": {"column": "DDOY", "ignore_case": True}}})


def _odd_units_product(tmp_path, standard):
    """A product whose label writes units astropy alone does not read (or reads wrongly)."""
    from pdsgen.render import write_table

    folder = tmp_path / standard
    folder.mkdir()
    t = Table({"M": np.array([3.0, 4.0]), "C": np.array([3, 4], dtype=np.int32), "R": np.array([10.0, 20.0]),
               "D": np.array([5.0, 6.0]), "B": np.array([1.0, 2.0])})
    w = write_table(t, folder, basename="odd", standard=standard, product_class="Product_Ancillary",
                    units={"M": "amu", "C": "counts", "R": "COUNTS/S", "D": "DN/S", "B": "BLIPS"},
                    context={"product_id": "ODD", "lid": "urn:nasa:pds:b:c:odd", "title": "odd units",
                             "start_time": "2011-01-01T00:00:00Z", "stop_time": "2011-01-01T00:00:01Z"})
    return w.label_path


def _one_input_recipe(column, unit):
    inp = {"column": column}
    if unit is not None:
        inp["unit"] = unit
    return recipe_from_dict({
        "recipe": {"name": "one", "algorithm": "expressions"}, "inputs": {"x": inp},
        "outputs": [{"name": "y", "unit": unit or ""}], "expressions": {"y": "x * 1"},
        "product": {"lid": "urn:nasa:pds:b:c:{stem}", "product_id": "{STEM}", "file_name": "{stem}.tab"}})


@pytest.mark.parametrize("standard", ["pds3", "pds4"])
def test_label_units_in_archive_spellings(tmp_path, standard):
    """amu, counts, COUNTS/S, DN/S (not DN per siemens) from labels; an unknown unit is a
    name when nothing converts it, a per-product RecipeError when the recipe converts it."""
    lbl = _odd_units_product(tmp_path, standard)
    cases = [("M", "kg", [3.0 * 1.66053906660e-27, 4.0 * 1.66053906660e-27]),  # amu → u → kg
             ("C", "", [3, 4]),                 # counts are numbers
             ("R", "1/min", [600.0, 1200.0]),   # COUNTS/S → ct/s → per minute
             ("D", "DN/min", [300.0, 360.0]),   # DN/S is DN per second
             ("B", "", [1.0, 2.0]),             # unknown, no conversion: plain numbers
             ("B", None, [1.0, 2.0])]
    for column, unit, expect in cases:
        c = compute(_one_input_recipe(column, unit), [lbl], [])
        x = c.context.inputs["x"]
        np.testing.assert_allclose(np.asarray(getattr(x, "value", x)), expect, rtol=1e-8)  # CODATA m_u revisions: 1e-9
    assert np.asarray(c.context.inputs["x"]).dtype.kind == "f"
    assert compute(_one_input_recipe("C", ""), [lbl], []).context.inputs["x"].dtype.kind == "i"
    with pytest.raises(RecipeError, match=r"'BLIPS' is not one pdsgen understands.*'BLIPS' is not a unit name.*"
                                          r"cannot become 's'.*source_unit") as exc:
        compute(_one_input_recipe("B", "s"), [lbl], [])
    assert "did you mean" not in str(exc.value) and str(lbl) in str(exc.value)


def test_unit_words_mapped_and_unknown_words_named():
    assert parse_unit("COUNTS/S") == u.count / u.s
    assert parse_unit("amu/e") == parse_unit("u/e")
    assert parse_unit("counts/(cm2-s-sr-keV)") == u.count / (u.cm**2 * u.s * u.sr * u.keV)
    assert parse_unit("ELECTRONS/S") == parse_unit("e-/s") == u.electron / u.s
    assert parse_unit("<KM/S>") == u.km / u.s
    assert parse_unit("DN/S") == u.DN / u.s and parse_unit("S") == u.s
    with pytest.raises(RecipeError, match="'PARSECZ' is not a unit name"):
        parse_unit("KM/PARSECZ")


def test_keyword_with_unknown_unit(tmp_path):
    import shutil

    from pdsgen.resources import labels_dir

    for ext in (".lbl", ".tab"):
        shutil.copy(labels_dir() / "fips" / f"FIPS_SCAN_2011100_EDR{ext}", tmp_path)
    lbl = tmp_path / "FIPS_SCAN_2011100_EDR.lbl"
    lbl.write_bytes(lbl.read_bytes().replace(b"MISSION_PHASE_NAME", b"GAIN_STATE = 7 <BLIPS>\r\nMISSION_PHASE_NAME"))

    def recipe(unit):
        return recipe_from_dict({
            "recipe": {"name": "kwb", "algorithm": "expressions"},
            "inputs": {"g": {"keyword": "GAIN_STATE", "unit": unit}},
            "outputs": [{"name": "y", "unit": unit}], "expressions": {"y": "g * 2"},
            "product": {"lid": "urn:nasa:pds:b:c:{stem}", "product_id": "{STEM}", "file_name": "{stem}.tab"}})

    assert compute(recipe(""), [lbl], []).context.inputs["g"] == 7
    with pytest.raises(RecipeError, match="'BLIPS'.*cannot become 's'"):
        compute(recipe("s"), [lbl], [])
