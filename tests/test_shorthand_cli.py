"""`pdsgen resolve` and `pdsgen recipe from-document` through click."""

from __future__ import annotations

import json
import tomllib

import pytest
from click.testing import CliRunner
from conftest import SEEDS

from pdsgen.cli import main
from pdsgen.resources import labels_dir

CHEMS = labels_dir() / "chems"
PHA = str(CHEMS / "CPHA0_2004183_0001.CSV")
CAL = str(CHEMS / "CHEMS_PHA_CAL_V01.CSV")
GEOM = str(CHEMS / "MIMI_GEOM_FACTOR_V01.CSV")


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_resolve_one_value():
    r = run("resolve", "CPHA:cdf:step_(step)_E/Q(keV/e)", "--cdp", CAL, "--var", "step=3")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "145.2"  # 220*(3/220)^(3/31) to 4 digits


def test_resolve_per_record_json():
    r = run("resolve", "CPHA:cdf:step_(step)_E/Q(keV/e)", "--dp", PHA, "--cdp", CAL, "--bind", "step=DPPS_Level", "--json")
    assert r.exit_code == 0, r.output
    values = json.loads(r.output)
    assert len(values) == 48 and values[:3] == [191.5, 95.81, 36.32]  # steps 1, 6, 13


def test_resolve_text_values_and_latest():
    r = run("resolve", 'dp:CPHA:"sci":["UTC"]', "--dp", PHA, "--json")
    assert json.loads(r.output)[0] == "2004-183T00:56:58.341"
    ref = 'cdf:"GEOM_FACTOR":"ACC":"INCA":"DETECTOR":("Particle"):("Start_Year"):("Start_DDOY"):["midpoint_value"]'
    r = run("resolve", ref, "--cdp", GEOM, "--var", "Particle=O", "--var", "Start_Year=2004",
            "--var", "Start_DDOY=200.5", "--latest", "Start_Year", "--latest", "Start_DDOY")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "1.75"


def test_resolve_sensor_override(tmp_path):
    p = tmp_path / "events.csv"
    p.write_text("Purpose,E\nsci,1.5\nsci,2\n")
    assert run("resolve", "CPHA:dp:E", "--dp", str(p)).exit_code == 2
    r = run("resolve", "CPHA:dp:E", "--dp", str(p), "--sensor", "events.csv=CPHA")
    assert r.exit_code == 0 and r.output.split() == ["1.5", "2.0"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["CPHA:cdf:step_(step)_E/Q(keV/e)", "--cdp", CAL, "--var", "step=40"], "did you mean"),
        (["CPHA:cdf:step_(step)_E/Q(keV/e)", "--cdp", CAL], "unbound variable"),
        (['cdf:"GEOM_FACTOR":"ACC":"INCA":["midpoint_value"]', "--cdp", GEOM], "records match where one value is needed"),
        (["CPHA:cdf:sep_distance(cm", "--cdp", CAL], "unclosed '('"),
        (["CPHA:cdf:x", "--cdp", "/nonexistent.csv"], "no such file"),
    ],
)
def test_resolve_errors_exit_2_with_one_message(args, words):
    r = run("resolve", *args)
    assert r.exit_code == 2
    assert words in r.output and "Traceback" not in r.output


def test_resolve_object_option():
    pytest.importorskip("pdsgen.pds3.product", reason="PDS3 reader (issue 3) not in the tree yet")
    lbl = str(CHEMS / "CHEMS_PHA_CAL_V01.LBL")
    r = run("resolve", "CPHA:cdf:sep_distance(cm)", "--cdp", lbl, "--object", "SPREADSHEET")
    assert r.exit_code == 0 and r.output.strip() == "10.0"
    r = run("resolve", "CPHA:cdf:sep_distance(cm)", "--cdp", lbl, "--object", "NOPE")
    assert r.exit_code == 2 and "NOPE" in r.output


def test_resolve_bad_option_syntax():
    r = run("resolve", "CPHA:cdf:x", "--cdp", CAL, "--var", "step")
    assert r.exit_code == 2 and "NAME=VALUE" in r.output


@pytest.mark.shared
def test_from_document_on_seed_002(tmp_path):
    (seed,) = SEEDS.glob("002_*")
    r = run("recipe", "from-document", str(seed))
    assert r.exit_code == 0, r.output
    data = tomllib.loads(r.output)
    assert data["inputs"]["dist"]["ref"] == "CPHA:cdf:sep_distance(cm)"
    out = tmp_path / "chems.toml"
    r = run("recipe", "from-document", str(seed), "-o", str(out), "--name", "my-chems")
    assert r.exit_code == 0
    assert tomllib.loads(out.read_text())["recipe"]["name"] == "my-chems"
    assert [p.name for p in tmp_path.iterdir()] == ["chems.toml"]  # no temporary left


def test_from_document_not_a_document(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello\n")
    r = run("recipe", "from-document", str(p))
    assert r.exit_code == 2 and "no RESULT VARIABLES" in r.output
