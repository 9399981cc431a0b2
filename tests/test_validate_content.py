"""Content checks (tables, arrays) on small synthetic products with hand-made defects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from pdsgen.validate.content import Ctx, check_object, describe_objects
from pdsgen.validate.fieldtypes import invalid_rows

PDS = "http://pds.nasa.gov/pds4/pds/v1"


def label(objects: str, file_name: str) -> str:
    return f"""<?xml version="1.0"?>
<Product_Observational xmlns="{PDS}">
  <Identification_Area><logical_identifier>urn:nasa:pds:t:data:p</logical_identifier>
  <version_id>1.0</version_id></Identification_Area>
  <File_Area_Observational>
    <File><file_name>{file_name}</file_name></File>
    {objects}
  </File_Area_Observational>
</Product_Observational>"""


def fchar(n, name, loc, dtype, length, extra=""):
    return (f"<Field_Character><name>{name}</name><field_number>{n}</field_number>"
            f"<field_location unit='byte'>{loc}</field_location><data_type>{dtype}</data_type>"
            f"<field_length unit='byte'>{length}</field_length>{extra}</Field_Character>")


def run(tmp_path: Path, objects: str, data: bytes, file_name: str = "t.tab"):
    (tmp_path / file_name).write_bytes(data)
    lab = tmp_path / "t.xml"
    lab.write_text(label(objects, file_name))
    tree = etree.parse(str(lab))
    out = []
    for obj, el, limit in describe_objects(tree, lab):
        out += check_object(obj, el, Ctx(str(lab), max_reported=2), limit=limit)
    return out


def formats(fmt: str) -> str:
    """A field's field_format and the validation_format (equal to it) that validate checks the
    values of a character table against (CCB-214)."""
    return f"<field_format>{fmt}</field_format><validation_format>{fmt}</validation_format>"


def vformat(fmt: str) -> str:
    """A validation_format only: validate checks a character table's values against it as a
    rule (error.table.*, exact precision; its issue 817)."""
    return f"<validation_format>{fmt}</validation_format>"


def fformat(fmt: str) -> str:
    """A field_format only: validate checks values against it as a description
    (warning.table.*, the precision a maximum; its issues 815/816)."""
    return f"<field_format>{fmt}</field_format>"


def char_table(records: int, reclen: int, fields: str, n_fields: int) -> str:
    return (f"<Table_Character><offset unit='byte'>0</offset><records>{records}</records>"
            f"<record_delimiter>Carriage-Return Line-Feed</record_delimiter><Record_Character>"
            f"<fields>{n_fields}</fields><groups>0</groups><record_length unit='byte'>{reclen}</record_length>"
            f"{fields}</Record_Character></Table_Character>")


FIELDS = (fchar(1, "T", 1, "ASCII_Date_Time_YMD_UTC", 20)
          + fchar(2, "N", 22, "ASCII_Integer", 5,
                  "<Field_Statistics><maximum>500</maximum><minimum>-10</minimum></Field_Statistics>")
          + fchar(3, "X", 28, "ASCII_Real", 9,
                  "<Special_Constants><missing_constant>-9999</missing_constant>"
                  "<valid_maximum>100</valid_maximum><valid_minimum>0</valid_minimum></Special_Constants>"))
def row(t: bytes, n: bytes, x: bytes) -> bytes:
    return t.ljust(20) + b" " + n.rjust(5) + b" " + x.rjust(9) + b"\r\n"


GOOD_ROWS = [
    row(b"2020-01-01T00:00:00Z", b"12", b"1.50"),
    row(b"2020-01-01T00:00:01Z", b"-10", b"99.00"),
    row(b"2020-01-01T00:00:02Z", b"500", b"-9999"),  # special constant: exempt from the valid range
    row(b"2020-01-01T00:00:03Z", b"", b"2.5"),  # blank integer: allowed (missing value)
]


def test_good_fixed_table_has_no_findings(tmp_path):
    assert all(len(r) == 38 for r in GOOD_ROWS)
    assert run(tmp_path, char_table(4, 38, FIELDS, 3), b"".join(GOOD_ROWS)) == []


def test_bad_values_are_reported_with_record_and_field_numbers(tmp_path):
    rows = list(GOOD_ROWS) + [
        row(b"2020-13-01T00:00:00Z", b"12", b"1.50"),  # month 13
        row(b"2020-01-01T00:00:00Z", b"1x2", b"1.50"),  # not an integer
        row(b"2020-01-01T00:00:00Z", b"501", b"1.50"),  # above maximum
        row(b"2020-01-01T00:00:00Z", b"1", b"101.00"),  # above valid_maximum: a warning
    ]
    found = run(tmp_path, char_table(8, 38, FIELDS, 3), b"".join(rows))
    got = sorted((f.type, f.record, f.field) for f in found)
    assert got == [
        ("error.table.field_value_data_type_mismatch", 5, 1),
        ("error.table.field_value_data_type_mismatch", 6, 2),
        ("error.table.field_value_not_a_number", 6, 2),  # N has a minimum/maximum to compare with
        ("error.table.field_value_out_of_min_max_range", 7, 2),
        ("warning.table.field_value_out_of_special_constant_min_max_range", 8, 3),
    ]


def test_many_bad_records_first_few_then_a_count(tmp_path):
    rows = [row(b"2020-01-01T00:00:00Z", b"abc", b"1.50")] * 7
    found = run(tmp_path, char_table(7, 38, FIELDS, 3), b"".join(rows))
    for kind in ("error.table.field_value_data_type_mismatch", "error.table.field_value_not_a_number"):
        of_kind = [f for f in found if f.type == kind]
        assert [f.record for f in of_kind] == [1, 2, None]
        assert of_kind[-1].extra["count"] == 7 and "5 more" in of_kind[-1].message


def test_record_delimiter_and_extent(tmp_path):
    data = b"".join(GOOD_ROWS)
    # record_length one byte short (the fields still fit): validate reads 37-byte windows, none
    # ends in CR/LF (missing_CRLF, every record), and reads the fields of the shifted windows:
    # record 2 starts with record 1's LF, so its time loses its Z, and so on
    found = run(tmp_path, char_table(4, 37, FIELDS.replace("<field_length unit='byte'>9<", "<field_length unit='byte'>8<"), 3), data)
    crlf = [f for f in found if f.type == "error.table.missing_CRLF"]
    assert [f.record for f in crlf] == [1, 2, None] and crlf[-1].extra["count"] == 4
    assert ("error.table.field_value_data_type_mismatch", 2, 1) in [(f.type, f.record, f.field) for f in found]
    assert "'2020-01-01T00:00:01'" in next(f.message for f in found if f.record == 2 and f.field == 1)
    # the same with fields that no longer fit (field X ends at byte 36, CR/LF needs 2 more):
    # record_length_mismatch once, and the table is not read
    found = run(tmp_path, char_table(4, 37, FIELDS, 3), data)
    assert [(f.type, f.record) for f in found] == [("error.table.record_length_mismatch", 1)]
    # more records than the file holds
    found = run(tmp_path, char_table(5, 38, FIELDS, 3), data)
    assert [f.type for f in found] == ["error.label.table_definition_problem"]
    # LF-only records where the label says CR/LF
    lf = b"".join(r[:-2] + b" \n" for r in GOOD_ROWS)
    found = run(tmp_path, char_table(4, 38, FIELDS, 3), lf)
    assert [(f.type, f.record) for f in found] == [("error.table.missing_CRLF", 1), ("error.table.missing_CRLF", 2),
                                                   ("error.table.missing_CRLF", None)]


def test_overlapping_fields(tmp_path):
    fields = fchar(1, "A", 1, "ASCII_String", 10) + fchar(2, "B", 8, "ASCII_String", 5)
    found = run(tmp_path, char_table(1, 16, fields, 2), b"abcdefghijklmn\r\n")
    # validate reports the field that runs into the next one (field 1 here)
    assert [(f.type, f.field) for f in found] == [("error.table.field_value_overlap", 1)]
    # more records: like validate, the records after the first are not read and are counted
    found = run(tmp_path, char_table(3, 16, fields, 2), b"abcdefghijklmn\r\n" * 3)
    assert [f.type for f in found] == ["error.table.field_value_overlap", "error.table.records_mismatch"]
    assert "only record 1 of 3 read" in found[1].message


def test_field_format_precision(tmp_path):
    data = b"    1.25\r\n   1.250\r\n    -0.5\r\n"
    found = run(tmp_path, char_table(3, 10, fchar(1, "X", 1, "ASCII_Real", 8, vformat("%8.2f")), 1), data)
    assert [(f.type, f.severity, f.record) for f in found] == [
        ("error.table.field_value_format_precision_mismatch", "error", 2),
        ("error.table.field_value_format_precision_mismatch", "error", 3)]
    # the same as a field_format: 3 decimals are more than 2 (a warning), 1 is fewer (fine)
    found = run(tmp_path, char_table(3, 10, fchar(1, "X", 1, "ASCII_Real", 8, fformat("%8.2f")), 1), data)
    assert [(f.type, f.severity, f.record) for f in found] == [
        ("warning.table.field_value_format_precision_mismatch", "warning", 2)]


def delimited(records: int, fields: str, n: int, extra: str = "") -> str:
    return (f"<Table_Delimited><offset unit='byte'>0</offset><parsing_standard_id>PDS DSV 1</parsing_standard_id>"
            f"<records>{records}</records><record_delimiter>Carriage-Return Line-Feed</record_delimiter>"
            f"<field_delimiter>Comma</field_delimiter>{extra}<Record_Delimited><fields>{n}</fields><groups>0</groups>"
            f"{fields}</Record_Delimited></Table_Delimited>")


def fdel(n, name, dtype, extra=""):
    return (f"<Field_Delimited><name>{name}</name><field_number>{n}</field_number>"
            f"<data_type>{dtype}</data_type>{extra}</Field_Delimited>")


DFIELDS = fdel(1, "ID", "ASCII_NonNegative_Integer") + fdel(2, "NAME", "ASCII_String",
                                                           "<maximum_field_length unit='byte'>8</maximum_field_length>")


def test_delimited_table_checks(tmp_path):
    good = b'1,alpha\r\n2,"beta"\r\n3,\r\n'
    assert run(tmp_path, delimited(3, DFIELDS, 2), good) == []
    found = run(tmp_path, delimited(4, DFIELDS, 2), good)
    assert [f.type for f in found] == ["error.table.records_mismatch"]
    bad = b'1,alpha\r\n-2,"be ""ta"""\r\n3,much_too_long\r\n4,a,b\r\n'
    found = run(tmp_path, delimited(4, DFIELDS, 2), bad)
    got = sorted((f.type, f.record) for f in found)
    assert got == [
        ("error.table.field_value_data_type_mismatch", 2),
        ("error.table.fields_mismatch", None),
        ("error.validation.invalid_field_value", 2),
        ("warning.table.field_value_too_long", 3),  # a warning since validate's issue 816
    ]
    # a bare LF where the label says CR/LF
    found = run(tmp_path, delimited(2, DFIELDS, 2), b"1,a\r\n2,b\n")
    assert [f.type for f in found] == ["error.table.missing_CRLF"]


