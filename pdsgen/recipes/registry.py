"""Algorithm registry: recipe ``algorithm = "name"`` → a Python function.

Three sources, looked up in this order:
1. algorithms registered at run time with `register_algorithm` (tests, notebooks);
2. third-party packages, through the ``pdsgen.algorithms`` entry-point group
   (``[project.entry-points."pdsgen.algorithms"] my_algo = "my_pkg.calib:my_algo"``);
3. the algorithms the instrument units declare (`pdsgen.instruments`: built-in units and
   plug-ins alike; ``"module:function"`` strings, imported on first use so that listing
   recipes does not import every instrument module).
A recipe may also name a function directly as ``"package.module:function"``.

An algorithm is ``fn(ctx: RecipeContext) -> AlgorithmResult | astropy.table.Table |
Mapping[str, Table]`` (see `pdsgen.recipes.context`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from pdsgen.errors import RecipeError
from pdsgen.instruments import algorithm_targets

Algorithm = Callable[[Any], Any]

_RUNTIME: dict[str, Algorithm] = {}
ENTRY_POINT_GROUP = "pdsgen.algorithms"


def register_algorithm(name: str, func: Algorithm | None = None):
    """Register ``func`` under ``name``; usable as a decorator (``@register_algorithm("x")``)."""

    def deco(f: Algorithm) -> Algorithm:
        _RUNTIME[name] = f
        return f

    return deco(func) if func is not None else deco


def _import_target(target: str, name: str) -> Algorithm:
    module, _, attr = target.partition(":")
    if not attr:
        raise RecipeError(f"algorithm {name!r}: {target!r} is not 'module:function'")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise RecipeError(f"algorithm {name!r}: cannot import {module!r} ({exc})") from None
    try:
        func = getattr(mod, attr)
    except AttributeError:
        raise RecipeError(f"algorithm {name!r}: module {module!r} has no {attr!r}") from None
    if not callable(func):
        raise RecipeError(f"algorithm {name!r}: {target!r} is not callable")
    return func


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def get_algorithm(name: str) -> Algorithm:
    """The function registered as ``name`` (or named ``module:function``); RecipeError if none."""
    if name in _RUNTIME:
        return _RUNTIME[name]
    eps = _entry_points()
    if name in eps:
        try:
            func = eps[name].load()
        except Exception as exc:  # a broken plug-in must name itself, not crash pdsgen
            raise RecipeError(f"algorithm {name!r}: entry point {eps[name].value!r} failed to load ({exc})") from None
        return func
    units = algorithm_targets()
    if name in units:
        return _import_target(units[name], name)
    if ":" in name:
        return _import_target(name, name)
    known = ", ".join(sorted(available_algorithms())) or "none"
    raise RecipeError(f"no algorithm {name!r} (registered: {known}; or use 'module:function')")


def available_algorithms() -> list[str]:
    """Names of every registered algorithm (instrument units, entry points, run time)."""
    return sorted(set(algorithm_targets()) | set(_entry_points()) | set(_RUNTIME) | {"expressions"})
