"""Recipe TOML loading and validation: built-ins load, every mistake is a RecipeError naming file and key."""

from __future__ import annotations

import astropy.units as u
import pytest

from pdsgen.errors import RecipeError
from pdsgen.recipes import list_builtin, load_recipe, recipe_from_dict

BASE = """
[recipe]
name = "t-recipe"
algorithm = "expressions"

[inputs.a]
column = "A"
unit = "s"

[parameters.k]
default = 2.0
min = 0.0
max = 10.0

[[outputs]]
name = "B"
unit = "ms"

[expressions]
B = "a * k"

[product]
lid = "urn:nasa:pds:b:c:{stem}"
product_id = "{STEM}"
file_name = "{stem}.tab"
"""


def write(tmp_path, text, name="r.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_builtins_load():
    names = list_builtin()
    assert {"chems-pha", "fips-cdr"} <= set(names)
    chems = load_recipe("chems-pha")
    assert chems.algorithm == "chems_pha"
    assert chems.inputs["tau"].convert == "/1000000" and chems.inputs["tau"].unit == "s"
    assert chems.inputs["eq"].bind == {"step": "DPPS_Level"}
    assert [o.name for o in chems.outputs] == ["utc", "step", "M", "MQ", "Q", "E"]
    fips = load_recipe("fips-cdr")
    assert fips.parts == ["espec", "pha", "vdist"]
    assert fips.calibrations["angles"].default == "fips_angle_constants.csv"


def test_user_file_loads_and_params(tmp_path):
    r = load_recipe(write(tmp_path, BASE))
    assert r.name == "t-recipe" and r.path.name == "r.toml"
    assert r.resolve_params({}) == {"k": 2.0}
    assert r.resolve_params({"k": "3.5"}) == {"k": 3.5}
    with pytest.raises(RecipeError, match=r"outside \(0.0, 10.0\)"):
        r.resolve_params({"k": "10"})
    with pytest.raises(RecipeError, match="not a valid float"):
        r.resolve_params({"k": "abc"})
    with pytest.raises(RecipeError, match="no parameter 'x'"):
        r.resolve_params({"x": "1"})


def test_parameter_units_and_bounds():
    r = recipe_from_dict({
        "recipe": {"name": "p", "algorithm": "x:y"},
        "parameters": {"t": {"default": -19.0, "unit": "deg_C"}, "n": {"default": 3, "min": 1, "max": 5,
                                                                      "inclusive": True},
                       "mode": {"default": "nearest", "choices": ["nearest", "before", "after"]}},
        "outputs": [{"name": "o"}],
        "product": {"lid": "urn:nasa:pds:b:c:{stem}", "product_id": "{STEM}", "file_name": "{stem}.tab"},
    })
    p = r.resolve_params({"t": "-15 deg_C", "n": "5"})
    assert p["t"].unit == u.deg_C and p["t"].value == pytest.approx(-15.0)
    assert r.resolve_params({"t": 258.15 * u.K})["t"].value == pytest.approx(-15.0)
    assert p["n"] == 5
    with pytest.raises(RecipeError, match="cannot be converted"):
        r.resolve_params({"t": "3 m"})
    with pytest.raises(RecipeError, match="not one of"):
        r.resolve_params({"mode": "sideways"})
    with pytest.raises(RecipeError, match="not a valid int"):
        r.resolve_params({"n": "2.5"})


def test_chems_alpha_bounds_exclusive():
    r = load_recipe("chems-pha")
    for bad in ("0", "1", "1.2", "-0.5", "nan"):
        with pytest.raises(RecipeError, match="alpha"):
            r.resolve_params({"alpha": bad})
    assert r.resolve_params({"alpha": "0.999"})["alpha"] == pytest.approx(0.999)


@pytest.mark.parametrize("edit, message", [
    (("[recipe]\n", "[recipe]\nbogus = 1\n"), "unknown key 'bogus'"),
    (('name = "t-recipe"', 'name = "T Recipe"'), "lower-case"),
    (('unit = "ms"', 'unit = "furlongs per fortnight"'), "not a unit"),
    (('[[outputs]]\nname = "B"', '[[outputs]]\nname = "B"\ndata_type = "complex"'), "data_type"),
    (('[[outputs]]\nname = "B"', '[[outputs]]\nname = "B"\nformat = "%q"'), "printf format"),
    (('B = "a * k"', 'B = "__import__(\'os\').system(\'true\')"'), "not allowed"),
    (('B = "a * k"', 'B = "a.real"'), "Attribute is not allowed"),
    (('B = "a * k"', 'B = "a[0]"'), "Subscript is not allowed"),
    (('B = "a * k"', 'B = "(lambda: 1)()"'), "not allowed"),
    (('B = "a * k"', 'B = "a * zz"'), "unknown name 'zz'"),
    (('B = "a * k"', 'B = "a * "'), "syntax error"),
    (('B = "a * k"', 'C = "a * k"'), "output 'B' is neither"),
    (('column = "A"', 'column = "A"\nkeyword = "K"'), "exactly one of"),
    (('file_name = "{stem}.tab"', 'file_name = "{nope}.tab"'), r"unknown field \{nope\}"),
    (('algorithm = "expressions"', 'algorithm = "expressions"\naggregate = true\ngroup_by = "by:x"'), "group_by"),
    (('[product]', '[prodct]'), "unknown top-level table"),
    (('column = "A"', 'column = "A"\nbind = { s = "x" }'), "apply to shorthand"),
    (('column = "A"', 'ref = "CPHA:dp:X"\nlatest = 3'), "latest"),
    (('file_name = "{stem}.tab"', 'file_name = "{stem}.tab"\ntable_format = "fixed"'),
     r"\[product.table_format\] 'fixed': use character, delimited or binary"),
    (('file_name = "{stem}.tab"', 'file_name = "{stem}.tab"\nparts.x = { table_format = "csv" }'),
     r"\[product.parts.x.table_format\] 'csv': use character, delimited or binary"),
])
def test_mistakes_are_named(tmp_path, edit, message):
    old, new = edit
    assert old in BASE
    p = write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(RecipeError, match=message) as info:
        load_recipe(p)
    assert str(p) in str(info.value)


def test_toml_syntax_and_unknown_recipe(tmp_path):
    p = write(tmp_path, "[recipe\nname=")
    with pytest.raises(RecipeError, match="not valid TOML"):
        load_recipe(p)
    with pytest.raises(RecipeError, match="no recipe 'no-such-recipe'.*chems-pha"):
        load_recipe("no-such-recipe")


def test_input_convert_checked_at_load(tmp_path):
    p = write(tmp_path, BASE.replace('column = "A"', 'column = "A"\nconvert = "/ import os"'))
    with pytest.raises(RecipeError, match="convert"):
        load_recipe(p)
