"""aca-dark recipe end to end on generated dark calibrations (FITS + PDS4 labels)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pytest
from astropy.io import fits

from pdsgen.errors import DataError, RecipeError
from pdsgen.instruments.aca import demo as demo
from pdsgen.recipes.engine import compute
from pdsgen.recipes.loader import load_recipe


@pytest.fixture(scope="module")
def recipe():
    return load_recipe("aca-dark")


@pytest.fixture(scope="module")
def three_cals(tmp_path_factory):
    """Three 4x4 calibrations with hand-chosen pixels."""
    out = tmp_path_factory.mktemp("aca3")
    img = np.array([[50, 99.9, 100, 100.1], [120, 140, 145, 1e4], [0, 0, 0, 0], [0, 0, 0, np.nan]], dtype=np.float32)
    return [
        demo.write_dark_cal(out, start=datetime(2001, 1, 1, tzinfo=UTC), image_e_per_s=img,
                            replica_t_ccd=[-11.2, -11.0, -10.8]),
        demo.write_dark_cal(out, start=datetime(2003, 1, 1, tzinfo=UTC), image_e_per_s=img * 2,
                            replica_t_ccd=[-15.0, np.nan, -15.0]),
        demo.write_dark_cal(out, start=datetime(2005, 1, 1, tzinfo=UTC), image_e_per_s=img,
                            replica_t_ccd=[-19.0]),
    ]


def test_hand_computed_fractions(recipe, three_cals):
    res = compute(recipe, list(reversed(three_cals)), params=None)
    t = res.tables[""]
    assert list(t["DARK_ID"]) == ["2001001", "2003001", "2005001"]  # sorted by date
    # data_type = "datetime": written as ASCII_Date_Time_YMD_UTC
    assert t["DATE"].dtype == np.dtype("datetime64[ms]")
    assert t["DATE"][0] == np.datetime64("2001-01-01T00:00:00.000")
    # replicas -11.2, -11.0, -10.8 -> -11.0 degC; missing replica ignored -> -15.0
    np.testing.assert_allclose(t["T_CCD"], [-11.0, -15.0, -19.0], atol=1e-5)
    assert list(t["N_REPLICAS"]) == [3, 2, 1]
    # to -15 degC: (1/0.7)**((-15 - -11)/4) = 0.7; 1; (1/0.7)**1 = 1/0.7
    np.testing.assert_allclose(t["SCALE"], [0.7, 1.0, 1 / 0.7], rtol=1e-5)
    # raw > 100 e-/s: 100.1, 120, 140, 145, 1e4 -> 5/16; the doubled image adds 2*99.9 and
    # 2*100 (2*50 = 100 is not > 100) -> 7/16; the third calibration is the first image again
    np.testing.assert_array_equal(t["N100"], [5 / 16, 7 / 16, 5 / 16])
    # scaled: cal 1 x0.7 -> > 142.86: 145, 1e4 -> 2/16; cal 2 x1 -> 7/16;
    # cal 3 x(1/0.7) -> > 70: 99.9, 100, 100.1, 120, 140, 145, 1e4 -> 7/16
    np.testing.assert_array_equal(t["N100_REF"], [2 / 16, 7 / 16, 7 / 16])
    assert list(t["N_PIXELS"]) == [16, 16, 16]
    assert str(t["T_CCD"].unit) == "deg_C"
    assert "selected" not in res.tables
    buf = io.BytesIO()
    res.plots["warm_pixel_fraction"].savefig(buf, format="png")
    assert buf.getvalue().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("date", "select", "expect"),
    [
        ("2002:100", "before", "2001001"),
        ("2002:100", "after", "2003001"),
        ("2002-10-01", "nearest", "2003001"),
        ("2003:001:00:00:00.000", "before", "2003001"),  # on a calibration: that one
        ("2003:001", "after", "2003001"),
        ("2019:001", "nearest", "2005001"),
    ],
)
def test_select_by_date(recipe, three_cals, date, select, expect):
    t = compute(recipe, three_cals, params={"date": date, "select": select}).tables["selected"]
    assert len(t) == 1 and t["DARK_ID"][0] == expect and t["SELECT"][0] == select


def test_calibration_gaps_and_bad_parameters(recipe, three_cals):
    with pytest.raises(RecipeError, match="no dark calibration before 2000:001"):
        compute(recipe, three_cals, params={"date": "2000:001", "select": "before"})
    with pytest.raises(RecipeError, match="no dark calibration after 2006:001"):
        compute(recipe, three_cals, params={"date": "2006:001", "select": "after"})
    with pytest.raises(RecipeError, match="select"):
        compute(recipe, three_cals, params={"date": "2002:001", "select": "closest"})
    with pytest.raises(RecipeError, match="scale_4c"):
        compute(recipe, three_cals, params={"scale_4c": "0"})
    with pytest.raises(RecipeError, match="'yesterday' is not a valid date/time"):
        compute(recipe, three_cals, params={"date": "yesterday"})
    with pytest.raises(RecipeError, match="no parameter 'alpha'"):
        compute(recipe, three_cals, params={"alpha": "0.5"})


def test_other_reference_temperature_and_scale(recipe, three_cals):
    t = compute(recipe, three_cals[:1], params={"t_ccd_ref": "-7", "scale_4c": "2"}).tables[""]
    # 2 ** ((-7 - -11)/4) = 2: warm if 2*value > 100: 50*2=100 no; 99.9, 100, 100.1, ... -> 7/16
    assert t["SCALE"][0] == pytest.approx(2.0)
    assert t["N100_REF"][0] == 7 / 16


def test_no_temperature_is_an_error(recipe, tmp_path):
    lbl = demo.write_dark_cal(tmp_path, start=datetime(2001, 1, 1, tzinfo=UTC),
                              image_e_per_s=np.zeros((4, 4), np.float32), replica_t_ccd=[np.nan, np.nan])
    with pytest.raises(DataError, match="every replica lacks T_CCD"):
        compute(recipe, [lbl], params=None)


def test_demo_run(recipe, tmp_path):
    d = demo.generate(tmp_path, seed=1, size=128)
    res = compute(recipe, d.inputs, params=d.params)
    t = res.tables[""]
    assert len(t) == 6
    # independent count straight from the FITS files with astropy
    for row, lbl in zip(t, d.inputs, strict=True):
        img = fits.getdata(lbl.with_suffix(".fits"))
        temps = fits.getdata(lbl.with_suffix(".fits"), 1)["T_CCD"]
        t_ccd = temps[temps > -900].mean()
        assert row["T_CCD"] == pytest.approx(t_ccd, abs=1e-5)
        assert row["N100"] == np.count_nonzero(img > 100.0) / img.size
        scale = (1 / 0.7) ** ((-15.0 - t_ccd) / 4)
        assert row["N100_REF"] == np.count_nonzero(img * scale > 100.0) / img.size
    assert t["N_REPLICAS"][3] == 4  # one replica without telemetry
    # radiation damage: the scaled fraction grows over the mission
    assert np.all(np.diff(np.asarray(t["N100_REF"])) > 0)
    assert res.tables["selected"]["DARK_ID"][0] == "2007245"


def test_empty_replica_table_and_missing_image(recipe, tmp_path):
    lbl = demo.write_dark_cal(tmp_path, start=datetime(2001, 1, 1, tzinfo=UTC),
                              image_e_per_s=np.zeros((4, 4), np.float32), replica_t_ccd=[])
    with pytest.raises(DataError, match="REPLICAS table has no record"):
        compute(recipe, [lbl], params=None)
    lbl2 = demo.write_dark_cal(tmp_path, start=datetime(2002, 1, 1, tzinfo=UTC),
                               image_e_per_s=np.zeros((4, 4), np.float32), replica_t_ccd=[-12.0])
    text = lbl2.read_text()
    a, b = text.index("<Array_2D_Image>"), text.index("</Array_2D_Image>") + len("</Array_2D_Image>")
    lbl2.write_text(text[:a] + text[b:])
    with pytest.raises(DataError, match="no dark-current image"):
        compute(recipe, [lbl2], params=None)


@pytest.mark.slow
def test_demo_products_validate(tmp_path):
    """`pdsgen demo` for this instrument: generate, run, validate every product (XSD,
    Schematron, registered context products from ../shared when present)."""
    from conftest import CATALOG_ARG

    from pdsgen.recipes.demo import run_demo

    (row,) = run_demo(tmp_path, instruments=["aca"], catalog=CATALOG_ARG, offline=True)
    assert row.error is None and row.failed == 0, (row.error, row.problems)
    assert row.products > 0 and row.validated == row.products and row.invalid == 0, row.problems


def test_time_range(recipe, three_cals):
    t = compute(recipe, three_cals, params={"start": "2002:001", "stop": "2006-01-01"}).tables[""]
    assert list(t["DARK_ID"]) == ["2003001", "2005001"]
    t = compute(recipe, three_cals, params={"stop": "2003:001"}).tables[""]  # inclusive
    assert list(t["DARK_ID"]) == ["2001001", "2003001"]
    with pytest.raises(RecipeError, match="no dark calibration between"):
        compute(recipe, three_cals, params={"start": "2010:001"})
    with pytest.raises(RecipeError, match="after 'stop'"):
        compute(recipe, three_cals, params={"start": "2004:001", "stop": "2003:001"})
    # selection only among the calibrations in the range: a gap before 2002
    with pytest.raises(RecipeError, match="no dark calibration before 2001:200"):
        compute(recipe, three_cals, params={"start": "2002:001", "date": "2001:200", "select": "before"})


def test_written_products_are_byte_identical_across_runs(recipe, three_cals, tmp_path):
    """Same inputs and creation time -> the same table, label and PNG browse bytes."""
    from pdsgen.recipes.run import run_recipe

    outs = []
    for name in ("a", "b"):
        rep = run_recipe(recipe, three_cals, tmp_path / name, params={"date": "2002:100"},
                         creation_time="2026-01-01T00:00:00Z")
        assert not rep.failed
        outs.append({p.name: p.read_bytes() for p in (tmp_path / name).iterdir()})
    assert outs[0] == outs[1]
    assert any(n.endswith(".png") for n in outs[0]) and "aca_dark_selected.tab" in outs[0]


def test_bad_calibration_is_left_out_of_the_group(recipe, three_cals, tmp_path):
    """One bad input of an aggregating recipe fails alone: reported per product, the table
    made from the others, and only they are named as inputs in the label's provenance."""
    from pdsgen.recipes.run import run_recipe

    bad = demo.write_dark_cal(tmp_path, start=datetime(2004, 1, 1, tzinfo=UTC),
                              image_e_per_s=np.zeros((4, 4), np.float32), replica_t_ccd=[np.nan, np.nan])
    out = tmp_path / "out"
    report = run_recipe(recipe, [*three_cals, bad], out, creation_time="2020-01-01T00:00:00Z")
    assert [o.inputs for o in report.failed] == [[bad]]
    assert str(bad) in report.failed[0].error and "every replica lacks T_CCD" in report.failed[0].error
    (done,) = report.written
    assert done.inputs == list(three_cals)
    assert "3 of 4 inputs done, 2 products written, 1 failed" in report.summary()  # table + plot
    import pdsgen

    t = pdsgen.open(out / "aca_dark_warm_pixels.xml").objects[0].to_table()
    assert list(t["DARK_ID"]) == ["2001001", "2003001", "2005001"]
    label = (out / "aca_dark_warm_pixels.xml").read_text()
    assert "acadark_2004001" not in label.lower()
    for lbl in three_cals:
        assert pdsgen.open(lbl).lid.split(":")[-1].lower() in label.lower()
    # every input bad: the group fails, naming them
    bad2 = demo.write_dark_cal(tmp_path, start=datetime(2004, 6, 1, tzinfo=UTC),
                               image_e_per_s=np.zeros((4, 4), np.float32), replica_t_ccd=[np.nan])
    report = run_recipe(recipe, [bad, bad2], tmp_path / "out2")
    assert len(report.failed) == 1 and not report.written
    assert "none of the 2 inputs" in report.failed[0].error and "every replica lacks T_CCD" in report.failed[0].error
    assert not [p for p in (tmp_path / "out2").iterdir()]


