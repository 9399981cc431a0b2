"""CHEMS diagnostics as matplotlib Figures (no pyplot): the mass / mass-per-charge plane."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def m_vs_mq(mass_u: npt.ArrayLike, mq_u_per_e: npt.ArrayLike, title: str) -> Figure:
    """The classic CHEMS M vs M/Q plane (log-log): ion species fall on lines of constant
    charge Q = M/(M/Q); events without M or M/Q (missing values) are left out and counted."""
    from matplotlib.figure import Figure

    m = np.asarray(mass_u, dtype=float)
    mq = np.asarray(mq_u_per_e, dtype=float)
    ok = np.isfinite(m) & np.isfinite(mq) & (m > 0) & (mq > 0)
    fig = Figure(figsize=(6, 5), dpi=80)
    ax = fig.subplots()
    ax.scatter(mq[ok], m[ok], s=6, alpha=0.6, color="tab:blue", edgecolors="none")
    if ok.any():
        lo = min(mq[ok].min(), m[ok].min()) / 1.5
        hi = max(mq[ok].max(), m[ok].max()) * 1.5
        x = np.array([lo, hi])
        for q in (1, 2, 3, 6):
            ax.plot(x, q * x, ":", color="grey", linewidth=0.8)
            ax.annotate(f"Q={q}", (hi / q / 1.4, hi / 1.4), fontsize=7, color="grey")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("M/Q (u/e)")
    ax.set_ylabel("M (u)")
    ax.set_title(f"{title}: {int(ok.sum())} events ({int((~ok).sum())} without M or M/Q)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.subplots_adjust(left=0.14, right=0.96, bottom=0.12, top=0.9)
    return fig
