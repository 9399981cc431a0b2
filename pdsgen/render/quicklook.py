"""Quick-look PNGs of any table or array object (what pdr's ``dump_browse`` and the
pds4_tools viewer give their users): `quicklook_png`.

Tables: up to ``MAX_PANELS`` numeric fields, one panel each, against the first date/time
field when there is one, else the record number. Arrays: a 2-D image (a cube's band
``band``, a 1-D array as a line), grey scale stretched between the 0.5 and 99.5
percentiles, masked values transparent. Needs matplotlib (the ``plots`` extra).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from pdsgen.errors import UnsupportedError
from pdsgen.model import DataObject

#: numeric fields drawn at most (one panel each); the others are named in the title
MAX_PANELS = 6
INSTALL_HINT = "pip install 'pdsgen[plots]'"


def quicklook_png(obj: DataObject, *, band: int = 0, title: str | None = None) -> bytes:
    """PNG bytes of a quick-look plot of ``obj`` (a table or an array)."""
    try:
        from matplotlib.figure import Figure
    except ModuleNotFoundError as exc:
        raise UnsupportedError(f"plotting needs matplotlib: {INSTALL_HINT}") from exc
    title = title or f"{obj.file.name}: {obj.name}"
    if obj.kind == "table":
        fig = _table_figure(Figure, obj, title)
    elif obj.kind == "array":
        fig = _array_figure(Figure, obj, band, title)
    else:
        raise UnsupportedError(f"a {obj.kind} object cannot be plotted (only tables and arrays)",
                               path=str(obj.file), obj=obj.name)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _table_figure(Figure: Any, obj: DataObject, title: str) -> Any:
    table = obj.to_table(times="Time")
    times = [n for n in table.colnames if hasattr(table[n], "datetime64")]
    numeric = [n for n in table.colnames if n not in times and table[n].ndim == 1 and table[n].dtype.kind in "iuf"]
    if not numeric:
        raise UnsupportedError("the table has no numeric field to plot", path=str(obj.file), obj=obj.name)
    shown = numeric[:MAX_PANELS]
    if times:
        x, xlabel = table[times[0]].datetime64, times[0]
    else:
        x, xlabel = np.arange(len(table)), "record"
    fig = Figure(figsize=(8, 1.2 + 1.6 * len(shown)), dpi=100, layout="constrained")
    axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, shown, strict=True):
        values = np.ma.filled(np.ma.asarray(table[name], dtype=np.float64), np.nan)
        ax.plot(x, values, ".", markersize=2)
        unit = f" ({table[name].unit})" if table[name].unit is not None else ""
        ax.set_ylabel(f"{name}{unit}", fontsize=8)
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel(xlabel)
    more = f" (+{len(numeric) - len(shown)} fields not shown)" if len(numeric) > len(shown) else ""
    fig.suptitle(title + more, fontsize=9)
    return fig


def _array_figure(Figure: Any, obj: DataObject, band: int, title: str) -> Any:
    values = obj.physical
    if values.ndim == 3:
        if not -values.shape[0] <= band < values.shape[0]:
            raise UnsupportedError(f"no band {band} (the cube has {values.shape[0]})", path=str(obj.file), obj=obj.name)
        values = values[band]
        title += f", band {band}"
    elif values.ndim > 3:
        raise UnsupportedError(f"a {values.ndim}-D array cannot be plotted", path=str(obj.file), obj=obj.name)
    data = np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)
    fig = Figure(figsize=(7, 5), dpi=100, layout="constrained")
    ax = fig.subplots()
    if data.ndim == 1:
        ax.plot(np.arange(data.size), data)
        ax.set_xlabel(obj.axes[0].name if obj.axes else "index")
    else:
        finite = data[np.isfinite(data)]
        lo, hi = (np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0))
        image = ax.imshow(data, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1, origin="upper",
                          interpolation="nearest", aspect="auto")
        names = [a.name for a in obj.axes][-2:]
        if len(names) == 2:
            ax.set_ylabel(names[0])
            ax.set_xlabel(names[1])
        fig.colorbar(image, ax=ax, label=obj.unit or "")
    ax.set_title(title, fontsize=9)
    return fig
