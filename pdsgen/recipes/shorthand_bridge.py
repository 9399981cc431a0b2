"""Recipe inputs written as dp:/cdp: shorthand, resolved through `pdsgen.shorthand`.

The data product is the input being processed; calibration data products are the
``--cal`` files. Variables in ``bind`` are bound per record from columns of the data
product, so that a reference like ``CPHA:cdf:step_(step)_E/Q(keV/e)`` resolves for every
event at once (a vectorised join in the shorthand module, not a loop here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import astropy.units as u

from pdsgen.errors import UnsupportedError
from pdsgen.recipes.loader import InputSpec
from pdsgen.recipes.units import unit_from_name


def resolve_reference(spec: InputSpec, data_path: Path, cal_files: list[Path]) -> tuple[Any, u.UnitBase | None]:
    """Values of ``spec.ref`` for ``data_path`` (one per record, or one scalar) and their unit."""
    try:
        from pdsgen import shorthand
    except ImportError:  # pragma: no cover - the package always ships it
        raise UnsupportedError("shorthand references need pdsgen.shorthand") from None
    resolve = getattr(shorthand, "resolve", None)
    if resolve is None:
        raise UnsupportedError(f"input {spec.name!r}: this pdsgen cannot resolve shorthand references yet")
    ref = shorthand.parse(spec.ref)
    values = resolve(ref, dp=[data_path], cdp=list(cal_files), bind=dict(spec.bind))
    column = getattr(ref, "column_text", None) or str(spec.ref).rsplit(":", 1)[-1]
    return values, unit_from_name(str(column).strip("[]\""))
