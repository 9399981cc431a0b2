"""`pdsgen migrate`: PDS3 products built here from the PDS3 Standards Reference (one per
object kind and special case) and the real products of ../shared/corpus/pds3/dual.

Expected values come from the numpy arrays the tests write (independent of pdsgen's
readers) and, when installed, from pds4_tools reading the new PDS4 labels."""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CATALOG_ARG
from lxml import etree

from pdsgen.cli import main
from pdsgen.migrate import MigrateOptions, MigrationMap, migrate, migrate_product
from pdsgen.migrate.describe import constant_text, field_format
from pdsgen.migrate.vocabulary import lid_component, pds4_unit

NS = {"p": "http://pds.nasa.gov/pds4/pds/v1"}
CT = "2026-01-01T00:00:00Z"
CONTEXT = {"Product_Context": [
    {"lidvid": "urn:nasa:pds:context:investigation:mission.test_mission::1.0", "name": ["TEST MISSION"],
     "type": ["Mission"]},
    {"lidvid": "urn:nasa:pds:context:instrument_host:spacecraft.tsc::1.0", "name": ["TEST SPACECRAFT"],
     "type": ["Spacecraft"]},
    {"lidvid": "urn:nasa:pds:context:instrument:tsc.cam::1.0", "name": ["TEST CAMERA"], "type": ["Imager"]},
    {"lidvid": "urn:nasa:pds:context:instrument:tsc.spec::1.0", "name": ["SPECTROMETER"], "type": ["Spectrometer"]},
    {"lidvid": "urn:nasa:pds:context:instrument:other.spec::1.0", "name": ["SPECTROMETER"],
     "type": ["Spectrometer"]},
    {"lidvid": "urn:nasa:pds:context:target:planet.mars::1.0", "name": ["Mars"], "type": ["Planet"]},
    {"lidvid": "urn:nasa:pds:context:target:satellite.mars.phobos::1.0", "name": ["Phobos"], "type": ["Satellite"]},
]}

IDENT = """PDS_VERSION_ID = PDS3
DATA_SET_ID = "TSC-M-CAM-2-EDR-V1.0"
PRODUCT_ID = "{pid}"
PRODUCT_NAME = "Synthetic {pid}"
MISSION_NAME = "TEST MISSION"
INSTRUMENT_HOST_NAME = "TEST SPACECRAFT"
INSTRUMENT_NAME = "{instrument}"
TARGET_NAME = {target}
START_TIME = 2020-01-01T00:00:00.5
STOP_TIME = 2020-001T01:00:00
"""


def ident(pid: str, instrument: str = "TEST CAMERA", target: str = "MARS") -> str:
    return IDENT.format(pid=pid, instrument=instrument, target=target)


@pytest.fixture
def ctx_file(tmp_path) -> Path:
    p = tmp_path / "context.json"
    p.write_text(json.dumps(CONTEXT))
    return p


def options(tmp_path: Path, ctx_file: Path, **kw) -> MigrateOptions:
    base = {"out": tmp_path / "out", "bundle_lid": "urn:nasa:pds:test_bundle", "catalog_path": CATALOG_ARG,
            "context_products": (str(ctx_file),), "creation_time": CT}
    return MigrateOptions(**{**base, **kw})


def xml(path) -> etree._ElementTree:
    return etree.parse(str(path))


def texts(tree, xpath: str) -> list[str]:
    return [e.text for e in tree.xpath(xpath, namespaces=NS)]


# --------------------------------------------------------------------------- binary table

BINARY_DTYPE = np.dtype({"names": ["COUNT", "U", "R8", "R4", "NAME", "SPECTRUM", "PAIR"],
                         "formats": [">i4", "<u2", ">f8", "<f4", "S6", (">u2", (4,)),
                                     (np.dtype([("A", ">i2"), ("B", ">f4")]), (3,))],
                         "offsets": [0, 4, 6, 14, 18, 24, 32], "itemsize": 50})

BINARY_LABEL = """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 50
FILE_RECORDS = 5
^TABLE = "BIN.DAT"
OBJECT = TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 5
  ROW_BYTES = 50
  COLUMNS = 7
  OBJECT = COLUMN
    NAME = COUNT
    DATA_TYPE = MSB_INTEGER
    START_BYTE = 1
    BYTES = 4
    UNIT = "KM/S"
    SCALING_FACTOR = 0.5
    OFFSET = 10
    MISSING_CONSTANT = -1
    DESCRIPTION = "Counts, scaled."
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = U
    DATA_TYPE = LSB_UNSIGNED_INTEGER
    START_BYTE = 5
    BYTES = 2
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = R8
    DATA_TYPE = IEEE_REAL
    START_BYTE = 7
    BYTES = 8
    UNIT = "SQUARE METER"
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = R4
    DATA_TYPE = PC_REAL
    START_BYTE = 15
    BYTES = 4
    INVALID_CONSTANT = -999.5
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = NAME
    DATA_TYPE = CHARACTER
    START_BYTE = 19
    BYTES = 6
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = SPECTRUM
    DATA_TYPE = MSB_UNSIGNED_INTEGER
    START_BYTE = 25
    BYTES = 8
    ITEMS = 4
    ITEM_BYTES = 2
  END_OBJECT = COLUMN
  OBJECT = CONTAINER
    NAME = PAIR
    START_BYTE = 33
    BYTES = 6
    REPETITIONS = 3
    OBJECT = COLUMN
      NAME = A
      DATA_TYPE = MSB_INTEGER
      START_BYTE = 1
      BYTES = 2
    END_OBJECT = COLUMN
    OBJECT = COLUMN
      NAME = B
      DATA_TYPE = IEEE_REAL
      START_BYTE = 3
      BYTES = 4
    END_OBJECT = COLUMN
  END_OBJECT = CONTAINER
END_OBJECT = TABLE
END
"""


def binary_values() -> np.ndarray:
    rng = np.random.default_rng(18)
    a = np.zeros(5, BINARY_DTYPE)
    a["COUNT"] = [5, -1, 7, 100000, -3]
    a["U"] = [0, 1, 65535, 2, 3]
    a["R8"] = rng.normal(size=5) * 1e10
    a["R4"] = [1.5, -999.5, 2.25, np.nan, 0]
    a["NAME"] = [b"ab", b"cdef", b"", b"xyz123", b"q"]
    a["SPECTRUM"] = rng.integers(0, 65535, (5, 4))
    a["PAIR"]["A"] = rng.integers(-30000, 30000, (5, 3))
    a["PAIR"]["B"] = rng.normal(size=(5, 3)).astype(np.float32)
    return a


def make_binary(folder: Path, pid: str = "BIN_0001", extra: str = "", stem: str = "BIN") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.DAT").write_bytes(binary_values().tobytes())
    label = folder / f"{stem}.LBL"
    label.write_text(ident(pid) + extra + BINARY_LABEL.replace('"BIN.DAT"', f'"{stem}.DAT"'))
    return label


def test_binary_table_items_container_types_units_constants(tmp_path, ctx_file):
    label = make_binary(tmp_path / "in")
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    new = Path(r.pds4_label)
    assert new == tmp_path / "out" / "BIN.xml"
    assert r.lid == "urn:nasa:pds:test_bundle:data:bin_0001"
    # the data file is the PDS3 one, byte for byte
    assert (tmp_path / "out/BIN.DAT").read_bytes() == (tmp_path / "in/BIN.DAT").read_bytes()
    t = xml(new)
    rec = "//p:Table_Binary/p:Record_Binary"
    assert texts(t, f"{rec}/p:fields") == ["5"] and texts(t, f"{rec}/p:groups") == ["2"]
    assert texts(t, f"{rec}/p:Field_Binary/p:name") == ["COUNT", "U", "R8", "R4", "NAME"]
    assert texts(t, f"{rec}/p:Field_Binary/p:data_type") == [
        "SignedMSB4", "UnsignedLSB2", "IEEE754MSBDouble", "IEEE754LSBSingle", "ASCII_String"]
    assert texts(t, f"{rec}/p:Field_Binary/p:field_location") == ["1", "5", "7", "15", "19"]
    # units: PDS3 spellings to the PDS4 vocabulary
    assert texts(t, f"{rec}/p:Field_Binary[p:name='COUNT']/p:unit") == ["km/s"]
    assert texts(t, f"{rec}/p:Field_Binary[p:name='R8']/p:unit") == ["m**2"]
    assert texts(t, f"{rec}/p:Field_Binary[p:name='COUNT']/p:scaling_factor") == ["0.5"]
    assert texts(t, f"{rec}/p:Field_Binary[p:name='COUNT']/p:value_offset") == ["10.0"]
    assert texts(t, f"{rec}/p:Field_Binary[p:name='COUNT']/p:Special_Constants/p:missing_constant") == ["-1"]
    assert texts(t, f"{rec}/p:Field_Binary[p:name='R4']/p:Special_Constants/p:invalid_constant") == ["-999.5"]
    # ITEMS → a group of one field; CONTAINER → a group of its columns
    g = f"{rec}/p:Group_Field_Binary"
    assert texts(t, f"{g}/p:name") == ["SPECTRUM", "PAIR"]
    assert texts(t, f"{g}/p:repetitions") == ["4", "3"]
    assert texts(t, f"{g}/p:group_location") == ["25", "33"]
    assert texts(t, f"{g}/p:group_length") == ["8", "18"]
    assert texts(t, f"{g}[p:name='PAIR']/p:Field_Binary/p:field_location") == ["1", "3"]
    assert texts(t, f"{g}[p:name='PAIR']/p:Field_Binary/p:data_type") == ["SignedMSB2", "IEEE754MSBSingle"]
    # identification and provenance
    assert texts(t, "//p:start_date_time") == ["2020-01-01T00:00:00.500Z"]
    assert texts(t, "//p:stop_date_time") == ["2020-01-01T01:00:00Z"]
    assert texts(t, "//p:processing_level") == ["Partially Processed"]  # level 2 of the DATA_SET_ID
    assert texts(t, "//p:title") == ["Synthetic BIN_0001"]
    assert texts(t, "//p:Reference_List/p:External_Reference/p:reference_text") == [
        "PDS3 product DATA_SET_ID = TSC-M-CAM-2-EDR-V1.0, PRODUCT_ID = BIN_0001"]
    assert texts(t, "//p:Observing_System_Component/p:Internal_Reference/p:lid_reference") == [
        "urn:nasa:pds:context:instrument_host:spacecraft.tsc", "urn:nasa:pds:context:instrument:tsc.cam"]
    assert texts(t, "//p:Target_Identification/p:type") == ["Planet"]
    md5 = hashlib.md5((tmp_path / "in/BIN.DAT").read_bytes()).hexdigest()
    assert texts(t, "//p:File/p:md5_checksum") == [md5]


