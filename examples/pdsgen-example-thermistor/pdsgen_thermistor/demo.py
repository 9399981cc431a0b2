"""Demo housekeeping products for `pdsgen demo`: PDS3 character tables (detached labels)
written by pdsgen's own writer, one per day, with a thermistor channel following a slow
thermal cycle. Deterministic for a seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pdsgen.recipes.demo_data import DemoData

RECIPE = "thermistor-temperature"
R_REF_OHM = 10_000.0
ADC_FULL = 4095
MET_EPOCH = np.datetime64("2026-01-01T00:00:00", "s")  # MET counts from here


def write_housekeeping(out_dir: Path, day: int, n: int, rng: np.random.Generator) -> Path:
    from astropy.table import Table

    from pdsgen.render import write_table

    met = np.round(86_400.0 * day + np.arange(n) * 60.0, 3)
    # a thermal-vacuum test cycle between about 250 K and 320 K, as resistance of a 10 kohm NTC
    temp_k = 285.0 + 35.0 * np.sin(2 * np.pi * np.arange(n) / n) + rng.normal(0, 0.2, n)
    r = 10_000.0 * np.exp(3950.0 * (1.0 / temp_k - 1.0 / 298.15))
    dn = np.round(ADC_FULL * r / (r + R_REF_OHM)).astype(np.int32)
    dn[n // 3] = ADC_FULL  # one open-thermistor reading: must come out as NaN, not a number
    table = Table({"MET": met, "THERM_DN": dn})
    table["MET"].unit = "s"
    table["MET"].format = "%.3f"
    table["MET"].description = "Mission elapsed time of the record."
    table["THERM_DN"].description = "Thermistor channel, ADC counts."
    stem = f"HK_THERM_{2026000 + day + 1}"
    start = MET_EPOCH + np.timedelta64(int(met[0]), "s")
    stop = MET_EPOCH + np.timedelta64(int(met[-1]), "s")
    written = write_table(table, out_dir, basename=stem, standard="pds3", table_format="character",
                          context={"product_id": stem, "data_set_id": "EXAMPLE-THERMISTOR-RAW-V1.0",
                                   "product_type": "EDR", "start_time": f"{start}Z", "stop_time": f"{stop}Z",
                                   "description": "thermistor housekeeping (demo data)"},
                          creation_time="2026-01-01T00:00:00Z", statistics=False)
    return written.label_path


def generate(out_dir: Path, seed: int = 0) -> DemoData:
    """Two days of housekeeping, 120 records each."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 17)
    inputs = [write_housekeeping(out_dir, day, 120, rng) for day in (0, 1)]
    return DemoData(recipe=RECIPE, inputs=inputs, description="2 housekeeping tables (PDS3 character)")
