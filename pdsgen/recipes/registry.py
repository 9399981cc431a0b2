"""Algorithm registry: recipe ``algorithm = "name"`` → a Python function.

One `pdsgen.plugins.Registry` (``ALGORITHMS``) with three sources, by priority:
1. algorithms registered at run time with `register_algorithm` (tests, notebooks): 100;
2. third-party packages, through the ``pdsgen.algorithms`` entry-point group
   (``[project.entry-points."pdsgen.algorithms"] my_algo = "my_pkg.calib:my_algo"``): 50;
3. the algorithms the instrument units declare (`pdsgen.plugins.Instrument.algorithms`:
   built-in units and plug-ins alike): 0.
Entries are ``"module:function"`` strings imported on first use (so that listing recipes
does not import every instrument module) or functions. A recipe may also name a function
directly as ``"package.module:function"``.

An algorithm is ``fn(ctx: RecipeContext) -> AlgorithmResult | astropy.table.Table |
Mapping[str, Table]`` (see `pdsgen.recipes.api`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, overload

from pdsgen.errors import RecipeError
from pdsgen.plugins import Registry, algorithm_targets

if TYPE_CHECKING:
    from astropy.table import Table

    from pdsgen.recipes.api import AlgorithmResult, RecipeContext

#: what a recipe algorithm is: context in, result (or table, or tables per output part) out
Algorithm = Callable[["RecipeContext"], "AlgorithmResult | Table | Mapping[str, Table]"]

ENTRY_POINT_GROUP = "pdsgen.algorithms"
RUNTIME_PRIORITY, ENTRY_POINT_PRIORITY, UNIT_PRIORITY = 100, 50, 0


def _load() -> None:
    for name, target in algorithm_targets().items():
        ALGORITHMS.register(name, target, priority=UNIT_PRIORITY, origin=target)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        ALGORITHMS.register(ep.name, f"entry point {ep.value}", priority=ENTRY_POINT_PRIORITY,
                            origin=ep.value, replace=True)


#: algorithm name → function or ``"module:function"`` (entry points: ``"entry point VALUE"``)
ALGORITHMS: Registry[Algorithm | str] = Registry("algorithm", loader=_load)


@overload
def register_algorithm(name: str, func: Algorithm, *, priority: int = RUNTIME_PRIORITY) -> Algorithm: ...


@overload
def register_algorithm(name: str, func: None = None, *,
                       priority: int = RUNTIME_PRIORITY) -> Callable[[Algorithm], Algorithm]: ...


def register_algorithm(name: str, func: Algorithm | None = None, *,
                       priority: int = RUNTIME_PRIORITY) -> Algorithm | Callable[[Algorithm], Algorithm]:
    """Register ``func`` under ``name`` (replacing an earlier run-time registration); usable as
    a decorator (``@register_algorithm("x")``)."""

    def deco(f: Algorithm) -> Algorithm:
        ALGORITHMS.register(name, f, priority=priority, replace=True)
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
        func: Algorithm = getattr(mod, attr)
    except AttributeError:
        raise RecipeError(f"algorithm {name!r}: module {module!r} has no {attr!r}") from None
    if not callable(func):
        raise RecipeError(f"algorithm {name!r}: {target!r} is not callable")
    return func


def _load_entry_point(name: str) -> Algorithm:
    ep = next(e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == name)
    try:
        func: Algorithm = ep.load()
    except Exception as exc:  # a broken plug-in must name itself, not crash pdsgen
        raise RecipeError(f"algorithm {name!r}: entry point {ep.value!r} failed to load ({exc})") from None
    return func


def get_algorithm(name: str) -> Algorithm:
    """The function registered as ``name`` (or named ``module:function``); RecipeError if none."""
    if name in ALGORITHMS:
        entry = ALGORITHMS.entry(name)
        item = entry.item
        if callable(item):
            return item
        if entry.priority == ENTRY_POINT_PRIORITY:
            return _load_entry_point(name)
        return _import_target(item, name)
    if ":" in name:
        return _import_target(name, name)
    known = ", ".join(sorted(available_algorithms())) or "none"
    raise RecipeError(f"no algorithm {name!r} (registered: {known}; or use 'module:function')")


def available_algorithms() -> list[str]:
    """Names of every registered algorithm (instrument units, entry points, run time)."""
    return sorted(set(ALGORITHMS.names()) | {"expressions"})
