"""`pdsgen recipe from-document`: the variable sections of a MIMI algorithm document."""

from __future__ import annotations

import tomllib

import pytest
from conftest import SEEDS

from pdsgen.errors import LabelError, RecipeError
from pdsgen.shorthand.document import identifier, parse_document, read_document, to_recipe_toml

SYNTHETIC = """\
PDS_VERSION_ID = PDS3
RECORD_TYPE    = STREAM
OBJECT         = ASCII_DOCUMENT
  DOCUMENT_NAME = "INCA ACC ALGORITHM DESCRIPTION"
  DESCRIPTION   = "Version 1.3"
  PUBLICATION_DATE = 2006-01-02
END_OBJECT     = ASCII_DOCUMENT
END

INTRODUCTION:
How to calibrate
INCA accumulation rates.

RESULT VARIABLES:
rate = counts/(gf*dt)
flux = rate/
       width

INPUT VARIABLES FROM A DATA PRODUCT:
counts: dp:IACC:"sci":("Start_Ephemeris_s"):[(datacolumntype)], counts in
        the selected column
dt: IACC:dp:Integration_Time(ms)*1e-3 (in seconds), accumulation time

INPUT VARIABLES FROM A CALIBRATION FILE:
gf: cdf:"GEOM_FACTOR":"ACC":"INCA":"DETECTOR":("Particle"):
    ("Start_Year"):("Start_DDOY"):["midpoint_value"] = geometric factor
width: IACC:cdf:channel_(chan)_width(keV), channel width

VARIABLES TO BE PROVIDED BY DATA USERS:
eff: detection efficiency, between 0 and 1
bias: a number greater than 2.5 and less than 7

NOTES:
DPPS: this header-like line is a new section, not an entry.
"""


def test_synthetic_document_sections():
    doc = parse_document(SYNTHETIC)
    assert doc.title == "INCA ACC ALGORITHM DESCRIPTION" and doc.version == "1.3" and doc.date == "2006-01-02"
    assert doc.introduction == "How to calibrate INCA accumulation rates."
    assert [(r.symbol, r.formula) for r in doc.results] == [("rate", "counts/(gf*dt)"), ("flux", "rate/ width")]
    by = {e.symbol: e for e in doc.inputs}
    assert list(by) == ["counts", "dt", "gf", "width"]
    assert str(by["counts"].reference) == 'dp:IACC:"sci":(Start_Ephemeris_s):[(datacolumntype)]'
    assert by["counts"].description == "counts in the selected column"
    assert by["dt"].conversion.steps == (("*", 1e-3),) and by["dt"].unit == "s"
    # the two-line reference is read whole; "= description" style is kept as description
    assert by["gf"].reference.rows[-1].text == "Start_DDOY"
    assert by["gf"].ref_text.startswith('cdf:"GEOM_FACTOR"') and "\n" not in by["gf"].ref_text
    assert by["width"].unit == "keV" and by["width"].reference.variables == ("chan",)
    params = {p.symbol: (p.min, p.max) for p in doc.parameters}
    assert params == {"eff": (0.0, 1.0), "bias": (2.5, 7.0)}


def test_skeleton_toml_parses_and_keeps_references():
    text = to_recipe_toml(parse_document(SYNTHETIC))
    data = tomllib.loads(text)
    assert data["recipe"]["name"] == "inca-acc"
    assert data["inputs"]["dt"] == {
        "ref": "IACC:dp:Integration_Time(ms)", "convert": "*1e-3", "unit": "s", "description": "accumulation time",
    }
    assert "bind" not in data["inputs"]["width"]  # chan is not an input of the document
    assert "# variables to bind" in text
    assert [o["name"] for o in data["outputs"]] == ["rate", "flux"]


def test_not_an_algorithm_document():
    with pytest.raises(RecipeError, match="no RESULT VARIABLES"):
        parse_document("PDS_VERSION_ID = PDS3\nEND\nJust some text.\n")


