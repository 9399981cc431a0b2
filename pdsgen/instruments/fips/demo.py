"""Demo MESSENGER FIPS EDRs and the calibration files the fips-cdr recipe reads.

EDR format (pdsgen's rendering of the FIPS EDR content the seed uses; reference labels in
labels/fips/): PDS3 fixed-width ASCII TABLE with a detached label, written by pdsgen's
own PDS3 writer. The label carries START_TIME/STOP_TIME (the EDR date selects the E/q
table) and FLIGHT_SOFTWARE_VERSION_ID (selects the angle constants).

- scan EDR (``FIPS_SCAN_<yyyyddd>_EDR``): one row per (scan, E/q step):
  MET (s), MODE, STEP (0-63), COUNTS.
- PHA EDR (``FIPS_PHA_<yyyyddd>_EDR``): one row per event: MET (s), MODE, STEP,
  TOF (channels; 10-bit, or 11-bit when RAW = 1), RAW, X, Y (start-anode position,
  MCP pixels).

Calibration files (CSV, first line names the columns):
- ``fips_eq_table.csv``: VALID_FROM, STEP, EQ_<mode>(keV/e), ACCUM_<mode>(s) — two
  stepping tables (2008-01-01 and 2011-03-01), modes 0 (normal) and 1 (burst).
- ``fips_proton_efficiency.csv``: EQ(keV/e), ETA.
- ``fips_angle_constants.csv``: the seed's constants (same as the recipe's default).
- ``FIPA_F2008001CDR_V1.txt`` (CSV text): the per-pixel solid-angle table in the role of the
  seed's ``FIPA_FYYYYDDDCDR_V#.txt`` (columns X, Y, SOLID_ANGLE(sr), OBSTRUCTED; see
  `read_solid_angle_table`): 64 × 64 start-anode pixels, a smooth SYNTHETIC solid angle
  (about 3.6e-3 sr a pixel) and an obstructed strut (x 31-33, y >= 35). Not flight values.

The E/q range, accumulation times and efficiencies are demo values of a plausible size
(FIPS covers about 0.05-13 keV/e in 64 steps); they are NOT the flight tables, which
live in the MESSENGER CDR archive's ancillary data.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from pdsgen.recipes.demo_data import CalibrationChange, DemoData

RECIPE = "fips-cdr"
#: `pdsgen demo --deliver`'s calibration change: the proton efficiency at E/q = 1 keV/e
#: (used by the scan spectra's differential flux and phase-space density)
CALIBRATION_CHANGE = CalibrationChange(
    "fips_proton_efficiency.csv", (("1,0.1762", "1,0.1862"),),
    "proton efficiency: ETA at E/q = 1 keV/e 0.1762 -> 0.1862")

#: the angle constants shipped beside the unit's recipe (its default calibration)
ANGLE_CONSTANTS = Path(__file__).resolve().parent / "fips_angle_constants.csv"
STEPS = 64
#: the synthetic per-pixel solid-angle table, named as the seed's FIPA_FYYYYDDDCDR_V#.txt
SOLID_ANGLE_FILE = "FIPA_F2008001CDR_V1.txt"
MET_EPOCH = np.datetime64("2004-08-03T06:16:00", "s")  # MESSENGER launch; MET counts from here


def eq_steps(top: float = 13.3, bottom: float = 0.046) -> np.ndarray:
    """64 logarithmic E/q steps (keV/e), high to low, 4 significant digits."""
    return np.array([float(f"{v:.4g}") for v in np.geomspace(top, bottom, STEPS)])


def write_eq_table(path: Path) -> Path:
    rows = ["VALID_FROM,STEP,EQ_0(keV/e),ACCUM_0(s),EQ_1(keV/e),ACCUM_1(s)"]
    for valid, acc0, acc1, top1 in (("2008-01-01", 0.150, 0.040, 6.0), ("2011-03-01", 0.095, 0.030, 4.0)):
        e0, e1 = eq_steps(), eq_steps(top1, 0.1)
        for k in range(STEPS):
            rows.append(f"{valid},{k},{e0[k]:g},{acc0:g},{e1[k]:g},{acc1:g}")
    path.write_text("\n".join(rows) + "\n", encoding="ascii")
    return path


def efficiency_table() -> tuple[np.ndarray, np.ndarray]:
    eq = np.array([0.03, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0])
    eta = np.round(0.04 + 0.28 * (1 - np.exp(-eq / 1.5)), 4)
    return eq, eta


def write_efficiency(path: Path) -> Path:
    eq, eta = efficiency_table()
    lines = ["EQ(keV/e),ETA"] + [f"{a:g},{b:g}" for a, b in zip(eq, eta, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def solid_angle_table() -> dict[str, np.ndarray]:
    """The synthetic per-pixel table: X, Y (0-63), SOLID_ANGLE (sr, 4 significant digits), OBSTRUCTED."""
    x, y = (a.ravel() for a in np.meshgrid(np.arange(64), np.arange(64), indexing="ij"))
    r = np.hypot(x + 0.5 - 32.0, y + 0.5 - 32.0)
    sa = np.array([float(f"{v:.4g}") for v in 3.6e-3 * (1.0 + 0.2 * np.cos(r / 8.0))])
    obstructed = ((x >= 31) & (x <= 33) & (y >= 35)).astype(np.int64)
    return {"X": x, "Y": y, "SOLID_ANGLE": sa, "OBSTRUCTED": obstructed}


def write_solid_angle_table(path: Path) -> Path:
    t = solid_angle_table()
    lines = ["# pdsgen demo: SYNTHETIC per-pixel solid angles (role of FIPA_FYYYYDDDCDR_V#.txt), not flight values",
             "X,Y,SOLID_ANGLE(sr),OBSTRUCTED"]
    lines += [f"{a},{b},{c:g},{d}" for a, b, c, d in zip(t["X"], t["Y"], t["SOLID_ANGLE"], t["OBSTRUCTED"],
                                                          strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def _context(kind: str, stem: str, start: np.datetime64, stop: np.datetime64, fsw: str) -> dict[str, Any]:
    from pdsgen.render import ContextReference

    return {
        "product_id": stem.upper(), "data_set_id": "MESS-E/V/H/SW-EPPS-2-FIPS-RAWDATA-V1.0",
        "product_type": "EDR", "processing_level": "Raw",
        "start_time": f"{start}Z", "stop_time": f"{stop}Z",
        "observing_system": [ContextReference("MESSENGER", "Host", pds3_id="MESS"),
                             ContextReference("ENERGETIC PARTICLE AND PLASMA SPECTROMETER", "Instrument", pds3_id="EPPS")],
        "targets": [ContextReference("MERCURY", "Planet")],
        "pds3_keywords": {"FLIGHT_SOFTWARE_VERSION_ID": fsw, "MISSION_PHASE_NAME": "MERCURY ORBIT"},
        "description": f"FIPS {kind} EDR (pdsgen demo data)",
    }


def _met(day: np.datetime64, seconds: np.ndarray) -> np.ndarray:
    return np.round((day - MET_EPOCH).astype(np.float64) + seconds, 3)


def write_scan_edr(out_dir: Path, day: str, scans: int, fsw: str, rng: np.random.Generator,
                   *, nan_counts: bool = False) -> Path:
    from astropy.table import Table

    from pdsgen.render import write_table

    d = np.datetime64(day, "s")
    start_s = np.sort(rng.uniform(0, 80_000, scans)).round(0)
    mode = np.where(rng.random(scans) < 0.8, 0, 1)
    step = np.tile(np.arange(STEPS), scans)
    met = np.repeat(_met(d, start_s), STEPS) + step * 0.1
    e = eq_steps()[step]
    # a drifting-Maxwellian-like count spectrum peaking near 1 keV/e
    expected = 400.0 * (e / 1.0) * np.exp(-e / 1.0) + 0.5
    counts = rng.poisson(expected).astype(np.int64)
    table = Table({"MET": met, "MODE": np.repeat(mode, STEPS).astype(np.int16), "STEP": step.astype(np.int16),
                   "COUNTS": counts.astype(np.int32)})
    if nan_counts:
        table["COUNTS"] = table["COUNTS"].astype(np.float64)
        table["COUNTS"][5] = np.nan
    table["MET"].unit = "s"
    table["MET"].format = "%.3f"
    table["MET"].description = "Mission elapsed time of the step."
    table["MODE"].description = "Stepping mode (selects the E/q table column set)."
    table["STEP"].description = "E/q step number."
    table["COUNTS"].description = "Counts accumulated at the step."
    stem = f"FIPS_SCAN_{day[:4]}{_doy(day):03d}_EDR"
    stop = d + np.timedelta64(int(start_s[-1]) + 7, "s")
    specials = {"COUNTS": {"missing_constant": -1.0}} if nan_counts else None
    written = write_table(table, out_dir, basename=stem, standard="pds3", table_format="character",
                          context=_context("scan", stem, d + np.timedelta64(int(start_s[0]), "s"), stop, fsw),
                          creation_time="2026-01-01T00:00:00Z", statistics=False, special_constants=specials)
    return written.label_path


def write_pha_edr(out_dir: Path, day: str, n: int, fsw: str, rng: np.random.Generator,
                  *, heavy_ion_flags: bool = False) -> Path:
    """A PHA EDR; ``heavy_ion_flags`` adds POOR_QUALITY and NOISE_FILTERED columns (0/1,
    about 5 % of the events each) for the PHA weight's heavy-ion flags."""
    from astropy.table import Table

    from pdsgen.instruments.fips.adapter import read_angle_constants
    from pdsgen.render import write_table

    consts = read_angle_constants(ANGLE_CONSTANTS, fsw)
    d = np.datetime64(day, "s")
    secs = np.sort(rng.uniform(0, 80_000, n)).round(3)
    raw = (rng.random(n) < 0.2).astype(np.int16)
    tof_ns = rng.uniform(40, 600, n)
    tof = np.where(raw == 1, np.round(tof_ns / (666 / 2048)), np.round(tof_ns / (666 / 1024))).astype(np.int32)
    # positions around (X0, Y0): radii spanning a bit more than the 15-75 deg zenith range
    r_lo, r_hi = (2.0, 4.2) if fsw.strip().lstrip("vV") == "6" else (3.0, 19.0)
    r = rng.uniform(r_lo, r_hi, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    x = np.round(consts["X0"] + r * np.cos(phi), 2)
    y = np.round(consts["Y0"] + r * np.sin(phi), 2)
    table = Table({"MET": _met(d, secs), "MODE": np.where(rng.random(n) < 0.8, 0, 1).astype(np.int16),
                   "STEP": rng.integers(0, STEPS, n).astype(np.int16), "TOF": tof, "RAW": raw, "X": x, "Y": y})
    if heavy_ion_flags:
        table["POOR_QUALITY"] = (rng.random(n) < 0.05).astype(np.int16)
        table["NOISE_FILTERED"] = (rng.random(n) < 0.05).astype(np.int16)
        table["POOR_QUALITY"].description = "1: poor-quality heavy-ion PHA word."
        table["NOISE_FILTERED"].description = "1: noise-filtered heavy-ion PHA word."
    table["MET"].unit = "s"
    table["MET"].format = "%.3f"
    table["X"].format = table["Y"].format = "%.2f"
    for name, desc in (("MET", "Mission elapsed time of the event."), ("MODE", "Stepping mode."),
                       ("STEP", "E/q step number."), ("TOF", "Time of flight, channels."),
                       ("RAW", "1: raw PHA word (11-bit TOF), 0: 10-bit TOF."),
                       ("X", "Start anode x position, MCP pixels."), ("Y", "Start anode y position, MCP pixels.")):
        table[name].description = desc
    stem = f"FIPS_PHA_{day[:4]}{_doy(day):03d}_EDR"
    written = write_table(table, out_dir, basename=stem, standard="pds3", table_format="character",
                          context=_context("PHA", stem, d + np.timedelta64(int(secs[0]), "s"),
                                           d + np.timedelta64(int(secs[-1]) + 1, "s"), fsw),
                          creation_time="2026-01-01T00:00:00Z", statistics=False)
    return written.label_path


def _doy(day: str) -> int:
    d = np.datetime64(day[:10], "D")
    return int((d - d.astype("datetime64[Y]").astype("datetime64[D]")).astype(int)) + 1


def generate(out_dir: Path, seed: int = 0) -> DemoData:
    """Two scan EDRs and two PHA EDRs (flight software v6 and v7), E/q, efficiency, angle and
    (synthetic) per-pixel solid-angle tables."""

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 4)
    cals = [write_eq_table(out_dir / "fips_eq_table.csv"), write_efficiency(out_dir / "fips_proton_efficiency.csv")]
    angles = out_dir / "fips_angle_constants.csv"
    shutil.copyfile(ANGLE_CONSTANTS, angles)
    cals.append(angles)
    cals.append(write_solid_angle_table(out_dir / SOLID_ANGLE_FILE))
    inputs = [
        write_scan_edr(out_dir, "2008-10-06", 20, "6", rng),
        write_scan_edr(out_dir, "2011-04-10", 30, "7", rng),
        write_pha_edr(out_dir, "2008-10-06", 1500, "6", rng),
        write_pha_edr(out_dir, "2011-04-10", 3000, "7", rng),
    ]
    return DemoData(recipe=RECIPE, inputs=inputs, calibrations=cals,
                    description="2 scan EDRs + 2 PHA EDRs (FSW v6 and v7)")
