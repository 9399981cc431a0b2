"""The seed 000 mass-spectrum bar plot (``plot_MS_bar``) as a matplotlib Figure (no pyplot)."""

from __future__ import annotations

import numpy as np


def ms_bar(masses, values, sttl: str, ttl: str, ylabel: str = "Counts"):
    """Bars of ``values`` per mass channel, masses 0.5-25.5 shown, as in the seed."""
    from matplotlib.figure import Figure

    m = np.asarray(masses, dtype=float)
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    fig = Figure(figsize=(7, 4.5), dpi=80)
    ax = fig.subplots()
    ax.bar(m, v, width=0.8)
    fig.suptitle(sttl, fontsize=14)
    ax.set_title(ttl, fontsize=10)
    ax.set_xlabel("Mass per Charge")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0.5, 25.5)
    shown = v[(m >= 0.5) & (m <= 25.5)]
    top = float(np.max(shown)) if shown.size else 0.0
    if top > 0:
        ax.set_ylim(0, 1.05 * top)
    # fixed margins instead of tight_layout(): same look, ~10x faster per figure
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.84)
    return fig
