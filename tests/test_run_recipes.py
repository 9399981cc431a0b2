"""`pdsgen run` end to end: products written through the real writers, read back equal;
per-product errors (bad data, calibration gaps, NaN counts) leave the rest running and
nothing half-written; determinism, --jobs, --standard pds3."""

from __future__ import annotations

import csv
import re
import shutil
from datetime import datetime

import numpy as np
import pytest
from click.testing import CliRunner

import pdsgen
from pdsgen.cli import main
from pdsgen.errors import RecipeError
from pdsgen.instruments.chems import demo as chems
from pdsgen.instruments.fips import demo as fips
from pdsgen.recipes import load_recipe
from pdsgen.recipes.engine import compute, round_to_format
from pdsgen.recipes.run import STAGING_PREFIX, run_recipe

CT = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def chems_data(tmp_path_factory):
    return chems.generate(tmp_path_factory.mktemp("chems"), seed=3)


@pytest.fixture(scope="module")
def fips_data(tmp_path_factory):
    return fips.generate(tmp_path_factory.mktemp("fips"), seed=3)


def _no_staging(out):
    return not any(p.name.startswith(STAGING_PREFIX) for p in out.rglob("*"))


def test_chems_run_reads_back_equal(chems_data, tmp_path):
    r = load_recipe("chems-pha")
    rep = run_recipe(r, [chems_data.inputs[0].parent], tmp_path, cal_files=chems_data.calibrations,
                     params={"alpha": "0.85"}, creation_time=CT)
    assert len(rep.written) == 3 and not rep.failed
    assert rep.records == 3 * chems.EVENTS_PER_DAY
    assert "3 of 3 inputs done" in rep.summary() and "0 failed" in rep.summary()
    assert _no_staging(tmp_path)
    label = tmp_path / "cpha0_2004183_0001_cal.xml"
    assert label in rep.outcomes[0].outputs
    back = pdsgen.open(label)
    assert back.lid == "urn:nasa:pds:cassini_mimi_calibrated:data_chems_pha:cpha0_2004183_0001_cal"
    t = back.objects[0].to_table()
    ref = compute(r, [chems_data.inputs[0]], chems_data.calibrations, {"alpha": "0.85"}).tables[""]
    assert len(t) == len(ref)
    for name in ("M", "MQ", "Q", "E"):
        got = np.ma.filled(np.ma.asarray(t[name], dtype=float), np.nan)
        full = np.asarray(ref[name])
        # written with the recipe's %.6e: exactly the rounded values, within 5e-7 of full precision
        np.testing.assert_array_equal(got, round_to_format(full, "%.6e"))
        np.testing.assert_allclose(got, full, rtol=5e-7, equal_nan=True)
    # utc is data_type = "datetime": the label declares ASCII_Date_Time_YMD_UTC, and the
    # written calendar dates are the raw day-of-year instants (converted here by the stdlib)
    utc = next(f for f in back.objects[0].fields if f.name == "utc")
    assert utc.data_type == "ASCII_Date_Time_YMD_UTC"
    raw = next(o for o in pdsgen.open(chems_data.inputs[0]).objects if o.fields).to_table()["UTC"]
    expected = [(datetime.strptime(str(s)[:8], "%Y-%j").strftime("%Y-%m-%d") + str(s)[8:] + "Z") for s in raw]
    assert [str(s) for s in t["utc"]] == expected
    assert list(np.array([str(s)[:-1] for s in t["utc"]], dtype="datetime64[ms]")) == list(ref["utc"])


