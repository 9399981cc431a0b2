"""MESSENGER FIPS EDR → CDR conversion (seed 004: "FIPS EDR to CDR Conversion", Raines, rev. F).

Pure functions on numpy arrays (units in the names); reading the calibration files and the
recipe adapter are in `pdsgen.instruments.fips.adapter`.

- TOF channel → ns: 666 ns / 1024 channels, or 666 ns / 2048 for raw PHA (11-bit TOF).
- E/q (keV/e) and accumulation time (s) per E/q step: from the E/q stepping table, using
  the latest table dated before the EDR file date and the column set of the data's mode.
- (x, y) (MCP pixels) → (r, θ_MCP) after subtracting (X0, Y0), θ in [0, 360) deg; then
  incident zenith = Σ_k R_k r^k (deg) and azimuth = P0 + P1·θ_MCP (deg, mod 360) where the
  constants give P0/P1, else θ_MCP. **Assumption**: the seed's plain-text version lost the
  equations themselves; this polynomial/linear form is our reading of the constants table
  and must be checked against the PDF. The constants and the model names live in a
  calibration data file (`pdsgen/instruments/fips/fips_angle_constants.csv`), not here.
  Events with zenith outside [15°, 75°] are outside the field of view and are discarded.
- Rate spectra → differential flux (keV/e)^-1 s^-1 cm^-2 sr^-1:
  ``(dJ/dE)_i = C_i / ((E/q)_i · τ_i · g · η_i · ΔΩ)``, g = 8.31e-5 mm² = 8.31e-7 cm²,
  η_i proton efficiency at (E/q)_i, ΔΩ = 1.15π sr. The seed says g *includes* the energy
  acceptance (the E/q passband, ΔE/E = 0.05), so ΔE/E is not a factor of its own: dividing
  by it again would make the flux 20× too high (the seed's ``?(E/q)?_i`` is the PDF's
  grouping brackets around (E/q)_i, not a Δ).
- Phase-space density (s³/m⁶) from ``(dJ/dE)_i = 1.6022e-20 · (v_i²/m) · f_i`` (v in m/s,
  m in kg): the factor is 1e-4 m²/cm² × 1.602176634e-16 J/keV (derived below from astropy).
"""

from __future__ import annotations

from typing import Any, cast

import astropy.constants as const
import numpy as np

TOF_NS_PER_CHANNEL = 666.0 / 1024.0
TOF_NS_PER_CHANNEL_RAW = 666.0 / 2048.0
#: E/q passband ΔE/E (seed §2.1); already inside G_MM2, kept for the record, never a flux factor
PASSBAND_DE_OVER_E = 0.05
G_MM2 = 8.31e-5
G_CM2 = G_MM2 * 1e-2  # 1 mm² = 0.01 cm²
DOMEGA_SR = 1.15 * np.pi
FOV_ZENITH_DEG = (15.0, 75.0)
#: (dJ/dE)[1/(cm² s sr keV)] = FLUX_PSD_FACTOR · v²[m²/s²] / m[kg] · f[s³/m⁶]; the seed's 1.6022e-20.
FLUX_PSD_FACTOR: float = float(1e-4 * 1e3 * const.e.si.value)
PROTON_MASS_KG: float = float(const.m_p.si.value)
KEV_J: float = float(1e3 * const.e.si.value)


class CalibrationCoverageError(ValueError):
    """The calibration tables do not cover the data (no E/q table before the data date, an
    efficiency table that stops short of the data's E/q): the recipe's inputs do not fit."""


class EdrValueError(ValueError):
    """A value in the EDR the tables have no entry for (unknown mode, step outside the table)."""


# --------------------------------------------------------------------------- PHA quantities


def tof_ns(channels: np.ndarray, raw: np.ndarray | bool = False) -> np.ndarray:
    """TOF in ns from digital channels; ``raw`` (per event or for all) selects 666/2048."""
    ch = np.asarray(channels, dtype=np.float64)
    if np.ndim(raw) == 0:
        return ch * (TOF_NS_PER_CHANNEL_RAW if raw else TOF_NS_PER_CHANNEL)
    per = np.where(np.asarray(raw, dtype=bool), TOF_NS_PER_CHANNEL_RAW, TOF_NS_PER_CHANNEL)
    per *= ch
    return per


