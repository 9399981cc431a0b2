"""inms-crosstalk recipe end to end on generated REU mass scans (PDS4 fixed-width tables)."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from pdsgen.errors import DataError, RecipeError
from pdsgen.instruments.inms import demo as demo
from pdsgen.recipes.engine import compute
from pdsgen.recipes.loader import load_recipe

T0 = datetime(2015, 12, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def recipe():
    return load_recipe("inms-crosstalk")


def _scan(out, scan, ds, mode, counts, *, p=1e-6, cs=100.0, os_=100.0, iset=100.0, masses=(1, 2, 18), run=7):
    mon = {"ip": 1000, "cs_fil1_emis_iset": iset, "cs_fil1_emis_imon": cs, "cs_anode1_imon": 80.0,
           "cs_ionrep_imon": 5.0, "os_fil1_emis_imon": os_, "chamber_ion_pmon": p}
    return demo.write_scan(out, run=run, dataset=ds, scan=scan, mode=mode, start=T0 + timedelta(minutes=scan),
                           monitors=mon, masses=np.array(masses, float), counter1=np.array(counts))


@pytest.fixture(scope="module")
def hand_run(tmp_path_factory):
    """Five datasets of two scans each with hand-chosen counts and monitors."""
    out = tmp_path_factory.mktemp("inms_hand")
    bm = (1, 2, 18, 28)  # backgrounds scanned over more masses
    paths = [
        _scan(out, 1, "D001", "CSN", [1, 10, 20, 7], masses=bm),
        _scan(out, 2, "D001", "CSN", [1, 10, 20, 9], masses=bm),
        _scan(out, 3, "D002", "OSNB", [1, 5, 10, 3], masses=bm),
        _scan(out, 4, "D002", "OSNB", [1, 5, 10, 3], masses=bm),
        _scan(out, 5, "D003", "OSNB", [0, 40, 10], p=1e-6),
        _scan(out, 6, "D003", "OSNB", [0, 100, 20], p=2e-6),
        _scan(out, 7, "D004", "CSN", [10, 1000, 100], cs=100.0),
        _scan(out, 8, "D004", "CSN", [5, 600, 40], cs=50.0),
        _scan(out, 9, "D004", "OSNB", [0, 25, 12], iset=0.0, cs=0.01),
        _scan(out, 10, "D004", "OSNB", [0, 35, 12], iset=0.0, cs=0.01),
    ]
    plan = out / "inms_datasets.csv"
    plan.write_text("run,dataset,first_scan,last_scan,role\n7,bkgc,1,2,bkgc\n7,bkgo,3,4,bkgo\n"
                    "7,on,5,6,osnb_on\n7,csn,7,8,csn\n7,off,9,10,osnb_off\n99,x,1,1,other\n")
    return paths, plan


def test_hand_computed_run(recipe, hand_run):
    paths, plan = hand_run
    res = compute(recipe, paths, [plan], params={"ratio_min_sigma": "0"}, group="7")
    t = res.tables[""]
    rows = {r["DATASET"]: r for r in t}
    assert list(t["ROLE"]) == ["bkgc", "bkgo", "osnb_on", "csn", "osnb_off"]
    # osnb_on: P = 1e-6, 2e-6 (mean 1.5e-6), OS emission constant: factors 1.5, 0.75
    # H2: 40*1.5 = 60, 100*0.75 = 75 -> sum 135, mean 67.5, std 7.5, var 56.25
    on = rows["on"]
    assert (on["H2_SUM"], on["H2_MEAN"], on["H2_STD"], on["H2_VAR"]) == pytest.approx((135, 67.5, 7.5, 56.25))
    assert on["H2O_SUM"] == pytest.approx(10 * 1.5 + 20 * 0.75)  # 30
    assert on["MEAN_PRESSURE"] == pytest.approx(1.5e-6)
    # csn: CS emission 100, 50 (mean 75): factors 0.75, 1.5 -> H2 750, 900: mean 825, std 75
    csn = rows["csn"]
    assert (csn["H2_SUM"], csn["H2_MEAN"], csn["H2_STD"], csn["H2_VAR"]) == pytest.approx((1650, 825, 75, 5625))
    assert csn["MEAN_EMISSION"] == pytest.approx(75.0)
    assert csn["H2_H2O_RATIO"] == pytest.approx(825 / 67.5)  # H2O: 75 and 60 -> mean 67.5
    assert csn["H2_H2O_SIGMA"] == pytest.approx(825 / 67.5 * math.sqrt(1 / 825 + 1 / 67.5))
    # the seed's compute_h2ratios: r = m1/mc, sigma = r sqrt(1/m1 + 1/mc)
    assert on["H2_RATIO"] == pytest.approx(67.5 / 825)
    assert on["H2_RATIO_SIGMA"] == pytest.approx(67.5 / 825 * math.sqrt(1 / 67.5 + 1 / 825))
    off = rows["off"]
    assert off["CS_FILAMENT"] == "off" and on["CS_FILAMENT"] == "on"
    assert off["H2_MEAN"] == pytest.approx(30.0)
    assert off["H2_RATIO"] == pytest.approx(30 / 825)
    assert off["H2_RATIO_SIGMA"] == pytest.approx(30 / 825 * math.sqrt(1 / 30 + 1 / 825))
    assert t["H2_RATIO"].mask[rows["csn"].index]
    # H2 (OSNB, mean 67.5) over H2O of the CSN set (mean 67.5): 1, sigma sqrt(2/67.5)
    assert on["H2_CSN_H2O_RATIO"] == pytest.approx(1.0)
    assert on["H2_CSN_H2O_SIGMA"] == pytest.approx(math.sqrt(1 / 67.5 + 1 / 67.5))
    assert off["H2_CSN_H2O_RATIO"] == pytest.approx(30 / 67.5)
    # background-subtracted: CSN [15,1650,135]-[2,20,40] = [13,1630,95];
    # on [0,135,30]-[2,10,20] = [-2,125,10]; off [0,60,24]-[2,10,20] = [-2,50,4]
    assert on["H2_RATIO_BKGSUB"] == pytest.approx(125 / 1630)
    assert off["H2_RATIO_BKGSUB"] == pytest.approx(50 / 1630)
    sp = res.tables["spectra"]
    on_sp = sp[sp["DATASET"] == "on"]
    np.testing.assert_allclose(on_sp["MASS"], [1, 2, 18])
    np.testing.assert_allclose(on_sp["COUNTS"], [0, 135, 30])
    np.testing.assert_allclose(on_sp["COUNTS_BKGSUB"], [-2, 125, 10])
    np.testing.assert_allclose(on_sp["RATIO"], [-2 / 13 * 100, 125 / 1630 * 100, 10 / 95 * 100])
    bkgc = sp[sp["DATASET"] == "bkgc"]
    assert len(bkgc) == 4 and bkgc["COUNTS_BKGSUB"].mask.all()  # backgrounds keep their 4 masses
    assert str(sp["RATIO"].unit) == "%" and str(t["MEAN_PRESSURE"].unit) == "Torr"
    assert "crosstalk_cs_on" in res.plots and "crosstalk_cs_off" in res.plots
    buf = io.BytesIO()
    res.plots["ms_csn_bkgsub"].savefig(buf, format="png")
    assert buf.getvalue().startswith(b"\x89PNG")


def test_ratio_significance_mask(recipe, hand_run):
    paths, plan = hand_run
    # mass 1: CSN net 13 counts vs 4 sigma = 4 sqrt(15 + 2) = 16.5 -> masked; mass 2, 18 kept
    sp = compute(recipe, paths, [plan], params={"ratio_min_sigma": "4"}, group="7").tables["spectra"]
    on = sp[sp["DATASET"] == "on"]
    assert list(on["RATIO"].mask) == [True, False, False]


def test_without_plan_statistics_only(recipe, hand_run):
    paths, _plan = hand_run
    res = compute(recipe, paths, [], params=None, group="7")
    t = res.tables[""]
    # raw dataset fields: D001, D002, D003, D004 (D004 holds scans 7-10: not terminated)
    assert list(t["DATASET"]) == ["D001", "D002", "D003", "D004"]
    assert list(t["N_SCANS"]) == [2, 2, 2, 4]
    assert set(t["ROLE"]) == {"other"} and t["H2_RATIO"].mask.all()
    assert any("statistics only" in n for n in res.notes)


def test_one_scan(recipe, tmp_path):
    lbl = _scan(tmp_path, 3, "D001", "CSN", [4, 400, 40])
    row = compute(recipe, [lbl], params=None, group="7").tables[""][0]
    assert (row["N_SCANS"], row["H2_SUM"], row["H2_MEAN"], row["H2_STD"]) == (1, 400.0, 400.0, 0.0)
    assert row["H2_H2O_RATIO"] == pytest.approx(10.0)


def test_errors(recipe, tmp_path):
    a = _scan(tmp_path, 1, "D001", "CSN", [1, 2, 3])
    b = _scan(tmp_path, 2, "D001", "CSN", [1, 2, 3], p=0.0)
    with pytest.raises(DataError, match="scan 2 has a non-positive pressure"):
        compute(recipe, [a, b], params=None, group="7")
    # skipping the pressure scaling makes it usable
    t = compute(recipe, [a, b], params={"scale_pressure": "false"}, group="7").tables[""]
    assert t["H2_SUM"][0] == 4.0
    c = _scan(tmp_path, 3, "D001", "CSN", [1, 2, 3, 4], masses=(1, 2, 18, 28))
    with pytest.raises(DataError, match="do not share one mass list"):
        compute(recipe, [a, c], params=None, group="7")
    plan = tmp_path / "inms_datasets.csv"
    plan.write_text("run,dataset,first_scan,last_scan,role\n7,x,1,1,csn\n7,y,3,3,csn\n")
    with pytest.raises(DataError, match="role 'csn' is given to 2 datasets"):
        compute(recipe, [a, c], [plan], params=None, group="7")
    plan.write_text("run,dataset,first_scan,last_scan,role\n7,x,1,1,signal\n")
    with pytest.raises(DataError, match="role 'signal'"):
        compute(recipe, [a], [plan], params=None, group="7")
    plan.write_text("run,dataset,first_scan,last_scan,role\n7,x,1,1,csn\n7,y,50,60,bkgc\n")
    with pytest.raises(DataError, match="dataset y has no scans"):
        compute(recipe, [a], [plan], params=None, group="7")
    with pytest.raises(RecipeError, match="emission_monitor"):
        compute(recipe, [a], params={"emission_monitor": "anode"}, group="7")
    d = _scan(tmp_path, 1, "D002", "CSN", [1, 2, 3])  # scan 1 again
    with pytest.raises(DataError, match="scan number 1 appears twice"):
        compute(recipe, [a, d], params=None, group="7")


def test_no_water_channel(recipe, tmp_path):
    lbl = _scan(tmp_path, 1, "D001", "CSN", [1, 2, 3], masses=(1, 2, 3))
    res = compute(recipe, [lbl], params=None, group="7")
    assert res.tables[""]["H2O_SUM"].mask[0]
    assert any("no 18 amu/e channel" in n for n in res.notes)


def test_demo_runs(recipe, tmp_path):
    from pdsgen.recipes.run import group_inputs

    d = demo.generate(tmp_path, seed=2)
    groups = dict(group_inputs(d.inputs, recipe))
    assert sorted(groups) == ["1020", "1021"] and len(groups["1020"]) == 50
    res = compute(recipe, groups["1020"], d.calibrations, params=None, group="1020")
    rows = {r["ROLE"]: r for r in res.tables[""]}
    # model: CSN H2 = 300 (background) + 10000; OSNB = 0.3*300 + 0.04 (on) / 0.01 (off) of 10000
    assert rows["osnb_on"]["H2_RATIO"] == pytest.approx(490 / 10300, rel=0.08)
    assert rows["osnb_off"]["H2_RATIO"] == pytest.approx(190 / 10300, rel=0.1)
    assert rows["osnb_on"]["H2_RATIO_BKGSUB"] == pytest.approx(0.04, rel=0.1)
    assert rows["osnb_off"]["H2_RATIO_BKGSUB"] == pytest.approx(0.01, rel=0.25)
    # scaling removed the 5 % pressure and 3 % emission drifts: scatter ~ Poisson only
    assert rows["csn"]["H2_STD"] < 2.5 * math.sqrt(rows["csn"]["H2_MEAN"])
    # the plan, not the raw dataset field (D004 twice), decides the datasets
    assert rows["csn"]["FIRST_SCAN"] == 31 and rows["osnb_off"]["FIRST_SCAN"] == 41
    res2 = compute(recipe, groups["1021"], d.calibrations, params=None, group="1021")
    assert list(res2.tables[""]["DATASET"]) == ["D001", "D002"]


@pytest.mark.parametrize(("im_version", "code"), [(None, "1J00"), ("1.22.0.0", "1M00")])
def test_scan_labels_schema_valid_and_pds4_tools_agrees(tmp_path, im_version, code):
    """By default the raw scans cite IM 1.19 (1J00); a delivery writes them against 1.22 (1M00)."""
    import contextlib

    import pds4_tools
    from conftest import PDS_V1
    from lxml import etree

    from pdsgen.recipes.demo_data import raw_information_model

    schema = etree.XMLSchema(etree.parse(str(PDS_V1 / f"PDS4_PDS_{code}.xsd")))
    with raw_information_model(im_version) if im_version else contextlib.nullcontext():
        lbl = _scan(tmp_path, 12, "D003", "OSNB", [7, 70, 700], p=1.25e-6)
    tree = etree.parse(str(lbl))
    assert schema.validate(tree), schema.error_log.last_error
    assert tree.findtext("{*}Identification_Area/{*}information_model_version") == (im_version or "1.19.0.0")
    assert f"PDS4_PDS_{code}.xsd" in tree.getroot().get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")
    s = pds4_tools.read(str(lbl), quiet=True)
    assert list(s["DATA"]["counter1"]) == [7, 70, 700]
    assert float(s["MONITORS"]["chamber_ion_pmon"][0]) == pytest.approx(1.25e-6)
    assert s["SCAN"]["mode"][0].strip() == "OSNB"


def test_empty_scan(recipe, tmp_path):
    lbl = _scan(tmp_path, 1, "D001", "CSN", [], masses=())
    with pytest.raises(DataError, match="no mass channel"):
        compute(recipe, [lbl], params=None, group="7")


def test_cli_run_partial_failure(tmp_path):
    """`pdsgen run`: one run fails (zero pressure), the other is written; exit status 1;
    nothing half-written in --out."""
    from click.testing import CliRunner

    from pdsgen.cli.app import main

    raw = tmp_path / "raw"
    raw.mkdir()
    _scan(raw, 1, "D001", "CSN", [1, 20, 30], run=8)
    _scan(raw, 2, "D001", "CSN", [1, 22, 30], run=8)
    _scan(raw, 1, "D001", "CSN", [1, 20, 30], run=9)
    _scan(raw, 2, "D001", "CSN", [1, 20, 30], run=9, p=0.0)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "inms-crosstalk", str(raw), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "non-positive pressure" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert "inms_crosstalk_r8.tab" in names and "inms_crosstalk_r8.xml" in names
    assert not any("r9" in n for n in names)
    assert not any(n.startswith(".") or n.endswith(".part") for n in names)
    import pdsgen

    t = pdsgen.open(out / "inms_crosstalk_r8.xml")[0].to_table()
    assert t["H2_SUM"][0] == 42.0  # 20 + 22 (pressure and emission constant: scale 1)
    assert t["H2_RATIO"].mask[0]  # missing constant read back as missing


@pytest.mark.slow
def test_demo_products_validate(tmp_path):
    """`pdsgen demo` for this instrument: generate, run, validate every product (XSD,
    Schematron, registered context products from ../shared when present)."""
    from conftest import CATALOG_ARG

    from pdsgen.recipes.demo import run_demo

    (row,) = run_demo(tmp_path, instruments=["inms"], catalog=CATALOG_ARG, offline=True)
    assert row.error is None and row.failed == 0, (row.error, row.problems)
    assert row.products > 0 and row.validated == row.products and row.invalid == 0, row.problems


def test_two_sets_share_a_background(recipe, hand_run, tmp_path):
    """The seed's 2015-349 case: an H2 and an H2O crosstalk set in one run share the
    open-source background (ds349['D000bkgo']['sum'] = ds349h2o['D000bkgo'])."""
    paths, _ = hand_run
    plan = tmp_path / "inms_datasets.csv"
    plan.write_text(
        "run,dataset,first_scan,last_scan,role,set\n"
        "7,bkgc,1,2,bkgc,h2\n7,bkgo,3,4,bkgo,h2\n7,on,5,6,osnb_on,h2\n7,csn,7,8,csn,h2\n7,off,9,10,osnb_off,h2\n"
        "7,bkgc,1,2,bkgc,h2o\n7,bkgo,3,4,bkgo,h2o\n7,on2,5,5,osnb_on,h2o\n7,csn,7,8,csn,h2o\n7,off,9,10,osnb_off,h2o\n")
    res = compute(recipe, paths, [plan], params={"ratio_min_sigma": "0"}, group="7")
    t = res.tables[""]
    assert list(t["SET"]) == ["h2"] * 5 + ["h2o"] * 5
    shared = t[t["DATASET"] == "bkgo"]
    assert len(shared) == 2 and shared["H2_SUM"][0] == shared["H2_SUM"][1] == 10.0
    on2 = t[t["DATASET"] == "on2"][0]
    # one scan (scan 5: 40 H2 counts, factor 1 alone): r = 40/825
    assert on2["H2_RATIO"] == pytest.approx(40 / 825)
    on = t[(t["DATASET"] == "on")][0]
    assert on["H2_RATIO"] == pytest.approx(67.5 / 825)
    assert "crosstalk_h2_cs_on" in res.plots and "crosstalk_h2o_cs_on" in res.plots
    assert sum(1 for k in res.plots if k == "ms_bkgo") == 1
    sp = res.tables["spectra"]
    assert len(sp[(sp["SET"] == "h2o") & (sp["DATASET"] == "on2")]) == 3
    plan.write_text("run,dataset,first_scan,last_scan,role,set\n7,a,1,2,bkgc,x\n7,a,1,3,bkgc,y\n")
    with pytest.raises(DataError, match="dataset a is given two scan ranges"):
        compute(recipe, paths, [plan], params=None, group="7")


def test_missing_count_is_an_error(recipe, tmp_path):
    """A count flagged by the label's missing_constant cannot be summed: per-product error."""
    lbl = _scan(tmp_path, 1, "D001", "CSN", [1, 999999, 3])
    text = lbl.read_text()
    i = text.index("<name>counter1</name>")
    j = text.index("</description>", i) + len("</description>")
    lbl.write_text(text[:j] + "\n          <Special_Constants><missing_constant>999999</missing_constant>"
                   "</Special_Constants>" + text[j:])
    with pytest.raises(DataError, match="missing values"):
        compute(recipe, [lbl], params=None, group="7")


