"""`pdsgen migrate` on more PDS3 label structures of real archives (issue 18's unseen set,
second round): LRO (Diviner, LEND, CRaTER, LOLA), MRO (CRISM, SHARAD, MCS), ESA PSA
(Mars Express, Rosetta, Venus Express: SPREADSHEETs, FMT files), Dawn, New Horizons, Juno,
MESSENGER, Deep Impact, Stardust, Lunar Prospector, Phoenix, Odyssey (THEMIS, GRS), MGS
(TES, MOLA), PPI tables (Ulysses, PVO, IMP-8), Small Bodies and Rings Node tables.

Public PDS3 labels and pdr's per-mission quirk modules were read for their structure only
(objects, pointer forms, data types, keyword spellings, label errors); every product here is
written by the test — the label in the archive's style, the bytes from numpy arrays or text
the test holds — so the expected values never come from pdsgen's readers. A product that
migrates has validated with 0 errors and read back equal through pdsgen's PDS3 reading,
pdsgen's PDS4 reading and pds4_tools inside `migrate`; the tests also compare pds4_tools'
values with the arrays written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_migrate import CONTEXT, ident, texts
from test_migrate_kinds import pds4_read
from test_migrate_realworld import attached, col, migrated, product, table_label

import pdsgen


@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    """The registered context products of the test mission."""
    (tmp_path / "context.json").write_text(json.dumps(CONTEXT))
    return tmp_path / "context.json"


PDS3_TYPES = {">u": "MSB_UNSIGNED_INTEGER", "<u": "LSB_UNSIGNED_INTEGER", "|u": "UNSIGNED_INTEGER",
              ">i": "MSB_INTEGER", "<i": "LSB_INTEGER", "|i": "INTEGER", ">f": "IEEE_REAL", "<f": "PC_REAL",
              "|S": "CHARACTER"}


def bcols(dtype: np.dtype, types: dict[str, str] | None = None, extra: dict[str, str] | None = None) -> str:
    """COLUMN objects of a binary table whose rows are ``dtype`` (sub-arrays → ITEMS)."""
    out = ""
    for name in dtype.names:
        ft, off = dtype.fields[name][:2]
        base = ft.base
        kind = (types or {}).get(name) or PDS3_TYPES[base.str[:2]]
        more = (extra or {}).get(name, "")
        if ft.shape:
            more = f"    ITEMS = {int(np.prod(ft.shape))}\n    ITEM_BYTES = {base.itemsize}\n" + more
        out += col(name, kind, off + 1, ft.itemsize, more)
    return out


def binary(pid: str, rows: np.ndarray, *, types=None, extra=None, obj: str = "TABLE",
           table_extra: str = "") -> tuple[dict, str]:
    cols = bcols(rows.dtype, types, extra)
    lbl = table_label(pid, cols, file="T.DAT", rows=len(rows), row_bytes=rows.dtype.itemsize, obj=obj,
                      extra=table_extra)
    return {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL"


def ascii_rows(specs: list[tuple[str, str, str, str]], values: list[tuple], sep: str = ",") -> tuple[list[str], str]:
    """Fixed-width ASCII records: ``specs`` (name, PDS3 type, python format, extra keywords),
    fields joined by ``sep``; gives the records and the COLUMN objects."""
    recs = [sep.join(format(v, f) for v, (_, _, f, _) in zip(row, specs, strict=False)) for row in values]
    widths = [len(format(v, f)) for v, (_, _, f, _) in zip(values[0], specs, strict=False)]
    cols, start = "", 1
    for (name, kind, _, more), w in zip(specs, widths, strict=False):
        cols += col(name, kind, start, w, more)
        start += w + len(sep)
    return recs, cols


def ascii_product(pid: str, recs: list[str], cols: str, obj: str = "TABLE", extra: str = "",
                  eol: str = "\r\n") -> tuple[dict, str]:
    lbl = table_label(pid, cols, file="A.TAB", rows=len(recs), row_bytes=len(recs[0]) + len(eol),
                      fmt="ASCII", obj=obj, extra=extra)
    return {"A.TAB": "".join(r + eol for r in recs), "A.LBL": lbl}, "A.LBL"


def pds4_raw(label):
    """pds4_tools' reading without applying scaling_factor/value_offset (the stored values)."""
    pds4_tools = pytest.importorskip("pds4_tools")
    return pds4_tools.read(str(label), quiet=True, lazy_load=True, no_scale=True)


def bit_column(name: str, start_bit: int, bits: int) -> str:
    return (f"    OBJECT = BIT_COLUMN\n      NAME = {name}\n      BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER\n"
            f"      START_BIT = {start_bit}\n      BITS = {bits}\n    END_OBJECT = BIT_COLUMN\n")


def structure_label(pid: str, pointer: str, fmt_file: str, *, rows: int, row_bytes: int, columns: int) -> str:
    """A detached label of one ASCII table whose columns are in the ^STRUCTURE file ``fmt_file``."""
    return ident(pid) + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {row_bytes}
FILE_RECORDS = {rows}
^TABLE = {pointer}
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = {rows}
  ROW_BYTES = {row_bytes}
  COLUMNS = {columns}
  ^STRUCTURE = "{fmt_file}"
