"""iuvs-dark recipe end to end on generated L1A darks (FITS + PDS4 labels)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from pdsgen.errors import DataError, PdsgenError, RecipeError
from pdsgen.instruments.iuvs import demo as demo
from pdsgen.recipes.engine import compute
from pdsgen.recipes.loader import load_recipe


@pytest.fixture(scope="module")
def recipe():
    return load_recipe("iuvs-dark")


@pytest.fixture(scope="module")
def demo_set(tmp_path_factory):
    return demo.generate(tmp_path_factory.mktemp("iuvs"), seed=3, n_darks=12)


def _keywords(**over):
    kw = {"INT_TIME": 14400, "SPE_SIZE": 4, "SPA_SIZE": 2, "SPE_OFS": 0, "SPA_OFS": 0, "MCP_VOLT": -1.83,
          "MCP_GAIN": 0.0, "DET_TEMP": 2488, "CASE_TEMP": 16000, "MIRROR_POS": 0, "MIR_DEG": 0.0, "MODE": 1,
          "SET_TOTAL": 1, "IMAGE_NUMBER": 1, "CADENCE": 14600}
    kw.update(over)
    return kw


def _dark(out: Path, when: datetime, image, **over) -> Path:
    return demo.write_dark(out, time=when, xuv="FUV", orbit=300, image_dn=np.asarray(image), keywords=_keywords(**over))


def test_hand_computed_single_dark(recipe, tmp_path):
    # one record: 4x2 binning, 4000 DN per stored pixel, 14.4 s
    lbl = _dark(tmp_path, datetime(2015, 1, 2, 3, 4, 5, tzinfo=UTC), np.full((8, 16), 4000, dtype=np.int32))
    t = compute(recipe, [lbl], group="FUV").tables[""]
    assert len(t) == 1
    row = t[0]
    assert row["TIME"] == np.datetime64("2015-01-02T03:04:05.000")  # data_type = "datetime"
    assert row["DARK_MEAN"] == 4000.0
    assert row["CORRECTED_MEAN"] == 500.0  # 4000 / (4*2)
    assert row["DN_PER_S"] == pytest.approx(500 / 14.4, rel=1e-9)  # 34.7222 DN/s
    assert row["DET_TEMP"] == pytest.approx(2488 * -0.0749 + 174.08)  # -12.2712 degC
    x = 16000.0
    assert row["CASE_TEMP"] == pytest.approx(450.47 - 6.5734e-2 * x + 3.3093e-6 * x**2
                                              - 5.4216e-11 * x**3 - 2.9330e-16 * x**4)
    assert row["QUALITY_FLAG"] == 0
    assert str(t["DN_PER_S"].unit) == "DN / s" and str(t["DET_TEMP"].unit) == "deg_C"
    assert str(t["INT_TIME"].unit) == "ms"


def test_blank_pixels_and_sets(recipe, tmp_path):
    img = np.full((2, 4, 4), 100, dtype=np.int32)
    img[1] = 300
    img[0, 0, 0] = demo.BLANK  # missing pixel: not in the mean
    lbl = _dark(tmp_path, datetime(2015, 1, 1, tzinfo=UTC), img, SPE_SIZE=1, SPA_SIZE=1, INT_TIME=1000)
    row = compute(recipe, [lbl], group="FUV").tables[""][0]
    assert row["FRAMES"] == 2
    assert row["DARK_MEAN"] == pytest.approx((15 * 100 + 16 * 300) / 31)
    assert row["DN_PER_S"] == pytest.approx((15 * 100 + 16 * 300) / 31)


def test_sorted_by_time_and_shutter_flagged(recipe, tmp_path):
    late = _dark(tmp_path, datetime(2015, 3, 1, tzinfo=UTC), np.full((4, 4), 800, np.int32))
    early = _dark(tmp_path, datetime(2015, 2, 1, tzinfo=UTC), np.full((4, 4), 8000, np.int32), MCP_VOLT=846.558)
    res = compute(recipe, [late, early], group="FUV")
    t = res.tables[""]
    assert list(t["TIME"]) == [np.datetime64("2015-02-01T00:00:00.000"), np.datetime64("2015-03-01T00:00:00.000")]
    assert t["QUALITY_FLAG"][0] == 1 and t["QUALITY_FLAG"][1] == 0
    assert t["DN_PER_S"].mask[0] and not t["DN_PER_S"].mask[1]  # flagged, not dropped
    assert t["DARK_MEAN"][0] == 8000.0
    assert t["DN_PER_S"][1] == pytest.approx(100 / 14.4)
    assert any("1 shutter" in n for n in res.notes)


def test_demo_run_both_channels(recipe, demo_set):
    xuvs = {}
    for xuv in ("FUV", "MUV"):
        paths = [p for p in demo_set.inputs if f"-{xuv.lower()}dark" in p.name]
        res = compute(recipe, paths, demo_set.calibrations, group=xuv)
        t = res.tables[""]
        xuvs[xuv] = t
        assert len(t) == len(paths) == 6
        assert set(t["XUV"]) == {xuv}
        assert list(t["TIME"]) == sorted(t["TIME"])
        good = t["QUALITY_FLAG"] == 0
        # generator's model: 0.05 DN/s at -20 degC, doubling every 6 degC (Poisson noise, small)
        model = demo.dark_rate_dn_per_s(np.asarray(t["DET_TEMP"])[good])
        np.testing.assert_allclose(np.asarray(t["DN_PER_S"])[good], model, rtol=0.03)
        assert -30 < np.min(t["DET_TEMP"]) and np.max(t["DET_TEMP"]) < 15
        assert 3 < np.min(t["CASE_TEMP"]) and np.max(t["CASE_TEMP"]) < 7
        assert set(res.plots) == {"dn_per_s_vs_det_temp", "det_temp_over_time", "trends_over_time"}
        for fig in res.plots.values():
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    # dark number 7 (odd: MUV) is the only shutter dark among the first 12
    assert (xuvs["MUV"]["QUALITY_FLAG"] & 1).sum() == 1
    assert (xuvs["FUV"]["QUALITY_FLAG"] & 1).sum() == 0


def test_generator_is_deterministic(tmp_path):
    a = demo.generate(tmp_path / "a", seed=5, n_darks=3)
    b = demo.generate(tmp_path / "b", seed=5, n_darks=3)

    def digest(paths):
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]

    fits_a = [p.with_suffix(".fits") for p in a.inputs]
    fits_b = [p.with_suffix(".fits") for p in b.inputs]
    assert digest(fits_a) == digest(fits_b)
    assert [p.read_text() for p in a.inputs] == [p.read_text().replace("/b/", "/a/") for p in b.inputs]


def test_generated_labels_are_schema_valid(demo_set):
    from conftest import PDS_V1
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(PDS_V1 / "PDS4_PDS_1J00.xsd")))
    for p in demo_set.inputs:
        assert schema.validate(etree.parse(str(p))), (p.name, schema.error_log.last_error)


def test_calibration_errors(recipe, tmp_path):
    lbl = _dark(tmp_path, datetime(2015, 1, 1, tzinfo=UTC), np.full((4, 4), 10, np.int32))
    nan_cal = tmp_path / "bad_temperature.csv"
    nan_cal.write_text("sensor,dn_min,dn_max,c0,c1\nDET_TEMP,0,16383,174.08,nan\nCASE_TEMP,0,16383,1,0\n")
    with pytest.raises(DataError, match="line 2: NaN"):
        compute(recipe, [lbl], [nan_cal], group="FUV")
    no_case = tmp_path / "nocase_temperature.csv"
    no_case.write_text("sensor,dn_min,dn_max,c0,c1\nDET_TEMP,0,16383,174.08,-0.0749\n")
    with pytest.raises(DataError, match="no CASE_TEMP polynomial"):
        compute(recipe, [lbl], [no_case], group="FUV")
    gap = tmp_path / "gap_temperature.csv"  # DET_TEMP only calibrated up to 2000 DN: 2488 is outside
    gap.write_text("sensor,dn_min,dn_max,c0,c1\nDET_TEMP,0,2000,174.08,-0.0749\nCASE_TEMP,0,16383,1,0\n")
    t = compute(recipe, [lbl], [gap], group="FUV").tables[""]
    assert t["QUALITY_FLAG"][0] == 8 and t["DET_TEMP"].mask[0]


def test_bad_int_time_and_missing_column(recipe, tmp_path):
    lbl = _dark(tmp_path, datetime(2015, 1, 1, tzinfo=UTC), np.full((4, 4), 10, np.int32), INT_TIME=0)
    t = compute(recipe, [lbl], group="FUV").tables[""]
    assert t["QUALITY_FLAG"][0] == 2 and t["DN_PER_S"].mask[0]
    text = lbl.read_text().replace("<name>MCP_VOLT</name>", "<name>MCP_VOLTS</name>")
    lbl.write_text(text)
    with pytest.raises(RecipeError, match="MCP_VOLT"):
        compute(recipe, [lbl], group="FUV")


def test_no_dark_image_is_an_error(recipe, tmp_path):
    lbl = _dark(tmp_path, datetime(2015, 1, 1, tzinfo=UTC), np.full((4, 4), 10, np.int32))
    text = lbl.read_text()
    start, end = text.index("<Array_2D_Image>"), text.index("</Array_2D_Image>") + len("</Array_2D_Image>")
    lbl.write_text(text[:start] + text[end:])
    with pytest.raises(PdsgenError, match="no dark image"):
        compute(recipe, [lbl], group="FUV")


def test_empty_engineering_table(recipe, tmp_path):
    lbl = _dark(tmp_path, datetime(2015, 1, 1, tzinfo=UTC), np.full((4, 4), 10, np.int32))
    lbl.write_text(lbl.read_text().replace("<records>1</records>", "<records>0</records>"))
    with pytest.raises(DataError, match="no record"):
        compute(recipe, [lbl], group="FUV")


@pytest.mark.slow
def test_demo_products_validate(tmp_path):
    """`pdsgen demo` for this instrument: generate, run, validate every product (XSD,
    Schematron, registered context products from ../shared when present)."""
    from conftest import CATALOG_ARG

    from pdsgen.recipes.demo import run_demo

    (row,) = run_demo(tmp_path, instruments=["iuvs"], catalog=CATALOG_ARG, offline=True)
    assert row.error is None and row.failed == 0, (row.error, row.problems)
    assert row.products > 0 and row.validated == row.products and row.invalid == 0, row.problems


def test_unknown_parameter(recipe, tmp_path):
    lbl = _dark(tmp_path, datetime(2015, 1, 1, tzinfo=UTC), np.full((4, 4), 10, np.int32))
    with pytest.raises(RecipeError, match="has no parameter 'alpha'"):
        compute(recipe, [lbl], params={"alpha": "0.5"}, group="FUV")


def test_bad_dark_is_left_out_of_its_group(recipe, demo_set, tmp_path):
    """An unreadable label (cannot be grouped) and a dark without an image each fail alone;
    both XUV groups are still written from the remaining darks."""
    import shutil

    from pdsgen.recipes.run import run_recipe

    folder = tmp_path / "in"
    folder.mkdir()
    for p in demo_set.inputs:
        shutil.copy(p, folder)
        shutil.copy(p.with_suffix(".fits"), folder)
    broken = folder / "mvn_iuv_l1a_broken-fuvdark_20150101T000000_v13_r01.xml"
    broken.write_text("<Product_Observational>not closed")
    fuv = sorted(folder.glob("*fuvdark*.xml"))
    no_image = fuv[2] if fuv[2] != broken else fuv[3]
    text = no_image.read_text()
    tag = "Array_3D_Image" if "<Array_3D_Image>" in text else "Array_2D_Image"
    a, b = text.index(f"<{tag}>"), text.index(f"</{tag}>") + len(f"</{tag}>")
    no_image.write_text(text[:a] + text[b:])
    report = run_recipe(recipe, [folder], tmp_path / "out", cal_files=demo_set.calibrations)
    failed = {o.inputs[0].name: o.error for o in report.failed}
    assert set(failed) == {broken.name, no_image.name}
    assert "no dark image" in failed[no_image.name]
    groups = {o.group: o for o in report.written}
    assert set(groups) == {"FUV", "MUV"}
    assert len(groups["FUV"].inputs) == 5 and no_image not in groups["FUV"].inputs
    assert "11 of 13 inputs done" in report.summary() and "2 failed" in report.summary()
