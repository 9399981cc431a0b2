"""Lenient reading (issue 12): text that is not valid for its type is kept, one bad value
never sinks a table, every recovery is a warning naming file, object, field, record and
value, and ``strict=True`` raises on the first one. Real products first (the corpus),
then a PDS3 index table built as the PDS3 Standards Reference describes INDEX.TAB
(its values compared with pdr, computed here), then synthetic PDS4 products."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import pdsgen
from pdsgen.cli.app import main
from pdsgen.data import physical_data
from pdsgen.errors import DataError
from tests.test_data_readers import (
    field_binary,
    field_character,
    field_delimited,
    table_binary,
    table_character,
    table_delimited,
    write_product,
)

# --- a PDS3 INDEX.TAB (PDS3 Standards Reference, ch. 17 "Index tables"; A.20 INDEX_TABLE) --------
# Fixed-length ASCII records, CR LF; character columns in double quotes (START_BYTE and BYTES
# exclude the quotes), fields separated by commas. The numeric columns hold what real indexes
# hold: "UNK"/"N/A"/"NULL" placeholders, blanks, and a real number in an ASCII_INTEGER column.
INDEX_ROWS = [
    ("VOL_0001", "DATA/A.IMG", "PRODUCT_A", "2001-01-01T00:00:00.000", "1.500", "12"),
    ("VOL_0001", "DATA/B.IMG", "PRODUCT_B", "2001-01-02T00:00:00.000", "UNK", "N/A"),
    ("VOL_0001", "DATA/C.IMG", "PRODUCT_C", "2001-01-03T00:00:00.000", "", "1.00000"),
    ("VOL_0001", "DATA/D.IMG", "PRODUCT_D", "2001-01-04T00:00:00.000", "NULL", "14"),
    ("VOL_0001", "DATA/E.IMG", "PRODUCT_E", "2001-01-05T00:00:00.000", "-2.25E1", "15"),
]
INDEX_LABEL = """PDS_VERSION_ID       = PDS3
RECORD_TYPE          = FIXED_LENGTH
RECORD_BYTES         = 82
FILE_RECORDS         = {rows}
^INDEX_TABLE         = "INDEX.TAB"
VOLUME_ID            = VOL_0001
OBJECT               = INDEX_TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS               = {rows}
  COLUMNS            = 6
  ROW_BYTES          = 82
  INDEX_TYPE         = SINGLE
  OBJECT = COLUMN
    NAME = VOLUME_ID
    DATA_TYPE = CHARACTER
    START_BYTE = 2
    BYTES = 8
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = FILE_SPECIFICATION_NAME
    DATA_TYPE = CHARACTER
    START_BYTE = 13
    BYTES = 12
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = PRODUCT_ID
    DATA_TYPE = CHARACTER
    START_BYTE = 28
    BYTES = 10
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = START_TIME
    DATA_TYPE = TIME
    START_BYTE = 40
    BYTES = 23
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = EXPOSURE_DURATION
    DATA_TYPE = ASCII_REAL
    START_BYTE = 64
    BYTES = 8
    UNIT = SECOND
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = ORBIT_NUMBER
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 73
    BYTES = 8
  END_OBJECT = COLUMN
