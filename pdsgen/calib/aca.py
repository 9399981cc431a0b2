"""Chandra ACA dark-current calibrations (seed 003, the mica ``aca_dark`` archive).

Pure functions on numpy arrays; temperatures in degC, dark current in e-/s, times in
any monotonic float scale (the recipe uses seconds since 1998-01-01, Chandra's
``secs``). The temperature scaling law is mica's: dark current grows by a factor
``scale_4c`` for every 4 degC of CCD warming.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: mica's ``DARK_SCALE_4C``: dark current x 1/0.70 per +4 degC.
DARK_SCALE_4C = 1.0 / 0.70

#: warm-pixel threshold of the seed's example, e-/s.
WARM_THRESHOLD_E_PER_S = 100.0

Select = Literal["nearest", "before", "after"]
SELECTS: tuple[str, ...] = ("nearest", "before", "after")


def dark_temp_scale(
    t_ccd: ArrayLike, t_ccd_ref: ArrayLike = -19.0, scale_4c: float = DARK_SCALE_4C
) -> NDArray[np.float64] | float:
    """Factor that turns dark current taken at ``t_ccd`` (degC) into dark current at
    ``t_ccd_ref`` (degC): ``scale_4c ** ((t_ccd_ref - t_ccd) / 4)``.

    ``dark_temp_scale(-10, -14) == 0.70``: cooling by 4 degC divides by 1/0.70.
    """
    if not np.isfinite(scale_4c) or scale_4c <= 0:
        raise ValueError(f"scale_4c must be a positive finite number, got {scale_4c!r}")
    t = np.asarray(t_ccd, dtype=np.float64)
    ref = np.asarray(t_ccd_ref, dtype=np.float64)
    out = np.power(float(scale_4c), (ref - t) / 4.0)
    return float(out) if out.ndim == 0 else out


def dark_cal_ccd_temp(replica_t_ccd_degc: ArrayLike) -> float:
    """CCD temperature of a dark calibration (degC): the mean of its replicas'
    temperatures, ignoring replicas without a reading (NaN). NaN if none has one."""
    t = np.asarray(replica_t_ccd_degc, dtype=np.float64).ravel()
    good = np.isfinite(t)
    if not good.any():
        return float("nan")
    return float(t[good].mean())


def warm_pixel_fraction(
    image_e_per_s: ArrayLike,
    threshold_e_per_s: float = WARM_THRESHOLD_E_PER_S,
    scale: float = 1.0,
) -> float:
    """Fraction of pixels whose dark current times ``scale`` exceeds the threshold.

    The denominator is every pixel of the image (mica divides by 1024*1024); NaN
    pixels are never warm. ``scale`` is `dark_temp_scale` to a reference temperature.
    """
    img = np.asarray(image_e_per_s)
    if img.size == 0:
        raise ValueError("empty dark image")
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    # The seed's literal test (image * scale > threshold), not image > threshold / scale:
    # the two can differ by one rounding at the boundary, and mica's numbers are the ones
    # users compare against.
    if scale == 1.0:
        return float(np.count_nonzero(img > threshold_e_per_s)) / img.size
    return float(np.count_nonzero(img * scale > threshold_e_per_s)) / img.size


def warm_pixel_fractions(
    images_e_per_s: ArrayLike,
    scales: ArrayLike,
    threshold_e_per_s: float = WARM_THRESHOLD_E_PER_S,
) -> NDArray[np.float64]:
    """`warm_pixel_fraction` for a stack of images (n, ny, nx) with one scale each."""
    imgs = np.asarray(images_e_per_s)
    if imgs.ndim != 3:
        raise ValueError(f"expected an image stack (n, ny, nx), got shape {imgs.shape}")
    s = np.asarray(scales, dtype=np.float64).reshape(-1)
    if s.shape[0] != imgs.shape[0]:
        raise ValueError(f"{s.shape[0]} scales for {imgs.shape[0]} images")
    if imgs.shape[1] * imgs.shape[2] == 0:
        raise ValueError("empty dark image")
    if not np.all(np.isfinite(s) & (s > 0)):
        raise ValueError("scales must be positive finite numbers")
    warm = imgs * s[:, None, None] > threshold_e_per_s
    return warm.reshape(imgs.shape[0], -1).sum(axis=1) / float(imgs.shape[1] * imgs.shape[2])


def scaled_dark(image_e_per_s: ArrayLike, scale: float) -> NDArray[np.float64]:
    """A dark-current image (e-/s) scaled by ``dark_temp_scale`` to another CCD temperature
    (mica's ``dark * dark_temp_scale(t_ccd, t_ccd_ref)``), in float64; NaN pixels stay NaN."""
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return np.asarray(image_e_per_s, dtype=np.float64) * float(scale)


def select_calibrations(cal_times: ArrayLike, times: ArrayLike, select: str = "before") -> NDArray[np.intp]:
    """`select_calibration` for many times at once: index per time, -1 where there is no
    calibration on the asked side. ``cal_times`` sorted increasing, same scale as ``times``."""
    if select not in SELECTS:
        raise ValueError(f"select must be one of {', '.join(SELECTS)}, got {select!r}")
    t = np.asarray(cal_times, dtype=np.float64).ravel()
    x = np.asarray(times, dtype=np.float64)
    if np.any(np.isnan(t)) or np.any(np.isnan(x)):
        raise ValueError("calibration times and the times must not be NaN")
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise ValueError("calibration times must be sorted in increasing order")
    if t.size == 0:
        return np.full(x.shape, -1, dtype=np.intp)
    if select == "before":
        return (np.searchsorted(t, x, side="right") - 1).astype(np.intp)
    after = np.searchsorted(t, x, side="left").astype(np.intp)
    if select == "after":
        return np.where(after < t.size, after, -1)
    # nearest: the closer of the neighbours; the earlier one on a tie (and on exact hits the
    # calibration itself, whose distance is 0)
    lo = np.clip(after - 1, 0, t.size - 1)
    hi = np.clip(after, 0, t.size - 1)
    return np.where(np.abs(x - t[lo]) <= np.abs(t[hi] - x), lo, hi)


def select_calibration(cal_times: ArrayLike, time: float, select: str = "before") -> int:
    """Index of the calibration to use at ``time``, from calibration times sorted in
    increasing order (same scale as ``time``).

    ``before``: latest calibration at or before ``time``; ``after``: earliest at or after;
    ``nearest``: smallest |difference| (the earlier one on a tie). A calibration exactly at
    ``time`` is chosen by all three, as mica does. Raises ``LookupError`` when there is
    no calibration on the asked side and ``ValueError`` for an unknown ``select``.
    """
    if not np.isfinite(time):
        raise ValueError("the time must not be NaN")
    if np.asarray(cal_times).size == 0:
        raise LookupError("no calibrations")
    i = int(select_calibrations(cal_times, [time], select)[0])
    if i < 0:
        side = "at or before" if select == "before" else "at or after"
        raise LookupError(f"no calibration {side} the requested time")
    return i


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


def _iso(secs: float) -> str:
    from astropy.time import Time

    return Time(secs, format="cxcsec").utc.isot + "Z"


def _dark_image(product, path):
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


def _cal_id(product, path) -> str:
    import re

    m = re.search(r"(\d{7})", path.stem)
    return m.group(1) if m else path.stem


def _checked_calibration(product, path, t_ccd_input) -> tuple[float, np.ndarray, float]:
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


def check_product(ctx, i: int, inputs) -> None:
    """Per-calibration checks the engine runs before the group (a bad one is left out)."""
    product, path = ctx.products[i], ctx.paths[i]
    _checked_calibration(product, path, inputs["t_ccd"])
    _dark_image(product, path)


def aca_dark_algorithm(ctx):
    """Recipe ``aca-dark``: warm-pixel fraction of every dark calibration between ``start``
    and ``stop`` (raw and scaled to ``t_ccd_ref``), as a time series with its plot, plus the
    calibration selected for ``date`` with ``select`` when a date is given."""
    import astropy.units as u
    from astropy.table import Table

    from pdsgen.calib.plots_aca import warm_pixel_plot
    from pdsgen.errors import DataError, RecipeError
    from pdsgen.recipes.context import AlgorithmResult, ArrayResult

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
    rows = []
    for i, (product, path) in enumerate(zip(ctx.products, paths, strict=True)):
        secs, temps, t_ccd = _checked_calibration(product, path, ctx.inputs["t_ccd"][i])
        if not lo <= secs <= hi:
            continue  # outside the requested time range (get_dark_cal_props_table's start/stop)
        img = _dark_image(product, path)
        scale = dark_temp_scale(t_ccd, t_ref, scale_4c)
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
    secs = np.array([r["CXCSEC"] for r in rows])
    if np.any(np.diff(secs) == 0):
        dup = [rows[k]["DARK_ID"] for k in np.flatnonzero(np.diff(secs) == 0)]
        raise DataError(f"two dark calibrations with the same date (ids {', '.join(dup)})")

    def table_of(rs):
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
        try:
            k = select_calibration(secs, when, str(p["select"]))
        except LookupError:
            raise RecipeError(f"no dark calibration {p['select']} {date} (calibrations cover "
                              f"{_iso(secs[0])[:10]} to {_iso(secs[-1])[:10]})") from None
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
    plots = {"warm_pixel_fraction": warm_pixel_plot(tables[""], t_ref, threshold)}
    meta = {"start_time": str(tables[""]["DATE"][0]), "stop_time": str(tables[""]["DATE"][-1]),
            "description": "Chandra ACA warm-pixel fraction per dark calibration, raw and "
                           f"scaled to {t_ref:g} degC."}
    return AlgorithmResult(tables=tables, arrays=arrays, plots=plots, meta=meta, notes=notes)


aca_dark_algorithm.check_product = check_product