END_OBJECT = TABLE
END
"""


#: a minimal FITS header block (2880 bytes)
FITS_HEADER = "".join(c.ljust(80) for c in ["SIMPLE  =                    T", "END"]).ljust(2880).encode()


def values(table, name: str) -> list:
    return np.asarray(table[name]).tolist()


def strings(table, name: str) -> list[str]:
    return [(x.decode() if isinstance(x, bytes) else str(x)).strip() for x in np.asarray(table[name]).ravel()]


# --------------------------------------------------------------------------- LRO


def test_diviner_rdr_style_comma_table_with_quoted_date_and_time_text(tmp_path, ctx_file):
    """LRO Diviner RDR: fixed-width comma-separated records, the date as ``"02-Jul-2009"``
    and the UTC time as ``"06:37:25.792"`` quoted CHARACTER columns (no PDS4 date type),
    ASCII_REAL columns with MISSING_CONSTANT -9999.000, an ASCII_INTEGER detector number."""
    specs = [("DATE", "CHARACTER", "s", ""), ("UTC", "CHARACTER", "s", ""),
             ("JDATE", "ASCII_REAL", "17.9f", '    UNIT = "DAY"\n'),
             ("C", "ASCII_INTEGER", "2d", ""), ("DET", "ASCII_INTEGER", "2d", ""),
             ("TB", "ASCII_REAL", "9.3f", '    UNIT = "K"\n    MISSING_CONSTANT = -9999.000\n')]
    vals = [('"05-Jul-2009"', '"06:37:25.792"', 2455017.776, 1, 11, 250.125),
            ('"05-Jul-2009"', '"06:37:25.920"', 2455017.7761, 9, 21, -9999.0)]
    recs, cols = ascii_rows(specs, vals)
    r, t = migrated(tmp_path, ctx_file, *ascii_product("DIV_1", recs, cols, obj="RDR_TABLE"))
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_String", "ASCII_String", "ASCII_Real",
                                                            "ASCII_Integer", "ASCII_Integer", "ASCII_Real"]
    assert texts(t, "//p:Field_Character[p:name='TB']/p:unit") == ["K"]
    s = pds4_read(r.pds4_label)["RDR_TABLE"]
    assert strings(s, "UTC") == ['"06:37:25.792"', '"06:37:25.920"']
    assert values(s, "TB") == [250.125, -9999.0]
    assert values(s, "DET") == [11, 21]


def test_lend_style_ascii_items_of_counts_with_a_structure_file(tmp_path, ctx_file):
    """LRO LEND RDR: an ASCII table described by a ^STRUCTURE file, a TIME column then the
    counts of 8 detectors as ITEMS of ASCII_INTEGER (ITEM_BYTES 6, ITEM_OFFSET 7)."""
    counts = np.arange(16).reshape(2, 8) * 37
    times = ["2009-07-05T00:00:01.000", "2009-07-05T00:00:02.000"]
    recs = [t + "," + ",".join(f"{c:6d}" for c in row) for t, row in zip(times, counts, strict=False)]
    fmt = col("UTC_TIME", "TIME", 1, 23) + col("COUNTS", "ASCII_INTEGER", 25, 55,
                                                "    ITEMS = 8\n    ITEM_BYTES = 6\n    ITEM_OFFSET = 7\n")
    lbl = structure_label("LEND_1", '"A.TAB"', "LEND_RDR.FMT", rows=2, row_bytes=len(recs[0]) + 2, columns=2)
    files = {"A.TAB": "".join(x + "\r\n" for x in recs), "LEND_RDR.FMT": fmt, "A.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "A.LBL")
    assert texts(t, "//p:Group_Field_Character/p:repetitions") == ["8"]
    assert texts(t, "//p:Field_Character[p:name='UTC_TIME']/p:data_type") == ["ASCII_Date_Time_YMD"]
    assert values(pds4_read(r.pds4_label)["TABLE"], "COUNTS") == counts.tolist()


def test_crater_style_msb_table_with_bit_columns_and_a_whole_bit_string(tmp_path, ctx_file):
    """LRO CRaTER Level 1 / MESSENGER housekeeping: an MSB_UNSIGNED_INTEGER column with
    BIT_COLUMNs and a 4-byte MSB_BIT_STRING column given whole (no BIT_COLUMNs): the
    whole column is the unsigned integer of its bytes (the same bits)."""
    rows = np.zeros(3, dtype=[("SCLK", ">u4"), ("FLAGS", ">u2"), ("MASK", ">u4"), ("E", ">f4")])
    rows["SCLK"], rows["FLAGS"] = [10, 20, 30], [0b1010000000000001, 0b0100000000000010, 0xFFFF]
    rows["MASK"], rows["E"] = [0xDEADBEEF, 1, 0x80000000], [1.5, -2.0, 0.25]
    bits = bit_column("MODE", 1, 3) + bit_column("LOW", 13, 4)
    r, t = migrated(tmp_path, ctx_file, *binary("CRAT_1", rows, types={"MASK": "MSB_BIT_STRING", "FLAGS":
                                                                          "MSB_BIT_STRING"},
                                                 extra={"FLAGS": bits}))
    assert texts(t, "//p:Field_Binary[p:name='MASK']/p:data_type") == ["UnsignedMSB4"]
    assert texts(t, "//p:Field_Bit/p:name") == ["MODE", "LOW"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "MASK") == rows["MASK"].tolist()
    assert values(s, "E") == [1.5, -2.0, 0.25]
    pds4 = pdsgen.open(r.pds4_label)["TABLE"].data
    assert np.asarray(pds4["MODE"]).tolist() == [0b101, 0b010, 0b111]
    assert np.asarray(pds4["LOW"]).tolist() == [1, 2, 15]


def test_lola_rdr_style_lsb_containers_and_a_whole_lsb_bit_string(tmp_path, ctx_file):
    """LRO LOLA RDR: LSB binary rows with scaled LSB_INTEGER coordinates, a CONTAINER of
    the 5 laser spots repeated (REPETITIONS = 5), and a whole LSB_BIT_STRING flag word with
    no BIT_COLUMNs (before: refused as a bit string PDS4 cannot hold little-endian)."""
    spot = np.dtype([("LON", "<i4"), ("LAT", "<i4"), ("FLAG", "<u4")])
    rows = np.zeros(2, dtype=[("MET", "<f8"), ("SPOT", spot, (5,))])
    rows["MET"] = [1.25e8, 1.26e8]
    rows["SPOT"]["LON"] = np.arange(10).reshape(2, 5) * 1000000 - 3000000
    rows["SPOT"]["LAT"] = np.arange(10).reshape(2, 5) * -7
    rows["SPOT"]["FLAG"] = np.arange(10).reshape(2, 5) * 0x01010101
    cont = ("  OBJECT = CONTAINER\n    NAME = SPOT\n    START_BYTE = 9\n    BYTES = 12\n    REPETITIONS = 5\n"
            + col("LON", "LSB_INTEGER", 1, 4, '    SCALING_FACTOR = 1.0E-7\n    UNIT = "DEGREE"\n')
            + col("LAT", "LSB_INTEGER", 5, 4, '    SCALING_FACTOR = 1.0E-7\n')
            + col("FLAG", "LSB_BIT_STRING", 9, 4) + "  END_OBJECT = CONTAINER\n")
    lbl = table_label("LOLA_1", col("MET", "PC_REAL", 1, 8) + cont, file="T.DAT", rows=2, row_bytes=68)
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Group_Field_Binary/p:repetitions") == ["5"]
    assert texts(t, "//p:Field_Binary[p:name='FLAG']/p:data_type") == ["UnsignedLSB4"]
    s = pds4_raw(r.pds4_label)["TABLE"]
    assert values(s, "FLAG") == rows["SPOT"]["FLAG"].tolist()
    assert values(s, "LON") == rows["SPOT"]["LON"].tolist()


# --------------------------------------------------------------------------- MRO


def test_crism_style_file_objects_line_interleaved_image_and_rownum_table(tmp_path, ctx_file):
    """MRO CRISM TRDR: two FILE objects — a line-interleaved PC_REAL IMAGE of 3 bands with
    CORE_NULL-like MISSING_CONSTANT 65535.0 and a BAND_BIN group, and a ROWNUM_TABLE of
    MSB 2-byte integers in its own file."""
    img = (np.arange(2 * 3 * 4).reshape(2, 3, 4) / 8).astype("<f4")  # line, band, sample
    img[1, 2, 3] = 65535.0
    rn = np.array([(0,), (1,), (2,)], dtype=[("ROWNUM", ">u2")])
    lbl = ident("CRISM_1", "SPECTROMETER") + """OBJECT = FILE
  ^IMAGE = "C.IMG"
  RECORD_TYPE = FIXED_LENGTH
  RECORD_BYTES = 16
  FILE_RECORDS = 6
  OBJECT = IMAGE
    LINES = 2
    LINE_SAMPLES = 4
    BANDS = 3
    BAND_STORAGE_TYPE = LINE_INTERLEAVED
    SAMPLE_TYPE = PC_REAL
    SAMPLE_BITS = 32
    UNIT = "I/F"
    MISSING_CONSTANT = 65535.0
    BAND_NAME = ("B1", "B2", "B3")
    OBJECT = BAND_BIN
      CENTER = (0.4, 0.5, 0.6)
    END_OBJECT = BAND_BIN
  END_OBJECT = IMAGE
END_OBJECT = FILE
OBJECT = FILE
  ^ROWNUM_TABLE = "C.TAB"
  RECORD_TYPE = FIXED_LENGTH
  RECORD_BYTES = 2
  FILE_RECORDS = 3
  OBJECT = ROWNUM_TABLE
    NAME = ROWNUM_TABLE
    INTERCHANGE_FORMAT = BINARY
    ROWS = 3
    COLUMNS = 1
    ROW_BYTES = 2
""" + col("ROWNUM", "MSB_UNSIGNED_INTEGER", 1, 2) + """  END_OBJECT = ROWNUM_TABLE
END_OBJECT = FILE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"C.IMG": img.tobytes(), "C.TAB": rn.tobytes(), "C.LBL": lbl}, "C.LBL")
    assert texts(t, "//p:Array_3D_Image/p:name") == ["IMAGE"]
    assert texts(t, "//p:Array_3D_Image//p:missing_constant") == ["65535.0"]
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["IMAGE"].data).tolist() == img.tolist()
    assert values(s["ROWNUM_TABLE"], "ROWNUM") == [0, 1, 2]


