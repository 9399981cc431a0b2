"""PDS3 data objects through pdsgen.open: synthetic files whose values are known by
construction, VAX conversions against hand-computed bit patterns, the seed 002 document
and the dual-labelled corpus (same data through the PDS3 and the PDS4 label)."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import numpy as np
import pytest

import pdsgen
from pdsgen import DataError, LabelError
from tests.conftest import SEEDS


def write(path: Path, text: str) -> Path:
    path.write_text(text.replace("\n", "\r\n"))
    return path


# --- VAX / IBM conversions against hand-assembled bit patterns ----------------------------
def vax_f_bytes(sign: int, exponent: int, fraction: int) -> bytes:
    """VAX F: word0 = sign|exp(8)|fraction high 7 bits, word1 = low 16 bits; words little-endian."""
    word0 = (sign << 15) | (exponent << 7) | (fraction >> 16)
    word1 = fraction & 0xFFFF
    return struct.pack("<HH", word0, word1)


def test_vax_f_hand_values():
    from pdsgen.data.pds3_types import vax_f

    cases = [
        (vax_f_bytes(0, 129, 0), 1.0),  # 0.5 * 2^1
        (vax_f_bytes(1, 130, 0x200000), -2.5),  # 0.101b * 2^2
        (vax_f_bytes(0, 128, 0x400000), 0.75),  # 0.11b * 2^0
        (vax_f_bytes(0, 0, 0), 0.0),
        (vax_f_bytes(0, 255, 0x7FFFFF), (1 - 2.0**-24) * 2.0**127),  # largest F value
    ]
    raw = np.frombuffer(b"".join(b for b, _ in cases), np.uint8).reshape(-1, 4)
    assert vax_f(raw).tolist() == [v for _, v in cases]
    assert np.isnan(vax_f(np.frombuffer(vax_f_bytes(1, 0, 5), np.uint8).reshape(1, 4)))[0]


def test_vax_d_and_g_hand_values():
    from pdsgen.data.pds3_types import vax_d, vax_g

    # D: 1.0 = 0.5*2^1 → exponent 129, word0 = 0x4080; pi's 55-bit fraction from its binary expansion.
    one_d = struct.pack("<HHHH", 0x4080, 0, 0, 0)
    frac = int(np.pi / 4 * 2**56) - 2**55  # 0.1f... with hidden bit, pi = 0.785.. * 2^2
    word = (130 << 55) | frac
    pi_d = struct.pack("<HHHH", (word >> 48) & 0xFFFF, (word >> 32) & 0xFFFF, (word >> 16) & 0xFFFF, word & 0xFFFF)
    got = vax_d(np.frombuffer(one_d + pi_d, np.uint8).reshape(2, 8))
    assert got[0] == 1.0
    assert got[1] == pytest.approx(np.pi, rel=2**-52)
    # G: -1.0 = -0.5*2^1 → exponent 1025, word0 = 0x8000 | 1025 << 4
    minus_one_g = struct.pack("<HHHH", 0x8000 | (1025 << 4), 0, 0, 0)
    assert vax_g(np.frombuffer(minus_one_g, np.uint8).reshape(1, 8))[0] == -1.0


def test_ibm_single_hand_value():
    from pdsgen.data.pds3_types import ibm_single

    # -118.625 = -0x76.A = -(0.76A hex) * 16^2 → 0xC276A000 (the classic IBM example)
    raw = np.frombuffer(bytes.fromhex("C276A000"), np.uint8).reshape(1, 4)
    assert ibm_single(raw)[0] == -118.625


# --- a binary table with every type --------------------------------------------------------
BINARY_LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 64
FILE_RECORDS = 3
^BINARY_TABLE = "data.dat"
PRODUCT_ID = "SYN_BIN"
START_TIME = 2009-03-12T14:11:25.000
INSTRUMENT_ID = MIMI
OBJECT = BINARY_TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 3
  ROW_BYTES = 60
  ROW_PREFIX_BYTES = 2
  ROW_SUFFIX_BYTES = 2
  COLUMNS = 11
  OBJECT = COLUMN
    NAME = I2
    DATA_TYPE = MSB_INTEGER
    START_BYTE = 1
    BYTES = 2
    MISSING_CONSTANT = -999
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = U4
    DATA_TYPE = LSB_UNSIGNED_INTEGER
    START_BYTE = 3
    BYTES = 4
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = F4
    DATA_TYPE = PC_REAL
    START_BYTE = 7
    BYTES = 4
    SCALING_FACTOR = 2.0
    OFFSET = 1.0
    UNIT = "KM"
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = D8
    DATA_TYPE = IEEE_REAL
    START_BYTE = 11
    BYTES = 8
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = VAX
    DATA_TYPE = VAX_REAL
    START_BYTE = 19
    BYTES = 4
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = NAME
    DATA_TYPE = CHARACTER
    START_BYTE = 23
    BYTES = 6
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = VEC
    DATA_TYPE = SUN_INTEGER
    START_BYTE = 29
    BYTES = 8
    ITEMS = 3
    ITEM_BYTES = 2
    ITEM_OFFSET = 3
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = FLAGS
    DATA_TYPE = MSB_BIT_STRING
    START_BYTE = 37
    BYTES = 1
    OBJECT = BIT_COLUMN
      NAME = HIGH
      BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER
      START_BIT = 1
      BITS = 3
    END_OBJECT = BIT_COLUMN
    OBJECT = BIT_COLUMN
      NAME = LOW
      BIT_DATA_TYPE = MSB_INTEGER
      START_BIT = 5
      BITS = 4
    END_OBJECT = BIT_COLUMN
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = OK
    DATA_TYPE = BOOLEAN
    START_BYTE = 38
    BYTES = 1
  END_OBJECT = COLUMN
  OBJECT = CONTAINER
    NAME = PAIR
    START_BYTE = 39
    BYTES = 4
    REPETITIONS = 2
    OBJECT = COLUMN
      NAME = A
      DATA_TYPE = MAC_UNSIGNED_INTEGER
      START_BYTE = 1
      BYTES = 1
    END_OBJECT = COLUMN
    OBJECT = COLUMN
      NAME = B
      DATA_TYPE = LSB_INTEGER
      START_BYTE = 2
      BYTES = 2
    END_OBJECT = COLUMN
  END_OBJECT = CONTAINER
  OBJECT = COLUMN
    NAME = WHEN
    DATA_TYPE = TIME
    START_BYTE = 47
    BYTES = 14
  END_OBJECT = COLUMN
END_OBJECT = BINARY_TABLE
END
"""


