"""QA regressions found by running the CLI as a user would (inspect/export/run/archive)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CORPUS

from pdsgen.cli import main


@pytest.fixture(scope="module")
def chems_raw(tmp_path_factory):
    from pdsgen.instruments.chems import demo as chems

    raw = tmp_path_factory.mktemp("chems")
    cal = chems.write_calibration(raw)
    pha = chems.write_pha(raw, 2004, 183, 40, np.random.default_rng(1))
    return pha, cal


@pytest.mark.parametrize("standard", ["pds3", "pds4"])
def test_set_parameter_provenance_is_typed(chems_raw, tmp_path, standard):
    """--set alpha=0.55: the label's provenance says alpha=0.55 (the float the algorithm
    used), not the command-line text alpha='0.55'; and the values were computed with it."""
    import pdsgen

    pha, cal = chems_raw
    res = CliRunner().invoke(main, ["run", "chems-pha", str(pha), "--cal", str(cal), "--set", "alpha=0.55",
                                    "--standard", standard, "--out", str(tmp_path), "-q"])
    assert res.exit_code == 0, res.output
    label = next(tmp_path.glob("*.lbl" if standard == "pds3" else "*.xml"))
    text = " ".join(label.read_text().split())
    assert "Parameters: alpha=0.55." in text
    assert "'0.55'" not in text
    # E = Q (E/Q) = Energy/alpha: the incident energy is the SSD energy divided by 0.55
    out = next(o for o in pdsgen.open(label) if o.kind == "table").to_table()
    energy = next(o for o in pdsgen.open(pha) if o.kind == "table").to_table()["Energy(keV)"]
    e = np.asarray(out["E"], dtype=float)
    ok = np.isfinite(e)
    assert ok.sum() > 20
    np.testing.assert_allclose(e[ok], np.asarray(energy, dtype=float)[ok] / 0.55, rtol=1e-6)


def test_parameters_text_typed_values():
    import astropy.units as u

    from pdsgen.render.provenance import parameters_text

    text = parameters_text({"a": np.float64(0.1 + 0.2), "n": np.int16(3), "t": -10.0 * u.deg_C,
                            "s": "before", "b": True})
    # exact repr of the float (not %g's 0.3), numpy ints unquoted, quantities with their unit
    assert text == "a=0.30000000000000004; b=true; n=3; s='before'; t=-10.0 deg_C"


def test_chems_pha_label_has_no_deprecated_values(chems_raw, tmp_path):
    """The built-in recipes' host reference uses Observing_System_Component type 'Host':
    'Spacecraft' is deprecated in the 1.M00 Schematron and made every product warn."""
    pha, cal = chems_raw
    res = CliRunner().invoke(main, ["run", "chems-pha", str(pha), "--cal", str(cal), "--out", str(tmp_path), "-q"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["validate", str(tmp_path), "--offline", "--no-context", "-j", "1"])
    assert res.exit_code == 0, res.output
    assert "0 error(s), 0 warning(s)" in res.output, res.output
    assert "<type>Host</type>" in next(tmp_path.glob("*.xml")).read_text()


@pytest.mark.parametrize("name", ["chems-pha", "fips-cdr", "iuvs-dark", "aca-dark", "inms-crosstalk"])
def test_builtin_recipes_use_current_component_types(name):
    from pdsgen.recipes import load_recipe

    spec = load_recipe(name).product
    types = {getattr(r, "type", None) or r.get("type") for r in (spec.observing_system or [])}
    assert "Spacecraft" not in types


@pytest.mark.shared
def test_export_fits_keeps_units_outside_the_fits_standard(tmp_path):
    """astropy's FITS writer drops TUNIT for units FITS does not know ('DN'); export keeps them."""
    import warnings

    from astropy.table import Table

    label = CORPUS / "validate" / "github379" / "mix_cal_hk_fpac_report_20181204.xml"
    out = tmp_path / "hk.fits"
    res = CliRunner().invoke(main, ["export", str(label), str(out), "--to", "fits"])
    assert res.exit_code == 0, res.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = Table.read(out)
    assert str(back["THRESHOLD_REGISTER"].unit) == "DN"
    assert str(back["PIXEL_LIST_FRACTION"].unit) == "DN"
    assert len(back) == 583 and back["PIXEL_LIST_FRACTION"][0] == 32768


