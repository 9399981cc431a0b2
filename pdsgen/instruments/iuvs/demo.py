"""MAVEN IUVS L1A dark products for the demo (seed 001).

Each dark is a FITS file as the L1A pipeline writes it: the primary HDU holds the dark
frame(s) in DN per binned pixel; the ``Engineering`` binary-table extension (one row)
carries the values the seed's notebook lists (INT_TIME in ms, SPE_SIZE/SPA_SIZE binning,
MCP_VOLT in V, DET_TEMP/CASE_TEMP in telemetry DN, XUV ...; their names are longer than
FITS keywords allow, which is why L1A keeps them in a table). The PDS4 label is
``labels/iuvs/l1a_dark.xml.j2``. The dark
rate follows the detector temperature; a few darks are shutter darks (MCP_VOLT > 0) and
a few are 2-frame sets (NAXIS3 = 2), as in the seed's statistics. The temperature
conversion polynomials are written as the calibration file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pdsgen.recipes.demo_data import (
    CalibrationChange,
    DemoData,
    render_label,
    write_atomic,
    write_fits,
)

RECIPE = "iuvs-dark"
#: `pdsgen demo --deliver`'s calibration change: the detector-temperature polynomial's
#: offset c0 (DN -> degC) rises by 0.5 degC
CALIBRATION_CHANGE = CalibrationChange(
    "iuvs_temperature_polynomials.csv", (("DET_TEMP,0,16383,174.08,", "DET_TEMP,0,16383,174.58,"),),
    "temperature polynomials: DET_TEMP offset c0 174.08 -> 174.58 degC (every detector temperature +0.5 degC)")

#: The L1B pipeline's DN -> degC conversions (D. Theiling, LASP, 2013): on-chip detector
#: temperature linear, every other (thermistor) temperature a split 4th-order polynomial.
TEMPERATURE_POLYNOMIALS_CSV = """\
sensor,dn_min,dn_max,c0,c1,c2,c3,c4
DET_TEMP,0,16383,174.08,-0.0749,0,0,0
CASE_TEMP,0,8191,1.8195,-6.2210e-3,1.6259e-7,-7.3832e-11,-2.9933e-16
CASE_TEMP,8192,16383,450.47,-6.5734e-2,3.3093e-6,-5.4216e-11,-2.9330e-16
"""

#: The L1A "Engineering" extension columns the dark trend uses (one row per file):
#: name, FITS TFORM, unit, description.
ENGINEERING_COLUMNS = (
    ("INT_TIME", "J", "ms", "integration time"),
    ("SPE_SIZE", "I", None, "spectral binning: detector pixels summed per stored pixel"),
    ("SPA_SIZE", "I", None, "spatial binning: detector pixels summed per stored pixel"),
    ("SPE_OFS", "I", None, "spectral offset of the first bin"),
    ("SPA_OFS", "I", None, "spatial offset of the first bin"),
    ("MCP_VOLT", "D", "V", "MCP high voltage; > 0 for shutter darks, about -1.8 V for MCP-off darks"),
    ("MCP_GAIN", "D", None, "MCP gain setting"),
    ("DET_TEMP", "J", "DN", "detector (on-chip) temperature telemetry"),
    ("CASE_TEMP", "J", "DN", "detector case thermistor telemetry"),
    ("MIRROR_POS", "J", "DN", "scan mirror position"),
    ("MIR_DEG", "D", "deg", "scan mirror angle"),
    ("MODE", "I", None, "observing mode"),
    ("SET_TOTAL", "I", None, "frames in the set (NAXIS3)"),
    ("IMAGE_NUMBER", "J", None, "image counter"),
    ("CADENCE", "J", "ms", "frame cadence"),
)
_FITS_TO_PDS4 = {"I": ("SignedMSB2", 2), "J": ("SignedMSB4", 4), "D": ("IEEE754MSBDouble", 8)}

INT_TIMES_MS = (14400, 10200, 6000, 4200, 4000, 1400)
BLANK = -2147483648
T0 = datetime(2014, 11, 3, 2, 17, 41, tzinfo=UTC)


def dark_rate_dn_per_s(det_temp_degc: np.ndarray) -> np.ndarray:
    """Demo dark model: DN/s per detector pixel doubling every 6 degC from 0.05 at -20 degC."""
    return 0.05 * 2.0 ** ((np.asarray(det_temp_degc) + 20.0) / 6.0)


def write_dark(
    out_dir: Path,
    *,
    time: datetime,
    xuv: str,
    orbit: int,
    image_dn: np.ndarray,
    keywords: dict[str, Any],
) -> Path:
    """Write one L1A dark FITS file and its PDS4 label; returns the label path."""
    from astropy.io import fits

    stamp = time.strftime("%Y%m%dT%H%M%S")
    stem = f"mvn_iuv_l1a_periapse-orbit{orbit:05d}-{xuv.lower()}dark_{stamp}_v13_r01"
    primary = fits.PrimaryHDU(np.ascontiguousarray(image_dn, dtype=">i4"))
    primary.header["BLANK"] = BLANK
    primary.header["FILENAME"] = stem + ".fits"
    primary.header["XUV"] = xuv
    cols = [fits.Column(name=name, format=fmt, unit=unit or None, array=np.array([keywords[name]]))
            for name, fmt, unit, _desc in ENGINEERING_COLUMNS]
    cols.insert(0, fits.Column(name="XUV", format="3A", array=np.array([xuv])))
    eng = fits.BinTableHDU.from_columns(cols, name="Engineering")
    fits_path = out_dir / f"{stem}.fits"
    info = write_fits(fits_path, [primary, eng])
    fields, location = [], 1
    fields.append({"name": "XUV", "location": 1, "data_type": "ASCII_String", "length": 3, "unit": None,
                   "description": "detector channel: FUV or MUV"})
    location = 4
    for name, fmt, unit, desc in ENGINEERING_COLUMNS:
        dtype, length = _FITS_TO_PDS4[fmt]
        fields.append({"name": name, "location": location, "data_type": dtype, "length": length,
                       "unit": unit, "description": desc})
        location += length

    n_int = max(int(keywords.get("INT_TIME", 0)), 0)
    stop = time + timedelta(milliseconds=n_int * (image_dn.shape[0] if image_dn.ndim == 3 else 1))
    names = ("Frame", "Line", "Sample")[-image_dn.ndim:]
    label = render_label(
        "iuvs",
        "l1a_dark.xml.j2",
        lid=f"urn:nasa:pds:maven.iuvs.raw:calibration:{stem.lower()}",
        title=f"MAVEN IUVS L1A {xuv} dark, orbit {orbit}, {time:%Y-%m-%d %H:%M:%S} UTC",
        start=time.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        stop=stop.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        file_name=fits_path.name,
        header_bytes=info[0]["datLoc"] - info[0]["hdrLoc"],
        data_offset=info[0]["datLoc"],
        eng_header_offset=info[1]["hdrLoc"],
        eng_header_bytes=info[1]["datLoc"] - info[1]["hdrLoc"],
        eng_offset=info[1]["datLoc"],
        eng_record_bytes=location - 1,
        eng_fields=fields,
        shape=image_dn.shape,
        axes=list(zip(names, image_dn.shape, strict=True)),
        blank=BLANK,
        xuv=xuv,
        orbit=orbit,
    )
    label_path = out_dir / f"{stem}.xml"
    write_atomic(label_path, label.encode("utf-8"))
    return label_path


def generate(out_dir: Path, seed: int = 0, n_darks: int = 36) -> DemoData:
    """Write ``n_darks`` L1A darks (alternating FUV/MUV) and the temperature calibration."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 1])
    labels: list[Path] = []
    for i in range(n_darks):
        xuv = "FUV" if i % 2 == 0 else "MUV"
        orbit = 200 + i // 2
        time = T0 + timedelta(hours=4.5 * (i // 2), minutes=3 * (i % 2))
        int_time = INT_TIMES_MS[(i // 2) % len(INT_TIMES_MS)]
        spe, spa = (16, 64) if i % 3 else (32, 128)
        n_spe, n_spa = 1024 // spe, 1024 // spa
        # detector temperature wanders between -24 and +11 degC like the seed's statistics
        det_c = -12.0 + 10.0 * np.sin(i / 5.0) + rng.normal(0.0, 1.0)
        det_dn = int(round((174.08 - det_c) / 0.0749))
        case_dn = int(15990 + rng.integers(-30, 31))
        shutter = i in (7, 20, 29)
        mcp_volt = 846.558 if shutter else -1.830
        frames = 2 if i % 7 == 3 else 1
        rate = float(dark_rate_dn_per_s(det_c)) * (40.0 if shutter else 1.0)
        mean_dn = rate * (int_time / 1000.0) * spe * spa
        shape = (frames, n_spa, n_spe) if frames > 1 else (n_spa, n_spe)
        image = rng.poisson(mean_dn, size=shape).astype(np.int32)
        keywords = {
            "INT_TIME": int_time,
            "SPE_SIZE": spe,
            "SPA_SIZE": spa,
            "SPE_OFS": 0,
            "SPA_OFS": 0,
            "MCP_VOLT": mcp_volt,
            "MCP_GAIN": 0.0 if not shutter else 2.5,
            "DET_TEMP": det_dn,
            "CASE_TEMP": case_dn,
            "MODE": 1,
            "MIRROR_POS": 0,
            "MIR_DEG": 0.0,
            "CADENCE": int_time + 200,
            "SET_TOTAL": frames,
            "IMAGE_NUMBER": i,
        }
        labels.append(write_dark(out_dir, time=time, xuv=xuv, orbit=orbit, image_dn=image, keywords=keywords))
    cal = out_dir / "iuvs_temperature_polynomials.csv"
    write_atomic(cal, TEMPERATURE_POLYNOMIALS_CSV.encode("ascii"))
    return DemoData(
        recipe=RECIPE,
        inputs=labels,
        calibrations=[cal],
        description=f"{n_darks} IUVS L1A darks (FITS + PDS4), {sum(1 for i in range(n_darks) if i in (7, 20, 29))} shutter darks",
    )