def array(dtype: str, lines: int, samples: int, extra: str = "") -> str:
    return (f"<Array_2D_Image><offset unit='byte'>0</offset><axes>2</axes>"
            f"<axis_index_order>Last Index Fastest</axis_index_order>"
            f"<Element_Array><data_type>{dtype}</data_type></Element_Array>"
            f"<Axis_Array><axis_name>Line</axis_name><elements>{lines}</elements><sequence_number>1</sequence_number></Axis_Array>"
            f"<Axis_Array><axis_name>Sample</axis_name><elements>{samples}</elements><sequence_number>2</sequence_number></Axis_Array>"
            f"{extra}</Array_2D_Image>")


def test_array_min_max_special_constants_and_size(tmp_path):
    values = np.array([[1, 2, 3], [4, -32768, 900]], dtype=">i2")
    stats = "<Object_Statistics><maximum>100</maximum><minimum>0</minimum></Object_Statistics>"
    consts = "<Special_Constants><missing_constant>-32768</missing_constant></Special_Constants>"
    found = run(tmp_path, array("SignedMSB2", 2, 3, stats + consts), values.tobytes(), "a.img")
    assert [(f.type, f.record) for f in found] == [("error.array.value_out_of_min_max_range", 6)]
    found = run(tmp_path, array("SignedMSB2", 3, 3), values.tobytes(), "a.img")
    # validate's reading fails at the first element past the end (ArrayContentValidator)
    assert [f.type for f in found] == ["error.array.bad_file_read"]


def test_hex_special_constants_of_float_arrays_are_bit_patterns(tmp_path):
    values = np.array([[0.5, 1.5]], dtype="<f4")
    consts = "<Special_Constants><valid_minimum>0xFF7FFFFA</valid_minimum></Special_Constants>"
    assert run(tmp_path, array("IEEE754LSBSingle", 1, 2, consts), values.tobytes(), "f.img") == []