def _binary_rows() -> tuple[bytes, dict]:
    i2 = [1, -999, -3]
    u4 = [7, 4000000000, 9]
    f4 = [0.5, 1.5, -2.0]
    d8 = [np.pi, -1e300, 0.0]
    vax = [(0, 129, 0), (1, 130, 0x200000), (0, 128, 0x400000)]
    names = [b"alpha ", b"beta  ", b"gamma "]
    vec = [(1, 2, 3), (-1, -2, -3), (100, 200, 300)]
    flags = [0b10110101, 0b01011000, 0b11101111]
    ok = [0, 1, 255]
    pairs = [((1, -1), (2, -2)), ((3, 300), (4, -400)), ((255, 0), (0, 32767))]
    when = [b"2009-071T14:11", b"2009-072T00:00", b"2009-073T12:34"]
    rows = []
    for r in range(3):
        row = bytearray(b"\xaa\xbb")  # prefix
        row += struct.pack(">h", i2[r]) + struct.pack("<I", u4[r]) + struct.pack("<f", f4[r])
        row += struct.pack(">d", d8[r]) + vax_f_bytes(*vax[r]) + names[r]
        for v in vec[r]:
            row += struct.pack(">h", v) + b"\x00"
        row = row[:-1]  # VEC spans 8 bytes: 3 items at offsets 0, 3, 6 (2 bytes each)
        row += bytes([flags[r], ok[r]])
        for a, b in pairs[r]:
            row += bytes([a]) + struct.pack("<h", b) + b"\x00"  # 4-byte repetitions
        row += when[r]
        row += b"\xcc\xdd"  # suffix
        assert len(row) == 64, len(row)
        rows.append(bytes(row))
    expect = dict(i2=i2, u4=u4, f4=f4, d8=d8, vec=vec, flags=flags, ok=ok, pairs=pairs, names=names, when=when)
    return b"".join(rows), expect