def test_sharad_rdr_style_lsb_table_with_echo_items_and_time_text(tmp_path, ctx_file):
    """MRO SHARAD RDR: LSB rows with an ephemeris time (PC_REAL), a UTC CHARACTER column,
    the echo samples as ITEMS of PC_REAL, LSB_INTEGER frame counters."""
    rows = np.zeros(2, dtype=[("ET", "<f8"), ("UTC", "S23"), ("FRAME", "<i2"), ("ECHO", "<f4", (6,))])
    rows["ET"], rows["UTC"] = [2.5e8, 2.5e8 + 0.5], [b"2008-01-01T00:00:00.000", b"2008-01-01T00:00:00.500"]
    rows["FRAME"], rows["ECHO"] = [-3, 4], np.arange(12).reshape(2, 6) / 3
    r, t = migrated(tmp_path, ctx_file, *binary("SH_1", rows, types={"UTC": "TIME"}))
    assert texts(t, "//p:Field_Binary[p:name='UTC']/p:data_type") == ["ASCII_Date_Time_YMD"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.allclose(np.asarray(s["ECHO"]), rows["ECHO"])
    assert values(s, "FRAME") == [-3, 4]


def test_mcs_style_header_record_before_an_ascii_table(tmp_path, ctx_file):
    """MRO MCS DDR / many ground tables: a HEADER (the column titles, one record) at record
    1 and the TABLE at record 2 of one file, -9999 fill values as MISSING_CONSTANT."""
    specs = [("PRES", "ASCII_REAL", "10.4f", '    UNIT = "PASCAL"\n'),
             ("T", "ASCII_REAL", "9.3f", '    UNIT = "KELVIN"\n    MISSING_CONSTANT = -9999.000\n'),
             ("ALT", "ASCII_REAL", "9.2f", '    UNIT = "KILOMETER"\n')]
    recs, cols = ascii_rows(specs, [(610.0, 210.5, 0.5), (300.25, -9999.0, 8.25)])
    head = "PRES,T,ALT".ljust(len(recs[0]))
    rb = len(recs[0]) + 2
    lbl = ident("MCS_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = 3
^HEADER = ("M.TAB", 1)
^TABLE = ("M.TAB", 2)
OBJECT = HEADER
  HEADER_TYPE = TEXT
  BYTES = {rb}
END_OBJECT = HEADER
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 2
  ROW_BYTES = {rb}
  COLUMNS = 3
{cols}END_OBJECT = TABLE
END
"""
    data = "".join(x + "\r\n" for x in [head, *recs])
    r, t = migrated(tmp_path, ctx_file, {"M.TAB": data, "M.LBL": lbl}, "M.LBL")
    assert texts(t, "//p:Table_Character/p:offset") == [str(rb)]
    assert texts(t, "//p:Field_Character/p:unit") == ["Pa", "K", "km"]
    assert values(pds4_read(r.pds4_label)["TABLE"], "T") == [210.5, -9999.0]


# --------------------------------------------------------------------------- ESA PSA


@pytest.mark.parametrize("delim,char,pds4", [("COMMA", ",", "Comma"), ("SEMICOLON", ";", "Semicolon"),
                                             ("VERTICAL_BAR", "|", "Vertical Bar"),
                                             ("TAB", "\t", "Horizontal Tab")])
def test_psa_spreadsheet_field_delimiters(tmp_path, ctx_file, delim, char, pds4):
    """ESA PSA (Mars Express, Rosetta, Venus Express) SPREADSHEETs with each FIELD_DELIMITER
    the PDS3 standard allows, FIELDs with FIELD_NUMBER and BYTES (the maximum), a quoted
    string field and a TIME field."""
    rows = [("2006-04-13T00:00:01.000", "A1", 12.5, 3), ("2006-04-13T00:00:02.500", "BB22", -0.125, -40)]
    text = "".join(char.join([t, f'"{s}"', repr(x), str(n)]) + "\r\n" for t, s, x, n in rows)
    fields = "".join(f"""  OBJECT = FIELD
    NAME = {n}
    FIELD_NUMBER = {i}
    DATA_TYPE = {d}
    BYTES = {b}
  END_OBJECT = FIELD
""" for i, (n, d, b) in enumerate([("UTC", "TIME", 23), ("ID", "CHARACTER", 6), ("B", "ASCII_REAL", 8),
                                    ("N", "ASCII_INTEGER", 4)], 1))
    lbl = ident("PSA_1") + f"""RECORD_TYPE = STREAM
^SPREADSHEET = "S.CSV"
OBJECT = SPREADSHEET
  ROWS = 2
  ROW_BYTES = 48
  FIELDS = 4
  FIELD_DELIMITER = {delim}
{fields}END_OBJECT = SPREADSHEET
END
"""
    r, t = migrated(tmp_path, ctx_file, {"S.CSV": text, "S.LBL": lbl}, "S.LBL")
    assert texts(t, "//p:Table_Delimited/p:field_delimiter") == [pds4]
    s = pds4_read(r.pds4_label)["SPREADSHEET"]
    assert values(s, "B") == [12.5, -0.125]
    assert values(s, "N") == [3, -40]
    assert strings(s, "ID") == ["A1", "BB22"]


def test_venus_express_style_fmt_table_with_z_times_and_signed_integers(tmp_path, ctx_file):
    """Venus Express MAG / Rosetta RPC (PSA): an ASCII table by ^STRUCTURE, times ending in
    ``Z``, ASCII_INTEGER values written with a ``+`` sign, F-format reals."""
    recs = ["2006-04-13T00:00:01.000Z  +12  -3.250", "2006-04-13T00:00:02.000Z  -07  10.000"]
    fmt = (col("TIME_UTC", "TIME", 1, 24) + col("Q", "ASCII_INTEGER", 27, 3, '    FORMAT = "I3"\n')
           + col("BX", "ASCII_REAL", 31, 7, '    FORMAT = "F7.3"\n    UNIT = "NANOTESLA"\n'))
    lbl = structure_label("VEX_1", '("V.TAB", 1)', "MAG.FMT", rows=2, row_bytes=len(recs[0]) + 2, columns=3)
    files = {"V.TAB": "".join(x + "\r\n" for x in recs), "MAG.FMT": fmt, "V.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "V.LBL")
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Date_Time_YMD_UTC", "ASCII_Integer",
                                                            "ASCII_Real"] or \
        texts(t, "//p:Field_Character/p:data_type")[1:] == ["ASCII_Integer", "ASCII_Real"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "Q") == [12, -7]
    assert values(s, "BX") == [-3.25, 10.0]


def test_marsis_style_psa_binary_table_with_sfdu_attached_label(tmp_path, ctx_file):
    """Mars Express MARSIS / ASPERA EDR (PSA): an attached label after an SFDU line,
    ^TABLE by record, MSB rows with a CHARACTER time, MSB_UNSIGNED_INTEGER counters and
    ITEMS of IEEE_REAL echoes."""
    rows = np.zeros(2, dtype=[("UTC", "S17"), ("CNT", ">u4"), ("ECHO", ">f4", (4,)), ("PAD", "S3")])
    rows["UTC"], rows["CNT"] = [b"2005-200T00:00:01", b"2005-200T00:00:02"], [7, 4000000000]
    rows["ECHO"], rows["PAD"] = np.arange(8).reshape(2, 4) * 1.5, b"   "
    rb = rows.dtype.itemsize
    cols = bcols(rows.dtype, {"UTC": "TIME"})

    def label(lr: int) -> str:
        return ("CCSD3ZF0000100000001NJPL3IF0PDSX00000001" + "\r\n" + ident("MAR_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {lr + 2}
LABEL_RECORDS = {lr}
^TABLE = {lr + 1}
OBJECT = TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 2
  ROW_BYTES = {rb}
  COLUMNS = 4
{cols}END_OBJECT = TABLE
END
""").replace("\n", "\r\n")
    r, t = migrated(tmp_path, ctx_file, {"M.DAT": attached(label, rb) + rows.tobytes()}, "M.DAT")
    assert texts(t, "//p:Field_Binary[p:name='UTC']/p:data_type") == ["ASCII_Date_Time_DOY"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "CNT") == [7, 4000000000]
    assert values(s, "ECHO") == rows["ECHO"].tolist()


# --------------------------------------------------------------------------- Dawn, NH, Juno


def test_dawn_vir_style_band_interleaved_by_pixel_qube(tmp_path, ctx_file):
    """Dawn VIR: a QUBE with AXIS_NAME (BAND, SAMPLE, LINE) (band interleaved by pixel),
    IEEE_REAL core, no suffixes (SUFFIX_ITEMS 0), CORE_NULL, BAND_BIN centres."""
    core = (np.arange(2 * 3 * 4).reshape(2, 3, 4) / 4 - 1).astype(">f4")  # line, sample, band
    core[0, 0, 0] = -32768.0
    lbl = ident("VIR_1", "SPECTROMETER", "MARS") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 48
FILE_RECORDS = 2
^QUBE = ("V.QUB", 1)
OBJECT = QUBE
  AXES = 3
  AXIS_NAME = (BAND, SAMPLE, LINE)
  CORE_ITEMS = (4, 3, 2)
  CORE_ITEM_BYTES = 4
  CORE_ITEM_TYPE = IEEE_REAL
  CORE_BASE = 0.0
  CORE_MULTIPLIER = 1.0
  CORE_NULL = -32768.0
  CORE_NAME = "CALIBRATED SPECTRAL RADIANCE"
  CORE_UNIT = "W/(m**2 sr um)"
  SUFFIX_ITEMS = (0, 0, 0)
  OBJECT = BAND_BIN
    BAND_BIN_CENTER = (0.5, 0.6, 0.7, 0.8)
    BAND_BIN_UNIT = MICROMETER
  END_OBJECT = BAND_BIN
END_OBJECT = QUBE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"V.QUB": core.tobytes(), "V.LBL": lbl}, "V.LBL")
    assert texts(t, "//p:Axis_Array/p:elements") == ["2", "3", "4"]
    assert np.asarray(pds4_read(r.pds4_label)["QUBE"].data).tolist() == core.tolist()


def test_dawn_grand_style_lsb_spectra_table(tmp_path, ctx_file):
    """Dawn GRaND / Lunar Prospector GRS: LSB rows of an SCLK (LSB_UNSIGNED_INTEGER), a
    PC_REAL live time and a 16-channel spectrum as ITEMS of 2-byte counts, ROW_SUFFIX_BYTES
    of spare bytes after each row."""
    rows = np.zeros(2, dtype=[("SCLK", "<u4"), ("LIVE", "<f4"), ("SPEC", "<u2", (16,)), ("SPARE", "S4")])
    rows["SCLK"], rows["LIVE"], rows["SPEC"] = [1, 2], [0.75, 1.0], np.arange(32).reshape(2, 16) * 999
    dt = np.dtype([("SCLK", "<u4"), ("LIVE", "<f4"), ("SPEC", "<u2", (16,))])
    lbl = table_label("GR_1", bcols(dt), file="T.DAT", rows=2, row_bytes=dt.itemsize,
                      record_bytes=rows.dtype.itemsize, extra="  ROW_SUFFIX_BYTES = 4\n")
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Record_Binary/p:record_length") == [str(rows.dtype.itemsize)]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "SPEC") == rows["SPEC"].tolist()


