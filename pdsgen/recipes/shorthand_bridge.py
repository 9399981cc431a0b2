"""Recipe inputs written as dp:/cdp: shorthand, resolved through `pdsgen.shorthand`.

The data product is the input being processed; calibration data products are the
``--cal`` files. Variables in ``bind`` are bound per record from columns of the data
product, so that a reference like ``CPHA:cdf:step_(step)_E/Q(keV/e)`` resolves for every
event at once (a vectorised join in the shorthand module, not a loop here). Sources are
read once per product and shared by all inputs of the recipe (``cache``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import astropy.units as u

from pdsgen.errors import RecipeError
from pdsgen.recipes.loader import InputSpec
from pdsgen.units import read_unit, unit_from_name


def resolve_reference(
    spec: InputSpec, data_path: Path, cal_files: list[Path], cache: dict[Any, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[Any, u.UnitBase | None]:
    """Values of ``spec.ref`` for ``data_path`` (one per record, or one scalar) and their unit."""
    from pdsgen.shorthand import load_source, parse, resolve

    cache = cache if cache is not None else {}

    def source(p: Path, object_name: str | None = None) -> Any:
        key = ("shorthand-source", Path(p).resolve(), object_name)
        if key not in cache:
            cache[key] = load_source(p, object_name=object_name)
        return cache[key]

    ref = parse(spec.source)
    if ref.file_type != "dp" and not cal_files:
        raise RecipeError(f"input {spec.name!r} ({spec.ref}) comes from a calibration data file: "
                          "give it with --cal FILE")
    data = source(data_path, spec.object)  # ``object``: which table of the data product
    cdp = [source(c) for c in cal_files] if ref.file_type != "dp" else []
    variables = {}
    for name, value in spec.vars.items():
        if isinstance(value, str) and value.startswith("$"):  # a recipe parameter's value
            pname = value[1:]
            if params is None or pname not in params:
                raise RecipeError(f"input {spec.name!r}: vars.{name} = {value!r} names no recipe parameter")
            value = params[pname]
            value = getattr(value, "value", value)
        variables[name] = value
    res = resolve(ref, dp=[data], cdp=cdp, bind=dict(spec.bind), variables=variables,
                  data=data if spec.bind else None, latest=tuple(spec.latest), fold_case=spec.ignore_case)
    # the label's unit (an unparseable one stays a named unit: the engine decides whether
    # the input needs it converted), else the MIMI column name's "(unit)" suffix
    unit = read_unit(res.unit) if res.unit else None
    if isinstance(unit, u.UnrecognizedUnit) and res.columns and unit_from_name(res.columns[0]) is not None:
        unit = unit_from_name(res.columns[0])
    if unit is None and res.columns:
        unit = unit_from_name(res.columns[0])
    return res.values, unit