@pytest.mark.parametrize(("dtype", "good", "bad"), [
    ("ASCII_Integer", [b"  12", b"-3  ", b"+0  ", b"    "], [b"1.0 ", b"1 2 ", b"--1 "]),
    # validate: Guava's UnsignedLong takes no sign; a Java long / unsigned long holds the value
    ("ASCII_NonNegative_Integer", [b"0012", b"18446744073709551615"], [b"-5  ", b"5e3 ", b"+5  ",
                                                                       b"18446744073709551616"]),
    ("ASCII_Integer", [b"-9223372036854775808"], [b"9223372036854775808"]),
    ("ASCII_Real", [b"1.5E3 ", b"-.5   ", b"7     ", b"3.    "], [b"1.5.3 ", b"e5    ", b"NaN   "]),
    # validate checks no grammar of ASCII_Boolean: only the INF/NaN spellings it rejects everywhere
    ("ASCII_Boolean", [b"true ", b"yes  "], [b"NaN  ", b"-inf "]),
    ("ASCII_Date_DOY", [b"2020-366", b"2020    "], [b"2020-367", b"20-1    "]),
    ("ASCII_Date_Time_YMD", [b"2020-02-29T23:59:60.5", b"2020-02-29           "],
     [b"2020-02-29T24:59:00  ", b"2020-02-30x          "]),
    ("ASCII_Date_Time_DOY_UTC", [b"2020-001T12:00Z"], [b"2020-001T12:00 "]),
    # DateTimeValidator: a minus-signed year, hours alone, at most 6 decimals of a second
    ("ASCII_Date_Time_DOY", [b"-2020-100", b"2020-100T12"], [b"2020-100T12:30:00.1234567"]),
    ("ASCII_MD5_Checksum", [b"0123456789abcdef0123456789ABCDEF"], [b"0123456789abcdef0123456789ABCDEG"]),
    ("ASCII_LIDVID", [b"urn:nasa:pds:b:c:p::1.0 "], [b"urn:nasa:pds:b:c:p      "]),
    ("ASCII_LID", [b"urn:nasa:pds:b:c"], [b"urn:NASA:pds:b:c"]),  # validate's LID pattern: lower case
    ("ASCII_Directory_Path_Name", [b"ab/c_d/"], [b"a/cd  "]),  # names of two or more characters
    # validate's file name pattern: a letter or digit before the last period, letters and
    # digits after it, a leading "_" or "." allowed
    ("ASCII_File_Name", [b"a.txt", b"_a.txt", b"x.y.z", b"A-1.TAB"], [b"a", b"a-.txt", b"a.b_c", b"a..txt"]),
    # its folder part as validate's dirPattern matches it (one letter and any character but
    # "-" or "_" make a name: "a b/" passes), the name as above
    # java.net.URI: a scheme before the first ":" (ahead of "/", "?", "#") and something after
    # it, one "#" at most, % only as an escape
    ("ASCII_AnyURI", [b"http://a.b/c?d=e", b"urn:x:y", b"#frag", b"rel/pa:th", b"a?b:c"],
     [b"x:", b"a:b#c#d", b"1a:b", b":x", b"%zz", b"a b"]),
    ("ASCII_File_Specification_Name", [b"/d/e/a.txt", b"a b/x.txt", b"ab-cd/_x.t"],
     [b"d_/a.txt", b"../a.txt", b"x y.txt", b"dir/"]),
    # INF/NaN spellings (checkType's INF_NAN_VALUES, any case, one sign) in strings too; other
    # words that contain them, or two signs, are just text
    ("ASCII_String", [b"any text", b"tab\x01   ", b"nano", b"-INFINITE", b"+-nan", b"NaN NaN"],
     [b"caf\xe9    ", b"nan     ", b"  -Inf", b"+INFINITY", b"-NaN"]),
    ("UTF8_String", ["\u00c5 text".encode(), b"infinit"], [b"NaN", b" +inf ", b"a\\sb"]),
    ("ASCII_Real", [b"1.5", b"-2e3"], [b"NaN", b"-Infinity", b"inf"]),
])
def test_value_grammars(dtype, good, bad):
    width = max(map(len, good + bad))
    mat = np.frombuffer(b"".join(v.ljust(width) for v in good + bad), dtype=np.uint8).reshape(-1, width)
    mask = invalid_rows(mat, dtype)
    assert mask.tolist() == [False] * len(good) + [True] * len(bad)
    # the large-column path (Arrow RE2) agrees with the small-column path (Python re)
    big = np.repeat(mat, 1500, axis=0)
    assert invalid_rows(big, dtype).reshape(-1, 1500).all(axis=1).tolist() == mask.tolist()


def test_big_tables_are_checked_in_blocks_with_one_count(tmp_path, monkeypatch):
    import pdsgen.validate.columns as columns

    monkeypatch.setattr(columns, "BLOCK_BYTES", 38 * 3)  # 3 records per block
    rows = [row(b"2020-01-01T00:00:00Z", b"abc", b"1.50")] * 7 + [row(b"2020-01-01T00:00:00Z", b"1", b"1")]
    found = run(tmp_path, char_table(8, 38, FIELDS, 3), b"".join(rows))
    for kind in ("error.table.field_value_data_type_mismatch", "error.table.field_value_not_a_number"):
        of_kind = [f for f in found if f.type == kind]
        assert [f.record for f in of_kind] == [1, 2, None]
        assert of_kind[-1].extra["count"] == 7


def test_inf_nan_spellings_pass_only_as_special_constants(tmp_path):
    """validate rejects "NaN" in a string field (FieldValueValidator.checkType) but accepts a
    value written as one of the field's special constants (SpecialConstantChecker
    .isNonConformantSpecialConstant): what `pdsgen migrate` writes for PDS3 "NaN" columns."""
    fields = fchar(1, "X", 1, "ASCII_String", 6)
    data = b"  1.50\r\n   NaN\r\n  -inf\r\n"
    found = run(tmp_path, char_table(3, 8, fields, 1), data)
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_data_type_mismatch", 2),
                                                   ("error.table.field_value_data_type_mismatch", 3)]
    declared = fchar(1, "X", 1, "ASCII_String", 6,
                     "<Special_Constants><missing_constant>NaN</missing_constant></Special_Constants>")
    found = run(tmp_path, char_table(3, 8, declared, 1), data)
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_data_type_mismatch", 3)]


def test_special_constants_are_checked_before_the_data_type(tmp_path):
    fields = fchar(1, "X", 1, "ASCII_Real", 6,
                   "<Special_Constants><missing_constant>N/A</missing_constant></Special_Constants>")
    data = b"  1.50\r\n   N/A\r\n  bad!\r\n"
    found = run(tmp_path, char_table(3, 8, fields, 1), data)
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_data_type_mismatch", 3)]
    # the same through the Arrow path (big column)
    found = run(tmp_path, char_table(3 * 3000, 8, fields, 1), data * 3000)
    assert [f.record for f in found] == [3, 6, None] and found[-1].extra["count"] == 3000


def test_line_breaks_inside_quoted_delimited_values(tmp_path):
    data = b'1,alpha\r\n2,"be\r\nta"\r\n3,gamma\r\n'
    found = run(tmp_path, delimited(3, DFIELDS, 2), data)
    assert [(f.type, f.record, f.field) for f in found] == [("error.validation.invalid_field_value", 2, 2)]


def test_records_without_any_line_feed(tmp_path):
    lf_table = char_table(4, 38, FIELDS, 3).replace("Carriage-Return Line-Feed", "Line-Feed")
    data = b"".join(r[:-2] + b" \r" for r in GOOD_ROWS)  # CR-only records
    found = run(tmp_path, lf_table, data)
    # every record read (a window of record_length bytes) is checked: first two, then a count
    assert [(f.type, f.record) for f in found] == [
        ("error.table.missing_LF", 1), ("error.table.missing_LF", 2), ("error.table.missing_LF", None)]
    assert found[-1].extra["count"] == 4


def test_crlf_where_the_label_says_line_feed(tmp_path):
    lf_delimited = delimited(2, DFIELDS, 2).replace("Carriage-Return Line-Feed", "Line-Feed")
    assert run(tmp_path, lf_delimited, b"1,a\n2,b\n") == []
    # validate checks the end of every record it reads: one finding per record
    found = run(tmp_path, lf_delimited, b"1,a\r\n2,b\r\n")
    assert [(f.type, f.record) for f in found] == [("error.table.missing_LF", 1), ("error.table.missing_LF", 2)]
    lf_fixed = char_table(4, 38, FIELDS, 3).replace("Carriage-Return Line-Feed", "Line-Feed")
    found = run(tmp_path, lf_fixed, b"".join(GOOD_ROWS))
    assert [(f.type, f.record) for f in found] == [
        ("error.table.missing_LF", 1), ("error.table.missing_LF", 2), ("error.table.missing_LF", None)]


