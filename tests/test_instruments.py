"""Instrument units (`pdsgen.instruments`): registration through the entry point, the
declared folders, and the purity of every unit's algorithm module."""

from __future__ import annotations

import ast

import pytest

from pdsgen.errors import DataError, RecipeError
from pdsgen.instruments import (
    InstrumentError,
    algorithm_targets,
    get_instrument,
    instruments,
    recipe_files,
)
from pdsgen.recipes import get_algorithm, list_builtin

BUILTIN = ("chems", "fips", "iuvs", "aca", "inms")


def test_builtin_units_registered_through_the_entry_point_in_demo_order():
    names = list(instruments())
    assert names[:5] == list(BUILTIN)
    for name in BUILTIN:
        inst = get_instrument(name)
        assert inst.folder.name == name and (inst.folder / "recipe.toml").is_file()
        assert inst.labels_dir.is_dir() and inst.labels_dir.name == name


def test_recipes_and_algorithms_come_from_the_units():
    files = recipe_files()
    assert {"chems-pha", "fips-cdr", "iuvs-dark", "aca-dark", "inms-crosstalk"} <= set(files)
    assert set(files) == set(list_builtin())
    assert files["fips-cdr"].parent == get_instrument("fips").folder
    targets = algorithm_targets()
    assert targets["aca_dark"] == "pdsgen.instruments.aca.adapter:aca_dark_algorithm"
    assert get_algorithm("aca_dark").__module__ == "pdsgen.instruments.aca.adapter"


def test_unknown_instrument_names_the_registered_ones():
    with pytest.raises(InstrumentError, match="no instrument 'nope'.*chems"):
        get_instrument("nope")


@pytest.mark.parametrize("name", BUILTIN)
def test_algorithm_module_imports_only_numpy_astropy_and_stdlib(name):
    path = get_instrument(name).folder / "algorithm.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            mods.add(node.module.split(".")[0])
    assert mods <= {"__future__", "numpy", "astropy", "typing", "collections", "dataclasses", "math"}, mods
    assert "open(" not in path.read_text(encoding="utf-8")


def test_adapter_turns_algorithm_domain_errors_into_named_recipe_errors(tmp_path):
    from types import SimpleNamespace

    import numpy as np

    from pdsgen.instruments.chems import adapter as chems_adapter
    from pdsgen.instruments.fips import adapter as fips_adapter

    ctx = SimpleNamespace(inputs={k: np.array([1.0]) for k in ("tau", "dist", "energy", "eq")},
                          params={"alpha": 1.5}, warn=lambda text: None,
                          recipe=SimpleNamespace(outputs=[]))
    with pytest.raises(RecipeError, match=r"alpha = 1\.5 must be in \(0, 1\)"):
        chems_adapter.chems_pha_algorithm(ctx)
    eq = tmp_path / "eq.csv"
    eq.write_text("VALID_FROM,STEP,EQ_0(keV/e),ACCUM_0(s)\n2011-01-01,0,1.0,0.1\n2011-01-01,1,2.0,0.1\n")
    eff = tmp_path / "eff.csv"
    eff.write_text("EQ(keV/e),ETA\n0.5,0.2\n5.0,0.3\n")
    edr = tmp_path / "FIPS_SCAN_2011100_EDR.lbl"
    cals = {"eq_table": eq, "efficiency": eff}
    ctx = SimpleNamespace(path=edr, params={}, calibration=cals.__getitem__,
                          inputs={"start_time": "2011-04-10", "mode": np.array([7]), "step": np.array([0]),
                                  "met": np.array([1.0]), "counts": np.array([3.0])})
    with pytest.raises(DataError, match="mode 7 has no column set") as info:
        fips_adapter.fips_cdr_algorithm(ctx)
    assert info.value.path == str(edr)
    ctx.inputs["start_time"] = "2010-04-10"
    with pytest.raises(RecipeError, match="does not cover the data time") as info:
        fips_adapter.fips_cdr_algorithm(ctx)
    assert info.value.path == str(eq)  # the E/q table that stops short
