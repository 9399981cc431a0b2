"""A synthetic PDS4 archive of many small products, for tests and benchmarks of indexing
and packaging (not for science: the values are a counter). A test fixture: pdsgen itself
never imports it (bench/ scripts put tests/ on sys.path); importing it registers the
regeneration maker of its ``synthetic-offset`` recipe.

Each product is a one-field Table_Character with a schema-valid Product_Observational
label citing the real Cassini/MIMI context products; calibration products are
Product_Ancillary with purpose Calibration, each valid from its start time.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

IM_VERSION = "1.22.0.0"
SCHEMA = "1M00"
INVESTIGATION = "urn:nasa:pds:context:investigation:mission.cassini-huygens"
INSTRUMENT_HOST = "urn:nasa:pds:context:instrument_host:spacecraft.co"
INSTRUMENT = "urn:nasa:pds:context:instrument:mimi-chems.co"

_HEAD = f"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_{SCHEMA}.sch" schematypens="http://purl.oclc.org/dsdl/schematron"?>
"""
_ROOT_ATTRS = (
    'xmlns="http://pds.nasa.gov/pds4/pds/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    f'xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_{SCHEMA}.xsd"'
)

_CONTEXT = """    <Time_Coordinates>
      <start_date_time>{start}</start_date_time>
      <stop_date_time>{stop}</stop_date_time>
    </Time_Coordinates>
    <Primary_Result_Summary>
      <purpose>{purpose}</purpose>
      <processing_level>{level}</processing_level>
    </Primary_Result_Summary>
    <Investigation_Area>
      <name>Cassini-Huygens</name>
      <type>Mission</type>
      <Internal_Reference>
        <lid_reference>""" + INVESTIGATION + """</lid_reference>
        <reference_type>{prefix}_to_investigation</reference_type>
      </Internal_Reference>
    </Investigation_Area>
    <Observing_System>
      <Observing_System_Component>
        <name>MIMI CHEMS</name>
        <type>Instrument</type>
        <Internal_Reference>
          <lid_reference>""" + INSTRUMENT + """</lid_reference>
          <reference_type>is_instrument</reference_type>
        </Internal_Reference>
      </Observing_System_Component>
    </Observing_System>
    <Target_Identification>
      <name>Saturn</name>
      <type>Planet</type>
    </Target_Identification>
"""

_TABLE = """    <File>
      <file_name>{file_name}</file_name>
    </File>
    <Table_Character>
      <offset unit="byte">0</offset>
      <records>{records}</records>
      <record_delimiter>Carriage-Return Line-Feed</record_delimiter>
      <Record_Character>
        <fields>1</fields>
        <groups>0</groups>
        <record_length unit="byte">11</record_length>
        <Field_Character>
          <name>counter</name>
          <field_number>1</field_number>
          <field_location unit="byte">2</field_location>
          <data_type>ASCII_Integer</data_type>
          <field_length unit="byte">8</field_length>
        </Field_Character>
      </Record_Character>
    </Table_Character>
"""


def observational_label(lid: str, vid: str, title: str, start: str, stop: str, file_name: str,
                        records: int, level: str = "Raw") -> str:
    return (
        _HEAD
        + f"<Product_Observational {_ROOT_ATTRS}>\n"
        + _ident(lid, vid, title, "Product_Observational")
        + "  <Observation_Area>\n"
        + _CONTEXT.format(start=start, stop=stop, purpose="Science", level=level, prefix="data")
        + "  </Observation_Area>\n  <File_Area_Observational>\n"
        + _TABLE.format(file_name=file_name, records=records)
        + "  </File_Area_Observational>\n</Product_Observational>\n"
    )