def test_label_without_end():
    with pytest.raises(LabelError, match="without an END"):
        parse_document("PDS_VERSION_ID = PDS3\nOBJECT = X\n")


def test_bad_reference_in_an_entry_names_the_line(tmp_path):
    p = tmp_path / "doc.txt"
    p.write_text("INPUT VARIABLES FROM A DATA PRODUCT:\nx: CPHA:dp:\"sci\n")
    with pytest.raises(RecipeError) as err:
        read_document(p)
    assert "doc.txt:2" in str(err.value) and "input 'x'" in str(err.value)


def test_identifier():
    assert identifier("E/Q") == "E_Q" and identifier("M/Q") == "M_Q" and identifier("1x") == "v_1x"


@pytest.mark.shared
def test_seed_002_yields_the_chems_inputs():
    (seed,) = SEEDS.glob("002_*")
    doc = read_document(seed)
    assert doc.title == "CHEMS PULSE HEIGHT ANALYSIS ALGORITHM DESCRIPTION"
    assert doc.version == "2.0" and doc.date == "2005-03-01"
    got = {e.symbol: (e.ref_text, str(e.conversion) if e.conversion else None, e.unit) for e in doc.inputs}
    assert got == {
        "tau": ("CPHA:dp:Time_of_Flight(Microsec)", "/1000000", "s"),
        "Energy": ("CPHA:dp:Energy(keV)", None, "keV"),
        "step": ("CPHA:dp:DPPS_Level", None, None),
        "dist": ("CPHA:cdf:sep_distance(cm)", "/100", "m"),
        "E/Q": ("CPHA:cdf:step_(step)_E/Q(keV/e)", None, "keV/e"),
    }
    descriptions = {e.symbol: e.description for e in doc.inputs}
    assert descriptions["tau"] == "the time of light measured"  # as the seed writes it
    assert descriptions["dist"] == "the separation distance between the microplates"
    assert [p.symbol for p in doc.parameters] == ["alpha"] and doc.parameters[0].max == 1.0
    assert [r.symbol for r in doc.results] == ["M/Q", "Q", "M", "E"]
    assert doc.results[0].formula == "2(tau/dist)^2*(E'/Q)"

    data = tomllib.loads(to_recipe_toml(doc))
    assert set(data["inputs"]) == {"tau", "Energy", "step", "dist", "E_Q"}
    assert data["inputs"]["E_Q"]["bind"] == {"step": "DPPS_Level"}
    assert data["inputs"]["tau"]["convert"] == "/1000000"
    assert data["parameters"]["alpha"]["max"] == 1.0 and "Pulse Height Defect" in data["parameters"]["alpha"]["description"]
    assert data["recipe"]["name"] == "chems-pulse-height-analysis"


@pytest.mark.shared
def test_seed_002_skeleton_completed_loads_as_a_recipe():
    """The skeleton's keys are the recipe format's: once the author adds the expressions
    and the product naming, the recipes loader accepts it unchanged."""
    from pdsgen.recipes.loader import recipe_from_dict

    (seed,) = SEEDS.glob("002_*")
    text = to_recipe_toml(read_document(seed)) + """
[expressions]
M_Q = "2 * (tau / dist) ** 2 * E_Q"
Q = "(Energy / alpha) / E_Q"
M = "2 * (tau / dist) ** 2 * (Energy / alpha)"
E = "Q * E_Q"

[product]
lid = "urn:nasa:pds:test:data:{stem}_cal"
product_id = "{STEM}_CAL"
file_name = "{stem}_cal.tab"
"""
    recipe = recipe_from_dict(tomllib.loads(text))
    assert list(recipe.inputs) == ["tau", "Energy", "step", "dist", "E_Q"]
    assert recipe.inputs["E_Q"].bind == {"step": "DPPS_Level"}
    assert recipe.parameters["alpha"].max == 1.0
    assert [o.name for o in recipe.outputs] == ["M_Q", "Q", "M", "E"]