def test_strict_field_checks_warn_about_characters_between_fields(tmp_path):
    import pdsgen.validate.columns as columns

    rows = [row(b"2020-01-01T00:00:00Z", b"12", b"1.50"), row(b"2020-01-01T00:00:01Z", b"13", b"1.50")]
    rows[1] = rows[1][:20] + b"," + rows[1][21:]
    (tmp_path / "t.tab").write_bytes(b"".join(rows))
    lab = tmp_path / "t.xml"
    lab.write_text(label(char_table(2, 38, FIELDS, 3), "t.tab"))
    tree = etree.parse(str(lab))
    (obj, el, limit), = describe_objects(tree, lab)
    assert check_object(obj, el, columns.Ctx(str(lab)), limit=limit) == []
    found = check_object(obj, el, columns.Ctx(str(lab), strict_fields=True), limit=limit)
    assert [(f.type, f.record) for f in found] == [("warning.table.characters_between_fields", 2)]


def test_field_format_without_decimals(tmp_path):
    data = b"    12\r\n   -3.\r\n   1.5\r\n"  # "-3." has no digit after its point
    for spelled, kind in ((vformat("%6.0f"), "error"), (fformat("%6.0f"), "warning")):
        found = run(tmp_path, char_table(3, 8, fchar(1, "X", 1, "ASCII_Real", 6, spelled), 1), data)
        assert [(f.type, f.record) for f in found] == [(f"{kind}.table.field_value_format_precision_mismatch", 3)]


def test_field_format_specifier_and_width(tmp_path):
    for spelled, kind in ((vformat, "error"), (fformat, "warning")):
        fields = (fchar(1, "N", 1, "ASCII_Real", 6, spelled("%6d"))
                  + fchar(2, "S", 8, "ASCII_String", 6, spelled("%4s")))
        found = run(tmp_path, char_table(2, 15, fields, 2), b"    12 abc   \r\n   1.5 abcdef\r\n")
        assert sorted((f.type, f.severity, f.record, f.field) for f in found) == [
            (f"{kind}.table.field_value_format_specifier_mismatch", kind, 2, 1),
            (f"{kind}.table.field_value_too_long", kind, 2, 2)]


def char_findings(tmp_path, fields: str, n_fields: int, reclen: int, data: bytes) -> list[tuple]:
    """(type, record, field) of the findings of a character table, sorted."""
    records = data.count(b"\r\n")
    return sorted((f.type, f.record, f.field) for f in run(tmp_path, char_table(records, reclen, fields, n_fields), data))


def test_format_conversions_as_validate_parses_them(tmp_path):
    # %o is read as a non-negative decimal BigInteger, %x as a hexadecimal one, %d takes a sign
    fields = (fchar(1, "O", 1, "ASCII_Integer", 3, vformat("%3o")) + fchar(2, "X", 5, "ASCII_String", 3, vformat("%3x"))
              + fchar(3, "D", 9, "ASCII_Integer", 3, vformat("%3d")))
    assert char_findings(tmp_path, fields, 3, 13, b"  9 0fF +12\r\n -1 -fF -12\r\n") == [
        ("error.table.field_value_format_specifier_mismatch", 2, 1),
        ("error.table.field_value_format_specifier_mismatch", 2, 2)]


def test_formats_are_checked_whatever_the_data_type_says(tmp_path):
    # checkFormat runs on every non-blank value, also one that failed its data type, and on
    # any data type (an ASCII_Integer with an %f format has 0 decimals)
    fields = fchar(1, "N", 1, "ASCII_Integer", 5, vformat("%5.2f"))
    assert char_findings(tmp_path, fields, 1, 7, b"   12\r\n  1.x\r\n") == [
        ("error.table.field_value_data_type_mismatch", 2, 1),
        ("error.table.field_value_format_precision_mismatch", 1, 1),
        ("error.table.field_value_format_precision_mismatch", 2, 1),
        ("error.table.field_value_format_specifier_mismatch", 2, 1)]


def test_justification_flags(tmp_path):
    # '+' (right-justified): no trailing blank; '-' (left-justified): no leading blank; the
    # fixed-width value is checked as read, blanks included
    fields = (fchar(1, "S", 1, "ASCII_String", 5, fformat("%-5s")) + fchar(2, "N", 7, "ASCII_Integer", 4,
                                                                           fformat("%+4d")))
    assert char_findings(tmp_path, fields, 2, 12, b"abc     12\r\n abc  12  \r\n") == [
        ("warning.table.field_value_not_left_justified", 2, 1),
        ("warning.table.field_value_not_right_justified", 2, 2)]


def test_exponent_formats(tmp_path):
    fields = fchar(1, "X", 1, "ASCII_Real", 10, vformat("%10.3E"))
    data = b" 1.234E+05\r\n     1.234\r\n  1.23E+05\r\n"
    found = run(tmp_path, char_table(3, 12, fields, 1), data)
    assert sorted((f.type, f.record) for f in found) == [
        ("error.table.field_value_format_precision_mismatch", 3),
        ("error.table.field_value_format_specifier_mismatch", 2)]
    # the big-column path gives the same verdicts
    found = run(tmp_path, char_table(3 * 2000, 12, fields, 1), data * 2000)
    assert sorted({(f.type, f.record) for f in found if f.record and f.record <= 3}) == [
        ("error.table.field_value_format_precision_mismatch", 3),
        ("error.table.field_value_format_specifier_mismatch", 2)]


def test_whole_column_match_and_rows_share_one_copy():
    from pdsgen.validate.fieldtypes import PATTERNS, joined_match, joined_rows, rows_array

    good = np.frombuffer(b"  12-345 +7 " * 2000, dtype=np.uint8).reshape(-1, 4)  # 6000 values
    joined = joined_rows(good)
    assert joined_match(joined, PATTERNS["ASCII_Integer"])  # big column: RE2 over the whole column
    assert joined_match(joined[:10], PATTERNS["ASCII_Integer"])  # small column: Python re
    bad = good.copy()
    bad[4321] = np.frombuffer(b"1 2 ", dtype=np.uint8)
    assert not joined_match(joined_rows(bad), PATTERNS["ASCII_Integer"])
    assert np.flatnonzero(invalid_rows(bad, "ASCII_Integer")).tolist() == [4321]
    rows = rows_array(joined).to_pylist()
    assert rows[:3] == [b"  12\n", b"-345\n", b" +7 \n"] and len(rows) == 6000


# --- delimited tables are read line by line, as validate's TableValidator reads them ------


def test_delimited_lines_after_the_label_count_are_not_read(tmp_path):
    # validate stops at <records>: more lines (here a fourth record with a bad value and a
    # blank line) are neither counted nor checked
    data = b"1,a\r\n2,b\r\n3,c\r\nx,d\r\n\r\n"
    assert run(tmp_path, delimited(3, DFIELDS, 2), data) == []


