"""Cassini INMS REU laboratory mass scans for the demo (seed 000).

One labelled fixed-width text product per mass scan (``labels/inms/mass_scan.xml.j2``:
tables SCAN, MONITORS, DATA, the seed's 'Scan', 'Monitors' and 'Data' sections) and the
dataset plan CSV that says which scan ranges form which dataset and what each dataset is
(the seed does this by hand in ``INMS_DA_scratch.py``). Run 1020 is a full crosstalk
measurement: closed-source background, open-source background, OSNB with the closed-source
filament on, CSN, OSNB with the filament off. As in the seed's 2015-349 case the raw
``dataset`` field of the last two datasets was not terminated correctly (both say D004),
so the plan's scan ranges decide. Run 1021 has no plan entry: statistics only.
Counts are Poisson draws of a model spectrum proportional to chamber pressure and
filament emission, so the recipe's scaling removes the monitor drifts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pdsgen.model import Field
from pdsgen.recipes.demo_data import CalibrationChange, DemoData, render_label, write_atomic

RECIPE = "inms-crosstalk"
#: `pdsgen demo --deliver`'s calibration change: in the dataset plan, scan 10 of run 1020
#: moves from dataset D001 (background, CS closed) to D002 (background, CS open)
CALIBRATION_CHANGE = CalibrationChange(
    "inms_datasets.csv", (("1020,D001bkgc,1,10", "1020,D001bkgc,1,9"), ("1020,D002bkgo,11,20", "1020,D002bkgo,10,20")),
    "dataset plan: scan 10 of run 1020 moves from D001 (scans 1-10 -> 1-9) to D002 (11-20 -> 10-20)")

#: mass channels of the crosstalk scans (19 channels, 1-23 amu/e: index 1 = H2, 14 = H2O as in the seed)
MASSES = (1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 23)
#: background scans cover 1-50 amu/e
BKG_MASSES = tuple(range(1, 51))
P0_TORR = 1.0e-6
E0_UA = 100.0


def _fields(*specs: tuple[str, str, int, str | None, str | None, str]) -> tuple[Field, ...]:
    """Fields of one fixed-width record from (name, data type, width, printf format of a
    number or None for left-justified text, unit, description): one blank after each."""
    out, location = [], 0
    for name, data_type, width, fmt, unit, description in specs:
        out.append(Field(name, data_type, location, width, field_format=fmt, unit=unit, description=description))
        location += width + 1
    return tuple(out)


SCAN_FIELDS = _fields(
    ("run", "ASCII_Integer", 5, "%5d", None, "laboratory run number"),
    ("dataset", "ASCII_String", 8, None, None, "dataset identifier written by the test script"),
    ("scan", "ASCII_Integer", 4, "%4d", None, "scan number within the run"),
    ("mode", "ASCII_String", 4, None, None, "ion source mode: CSN (closed source neutral) or OSNB (open source neutral beam)"),
    ("initial_time", "ASCII_Date_Time_YMD_UTC", 24, None, None, "scan start (UTC)"),
    ("final_time", "ASCII_Date_Time_YMD_UTC", 24, None, None, "scan end (UTC)"),
)
MONITOR_FIELDS = _fields(
    ("ip", "ASCII_Integer", 6, "%6d", "ms", "integration period per mass channel"),
    ("cs_fil1_emis_iset", "ASCII_Real", 9, "%9.3f", "uA", "closed-source filament 1 emission set point (>= 1 uA: filament on)"),
    ("cs_fil1_emis_imon", "ASCII_Real", 9, "%9.3f", "uA", "closed-source filament 1 emission monitor"),
    ("cs_anode1_imon", "ASCII_Real", 9, "%9.3f", "uA", "closed-source anode 1 current monitor"),
    ("cs_ionrep_imon", "ASCII_Real", 9, "%9.3f", "uA", "closed-source ion repeller current monitor"),
    ("os_fil1_emis_imon", "ASCII_Real", 9, "%9.3f", "uA", "open-source filament 1 emission monitor"),
    ("chamber_ion_pmon", "ASCII_Real", 10, "%10.4E", "Torr", "chamber ion-gauge pressure"),
)
DATA_FIELDS = _fields(
    ("mass", "ASCII_Real", 6, "%6.2f", "Da", "mass per charge of the channel (Da = amu, per elementary charge)"),
    ("counter1", "ASCII_Integer", 9, "%9d", "count", "counts in the integration period, counter 1"),
    ("counter2", "ASCII_Integer", 9, "%9d", "count", "counts in the integration period, counter 2 (high-sensitivity)"),
)


def _record_length(fields: tuple[Field, ...]) -> int:
    """Bytes per record: the fields, one blank between two, CR LF."""
    return fields[-1].location + fields[-1].length + 2


def _records(fields: tuple[Field, ...], rows: list[tuple[Any, ...]]) -> bytes:
    """Numbers right-justified in their printf format, text left-justified."""
    lines = []
    for row in rows:
        cells = [(f.field_format % v)[: f.length].rjust(f.length) if f.field_format
                 else str(v)[: f.length].ljust(f.length)
                 for f, v in zip(fields, row, strict=True)]
        lines.append(" ".join(cells) + "\r\n")
    return "".join(lines).encode("ascii")


def write_scan(
    out_dir: Path,
    *,
    run: int,
    dataset: str,
    scan: int,
    mode: str,
    start: datetime,
    monitors: dict[str, float],
    masses: np.ndarray,
    counter1: np.ndarray,
    counter2: np.ndarray | None = None,
) -> Path:
    """Write one mass-scan product (text file + PDS4 label); returns the label path."""
    masses = np.asarray(masses, dtype=float)
    c1 = np.asarray(counter1, dtype=np.int64)
    c2 = np.zeros_like(c1) if counter2 is None else np.asarray(counter2, dtype=np.int64)
    ip_ms = int(monitors["ip"])
    stop = start + timedelta(milliseconds=ip_ms * max(len(masses), 1))
    t0 = start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    t1 = stop.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    scan_rec = _records(SCAN_FIELDS, [(run, dataset, scan, mode, t0, t1)])
    mon_rec = _records(MONITOR_FIELDS, [tuple(monitors[f.name] for f in MONITOR_FIELDS)])
    data_rec = _records(DATA_FIELDS, list(zip(masses.tolist(), c1.tolist(), c2.tolist(), strict=True)))
    tables, offset = [], 0
    for name, fields, blob, n, desc in (
        ("SCAN", SCAN_FIELDS, scan_rec, 1, "scan identification (the seed's 'Scan' section)"),
        ("MONITORS", MONITOR_FIELDS, mon_rec, 1, "instrument and chamber monitors during the scan (the seed's 'Monitors' section)"),
        ("DATA", DATA_FIELDS, data_rec, len(masses), "counts per mass channel (the seed's 'Data' section)"),
    ):
        tables.append({"name": name, "offset": offset, "records": n, "record_length": _record_length(fields),
                       "description": desc, "fields": fields})
        offset += len(blob)
    doy = start.strftime("%Y-%j")
    stem = f"REU_{doy}_R{run}_MS_{dataset}_S{scan:03d}"
    data_path = out_dir / f"{stem}.tab"
    write_atomic(data_path, scan_rec + mon_rec + data_rec)
    label = render_label(
        "inms",
        "mass_scan.xml.j2",
        lid=f"urn:nasa:pds:cassini.inms.reu:raw:{stem.lower()}",
        title=f"Cassini INMS REU run {run} {mode} mass scan {scan} ({dataset})",
        start=t0, stop=t1, file_name=data_path.name, run=run, tables=tables,
    )
    label_path = out_dir / f"{stem}.xml"
    write_atomic(label_path, label.encode("utf-8"))
    return label_path


def _spectrum(masses: tuple[int, ...], lines: dict[int, float], floor: float = 5.0) -> np.ndarray:
    return np.array([lines.get(m, floor) for m in masses], dtype=float)


#: residual-gas background at P0, E0 (counts per integration period)
BACKGROUND = {1: 20.0, 2: 300.0, 16: 50.0, 17: 200.0, 18: 800.0, 28: 500.0, 32: 40.0, 44: 60.0}
#: neutral H2/H2O beam signal seen by the closed source (CSN), on top of the background
BEAM = {1: 300.0, 2: 10000.0, 16: 100.0, 17: 500.0, 18: 2000.0}

#: run 1020 datasets: (raw dataset field, plan name, role, mode, CS filament set point, scans, masses,
#: background factor, fraction of the beam seen)
RUN_1020 = (
    ("D001", "D001bkgc", "bkgc", "CSN", 100.0, 10, BKG_MASSES, 1.0, 0.0),
    ("D002", "D002bkgo", "bkgo", "OSNB", 100.0, 10, BKG_MASSES, 0.3, 0.0),
    ("D003", "D003", "osnb_on", "OSNB", 100.0, 10, MASSES, 0.3, 0.04),
    ("D004", "D004", "csn", "CSN", 100.0, 10, MASSES, 1.0, 1.0),
    ("D004", "D005", "osnb_off", "OSNB", 0.0, 10, MASSES, 0.3, 0.01),
)


def generate(out_dir: Path, seed: int = 0) -> DemoData:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 0])
    labels: list[Path] = []
    plan = ["run,dataset,first_scan,last_scan,role"]
    t = datetime(2015, 12, 18, 14, 0, 0, tzinfo=UTC)
    scan = 0
    for raw_ds, name, role, mode, iset, n, masses, bkg_k, beam_k in RUN_1020:
        first = scan + 1
        for _ in range(n):
            scan += 1
            p = P0_TORR * (1.0 + 0.05 * rng.standard_normal())
            e_cs = (E0_UA * (1.0 + 0.03 * rng.standard_normal())) if iset >= 1 else 0.02
            e_os = E0_UA * (1.0 + 0.03 * rng.standard_normal()) if mode == "OSNB" else 0.01
            e_src = e_cs if mode == "CSN" else e_os
            expected = (bkg_k * _spectrum(masses, BACKGROUND) + beam_k * _spectrum(masses, BEAM, 0.0))
            expected *= (p / P0_TORR) * (e_src / E0_UA)
            counts = rng.poisson(expected)
            monitors = {"ip": 1000, "cs_fil1_emis_iset": iset, "cs_fil1_emis_imon": e_cs,
                        "cs_anode1_imon": 0.8 * e_cs, "cs_ionrep_imon": 0.05 * e_cs,
                        "os_fil1_emis_imon": e_os, "chamber_ion_pmon": p}
            labels.append(write_scan(out_dir, run=1020, dataset=raw_ds, scan=scan, mode=mode, start=t,
                                     monitors=monitors, masses=np.array(masses), counter1=counts,
                                     counter2=rng.poisson(expected * 0.01)))
            t += timedelta(seconds=45)
        plan.append(f"1020,{name},{first},{scan},{role}")
    # run 1021: two short CSN datasets, not in the plan -> statistics per raw dataset only
    t = datetime(2015, 12, 19, 9, 30, 0, tzinfo=UTC)
    for s in range(1, 9):
        ds = "D001" if s <= 4 else "D002"
        p = P0_TORR * (1.0 + 0.05 * rng.standard_normal())
        e = E0_UA * (1.0 + 0.03 * rng.standard_normal())
        expected = (_spectrum(MASSES, BACKGROUND) + (0.5 if ds == "D002" else 0.0) * _spectrum(MASSES, BEAM, 0.0))
        counts = rng.poisson(expected * (p / P0_TORR) * (e / E0_UA))
        monitors = {"ip": 1000, "cs_fil1_emis_iset": 100.0, "cs_fil1_emis_imon": e, "cs_anode1_imon": 0.8 * e,
                    "cs_ionrep_imon": 0.05 * e, "os_fil1_emis_imon": 0.01, "chamber_ion_pmon": p}
        labels.append(write_scan(out_dir, run=1021, dataset=ds, scan=s, mode="CSN", start=t, monitors=monitors,
                                 masses=np.array(MASSES), counter1=counts))
        t += timedelta(seconds=45)
    plan_path = out_dir / "inms_datasets.csv"
    write_atomic(plan_path, ("\n".join(plan) + "\n").encode("ascii"))
    return DemoData(
        recipe=RECIPE,
        inputs=labels,
        calibrations=[plan_path],
        description=f"{len(labels)} INMS REU mass scans (2 runs, PDS4 fixed-width tables) + dataset plan",
    )
