"""`pdsgen migrate`: the PDS3 object kinds and label forms real archives hold beyond the
basic TABLE/IMAGE (PDS3 Standards Reference, Appendix A objects and chapters 5 and 14 on
pointers and record types), each on a small product built here.

Every migrated product has already passed validation (0 errors) and the read-back through
both labels inside `migrate`; these tests check the label's structure against values
worked out by hand and the values pds4_tools reads against the numpy arrays written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_migrate import CONTEXT, ident, options, texts, xml

from pdsgen.migrate import MigrationResult, migrate_product


@pytest.fixture
def ctx_file(tmp_path) -> Path:
    """The registered context products of the test mission (test_migrate's list)."""
    p = tmp_path / "context.json"
    p.write_text(json.dumps(CONTEXT))
    return p


PAIRS = np.zeros(3, dtype=[("A", ">i4"), ("B", ">f4")])
PAIRS["A"] = [1, -2, 300]
PAIRS["B"] = [0.5, 1.5, -2.25]

PAIR_COLUMNS = """  OBJECT = COLUMN
    NAME = A
    DATA_TYPE = {a_type}
    START_BYTE = 1
    BYTES = 4
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = B
    DATA_TYPE = IEEE_REAL
    START_BYTE = 5
    BYTES = 4
    UNIT = "KM/SEC"
  END_OBJECT = COLUMN
"""


def binary_table(obj: str, pointer: str = '"T.DAT"', *, prefix: int = 0, suffix: int = 0,
                 a_type: str = "MSB_INTEGER") -> str:
    extra = (f"  ROW_PREFIX_BYTES = {prefix}\n" if prefix else "") + (f"  ROW_SUFFIX_BYTES = {suffix}\n"
                                                                     if suffix else "")
    return (f"RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = {8 + prefix + suffix}\nFILE_RECORDS = 3\n"
            f"^{obj} = {pointer}\nOBJECT = {obj}\n  INTERCHANGE_FORMAT = BINARY\n  ROWS = 3\n  ROW_BYTES = 8\n"
            f"{extra}  COLUMNS = 2\n{PAIR_COLUMNS.format(a_type=a_type)}END_OBJECT = {obj}\nEND\n")


def run(tmp_path: Path, ctx_file: Path, label: str | bytes, files: dict[str, bytes] | None = None, *,
        name: str = "P", head: str | None = None) -> MigrationResult:
    folder = tmp_path / "in"
    folder.mkdir(parents=True, exist_ok=True)
    for fn, data in (files or {}).items():
        (folder / fn).write_bytes(data)
    path = folder / f"{name}.lbl"
    if isinstance(label, bytes):
        path.write_bytes(label)
    else:
        path.write_text((ident(name.upper()) if head is None else head) + label)
    return migrate_product(path, options(tmp_path, ctx_file))


def migrated(*args: Any, **kw: Any) -> tuple[MigrationResult, Any]:
    """`run`, which must migrate; (result, the new label's tree)."""
    r = run(*args, **kw)
    assert r.status == "migrated", r.reason
    return r, xml(r.pds4_label)


def pds4_read(label: str | None):
    pds4_tools = pytest.importorskip("pds4_tools")
    return pds4_tools.read(label, quiet=True, lazy_load=True)


# --------------------------------------------------------------------------- table-like objects


@pytest.mark.parametrize("obj", ["SERIES", "TIME_SERIES", "SPECTRUM", "PALETTE", "INDEX_TABLE",
                                 "GAZETTEER_TABLE", "ENGINEERING_TABLE"])
def test_table_like_objects_to_table_binary(tmp_path, ctx_file, obj):
    r, t = migrated(tmp_path, ctx_file, binary_table(obj), {"T.DAT": PAIRS.tobytes()})
    assert texts(t, "//p:Table_Binary/p:name") == [obj]
    assert texts(t, "//p:Field_Binary/p:data_type") == ["SignedMSB4", "IEEE754MSBSingle"]
    assert texts(t, "//p:Field_Binary/p:unit") == ["km/s"]
    s = pds4_read(r.pds4_label)[obj]
    assert np.asarray(s["A"]).tolist() == [1, -2, 300]
    assert np.asarray(s["B"]).tolist() == [0.5, 1.5, -2.25]


def test_row_prefix_and_suffix_bytes_shift_the_fields(tmp_path, ctx_file):
    rows = np.zeros(3, dtype=[("P", "S4"), ("A", ">i4"), ("B", ">f4"), ("S", "S2")])
    rows["P"], rows["S"] = b"pref", b"zz"
    rows["A"], rows["B"] = PAIRS["A"], PAIRS["B"]
    r, t = migrated(tmp_path, ctx_file, binary_table("TABLE", prefix=4, suffix=2), {"T.DAT": rows.tobytes()})
    # PDS3 START_BYTE counts from the end of the prefix; PDS4 field_location from the record start
    assert texts(t, "//p:Field_Binary/p:field_location") == ["5", "9"]
    assert texts(t, "//p:Record_Binary/p:record_length") == ["14"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["A"]).tolist() == [1, -2, 300]


@pytest.mark.parametrize("type_name,pds4,stored", [
    ("LSB_INTEGER", "SignedLSB4", "<i4"), ("PC_INTEGER", "SignedLSB4", "<i4"), ("VAX_INTEGER", "SignedLSB4", "<i4"),
    ("SUN_INTEGER", "SignedMSB4", ">i4"), ("MAC_INTEGER", "SignedMSB4", ">i4"),
    ("MSB_UNSIGNED_INTEGER", "UnsignedMSB4", ">u4"), ("PC_UNSIGNED_INTEGER", "UnsignedLSB4", "<u4")])
def test_platform_type_names(tmp_path, ctx_file, type_name, pds4, stored):
    rows = np.zeros(3, dtype=[("A", stored), ("B", ">f4")])
    rows["A"], rows["B"] = np.abs(PAIRS["A"]), PAIRS["B"]
    r = run(tmp_path, ctx_file, binary_table("TABLE", a_type=type_name), {"T.DAT": rows.tobytes()})
    assert r.status == "migrated", r.reason
    assert texts(xml(r.pds4_label), "//p:Field_Binary/p:data_type")[0] == pds4
    assert np.asarray(pds4_read(r.pds4_label)["TABLE"]["A"]).tolist() == [1, 2, 300]


# --------------------------------------------------------------------------- arrays


def test_histogram_to_array_1d(tmp_path, ctx_file):
    counts = (np.arange(256, dtype=np.int64) * 7919 % 65536).astype(">u4")
    label = """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 1024
FILE_RECORDS = 1
^IMAGE_HISTOGRAM = "H.DAT"
OBJECT = IMAGE_HISTOGRAM
  ITEMS = 256
  DATA_TYPE = MSB_UNSIGNED_INTEGER
  ITEM_BYTES = 4
  UNIT = "COUNTS"
END_OBJECT = IMAGE_HISTOGRAM
END
"""
    r, t = migrated(tmp_path, ctx_file, label, {"H.DAT": counts.tobytes()})
    assert texts(t, "//p:Array_1D/p:name") == ["IMAGE_HISTOGRAM"]
    assert texts(t, "//p:Array_1D/p:Element_Array/p:data_type") == ["UnsignedMSB4"]
    assert texts(t, "//p:Array_1D/p:Axis_Array/p:axis_name") == ["ITEM"]
    assert texts(t, "//p:Array_1D/p:Axis_Array/p:elements") == ["256"]
    assert np.array_equal(np.asarray(pds4_read(r.pds4_label)["IMAGE_HISTOGRAM"].data), counts)


def test_array_of_elements_to_array_2d_and_4_axes_refused(tmp_path, ctx_file):
    a = (np.arange(24) * 37 - 400).astype("<i2").reshape(4, 6)
    label = """RECORD_TYPE = UNDEFINED
^ARRAY = "A.DAT"
OBJECT = ARRAY
  AXES = 2
  AXIS_ITEMS = (4, 6)
  AXIS_NAME = (ROW, COLUMN)
  OBJECT = ELEMENT
    NAME = V
    DATA_TYPE = LSB_INTEGER
    BYTES = 2
    SCALING_FACTOR = 0.25
    MISSING_CONSTANT = -400
  END_OBJECT = ELEMENT
END_OBJECT = ARRAY
END
"""
    r, t = migrated(tmp_path, ctx_file, label, {"A.DAT": a.tobytes()})
    assert texts(t, "//p:Array_2D/p:Axis_Array/p:axis_name") == ["ROW", "COLUMN"]
    assert texts(t, "//p:Array_2D/p:Axis_Array/p:elements") == ["4", "6"]
    assert texts(t, "//p:Array_2D/p:Element_Array/p:data_type") == ["SignedLSB2"]
    assert texts(t, "//p:Array_2D/p:Element_Array/p:scaling_factor") == ["0.25"]
    assert texts(t, "//p:Array_2D/p:Special_Constants/p:missing_constant") == ["-400"]
    got = pds4_read(r.pds4_label)["ARRAY"].data
    assert np.array_equal(np.ma.getdata(got), np.where(a == -400, -400, a * 0.25))
    # PDS4 arrays have at most 3 axes (Array_1D … Array_3D)
    four = label.replace("AXES = 2", "AXES = 4").replace("(4, 6)", "(1, 2, 2, 6)").replace(
        "(ROW, COLUMN)", "(A, B, C, D)")
    r = run(tmp_path / "four", ctx_file, four, {"A.DAT": a.tobytes()})
    assert r.status == "failed" and "object 'ARRAY': 4 axes (AXIS_ITEMS)" in r.reason, r.reason
    assert not (tmp_path / "four/out").exists() or not list((tmp_path / "four/out").glob("*.xml"))


def test_collection_to_table_binary(tmp_path, ctx_file):
    rec = np.zeros(1, dtype=[("X", ">i2"), ("Y", ">f8", (3,))])
    rec["X"], rec["Y"] = -7, [[1.25, 2.5, -3.0]]
    label = """RECORD_TYPE = UNDEFINED
^COLLECTION = "C.DAT"
OBJECT = COLLECTION
  NAME = HK
  BYTES = 26
  OBJECT = ELEMENT
    NAME = X
    START_BYTE = 1
    BYTES = 2
    DATA_TYPE = MSB_INTEGER
  END_OBJECT = ELEMENT
  OBJECT = ARRAY
    NAME = Y
    START_BYTE = 3
    AXES = 1
    AXIS_ITEMS = 3
    OBJECT = ELEMENT
      BYTES = 8
      DATA_TYPE = IEEE_REAL
    END_OBJECT = ELEMENT
  END_OBJECT = ARRAY
END_OBJECT = COLLECTION
END
"""
    r, t = migrated(tmp_path, ctx_file, label, {"C.DAT": rec.tobytes()})
    assert texts(t, "//p:Table_Binary/p:records") == ["1"]
    assert texts(t, "//p:Group_Field_Binary/p:repetitions") == ["3"]
    s = pds4_read(r.pds4_label)["COLLECTION"]
    assert np.asarray(s["X"]).tolist() == [-7]
    assert np.asarray(s["Y"]).tolist() == [[1.25, 2.5, -3.0]]


# --------------------------------------------------------------------------- pointers and record types

ASCII_ROWS = b"  1, 2.5,ABC\n  2, 3.5,DEF\n"
ASCII_TABLE = """^TABLE = {pointer}
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 2
  ROW_BYTES = 13
  COLUMNS = 3
  OBJECT = COLUMN
    NAME = N
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 1
    BYTES = 3
    FORMAT = "I3"
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = X
    DATA_TYPE = ASCII_REAL
    START_BYTE = 5
    BYTES = 4
    UNIT = "N/A"
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = S
    DATA_TYPE = CHARACTER
    START_BYTE = 10
    BYTES = 3
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""
SKIP = b"skip-me-row\r\n"  # one 13-byte record before the table


@pytest.mark.parametrize("record_type,pointer,data,offset", [
    ("STREAM", '"T.TAB"', ASCII_ROWS, 0),
    ("VARIABLE_LENGTH", '"T.TAB"', ASCII_ROWS, 0),
    ("UNDEFINED", '"T.TAB"', ASCII_ROWS, 0),
    ("FIXED_LENGTH", '("T.TAB", 2)', SKIP + ASCII_ROWS, 13),
    ("FIXED_LENGTH", '("T.TAB", 14 <BYTES>)', SKIP + ASCII_ROWS, 13),
])
def test_pointer_forms_and_record_types_lf_only(tmp_path, ctx_file, record_type, pointer, data, offset):
    head = f"RECORD_TYPE = {record_type}\n" + ("RECORD_BYTES = 13\n" if record_type == "FIXED_LENGTH" else "")
    r, t = migrated(tmp_path, ctx_file, head + ASCII_TABLE.format(pointer=pointer), {"T.TAB": data})
    assert texts(t, "//p:Table_Character/p:offset") == [str(offset)]
    assert texts(t, "//p:Table_Character/p:record_delimiter") == ["Line-Feed"]  # LF only, as in the file
    assert texts(t, "//p:Field_Character/p:unit") == []  # UNIT = "N/A": no unit
    assert texts(t, "//p:Field_Character/p:field_format") == ["%3d"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["N"]).tolist() == [1, 2] and np.asarray(s["X"]).tolist() == [2.5, 3.5]


@pytest.mark.parametrize("form", ["record", "bytes"])
def test_attached_label_record_and_byte_pointers(tmp_path, ctx_file, form):
    rows = ASCII_ROWS.replace(b"\n", b"\r\n")
    head = ident("ATT") + "RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 14\nLABEL_RECORDS = {n}\n"
    body = head + ASCII_TABLE.replace("ROW_BYTES = 13", "ROW_BYTES = 14")
    n = 1
    while True:  # the label's own length decides the pointer: iterate to a fixed point
        pointer = str(n + 1) if form == "record" else f"{n * 14 + 1} <BYTES>"
        text = body.replace("{n}", str(n)).format(pointer=pointer).replace("\n", "\r\n").encode()
        if -(-len(text) // 14) == n:
            break
        n = -(-len(text) // 14)
    r, t = migrated(tmp_path, ctx_file, text.ljust(n * 14, b" ") + rows, name="att")
    assert texts(t, "//p:File/p:file_name") == ["att.lbl"]  # the label file is the data file
    assert texts(t, "//p:Table_Character/p:offset") == [str(n * 14)]
    assert texts(t, "//p:Table_Character/p:record_delimiter") == ["Carriage-Return Line-Feed"]


IMAGE_3X4 = """OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = IMAGE
"""
TABLE_OBJECT = binary_table("TABLE").split("OBJECT = TABLE", 1)[1].rsplit("END\n", 1)[0]


def test_several_objects_in_one_file_and_objects_in_several_files(tmp_path, ctx_file):
    img = (np.arange(12, dtype=np.uint8) * 19).reshape(3, 4)
    one = ("RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 8\n^TABLE = (\"D.DAT\", 1)\n^IMAGE = (\"D.DAT\", 4)\n"
           f"OBJECT = TABLE{TABLE_OBJECT}{IMAGE_3X4}END\n")
    r, t = migrated(tmp_path / "one", ctx_file, one, {"D.DAT": PAIRS.tobytes() + img.tobytes()})
    assert texts(t, "//p:File/p:file_name") == ["D.DAT"]
    assert texts(t, "//p:Table_Binary/p:offset") == ["0"] and texts(t, "//p:Array_2D_Image/p:offset") == ["24"]
    assert np.array_equal(pds4_read(r.pds4_label)["IMAGE"].data, img)
    two = ("RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 8\n^TABLE = \"T.DAT\"\n^IMAGE = \"I.IMG\"\n"
           f"OBJECT = TABLE{TABLE_OBJECT}{IMAGE_3X4}END\n")
    r, t = migrated(tmp_path / "two", ctx_file, two, {"T.DAT": PAIRS.tobytes(), "I.IMG": img.tobytes()})
    assert texts(t, "//p:File/p:file_name") == ["I.IMG", "T.DAT"]
    assert texts(t, "//p:File_Area_Observational[p:File/p:file_name='I.IMG']/p:Array_2D_Image/p:offset") == ["0"]
    # FILE objects (PDS3 Standards Reference 5.3.3: one FILE object per data file)
    files = (f"OBJECT = FILE\n  ^TABLE = \"T.DAT\"\n  RECORD_TYPE = FIXED_LENGTH\n  RECORD_BYTES = 8\n"
             f"  OBJECT = TABLE{TABLE_OBJECT}END_OBJECT = FILE\n"
             f"OBJECT = FILE\n  ^IMAGE = \"I.IMG\"\n  RECORD_TYPE = FIXED_LENGTH\n  RECORD_BYTES = 4\n"
             f"{IMAGE_3X4}END_OBJECT = FILE\nEND\n")
    r = run(tmp_path / "file", ctx_file, files, {"T.DAT": PAIRS.tobytes(), "I.IMG": img.tobytes()})
    assert r.status == "migrated", r.reason
    assert sorted(r.objects) == ["IMAGE → Array_2D_Image", "TABLE → Table_Binary"]


# --------------------------------------------------------------------------- identification


def head_with(pid: str, **keywords: str | None) -> str:
    """The test product's identification keywords with some replaced (None: left out)."""
    lines = [ln for ln in ident(pid).splitlines() if ln.split("=")[0].strip() not in keywords]
    return "\n".join(lines + [f"{k} = {v}" for k, v in keywords.items() if v is not None]) + "\n"


@pytest.mark.parametrize("keywords,lid,start,stop", [
    ({"START_TIME": "2020-032T01:02:03", "STOP_TIME": "2020-032T01:02:04.5Z"}, "p",
     "2020-02-01T01:02:03Z", "2020-02-01T01:02:04.500Z"),
    ({"START_TIME": '"UNK"', "STOP_TIME": '"N/A"'}, "p", None, None),
    ({"START_TIME": "2020-02-01", "STOP_TIME": "2020-02-02"}, "p", "2020-02-01T00:00:00Z", "2020-02-02T00:00:00Z"),
    ({"PRODUCT_ID": '"A/B C#1:X"'}, "a_b_c_1_x", "2020-01-01T00:00:00.500Z", "2020-01-01T01:00:00Z"),
    ({"PRODUCT_ID": None}, "missing_pid", "2020-01-01T00:00:00.500Z", "2020-01-01T01:00:00Z"),
])
def test_times_and_product_ids(tmp_path, ctx_file, keywords, lid, start, stop):
    head = head_with("P", **keywords)
    name = "MISSING_PID" if keywords.get("PRODUCT_ID", "") is None else "P"
    r = run(tmp_path, ctx_file, "RECORD_TYPE = STREAM\n" + ASCII_TABLE.format(pointer='"T.TAB"'),
            {"T.TAB": ASCII_ROWS}, head=head, name=name)
    assert r.status == "migrated", r.reason
    assert r.lid == f"urn:nasa:pds:test_bundle:data:{lid}"
    t = xml(r.pds4_label)
    for tag, want in (("start_date_time", start), ("stop_date_time", stop)):
        el = t.xpath(f"//p:{tag}", namespaces={"p": "http://pds.nasa.gov/pds4/pds/v1"})[0]
        if want is None:
            assert el.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true" and el.get("nilReason") == "missing"
        else:
            assert el.text == want


def test_target_lists_unknown_instrument_and_non_ascii_text(tmp_path, ctx_file):
    head = head_with("P", TARGET_NAME='{"MARS", "PHOBOS"}', INSTRUMENT_NAME='"UNK"', INSTRUMENT_ID='"CAM"')
    body = ("RECORD_TYPE = STREAM\n" + ASCII_TABLE.format(pointer='"T.TAB"').replace(
        "NAME = S\n", 'NAME = S\n    DESCRIPTION = "\xb5m in \xc5ngstr\xf6m"\n'))
    r, t = migrated(tmp_path, ctx_file, (head + body).encode("latin-1"), {"T.TAB": ASCII_ROWS})
    assert texts(t, "//p:Target_Identification/p:name") == ["MARS", "PHOBOS"]
    assert texts(t, "//p:Target_Identification/p:type") == ["Planet", "Satellite"]
    assert texts(t, "//p:Target_Identification/p:Internal_Reference/p:lid_reference") == [
        "urn:nasa:pds:context:target:planet.mars", "urn:nasa:pds:context:target:satellite.mars.phobos"]
    # INSTRUMENT_NAME = UNK is no name: INSTRUMENT_ID is looked up (not registered here: a note, no LID)
    assert texts(t, "//p:Observing_System_Component/p:name") == ["TEST SPACECRAFT", "CAM"]
    assert any("no registered instrument context product named 'CAM'" in n for n in r.notes)
    # Latin-1 bytes of a PDS3 label's text become the characters they stand for
    assert texts(t, "//p:Field_Character[p:name='S']/p:description") == ["\xb5m in \xc5ngstr\xf6m"]


def test_context_products_of_other_agencies(tmp_path, ctx_file):
    ctx = json.loads(ctx_file.read_text())
    ctx["Product_Context"].append({"lidvid": "urn:isro:isda:context:investigation:mission.ch1::1.0",
                                   "name": ["CHANDRAYAAN-1"], "type": ["Mission"]})
    ctx_file.write_text(json.dumps(ctx))
    head = head_with("P", MISSION_NAME='"CHANDRAYAAN-1"')
    r = run(tmp_path, ctx_file, "RECORD_TYPE = STREAM\n" + ASCII_TABLE.format(pointer='"T.TAB"'),
            {"T.TAB": ASCII_ROWS}, head=head)
    assert r.status == "migrated", r.reason
    assert texts(xml(r.pds4_label), "//p:Investigation_Area/p:Internal_Reference/p:lid_reference") == [
        "urn:isro:isda:context:investigation:mission.ch1"]


# --------------------------------------------------------------------------- spreadsheets with a title line

CSV_LABEL = """RECORD_TYPE = STREAM
^SPREADSHEET = "S.CSV"
OBJECT = SPREADSHEET
  ROWS = {rows}
  ROW_BYTES = 30
  FIELDS = 2
  FIELD_DELIMITER = "COMMA"
  OBJECT = FIELD
    NAME = "NAME"
    FIELD_NUMBER = 1
    BYTES = 12
    DATA_TYPE = CHARACTER
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = "VALUE"
    FIELD_NUMBER = 2
    BYTES = 8
    DATA_TYPE = ASCII_REAL
  END_OBJECT = FIELD
END_OBJECT = SPREADSHEET
END
"""


def test_spreadsheet_leading_title_lines_become_a_header(tmp_path, ctx_file):
    title = b'"Housekeeping, file 1"\r\n"version 2"\r\n'  # 1 field each (the comma is quoted)
    body = b'"A",1.5\r\n"B",-2\r\n"C",3e2\r\n'
    r, t = migrated(tmp_path, ctx_file, CSV_LABEL.format(rows=5), {"S.CSV": title + body})
    assert texts(t, "//p:Header/p:offset") == ["0"] and texts(t, "//p:Header/p:object_length") == [str(len(title))]
    assert texts(t, "//p:Table_Delimited/p:offset") == [str(len(title))]
    assert texts(t, "//p:Table_Delimited/p:records") == ["3"]
    s = pds4_read(r.pds4_label)["SPREADSHEET"]
    assert np.asarray(s["VALUE"]).tolist() == [1.5, -2.0, 300.0]
    # a short record that is not a leading one stays refused
    r = run(tmp_path / "mid", ctx_file, CSV_LABEL.format(rows=3), {"S.CSV": b'"A",1.5\r\n"B"\r\n"C",3\r\n'})
    assert r.status == "failed" and "1 records have fewer fields than the label" in r.reason, r.reason


def test_spreadsheet_real_column_nan_inf_na_and_blank(tmp_path, ctx_file):
    """A SPREADSHEET (Table_Delimited) ASCII_REAL column holding ``NaN`` and ``-Inf`` (before:
    refused by validation, the reader kept no spelling): each spelling as written becomes a
    special constant, the field stays ASCII_Real, values equal through pds4_tools. A blank
    value stays a null (pds4_tools masks it, validate takes it); an ``N/A`` in another
    real column makes that column ASCII_String (pds4_tools cannot convert it)."""
    label = CSV_LABEL.format(rows=4).replace("FIELDS = 2", "FIELDS = 3").replace("END_OBJECT = SPREADSHEET", """\
  OBJECT = FIELD
    NAME = "OTHER"
    FIELD_NUMBER = 3
    BYTES = 5
    DATA_TYPE = ASCII_REAL
  END_OBJECT = FIELD
END_OBJECT = SPREADSHEET""")
    body = b'"A",1.5,1\r\n"B",NaN,N/A\r\n"C",-Inf,2\r\n"D",,3\r\n'
    r, t = migrated(tmp_path, ctx_file, label, {"S.CSV": body})
    assert texts(t, "//p:Field_Delimited/p:data_type") == ["ASCII_String", "ASCII_Real", "ASCII_String"]
    assert texts(t, "//p:Field_Delimited[p:name='VALUE']/p:Special_Constants/p:missing_constant") == ["NaN"]
    assert texts(t, "//p:Field_Delimited[p:name='VALUE']/p:Special_Constants/p:invalid_constant") == ["-Inf"]
    assert any("field 'OTHER': ASCII_Real values that are not numbers ('N/A')" in n for n in r.notes)
    s = pds4_read(r.pds4_label)["SPREADSHEET"]
    value = s["VALUE"]  # (pds4_tools masks -Inf, equal to its constant, and the blank; NaN equals nothing)
    assert np.array_equal(np.ma.getdata(value)[:3], [1.5, np.nan, -np.inf], equal_nan=True)
    assert np.ma.getmaskarray(value).tolist() == [False, False, True, True]
    assert [str(x).strip() for x in np.asarray(s["OTHER"])] == ["1", "N/A", "2", "3"]
    import pdsgen

    ours = pdsgen.open(r.pds4_label)["SPREADSHEET"].data["VALUE"]
    assert np.array_equal(np.ma.getdata(ours)[:3], [1.5, np.nan, -np.inf], equal_nan=True)
    assert np.ma.getmaskarray(ours)[3]


# --------------------------------------------------------------------------- images: packed samples, per-band constants


def packed_12bit(values: np.ndarray) -> bytes:
    """12-bit samples packed most significant bit first, two in three bytes (by hand)."""
    a, b = values.reshape(-1, 2).T.astype(np.uint16)
    return np.stack([a >> 4, ((a & 0xF) << 4) | (b >> 8), b & 0xFF], axis=1).astype(np.uint8).tobytes()


PACKED_IMAGE = """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {record}
^IMAGE = "I.IMG"
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = {samples}
  {prefix}SAMPLE_TYPE = {type}
  SAMPLE_BITS = {bits}
  MISSING_CONSTANT = 4095
  UNIT = "DN"
END_OBJECT = IMAGE
END
"""


def test_packed_12_bit_image_as_table_of_lines_with_field_bits(tmp_path, ctx_file):
    import pdsgen

    samples = np.array([[0, 4095, 1, 2048], [17, 300, 4000, 5], [1234, 2345, 3456, 7]], dtype=np.uint16)
    prefix = b"PF"
    data = b"".join(prefix + packed_12bit(line) for line in samples)
    label = PACKED_IMAGE.format(record=8, samples=4, type="MSB_UNSIGNED_INTEGER", bits=12,
                                prefix="LINE_PREFIX_BYTES = 2\n  ")
    r, t = migrated(tmp_path, ctx_file, label, {"I.IMG": data})
    assert texts(t, "//p:Table_Binary/p:records") == ["3"]
    assert texts(t, "//p:Record_Binary/p:record_length") == ["8"]
    g = "//p:Group_Field_Binary[p:name='SAMPLES']"
    assert texts(t, f"{g}/p:repetitions") == ["2"] and texts(t, f"{g}/p:group_location") == ["3"]
    assert texts(t, f"{g}/p:Field_Binary/p:field_length") == ["3"]
    bits = f"{g}/p:Field_Binary/p:Packed_Data_Fields/p:Field_Bit"
    assert texts(t, f"{bits}/p:start_bit_location") == ["1", "13"]
    assert texts(t, f"{bits}/p:stop_bit_location") == ["12", "24"]
    assert texts(t, f"{bits}/p:Special_Constants/p:missing_constant") == ["4095", "4095"]
    # pdsgen's PDS4 reading of the Field_Bits gives the hand-packed samples back
    # (pds4_tools 1.3 does not expose Field_Bit values)
    table = pdsgen.open(r.pds4_label)["IMAGE"].data
    got = np.stack([table["SAMPLE_1"], table["SAMPLE_2"]], axis=-1).reshape(3, 4)
    assert np.array_equal(got, samples)
    assert np.asarray(table["LINE_PREFIX_BYTE"]).tolist() == [[80, 70]] * 3


def test_packed_image_refusals(tmp_path, ctx_file):
    # 3 samples of 12 bits: the second 3-byte unit would reach past the 5-byte line
    label = PACKED_IMAGE.format(record=5, samples=3, type="MSB_UNSIGNED_INTEGER", bits=12, prefix="")
    r = run(tmp_path / "odd", ctx_file, label, {"I.IMG": bytes(15)})
    assert r.status == "failed" and "object 'IMAGE': 3 samples of 12 bits per stored line do not fill whole " \
        "3-byte units of 2 samples" in r.reason, r.reason
    label = PACKED_IMAGE.format(record=6, samples=4, type="LSB_UNSIGNED_INTEGER", bits=12, prefix="")
    r = run(tmp_path / "lsb", ctx_file, label, {"I.IMG": bytes(18)})
    assert r.status == "failed" and "object 'IMAGE': SAMPLE_BITS = 12 packed least significant bit first" in \
        r.reason, r.reason


def test_per_band_special_constants_one_array_per_band(tmp_path, ctx_file):
    cube = (np.arange(24, dtype=np.uint8) * 11).reshape(2, 3, 4)
    label = """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 4
^IMAGE = "I.IMG"
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  BANDS = 2
  BAND_STORAGE_TYPE = {storage}
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
  MISSING_CONSTANT = (0, 253)
  INVALID_CONSTANT = 1
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, label.format(storage="BAND_SEQUENTIAL"), {"I.IMG": cube.tobytes()})
    assert texts(t, "//p:Array_2D_Image/p:name") == ["IMAGE_BAND_1", "IMAGE_BAND_2"]
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["0", "12"]
    assert texts(t, "//p:Array_2D_Image/p:Special_Constants/p:missing_constant") == ["0", "253"]
    assert texts(t, "//p:Array_2D_Image/p:Special_Constants/p:invalid_constant") == ["1", "1"]
    got = pds4_read(r.pds4_label)
    for b in range(2):
        assert np.array_equal(np.ma.getdata(got[f"IMAGE_BAND_{b + 1}"].data), cube[b])
    # interleaved bands: a table of lines with one field per band, each with its own constants
    for storage in ("LINE_INTERLEAVED", "SAMPLE_INTERLEAVED"):
        stored = cube.transpose(1, 0, 2) if storage == "LINE_INTERLEAVED" else cube.transpose(1, 2, 0)
        r, t = migrated(tmp_path / storage, ctx_file, label.format(storage=storage), {"I.IMG": stored.tobytes()})
        assert texts(t, "//p:Field_Binary/p:name") == ["SAMPLE_BAND_1", "SAMPLE_BAND_2"]
        assert texts(t, "//p:Field_Binary/p:Special_Constants/p:missing_constant") == ["0", "253"]
        assert texts(t, "//p:Field_Binary/p:field_location") == (
            ["1", "1"] if storage == "LINE_INTERLEAVED" else ["1", "2"])
        got = pds4_read(r.pds4_label)["IMAGE"]
        for b in range(2):  # (lines, samples) of band b, as written
            assert np.array_equal(np.ma.getdata(np.asarray(got[f"SAMPLE_BAND_{b + 1}"])), cube[b])
    # band-sequential with line prefixes: each record holds one band's line; refused
    prefixed = label.format(storage="BAND_SEQUENTIAL").replace("  SAMPLE_BITS = 8\n",
                                                               "  SAMPLE_BITS = 8\n  LINE_PREFIX_BYTES = 2\n")
    r = run(tmp_path / "bsq", ctx_file, prefixed, {"I.IMG": bytes(36)})
    assert r.status == "failed" and r.reason.startswith(
        "object 'IMAGE': per-band special constants (missing_constant) in a band sequential image whose bands are "
        "neither contiguous arrays nor fields of its lines"), r.reason


# --------------------------------------------------------------------------- QUBE sideplanes, bottomplanes


def test_qube_sideplanes_bottomplanes_backplanes_as_tables_of_planes(tmp_path, ctx_file):
    """A band-sequential QUBE (PDS3 Standards Reference A.23) with one sideplane item per
    line, one bottomplane line per band and one backplane of 2-byte integers in 4-byte
    slots, its bytes laid out here by hand: each core plane a record of the first table,
    the backplane a record of the second."""
    from test_migrate import make_qube

    n0, n1, n2 = 4, 3, 2  # SAMPLE, LINE, BAND (fastest first)
    core = (np.arange(n2 * n1 * n0).reshape(n2, n1, n0) * 0.25 - 1).astype(">f4")
    side = (np.arange(n2 * n1).reshape(n2, n1, 1) + 1000).astype(">i4")
    bottom = (np.arange(n2 * n0).reshape(n2, 1, n0) / 2 + 50).astype(">f4")
    back = (np.arange(n1 * n0).reshape(1, n1, n0) - 6).astype(">i2")
    corner = b"\xee" * 4
    raw = b""
    for b in range(n2):
        for line in range(n1):
            raw += core[b, line].tobytes() + side[b, line].tobytes()
        raw += bottom[b, 0].tobytes() + corner
    for line in range(n1):
        raw += b"".join(back[0, line, k:k + 1].tobytes() + b"\0\0" for k in range(n0)) + corner
    raw += corner * (n0 + 1)
    extra = """  SAMPLE_SUFFIX_NAME = SIDE
  SAMPLE_SUFFIX_ITEM_BYTES = 4
  SAMPLE_SUFFIX_ITEM_TYPE = MSB_INTEGER
  LINE_SUFFIX_NAME = BOTTOM
  LINE_SUFFIX_ITEM_BYTES = 4
  LINE_SUFFIX_ITEM_TYPE = IEEE_REAL
  BAND_SUFFIX_NAME = BACK
  BAND_SUFFIX_ITEM_BYTES = 2
  BAND_SUFFIX_ITEM_TYPE = MSB_INTEGER
"""
    label, _, _ = make_qube(tmp_path / "in", axis_names=("SAMPLE", "LINE", "BAND"), core=(n0, n1, n2),
                            suffix=(1, 1, 1), raw=raw, extra=extra)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    t = xml(r.pds4_label)
    assert texts(t, "//p:Table_Binary/p:name") == ["QUBE", "QUBE.BAND_SUFFIX"]
    assert texts(t, "//p:Table_Binary/p:offset") == ["0", str(n2 * (n1 * 20 + 20))]
    assert texts(t, "//p:Table_Binary/p:records") == ["2", "1"]
    assert texts(t, "//p:Record_Binary/p:record_length") == ["80", "80"]
    assert texts(t, "//p:Field_Binary[p:name='CORE']/p:scaling_factor") == ["2.0"]
    assert texts(t, "//p:Field_Binary[p:name='LINE_SUFFIX']/p:data_type") == ["IEEE754MSBSingle"]
    assert texts(t, "//p:Field_Binary[p:name='BAND_SUFFIX']/p:field_length") == ["2"]
    # the 2 bytes after each backplane item are a pad field: the group's fields reach its
    # group_length (4 bytes a repetition), which pds4-jparser requires
    assert texts(t, "//p:Group_Field_Binary[p:Field_Binary/p:name='BAND_SUFFIX_PAD']/p:group_length") == [
        str(n0 * 4)]
    assert texts(t, "//p:Field_Binary[p:name='BAND_SUFFIX_PAD']/p:field_location") == ["3"]
    assert texts(t, "//p:Field_Binary[p:name='BAND_SUFFIX_PAD']/p:data_type") == ["UnsignedMSB2"]
    from conftest import validate_options

    from pdsgen.validate import validate

    res = validate([r.pds4_label], **validate_options(rule="product", context_products=(str(ctx_file),)))
    assert res.total_errors == 0, [str(f) for p in res.products for f in p.findings]
    got = pds4_read(r.pds4_label)
    qube, backs = got["QUBE"], got["QUBE.BAND_SUFFIX"]
    # pds4_tools scales CORE (CORE_MULTIPLIER 2, CORE_BASE 0.5)
    assert np.array_equal(np.asarray(qube["CORE"]), core.astype(float) * 2.0 + 0.5)
    assert np.array_equal(np.asarray(qube["SAMPLE_SUFFIX"]), side)
    assert np.array_equal(np.asarray(qube["LINE_SUFFIX"]), bottom)
    assert np.array_equal(np.asarray(backs["BAND_SUFFIX"]), back)
    assert np.asarray(backs["BAND_SUFFIX_PAD"]).tolist() == [[[0] * n0] * n1]  # the "\0\0" after each item
    import pdsgen

    ours = pdsgen.open(r.pds4_label)["QUBE.BAND_SUFFIX"].data
    assert np.array_equal(np.asarray(ours["BAND_SUFFIX"]).reshape(back.shape), back)
    # the read-back compares every suffix set: a changed sideplane item is found
    from dataclasses import replace

    import pdsgen
    from pdsgen.migrate.verify import compare_objects

    old = pdsgen.open(label)
    src = replace(old["QUBE"], details={**old["QUBE"].details, "qube_parts": [old["QUBE.SAMPLE_SUFFIX"]]})
    out = tmp_path / "out/Q.QUB"
    changed = bytearray(out.read_bytes())
    changed[16 + 3] ^= 0x01  # the first line's sideplane item (after 4 core reals)
    out.unlink()  # a hard link to the input: replaced, not written through
    out.write_bytes(bytes(changed))
    problems = compare_objects([(src, pdsgen.open(r.pds4_label)["QUBE"])])
    assert len(problems) == 1 and problems[0].startswith("object 'QUBE.SAMPLE_SUFFIX': 1 values differ"), problems


# --------------------------------------------------------------------------- field names, text bytes, empty tables


def test_repeated_column_names_renamed_as_the_reader_names_them(tmp_path, ctx_file):
    r = run(tmp_path, ctx_file, binary_table("TABLE").replace("NAME = B", "NAME = A"), {"T.DAT": PAIRS.tobytes()})
    assert r.status == "migrated", r.reason
    assert texts(xml(r.pds4_label), "//p:Field_Binary/p:name") == ["A", "A_2"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["A"]).tolist() == [1, -2, 300] and np.asarray(s["A_2"]).tolist() == [0.5, 1.5, -2.25]


ITEMS_TABLE = """^TABLE = "T.DAT"
OBJECT = TABLE
  INTERCHANGE_FORMAT = {fmt}
  ROWS = 2
  ROW_BYTES = {row}
  COLUMNS = 2
  OBJECT = COLUMN
    NAME = V
    DATA_TYPE = {vtype}
    START_BYTE = 1
    BYTES = {vbytes}
    ITEMS = 3
    ITEM_BYTES = {item}
    ITEM_OFFSET = {offset}
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = W
    DATA_TYPE = {vtype}
    START_BYTE = {wstart}
    BYTES = {wbytes}
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""


@pytest.mark.parametrize("fmt", ["BINARY", "ASCII"])
def test_items_with_a_gap_after_each_get_pad_fields(tmp_path, ctx_file, fmt):
    """A PDS3 ITEMS column whose ITEM_OFFSET is larger than ITEM_BYTES leaves bytes after each
    item: a Group_Field whose group_length is larger than its fields, which validate refuses
    (pds4-jparser), so those bytes are pad fields (`V_PAD`): binary unsigned integers, ASCII
    text in a character table. The product validates with 0 errors and reads back the same
    values through pds4_tools and pdsgen."""
    if fmt == "BINARY":
        label = "RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 16\nFILE_RECORDS = 2\n" + ITEMS_TABLE.format(
            fmt=fmt, row=16, vtype="MSB_INTEGER", vbytes=12, item=2, offset=4, wstart=13, wbytes=4)
        data = b"".join(b"".join(np.array([r * 10 + k], ">i2").tobytes() + b"\xff\xff" for k in range(3))
                        + np.array([r - 7], ">i4").tobytes() for r in range(2))
        pad, pad_type = ["65535"] * 3, "UnsignedMSB2"
    else:
        label = "RECORD_TYPE = STREAM\n" + ITEMS_TABLE.format(
            fmt=fmt, row=9, vtype="ASCII_INTEGER", vbytes=6, item=1, offset=2, wstart=7, wbytes=2)
        data = b"0,1,2,-7\n" + b"3,4,5,-6\n"
        pad, pad_type = [","] * 3, "ASCII_String"
    r, t = migrated(tmp_path, ctx_file, label, {"T.DAT": data})
    assert texts(t, "//p:*[p:name='V_PAD']/p:data_type") == [pad_type]
    assert texts(t, "//p:*[starts-with(local-name(), 'Group_Field')]/p:group_length") == [
        "12" if fmt == "BINARY" else "6"]
    from conftest import validate_options

    from pdsgen.validate import validate

    res = validate([r.pds4_label], **validate_options(rule="product", context_products=(str(ctx_file),)))
    assert res.total_errors == 0, [str(f) for p in res.products for f in p.findings]
    values = [[0, 1, 2], [3, 4, 5]] if fmt == "ASCII" else [[0, 1, 2], [10, 11, 12]]
    table = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(table["V"]).tolist() == values and np.asarray(table["W"]).tolist() == [-7, -6]
    assert [str(v).strip() for v in np.asarray(table["V_PAD"]).astype(str)[0]] == pad
    import pdsgen

    ours = pdsgen.open(r.pds4_label)["TABLE"].data
    assert np.asarray(ours["V"]).tolist() == values


def test_inf_nan_text_values_become_special_constants(tmp_path, ctx_file):
    """PDS3 CHARACTER and ASCII_REAL columns holding "NaN" and "inf": validate rejects INF/NaN
    spellings in every PDS4 character field unless written as a special constant, so each
    spelling, as the file writes it, is one (NaN the missing_constant); the product
    validates with 0 errors and reads back the same values through pds4_tools and pdsgen."""
    label = "RECORD_TYPE = STREAM\n" + ASCII_TABLE.format(pointer='"T.TAB"').replace("ROWS = 2", "ROWS = 3")
    text = b"  1, 2.5,NaN\n  2, NAN,inf\n  3,-Inf,abc\n"
    r, t = migrated(tmp_path, ctx_file, label, {"T.TAB": text})
    assert texts(t, "//p:Field_Character[p:name='S']/p:data_type") == ["ASCII_String"]
    assert texts(t, "//p:Field_Character[p:name='S']/p:Special_Constants/p:missing_constant") == ["NaN"]
    assert texts(t, "//p:Field_Character[p:name='S']/p:Special_Constants/p:invalid_constant") == ["inf"]
    assert texts(t, "//p:Field_Character[p:name='X']/p:data_type") == ["ASCII_Real"]
    assert texts(t, "//p:Field_Character[p:name='X']/p:Special_Constants/p:missing_constant") == ["NAN"]
    assert texts(t, "//p:Field_Character[p:name='X']/p:Special_Constants/p:invalid_constant") == ["-Inf"]
    assert texts(t, "//p:Field_Character[p:name='N']/p:Special_Constants") == []
    from conftest import validate_options

    from pdsgen.validate import validate

    res = validate([r.pds4_label], **validate_options(rule="product", context_products=(str(ctx_file),)))
    assert res.total_errors == 0, [str(f) for p in res.products for f in p.findings]
    expected = ["NaN", "inf", "abc"]
    theirs = pds4_read(r.pds4_label)["TABLE"]
    assert [x.strip() for x in np.asarray(theirs["S"]).astype(str)] == expected
    assert np.array_equal(np.ma.getdata(theirs["X"]), [2.5, np.nan, -np.inf], equal_nan=True)
    import pdsgen

    ours = pdsgen.open(r.pds4_label)["TABLE"].data
    assert [bytes(x).strip().decode() for x in np.ma.getdata(ours["S"])] == expected
    assert np.array_equal(np.ma.getdata(ours["X"]), [2.5, np.nan, -np.inf], equal_nan=True)


def test_character_columns_utf8_described_latin1_refused_and_empty_tables(tmp_path, ctx_file):
    label = "RECORD_TYPE = STREAM\n" + ASCII_TABLE.format(pointer='"T.TAB"').replace(
        "ROW_BYTES = 13", "ROW_BYTES = 14").replace("START_BYTE = 10\n    BYTES = 3", "START_BYTE = 10\n    BYTES = 4")
    r, t = migrated(tmp_path / "utf8", ctx_file, label, {"T.TAB": "  1, 2.5,\u00c5BC\n  2, 3.5,DEFG\n".encode()})
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_Integer", "ASCII_Real", "UTF8_String"]
    assert [x.strip() for x in np.asarray(pds4_read(r.pds4_label)["TABLE"]["S"]).astype(str)] == ["\u00c5BC", "DEFG"]
    r = run(tmp_path / "latin1", ctx_file, label, {"T.TAB": b"  1, 2.5,\xc5BCD\n  2, 3.5,DEFG\n"})
    assert r.status == "failed" and r.reason == (
        "object 'TABLE': field 'S': CHARACTER values with bytes that are neither 7-bit ASCII nor UTF-8 (Latin-1?); "
        "PDS4 character fields are ASCII_String or UTF8_String"), r.reason
    r = run(tmp_path / "empty", ctx_file, label.replace("ROWS = 2", "ROWS = 0"), {"T.TAB": b""})
    assert r.status == "failed" and r.reason == "object 'TABLE': ROWS = 0; a PDS4 table has at least 1 record"


# --------------------------------------------------------------------------- a table of line prefixes over an image


def test_line_prefix_table_over_an_image_becomes_fields_of_its_lines(tmp_path, ctx_file):
    """Cassini ISS's layout (PDS3 Standards Reference A.20/A.29 pointers into one file): a
    binary TABLE whose rows are the image's 4 line-prefix bytes (ROW_SUFFIX_BYTES over the
    samples), a VICAR header and a telemetry table before them. PDS4 objects of a file may
    not overlap: the prefix table's columns become fields of the image's table of lines."""
    import pdsgen
    from pdsgen.migrate.verify import compare_objects

    header = b"LBLSIZE=16      "
    telemetry = np.array([(7, 2.5, b"  ")], dtype=[("ID", ">u2"), ("V", ">f4"), ("PAD", "S2")])
    prefixes = np.zeros(3, dtype=[("LINE", ">u2"), ("FLAGS", ">u2")])
    prefixes["LINE"], prefixes["FLAGS"] = [1, 2, 3], [0x8001, 0, 0x00FF]
    samples = (np.arange(12) * 1000).astype(">u2").reshape(3, 4)
    lines = b"".join(prefixes[i:i + 1].tobytes() + samples[i].tobytes() for i in range(3))
    label = """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 8
^IMAGE_HEADER = ("N1.IMG", 1)
^TELEMETRY_TABLE = ("N1.IMG", 3)
^LINE_PREFIX_TABLE = ("N1.IMG", 4)
^IMAGE = ("N1.IMG", 4)
OBJECT = IMAGE_HEADER
  HEADER_TYPE = VICAR2
  BYTES = 16
END_OBJECT = IMAGE_HEADER
OBJECT = TELEMETRY_TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 1
  ROW_BYTES = 8
  COLUMNS = 2
  OBJECT = COLUMN
    NAME = ID
    DATA_TYPE = MSB_UNSIGNED_INTEGER
    START_BYTE = 1
    BYTES = 2
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = V
    DATA_TYPE = IEEE_REAL
    START_BYTE = 3
    BYTES = 4
  END_OBJECT = COLUMN
END_OBJECT = TELEMETRY_TABLE
OBJECT = LINE_PREFIX_TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 3
  ROW_BYTES = 4
  ROW_SUFFIX_BYTES = 8
  COLUMNS = 2
  OBJECT = COLUMN
    NAME = LINE
    DATA_TYPE = MSB_UNSIGNED_INTEGER
    START_BYTE = 1
    BYTES = 2
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = FLAGS
    DATA_TYPE = MSB_UNSIGNED_INTEGER
    START_BYTE = 3
    BYTES = 2
  END_OBJECT = COLUMN
END_OBJECT = LINE_PREFIX_TABLE
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER
  SAMPLE_BITS = 16
  LINE_PREFIX_BYTES = 4
END_OBJECT = IMAGE
END
"""
    r = run(tmp_path, ctx_file, label, {"N1.IMG": header + telemetry.tobytes() + lines})
    assert r.status == "migrated", r.reason
    assert r.objects == ["IMAGE_HEADER → Header", "TELEMETRY_TABLE → Table_Binary", "IMAGE → Table_Binary"]
    t = xml(r.pds4_label)
    assert texts(t, "//p:Header/p:parsing_standard_id") == ["VICAR2"]
    assert texts(t, "//p:Table_Binary/p:offset") == ["16", "24"]
    rec = "//p:Table_Binary[p:name='IMAGE']/p:Record_Binary"
    assert texts(t, f"{rec}/p:Field_Binary/p:name") == ["LINE", "FLAGS"]
    assert texts(t, f"{rec}/p:Field_Binary/p:field_location") == ["1", "3"]
    assert texts(t, f"{rec}/p:Group_Field_Binary/p:group_location") == ["5"]
    s = pds4_read(r.pds4_label)["IMAGE"]
    assert np.asarray(s["FLAGS"]).tolist() == [0x8001, 0, 0x00FF]
    assert np.array_equal(np.asarray(s["SAMPLE"]), samples)
    # the read-back compares the prefix table's columns: a changed prefix is found
    old = pdsgen.open(tmp_path / "in/P.lbl")
    src_image = old["IMAGE"]
    src_image.details.update(line_tables=[old["LINE_PREFIX_TABLE"]], line_prefix_table=True)
    out = tmp_path / "out/N1.IMG"
    changed = bytearray(out.read_bytes())
    changed[24 + 12 + 3] ^= 0x10  # FLAGS of the second line
    out.unlink()
    out.write_bytes(bytes(changed))
    problems = compare_objects([(src_image, pdsgen.open(r.pds4_label)["IMAGE"])])
    assert problems == ["object 'LINE_PREFIX_TABLE' field 'FLAGS': 1 values differ, first at (1,): "
                        "np.uint16(0) vs np.uint16(16)"], problems


def test_data_file_shorter_than_the_label_refused_naming_the_sizes(tmp_path, ctx_file):
    # a table is read while it is described: the PDS3 reader's reason
    r = run(tmp_path / "t", ctx_file, binary_table("TABLE"), {"T.DAT": PAIRS.tobytes()[:20]})
    assert r.status == "failed" and r.reason.endswith(
        "T.DAT: object 'TABLE': file is shorter than the label says: object needs bytes 0..24 but the file has "
        "20 bytes"), r.reason
    # an image is not: its size is checked against the file before validation could report it
    label = "RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 4\n^IMAGE = \"I.IMG\"\n" + IMAGE_3X4 + "END\n"
    r = run(tmp_path / "i", ctx_file, label, {"I.IMG": bytes(10)})
    assert r.status == "failed" and r.reason == ("object 'IMAGE': I.IMG has 10 bytes; the label places 12 bytes at "
                                                 "offset 0 (file shorter than the label says)"), r.reason


def test_processing_level_from_processing_level_id_when_the_data_set_id_has_none(tmp_path, ctx_file):
    body = "RECORD_TYPE = STREAM\n" + ASCII_TABLE.format(pointer='"T.TAB"')
    head = head_with("P", DATA_SET_ID='"TSC-M-CAM-EDR-V1.0"', PROCESSING_LEVEL_ID="3")
    r, t = migrated(tmp_path / "id", ctx_file, body, {"T.TAB": ASCII_ROWS}, head=head)
    assert texts(t, "//p:processing_level") == ["Calibrated"]
    head = head_with("P", DATA_SET_ID='"TSC-M-CAM-EDR-V1.0"')
    r = run(tmp_path / "none", ctx_file, body, {"T.TAB": ASCII_ROWS}, head=head)
    assert r.status == "failed" and r.reason == (
        "DATA_SET_ID 'TSC-M-CAM-EDR-V1.0' and PROCESSING_LEVEL_ID None give no processing level; give [product] "
        "processing_level in --map"), r.reason
