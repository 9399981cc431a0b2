"""Benchmark `pdsgen validate`: products/s for full validation of 2,000 small products and
MB/s of content validation of a 1,000,000-record table.

Full validation = well-formedness + XML Schema + Schematron + label rules (LID, file size,
MD5, context references) + content (every field of every record against its data type).
NASA validate is not installed here; its figures from its own issue tracker (about 2
products/s on large bundles, ~60 s for a 170 MB table = 2.8 MB/s) are printed as the
reference ratio, and pds4_tools (reading the same products/table, no validation) is timed in
the same run as a floor for "just reading the data". Needs ../shared (schemas, context list).

    python bench/bench_validate.py [--products 2000] [--records 1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PDSGEN_SHARED") or ROOT.parent / "shared")
CATALOG = SHARED / "pds4-schemas" / "catalog.xml"
CONTEXT = SHARED / "pds4-context" / "registered_context_products.json"
VALIDATE_PRODUCTS_PER_S = 2.0  # NASA validate on large bundles (issue tracker)
VALIDATE_MB_PER_S = 170 / 60  # 170 MB table in ~60 s (issue tracker)

LABEL = """<?xml version="1.0" encoding="UTF-8"?>
<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1I00.sch" schematypens="http://purl.oclc.org/dsdl/schematron"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1I00.xsd">
  <Identification_Area>
    <logical_identifier>urn:nasa:pds:pdsgen_bench:data:{name}</logical_identifier>
    <version_id>1.0</version_id>
    <title>pdsgen validate benchmark product {name}</title>
    <information_model_version>1.18.0.0</information_model_version>
    <product_class>Product_Observational</product_class>
  </Identification_Area>
  <Observation_Area>
    <Time_Coordinates>
      <start_date_time>2015-03-13T00:00:00Z</start_date_time>
      <stop_date_time>2015-03-14T00:00:00Z</stop_date_time>
    </Time_Coordinates>
    <Investigation_Area>
      <name>MESSENGER</name>
      <type>Mission</type>
      <Internal_Reference>
        <lid_reference>urn:nasa:pds:context:investigation:mission.messenger</lid_reference>
        <reference_type>data_to_investigation</reference_type>
      </Internal_Reference>
    </Investigation_Area>
    <Observing_System>
      <Observing_System_Component>
        <name>MESSENGER</name>
        <type>Host</type>
      </Observing_System_Component>
    </Observing_System>
    <Target_Identification>
      <name>Mercury</name>
      <type>Planet</type>
      <Internal_Reference>
        <lid_reference>urn:nasa:pds:context:target:planet.mercury</lid_reference>
        <reference_type>data_to_target</reference_type>
      </Internal_Reference>
    </Target_Identification>
  </Observation_Area>
  <File_Area_Observational>
    <File>
      <file_name>{name}.tab</file_name>
      <file_size unit="byte">{size}</file_size>
      <md5_checksum>{md5}</md5_checksum>
    </File>
    <Table_Character>
      <offset unit="byte">0</offset>
      <records>{records}</records>
      <record_delimiter>Carriage-Return Line-Feed</record_delimiter>
      <Record_Character>
        <fields>5</fields>
        <groups>0</groups>
        <record_length unit="byte">{reclen}</record_length>
        <Field_Character>
          <name>UTC</name>
          <field_number>1</field_number>
          <field_location unit="byte">1</field_location>
          <data_type>ASCII_Date_Time_YMD_UTC</data_type>
          <field_length unit="byte">24</field_length>
        </Field_Character>
        <Field_Character>
          <name>COUNT</name>
          <field_number>2</field_number>
          <field_location unit="byte">26</field_location>
          <data_type>ASCII_Integer</data_type>
          <field_length unit="byte">8</field_length>
          <Field_Statistics>
            <maximum>100000</maximum>
            <minimum>0</minimum>
          </Field_Statistics>
        </Field_Character>
        <Field_Character>
          <name>FLUX</name>
          <field_number>3</field_number>
          <field_location unit="byte">35</field_location>
          <data_type>ASCII_Real</data_type>
          <field_length unit="byte">14</field_length>
          <field_format>%14.6E</field_format>
          <Special_Constants>
            <missing_constant>-1.0E32</missing_constant>
            <valid_maximum>1.0E6</valid_maximum>
            <valid_minimum>-1.0E6</valid_minimum>
          </Special_Constants>
        </Field_Character>
        <Field_Character>
          <name>FLAG</name>
          <field_number>4</field_number>
          <field_location unit="byte">50</field_location>
          <data_type>ASCII_NonNegative_Integer</data_type>
          <field_length unit="byte">3</field_length>
        </Field_Character>
        <Field_Character>
          <name>MODE</name>
          <field_number>5</field_number>
          <field_location unit="byte">54</field_location>
          <data_type>ASCII_String</data_type>
          <field_length unit="byte">{strlen}</field_length>
        </Field_Character>
      </Record_Character>
    </Table_Character>
  </File_Area_Observational>