END_OBJECT = INDEX_TABLE
END
"""


def write_index(folder: Path, rows=INDEX_ROWS) -> Path:
    lines = [f'"{r[0]:<8}","{r[1]:<12}","{r[2]:<10}",{r[3]:<23},{r[4]:>8},{r[5]:>8}\r\n' for r in rows]
    assert {len(line) for line in lines} == {82}
    (folder / "INDEX.TAB").write_bytes("".join(lines).encode("latin-1"))
    label = folder / "INDEX.LBL"
    label.write_text(INDEX_LABEL.format(rows=len(rows)).replace("\n", "\r\n"))
    return label


def _pdr_table(label: Path):
    import pdr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pdr.read(str(label))["INDEX_TABLE"]


def test_pds3_index_table_placeholders_masked_reals_read_values_equal_pdr(tmp_path):
    label = write_index(tmp_path)
    obj = pdsgen.open(label)["INDEX_TABLE"]
    data = obj.data
    reference = _pdr_table(label)
    assert len(data) == len(reference) == len(INDEX_ROWS)
    # character columns: as pdr reads them
    for name in ("VOLUME_ID", "FILE_SPECIFICATION_NAME", "PRODUCT_ID", "START_TIME"):
        assert [v.decode() for v in data[name]] == [str(v).strip() for v in reference[name]]
    # numbers where the text is a number; pdr keeps such columns as text, so compare by float()
    exposure = data["EXPOSURE_DURATION"]
    assert np.ma.getmaskarray(exposure).tolist() == [False, True, True, True, False]
    for got, ref, masked in zip(np.ma.getdata(exposure), reference["EXPOSURE_DURATION"],
                                np.ma.getmaskarray(exposure), strict=True):
        if not masked:
            assert got == float(ref)
    orbit = data["ORBIT_NUMBER"]
    assert orbit.dtype.kind == "i"  # "1.00000" is integral: the column stays integer
    assert np.ma.getmaskarray(orbit).tolist() == [False, True, False, False, False]
    for got, ref, masked in zip(np.ma.getdata(orbit), reference["ORBIT_NUMBER"], np.ma.getmaskarray(orbit),
                                strict=True):
        if not masked:
            assert got == float(ref)
    # every recovery named: field, first record, value, count (blank values are PDS "empty", no warning)
    found = {(w.field, w.record, w.value, w.count) for w in obj.warnings}
    assert found == {("EXPOSURE_DURATION", 2, "UNK", 2), ("ORBIT_NUMBER", 2, "N/A", 1),
                     ("ORBIT_NUMBER", 3, "1.00000", 1)}
    assert all(w.file == str(tmp_path / "INDEX.TAB") and w.object == "INDEX_TABLE" for w in obj.warnings)
    real = next(w for w in obj.warnings if w.value == "1.00000")
    assert "read as the number" in real.message
    # to_table: masked where unreadable, units from the label
    table = obj.to_table()
    assert table["EXPOSURE_DURATION"].unit == "s" and table["EXPOSURE_DURATION"].mask.sum() == 3
    # strict: the first deviation raises, naming file, object, field, record and value
    with pytest.raises(DataError, match=r"INDEX.TAB: object 'INDEX_TABLE': field 'EXPOSURE_DURATION': "
                                        r"record 2: .*'UNK'"):
        _ = pdsgen.open(label, strict=True)["INDEX_TABLE"].data


def test_pds3_index_table_real_fractions_make_an_integer_column_float(tmp_path):
    rows = [r[:5] + (o,) for r, o in zip(INDEX_ROWS, ["12", "12.5", "13", "UNK", "15"], strict=True)]
    obj = pdsgen.open(write_index(tmp_path, rows))["INDEX_TABLE"]
    orbit = obj.data["ORBIT_NUMBER"]
    assert orbit.dtype == np.float64
    assert np.ma.getdata(orbit)[[0, 1, 2, 4]].tolist() == [12.0, 12.5, 13.0, 15.0]
    assert np.ma.getmaskarray(orbit).tolist() == [False, False, False, True, False]
    assert any("float64" in w.message and w.value == "12.5" for w in obj.warnings)


def test_pds3_index_table_latin1_text_kept_and_warned_everywhere(tmp_path):
    rows = list(INDEX_ROWS)
    rows[1] = ("VOL_0001", "DATA/\xe9.IMG", *rows[1][2:])
    label = write_index(tmp_path, rows)
    obj = pdsgen.open(label)["INDEX_TABLE"]
    assert obj.data["FILE_SPECIFICATION_NAME"][1] == b"DATA/\xe9.IMG"  # kept as stored
    assert obj.to_table()["FILE_SPECIFICATION_NAME"][1] == "DATA/\xe9.IMG"  # Latin-1: every byte kept
    w = next(w for w in obj.warnings if w.field == "FILE_SPECIFICATION_NAME")
    assert w.record == 2 and "not 7-bit ASCII" in w.message
    result = CliRunner().invoke(main, ["inspect", str(label), "--json"])
    assert result.exit_code == 0, result.output
    entry = json.loads(result.output)["objects"][0]
    assert any("FILE_SPECIFICATION_NAME" in w and "record 2" in w for w in entry["warnings"])
    assert any("'UNK'" in w for w in entry["warnings"])
    for fmt in ("csv", "ecsv", "fits", "parquet"):
        out = tmp_path / f"out.{fmt}"
        result = CliRunner().invoke(main, ["export", str(label), "--object", "0", "--to", fmt, str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0


# --- synthetic PDS4: text that is not valid for its type ---------------------------------------
TEXT_CASES = {
    # name: (body, data, field with the bad text, expected .data value of record 1)
    "character_utf8": (table_character(2, 10, field_character("s", "UTF8_String", 1, 4)
                                       + field_character("x", "ASCII_Real", 6, 3)),
                       b"caf\xe9 1.5\r\nabcd 2.5\r\n", "s", "caf\xe9"),
    "binary_ascii": (table_binary(2, 6, field_binary("s", "ASCII_String", 1, 4) + field_binary("n", "SignedMSB2", 5, 2)),
                     b"caf\xe9\x00\x01abcd\x00\x02", "s", b"caf\xe9"),
    "binary_utf8": (table_binary(2, 6, field_binary("s", "UTF8_String", 1, 4) + field_binary("n", "SignedMSB2", 5, 2)),
                    b"\xff\xfe\x00\x01\x00\x01abcd\x00\x02", "s", "\xff\xfe\x00\x01".rstrip("\x00")),
    "delimited_ascii": (table_delimited(2, "Comma", field_delimited("s", "ASCII_String")
                                        + field_delimited("x", "ASCII_Real")),
                        b"caf\xe9,1.5\r\nabcd,2\r\n", "s", b"caf\xe9"),
    "delimited_utf8": (table_delimited(2, "Comma", field_delimited("s", "UTF8_String")
                                       + field_delimited("x", "ASCII_Real")),
                       b"caf\xe9,1.5\r\nabcd,2\r\n", "s", "caf\xe9"),
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_invalid_text_is_kept_with_a_warning(tmp_path, case):
    body, data, field, first = TEXT_CASES[case]
    label = write_product(tmp_path, body, data)
    obj = pdsgen.open(label)[0]
    values = obj.data
    assert values[field][0] == first and values[field][1] in (b"abcd", "abcd")
    physical_data(obj)
    table = obj.to_table()
    assert table[field][1] == "abcd"
    [w] = obj.warnings
    assert (w.field, w.record, w.object) == (field, 1, obj.name)
    result = CliRunner().invoke(main, ["inspect", str(label), "--json"])
    assert result.exit_code == 0 and "warnings" in json.loads(result.output)["objects"][0]
    out = tmp_path / "out.parquet"
    assert CliRunner().invoke(main, ["export", str(label), "--object", "0", "--to", "parquet", str(out)]).exit_code == 0
    with pytest.raises(DataError, match=f"field '{field}': record 1"):
        table = pdsgen.open(label, strict=True)[0]
        _ = table.data
        physical_data(table)


def test_junk_bytes_in_number_fields_are_masked_per_value(tmp_path):
    body = table_binary(3, 6, field_binary("x", "ASCII_Real", 1, 4) + field_binary("n", "SignedMSB2", 5, 2))
    obj = pdsgen.open(write_product(tmp_path, body, b"1.25\x00\x01\xff\xfe\x00\x00\x00\x02-3.5\x00\x03"))[0]
    x = obj.data["x"]
    assert np.ma.getmaskarray(x).tolist() == [False, True, False]
    assert np.ma.getdata(x)[[0, 2]].tolist() == [1.25, -3.5] and obj.data["n"].tolist() == [1, 2, 3]
    [w] = obj.warnings
    assert (w.field, w.record, w.value) == ("x", 2, "\\xff\\xfe")


def test_stream_text_with_invalid_bytes_is_replaced_with_a_warning(tmp_path):
    body = ("<Stream_Text><offset unit='byte'>0</offset><object_length unit='byte'>12</object_length>"
            "<parsing_standard_id>7-Bit ASCII Text</parsing_standard_id></Stream_Text>")
    obj = pdsgen.open(write_product(tmp_path, body, b"abc\r\ncaf\xe9\r\nx"))[0]
    assert obj.data == "abc\r\ncaf\ufffd\r\nx"
    [w] = obj.warnings
    assert "byte 8" in w.message


def test_bit_field_wider_than_64_bits_kept_as_bits(tmp_path):
    bits = ("<Packed_Data_Fields><bit_fields>2</bit_fields>"
            "<Field_Bit><name>WIDE</name><start_bit_location>1</start_bit_location>"
            "<stop_bit_location>72</stop_bit_location><data_type>UnsignedBitString</data_type></Field_Bit>"
            "<Field_Bit><name>LOW</name><start_bit_location>73</start_bit_location>"
            "<stop_bit_location>80</stop_bit_location><data_type>UnsignedBitString</data_type></Field_Bit>"
            "</Packed_Data_Fields>")
    body = table_binary(2, 12, field_binary("PACKED", "UnsignedBitString", 1, 10, bits)
                        + field_binary("N", "UnsignedMSB2", 11, 2))
    records = [bytes(range(1, 11)) + b"\x00\x07", b"\xff" * 9 + b"\x80" + b"\x00\x08"]
    obj = pdsgen.open(write_product(tmp_path, body, b"".join(records)))[0]
    data = obj.data
    expected = [format(int.from_bytes(r[:9], "big"), "072b").encode() for r in records]
    assert data["WIDE"].tolist() == expected
    assert data["LOW"].tolist() == [10, 0x80] and data["N"].tolist() == [7, 8]
    [w] = obj.warnings
    assert w.field == "WIDE" and "wider than 64 bits" in w.message


# --- label typos degrade gracefully -----------------------------------------------------------
def test_misspelt_special_constant_is_ignored_with_a_warning_like_pds4_tools(tmp_path):
    import pds4_tools

    constants = ("<Special_Constants><satured_constant>7</satured_constant>"
                 "<missing_constant>9</missing_constant></Special_Constants>")
    body = table_binary(3, 2, field_binary("N", "SignedMSB2", 1, 2, constants))
    label = write_product(tmp_path, body, b"\x00\x07\x00\x09\x00\x01")
    product = pdsgen.open(label)
    obj = product[0]
    assert obj.fields[0].special_constants == {"missing_constant": "9"}
    values = physical_data(obj)["N"]
    assert np.ma.getmaskarray(values).tolist() == [False, True, False]  # 7 is data, 9 is missing
    [w] = product.warnings
    assert "<satured_constant>" in w.message and w.field == "N" and w.file == str(label) and w.value == "7"
    reference = pds4_tools.read(str(label), quiet=True)[0]
    assert np.ma.getdata(reference.data["N"]).tolist() == np.ma.getdata(values).tolist()
    # pds4_tools lists the element in its meta data but never applies it: 7 stays a value
    assert np.ma.getdata(reference.data["N"])[0] == 7
    with pytest.raises(DataError, match="satured_constant"):
        pdsgen.open(label, strict=True)
    # validation always reports what reading recovered from
    result = CliRunner().invoke(main, ["validate", str(label), "--format", "json"])
    assert "warning.data.read_recovery" in result.output and "satured_constant" in result.output


def test_pds3_misspelt_special_constant_keyword_is_ignored_with_a_warning(tmp_path):
    label = write_index(tmp_path)
    text = label.read_text().replace("    UNIT = SECOND", "    UNIT = SECOND\r\n    MISSING_CONSTNT = 1.5")
    label.write_text(text)
    obj = pdsgen.open(label)["INDEX_TABLE"]
    assert obj.field("EXPOSURE_DURATION").special_constants == {}
    w = next(w for w in obj.warnings if "MISSING_CONSTNT" in w.message)
    assert w.field == "EXPOSURE_DURATION" and "MISSING_CONSTANT" in w.message and w.file == str(label)
    assert physical_data(obj)["EXPOSURE_DURATION"][0] == 1.5  # not masked
    result = CliRunner().invoke(main, ["validate", str(label)])
    assert "warning.data.read_recovery" in result.output and "MISSING_CONSTNT" in result.output


# --- PDS3 objects by structure, not by name ----------------------------------------------------
STRUCTURE_LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 8
FILE_RECORDS = 6
^ANCILLARY_AND_SUPPLEMENT_DATA = ("DATA.DAT", 1)
^SP_FRAME = ("DATA.DAT", 3)
^MYSTERY = ("DATA.DAT", 5)
OBJECT = ANCILLARY_AND_SUPPLEMENT_DATA
  INTERCHANGE_FORMAT = BINARY
  ROWS = 2
  ROW_BYTES = 8
  COLUMNS = 2
  OBJECT = COLUMN
    NAME = COUNT
    DATA_TYPE = MSB_UNSIGNED_INTEGER
    START_BYTE = 1
    BYTES = 4
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = VALUE
    DATA_TYPE = IEEE_REAL
    START_BYTE = 5
    BYTES = 4
  END_OBJECT = COLUMN
END_OBJECT = ANCILLARY_AND_SUPPLEMENT_DATA
OBJECT = SP_FRAME
  LINES = 2
  LINE_SAMPLES = 4
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
END_OBJECT = SP_FRAME
OBJECT = MYSTERY
  WAVELENGTHS = 12
  PIXEL_PITCH = 3
END_OBJECT = MYSTERY
END
"""