def test_binary_table_values_through_pds4_tools(tmp_path, ctx_file):
    pds4_tools = pytest.importorskip("pds4_tools")
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    want = binary_values()
    s = pds4_tools.read(r.pds4_label, quiet=True)["TABLE"]
    # pds4_tools scales every value except the special constants, which it keeps as stored
    count = np.where(want["COUNT"] == -1, -1, want["COUNT"] * 0.5 + 10)
    assert np.asarray(s["COUNT"]).tolist() == count.tolist()
    assert np.array_equal(np.asarray(s["U"]), want["U"])
    assert np.array_equal(np.asarray(s["R8"]), want["R8"])
    r4 = np.ma.getdata(s["R4"])
    assert np.array_equal(r4, want["R4"], equal_nan=True)
    assert [x.strip() for x in np.asarray(s["NAME"]).astype(str)] == ["ab", "cdef", "", "xyz123", "q"]
    assert np.array_equal(np.asarray(s["SPECTRUM"]), want["SPECTRUM"])
    assert np.array_equal(np.asarray(s["A"]), want["PAIR"]["A"])
    assert np.array_equal(np.asarray(s["B"]), want["PAIR"]["B"])


# --------------------------------------------------------------------------- attached ASCII table


def make_attached(folder: Path, pid: str = "ATT_0001") -> tuple[Path, int]:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [b"  1 2020-01-01T00:00:00.000   1.25 abc", b"  2 2020-01-01T00:00:10.000  -3.50 de ",
            b"  3 2020-01-01T00:00:20.000   0.00 f  "]
    rows = [r + b"\r\n" for r in rows]
    rb = len(rows[0])
    body = """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {fr:4d}
LABEL_RECORDS = {lr:4d}
^TABLE = {ptr:4d}
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 3
  ROW_BYTES = {rb}
  COLUMNS = 4
  OBJECT = COLUMN
    NAME = N
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 1
    BYTES = 3
    FORMAT = "I3"
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = T
    DATA_TYPE = TIME
    START_BYTE = 5
    BYTES = 23
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = X
    DATA_TYPE = ASCII_REAL
    START_BYTE = 29
    BYTES = 6
    FORMAT = "F6.2"
    UNIT = "SECOND"
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = S
    DATA_TYPE = CHARACTER
    START_BYTE = 36
    BYTES = 3
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""
    text = ident(pid) + body.format(rb=rb, fr=0, lr=0, ptr=0)
    lr = -(-len(text.encode()) // rb)
    text = ident(pid) + body.format(rb=rb, fr=lr + 3, lr=lr, ptr=lr + 1)
    head = text.encode().ljust(lr * rb, b" ")
    label = folder / "ATT.LBL"
    label.write_bytes(head + b"".join(rows))
    return label, lr * rb


def test_attached_ascii_table_by_offset(tmp_path, ctx_file):
    label, offset = make_attached(tmp_path / "in")
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    # the attached label's file is the data file, unchanged; the table is addressed by offset
    assert texts(t, "//p:File/p:file_name") == ["ATT.LBL"]
    assert (tmp_path / "out/ATT.LBL").read_bytes() == label.read_bytes()
    assert texts(t, "//p:Table_Character/p:offset") == [str(offset)]
    assert texts(t, "//p:Table_Character/p:record_delimiter") == ["Carriage-Return Line-Feed"]
    fc = "//p:Field_Character"
    assert texts(t, f"{fc}/p:data_type") == ["ASCII_Integer", "ASCII_Date_Time_YMD", "ASCII_Real", "ASCII_String"]
    assert texts(t, f"{fc}/p:field_format") == ["%3d", "%6.2f"]
    assert texts(t, f"{fc}/p:unit") == ["s"]
    import pdsgen

    tab = pdsgen.open(r.pds4_label).objects[0].data
    assert tab["N"].tolist() == [1, 2, 3] and tab["X"].tolist() == [1.25, -3.5, 0.0]


# --------------------------------------------------------------------------- spreadsheet


def test_spreadsheet_to_table_delimited(tmp_path, ctx_file):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "S.CSV").write_bytes(b'1,2.5,"abc"\r\n22,-0.125,"x y"\r\n3,1e3,"z"\r\n')
    (folder / "S.LBL").write_text(ident("SPR_1") + """RECORD_TYPE = STREAM
^SPREADSHEET = "S.CSV"
OBJECT = SPREADSHEET
  ROWS = 3
  ROW_BYTES = 20
  FIELDS = 3
  FIELD_DELIMITER = COMMA
  OBJECT = FIELD
    NAME = I
    FIELD_NUMBER = 1
    DATA_TYPE = ASCII_INTEGER
    BYTES = 2
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = R
    FIELD_NUMBER = 2
    DATA_TYPE = ASCII_REAL
    BYTES = 6
    UNIT = "KILOGRAM"
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = C
    FIELD_NUMBER = 3
    DATA_TYPE = CHARACTER
    BYTES = 3
  END_OBJECT = FIELD
END_OBJECT = SPREADSHEET
END
""")
    r = migrate_product(folder / "S.LBL", options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    assert texts(t, "//p:Table_Delimited/p:field_delimiter") == ["Comma"]
    assert texts(t, "//p:Field_Delimited/p:data_type") == ["ASCII_Integer", "ASCII_Real", "ASCII_String"]
    assert texts(t, "//p:Field_Delimited/p:maximum_field_length") == ["2", "6", "3"]
    assert texts(t, "//p:Field_Delimited/p:unit") == ["kg"]
    pds4_tools = pytest.importorskip("pds4_tools")
    s = pds4_tools.read(r.pds4_label, quiet=True)[0]
    assert np.asarray(s["I"]).tolist() == [1, 22, 3]
    assert np.asarray(s["R"]).tolist() == [2.5, -0.125, 1000.0]
    assert [str(x) for x in np.asarray(s["C"])] == ["abc", "x y", "z"]


# --------------------------------------------------------------------------- images and headers


def make_image(folder: Path, *, bands: int = 1, prefix: int = 0, name: str = "IMG",
               extra: str = "") -> tuple[Path, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    img = (np.arange(bands * 3 * 4).reshape(bands, 3, 4) * 7 - 20).astype(">i2")
    img[0, 1, 2] = -32768
    head = b"SIMPLE HEADER TEXT".ljust(32, b" ")
    lines = img.reshape(bands * 3, 4)
    raw = b"".join(b"\0" * prefix + line.tobytes() for line in lines)
    (folder / f"{name}.IMG").write_bytes(head + raw)
    (folder / f"{name}.LBL").write_text(ident(name) + f"""RECORD_TYPE = UNDEFINED
^HEADER = ("{name}.IMG", 1 <BYTES>)
^IMAGE = ("{name}.IMG", 33 <BYTES>)
OBJECT = HEADER
  BYTES = 32
  HEADER_TYPE = TEXT
END_OBJECT = HEADER
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  BANDS = {bands}
  BAND_STORAGE_TYPE = BAND_SEQUENTIAL
  LINE_PREFIX_BYTES = {prefix}
  SCALING_FACTOR = 2.0
  OFFSET = 1.5
  MISSING_CONSTANT = -32768
  UNIT = "DN"
{extra}END_OBJECT = IMAGE
END
""")
    return folder / f"{name}.LBL", img


@pytest.mark.parametrize("bands", [1, 3])
def test_image_and_header(tmp_path, ctx_file, bands):
    label, img = make_image(tmp_path / "in", bands=bands)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    cls = "Array_2D_Image" if bands == 1 else "Array_3D_Image"
    assert texts(t, f"//p:{cls}/p:offset") == ["32"]
    assert texts(t, "//p:Header/p:offset") == ["0"] and texts(t, "//p:Header/p:object_length") == ["32"]
    assert texts(t, f"//p:{cls}/p:Element_Array/p:data_type") == ["SignedMSB2"]
    assert texts(t, f"//p:{cls}/p:Element_Array/p:scaling_factor") == ["2.0"]
    assert texts(t, f"//p:{cls}/p:Axis_Array/p:axis_name") == (["Line", "Sample"] if bands == 1
                                                               else ["Band", "Line", "Sample"])
    assert texts(t, f"//p:{cls}/p:Special_Constants/p:missing_constant") == ["-32768"]
    import pdsgen

    arr = pdsgen.open(r.pds4_label)["IMAGE"].data
    assert np.array_equal(arr, img[0] if bands == 1 else img)
    pds4_tools = pytest.importorskip("pds4_tools")
    s = pds4_tools.read(r.pds4_label, quiet=True)
    # scaled, except the missing constant, which pds4_tools keeps as stored
    src = img[0] if bands == 1 else img
    want = np.where(src == -32768, -32768, src * 2.0 + 1.5)
    assert np.array_equal(np.asarray(s["IMAGE"].data), want)


# --------------------------------------------------------------------------- refusals


HUFFMAN = 'ENCODING_TYPE = "HUFFMAN_FIRST_DIFFERENCE"\n'


def test_refusals_leave_nothing(tmp_path, ctx_file):
    label, _ = make_image(tmp_path / "in", name="HUF", extra=HUFFMAN)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "failed"
    assert r.reason == ("object 'IMAGE': ENCODING_TYPE = HUFFMAN_FIRST_DIFFERENCE has no PDS4 form (Encoded_Image "
                        "takes GIF, J2C, JPEG, PNG, TIFF; Document_File takes Encapsulated Postscript, HTML, "
                        "LaTEX, MPEG-4, Microsoft Excel, Microsoft Word, PDF, PDF/A, Postscript, Rich Text and text)")
    vax = make_binary(tmp_path / "vax")
    vax.write_text(vax.read_text().replace("DATA_TYPE = PC_REAL", "DATA_TYPE = VAX_REAL"))
    r = migrate_product(vax, options(tmp_path, ctx_file))
    assert r.reason == ("object 'TABLE': field 'R4': PDS3 data type 'VAX_REAL' has no PDS4 data type (VAX/IBM "
                        "reals, binary BOOLEAN and LSB bit strings cannot be described without rewriting the data)")
    r = migrate_product(with_bit_column(tmp_path / "lsb", "LSB_UNSIGNED_INTEGER", start=5, bits=8),
                        options(tmp_path, ctx_file))
    assert r.status == "failed" and "straddling" in r.reason
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []


def with_bit_column(folder: Path, parent: str, *, start: int, bits: int) -> Path:
    label = make_binary(folder)
    label.write_text(label.read_text().replace("""    NAME = U
    DATA_TYPE = LSB_UNSIGNED_INTEGER
    START_BYTE = 5
    BYTES = 2
""", f"""    NAME = U
    DATA_TYPE = {parent}
    START_BYTE = 5
    BYTES = 2
    OBJECT = BIT_COLUMN
      NAME = FLAG
      BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER
      START_BIT = {start}
      BITS = {bits}
      DESCRIPTION = "Top bits."
    END_OBJECT = BIT_COLUMN
    OBJECT = BIT_COLUMN
      NAME = LOW
      BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER
      START_BIT = 9
      BITS = 8
    END_OBJECT = BIT_COLUMN
