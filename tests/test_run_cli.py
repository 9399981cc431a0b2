"""CLI surface of the recipes: `pdsgen recipes`, `recipe show`, `run --templates`, grouping,
and the shipped reference inputs in labels/fips running through their recipe."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pdsgen.cli import main
from pdsgen.errors import RecipeError
from pdsgen.recipes import load_recipe, recipe_from_dict
from pdsgen.recipes.run import group_inputs, run_recipe
from pdsgen.resources import labels_dir, templates_dir


def test_recipes_list_and_show():
    res = CliRunner().invoke(main, ["recipes"])
    assert res.exit_code == 0
    assert "chems-pha" in res.output and "fips-cdr" in res.output
    res = CliRunner().invoke(main, ["recipe", "show", "chems-pha"])
    assert res.exit_code == 0
    assert "CPHA:cdf:step_(step)_E/Q(keV/e)" in res.output and "alpha" in res.output and "(0.0, 1.0)" in res.output
    assert "u / e" in res.output or "u/e" in res.output
    res = CliRunner().invoke(main, ["recipe", "show", "fips-cdr", "--toml"])
    assert res.exit_code == 0 and res.output.startswith("[recipe]")
    res = CliRunner().invoke(main, ["recipe", "show", "nope"])
    assert res.exit_code == 2 and "no recipe 'nope'" in res.output
    res = CliRunner().invoke(main, ["recipe", "show", "aca-dark"])
    assert res.exit_code == 0 and "None" not in res.output
    assert "scale_4c     = 1.4285714285714286  > 0.0" in res.output  # one bound only
    assert "(one of nearest, before, after)" in res.output
    assert "[scaled_dark] aca_dark_selected_scaled.img" in res.output  # every product part


def test_reference_fips_inputs_run(tmp_path):
    fips = labels_dir() / "fips"
    res = CliRunner().invoke(main, ["run", "fips-cdr", str(fips), "--out", str(tmp_path), "-q",
                                    "--cal", str(fips / "fips_eq_table.csv"),
                                    "--cal", str(fips / "fips_proton_efficiency.csv")])
    assert res.exit_code == 0, res.output
    assert "3 of 3 inputs done" in res.output
    # two products per input: the PHA EDRs give events and a velocity distribution, the scan
    # EDR its spectra and their E/q browse plot
    assert len(list(tmp_path.glob("*.xml"))) == 3 * 2


def test_templates_override(tmp_path):
    custom = tmp_path / "tpl" / "pds4"
    custom.mkdir(parents=True)
    src = (templates_dir() / "pds4" / "Product_Observational_table.xml.j2").read_text()
    marker = "<!-- project template: mission X -->"
    lines = src.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == "<Observation_Area>")
    lines.insert(at, "  " + marker + "\n")
    (custom / "Product_Observational_table.xml.j2").write_text("".join(lines))
    fips = labels_dir() / "fips"
    out = tmp_path / "out"
    rep = run_recipe(load_recipe("fips-cdr"), [fips / "FIPS_SCAN_2011100_EDR.lbl"], out,
                     cal_files=[fips / "fips_eq_table.csv", fips / "fips_proton_efficiency.csv"],
                     templates_dir=tmp_path / "tpl")
    assert not rep.failed, rep.failed[0].error if rep.failed else ""
    assert marker in (out / "fips_scan_2011100_edr_cdr.xml").read_text()


def _agg(group_by):
    return recipe_from_dict({
        "recipe": {"name": "agg", "algorithm": "x:y", "aggregate": True, "group_by": group_by},
        "outputs": [{"name": "o"}],
        "product": {"lid": "urn:nasa:pds:b:c:{group}", "product_id": "{GROUP}", "file_name": "{group}.tab"},
    })


def test_grouping():
    paths = [Path(p) for p in ("a/R1020_D001_S001.xml", "a/R1020_D001_S002.xml", "b/R1021_D000_S001.xml")]
    assert group_inputs(paths, _agg("all")) == [("agg", paths)]
    assert group_inputs(paths, _agg(r"name:^(R\d+)_")) == [("R1020", paths[:2]), ("R1021", paths[2:])]
    with pytest.raises(RecipeError, match="does not match group_by"):
        group_inputs([Path("x.xml")], _agg(r"name:^(R\d+)_"))
    assert group_inputs(paths, load_recipe("chems-pha")) == [(None, [p]) for p in paths]


def test_notes_and_errors_printed_verbatim(tmp_path):
    """Run notes/errors are text, not rich markup or emoji codes (":100:" stays ":100:")."""
    from datetime import UTC, datetime

    import numpy as np

    from pdsgen.instruments.aca import demo as aca

    img = np.zeros((4, 4), np.float32)
    cals = [aca.write_dark_cal(tmp_path, start=datetime(y, 1, 1, tzinfo=UTC), image_e_per_s=img,
                               replica_t_ccd=[-12.0]) for y in (2004, 2006)]
    bad = aca.write_dark_cal(tmp_path, start=datetime(2008, 1, 1, tzinfo=UTC), image_e_per_s=img,
                             replica_t_ccd=[])
    lbl = bad.read_text()
    bad.write_text(lbl.replace("<title>", "<title>[bold]x[/bold] ", 1))
    res = CliRunner().invoke(main, ["run", "aca-dark", *map(str, cals), "--out", str(tmp_path / "out"),
                                    "--set", "date=2005:100", "--set", "select=after"])  # (-q silences notes)
    assert res.exit_code == 0, res.output
    assert "after 2005:100: dark calibration 2006001" in res.output
    res = CliRunner().invoke(main, ["run", "aca-dark", *map(str, cals), str(bad), "--out", str(tmp_path / "o2"),
                                    "-q", "--set", "stop=[2007:001]"])
    assert res.exit_code == 1 and "'[2007:001]' is not a date" in res.output  # markup-like text kept


def test_readers_and_recipes_list_what_is_registered(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich's table width: no wrapped cells
    res = CliRunner().invoke(main, ["readers"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    pds4 = next(i for i, line in enumerate(lines) if "PDS4" in line and "pdsgen.pds4.product" in line)
    pds3 = next(i for i, line in enumerate(lines) if "PDS3" in line and "pdsgen.pds3.product" in line)
    assert pds4 < pds3  # tried first: priority 20 before 10
    assert "pds3_image" in res.output and "VAX_F_Float" in res.output and "SignedMSB4" in res.output
    res = CliRunner().invoke(main, ["recipes"])
    assert res.exit_code == 0, res.output
    row = next(line for line in res.output.splitlines() if "inms-crosstalk" in line)
    assert "inms" in row.replace("inms-crosstalk", "") and "inms_crosstalk" in row
    assert "pdsgen.instruments.aca.adapter:aca_dark_algorithm" in res.output


def test_registry_rules():
    from pdsgen.plugins import Registry, RegistryError

    reg: Registry[str] = Registry("thing")
    reg.register("a", "low", priority=0)
    reg.register("a", "high", priority=5)
    assert reg.get("a") == "high" and reg.names() == ["a"]
    with pytest.raises(RegistryError, match="'a' is already registered at priority 5"):
        reg.register("a", "again", priority=5)
    reg.register("b", "bee", priority=5)
    with pytest.raises(RegistryError, match="ambiguous thing: 'a' .* and 'b' .* priority 5"):
        reg.find(lambda item: item in ("high", "bee"))
    assert reg.find(lambda item: item == "low").name == "a"  # lower level reached when the top declines
    reg.unregister("a", priority=5)
    assert reg.get("a") == "low"
    with pytest.raises(RegistryError, match=r"no thing 'zz' \(registered: a, b\)"):
        reg.get("zz")
    with pytest.raises(KeyError):  # RegistryError is a KeyError for look-up callers
        reg.get("zz")