def test_new_horizons_style_primary_image_and_extension_quality_array(tmp_path, ctx_file):
    """New Horizons LORRI/MVIC calibrated products: a FITS primary header and IEEE_REAL
    image, then an extension header and a quality ARRAY (AXES 2, an ELEMENT of 1-byte
    unsigned integers), all by record number in 2880-byte records."""
    card = FITS_HEADER
    xcard = "".join(c.ljust(80) for c in ["XTENSION= 'IMAGE   '", "END"]).ljust(2880).encode()
    img = (np.arange(12).reshape(3, 4) * 0.5).astype(">f4")
    q = (np.arange(12).reshape(3, 4) % 3).astype("u1")
    lbl = ident("LOR_2") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2880
FILE_RECORDS = 4
^HEADER = ("N.FIT", 1)
^IMAGE = ("N.FIT", 2)
^QUALITY_HEADER = ("N.FIT", 3)
^QUALITY_ARRAY = ("N.FIT", 4)
OBJECT = HEADER
  HEADER_TYPE = FITS
  BYTES = 2880
  RECORDS = 1
END_OBJECT = HEADER
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = IEEE_REAL
  SAMPLE_BITS = 32
END_OBJECT = IMAGE
OBJECT = QUALITY_HEADER
  HEADER_TYPE = FITS
  BYTES = 2880
END_OBJECT = QUALITY_HEADER
OBJECT = QUALITY_ARRAY
  AXES = 2
  AXIS_ITEMS = (3, 4)
  AXIS_NAME = (LINE, SAMPLE)
  OBJECT = ELEMENT
    BYTES = 1
    DATA_TYPE = MSB_UNSIGNED_INTEGER
    NAME = QUALITY_FLAG
  END_OBJECT = ELEMENT