"""))
    return label


def test_bit_columns_to_packed_data_fields(tmp_path, ctx_file):
    r = migrate_product(with_bit_column(tmp_path / "in", "MSB_UNSIGNED_INTEGER", start=1, bits=3),
                        options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    f = "//p:Field_Binary[p:name='U']"
    assert texts(t, f"{f}/p:data_type") == ["UnsignedBitString"] and texts(t, f"{f}/p:field_location") == ["5"]
    assert texts(t, f"{f}/p:Packed_Data_Fields/p:bit_fields") == ["2"]
    assert texts(t, f"{f}//p:Field_Bit/p:name") == ["FLAG", "LOW"]
    assert texts(t, f"{f}//p:Field_Bit/p:start_bit_location") == ["1", "9"]
    assert texts(t, f"{f}//p:Field_Bit/p:stop_bit_location") == ["3", "16"]
    stored = binary_values()["U"].astype("<u2").tobytes()  # the bytes the file holds
    as_msb = np.frombuffer(stored, ">u2").astype(int)
    import pdsgen

    tab = pdsgen.open(r.pds4_label)["TABLE"].data
    assert tab["FLAG"].tolist() == (as_msb >> 13).tolist() and tab["LOW"].tolist() == (as_msb & 0xFF).tolist()
    # pds4_tools reads the table (it does not expose Field_Bit values: only the parent column)
    pds4_tools = pytest.importorskip("pds4_tools")
    s = pds4_tools.read(r.pds4_label, quiet=True)["TABLE"]
    assert [f.meta_data["name"] for f in s.fields][:2] == ["COUNT", "U"]


@pytest.mark.parametrize("check", ["compare_objects", "pds4_tools_difference"])
def test_failed_read_back_leaves_nothing(tmp_path, ctx_file, monkeypatch, check):
    import pdsgen.migrate.run as run

    monkeypatch.setattr(run, check, lambda *args: ["object 'TABLE' field 'U': 1 values differ"])
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "failed" and "values differ" in r.reason
    assert list((tmp_path / "out").iterdir()) == []  # no label, no data file, no staging folder


def test_without_pds4_tools_a_note_says_so(tmp_path, ctx_file, monkeypatch):
    import pdsgen.migrate.run as run

    monkeypatch.setattr(run, "_pds4_tools", lambda: False)
    monkeypatch.setattr(run, "pds4_tools_difference", lambda *args: pytest.fail("pds4_tools used"))
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert "pds4_tools is not installed (pip install 'pdsgen[migrate]'): the values were not read back " \
           "through it" in r.notes


def test_pds4_tools_read_back_tells_values_apart(tmp_path, ctx_file):
    import pdsgen
    from pdsgen.migrate.verify import pds4_tools_difference

    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert pds4_tools_difference(Path(r.pds4_label), pdsgen.open(r.pds4_label).objects) == []
    # the same label over other values (U[2] = 7, not 65535): pds4_tools' reading differs there
    other = make_binary(tmp_path / "other")
    values = binary_values()
    values["U"][2] = 7
    (tmp_path / "other" / "BIN.DAT").write_bytes(values.tobytes())
    r2 = migrate_product(other, options(tmp_path, ctx_file, out=tmp_path / "out2"))
    assert pds4_tools_difference(Path(r.pds4_label), pdsgen.open(r2.pds4_label).objects) == [
        "object 'TABLE' field 'U' (pds4_tools): 1 values differ, first at (2,): np.uint16(7) vs np.uint16(65535)"]
    # a table pds4_tools does not find under its name is a difference too
    import dataclasses

    renamed = dataclasses.replace(pdsgen.open(r.pds4_label).objects[0], name="OTHER")
    assert pds4_tools_difference(Path(r.pds4_label), [renamed]) == [
        "object 'OTHER': pds4_tools reads no such structure (['TABLE'])"]


def two_of_one_shape(tmp_path: Path, ctx_file: Path):
    """Two migrated binary products of one shape (out/, out2/); the second's U[2] is 7."""
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    values = binary_values()
    values["U"][2] = 7
    other = make_binary(tmp_path / "other")
    (tmp_path / "other" / "BIN.DAT").write_bytes(values.tobytes())
    r2 = migrate_product(other, options(tmp_path, ctx_file, out=tmp_path / "out2"))
    assert r.status == r2.status == "migrated"
    return r, r2


def test_pds4_tools_table_description_per_shape(tmp_path, ctx_file, monkeypatch):
    """pds4_tools builds a table's description once per exact table element: a label of the
    same shape over other bytes reads its own values, a table element that differs in one
    value (a data type) is described anew, and pds4_tools is itself again after the block."""
    pds4_tools = pytest.importorskip("pds4_tools")
    from collections import OrderedDict

    from pds4_tools.reader.table_objects import Meta_TableStructure, TableManifest

    from pdsgen.migrate import verify

    def read(label: Path) -> dict[str, np.ndarray]:
        s = pds4_tools.read(str(label), quiet=True, lazy_load=True, no_scale=True)["TABLE"]
        return {f.meta_data["name"]: np.ma.getdata(f).copy() for f in s.fields}

    r, r2 = two_of_one_shape(tmp_path, ctx_file)
    # U stored little-endian; the same bytes described as big-endian (one element differs)
    swapped = tmp_path / "out2" / "SWAPPED.xml"
    swapped.write_text(Path(r2.pds4_label).read_text().replace("UnsignedLSB2", "UnsignedMSB2"))
    plain = [read(Path(r.pds4_label)), read(Path(r2.pds4_label)), read(swapped)]
    built = []
    build = TableManifest.__dict__["from_label"].__func__
    monkeypatch.setattr(TableManifest, "from_label", classmethod(lambda cls, t: built.append(1) or build(cls, t)))
    monkeypatch.setattr(verify, "_SHAPES", OrderedDict())  # (descriptions of earlier tests' labels)
    manifest, meta = TableManifest.__dict__["from_label"], Meta_TableStructure.__dict__["from_label"]
    with verify.table_descriptions_per_shape():
        cached = [read(Path(r.pds4_label)), read(Path(r2.pds4_label)), read(swapped)]
    assert TableManifest.__dict__["from_label"] is manifest and Meta_TableStructure.__dict__["from_label"] is meta
    for want, got in zip(plain, cached, strict=True):
        assert list(want) == list(got)
        for name in want:
            assert np.array_equal(want[name], got[name], equal_nan=want[name].dtype.kind == "f"), name
    assert cached[1]["U"].tolist() == [0, 1, 7, 2, 3] and cached[0]["U"].tolist() == [0, 1, 65535, 2, 3]
    assert cached[2]["U"].tolist() == [0, 256, 1792, 512, 768]  # the same bytes read big-endian
    assert len(built) == 2  # one description for the two labels of one shape, one for the changed table


def test_read_back_uses_the_objects_validation_described(tmp_path, ctx_file, monkeypatch):
    """pdsgen's PDS4 read-back compares the objects validation's content check described
    from the new label (no second description); without validation it describes them."""
    import pdsgen.migrate.run as run
    import pdsgen.pds4.product as p4
    import pdsgen.validate.runner as vr

    described, compared = [], []
    validate_pds4, compare_objects = vr.validate_pds4, run.compare_objects

    def spy_validate(*args, **kwargs):
        res = validate_pds4(*args, **kwargs)
        described.append(list(kwargs["described"]))
        return res

    def spy_compare(pairs, **kwargs):
        pairs = list(pairs)
        compared.append([new for _old, new in pairs])
        return compare_objects(pairs, **kwargs)

    monkeypatch.setattr(run, "compare_objects", spy_compare)
    monkeypatch.setattr(vr, "validate_pds4", spy_validate)
    monkeypatch.setattr(p4, "product_from_tree", lambda *a: pytest.fail("objects described twice"))
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert [o.name for o in described[-1]] == ["TABLE"]
    assert compared[-1][0] is described[-1][0]
    monkeypatch.undo()
    monkeypatch.setattr(run, "compare_objects", spy_compare)
    r = migrate_product(make_binary(tmp_path / "in2"), options(tmp_path, ctx_file, out=tmp_path / "out2",
                                                               validate=False))
    assert r.status == "migrated", r.reason
    assert [o.name for o in compared[-1]] == ["TABLE"] and compared[-1][0] is not described[-1][0]


def test_context_notes_and_unknown_target(tmp_path, ctx_file):
    label = make_binary(tmp_path / "in")
    # an instrument name registered under two hosts: only the one of this host is taken
    label.write_text(label.read_text().replace('"TEST CAMERA"', '"SPECTROMETER"'))
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert "urn:nasa:pds:context:instrument:tsc.spec" in Path(r.pds4_label).read_text()
    label.write_text(label.read_text().replace('"SPECTROMETER"', '"NO SUCH THING"'))
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert any("no registered instrument context product named 'NO SUCH THING'" in n for n in r.notes)
    t = xml(r.pds4_label)
    assert texts(t, "//p:Observing_System_Component[p:type='Instrument']/p:name") == ["NO SUCH THING"]
    assert t.xpath("//p:Observing_System_Component[p:type='Instrument']/p:Internal_Reference", namespaces=NS) == []
    label.write_text(label.read_text().replace("TARGET_NAME = MARS", "TARGET_NAME = VULCAN"))
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "failed" and "VULCAN" in r.reason and "target_type" in r.reason


# --------------------------------------------------------------------------- --map


