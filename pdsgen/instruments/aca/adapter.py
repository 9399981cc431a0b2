"""Recipe adapter of aca: wires the recipe engine's context (products, calibration files,
parameters) to the pure functions of `pdsgen.instruments.aca.algorithm`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from pdsgen.instruments.aca.algorithm import (
    dark_cal_ccd_temp,
    dark_temp_scale,
    scaled_dark,
    select_calibration,
    warm_pixel_fraction,
)
from pdsgen.recipes.api import with_product_check

if TYPE_CHECKING:
    from pathlib import Path

    from pdsgen.model import Product
    from pdsgen.recipes.api import AlgorithmResult, RecipeContext

class _DarkRow(TypedDict):
    """One dark calibration's row of the warm-pixel table (and where it came from)."""

    INDEX: int
    DARK_ID: str
    CXCSEC: float
    T_CCD: float
    N_REPLICAS: int
    SCALE: float
    N100: float
    N100_REF: float
    N_PIXELS: int


# --------------------------------------------------------------------------- recipe edge
# Adapts the recipe engine's context to the pure functions above (reading the images
# and turning dates into Chandra seconds happens here).


def chandra_secs(date: str) -> float:
    """Seconds since 1998-01-01T00:00:00 TT (Chandra ``secs``, astropy ``cxcsec``) of a date
    in Chandra (``2008:001[:hh:mm:ss]``) or ISO (``2008-01-01[Thh:mm:ss]``) form."""
    from astropy.time import Time

    text = str(date).strip().rstrip("Z")
    if not text:
        raise ValueError("empty date")
    return float(Time(text, scale="utc").cxcsec)


def _day_start(secs: float) -> float:
    """Chandra secs of 00:00:00 UTC of the day ``secs`` falls on (a dark-cal id's date)."""
    return chandra_secs(_iso(secs)[:10])


def _iso(secs: float) -> str:
    from astropy.time import Time

    return str(Time(secs, format="cxcsec").utc.isot) + "Z"


def _dark_image(product: Product, path: Path) -> np.ndarray:
    from pdsgen.errors import DataError

    arrays = [o for o in product.objects if o.kind == "array"]
    if not arrays:
        raise DataError("no dark-current image (array object) in the product", path=str(path))
    obj = next((o for o in arrays if o.name.upper() == "DARK_CURRENT"), arrays[0])
    img = np.asarray(obj.data)
    if img.ndim != 2 or img.size == 0:
        raise DataError(f"dark-current image has shape {img.shape}, expected a non-empty 2-D image",
                        path=str(path), obj=obj.name)
    return img


def _cal_id(product: Product, path: Path) -> str:
    import re

    m = re.search(r"(\d{7})", path.stem)
    return m.group(1) if m else path.stem


def _checked_calibration(product: Product, path: Path, t_ccd_input: object) -> tuple[float, np.ndarray, float]:
    """(date in Chandra seconds, replica temperatures, mean T_CCD) of one calibration, or a
    DataError naming it."""
    from pdsgen.errors import DataError

    start = getattr(product, "start_time", None)
    if not start:
        raise DataError("no start_date_time in the label: the calibration has no date", path=str(path))
    try:
        secs = chandra_secs(start)
    except ValueError as exc:
        raise DataError(f"start_date_time {start!r} is not a date ({exc})", path=str(path)) from None
    temps = np.asarray(getattr(t_ccd_input, "value", t_ccd_input), dtype=float)
    if temps.size == 0:
        raise DataError("no CCD temperature: the REPLICAS table has no record (empty product)", path=str(path))
    t_ccd = dark_cal_ccd_temp(temps)
    if not np.isfinite(t_ccd):
        raise DataError("no CCD temperature: every replica lacks T_CCD (missing constant)", path=str(path))
    return secs, temps, t_ccd


def check_product(ctx: RecipeContext, i: int, inputs: Mapping[str, Any]) -> None:
    """Per-calibration checks the engine runs before the group (a bad one is left out)."""
    product, path = ctx.products[i], ctx.paths[i]
    _checked_calibration(product, path, inputs["t_ccd"])
    _dark_image(product, path)