def test_binary_table_all_types(tmp_path: Path):
    data, expect = _binary_rows()
    (tmp_path / "DATA.DAT").write_bytes(data)  # label says data.dat: case-insensitive match
    product = pdsgen.open(write(tmp_path / "syn.lbl", BINARY_LABEL))
    assert product.standard == "PDS3" and product.product_id == "SYN_BIN"
    assert product.start_time == "2009-03-12T14:11:25Z" and product.instrument == "MIMI"
    table = product["BINARY_TABLE"]
    assert table.kind == "table" and table.layout == "fixed_binary" and table.record_length == 64
    d = table.data
    assert d["I2"].tolist() == expect["i2"]
    assert d["U4"].tolist() == expect["u4"]
    assert d["F4"].tolist() == expect["f4"]
    assert d["D8"].tolist() == expect["d8"]
    assert d["VAX"].tolist() == [1.0, -2.5, 0.75]
    assert [bytes(v).rstrip() for v in d["NAME"]] == [n.rstrip() for n in expect["names"]]
    assert d["VEC"].tolist() == [list(v) for v in expect["vec"]]
    assert d["HIGH"].tolist() == [f >> 5 for f in expect["flags"]]
    low = [(f >> 0) & 0xF for f in expect["flags"]]
    assert d["LOW"].tolist() == [v - 16 if v >= 8 else v for v in low]
    assert d["OK"].tolist() == [False, True, True]
    assert d["A"].tolist() == [[p[0][0], p[1][0]] for p in expect["pairs"]]
    assert d["B"].tolist() == [[p[0][1], p[1][1]] for p in expect["pairs"]]
    assert d["WHEN"].tolist() == expect["when"]  # stored text (bytes); to_table decodes
    # to_table: missing constant masked, scaling applied, unit carried
    t = table.to_table()
    assert t["I2"].mask.tolist() == [False, True, False]
    assert t["F4"].tolist() == [2 * v + 1 for v in expect["f4"]]
    assert table.field("F4").unit == "KM"


def test_lsb_bit_column_and_vax_double(tmp_path: Path):
    label = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 10
FILE_RECORDS = 1
^TABLE = ("t.dat", 1)
OBJECT = TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 1
  ROW_BYTES = 10
  OBJECT = COLUMN
    NAME = BITS
    DATA_TYPE = LSB_BIT_STRING
    START_BYTE = 1
    BYTES = 2
    OBJECT = BIT_COLUMN
      NAME = TOP
      START_BIT = 1
      BITS = 4
    END_OBJECT = BIT_COLUMN
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = D
    DATA_TYPE = VAX_DOUBLE
    START_BYTE = 3
    BYTES = 8
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""
    # LSB value 0xA123 is stored 23 A1; its top 4 bits are 0xA.
    (tmp_path / "t.dat").write_bytes(b"\x23\xa1" + struct.pack("<HHHH", 0x4080, 0, 0, 0))
    d = pdsgen.open(write(tmp_path / "t.lbl", label))["TABLE"].data
    assert d["TOP"].tolist() == [0xA]
    assert d["D"].tolist() == [1.0]


# --- ASCII tables, record and byte pointers, attached labels ------------------------------
def test_ascii_table_attached_with_record_pointer(tmp_path: Path):
    label = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 40
FILE_RECORDS = 16
LABEL_RECORDS = 22
^INDEX_TABLE = 23
OBJECT = INDEX_TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 2
  ROW_BYTES = 40
  COLUMNS = 4
  OBJECT = COLUMN
    NAME = ID
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 1
    BYTES = 4
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = "FILE NAME"
    DATA_TYPE = CHARACTER
    START_BYTE = 7
    BYTES = 8
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = VALUE
    DATA_TYPE = ASCII_REAL
    START_BYTE = 17
    BYTES = 9
    INVALID_CONSTANT = -1.0E32
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = COUNTS
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 27
    BYTES = 11
    ITEMS = 3
    ITEM_BYTES = 3
    ITEM_OFFSET = 4
  END_OBJECT = COLUMN
