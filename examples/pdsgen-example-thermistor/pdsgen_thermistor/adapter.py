"""Recipe adapter of the example thermistor: the recipe context → the pure functions of
`pdsgen_thermistor.algorithm` → an astropy Table with units."""

from __future__ import annotations

import astropy.units as u
import numpy as np
from astropy.table import Table

from pdsgen.errors import RecipeError
from pdsgen.recipes import RecipeContext
from pdsgen_thermistor.algorithm import divider_resistance_ohm, steinhart_hart_kelvin


def thermistor_temperature(ctx: RecipeContext) -> Table:
    """Recipe ``thermistor-temperature``: DN → R_THERM (ohm) → T (K), one row per record."""
    p = ctx.params
    dn = np.asarray(ctx.inputs["dn"], dtype=np.float64)
    try:
        r = divider_resistance_ohm(dn, int(p["adc_bits"]), float(u.Quantity(p["r_ref"], u.ohm).value))
    except ValueError as exc:
        raise RecipeError(str(exc)) from None
    t_k = steinhart_hart_kelvin(r, float(p["a"]), float(p["b"]), float(p["c"]))
    n_bad = int(np.isnan(t_k).sum())
    if n_bad:
        ctx.warn(f"{n_bad} of {dn.size} records at 0 or full scale (open/shorted thermistor): R and T are NaN")
    out = Table()
    out["MET"] = ctx.inputs["met"]
    out["DN"] = dn.astype(np.int32)
    out["R_THERM"] = r * u.ohm
    out["T"] = t_k * u.K
    return out
