"""Recipe adapter of iuvs: wires the recipe engine's context (products, calibration files,
parameters) to the pure functions of `pdsgen.instruments.iuvs.algorithm`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from pdsgen.errors import RecipeError
from pdsgen.instruments.iuvs.algorithm import (
    FLAG_SHUTTER_DARK,
    PolySegment,
    dark_trend,
    frame_dark_mean,
    time_order,
)
from pdsgen.recipes.api import with_product_check
from pdsgen.times import parse_times

if TYPE_CHECKING:

    from pathlib import Path

    from pdsgen.model import Product
    from pdsgen.recipes.api import AlgorithmResult, RecipeContext

# --------------------------------------------------------------------------- recipe edge
# Everything below adapts the recipe engine's context to the pure functions above:
# reading the calibration file and the dark frames happens here, at the edge.

#: INT_TIMEs (ms) the seed's diagnostic plots show, in its order.
PLOT_INT_TIMES_MS = (14400, 10200, 6000, 4200, 4000, 1400)


def read_temperature_polynomials(path: str | os.PathLike[str]) -> dict[str, list[PolySegment]]:
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


def _first_values(values: Sequence[object], name: str, paths: Sequence[object]) -> NDArray[Any]:
    """One value per product from per-product arrays (the Engineering table has one row)."""
    from pdsgen.errors import DataError

    out = []
    for v, p in zip(values, paths, strict=True):
        arr = np.atleast_1d(np.asarray(getattr(v, "value", v)))
        if arr.size == 0:
            raise DataError(f"input {name!r}: the engineering table has no record (empty product)", path=str(p))
        out.append(arr.ravel()[0])
    return np.asarray(out)


def _observation_time(product: Product, path: Path) -> np.datetime64:
    """The label's start time, else the L1A file-name time stamp (what the seed uses)."""
    import re

    from pdsgen.errors import DataError

    text = (getattr(product, "start_time", None) or "").strip()
    if text:
        try:
            when: np.datetime64 = parse_times(np.array([text]))[0].astype("datetime64[ns]")
            return when
        except RecipeError:
            pass
    m = re.search(r"_(\d{8})T(\d{6})_", str(path))
    if m:
        d, t = m.groups()
        return np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}T{t[:2]}:{t[2:4]}:{t[4:]}", "ns")
    raise DataError("no observation time: no start_date_time in the label and no time stamp in the file name",
                    path=str(path))


def _dark_frame(product: Product, path: Path) -> tuple[float, int]:
    from pdsgen.errors import DataError

    arrays = [o for o in product.objects if o.kind == "array"]
    if not arrays:
        raise DataError("no dark image (array object) in the product", path=str(path))
    obj = next((o for o in arrays if o.name.upper() == "DARK"), arrays[0])
    blank = obj.special_constants.get("missing_constant") if obj.special_constants else None
    data = obj.data
    frames = int(data.shape[0]) if data.ndim == 3 else 1
    return frame_dark_mean(data, None if blank is None else float(blank)), frames


def _product_values(ctx: RecipeContext, product: Product, path: Path) -> tuple[float, int, np.datetime64]:
    """(dark mean DN, frames, observation time) of one L1A dark, read once per run."""
    key = ("iuvs-dark", str(path))
    if key not in ctx.cache:
        m, f = _dark_frame(product, path)
        ctx.cache[key] = (m, f, _observation_time(product, path))
    values: tuple[float, int, np.datetime64] = ctx.cache[key]
    return values


_ONE_VALUE_INPUTS = ("int_time", "spe_size", "spa_size", "mcp_volt", "det_temp_dn", "case_temp_dn", "xuv")


def check_product(ctx: RecipeContext, i: int, inputs: Mapping[str, Any]) -> None:
    """Per-dark checks the engine runs before the group (a bad dark is left out of it)."""
    for k in _ONE_VALUE_INPUTS:
        _first_values([inputs[k]], k, [ctx.paths[i]])
    _product_values(ctx, ctx.products[i], ctx.paths[i])


def iuvs_dark_algorithm(ctx: RecipeContext) -> AlgorithmResult:
    """Recipe ``iuvs-dark``: one dark-trend table per XUV group, sorted by time, + plots."""
    from astropy.table import MaskedColumn, Table

    from pdsgen.errors import DataError, RecipeError
    from pdsgen.instruments.iuvs.plots import (
        det_temp_over_time,
        dn_rate_vs_det_temp,
        trends_over_time,
    )
    from pdsgen.recipes.api import AlgorithmResult

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
    when = np.asarray(times, dtype="datetime64[ns]")
    order = time_order(when.astype(np.int64))

    def masked(values: object, unit: str) -> MaskedColumn:
        v = np.asarray(values, dtype=np.float64)[order]
        return MaskedColumn(v, mask=~np.isfinite(v), unit=unit)

    table = Table()
    table["TIME"] = np.char.add(np.datetime_as_string(when[order], unit="ms").astype(str), "Z")
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
    plots = {  # drawn by the recipe engine (matplotlib is the optional `plots` extra)
        "dn_per_s_vs_det_temp": partial(dn_rate_vs_det_temp, table, good, str(group), PLOT_INT_TIMES_MS),
        "det_temp_over_time": partial(det_temp_over_time, table, good, str(group), PLOT_INT_TIMES_MS),
        "trends_over_time": partial(trends_over_time, table, good, str(group)),
    }
    meta = {"start_time": str(table["TIME"][0]), "stop_time": str(table["TIME"][-1]),
            "description": f"MAVEN IUVS {group} dark-current trend: one row per L1A dark, sorted by time."}
    return AlgorithmResult(tables={"": table}, plots=plots, meta=meta, notes=notes)


iuvs_dark_algorithm = with_product_check(iuvs_dark_algorithm, check_product)
