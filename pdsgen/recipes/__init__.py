"""Calibration recipes: declarative TOML files run by `pdsgen run` / `pdsgen demo`.

Contract (full format and semantics in docs/recipes.md):

* `load_recipe(name_or_path) -> Recipe` — a built-in recipe by name (``chems-pha``; files in
  the ``recipe.toml`` of an instrument unit, `pdsgen.instruments`) or any recipe TOML file. Every mistake in the file is
  a `RecipeError` naming the file and the TOML key. `list_builtin()` lists the registered names.
* Algorithms — ``[recipe] algorithm = NAME``: ``"expressions"`` (safe element-wise
  ``[expressions]``, `pdsgen.recipes.expressions`), a name registered in
  `pdsgen.recipes.registry` (instrument units, ``pdsgen.algorithms`` entry points,
  `register_algorithm`), or ``"package.module:function"``. An algorithm is
  ``fn(ctx: RecipeContext) -> AlgorithmResult | Table | dict[part, Table]``: it reads
  ``ctx.inputs`` (declared inputs, resolved and in their declared units), ``ctx.params``
  (checked parameters, Quantities when they have a unit), ``ctx.products``/``ctx.table(i)``,
  ``ctx.calibration(name)`` (files declared under ``[calibrations.NAME]``), and returns
  astropy Tables (with units) per output part and optional matplotlib Figures (browse PNGs).
  Keep the arithmetic in pure numpy functions in the unit's ``algorithm.py``; the
  algorithm function is the thin adapter from context to those functions.
* Aggregation — ``[recipe] aggregate = true`` and ``group_by = "all" | "name:REGEX" |
  "keyword:NAME"``: the inputs are grouped (REGEX's first group, or the whole match, on the
  file name; or a label keyword's value) and the algorithm is called once per group with
  ``ctx.paths``/``ctx.products`` holding the group and ``ctx.inputs[name]`` a list per
  product; ``ctx.group`` is the key (``{group}`` in product name patterns).
* `compute(recipe, paths, cal_files, params) -> Computed` runs one algorithm call without
  writing (tests, benchmarks); `run_recipe(...)` (`pdsgen.recipes.run`) runs over many inputs
  and writes the products atomically.
* Demo data — each unit's ``demo.py`` (``pdsgen/instruments/<instrument>/demo.py``) defines
  ``RECIPE = "<recipe name>"`` and ``generate(out_dir: Path, seed: int = 0) -> DemoData``
  (`pdsgen.recipes.demo_data.DemoData`: ``inputs`` raw product label paths, ``calibrations``
  files for ``--cal``, ``params`` for ``--set``); it must be deterministic for a seed and
  fast (the whole demo runs in under a minute).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsgen.recipes.api import AlgorithmResult, RecipeContext
from pdsgen.recipes.loader import (
    CalibrationSpec,
    InputSpec,
    OutputSpec,
    ParameterSpec,
    ProductSpec,
    Recipe,
    list_builtin,
    load_recipe,
    recipe_from_dict,
)
from pdsgen.recipes.registry import available_algorithms, get_algorithm, register_algorithm

if TYPE_CHECKING:
    from pdsgen.recipes.engine import Computed


def compute(*args: Any, **kwargs: Any) -> Computed:
    """See `pdsgen.recipes.engine.compute` (imported lazily: it pulls in astropy)."""
    from pdsgen.recipes.engine import compute as _compute

    return _compute(*args, **kwargs)


__all__ = [
    "AlgorithmResult",
    "CalibrationSpec",
    "InputSpec",
    "OutputSpec",
    "ParameterSpec",
    "ProductSpec",
    "Recipe",
    "RecipeContext",
    "available_algorithms",
    "compute",
    "get_algorithm",
    "list_builtin",
    "load_recipe",
    "recipe_from_dict",
    "register_algorithm",
]