@pytest.mark.parametrize("standard", ["pds4", "pds3"])
def test_selected_calibration_scaled_image_product(recipe, three_cals, tmp_path, standard):
    """--set date=... select=...: the selected calibration's image scaled to t_ccd_ref is
    written as an array product that reads back (pdsgen.open) equal to the hand-scaled image."""
    import pdsgen
    from pdsgen.recipes.run import run_recipe

    out = tmp_path / "out"
    rep = run_recipe(recipe, three_cals, out, params={"date": "2004:001", "select": "nearest", "t_ccd_ref": "-13"},
                     standard=standard, creation_time="2026-01-01T00:00:00Z")
    assert not rep.failed, rep.failed[0].error
    label = out / ("aca_dark_selected_scaled" + (".xml" if standard == "pds4" else ".lbl"))
    assert label.is_file() and (out / "aca_dark_selected_scaled.img").is_file()
    # nearest to 2004:001: 2003-01-01 is 365 days before, 2005-01-01 366 days after (2004 is a leap year)
    sel = fits.getdata(three_cals[1].with_suffix(".fits")).astype(np.float64)
    scale = (1 / 0.70) ** ((-13.0 - -15.0) / 4)  # the 2003 calibration is at -15 degC
    (arr,) = [o for o in pdsgen.open(label).objects if o.kind == "array"]
    got = np.ma.filled(np.ma.asarray(arr.data).astype(np.float64), np.nan)
    assert got.shape == (4, 4)
    np.testing.assert_array_equal(got, sel * scale)
    assert "e" in (arr.unit or "") and "/s" in (arr.unit or "")
    if standard == "pds4":  # provenance: made from the selected calibration only
        text = label.read_text().lower()
        assert "acadark_2003001" in text and "acadark_2001001" not in text and "acadark_2005001" not in text
    # without a date there is no selection and no scaled image
    rep = run_recipe(recipe, three_cals, tmp_path / "nodate", standard=standard)
    assert not rep.failed and not list((tmp_path / "nodate").glob("*scaled*"))


