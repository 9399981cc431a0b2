"""The seed 003 warm-pixel-fraction plot as a matplotlib Figure (no pyplot)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from astropy.table import Table
    from matplotlib.figure import Figure


def warm_pixel_plot(table: Table, t_ccd_ref_degc: float, threshold_e_per_s: float) -> Figure:
    """Warm pixel fraction over the mission: raw (red circles) and scaled to the reference
    temperature (cyan squares), as in mica's example."""
    from matplotlib.figure import Figure

    when = np.array([np.datetime64(str(s).rstrip("Z"), "ms") for s in table["DATE"]]).astype(object)
    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.subplots()
    ax.plot(when, np.asarray(table["N100"]), "o-", color="red", label="raw")
    ax.plot(when, np.asarray(table["N100_REF"]), "s-", color="cyan", label=f"scaled to {t_ccd_ref_degc:g} C")
    ax.grid(True)
    ax.set_ylim(0, None)
    ax.set_ylabel(f"fraction of pixels > {threshold_e_per_s:g} e-/s")
    ax.set_title("Warm pixel fraction")
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.subplots_adjust(left=0.15, right=0.97, bottom=0.2, top=0.9)
    return fig


def dark_image(image_e_per_s: npt.ArrayLike, title: str) -> Figure:
    """The selected dark-current image as a browse picture: log colour scale between the
    2nd and 98th percentiles of the positive pixels (the seed's LogNorm display), origin
    lower, NaN pixels blank."""
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    img = np.asarray(image_e_per_s, dtype=float)
    pos = img[np.isfinite(img) & (img > 0)]
    fig = Figure(figsize=(5.5, 5), dpi=80)
    ax = fig.subplots()
    norm = None
    if pos.size:
        lo, hi = np.percentile(pos, [2, 98])
        norm = LogNorm(vmin=max(lo, pos.min()), vmax=max(hi, lo * 1.0001), clip=True)
    shown = ax.imshow(np.where(img > 0, img, np.nan), origin="lower", cmap="gray", norm=norm,
                      interpolation="nearest", aspect="equal")
    fig.colorbar(shown, ax=ax, label="dark current (e-/s)")
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.set_title(title, fontsize=10)
    return fig
