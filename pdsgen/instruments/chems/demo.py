"""Demo CHEMS PHA products in the MIMI Level 1A format (see labels/chems/).

Each product is a CSV (a header line of double-quoted column names, then one record per
event, purpose field ``sci`` first, CRLF) with a detached PDS3 label holding a HEADER and
a SPREADSHEET object; the calibration data file ``CHEMS_PHA_CAL_V01`` holds
``sep_distance(cm)`` and the per-step ``step_<k>_E/Q(keV/e)`` columns.

Events are made from physics so the recipe gives back the ions that made them: an ion
(M u, Q e) passes DPPS step k at E/Q_k, so E = Q·E/Q_k; it flies dist in
tau = dist·sqrt(M·m_u / (2E)); the SSD measures alpha·E. About 5 % of events are
TOF-only (no SSD energy, Energy = 0), as real PHA data have.
"""

from __future__ import annotations

from pathlib import Path

import astropy.constants as const
import numpy as np

from pdsgen.recipes.demo_data import CalibrationChange, DemoData

RECIPE = "chems-pha"
#: `pdsgen demo --deliver`'s calibration change: the E/Q of deflection step 0
CALIBRATION_CHANGE = CalibrationChange(
    "CHEMS_PHA_CAL_V01.CSV", (('"cal","CPHA",1,10.00,220,', '"cal","CPHA",1,10.00,230,'),),
    "PHA calibration: E/Q of deflection step 0 220 -> 230 keV/e")

# the constants the algorithm uses (astropy.constants, CODATA 2022 with astropy 7+), so that
# the demo's masses come back exactly
KEV_J = float(1e3 * const.e.si.value)
AMU_KG = float(const.u.si.value)
SEP_DISTANCE_CM = 10.0
ALPHA = 0.85
STEPS = 32
IONS = (("H+", 1.00728, 1), ("He++", 4.00151, 2), ("He+", 4.00205, 1), ("O+", 15.99437, 1),
        ("O6+", 15.99163, 6), ("W+", 18.0106, 1))
DAYS = ((2004, 183), (2004, 184), (2004, 185))
EVENTS_PER_DAY = 2000


def eq_table() -> np.ndarray:
    """DPPS step → E/Q (keV/e): 32 logarithmic steps, 220 down to 3 keV/e, 4 significant digits."""
    k = np.arange(STEPS)
    return np.array([float(f"{v:.4g}") for v in 220.0 * (3.0 / 220.0) ** (k / (STEPS - 1))])


