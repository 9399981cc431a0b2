"""Instrument units: everything pdsgen knows about one instrument, in one folder.

A unit is a Python package (``pdsgen/instruments/<name>/`` for the built-ins, any
installed package for a plug-in) holding:

- ``algorithm.py`` — the instrument's arithmetic as small pure numpy/astropy functions
  (units in the names, no file access, no pdsgen import);
- ``adapter.py`` — the recipe algorithm(s): wires the recipe engine's context (products,
  calibration files, parameters) to the pure functions, and reads calibration files;
- ``recipe.toml`` (and the calibration files it ships as defaults, beside it);
- ``demo.py`` — the deterministic demo data generator (``RECIPE`` and
  ``generate(out_dir, seed) -> DemoData``, see `pdsgen.recipes.demo_data`);
- ``plots.py`` — its browse figures (matplotlib Figures, no pyplot), when it has any;
- ``__init__.py`` — ``INSTRUMENT = Instrument(...)``, the unit's declaration.

Its reference labels and label templates live in pdsgen's top-level ``labels/<name>/``
(built-ins) or in the folder the declaration names (plug-ins); both are found through the
unit's declared name, never a hard-coded path.

Every unit — built-in or third-party — is registered the same way, through the
``pdsgen.instruments`` entry-point group (``name = "package:INSTRUMENT"``); see
docs/architecture.md and the example plug-in in ``examples/``.

This module imports nothing from the recipe engine: the engine asks it for the units.
"""

from __future__ import annotations

import functools
import importlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from pdsgen.errors import PdsgenError

ENTRY_POINT_GROUP = "pdsgen.instruments"


class InstrumentError(PdsgenError):
    """A unit that cannot be loaded or whose declaration does not hold together."""

    exit_code = 2


@dataclass(frozen=True)
class Instrument:
    """Declaration of one instrument unit (the object its entry point names)."""

    #: short name: ``pdsgen demo --only NAME``, ``labels/NAME/``
    name: str
    #: Python package of the unit: its folder holds the recipe files and their default calibrations
    package: str
    #: one-line description for listings
    title: str = ""
    #: recipe algorithm name → ``"module:function"`` (imported on first use)
    algorithms: Mapping[str, str] = field(default_factory=dict)
    #: recipe TOML files, relative to the unit's folder
    recipes: tuple[str, ...] = ("recipe.toml",)
    #: module of the demo data generator (``RECIPE``, ``generate``), or None
    demo: str | None = None
    #: reference labels / label templates: a folder relative to the unit's folder, or None for
    #: pdsgen's top-level ``labels/<name>/``
    labels: str | None = None
    #: order in listings and in ``pdsgen demo`` (built-ins 10–50, plug-ins after them)
    order: int = 100

    @property
    def folder(self) -> Path:
        """The unit's folder (its package's directory)."""
        try:
            mod = importlib.import_module(self.package)
        except ImportError as exc:
            raise InstrumentError(f"instrument {self.name!r}: cannot import {self.package!r} ({exc})") from None
        return _module_folder(mod)

    @property
    def labels_dir(self) -> Path:
        """Folder of the unit's reference labels and label templates."""
        if self.labels is not None:
            return self.folder / self.labels
        from pdsgen.resources import labels_dir

        return labels_dir() / self.name

    def recipe_files(self) -> list[Path]:
        """The unit's recipe TOML files (absolute paths)."""
        return [self.folder / r for r in self.recipes]

    def recipe_names(self) -> dict[str, Path]:
        """Recipe name (``[recipe] name``) → file, for each of the unit's recipes."""
        out: dict[str, Path] = {}
        for path in self.recipe_files():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                name = data["recipe"]["name"]
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
                raise InstrumentError(f"instrument {self.name!r}: recipe file has no readable [recipe] name "
                                      f"({type(exc).__name__}: {exc})", path=str(path)) from None
            out[str(name)] = path
        return out

    def demo_module(self) -> ModuleType:
        """The unit's demo data generator module; InstrumentError when it has none."""
        if not self.demo:
            raise InstrumentError(f"instrument {self.name!r} has no demo data generator")
        return importlib.import_module(self.demo)


def _module_folder(mod: ModuleType) -> Path:
    locations = getattr(mod, "__path__", None)
    if locations:
        return Path(next(iter(locations))).resolve()
    return Path(mod.__file__ or ".").resolve().parent


@functools.cache
def instruments() -> dict[str, Instrument]:
    """Every registered unit by name, in listing order (``order``, then name).

    A plug-in whose entry point fails to load, names something that is not an
    `Instrument`, or reuses another unit's name is an InstrumentError naming it.
    """
    found: dict[str, Instrument] = {}
    where: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in must name itself, not crash pdsgen
            raise InstrumentError(f"instrument entry point {ep.name} = {ep.value!r} failed to load "
                                  f"({type(exc).__name__}: {exc})") from None
        if not isinstance(obj, Instrument):
            raise InstrumentError(f"instrument entry point {ep.name} = {ep.value!r} is a "
                                  f"{type(obj).__name__}, not a pdsgen.instruments.Instrument")
        if obj.name != ep.name:
            raise InstrumentError(f"instrument entry point {ep.name} = {ep.value!r} declares name {obj.name!r}")
        if obj.name in found and where[obj.name] != ep.value:
            raise InstrumentError(f"instrument {obj.name!r} is registered twice: {where[obj.name]!r} "
                                  f"and {ep.value!r}")
        found[obj.name] = obj
        where[obj.name] = ep.value
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_instrument(name: str) -> Instrument:
    """The unit called ``name``; InstrumentError listing the registered ones if none is."""
    units = instruments()
    if name not in units:
        raise InstrumentError(f"no instrument {name!r} (registered: {', '.join(units) or 'none'})")
    return units[name]


def recipe_files() -> dict[str, Path]:
    """Recipe name → TOML file, over every unit; a name two units declare is an error."""
    out: dict[str, Path] = {}
    owner: dict[str, str] = {}
    for inst in instruments().values():
        for name, path in inst.recipe_names().items():
            if name in out:
                raise InstrumentError(f"recipe {name!r} is declared by instruments {owner[name]!r} and {inst.name!r}")
            out[name] = path
            owner[name] = inst.name
    return out


def algorithm_targets() -> dict[str, str]:
    """Recipe algorithm name → ``"module:function"``, over every unit."""
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    for inst in instruments().values():
        for name, target in inst.algorithms.items():
            if name in out:
                raise InstrumentError(f"algorithm {name!r} is declared by instruments {owner[name]!r} and {inst.name!r}")
            out[name] = target
            owner[name] = inst.name
    return out