def ancillary_label(lid: str, vid: str, title: str, start: str, stop: str, file_name: str,
                    records: int) -> str:
    return (
        _HEAD
        + f"<Product_Ancillary {_ROOT_ATTRS}>\n"
        + _ident(lid, vid, title, "Product_Ancillary")
        + "  <Context_Area>\n"
        + _CONTEXT.format(start=start, stop=stop, purpose="Calibration", level="Calibrated",
                          prefix="ancillary")
        + "  </Context_Area>\n  <File_Area_Ancillary>\n"
        + _TABLE.format(file_name=file_name, records=records)
        + "  </File_Area_Ancillary>\n</Product_Ancillary>\n"
    )


def _ident(lid: str, vid: str, title: str, cls: str) -> str:
    return f"""  <Identification_Area>
    <logical_identifier>{lid}</logical_identifier>
    <version_id>{vid}</version_id>
    <title>{title}</title>
    <information_model_version>{IM_VERSION}</information_model_version>
    <product_class>{cls}</product_class>
  </Identification_Area>
"""


def table_bytes(values: range | list[int]) -> bytes:
    """Fixed-width records: a space, the value right-aligned in 8 bytes, CRLF (11 bytes)."""
    return "".join(f" {v:8d}\r\n" for v in values).encode("ascii")


