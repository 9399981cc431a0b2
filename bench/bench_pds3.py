"""PDS3 benchmarks: label parsing (pdsgen vs pvl.load vs pdr's parser) and table reading
(pdsgen vs pdr), timed in the same run, printing ratios.

    .venv/bin/python bench/bench_pds3.py [--rows N] [--repeat K]

Labels: a generated ~200 KB label with 400 COLUMN objects, plus every label of the
shared corpus (../shared/corpus/pds3) when it is there. Tables: a generated binary
table (mixed MSB/LSB integers, reals, text) and a fixed-width ASCII table. Images: a
12-bit packed image (pdr does not read packed samples, so pdr times the same values
stored as 16-bit samples). Spreadsheet: a CSV whose first record is short (against
Python's csv module; pdr does not read that spreadsheet).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import best

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "pds3"


def make_label(columns: int = 400) -> str:
    """A table label like real instrument EDR labels: many COLUMN objects, long descriptions."""
    out = [
        "PDS_VERSION_ID = PDS3", "RECORD_TYPE = FIXED_LENGTH", f"RECORD_BYTES = {8 * columns}",
        "FILE_RECORDS = 1000", '^TABLE = ("DATA.TAB", 2)', "START_TIME = 2009-03-12T14:11:25.000",
        'DATA_SET_ID = "CO-S-MIMI-4-CHEMS-CALIB-V1.0"', "OBJECT = TABLE", "  INTERCHANGE_FORMAT = BINARY",
        "  ROWS = 1000", f"  COLUMNS = {columns}", f"  ROW_BYTES = {8 * columns}",
    ]
    for i in range(columns):
        out += [
            "  OBJECT = COLUMN", f'    NAME = "COLUMN_{i:04d}"', f"    COLUMN_NUMBER = {i + 1}",
            "    DATA_TYPE = MSB_INTEGER", f"    START_BYTE = {8 * i + 1}", "    BYTES = 8",
            f"    SCALING_FACTOR = {0.5 + i:.3f}", "    OFFSET = 0.0", '    UNIT = "KM/S"',
            "    MISSING_CONSTANT = -9999", f"    VALID_RANGE = (0, {i * 10}) <KM>",
            f'    DESCRIPTION = "Column number {i} of the synthetic table, described over several',
            "      lines so that the multi-line quoted text path is timed as in real labels, with",
            '      a comment-like /* sequence */ inside the text."  /* and a real comment */',
            "  END_OBJECT = COLUMN",
        ]
    out += ["END_OBJECT = TABLE", "END", ""]
    return "\n".join(out)


def bench_labels(tmp: Path, repeat: int) -> list[tuple[str, float, float, float]]:
    import pvl
    from pdr.parselabel.pds3 import read_pvl

    from pdsgen.pds3 import load

    big = tmp / "big.lbl"
    big.write_text(make_label())
    labels = [("generated 400-column label", [big])]
    if CORPUS.is_dir():
        files = sorted(p for p in (CORPUS / "pvl").glob("*.lbl"))
        files += sorted(CORPUS.glob("dual/*/*.lbl")) + sorted(CORPUS.glob("dual/*/*.LBL"))
        labels.append((f"corpus labels ({len(files)} files, total)", files))
    rows = []
    for name, paths in labels:
        assert all(load(p) == pvl.load(str(p)) for p in paths), "pdsgen and pvl disagree"
        t_pdsgen = best(lambda ps=paths: [load(p) for p in ps], repeat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_pdr = best(lambda ps=paths: [read_pvl(str(p)) for p in ps], repeat)
        t_pvl = best(lambda ps=paths: [pvl.load(str(p)) for p in ps], 1 if name.startswith("generated") else 2)
        size = sum(p.stat().st_size for p in paths)
        rows.append((f"{name}, {size / 1024:.0f} KB", t_pdsgen, t_pvl, t_pdr))
    return rows


BINARY_TABLE_LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 40
FILE_RECORDS = {rows}
^TABLE = "TABLE.DAT"
OBJECT = TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = {rows}
  ROW_BYTES = 40
  COLUMNS = 7
  OBJECT = COLUMN
    NAME = TIME
    DATA_TYPE = MSB_UNSIGNED_INTEGER
    START_BYTE = 1
    BYTES = 4
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = COUNTS
    DATA_TYPE = LSB_INTEGER
    START_BYTE = 5
    BYTES = 4
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = FLUX
    DATA_TYPE = IEEE_REAL
    START_BYTE = 9
    BYTES = 8
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = TEMP
    DATA_TYPE = PC_REAL
    START_BYTE = 17
    BYTES = 4
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = MODE
    DATA_TYPE = MSB_INTEGER
    START_BYTE = 21
    BYTES = 2
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = SPECTRUM
    DATA_TYPE = MSB_UNSIGNED_INTEGER
    START_BYTE = 23
    BYTES = 12
    ITEMS = 6
    ITEM_BYTES = 2
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = TAG
    DATA_TYPE = CHARACTER
    START_BYTE = 35
    BYTES = 6
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""

ASCII_TABLE_LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 48
FILE_RECORDS = {rows}
^TABLE = "TABLE.TAB"
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = {rows}
  ROW_BYTES = 48
  COLUMNS = 4
  OBJECT = COLUMN
    NAME = TIME
    DATA_TYPE = TIME
    START_BYTE = 1
    BYTES = 21
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = COUNTS
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 23
    BYTES = 8
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = FLUX
    DATA_TYPE = ASCII_REAL
    START_BYTE = 32
    BYTES = 10
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = FLAG
    DATA_TYPE = CHARACTER
    START_BYTE = 43
    BYTES = 3
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""


def make_tables(tmp: Path, rows: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    dtype = np.dtype([("TIME", ">u4"), ("COUNTS", "<i4"), ("FLUX", ">f8"), ("TEMP", "<f4"), ("MODE", ">i2"),
                      ("SPECTRUM", ">u2", (6,)), ("TAG", "S6")])
    rec = np.zeros(rows, dtype)
    rec["TIME"] = np.arange(rows)
    rec["COUNTS"] = rng.integers(-1000, 1000, rows)
    rec["FLUX"] = rng.normal(size=rows)
    rec["TEMP"] = rng.normal(20, 2, rows)
    rec["MODE"] = rng.integers(0, 4, rows)
    rec["SPECTRUM"] = rng.integers(0, 65535, (rows, 6))
    rec["TAG"] = b"ABCDEF"
    (tmp / "TABLE.DAT").write_bytes(rec.tobytes())
    binary = tmp / "binary.lbl"
    binary.write_text(BINARY_TABLE_LABEL.format(rows=rows))

    lines = []
    counts = rng.integers(-99999, 99999, rows)
    flux = rng.normal(size=rows)
    for i in range(rows):  # building the benchmark input only
        line = f"2009-071T14:11:{i % 60:02d}.123 {counts[i]:8d} {flux[i]:10.5f} {'OK' if i % 3 else 'BAD':>3s} "
        lines.append(line + "\r\n")
    assert len(lines[0]) == 48, len(lines[0])
    (tmp / "TABLE.TAB").write_text("".join(lines), newline="")
    ascii_label = tmp / "ascii.lbl"
    ascii_label.write_text(ASCII_TABLE_LABEL.format(rows=rows))
    return binary, ascii_label


def bench_tables(tmp: Path, rows: int, repeat: int) -> list[tuple[str, float, float]]:
    import pdr

    import pdsgen

    out = []
    binary, ascii_label = make_tables(tmp, rows)
    for name, label in (("binary table", binary), ("ASCII table", ascii_label)):
        def ours(lbl=label):
            return pdsgen.open(lbl)["TABLE"].data

        def theirs(lbl=label):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pdr.read(str(lbl))["TABLE"]

        a, b = ours(), theirs()
        assert np.allclose(np.asarray(a["FLUX"], float), b["FLUX"].to_numpy(float)), "pdsgen and pdr disagree"
        out.append((f"{name}, {rows} rows", best(ours, repeat), best(theirs, repeat)))
    return out


PACKED_LABEL = """PDS_VERSION_ID = PDS3
^IMAGE = "{file}"
OBJECT = IMAGE
  LINES = {n}
  LINE_SAMPLES = {n}
  SAMPLE_BITS = {bits}
  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER
