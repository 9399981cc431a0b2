"""FIPS diagnostics as matplotlib Figures (no pyplot): the E/q spectrum of a scan CDR."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def eq_spectrum(eq_kev_per_e: npt.ArrayLike, flux: npt.ArrayLike, title: str) -> Figure:
    """Differential flux against E/q (log-log): every record faint, the mean per E/q step
    on top; records with a missing flux (zero/fill calibration cells) are left out and
    counted in the title, zero fluxes cannot be drawn on a log axis and are counted too."""
    from matplotlib.figure import Figure

    eq = np.asarray(eq_kev_per_e, dtype=float)
    f = np.asarray(flux, dtype=float)
    finite = np.isfinite(eq) & np.isfinite(f)
    ok = finite & (f > 0) & (eq > 0)
    fig = Figure(figsize=(6.5, 4.5), dpi=80)
    ax = fig.subplots()
    ax.scatter(eq[ok], f[ok], s=4, alpha=0.25, color="tab:blue", edgecolors="none", label="records")
    if ok.any():
        steps, inverse = np.unique(eq[finite & (eq > 0)], return_inverse=True)
        sums = np.bincount(inverse, weights=f[finite & (eq > 0)], minlength=steps.size)
        n = np.bincount(inverse, minlength=steps.size)
        mean = sums / n
        good = mean > 0
        ax.plot(steps[good], mean[good], "o", color="tab:red", markersize=3, label="mean per E/q step")
        ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("E/q (keV/e)")
    ax.set_ylabel("dJ/dE ((keV/e)$^{-1}$ s$^{-1}$ cm$^{-2}$ sr$^{-1}$)")
    ax.set_title(f"{title}: {int(ok.sum())} records ({int((~finite).sum())} missing, "
                 f"{int((finite & ~ok).sum())} zero)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.subplots_adjust(left=0.15, right=0.96, bottom=0.12, top=0.9)
    return fig