def test_archive_unusable_input_exits_2(chems_raw, tmp_path):
    """Documented exit codes: 2 for unusable input (no index, a bundle LID that cannot be
    derived, a member that is not a PDS4 product, a bad time, --jobs 0); never 1."""
    pha, cal = chems_raw
    root = tmp_path / "b"
    for sub in ("one", "two"):
        res = CliRunner().invoke(main, ["run", "chems-pha", str(pha), "--cal", str(cal), "--out", str(root / sub), "-q"])
        assert res.exit_code == 0, res.output
    # a second collection under another LID prefix: no common bundle LID
    other = root / "two" / "cpha0_2004183_0001_cal.xml"
    other.write_text(other.read_text().replace("urn:nasa:pds:cassini_mimi_calibrated:", "urn:nasa:pds:other_bundle:"))
    runner = CliRunner()
    res = runner.invoke(main, ["archive", "find", str(root)])
    assert res.exit_code == 2 and "no archive index" in res.output
    assert runner.invoke(main, ["archive", "index", str(root), "-q"]).exit_code == 0
    # --full re-reads the two known labels: updated, not added
    res = runner.invoke(main, ["archive", "index", str(root), "-q", "--full"])
    assert res.exit_code == 0 and "2 products indexed: 0 added, 2 updated" in res.output, res.output
    res = runner.invoke(main, ["archive", "find", str(root), "--start", "garbage"])
    assert res.exit_code == 2 and "--start" in res.output
    res = runner.invoke(main, ["archive", "find", str(root), "--start", "2005:001", "--stop", "2004:001"])
    assert res.exit_code == 2 and "after --stop" in res.output
    res = runner.invoke(main, ["archive", "bundle", str(root), "--no-manifests"])
    assert res.exit_code == 2 and "give --lid" in res.output
    # checked before writing: no collection of the bundle was packaged on the way
    assert not list(root.glob("*/collection_*"))
    res = runner.invoke(main, ["archive", "index", str(root), "-j", "0"])
    assert res.exit_code == 2
    # PDS3 raw products are not PDS4 members of a collection
    res = runner.invoke(main, ["archive", "collection", str(pha.parent)])
    assert res.exit_code == 2 and "has no LID/VID" in res.output


def test_demo_bad_creation_time_is_a_usage_error(tmp_path):
    """A bad --creation-time is reported once (exit 2) before any raw data is generated,
    not as a failure of every instrument (exit 1 with an empty table)."""
    out = tmp_path / "demo"
    res = CliRunner().invoke(main, ["demo", "--out", str(out), "--only", "chems", "--no-validate",
                                    "--creation-time", "garbage"])
    assert res.exit_code == 2, res.output
    assert "--creation-time 'garbage'" in res.output and "ISO 8601" in res.output
    assert not (out / "raw").exists()


def test_bundle_with_a_bad_collection_writes_nothing(chems_raw, tmp_path):
    """A PDS3 product in the second collection stops `archive bundle` before the first
    collection's inventory and label are written (no half-packaged delivery)."""
    import shutil

    pha, cal = chems_raw
    root = tmp_path / "bundle"
    res = CliRunner().invoke(main, ["run", "chems-pha", str(pha), "--cal", str(cal), "--out", str(root / "a_data"), "-q"])
    assert res.exit_code == 0, res.output
    (root / "z_raw").mkdir()
    for f in pha.parent.glob(pha.stem + ".*"):
        shutil.copy(f, root / "z_raw" / f.name)
    res = CliRunner().invoke(main, ["archive", "bundle", str(root), "--lid", "urn:nasa:pds:qa", "--no-manifests"])
    assert res.exit_code == 2 and "has no LID/VID" in res.output and pha.name in res.output
    assert sorted(p.name for p in (root / "a_data").iterdir()) == ["cpha0_2004183_0001_cal.tab",
                                                                   "cpha0_2004183_0001_cal.xml"]
    assert not list(root.glob("bundle_*"))


FILLED = '''[expressions]
M_Q = "2 * (tau / dist) ** 2 * E_Q"
Q = "(Energy / alpha) / E_Q"
M = "2 * (tau / dist) ** 2 * (Energy / alpha)"
E = "Q * E_Q"

[product]
lid = "urn:nasa:pds:qa:data:{stem}_cal"
product_id = "{STEM}_CAL"
file_name = "{stem}_cal.tab"
title = "QA {STEM}"
investigations = [{ name = "Cassini-Huygens", type = "Mission", lid = "urn:nasa:pds:context:investigation:mission.cassini-huygens" }]
observing_system = [{ name = "Cassini Orbiter", type = "Host", lid = "urn:nasa:pds:context:instrument_host:spacecraft.co" }]
targets = [{ name = "Saturn", type = "Planet", lid = "urn:nasa:pds:context:target:planet.saturn" }]
'''


