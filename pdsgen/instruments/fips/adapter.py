"""Recipe adapter of fips: wires the recipe engine's context (products, calibration files,
parameters) to the pure functions of `pdsgen.instruments.fips.algorithm`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pdsgen.errors import DataError, RecipeError
from pdsgen.instruments.fips.algorithm import (
    PHA_ZERO_WEIGHT_REASONS,
    PROTON_MASS_KG,
    CalibrationCoverageError,
    EdrValueError,
    interpolate_efficiency,
    invalid_cells,
    pha_events,
    pha_weight_per_m_sr,
    pixel_lookup,
    select_table,
    spectra,
    speed_m_s,
    step_lookup,
    velocity_distribution,
)
from pdsgen.times import parse_times

if TYPE_CHECKING:

    from pdsgen.recipes.api import AlgorithmResult, RecipeContext

# --------------------------------------------------------------------------- calibration files


def read_eq_table(path: Path, data_date: np.datetime64) -> dict[str, Any]:
    """The E/q stepping table in force at ``data_date``, as arrays ``eq``/``accum`` [mode, step].

    File format (CSV, first line names the columns): ``VALID_FROM`` (ISO date), ``STEP``,
    then per stepping mode M the columns ``EQ_M(keV/e)`` and ``ACCUM_M(s)``. Several tables
    are stacked in one file by ``VALID_FROM``.
    """
    from astropy.table import Table

    t = Table.read(path, format="ascii.csv")
    cols = {c.upper(): c for c in t.colnames}
    for need in ("VALID_FROM", "STEP"):
        if need not in cols:
            raise RecipeError(f"E/q table has no {need} column (columns: {', '.join(t.colnames)})", path=str(path))
    valid = np.array([str(v)[:10] for v in t[cols["VALID_FROM"]]], dtype="datetime64[D]")
    try:
        chosen = select_table(valid, data_date)
    except CalibrationCoverageError as exc:
        raise RecipeError(str(exc), path=str(path)) from None
    rows = t[valid == chosen]
    steps = np.asarray(rows[cols["STEP"]], dtype=np.int64)
    if not np.array_equal(np.sort(steps), np.arange(len(steps))):
        raise RecipeError(f"E/q table {chosen}: steps must be 0..N-1 once each", path=str(path))
    order = np.argsort(steps)
    modes: list[int] = []
    eq_rows, acc_rows = [], []
    for c in t.colnames:
        m = re.fullmatch(r"EQ_(\d+)(\(.*\))?", c, flags=re.I)
        if not m:
            continue
        mode = int(m.group(1))
        acc = next((a for a in t.colnames if re.fullmatch(rf"ACCUM_{mode}(\(.*\))?", a, flags=re.I)), None)
        if acc is None:
            raise RecipeError(f"E/q table has {c} but no ACCUM_{mode} column", path=str(path))
        modes.append(mode)
        eq_rows.append(np.asarray(rows[c], dtype=np.float64)[order])
        acc_rows.append(np.asarray(rows[acc], dtype=np.float64)[order])
    if not modes:
        raise RecipeError("E/q table has no EQ_<mode> columns", path=str(path))
    return {"date": chosen, "modes": np.array(modes), "eq": np.vstack(eq_rows), "accum": np.vstack(acc_rows)}


def read_angle_constants(path: Path, fsw_version: str) -> dict[str, Any]:
    """The X-Y → angle constants for a flight software version (row ``*`` = all others).

    File format (CSV): ``fsw_version, zenith_model, azimuth_model, X0, Y0, P0, P1, R0..R5``;
    empty P0/P1 = not applicable (azimuth = θ_MCP). Models: ``polynomial`` (zenith) and
    ``theta`` / ``linear`` (azimuth).
    """
    from astropy.table import Table

    t = Table.read(path, format="ascii.csv", converters={"fsw_version": [_str_converter()]})
    versions = [str(v).strip() for v in t["fsw_version"]]
    want = str(fsw_version).strip().lstrip("vV")
    row_i = versions.index(want) if want in versions else versions.index("*") if "*" in versions else None
    if row_i is None:
        raise RecipeError(f"no angle constants for flight software version {fsw_version!r} and no '*' row",
                          path=str(path))
    row = t[row_i]

    def num(name: str) -> float | None:
        if name not in t.colnames:
            return None
        v = row[name]
        if np.ma.is_masked(v) or str(v).strip() in ("", "N/A", "--"):
            return None
        return float(v)

    x0, y0 = num("X0"), num("Y0")
    if x0 is None or y0 is None:
        raise RecipeError(f"angle constants for version {versions[row_i]!r}: X0/Y0 missing", path=str(path))
    rk = [num(f"R{k}") for k in range(10) if f"R{k}" in t.colnames]
    if not rk or any(v is None for v in rk):
        raise RecipeError(f"angle constants for version {versions[row_i]!r}: R coefficients missing", path=str(path))
    zmodel = str(row["zenith_model"]).strip() if "zenith_model" in t.colnames else "polynomial"
    amodel = str(row["azimuth_model"]).strip() if "azimuth_model" in t.colnames else "theta"
    if zmodel != "polynomial":
        raise RecipeError(f"unknown zenith_model {zmodel!r} (known: polynomial)", path=str(path))
    if amodel not in ("theta", "linear"):
        raise RecipeError(f"unknown azimuth_model {amodel!r} (known: theta, linear)", path=str(path))
    p0, p1 = num("P0"), num("P1")
    if amodel == "linear" and (p0 is None or p1 is None):
        raise RecipeError(f"azimuth_model linear for version {versions[row_i]!r} needs P0 and P1", path=str(path))
    return {"version": versions[row_i], "X0": x0, "Y0": y0, "R": rk,
            "P0": p0 if amodel == "linear" else None, "P1": p1 if amodel == "linear" else None}


def _str_converter() -> Any:
    from astropy.io.ascii import convert_numpy

    return convert_numpy(str)


def read_efficiency(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Proton efficiency table (CSV): ``EQ(keV/e)``, ``ETA`` (0 < η <= 1)."""
    from astropy.table import Table

    t = Table.read(path, format="ascii.csv")
    eqc = next((c for c in t.colnames if c.upper().startswith("EQ")), None)
    etac = next((c for c in t.colnames if c.upper().startswith("ETA")), None)
    if eqc is None or etac is None:
        raise RecipeError(f"efficiency table needs EQ(keV/e) and ETA columns (has {', '.join(t.colnames)})",
                          path=str(path))
    eq = np.asarray(t[eqc], dtype=np.float64)
    eta = np.asarray(t[etac], dtype=np.float64)
    if not (np.all(np.isfinite(eta)) and np.all(eta > 0) and np.all(eta <= 1) and np.all(eq > 0)):
        raise RecipeError("efficiency table: ETA must be in (0, 1] and EQ > 0 in every row", path=str(path))
    return eq, eta