</Product_Observational>
"""


def table_bytes(records: int, strlen: int, seed: int = 0) -> bytes:
    """Fixed-width records built column-wise with numpy (no per-record Python)."""
    rng = np.random.default_rng(seed)
    t0 = np.datetime64("2015-03-13T00:00:00.000")
    times = (t0 + (np.arange(records) * 50).astype("timedelta64[ms]")).astype("datetime64[ms]")
    utc = np.char.add(np.datetime_as_string(times, unit="ms").astype("S23"), b"Z")
    count = np.char.rjust(rng.integers(0, 100000, records).astype("S8"), 8)
    flux = np.char.rjust(np.char.mod(b"%14.6E", rng.normal(0, 1000, records)).astype("S14"), 14)
    flag = np.char.rjust(rng.integers(0, 999, records).astype("S3"), 3)
    mode = np.char.ljust(np.array([b"SCIENCE", b"CALIB", b"SAFE"])[rng.integers(0, 3, records)], strlen)
    sp, crlf = np.full(records, b" ", "S1"), np.full(records, b"\r\n", "S2")
    cols = [utc, sp, count, sp, flux, sp, flag, sp, mode, crlf]
    widths = [24, 1, 8, 1, 14, 1, 3, 1, strlen, 2]
    rec = np.empty((records, sum(widths)), dtype=np.uint8)
    at = 0
    for c, w in zip(cols, widths, strict=True):
        rec[:, at:at + w] = np.ascontiguousarray(c.astype(f"S{w}")).view(np.uint8).reshape(records, -1)[:, :w] if w else 0
        at += w
    rec[:, :] = np.where(rec == 0, 32, rec)
    return rec.tobytes()


def write_product(folder: Path, name: str, records: int, strlen: int = 8, seed: int = 0) -> Path:
    data = table_bytes(records, strlen, seed)
    (folder / f"{name}.tab").write_bytes(data)
    label = LABEL.format(name=name, size=len(data), md5=hashlib.md5(data).hexdigest(), records=records,  # noqa: S324
                         reclen=len(data) // records, strlen=strlen)
    path = folder / f"{name}.xml"
    path.write_text(label)
    return path


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (worker processes), user + system."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def rates(what: str, n: int, wall: float, cpu: float, target: str) -> None:
    """One result line: wall rate, rate per CPU-second, the reference ratio, the load."""
    print(f"{what}: {n} products in {wall:.2f} s = {n / wall:.0f} products/s wall, {cpu:.2f} CPU-s = "
          f"{n / max(cpu, 1e-9):.0f} products per CPU-second ({target}; NASA validate ~{VALIDATE_PRODUCTS_PER_S:g}/s "
          f"-> x{n / wall / VALIDATE_PRODUCTS_PER_S:.0f} wall, x{n / max(cpu, 1e-9) / VALIDATE_PRODUCTS_PER_S:.0f} "
          f"per CPU-second; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


_FRESH = """
import sys
from pdsgen.validate.runner import Options, run
r = run([sys.argv[1]], Options(catalog_path=sys.argv[2], context_products=(sys.argv[3],), offline=True,
                               jobs=int(sys.argv[4]), rule=sys.argv[5]))
