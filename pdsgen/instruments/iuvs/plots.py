"""The seed 001 diagnostic plots as matplotlib Figures (no pyplot: safe in threads and
worker processes). The writer saves them as PNG browse products."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from astropy.table import Table
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _margins(fig: Figure, n_panels: int) -> None:
    # fixed margins instead of tight_layout(): same look, much faster per figure
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.6 / height, top=1 - 0.7 / height,
                        hspace=0.9 if n_panels > 1 else 0.2)


def _date_axis(ax: Axes) -> None:
    """Dates on the x axis (concise: year/month/day shown once, times where they matter)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_xlabel("UTC")


def _int_time_panels(int_times_ms: np.ndarray, preferred: Sequence[int]) -> list[float]:
    present = sorted({float(t) for t in int_times_ms}, reverse=True)
    chosen = [float(t) for t in preferred if float(t) in present]
    return chosen or present[:6]


def dn_rate_vs_det_temp(table: Table, good: npt.NDArray[np.bool_], xuv: str, preferred: Sequence[int]) -> Figure:
    """``{xuv} DN_per_s vs DET_TEMP, sorted by INT_TIME``: one scatter panel per INT_TIME."""
    from matplotlib.figure import Figure

    t_ms = np.asarray(table["INT_TIME"], dtype=float)
    panels = _int_time_panels(t_ms[good], preferred) or [np.nan]
    fig = Figure(figsize=(8, 2.0 * len(panels) + 0.8), dpi=80)
    axes = fig.subplots(nrows=len(panels), squeeze=False)[:, 0]
    x: np.ndarray = np.ma.filled(np.ma.asarray(table["DET_TEMP"], dtype=float), np.nan)
    y: np.ndarray = np.ma.filled(np.ma.asarray(table["DN_PER_S"], dtype=float), np.nan)
    for ax, it in zip(axes, panels, strict=True):
        sel = good & (t_ms == it)
        ax.scatter(x[sel], y[sel], s=12)
        ax.set_title(f"INT_TIME = {it:g} ms", fontsize=10)
        ax.set_xlabel("DET_TEMP [degC]")
        ax.set_ylabel("DN_per_s [DN/s]")
    fig.suptitle(f"{xuv} DN_per_s vs DET_TEMP, sorted by INT_TIME", fontsize=13)
    _margins(fig, len(panels))
    return fig


def det_temp_over_time(table: Table, good: npt.NDArray[np.bool_], xuv: str, preferred: Sequence[int]) -> Figure:
    """``{xuv} DET_TEMP over time``: one panel per INT_TIME, star markers as in the seed."""
    from matplotlib.figure import Figure

    t_ms = np.asarray(table["INT_TIME"], dtype=float)
    panels = _int_time_panels(t_ms[good], preferred) or [np.nan]
    fig = Figure(figsize=(8, 2.0 * len(panels) + 0.8), dpi=80)
    # shared time limits: every panel covers the same dates, so panels compare at a glance
    axes = fig.subplots(nrows=len(panels), squeeze=False, sharex=True)[:, 0]
    when = np.array([np.datetime64(s.rstrip("Z"), "ms") for s in table["TIME"]], dtype="datetime64[ms]")
    temp: np.ndarray = np.ma.filled(np.ma.asarray(table["DET_TEMP"], dtype=float), np.nan)
    for ax, it in zip(axes, panels, strict=True):
        sel = good & (t_ms == it)
        ax.plot(when[sel].astype("datetime64[ms]").astype(object), temp[sel], "*", linestyle="none")
        ax.set_title(f"{xuv} INT_TIME = {it:g} ms", fontsize=10)
        ax.set_ylabel("DET_TEMP [degC]")
    fig.suptitle(f"{xuv} DET_TEMP over time", fontsize=13)
    for ax in axes:
        _date_axis(ax)
        ax.tick_params(axis="x", labelbottom=True, labelsize=8)
    _margins(fig, len(panels))
    return fig


def trends_over_time(table: Table, good: npt.NDArray[np.bool_], xuv: str) -> Figure:
    """The seed's cell 13: DET_TEMP and DN_per_s over time (rate on a secondary axis), and
    CASE_TEMP over time below."""
    from matplotlib.figure import Figure

    when = np.array([np.datetime64(s.rstrip("Z"), "ms") for s in table["TIME"]], dtype="datetime64[ms]")
    x = when[good].astype(object)
    det: npt.NDArray[np.float64] = np.ma.filled(np.ma.asarray(table["DET_TEMP"], dtype=float), np.nan)[good]
    rate: npt.NDArray[np.float64] = np.ma.filled(np.ma.asarray(table["DN_PER_S"], dtype=float), np.nan)[good]
    case: npt.NDArray[np.float64] = np.ma.filled(np.ma.asarray(table["CASE_TEMP"], dtype=float), np.nan)[good]
    fig = Figure(figsize=(9, 6.5), dpi=80)
    top, bottom = fig.subplots(nrows=2, sharex=True)  # same dates in both panels
    top.plot(x, det, "-", color="tab:blue", label="DET_TEMP")
    top.set_ylabel("DET_TEMP [degC]", color="tab:blue")
    right = top.twinx()
    right.plot(x, rate, "-", color="tab:orange", label="DN_per_s")
    right.set_ylabel("DN_per_s [DN/s]", color="tab:orange")
    top.set_title(f"{xuv} DET_TEMP and DN_per_s over time", fontsize=11)
    bottom.plot(x, case, "-", color="tab:green")
    bottom.set_ylabel("CASE_TEMP [degC]")
    bottom.set_title(f"{xuv} CASE_TEMP over time", fontsize=11)
    for ax in (top, bottom):
        _date_axis(ax)
        ax.tick_params(axis="x", labelbottom=True, labelsize=8)
    _margins(fig, 2)
    fig.subplots_adjust(right=0.88, hspace=0.45)  # room for the secondary axis label
    return fig
