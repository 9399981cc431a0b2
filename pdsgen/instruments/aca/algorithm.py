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
    fractions: NDArray[np.float64] = warm.reshape(imgs.shape[0], -1).sum(axis=1) / float(imgs.shape[1] * imgs.shape[2])
    return fractions


def scaled_dark(image_e_per_s: ArrayLike, scale: float) -> NDArray[np.float64]:
    """A dark-current image (e-/s) scaled by ``dark_temp_scale`` to another CCD temperature
    (mica's ``dark * dark_temp_scale(t_ccd, t_ccd_ref)``), in float64; NaN pixels stay NaN."""
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return np.asarray(image_e_per_s, dtype=np.float64) * float(scale)


def select_calibrations(
    cal_times: ArrayLike, times: ArrayLike, select: str = "before", time_days: ArrayLike | None = None
) -> NDArray[np.intp]:
    """`select_calibration` for many times at once: index per time, -1 where there is no
    calibration on the asked side. ``cal_times`` sorted increasing, same scale as ``times``.

    mica's ``get_dark_cal_id``: ``cal_times`` are the calibrations' *days* (the start of
    each calibration's day: a dark-cal id is YYYYDOY) and ``time_days`` the start of each
    time's day; a calibration on the same day as the time is chosen whatever ``select``
    says, the others are compared by day start against the exact time.
    """
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
    if time_days is not None:
        day = np.broadcast_to(np.asarray(time_days, dtype=np.float64), x.shape)
        rule = select_calibrations(t, x, select)
        k = np.clip(np.searchsorted(t, day, side="left"), 0, t.size - 1)
        return np.where(t[k] == day, k, rule).astype(np.intp)
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


def select_calibration(cal_times: ArrayLike, time: float, select: str = "before", time_day: float | None = None) -> int:
    """Index of the calibration to use at ``time``, from calibration times sorted in
    increasing order (same scale as ``time``).

    ``before``: latest calibration at or before ``time``; ``after``: earliest at or after;
    ``nearest``: smallest |difference| (the earlier one on a tie). A calibration exactly at
    ``time`` is chosen by all three. With ``time_day`` (the start of the time's day, and
    ``cal_times`` the calibrations' day starts) this is mica's ``get_dark_cal_id``: a
    same-day calibration wins whatever ``select`` says (see `select_calibrations`). Raises
    ``LookupError`` when there is no calibration on the asked side (mica's ``before``
    then wraps round to its *latest* calibration through a negative list index; pdsgen
    says there is none) and ``ValueError`` for an unknown ``select``.
    """
    if not np.isfinite(time):
        raise ValueError("the time must not be NaN")
    if np.asarray(cal_times).size == 0:
        raise LookupError("no calibrations")
    i = int(select_calibrations(cal_times, [time], select, None if time_day is None else [time_day])[0])
    if i < 0:
        side = "at or before" if select == "before" else "at or after"
        raise LookupError(f"no calibration {side} the requested time")
    return i