print(len(r.products), r.total_errors)
"""


def fresh_process(folder: Path, jobs: int, rule: str) -> tuple[int, int, float, float]:
    """(products, errors, wall s, CPU s) of validating `folder` in a new Python process, as
    `pdsgen validate` runs (workers forked from it; their CPU counted)."""
    import subprocess

    argv = [sys.executable, "-c", _FRESH, str(folder), str(CATALOG), str(CONTEXT), str(jobs), rule]
    t, c = time.perf_counter(), cpu_seconds()
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1]), time.perf_counter() - t, cpu_seconds() - c


def corpus_rate(jobs: int) -> None:
    """The diverse real products of ../shared/corpus/validate validated as one folder:

    * a new process with the disk cache warm (what `pdsgen validate folder/` costs the
      second time: imports, Saxon compiling the Schematron rules these labels can fire from
      the cached stylesheets, XML Schemas parsed), timed from outside, CPU of the process;
    * in this process, cold (first run) and warm (again: Saxon executables, schemas and the
      context list already in memory)."""
    from pdsgen.validate import schematron
    from pdsgen.validate.runner import Options, discover, run, worth_parallel

    folder = SHARED / "corpus" / "validate"
    if not folder.is_dir():
        print("real products: ../shared/corpus/validate not found, skipped")
        return
    labels = [p for p, _ in discover([str(folder)], Options())[0]]
    how = "worker processes" if jobs > 1 or (jobs == 0 and worth_parallel(labels)) else "one process"
    fresh_process(folder, jobs, "product")  # fills the disk cache if it is empty
    n, _errors, wall, cpu = fresh_process(folder, jobs, "product")
    rates("real products, new process, warm disk cache", n, wall, cpu, f"{how}; imports included")
    for what in ("cold", "warm"):
        t, c = time.perf_counter(), cpu_seconds()
        result = run([str(folder)], Options(catalog_path=str(CATALOG), context_products=(str(CONTEXT),), offline=True,
                                            jobs=jobs, rule="product"))
        rates(f"real products, this process, {what}", len(result.products), time.perf_counter() - t,
              cpu_seconds() - c, f"target >= 100/s warm; {how}")
    compiled = sum(len(e.executables) for e in schematron._executables.values())
    print(f"  {len(schematron._executables)} Schematron files, {compiled} Saxon executables compiled in this process")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=0, help="0: auto, as pdsgen validate's default")
    ap.add_argument("--corpus-only", action="store_true", help="only the real-products folder")
    args = ap.parse_args(argv)
    corpus_rate(args.jobs)
    if args.corpus_only:
        return 0
    from lxml import etree

    from pdsgen.validate.content import Ctx, check_object, describe_objects

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "products"
        folder.mkdir()
        for i in range(args.products):
            write_product(folder, f"p{i:05d}", records=20, seed=i)
        # the disk cache of the Schematron these labels cite, as a second run finds it
        from pdsgen.validate.catalog import Catalog
        from pdsgen.validate.schematron import compiled_xslt

        compiled_xslt(Catalog.load(CATALOG, offline=True).resolve("https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1I00.sch"))
        n, errors, dt, dcpu = fresh_process(folder, args.jobs, "auto")
        assert errors == 0, f"{errors} errors in the synthetic products"
        rates("full validation, synthetic, new process", n, dt, dcpu,
              f"jobs={args.jobs or 'auto'}, imports included; target >= 1,000/s")
        try:
            import pds4_tools

            sample = sorted(folder.glob("*.xml"))[:200]
            t = time.perf_counter()
            for p in sample:
                pds4_tools.read(str(p), quiet=True, lazy_load=False)
            prate = len(sample) / (time.perf_counter() - t)
            print(f"  pds4_tools.read (no validation, 1 process): {prate:.0f} products/s")
        except ImportError:
            pass

        big = Path(tmp) / "big"
        big.mkdir()
        label = write_product(big, "big_table", records=args.records, strlen=40, seed=1)
        size_mb = (big / "big_table.tab").stat().st_size / 1e6
        tree = etree.parse(str(label))
        (obj, el, limit), = describe_objects(tree, label)
        check_object(obj, el, Ctx(str(label)), limit=limit)  # warm-up (imports)
        t, c0 = time.perf_counter(), time.process_time()
        found = check_object(obj, el, Ctx(str(label)), limit=limit)
        dt, dcpu = time.perf_counter() - t, time.process_time() - c0
        errors = [f for f in found if f.is_error]
        assert not errors, [str(f) for f in errors[:5]]
        mbs = size_mb / dt
        print(f"content validation: {args.records} records, {size_mb:.0f} MB in {dt:.2f} s = {mbs:.0f} MB/s "
              f"(target >= 200 MB/s; NASA validate ~{VALIDATE_MB_PER_S:.1f} MB/s -> x{mbs / VALIDATE_MB_PER_S:.0f})")
        print(f"  CPU time {dcpu:.2f} s (all threads) = {size_mb / dcpu:.0f} MB per CPU-second")
        try:
            import pds4_tools

            t = time.perf_counter()
            pds4_tools.read(str(label), quiet=True, lazy_load=False)
            pt = time.perf_counter() - t
            print(f"  pds4_tools.read of the same table (no validation): {pt:.2f} s = {size_mb / pt:.0f} MB/s "
                  f"(pdsgen validation / pds4_tools read time = {dt / pt:.2f})")
        except ImportError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
