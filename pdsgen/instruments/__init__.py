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

The declaration and the discovery live in `pdsgen.plugins` (below the recipe engine, which
asks it for the units); this package re-exports them for plug-in authors.
"""

from __future__ import annotations

from pdsgen.plugins import (
    ENTRY_POINT_GROUP,
    INSTRUMENTS,
    Instrument,
    InstrumentError,
    algorithm_targets,
    get_instrument,
    instruments,
    recipe_files,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "INSTRUMENTS",
    "Instrument",
    "InstrumentError",
    "algorithm_targets",
    "get_instrument",
    "instruments",
    "recipe_files",
]