def test_map_file(tmp_path, ctx_file):
    m = tmp_path / "map.toml"
    m.write_text("""[lid]
pattern = "urn:nasa:pds:mapped:{collection}:x_{product_id}"
[product]
processing_level = "Calibrated"
discipline = "Atmospheres"
[keywords]
TARGET_NAME = "MARS"
PRODUCT_ID = "Other Id/7"
[units]
"SQUARE METER" = "km**2"
""")
    label = make_binary(tmp_path / "in")
    label.write_text(label.read_text().replace("TARGET_NAME = MARS", "TARGET_NAME = VULCAN"))
    r = migrate_product(label, options(tmp_path, ctx_file, bundle_lid=None, collection="raw",
                                       mapping=MigrationMap.load(m)))
    assert r.status == "migrated", r.reason
    assert r.lid == "urn:nasa:pds:mapped:raw:x_other_id_7"
    t = xml(r.pds4_label)
    assert texts(t, "//p:processing_level") == ["Calibrated"]
    assert texts(t, "//p:discipline_name") == ["Atmospheres"]
    assert texts(t, "//p:Field_Binary[p:name='R8']/p:unit") == ["km**2"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[product]\nprocessing_level = 'Cooked'\n")
    from pdsgen.errors import LabelError

    with pytest.raises(LabelError, match="Cooked"):
        MigrationMap.load(bad)
    bad.write_text("[nonsense]\nx = 1\n")
    with pytest.raises(LabelError, match=r"unknown section \[nonsense\]"):
        MigrationMap.load(bad)


def test_map_context_lids_without_names_in_the_label(tmp_path, ctx_file):
    """A label that names no host, instrument or target: the LIDs given in --map are written
    with the names and types they are registered under (the context list above)."""
    m = tmp_path / "map.toml"
    m.write_text('[context]\ninstrument_host = "urn:nasa:pds:context:instrument_host:spacecraft.tsc"\n'
                 'target = "urn:nasa:pds:context:target:planet.mars"\n')
    label = make_binary(tmp_path / "in")
    text = label.read_text()
    for key in ("INSTRUMENT_HOST_NAME", "INSTRUMENT_NAME", "TARGET_NAME"):
        text = "\n".join(line for line in text.splitlines() if not line.startswith(key)) + "\n"
    label.write_text(text)
    r = migrate_product(label, options(tmp_path, ctx_file, mapping=MigrationMap.load(m)))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    assert texts(t, "//p:Observing_System_Component/p:name") == ["TEST SPACECRAFT"]
    assert texts(t, "//p:Observing_System_Component/p:type") == ["Host"]
    assert texts(t, "//p:Target_Identification/p:name") == ["Mars"]
    assert texts(t, "//p:Target_Identification/p:type") == ["Planet"]
    assert texts(t, "//p:Target_Identification//p:lid_reference") == ["urn:nasa:pds:context:target:planet.mars"]


# --------------------------------------------------------------------------- small pieces


def test_vocabulary_pieces():
    assert lid_component("ACCANCP007.TAB") == "accancp007.tab"
    assert lid_component("  M 01/2 ") == "m_01_2"
    assert pds4_unit("N/A") == (None, None)
    assert pds4_unit("METERS/SECOND/SECOND") == ("m/s**2", None)
    assert pds4_unit("KM")[0] == "km" and pds4_unit("DEGREE")[0] == "deg"
    assert pds4_unit("DEGREES NORTH")[0] == "DEGREES NORTH" and pds4_unit("DEGREES NORTH")[1]
    assert field_format("F13.5") == "%13.5f" and field_format("I3") == "%3d" and field_format("A23") == "%23s"
    assert field_format("E12.4") == "%12.4e" and field_format("Z9") is None
    assert constant_text("16#FF7FFFFB#") == "0xFF7FFFFB" and constant_text(-1.5) == "-1.5"


# --------------------------------------------------------------------------- CLI, packaging, jobs


def test_cli_exit_codes_and_packaging(tmp_path, ctx_file):
    make_binary(tmp_path / "in" / "a", pid="A_1")
    make_binary(tmp_path / "in" / "b", pid="B_2")
    bad, _ = make_image(tmp_path / "in" / "c", name="HUF", extra=HUFFMAN)
    out = tmp_path / "bundle" / "data"
    args = ["migrate", str(tmp_path / "in"), "--out", str(out), "--bundle-lid", "urn:nasa:pds:test_bundle",
            "--context-products", str(ctx_file), "--creation-time", CT, "--jobs", "2"]
    if CATALOG_ARG:
        args += ["-C", CATALOG_ARG]
    runner = CliRunner()
    res = runner.invoke(main, args)
    assert res.exit_code == 1, res.output  # one product failed
    assert "MIGRATED" in res.output and f"FAILED   {bad}" in res.output
    # a and b have the same file names: b (second in input order) is refused, never written over a
    assert f"FAILED   {tmp_path / 'in/b/BIN.LBL'}: would overwrite {out / 'BIN.xml'}, the PDS4 label of " \
           f"{tmp_path / 'in/a/BIN.LBL'} migrated in this run; not replaced" in res.output
    assert sorted(p.name for p in out.iterdir()) == ["BIN.DAT", "BIN.xml"]
    assert "urn:nasa:pds:test_bundle:data:a_1<" in (out / "BIN.xml").read_text()
    res = runner.invoke(main, ["migrate", str(tmp_path / "nothing"), "--out", str(out)])
    assert res.exit_code == 2
    m = tmp_path / "bad.toml"
    m.write_text("not toml [")
    res = runner.invoke(main, ["migrate", str(tmp_path / "in"), "--out", str(out), "--map", str(m)])
    assert res.exit_code == 2 and "not TOML" in res.output
    res = runner.invoke(main, ["migrate", str(tmp_path / "in"), "--out", str(out), "--bundle-lid", "Bad LID"])
    assert res.exit_code == 2
    # migrated products package like any other
    res = runner.invoke(main, ["archive", "collection", str(out), "--creation-time", CT])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("urn:nasa:pds:test_bundle:data::1.0: 1 members")


def test_many_products_in_parallel(tmp_path, ctx_file):
    for i in range(6):
        make_binary(tmp_path / "in" / f"p{i}", pid=f"P_{i}", stem=f"B{i}")
    labels = sorted((tmp_path / "in").rglob("*.LBL"))
    opts = options(tmp_path, ctx_file)
    results = migrate([tmp_path / "in"], MigrateOptions(**{**opts.__dict__, "out": tmp_path / "o2"}), jobs=2)
    assert [r.source for r in results] == [str(p) for p in labels]
    assert all(r.status == "migrated" for r in results), [r.reason for r in results]
    assert len({r.lid for r in results}) == 6


def test_same_names_in_one_run_first_in_input_order_wins(tmp_path, ctx_file):
    """Products of one run that map to the same file name or LID: the first in input order
    is placed, each later one refused as a whole with the reason, with any number of
    workers; what is placed is one product's label and data, never a mix."""
    a = make_binary(tmp_path / "a", pid="A_1")
    b = make_binary(tmp_path / "b", pid="B_2")  # same label and data file names, same data bytes
    c = make_binary(tmp_path / "c", pid="C_3")  # same data file name, other bytes, another label name
    c = c.rename(c.with_name("X.LBL"))
    other = binary_values()
    other["COUNT"][0] = 6
    (tmp_path / "c" / "BIN.DAT").write_bytes(other.tobytes())
    d = make_binary(tmp_path / "d", pid="A_1", stem="D")  # a's PRODUCT_ID: a's LID
    e = make_binary(tmp_path / "e", pid="E_5", stem="E")
    out = tmp_path / "out"
    want = {
        a: None,
        b: f"would overwrite {out / 'BIN.xml'}, the PDS4 label of {a} migrated in this run; not replaced",
        c: f"would overwrite {out / 'BIN.DAT'}, the data file (other bytes) of {a} migrated in this run; "
           "not replaced",
        d: f"LID urn:nasa:pds:test_bundle:data:a_1 is already that of {a} in this run; not written",
        e: None,
    }
    a_md5 = hashlib.md5((tmp_path / "a" / "BIN.DAT").read_bytes()).hexdigest()
    for jobs in (2, 1, 2):
        results = migrate([tmp_path / x for x in "abcde"], options(tmp_path, ctx_file), jobs=jobs)
        assert [Path(r.source) for r in results] == list(want)
        for r, reason in zip(results, want.values(), strict=True):
            assert (r.status, r.reason) == (("migrated", None) if reason is None else ("failed", reason))
        assert sorted(p.name for p in out.iterdir()) == ["BIN.DAT", "BIN.xml", "E.DAT", "E.xml"]  # no staging
        t = xml(out / "BIN.xml")
        assert texts(t, "//p:logical_identifier") == ["urn:nasa:pds:test_bundle:data:a_1"]
        assert texts(t, "//p:md5_checksum") == [a_md5] == [hashlib.md5((out / "BIN.DAT").read_bytes()).hexdigest()]


# --------------------------------------------------------------------------- the dual corpus

DUAL_OUTCOMES = {
    "odya/ACCANCP007.LBL": "migrated",
    "odya/ACCANCP008.LBL": "migrated",
    "mer_cif/m0154651923f6_2p_cif_gbl.lbl": "migrated",
    # the first record has 1 of the 3 fields (a title line): a 40-byte Header, the
    # Table_Delimited after it (as the archive's PDS4 label does); context LIDs of ISRO
    "fsb/fsb_01500_rhk_xib_85s238_v1.lbl": "migrated",
    # ^STRUCTURE files the corpus does not hold: pdsgen cannot read the PDS3 product
    "lend/lend_rdr_dld_20240615.lbl": "LEND_RDR_DLD.FMT",
    "lend/lend_rdr_dlx_20240615.lbl": "LEND_RDR_DLX.FMT",
    # a JPEG DOCUMENT (a browse image): Product_Browse with an Encoded_Image, as published
    "mer_thm/s_00168901_thm.lbl": "migrated",
}


@pytest.fixture(scope="module")
def dual_migrated(tmp_path_factory, shared):
    from conftest import CONTEXT

    out = tmp_path_factory.mktemp("dual") / "out"
    opts = MigrateOptions(out=out, bundle_lid="urn:nasa:pds:dual", catalog_path=CATALOG_ARG,
                          context_products=(str(CONTEXT),), creation_time=CT)
    dual = shared / "corpus/pds3/dual"
    return dual, {str(Path(r.source).relative_to(dual)): r for r in migrate([dual], opts)}


@pytest.mark.shared
def test_dual_outcomes(dual_migrated):
    dual, results = dual_migrated
    assert set(results) == set(DUAL_OUTCOMES)
    for name, want in DUAL_OUTCOMES.items():
        r = results[name]
        if want == "migrated":
            assert r.status == "migrated", (name, r.reason)
        else:
            assert r.status == "failed" and want in r.reason, (name, r.reason)


@pytest.mark.shared
def test_dual_validate_zero_errors(dual_migrated):
    from conftest import validate_options

    from pdsgen.validate import validate

    _, results = dual_migrated
    labels = [r.pds4_label for r in results.values() if r.status == "migrated"]
    res = validate(labels, **validate_options(rule="product"))
    assert res.total_errors == 0, [(p.label, [str(f) for f in p.findings]) for p in res.products]


def _fields(tree) -> list[tuple]:
    return [(f.findtext("p:name", namespaces=NS), int(f.findtext("p:field_location", namespaces=NS)),
             f.findtext("p:data_type", namespaces=NS), int(f.findtext("p:field_length", namespaces=NS)),
             f.findtext("p:unit", namespaces=NS))
            for f in tree.xpath("//p:Field_Character", namespaces=NS)]


@pytest.mark.shared
def test_dual_odya_against_published_label(dual_migrated):
    """Field by field against the PDS4 label ODY's archive published for the same file."""
    dual, results = dual_migrated
    for stem in ("ACCANCP007", "ACCANCP008"):
        ours, theirs = xml(results[f"odya/{stem}.LBL"].pds4_label), xml(dual / f"odya/{stem}.xml")
        mine, pub = _fields(ours), _fields(theirs)
        assert [f[0] for f in mine] == [f[0] for f in pub]  # names
        assert [f[1] for f in mine] == [f[1] for f in pub]  # locations
        assert [f[3] for f in mine] == [f[3] for f in pub]  # lengths
        type_diffs = {m[0]: (m[2], p[2]) for m, p in zip(mine, pub, strict=True) if m[2] != p[2]}
        # PERI_TIME_ANC: the published ASCII_Date_Time is no longer a PDS4 type (1M00 has only
        # the _YMD/_DOY forms; the values are calendar dates). DATARATE_ANC: the values are
        # "1.00000", not ASCII_Integer text (validate rejects the published type).
        assert type_diffs == {"PERI_TIME_ANC": ("ASCII_Date_Time_YMD", "ASCII_Date_Time"),
                              "DATARATE_ANC": ("ASCII_Real", "ASCII_Integer")}
        unit_diffs = {m[0]: (m[4], p[4]) for m, p in zip(mine, pub, strict=True) if m[4] != p[4]}
        # the published label kept the PDS3 spellings; migrate writes the PDS4 unit vocabulary
        # where it has the unit (DEGREES NORTH/EAST have none and stay as written)
        assert unit_diffs == {"PERI_RADIUS_ANC": ("m", "METER"), "PERI_ALT_ANC": ("m", "METER"),
                              "PERI_LST_ANC": ("hr", "HOUR"), "PERI_SZA_ANC": ("deg", "DEGREE"),
                              "PERI_LS_ANC": ("deg", "DEGREE"), "SCT_MASS_ANC": ("kg", "KILOGRAM"),
                              "SCT_AREA_ANC": ("m**2", "SQUARE METER"),
                              "PREBIAS_ANC": ("m/s**2", "METERS/SECOND/SECOND"),
                              "POSTBIAS_ANC": ("m/s**2", "METERS/SECOND/SECOND"),
                              "AY1AS2NOISE_ANC": ("m/s**2", "METERS/SECOND/SECOND"),
                              "AY7AS2NOISE_ANC": ("m/s**2", "METERS/SECOND/SECOND"),
                              "AY39AS2NOISE_ANC": ("m/s**2", "METERS/SECOND/SECOND")}
        # the published table offset is 1 byte: wrong (the table starts at byte 0 of the
        # file; every field of the published label is read one byte late)
        assert texts(ours, "//p:Table_Character/p:offset") == ["0"]
        assert texts(theirs, "//p:Table_Character/p:offset") == ["1"]
        # context references: the same investigation, host and target LIDs; the instrument
        # LID differs: the published accel.ody is not registered, ody.accel is
        for x in ("Investigation_Area", "Target_Identification"):
            assert texts(ours, f"//p:{x}//p:lid_reference") == texts(theirs, f"//p:{x}//p:lid_reference")
        assert texts(ours, "//p:Observing_System_Component//p:lid_reference") == [
            "urn:nasa:pds:context:instrument_host:spacecraft.ody", "urn:nasa:pds:context:instrument:ody.accel"]


@pytest.mark.shared
def test_dual_values_through_both_labels(dual_migrated):
    """pds4_tools reading of the new labels equals pdsgen's PDS3 reading, field by field;
    and the published labels' data equal ours where they describe the same bytes."""
    pds4_tools = pytest.importorskip("pds4_tools")
    import pdsgen

    dual, results = dual_migrated
    for name, r in results.items():
        if r.status != "migrated":
            continue
        old = pdsgen.open(dual / name)
        new = pds4_tools.read(r.pds4_label, quiet=True, lazy_load=True)
        for obj in old.objects:
            if obj.details.get("document_format"):
                continue  # an Encoded_Image: pds4_tools has no structure for it (see the browse test)
            s = new[obj.name]
            if obj.kind == "table":
                # leading title lines (fsb) are a Header: the table starts after them
                skip = len(obj.data) - len(s.data)
                assert skip == (1 if name.startswith("fsb/") else 0), (name, skip)
                for f in obj.fields:
                    a, b = obj.data[f.name][skip:], np.asarray(s[f.name])
                    if a.dtype.kind == "S":
                        assert [x.strip() for x in a.astype(str)] == [x.strip() for x in b.astype(str)]
                    else:
                        assert np.array_equal(a, b.astype(a.dtype)), (name, f.name)
            elif obj.kind == "array":
                assert np.array_equal(obj.data, np.asarray(s.data), equal_nan=True)
            else:  # header: pdsgen's PDS4 reading gives the PDS3 header's bytes
                assert pdsgen.open(r.pds4_label)[obj.name].data == obj.data
    # the image: the published PDS4 label of mer_cif gives the same samples
    pub = pds4_tools.read(str(dual / "mer_cif/m0154651923f6_2p_cif_gbl.xml"), quiet=True)
    ours = pds4_tools.read(results["mer_cif/m0154651923f6_2p_cif_gbl.lbl"].pds4_label, quiet=True)
    arrays_pub = [s for s in pub.structures if s.is_array()]
    assert len(arrays_pub) == 1
    assert np.array_equal(np.asarray(arrays_pub[0].data), np.asarray(ours["IMAGE"].data), equal_nan=True)
    # the Mini-RF spreadsheet: title line as a 40-byte Header and the table after it, as published
    # (the published table holds all 3488 lines; ours the PDS3 label's ROWS = 116 less the title)
    pub_fsb = pds4_tools.read(str(dual / "fsb/fsb_01500_rhk_xib_85s238_v1.xml"), quiet=True, lazy_load=True)
    ours_fsb = pds4_tools.read(results["fsb/fsb_01500_rhk_xib_85s238_v1.lbl"].pds4_label, quiet=True,
                               lazy_load=True)
    head_pub, head_ours = ([s for s in x.structures if s.is_header()][0] for x in (pub_fsb, ours_fsb))
    assert (head_pub.meta_data["offset"], head_pub.meta_data["object_length"]) == (0, 40)
    assert (head_ours.meta_data["offset"], head_ours.meta_data["object_length"]) == (0, 40)
    tab_pub, tab_ours = ([s for s in x.structures if s.is_table()][0] for x in (pub_fsb, ours_fsb))
    assert tab_pub.meta_data["offset"] == tab_ours.meta_data["offset"] == 40
    for k in range(3):
        a, b = np.asarray(tab_pub.data.field(k))[:115], np.asarray(tab_ours.data.field(k))
        assert [x.strip() for x in a.astype(str)] == [x.strip() for x in b.astype(str)]
    hdr_ours = ours["HEADER"]
    hdr_pub = [s for s in pub.structures if s.is_header()]
    assert hdr_pub and hdr_pub[0].meta_data["offset"] == hdr_ours.meta_data["offset"] == 0
    assert hdr_pub[0].meta_data["object_length"] == hdr_ours.meta_data["object_length"] == 11520


@pytest.mark.shared
def test_dual_browse_against_published_label(dual_migrated):
    """The MRO SHARAD JPEG DOCUMENT: a Product_Browse whose Encoded_Image covers the same
    bytes as the published PDS4 label's (offset 0, JPEG), with the same context LIDs; the
    JPEG decodes to the same pixels from the file the new label names."""
    dual, results = dual_migrated
    ours, theirs = xml(results["mer_thm/s_00168901_thm.lbl"].pds4_label), xml(dual / "mer_thm/s_00168901_thm.xml")
    assert ours.getroot().tag == theirs.getroot().tag == "{http://pds.nasa.gov/pds4/pds/v1}Product_Browse"
    enc = "//p:File_Area_Browse/p:Encoded_Image"
    assert texts(ours, f"{enc}/p:offset") == texts(theirs, f"{enc}/p:offset") == ["0"]
    assert texts(ours, f"{enc}/p:encoding_standard_id") == texts(theirs, f"{enc}/p:encoding_standard_id") == ["JPEG"]
    jpg = dual / "mer_thm/s_00168901_thm.jpg"
    assert texts(ours, f"{enc}/p:object_length") == [str(jpg.stat().st_size)]  # the published label gives none
    assert texts(ours, "//p:File_Area_Browse/p:File/p:file_name") == [jpg.name]
    # the published label adds a second File_Area_Browse for the PDS3 label itself (Stream_Text)
    assert texts(theirs, "//p:File_Area_Browse/p:File/p:file_name") == [jpg.name, "s_00168901_thm.lbl"]
    for kind in ("Investigation_Area", "Target_Identification", "Observing_System_Component"):
        assert texts(ours, f"//p:{kind}//p:lid_reference") == texts(theirs, f"//p:{kind}//p:lid_reference")
    PIL = pytest.importorskip("PIL.Image")
    out = Path(results["mer_thm/s_00168901_thm.lbl"].pds4_label).parent
    with PIL.open(out / jpg.name) as a, PIL.open(jpg) as b:
        assert a.format == "JPEG" and np.array_equal(np.asarray(a), np.asarray(b))


# --------------------------------------------------------------------------- images with line prefixes/suffixes

LINE_STORAGE = {"BAND_SEQUENTIAL": ("BAND", "LINE", "SAMPLE"), "LINE_INTERLEAVED": ("LINE", "BAND", "SAMPLE"),
                "SAMPLE_INTERLEAVED": ("LINE", "SAMPLE", "BAND")}


def make_lines_image(folder: Path, *, bands: int, storage: str, prefix: int, suffix: int
                     ) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    """A PDS3 IMAGE (PDS3 Standards Reference A.20) of 5 lines x 3 samples x ``bands``, LSB
    unsigned 16-bit, each stored line carrying ``prefix`` and ``suffix`` bytes. Returns the
    label, the image in storage axis order, and the prefix and suffix bytes per stored line."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    lines, samples = 5, 3
    order = LINE_STORAGE[storage]
    sizes = {"LINE": lines, "SAMPLE": samples, "BAND": bands}
    img = rng.integers(0, 65535, [sizes[a] for a in order]).astype("<u2")
    img.reshape(-1)[4] = 0
    stored = img.reshape(-1, samples * (bands if storage != "BAND_SEQUENTIAL" else 1))
    pre = rng.integers(0, 256, (len(stored), prefix)).astype(np.uint8)
    suf = rng.integers(0, 256, (len(stored), suffix)).astype(np.uint8)
    (folder / "L.IMG").write_bytes(b"".join(p.tobytes() + line.tobytes() + s.tobytes()
                                            for p, line, s in zip(pre, stored, suf, strict=True)))
    (folder / "L.LBL").write_text(ident("LINES_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {prefix + stored.shape[1] * 2 + suffix}
FILE_RECORDS = {len(stored)}
^IMAGE = "L.IMG"
OBJECT = IMAGE
  LINES = {lines}
  LINE_SAMPLES = {samples}
  BANDS = {bands}
  BAND_STORAGE_TYPE = {storage}
  SAMPLE_TYPE = LSB_UNSIGNED_INTEGER
  SAMPLE_BITS = 16
  LINE_PREFIX_BYTES = {prefix}
  LINE_SUFFIX_BYTES = {suffix}
  MISSING_CONSTANT = 0
  SCALING_FACTOR = 0.25
END_OBJECT = IMAGE
END
""")
    return folder / "L.LBL", img, pre, suf