def _label(stem: str, names: list[str], kinds: list[str], widths: list[int], units: list[str | None],
           descs: list[str], rows: int, row_bytes: int, header_bytes: int, std_id: str, description: str,
           start: str | None = None, stop: str | None = None, created: str = "2026-01-01T00:00:00") -> str:
    lines = [
        "PDS_VERSION_ID              = PDS3",
        'DATA_SET_ID                 = "CO-E/J/S/SW-MIMI-2-CHEMS-UNCALIB-V1.1"',
        f'PRODUCT_ID                  = "{stem}"',
        f'STANDARD_DATA_PRODUCT_ID    = "{std_id}"',
        'PRODUCT_TYPE                = "DATA"',
        'PRODUCT_VERSION_ID          = "0001"',
        f"PRODUCT_CREATION_TIME       = {created}",
        "RECORD_TYPE                 = STREAM",
        "INTERCHANGE_FORMAT          = ASCII",
        f"FILE_RECORDS                = {rows + 1}",
    ]
    if start:
        lines += [f"START_TIME                  = {start}", f"STOP_TIME                   = {stop}"]
    lines += [
        'INSTRUMENT_HOST_NAME        = "CASSINI ORBITER"',
        'INSTRUMENT_HOST_ID          = "CO"',
        'INSTRUMENT_NAME             = "MAGNETOSPHERIC IMAGING INSTRUMENT"',
        'INSTRUMENT_ID               = "MIMI"',
        'TARGET_NAME                 = "SATURN"',
        f'DESCRIPTION                 = "{description}"',
        f'^HEADER                     = ("{stem}.CSV", 1)',
        f'^SPREADSHEET                = ("{stem}.CSV", 2)',
        "",
        "OBJECT                      = HEADER",
        "  RECORDS                   = 1",
        f"  BYTES                     = {header_bytes}",
        "  HEADER_TYPE               = SPREADSHEET",
        '  DESCRIPTION               = "Column headings as comma separated double quoted',
        '    strings."',
        "END_OBJECT                  = HEADER",
        "",
        "OBJECT                      = SPREADSHEET",
        f"  ROWS                      = {rows}",
        f"  ROW_BYTES                 = {row_bytes}",
        f"  FIELDS                    = {len(names)}",
        "  FIELD_DELIMITER           = COMMA",
    ]
    for i, (name, kind, width, unit, desc) in enumerate(zip(names, kinds, widths, units, descs, strict=True), 1):
        lines += ["", "  OBJECT                    = FIELD", f'    NAME                    = "{name}"',
                  f"    FIELD_NUMBER            = {i}", f"    DATA_TYPE               = {kind}",
                  f"    BYTES                   = {width}"]
        if unit:
            lines.append(f'    UNIT                    = "{unit}"')
        lines += [f'    DESCRIPTION             = "{desc}"', "  END_OBJECT                = FIELD"]
    lines += ["END_OBJECT                  = SPREADSHEET", "END", ""]
    return "\r\n".join(lines)


def write_mimi_table(out_dir: Path, stem: str, names: list[str], kinds: list[str], units: list[str | None],
                     descs: list[str], columns: list[list[str]], *, std_id: str, description: str,
                     start: str | None = None, stop: str | None = None) -> Path:
    """Write ``stem.CSV`` (quoted header line, records, CRLF) and its PDS3 label ``stem.LBL``."""
    header = ",".join(f'"{n}"' for n in names)
    cells = [[f'"{v}"' for v in col] if k == "CHARACTER" else col for col, k in zip(columns, kinds, strict=True)]
    body = [",".join(row) for row in zip(*cells, strict=True)]
    (out_dir / f"{stem}.CSV").write_bytes(("\r\n".join([header, *body]) + "\r\n").encode("ascii"))
    widths = [max((len(v) for v in col), default=1) for col in cells]
    row_bytes = max((len(b) for b in body), default=0) + 2
    text = _label(stem, names, kinds, widths, units, descs, len(body), row_bytes, len(header) + 2,
                  std_id, description, start, stop)
    lbl = out_dir / f"{stem}.LBL"
    lbl.write_bytes(text.encode("ascii"))
    return lbl


def write_calibration(out_dir: Path) -> Path:
    table = eq_table()
    names = ["Purpose", "Sensor", "Version", "sep_distance(cm)"] + [f"step_{k}_E/Q(keV/e)" for k in range(STEPS)]
    kinds = ["CHARACTER", "CHARACTER", "ASCII_INTEGER", "ASCII_REAL"] + ["ASCII_REAL"] * STEPS
    units = [None, None, None, "CENTIMETER"] + ["KEV/E"] * STEPS
    descs = ["Purpose of the record: cal = calibration constants.", "Sensor data type the record applies to.",
             "Version of the calibration values.",
             "Separation distance between the start and stop microchannel plates (TOF path)."]
    descs += [f"Energy per charge passed by the deflection system at DPPS step {k}." for k in range(STEPS)]
    columns = [["cal"], ["CPHA"], ["1"], [f"{SEP_DISTANCE_CM:.2f}"]] + [[f"{v:g}"] for v in table]
    return write_mimi_table(out_dir, "CHEMS_PHA_CAL_V01", names, kinds, units, descs, columns,
                            std_id="MIMI_CHEMS_CAL", description="CHEMS PHA calibration constants (pdsgen demo).")