def test_delimited_fewer_lines_than_the_label_count(tmp_path):
    found = run(tmp_path, delimited(5, DFIELDS, 2), b"1,a\r\n2,b\r\n3,c\r\n")
    assert [(f.type, f.message.split("has ")[-1]) for f in found] == [("error.table.records_mismatch", "3")]


def test_delimited_blank_line_is_a_record_with_the_wrong_field_count(tmp_path):
    # the blank line is the second of three lines: it is record 2 (one empty field, not 2)
    found = run(tmp_path, delimited(3, DFIELDS, 2), b"1,a\r\n\r\n3,c\r\n")
    assert [f.type for f in found] == ["error.table.fields_mismatch"]
    # the same table said to have 4 records: the blank line counts, so 3 lines are one short
    found = run(tmp_path, delimited(4, DFIELDS, 2), b"1,a\r\n\r\n3,c\r\n")
    assert sorted(f.type for f in found) == ["error.table.fields_mismatch", "error.table.records_mismatch"]


def test_delimited_trailing_blank_lines_after_the_records_are_ignored(tmp_path):
    assert run(tmp_path, delimited(2, DFIELDS, 2), b"1,a\r\n2,b\r\n\r\n\r\n") == []


def test_delimited_last_record_without_its_delimiter(tmp_path):
    # every record read must end in the label's record delimiter, the last one too
    found = run(tmp_path, delimited(2, DFIELDS, 2), b"1,a\r\n2,b")
    assert [(f.type, f.record) for f in found] == [("error.table.missing_CRLF", 2)]


def test_delimited_quoted_line_break_counts_two_lines(tmp_path):
    # validate counts physical lines (4 here) but reads CSV records: 3 records, no count error;
    # the line break inside the quoted value is a PDS DSV violation
    data = b'1,alpha\r\n2,"be\r\nta"\r\n3,gamma\r\n'
    found = run(tmp_path, delimited(3, DFIELDS, 2), data)
    assert [(f.type, f.record) for f in found] == [("error.validation.invalid_field_value", 2)]


def test_delimited_csv_records_running_out_before_the_lines(tmp_path):
    # validate reads lines and CSV records side by side: with a quoted line break the 4 lines
    # hold 3 records, so a label counting 4 records reads a 4th record with no values
    # (bad_field_read, fatal); counting 5, the records read fall short as well
    data = b'1,alpha\r\n2,"be\r\nta"\r\n3,gamma\r\n'
    found = run(tmp_path, delimited(4, DFIELDS, 2), data)
    assert sorted((f.type, f.record) for f in found) == [
        ("error.table.bad_field_read", 4), ("error.validation.invalid_field_value", 2)]
    found = run(tmp_path, delimited(5, DFIELDS, 2), data)
    assert sorted((f.type, f.record or 0) for f in found) == [
        ("error.table.bad_field_read", 4), ("error.table.records_mismatch", 0),
        ("error.validation.invalid_field_value", 2)]


def test_delimited_value_with_a_line_break_is_checked_for_nothing_else(tmp_path):
    # FieldValueValidator: a line break in a delimited value is invalid_field_value, and the
    # value's type, length and format are then not checked; maximum_field_length counts the
    # trimmed value
    fields = fdel(1, "N", "ASCII_Integer") + fdel(2, "S", "ASCII_String",
                                                  "<maximum_field_length unit='byte'>3</maximum_field_length>")
    found = run(tmp_path, delimited(2, fields, 2), b'"1\r\n2", abc \r\n3,"x\r\ny"\r\n')
    assert sorted((f.type, f.record, f.field) for f in found) == [
        ("error.validation.invalid_field_value", 1, 1), ("error.validation.invalid_field_value", 2, 2)]


def test_delimited_maximum_record_length(tmp_path):
    # maximum_record_length counts the record delimiter (validate compares the line read)
    extra = "<maximum_record_length unit='byte'>5</maximum_record_length>"
    fields = DFIELDS.replace("<fields>", "<fields>")
    table = delimited(2, fields, 2).replace("<fields>2</fields>", f"<fields>2</fields><groups>0</groups>{extra}", 1)
    table = table.replace("<groups>0</groups><groups>0</groups>", "<groups>0</groups>")
    found = run(tmp_path, table, b"1,a\r\n22,bb\r\n")
    assert [(f.type, f.record) for f in found] == [("error.table.record_length_mismatch", 2)]


def test_delimited_records_end_outside_quotes(tmp_path):
    # one record with a quoted comma, then bytes of another object: only the first record is read
    assert run(tmp_path, delimited(1, DFIELDS, 2), b'1,"x,y"\r\nnot,a,record,at,all\r\n') == []
    # a quoted line break: the record is two lines; the label's 2 records are 3 lines, of which
    # validate reads 2 lines (no count error) and the CSV records 1 and 2
    found = run(tmp_path, delimited(2, DFIELDS, 2), b'1,"x\r\ny"\r\n2,z\r\n9,extra\r\n')
    assert [(f.type, f.record) for f in found] == [("error.validation.invalid_field_value", 1)]


def test_fields_out_of_order_overlap_as_validate_compares_neighbours(tmp_path):
    # B is listed before A but lies after it: validate compares each field with the next one
    # listed, and a next field starting before this one is an overlap (and stops the reading)
    fields = fchar(1, "B", 8, "ASCII_String", 5) + fchar(2, "A", 1, "ASCII_String", 5)
    found = run(tmp_path, char_table(1, 14, fields, 2), b"abcdefghijkl\r\n")
    assert [(f.type, f.field) for f in found] == [("error.table.field_value_overlap", 1)]
    # the same fields listed in record order are fine
    fields = fchar(1, "A", 1, "ASCII_String", 5) + fchar(2, "B", 8, "ASCII_String", 5)
    assert run(tmp_path, char_table(1, 14, fields, 2), b"abcdefghijkl\r\n") == []


def test_group_fields_are_compared_repetition_by_repetition(tmp_path):
    # a group of two 2-byte fields repeated 3 times (12 bytes), then a field after it
    group = ("<Group_Field_Character><repetitions>3</repetitions><fields>2</fields><groups>0</groups>"
             "<group_location unit='byte'>1</group_location><group_length unit='byte'>12</group_length>"
             + fchar(1, "P", 1, "ASCII_Integer", 2) + fchar(2, "Q", 3, "ASCII_Integer", 2)
             + "</Group_Field_Character>")
    fields = group + fchar(3, "R", 14, "ASCII_Integer", 2)
    table = char_table(1, 17, fields, 1).replace("<groups>0</groups><record_length", "<groups>1</groups><record_length")
    assert run(tmp_path, table, b" 1 2 3 4 5 6  7\r\n") == []
    # field R starting inside the group's last repetition (byte 12): they overlap
    bad = table.replace(fchar(3, "R", 14, "ASCII_Integer", 2), fchar(3, "R", 12, "ASCII_Integer", 2))
    found = run(tmp_path, bad, b" 1 2 3 4 5 6  7\r\n")
    assert [f.type for f in found] == ["error.table.field_value_overlap"]