END_OBJECT = IMAGE
END
"""

SHEET_LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = STREAM
^SPREADSHEET = "SHEET.CSV"
OBJECT = SPREADSHEET
  ROWS = {rows}
  FIELDS = 3
  FIELD_DELIMITER = "COMMA"
  OBJECT = FIELD
    NAME = NAME
    BYTES = 12
    DATA_TYPE = CHARACTER
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = VALUE
    BYTES = 12
    DATA_TYPE = ASCII_REAL
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = UNIT
    BYTES = 8
    DATA_TYPE = CHARACTER
  END_OBJECT = FIELD
END_OBJECT = SPREADSHEET
END
"""


def bench_images(tmp: Path, repeat: int, n: int = 2048) -> list[tuple[str, float, float]]:
    import logging

    import pdr

    import pdsgen

    rng = np.random.default_rng(2)
    values = rng.integers(0, 4096, (n, n), dtype=np.uint16)
    pairs = values.reshape(-1, 2).astype(np.uint32)
    word = (pairs[:, 0] << 12) | pairs[:, 1]  # two 12-bit samples in 3 bytes, MSB first
    packed = np.stack([(word >> 16) & 255, (word >> 8) & 255, word & 255], axis=1).astype(np.uint8)
    (tmp / "PACKED.IMG").write_bytes(packed.tobytes())
    (tmp / "WIDE.IMG").write_bytes(values.astype(">u2").tobytes())
    (tmp / "packed.lbl").write_text(PACKED_LABEL.format(file="PACKED.IMG", n=n, bits=12))
    (tmp / "wide.lbl").write_text(PACKED_LABEL.format(file="WIDE.IMG", n=n, bits=16))

    def ours():
        return pdsgen.open(tmp / "packed.lbl")["IMAGE"].data

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pdr.read(str(tmp / "wide.lbl"))["IMAGE"]

    assert np.array_equal(ours(), values) and np.array_equal(theirs(), values), "images disagree"
    out = [(f"12-bit packed image {n}x{n} (pdr: 16-bit)", best(ours, repeat), best(theirs, repeat))]

    import csv
    import io

    rows = 200_000
    lines = ['"Title line"'] + [f'"P{i % 97:03d}",{i * 0.25:.2f},"V"' for i in range(rows - 1)]
    text = "\r\n".join(lines) + "\r\n"  # building the benchmark input only
    (tmp / "SHEET.CSV").write_text(text, newline="")
    (tmp / "sheet.lbl").write_text(SHEET_LABEL.format(rows=rows))
    logging.getLogger("pdsgen.data.pds3_spreadsheet").setLevel(logging.ERROR)

    def sheet():
        return pdsgen.open(tmp / "sheet.lbl")["SPREADSHEET"].data

    def csv_module():
        return [float(r[1]) if len(r) > 1 else None for r in csv.reader(io.StringIO(text))]

    got, ref = sheet(), csv_module()
    assert got["VALUE"].compressed().tolist() == ref[1:], "spreadsheet values disagree"
    out.append((f"spreadsheet, {rows} rows, 1 short (vs csv module)", best(sheet, repeat), best(csv_module, repeat)))
    # The cost of the short-record path: the same file with a full first record.
    (tmp / "FULL.CSV").write_text(text.replace('"Title line"', '"Title line",0,"x"', 1), newline="")
    (tmp / "full.lbl").write_text(SHEET_LABEL.format(rows=rows).replace("SHEET.CSV", "FULL.CSV"))

    def full():
        return pdsgen.open(tmp / "full.lbl")["SPREADSHEET"].data

    out.append(("  same, 1 short (vs pdsgen, no short record)", best(sheet, repeat), best(full, repeat)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        print("PDS3 label parse (best of runs, seconds)")
        print(f"{'labels':48s} {'pdsgen':>9s} {'pvl':>9s} {'pdr':>9s} {'pvl/pdsgen':>11s} {'pdr/pdsgen':>11s}")
        for name, ours, pvl_t, pdr_t in bench_labels(tmp, args.repeat):
            print(f"{name:48s} {ours:9.4f} {pvl_t:9.3f} {pdr_t:9.4f} {pvl_t / ours:10.0f}x {pdr_t / ours:10.1f}x")
        print()
        print("PDS3 table read: open + .data (best of runs, seconds)")
        print(f"{'table':48s} {'pdsgen':>9s} {'pdr':>9s} {'pdr/pdsgen':>11s}")
        for name, ours, pdr_t in bench_tables(tmp, args.rows, args.repeat):
            print(f"{name:48s} {ours:9.4f} {pdr_t:9.4f} {pdr_t / ours:10.1f}x")
        print()
        print("PDS3 packed image / short-record spreadsheet: open + .data (best of runs, seconds)")
        print(f"{'object':48s} {'pdsgen':>9s} {'other':>9s} {'other/pdsgen':>12s}")
        for name, ours, other in bench_images(tmp, args.repeat):
            print(f"{name:48s} {ours:9.4f} {other:9.4f} {other / ours:11.1f}x")
        print(f"\nstatistics: python {sys.version.split()[0]}, numpy {np.__version__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