def events(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """n synthetic PHA events: ion index, step, TOF (µs, 5 decimals), Energy (keV, 2 decimals)."""
    table = eq_table()
    ion = rng.integers(0, len(IONS), n)
    mass = np.array([i[1] for i in IONS])[ion]
    charge = np.array([i[2] for i in IONS], dtype=float)[ion]
    step = rng.integers(0, STEPS, n)
    e_kev = charge * table[step]
    tau_s = SEP_DISTANCE_CM / 100 * np.sqrt(mass * AMU_KG / (2 * e_kev * KEV_J))
    tof_us = np.round(tau_s * 1e6 * rng.normal(1.0, 0.01, n), 5)
    energy = np.round(ALPHA * e_kev * rng.normal(1.0, 0.02, n), 2)
    energy[rng.random(n) < 0.05] = 0.0  # TOF-only events
    return {"ion": ion, "step": step, "tof_us": tof_us, "energy": energy}


def write_pha(out_dir: Path, year: int, doy: int, n: int, rng: np.random.Generator) -> Path:
    ev = events(rng, n)
    seconds = np.sort(rng.uniform(0, 86_399, n)).round(3)
    ms = np.round(seconds * 1000).astype(np.int64)
    hh, rem = np.divmod(ms, 3_600_000)
    mm, rem = np.divmod(rem, 60_000)
    ss, mss = np.divmod(rem, 1000)
    utc = [f"{year}-{doy:03d}T{h:02d}:{m:02d}:{s:02d}.{x:03d}" for h, m, s, x in zip(hh, mm, ss, mss, strict=True)]
    names = ["Purpose", "UTC", "Year", "DDOY", "DPPS_Level", "Telescope", "Time_of_Flight(Microsec)",
             "Energy(keV)", "Range"]
    kinds = ["CHARACTER", "CHARACTER", "ASCII_INTEGER", "ASCII_REAL", "ASCII_INTEGER", "ASCII_INTEGER",
             "ASCII_REAL", "ASCII_REAL", "ASCII_INTEGER"]
    units = [None, None, None, "DAY", None, None, "MICROSECOND", "KEV", None]
    descs = ["Purpose of the record: sci = science (a PHA event).",
             "UTC time of the event (year-day of year, hour, minute, second).", "Year of the event.",
             "Decimal day of year of the event (1.0 = January 1, 00:00).",
             "Deflection plate power supply step number (0-31) of the event.",
             "Telescope (1-3) that detected the event.",
             "Time of flight between start and stop microchannel plates.",
             "Energy deposited in the solid state detector.", "Event priority range."]
    columns = [["sci"] * n, utc, [str(year)] * n, [f"{doy + s / 86_400:.6f}" for s in seconds],
               [str(s) for s in ev["step"]], [str(1 + i % 3) for i in range(n)],
               [f"{v:.5f}" for v in ev["tof_us"]], [f"{v:.2f}" for v in ev["energy"]],
               [str(i % 4) for i in range(n)]]
    return write_mimi_table(out_dir, f"CPHA0_{year}{doy:03d}_0001", names, kinds, units, descs, columns,
                            std_id="MIMI_CHEMS_PHA", description="CHEMS pulse height analysis events (pdsgen demo).",
                            start=utc[0], stop=utc[-1])


def generate(out_dir: Path, seed: int = 0) -> DemoData:
    """Three days of CHEMS PHA events plus the calibration data file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 2)
    cal = write_calibration(out_dir)
    inputs = [write_pha(out_dir, y, d, EVENTS_PER_DAY, rng) for y, d in DAYS]
    return DemoData(recipe=RECIPE, inputs=inputs, calibrations=[cal], params={"alpha": ALPHA},
                    description=f"{len(inputs)} CHEMS PHA products, {EVENTS_PER_DAY} events each")