def test_unequal_background_normalised_and_headline_matches_plots(recipe, hand_run):
    """bkgc of 1 scan under a 2-scan CSN set: subtracted twice (issue 13 item 4). Scan 1
    alone is [1, 10, 20] at masses 1, 2, 18, so the net CSN is the same [13, 1630, 95] as
    with both identical background scans (raw sums would give [14, 1640, 115])."""
    paths, plan = hand_run
    short = plan.parent / "inms_datasets_short_bkg.csv"
    short.write_text(plan.read_text().replace("7,bkgc,1,2,bkgc", "7,bkgc,1,1,bkgc"))
    res = compute(recipe, paths, [short], params={"ratio_min_sigma": "0"}, group="7")
    rows = {r["DATASET"]: r for r in res.tables[""]}
    assert rows["bkgc"]["N_SCANS"] == 1
    sp = res.tables["spectra"]
    np.testing.assert_allclose(sp[sp["DATASET"] == "csn"]["COUNTS_BKGSUB"], [13, 1630, 95])
    # sigma of the net: sqrt(total + 2^2 background) = sqrt(1650 + 4 * 10) at H2
    np.testing.assert_allclose(sp[sp["DATASET"] == "csn"]["COUNTS_BKGSUB_SIGMA"][1], math.sqrt(1690))
    on = rows["on"]
    assert on["H2_RATIO_BKGSUB"] == pytest.approx(125 / 1630)
    # per scan A = 125/2, C = 1630/2; var: A (135 + 10)/4, C 1690/4
    a, c = 125 / 2, 1630 / 2
    sig = math.sqrt((145 / 4) / c**2 + a**2 * (1690 / 4) / c**4)
    assert on["H2_RATIO_BKGSUB_SIGMA"] == pytest.approx(sig)
    assert any("bkgc (1 scans) scaled by 2/1" in n for n in res.notes), res.notes
    shown = f"{125 / 1630 * 100:.3f}%"
    headline = next(n for n in res.notes if "H2 crosstalk" in n)
    assert f"CS on {shown}" in headline
    fig = res.plots["crosstalk_cs_on"]
    fig = fig() if callable(fig) else fig  # plots are drawn lazily (matplotlib is optional)
    titles = fig._suptitle.get_text() + " " + " ".join(ax.get_title() for ax in fig.axes)
    assert f"H2 ratio={shown}" in titles
