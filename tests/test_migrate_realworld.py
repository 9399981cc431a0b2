"""`pdsgen migrate` on PDS3 products shaped like those of real archives (issue 18's unseen
set): label structures, pointer forms, keyword spellings and label quirks seen in public
PDS3 labels of MGN, MGS, MRO, LRO, Cassini, Voyager, Viking, Chandrayaan-1, New Horizons,
Phoenix, Rosetta/Mars Express (PSA) and hand-written volumes. Each product is built here:
the label in the style of the archive, the data bytes written from numpy arrays or text
the test holds, so expected values never come from pdsgen's readers.

A migrated product has already validated with 0 errors and read back equal through
pdsgen's PDS3 reading, pdsgen's PDS4 reading and pds4_tools inside `migrate`; the tests
check the label structure against values worked out by hand, and pds4_tools' values
against the arrays written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_migrate import CONTEXT, ident, options, texts, xml
from test_migrate_kinds import pds4_read

import pdsgen
from pdsgen.migrate import MigrationResult, migrate_product


@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    """The registered context products of the test mission (test_migrate's list)."""
    path = tmp_path / "context.json"
    path.write_text(json.dumps(CONTEXT))
    return path


def product(tmp_path: Path, ctx_file: Path, files: dict[str, bytes | str], label: str) -> MigrationResult:
    """Write ``files`` into a folder and migrate the product whose label is ``label``."""
    folder = tmp_path / "in"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    return migrate_product(folder / label, options(tmp_path, ctx_file))


def migrated(*args, **kw):
    r = product(*args, **kw)
    assert r.status == "migrated", r.reason
    return r, xml(r.pds4_label)


def col(name: str, data_type: str, start: int, nbytes: int | None, extra: str = "") -> str:
    size = f"    BYTES = {nbytes}\n" if nbytes is not None else ""
    return (f"  OBJECT = COLUMN\n    NAME = {name}\n    DATA_TYPE = {data_type}\n    START_BYTE = {start}\n"
            f"{size}{extra}  END_OBJECT = COLUMN\n")


def table_label(pid: str, cols: str, *, file: str, rows: int, row_bytes: int, fmt: str = "BINARY",
                record_bytes: int | None = None, stream: bool = False, pointer: str | None = None,
                obj: str = "TABLE", extra: str = "") -> str:
    """A detached label of one table (``cols`` its COLUMN objects) in ``file``."""
    records = "RECORD_TYPE = STREAM\n" if stream else (
        f"RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = {record_bytes or row_bytes}\nFILE_RECORDS = {rows}\n")
    return (ident(pid) + records + f'^{obj} = {pointer or chr(34) + file + chr(34)}\nOBJECT = {obj}\n'
            f"  INTERCHANGE_FORMAT = {fmt}\n  ROWS = {rows}\n  ROW_BYTES = {row_bytes}\n"
            f'  COLUMNS = {cols.count("OBJECT = COLUMN")}\n{extra}{cols}END_OBJECT = {obj}\nEND\n')


def attached(label_for, record_bytes: int) -> bytes:
    """An attached label padded to whole records; ``label_for(label_records)`` gives its text."""
    lr = -(-len(label_for(99).encode()) // record_bytes)
    return label_for(lr).encode().ljust(lr * record_bytes, b" ")


# --------------------------------------------------------------------------- tables


def test_mgn_gravity_attached_sfdu_ascii_tables_with_row_suffix_bytes(tmp_path, ctx_file):
    """Magellan RSS spherical-harmonics (SHADR) style: an SFDU line before PDS_VERSION_ID,
    attached label, two ASCII tables in one file by record number, each row padded with
    ROW_SUFFIX_BYTES up to the CR LF, column names with spaces, UNIT = "N/A", E23.16."""
    rb = 60
    head_cols = (col('"REFERENCE RADIUS"', "ASCII_REAL", 1, 23, '    FORMAT = "E23.16"\n    UNIT = "KILOMETER"\n')
                 + col('"DEGREE OF FIELD"', "ASCII_INTEGER", 25, 5, '    FORMAT = "I5"\n    UNIT = "N/A"\n'))
    coef_cols = (col('"COEFFICIENT DEGREE"', "ASCII_INTEGER", 1, 5, '    UNIT = "N/A"\n')
                 + col('"C"', "ASCII_REAL", 7, 23, '    FORMAT = "E23.16"\n    UNIT = "N/A"\n'))

    def label(lr: int) -> str:
        return ("CCSD3ZF0000100000001NJPL3IF0PDSX00000001\r\n" + (ident("RS-SHGJ180U.A01") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {lr + 4}
LABEL_RECORDS = {lr}
^SHADR_HEADER_TABLE = {lr + 1}
^SHADR_COEFFICIENTS_TABLE = {lr + 2}
OBJECT = SHADR_HEADER_TABLE
ROWS = 1
COLUMNS = 2
ROW_BYTES = 29
ROW_SUFFIX_BYTES = {rb - 29}
INTERCHANGE_FORMAT = ASCII
{head_cols}END_OBJECT = SHADR_HEADER_TABLE
OBJECT = SHADR_COEFFICIENTS_TABLE
  ROWS = 3
  COLUMNS = 2
  ROW_BYTES = 29
  ROW_SUFFIX_BYTES = {rb - 29}
  INTERCHANGE_FORMAT = ASCII
{coef_cols}END_OBJECT = SHADR_COEFFICIENTS_TABLE
END
""").replace("\n", "\r\n"))

    coefs = [(2, -4.4e-6), (3, 1.25e-9), (4, -8.5e-7)]
    data = (attached(label, rb) + f"{6051.0:23.16E},{180:5d}".ljust(rb - 2).encode() + b"\r\n"
            + b"".join(f"{d:5d},{c:23.16E}".ljust(rb - 2).encode() + b"\r\n" for d, c in coefs))
    r, t = migrated(tmp_path, ctx_file, {"SHGJ.DAT": data}, "SHGJ.DAT")
    assert texts(t, "//p:Table_Character/p:name") == ["SHADR_HEADER_TABLE", "SHADR_COEFFICIENTS_TABLE"]
    assert texts(t, "//p:Table_Character/p:Record_Character/p:record_length") == [str(rb), str(rb)]
    assert texts(t, "//p:Field_Character/p:name")[:2] == ["REFERENCE RADIUS", "DEGREE OF FIELD"]
    # "N/A" is no unit; KILOMETER is km
    assert texts(t, "//p:Field_Character/p:unit") == ["km"]
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["SHADR_COEFFICIENTS_TABLE"]["C"]).tolist() == [c for _, c in coefs]
    assert np.asarray(s["SHADR_HEADER_TABLE"]["DEGREE OF FIELD"]).tolist() == [180]


def test_cassini_rpws_prefix_table_and_time_series_share_records(tmp_path, ctx_file):
    """Cassini RPWS WBR/WFR style: a ROW_PREFIX_TABLE (its ^STRUCTURE in a .FMT, ROW_SUFFIX_BYTES
    over the samples) and a TIME_SERIES (ROW_PREFIX_BYTES over the prefix, ITEMS of
    samples) over the same records of one file. PDS4 objects of a file may not overlap:
    one Table_Binary with the fields of both."""
    rows = np.zeros(3, dtype=[("SCLK", ">u4"), ("N", ">u2"), ("X", ">u2"), ("S", "u1", (8,))])
    rows["SCLK"], rows["N"], rows["X"] = [100, 200, 300], 8, 0
    rows["S"] = np.arange(24).reshape(3, 8) * 10
    fmt = (col("SCLK_SECOND", "MSB_UNSIGNED_INTEGER", 1, 4) + col("SAMPLES", "MSB_UNSIGNED_INTEGER", 5, 2)
           + col("SPARE", "MSB_UNSIGNED_INTEGER", 7, 2))
    lbl = ident("RPWS_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 16
FILE_RECORDS = 3
^WBR_ROW_PREFIX_TABLE = ("W.DAT", 1)
^TIME_SERIES = ("W.DAT", 1)
OBJECT = WBR_ROW_PREFIX_TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 3
  COLUMNS = 3
  ROW_BYTES = 8
  ROW_SUFFIX_BYTES = 8
  ^STRUCTURE = "W.FMT"
END_OBJECT = WBR_ROW_PREFIX_TABLE
OBJECT = TIME_SERIES
  INTERCHANGE_FORMAT = BINARY
  ROWS = 3
  COLUMNS = 1
  ROW_BYTES = 8
  ROW_PREFIX_BYTES = 8
  SAMPLING_PARAMETER_NAME = TIME
  SAMPLING_PARAMETER_UNIT = SECOND
""" + col("WAVEFORM_SAMPLES", "MSB_UNSIGNED_INTEGER", 1, 8, "    ITEMS = 8\n    ITEM_BYTES = 1\n") + """END_OBJECT = TIME_SERIES
END
"""
    r, t = migrated(tmp_path, ctx_file, {"W.DAT": rows.tobytes(), "W.FMT": fmt, "W.LBL": lbl}, "W.LBL")
    assert texts(t, "//p:Table_Binary/p:name") == ["WBR_ROW_PREFIX_TABLE+TIME_SERIES"]
    assert texts(t, "//p:Table_Binary/p:Record_Binary/p:record_length") == ["16"]
    assert texts(t, "//p:Table_Binary//p:Field_Binary/p:field_location") == ["1", "5", "7", "1"]
    assert texts(t, "//p:Group_Field_Binary/p:group_location") == ["9"]
    assert any("describe the same records" in n for n in r.notes)
    s = pds4_read(r.pds4_label)["WBR_ROW_PREFIX_TABLE+TIME_SERIES"]
    assert np.asarray(s["SCLK_SECOND"]).tolist() == [100, 200, 300]
    assert np.asarray(s["WAVEFORM_SAMPLES"]).tolist() == rows["S"].tolist()


def test_overlapping_tables_are_still_refused(tmp_path, ctx_file):
    """Two tables over the same records whose columns overlap cannot be one PDS4 table:
    refused (validation names the overlap), nothing written."""
    rows = np.zeros(2, dtype=[("A", ">i4")])
    one = col("A", "MSB_INTEGER", 1, 4)
    lbl = ident("OV_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 4
FILE_RECORDS = 2
^T1_TABLE = ("O.DAT", 1)
^T2_TABLE = ("O.DAT", 1)
OBJECT = T1_TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 2
  ROW_BYTES = 4
  COLUMNS = 1
{one}END_OBJECT = T1_TABLE
OBJECT = T2_TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 2
  ROW_BYTES = 4
  COLUMNS = 1
{one}END_OBJECT = T2_TABLE
END
"""
    r = product(tmp_path, ctx_file, {"O.DAT": rows.tobytes(), "O.LBL": lbl}, "O.LBL")
    assert r.status == "failed"
    assert "overlaps" in r.reason and "O.DAT" in r.reason
    assert not list((tmp_path / "out").glob("*.xml"))


def test_ascii_row_bytes_without_the_line_end(tmp_path, ctx_file):
    """A frequent label error (seen across PDS3 volumes, which pdr also works around):
    ROW_BYTES counts only the values, RECORD_BYTES includes the CR LF. Read with a
    warning as records of ROW_BYTES + 2; before, rows 2.. were read shifted by 2 bytes."""
    recs = ["  1.0  2", "  3.5 14", " -7.2  0"]
    lbl = table_label("RB_1", col("X", "ASCII_REAL", 1, 5) + col("N", "ASCII_INTEGER", 6, 3), file="W.TAB", rows=3,
                      row_bytes=8, record_bytes=10, fmt="ASCII")
    files = {"W.TAB": "".join(x + "\r\n" for x in recs), "W.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "W.LBL")
    prod = pdsgen.open(tmp_path / "in" / "W.LBL")
    assert prod.objects[0].data["N"].tolist() == [2, 14, 0]
    assert any(w.code == "row_bytes_without_line_end" for w in prod.objects[0].warnings)
    assert texts(t, "//p:Record_Character/p:record_length") == ["10"]
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Real", "ASCII_Integer"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["X"]).tolist() == [1.0, 3.5, -7.2]


@pytest.mark.parametrize("row_bytes", [9, 7])
def test_last_column_without_bytes(tmp_path, ctx_file, row_bytes):
    """Older hand-written labels leave BYTES off the last COLUMN: it runs to the CR LF,
    also when ROW_BYTES leaves the CR LF out (7 of the 9 bytes of each record)."""
    lbl = table_label("NB_1", col("N", "ASCII_INTEGER", 1, 3) + col("S", "CHARACTER", 5, None), file="N.TAB",
                      rows=2, row_bytes=row_bytes, record_bytes=9, fmt="ASCII")
    r, t = migrated(tmp_path, ctx_file, {"N.TAB": "  1 abc\r\n  2 xyz\r\n", "N.LBL": lbl}, "N.LBL")
    assert texts(t, "//p:Field_Character/p:field_length") == ["3", "3"]
    assert [str(x) for x in np.asarray(pds4_read(r.pds4_label)["TABLE"]["S"])] == ["abc", "xyz"]


def test_psa_structure_fmt_container_repetitions_and_data_set_id_set(tmp_path, ctx_file):
    """ESA PSA (Rosetta, Mars Express) style: DATA_SET_ID a set of two, a namespaced
    mission keyword, the TABLE's columns in a ^STRUCTURE .FMT holding a CONTAINER with
    REPETITIONS, UNIT spellings "SECOND" / "NANOTESLA"."""
    rows = np.zeros(2, dtype=[("T", ">u4"), ("G", [("A", ">i2"), ("B", ">f4")], (3,))])
    rows["T"] = [10, 20]
    rows["G"]["A"] = [[1, 2, 3], [4, 5, 6]]
    rows["G"]["B"] = [[.5, 1.5, 2.5], [3.5, 4.5, 5.5]]
    fmt = (col("TIME", "MSB_UNSIGNED_INTEGER", 1, 4, '    UNIT = "SECOND"\n')
           + "OBJECT = CONTAINER\n  NAME = SAMPLE_GROUP\n  START_BYTE = 5\n  BYTES = 6\n  REPETITIONS = 3\n"
           + col("A", "MSB_INTEGER", 1, 2) + col("B", "IEEE_REAL", 3, 4, '    UNIT = "NANOTESLA"\n')
           + "END_OBJECT = CONTAINER\n")
    head = ident("ROS_1").replace('DATA_SET_ID = "TSC-M-CAM-2-EDR-V1.0"',
                                  'DATA_SET_ID = {"TSC-M-CAM-2-EDR-V1.0", "TSC-M-CAM-3-RDR-V1.0"}')
    lbl = head + """ROSETTA:PIPELINE_VERSION = "1.2"
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 22
FILE_RECORDS = 2
^TABLE = "S.DAT"
OBJECT = TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 2
  ROW_BYTES = 22
  COLUMNS = 2
  ^STRUCTURE = "S.FMT"
END_OBJECT = TABLE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"S.DAT": rows.tobytes(), "S.FMT": fmt, "S.LBL": lbl}, "S.LBL")
    assert texts(t, "//p:Group_Field_Binary/p:repetitions") == ["3"]
    assert texts(t, "//p:Group_Field_Binary/p:group_length") == ["18"]
    assert "TSC-M-CAM-3-RDR-V1.0" in " ".join(texts(t, "//p:External_Reference/p:reference_text"))
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["B"]).tolist() == rows["G"]["B"].tolist()


def test_quoted_strings_in_a_fixed_width_ascii_table(tmp_path, ctx_file):
    """PDS Geosciences / LRO index style: comma-separated fixed-width ASCII rows with
    quoted strings (START_BYTE inside the quotes)."""
    recs = ['"A1 ",  1.50,  12', '"B22", -2.25, 345', '"C  ",100.00,   6']
    cols = (col("NAME", "CHARACTER", 2, 3) + col("X", "ASCII_REAL", 7, 6, '    FORMAT = "F6.2"\n    UNIT = "KM"\n')
            + col("N", "ASCII_INTEGER", 14, 4, '    FORMAT = "I4"\n'))
    lbl = table_label("Q_1", cols, file="Q.TAB", rows=3, row_bytes=19, fmt="ASCII")
    r, t = migrated(tmp_path, ctx_file, {"Q.TAB": "".join(x + "\r\n" for x in recs), "Q.LBL": lbl}, "Q.LBL")
    assert texts(t, "//p:Field_Character/p:field_location") == ["2", "7", "14"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert [str(x).strip() for x in np.asarray(s["NAME"])] == ["A1", "B22", "C"]
    assert np.asarray(s["X"]).tolist() == [1.5, -2.25, 100.0]


def test_lf_only_stream_table_without_file_records(tmp_path, ctx_file):
    """RECORD_TYPE = STREAM, LF-only lines, no FILE_RECORDS / RECORD_BYTES (derived tables
    of LRO/Juno-era archives), a TIME column and UNIT "NT"."""
    recs = ["2010-01-01T00:00:00.000,  1.25", "2010-01-01T00:01:00.000, -2.50"]
    lbl = table_label("S_1", col("UTC", "TIME", 1, 23) + col("V", "ASCII_REAL", 25, 6, '    UNIT = "NT"\n'),
                      file="S.TAB", rows=2, row_bytes=31, fmt="ASCII", stream=True)
    r, t = migrated(tmp_path, ctx_file, {"S.TAB": "".join(x + "\n" for x in recs), "S.LBL": lbl}, "S.LBL")
    assert texts(t, "//p:Record_Character/../p:record_delimiter") == ["Line-Feed"]
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Date_Time_YMD", "ASCII_Real"]
    assert np.asarray(pds4_read(r.pds4_label)["TABLE"]["V"]).tolist() == [1.25, -2.5]


def test_binary_table_bare_integer_types_and_na_spare(tmp_path, ctx_file):
    """MGS / Viking-era binary tables: DATA_TYPE UNSIGNED_INTEGER and INTEGER without a byte
    order (MSB), a SPARE column of DATA_TYPE "N/A"."""
    rows = np.zeros(2, dtype=[("A", ">u2"), ("SP", "S2"), ("B", ">i4")])
    rows["A"], rows["SP"], rows["B"] = [1, 65535], b"  ", [-1, 7]
    lbl = table_label("B_1", col("A", "UNSIGNED_INTEGER", 1, 2) + col("SPARE", '"N/A"', 3, 2)
                      + col("B", "INTEGER", 5, 4), file="B.DAT", rows=2, row_bytes=8)
    r, t = migrated(tmp_path, ctx_file, {"B.DAT": rows.tobytes(), "B.LBL": lbl}, "B.LBL")
    assert texts(t, "//p:Field_Binary/p:data_type") == ["UnsignedMSB2", "ASCII_String", "SignedMSB4"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["A"]).tolist() == [1, 65535]
    assert np.asarray(s["B"]).tolist() == [-1, 7]


def test_lola_style_items_with_item_offset_and_pc_real_scaling(tmp_path, ctx_file):
    """LRO LOLA / Cassini binary tables: ^TABLE = ("FILE", 1), ITEMS/ITEM_BYTES/ITEM_OFFSET,
    PC_REAL with SCALING_FACTOR and OFFSET, UNIT = COUNTS (kept as written)."""
    rows = np.zeros(2, dtype=[("C", "<u2", (4,)), ("D", "<f8")])
    rows["C"], rows["D"] = [[1, 2, 3, 4], [5, 6, 7, 8]], [1e10, -2.0]
    cols = (col("COUNTS", "LSB_UNSIGNED_INTEGER", 1, 8, "    ITEMS = 4\n    ITEM_BYTES = 2\n    ITEM_OFFSET = 2\n")
            + col("D", "PC_REAL", 9, 8, '    UNIT = "METERS"\n    SCALING_FACTOR = 0.5\n    OFFSET = 1.0\n'))
    lbl = table_label("L_1", cols, file="L.DAT", rows=2, row_bytes=16, pointer='("L.DAT", 1)')
    r, t = migrated(tmp_path, ctx_file, {"L.DAT": rows.tobytes(), "L.LBL": lbl}, "L.LBL")
    assert texts(t, "//p:Field_Binary/p:data_type") == ["UnsignedLSB2", "IEEE754LSBDouble"]
    assert texts(t, "//p:Field_Binary/p:unit") == ["m"]
    assert texts(t, "//p:Field_Binary/p:scaling_factor") == ["0.5"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["COUNTS"]).tolist() == rows["C"].tolist()


def test_two_file_objects_in_one_label(tmp_path, ctx_file):
    """MGS / Galileo volume style: two OBJECT = FILE blocks, each with its own RECORD_BYTES
    and table: one File_Area_Observational per file."""
    b = "  1.5\r\n  2.5\r\n"
    lbl = ident("F_1") + """OBJECT = FILE
  FILE_NAME = "A.DAT"
  RECORD_TYPE = FIXED_LENGTH
  RECORD_BYTES = 2
  FILE_RECORDS = 3
  ^TABLE = "A.DAT"
  OBJECT = TABLE
    INTERCHANGE_FORMAT = BINARY
    ROWS = 3
    ROW_BYTES = 2
    COLUMNS = 1
""" + col("A", "MSB_INTEGER", 1, 2) + """  END_OBJECT = TABLE
END_OBJECT = FILE
OBJECT = FILE
  FILE_NAME = "B.TAB"
  RECORD_TYPE = FIXED_LENGTH
  RECORD_BYTES = 7
  FILE_RECORDS = 2
  ^B_TABLE = "B.TAB"
  OBJECT = B_TABLE
    INTERCHANGE_FORMAT = ASCII
    ROWS = 2
    ROW_BYTES = 7
    COLUMNS = 1
""" + col("B", "ASCII_REAL", 1, 5) + "  END_OBJECT = B_TABLE\nEND_OBJECT = FILE\nEND\n"
    files = {"A.DAT": np.array([1, 2, 3], ">i2").tobytes(), "B.TAB": b, "F.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "F.LBL")
    assert texts(t, "//p:File_Area_Observational/p:File/p:file_name") == ["A.DAT", "B.TAB"]
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["TABLE"]["A"]).tolist() == [1, 2, 3]
    assert np.asarray(s["B_TABLE"]["B"]).tolist() == [1.5, 2.5]


def test_column_past_the_row_is_refused_naming_it(tmp_path, ctx_file):
    """A label error (a COLUMN placed past ROW_BYTES): refused, naming file, object, field."""
    lbl = table_label("PB_1", col("A", "MSB_INTEGER", 3, 4), file="P.DAT", rows=2, row_bytes=4)
    r = product(tmp_path, ctx_file, {"P.DAT": np.array([5, 6], ">i4").tobytes(), "P.LBL": lbl}, "P.LBL")
    assert r.status == "failed"
    assert "P.DAT" in r.reason and "'TABLE'" in r.reason and "'A'" in r.reason and "beyond the record" in r.reason


# --------------------------------------------------------------------------- images


def test_ctx_style_attached_unsigned_integer_image(tmp_path, ctx_file):
    """MGS MOC / MRO CTX / JunoCam style: attached label (LABEL_RECORDS, ^IMAGE = record),
    SAMPLE_TYPE UNSIGNED_INTEGER 8 bits, SAMPLE_BIT_MASK 2#11111111#, CHECKSUM."""
    rb = 16
    img = (np.arange(4 * 16) * 5 % 256).astype("u1").reshape(4, 16)

    def label(lr: int) -> str:
        return ident("CTX_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {lr + 4}
LABEL_RECORDS = {lr}
^IMAGE = {lr + 1}
OBJECT = IMAGE
  LINES = 4
  LINE_SAMPLES = 16
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
  SAMPLE_BIT_MASK = 2#11111111#
  CHECKSUM = {int(img.sum())}
END_OBJECT = IMAGE
END
"""
    data = attached(label, rb)
    r, t = migrated(tmp_path, ctx_file, {"C.IMG": data + img.tobytes()}, "C.IMG")
    assert texts(t, "//p:Array_2D_Image/p:offset") == [str(len(data))]
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:data_type") == ["UnsignedByte"]
    assert np.array_equal(np.asarray(pds4_read(r.pds4_label)["IMAGE"].data), img)


def test_m3_style_line_interleaved_pc_real_and_file_name_case(tmp_path, ctx_file):
    """Chandrayaan-1 M3 L1B style: detached label naming "R.IMG" for the file r.img on disk,
    a named image object (RDN_IMAGE) of PC_REAL bands, BAND_STORAGE_TYPE LINE_INTERLEAVED."""
    img = np.arange(2 * 3 * 4, dtype="<f4").reshape(2, 3, 4) / 8  # line, band, sample as stored
    lbl = ident("M3_2") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 16
FILE_RECORDS = 6
^RDN_IMAGE = "R.IMG"
OBJECT = RDN_IMAGE
  LINES = 2
  LINE_SAMPLES = 4
  BANDS = 3
  BAND_STORAGE_TYPE = LINE_INTERLEAVED
  SAMPLE_TYPE = PC_REAL
  SAMPLE_BITS = 32
  UNIT = "W/(m^2 um sr)"
END_OBJECT = RDN_IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"r.img": img.tobytes(), "R.LBL": lbl}, "R.LBL")
    assert texts(t, "//p:File/p:file_name") == ["r.img"]
    assert texts(t, "//p:Array_3D_Image/p:Element_Array/p:data_type") == ["IEEE754LSBSingle"]
    assert texts(t, "//p:Array_3D_Image/p:Element_Array/p:unit") == ["W*m**-2*sr**-1*um**-1"]
    assert np.asarray(pds4_read(r.pds4_label)["RDN_IMAGE"].data).tolist() == img.tolist()


def test_new_horizons_style_fits_header_and_real_image_by_record(tmp_path, ctx_file):
    """New Horizons LORRI / Dawn FC style: a FITS file in 2880-byte records, ^HEADER and
    ^IMAGE by record number, IEEE_REAL 32-bit image."""
    hdr = "".join(c.ljust(80) for c in ["SIMPLE  =                    T", "BITPIX  =                  -32",
                                         "NAXIS   =                    2", "END"]).ljust(2880)
    img = ((np.arange(12).reshape(3, 4) - 3) / 2).astype(">f4")
    lbl = ident("LOR_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2880
FILE_RECORDS = 2
^HEADER = ("LOR.FIT", 1)
^IMAGE = ("LOR.FIT", 2)
OBJECT = HEADER
  HEADER_TYPE = FITS
  INTERCHANGE_FORMAT = BINARY
  RECORDS = 1
  BYTES = 2880
END_OBJECT = HEADER
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = IEEE_REAL
  SAMPLE_BITS = 32
  LINE_DISPLAY_DIRECTION = UP
END_OBJECT = IMAGE
END
"""
    files = {"LOR.FIT": hdr.encode() + img.tobytes().ljust(2880, b"\0"), "LOR.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "LOR.LBL")
    assert texts(t, "//p:Header/p:parsing_standard_id") == ["FITS 3.0"]
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["2880"]
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_phoenix_style_vicar_header_and_image_by_byte(tmp_path, ctx_file):
    """Phoenix SSI / MSL / Galileo SSI style: ^IMAGE_HEADER (HEADER_TYPE VICAR2) and ^IMAGE
    by <BYTES> in one file, equal INVALID_CONSTANT and MISSING_CONSTANT."""
    vic = b"LBLSIZE=64              FORMAT='HALF'  TYPE='IMAGE'".ljust(64)
    img = (np.arange(2 * 3).reshape(2, 3) * 100).astype(">i2")
    lbl = ident("PHX_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 6
FILE_RECORDS = 13
^IMAGE_HEADER = ("I.IMG", 1 <BYTES>)
^IMAGE = ("I.IMG", 65 <BYTES>)
OBJECT = IMAGE_HEADER
  HEADER_TYPE = VICAR2
  INTERCHANGE_FORMAT = ASCII
  BYTES = 64
END_OBJECT = IMAGE_HEADER
OBJECT = IMAGE
  INTERCHANGE_FORMAT = BINARY
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  BANDS = 1
  BAND_STORAGE_TYPE = BAND_SEQUENTIAL
  FIRST_LINE = 1
  INVALID_CONSTANT = 0
  MISSING_CONSTANT = 0
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"I.IMG": vic + img.tobytes(), "I.LBL": lbl}, "I.LBL")
    assert texts(t, "//p:Header/p:parsing_standard_id") == ["VICAR2"]
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["64"]
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_voyager_style_histogram_item_type_item_bits(tmp_path, ctx_file):
    """Voyager / Viking EDR style: IMAGE_HISTOGRAM with ITEM_TYPE VAX_INTEGER and ITEM_BITS
    (no DATA_TYPE / ITEM_BYTES) before the IMAGE. Before: not read ("DATA_TYPE is missing")."""
    hist = np.arange(8, dtype="<i4") * 3
    img = np.arange(16, dtype="u1").reshape(4, 4)
    lbl = ident("VG_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 4
FILE_RECORDS = 12
^IMAGE_HISTOGRAM = ("V.IMG", 1)
^IMAGE = ("V.IMG", 9)
OBJECT = IMAGE_HISTOGRAM
  ITEMS = 8
  ITEM_TYPE = VAX_INTEGER
  ITEM_BITS = 32
END_OBJECT = IMAGE_HISTOGRAM
OBJECT = IMAGE
  LINES = 4
  LINE_SAMPLES = 4
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"V.IMG": hist.tobytes() + img.tobytes(), "V.LBL": lbl}, "V.LBL")
    assert texts(t, "//p:Array_1D/p:Element_Array/p:data_type") == ["SignedLSB4"]
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["IMAGE_HISTOGRAM"].data).tolist() == hist.tolist()
    assert np.asarray(s["IMAGE"].data).tolist() == img.tolist()


def test_hirise_style_compressed_and_uncompressed_file_objects(tmp_path, ctx_file):
    """HiRISE RDR / MOC style: OBJECT = COMPRESSED_FILE (a JP2, no pointer) and OBJECT =
    UNCOMPRESSED_FILE holding ^IMAGE (16-bit, SAMPLE_BIT_MASK of 10 bits, SCALING_FACTOR,
    CORE_NULL). Before: "describes no data object" (only OBJECT = FILE blocks were read)."""
    img = (np.arange(12).reshape(3, 4) * 50).astype(">u2")
    lbl = ident("HI_1") + """OBJECT = COMPRESSED_FILE
  FILE_NAME = "H.JP2"
  RECORD_TYPE = UNDEFINED
  ENCODING_TYPE = "JP2"
  INTERCHANGE_FORMAT = BINARY
  UNCOMPRESSED_FILE_NAME = "H.IMG"
  REQUIRED_STORAGE_BYTES = 24
END_OBJECT = COMPRESSED_FILE
OBJECT = UNCOMPRESSED_FILE
  FILE_NAME = "H.IMG"
  RECORD_TYPE = FIXED_LENGTH
  RECORD_BYTES = 8
  FILE_RECORDS = 3
  ^IMAGE = "H.IMG"
  OBJECT = IMAGE
    LINES = 3
    LINE_SAMPLES = 4
    SAMPLE_TYPE = MSB_UNSIGNED_INTEGER
    SAMPLE_BITS = 16
    SAMPLE_BIT_MASK = 2#0000001111111111#
    SCALING_FACTOR = 0.0001
    OFFSET = 0.0
    CORE_NULL = 0
  END_OBJECT = IMAGE
END_OBJECT = UNCOMPRESSED_FILE
END
"""
    jp2 = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\0" * 12
    r, t = migrated(tmp_path, ctx_file, {"H.JP2": jp2, "H.IMG": img.tobytes(), "H.LBL": lbl}, "H.LBL")
    assert texts(t, "//p:File/p:file_name") == ["H.IMG"]
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:scaling_factor") == ["0.0001"]
    assert np.allclose(np.asarray(pds4_read(r.pds4_label)["IMAGE"].data), img * 0.0001, rtol=1e-12, atol=0)


def test_hrsc_style_lsb_image_with_saturation_constants(tmp_path, ctx_file):
    """Mars Express HRSC / LROC style: LSB_INTEGER 16-bit, SAMPLE_BIT_MASK 16#FFFF#, the four
    saturation constants, VALID_MINIMUM/MAXIMUM (not carried: validate would check every
    value against them), UNIT "N/A"."""
    img = (np.arange(12).reshape(3, 4) * 100 - 300).astype("<i2")
    lbl = ident("HR_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 8
FILE_RECORDS = 3
^IMAGE = "L.IMG"
OBJECT = IMAGE
  INTERCHANGE_FORMAT = BINARY
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = LSB_INTEGER
  SAMPLE_BITS = 16
  SAMPLE_BIT_MASK = 16#FFFF#
  SCALING_FACTOR = 1.0E-04
  OFFSET = 0.0
  VALID_MINIMUM = -32752
  VALID_MAXIMUM = 32767
  LOW_REPR_SATURATION = -32767
  LOW_INSTR_SATURATION = -32766
  HIGH_REPR_SATURATION = -32764
  HIGH_INSTR_SATURATION = -32765
  UNIT = "N/A"
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"L.IMG": img.tobytes(), "L.LBL": lbl}, "L.LBL")
    sc = "//p:Array_2D_Image/p:Special_Constants/p:"
    assert texts(t, sc + "low_representation_saturation") == ["-32767"]
    assert texts(t, sc + "high_representation_saturation") == ["-32764"]
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:unit") == []
    assert np.allclose(np.ma.getdata(pds4_read(r.pds4_label)["IMAGE"].data), img * 1e-4, rtol=1e-12, atol=0)


def test_msl_style_vicar_header_without_bytes_ends_at_the_image(tmp_path, ctx_file):
    """MSL / MER EDR style: GROUP blocks and namespaced keywords in the label, an
    ^IMAGE_HEADER (VICAR2) with neither BYTES nor RECORDS, the IMAGE right after it.
    The header ends where the image starts (before: the PDS3 reader read it to the end of
    the file and the read-back refused the product: "bytes of 38 vs 32")."""
    vic = b"LBLSIZE=32 FORMAT='BYTE'".ljust(32)
    img = np.arange(6, dtype="u1").reshape(2, 3)
    lbl = ident("MSL_1") + """MSL:LOCAL_MEAN_SOLAR_TIME = "Sol-00100M12:00:00"
GROUP = IDENTIFICATION
  SOFTWARE_NAME = "X"
END_GROUP = IDENTIFICATION
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 3
^IMAGE_HEADER = ("M.IMG", 1 <BYTES>)
^IMAGE = ("M.IMG", 33 <BYTES>)
OBJECT = IMAGE_HEADER
  HEADER_TYPE = VICAR2
  INTERCHANGE_FORMAT = ASCII
END_OBJECT = IMAGE_HEADER
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"M.IMG": vic + img.tobytes(), "M.LBL": lbl}, "M.LBL")
    assert pdsgen.open(tmp_path / "in" / "M.LBL").objects[0].data == vic
    assert texts(t, "//p:Header/p:object_length") == ["32"]
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_image_and_thumbnail_in_one_file(tmp_path, ctx_file):
    """MER/MSL browse style: ^IMAGE and ^THUMBNAIL_IMAGE by <BYTES> in one file,
    RECORD_TYPE = UNDEFINED: two Array_2D_Image in one File_Area."""
    a = np.arange(6, dtype="u1").reshape(2, 3)
    b = np.arange(4, dtype="u1").reshape(2, 2) + 100
    lbl = ident("TI_1") + """RECORD_TYPE = UNDEFINED
^IMAGE = ("T.IMG", 1 <BYTES>)
^THUMBNAIL_IMAGE = ("T.IMG", 7 <BYTES>)
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = IMAGE
OBJECT = THUMBNAIL_IMAGE
  LINES = 2
  LINE_SAMPLES = 2
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = THUMBNAIL_IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"T.IMG": a.tobytes() + b.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["0", "6"]
    assert np.asarray(pds4_read(r.pds4_label)["THUMBNAIL_IMAGE"].data).tolist() == b.tolist()


def ascii_product(pid: str, recs: list[str], cols: str) -> tuple[dict[str, bytes | str], str]:
    files: dict[str, bytes | str] = {"A.TAB": "".join(x + "\r\n" for x in recs)}
    files["A.LBL"] = table_label(pid, cols, file="A.TAB", rows=len(recs), row_bytes=len(recs[0]) + 2, fmt="ASCII")
    return files, "A.LBL"


def test_time_column_with_a_blank_separator_is_text(tmp_path, ctx_file):
    """Ground-data / older mission tables: a TIME column written ``2004-01-01 12:00:00``
    (blank instead of T), which no PDS4 date type takes (before: refused by validation):
    ASCII_String with the same text, a note; a DATE column of day-of-year dates next to
    it stays ASCII_Date_DOY."""
    files, lbl = ascii_product("TS_1", ["2004-01-01 12:00:00,2004-001", "2004-01-02 13:00:00,2004-002"],
                               col("T", "TIME", 1, 19) + col("D", "DATE", 21, 8))
    r, t = migrated(tmp_path, ctx_file, files, lbl)
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_String", "ASCII_Date_DOY"]
    assert any("no PDS4 date type takes (e.g. '2004-01-01 12:00:00')" in n for n in r.notes)
    assert [str(x) for x in np.asarray(pds4_read(r.pds4_label)["TABLE"]["T"])] == \
        ["2004-01-01 12:00:00", "2004-01-02 13:00:00"]


def test_time_columns_mixing_forms_or_holding_unk_are_text(tmp_path, ctx_file):
    """A TIME column holding both ``2004-01-01T…`` and ``2004-002T…`` (before: refused, no
    single PDS4 date type), and an index-table TIME column holding ``UNK`` (before: refused
    the same way): ASCII_String, a note naming a value unlike the others."""
    files, lbl = ascii_product("TM_1", ["2004-01-01T12:00:00,2004-01-01T12:00:00",
                                        "2004-01-02T12:00:00,2004-002T13:00:00  ",
                                        "UNK                ,2004-01-03T12:00:00"],
                               col("START_TIME", "TIME", 1, 19) + col("T", "TIME", 21, 19))
    r, t = migrated(tmp_path, ctx_file, files, lbl)
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_String", "ASCII_String"]
    assert any("field 'START_TIME': date/time values that no PDS4 date type takes (e.g. 'UNK')" in n
               for n in r.notes)
    assert any("field 'T': date/time values that no PDS4 date type takes (e.g. '2004-002T13:00:00')" in n
               for n in r.notes)


@pytest.mark.parametrize("recs,reason", [
    # Fortran D exponents: the PDS3 reader reads them; PDS4 ASCII_Real has no D form. A
    # scalar column is described as ASCII_String (test_migrate_realworld2.py); the cells of
    # an ITEMS column are not at hand to the mapping, so validation refuses it
    ([" 1.000D+05,-2.500D-01,", " 3.000D+00, 4.000D+00,"], "'1.000D+05' is not a valid ASCII_Real"),
])
def test_numeric_text_pds4_cannot_hold_is_refused(tmp_path, ctx_file, recs, reason):
    """Values of an ASCII_REAL column that PDS4 ASCII_Real (or its reference reader) does
    not take: refused with the field and the value named, nothing written."""
    files, lbl = ascii_product("NR_1", recs, col("X", "ASCII_REAL", 1, len(recs[0]),
                                                  "    ITEMS = 2\n    ITEM_BYTES = 10\n    ITEM_OFFSET = 11\n"))
    r = product(tmp_path, ctx_file, files, lbl)
    assert r.status == "failed" and reason in r.reason
    assert not list((tmp_path / "out").glob("*.xml"))


def test_index_table_numeric_columns_holding_blank_na_unk_are_text(tmp_path, ctx_file):
    """PDS3 index tables: an ASCII_REAL column holding blanks and ``N/A`` (beside a
    MISSING_CONSTANT -999 that stays a number) and an ASCII_INTEGER column holding ``UNK``
    (before: refused, pds4_tools "Unable to convert field"). pds4_tools converts every cell
    of a numeric Table_Character field before matching special constants, so they are
    described as ASCII_String (same text, a note); the PDS3 reading's numbers equal the
    text read as numbers, its masked values are the non-numbers. A clean numeric column
    beside them stays ASCII_Real."""
    recs = ["  1.5,  3, 2.25", "     ,  4, 0.5 ", "  N/A,UNK,-1.0 ", " -999,  7, 8.0 "]
    files, lbl = ascii_product("IX_1", recs, col("X", "ASCII_REAL", 1, 5, "    MISSING_CONSTANT = -999\n")
                               + col("N", "ASCII_INTEGER", 7, 3) + col("Y", "ASCII_REAL", 11, 5))
    r, t = migrated(tmp_path, ctx_file, files, lbl)
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_String", "ASCII_String", "ASCII_Real"]
    assert texts(t, "//p:Field_Character[p:name='X']//p:missing_constant") == ["-999"]
    assert any("field 'X': ASCII_Real values that are not numbers ('  N/A')" in n for n in r.notes)
    assert any("field 'N': ASCII_Integer values that are not numbers ('UNK')" in n for n in r.notes)
    table = pds4_read(r.pds4_label)["TABLE"]
    assert [str(x).strip() for x in np.asarray(table["X"])] == ["1.5", "", "N/A", "-999"]
    assert [str(x).strip() for x in np.asarray(table["N"])] == ["3", "4", "UNK", "7"]
    assert np.asarray(table["Y"]).tolist() == [2.25, 0.5, -1.0, 8.0]
    pds3 = pdsgen.open(tmp_path / "in" / lbl)["TABLE"].data
    assert np.ma.getmaskarray(pds3["X"]).tolist() == [False, True, True, False]
    assert np.ma.getdata(pds3["X"])[[0, 3]].tolist() == [1.5, -999.0]


def test_vims_style_spectral_qube_with_qube_pointer_structure_file_and_suffixes(tmp_path, ctx_file):
    """Cassini VIMS style: ``OBJECT = SPECTRAL_QUBE`` located by ``^QUBE`` (no pointer of the
    object's own name), the core keywords in a ^STRUCTURE file, BIL axes (SAMPLE, BAND,
    LINE) with a sideplane (SAMPLE_SUFFIX, 4-byte integers) and a bottomplane
    (BAND_SUFFIX, 4-byte reals). Before: "describes no data object" (the object had no
    pointer)."""
    s_, b_, l_ = 3, 2, 2
    core = (np.arange(l_ * b_ * s_).reshape(l_, b_, s_) * 10 - 20).astype(">i2")
    side = (np.arange(l_ * b_).reshape(l_, b_) + 1000).astype(">i4")
    bottom = (np.arange(l_ * s_).reshape(l_, s_) / 4).astype(">f4")
    raw = b"".join(b"".join(core[ln, b].tobytes() + side[ln, b:b + 1].tobytes() for b in range(b_))
                   + bottom[ln].tobytes() + b"\0" * 4 for ln in range(l_))
    fmt = ("CORE_ITEM_BYTES = 2\nCORE_ITEM_TYPE = SUN_INTEGER\nCORE_BASE = 0.0\nCORE_MULTIPLIER = 1.0\n"
           "CORE_NULL = -8192\nCORE_NAME = RAW_DATA_NUMBER\nCORE_UNIT = DIMENSIONLESS\n")
    lbl = ident("VIMS_2") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {len(raw) // l_}
FILE_RECORDS = {l_}
^QUBE = ("V.QUB", 1)
OBJECT = SPECTRAL_QUBE
  AXES = 3
  AXIS_NAME = (SAMPLE, BAND, LINE)
  CORE_ITEMS = ({s_}, {b_}, {l_})
  ^STRUCTURE = "core_description.fmt"
  SUFFIX_BYTES = 4
  SUFFIX_ITEMS = (1, 1, 0)
  SAMPLE_SUFFIX_NAME = BACKGROUND
  SAMPLE_SUFFIX_ITEM_BYTES = 4
  SAMPLE_SUFFIX_ITEM_TYPE = SUN_INTEGER
  BAND_SUFFIX_NAME = X
  BAND_SUFFIX_ITEM_BYTES = 4
  BAND_SUFFIX_ITEM_TYPE = SUN_REAL
  BAND_BIN_CENTER = (0.35, 0.36)
END_OBJECT = SPECTRAL_QUBE
END
"""
    files = {"V.QUB": raw, "core_description.fmt": fmt, "V.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "V.LBL")
    prod = pdsgen.open(tmp_path / "in" / "V.LBL")
    assert any(w.code == "pointer_name_mismatch" for w in prod.objects[0].warnings)
    assert texts(t, "//p:Table_Binary/p:name") == ["SPECTRAL_QUBE"]
    s = pds4_read(r.pds4_label)["SPECTRAL_QUBE"]
    assert np.asarray(s["CORE"]).reshape(-1).tolist() == core.reshape(-1).tolist()
    assert np.asarray(s["SAMPLE_SUFFIX"]).reshape(-1).tolist() == side.reshape(-1).tolist()
    assert np.asarray(s["BAND_SUFFIX"]).reshape(-1).tolist() == bottom.reshape(-1).tolist()


def test_two_table_pointers_of_one_name(tmp_path, ctx_file):
    """Labels that repeat ``^TABLE`` (one per file) with two ``OBJECT = TABLE`` (against the
    standard, seen in practice): the second PDS4 table is named TABLE_2, a note; before,
    the read-back paired both with one table ("2 vs 3 records")."""
    one = col("A", "MSB_INTEGER", 1, 2)
    lbl = ident("RT_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2
^TABLE = "A.DAT"
^TABLE = "B.DAT"
OBJECT = TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 2
  ROW_BYTES = 2
  COLUMNS = 1
{one}END_OBJECT = TABLE
OBJECT = TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 3
  ROW_BYTES = 2
  COLUMNS = 1
{one}END_OBJECT = TABLE
END
"""
    files = {"A.DAT": np.array([1, 2], ">i2").tobytes(), "B.DAT": np.array([3, 4, 5], ">i2").tobytes(), "R.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "R.LBL")
    assert texts(t, "//p:Table_Binary/p:name") == ["TABLE", "TABLE_2"]
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["TABLE"]["A"]).tolist() == [1, 2]
    assert np.asarray(s["TABLE_2"]["A"]).tolist() == [3, 4, 5]


def test_galileo_ssi_style_headers_telemetry_table_and_prefixed_image(tmp_path, ctx_file):
    """Galileo SSI REDR style: BAD_DATA_VALUES_HEADER (binary, no HEADER_TYPE), a VICAR2
    IMAGE_HEADER, a TELEMETRY_TABLE and an IMAGE with LINE_PREFIX_BYTES, all in one file
    by <BYTES> pointers: Headers, a Table_Binary, and the image as a table of lines."""
    bdv = b"\x00\x01" * 8
    vic = b"LBLSIZE=32".ljust(32)
    tel = np.array([(7, 1.5)], dtype=[("A", ">i4"), ("B", ">f4")]).tobytes()
    img = np.arange(8, dtype="u1").reshape(2, 4)
    data = bdv + vic + tel + b"".join(b"PFX" + line.tobytes() for line in img)
    lbl = ident("GLL_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 7
^BAD_DATA_VALUES_HEADER = ("G.IMG", 1 <BYTES>)
^IMAGE_HEADER = ("G.IMG", 17 <BYTES>)
^TELEMETRY_TABLE = ("G.IMG", 49 <BYTES>)
^IMAGE = ("G.IMG", 57 <BYTES>)
OBJECT = BAD_DATA_VALUES_HEADER
  BYTES = 16
  INTERCHANGE_FORMAT = BINARY
END_OBJECT = BAD_DATA_VALUES_HEADER
OBJECT = IMAGE_HEADER
  BYTES = 32
  HEADER_TYPE = VICAR2
  INTERCHANGE_FORMAT = ASCII
END_OBJECT = IMAGE_HEADER
OBJECT = TELEMETRY_TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 1
  ROW_BYTES = 8
  COLUMNS = 2
""" + col("A", "MSB_INTEGER", 1, 4) + col("B", "IEEE_REAL", 5, 4) + """END_OBJECT = TELEMETRY_TABLE
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 4
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
  LINE_PREFIX_BYTES = 3
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"G.IMG": data, "G.LBL": lbl}, "G.LBL")
    assert texts(t, "//p:Header/p:offset") == ["0", "16"]
    assert texts(t, "//p:Table_Binary/p:offset") == ["48", "56"]
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["TELEMETRY_TABLE"]["B"]).tolist() == [1.5]
    assert np.asarray(s["IMAGE"]["SAMPLE"]).tolist() == img.tolist()


