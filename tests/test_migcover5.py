"""`pdsgen migrate` on PDS3 keyword semantics (issue 18's unseen set), fourth round: record
types (VARIABLE_LENGTH, STREAM and UNDEFINED binary files), SAMPLE_BIT_MASK / BIT_MASK,
the valid range and special constants in every spelling (quoted, based integers on signed
columns, per item), OFFSET / SCALING_FACTOR on ITEMS, CONTAINER and BIT_COLUMN, QUBE core
scaling, display keywords, detached labels with their own RECORD_BYTES, ASCII value
spellings and 1-based byte pointers after padded attached labels.

Every product is written by the test (label in an archive's style, bytes from numpy or
text the test holds); every value is asserted against what the test computes by hand from
the bytes it wrote — read through pds4_tools from the migrated label, scaled
(``lazy_load=True``) and unscaled (``no_scale=True``), and through pdsgen's PDS3 reading.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_migrate import CONTEXT, ident, texts
from test_migrate_kinds import pds4_read
from test_migrate_realworld import col, migrated, product, table_label
from test_migrate_realworld2 import pds4_raw, strings
from test_pds3diff import bit_col

import pdsgen


@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    (tmp_path / "context.json").write_text(json.dumps(CONTEXT))
    return tmp_path / "context.json"


def pdsgen_physical(label: Path, name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pdsgen.open(label)[name].physical


def image_label(pid: str, keys: str, *, records: str = "RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 1\n",
                pointer: str = '"I.IMG"') -> str:
    return ident(pid) + records + f"^IMAGE = {pointer}\nOBJECT = IMAGE\n{keys}END_OBJECT = IMAGE\nEND\n"


# --------------------------------------------------------------------------- record types


def test_variable_length_binary_records_are_refused_with_the_reason(tmp_path, ctx_file):
    """VAX/VMS variable-length records: each record starts with a 2-byte LSB count and is
    padded to an even length. Before, the rows were read at ROW_BYTES steps through the
    counts (values 1536, 1, 2 for 1, 2, 3: silently wrong); PDS4 has no record with
    length prefixes, so the product is refused, naming the record type."""
    recs = [np.array([1, 2, 3], ">i2").tobytes(), np.array([4, 5, 6], ">i2").tobytes()]
    data = b"".join(len(r).to_bytes(2, "little") + r for r in recs)
    lbl = (ident("VAR") + 'RECORD_TYPE = VARIABLE_LENGTH\nRECORD_BYTES = 6\nFILE_RECORDS = 2\n^TABLE = "V.DAT"\n'
           "OBJECT = TABLE\n  INTERCHANGE_FORMAT = BINARY\n  ROWS = 2\n  ROW_BYTES = 6\n  COLUMNS = 1\n"
           + col("V", "MSB_INTEGER", 1, 6, "    ITEMS = 3\n    ITEM_BYTES = 2\n") + "END_OBJECT = TABLE\nEND\n")
    r = product(tmp_path, ctx_file, {"V.DAT": data, "V.LBL": lbl}, "V.LBL")
    assert r.status == "failed"
    assert "RECORD_TYPE = VARIABLE_LENGTH: binary records carry 2-byte length prefixes" in r.reason


def test_variable_length_ascii_table_by_record_number_counts_lines(tmp_path, ctx_file):
    """An ASCII table in a VARIABLE_LENGTH file (old CD-ROM volumes): the text records are
    its lines, so ``^TABLE = ("T.TAB", 3)`` is the third line, not 2 × RECORD_BYTES."""
    lines = ["HEADER LINE ONE", "HDR 2", " 1, 2.5", "-3,-4.0"]
    cols = col("N", "ASCII_INTEGER", 1, 2) + col("X", "ASCII_REAL", 4, 4)
    lbl = table_label("VART", cols, file="T.TAB", rows=2, row_bytes=9, fmt="ASCII", pointer='("T.TAB", 3)')
    lbl = lbl.replace("RECORD_TYPE = FIXED_LENGTH", "RECORD_TYPE = VARIABLE_LENGTH").replace(
        "RECORD_BYTES = 9", "RECORD_BYTES = 80")
    r, t = migrated(tmp_path, ctx_file, {"T.TAB": "".join(x + "\r\n" for x in lines), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Table_Character/p:offset") == [str(len(lines[0]) + len(lines[1]) + 4)]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["N"]).tolist() == [1, -3]
    assert np.asarray(s["X"]).tolist() == [2.5, -4.0]


def test_stream_binary_table_and_undefined_image(tmp_path, ctx_file):
    """RECORD_TYPE = STREAM over a binary table (Juno/MAVEN style) and UNDEFINED over an
    image with a quoted MISSING_CONSTANT: bytes from the start of the file."""
    rows = np.array([(1, 2.5), (-3, 4.25)], dtype=[("A", ">i4"), ("B", ">f4")])
    lbl = table_label("STR", col("A", "MSB_INTEGER", 1, 4) + col("B", "IEEE_REAL", 5, 4), file="S.DAT", rows=2,
                      row_bytes=8, stream=True)
    r, _ = migrated(tmp_path, ctx_file, {"S.DAT": rows.tobytes(), "S.LBL": lbl}, "S.LBL")
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["A"]).tolist() == [1, -3] and np.asarray(s["B"]).tolist() == [2.5, 4.25]

    img = (np.arange(12, dtype="<i2") - 5).reshape(3, 4)
    keys = ("  LINES = 3\n  LINE_SAMPLES = 4\n  SAMPLE_TYPE = LSB_INTEGER\n  SAMPLE_BITS = 16\n"
            '  MISSING_CONSTANT = "-5"\n')
    lbl = image_label("UND", keys, records="RECORD_TYPE = UNDEFINED\n", pointer='"U.IMG"')
    r, t = migrated(tmp_path / "u", ctx_file, {"U.IMG": img.tobytes(), "U.LBL": lbl}, "U.LBL")
    assert texts(t, "//p:Special_Constants/p:missing_constant") == ["-5"]
    got = pds4_read(r.pds4_label)["IMAGE"].as_masked().data
    assert np.ma.getdata(got).tolist() == img.tolist()
    assert np.ma.getmaskarray(got).tolist() == (img == -5).tolist()


# --------------------------------------------------------------------------- image keywords


IMAGE_12_IN_16 = np.array([[0, 100, 4095], [2000, 65535, 17]], dtype=">u2")


def test_image_quoted_scaling_valid_range_bit_mask_and_display_keywords(tmp_path, ctx_file):
    """A 12-bit camera's 16-bit samples (MESSENGER/MRO style): SAMPLE_BIT_MASK, the valid
    range, DERIVED_MINIMUM/MAXIMUM, saturation constants as a based integer and a quoted
    string, SCALING_FACTOR given as a quoted string, FIRST_LINE / display directions.

    Before: ``SCALING_FACTOR = "0.5"`` was ignored (physical = stored + OFFSET, silently
    wrong), VALID_MINIMUM/MAXIMUM, the bit mask and the display keywords were lost. Now the
    scaling is read, the valid range is Special_Constants valid_minimum/valid_maximum (which
    mask nothing), and the rest — for which PDS4 has only deprecated elements
    (Object_Statistics/bit_mask, Display_2D_Image) — is kept in the description. The mask
    is not applied: stored values are unchanged (PDS3 says which bits are active; readers
    give the stored values)."""
    keys = ("  LINES = 2\n  LINE_SAMPLES = 3\n  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER\n  SAMPLE_BITS = 16\n"
            "  SAMPLE_BIT_MASK = 2#0000111111111111#\n  VALID_MINIMUM = 1\n  VALID_MAXIMUM = 4094\n"
            "  DERIVED_MINIMUM = 18.5\n  DERIVED_MAXIMUM = 1010\n  LOW_REPR_SATURATION = 16#0000#\n"
            '  HIGH_REPR_SATURATION = "4095"\n  INVALID_CONSTANT = 65535\n  FIRST_LINE = 5\n'
            "  FIRST_LINE_SAMPLE = 7\n  LINE_DISPLAY_DIRECTION = UP\n  SAMPLE_DISPLAY_DIRECTION = RIGHT\n"
            '  SCALING_FACTOR = "0.5"\n  OFFSET = 10\n  UNIT = "DN"\n')
    lbl = image_label("BITS", keys)
    r, t = migrated(tmp_path, ctx_file, {"I.IMG": IMAGE_12_IN_16.tobytes(), "I.LBL": lbl}, "I.LBL")
    assert texts(t, "//p:Element_Array/p:scaling_factor") == ["0.5"]
    assert texts(t, "//p:Element_Array/p:value_offset") == ["10.0"]
    sc = "//p:Array_2D_Image/p:Special_Constants/p:"
    assert [texts(t, sc + k) for k in ("valid_minimum", "valid_maximum", "invalid_constant",
                                       "low_representation_saturation", "high_representation_saturation")] == [
        ["1"], ["4094"], ["65535"], ["0"], ["4095"]]
    desc = texts(t, "//p:Array_2D_Image/p:description")[0]
    for said in ("FIRST_LINE = 5", "FIRST_LINE_SAMPLE = 7", "LINE_DISPLAY_DIRECTION = UP",
                 "SAMPLE_DISPLAY_DIRECTION = RIGHT", "SAMPLE_BIT_MASK = 2#0000111111111111#",
                 "DERIVED_MINIMUM = 18.5"):
        assert said in desc
    special = np.isin(IMAGE_12_IN_16, [0, 4095, 65535])
    expected = IMAGE_12_IN_16 * 0.5 + 10
    got = pds4_read(r.pds4_label)["IMAGE"].as_masked().data
    assert np.ma.getmaskarray(got).tolist() == special.tolist()
    assert np.ma.getdata(got)[~special].tolist() == expected[~special].tolist()
    assert pds4_raw(r.pds4_label)["IMAGE"].data.tolist() == IMAGE_12_IN_16.tolist()  # mask not applied
    mine = pdsgen_physical(Path(r.pds4_label).parent.parent / "in" / "I.LBL", "IMAGE")
    assert np.ma.getmaskarray(mine).tolist() == special.tolist()
    assert np.ma.getdata(mine)[~special].tolist() == expected[~special].tolist()


def test_image_per_band_valid_range_and_based_missing_on_signed_samples(tmp_path, ctx_file):
    """Two bands of signed 16-bit samples with ``MISSING_CONSTANT = 16#8000#`` (a based
    integer: the bit pattern of -32768; pvl gives 32768, which no SignedMSB2 value equals —
    before, the missing samples were not masked) and VALID_MAXIMUM per band."""
    img = np.array([[[1, -32768], [3, 4]], [[-32768, 6], [7, 8]]], dtype=">i2")
    keys = ("  LINES = 2\n  LINE_SAMPLES = 2\n  BANDS = 2\n  BAND_STORAGE_TYPE = BAND_SEQUENTIAL\n"
            "  SAMPLE_TYPE = MSB_INTEGER\n  SAMPLE_BITS = 16\n  MISSING_CONSTANT = 16#8000#\n"
            "  VALID_MAXIMUM = (3, 8)\n")
    r, t = migrated(tmp_path, ctx_file, {"I.IMG": img.tobytes(), "I.LBL": image_label("BAND", keys)}, "I.LBL")
    assert set(texts(t, "//p:Special_Constants/p:missing_constant")) == {"-32768"}
    assert texts(t, "//p:Special_Constants/p:valid_maximum") == ["3", "8"]
    s = pds4_read(r.pds4_label)
    got = [s[n].as_masked().data for n in sorted(x.id for x in s.structures)]
    for band, arr in zip(img, got, strict=True):
        assert np.ma.getdata(arr).tolist() == band.tolist()
        assert np.ma.getmaskarray(arr).tolist() == (band == -32768).tolist()


def test_qube_core_base_multiplier_and_core_null(tmp_path, ctx_file):
    """ISIS2 QUBE: CORE_BASE / CORE_MULTIPLIER (physical = base + multiplier × stored) with
    CORE_NULL and CORE_VALID_MINIMUM on 16-bit samples, UNIT on the core; the multiplier
    given as a quoted string (before: ignored, physical = base + stored)."""
    core = np.array([[[1, 2, -32768], [4, 5, 6]]], dtype=">i2")  # band, line, sample
    lbl = ident("QB") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 6
FILE_RECORDS = 2
^QUBE = "Q.QUB"
OBJECT = QUBE
  AXES = 3
  AXIS_NAME = (SAMPLE, LINE, BAND)
  CORE_ITEMS = (3, 2, 1)
  CORE_ITEM_BYTES = 2
  CORE_ITEM_TYPE = SUN_INTEGER
  CORE_BASE = 100.0
  CORE_MULTIPLIER = "0.25"
  CORE_NULL = -32768
  CORE_VALID_MINIMUM = -32752
  CORE_NAME = RADIANCE
  CORE_UNIT = "W/M**2/SR/UM"
  SUFFIX_ITEMS = (0, 0, 0)
END_OBJECT = QUBE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"Q.QUB": core.tobytes(), "Q.LBL": lbl}, "Q.LBL")
    assert texts(t, "//p:Element_Array/p:scaling_factor") == ["0.25"]
    assert texts(t, "//p:Element_Array/p:value_offset") == ["100.0"]
    assert texts(t, "//p:Special_Constants/p:missing_constant") == ["-32768"]
    assert texts(t, "//p:Special_Constants/p:valid_minimum") == ["-32752"]
    got = pds4_read(r.pds4_label)["QUBE"].as_masked().data
    null = core == -32768
    assert np.ma.getmaskarray(got).reshape(core.shape).tolist() == null.tolist()
    assert np.ma.getdata(got).reshape(core.shape)[~null].tolist() == (100 + 0.25 * core[~null]).tolist()


# --------------------------------------------------------------------------- table keywords


def test_binary_columns_constants_and_scaling_in_every_spelling(tmp_path, ctx_file):
    """A signed column with ``MISSING_CONSTANT = 16#FFFF#`` (-1, before written 65535 and never
    masked), an ITEMS column with SCALING_FACTOR/OFFSET and a quoted INVALID_CONSTANT, an
    unsigned column with the valid range and a BIT_MASK (kept in its description), a quoted
    SCALING_FACTOR, a UNIT on each."""
    rows = np.zeros(3, dtype=[("A", ">i2"), ("B", ">i2", (3,)), ("C", ">u2"), ("D", ">i4")])
    rows["A"] = [-1, 5, 7]
    rows["B"] = [[1, 2, -32768], [3, 4, 5], [6, 7, 8]]
    rows["C"] = [65535, 1, 2]
    rows["D"] = [10, -20, 30]
    cols = (col("A", "MSB_INTEGER", 1, 2, '    MISSING_CONSTANT = 16#FFFF#\n    UNIT = "K"\n')
            + col("B", "MSB_INTEGER", 3, 6, "    ITEMS = 3\n    ITEM_BYTES = 2\n    SCALING_FACTOR = 0.25\n"
                  '    OFFSET = -1.0\n    INVALID_CONSTANT = "-32768"\n    UNIT = "V"\n')
            + col("C", "MSB_UNSIGNED_INTEGER", 9, 2, "    VALID_MINIMUM = 1\n    VALID_MAXIMUM = 2\n"
                  '    BIT_MASK = 2#0000000000000011#\n    UNIT = "COUNTS"\n')
            + col("D", "MSB_INTEGER", 11, 4, '    SCALING_FACTOR = "1.0E-1"\n    OFFSET = " 5 "\n    UNIT = "S"\n'))
    lbl = table_label("COLS", cols, file="B.DAT", rows=3, row_bytes=14)
    r, t = migrated(tmp_path, ctx_file, {"B.DAT": rows.tobytes(), "B.LBL": lbl}, "B.LBL")
    assert texts(t, "//p:Field_Binary[p:name='A']/p:Special_Constants/p:missing_constant") == ["-1"]
    assert texts(t, "//p:Field_Binary[p:name='B']/p:Special_Constants/p:invalid_constant") == ["-32768"]
    assert texts(t, "//p:Field_Binary[p:name='C']/p:Special_Constants/p:valid_minimum") == ["1"]
    assert texts(t, "//p:Field_Binary[p:name='C']/p:Special_Constants/p:valid_maximum") == ["2"]
    assert texts(t, "//p:Field_Binary[p:name='C']/p:description") == ["PDS3 BIT_MASK = 2#0000000000000011#."]
    assert texts(t, "//p:Field_Binary/p:unit") == ["K", "V", "COUNTS", "s"]
    assert texts(t, "//p:Field_Binary[p:name='D']/p:scaling_factor") == ["0.1"]
    s, raw = pds4_read(r.pds4_label)["TABLE"], pds4_raw(r.pds4_label)["TABLE"]
    for name in ("A", "B", "C", "D"):
        assert np.asarray(raw[name]).tolist() == rows[name].tolist()
    b = np.asarray(s["B"], dtype=float)
    ok = rows["B"] != -32768
    assert b[ok].tolist() == (rows["B"][ok] * 0.25 - 1.0).tolist()
    assert np.allclose(np.asarray(s["D"], dtype=float), rows["D"] * 0.1 + 5, rtol=1e-15, atol=0)
    mine = pdsgen_physical(Path(r.pds4_label).parent.parent / "in" / "B.LBL", "TABLE")
    assert np.ma.getmaskarray(mine["A"]).tolist() == [True, False, False]
    assert np.ma.getmaskarray(mine["B"]).tolist() == (~ok).tolist()
    assert np.allclose(np.ma.getdata(mine["D"]), rows["D"] * 0.1 + 5, rtol=1e-15, atol=0)


def test_container_items_and_bit_column_scaling(tmp_path, ctx_file):
    """Scaling inside a CONTAINER (REPETITIONS = 2, a scaled column with a UNIT) and on a
    BIT_COLUMN (SCALING_FACTOR/OFFSET on the bits' unsigned value); a signed BIT_COLUMN."""
    rows = np.zeros(2, dtype=[("F", ">u2"), ("V", ">i2", (2,))])
    rows["F"] = [(3 << 12) | 0xFFF, (9 << 12) | 5]
    rows["V"] = [[10, -20], [30, 0]]
    body = (col("F", "MSB_UNSIGNED_INTEGER", 1, 2,
                bit_col("HI", "MSB_UNSIGNED_INTEGER", 1, 4, "      SCALING_FACTOR = 2\n      OFFSET = 1\n")
                + bit_col("LO", "MSB_INTEGER", 5, 12))
            + "  OBJECT = CONTAINER\n    NAME = C\n    START_BYTE = 3\n    BYTES = 2\n    REPETITIONS = 2\n"
            + col("V", "MSB_INTEGER", 1, 2, '    SCALING_FACTOR = 0.1\n    OFFSET = 100\n    UNIT = "NT"\n')
            + "  END_OBJECT = CONTAINER\n")
    r, t = migrated(tmp_path, ctx_file, {"C.DAT": rows.tobytes(), "C.LBL": table_label("CB", body, file="C.DAT",
                                                                                      rows=2, row_bytes=6)}, "C.LBL")
    s, raw = pds4_read(r.pds4_label)["TABLE"], pds4_raw(r.pds4_label)["TABLE"]
    hi, lo = rows["F"] >> 12, (rows["F"] & 0xFFF).astype(np.int64)
    lo = np.where(lo >= 2048, lo - 4096, lo)  # 12-bit two's complement
    assert [bytes(b) for b in np.asarray(raw["F"])] == [rows["F"][i:i + 1].tobytes() for i in range(2)]  # (no Field_Bit in pds4_tools 1.4)
    mine = pdsgen_physical(Path(r.pds4_label), "TABLE")  # pdsgen's PDS4 reading of the new label
    assert np.asarray(mine["HI"], dtype=float).tolist() == (hi * 2.0 + 1).tolist()
    assert np.asarray(mine["LO"]).tolist() == lo.tolist()
    v = np.asarray(s["C, V"], dtype=float).reshape(2, 2)
    assert np.allclose(v, rows["V"] * 0.1 + 100, rtol=1e-15, atol=0)
    assert np.asarray(raw["C, V"]).reshape(2, 2).tolist() == rows["V"].tolist()
    assert texts(t, "//p:Field_Bit[p:name='HI']/p:scaling_factor") == ["2.0"]


# --------------------------------------------------------------------------- ASCII spellings


def _ascii(fields: list[tuple[str, str, list[str], str]]) -> tuple[list[str], str]:
    """Records of comma-joined fields (the texts as given, all of one width per field) and
    their COLUMN objects."""
    cols, start = "", 1
    for name, kind, vals, more in fields:
        w = len(vals[0])
        assert all(len(v) == w for v in vals)
        cols += col(name, kind, start, w, more)
        start += w + 1
    recs = [",".join(f[2][i] for f in fields) for i in range(len(fields[0][2]))]
    return recs, cols


def test_ascii_value_spellings(tmp_path, ctx_file):
    """E formats with 3-digit exponents and lower-case ``e``, ``+`` signs, integers with
    leading zeros, quoted strings holding doubled quotes and commas, right-justified
    strings, a FORMAT with blanks around it, SCALING_FACTOR on an ASCII real, a quoted
    MISSING_CONSTANT on an integer column (``"42"`` matches ``042`` and ``0042``: numbers),
    a column whose BYTES (6) are more than its FORMAT's width (I3)."""
    e = [" 1.5E+003", "-2.0E-010", " 3.25e+02"]
    i = ["+12", "-03", "007"]
    q = ['"AB ""Q"""', '"x,y     "', '"plain   "']
    r_ = ["    right", "       ri", "        r"]
    h = ["  .5", " 10.", "-1.5"]
    z = [" 042", "0042", "  17"]
    x = ["1.25e-100", "2.00E+100", "-3.0E-05 "]
    w = ["   123", "    -4", "     0"]  # BYTES 6, FORMAT I3
    recs, cols = _ascii([("E", "ASCII_REAL", e, '    FORMAT = "E9.1"\n    UNIT = "KM"\n'),
                         ("I", "ASCII_INTEGER", i, '    FORMAT = " I3 "\n'),
                         ("Q", "CHARACTER", q, '    FORMAT = "A10"\n'),
                         ("R", "CHARACTER", r_, '    FORMAT = "A9"\n'),
                         ("H", "ASCII_REAL", h, '    FORMAT = "F4.1"\n    SCALING_FACTOR = 2\n'),
                         ("Z", "ASCII_INTEGER", z, '    FORMAT = "I4"\n    MISSING_CONSTANT = "42"\n'),
                         ("X", "ASCII_REAL", x, '    FORMAT = "E9.2"\n'),
                         ("W", "ASCII_INTEGER", w, '    FORMAT = "I3"\n')])
    lbl = table_label("ASC", cols, file="A.TAB", rows=3, row_bytes=len(recs[0]) + 2, fmt="ASCII")
    r, t = migrated(tmp_path, ctx_file, {"A.TAB": "".join(x + "\r\n" for x in recs), "A.LBL": lbl}, "A.LBL")
    s, raw = pds4_read(r.pds4_label)["TABLE"], pds4_raw(r.pds4_label)["TABLE"]
    assert np.asarray(raw["E"], dtype=float).tolist() == [float(v) for v in e]
    assert np.asarray(raw["I"], dtype=int).tolist() == [12, -3, 7]
    assert strings(s, "R") == ["right", "ri", "r"]
    assert np.asarray(raw["X"], dtype=float).tolist() == [float(v) for v in x]
    assert [float(v) for v in np.asarray(raw["H"]).ravel()] == [0.5, 10.0, -1.5]
    assert [float(v) for v in np.asarray(s["H"]).ravel()] == [1.0, 20.0, -3.0]
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Real", "ASCII_Integer", "ASCII_String",
                                                           "ASCII_String", "ASCII_Real", "ASCII_Integer",
                                                           "ASCII_Real", "ASCII_Integer"]
    assert np.asarray(raw["W"], dtype=int).tolist() == [123, -4, 0]
    assert [int(v) for v in np.asarray(raw["Z"]).ravel()] == [42, 42, 17]
    # the quotes are bytes of the field (BYTES counts them): kept, as written, by both readings
    assert np.asarray(s["Q"]).tolist() == q
    assert np.asarray(s["R"]).tolist() == r_
    mine = pdsgen_physical(Path(r.pds4_label).parent.parent / "in" / "A.LBL", "TABLE")
    assert np.ma.getmaskarray(mine["Z"]).tolist() == [True, True, False]
    assert np.ma.getdata(mine["H"]).tolist() == [1.0, 20.0, -3.0]


