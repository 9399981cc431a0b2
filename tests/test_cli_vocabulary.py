"""One CLI vocabulary: export's format from the suffix and no silent folder creation,
validate's --json and -o, colour on a terminal, inspect's records as rows in 80 columns
with --object and min/max, and `pdsgen plot`."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from pdsgen.cli.app import main


@pytest.fixture()
def product(tmp_path):
    from test_cli_inspect import make_product

    return make_product(tmp_path)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(("name", "fmt"), [("t.csv", "csv"), ("t.ECSV", "ecsv"), ("t.fits", "fits"),
                                           ("t.parquet", "parquet")])
def test_export_format_from_the_suffix(product, tmp_path, name, fmt):
    res = run("export", str(product), str(tmp_path / name))
    assert res.exit_code == 0, res.output
    assert res.output.strip().endswith(f"as {fmt}")
    from astropy.table import Table

    kw = {"format": {"csv": "ascii.csv", "ecsv": "ascii.ecsv", "fits": "fits", "parquet": "parquet"}[fmt]}
    t = Table.read(tmp_path / name, **kw)
    assert list(t["ID"]) == [1, 2, 3]


def test_export_unknown_suffix_and_missing_folder_exit_2(product, tmp_path):
    res = run("export", str(product), str(tmp_path / "t.dat"))
    assert res.exit_code == 2 and "give --to" in res.output
    res = run("export", str(product), str(tmp_path / "no" / "such" / "t.csv"))
    assert res.exit_code == 2 and "is not an existing folder (pdsgen does not create it)" in res.output
    assert not (tmp_path / "no").exists()


def test_validate_json_flag_and_out(product, tmp_path):
    res = run("validate", "--offline", "--no-context", "--jobs", "1", "--json", str(product))
    data = json.loads(res.output)
    assert data["summary"] == json.loads(run("validate", "--offline", "--no-context", "--jobs", "1",
                                             "--format", "json", str(product)).output)["summary"]
    res = run("validate", "--offline", "--no-context", "--jobs", "1", "--json", "-o", str(tmp_path / "r.json"),
              str(product))
    assert json.loads((tmp_path / "r.json").read_text())["summary"] == data["summary"]
    assert run("validate", "--json", "--format", "html", str(product)).exit_code == 2


def test_validate_colours_severities():
    from pdsgen.cli.validate import coloured

    text = "FAIL: x.xml\n  ERROR   error.label.schema [line 3]: bad\n  WARNING w: y\n\nSummary: 1 error(s)\n"
    out = coloured(text)
    assert "\x1b[31m" in out.split("\n")[1] and "\x1b[33m" in out.split("\n")[2]
    import click

    assert click.unstyle(out) == text


def test_inspect_records_as_rows_in_80_columns_with_min_max(product):
    res = run("inspect", str(product))
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    # the field list: TEMP is scaled by 0.5 with -1 missing: 100 and 200.5
    temp = next(line for line in lines if line.startswith("TEMP "))
    assert temp.split()[-2:] == ["100", "200.5"]
    header = next(i for i, line in enumerate(lines) if line.split() == ["ID", "TEMP"])
    assert [line.split() for line in lines[header + 1:header + 4]] == [["1", "100"], ["2", "--"], ["3", "200.5"]]


def test_inspect_object_and_json_min_max(product):
    res = run("inspect", str(product), "--object", "1", "--json")
    info = json.loads(res.output)
    assert [o["kind"] for o in info["objects"]] == ["array"] and info["objects"][0]["max"] == 5.0
    table = json.loads(run("inspect", str(product), "--json").output)["objects"][0]
    assert [(f.get("min"), f.get("max")) for f in table["fields"]] == [(1, 3), (100.0, 200.5)]
    res = run("inspect", str(product), "--object", "nope")
    assert res.exit_code == 2 and "nope" in res.output


def test_plot_table_and_image(product, tmp_path):
    pytest.importorskip("matplotlib")
    res = run("plot", str(product), "-o", str(tmp_path / "t.png"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")
    res = run("plot", str(product), "--object", "1", "-o", str(tmp_path / "i.png"))
    assert res.exit_code == 0, res.output
    from PIL import Image

    assert Image.open(tmp_path / "i.png").size == (700, 500)
    res = run("plot", str(product), "-o", str(tmp_path / "missing" / "x.png"))
    assert res.exit_code == 2 and "is not an existing folder (pdsgen does not create it)" in res.output


def test_plot_without_matplotlib_names_the_extra(product, tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    res = run("plot", str(product), "-o", str(tmp_path / "t.png"))
    assert res.exit_code == 2 and "pip install 'pdsgen[plots]'" in res.output
    assert not (tmp_path / "t.png").exists()


CHEMS = __import__("conftest").ROOT / "labels" / "chems"


def test_run_json_quiet_and_verbose_logging(tmp_path):
    args = ["run", "chems-pha", str(CHEMS / "CPHA0_2004183_0001.LBL"), "--cal", str(CHEMS / "CHEMS_PHA_CAL_V01.LBL"),
            "--set", "alpha=0.6", "-o", str(tmp_path / "out"), "-q", "--json"]
    import subprocess

    res = subprocess.run([sys.executable, "-m", "pdsgen", "-v", *args], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    doc = json.loads(res.stdout)
    (product,) = doc["products"]
    assert doc["recipe"] == "chems-pha" and product["error"] is None and product["records"] == 48
    # the table and its M vs M/Q browse plot
    assert product["outputs"] == [str(tmp_path / "out" / f"cpha0_2004183_0001_cal{s}.xml") for s in ("", "_m_vs_mq")]
    assert "INFO pdsgen.recipes.run: chems-pha: CPHA0_2004183_0001.LBL → cpha0_2004183_0001_cal.xml" in res.stderr
    assert "note" not in res.stderr  # -q: no notes


def test_recipes_and_demo_json(tmp_path):
    doc = json.loads(run("recipes", "--json").output)
    assert {r["name"] for r in doc} >= {"chems-pha", "fips-cdr", "iuvs-dark", "aca-dark", "inms-crosstalk"}
    res = CliRunner().invoke(main, ["demo", "--only", "chems", "-o", str(tmp_path / "d"), "--no-validate", "--json"])
    assert res.exit_code == 0, res.output
    demo = json.loads(res.stdout)
    (row,) = demo["instruments"]
    # per input: the calibrated table and its M vs M/Q browse plot
    assert row["instrument"] == "chems" and row["inputs"] == 3 and row["products"] == 2 * 3 and row["ok"]


def test_every_jobs_option_defaults_to_1_but_validates_auto():
    import click

    def walk(cmd, name=""):
        if isinstance(cmd, click.Group):
            for sub, c in cmd.commands.items():
                yield from walk(c, f"{name} {sub}".strip())
        else:
            yield name, cmd

    jobs = {name: p for name, cmd in walk(main) for p in cmd.params if p.name == "jobs"}
    assert {"run", "validate", "demo", "archive index", "archive regenerate"} <= set(jobs)
    # validate decides from the run's size (one process unless workers pay for their
    # Schematron compilation: docs/validate.md); every other command uses 1 unless asked
    assert {name: p.default for name, p in jobs.items()} == {**dict.fromkeys(jobs, 1), "validate": "auto"}