def test_group_length_must_be_the_extent_of_its_fields(tmp_path):
    # pds4-jparser (TableCharacterAdapter.expandGroupField) refuses a group whose
    # group_length / repetitions is larger or smaller than its fields reach: the table
    # cannot be opened (table_definition_problem), no record is read
    group = ("<Group_Field_Character><repetitions>3</repetitions><fields>2</fields><groups>0</groups>"
             "<group_location unit='byte'>1</group_location><group_length unit='byte'>12</group_length>"
             + fchar(1, "P", 1, "ASCII_Integer", 2) + fchar(2, "Q", 3, "ASCII_Integer", 2)
             + "</Group_Field_Character>")
    table = char_table(1, 18, group + fchar(3, "R", 16, "ASCII_Integer", 1), 1).replace(
        "<groups>0</groups><record_length", "<groups>1</groups><record_length")
    assert run(tmp_path, table, b" 1 2 3 4 5 6   7\r\n") == []
    # 5 bytes a repetition (a gap after the fields, which reach 4), 3 bytes (fields reach 4):
    # jparser's `group_length / repetitions != extent` refuses both
    for length, size in ((15, "larger"), (9, "smaller")):
        bad = table.replace("<group_length unit='byte'>12</group_length>",
                            f"<group_length unit='byte'>{length}</group_length>")
        found = run(tmp_path, bad, b" 1 2 3 4 5 6   7\r\n")
        assert [f.type for f in found] == ["error.label.table_definition_problem"]
        assert f"{length // 3} bytes each, {size} than its fields (4)" in found[0].message


@pytest.mark.parametrize("fmt", ["%.3f", "% 8.2f", "%8.3g", "%8.3F"])
def test_field_formats_validate_does_not_check(tmp_path, fmt):
    # validate checks a field_format only of its pattern %[+,-]<width>[.<precision>]<d|o|x|f|e|E|s>
    fields = fchar(1, "X", 1, "ASCII_Real", 8, formats(fmt))
    assert run(tmp_path, char_table(2, 10, fields, 1), b"  1.5000\r\n     2.0\r\n") == []


def test_validation_format_precision_is_exact_field_format_a_maximum(tmp_path):
    data = b"   1.500\r\n  2.5000\r\n       3\r\n"
    found = run(tmp_path, char_table(3, 10, fchar(1, "X", 1, "ASCII_Real", 8, vformat("%8.3f")), 1), data)
    assert [(f.type, f.record, f.severity) for f in found] == [
        ("error.table.field_value_format_precision_mismatch", 2, "error"),
        ("error.table.field_value_format_precision_mismatch", 3, "error")]
    found = run(tmp_path, char_table(3, 10, fchar(1, "X", 1, "ASCII_Real", 8, fformat("%8.3f")), 1), data)
    assert [(f.type, f.record, f.severity) for f in found] == [
        ("warning.table.field_value_format_precision_mismatch", 2, "warning")]


def test_array_valid_range_and_missing_data_file(tmp_path):
    # validate (ArrayContentValidator): a value outside valid_minimum/valid_maximum is a warning
    values = np.array([[1, 2, 3], [4, 5, 90]], dtype=">i2")
    consts = ("<Special_Constants><missing_constant>-1</missing_constant><valid_maximum>50</valid_maximum>"
              "<valid_minimum>0</valid_minimum></Special_Constants>")
    found = run(tmp_path, array("SignedMSB2", 2, 3, consts), values.tobytes(), "a.img")
    assert [(f.type, f.record, f.severity) for f in found] == [
        ("warning.array.value_out_of_special_constant_min_max_range", 6, "warning")]
    # the array's data file missing: validate's array reader cannot read it
    (tmp_path / "a.img").unlink()
    lab = tmp_path / "t.xml"
    out = []
    tree = etree.parse(str(lab))
    for obj, el, limit in describe_objects(tree, lab):
        out += check_object(obj, el, Ctx(str(lab), max_reported=2), limit=limit)
    assert [f.type for f in out] == ["error.array.bad_file_read"]


def test_delimited_group_repetitions_checked_together_with_their_records(tmp_path):
    group = ("<Group_Field_Delimited><repetitions>3</repetitions><fields>1</fields><groups>0</groups>"
             + fdel(1, "V", "ASCII_Integer") + "</Group_Field_Delimited>")
    table = delimited(2, fdel(1, "ID", "ASCII_NonNegative_Integer") + group, 2).replace(
        "<fields>2</fields><groups>0</groups>", "<fields>1</fields><groups>1</groups>")
    assert run(tmp_path, table, b"1,10,11,12\r\n2,20,21,22\r\n") == []
    found = run(tmp_path, table, b"1,10,11,12\r\n2,20,21,x\r\n")
    assert [(f.type, f.record, f.field) for f in found] == [("error.table.field_value_data_type_mismatch", 2, 2)]
    assert "repetition 3" in found[0].message


def test_double_quotes_inside_unquoted_delimited_values_are_text(tmp_path):
    # validate flags a quoted value holding a quote; in an unquoted field a quote is text
    found = run(tmp_path, delimited(2, DFIELDS, 2), b'1, "ab"\r\n2,5in"\r\n')
    assert [f.type for f in found if f.type == "error.validation.invalid_field_value"] == []
    found = run(tmp_path, delimited(1, DFIELDS, 2), b'1,"a ""b"""\r\n')
    assert [(f.type, f.record) for f in found] == [("error.validation.invalid_field_value", 1)]


def test_character_tables_check_validation_format_as_a_rule_and_field_format_as_a_description(tmp_path):
    # validate's FieldValueValidator (CCB-214, issues 816/817): a character table's values
    # against the validation_format (errors) and the field_format (warnings)
    data = b"   1.250\r\n  12.5  \r\n"
    only_field_format = fchar(1, "X", 1, "ASCII_Real", 8, fformat("%4.2f"))
    # 1.250: 3 decimals (more than 2) and 5 characters wide (format width 4); 12.5: fine
    assert sorted((f.type, f.record) for f in run(tmp_path, char_table(2, 10, only_field_format, 1), data)) == [
        ("warning.table.field_value_format_precision_mismatch", 1),
        ("warning.table.field_value_too_long", 1)]
    found = run(tmp_path, char_table(2, 10, fchar(1, "X", 1, "ASCII_Real", 8, vformat("%4.2f")), 1), data)
    assert sorted((f.type, f.record) for f in found) == [
        ("error.table.field_value_format_precision_mismatch", 1),
        ("error.table.field_value_format_precision_mismatch", 2),
        ("error.table.field_value_too_long", 1),
    ]


def test_delimited_tables_are_checked_against_field_format(tmp_path):
    # a delimited table's values are checked against field_format (validate: DelimitedTableRecord)
    fields = fdel(1, "ID", "ASCII_Integer") + fdel(2, "X", "ASCII_Real", "<field_format>%6.2f</field_format>")
    assert run(tmp_path, delimited(2, fields, 2), b"1,1.25\r\n2,1.5\r\n") == []  # fewer decimals: fine
    found = run(tmp_path, delimited(2, fields, 2), b"1,1.25\r\n2,1.555\r\n")
    assert [(f.type, f.record) for f in found] == [("warning.table.field_value_format_precision_mismatch", 2)]