def test_pds3_objects_by_structure_not_name(tmp_path):
    import struct

    table = struct.pack(">If", 7, 1.5) + struct.pack(">If", 9, -2.0)
    frame = struct.pack(">8h", *range(-4, 4))
    (tmp_path / "DATA.DAT").write_bytes(table + frame + b"\x00" * 16)
    (tmp_path / "P.LBL").write_text(STRUCTURE_LABEL.replace("\n", "\r\n"))
    product = pdsgen.open(tmp_path / "P.LBL")
    ancillary, frame_obj, mystery = product.objects
    assert ancillary.kind == "table" and ancillary.data["COUNT"].tolist() == [7, 9]
    assert ancillary.data["VALUE"].tolist() == [1.5, -2.0]
    assert frame_obj.kind == "array" and frame_obj.data.tolist() == [[-4, -3, -2, -1], [0, 1, 2, 3]]
    assert mystery.kind == "other"
    with pytest.raises(pdsgen.UnsupportedError, match=r"MYSTERY .*recognised: keywords WAVELENGTHS, PIXEL_PITCH"):
        _ = mystery.data


# --- records as the file has them -----------------------------------------------------------------
def test_pds3_ascii_table_with_lines_not_row_bytes_long_read_line_by_line_like_pdr(tmp_path):
    label = write_index(tmp_path)
    lines = (tmp_path / "INDEX.TAB").read_bytes().split(b"\r\n")[:-1]
    # a writer that left-aligned and trimmed the last column (and one LF-only line): lines
    # shorter than ROW_BYTES, the values still within their columns
    lines = [ln[:72] + ln[72:].strip() for ln in lines]
    text = b"\r\n".join(lines[:3]) + b"\n" + b"\r\n".join(lines[3:]) + b"\r\n"
    (tmp_path / "INDEX.TAB").write_bytes(text)
    label.write_text(label.read_text().replace("RECORD_TYPE          = FIXED_LENGTH",
                                               "RECORD_TYPE          = STREAM"))
    obj = pdsgen.open(label)["INDEX_TABLE"]
    data = obj.data
    reference = _pdr_table(label)
    assert [v.decode() for v in data["PRODUCT_ID"]] == [str(v).strip() for v in reference["PRODUCT_ID"]]
    orbit = data["ORBIT_NUMBER"]
    assert np.ma.getdata(orbit)[[0, 3, 4]].tolist() == [12, 14, 15]
    w = next(w for w in obj.warnings if "line by line" in w.message)
    assert w.record == 1 and w.count == 5 and w.value == "74 bytes"
    with pytest.raises(DataError):
        _ = pdsgen.open(label, strict=True)["INDEX_TABLE"].data


