"""MAVEN IUVS dark-current trends (seed 001, the L1A dark notebook).

Pure functions on numpy arrays (one value per dark frame). Units: DN for detector
counts, ms for ``INT_TIME``, V for ``MCP_VOLT``, degC for calibrated temperatures.
The DN -> degC conversions are polynomials whose coefficients come from a calibration
file (the L1B pipeline's; see ``labels/iuvs/``), never from this code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: quality flag bits of a dark row
FLAG_SHUTTER_DARK = 1  # MCP_VOLT > 0: dark taken with the shutter, excluded from the trend
FLAG_BAD_INT_TIME = 2  # INT_TIME <= 0 or missing: no rate
FLAG_BAD_BINNING = 4  # SPE_SIZE or SPA_SIZE <= 0 or missing
FLAG_TEMP_OUT_OF_RANGE = 8  # a temperature DN outside every calibration segment
FLAG_NO_DARK_MEAN = 16  # the frame had no valid pixel


@dataclass(frozen=True)
class PolySegment:
    """One piece of a (split) polynomial DN -> degC: valid for ``dn_min <= DN <= dn_max``;
    ``coeffs`` in increasing power order (c0 + c1*DN + c2*DN**2 ...), like IDL ``poly``."""

    dn_min: float
    dn_max: float
    coeffs: tuple[float, ...]


def frame_dark_mean(image_dn: ArrayLike, blank: float | None = None) -> float:
    """Mean DN over all pixels of a dark frame (all frames of a 3-D set), ignoring the
    FITS ``BLANK`` value and NaN. NaN when no pixel is valid."""
    img = np.asarray(image_dn)
    if img.size == 0:
        return float("nan")
    valid = np.ones(img.shape, dtype=bool) if blank is None else img != blank
    if img.dtype.kind == "f":
        valid &= np.isfinite(img)
    n = np.count_nonzero(valid)
    if n == 0:
        return float("nan")
    return float(np.sum(img, where=valid, dtype=np.float64) / n)


def binning_corrected_mean(
    dark_mean_dn: ArrayLike, spe_size: ArrayLike, spa_size: ArrayLike
) -> NDArray[np.float64]:
    """Mean DN per detector pixel: each stored pixel is the sum of SPE_SIZE x SPA_SIZE
    binned pixels, so divide by their product. NaN where a bin size is not positive."""
    m = np.asarray(dark_mean_dn, dtype=np.float64)
    pix = np.asarray(spe_size, dtype=np.float64) * np.asarray(spa_size, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pix > 0, m / pix, np.nan)


def dn_per_second(corrected_mean_dn: ArrayLike, int_time_ms: ArrayLike) -> NDArray[np.float64]:
    """Dark rate in DN/s: corrected mean DN / (INT_TIME[ms] / 1000). NaN where
    INT_TIME is not positive."""
    c = np.asarray(corrected_mean_dn, dtype=np.float64)
    t_s = np.asarray(int_time_ms, dtype=np.float64) / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t_s > 0, c / t_s, np.nan)


def is_shutter_dark(mcp_volt_v: ArrayLike) -> NDArray[np.bool_]:
    """True for darks taken with the shutter (MCP high voltage on, MCP_VOLT > 0 V); the
    seed keeps only darks taken with the MCP voltage near zero."""
    v = np.asarray(mcp_volt_v, dtype=np.float64)
    return v > 0


def poly_dn_to_degc(dn: ArrayLike, segments: Sequence[PolySegment]) -> NDArray[np.float64]:
    """Temperature in degC from telemetry DN with a (split) polynomial; NaN where the DN
    falls in no segment (or is NaN). Segments are tried in order, first match wins."""
    x = np.asarray(dn, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    done = np.zeros(x.shape, dtype=bool)
    for seg in segments:
        if not seg.coeffs:
            raise ValueError("a temperature polynomial segment has no coefficients")
        if not all(np.isfinite(seg.coeffs)) or not (np.isfinite(seg.dn_min) and np.isfinite(seg.dn_max)):
            raise ValueError("a temperature polynomial coefficient or DN limit is NaN/inf")
        sel = ~done & (x >= seg.dn_min) & (x <= seg.dn_max)
        if sel.any():
            # np.polynomial.polynomial.polyval takes increasing-order coefficients (Horner).
            out[sel] = np.polynomial.polynomial.polyval(x[sel], seg.coeffs)
        done |= sel
    return out


def time_order(times_ns: ArrayLike) -> NDArray[np.intp]:
    """Stable order of rows by observation time (int64 ns or any sortable key)."""
    return np.argsort(np.asarray(times_ns), kind="stable")


@dataclass
class DarkTrend:
    """Columns of the dark-trend table, one row per dark frame (input order)."""

    corrected_mean_dn: NDArray[np.float64]
    dn_per_s: NDArray[np.float64]
    det_temp_degc: NDArray[np.float64]
    case_temp_degc: NDArray[np.float64]
    flags: NDArray[np.int32]


def dark_trend(
    dark_mean_dn: ArrayLike,
    spe_size: ArrayLike,
    spa_size: ArrayLike,
    int_time_ms: ArrayLike,
    mcp_volt_v: ArrayLike,
    det_temp_dn: ArrayLike,
    case_temp_dn: ArrayLike,
    det_poly: Sequence[PolySegment],
    case_poly: Sequence[PolySegment],
) -> DarkTrend:
    """The seed's whole per-dark computation, vectorised over frames.

    Shutter darks keep their row (flag ``FLAG_SHUTTER_DARK``) with NaN rate and
    corrected mean: excluded from the trend, not silently dropped.
    """
    mean = np.asarray(dark_mean_dn, dtype=np.float64)
    spe = np.asarray(spe_size, dtype=np.float64)
    spa = np.asarray(spa_size, dtype=np.float64)
    t_ms = np.asarray(int_time_ms, dtype=np.float64)
    det_dn = np.asarray(det_temp_dn, dtype=np.float64)
    case_dn = np.asarray(case_temp_dn, dtype=np.float64)
    corrected = binning_corrected_mean(mean, spe, spa)
    rate = dn_per_second(corrected, t_ms)
    shutter = is_shutter_dark(mcp_volt_v)
    det_c = poly_dn_to_degc(det_dn, det_poly)
    case_c = poly_dn_to_degc(case_dn, case_poly)

    flags = np.zeros(mean.shape, dtype=np.int32)
    flags[shutter] |= FLAG_SHUTTER_DARK
    flags[~(t_ms > 0)] |= FLAG_BAD_INT_TIME
    flags[~((spe > 0) & (spa > 0))] |= FLAG_BAD_BINNING
    flags[(np.isnan(det_c) & ~np.isnan(det_dn)) | (np.isnan(case_c) & ~np.isnan(case_dn))] |= (
        FLAG_TEMP_OUT_OF_RANGE
    )
    flags[np.isnan(mean)] |= FLAG_NO_DARK_MEAN
    corrected = np.where(shutter, np.nan, corrected)
    rate = np.where(shutter, np.nan, rate)
    return DarkTrend(corrected, rate, det_c, case_c, flags)