END_OBJECT = INDEX_TABLE
END
"""
    text = label.replace("\n", "\r\n").encode()
    assert len(text) <= 22 * 40
    rows = [b'  12,"a.dat   ", 3.25E+02,  1,  2,  3 \r\n', b'  -7,"b.dat   ",-1.0E32  , 10, 20, 30 \r\n']
    assert all(len(r) == 40 for r in rows)
    path = tmp_path / "attached.tab"
    path.write_bytes(text.ljust(22 * 40, b" ") + b"".join(rows))
    obj = pdsgen.open(path)["INDEX_TABLE"]
    assert obj.offset == 22 * 40 and obj.layout == "fixed_character"
    d = obj.data
    assert d["ID"].tolist() == [12, -7]
    assert d["FILE NAME"].tolist() == [b"a.dat", b"b.dat"]
    assert d["VALUE"].tolist() == [325.0, -1.0e32]
    assert d["COUNTS"].tolist() == [[1, 2, 3], [10, 20, 30]]
    assert obj.to_table()["VALUE"].mask.tolist() == [False, True]


def test_byte_pointer_stream_lines_and_structure_include(tmp_path: Path):
    vol = tmp_path / "VOLUME"
    (vol / "LABEL").mkdir(parents=True)
    (vol / "DATA" / "SUB").mkdir(parents=True)
    (vol / "LABEL" / "cols.fmt").write_text(
        "OBJECT = COLUMN\n NAME = X\n DATA_TYPE = ASCII_REAL\n START_BYTE = 1\n BYTES = 5\nEND_OBJECT = COLUMN\n"
        "^STRUCTURE = \"more.fmt\"\n"
    )
    (vol / "LABEL" / "MORE.FMT").write_text(
        "OBJECT = COLUMN\n NAME = Y\n DATA_TYPE = ASCII_INTEGER\n START_BYTE = 7\n BYTES = 3\nEND_OBJECT = COLUMN\nEND\n"
    )
    (vol / "DATA" / "SUB" / "series.tab").write_bytes(b"header line\n 1.50, 10\n-2.25, 20\n")
    label = """PDS_VERSION_ID = PDS3
RECORD_TYPE = STREAM
^SERIES = ("SERIES.TAB", 2)
^HEADER = ("SERIES.TAB", 1 <BYTES>)
OBJECT = HEADER
  BYTES = 12
END_OBJECT = HEADER
OBJECT = SERIES
  INTERCHANGE_FORMAT = ASCII
  ROWS = 2
  ROW_BYTES = 10
  ^STRUCTURE = "COLS.FMT"
END_OBJECT = SERIES
END
"""
    product = pdsgen.open(write(vol / "DATA" / "SUB" / "series.lbl", label))
    series = product["SERIES"]
    assert series.offset == 12  # line 2 of a stream file
    assert series.data["X"].tolist() == [1.5, -2.25]
    assert series.data["Y"].tolist() == [10, 20]
    assert product["HEADER"].offset == 0 and product["HEADER"].data == b"header line\n"


def test_missing_structure_file_is_a_clear_error_on_data(tmp_path: Path):
    (tmp_path / "t.dat").write_bytes(b"\0" * 8)
    label = 'PDS_VERSION_ID = PDS3\n^TABLE = "t.dat"\nOBJECT = TABLE\n ROWS = 1\n ROW_BYTES = 8\n' \
            ' ^STRUCTURE = "NOPE.FMT"\nEND_OBJECT = TABLE\nEND\n'
    product = pdsgen.open(write(tmp_path / "t.lbl", label))
    with pytest.raises(LabelError, match="NOPE.FMT"):
        _ = product["TABLE"].data


def test_pointer_to_missing_file(tmp_path: Path):
    label = 'PDS_VERSION_ID = PDS3\n^IMAGE = "nothere.img"\nOBJECT = IMAGE\n LINES = 1\n LINE_SAMPLES = 1\n' \
            ' SAMPLE_TYPE = UNSIGNED_INTEGER\n SAMPLE_BITS = 8\nEND_OBJECT = IMAGE\nEND\n'
    product = pdsgen.open(write(tmp_path / "i.lbl", label))
    with pytest.raises(LabelError, match="nothere.img"):
        _ = product["IMAGE"].data


# --- spreadsheets -------------------------------------------------------------------------
def test_spreadsheet(tmp_path: Path):
    (tmp_path / "s.csv").write_bytes(b'"a",1.5,7,8\r\n"b c",-2,9,10\r\n')
    label = """PDS_VERSION_ID = PDS3
RECORD_TYPE = STREAM
^SPREADSHEET = "S.CSV"
OBJECT = SPREADSHEET
  ROWS = 2
  ROW_BYTES = 20
  FIELDS = 3
  FIELD_DELIMITER = "COMMA"
  OBJECT = FIELD
    NAME = "NAME"
    FIELD_NUMBER = 1
    BYTES = 5
    DATA_TYPE = CHARACTER
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = "V"
    FIELD_NUMBER = 2
    BYTES = 5
    DATA_TYPE = ASCII_REAL
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = "PAIR"
    FIELD_NUMBER = 3
    BYTES = 3
    ITEMS = 2
    DATA_TYPE = ASCII_INTEGER
  END_OBJECT = FIELD