def test_deterministic_and_parallel(chems_data, tmp_path):
    r = load_recipe("chems-pha")
    a, b = tmp_path / "a", tmp_path / "b"
    run_recipe(r, chems_data.inputs, a, cal_files=chems_data.calibrations, creation_time=CT)
    rep = run_recipe(r, chems_data.inputs, b, cal_files=chems_data.calibrations, creation_time=CT, jobs=2)
    assert len(rep.written) == 3
    files = sorted(p.name for p in a.iterdir())
    # per input: table, label, and the M vs M/Q browse plot with its label
    assert files == sorted(p.name for p in b.iterdir()) and len(files) == 3 * 4
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_only_some_products_skips_the_other_browse_plots(chems_data, tmp_path):
    """``only`` (regeneration keeps one product of a group): browse plots not named are not
    drawn nor written; what is written has the bytes of a full run."""
    r = load_recipe("chems-pha")
    full, part = tmp_path / "full", tmp_path / "part"
    run_recipe(r, chems_data.inputs, full, cal_files=chems_data.calibrations, creation_time=CT)
    plots = sorted(p.name for p in full.glob("*.xml") if p.with_suffix(".png").is_file())
    assert len(plots) == 3
    wanted = {"cpha0_2004183_0001_cal.xml", plots[1]}
    rep = run_recipe(r, chems_data.inputs, part, cal_files=chems_data.calibrations, creation_time=CT,
                     only=wanted)
    assert not rep.failed
    written = sorted(p.name for p in part.iterdir())
    # every table (the browse labels cite them), one browse plot
    assert [n for n in written if n.endswith(".png")] == [plots[1].replace(".xml", ".png")]
    assert len(written) == 3 * 2 + 2
    for name in written:
        assert (part / name).read_bytes() == (full / name).read_bytes(), name


def _bad_chems(folder, stem, step_value, n=3):
    names = ["Purpose", "UTC", "DPPS_Level", "Time_of_Flight(Microsec)", "Energy(keV)"]
    kinds = ["CHARACTER", "CHARACTER", "ASCII_INTEGER", "ASCII_REAL", "ASCII_REAL"]
    cols = [["sci"] * n, [f"2004-190T00:00:0{i}.000" for i in range(n)], [str(step_value)] * n, ["0.05"] * n,
            ["100.00"] * n]
    return chems.write_mimi_table(folder, stem, names, kinds, [None] * 5, ["d"] * 5, cols, std_id="MIMI_CHEMS_PHA",
                                  description="test", start="2004-190T00:00:00", stop="2004-190T00:00:02")