def test_bad_date_is_one_usage_error_before_any_product(three_cals, tmp_path):
    # `date` is a time parameter: checked once when --set is read (exit 2, one line naming the
    # accepted forms), not per product with astropy's list of formats.
    from click.testing import CliRunner

    from pdsgen.cli import main

    res = CliRunner().invoke(main, ["run", "aca-dark", *map(str, three_cals), "--out", str(tmp_path / "o"),
                                    "--set", "date=notadate"])
    assert res.exit_code == 2, res.output
    assert "'notadate' is not a valid date/time" in res.output and "YYYY:DDD" in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    ok = load_recipe("aca-dark").parameters["date"]
    assert ok.coerce("2002:001") == "2002:001" and ok.coerce("2002-01-01T12:00:00Z") == "2002-01-01T12:00:00Z"
    assert ok.coerce("") == ""


@pytest.fixture(scope="module")
def noon_cals(tmp_path_factory):
    """Calibrations at 12:00 UTC (replicas every 10 min) on 2001:001, 2003:001, 2005:001."""
    out = tmp_path_factory.mktemp("aca_noon")
    img = np.full((4, 4), 10.0)
    return [demo.write_dark_cal(out, start=datetime(y, 1, 1, 12, tzinfo=UTC), image_e_per_s=img,
                                replica_t_ccd=[-12.0] * 3) for y in (2001, 2003, 2005)]


@pytest.mark.parametrize(
    ("date", "select", "expect"),
    [
        # mica get_dark_cal_id: a calibration on the date's day wins whatever select says;
        # comparing exact times would give 2001001 (before 12:00) and 2005001 (after 12:00)
        ("2003:001:06:00:00", "before", "2003001"),
        ("2003:001:18:00:00", "after", "2003001"),
        ("2003:001:18:00:00", "nearest", "2003001"),
        # otherwise calibration *days* (00:00) against the exact time: 2004-01-01T18:00 is
        # 365.75 d after 2003:001 and 365.25 d before 2005:001 -> 2005001 (by the calibrations'
        # 12:00 times it would be 2003001)
        ("2004:001:18:00:00", "nearest", "2005001"),
        ("2004:001:06:00:00", "nearest", "2003001"),  # 365.25 d vs 365.75 d
        ("2004:001:18:00:00", "before", "2003001"),
        ("2004:001:18:00:00", "after", "2005001"),
    ],
)
def test_selection_matches_mica_get_dark_cal_id(recipe, noon_cals, date, select, expect):
    t = compute(recipe, noon_cals, params={"date": date, "select": select}).tables["selected"]
    assert t["DARK_ID"][0] == expect
