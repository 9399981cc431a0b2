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


# --------------------------------------------------------------------------- recipe edge
# Everything below adapts the recipe engine's context to the pure functions above:
# reading the calibration file and the dark frames happens here, at the edge.

#: INT_TIMEs (ms) the seed's diagnostic plots show, in its order.
PLOT_INT_TIMES_MS = (14400, 10200, 6000, 4200, 4000, 1400)


def read_temperature_polynomials(path) -> dict[str, list[PolySegment]]:
    """``sensor -> segments`` from the calibration CSV (columns sensor, dn_min, dn_max,
    c0, c1, ...). Blank cells and NaN are errors naming the file and line."""
    import csv
    from pathlib import Path

    from pdsgen.errors import DataError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read temperature calibration: {exc}", path=str(p)) from None
    rows = list(csv.reader(line for line in text.splitlines() if line.strip() and not line.startswith("#")))
    if not rows:
        raise DataError("temperature calibration file is empty", path=str(p))
    head = [h.strip().lower() for h in rows[0]]
    need = ["sensor", "dn_min", "dn_max", "c0"]
    if head[:4] != need:
        raise DataError(f"temperature calibration header must start with {','.join(need)}, got {','.join(head)}",
                        path=str(p))
    out: dict[str, list[PolySegment]] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != len(head):
            raise DataError(f"line {line_no}: {len(row)} values for {len(head)} columns", path=str(p))
        try:
            nums = [float(x) for x in row[1:]]
        except ValueError:
            raise DataError(f"line {line_no}: not a number in {row[1:]}", path=str(p)) from None
        if not all(np.isfinite(nums)):
            raise DataError(f"line {line_no}: NaN/inf coefficient or DN limit", path=str(p))
        coeffs = tuple(nums[2:])
        out.setdefault(row[0].strip().upper(), []).append(PolySegment(nums[0], nums[1], coeffs))
    return out


def _first_values(values: list, name: str, paths: list) -> NDArray:
    """One value per product from per-product arrays (the Engineering table has one row)."""
    from pdsgen.errors import DataError

    out = []
    for v, p in zip(values, paths, strict=True):
        arr = np.atleast_1d(np.asarray(getattr(v, "value", v)))
        if arr.size == 0:
            raise DataError(f"input {name!r}: the engineering table has no record (empty product)", path=str(p))
        out.append(arr.ravel()[0])
    return np.asarray(out)


def _observation_time(product, path) -> np.datetime64:
    """The label's start time, else the L1A file-name time stamp (what the seed uses)."""
    import re

    from pdsgen.errors import DataError

    text = (getattr(product, "start_time", None) or "").strip().rstrip("Z")
    if text:
        try:
            return np.datetime64(text, "ns")
        except ValueError:
            pass
    m = re.search(r"_(\d{8})T(\d{6})_", str(path))
    if m:
        d, t = m.groups()
        return np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}T{t[:2]}:{t[2:4]}:{t[4:]}", "ns")
    raise DataError("no observation time: no start_date_time in the label and no time stamp in the file name",
                    path=str(path))


def _dark_frame(product, path):
    from pdsgen.errors import DataError

    arrays = [o for o in product.objects if o.kind == "array"]
    if not arrays:
        raise DataError("no dark image (array object) in the product", path=str(path))
    obj = next((o for o in arrays if o.name.upper() == "DARK"), arrays[0])
    blank = obj.special_constants.get("missing_constant") if obj.special_constants else None
    data = obj.data
    frames = int(data.shape[0]) if data.ndim == 3 else 1
    return frame_dark_mean(data, None if blank is None else float(blank)), frames


def _product_values(ctx, product, path) -> tuple[float, int, np.datetime64]:
    """(dark mean DN, frames, observation time) of one L1A dark, read once per run."""
    key = ("iuvs-dark", str(path))
    if key not in ctx.cache:
        m, f = _dark_frame(product, path)
        ctx.cache[key] = (m, f, _observation_time(product, path))
    return ctx.cache[key]


_ONE_VALUE_INPUTS = ("int_time", "spe_size", "spa_size", "mcp_volt", "det_temp_dn", "case_temp_dn", "xuv")


def check_product(ctx, i: int, inputs) -> None:
    """Per-dark checks the engine runs before the group (a bad dark is left out of it)."""
    for k in _ONE_VALUE_INPUTS:
        _first_values([inputs[k]], k, [ctx.paths[i]])
    _product_values(ctx, ctx.products[i], ctx.paths[i])