def test_one_bad_product_does_not_stop_the_others(chems_data, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(chems_data.inputs[0].parent, src)
    _bad_chems(src, "CPHA0_2004190_0001", 40)  # no step_40 column in the calibration file
    out = tmp_path / "out"
    cal = src / "CHEMS_PHA_CAL_V01.LBL"
    res = CliRunner().invoke(main, ["run", "chems-pha", str(src), "--cal", str(cal), "--out", str(out), "-q",
                                    "--creation-time", CT])
    assert res.exit_code == 1, res.output
    assert "CPHA0_2004190_0001.LBL" in res.output and "step_40" in res.output
    assert "3 of 4 inputs done" in res.output and "1 failed" in res.output
    assert not any("2004190" in p.name for p in out.iterdir())
    assert len(list(out.glob("*.xml"))) == 3 * 2 and _no_staging(out)  # each with its M vs M/Q browse plot


def test_one_record_and_empty_products(chems_data, tmp_path):
    one = _bad_chems(tmp_path, "CPHA0_2004191_0001", 5, n=1)
    rep = run_recipe(load_recipe("chems-pha"), [one], tmp_path / "o", cal_files=chems_data.calibrations,
                     creation_time=CT)
    assert rep.records == 1 and not rep.failed
    t = pdsgen.open(tmp_path / "o" / "cpha0_2004191_0001_cal.xml").objects[0].to_table()
    eq5 = chems.eq_table()[5]
    assert float(t["MQ"][0]) == pytest.approx(2 * (0.05e-6 / 0.1) ** 2 * eq5 * chems.KEV_J / chems.AMU_KG, rel=1e-6)  # written as %.6e
    assert float(t["Q"][0]) == pytest.approx(100.0 / 0.5 / eq5, rel=1e-6)
    empty = _bad_chems(tmp_path, "CPHA0_2004192_0001", 5, n=0)
    rep = run_recipe(load_recipe("chems-pha"), [empty], tmp_path / "e", cal_files=chems_data.calibrations)
    assert len(rep.failed) == 1 and "no records" in rep.failed[0].error
    assert "CPHA0_2004192_0001" in rep.failed[0].error
    assert not list((tmp_path / "e").iterdir())


def test_bad_parameter_is_a_usage_error(chems_data, tmp_path):
    res = CliRunner().invoke(main, ["run", "chems-pha", str(chems_data.inputs[0]), "--out", str(tmp_path),
                                    "--cal", str(chems_data.calibrations[0]), "--set", "alpha=1.5"])
    assert res.exit_code == 2 and "alpha" in res.output and "(0.0, 1.0)" in res.output
    # a missing --cal fails the run once, before any product (not every product alike)
    with pytest.raises(RecipeError, match="comes from a calibration data file: give it with --cal"):
        run_recipe(load_recipe("chems-pha"), chems_data.inputs[:1], tmp_path / "nocal")
    assert not (tmp_path / "nocal").exists()
    res = CliRunner().invoke(main, ["run", "chems-pha", str(chems_data.inputs[0]), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "give it with --cal" in res.output
    res = CliRunner().invoke(main, ["run", "chems-pha", str(tmp_path / "nothing*.LBL"), "--out", str(tmp_path),
                                    "--cal", str(chems_data.calibrations[0])])
    assert res.exit_code == 2 and "the pattern matches no file" in res.output
    res = CliRunner().invoke(main, ["run", "chems-pha", str(tmp_path / "nothing.LBL"), "--out", str(tmp_path),
                                    "--cal", str(chems_data.calibrations[0])])
    assert res.exit_code == 2 and "no such file" in res.output


def _read_eq_csv(path, valid, mode):
    with open(path) as fh:
        rows = [r for r in csv.DictReader(fh) if r["VALID_FROM"] == valid]
    return ({int(r["STEP"]): float(r[f"EQ_{mode}(keV/e)"]) for r in rows},
            {int(r["STEP"]): float(r[f"ACCUM_{mode}(s)"]) for r in rows})


def test_fips_espec_and_pha_values(fips_data, tmp_path):
    rep = run_recipe(load_recipe("fips-cdr"), fips_data.inputs, tmp_path, cal_files=fips_data.calibrations,
                     creation_time=CT)
    assert len(rep.written) == 4 and not rep.failed, [o.error for o in rep.failed]
    t = pdsgen.open(tmp_path / "fips_scan_2011100_edr_cdr.xml").objects[0].to_table()
    edr = pdsgen.open(fips_data.inputs[1]).objects[0].to_table()
    assert len(t) == len(edr) == 30 * 64
    i = int(np.argmax(np.asarray(edr["COUNTS"])))  # a row with counts
    eqs, accs = _read_eq_csv(fips_data.calibrations[0], "2011-03-01", int(edr["MODE"][i]))
    step = int(edr["STEP"][i])
    eq, acc = eqs[step], accs[step]
    teq, teta = fips.efficiency_table()
    eta = np.interp(np.log(eq), np.log(teq), teta)
    flux = int(edr["COUNTS"][i]) / (eq * acc * 8.31e-7 * eta * 1.15 * np.pi)  # g includes ΔE/E
    assert float(t["EQ"][i]) == pytest.approx(eq) and float(t["ACCUM_TIME"][i]) == pytest.approx(acc)
    assert float(t["DIFF_FLUX"][i]) == pytest.approx(flux, rel=5e-7)  # %.6e
    v2 = 2 * eq * 1.602176634e-16 / 1.67262192369e-27
    assert float(t["PSD"][i]) == pytest.approx(flux * 1.007276 * 1.66053906660e-27 / (1.6022e-20 * v2), rel=2e-4)

    # PHA (flight software 7: the "all other versions" constants with P0/P1)
    pha = pdsgen.open(fips_data.inputs[3]).objects[0].to_table()
    out = pdsgen.open(tmp_path / "fips_pha_2011100_edr_cdr.xml").objects[0].to_table()
    x = np.asarray(pha["X"], float) - 31.5159
    y = np.asarray(pha["Y"], float) - 34.2993
    r = np.hypot(x, y)
    zen = -18.5303 + 10.1646 * r - 0.565382 * r**2 + 0.0164266 * r**3
    keep = (zen >= 15) & (zen <= 75)
    assert 0 < (~keep).sum() < len(keep) and len(out) == keep.sum()
    np.testing.assert_allclose(np.asarray(out["ZENITH"], float), zen[keep], atol=5e-5)  # %.4f
    theta = np.degrees(np.arctan2(y, x)) % 360
    np.testing.assert_allclose(np.asarray(out["AZIMUTH"], float), (6.5 - theta[keep]) % 360, atol=5e-5)
    raw = np.asarray(pha["RAW"])[keep] == 1
    tof = np.asarray(pha["TOF"], float)[keep]
    np.testing.assert_allclose(np.asarray(out["TOF"], float), np.where(raw, tof * 666 / 2048, tof * 666 / 1024),
                               atol=5e-5)
    notes = [n for o in rep.outcomes for n in o.notes]
    assert any(f"{(~keep).sum()} of {len(keep)} events discarded" in n for n in notes)


def test_fips_v6_uses_v6_constants(fips_data, tmp_path):
    c = compute(load_recipe("fips-cdr"), [fips_data.inputs[2]], fips_data.calibrations)
    t = c.tables["pha"]
    pha = pdsgen.open(fips_data.inputs[2]).objects[0].to_table()
    r = np.hypot(np.asarray(pha["X"], float) - 23.6017, np.asarray(pha["Y"], float) - 27.1122)
    coeffs = [-34.0497, 34.652, -9.70052, 1.43296, 0.100514, 0.00274512]
    zen = sum(c_ * r**k for k, c_ in enumerate(coeffs))
    keep = (zen >= 15) & (zen <= 75)
    np.testing.assert_allclose(np.asarray(t["ZENITH"]), zen[keep], atol=1e-9)
    theta = np.degrees(np.arctan2(np.asarray(pha["Y"], float) - 27.1122, np.asarray(pha["X"], float) - 23.6017)) % 360
    np.testing.assert_allclose(np.asarray(t["AZIMUTH"]), theta[keep], atol=1e-9)  # v6: no P0/P1


def test_fips_errors_per_product(fips_data, tmp_path):
    rng = np.random.default_rng(0)
    early = fips.write_scan_edr(tmp_path, "2007-06-01", 2, "6", rng)  # before every E/q table
    nan = fips.write_scan_edr(tmp_path, "2011-05-01", 2, "7", rng, nan_counts=True)
    good = fips_data.inputs[1]
    rep = run_recipe(load_recipe("fips-cdr"), [early, nan, good], tmp_path / "out", cal_files=fips_data.calibrations)
    errs = {o.inputs[0].name: o.error for o in rep.outcomes}
    assert "does not cover the data time" in errs[early.name] and "2007-06-01" in errs[early.name]
    assert "counts are required" in errs[nan.name] and "NaN" in errs[nan.name]
    assert errs[good.name] is None
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [  # the spectra and their E/q plot
        "fips_scan_2011100_edr_cdr.tab", "fips_scan_2011100_edr_cdr.xml",
        "fips_scan_2011100_edr_cdr_eq_spectrum.png", "fips_scan_2011100_edr_cdr_eq_spectrum.xml"]
    with pytest.raises(RecipeError, match="calibration 'eq_table'.*--cal"):
        run_recipe(load_recipe("fips-cdr"), [good], tmp_path / "o2", cal_files=fips_data.calibrations[1:])


def test_pds3_output(fips_data, tmp_path):
    import pvl

    rep = run_recipe(load_recipe("fips-cdr"), [fips_data.inputs[3]], tmp_path, cal_files=fips_data.calibrations,
                     standard="pds3", creation_time=CT)
    assert not rep.failed, rep.failed[0].error if rep.failed else ""
    lbl = tmp_path / "fips_pha_2011100_edr_cdr.lbl"
    label = pvl.load(str(lbl))
    assert label["PRODUCT_ID"] == "FIPS_PHA_2011100_EDR_CDR"
    assert label["DATA_SET_ID"] == "MESS-E/V/H/SW-EPPS-3-FIPS-CDR-V1.0"
    back = pdsgen.open(lbl).objects[0].to_table()
    ref = compute(load_recipe("fips-cdr"), [fips_data.inputs[3]], fips_data.calibrations).tables["pha"]
    np.testing.assert_array_equal(np.asarray(back["ZENITH"], float), round_to_format(np.asarray(ref["ZENITH"]), "%.4f"))


def test_output_name_clash_is_reported(chems_data, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _bad_chems(a, "CPHA0_2004193_0001", 3)
    _bad_chems(b, "CPHA0_2004193_0001", 4)
    rep = run_recipe(load_recipe("chems-pha"), [a, b], tmp_path / "out", cal_files=chems_data.calibrations)
    assert len(rep.written) == 1 and "already written" in rep.failed[0].error


def test_calibration_selection_default_and_ambiguity(fips_data, tmp_path):
    eq = fips_data.calibrations[0]
    pha = fips_data.inputs[3]
    # no angle file given: the recipe's shipped constants (the seed's) are used
    c = compute(load_recipe("fips-cdr"), [pha], [eq])
    with_file = compute(load_recipe("fips-cdr"), [pha], fips_data.calibrations)
    np.testing.assert_array_equal(np.asarray(c.tables["pha"]["ZENITH"]), np.asarray(with_file.tables["pha"]["ZENITH"]))
    other = tmp_path / "fips_eq_table_copy.csv"
    shutil.copy(eq, other)
    rep = run_recipe(load_recipe("fips-cdr"), [pha], tmp_path / "out", cal_files=[eq, other])
    assert "several --cal files match" in rep.failed[0].error and "fips_eq_table_copy.csv" in rep.failed[0].error


def test_chems_missing_values_become_missing_constants(chems_data, tmp_path):
    names = ["Purpose", "UTC", "DPPS_Level", "Time_of_Flight(Microsec)", "Energy(keV)"]
    kinds = ["CHARACTER", "CHARACTER", "ASCII_INTEGER", "ASCII_REAL", "ASCII_REAL"]
    cols = [["sci"] * 3, [f"2004-194T00:00:0{i}.000" for i in range(3)], ["3", "4", "5"], ["0.05", "", "0.05"],
            ["100.00", "100.00", "-1e32"]]
    lbl = chems.write_mimi_table(tmp_path, "CPHA0_2004194_0001", names, kinds, [None] * 5, ["d"] * 5, cols,
                                 std_id="MIMI_CHEMS_PHA", description="t", start="2004-194T00:00:00",
                                 stop="2004-194T00:00:02")
    rep = run_recipe(load_recipe("chems-pha"), [lbl], tmp_path / "out", cal_files=chems_data.calibrations)
    assert not rep.failed and any("2 of 3 events" in n for n in rep.outcomes[0].notes)
    label = tmp_path / "out" / "cpha0_2004194_0001_cal.xml"
    assert label.read_text().count("<missing_constant>-1e+32</missing_constant>") == 4  # M, MQ, Q, E
    t = pdsgen.open(label).objects[0].to_table()
    m = np.ma.getmaskarray(t["M"])
    assert m.tolist() == [False, True, True]
    assert np.ma.getmaskarray(t["MQ"]).tolist() == [False, True, False]
    assert float(t["Q"][0]) == pytest.approx(100.0 / 0.5 / chems.eq_table()[3], rel=1e-6)


def test_creation_time_checked_once_and_shared(chems_data, tmp_path):
    with pytest.raises(RecipeError, match="--creation-time 'yesterday'.*ISO 8601"):
        run_recipe(load_recipe("chems-pha"), chems_data.inputs[:1], tmp_path / "a", cal_files=chems_data.calibrations,
                   creation_time="yesterday")
    assert not (tmp_path / "a").exists()
    rep = run_recipe(load_recipe("chems-pha"), chems_data.inputs[:2], tmp_path / "b", cal_files=chems_data.calibrations)
    assert not rep.failed
    stamps = {re.search(r"<creation_date_time>([^<]*)<", p.read_text()).group(1)
              for p in (tmp_path / "b").glob("*.xml")}
    assert len(stamps) == 1  # "now" taken once for the run


def test_fips_pha_weight_by_hand(fips_data, tmp_path):
    """WEIGHT of one event recomputed from the demo's inputs: w = 1/(ΔΩ_pixel η v f_kept τ)."""
    pha_label = fips_data.inputs[3]
    sa_file = next(p for p in fips_data.calibrations if p.name.upper().startswith("FIPA_F"))
    rep = run_recipe(load_recipe("fips-cdr"), [pha_label], tmp_path, cal_files=fips_data.calibrations,
                     params={"decimation_kept_fraction": 0.5}, creation_time=CT)
    assert not rep.failed, [o.error for o in rep.failed]
    out = pdsgen.open(tmp_path / "fips_pha_2011100_edr_cdr.xml").objects[0].to_table()
    pha = pdsgen.open(pha_label).objects[0].to_table()
    r = np.hypot(np.asarray(pha["X"], float) - 31.5159, np.asarray(pha["Y"], float) - 34.2993)
    zen = -18.5303 + 10.1646 * r - 0.565382 * r**2 + 0.0164266 * r**3
    kept = pha[(zen >= 15) & (zen <= 75)]
    assert len(kept) == len(out)
    with open(sa_file) as fh:
        rows = {(int(d["X"]), int(d["Y"])): (float(d["SOLID_ANGLE(sr)"]), d["OBSTRUCTED"] == "1")
                for d in csv.DictReader(line for line in fh if not line.startswith("#"))}
    pix = [(int(np.floor(x)), int(np.floor(y))) for x, y in zip(kept["X"], kept["Y"], strict=True)]
    obstructed = np.array([rows[p][1] for p in pix])
    assert obstructed.any() and not obstructed.all()
    np.testing.assert_array_equal(np.asarray(out["WEIGHT"], float)[obstructed], 0.0)
    i = int(np.flatnonzero(~obstructed)[0])
    eqs, accs = _read_eq_csv(fips_data.calibrations[0], "2011-03-01", int(kept["MODE"][i]))
    eq, tau = eqs[int(kept["STEP"][i])], accs[int(kept["STEP"][i])]
    teq, teta = fips.efficiency_table()
    eta = np.interp(np.log(eq), np.log(teq), teta)
    v = np.sqrt(2 * eq * 1.602176634e-16 / 1.67262192369e-27)  # proton, m/s
    w = 1.0 / (rows[pix[i]][0] * eta * v * 0.5 * tau)
    assert float(out["WEIGHT"][i]) == pytest.approx(w, rel=5e-6)  # %.6e, CODATA 2018 vs 2022 m_p
    assert str(out["WEIGHT"].unit) in ("1 / (m sr)", "1 / (sr m)")
    notes = [n for o in rep.outcomes for n in o.notes]
    assert any(f"{obstructed.sum()} of {len(kept)} events weighted 0.0 ({obstructed.sum()} obstructed, "
               "0 poor quality heavy ion, 0 noise filtered heavy ion); 0 invalid" in n for n in notes), notes
    assert any("poor_quality_heavy_ion: the EDR has no such column, no event flagged" in n for n in notes)

    # without the solid-angle table: no WEIGHT column, and a note saying why
    rep2 = run_recipe(load_recipe("fips-cdr"), [pha_label], tmp_path / "no_sa",
                      cal_files=[p for p in fips_data.calibrations if p != sa_file], creation_time=CT)
    assert not rep2.failed, [o.error for o in rep2.failed]
    out2 = pdsgen.open(tmp_path / "no_sa" / "fips_pha_2011100_edr_cdr.xml").objects[0].to_table()
    assert "WEIGHT" not in out2.colnames
    assert any("no WEIGHT column: no per-pixel solid-angle table" in n for o in rep2.outcomes for n in o.notes)


def test_fips_pha_weight_heavy_ion_flags_from_edr_columns(fips_data, tmp_path):
    """POOR_QUALITY / NOISE_FILTERED EDR columns give weight 0.0, counted per first reason."""
    label = fips.write_pha_edr(tmp_path, "2011-04-10", 2000, "7", np.random.default_rng(11),
                               heavy_ion_flags=True)
    rep = run_recipe(load_recipe("fips-cdr"), [label], tmp_path / "out", cal_files=fips_data.calibrations,
                     creation_time=CT)
    assert not rep.failed, [o.error for o in rep.failed]
    out = pdsgen.open(tmp_path / "out" / "fips_pha_2011100_edr_cdr.xml").objects[0].to_table()
    pha = pdsgen.open(label).objects[0].to_table()
    x, y = np.asarray(pha["X"], float), np.asarray(pha["Y"], float)
    r = np.hypot(x - 31.5159, y - 34.2993)
    zen = -18.5303 + 10.1646 * r - 0.565382 * r**2 + 0.0164266 * r**3
    keep = (zen >= 15) & (zen <= 75)
    px, py = np.floor(x[keep]), np.floor(y[keep])
    obst = (px >= 31) & (px <= 33) & (py >= 35)  # the demo table's strut
    poor = (np.asarray(pha["POOR_QUALITY"])[keep] == 1) & ~obst
    noise = (np.asarray(pha["NOISE_FILTERED"])[keep] == 1) & ~obst & ~poor
    assert poor.any() and noise.any()
    w = np.asarray(out["WEIGHT"], float)
    np.testing.assert_array_equal(w[obst | poor | noise], 0.0)
    assert (w[~(obst | poor | noise)] > 0).all()
    n0 = int((obst | poor | noise).sum())
    notes = [n for o in rep.outcomes for n in o.notes]
    assert any(f"{n0} of {keep.sum()} events weighted 0.0 ({obst.sum()} obstructed, {poor.sum()} poor quality "
               f"heavy ion, {noise.sum()} noise filtered heavy ion)" in n for n in notes), notes
    assert any("poor_quality_heavy_ion: from the EDR column" in n for n in notes)