def test_delimited_values_of_blanks_only_are_blank(tmp_path):
    # an empty delimited value and one of blanks only are both blank: no data type check
    # (the FieldValueValidator source read suggests otherwise for the blanks; validate's
    # own visible cases accept them, so its release does not)
    fields = fdel(1, "ID", "ASCII_Integer") + fdel(2, "S", "ASCII_String")
    assert run(tmp_path, delimited(3, fields, 2), b"1,a\r\n,\r\n  ,  \r\n") == []


STATS = "<Field_Statistics><maximum>500</maximum><minimum>-10</minimum></Field_Statistics>"


def test_values_compared_with_a_minimum_must_be_numbers(tmp_path):
    # validate's checkSpecialMinMax: with a minimum/maximum every non-blank value must be a
    # number (Java's NumberUtils.isCreatable: decimal, hexadecimal 0x.., exponent), whatever
    # the field's data type; blanks are not compared
    dates = fchar(1, "T", 1, "ASCII_Date_Time_YMD", 20, STATS)
    found = run(tmp_path, char_table(2, 22, dates, 1), b"2020-01-01T00:00:00Z\r\n" + b" " * 20 + b"\r\n")
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_not_a_number", 1)]
    strings = fchar(1, "S", 1, "ASCII_String", 5, STATS)
    found = run(tmp_path, char_table(3, 7, strings, 1), b"abc  \r\n12   \r\n0x1F \r\n")
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_not_a_number", 1)]
    # a number field: a value that fails its grammar cannot be compared either
    reals = fchar(1, "X", 1, "ASCII_Real", 5, STATS)
    found = run(tmp_path, char_table(2, 7, reals, 1), b"  NaN\r\n   12\r\n")
    assert sorted((f.type, f.record) for f in found) == [
        ("error.table.field_value_data_type_mismatch", 1), ("error.table.field_value_not_a_number", 1)]
    # without a minimum/maximum nothing is compared
    assert run(tmp_path, char_table(2, 7, fchar(1, "S", 1, "ASCII_String", 5), 1), b"abc  \r\n12   \r\n") == []


def test_valid_range_alone_asks_for_numbers_too(tmp_path):
    valid = "<Special_Constants><valid_maximum>9</valid_maximum></Special_Constants>"
    fields = fdel(1, "A", "ASCII_String", valid) + fdel(2, "B", "ASCII_Integer")
    found = run(tmp_path, delimited(2, fields, 2), b'x,1\r\n"5",2\r\n')
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_not_a_number", 1)]


def test_array_statistics_are_compared_to_their_own_digits(tmp_path):
    # validate's checkObjectStats: a value beyond Object_Statistics maximum/minimum is an error
    # only if it still is once cut to the statistic's digits (3.4028235 against a maximum
    # written 3.4028 is no error; against 3.4027 it is)
    values = np.array([[1.0, 3.4028235]], dtype=">f4")
    stats = "<Object_Statistics><maximum>{}</maximum><minimum>-0.1234</minimum></Object_Statistics>"
    assert run(tmp_path, array("IEEE754MSBSingle", 1, 2, stats.format("3.4028")), values.tobytes(), "a.img") == []
    found = run(tmp_path, array("IEEE754MSBSingle", 1, 2, stats.format("3.4027")), values.tobytes(), "a.img")
    assert [(f.type, f.record) for f in found] == [("error.array.value_out_of_min_max_range", 2)]
    # below a minimum: -0.12349 cut to 4 decimals is -0.1234, the minimum itself; -0.1235 is below it
    values = np.array([[-0.12349, -0.1235]], dtype=">f8")
    found = run(tmp_path, array("IEEE754MSBDouble", 1, 2, stats.format("9")), values.tobytes(), "a.img")
    assert [(f.type, f.record) for f in found] == [("error.array.value_out_of_min_max_range", 2)]


def test_array_scaled_values_against_the_scaled_statistics(tmp_path):
    # scaled value = value × scaling_factor + value_offset, against minimum/maximum_scaled_value
    # (validate: error.array.value_out_of_scaled_min_max_range), only with a scaling_factor or
    # value_offset; special constants are not scaled values
    values = np.array([[2, 4, -1]], dtype=">i2")
    element = ("<Element_Array><data_type>SignedMSB2</data_type><scaling_factor>0.5</scaling_factor>"
               "<value_offset>10</value_offset></Element_Array>")
    stats = ("<Special_Constants><missing_constant>-1</missing_constant></Special_Constants><Object_Statistics>"
             "<maximum_scaled_value>11</maximum_scaled_value><minimum_scaled_value>10.5</minimum_scaled_value>"
             "</Object_Statistics>")
    table = array("SignedMSB2", 1, 3, stats).replace(
        "<Element_Array><data_type>SignedMSB2</data_type></Element_Array>", element)
    found = run(tmp_path, table, values.tobytes(), "a.img")
    assert [(f.type, f.record) for f in found] == [("error.array.value_out_of_scaled_min_max_range", 2)]
    # without scaling_factor and value_offset the scaled statistics are not compared
    assert run(tmp_path, array("SignedMSB2", 1, 3, stats), values.tobytes(), "a.img") == []


def test_texts_reads_several_children_as_text_reads_each():
    from pdsgen.pds4.label import text, texts, to_number

    el = etree.fromstring(f"""<Field_Character xmlns="{PDS}" xmlns:o="urn:other"><name> A </name><!-- c -->
        <description>two
          lines</description><o:unit>m</o:unit><unit>s</unit><name>second</name><field_format/>
        <scaling_factor>1e-3</scaling_factor><value_offset>12</value_offset></Field_Character>""")
    names = ("name", "description", "unit", "field_format", "scaling_factor", "value_offset", "data_type")
    assert texts(el, *names) == {n: text(el, n) for n in names} == {
        "name": "A", "description": "two lines", "unit": "m", "field_format": None, "scaling_factor": "1e-3",
        "value_offset": "12", "data_type": None}
    assert (to_number("1e-3"), to_number("12"), to_number("x"), to_number(None)) == (0.001, 12, None, None)


def test_a_block_of_a_table_is_read_from_its_offset(tmp_path):
    from pdsgen.validate.columns import read_block

    f = tmp_path / "t.dat"
    f.write_bytes(bytes(range(256)) * 3)
    assert read_block(f, 250, 10).tolist() == [250, 251, 252, 253, 254, 255, 0, 1, 2, 3]
    assert read_block(f, 760, 100).tolist() == list(range(248, 256))  # the end of the file: fewer
    assert read_block(f, 0, 768).flags.writeable


def test_blank_values_of_a_number_field_with_limits_are_no_range_errors(tmp_path):
    # (a column that parses whole has no blank value; one with blanks is parsed patched)
    rows = [row(b"2020-01-01T00:00:00Z", b"", b""), row(b"2020-01-01T00:00:01Z", b"600", b"101")]
    found = run(tmp_path, char_table(2, 38, FIELDS, 3), b"".join(rows))
    assert sorted((f.type, f.record) for f in found) == [
        ("error.table.field_value_out_of_min_max_range", 2),
        ("warning.table.field_value_out_of_special_constant_min_max_range", 2)]


def bin_table(records: int, reclen: int, fields: str, n_fields: int, n_groups: int = 0) -> str:
    return (f"<Table_Binary><offset unit='byte'>0</offset><records>{records}</records><Record_Binary>"
            f"<fields>{n_fields}</fields><groups>{n_groups}</groups><record_length unit='byte'>{reclen}"
            f"</record_length>{fields}</Record_Binary></Table_Binary>")