def test_pds3_ascii_table_with_fewer_lines_than_rows_stays_an_error(tmp_path):
    label = write_index(tmp_path)
    data = (tmp_path / "INDEX.TAB").read_bytes()
    (tmp_path / "INDEX.TAB").write_bytes(data[: 82 * 3])
    with pytest.raises(DataError, match="shorter than the label"):
        _ = pdsgen.open(label)["INDEX_TABLE"].data


def test_crlf_delimited_table_not_split_at_a_bare_lf_inside_a_field(tmp_path):
    body = table_delimited(3, "Comma", field_delimited("NAME", "ASCII_String") + field_delimited("X", "ASCII_Real"))
    data = b'"first\nline",1.5\r\nplain,2\r\n"a\rb",3\r\n'
    obj = pdsgen.open(write_product(tmp_path, body, data))[0]
    values = obj.data
    assert values["NAME"].tolist() == [b"first\nline", b"plain", b"a\rb"]
    assert values["X"].tolist() == [1.5, 2.0, 3.0]
    [w] = obj.warnings
    assert w.record == 1 and w.count == 2 and "bare LF/CR" in w.message


def test_crlf_delimited_table_with_only_a_bare_cr_inside_a_field(tmp_path):
    body = table_delimited(2, "Comma", field_delimited("NAME", "ASCII_String") + field_delimited("X", "ASCII_Real"))
    obj = pdsgen.open(write_product(tmp_path, body, b'"a\rb",1\r\nc,2\r\n'))[0]
    assert obj.data["NAME"].tolist() == [b"a\rb", b"c"] and obj.data["X"].tolist() == [1.0, 2.0]
    assert obj.warnings[0].count == 1