def iuvs_dark_algorithm(ctx):
    """Recipe ``iuvs-dark``: one dark-trend table per XUV group, sorted by time, + plots."""
    from astropy.table import MaskedColumn, Table

    from pdsgen.calib.plots_iuvs import det_temp_over_time, dn_rate_vs_det_temp, trends_over_time
    from pdsgen.errors import DataError, RecipeError
    from pdsgen.recipes.context import AlgorithmResult

    paths = ctx.paths
    if not paths:
        raise RecipeError("no input products")
    cal_path = ctx.calibration("temperatures")
    polys = read_temperature_polynomials(cal_path)
    for sensor in ("DET_TEMP", "CASE_TEMP"):
        if sensor not in polys:
            raise DataError(f"no {sensor} polynomial in the temperature calibration", path=str(cal_path))

    inp = ctx.inputs
    get = {k: _first_values(inp[k], k, paths) for k in _ONE_VALUE_INPUTS}
    means, frames, times = [], [], []
    for product, path in zip(ctx.products, paths, strict=True):
        m, f, t = _product_values(ctx, product, path)
        means.append(m)
        frames.append(f)
        times.append(t)
    trend = dark_trend(
        dark_mean_dn=np.asarray(means), spe_size=get["spe_size"], spa_size=get["spa_size"],
        int_time_ms=get["int_time"], mcp_volt_v=get["mcp_volt"], det_temp_dn=get["det_temp_dn"],
        case_temp_dn=get["case_temp_dn"], det_poly=polys["DET_TEMP"], case_poly=polys["CASE_TEMP"],
    )
    t = np.asarray(times, dtype="datetime64[ns]")
    order = time_order(t.astype(np.int64))

    def masked(values, unit):
        v = np.asarray(values, dtype=np.float64)[order]
        return MaskedColumn(v, mask=~np.isfinite(v), unit=unit)

    table = Table()
    table["TIME"] = np.char.add(np.datetime_as_string(t[order], unit="ms").astype(str), "Z")
    table["FILE_NAME"] = np.array([p.name for p in paths])[order]
    table["XUV"] = np.char.strip(get["xuv"].astype(str))[order]
    table["INT_TIME"] = get["int_time"].astype(np.float64)[order]
    table["SPE_SIZE"] = get["spe_size"].astype(np.int64)[order]
    table["SPA_SIZE"] = get["spa_size"].astype(np.int64)[order]
    table["FRAMES"] = np.asarray(frames, dtype=np.int64)[order]
    table["MCP_VOLT"] = get["mcp_volt"].astype(np.float64)[order]
    table["DARK_MEAN"] = masked(means, "DN")
    table["CORRECTED_MEAN"] = masked(trend.corrected_mean_dn, "DN")
    table["DN_PER_S"] = masked(trend.dn_per_s, "DN/s")
    table["DET_TEMP_DN"] = get["det_temp_dn"].astype(np.float64)[order]
    table["CASE_TEMP_DN"] = get["case_temp_dn"].astype(np.float64)[order]
    table["DET_TEMP"] = masked(trend.det_temp_degc, "deg_C")
    table["CASE_TEMP"] = masked(trend.case_temp_degc, "deg_C")
    table["QUALITY_FLAG"] = trend.flags[order]

    n_shutter = int(np.count_nonzero(trend.flags & FLAG_SHUTTER_DARK))
    group = ctx.group or ",".join(sorted(set(table["XUV"])))
    notes = [f"{len(table)} darks, {n_shutter} shutter darks (MCP_VOLT > 0) flagged and excluded from DN_PER_S"]
    bad = int(np.count_nonzero(trend.flags & ~FLAG_SHUTTER_DARK))
    if bad:
        notes.append(f"{bad} darks flagged for bad INT_TIME, binning, temperature DN or empty frames")
    good = (trend.flags[order] == 0)
    plots = {
        "dn_per_s_vs_det_temp": dn_rate_vs_det_temp(table, good, str(group), PLOT_INT_TIMES_MS),
        "det_temp_over_time": det_temp_over_time(table, good, str(group), PLOT_INT_TIMES_MS),
        "trends_over_time": trends_over_time(table, good, str(group)),
    }
    meta = {"start_time": str(table["TIME"][0]), "stop_time": str(table["TIME"][-1]),
            "description": f"MAVEN IUVS {group} dark-current trend: one row per L1A dark, sorted by time."}
    return AlgorithmResult(tables={"": table}, plots=plots, meta=meta, notes=notes)


iuvs_dark_algorithm.check_product = check_product