def fbin(n, name, loc, dtype, length, extra=""):
    return (f"<Field_Binary><name>{name}</name><field_number>{n}</field_number>"
            f"<field_location unit='byte'>{loc}</field_location><data_type>{dtype}</data_type>"
            f"<field_length unit='byte'>{length}</field_length>{extra}</Field_Binary>")


def packed(*bits: tuple[str, int, int]) -> str:
    return ("<Packed_Data_Fields><bit_fields>" + str(len(bits)) + "</bit_fields>" + "".join(
        f"<Field_Bit><name>{name}</name><start_bit_location>{lo}</start_bit_location><data_type>UnsignedBitString"
        f"</data_type><stop_bit_location>{hi}</stop_bit_location></Field_Bit>" for name, lo, hi in bits)
        + "</Packed_Data_Fields>")


def test_bit_fields_outside_their_field_stop_the_table(tmp_path):
    # bit fields whose bit ranges overlap are accepted (validate's releases do, whatever its
    # FieldValueValidator source reads); a bit field outside its packed field: the table
    # cannot be opened, bad_field_read alone (no overlap of the fields is reported then)
    data = bytes(4) * 2
    ok = fbin(1, "A", 1, "UnsignedByte", 2) + fbin(2, "P", 3, "UnsignedMSB2", 2, packed(("x", 1, 4), ("y", 5, 16)))
    assert run(tmp_path, bin_table(2, 4, ok, 2), data, "t.dat") == []
    bits_overlap = ok.replace("<start_bit_location>5</start_bit_location>", "<start_bit_location>4</start_bit_location>")
    assert run(tmp_path, bin_table(2, 4, bits_overlap, 2), data, "t.dat") == []
    fields_overlap = bits_overlap.replace("<field_length unit='byte'>2</field_length>",
                                          "<field_length unit='byte'>3</field_length>", 1)
    found = run(tmp_path, bin_table(2, 4, fields_overlap, 2), data, "t.dat")
    assert [f.type for f in found] == ["error.table.field_value_overlap"]
    worse = fields_overlap.replace("<stop_bit_location>16</stop_bit_location>", "<stop_bit_location>17</stop_bit_location>")
    found = run(tmp_path, bin_table(2, 4, worse, 2), data, "t.dat")
    assert [f.type for f in found if f.is_error] == ["error.table.bad_field_read"]


def test_binary_record_field_and_group_counts(tmp_path):
    # pds4-jparser's TableBinaryAdapter checks <fields> and <groups> against the children
    fields = fbin(1, "A", 1, "UnsignedByte", 1) + fbin(2, "B", 2, "UnsignedByte", 1)
    assert run(tmp_path, bin_table(1, 2, fields, 2), bytes(2), "t.dat") == []
    for n_fields, n_groups in ((3, 0), (2, 1)):
        found = run(tmp_path, bin_table(1, 2, fields, n_fields, n_groups), bytes(2), "t.dat")
        assert [f.type for f in found] == ["error.label.table_definition_problem"]


def test_formats_skip_blank_values_in_big_columns_with_stray_bytes(tmp_path):
    # the big-column (Arrow) path: blank values stay blank for the format checks even when
    # another value of the column holds a byte that is not UTF-8
    rows = [b" 1.25"] * 5000 + [b"     ", b"1.2\xb0 "]
    data = b"".join(r + b"\r\n" for r in rows)
    fields = fchar(1, "X", 1, "ASCII_Real", 5, vformat("%5.2f"))
    found = run(tmp_path, char_table(len(rows), 7, fields, 1), data)
    assert sorted({(f.type, f.record) for f in found}) == [
        ("error.table.field_value_data_type_mismatch", 5002),  # its 2 characters after the point are
        ("error.table.field_value_format_specifier_mismatch", 5002)]  # the precision (no precision error)


@pytest.mark.parametrize("name", ["error_constant", "invalid_constant", "missing_constant", "not_applicable_constant",
                                  "saturated_constant", "unknown_constant"])
def test_the_six_non_range_constants_exempt_a_value_from_its_grammar(tmp_path, name):
    # validate's SpecialConstantChecker.isNonConformantSpecialConstant: a value that fails its
    # data type passes when written exactly as one of these six constants
    fields = fchar(1, "X", 1, "ASCII_Integer", 4, f"<Special_Constants><{name}>N/A</{name}></Special_Constants>")
    found = run(tmp_path, char_table(3, 6, fields, 1), b"  12\r\n N/A\r\n  NA\r\n")
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_data_type_mismatch", 3)]


@pytest.mark.parametrize("name", ["high_instrument_saturation", "high_representation_saturation",
                                  "low_instrument_saturation", "low_representation_saturation",
                                  "valid_maximum"])
def test_saturation_and_range_constants_do_not_exempt_a_value(tmp_path, name):
    # the saturation constants (commented out of isNonConformantSpecialConstant) and the valid
    # range must conform to the data type: a value written as them is still a grammar error
    fields = fchar(1, "X", 1, "ASCII_String", 4, f"<Special_Constants><{name}>NaN</{name}></Special_Constants>")
    found = run(tmp_path, char_table(2, 6, fields, 1), b"  ab\r\n NaN\r\n")
    assert ("error.table.field_value_data_type_mismatch", 2) in [(f.type, f.record) for f in found]


def test_nan_and_infinity_in_binary_floats_are_not_numbers_to_compare(tmp_path):
    # validate reads a binary float as Java text ("NaN", "Infinity", "-Infinity"), which
    # checkSpecialMinMax cannot cast to a number: field_value_not_a_number, and no range error
    values = np.array([1.0, np.nan, np.inf, -np.inf, 600.0], dtype=">f4")
    stats = "<Field_Statistics><maximum>500</maximum><minimum>-10</minimum></Field_Statistics>"
    fields = fbin(1, "F", 1, "IEEE754MSBSingle", 4, stats)
    found = run(tmp_path, bin_table(5, 4, fields, 1), values.tobytes(), "t.dat")
    assert [(f.type, f.record) for f in found] == [
        ("error.table.field_value_not_a_number", 2), ("error.table.field_value_not_a_number", 3),
        ("error.table.field_value_not_a_number", None), ("error.table.field_value_out_of_min_max_range", 5)]
    assert found[2].extra["count"] == 3
    # a valid range alone asks for numbers too, and a NaN missing_constant does not exempt a NaN
    # (the special constants are compared only with values that are numbers)
    doubles = np.array([np.nan, 2.0], dtype="<f8")
    valid = ("<Special_Constants><missing_constant>NaN</missing_constant><valid_maximum>9.0</valid_maximum>"
             "</Special_Constants>")
    found = run(tmp_path, bin_table(2, 8, fbin(1, "D", 1, "IEEE754LSBDouble", 8, valid), 1), doubles.tobytes(),
                "t.dat")
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_not_a_number", 1)]
    # nothing to compare with: NaN and infinities are accepted
    assert run(tmp_path, bin_table(5, 4, fbin(1, "F", 1, "IEEE754MSBSingle", 4), 1), values.tobytes(), "t.dat") == []