# --------------------------------------------------------------------------- offsets


@pytest.mark.parametrize("pad", [b" ", b"\0"])
def test_attached_label_padded_then_table_by_1_based_byte_pointer(tmp_path, ctx_file, pad):
    """An attached label padded with blanks or NULs to LABEL_RECORDS × RECORD_BYTES, the
    table placed by ``^TABLE = n <BYTES>``: PDS3 byte pointers are 1-based (Standards
    Reference 14.1.1), so the rows start at byte n - 1 of the file."""
    rows = np.array([(1, 2.5), (-3, 4.25)], dtype=[("A", "<i4"), ("B", "<f8")])

    def lab(start: int) -> str:
        return (ident("ATT") + f"RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 12\nFILE_RECORDS = 102\n"
                f"LABEL_RECORDS = 100\n^TABLE = {start} <BYTES>\nOBJECT = TABLE\n  INTERCHANGE_FORMAT = BINARY\n"
                "  ROWS = 2\n  ROW_BYTES = 12\n  COLUMNS = 2\n" + col("A", "LSB_INTEGER", 1, 4)
                + col("B", "PC_REAL", 5, 8) + "END_OBJECT = TABLE\nEND\n")
    head = lab(1201).encode()
    assert len(head) < 1200
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": head.ljust(1200, pad) + rows.tobytes()}, "T.DAT")
    assert texts(t, "//p:Table_Binary/p:offset") == ["1200"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["A"]).tolist() == [1, -3] and np.asarray(s["B"]).tolist() == [2.5, 4.25]