@pytest.mark.parametrize(("bands", "storage", "prefix", "suffix"), [
    (1, "BAND_SEQUENTIAL", 4, 0), (1, "BAND_SEQUENTIAL", 0, 3), (2, "BAND_SEQUENTIAL", 2, 1),
    (2, "LINE_INTERLEAVED", 3, 2), (2, "SAMPLE_INTERLEAVED", 1, 0)])
def test_image_line_prefix_suffix_as_table_of_lines(tmp_path, ctx_file, bands, storage, prefix, suffix):
    label, img, pre, suf = make_lines_image(tmp_path / "in", bands=bands, storage=storage, prefix=prefix,
                                            suffix=suffix)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert r.objects == ["IMAGE → Table_Binary"]
    t = xml(r.pds4_label)
    records = len(pre)  # one record per stored line
    assert texts(t, "//p:Table_Binary/p:records") == [str(records)]
    assert texts(t, "//p:Record_Binary/p:record_length") == [str(prefix + 2 * img.size // records + suffix)]
    # the samples of a line: one group (BSQ), bands of samples (BIL), samples of bands (BIP)
    nested = {"BAND_SEQUENTIAL": ["SAMPLES"], "LINE_INTERLEAVED": ["BANDS", "SAMPLES"],
              "SAMPLE_INTERLEAVED": ["SAMPLES", "BANDS"]}[storage]
    assert texts(t, "//p:Record_Binary/p:Group_Field_Binary/p:name") == (
        ["LINE_PREFIX"] * bool(prefix) + nested[:1] + ["LINE_SUFFIX"] * bool(suffix))
    assert texts(t, "//p:Group_Field_Binary[p:Field_Binary/p:name='SAMPLE']/ancestor-or-self::p:Group_Field_Binary"
                    "/p:name") == nested
    assert texts(t, "//p:Group_Field_Binary[p:Field_Binary/p:name='SAMPLE']/ancestor-or-self::p:Group_Field_Binary"
                    "/p:repetitions") == [str({"SAMPLES": 3, "BANDS": bands}[n]) for n in nested]
    sample = "//p:Field_Binary[p:name='SAMPLE']"
    assert texts(t, f"{sample}/p:data_type") == ["UnsignedLSB2"]
    assert texts(t, f"{sample}/p:scaling_factor") == ["0.25"]
    assert texts(t, f"{sample}/p:Special_Constants/p:missing_constant") == ["0"]
    # pds4_tools: the samples of each record, in storage order, are the image's; the prefix
    # and suffix bytes are the ones written
    pds4_tools = pytest.importorskip("pds4_tools")
    s = pds4_tools.read(r.pds4_label, quiet=True)["IMAGE"]
    values = np.ma.getdata(s["SAMPLE"])
    raw = np.where(values == 0, 0, values / 0.25)  # pds4_tools scales all but the missing constant
    assert np.array_equal(raw.reshape(img.shape), img)
    if prefix:
        assert np.array_equal(np.asarray(s["LINE_PREFIX_BYTE"]).reshape(pre.shape), pre)
    if suffix:
        assert np.array_equal(np.asarray(s["LINE_SUFFIX_BYTE"]).reshape(suf.shape), suf)
    import pdsgen

    tab = pdsgen.open(r.pds4_label)["IMAGE"].data
    assert np.array_equal(tab["SAMPLE"].reshape(img.shape), img)


def test_image_line_read_back_catches_changed_samples_and_prefixes(tmp_path, ctx_file):
    """The read-back of a table of lines fails when a sample or a prefix byte the new label
    describes differs from the PDS3 reading (each changed in a copy of the data file)."""
    import pdsgen
    from pdsgen.migrate.verify import compare_objects

    label, img, _, _ = make_lines_image(tmp_path / "in", bands=2, storage="LINE_INTERLEAVED", prefix=3,
                                        suffix=2)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    old = pdsgen.open(label)["IMAGE"]
    data = (tmp_path / "out/L.IMG").read_bytes()
    record = 3 + 2 * 2 * 3 + 2
    for where, what in ((record + 3, "values differ"), (2 * record + 1, "line prefixes")):
        changed = bytearray(data)
        changed[where] ^= 0xFF
        (tmp_path / "out/L.IMG").unlink()  # a hard link to the input: replaced, not written through
        (tmp_path / "out/L.IMG").write_bytes(bytes(changed))
        problems = compare_objects([(old, pdsgen.open(r.pds4_label)["IMAGE"])])
        assert len(problems) == 1 and what in problems[0], problems
    assert label.with_suffix(".IMG").read_bytes() == data


# --------------------------------------------------------------------------- QUBE

ISIS_NULL = np.frombuffer(bytes.fromhex("FF7FFFFB"), ">f4")[0]  # ISIS CORE_NULL of real cores


def make_qube(folder: Path, *, axis_names: tuple[str, str, str], core: tuple[int, int, int],
              suffix: tuple[int, int, int] = (0, 0, 0), extra: str = "", history: bool = False,
              raw: bytes | None = None) -> tuple[Path, np.ndarray, np.ndarray]:
    """A PDS3 QUBE (Standards Reference A.23, ISIS qube): a 32-bit MSB real core in storage
    order (AXIS_NAME fastest first) followed by ``suffix[2]`` backplanes of 4-byte MSB
    reals; optionally a 128-byte ISIS HISTORY object before it. ``raw`` replaces the qube
    bytes (for layouts the values are not needed for)."""
    folder.mkdir(parents=True, exist_ok=True)
    shape = tuple(reversed(core))  # slowest first
    values = (np.arange(np.prod(shape)).reshape(shape) / 8 - 2).astype(">f4")
    values.reshape(-1)[5] = ISIS_NULL
    back = (np.arange(suffix[2] * shape[1] * shape[2]).reshape(suffix[2], *shape[1:]) + 100).astype(">f4")
    hist = b"OBJECT = HISTORY\r\n  PROGRAM = TEST\r\nEND_OBJECT = HISTORY\r\nEND\r\n".ljust(128, b" ")
    data = raw if raw is not None else values.tobytes() + back.tobytes()
    (folder / "Q.QUB").write_bytes((hist if history else b"") + data)
    qube_at = 129 if history else 1
    names = ", ".join(axis_names)
    (folder / "Q.LBL").write_text(ident("QUBE_1", instrument="SPECTROMETER") + f"""RECORD_TYPE = UNDEFINED
{'^HISTORY = ("Q.QUB", 1 <BYTES>)' if history else ''}
^QUBE = ("Q.QUB", {qube_at} <BYTES>)
{'OBJECT = HISTORY' + chr(10) + 'END_OBJECT = HISTORY' if history else ''}
OBJECT = QUBE
  AXES = 3
  AXIS_NAME = ({names})
  CORE_ITEMS = ({', '.join(map(str, core))})
  CORE_ITEM_BYTES = 4
  CORE_ITEM_TYPE = IEEE_REAL
  CORE_BASE = 0.5
  CORE_MULTIPLIER = 2.0
  CORE_NULL = 16#FF7FFFFB#
  CORE_NAME = RADIANCE
  CORE_UNIT = "W/M**2/UM/SR"
  SUFFIX_BYTES = 4
  SUFFIX_ITEMS = ({', '.join(map(str, suffix))})
{extra}END_OBJECT = QUBE
END
""")
    return folder / "Q.LBL", values, back


BACKPLANES = """  BAND_SUFFIX_NAME = (LATITUDE, LONGITUDE)
  BAND_SUFFIX_UNIT = (DEGREE, DEGREE)
  BAND_SUFFIX_ITEM_BYTES = 4
  BAND_SUFFIX_ITEM_TYPE = (IEEE_REAL, IEEE_REAL)
"""


def test_qube_core_and_backplanes_with_history(tmp_path, ctx_file):
    label, core, back = make_qube(tmp_path / "in", axis_names=("SAMPLE", "LINE", "BAND"), core=(4, 3, 5),
                                  suffix=(0, 0, 2), extra=BACKPLANES, history=True)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert r.objects == ["HISTORY → Header", "QUBE → Array_3D_Spectrum", "QUBE.BAND_SUFFIX → Array_3D"]
    t = xml(r.pds4_label)
    assert texts(t, "//p:Header/p:offset") == ["0"] and texts(t, "//p:Header/p:object_length") == ["128"]
    q = "//p:Array_3D_Spectrum"
    assert texts(t, f"{q}/p:offset") == ["128"]
    assert texts(t, f"{q}/p:Axis_Array/p:axis_name") == ["Band", "Line", "Sample"]  # slowest first
    assert texts(t, f"{q}/p:Axis_Array/p:elements") == ["5", "3", "4"]
    assert texts(t, f"{q}/p:Element_Array/p:data_type") == ["IEEE754MSBSingle"]
    assert texts(t, f"{q}/p:Element_Array/p:scaling_factor") == ["2.0"]
    assert texts(t, f"{q}/p:Element_Array/p:value_offset") == ["0.5"]
    assert texts(t, f"{q}/p:Element_Array/p:unit") == ["W*m**-2*sr**-1*um**-1"]
    # the ISIS null bit pattern 16#FF7FFFFB# as the real number it encodes, as Java's
    # Float.toString writes it (validate matches an element's Java text): the shortest
    # digits that read back as that single, in Java's exponent form
    assert texts(t, f"{q}/p:Special_Constants/p:missing_constant") == ["-3.4028227E38"]
    assert np.float32(float("-3.4028227E38")) == ISIS_NULL
    b = "//p:Array_3D[p:name='QUBE.BAND_SUFFIX']"
    assert texts(t, f"{b}/p:offset") == [str(128 + core.nbytes)]  # the backplanes follow the core
    assert texts(t, f"{b}/p:Axis_Array/p:axis_name") == ["BAND_SUFFIX", "Line", "Sample"]
    assert texts(t, f"{b}/p:Element_Array/p:unit") == ["deg"]
    pds4_tools = pytest.importorskip("pds4_tools")
    s = pds4_tools.read(r.pds4_label, quiet=True)
    got = np.ma.getdata(s["QUBE"].data)
    # pds4_tools scales every value except the special constant, which stays as stored
    assert np.array_equal(got, np.where(core == ISIS_NULL, core, core.astype(float) * 2.0 + 0.5))
    assert np.array_equal(np.asarray(s["QUBE.BAND_SUFFIX"].data), back)
    import pdsgen

    new = pdsgen.open(r.pds4_label)
    assert np.array_equal(new["QUBE"].data, core) and np.array_equal(new["QUBE.BAND_SUFFIX"].data, back)


@pytest.mark.parametrize(("axis_names", "core", "cls", "pds4_axes"), [
    (("BAND", "SAMPLE", "LINE"), (6, 4, 3), "Array_3D_Spectrum", ["Line", "Sample", "Band"]),  # BIP
    (("SAMPLE", "LINE", "BAND"), (4, 3, 1), "Array_3D_Image", ["Band", "Line", "Sample"]),
    (("SAMPLE", "LINE", "TIME"), (4, 3, 2), "Array_3D", ["TIME", "Line", "Sample"]),
])
def test_qube_class_and_axes_by_axis_name(tmp_path, ctx_file, axis_names, core, cls, pds4_axes):
    label, values, _ = make_qube(tmp_path / "in", axis_names=axis_names, core=core)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    assert texts(t, f"//p:{cls}/p:Axis_Array/p:axis_name") == pds4_axes
    assert texts(t, f"//p:{cls}/p:Axis_Array/p:elements") == [str(n) for n in values.shape]
    pds4_tools = pytest.importorskip("pds4_tools")
    got = np.ma.getdata(pds4_tools.read(r.pds4_label, quiet=True)["QUBE"].data)
    assert np.array_equal(got, np.where(values == ISIS_NULL, values, values.astype(float) * 2.0 + 0.5))


def test_qube_refusals_name_the_suffix_dimensions(tmp_path, ctx_file):
    # BIP with two sideplane items of different types: no one PDS4 field describes them
    # (sideplanes of one type: tests/test_migrate_kinds.py, a table of planes)
    label, _, _ = make_qube(tmp_path / "side", axis_names=("BAND", "SAMPLE", "LINE"), core=(5, 4, 3),
                            suffix=(2, 0, 0), raw=bytes((5 * 4 + 8) * 4 * 3),
                            extra="  BAND_SUFFIX_ITEM_BYTES = 4\n  BAND_SUFFIX_ITEM_TYPE = (IEEE_REAL, MSB_INTEGER)\n")
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "failed"
    assert r.reason.startswith("object 'QUBE.BAND_SUFFIX' cannot be described: ")
    assert "BAND suffix items of different types ['IEEE_REAL', 'MSB_INTEGER']" in r.reason
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []


# --------------------------------------------------------------------------- documents and encoded images


def make_document(folder: Path, *, name: str, content: bytes, obj: str = "TEXT", fmt: str | None = None,
                  interchange: str = "ASCII") -> Path:
    """A PDS3 TEXT/DOCUMENT product (Standards Reference A.27 TEXT, A.12 DOCUMENT): the
    document in a file of its own, pointed to by ``^<obj>``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    label = folder / (Path(name).stem + ".LBL")
    label.write_text(ident("DOC_1") + f"""RECORD_TYPE = STREAM
^{obj} = "{name}"
OBJECT = {obj}
  DOCUMENT_NAME = "Calibration notes"
  PUBLICATION_DATE = 2004-05-06
  INTERCHANGE_FORMAT = {interchange}
{'  DOCUMENT_FORMAT = ' + fmt + chr(10) if fmt else ''}  DESCRIPTION = "How the camera was calibrated."
END_OBJECT = {obj}
END
""")
    return label


@pytest.mark.parametrize(("content", "standard"), [
    (b"Calibration notes\r\nLine two\r\n", "7-Bit ASCII Text"),
    ("Calibration notes\r\n\u00b5m and \u00c5ngstr\u00f6m\r\n".encode(), "UTF-8 Text"),
])
def test_text_to_product_document(tmp_path, ctx_file, content, standard):
    label = make_document(tmp_path / "in", name="NOTES.TXT", content=content)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert r.objects == ["TEXT → Document_File"]
    t = xml(r.pds4_label)
    assert t.getroot().tag == "{http://pds.nasa.gov/pds4/pds/v1}Product_Document"
    assert texts(t, "//p:Document/p:document_name") == ["Calibration notes"]
    assert texts(t, "//p:Document/p:publication_date") == ["2004-05-06"]
    assert texts(t, "//p:Citation_Information/p:description") == ["How the camera was calibrated."]
    assert texts(t, "//p:Document_File/p:document_standard_id") == [standard]
    assert texts(t, "//p:Context_Area//p:Internal_Reference/p:reference_type") == [
        "document_to_investigation", "is_instrument_host", "is_instrument", "document_to_target"]
    # the document file is the PDS3 one, byte for byte; pds4_tools reads the label's checksum
    pds4_tools = pytest.importorskip("pds4_tools")
    lab = pds4_tools.read(r.pds4_label, quiet=True).label
    out = tmp_path / "out" / lab.findall(".//Document_File/file_name")[0].text
    assert out.read_bytes() == content
    assert lab.findall(".//Document_File/md5_checksum")[0].text == hashlib.md5(content).hexdigest()


def test_attached_ascii_document(tmp_path, ctx_file):
    """An ASCII_DOCUMENT with its text after the label's END (no pointer): the label file,
    unchanged, is the Document_File."""
    folder = tmp_path / "in"
    folder.mkdir()
    text = ("\r\n".join(ident("ADOC_1").splitlines()) + "\r\nRECORD_TYPE = STREAM\r\nOBJECT = ASCII_DOCUMENT\r\n"
            '  DOCUMENT_NAME = "Algorithm description"\r\n  PUBLICATION_DATE = 2005-02-28\r\n'
            "END_OBJECT = ASCII_DOCUMENT\r\nEND\r\nThe algorithm.\r\nSecond line.\r\n").encode()
    (folder / "ADOC.LBL").write_bytes(text)
    r = migrate_product(folder / "ADOC.LBL", options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert r.notes[-1] == "attached label: ADOC.LBL (the PDS3 label and its text) is the Document_File"
    t = xml(r.pds4_label)
    assert texts(t, "//p:Document_File/p:file_name") == ["ADOC.LBL"]
    assert texts(t, "//p:Document_File/p:document_standard_id") == ["7-Bit ASCII Text"]
    assert texts(t, "//p:Document/p:document_name") == ["Algorithm description"]
    assert texts(t, "//p:Document/p:publication_date") == ["2005-02-28"]
    assert (tmp_path / "out/ADOC.LBL").read_bytes() == text


def test_pdf_document_and_document_refusals(tmp_path, ctx_file):
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    label = make_document(tmp_path / "in", name="CAL.PDF", content=pdf, obj="DOCUMENT", fmt="PDF",
                          interchange="BINARY")
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    assert texts(t, "//p:Document_File/p:document_standard_id") == ["PDF"]
    assert texts(t, "//p:Document_File/p:file_size") == [str(len(pdf))]
    assert (tmp_path / "out/CAL.PDF").read_bytes() == pdf
    # a label that claims PDF over other bytes; text that is neither ASCII nor UTF-8
    bad = make_document(tmp_path / "bad", name="CAL.PDF", content=b"<html></html>", obj="DOCUMENT", fmt="PDF",
                        interchange="BINARY")
    r = migrate_product(bad, options(tmp_path, ctx_file))
    assert r.reason == "object 'DOCUMENT': DOCUMENT_FORMAT = PDF but CAL.PDF at byte 0 does not begin like a PDF file"
    latin = make_document(tmp_path / "latin", name="L.TXT", content=b"caf\xe9\r\n")
    r = migrate_product(latin, options(tmp_path, ctx_file))
    assert r.reason == ("object 'TEXT': text that is neither 7-bit ASCII nor UTF-8 (byte 3); PDS4 text documents "
                        "are one or the other")
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["CAL.PDF", "CAL.xml"]  # only the good product


def test_text_beside_a_table_is_stream_text(tmp_path, ctx_file):
    label = make_binary(tmp_path / "in")
    (tmp_path / "in/NOTES.TXT").write_bytes(b"Table notes\nsecond line\n")
    label.write_text(label.read_text().replace('^TABLE = "BIN.DAT"', '^TABLE = "BIN.DAT"\n^TEXT = "NOTES.TXT"')
                     .replace("END\n", "OBJECT = TEXT\n  INTERCHANGE_FORMAT = ASCII\nEND_OBJECT = TEXT\nEND\n"))
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert r.objects == ["TABLE → Table_Binary", "TEXT → Stream_Text"]
    t = xml(r.pds4_label)
    st = "//p:File_Area_Observational[p:File/p:file_name='NOTES.TXT']/p:Stream_Text"
    assert texts(t, f"{st}/p:parsing_standard_id") == ["7-Bit ASCII Text"]
    assert texts(t, f"{st}/p:record_delimiter") == ["Line-Feed"]
    assert texts(t, f"{st}/p:object_length") == ["24"]
    import pdsgen

    assert pdsgen.open(r.pds4_label)["TEXT"].data == "Table notes\nsecond line\n"
    pds4_tools = pytest.importorskip("pds4_tools")  # it reads the table (Stream_Text is not a structure)
    assert np.array_equal(np.asarray(pds4_tools.read(r.pds4_label, quiet=True)["TABLE"]["U"]), binary_values()["U"])


def png(pixels: np.ndarray) -> bytes:
    """A grayscale 8-bit PNG (ISO/IEC 15948) of ``pixels``, written here with zlib: chunks
    IHDR, IDAT (filter type 0 per row), IEND."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w = pixels.shape
    rows = b"".join(b"\0" + row.tobytes() for row in pixels.astype(np.uint8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_encoded_image(folder: Path, encoding: str, *, with_table: bool = False) -> tuple[Path, np.ndarray]:
    """An IMAGE with ENCODING_TYPE (Standards Reference A.20) whose file holds a PNG;
    optionally a binary TABLE in a second file of the same product."""
    folder.mkdir(parents=True, exist_ok=True)
    pixels = (np.arange(6 * 7).reshape(6, 7) * 5).astype(np.uint8)
    (folder / "E.PNG").write_bytes(png(pixels))
    if with_table:
        (folder / "T.DAT").write_bytes(binary_values().tobytes())
    tab = BINARY_LABEL[BINARY_LABEL.index("OBJECT = TABLE"):BINARY_LABEL.index("END\n")] if with_table else ""
    (folder / "E.LBL").write_text(ident("ENC_1") + f"""RECORD_TYPE = UNDEFINED
^IMAGE = "E.PNG"
{'^TABLE = "T.DAT"' if with_table else ''}
OBJECT = IMAGE
  LINES = 6
  LINE_SAMPLES = 7
  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER
  SAMPLE_BITS = 8
  ENCODING_TYPE = "{encoding}"
  DESCRIPTION = "Browse image."
END_OBJECT = IMAGE
{tab}END
""")
    return folder / "E.LBL", pixels


def test_encoded_image_to_product_browse(tmp_path, ctx_file):
    label, pixels = make_encoded_image(tmp_path / "in", "PNG")
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert r.objects == ["IMAGE → Encoded_Image"]
    t = xml(r.pds4_label)
    assert t.getroot().tag == "{http://pds.nasa.gov/pds4/pds/v1}Product_Browse"
    enc = "//p:File_Area_Browse/p:Encoded_Image"
    assert texts(t, f"{enc}/p:encoding_standard_id") == ["PNG"]
    assert texts(t, f"{enc}/p:offset") == ["0"]
    assert texts(t, f"{enc}/p:object_length") == [str(len(png(pixels)))]
    assert texts(t, "//p:Context_Area//p:Internal_Reference/p:reference_type") == [
        "browse_to_investigation", "is_instrument_host", "is_instrument", "browse_to_target"]
    PIL = pytest.importorskip("PIL.Image")
    with PIL.open(tmp_path / "out/E.PNG") as im:
        assert im.format == "PNG" and np.array_equal(np.asarray(im), pixels)


def test_encoded_image_beside_a_table_is_supplemental(tmp_path, ctx_file):
    label, pixels = make_encoded_image(tmp_path / "in", "PNG", with_table=True)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    assert t.getroot().tag == "{http://pds.nasa.gov/pds4/pds/v1}Product_Observational"
    sup = "//p:File_Area_Observational_Supplemental"
    assert texts(t, f"{sup}/p:File/p:file_name") == ["E.PNG"]
    assert texts(t, f"{sup}/p:Encoded_Image/p:encoding_standard_id") == ["PNG"]
    assert texts(t, "//p:File_Area_Observational/p:File/p:file_name") == ["T.DAT"]
    pds4_tools = pytest.importorskip("pds4_tools")
    s = pds4_tools.read(r.pds4_label, quiet=True)["TABLE"]
    assert np.array_equal(np.asarray(s["SPECTRUM"]), binary_values()["SPECTRUM"])
    PIL = pytest.importorskip("PIL.Image")
    with PIL.open(tmp_path / "out/E.PNG") as im:
        assert np.array_equal(np.asarray(im), pixels)


def test_encoded_image_refusals(tmp_path, ctx_file):
    label, _ = make_encoded_image(tmp_path / "jpeg", "JPEG")  # the bytes are a PNG
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.reason == "object 'IMAGE': ENCODING_TYPE = JPEG but E.PNG at byte 0 does not begin like a JPEG file"
    label, _ = make_encoded_image(tmp_path / "clem", "CLEM-JPEG-1")
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "failed" and r.reason.startswith("object 'IMAGE': ENCODING_TYPE = CLEM-JPEG-1 has no PDS4 form")
    import pdsgen
    from pdsgen.errors import UnsupportedError

    image = pdsgen.open(label)["IMAGE"]
    with pytest.raises(UnsupportedError, match=r"encoded image \(ENCODING_TYPE = CLEM-JPEG-1\)"):
        _ = image.data  # the PDS3 reader never decodes compressed bytes as samples


# --------------------------------------------------------------------------- VAX / IBM types


def test_vax_and_ibm_integers_map_vax_ibm_reals_refused(tmp_path, ctx_file):
    label = make_binary(tmp_path / "in")
    label.write_text(label.read_text().replace("DATA_TYPE = MSB_INTEGER\n    START_BYTE = 1", "DATA_TYPE = "
                                               "IBM_INTEGER\n    START_BYTE = 1")
                     .replace("DATA_TYPE = LSB_UNSIGNED_INTEGER", "DATA_TYPE = VAX_UNSIGNED_INTEGER"))
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    assert texts(t, "//p:Record_Binary/p:Field_Binary/p:data_type")[:2] == ["SignedMSB4", "UnsignedLSB2"]
    pds4_tools = pytest.importorskip("pds4_tools")
    assert np.array_equal(np.asarray(pds4_tools.read(r.pds4_label, quiet=True)["TABLE"]["U"]), binary_values()["U"])
    img, _ = make_image(tmp_path / "ibm", name="IBM")
    img.write_text(img.read_text().replace("SAMPLE_TYPE = MSB_INTEGER\n  SAMPLE_BITS = 16",
                                           "SAMPLE_TYPE = IBM_REAL\n  SAMPLE_BITS = 32"))
    r = migrate_product(img, options(tmp_path, ctx_file, out=tmp_path / "o2"))
    assert r.reason == ("object 'IMAGE': PDS3 data type 'IBM_REAL' has no PDS4 data type (VAX/IBM reals, binary "
                        "BOOLEAN and LSB bit strings cannot be described without rewriting the data)")


def test_pdsgen_record_description_per_shape(tmp_path, ctx_file, monkeypatch):
    """pdsgen's PDS4 reader describes a fixed-width record once per exact Record_* XML:
    a label of the same shape over other bytes reads its own values with equal fields; a
    record that differs in one text deep inside (a data type, a grouped field's location)
    is described anew; callers get fields of their own; a record whose description fails
    fails every time."""
    import pdsgen
    from pdsgen.errors import LabelError
    from pdsgen.pds4 import objects

    r, r2 = two_of_one_shape(tmp_path, ctx_file)
    text = Path(r2.pds4_label).read_text()
    variants = {  # the same bytes: U read big-endian; PAIR's A (inside a group) read unsigned
        "SWAPPED": text.replace("UnsignedLSB2", "UnsignedMSB2"),
        "UNSIGNED": text.replace("SignedMSB2", "UnsignedMSB2"),
    }
    assert all(v != text for v in variants.values())
    for name, variant in variants.items():
        (tmp_path / "out2" / f"{name}.xml").write_text(variant)
    labels = [Path(r.pds4_label), Path(r2.pds4_label), *(tmp_path / "out2" / f"{n}.xml" for n in variants)]

    def layout(obj):
        return [(f.name, f.data_type, f.location, f.length, f.shape, f.strides, f.group_path, f.bits,
                 f.special_constants, f.unit, f.scaling_factor) for f in obj.fields]

    built = []
    import pdsgen.data.io as dio

    overlap = dio.field_overlap  # (once per description of a record)
    monkeypatch.setattr(dio, "field_overlap", lambda *a, **k: built.append(1) or overlap(*a, **k))
    monkeypatch.setattr(objects, "_RECORDS", OrderedDict())
    monkeypatch.setattr(objects, "_RECORDS_KEPT", 0)  # nothing remembered: each described alone
    plain = [pdsgen.open(p).objects[0] for p in labels]
    assert len(built) == 4
    built.clear()
    monkeypatch.setattr(objects, "_RECORDS_KEPT", 64)
    cached = [pdsgen.open(p).objects[0] for p in labels]
    assert len(built) == 3  # the two labels of one shape share one description
    for want, got in zip(plain, cached, strict=True):
        assert layout(want) == layout(got)
        assert want.data.tobytes() == got.data.tobytes() and want.data.dtype == got.data.dtype
    assert cached[1].data["U"].tolist() == [0, 1, 7, 2, 3] and cached[0].data["U"].tolist() == [0, 1, 65535, 2, 3]
    assert cached[2].data["U"].tolist() == [0, 256, 1792, 512, 768]  # the same bytes read big-endian
    assert {f.name: f.data_type for f in cached[3].fields}["A"] == "UnsignedMSB2"
    signed = cached[1].data["A"]
    assert (signed < 0).any() and cached[3].data["A"].tolist() == (signed.astype(np.int32) % 65536).tolist()
    # fields of their own: changing one changes no later description
    first = cached[0].fields[0]
    first.location += 100
    first.special_constants["missing_constant"] = 12345
    again = pdsgen.open(labels[0]).objects[0]
    assert layout(again) == layout(plain[0]) and len(built) == 3
    # a description that fails is never remembered
    bad = tmp_path / "out2" / "BAD.xml"
    bad.write_text(re.sub(r"(<Record_Binary>\s*<fields>)5(</fields>)", r"\g<1>6\2", text))
    for _ in range(2):
        obj = pdsgen.open(bad).objects[0]
        assert isinstance(obj.error, LabelError) and "fields" in str(obj.error)


def test_products_prepared_in_one_batch_as_alone(tmp_path, ctx_file, monkeypatch):
    """Products prepared together (their Schematron runs in one Saxon transform, each staged
    in a slot of its own): each is what it is migrated alone — the one the Schematron
    rejects (a purpose outside the PDS4 values, from a --templates override for that LID
    only) fails with its own finding and leaves nothing in --out, the others' labels are
    byte for byte those migrated alone, and two of them whose data files share a name and
    bytes (staged side by side) share the file."""
    import pdsgen.validate.schematron as sch
    from pdsgen.migrate import run

    templates = tmp_path / "templates"
    (templates / "pds4" / "migrate").mkdir(parents=True)
    original = (Path(__file__).parent.parent / "templates/pds4/migrate/Product_Observational.xml.j2").read_text()
    assert original.count("{{ product.purpose }}") == 1
    (templates / "pds4/migrate/Product_Observational.xml.j2").write_text(original.replace(
        "{{ product.purpose }}", "{{ 'Nonsense' if product.lid.endswith(':bad') else product.purpose }}"))
    make_binary(tmp_path / "in" / "a", pid="GOOD_1")
    make_binary(tmp_path / "in" / "b", pid="BAD", stem="B")
    (make_binary(tmp_path / "in" / "c", pid="GOOD_2")).rename(tmp_path / "in" / "c" / "C.LBL")
    batches = []
    batch_run = sch.check_schematron_batch
    monkeypatch.setattr(sch, "check_schematron_batch", lambda labels, p: batches.append(len(labels)) or
                        batch_run(labels, p))
    results = migrate([tmp_path / "in"], options(tmp_path, ctx_file, templates_dir=str(templates)))
    assert batches == [3] and run.BATCH >= 3  # one transform for the three
    assert [r.status for r in results] == ["migrated", "failed", "migrated"], [r.reason for r in results]
    assert "error.label.schematron: The attribute pds:Primary_Result_Summary/pds:purpose" in results[1].reason
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["BIN.DAT", "BIN.xml", "C.xml"]  # no staging left
    assert (out / "BIN.DAT").read_bytes() == (tmp_path / "in/a/BIN.DAT").read_bytes()
    for k, label in enumerate([tmp_path / "in/a/BIN.LBL", tmp_path / "in/b/B.LBL", tmp_path / "in/c/C.LBL"]):
        alone = migrate_product(label, options(tmp_path, ctx_file, templates_dir=str(templates),
                                               out=tmp_path / f"alone{k}"))
        assert (alone.status, alone.reason, alone.notes) == (results[k].status, results[k].reason, results[k].notes)
        if alone.status == "migrated":
            assert Path(alone.pds4_label).read_bytes() == Path(results[k].pds4_label).read_bytes()
        else:
            assert not (tmp_path / f"alone{k}").exists() or not any((tmp_path / f"alone{k}").iterdir())
    assert batches[1:] == [1, 1, 1]  # (alone: a transform each)


def test_a_failed_batched_schematron_run_validates_that_label_alone(tmp_path, ctx_file, monkeypatch):
    """A label whose batched Schematron run failed (`check_schematron_batch` gives its
    ValidationRunError) is validated again alone, with the same outcome as unbatched."""
    import pdsgen.validate.schematron as sch
    from pdsgen.errors import ValidationRunError

    for k in range(3):
        make_binary(tmp_path / "in", pid=f"P_{k}", stem=f"B{k}")
    batch_run, alone = sch.check_schematron_batch, []
    single = sch.check_schematron
    monkeypatch.setattr(sch, "check_schematron", lambda *a, **k: alone.append(1) or single(*a, **k))
    monkeypatch.setattr(sch, "check_schematron_batch", lambda labels, p: [
        ValidationRunError("Saxon stopped") if i == 1 else r for i, r in enumerate(batch_run(labels, p))])
    results = migrate([tmp_path / "in"], options(tmp_path, ctx_file))
    assert [r.status for r in results] == ["migrated"] * 3 and len(alone) == 1
    plain = migrate_product(tmp_path / "in/B1.LBL", options(tmp_path, ctx_file, out=tmp_path / "plain"))
    assert Path(plain.pds4_label).read_bytes() == Path(results[1].pds4_label).read_bytes()