def read_solid_angle_table(path: Path) -> dict[str, np.ndarray]:
    """Per-pixel solid-angle table (the role of the seed's ``FIPA_FYYYYDDDCDR_V#.txt``).

    File format (CSV text, first line names the columns, ``#`` lines are comments): ``X``,
    ``Y`` (integer start-anode pixel: an event at (x, y) is in pixel (floor(x), floor(y))),
    ``SOLID_ANGLE(sr)`` (> 0, finite), ``OBSTRUCTED`` (1: pixel on the obstructed region of
    the detector, its events get weight 0.0; 0 otherwise). Each pixel at most once.
    """
    from astropy.table import Table

    try:
        t = Table.read(path, format="ascii.csv", comment="#")
    except Exception as exc:  # noqa: BLE001 - any parse failure names the file
        raise RecipeError(f"solid-angle table is not readable CSV: {exc}", path=str(path)) from None
    cols = {re.sub(r"\(.*\)$", "", c).strip().upper(): c for c in t.colnames}
    missing = [c for c in ("X", "Y", "SOLID_ANGLE", "OBSTRUCTED") if c not in cols]
    if missing:
        raise RecipeError(f"solid-angle table has no {', '.join(missing)} column (columns: {', '.join(t.colnames)})",
                          path=str(path))
    try:
        x, y, sa, obst = (np.asarray(np.ma.filled(t[cols[c]], np.nan), dtype=np.float64)
                          for c in ("X", "Y", "SOLID_ANGLE", "OBSTRUCTED"))
    except (TypeError, ValueError) as exc:
        raise RecipeError(f"solid-angle table has a non-numeric value: {exc}", path=str(path)) from None
    if len(x) == 0:
        raise RecipeError("solid-angle table has no rows", path=str(path))
    bad = ~(np.isfinite(x) & np.isfinite(y) & (x == np.round(x)) & (y == np.round(y)))
    bad |= ~(np.isfinite(sa) & (sa > 0)) | ~np.isin(obst, (0.0, 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise RecipeError(f"solid-angle table row {i + 1}: X/Y must be integers, SOLID_ANGLE > 0 and finite, "
                          f"OBSTRUCTED 0 or 1 (got {x[i]:g}, {y[i]:g}, {sa[i]:g}, {obst[i]:g})", path=str(path))
    xi, yi = x.astype(np.int64), y.astype(np.int64)
    key = (xi - xi.min()) * (int(yi.max() - yi.min()) + 1) + (yi - yi.min())
    if np.unique(key).size != key.size:
        raise RecipeError("solid-angle table lists a pixel more than once", path=str(path))
    return {"X": xi, "Y": yi, "SOLID_ANGLE": sa, "OBSTRUCTED": obst.astype(bool)}


def edr_date(start_time: Any, path: Path) -> np.datetime64:
    """The EDR file date: the label's start time, else YYYYDDD in the file name."""
    if start_time is not None and str(start_time).strip():
        try:  # ISO or day-of-year (PDS3 START_TIME = 2011-100T...)
            day: np.datetime64 = parse_times(np.array([str(start_time).strip()]))[0].astype("datetime64[D]")
            return day
        except RecipeError:
            pass
    m = re.search(r"(\d{4})(\d{3})", path.name)
    if m:
        return np.datetime64(f"{m.group(1)}-01-01", "D") + np.timedelta64(int(m.group(2)) - 1, "D")
    raise RecipeError("cannot tell the EDR date: no START_TIME in the label and no YYYYDDD in the file name",
                      path=str(path))


# --------------------------------------------------------------------------- recipe adapter


def fips_cdr_algorithm(ctx: RecipeContext) -> AlgorithmResult:
    """Recipe adapter: a FIPS scan EDR (``counts`` input) → ``espec`` CDR, a PHA EDR
    (``tof`` input) → ``pha`` CDR. Calibration tables that do not cover the data are
    RecipeErrors, EDR values the tables have no entry for DataErrors, both naming the EDR."""
    try:
        return _cdr(ctx)
    except CalibrationCoverageError as exc:
        raise RecipeError(str(exc), path=str(ctx.path)) from None
    except EdrValueError as exc:
        raise DataError(str(exc), path=str(ctx.path)) from None


def _cdr(ctx: RecipeContext) -> AlgorithmResult:
    import astropy.units as u
    from astropy.table import Table

    from pdsgen.recipes.api import AlgorithmResult
    from pdsgen.units import parse_unit

    inp = ctx.inputs
    path = ctx.path

    def arr(name: str) -> np.ndarray:
        v = inp.get(name)
        if v is None:
            raise RecipeError(f"FIPS EDR has no {name!r} input", path=str(path))
        return np.asarray(v.value if isinstance(v, u.Quantity) else v)

    date = edr_date(inp.get("start_time"), path)
    eqt = read_eq_table(ctx.calibration("eq_table"), date)
    mode = arr("mode").astype(np.int64)
    step = arr("step").astype(np.int64)
    met = arr("met")
    notes = [f"E/q table of {eqt['date']} (EDR date {date})"]

    if inp.get("counts") is not None:
        counts = arr("counts").astype(np.float64)
        bad = ~np.isfinite(counts) | (counts < 0)
        if bad.any():
            raise DataError(f"counts are required but {int(bad.sum())} of {counts.size} records have NaN or "
                            f"negative counts (first at record {int(np.argmax(bad))})", path=str(path))
        teq, teta = read_efficiency(ctx.calibration("efficiency"))
        mass_kg = float(ctx.params["ion_mass"].to_value(u.kg)) if "ion_mass" in ctx.params else PROTON_MASS_KG
        charge_e = float(ctx.params.get("ion_charge", 1.0))
        sp = spectra(counts, mode, step, eqt["eq"], eqt["accum"], eqt["modes"], teq, teta, mass_kg, charge_e)
        n_bad = int(np.isnan(sp["DIFF_FLUX"]).sum())
        if n_bad:
            notes.append(f"{n_bad} of {counts.size} records whose E/q table cell has a zero, negative or missing "
                         "E/q or accumulation time: flux and PSD written as the missing constant")
        t = Table()
        t["MET"] = met * u.s
        t["MODE"] = mode
        t["STEP"] = step
        t["EQ"] = sp["EQ"] * parse_unit("keV/e")
        t["ACCUM_TIME"] = sp["ACCUM_TIME"] * u.s
        t["COUNTS"] = counts
        t["ETA"] = sp["ETA"]
        t["DIFF_FLUX"] = sp["DIFF_FLUX"] * parse_unit("e / (keV s cm2 sr)")
        t["PSD"] = sp["PSD"] * parse_unit("s3/m6")
        from functools import partial

        from pdsgen.instruments.fips.plots import eq_spectrum

        # drawn by the engine only when matplotlib is installed: a Product_Browse of the spectra
        plots = {"eq_spectrum": partial(eq_spectrum, sp["EQ"], sp["DIFF_FLUX"], f"FIPS {path.stem}")}
        return AlgorithmResult(tables={"espec": t}, notes=notes, plots=plots)

    if inp.get("tof") is None or inp.get("x") is None or inp.get("y") is None:
        raise RecipeError("FIPS EDR has neither COUNTS (scan) nor TOF/X/Y (PHA) columns", path=str(path))
    raw = arr("raw").astype(bool) if inp.get("raw") is not None else False
    fsw = inp.get("fsw_version")
    if fsw is None:
        raise RecipeError("PHA EDR label has no flight software version", path=str(path))
    consts = read_angle_constants(ctx.calibration("angles"), str(fsw))
    ev = pha_events(arr("tof"), raw, arr("x"), arr("y"), consts)
    keep = ev["keep"]
    eq = step_lookup(eqt["eq"], eqt["modes"], mode[keep], step[keep])
    bad_eq = invalid_cells(eq, np.ones_like(eq))
    if bad_eq.any():
        eq = np.where(bad_eq, np.nan, eq)
        notes.append(f"{int(bad_eq.sum())} of {eq.size} events whose step has a zero, negative or missing E/q: "
                     "E/q written as the missing constant")
    n_drop = int((~keep).sum())
    if n_drop:
        notes.append(f"{n_drop} of {keep.size} events discarded: zenith outside [15, 75] deg")
    t = Table()
    t["MET"] = met[keep] * u.s
    t["MODE"] = mode[keep]
    t["STEP"] = step[keep]
    t["EQ"] = eq * parse_unit("keV/e")
    t["TOF"] = ev["TOF"] * u.ns
    t["R"] = ev["R"]
    t["THETA_MCP"] = ev["THETA_MCP"] * u.deg
    t["ZENITH"] = ev["ZENITH"] * u.deg
    t["AZIMUTH"] = ev["AZIMUTH"] * u.deg
    _pha_weight(ctx, t, eqt, mode[keep], step[keep], arr("x")[keep], arr("y")[keep], keep, notes)
    vd = velocity_distribution(arr("x")[keep], arr("y")[keep], consts)
    v = Table()
    v["X_BIN"] = vd["X_BIN"]
    v["Y_BIN"] = vd["Y_BIN"]
    v["COUNTS"] = vd["COUNTS"]
    v["P"] = vd["P"]
    v["ZENITH"] = vd["ZENITH"] * u.deg
    v["AZIMUTH"] = vd["AZIMUTH"] * u.deg
    notes.append(f"angle constants of flight software version {consts['version']} (FSW {fsw}, "
                 f"{Path(ctx.calibration('angles')).name}); velocity distribution over {len(v)} (x, y) bins "
                 f"of the {int(keep.sum())} events in the field of view")
    return AlgorithmResult(tables={"pha": t, "vdist": v}, notes=notes,
                           meta={"fsw_version": consts["version"]})


#: per-event EDR columns (recipe inputs) that flag heavy ions for weight 0.0, by reason
PHA_FLAG_INPUTS = {"poor_quality_heavy_ion": "poor_quality", "noise_filtered_heavy_ion": "noise_filtered"}


def _pha_weight(ctx: RecipeContext, t: Any, eqt: dict[str, Any], mode: np.ndarray, step: np.ndarray,
                x: np.ndarray, y: np.ndarray, keep: np.ndarray, notes: list[str]) -> None:
    """Add the WEIGHT column (1/(m sr)) to the PHA table ``t`` of the kept events when the
    per-pixel solid-angle table is given, else say in ``notes`` why there is none."""
    import astropy.units as u

    found = ctx.calibrations("solid_angle")
    if not found:
        notes.append("no WEIGHT column: no per-pixel solid-angle table (calibration 'solid_angle', the role of "
                     "FIPA_FYYYYDDDCDR_V#.txt) was given")
        return
    sa_path = ctx.calibration("solid_angle")
    if not ctx.calibrations("efficiency"):
        raise RecipeError("the PHA weight needs the proton efficiency table (calibration 'efficiency') "
                          f"beside the solid-angle table {sa_path.name}", path=str(ctx.path))
    table = read_solid_angle_table(sa_path)
    teq, teta = read_efficiency(ctx.calibration("efficiency"))
    eq = np.asarray(t["EQ"].value, dtype=np.float64)
    accum = step_lookup(eqt["accum"], eqt["modes"], mode, step)
    try:
        eta = interpolate_efficiency(eq, teq, teta)
    except CalibrationCoverageError as exc:
        raise RecipeError(f"PHA weight: {exc}", path=str(ctx.path)) from None
    mass_kg = float(ctx.params["ion_mass"].to_value(u.kg)) if "ion_mass" in ctx.params else PROTON_MASS_KG
    charge_e = float(ctx.params.get("ion_charge", 1.0))
    with np.errstate(invalid="ignore"):
        v = speed_m_s(eq, mass_kg, charge_e)
    kept_fraction = float(ctx.params.get("decimation_kept_fraction", 1.0))
    if not 0.0 < kept_fraction <= 1.0:
        raise RecipeError(f"decimation_kept_fraction must be in (0, 1], got {kept_fraction:g}", path=str(ctx.path))
    sa = pixel_lookup(table["X"], table["Y"], table["SOLID_ANGLE"], x, y)
    obstructed = pixel_lookup(table["X"], table["Y"], table["OBSTRUCTED"], x, y, fill=0.0) > 0
    flags, sources = [], []
    for reason, name in PHA_FLAG_INPUTS.items():
        value = ctx.inputs.get(name)
        if value is None:
            flags.append(np.zeros(keep.sum(), dtype=bool))
            sources.append(f"{reason}: the EDR has no such column, no event flagged")
            continue
        raw = np.asarray(value.value if isinstance(value, u.Quantity) else value)
        flag = np.ma.filled(np.ma.asarray(raw), 0).astype(np.float64)[keep]
        flags.append(np.isfinite(flag) & (flag != 0))
        sources.append(f"{reason}: from the EDR column")
    w, counts = pha_weight_per_m_sr(sa, eta, v, kept_fraction, accum, obstructed, flags[0], flags[1])
    t["WEIGHT"] = w / (u.m * u.sr)
    n_unlisted = int(np.isnan(sa).sum())
    zero = ", ".join(f"{counts[r]} {r.replace('_', ' ')}" for r in PHA_ZERO_WEIGHT_REASONS)
    notes.append(f"PHA weight w = 1/(solid angle * eta * v * f_kept * tau) from {sa_path.name}, "
                 f"decimation_kept_fraction {kept_fraction:g}: {sum(counts[r] for r in PHA_ZERO_WEIGHT_REASONS)} "
                 f"of {w.size} events weighted 0.0 ({zero}); {counts['invalid']} invalid, written as the "
                 f"missing constant ({n_unlisted} on pixels the table does not list); " + "; ".join(sources))