def test_detached_label_record_bytes_of_the_data_file(tmp_path, ctx_file):
    """A detached label whose RECORD_BYTES (the data file's record size, 10) differs from
    the label file's own text lines: ``^IMAGE = ("I.IMG", 3)`` is byte 20 of the data file."""
    img = np.arange(10, dtype="u1").reshape(2, 5)
    keys = "  LINES = 2\n  LINE_SAMPLES = 5\n  SAMPLE_TYPE = UNSIGNED_INTEGER\n  SAMPLE_BITS = 8\n"
    lbl = image_label("REC", keys, records="RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 10\nFILE_RECORDS = 3\n",
                      pointer='("I.IMG", 3)')
    data = bytes(range(200, 220)) + img.tobytes()
    r, t = migrated(tmp_path, ctx_file, {"I.IMG": data, "I.LBL": lbl}, "I.LBL")
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["20"]
    assert pds4_read(r.pds4_label)["IMAGE"].data.tolist() == img.tolist()


def test_items_column_with_a_special_constant_per_item(tmp_path, ctx_file):
    """``MISSING_CONSTANT = (-1, -2, -3)`` on a 3-item column: item i's constant is the i-th
    (before: the first masked every item, silently). pdsgen's reading masks by item; PDS4
    gives a field's repetitions one Special_Constants, so the column is described as one
    field per item (``B_1`` … ``B_3``), each with its own constant."""
    rows = np.zeros(2, dtype=[("B", ">i2", (3,)), ("T", ">i2")])
    rows["B"] = [[-1, -2, -3], [-2, 5, -1]]
    rows["T"] = [-1, 9]
    cols = (col("B", "MSB_INTEGER", 1, 6, "    ITEMS = 3\n    ITEM_BYTES = 2\n    MISSING_CONSTANT = (-1, -2, -3)\n")
            + col("T", "MSB_INTEGER", 7, 2, "    MISSING_CONSTANT = -1\n"))
    files = {"B.DAT": rows.tobytes(), "B.LBL": table_label("ITEM", cols, file="B.DAT", rows=2, row_bytes=8)}
    r, t = migrated(tmp_path, ctx_file, files, "B.LBL")
    assert texts(t, "//p:Field_Binary/p:name") == ["B_1", "B_2", "B_3", "T"]
    assert texts(t, "//p:Field_Binary/p:field_location") == ["1", "3", "5", "7"]
    assert texts(t, "//p:Field_Binary/p:Special_Constants/p:missing_constant") == ["-1", "-2", "-3", "-1"]
    special = rows["B"] == np.array([-1, -2, -3])
    mine = pdsgen_physical(tmp_path / "in" / "B.LBL", "TABLE")["B"]
    assert np.ma.getmaskarray(mine).tolist() == special.tolist()
    assert np.ma.getdata(mine).tolist() == rows["B"].tolist()
    raw, new = pds4_raw(r.pds4_label)["TABLE"], pdsgen_physical(Path(r.pds4_label), "TABLE")
    for i in range(3):
        assert np.asarray(raw[f"B_{i + 1}"]).tolist() == rows["B"][:, i].tolist()
        assert np.ma.getmaskarray(new[f"B_{i + 1}"]).tolist() == special[:, i].tolist()
    assert np.ma.getmaskarray(new["T"]).tolist() == [True, False]