def xy_to_polar(x: np.ndarray, y: np.ndarray, x0: float, y0: float) -> tuple[np.ndarray, np.ndarray]:
    """(r in MCP pixels, θ_MCP in degrees [0, 360)) of (x − X0, y − Y0)."""
    dx = np.asarray(x, dtype=np.float64) - x0
    dy = np.asarray(y, dtype=np.float64) - y0
    return _radius(dx, dy), _theta_deg(dx, dy)


def _radius(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    # sqrt(dx² + dy²) in place: 5x faster than np.hypot, and pixel offsets never overflow
    r = dx * dx
    r += dy * dy
    return cast(np.ndarray, np.sqrt(r, out=r))


def _theta_deg(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    # atan2(-dy, -dx) + 180° is the angle in (0, 360] without a masked fix-up of the half of
    # the events with negative atan2 (that fix-up costs 3x the arctan2 itself)
    theta = np.arctan2(np.negative(dy), np.negative(dx))
    theta *= 180.0 / np.pi
    theta += 180.0
    theta -= (theta >= 360.0) * 360.0  # exactly on the +x axis: 0, not 360
    return cast(np.ndarray, theta)


def zenith_deg(r: np.ndarray, coeffs: Any) -> np.ndarray:
    """Incident zenith (deg) = Σ_k R_k r^k (R_0 first); Horner's scheme, one pass per term."""
    r = np.asarray(r, dtype=np.float64)
    c = [float(v) for v in coeffs]
    while len(c) > 1 and c[-1] == 0.0:  # R4 = R5 = 0 for most versions: skip those passes
        c.pop()
    out = np.full(r.shape, c[-1])
    for k in reversed(c[:-1]):
        out *= r
        out += k
    return out


def azimuth_deg(theta_mcp_deg: np.ndarray, p0: float | None = None, p1: float | None = None) -> np.ndarray:
    """Incident azimuth (deg, [0, 360)): P0 + P1·θ_MCP where the constants give P0/P1, else θ_MCP."""
    t = np.asarray(theta_mcp_deg, dtype=np.float64)
    if p0 is None or p1 is None or np.isnan(p0) or np.isnan(p1):
        return np.mod(t, 360.0)
    a = t * p1
    a += p0
    # one or two wrap corrections cover |P1| <= 1 with θ in [0, 360) (np.mod costs 5x more)
    a += (a < 0.0) * 360.0
    a -= (a >= 360.0) * 360.0
    if a.size and (a.min() < 0.0 or a.max() >= 360.0):
        np.mod(a, 360.0, out=a)
    return a


def in_fov(zenith: np.ndarray, lo: float = FOV_ZENITH_DEG[0], hi: float = FOV_ZENITH_DEG[1]) -> np.ndarray:
    """Mask of events inside the field of view, zenith in [lo, hi] degrees."""
    z = np.asarray(zenith)
    return (z >= lo) & (z <= hi)


# --------------------------------------------------------------------------- rate spectra


def differential_flux(
    counts: np.ndarray,
    eq_kev_per_e: np.ndarray,
    accum_s: np.ndarray,
    eta: np.ndarray,
    *,
    g_cm2: float = G_CM2,
    domega_sr: float = DOMEGA_SR,
) -> np.ndarray:
    """dJ/dE in (keV/e)^-1 s^-1 cm^-2 sr^-1 = C / ((E/q) τ g η ΔΩ); g includes the E/q passband."""
    denom = np.asarray(eq_kev_per_e, dtype=np.float64) * np.asarray(accum_s, dtype=np.float64)
    denom = denom * np.asarray(eta, dtype=np.float64) * (g_cm2 * domega_sr)
    with np.errstate(divide="ignore", invalid="ignore"):
        flux = np.asarray(counts, dtype=np.float64) / denom
    # a zero, negative or missing E/q, τ or η is no instrument response: missing, not ±inf
    return np.where((denom > 0) & (denom < np.inf), flux, np.nan)


def speed_m_s(eq_kev_per_e: np.ndarray, mass_kg: float = PROTON_MASS_KG, charge_e: float = 1.0) -> np.ndarray:
    """Non-relativistic speed of an ion of charge q (e) and mass m at energy per charge E/q."""
    energy_j = np.asarray(eq_kev_per_e, dtype=np.float64) * (charge_e * KEV_J)
    return np.sqrt(2.0 * energy_j / mass_kg)


def phase_space_density(
    flux: np.ndarray, eq_kev_per_e: np.ndarray, mass_kg: float = PROTON_MASS_KG, charge_e: float = 1.0
) -> np.ndarray:
    """f in s³/m⁶ from dJ/dE (per keV/e): f = (dJ/dE per keV) · m / (1.6022e-20 · v²)."""
    with np.errstate(invalid="ignore"):
        v = speed_m_s(eq_kev_per_e, mass_kg, charge_e)
    per_kev = np.asarray(flux, dtype=np.float64) / charge_e  # per keV/e → per keV
    with np.errstate(divide="ignore", invalid="ignore"):
        f = per_kev * mass_kg / (FLUX_PSD_FACTOR * v * v)
    return np.where((v > 0) & (v < np.inf), f, np.nan)  # E/q <= 0 or missing: no speed


def interpolate_efficiency(eq_kev_per_e: np.ndarray, table_eq: np.ndarray, table_eta: np.ndarray) -> np.ndarray:
    """Proton efficiency at each E/q: linear in log(E/q) between table points; outside is an error."""
    teq = np.asarray(table_eq, dtype=np.float64)
    order = np.argsort(teq)
    teq, teta = teq[order], np.asarray(table_eta, dtype=np.float64)[order]
    eq = np.asarray(eq_kev_per_e, dtype=np.float64)
    if eq.size and (np.nanmin(eq) < teq[0] * (1 - 1e-9) or np.nanmax(eq) > teq[-1] * (1 + 1e-9)):
        raise CalibrationCoverageError(f"efficiency table covers E/q {teq[0]:g}–{teq[-1]:g} keV/e, the data need "
                          f"{np.nanmin(eq):g}–{np.nanmax(eq):g} keV/e")
    return np.interp(np.log(eq), np.log(teq), teta)


# --------------------------------------------------------------------------- stepping table


def select_table(valid_from: np.ndarray, data_date: np.datetime64) -> np.datetime64:
    """The latest table date strictly before ``data_date``; CalibrationCoverageError if none is."""
    dates = np.unique(np.asarray(valid_from, dtype="datetime64[D]"))
    day = np.asarray(data_date).astype("datetime64[D]")[()]
    before = dates[dates < day]
    if before.size == 0:
        first = str(dates[0]) if dates.size else "none"
        raise CalibrationCoverageError(f"calibration does not cover the data time: no E/q table dated before {day} "
                          f"(earliest table: {first})")
    return cast(np.datetime64, before[-1])


def mode_step_index(table_modes: np.ndarray, n_steps: int, mode: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Flat index ``mode_row * n_steps + step`` into a [mode, step] table, for every record.

    Unknown modes and steps outside the table are EdrValueErrors naming the value. Small
    non-negative mode numbers (the usual case) go through a lookup array, others through
    a sorted search; either way one vectorised pass, no loop per record.
    """
    modes = np.asarray(table_modes).astype(np.int64)
    mode = np.asarray(mode)
    step = np.asarray(step)
    if mode.size == 0:
        return np.zeros(0, dtype=np.int64)
    if modes.min() >= 0 and modes.max() < 4096:
        lut = np.full(int(max(modes.max(), 0)) + 2, -1, dtype=np.int64)
        lut[modes] = np.arange(len(modes))
        m = mode.astype(np.int64, copy=False)
        row = lut[np.clip(m, -1, len(lut) - 1)]  # -1 and out-of-range modes land on the -1 sentinel
        bad = row < 0
    else:
        order = np.argsort(modes)
        pos = np.clip(np.searchsorted(modes[order], mode), 0, len(modes) - 1)
        bad = modes[order][pos] != mode
        row = order[pos]
    if bad.any():
        raise EdrValueError(f"mode {mode[bad][0].item()!r} has no column set in the E/q table "
                        f"(modes: {', '.join(str(m) for m in np.sort(modes))}); {int(bad.sum())} records")
    lo, hi = int(step.min()), int(step.max())
    if lo < 0 or hi >= n_steps:
        raise EdrValueError(f"E/q step {hi if hi >= n_steps else lo} is outside the table's steps 0–{n_steps - 1}")
    flat = row * n_steps
    flat += step
    return flat


def step_lookup(table: np.ndarray, table_modes: np.ndarray, mode: np.ndarray, step: np.ndarray) -> np.ndarray:
    """``table[mode_row, step]`` for every record (vectorised); unknown modes/steps are errors."""
    return cast(np.ndarray, np.asarray(table).ravel()[mode_step_index(table_modes, table.shape[1], mode, step)])


def spectra(
    counts: np.ndarray,
    mode: np.ndarray,
    step: np.ndarray,
    eq_table: np.ndarray,
    accum_table: np.ndarray,
    table_modes: np.ndarray,
    eff_eq: np.ndarray,
    eff_eta: np.ndarray,
    mass_kg: float = PROTON_MASS_KG,
    charge_e: float = 1.0,
) -> dict[str, np.ndarray]:
    """Rate spectra → E/q, accumulation time, efficiency, differential flux, phase-space density.

    Everything that depends only on (mode, step) is computed once per table cell with the
    functions above (a 2 × 64 table, not a million records), then gathered per record:
    the per-record work is one index, two gathers and two multiplications.
    """
    eq_t = np.asarray(eq_table, dtype=np.float64).ravel()
    acc_t = np.asarray(accum_table, dtype=np.float64).ravel()
    flat = mode_step_index(table_modes, np.shape(eq_table)[1], mode, step)
    # only the cells the data use must be covered by the efficiency table
    used = np.bincount(flat, minlength=eq_t.size).astype(bool)
    # a table cell with a zero, negative or missing (NaN) E/q or accumulation time has no
    # response: its records get missing E/q-derived values (counted by `invalid_cells`)
    used &= ~invalid_cells(eq_t, acc_t)
    eta_t = np.full(eq_t.size, np.nan)
    eta_t[used] = interpolate_efficiency(eq_t[used], eff_eq, eff_eta)
    denom = differential_flux(np.ones(eq_t.size), eq_t, acc_t, eta_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 / denom  # counts per unit flux, per cell (NaN for cells without response)
    psd_per_flux = phase_space_density(np.ones(eq_t.size), eq_t, mass_kg, charge_e)
    flux = np.asarray(counts, dtype=np.float64) / denom[flat]
    return {"EQ": eq_t[flat], "ACCUM_TIME": acc_t[flat], "ETA": eta_t[flat],
            "DIFF_FLUX": flux, "PSD": flux * psd_per_flux[flat]}


def invalid_cells(eq_kev_per_e: np.ndarray, accum_s: np.ndarray) -> np.ndarray:
    """True where an E/q table cell cannot calibrate: E/q or accumulation time zero,
    negative, NaN (a fill value read as missing) or infinite."""
    eq = np.asarray(eq_kev_per_e, dtype=np.float64)
    acc = np.asarray(accum_s, dtype=np.float64)
    return ~((eq > 0) & (eq < np.inf) & (acc > 0) & (acc < np.inf))


def pha_events(
    tof_channels: np.ndarray, raw: np.ndarray | bool, x: np.ndarray, y: np.ndarray, consts: dict[str, Any]
) -> dict[str, np.ndarray]:
    """PHA words → TOF (ns), r, θ_MCP, zenith, azimuth for the events inside the field of view.

    ``keep`` (all events) says which were kept; the other arrays hold kept events only.
    Zenith is computed first so that θ_MCP/azimuth (arctan2, the costly part) are only
    computed for events that are kept.
    """
    dx = np.asarray(x, dtype=np.float64) - consts["X0"]
    dy = np.asarray(y, dtype=np.float64) - consts["Y0"]
    r = _radius(dx, dy)
    zen = zenith_deg(r, consts["R"])
    keep = in_fov(zen)
    idx = np.flatnonzero(keep)  # integer take is ~10x faster than boolean indexing, per array

    def sel(a: np.ndarray) -> np.ndarray:
        return a if idx.size == keep.size else a.take(idx)

    theta = _theta_deg(sel(dx), sel(dy))
    tof = tof_ns(sel(np.asarray(tof_channels)), sel(np.asarray(raw)) if np.ndim(raw) else raw)
    return {"keep": keep, "TOF": tof, "R": sel(r), "ZENITH": sel(zen), "THETA_MCP": theta,
            "AZIMUTH": azimuth_deg(theta, consts["P0"], consts["P1"])}


def velocity_distribution(x: np.ndarray, y: np.ndarray, consts: dict[str, Any]) -> dict[str, np.ndarray]:
    """FIPS normalised velocity distribution (seed §3, "Velocity Distribution"):
    ``P_x,y = C_x,y / Σ C`` over the (x, y) pixel bins of the start anode (unitless), with
    the incident zenith and azimuth of each bin's centre from the same X-Y relations as the
    events (`zenith_deg`, `azimuth_deg`).

    ``x``/``y`` are the positions of the events to count (the recipe passes the events
    inside the field of view); a bin is the unit pixel ``[floor(x), floor(x) + 1)``. One
    vectorised pass: a combined integer key, ``np.unique`` with counts.
    """
    ix = np.floor(np.asarray(x, dtype=np.float64)).astype(np.int64)
    iy = np.floor(np.asarray(y, dtype=np.float64)).astype(np.int64)
    if ix.size == 0:
        empty = np.zeros(0)
        return {"X_BIN": empty.astype(np.int64), "Y_BIN": empty.astype(np.int64), "COUNTS": empty.astype(np.int64),
                "P": empty, "ZENITH": empty, "AZIMUTH": empty}
    x_lo, y_lo = int(ix.min()), int(iy.min())
    width = int(iy.max()) - y_lo + 1
    keys, counts = np.unique((ix - x_lo) * width + (iy - y_lo), return_counts=True)
    xb = keys // width + x_lo
    yb = keys % width + y_lo
    dx = xb + 0.5 - consts["X0"]
    dy = yb + 0.5 - consts["Y0"]
    zen = zenith_deg(_radius(dx.astype(np.float64), dy.astype(np.float64)), consts["R"])
    az = azimuth_deg(_theta_deg(dx.astype(np.float64), dy.astype(np.float64)), consts["P0"], consts["P1"])
    return {"X_BIN": xb, "Y_BIN": yb, "COUNTS": counts.astype(np.int64), "P": counts / float(counts.sum()),
            "ZENITH": zen, "AZIMUTH": az}


# --------------------------------------------------------------------------- PHA weighting factor

#: reasons a PHA word gets weight 0.0 (seed 004, Methods/PHA), in the order they are counted
PHA_ZERO_WEIGHT_REASONS = ("obstructed", "poor_quality_heavy_ion", "noise_filtered_heavy_ion")


def pha_weight_per_m_sr(
    solid_angle_sr: np.ndarray,
    efficiency: np.ndarray,
    speed_m_s: np.ndarray,
    decimation_kept_fraction: np.ndarray | float,
    accum_s: np.ndarray,
    obstructed: np.ndarray,
    poor_quality_heavy_ion: np.ndarray,
    noise_filtered_heavy_ion: np.ndarray,
) -> tuple[np.ndarray, dict[str, int]]:
    """PHA weighting factor per event, in 1/(m sr), and the count of events weighted 0.0 per reason.

    Seed 004 lists what the weight "is composed of" (the pixel's solid angle; efficiency as a
    function of mass, energy and time; particle velocity; decimation; step accumulation time)
    but not how they combine; the EPPS CDR SIS that defines it was not available. pdsgen's
    reading, as for the rate spectra ("counts are converted to physical units via division
    by the instrument accumulations"), is the inverse of their product::

        w = 1 / (ΔΩ_pixel[sr] · η · v[m/s] · f_kept · τ[s])

    with ``f_kept`` the telemetered fraction of events (1 without decimation, 1/N when one
    word in N is sent, so decimation raises the weight N times). Then w = 0.0 for an event
    that is ``obstructed`` (measured on the obstructed region of the detector),
    ``poor_quality_heavy_ion`` or ``noise_filtered_heavy_ion`` (the flags apply to heavy
    ions only; the caller passes False for other events). An event is counted under the
    first of :data:`PHA_ZERO_WEIGHT_REASONS` that applies. A zero, negative or non-finite
    accumulation (ΔΩ, η, v, f, τ) of an event not weighted 0 gives NaN (the missing
    constant), never an impossible number; those are counted under ``"invalid"``.
    """
    acc = (np.asarray(solid_angle_sr, dtype=np.float64) * np.asarray(efficiency, dtype=np.float64)
           * np.asarray(speed_m_s, dtype=np.float64) * np.asarray(decimation_kept_fraction, dtype=np.float64)
           * np.asarray(accum_s, dtype=np.float64))
    flags = [np.asarray(f, dtype=bool) for f in (obstructed, poor_quality_heavy_ion, noise_filtered_heavy_ion)]
    counts: dict[str, int] = {}
    zero = np.zeros(acc.shape, dtype=bool)
    for name, flag in zip(PHA_ZERO_WEIGHT_REASONS, flags, strict=True):
        new = flag & ~zero
        counts[name] = int(new.sum())
        zero |= flag
    # the product of positive finite factors is positive and finite (or overflows to inf: invalid too)
    factors_ok = ((np.asarray(solid_angle_sr) > 0) & (np.asarray(efficiency) > 0) & (np.asarray(speed_m_s) > 0)
                  & (np.asarray(decimation_kept_fraction) > 0) & (np.asarray(accum_s) > 0))
    ok = factors_ok & np.isfinite(acc)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(ok, 1.0 / np.where(ok, acc, 1.0), np.nan)
    w[zero] = 0.0
    counts["invalid"] = int((~ok & ~zero).sum())
    return w, counts


def pixel_lookup(
    table_x: np.ndarray, table_y: np.ndarray, table_values: np.ndarray, x: np.ndarray, y: np.ndarray,
    fill: float = np.nan,
) -> np.ndarray:
    """``table_values`` of the start-anode pixel ``(floor(x), floor(y))`` of every event (the
    pixel bins of `velocity_distribution`); ``fill`` for pixels the table does not list.
    One dense grid over the table's pixel range and one gather, no loop per event."""
    tx = np.asarray(table_x, dtype=np.int64)
    ty = np.asarray(table_y, dtype=np.int64)
    vals = np.asarray(table_values, dtype=np.float64)
    ix = np.floor(np.asarray(x, dtype=np.float64))
    iy = np.floor(np.asarray(y, dtype=np.float64))
    out = np.full(ix.shape, fill, dtype=np.float64)
    if tx.size == 0 or ix.size == 0:
        return out
    x_lo, y_lo = int(tx.min()), int(ty.min())
    nx, ny = int(tx.max()) - x_lo + 1, int(ty.max()) - y_lo + 1
    grid = np.full((nx, ny), fill, dtype=np.float64)
    grid[tx - x_lo, ty - y_lo] = vals
    with np.errstate(invalid="ignore"):
        inside = np.isfinite(ix) & np.isfinite(iy) & (ix >= x_lo) & (ix < x_lo + nx) & (iy >= y_lo) & (iy < y_lo + ny)
    gx = np.where(inside, ix - x_lo, 0).astype(np.int64)
    gy = np.where(inside, iy - y_lo, 0).astype(np.int64)
    out[inside] = grid[gx[inside], gy[inside]]
    return out
