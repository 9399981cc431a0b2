"""The seed 000 mass-spectrum bar plot (``plot_MS_bar``) as a matplotlib Figure (no pyplot).

Differences from the seed, for a figure a scientist keeps: missing channels (NaN: no
ratio where the CSN signal is within its noise) are gaps, not 0 bars; background-subtracted
spectra keep their negative nets (the y range includes them); with ``sigma`` each bar
has its counting error bar; ``log=True`` draws the positive values on a log axis (ratio
spectra span decades), non-positive ones left out and said so in the title.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def ms_bar(masses: npt.ArrayLike, values: npt.ArrayLike, sttl: str, ttl: str, ylabel: str = "Counts",
           sigma: npt.ArrayLike | None = None, log: bool = False) -> Figure:
    """Bars of ``values`` per mass channel, masses 0.5-25.5 shown, as in the seed."""
    from matplotlib.figure import Figure

    m = np.asarray(masses, dtype=float)
    v = np.asarray(values, dtype=float)  # NaN stays NaN: matplotlib draws no bar (a gap)
    s = None if sigma is None else np.asarray(sigma, dtype=float)
    shown = (m >= 0.5) & (m <= 25.5) & np.isfinite(v)
    if log:
        dropped = int(np.sum(shown & (v <= 0)))
        v = np.where(v > 0, v, np.nan)
        shown &= np.isfinite(v)
        if dropped:
            ttl += f" ({dropped} non-positive channel{'s' if dropped > 1 else ''} not shown)"
    fig = Figure(figsize=(7, 4.5), dpi=80)
    ax = fig.subplots()
    ax.bar(m, v, width=0.8, color="tab:blue")
    if s is not None:
        ok = np.isfinite(v) & np.isfinite(s)
        ax.errorbar(m[ok], v[ok], yerr=s[ok], fmt="none", ecolor="black", elinewidth=1, capsize=2)
    fig.suptitle(sttl, fontsize=14)
    ax.set_title(ttl, fontsize=10)
    ax.set_xlabel("Mass per Charge")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0.5, 25.5)
    if shown.any():
        err = np.nan_to_num(s[shown], nan=0.0) if s is not None else 0.0
        top = float(np.max(v[shown] + err))
        if log:
            bottom = float(np.min(v[shown] - err)) if s is not None else float(np.min(v[shown]))
            bottom = bottom if bottom > 0 else float(np.min(v[shown])) / 2
            ax.set_yscale("log")
            ax.set_ylim(bottom / 1.5, top * 1.5)
        else:
            low = min(0.0, float(np.min(v[shown] - err)))
            if top > low:
                pad = 0.05 * (max(top, 0.0) - low)
                ax.set_ylim(low - (pad if low < 0 else 0.0), max(top, 0.0) + pad)
            ax.axhline(0.0, color="black", linewidth=0.6)
    # fixed margins instead of tight_layout(): same look, ~10x faster per figure
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.84)
    return fig
