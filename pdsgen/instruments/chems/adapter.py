"""Recipe adapter of chems: wires the recipe engine's context (products, calibration files,
parameters) to the pure functions of `pdsgen.instruments.chems.algorithm`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pdsgen.errors import RecipeError
from pdsgen.instruments.chems.algorithm import check_alpha, chems_pha, invalid_eq

if TYPE_CHECKING:
    from pdsgen.recipes.api import AlgorithmResult, RecipeContext


def chems_pha_algorithm(ctx: RecipeContext) -> AlgorithmResult:
    """Recipe adapter: resolved inputs ``tau`` (s), ``dist`` (m), ``energy`` (keV), ``eq``
    (keV/e) and parameter ``alpha`` → output table; pass-through inputs named in the
    recipe's outputs (time, step ...) are copied."""
    import astropy.units as u
    from astropy.table import Table

    from pdsgen.units import E_CHARGE

    inp = ctx.inputs

    def val(name: str, unit: Any) -> np.ndarray:
        v = inp[name]
        return v.to_value(unit) if isinstance(v, u.Quantity) else np.asarray(v, dtype=np.float64)

    with u.add_enabled_units([E_CHARGE]):
        tau = val("tau", u.s)
        dist = val("dist", u.m)
        energy = val("energy", u.keV)
        eq = val("eq", u.keV / E_CHARGE)
    alpha = ctx.params["alpha"]
    try:
        a = check_alpha(float(getattr(alpha, "value", alpha)))
    except ValueError as exc:
        raise RecipeError(str(exc)) from None
    res = chems_pha(tau, dist, energy, eq, a)
    n_nan = int(np.isnan(res["M"]).sum())
    if n_nan:
        ctx.warn(f"{n_nan} of {len(tau)} events without a measured energy or time of flight: "
                 "M, Q, E written as the missing constant")
    n_eq = int(invalid_eq(eq).sum())
    if n_eq:
        ctx.warn(f"{n_eq} of {len(tau)} events whose step has a zero, negative or missing calibration E/Q: "
                 "M/Q, Q, E written as the missing constant")
    t = Table()
    names = {o.name for o in ctx.recipe.outputs}
    for name, v in inp.items():  # pass-through inputs the recipe lists as outputs
        if name in names and name not in res:
            t[name] = v
    with u.add_enabled_units([E_CHARGE]):
        t["M"] = res["M"] * u.u
        t["MQ"] = res["MQ"] * (u.u / E_CHARGE)
        t["Q"] = res["Q"] * E_CHARGE
        t["E"] = res["E"] * u.keV
    from functools import partial

    from pdsgen.instruments.chems.plots import m_vs_mq
    from pdsgen.recipes.api import AlgorithmResult

    # drawn by the engine only when matplotlib is installed: a Product_Browse of the table
    plots = {"m_vs_mq": partial(m_vs_mq, res["M"], res["MQ"], f"CHEMS {ctx.path.stem}")}
    return AlgorithmResult(tables={"": t}, plots=plots)