END_OBJECT = SPREADSHEET
END
"""
    obj = pdsgen.open(write(tmp_path / "s.lbl", label))["SPREADSHEET"]
    d = obj.data
    assert obj.layout == "delimited"
    assert d["NAME"].tolist() == [b"a", b"b c"]
    assert obj.to_table()["NAME"].tolist() == ["a", "b c"]
    assert d["V"].tolist() == [1.5, -2.0]
    assert d["PAIR"].tolist() == [[7, 8], [9, 10]]


# --- images, arrays, collections, histograms, text, FILE objects --------------------------
IMAGE_LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
^IMAGE = ("img.dat", 1)
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  BANDS = 2
  BAND_STORAGE_TYPE = {storage}
  SAMPLE_TYPE = LSB_UNSIGNED_INTEGER
  SAMPLE_BITS = 16
  LINE_PREFIX_BYTES = {prefix}
  LINE_SUFFIX_BYTES = {suffix}
  SCALING_FACTOR = 0.5
  MISSING_CONSTANT = 0
END_OBJECT = IMAGE
END
"""


@pytest.mark.parametrize("storage", ["BAND_SEQUENTIAL", "LINE_INTERLEAVED", "SAMPLE_INTERLEAVED"])
@pytest.mark.parametrize("prefix,suffix", [(0, 0), (3, 1)])
def test_image_storage_and_prefixes(tmp_path: Path, storage: str, prefix: int, suffix: int):
    cube = np.arange(2 * 3 * 4, dtype="<u2").reshape(2, 3, 4)  # band, line, sample
    stored = {"BAND_SEQUENTIAL": cube, "LINE_INTERLEAVED": cube.transpose(1, 0, 2),
              "SAMPLE_INTERLEAVED": cube.transpose(1, 2, 0)}[storage]
    if storage == "BAND_SEQUENTIAL":
        lines = stored.reshape(6, 4)
    else:
        lines = stored.reshape(3, 8)
    raw = b"".join(b"P" * prefix + line.tobytes() + b"S" * suffix for line in lines)
    (tmp_path / "img.dat").write_bytes(raw)
    label = IMAGE_LABEL.format(rb=len(raw), storage=storage, prefix=prefix, suffix=suffix)
    obj = pdsgen.open(write(tmp_path / "i.lbl", label))["IMAGE"]
    assert np.array_equal(obj.data, stored)
    assert [a.name for a in obj.axes] == {"BAND_SEQUENTIAL": ["BAND", "LINE", "SAMPLE"],
                                          "LINE_INTERLEAVED": ["LINE", "BAND", "SAMPLE"],
                                          "SAMPLE_INTERLEAVED": ["LINE", "SAMPLE", "BAND"]}[storage]
    t = pdsgen.data.physical_data(obj)
    assert t.mask.sum() == 1 and float(t.max()) == 23 * 0.5
    if prefix:
        from pdsgen.data.pds3_image import line_prefixes

        assert obj.layout == "pds3_image"
        assert line_prefixes(obj).tobytes() == b"P" * prefix * len(lines)


def test_array_collection_histogram_text_in_file_objects(tmp_path: Path):
    arr = np.arange(6, dtype=">i4").reshape(2, 3)
    coll = struct.pack(">hf", -5, 2.5) + np.array([1, 2, 3, 4], ">u2").tobytes()
    hist = np.array([10, 20, 30], "<u4").tobytes()
    (tmp_path / "a.dat").write_bytes(arr.tobytes() + coll + hist)
    (tmp_path / "notes.txt").write_text("Some notes\nline two\n")
    label = f"""PDS_VERSION_ID = PDS3
OBJECT = FILE
  FILE_NAME = "A.DAT"
  RECORD_TYPE = UNDEFINED
  ^ARRAY = ("A.DAT", 1 <BYTES>)
  ^COLLECTION = ("A.DAT", {arr.nbytes + 1} <BYTES>)
  ^HISTOGRAM = ("A.DAT", {arr.nbytes + len(coll) + 1} <BYTES>)
  OBJECT = ARRAY
    AXES = 2
    AXIS_ITEMS = (2, 3)
    AXIS_NAME = (ROW, COL)
    OBJECT = ELEMENT
      DATA_TYPE = MSB_INTEGER
      BYTES = 4
    END_OBJECT = ELEMENT
  END_OBJECT = ARRAY
  OBJECT = COLLECTION
    BYTES = {len(coll)}
    OBJECT = ELEMENT
      NAME = S
      START_BYTE = 1
      BYTES = 2
      DATA_TYPE = MSB_INTEGER
    END_OBJECT = ELEMENT
    OBJECT = ELEMENT
      NAME = F
      START_BYTE = 3
      BYTES = 4
      DATA_TYPE = IEEE_REAL
    END_OBJECT = ELEMENT
    OBJECT = ARRAY
      NAME = M
      START_BYTE = 7
      AXES = 2
      AXIS_ITEMS = (2, 2)
      OBJECT = ELEMENT
        DATA_TYPE = MSB_UNSIGNED_INTEGER
        BYTES = 2
      END_OBJECT = ELEMENT
    END_OBJECT = ARRAY
  END_OBJECT = COLLECTION
  OBJECT = HISTOGRAM
    ITEMS = 3
    ITEM_BYTES = 4
    DATA_TYPE = PC_UNSIGNED_INTEGER
  END_OBJECT = HISTOGRAM
END_OBJECT = FILE
OBJECT = FILE
  ^TEXT = "NOTES.TXT"
  OBJECT = TEXT
    INTERCHANGE_FORMAT = ASCII
  END_OBJECT = TEXT
END_OBJECT = FILE
END
"""
    product = pdsgen.open(write(tmp_path / "f.lbl", label))
    assert [o.name for o in product] == ["ARRAY", "COLLECTION", "HISTOGRAM", "TEXT"]
    assert np.array_equal(product["ARRAY"].data, arr) and [a.name for a in product["ARRAY"].axes] == ["ROW", "COL"]
    c = product["COLLECTION"].data
    assert c["S"].tolist() == [-5] and c["F"].tolist() == [2.5] and c["M"].tolist() == [[[1, 2], [3, 4]]]
    assert product["HISTOGRAM"].data.tolist() == [10, 20, 30]
    assert product["TEXT"].data == "Some notes\nline two\n"