def test_hand_written_label_in_lower_case(tmp_path, ctx_file):
    """Hand-written labels (small ground-based and lab data sets) with lower-case keywords,
    object names and pointers, and a lower-case ^structure file: ODL keywords are
    case-insensitive. Before: "ROWS is missing"."""
    fmt = ("object = column\n  name = a\n  data_type = msb_integer\n  start_byte = 1\n  bytes = 4\n"
           "  unit = \"km\"\nend_object = column\n")
    lbl = ident("LC_1") + """record_type = FIXED_LENGTH
record_bytes = 4
file_records = 2
^table = "L.DAT"
object = table
  interchange_format = BINARY
  rows = 2
  row_bytes = 4
  columns = 1
  ^structure = "l.fmt"
end_object = table
end
"""
    files = {"L.DAT": np.array([5, -6], ">i4").tobytes(), "l.fmt": fmt, "L.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "L.LBL")
    assert texts(t, "//p:Table_Binary/p:name") == ["TABLE"]
    assert texts(t, "//p:Field_Binary/p:name") == ["a"]
    assert texts(t, "//p:Field_Binary/p:unit") == ["km"]
    assert np.asarray(pds4_read(r.pds4_label)["TABLE"]["a"]).tolist() == [5, -6]


def test_stream_table_of_comma_separated_lines_of_varying_length(tmp_path, ctx_file):
    """STREAM ASCII tables whose lines are comma-separated values of varying length, the
    label's START_BYTEs and ROW_BYTES those of the longest line (quoted text, an ITEMS
    column, LF line ends; derived-data tables of several archives). The PDS3 reader
    splits the lines (with a warning); PDS4 Table_Character needs fixed positions, so a
    Table_Delimited over the same lines. Before: refused ("file shorter than the label
    says", ROWS × ROW_BYTES)."""
    recs = ['"AB",1,2,3.5', '"C D",10,20,-4', '"E",7,8,0.125']
    cols = (col("NAME", "CHARACTER", 2, 5)
            + col("N", "ASCII_INTEGER", 8, 6, "    ITEMS = 2\n    ITEM_BYTES = 2\n    ITEM_OFFSET = 3\n")
            + col("X", "ASCII_REAL", 14, 6))
    lbl = table_label("SQ_1", cols, file="S.TAB", rows=3, row_bytes=20, fmt="ASCII", stream=True)
    r, t = migrated(tmp_path, ctx_file, {"S.TAB": "".join(x + "\n" for x in recs), "S.LBL": lbl}, "S.LBL")
    assert texts(t, "//p:Table_Delimited/p:field_delimiter") == ["Comma"]
    assert texts(t, "//p:Table_Delimited/p:record_delimiter") == ["Line-Feed"]
    assert texts(t, "//p:Group_Field_Delimited/p:repetitions") == ["2"]
    assert any("described as Table_Delimited" in n for n in r.notes)
    s = pds4_read(r.pds4_label)["TABLE"]
    assert [str(x) for x in np.asarray(s["NAME"])] == ["AB", "C D", "E"]
    assert np.asarray(s["N"]).tolist() == [[1, 2], [10, 20], [7, 8]]
    assert np.asarray(s["X"]).tolist() == [3.5, -4.0, 0.125]


def test_cumulative_index_table_with_unk_time(tmp_path, ctx_file):
    """The index tables every PDS3 volume carries (MRO CTX CUMINDEX style): INDEX_TABLE of
    quoted, comma-separated fixed-width values, an INDEX_TYPE, a START_TIME column holding
    ``UNK`` for one product (→ ASCII_String, a note), a clock string ``N/A``, an
    EMISSION_ANGLE with MISSING_CONSTANT -99.0 (→ Special_Constants)."""
    recs = ['"MROX_0001","DATA/B01_0001.IMG","B01_0001",2006-09-29T04:45:30.123,"0844059947:110", 45.123',
            '"MROX_0001","DATA/B01_0002.IMG","B01_0002",2006-09-29T05:45:30.123,"0844063547:110",-12.000',
            '"MROX_0002","DATA/B02_0003.IMG","B02_0003",UNK                    ,"N/A           ",-99.000']
    cols = (col("VOLUME_ID", "CHARACTER", 2, 9) + col("FILE_SPECIFICATION_NAME", "CHARACTER", 14, 17)
            + col("PRODUCT_ID", "CHARACTER", 34, 8) + col("START_TIME", "TIME", 44, 23)
            + col("SPACECRAFT_CLOCK_START_COUNT", "CHARACTER", 69, 14)
            + col("EMISSION_ANGLE", "ASCII_REAL", 85, 7, '    UNIT = "DEGREE"\n    MISSING_CONSTANT = -99.0\n'))
    rb = len(recs[0]) + 2
    lbl = ident("CUMINDEX") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = 3
^INDEX_TABLE = "CUMINDEX.TAB"
VOLUME_ID = "MROX_0002"
OBJECT = INDEX_TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 3
  ROW_BYTES = {rb}
  COLUMNS = 6
  INDEX_TYPE = CUMULATIVE
{cols}END_OBJECT = INDEX_TABLE
END
"""
    files = {"CUMINDEX.TAB": "".join(x + "\r\n" for x in recs), "CUMINDEX.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "CUMINDEX.LBL")
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_String"] * 5 + ["ASCII_Real"]
    assert texts(t, "//p:Field_Character/p:Special_Constants/p:missing_constant") == ["-99.0"]
    s = pds4_read(r.pds4_label)["INDEX_TABLE"]
    assert np.ma.getdata(s["EMISSION_ANGLE"]).tolist() == [45.123, -12.0, -99.0]
    assert [str(x).strip() for x in np.asarray(s["START_TIME"])][2] == "UNK"


@pytest.mark.parametrize("sample_type,bits,stored,extra,pds4_type", [
    ("UNSIGNED_INTEGER", 8, "u1", '  ENCODING_TYPE = "N/A"\n', "UnsignedByte"),  # no encoding, spelt N/A
    ("UNSIGNED_INTEGER", 8, "u1", "  ENCODING_TYPE = NONE\n", "UnsignedByte"),
    ('"UNSIGNED INTEGER"', 8, "u1", "", "UnsignedByte"),  # a blank for the underscore (old labels)
    ("IEEE_REAL", 64, ">f8", '  MISSING_CONSTANT = "N/A"\n', "IEEE754MSBDouble"),  # a no-value constant
    ("MSB_INTEGER", 16, ">i2", "  DERIVED_MINIMUM = 0\n  MEAN = 2.5\n  CHECKSUM = 15\n  SCALING_FACTOR = 2\n",
     "SignedMSB2"),
])
def test_image_keyword_spellings_of_older_labels(tmp_path, ctx_file, sample_type, bits, stored, extra, pds4_type):
    """Image keyword forms of older labels (Viking, Voyager, Clementine, MGS volumes):
    ENCODING_TYPE "N/A"/NONE on raw samples, SAMPLE_TYPE with a blank, a 64-bit real with
    MISSING_CONSTANT "N/A", statistics keywords and an integer SCALING_FACTOR."""
    img = (np.arange(6).reshape(2, 3) * 5).astype(stored)
    lbl = ident("OLD_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {img.shape[1] * img.itemsize}
FILE_RECORDS = 2
^IMAGE = "E.IMG"
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = {sample_type}
  SAMPLE_BITS = {bits}
{extra}END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"E.IMG": img.tobytes(), "E.LBL": lbl}, "E.LBL")
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:data_type") == [pds4_type]
    scale = 2 if "SCALING_FACTOR" in extra else 1
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == (img * scale).tolist()


def test_mola_style_map_projected_image_with_a_catalog_pointer(tmp_path, ctx_file):
    """MGS MOLA MEGDR / map-projected mosaics: ``^DATA_SET_MAP_PROJECTION`` names a catalog
    file that is not in the product folder and no object; IMAGE_MAP_PROJECTION is a
    description without data. Only the IMAGE is migrated (the catalog pointer is not taken
    for any object's)."""
    img = (np.arange(6).reshape(2, 3) * 100 - 200).astype(">i2")
    lbl = ident("MEGT90N000CB") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 6
FILE_RECORDS = 2
^IMAGE = "MEGT.IMG"
^DATA_SET_MAP_PROJECTION = "DSMAP.CAT"
OBJECT = IMAGE
  NAME = TOPOGRAPHY
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  UNIT = METER
END_OBJECT = IMAGE
OBJECT = IMAGE_MAP_PROJECTION
  ^DATA_SET_MAP_PROJECTION = "DSMAP.CAT"
  MAP_PROJECTION_TYPE = "SIMPLE CYLINDRICAL"
  A_AXIS_RADIUS = 3396.0 <KM>
  MAP_RESOLUTION = 4 <PIXEL/DEGREE>
END_OBJECT = IMAGE_MAP_PROJECTION
END
"""
    r, t = migrated(tmp_path, ctx_file, {"MEGT.IMG": img.tobytes(), "MEGT.LBL": lbl}, "MEGT.LBL")
    assert texts(t, "//p:Array_2D_Image/p:name") == ["IMAGE"]
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:unit") == ["m"]
    assert [o.name for o in pdsgen.open(tmp_path / "in" / "MEGT.LBL").objects] == ["IMAGE"]
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


@pytest.mark.parametrize("tb_bytes", [7, 8, 9])
def test_stream_table_after_a_heading_line_and_a_column_into_the_line_end(tmp_path, ctx_file, tb_bytes):
    """LRO Diviner / derived-data style: a STREAM file whose first line is a heading, the
    table from line 2 (``^TABLE = ("D.TAB", 2)``), a DATE column, a time-of-day string. The
    last column's BYTES run 0, 1 or 2 bytes into the CR LF (a frequent label error): the
    PDS4 field ends before the line end, a note (before: refused by validation, "lies
    outside the 33-byte record")."""
    recs = ["# date, utc, tb", "2009-07-05, 12:00:01.000, 245.125", "2009-07-05, 12:00:01.128, 244.5  "]
    cols = (col("DATE", "DATE", 1, 10) + col("UTC", "CHARACTER", 13, 12)
            + col("TB", "ASCII_REAL", 27, tb_bytes, '    UNIT = "K"\n'))
    lbl = table_label("DIV_1", cols, file="D.TAB", rows=2, row_bytes=35, fmt="ASCII", stream=True,
                      pointer='("D.TAB", 2)')
    r, t = migrated(tmp_path, ctx_file, {"D.TAB": "".join(x + "\r\n" for x in recs), "D.LBL": lbl}, "D.LBL")
    assert texts(t, "//p:Table_Character/p:offset") == ["17"]
    assert texts(t, "//p:Field_Character/p:field_length") == ["10", "12", "7"]
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Date_YMD", "ASCII_String", "ASCII_Real"]
    assert any("runs" in n and "into the line end" in n for n in r.notes) == (tb_bytes > 7)
    assert np.asarray(pds4_read(r.pds4_label)["TABLE"]["TB"]).tolist() == [245.125, 244.5]


def test_ascii_items_column_last_in_the_row(tmp_path, ctx_file):
    """MGS TES / Mars Express ASCII tables: the last COLUMN has ITEMS with ITEM_OFFSET >
    ITEM_BYTES (a blank between items) and BYTES ending at its last item, the standard
    PDS3 form. Refused after the pad fields of gapped groups (the pad after the last item
    lay over the CR LF); now the blank before each item is the pad: the group starts at
    the blank before the first item (byte 2), group_length 3 × 4 ends at the last item."""
    files, lbl = ascii_product("AI_1", ["A 1.0 2.0 3.0", "B 4.0 5.0 6.0"],
                               col("K", "CHARACTER", 1, 1)
                               + col("V", "ASCII_REAL", 3, 11, "    ITEMS = 3\n    ITEM_BYTES = 3\n    ITEM_OFFSET = 4\n"))
    r, t = migrated(tmp_path, ctx_file, files, lbl)
    assert texts(t, "//p:Group_Field_Character/p:group_location") == ["2"]
    assert texts(t, "//p:Group_Field_Character/p:group_length") == ["12"]
    assert texts(t, "//p:Group_Field_Character/p:Field_Character/p:name") == ["V_PAD", "V"]
    assert texts(t, "//p:Group_Field_Character/p:Field_Character/p:field_location") == ["1", "2"]
    assert any("1 byte(s) before its fields" in n for n in r.notes)
    assert np.asarray(pds4_read(r.pds4_label)["TABLE"]["V"]).tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_binary_items_column_last_in_the_row(tmp_path, ctx_file):
    """The binary analogue: 2-byte items every 4 bytes, BYTES = 10 ending at the last item,
    the last column of a 12-byte row: the two bytes before each item are its pad
    (UnsignedMSB2), the group starts at byte 3 (after the 2-byte column K)."""
    k = np.array([7, 8], ">u2")
    v = np.array([[1, 2, 3], [-4, 5, -6]], ">i2")
    rows = b"".join(k[i:i + 1].tobytes() + b"".join(b"\xee\xee" + v[i, j:j + 1].tobytes() for j in range(3)) for i in range(2))
    cols = col("K", "MSB_UNSIGNED_INTEGER", 1, 2) + col(
        "V", "MSB_INTEGER", 5, 10, "    ITEMS = 3\n    ITEM_BYTES = 2\n    ITEM_OFFSET = 4\n")
    lbl = table_label("BI_1", cols, file="B.DAT", rows=2, row_bytes=14)
    r, t = migrated(tmp_path, ctx_file, {"B.DAT": rows, "B.LBL": lbl}, "B.LBL")
    assert texts(t, "//p:Group_Field_Binary/p:group_location") == ["3"]
    assert texts(t, "//p:Group_Field_Binary/p:group_length") == ["12"]
    assert texts(t, "//p:Group_Field_Binary/p:Field_Binary/p:data_type") == ["UnsignedMSB2", "SignedMSB2"]
    table = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(table["V"]).tolist() == [[1, 2, 3], [-4, 5, -6]]
    assert np.asarray(table["K"]).tolist() == [7, 8]
