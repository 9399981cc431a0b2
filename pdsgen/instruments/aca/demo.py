"""Chandra ACA full-frame dark-current calibrations for the demo (seed 003).

One FITS file per calibration, what mica keeps in ``aca_dark/<YYYYDOY>/`` (image +
properties): primary HDU = the dark-current image in e-/s (1024 x 1024 by default),
extension ``REPLICAS`` = per-replica start time and CCD temperature, with a PDS4 label
(``labels/aca/dark_cal.xml.j2``). Dark current is drawn at the -19 degC reference
(log-normal background plus a warm-pixel tail that grows with mission time, as radiation
damage does) and scaled to each calibration's CCD temperature with mica's law.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from pdsgen.instruments.aca.algorithm import dark_temp_scale
from pdsgen.recipes.demo_data import DemoData, render_label, write_atomic, write_fits

RECIPE = "aca-dark"
MISSING_T_CCD = -999.0

#: (date of the first replica, mean CCD temperature degC) of the demo calibrations
CALS = (
    (datetime(2000, 3, 10, 4, 10, tzinfo=UTC), -10.1),
    (datetime(2002, 6, 21, 11, 2, tzinfo=UTC), -10.0),
    (datetime(2005, 1, 17, 23, 40, tzinfo=UTC), -12.9),
    (datetime(2007, 9, 2, 7, 5, tzinfo=UTC), -14.8),
    (datetime(2010, 2, 8, 15, 30, tzinfo=UTC), -15.3),
    (datetime(2012, 11, 29, 1, 55, tzinfo=UTC), -13.6),
)


def chandra_date(t: datetime) -> str:
    """``YYYY:DDD:hh:mm:ss.sss`` (Chandra's DateTime 'date' format)."""
    return t.strftime("%Y:%j:%H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def write_dark_cal(
    out_dir: Path, *, start: datetime, image_e_per_s: np.ndarray, replica_t_ccd: list[float]
) -> Path:
    """Write one dark calibration (FITS + PDS4 label); replicas 10 minutes apart.
    ``replica_t_ccd`` entries that are NaN are written as the missing constant."""
    from astropy.io import fits

    dark_id = start.strftime("%Y%j")
    stem = f"acadark_{dark_id}"
    primary = fits.PrimaryHDU(np.ascontiguousarray(image_e_per_s, dtype=">f4"))
    primary.header["DARK_ID"] = dark_id
    primary.header["DATE-OBS"] = start.strftime("%Y-%m-%dT%H:%M:%S")
    primary.header["BUNIT"] = "e-/s"
    n = len(replica_t_ccd)
    dates = [chandra_date(start + timedelta(minutes=10 * k)) for k in range(n)]
    temps = np.array([MISSING_T_CCD if not np.isfinite(x) else x for x in replica_t_ccd], dtype=">f4")
    rep = fits.BinTableHDU.from_columns(
        [
            fits.Column(name="REPLICA", format="I", array=np.arange(n, dtype=">i2")),
            fits.Column(name="DATE", format="21A", array=np.array(dates)),
            fits.Column(name="T_CCD", format="E", unit="deg_C", array=temps),
        ],
        name="REPLICAS",
    )
    fits_path = out_dir / f"{stem}.fits"
    info = write_fits(fits_path, [primary, rep])
    stop = start + timedelta(minutes=10 * max(n - 1, 0) + 5)
    label = render_label(
        "aca",
        "dark_cal.xml.j2",
        lid=f"urn:nasa:pds:chandra.aca.dark:calibration:{stem}",
        title=f"Chandra ACA dark current calibration {dark_id}",
        start=start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        stop=stop.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        file_name=fits_path.name,
        dark_id=dark_id,
        header_bytes=info[0]["datLoc"],
        data_offset=info[0]["datLoc"],
        ny=image_e_per_s.shape[0],
        nx=image_e_per_s.shape[1],
        rep_header_offset=info[1]["hdrLoc"],
        rep_header_bytes=info[1]["datLoc"] - info[1]["hdrLoc"],
        rep_offset=info[1]["datLoc"],
        n_replicas=n,
        missing=f"{MISSING_T_CCD:.1f}",
    )
    label_path = out_dir / f"{stem}.xml"
    write_atomic(label_path, label.encode("utf-8"))
    return label_path


def dark_image_e_per_s(rng: np.random.Generator, size: int, years_in_mission: float, t_ccd: float) -> np.ndarray:
    """Demo dark current at ``t_ccd``: log-normal background (median 3 e-/s at -19 degC)
    plus a log-uniform warm tail (10-1000 e-/s at -19 degC) whose size grows linearly with
    mission time."""
    ref = rng.lognormal(mean=np.log(3.0), sigma=0.6, size=(size, size))
    n_warm = int(size * size * (0.002 + 0.0015 * years_in_mission))
    idx = rng.choice(size * size, size=n_warm, replace=False)
    ref.flat[idx] = 10.0 ** rng.uniform(1.0, 3.0, size=n_warm)
    return (ref * dark_temp_scale(-19.0, t_ccd)).astype(np.float32)


def generate(out_dir: Path, seed: int = 0, size: int = 1024, n_cals: int = len(CALS)) -> DemoData:
    """Write ``n_cals`` dark calibrations (5 replicas each; one replica of the fourth has no
    temperature telemetry) of ``size`` x ``size`` pixels."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 3])
    labels = []
    for k, (start, t_mean) in enumerate(CALS[:n_cals]):
        years = (start - CALS[0][0]).days / 365.25
        image = dark_image_e_per_s(rng, size, years, t_mean)
        reps = list(t_mean + np.array([-0.2, -0.1, 0.0, 0.1, 0.2]))
        if k == 3:
            reps[2] = float("nan")  # no hdr3 telemetry around this replica
        labels.append(write_dark_cal(out_dir, start=start, image_e_per_s=image, replica_t_ccd=reps))
    return DemoData(
        recipe=RECIPE,
        inputs=labels,
        params={"date": "2008:001", "select": "nearest"},
        description=f"{len(labels)} ACA dark calibrations ({size}x{size} e-/s images, FITS + PDS4)",
    )
