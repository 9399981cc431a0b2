"""Write the small MIMI-style CHEMS fixtures of this folder (run once; output is committed).

    python labels/chems/make_fixtures.py

Events are made from physics so that the CHEMS PHA algorithm (seed 002) gives back the
ion that produced them: an ion of mass M (u) and charge Q (e) passes the deflection
analyser at DPPS step k with E/Q = table[k] (keV/e), so E = Q*E/Q; it flies dist =
sep_distance(cm)/100 m in tau = dist*sqrt(M*u/(2*E)) seconds; the solid-state detector
measures Energy = alpha*E keV. Values are rounded to what the CSV holds, so the
recovered M/Q is close to, not exactly, the generating ion's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pdsgen.recipes.demo_data.chems import (
    ALPHA,
    AMU_KG,
    KEV_J,
    SEP_DISTANCE_CM,
    STEPS,
    eq_table,
    write_mimi_table,
)

HERE = Path(__file__).resolve().parent
CREATED = "2026-11-21T00:00:00"
IONS = [("H+", 1.00728, 1), ("He++", 4.00151, 2), ("O+", 15.99437, 1), ("O6+", 15.99163, 6)]


def _write_table(stem: str, names, kinds, units, descs, rows, **label) -> None:
    """CSV (header line + records, CRLF) and its PDS3 label, by the demo generator's writer."""
    columns = [list(col) for col in zip(*rows, strict=True)]
    write_mimi_table(HERE, stem, names, kinds, units, descs, columns, created=CREATED, **label)


def make_calibration() -> None:
    table = eq_table()
    names = ["Purpose", "Sensor", "Version", "sep_distance(cm)"] + [f"step_{k}_E/Q(keV/e)" for k in range(STEPS)]
    kinds = ["CHARACTER", "CHARACTER", "ASCII_INTEGER", "ASCII_REAL"] + ["ASCII_REAL"] * STEPS
    units = [None, None, None, "CENTIMETER"] + ["KEV/E"] * STEPS
    descs = [
        "Purpose of the record: cal = calibration constants.",
        "Sensor data type the record applies to.",
        "Version of the calibration values.",
        "Separation distance between the start and stop microchannel plates (TOF path).",
    ] + [f"Energy per charge passed by the deflection system at DPPS step {k}." for k in range(STEPS)]
    row = ["cal", "CPHA", "1", f"{SEP_DISTANCE_CM:.2f}"] + [f"{v:g}" for v in table]
    _write_table(
        "CHEMS_PHA_CAL_V01", names, kinds, units, descs, [row],
        std_id="MIMI_CHEMS_CAL", description="CHEMS PHA calibration constants (pdsgen test fixture).",
    )


def make_pha(n: int = 48) -> None:
    rng = np.random.default_rng(183)
    table = eq_table()
    t0 = np.datetime64("2004-07-01T00:00:00.000", "ms")
    seconds = np.sort(rng.uniform(0, 86_399, n)).round(3)
    names = ["Purpose", "UTC", "Year", "DDOY", "DPPS_Level", "Telescope", "Time_of_Flight(Microsec)", "Energy(keV)", "Range"]
    kinds = ["CHARACTER", "CHARACTER", "ASCII_INTEGER", "ASCII_REAL", "ASCII_INTEGER", "ASCII_INTEGER", "ASCII_REAL", "ASCII_REAL", "ASCII_INTEGER"]
    units = [None, None, None, "DAY", None, None, "MICROSECOND", "KEV", None]
    descs = [
        "Purpose of the record: sci = science (a PHA event).",
        "UTC time of the event (year-day of year, hour, minute, second).",
        "Year of the event.",
        "Decimal day of year of the event (1.0 = January 1, 00:00).",
        "Deflection plate power supply step number (0-31) of the event.",
        "Telescope (1-3) that detected the event.",
        "Time of flight between start and stop microchannel plates.",
        "Energy deposited in the solid state detector.",
        "Event priority range.",
    ]
    rows = []
    for i in range(n):
        name, mass, charge = IONS[i % len(IONS)]
        step = int(rng.integers(0, STEPS))
        e_kev = charge * table[step]
        tau_s = SEP_DISTANCE_CM / 100 * np.sqrt(mass * AMU_KG / (2 * e_kev * KEV_J))
        t = t0 + np.timedelta64(int(round(seconds[i] * 1000)), "ms")
        utc = str(t)  # 2004-07-01T..
        doy = (t.astype("datetime64[D]") - t.astype("datetime64[Y]").astype("datetime64[D]")).astype(int) + 1
        frac = seconds[i] / 86_400
        rows.append([
            "sci", f"2004-{doy:03d}T{utc[11:23]}", "2004", f"{doy + frac:.6f}", str(step), str(1 + i % 3),
            f"{tau_s * 1e6:.5f}", f"{ALPHA * e_kev:.2f}", str(i % 4),
        ])
    _write_table(
        "CPHA0_2004183_0001", names, kinds, units, descs, rows, std_id="MIMI_CHEMS_PHA",
        description="CHEMS pulse height analysis events (pdsgen test fixture, synthetic).",
        start=rows[0][1], stop=rows[-1][1],
    )


def make_geom() -> None:
    names = ["Purpose", "Category", "Sensor", "Kind", "Particle", "Start_Year", "Start_DDOY", "lower_value", "midpoint_value", "upper_value"]
    kinds = ["CHARACTER"] * 5 + ["ASCII_INTEGER", "ASCII_REAL", "ASCII_REAL", "ASCII_REAL", "ASCII_REAL"]
    units = [None] * 6 + ["DAY", "CM**2*SR", "CM**2*SR", "CM**2*SR"]
    descs = [
        "Purpose of the record: GEOM_FACTOR = geometric factor.",
        "Data category the factor applies to (ACC = accumulation rates).",
        "MIMI sensor.",
        "What the factor describes (DETECTOR, TELESCOPE).",
        "Particle species.",
        "Year from which the record is valid.",
        "Decimal day of year from which the record is valid.",
        "Lower bound of the geometric factor.",
        "Midpoint value of the geometric factor.",
        "Upper bound of the geometric factor.",
    ]
    records = [
        ("INCA", "DETECTOR", "H", 1997, 288.0, 2.10),
        ("INCA", "DETECTOR", "H", 2004, 150.5, 2.30),
        ("INCA", "DETECTOR", "H", 2004, 183.25, 2.45),
        ("INCA", "DETECTOR", "O", 1997, 288.0, 1.60),
        ("INCA", "DETECTOR", "O", 2004, 183.25, 1.75),
        ("INCA", "DETECTOR", "O", 2005, 1.0, 1.80),
        ("CHEMS", "TELESCOPE", "H", 1997, 288.0, 0.0500),
        ("CHEMS", "TELESCOPE", "H", 2005, 1.0, 0.0480),
    ]
    rows = []
    for sensor, kind, particle, year, ddoy, mid in records:
        rows.append([
            "GEOM_FACTOR", "ACC", sensor, kind, particle, str(year), f"{ddoy:.2f}",
            f"{mid * 0.9:.4f}", f"{mid:.4f}", f"{mid * 1.1:.4f}",
        ])
    _write_table(
        "MIMI_GEOM_FACTOR_V01", names, kinds, units, descs, rows, std_id="MIMI_GEOM_FACTOR",
        description="Geometric factors with validity start times (pdsgen test fixture).",
    )


if __name__ == "__main__":
    make_calibration()
    make_pha()
    make_geom()