def _write(path: Path, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as fh:
        fh.write(data)


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def make_bundle(
    root: str | os.PathLike[str],
    n_products: int,
    *,
    n_calibrations: int = 3,
    bundle: str = "synth",
    start: dt.datetime = dt.datetime(2005, 1, 1),
    cadence: dt.timedelta = dt.timedelta(hours=1),
    per_folder: int = 1000,
    records: int = 3,
) -> Path:
    """Write ``n_products`` observational products (one per ``cadence`` from ``start``) under
    ROOT/data/ and ``n_calibrations`` calibration tables spread over the same span under
    ROOT/calibration/; no collection or bundle labels (packaging makes those)."""
    root = Path(root)
    data = root / "data"
    cal = root / "calibration"
    cal.mkdir(parents=True, exist_ok=True)
    made_dirs: set[Path] = set()
    for i in range(n_products):
        folder = data / f"d{i // per_folder:04d}"
        if folder not in made_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            made_dirs.add(folder)
        t0 = start + i * cadence
        stem = f"p{i:07d}"
        lid = f"urn:nasa:pds:{bundle}:data:{stem}"
        _write(folder / f"{stem}.tab", table_bytes(range(i, i + records)))
        _write(folder / f"{stem}.xml", observational_label(
            lid, "1.0", f"Synthetic product {i}", iso(t0), iso(t0 + cadence), f"{stem}.tab", records))
    span = max(n_products, 1) * cadence
    for k in range(n_calibrations):
        t0 = start + (span * k) / max(n_calibrations, 1)
        stem = f"cal{k:03d}"
        lid = f"urn:nasa:pds:{bundle}:calibration:{stem}"
        _write(cal / f"{stem}.tab", table_bytes(range(1000 * k, 1000 * k + records)))
        _write(cal / f"{stem}.xml", ancillary_label(
            lid, "1.0", f"Synthetic calibration {k}", iso(t0), iso(t0 + span), f"{stem}.tab", records))
    return root


# ------------------------------------------------------------------ calibrated products
#: The synthetic "recipe": calibrated = gain * counter + offset, offset being the first
#: value of the calibration table in force at the product's start time. It exists so that
#: regeneration (staleness, resume, backends) can be exercised and benchmarked on any
#: number of products; real recipes are remade through the recipe engine.
SYNTHETIC_RECIPE = "synthetic-offset"
SYNTHETIC_RECIPE_VERSION = "1.0"


def recipe_version(name: str) -> str | None:
    return SYNTHETIC_RECIPE_VERSION if name == SYNTHETIC_RECIPE else None


def _context(lid: str, vid: str, start: str, stop: str, raw: str, cal: str, gain: float) -> Any:
    from pdsgen.render import ContextReference, ProductContext

    return ProductContext(
        lid=lid, vid=vid, title=f"Synthetic calibrated product {lid.rsplit(':', 1)[-1]}",
        start_time=start, stop_time=stop,
        investigations=[ContextReference("Cassini-Huygens", "Mission", INVESTIGATION)],
        observing_system=[ContextReference("MIMI CHEMS", "Instrument", INSTRUMENT)],
        targets=[ContextReference("Saturn", "Planet")],
        input_products=[raw], calibration_files=[cal],
        recipe_name=SYNTHETIC_RECIPE, recipe_version=SYNTHETIC_RECIPE_VERSION,
        parameters={"gain": gain},
    )


def calibrate_one(raw_label: Path, cal_label: Path, out_dir: Path, lid: str, vid: str,
                  gain: float, creation_time: str) -> Any:
    """Read a raw product and its calibration with `pdsgen.open`, write the calibrated
    product with the writers (provenance in its label)."""
    import numpy as np

    import pdsgen
    from pdsgen.render import write_table

    raw = pdsgen.open(raw_label, strict=True)  # computed values: never from recovered ones
    cal = pdsgen.open(cal_label, strict=True)
    counts = np.asarray(raw[0].data["counter"], dtype=np.int64)
    offset = int(np.asarray(cal[0].data["counter"])[0])
    table = {"calibrated": counts * gain + offset}
    ctx = _context(lid, vid, raw.start_time, raw.stop_time, raw.lidvid, cal.lidvid, gain)
    return write_table(table, out_dir, basename=lid.rsplit(":", 1)[-1], context=ctx,
                       creation_time=creation_time, units={"calibrated": "count"},
                       descriptions={"calibrated": "gain * counter + calibration offset"})


def make_calibrated(root: str | os.PathLike[str], *, gain: float = 2.0, bundle: str = "synth",
                    creation_time: str = "2024-01-01T00:00:00Z") -> list[Path]:
    """A calibrated product in ROOT/data_calibrated/ for every raw product of `make_bundle`,
    each made with the calibration in force at its start time."""
    root = Path(root)
    out = root / "data_calibrated"
    out.mkdir(exist_ok=True)
    cals = sorted((root / "calibration").glob("cal*.xml"))
    cal_starts = []
    import re

    for c in cals:
        m = re.search(rb"<start_date_time>([^<]+)</start_date_time>", c.read_bytes())
        cal_starts.append(m.group(1).decode() if m else "")
    written = []
    for raw in sorted((root / "data").rglob("p*.xml")):
        if "SUPERSEDED" in raw.parts:
            continue
        m = re.search(rb"<start_date_time>([^<]+)</start_date_time>", raw.read_bytes())
        t = m.group(1).decode()
        in_force = [c for c, s in zip(cals, cal_starts, strict=True) if s <= t]
        stem = raw.stem
        w = calibrate_one(raw, in_force[-1], out, f"urn:nasa:pds:{bundle}:data_calibrated:{stem}_cal",
                          "1.0", gain, creation_time)
        written.append(w.label_path)
    return written


#: Seconds each remake waits first, read in the worker process (set on Dask workers started
#: by a test, so that a run lasts long enough to kill one of them mid-run).
REMAKE_DELAY_ENV = "PDSGEN_SYNTHETIC_REMAKE_DELAY"


def remake(spec: dict[str, Any], staging: Path) -> None:
    """The regeneration maker of the synthetic recipe (see `pdsgen.archive.regenerate`)."""
    delay = float(os.environ.get(REMAKE_DELAY_ENV) or 0)
    if delay > 0:
        import time

        time.sleep(delay)
    (raw,) = spec["inputs"]
    (cal,) = spec["calibrations"]
    calibrate_one(Path(raw["label"]), Path(cal["label"]), staging, spec["lid"], spec["new_vid"],
                  float(spec["parameters"].get("gain", 2.0)), spec["creation_time"])


def _register() -> None:
    from pdsgen.archive.regenerate import register_maker

    # replace: this module may be imported under two names (tests and bench/)
    register_maker(SYNTHETIC_RECIPE, f"{__name__}:remake", replace=True)


_register()