def test_sample_bits_12_stored_in_16_bit_words(tmp_path, ctx_file):
    """``SAMPLE_BITS = 12`` over a file holding exactly 2 bytes per sample (the active bits
    given as SAMPLE_BITS): packed 12-bit samples would fill 3/4 of it and read other values
    (1, 2, 4095 … became 0, 256, 32 …). The file's size decides, with a warning, and the
    label's SAMPLE_BITS is kept in the description."""
    img = np.array([[1, 2, 4095, 7], [100, 200, 300, 0]], dtype=">u2")
    keys = "  LINES = 2\n  LINE_SAMPLES = 4\n  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER\n  SAMPLE_BITS = 12\n"
    lbl = image_label("B12", keys, records="RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 8\nFILE_RECORDS = 2\n")
    r, t = migrated(tmp_path, ctx_file, {"I.IMG": img.tobytes(), "I.LBL": lbl}, "I.LBL")
    assert texts(t, "//p:Element_Array/p:data_type") == ["UnsignedMSB2"]
    assert "PDS3 SAMPLE_BITS = 12." in texts(t, "//p:Array_2D_Image/p:description")[0]
    assert pds4_read(r.pds4_label)["IMAGE"].data.tolist() == img.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = pdsgen.open(tmp_path / "in" / "I.LBL")["IMAGE"]
    assert [w.code for w in obj.warnings] == ["sample_bits_in_container"]
    # a packed image (3 bytes per 2 samples) is still read packed
    packed = bytes([0x00, 0x10, 0x02, 0xFF, 0xF0, 0x07]) * 2  # 1, 2, 4095, 7 per line
    r, t = migrated(tmp_path / "p", ctx_file, {"I.IMG": packed, "I.LBL": lbl.replace("RECORD_BYTES = 8",
                                                                                       "RECORD_BYTES = 6")}, "I.LBL")
    assert texts(t, "//p:Field_Bit/p:data_type")[:1] == ["UnsignedBitString"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pdsgen.open(tmp_path / "p" / "in" / "I.LBL")["IMAGE"].data.tolist() == [[1, 2, 4095, 7]] * 2


def test_detached_byte_pointers_after_a_header(tmp_path, ctx_file):
    """``^HEADER = ("D.DAT", 1 <BYTES>)`` and ``^IMAGE = ("D.DAT", 41 <BYTES>)`` in an
    UNDEFINED file: the 40-byte header is bytes 0..39, the image starts at byte 40; a
    CORE_NULL given as a based integer on signed samples (``16#FFE2#`` is -30)."""
    img = (np.arange(12).reshape(3, 4) * 7 - 30).astype(">i2")
    lbl = ident("BYT") + """RECORD_TYPE = UNDEFINED
^HEADER = ("D.DAT", 1 <BYTES>)
^IMAGE = ("D.DAT", 41 <BYTES>)
OBJECT = HEADER
  HEADER_TYPE = TEXT
  BYTES = 40
END_OBJECT = HEADER
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  CORE_NULL = 16#FFE2#
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"D.DAT": b"H" * 40 + img.tobytes(), "D.LBL": lbl}, "D.LBL")
    assert texts(t, "//p:Header/p:offset") == ["0"] and texts(t, "//p:Header/p:object_length") == ["40"]
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["40"]
    assert texts(t, "//p:Special_Constants/p:missing_constant") == ["-30"]
    got = pds4_read(r.pds4_label)["IMAGE"].as_masked().data
    assert np.ma.getdata(got).tolist() == img.tolist()
    assert np.ma.getmaskarray(got).tolist() == (img == -30).tolist()


def test_items_column_with_scaling_per_item(tmp_path, ctx_file):
    """``SCALING_FACTOR = (0.5, 2.0, 10.0)`` with one OFFSET on a 3-item column (a vector of
    channels with their own gains): item i is stored × its factor + the offset (before: the
    sequence was ignored, physical = stored, silently — a sequence of equal values too).
    Migrated one field per item, each with its scaling; equal values stay one group."""
    rows = np.zeros(2, dtype=[("G", ">i2", (3,))])
    rows["G"] = [[2, 4, -6], [10, 0, 1]]
    cols = col("G", "MSB_INTEGER", 1, 6, "    ITEMS = 3\n    ITEM_BYTES = 2\n    SCALING_FACTOR = (0.5, 2.0, 10.0)\n"
               "    OFFSET = 1\n")
    files = {"G.DAT": rows.tobytes(), "G.LBL": table_label("GAIN", cols, file="G.DAT", rows=2, row_bytes=6)}
    expected = rows["G"] * np.array([0.5, 2.0, 10.0]) + 1
    r, t = migrated(tmp_path, ctx_file, files, "G.LBL")
    assert texts(t, "//p:Field_Binary/p:scaling_factor") == ["0.5", "2.0", "10.0"]
    assert texts(t, "//p:Field_Binary/p:value_offset") == ["1.0"] * 3
    s, raw = pds4_read(r.pds4_label)["TABLE"], pds4_raw(r.pds4_label)["TABLE"]
    for i in range(3):
        assert np.asarray(s[f"G_{i + 1}"]).tolist() == expected[:, i].tolist()
        assert np.asarray(raw[f"G_{i + 1}"]).tolist() == rows["G"][:, i].tolist()
    mine = pdsgen_physical(tmp_path / "in" / "G.LBL", "TABLE")["G"]
    assert np.asarray(mine).tolist() == expected.tolist()
    same = files["G.LBL"].replace("(0.5, 2.0, 10.0)", "(0.5, 0.5, 0.5)")
    r, t = migrated(tmp_path / "same", ctx_file, {**files, "G.LBL": same}, "G.LBL")
    assert texts(t, "//p:Field_Binary/p:scaling_factor") == ["0.5"]
    assert np.asarray(pds4_read(r.pds4_label)["TABLE"]["G"]).tolist() == (rows["G"] * 0.5 + 1).tolist()


def test_per_item_constants_and_scaling_inside_a_container_and_in_ascii_items(tmp_path, ctx_file):
    """Per-item MISSING_CONSTANT and SCALING_FACTOR sequences on an ITEMS column inside a
    CONTAINER of 2 repetitions (binary), and per-item constants on an ASCII ITEMS column with
    ITEM_OFFSET: each item's own, item by item."""
    rows = np.zeros(2, dtype=[("V", ">i2", (2, 3))])
    rows["V"] = [[[-1, -2, -3], [1, 2, 3]], [[4, -2, 6], [-1, 8, -3]]]
    body = ("  OBJECT = CONTAINER\n    NAME = C\n    START_BYTE = 1\n    BYTES = 6\n    REPETITIONS = 2\n"
            + col("V", "MSB_INTEGER", 1, 6, "    ITEMS = 3\n    ITEM_BYTES = 2\n    MISSING_CONSTANT = (-1, -2, -3)\n"
                  "    SCALING_FACTOR = (1, 2, 3)\n") + "  END_OBJECT = CONTAINER\n")
    files = {"C.DAT": rows.tobytes(), "C.LBL": table_label("CIT", body, file="C.DAT", rows=2, row_bytes=12)}
    r, t = migrated(tmp_path, ctx_file, files, "C.LBL")
    special = rows["V"] == np.array([-1, -2, -3])
    s, raw = pds4_read(r.pds4_label)["TABLE"], pds4_raw(r.pds4_label)["TABLE"]
    for i, factor in enumerate((1, 2, 3)):
        got, stored = np.asarray(s[f"V_{i + 1}"], dtype=float), rows["V"][..., i]
        assert np.asarray(raw[f"V_{i + 1}"]).tolist() == stored.tolist()
        assert got[~special[..., i]].tolist() == (stored * factor)[~special[..., i]].tolist()
    mine = pdsgen_physical(tmp_path / "in" / "C.LBL", "TABLE")["V"]
    assert np.ma.getmaskarray(mine).tolist() == special.tolist()
    assert np.ma.getdata(mine)[~special].tolist() == (rows["V"] * np.array([1, 2, 3]))[~special].tolist()

    recs = ["  -1,  -2,   3", "   4,   5,  -3"]
    cols = col("A", "ASCII_INTEGER", 1, 14, "    ITEMS = 3\n    ITEM_BYTES = 4\n    ITEM_OFFSET = 5\n"
               "    MISSING_CONSTANT = (-1, -2, -3)\n")
    files = {"A.TAB": "".join(x + "\r\n" for x in recs),
             "A.LBL": table_label("AIT", cols, file="A.TAB", rows=2, row_bytes=16, fmt="ASCII")}
    r, t = migrated(tmp_path / "a", ctx_file, files, "A.LBL")
    assert texts(t, "//p:Field_Character/p:Special_Constants/p:missing_constant") == ["-1", "-2", "-3"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert [np.asarray(s[f"A_{i}"]).tolist() for i in (1, 2, 3)] == [[-1, 4], [-2, 5], [3, -3]]
    mine = pdsgen_physical(tmp_path / "a" / "in" / "A.LBL", "TABLE")["A"]
    assert np.ma.getmaskarray(mine).tolist() == [[True, True, False], [False, False, True]]


@pytest.mark.parametrize("kind", ["ascii", "binary"])
def test_gapped_items_column_filling_the_record(tmp_path, ctx_file, kind):
    """An ITEMS column with ITEM_OFFSET > ITEM_BYTES that is the whole record (its BYTES end
    at its last item, the line end or the record's end right after): the gap of a PDS4
    group's repetition fits neither after the last item nor before the first. Before:
    written after, past the record (validation: record_length_mismatch / bad_field_read);
    now one field per item."""
    if kind == "ascii":
        recs = ["  -1,  -2,   3", "   4,   5,  -3"]
        cols = col("A", "ASCII_INTEGER", 1, 14, "    ITEMS = 3\n    ITEM_BYTES = 4\n    ITEM_OFFSET = 5\n")
        files = {"A.TAB": "".join(x + "\r\n" for x in recs),
                 "A.LBL": table_label("GAP", cols, file="A.TAB", rows=2, row_bytes=16, fmt="ASCII")}
        expected = [[-1, -2, 3], [4, 5, -3]]
    else:
        expected = [[1, -2, 3], [4, 5, -6]]
        data = b"".join(b"\0".join(int(v).to_bytes(2, "big", signed=True) for v in row) for row in expected)
        cols = col("A", "MSB_INTEGER", 1, 8, "    ITEMS = 3\n    ITEM_BYTES = 2\n    ITEM_OFFSET = 3\n")
        files = {"A.TAB": data, "A.LBL": table_label("GAP", cols, file="A.TAB", rows=2, row_bytes=8)}
    r, t = migrated(tmp_path, ctx_file, files, "A.LBL")
    s = pds4_read(r.pds4_label)["TABLE"]
    assert [np.asarray(s[f"A_{i}"]).tolist() for i in (1, 2, 3)] == np.array(expected).T.tolist()
    assert any("described item by item" in n for n in r.notes)


def test_no_value_words_in_the_valid_range_and_saturations(tmp_path, ctx_file):
    """``VALID_MINIMUM = "N/A"``, ``VALID_MAXIMUM = UNK``, ``LOW_REPR_SATURATION = "N/A"``,
    ``DERIVED_MAXIMUM = "N/A"`` (old volumes fill every keyword): no value, nothing written —
    PDS4's valid range and saturations are numbers of the data's type. A quoted number in
    them is the number."""
    img = np.array([[1, 2], [3, 4]], dtype=">i2")
    keys = ("  LINES = 2\n  LINE_SAMPLES = 2\n  SAMPLE_TYPE = MSB_INTEGER\n  SAMPLE_BITS = 16\n"
            '  VALID_MINIMUM = "N/A"\n  VALID_MAXIMUM = UNK\n  LOW_REPR_SATURATION = "N/A"\n'
            '  HIGH_REPR_SATURATION = " 4 "\n  DERIVED_MAXIMUM = "N/A"\n')
    r, t = migrated(tmp_path, ctx_file, {"I.IMG": img.tobytes(), "I.LBL": image_label("NA", keys)}, "I.LBL")
    assert [e.tag.split("}")[1] for e in t.xpath("//p:Special_Constants/*", namespaces={"p": t.getroot().nsmap[None]})] \
        == ["high_representation_saturation"]
    assert texts(t, "//p:Special_Constants/p:high_representation_saturation") == ["4"]
    assert texts(t, "//p:Array_2D_Image/p:description") == []
    got = pds4_read(r.pds4_label)["IMAGE"].as_masked().data
    assert np.ma.getmaskarray(got).tolist() == (img == 4).tolist()