@pytest.mark.shared
def test_document_skeleton_says_what_to_fill_and_filled_matches_chems_pha(chems_raw, tmp_path):
    """The README tour: `recipe from-document` on the CHEMS PHA seed, then `recipe show`/`run`.
    The unfilled skeleton is refused with a hint; filled in with the document's four formulas
    (and output units) it computes what the built-in chems-pha does."""
    import pdsgen

    pha, cal = chems_raw
    seed = next((CORPUS.parent / "seeds").glob("002_*.txt"))
    skel = tmp_path / "chems.toml"
    res = CliRunner().invoke(main, ["recipe", "from-document", str(seed), "-o", str(skel)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["recipe", "show", str(skel)])
    assert res.exit_code == 2 and "recipe from-document` skeleton" in res.output
    text = skel.read_text().replace("[parameters.alpha]\n", "[parameters.alpha]\ndefault = 0.5\n")
    for name, unit in (("M_Q", "u/e"), ("Q", "e"), ("M", "u"), ("E", "keV")):
        text = text.replace(f'[[outputs]]\nname = "{name}"\n', f'[[outputs]]\nname = "{name}"\nunit = "{unit}"\n')
    text = text[:text.index("# [expressions]")] + FILLED
    skel.write_text(text)
    for recipe, out in ((str(skel), tmp_path / "doc"), ("chems-pha", tmp_path / "builtin")):
        res = CliRunner().invoke(main, ["run", recipe, str(pha), "--cal", str(cal), "--set", "alpha=0.85",
                                        "--out", str(out), "-q"])
        assert res.exit_code == 0, res.output

    def table(folder):
        return next(o for o in pdsgen.open(next(folder.glob("*.xml"))) if o.kind == "table").to_table()

    doc, ref = table(tmp_path / "doc"), table(tmp_path / "builtin")
    measured = ~np.ma.getmaskarray(ref["M"])
    assert measured.sum() > 20
    for mine, theirs in (("M_Q", "MQ"), ("Q", "Q"), ("M", "M"), ("E", "E")):
        assert doc[mine].unit == ref[theirs].unit
        np.testing.assert_allclose(np.asarray(doc[mine], float)[measured],
                                   np.asarray(ref[theirs], float)[measured], rtol=2e-6)


def test_regenerate_after_calibration_change_and_failure(chems_raw, tmp_path):
    """A changed calibration makes the chems product stale (dry run names it); a broken one
    makes the remake fail with exit 1, the reason naming the label once, the product untouched;
    the fixed calibration then remakes it as version 1.1 with the new separation distance."""
    import shutil

    import pdsgen

    pha, cal = chems_raw
    root = tmp_path / "archive"
    (root / "raw").mkdir(parents=True)
    for f in list(pha.parent.glob(pha.stem + ".*")) + list(cal.parent.glob(cal.stem + ".*")):
        shutil.copy(f, root / "raw" / f.name)
    run = ["run", "chems-pha", str(root / "raw" / pha.name), "--cal", str(root / "raw" / cal.name),
           "--out", str(root / "calibrated"), "-q", "--creation-time", "2026-01-01T00:00:00Z"]
    assert CliRunner().invoke(main, run).exit_code == 0
    assert CliRunner().invoke(main, ["archive", "index", str(root), "-q"]).exit_code == 0
    csv = root / "raw" / (cal.stem + ".CSV")
    good = csv.read_text()
    head, row = good.split("\n", 1)
    sep_at = head.split(",").index('"sep_distance(cm)"')
    fields = row.split(",")
    old_sep = float(fields[sep_at])
    fields[sep_at] = f"{old_sep * 1.1:.2f}"
    csv.write_text(head + "\n" + ",".join(fields))
    res = CliRunner().invoke(main, ["archive", "regenerate", str(root), "--dry-run"])
    assert res.exit_code == 0 and "1 products to remake" in res.output and "calibration" in res.output
    broken = list(fields)
    broken[sep_at] = "abc"
    csv.write_text(head + "\n" + ",".join(broken))
    label = root / "calibrated" / (pha.stem.lower() + "_cal.xml")
    before = label.read_bytes()
    res = CliRunner().invoke(main, ["archive", "regenerate", str(root), "--no-validate"])
    assert res.exit_code == 1, res.output
    line = next(ln for ln in res.output.splitlines() if ln.startswith("failed: "))
    assert line.count(label.name) == 1 and "'abc'" in line
    assert label.read_bytes() == before
    csv.write_text(head + "\n" + ",".join(fields))
    res = CliRunner().invoke(main, ["archive", "regenerate", str(root), "--no-validate", "--restart",
                                    "--creation-time", "2026-01-02T00:00:00Z"])
    assert res.exit_code == 0, res.output
    assert "<version_id>1.1</version_id>" in label.read_text()
    old = next(o for o in pdsgen.open(pha) if o.kind == "table")
    new = next(o for o in pdsgen.open(label) if o.kind == "table").to_table()
    assert len(new) == len(old.to_table())
    # M/Q scales with 1/dist^2
    ref = CliRunner().invoke(main, ["run", "chems-pha", str(pha), "--cal", str(cal), "--out", str(tmp_path / "ref"), "-q"])
    assert ref.exit_code == 0
    first = next(o for o in pdsgen.open(next((tmp_path / "ref").glob("*.xml"))) if o.kind == "table").to_table()
    np.testing.assert_allclose(np.asarray(new["MQ"], float) / np.asarray(first["MQ"], float),
                               (old_sep / float(fields[sep_at])) ** 2, rtol=1e-5)


@pytest.mark.shared
def test_export_cube_to_csv_same_cells_as_astropy(tmp_path):
    """A 2×32×512 THEMIS cube as CSV (16,384 columns ``themis_image[i,j]``) is written through
    Arrow, byte-identical to astropy's writer (which took 7 s for it)."""
    import warnings

    from astropy.table import Table

    import pdsgen

    label = CORPUS / "validate" / "github1294" / "t014_b0606_sp_20110528_17550949_y3.xml"
    out = tmp_path / "cube.csv"
    res = CliRunner().invoke(main, ["export", str(label), str(out), "--to", "csv"])
    assert res.exit_code == 0, res.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cube = np.asarray(next(o for o in pdsgen.open(label) if o.kind == "array").data)
    ref = Table([cube[:, j, k] for j in range(cube.shape[1]) for k in range(cube.shape[2])],
                names=[f"themis_image[{j},{k}]" for j in range(cube.shape[1]) for k in range(cube.shape[2])])
    ref.write(tmp_path / "ref.csv", format="ascii.csv")
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()


def test_export_big_endian_float_image_to_csv(tmp_path):
    """A FITS (big-endian float32) dark image exports to CSV; every cell reads back to the
    exact float32 value, one CSV row per image row."""
    from astropy.table import Table

    import pdsgen
    from pdsgen.instruments.aca import demo as aca

    data = aca.generate(tmp_path / "raw", seed=3, size=8, n_cals=1)
    label = data.inputs[0]
    out = tmp_path / "dark.csv"
    res = CliRunner().invoke(main, ["export", str(label), str(out), "--to", "csv"])
    assert res.exit_code == 0, res.output
    image = next(o for o in pdsgen.open(label) if o.kind == "array")
    expected = np.asarray(image.data, dtype=np.float32)
    back = Table.read(out, format="ascii.csv")
    assert back.colnames == [f"{image.name}[{k}]" for k in range(8)]
    got = np.array([back[c] for c in back.colnames]).T.astype(np.float32)
    assert got.shape == expected.shape == (8, 8)
    np.testing.assert_array_equal(got, expected)
    assert all("." in cell or "e" in cell for cell in out.read_text().splitlines()[1].split(","))


@pytest.mark.parametrize("name", ["fips-cdr", "iuvs-dark"])
def test_recipe_toml_copy_finds_the_shipped_default_calibrations(name, tmp_path):
    """`recipe show NAME --toml > my.toml` is how a built-in is customised; the copy must
    still find the default calibration files shipped beside the built-ins."""
    res = CliRunner().invoke(main, ["recipe", "show", name, "--toml"])
    assert res.exit_code == 0
    copy = tmp_path / "my.toml"
    copy.write_text(res.output)
    res = CliRunner().invoke(main, ["recipe", "show", str(copy)])
    assert res.exit_code == 0, res.output


def test_fips_recipe_copy_gives_the_builtin_products(tmp_path):
    from pdsgen.resources import labels_dir

    fips = labels_dir() / "fips"
    copy = tmp_path / "my-fips.toml"
    copy.write_text(CliRunner().invoke(main, ["recipe", "show", "fips-cdr", "--toml"]).output)
    outs = []
    for recipe in ("fips-cdr", str(copy)):
        out = tmp_path / ("out" + str(len(outs)))
        res = CliRunner().invoke(main, ["run", recipe, str(fips / "FIPS_SCAN_2011100_EDR.lbl"), "--out", str(out), "-q",
                                        "--cal", str(fips / "fips_eq_table.csv"),
                                        "--cal", str(fips / "fips_proton_efficiency.csv"),
                                        "--creation-time", "2026-01-01T00:00:00Z"])
        assert res.exit_code == 0, res.output
        outs.append(out)
    tabs = [sorted(o.glob("*.tab")) for o in outs]
    assert [p.name for p in tabs[0]] == [p.name for p in tabs[1]] and tabs[0]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(tabs[0], tabs[1], strict=True))