def test_unsupported_and_bad_objects_open_but_say_why(tmp_path: Path):
    label = """PDS_VERSION_ID = PDS3
^QUBE = "q.dat"
^TABLE = "t.dat"
OBJECT = QUBE
  AXES = 3
END_OBJECT = QUBE
OBJECT = TABLE
  ROWS = 1
  ROW_BYTES = 4
  OBJECT = COLUMN
    NAME = X
    DATA_TYPE = LSB_INTEGER
    START_BYTE = 1
    BYTES = 3
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""
    # (a 3-byte LSB integer: no numpy type, and unlike an MSB one not one bit field either)
    (tmp_path / "q.dat").write_bytes(b"\0")
    (tmp_path / "t.dat").write_bytes(b"\0" * 4)
    product = pdsgen.open(write(tmp_path / "u.lbl", label))
    with pytest.raises(LabelError, match="QUBE.*CORE_ITEMS is missing"):  # a QUBE without its core
        _ = product["QUBE"].data
    with pytest.raises(LabelError, match="column 'X'.*3 bytes"):
        _ = product["TABLE"].data


def test_short_data_file_is_a_data_error(tmp_path: Path):
    data, _ = _binary_rows()
    (tmp_path / "data.dat").write_bytes(data[:100])
    product = pdsgen.open(write(tmp_path / "syn.lbl", BINARY_LABEL))
    with pytest.raises(DataError, match="shorter"):
        _ = product["BINARY_TABLE"].data


# --- real products ------------------------------------------------------------------------
@pytest.mark.shared
def test_seed_002_document_opens():
    path = next(SEEDS.glob("002_*"))
    product = pdsgen.open(path)
    assert product.standard == "PDS3" and product.instrument == "MIMI"
    assert product.label["ASCII_DOCUMENT"]["PUBLICATION_DATE"] == dt.date(2005, 3, 1)
    doc = product["ASCII_DOCUMENT"]
    assert doc.kind == "text"
    text = doc.data
    assert text.lstrip("\xa0 \r\n").startswith("FILE\xa0CONTENTS:") or "FILE CONTENTS:" in text[:400]
    assert 'dp:IACC:"sci"' in text.replace("\xa0", " ")
    assert "END_OBJECT" not in text  # the label is not part of the document


def test_detect():
    from pdsgen.pds3.product import detect

    assert detect(Path("a.img"), b"/* attached */\r\n^IMAGE = 3\r\nEND\r\n")
    assert detect(Path("seed.txt"), b"Download this file\n\nPDS_VERSION_ID = PDS3\n")
    assert not detect(Path("a.xml"), b'<?xml version="1.0"?>\n<Product_Observational>')
    assert not detect(Path("a.fits"), b"SIMPLE  =                    T" + b" " * 50 + b"END" + b" " * 77)
    assert not detect(Path("a.csv"), b"1,2,3\n4,5,6\n")