END_OBJECT = QUALITY_ARRAY
END
"""
    data = card + img.tobytes().ljust(2880, b"\0") + xcard + q.tobytes().ljust(2880, b"\0")
    r, t = migrated(tmp_path, ctx_file, {"N.FIT": data, "N.LBL": lbl}, "N.LBL")
    assert texts(t, "//p:Header/p:offset") == ["0", "5760"]
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["IMAGE"].data).tolist() == img.tolist()
    assert np.asarray(s["QUALITY_ARRAY"].data).tolist() == q.tolist()


def test_juno_mag_style_stream_table_of_blank_separated_integers(tmp_path, ctx_file):
    """Juno MAG / Galileo MAG PPI tables: a STREAM file of blank-separated fixed-width
    columns (YEAR DOY HR MIN SEC MSEC, then the field components), LF-only lines."""
    specs = [("YEAR", "ASCII_INTEGER", "4d", ""), ("DOY", "ASCII_INTEGER", "3d", ""),
             ("HR", "ASCII_INTEGER", "02d", ""), ("MSEC", "ASCII_INTEGER", "3d", ""),
             ("BX", "ASCII_REAL", "9.3f", '    UNIT = "nT"\n'), ("RANGE", "ASCII_INTEGER", "1d", "")]
    recs, cols = ascii_rows(specs, [(2016, 240, 12, 5, -12.5, 3), (2016, 240, 12, 255, 1024.125, 4)], sep=" ")
    lbl = table_label("JMAG_1", cols, file="J.STS", rows=2, row_bytes=len(recs[0]) + 1, fmt="ASCII", stream=True)
    r, t = migrated(tmp_path, ctx_file, {"J.STS": "".join(x + "\n" for x in recs), "J.LBL": lbl}, "J.LBL")
    assert texts(t, "//p:Record_Character/p:record_length") == [str(len(recs[0]) + 1)]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "BX") == [-12.5, 1024.125]
    assert values(s, "MSEC") == [5, 255]


def test_juno_waves_style_pointer_and_object_names_that_differ(tmp_path, ctx_file):
    """Juno Waves burst files (pdr's quirk list): a pointer ``^DATA_TABLE`` whose object is
    written ``OBJECT = TABLE`` (the only table of the label): located by its pointer as the
    PDS3 reader does for ``^QUBE``/SPECTRAL_QUBE, a warning."""
    rows = np.zeros(2, dtype=[("A", ">i4"), ("B", ">f4")])
    rows["A"], rows["B"] = [5, -6], [0.5, 2.5]
    lbl = table_label("JW_1", bcols(rows.dtype), file="T.DAT", rows=2, row_bytes=8, pointer='"T.DAT"')
    lbl = lbl.replace("^TABLE =", "^DATA_TABLE =")
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "A") == [5, -6]


# --------------------------------------------------------------------------- MESSENGER, Deep Impact, Stardust


def test_mdis_style_fits_image_with_a_sample_bit_mask(tmp_path, ctx_file):
    """MESSENGER MDIS EDR: a FITS header then a 16-bit MSB_UNSIGNED_INTEGER image holding
    12-bit values (SAMPLE_BIT_MASK 2#0000111111111111#), ^IMAGE by byte offset."""
    hdr = FITS_HEADER
    img = (np.arange(20).reshape(4, 5) * 200).astype(">u2")
    lbl = ident("MDIS_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2880
FILE_RECORDS = 2
^HEADER = ("E.IMG", 1 <BYTES>)
^IMAGE = ("E.IMG", 2881 <BYTES>)
OBJECT = HEADER
  HEADER_TYPE = FITS
  BYTES = 2880
END_OBJECT = HEADER
OBJECT = IMAGE
  LINES = 4
  LINE_SAMPLES = 5
  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER
  SAMPLE_BITS = 16
  SAMPLE_BIT_MASK = 2#0000111111111111#
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"E.IMG": hdr + img.tobytes().ljust(2880, b"\0"), "E.LBL": lbl}, "E.LBL")
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["2880"]
    assert np.asarray(pds4_raw(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_messenger_xrs_style_msb_table_of_mixed_types(tmp_path, ctx_file):
    """MESSENGER XRS/GRNS: MSB rows mixing a CHARACTER UTC, MSB_INTEGER, IEEE_REAL doubles,
    a SUN_REAL and an ITEMS spectrum of 4-byte counts."""
    rows = np.zeros(2, dtype=[("UTC", "S21"), ("MET", ">i4"), ("T", ">f8"), ("G", ">f4"), ("SP", ">u4", (8,))])
    rows["UTC"] = [b"2011-100T00:00:00.000", b"2011-100T00:01:00.000"]
    rows["MET"], rows["T"], rows["G"], rows["SP"] = [-1, 2 ** 31 - 1], [1.0 / 3, 2e-300], [3.5, -1e20], \
        np.arange(16).reshape(2, 8) ** 5
    r, t = migrated(tmp_path, ctx_file, *binary("XRS_1", rows, types={"UTC": "CHARACTER", "G": "SUN_REAL"}))
    assert texts(t, "//p:Field_Binary/p:data_type") == ["ASCII_String", "SignedMSB4", "IEEE754MSBDouble",
                                                         "IEEE754MSBSingle", "UnsignedMSB4"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "T") == rows["T"].tolist()
    assert values(s, "SP") == rows["SP"].tolist()


def test_mla_style_ascii_table_with_exponent_reals(tmp_path, ctx_file):
    """MESSENGER MLA RDR / MGS MOLA: comma-separated fixed-width records with E-format reals
    (``1.234567E+03``), negative zero and an I-format integer; FORMAT keywords."""
    specs = [("MET", "ASCII_REAL", "16.6E", '    FORMAT = "E16.6"\n'),
             ("RANGE", "ASCII_REAL", "12.4E", '    FORMAT = "E12.4"\n    UNIT = "KM"\n'),
             ("Q", "ASCII_INTEGER", "3d", '    FORMAT = "I3"\n')]
    recs, cols = ascii_rows(specs, [(2.3e8, 1234.5678, 0), (-0.0, 1.0e-3, 99)])
    r, t = migrated(tmp_path, ctx_file, *ascii_product("MLA_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:field_format") == ["%16.6E", "%12.4E", "%3d"] or \
        texts(t, "//p:Field_Character/p:field_format")[2] == "%3d"
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "MET") == [2.3e8, -0.0]
    assert values(s, "RANGE") == [1234.6, 1.0e-3]  # as written: 1.2346E+03


def test_deep_impact_style_image_with_offset_and_scaling(tmp_path, ctx_file):
    """Deep Impact / EPOXI HRI and MRI: a signed 16-bit MSB image with OFFSET 32768 and
    SCALING_FACTOR 1 (FITS BZERO), a FITS header by record, LINE_DISPLAY_DIRECTION."""
    hdr = FITS_HEADER
    img = (np.arange(6).reshape(2, 3) * 1000 - 32768).astype(">i2")
    lbl = ident("DI_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2880
FILE_RECORDS = 2
^HEADER = ("D.FIT", 1)
^IMAGE = ("D.FIT", 2)
OBJECT = HEADER
  HEADER_TYPE = FITS
  BYTES = 2880
END_OBJECT = HEADER
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  OFFSET = 32768
  SCALING_FACTOR = 1
  LINE_DISPLAY_DIRECTION = UP
  SAMPLE_DISPLAY_DIRECTION = RIGHT
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"D.FIT": hdr + img.tobytes().ljust(2880, b"\0"), "D.LBL": lbl}, "D.LBL")
    assert [float(x) for x in texts(t, "//p:Element_Array/p:value_offset")] == [32768.0]
    assert np.asarray(pds4_raw(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_stardust_dfmi_style_csv_header_and_structure_table(tmp_path, ctx_file):
    """Stardust DFMI EDR: a HEADER (HEADER_TYPE CSV, the column titles) and an ASCII TABLE
    by ^STRUCTURE in one STREAM file, pointed at by record number."""
    specs = [("SCLK", "ASCII_REAL", "14.3f", ""), ("CH1", "ASCII_INTEGER", "6d", ""),
             ("CH2", "ASCII_INTEGER", "6d", "")]
    recs, cols = ascii_rows(specs, [(757537936.034, 0, 12), (757537937.034, 3, 255)])
    head = "SCLK,CH1,CH2".ljust(len(recs[0])) + "\r\n"
    lbl = ident("DFMI_1") + f"""RECORD_TYPE = STREAM
^HEADER = ("D.TAB", 1)
^TABLE = ("D.TAB", 2)
OBJECT = HEADER
  HEADER_TYPE = CSV
  BYTES = {len(head)}
END_OBJECT = HEADER
OBJECT = TABLE
  NAME = DFMI_ENC_EDR
  INTERCHANGE_FORMAT = ASCII
  ^STRUCTURE = "DFMIEDR.FMT"
  ROW_BYTES = {len(recs[0]) + 2}
  ROWS = 2
  COLUMNS = 3
END_OBJECT = TABLE
END
"""
    files = {"D.TAB": head + "".join(x + "\r\n" for x in recs), "DFMIEDR.FMT": cols, "D.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "D.LBL")
    assert texts(t, "//p:Table_Character/p:offset") == [str(len(head))]
    assert values(pds4_read(r.pds4_label)["TABLE"], "CH2") == [12, 255]


# --------------------------------------------------------------------------- Lunar Prospector, Phoenix, Odyssey, MGS


def test_lunar_prospector_er_style_doy_times_and_exponent_columns(tmp_path, ctx_file):
    """Lunar Prospector ER/MAG: blank-separated records with day-of-year times and E-format
    reals (MISSING_CONSTANT -1.0E+31)."""
    specs = [("TIME", "TIME", "s", ""), ("FLUX", "ASCII_REAL", "11.4E", "    MISSING_CONSTANT = -1.0E+31\n"),
             ("N", "ASCII_INTEGER", "4d", "")]
    recs, cols = ascii_rows(specs, [("1998-016T00:00:00.000", 1.25e5, 7), ("1998-016T00:00:32.000", -1.0e31, 0)],
                            sep=" ")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("LP_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Date_Time_DOY", "ASCII_Real", "ASCII_Integer"]
    assert values(pds4_read(r.pds4_label)["TABLE"], "FLUX") == [1.25e5, -1.0e31]


def test_phoenix_tega_style_spreadsheet_with_field_items(tmp_path, ctx_file):
    """Phoenix TEGA / MET: a SPREADSHEET whose FIELD carries ITEMS (a 3-vector per row),
    a FIELD of quoted names, LF-only records."""
    text = '"SOL 1",1.5,2.5,3.5\n"SOL 22",-1,0,100.25\n'
    lbl = ident("TEGA_1") + """RECORD_TYPE = STREAM
^SPREADSHEET = "T.CSV"
OBJECT = SPREADSHEET
  ROWS = 2
  ROW_BYTES = 25
  FIELDS = 2
  FIELD_DELIMITER = COMMA
  OBJECT = FIELD
    NAME = SOL_NAME
    FIELD_NUMBER = 1
    DATA_TYPE = CHARACTER
    BYTES = 8
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = VECTOR
    FIELD_NUMBER = 2
    DATA_TYPE = ASCII_REAL
    BYTES = 6
    ITEMS = 3
  END_OBJECT = FIELD
END_OBJECT = SPREADSHEET
END
"""
    r, t = migrated(tmp_path, ctx_file, {"T.CSV": text, "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Group_Field_Delimited/p:repetitions") == ["3"]
    s = pds4_read(r.pds4_label)["SPREADSHEET"]
    assert values(s, "VECTOR") == [[1.5, 2.5, 3.5], [-1.0, 0.0, 100.25]]


def test_themis_style_band_sequential_qube_with_scaled_msb_core(tmp_path, ctx_file):
    """Odyssey THEMIS IR RDR: a band-sequential QUBE (SAMPLE, LINE, BAND) of MSB 2-byte
    integers with CORE_MULTIPLIER/CORE_BASE, CORE_NULL -32768, a BAND_BIN group, detached."""
    core = (np.arange(2 * 3 * 4).reshape(2, 3, 4) * 10 - 40).astype(">i2")  # band, line, sample
    core[1, 2, 3] = -32768
    lbl = ident("THM_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 8
FILE_RECORDS = 6
^QUBE = "T.QUB"
OBJECT = QUBE
  AXES = 3
  AXIS_NAME = (SAMPLE, LINE, BAND)
  CORE_ITEMS = (4, 3, 2)
  CORE_ITEM_BYTES = 2
  CORE_ITEM_TYPE = MSB_INTEGER
  CORE_BASE = 0.5
  CORE_MULTIPLIER = 0.25
  CORE_NULL = -32768
  CORE_NAME = RADIANCE
  CORE_UNIT = "W/(CM**2 SR UM)"
  SUFFIX_ITEMS = (0, 0, 0)
  GROUP = BAND_BIN
    BAND_BIN_CENTER = (6.78, 7.93)
    BAND_BIN_UNIT = MICROMETER
  END_GROUP = BAND_BIN
END_OBJECT = QUBE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"T.QUB": core.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Element_Array/p:scaling_factor") == ["0.25"]
    assert texts(t, "//p:Element_Array/p:value_offset") == ["0.5"]
    assert np.asarray(pds4_raw(r.pds4_label)["QUBE"].data).tolist() == core.tolist()


def test_odyssey_grs_style_msb_table_with_container_of_items(tmp_path, ctx_file):
    """Odyssey GRS / HEND: MSB rows with a CONTAINER (REPETITIONS 2) holding an ITEMS
    spectrum and a scalar, bare UNSIGNED_INTEGER and SUN_INTEGER types."""
    inner = np.dtype([("SPEC", ">u2", (4,)), ("LT", ">f4")])
    rows = np.zeros(2, dtype=[("SCET", ">u4"), ("DET", inner, (2,))])
    rows["SCET"], rows["DET"]["SPEC"] = [100, 200], np.arange(16).reshape(2, 2, 4)
    rows["DET"]["LT"] = [[0.5, 1.5], [2.5, 3.5]]
    cont = ("  OBJECT = CONTAINER\n    NAME = DET\n    START_BYTE = 5\n    BYTES = 12\n    REPETITIONS = 2\n"
            + col("SPEC", "SUN_UNSIGNED_INTEGER", 1, 8, "    ITEMS = 4\n    ITEM_BYTES = 2\n")
            + col("LT", "IEEE_REAL", 9, 4, '    UNIT = "SECOND"\n') + "  END_OBJECT = CONTAINER\n")
    lbl = table_label("GRS_1", col("SCET", "UNSIGNED_INTEGER", 1, 4) + cont, file="T.DAT", rows=2, row_bytes=28)
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "SPEC") == rows["DET"]["SPEC"].tolist()
    assert values(s, "LT") == rows["DET"]["LT"].tolist()


def test_tes_style_msb_table_with_bit_columns_and_integer_scaling(tmp_path, ctx_file):
    """MGS TES ATM/BOL tables: MSB_INTEGER columns with SCALING_FACTOR, an
    MSB_UNSIGNED_INTEGER quality word split into BIT_COLUMNs (BIT_DATA_TYPE
    MSB_UNSIGNED_INTEGER), a 1-byte UNSIGNED_INTEGER."""
    rows = np.zeros(3, dtype=[("SCLK", ">i4"), ("T", ">i2"), ("QUAL", ">u4"), ("OD", "u1"), ("PAD", "u1")])
    rows["SCLK"], rows["T"] = [1000, 2000, 3000], [-100, 2500, 32767]
    rows["QUAL"] = [0x80000000 | (5 << 20), 3 << 20, 0xFFFFFFFF]
    rows["OD"] = [0, 128, 255]
    bits = bit_column("ALGOR_RISK", 1, 1) + bit_column("SPECTRAL_MASK", 9, 4)
    r, t = migrated(tmp_path, ctx_file, *binary("TES_1", rows, types={"OD": "UNSIGNED_INTEGER",
                                                                       "PAD": "UNSIGNED_INTEGER"},
                                                 extra={"T": "    SCALING_FACTOR = 0.01\n    OFFSET = 100\n",
                                                        "QUAL": bits}))
    assert texts(t, "//p:Field_Bit/p:name") == ["ALGOR_RISK", "SPECTRAL_MASK"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "OD") == [0, 128, 255]
    pds4 = pdsgen.open(r.pds4_label)["TABLE"].data
    assert np.asarray(pds4["ALGOR_RISK"]).tolist() == [1, 0, 1]
    assert np.asarray(pds4["SPECTRAL_MASK"]).tolist() == [5, 3, 15]


def test_mola_pedr_style_items_of_shots_with_scaled_msb_integers(tmp_path, ctx_file):
    """MGS MOLA PEDR: MSB rows of a frame time and 20-shot ITEMS of MSB_INTEGER ranges
    with SCALING_FACTOR (here 4 shots), an MSB_UNSIGNED_INTEGER shot-flags word."""
    rows = np.zeros(2, dtype=[("TIME", ">f8"), ("RNG", ">i4", (4,)), ("FLAGS", ">u2")])
    rows["TIME"], rows["RNG"], rows["FLAGS"] = [1.0e8, 1.0e8 + 1], np.arange(8).reshape(2, 4) * -123456, [1, 65535]
    r, t = migrated(tmp_path, ctx_file, *binary("PEDR_1", rows, types={"TIME": "MSB_REAL" if False else "IEEE_REAL"},
                                                 extra={"RNG": '    SCALING_FACTOR = 0.01\n    UNIT = "METER"\n'}))
    s = pds4_raw(r.pds4_label)["TABLE"]
    assert values(s, "RNG") == rows["RNG"].tolist()
    assert texts(t, "//p:Field_Binary[p:name='RNG']/p:scaling_factor") == ["0.01"]


# --------------------------------------------------------------------------- PPI tables


def test_ulysses_style_ascii_table_with_fill_values_and_ms_times(tmp_path, ctx_file):
    """Ulysses / Voyager PPI: blank-separated records with calendar times to the
    millisecond and -1.0E+31 fill as MISSING_CONSTANT, UNIT = "nT"."""
    specs = [("TIME", "TIME", "s", ""), ("BR", "ASCII_REAL", "10.3f", '    UNIT = "nT"\n'),
             ("BT", "ASCII_REAL", "10.2E", '    UNIT = "nT"\n    MISSING_CONSTANT = -1.0E+31\n')]
    recs, cols = ascii_rows(specs, [("1990-10-06T00:00:00.000", 1.5, -1.0e31),
                                    ("1990-10-06T00:01:00.000", -0.25, 2.5)], sep=" ")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("ULY_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:unit") == ["nT", "nT"]
    assert values(pds4_read(r.pds4_label)["TABLE"], "BT") == [-1.0e31, 2.5]


def test_pvo_style_ascii_table_with_doy_and_integer_columns(tmp_path, ctx_file):
    """Pioneer Venus Orbiter OMAG/ORPA: records of year, day of year, milliseconds of day
    and real values, ``UNIT = "N/A"``, FORMAT I/F, one-byte separators."""
    specs = [("YEAR", "ASCII_INTEGER", "4d", '    FORMAT = "I4"\n    UNIT = "N/A"\n'),
             ("DOY", "ASCII_INTEGER", "3d", '    FORMAT = "I3"\n'),
             ("MSEC", "ASCII_INTEGER", "8d", '    FORMAT = "I8"\n'),
             ("NE", "ASCII_REAL", "9.2f", '    FORMAT = "F9.2"\n    UNIT = "CM**-3"\n')]
    recs, cols = ascii_rows(specs, [(1979, 1, 0, 1.0e4), (1979, 365, 86399999, 12.25)], sep=" ")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("PVO_1", recs, cols))
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "MSEC") == [0, 86399999]
    assert values(s, "NE") == [1.0e4, 12.25]


def test_imp8_style_stream_table_with_vector_items(tmp_path, ctx_file):
    """IMP-8 MAG: a STREAM table whose field vector is an ASCII_REAL column of 3 ITEMS
    (ITEM_BYTES 8, ITEM_OFFSET 9), a decimal day column."""
    vec = np.array([[1.5, -2.25, 3.0], [0.0, 100.125, -7.5]])
    recs = [f"{d:9.5f} " + " ".join(f"{x:8.3f}" for x in v) for d, v in zip([1.0, 1.00069], vec, strict=False)]
    cols = col("DDAY", "ASCII_REAL", 1, 9) + col("B", "ASCII_REAL", 11, 26,
                                                 "    ITEMS = 3\n    ITEM_BYTES = 8\n    ITEM_OFFSET = 9\n")
    lbl = table_label("IMP_1", cols, file="I.TAB", rows=2, row_bytes=len(recs[0]) + 2, fmt="ASCII", stream=True)
    r, t = migrated(tmp_path, ctx_file, {"I.TAB": "".join(x + "\r\n" for x in recs), "I.LBL": lbl}, "I.LBL")
    assert values(pds4_read(r.pds4_label)["TABLE"], "B") == vec.tolist()


# --------------------------------------------------------------------------- Small Bodies, Rings Node


def test_sbn_asteroid_table_with_quoted_names_and_blank_numbers(tmp_path, ctx_file):
    """Small Bodies Node asteroid tables: quoted names holding commas and blanks, an
    ASCII_REAL column left blank where there is no value (described as text, a note), a
    -9.99 MISSING_CONSTANT."""
    recs = ['     1,"Ceres, (1)     ", 3.34,  0.12', '  4179,"Toutatis       ",     , -9.99']
    cols = (col("NUMBER", "ASCII_INTEGER", 1, 6) + col("NAME", "CHARACTER", 9, 15)
            + col("H", "ASCII_REAL", 26, 5) + col("G", "ASCII_REAL", 32, 6, "    MISSING_CONSTANT = -9.99\n"))
    r, t = migrated(tmp_path, ctx_file, *ascii_product("SBN_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Integer", "ASCII_String", "ASCII_String",
                                                            "ASCII_Real"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert strings(s, "NAME") == ["Ceres, (1)", "Toutatis"]
    assert values(s, "G") == [0.12, -9.99]


def test_rings_node_index_table_with_items_and_null_text(tmp_path, ctx_file):
    """Rings Node index tables: an INDEX_TABLE of quoted FILE_SPECIFICATION_NAMEs, a
    quoted TARGET_NAME holding ``"NULL"``, ITEMS of ASCII_REAL ring longitudes with
    MISSING_CONSTANT -1.E32 and a DATE-less time column."""
    recs = ['"DATA/C1234567_GEOMED.IMG","SATURN","NULL    ",  12.500000,  15.250000,2004-123T01:02:03.456',
            '"DATA/C1234568_GEOMED.IMG","RHEA  ","RINGS   ", -1.000E+32,  90.000000,2004-124T01:02:03.456']
    cols = (col("FILE_SPECIFICATION_NAME", "CHARACTER", 2, 24) + col("TARGET_NAME", "CHARACTER", 29, 6)
            + col("RING", "CHARACTER", 38, 8)
            + col("RING_LONGITUDE", "ASCII_REAL", 48, 23,
                  "    ITEMS = 2\n    ITEM_BYTES = 11\n    ITEM_OFFSET = 12\n    MISSING_CONSTANT = -1.E32\n")
            + col("START_TIME", "TIME", 72, 21))
    r, t = migrated(tmp_path, ctx_file, *ascii_product("RMS_1", recs, cols, obj="INDEX_TABLE"))
    s = pds4_read(r.pds4_label)["INDEX_TABLE"]
    assert strings(s, "RING") == ["NULL", "RINGS"]
    assert values(s, "RING_LONGITUDE") == [[12.5, 15.25], [-1.0e32, 90.0]]
    assert texts(t, "//p:Field_Character[p:name='START_TIME']/p:data_type") == ["ASCII_Date_Time_DOY"]


def test_clementine_style_vax_real_table_is_refused_naming_the_type(tmp_path, ctx_file):
    """Clementine / Pioneer-era binary tables of VAX_REAL: no PDS4 type holds them, so the
    product is refused naming the object, the field and the PDS3 type (exit 1)."""
    rows = np.zeros(2, dtype=[("A", "<u4"), ("V", "<u4")])
    r = product(tmp_path, ctx_file, *binary("CLM_1", rows, types={"V": "VAX_REAL"}))
    assert r.status == "failed"
    assert "'V'" in r.reason and "VAX_REAL" in r.reason
    assert not list((tmp_path / "out").glob("*.xml"))


# --------------------------------------------------------------------------- structures refused before


def test_fortran_d_exponents_are_text(tmp_path, ctx_file):
    """Lunar Prospector / Viking-era Fortran output: ASCII_REAL values written ``1.000D+05``
    (the PDS3 reader reads them; before: refused, PDS4 ASCII_Real has no D form): described
    as ASCII_String with the same text and a note; the read-back compares the PDS3 numbers
    with the text read with D as E. A clean column beside it stays ASCII_Real."""
    recs = [" 1.000D+05, 2.5", "-2.500d-01,-1.0"]
    cols = col("X", "ASCII_REAL", 1, 10, "    SCALING_FACTOR = 2.0\n") + col("Y", "ASCII_REAL", 12, 4)
    r, t = migrated(tmp_path, ctx_file, *ascii_product("FD_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_String", "ASCII_Real"]
    assert texts(t, "//p:Field_Character/p:scaling_factor") == []
    assert any("field 'X': reals written with a Fortran D exponent ('1.000D+05')" in n for n in r.notes)
    s = pds4_read(r.pds4_label)["TABLE"]
    assert strings(s, "X") == ["1.000D+05", "-2.500d-01"]
    assert np.ma.getdata(pdsgen.open(tmp_path / "in" / "A.LBL")["TABLE"].data["X"]).tolist() == [1.0e5, -0.25]


def _nested_array_label(pid: str, inner_bytes: str = "", leaf: str | None = None) -> str:
    leaf = leaf or """      OBJECT = ELEMENT
        NAME = COUNT
        DATA_TYPE = LSB_INTEGER
        BYTES = 2
        UNIT = "COUNTS"
      END_OBJECT = ELEMENT
"""
    return ident(pid, "SPECTROMETER") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 8
FILE_RECORDS = 3
^SPECTRA_ARRAY = "S.DAT"
OBJECT = SPECTRA_ARRAY
  AXES = 1
  AXIS_ITEMS = 3
  AXIS_NAME = TIME
  OBJECT = ARRAY
    NAME = SPECTRUM
    AXES = 1
    AXIS_ITEMS = 4
    AXIS_NAME = CHANNEL
{inner_bytes}{leaf}  END_OBJECT = ARRAY
END_OBJECT = SPECTRA_ARRAY
END
"""


def test_array_of_array_is_one_array_of_their_axes(tmp_path, ctx_file):
    """Rosetta / Giotto / PSA spectra: an ARRAY (TIME) of ARRAY (CHANNEL) of ELEMENT
    (before: refused by the PDS3 reader, "ARRAY of ARRAY objects"). The inner arrays are
    stored one after the other, so the whole is one Array_2D (TIME, CHANNEL) over the
    same bytes, with a note."""
    a = (np.arange(12).reshape(3, 4) * 300 - 1000).astype("<i2")
    r, t = migrated(tmp_path, ctx_file, {"S.DAT": a.tobytes(), "S.LBL": _nested_array_label("AA_1")}, "S.LBL")
    assert texts(t, "//p:Array_2D/p:name") == ["SPECTRA_ARRAY"]
    assert texts(t, "//p:Axis_Array/p:axis_name") == ["TIME", "CHANNEL"]
    assert texts(t, "//p:Axis_Array/p:elements") == ["3", "4"]
    assert any("an ARRAY of ARRAY (2 levels) is one array of 2 axes" in n for n in r.notes)
    assert np.asarray(pds4_read(r.pds4_label)["SPECTRA_ARRAY"].data).tolist() == a.tolist()


def test_array_of_array_of_collection_is_a_table_of_cells(tmp_path, ctx_file):
    """An ARRAY of ARRAY of COLLECTION: one binary record per cell of both arrays (3 × 2),
    as an ARRAY of COLLECTION is."""
    rows = np.zeros(6, dtype=[("T", "<u2"), ("V", "<f4")])
    rows["T"], rows["V"] = np.arange(6), np.arange(6) / 4
    leaf = """      OBJECT = COLLECTION
        NAME = CELL
        BYTES = 6
        OBJECT = ELEMENT
          NAME = T
          DATA_TYPE = LSB_UNSIGNED_INTEGER
          START_BYTE = 1
          BYTES = 2
        END_OBJECT = ELEMENT
        OBJECT = ELEMENT
          NAME = V
          DATA_TYPE = PC_REAL
          START_BYTE = 3
          BYTES = 4
        END_OBJECT = ELEMENT
      END_OBJECT = COLLECTION
"""
    lbl = _nested_array_label("AC_1", leaf=leaf).replace("AXIS_ITEMS = 4", "AXIS_ITEMS = 2")
    r, t = migrated(tmp_path, ctx_file, {"S.DAT": rows.tobytes(), "S.LBL": lbl}, "S.LBL")
    assert texts(t, "//p:Table_Binary/p:records") == ["6"]
    s = pds4_read(r.pds4_label)["SPECTRA_ARRAY"]
    assert values(s, "V") == (np.arange(6) / 4).tolist()


def test_array_of_array_with_bytes_between_the_inner_arrays_is_refused(tmp_path, ctx_file):
    """An inner ARRAY whose BYTES exceed its cells (padding between the inner arrays) is
    no single array: refused by the PDS3 reader, naming it (exit 1, nothing written)."""
    lbl = _nested_array_label("AP_1", inner_bytes="    BYTES = 10\n")
    r = product(tmp_path, ctx_file, {"S.DAT": bytes(30), "S.LBL": lbl}, "S.LBL")
    assert r.status == "failed"
    assert "inner ARRAY 1: BYTES = 10 is not its 4 cells of 2 bytes" in r.reason


def test_three_and_six_byte_msb_integers_are_bit_fields(tmp_path, ctx_file):
    """Telemetry tables with a 3-byte MSB_INTEGER and a 6-byte MSB_UNSIGNED_INTEGER
    spacecraft clock (before: refused by the PDS3 reader, "MSB_INTEGER of 3 bytes"): read
    as one big-endian bit field over the column, described as a bit-string field
    ``<name>_BYTES`` with Packed_Data_Fields / one Field_Bit of the column's name (bits
    1..24, 1..48). pds4_tools gives the packed bytes whole; the values through pdsgen's
    PDS4 reading equal those computed here from the bytes."""
    v3 = np.array([-1, 8388607, -8388608, 1000])
    v6 = np.array([0, 2 ** 48 - 1, 123456789012, 1])
    raw = np.zeros((4, 10), "u1")
    raw[:, 0:3] = ((v3[:, None] & 0xFFFFFF) >> np.array([16, 8, 0])) & 0xFF
    raw[:, 3:9] = (v6[:, None] >> np.array([40, 32, 24, 16, 8, 0])) & 0xFF
    raw[:, 9] = [1, 2, 3, 4]
    cols = (col("DELTA", "MSB_INTEGER", 1, 3, "    SCALING_FACTOR = 0.5\n") + col("SCLK", "MSB_UNSIGNED_INTEGER", 4, 6)
            + col("Q", "UNSIGNED_INTEGER", 10, 1))
    lbl = table_label("TB_1", cols, file="T.DAT", rows=4, row_bytes=10)
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": raw.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Field_Binary/p:name") == ["DELTA_BYTES", "SCLK_BYTES", "Q"]
    assert texts(t, "//p:Field_Bit/p:name") == ["DELTA", "SCLK"]
    assert texts(t, "//p:Field_Bit/p:stop_bit_location") == ["24", "48"]
    assert texts(t, "//p:Field_Bit/p:data_type") == ["SignedBitString", "UnsignedBitString"]
    pds3 = pdsgen.open(tmp_path / "in" / "T.LBL")["TABLE"].data
    assert np.asarray(pds3["DELTA"]).tolist() == v3.tolist()
    pds4 = pdsgen.open(r.pds4_label)["TABLE"].data
    assert np.asarray(pds4["DELTA"]).tolist() == v3.tolist()
    assert np.asarray(pds4["SCLK"]).tolist() == v6.tolist()
    assert values(pds4_read(r.pds4_label)["TABLE"], "Q") == [1, 2, 3, 4]


def test_three_byte_lsb_integers_are_still_refused(tmp_path, ctx_file):
    """A 3-byte LSB integer: its bits are not contiguous in storage order, so no Field_Bit
    describes it; the PDS3 reader refuses it naming the column (exit 1, nothing written)."""
    lbl = table_label("TL_1", col("X", "LSB_INTEGER", 1, 3), file="T.DAT", rows=2, row_bytes=3)
    r = product(tmp_path, ctx_file, {"T.DAT": bytes(6), "T.LBL": lbl}, "T.LBL")
    assert r.status == "failed" and "column 'X': LSB_INTEGER of 3 bytes" in r.reason


# --------------------------------------------------------------------------- keyword and value spellings


def test_short_times_slashed_dates_integer_reals_and_letter_booleans(tmp_path, ctx_file):
    """Hand-made ground and catalogue tables: times to the minute (``1998-01-01T00:00``,
    a PDS4 date-time), dates written ``1998/01/01`` (no PDS4 date type: text, a note),
    ASCII_REAL cells holding integers, and ASCII_BOOLEAN written ``T``/``F`` and
    ``true``/``false`` (before: refused — pds4_tools reads ASCII_Boolean as the integers 0
    and 1 only): described as ASCII_String with a note; a 0/1 column stays ASCII_Boolean."""
    recs = ["1998-01-01T00:00,1998/01/01,   12,T,true ,1", "1998-01-02T10:30,1998/01/02,    3,F,FALSE,0"]
    cols = (col("T", "TIME", 1, 16) + col("D", "DATE", 18, 10) + col("R", "ASCII_REAL", 29, 5)
            + col("B", "ASCII_BOOLEAN", 35, 1) + col("W", "ASCII_BOOLEAN", 37, 5) + col("Z", "ASCII_BOOLEAN", 43, 1))
    r, t = migrated(tmp_path, ctx_file, *ascii_product("ST_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Date_Time_YMD", "ASCII_String", "ASCII_Real",
                                                            "ASCII_String", "ASCII_String", "ASCII_Boolean"]
    assert any("field 'B': booleans written 'T'" in n for n in r.notes)
    assert any("field 'W': booleans written 'true'" in n for n in r.notes)
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "R") == [12.0, 3.0]
    assert strings(s, "W") == ["true", "FALSE"]
    assert values(s, "Z") == [1, 0]
    assert np.asarray(pdsgen.open(tmp_path / "in" / "A.LBL")["TABLE"].data["W"]).tolist() == [True, False]


def test_binary_rows_shorter_than_the_records_and_nul_padded_strings(tmp_path, ctx_file):
    """Cassini / Rosetta binary tables: RECORD_BYTES 512 while ROW_BYTES is 12 (rows follow
    one another; the record length is the file's, not the table's), CHARACTER columns
    padded with NUL bytes (C strings), and label value ranges (VALID_MINIMUM …)."""
    rows = np.zeros(3, dtype=[("S", "S8"), ("A", ">i4")])
    rows["S"], rows["A"] = [b"ABC", b"DEFGHIJK", b""], [1, -2, 3]
    lbl = table_label("RB_1", bcols(rows.dtype, extra={"A": "    VALID_MINIMUM = -5\n    VALID_MAXIMUM = 5\n"}),
                      file="T.DAT", rows=3, row_bytes=12, record_bytes=512)
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Record_Binary/p:record_length") == ["12"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "A") == [1, -2, 3]
    assert [x.rstrip(b"\0").decode() if isinstance(x, bytes) else str(x).rstrip("\0") for x in
            np.asarray(s["S"]).tolist()] == ["ABC", "DEFGHIJK", ""]


def test_out_of_range_special_constants_and_unit_spellings(tmp_path, ctx_file):
    """Label errors seen in PPI and Cassini tables: MISSING_CONSTANT -1 on an unsigned
    column and 1.0E+32 on a 4-byte integer one (no stored value can equal them), and unit
    spellings (``W*M**-2*SR**-1*MICRON**-1``, ``DEGREES``, ``KM/S``, ``COUNTS/SECOND``):
    the migrated product validates and reads back equal; units PDS4's vocabulary has are
    spelt its way, the others kept as written with a note."""
    rows = np.zeros(2, dtype=[("U", ">u2"), ("I", ">i4"), ("A", ">f4"), ("B", ">f4"), ("C", ">f4"), ("D", ">f4")])
    rows["U"], rows["I"], rows["B"] = [1, 65535], [7, -7], [90.0, -45.5]
    extra = {"U": "    MISSING_CONSTANT = -1\n", "I": "    MISSING_CONSTANT = 1.0E+32\n",
             "A": '    UNIT = "W*M**-2*SR**-1*MICRON**-1"\n', "B": '    UNIT = "DEGREES"\n',
             "C": '    UNIT = "KM/S"\n', "D": '    UNIT = "COUNTS/SECOND"\n'}
    r, t = migrated(tmp_path, ctx_file, *binary("OR_1", rows, extra=extra))
    assert texts(t, "//p:Field_Binary[p:name='B']/p:unit") == ["deg"]
    assert texts(t, "//p:Field_Binary[p:name='C']/p:unit") == ["km/s"]
    assert any("unit 'COUNTS/SECOND' has no PDS4 unit-vocabulary equivalent; kept as written" in n for n in r.notes)
    s = pds4_raw(r.pds4_label)["TABLE"]
    assert values(s, "U") == [1, 65535]
    assert values(s, "B") == [90.0, -45.5]
    # constants no stored value can equal are not written (pds4_tools' default, scaled and
    # masked, reading raised TypeError on them: "Cannot convert fill_value -1 to dtype >u2")
    assert texts(t, "//p:Field_Binary[p:name='U' or p:name='I']/p:Special_Constants") == []
    assert any("field 'U': missing_constant -1 cannot occur in UnsignedMSB2 values" in n for n in r.notes)
    assert any("field 'I': missing_constant 1e+32 cannot occur in SignedMSB4 values" in n for n in r.notes), r.notes
    scaled = pds4_read(r.pds4_label)["TABLE"]
    assert values(scaled, "U") == [1, 65535] and values(scaled, "I") == [7, -7]


def test_date_column_holding_date_times_and_markup_characters_in_text(tmp_path, ctx_file):
    """A DATE column whose values are date-times (``2004-01-01T00:00:00``; before: refused,
    not a valid ASCII_Date_YMD) is described as ASCII_Date_Time_YMD with a note; ``<``,
    ``&`` and ``>`` in a PRODUCT_NAME and a column DESCRIPTION are written escaped."""
    files, lbl = ascii_product("DT_1", ["2004-01-01T00:00:00", "2004-01-02T12:30:00"],
                               col("D", "DATE", 1, 19, '    DESCRIPTION = "values < 0 & > 5 are bad"\n'))
    files[lbl] = files[lbl].replace('PRODUCT_NAME = "Synthetic DT_1"', 'PRODUCT_NAME = "A < B & C"')
    r, t = migrated(tmp_path, ctx_file, files, lbl)
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Date_Time_YMD"]
    assert any("a PDS3 DATE column holding date-times (e.g. '2004-01-01T00:00:00')" in n for n in r.notes)
    assert texts(t, "//p:Field_Character/p:description") == ["values < 0 & > 5 are bad"]
    assert texts(t, "//p:Identification_Area/p:title") == ["A < B & C"]
    assert strings(pds4_read(r.pds4_label)["TABLE"], "D") == ["2004-01-01T00:00:00", "2004-01-02T12:30:00"]


@pytest.mark.parametrize("target,lid,name", [
    ('"9P/TEMPEL 1 (1867 G1)"', "urn:nasa:pds:context:target:comet.9p_tempel_1", "9P/Tempel 1"),
    ('"19P/BORRELLY 1 (1904 Y2)"', "urn:nasa:pds:context:target:comet.19p_borrelly", "19P/Borrelly"),
    ('"S RINGS"', "urn:nasa:pds:context:target:ring.saturn.rings", "Saturn Rings"),
    ("SOLAR_WIND", "urn:nasa:pds:context:target:plasma_stream.solar_wind", "SOLAR WIND"),
])
def test_pds3_target_spellings_of_registered_targets(tmp_path, target, lid, name):
    """Small Bodies Node comet names carry their provisional designation (``9P/TEMPEL 1
    (1867 G1)``, ``19P/BORRELLY 1 (1904 Y2)``: registered as ``9P/Tempel 1``,
    ``19P/Borrelly``), Rings Node products name ring systems ``S RINGS``, PPI ones
    ``SOLAR_WIND`` (before: each failed, "no registered context product … give [context]
    target"): found under the registered spelling (a periodic comet by its number when
    the rest differs), with a note naming the spelling used."""
    kinds = {"comet": "Comet", "ring": "Ring", "plasma_stream": "Plasma Stream"}
    entry = {"lidvid": f"{lid}::1.1", "name": [name, "NAIF ID 1000093"],
             "type": [kinds[lid.rsplit(":", 1)[1].split(".")[0]]]}
    decoy = {"lidvid": "urn:nasa:pds:context:target:comet.190p_mueller::1.1", "name": ["190P/Mueller"],
             "type": ["Comet"]}
    ctx = tmp_path / "context.json"
    ctx.write_text(json.dumps({"Product_Context": [*CONTEXT["Product_Context"], entry, decoy]}))
    files, lbl = binary("TG_1", np.zeros(2, dtype=[("A", ">i4")]))
    files[lbl] = files[lbl].replace("TARGET_NAME = MARS", f"TARGET_NAME = {target}")
    r, t = migrated(tmp_path, ctx, files, lbl)
    assert texts(t, "//p:Target_Identification/p:Internal_Reference/p:lid_reference") == [lid]
    assert any(n.startswith(f"registered under another spelling: target {target.strip(chr(34))!r} (as ")
               for n in r.notes)


def test_context_names_written_with_underscores(tmp_path, ctx_file):
    """``MISSION_NAME = TEST_MISSION`` (underscores for blanks, as some volumes write
    MARS_GLOBAL_SURVEYOR): the investigation registered as ``TEST MISSION`` is found,
    with a note."""
    files, lbl = binary("UN_1", np.zeros(2, dtype=[("A", ">i4")]))
    files[lbl] = files[lbl].replace('MISSION_NAME = "TEST MISSION"', "MISSION_NAME = TEST_MISSION")
    r, t = migrated(tmp_path, ctx_file, files, lbl)
    assert texts(t, "//p:Investigation_Area/p:Internal_Reference/p:lid_reference") == [
        "urn:nasa:pds:context:investigation:mission.test_mission"]
    assert any(n.startswith("registered under another spelling: investigation 'TEST_MISSION'") for n in r.notes)