def aca_dark_algorithm(ctx: RecipeContext) -> AlgorithmResult:
    """Recipe ``aca-dark``: warm-pixel fraction of every dark calibration between ``start``
    and ``stop`` (raw and scaled to ``t_ccd_ref``), as a time series with its plot, plus the
    calibration selected for ``date`` with ``select`` when a date is given."""
    import astropy.units as u
    from astropy.table import Table

    from pdsgen.errors import DataError, RecipeError
    from pdsgen.instruments.aca.plots import dark_image, warm_pixel_plot
    from pdsgen.recipes.api import AlgorithmResult, ArrayResult

    paths = ctx.paths
    if not paths:
        raise RecipeError("no dark calibrations given")
    p = ctx.params
    t_ref = float(u.Quantity(p["t_ccd_ref"], u.deg_C).value)
    scale_4c = float(p["scale_4c"])
    threshold = float(u.Quantity(p["threshold"], u.electron / u.s).value)

    def bound(name: str, default: float) -> float:
        text = str(p.get(name) or "").strip()
        if not text:
            return default
        try:
            return chandra_secs(text)
        except ValueError as exc:
            raise RecipeError(f"parameter {name!r} = {text!r} is not a date ({exc})") from None

    lo, hi = bound("start", -np.inf), bound("stop", np.inf)
    if lo > hi:
        raise RecipeError(f"parameter 'start' = {p['start']} is after 'stop' = {p['stop']}")
    rows: list[_DarkRow] = []
    for i, (product, path) in enumerate(zip(ctx.products, paths, strict=True)):
        secs, temps, t_ccd = _checked_calibration(product, path, ctx.inputs["t_ccd"][i])
        if not lo <= secs <= hi:
            continue  # outside the requested time range (get_dark_cal_props_table's start/stop)
        img = _dark_image(product, path)
        scale = float(dark_temp_scale(t_ccd, t_ref, scale_4c))
        rows.append({
            "INDEX": i,
            "DARK_ID": _cal_id(product, path),
            "CXCSEC": secs,
            "T_CCD": t_ccd,
            "N_REPLICAS": int(np.count_nonzero(np.isfinite(temps))),
            "SCALE": scale,
            "N100": warm_pixel_fraction(img, threshold),
            "N100_REF": warm_pixel_fraction(img, threshold, scale),
            "N_PIXELS": int(img.size),
        })
    if not rows:
        raise RecipeError(f"no dark calibration between start {p.get('start') or '-'} and stop "
                          f"{p.get('stop') or '-'} ({len(paths)} given)")
    rows.sort(key=lambda r: r["CXCSEC"])
    cal_secs = np.array([r["CXCSEC"] for r in rows])
    if np.any(np.diff(cal_secs) == 0):
        dup = [rows[k]["DARK_ID"] for k in np.flatnonzero(np.diff(cal_secs) == 0)]
        raise DataError(f"two dark calibrations with the same date (ids {', '.join(dup)})")

    def table_of(rs: list[_DarkRow]) -> Table:
        t = Table()
        t["DARK_ID"] = [r["DARK_ID"] for r in rs]
        t["DATE"] = [_iso(r["CXCSEC"]) for r in rs]
        t["CXCSEC"] = u.Quantity([r["CXCSEC"] for r in rs], u.s)
        t["T_CCD"] = u.Quantity([r["T_CCD"] for r in rs], u.deg_C)
        t["N_REPLICAS"] = [r["N_REPLICAS"] for r in rs]
        t["T_CCD_REF"] = u.Quantity([t_ref] * len(rs), u.deg_C)
        t["SCALE"] = [r["SCALE"] for r in rs]
        t["N100"] = [r["N100"] for r in rs]
        t["N100_REF"] = [r["N100_REF"] for r in rs]
        t["N_PIXELS"] = [r["N_PIXELS"] for r in rs]
        return t

    tables = {"": table_of(rows)}
    arrays = {}
    notes = [f"{len(rows)} dark calibrations, warm = dark current > {threshold:g} e-/s, "
             f"scaled to {t_ref:g} degC"]
    date = str(p.get("date") or "").strip()
    if date:
        try:
            when = chandra_secs(date)
        except ValueError:
            raise RecipeError(f"parameter 'date' = {date!r} is not a date "
                              "(ISO 8601 YYYY-MM-DD[Thh:mm:ss] or YYYY:DDD[:hh:mm:ss])") from None
        # mica's get_dark_cal_id: calibrations are days (YYYYDOY ids), a same-day one wins
        try:
            k = select_calibration(np.array([_day_start(x) for x in cal_secs]), when, str(p["select"]), _day_start(when))
        except LookupError:
            raise RecipeError(f"no dark calibration {p['select']} {date} (calibrations cover "
                              f"{_iso(cal_secs[0])[:10]} to {_iso(cal_secs[-1])[:10]})") from None
        sel = table_of([rows[k]])
        sel["REQUESTED_DATE"] = [_iso(when)]
        sel["SELECT"] = [str(p["select"])]
        tables["selected"] = sel
        notes.append(f"{p['select']} {date}: dark calibration {rows[k]['DARK_ID']}")
        j = rows[k]["INDEX"]
        img = _dark_image(ctx.products[j], paths[j])
        arrays["scaled_dark"] = ArrayResult(
            data=scaled_dark(img, rows[k]["SCALE"]), unit="electron/s", axis_names=("Line", "Sample"),
            description=(f"dark calibration {rows[k]['DARK_ID']} (T_CCD {rows[k]['T_CCD']:.3f} degC) scaled to "
                         f"{t_ref:g} degC: dark current x {rows[k]['SCALE']:.6f}, e-/s"),
            meta={"start_time": _iso(rows[k]["CXCSEC"]), "stop_time": _iso(rows[k]["CXCSEC"])}, sources=[j])
    plots = {"warm_pixel_fraction": partial(warm_pixel_plot, tables[""], t_ref, threshold)}  # drawn by the engine
    if "scaled_dark" in arrays:
        plots["dark_image"] = partial(dark_image, arrays["scaled_dark"].data,
                                      f"dark calibration {sel['DARK_ID'][0]} scaled to {t_ref:g} degC")
    meta = {"start_time": str(tables[""]["DATE"][0]), "stop_time": str(tables[""]["DATE"][-1]),
            "description": "Chandra ACA warm-pixel fraction per dark calibration, raw and "
                           f"scaled to {t_ref:g} degC."}
    return AlgorithmResult(tables=tables, arrays=arrays, plots=plots, meta=meta, notes=notes)


aca_dark_algorithm = with_product_check(aca_dark_algorithm, check_product)
