"""Array content as validate's ArrayContentValidator reads it (its newest stored sources with
SpecialConstantChecker.isConformantSpecialConstant and checkObjectStats), on small arrays
built here: which special constants exempt an element (text as Java writes it, integers
and bit patterns), the valid range (Java's compareTo: NaN above all), the statistics
compared on the value's Java text cut to the statistic's length, what ends the reading of
an array (``error.array.bad_file_read``), and arrays whose label and file disagree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_validate_content import PDS, array, run

from pdsgen.data.types import java_text
from pdsgen.validate.runner import Options
from pdsgen.validate.runner import run as run_validate

RANGE = "error.array.value_out_of_min_max_range"
SCALED = "error.array.value_out_of_scaled_min_max_range"
VALID = "warning.array.value_out_of_special_constant_min_max_range"
READ = "error.array.bad_file_read"


def stats(minimum=None, maximum=None, **more) -> str:
    items = {"maximum": maximum, "minimum": minimum, **more}
    return "<Object_Statistics>" + "".join(f"<{k}>{v}</{k}>" for k, v in items.items() if v is not None) + \
        "</Object_Statistics>"


def consts(**items) -> str:
    return "<Special_Constants>" + "".join(f"<{k}>{v}</{k}>" for k, v in items.items()) + "</Special_Constants>"


def found(tmp_path: Path, dtype: str, values, np_dtype: str, extra: str = "", *, elements: int | None = None,
          element_array: str | None = None) -> list[tuple[str, int | None]]:
    """(type, element number) of the findings of a 1 × n array of `values`."""
    data = np.array(values, dtype=np_dtype).tobytes()
    n = len(values) if elements is None else elements
    obj = array(dtype, 1, n, extra)
    if element_array is not None:
        obj = obj.replace(f"<Element_Array><data_type>{dtype}</data_type></Element_Array>", element_array)
    return [(f.type, f.record) for f in run(tmp_path, obj, data, "a.img")]


def test_java_texts_of_numbers():
    # Float.toString / Double.toString: plain from 1e-3 up to 1e7, else d.dddE±n
    assert [java_text(x, single=False) for x in (100.0, 0.001, 1e7, 1.2e-4, 12345678.0, -0.0, 1234.5)] == [
        "100.0", "0.001", "1.0E7", "1.2E-4", "1.2345678E7", "-0.0", "1234.5"]
    assert [java_text(x, single=True) for x in (0.1, 1e-5, 3.4028235e38, -999.0)] == [
        "0.1", "1.0E-5", "3.4028235E38", "-999.0"]


def test_a_float_constant_matches_as_java_writes_the_float_or_as_its_bit_pattern(tmp_path):
    # sameContent: Float.toString(-999.0f) is "-999.0"; "-999" is an integer, compared with
    # the float's bit pattern (0xC479C000), so it exempts nothing
    base = stats(0, 10)
    assert found(tmp_path, "IEEE754MSBSingle", [1.0, -999.0], ">f4", consts(missing_constant="-999") + base) == [
        (RANGE, 2)]
    assert found(tmp_path, "IEEE754MSBSingle", [1.0, -999.0], ">f4", consts(missing_constant="-999.0") + base) == []
    assert found(tmp_path, "IEEE754MSBSingle", [1.0, -999.0], ">f4",
                 consts(missing_constant="0xC479C000") + base) == []
    # written otherwise than Java writes it: no match
    assert found(tmp_path, "IEEE754MSBSingle", [1.0, -999.0], ">f4", consts(missing_constant="-999.00") + base) == [
        (RANGE, 2)]
    # a double: 16#…# radix notation of the bit pattern
    bits = f"16#{np.array([-1e32]).view(np.uint64)[0]:016X}#"
    assert found(tmp_path, "IEEE754MSBDouble", [1.0, -1e32], ">f8", consts(missing_constant=bits) + base) == []


def test_an_integer_constant_matches_integer_elements_a_decimal_one_never(tmp_path):
    base = stats(0, 10)
    assert found(tmp_path, "SignedMSB2", [1, -999], ">i2", consts(missing_constant="-999") + base) == []
    # BigDecimal("-999.0").equals(BigInteger) is false: the element is checked
    assert found(tmp_path, "SignedMSB2", [1, -999], ">i2", consts(missing_constant="-999.0") + base) == [(RANGE, 2)]
    # an unsigned byte 255 is 0xFF; a signed byte -1 is not (the integers' low 64 bits differ)
    assert found(tmp_path, "UnsignedByte", [255, 3], "u1", consts(saturated_constant="0xFF") + base) == []
    assert found(tmp_path, "SignedByte", [-1, 3], "i1", consts(saturated_constant="0xFF") + base) == [(RANGE, 1)]


def test_infinity_and_nan_constants_match_any_infinity_or_nan(tmp_path):
    # a constant spelt INF/NaN (one sign, any case) matches every infinity (whatever its
    # sign) or NaN of a float array
    values = [1.0, np.inf, -np.inf, 20.0]
    assert found(tmp_path, "IEEE754LSBSingle", values, "<f4", consts(missing_constant="-INF") + stats(0, 10)) == [
        (RANGE, 4)]


def test_nan_elements_against_the_valid_range_and_the_statistics(tmp_path):
    # Java's compareTo puts NaN above every number: above valid_maximum, never below
    # valid_minimum; against Object_Statistics (doubles compared with < and >) it is nothing
    nan = [1.0, np.nan]
    assert found(tmp_path, "IEEE754MSBSingle", nan, ">f4", consts(valid_maximum="100.0")) == [(VALID, 2)]
    assert found(tmp_path, "IEEE754MSBSingle", nan, ">f4", consts(valid_minimum="0.0")) == []
    assert found(tmp_path, "IEEE754MSBSingle", nan, ">f4", stats(0, 10)) == []
    # compareTo puts -0.0 below 0.0: below a valid_minimum of 0.0 (as a double, < does not)
    zeros = [0.0, -0.0]
    assert found(tmp_path, "IEEE754MSBSingle", zeros, ">f4", consts(valid_minimum="0.0") + stats(0, 10)) == [
        (VALID, 2)]
    assert found(tmp_path, "IEEE754MSBSingle", zeros, ">f4", consts(valid_maximum="-0.0")) == [(VALID, 1)]


def test_a_float_valid_range_is_a_number_or_a_radix_bit_pattern(tmp_path):
    # float elements are compared as doubles with the constant as asBigDecimal reads it:
    # "1000" and "1000.0" are numbers, "0x43C80000" the bits of 400.0f
    assert found(tmp_path, "IEEE754MSBSingle", [500.0], ">f4", consts(valid_maximum="1000")) == []
    assert found(tmp_path, "IEEE754MSBSingle", [500.0], ">f4", consts(valid_maximum="1000.0")) == []
    assert found(tmp_path, "IEEE754MSBSingle", [500.0], ">f4", consts(valid_maximum="0x43C80000")) == [(VALID, 1)]
    # a double's bit pattern needs more than 32 bits set, else it is read as a float's:
    # 0x4079000000000000 (400.0, 4 bits set) becomes the float of its low 32 bits, 0.0
    bits = f"0x{np.array([400.0]).view(np.uint64)[0]:016X}"
    assert found(tmp_path, "IEEE754MSBDouble", [500.0], ">f8", consts(valid_maximum=bits)) == [(VALID, 1)]
    bits = "0x408FFFFFFFFEA867"  # 1023.99999999: 45 bits set
    assert found(tmp_path, "IEEE754MSBDouble", [500.0], ">f8", consts(valid_maximum=bits)) == []


def test_unsigned_four_byte_elements_and_constants(tmp_path):
    # an UnsignedInteger equals a constant written as its decimal text; as bits it is
    # compared through intValue (signed): 0xFFFFFFFF is not 4294967295
    values = [4294967295, 3]
    base = stats(0, 10)
    assert found(tmp_path, "UnsignedMSB4", values, ">u4", consts(missing_constant="4294967295") + base) == []
    assert found(tmp_path, "UnsignedMSB4", values, ">u4", consts(missing_constant="0xFFFFFFFF") + base) == [
        (RANGE, 1)]
    assert found(tmp_path, "UnsignedMSB4", values, ">u4", consts(missing_constant="-1") + base) == []


def test_a_value_equal_to_valid_minimum_counts_as_a_special_constant(tmp_path):
    # isConformantSpecialConstant returns whether the last valid bound compared (valid_minimum
    # when given) equals the value: that element is not compared with the statistics
    assert found(tmp_path, "SignedMSB2", [5, 6, 12], ">i2", consts(valid_minimum="5") + stats(10, 20)) == [
        (RANGE, 2)]
    # with both bounds only valid_minimum decides: a value equal to valid_maximum is checked
    assert found(tmp_path, "SignedMSB2", [30, 12], ">i2", consts(valid_minimum="0", valid_maximum="30")
                 + stats(10, 20)) == [(RANGE, 1)]
    assert found(tmp_path, "SignedMSB2", [30, 12], ">i2", consts(valid_maximum="30") + stats(10, 20)) == []


def test_statistics_are_compared_on_the_value_text_cut_to_the_statistic_length(tmp_path):
    # minimum 0.0 is "0.0": -0.5 is cut to "-0." (zero, not below), -1.5 to "-1." (below)
    assert found(tmp_path, "IEEE754MSBSingle", [-0.5, -1.5, 1.0], ">f4", stats(0, 10)) == [(RANGE, 2)]
    # maximum 3.4028 (6 characters): 3.4028235 is cut to 3.4028, not above; 3.4029 is
    assert found(tmp_path, "IEEE754MSBSingle", [3.4028235, 3.4029], ">f4", stats(0, "3.4028")) == [(RANGE, 2)]
    # an integer against a maximum from 1e7 on ("1.0E7", 5 characters): 12345678 is cut to 12345
    assert found(tmp_path, "SignedMSB4", [12345678, 5], ">i4", stats(0, "1e7")) == []
    assert found(tmp_path, "SignedMSB4", [1001, 5], ">i4", stats(0, "1000")) == [(RANGE, 1)]


@pytest.mark.parametrize(("values", "limits", "expected"), [
    # 1.0E-5 below a minimum "0.001" is cut to "1.0E-": no number, the reading ends there
    ([1e-5, -3.0, 50.0], (0.001, 10), [(READ, 1)]),
    # an infinity beyond the maximum: "Infinity" cut is no number
    ([11.0, np.inf, 20.0], (0, 10), [(RANGE, 1), (READ, 2)]),
])
def test_a_cut_text_that_is_no_number_ends_the_array(tmp_path, values, limits, expected):
    assert found(tmp_path, "IEEE754MSBSingle", values, ">f4", stats(*limits)) == expected


def test_scaled_statistics_and_values_that_cannot_be_scaled(tmp_path):
    element = ("<Element_Array><data_type>IEEE754MSBSingle</data_type><scaling_factor>2</scaling_factor>"
               "</Element_Array>")
    scaled = stats(minimum_scaled_value="0", maximum_scaled_value="10")
    assert found(tmp_path, "IEEE754MSBSingle", [1.0, 6.0], ">f4", scaled, element_array=element) == [(SCALED, 2)]
    # NaN × 2 is NaN: Double.toString gives "NaN", which BigDecimal refuses: the reading ends
    assert found(tmp_path, "IEEE754MSBSingle", [1.0, np.nan, 6.0], ">f4", scaled, element_array=element) == [
        (READ, 2)]
    # without a scaling_factor or value_offset the scaled statistics are not compared
    assert found(tmp_path, "IEEE754MSBSingle", [1.0, np.nan, 6.0], ">f4", scaled) == []


def test_an_array_running_past_its_file_is_checked_up_to_the_end_then_unreadable(tmp_path):
    # 3 elements of 2 bytes, the file holds 2: the second is above the maximum, the third
    # cannot be read (validate's reading fails there; not a label file size problem)
    data = np.array([5, 60], dtype=">i2").tobytes()
    obj = array("SignedMSB2", 1, 3, stats(0, 20))
    assert [(f.type, f.record) for f in run(tmp_path, obj, data, "a.img")] == [(RANGE, 2), (READ, 3)]
    # without anything to compare the elements are still read: the third fails
    assert [(f.type, f.record) for f in run(tmp_path, array("SignedMSB2", 1, 3), data, "a.img")] == [(READ, 3)]
    # an offset past the end of the file: the first element fails
    far = array("SignedMSB2", 1, 2).replace("<offset unit='byte'>0</offset>", "<offset unit='byte'>100</offset>")
    assert [(f.type, f.record) for f in run(tmp_path, far, data, "a.img")] == [(READ, 1)]


def _label(folder: Path, arrays: str) -> Path:
    (folder / "a.img").write_bytes(bytes(8))
    label = folder / "p.xml"
    label.write_text(f'<?xml version="1.0"?>\n<Product_Observational xmlns="{PDS}"><Identification_Area>'
                     "<logical_identifier>urn:nasa:pds:b:data:p</logical_identifier><version_id>1.0</version_id>"
                     "<title>t</title><information_model_version>1.20.0.0</information_model_version>"
                     "<product_class>Product_Observational</product_class></Identification_Area>"
                     f"<File_Area_Observational><File><file_name>a.img</file_name></File>{arrays}"
                     "</File_Area_Observational></Product_Observational>")
    return label


def _content_types(label: Path) -> list[str]:
    result = run_validate([str(label)], Options(offline=True, jobs=1, context=False))
    return [f.type for f in result.all_findings()
            if f.type.startswith(("error.array.", "error.table.", "error.label.invalid_object_definition"))]


def test_axes_more_than_the_axis_arrays_leaves_the_label_unread(tmp_path):
    # pds4-jparser builds every object of the label before any is read; an array whose
    # <axes> exceeds its Axis_Array elements fails there (index out of bounds): validate
    # reports error.table.bad_field_read and reads no object, the good array before it neither
    good = array("UnsignedByte", 1, 4, stats(0, 0))  # its elements (zeros) pass; 9 would not
    bad = array("UnsignedByte", 1, 4).replace("<axes>2</axes>", "<axes>3</axes>").replace(
        "<offset unit='byte'>0</offset>", "<offset unit='byte'>4</offset>")
    assert _content_types(_label(tmp_path, good + bad)) == ["error.table.bad_field_read"]


def test_axes_fewer_than_the_axis_arrays_makes_the_elements_unreadable(tmp_path):
    # the array is opened by <axes>, its elements read by the Axis_Array count: the first
    # read has the wrong number of dimensions (error.array.bad_file_read)
    bad = array("UnsignedByte", 2, 4).replace("<axes>2</axes>", "<axes>1</axes>")
    assert _content_types(_label(tmp_path, bad)) == [READ]


def test_a_header_past_the_end_of_its_file_is_only_a_warning(tmp_path):
    # validate builds a Header (or Stream_Text) as a GenericObject from its offset and
    # object_length and reads none of it: no error whatever its length (pdsgen warns)
    header = ("<Header><offset unit='byte'>0</offset><object_length unit='byte'>2880</object_length>"
              "<parsing_standard_id>FITS 3.0</parsing_standard_id></Header>")
    got = [(f.type, f.severity) for f in run(tmp_path, header, b"SIMPLE  =", "h.fits")]
    assert got == [("warning.data.object_beyond_file", "warning")]
    assert run(tmp_path, header.replace("2880", "9"), b"SIMPLE  =", "h.fits") == []


def test_every_message_type_pdsgen_emits_has_a_rule_row():
    # docs/validate.md's "Rules, message by message" names each type pdsgen's sources emit
    import re

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "validate.md").read_text()
    rules = doc[doc.index("## Rules, message by message"):doc.index("### Types validate declares")]
    emitted = set()
    for src in (root / "pdsgen").rglob("*.py"):
        emitted |= set(re.findall(r"[\"']((?:error|warning|info)\.[a-z][a-z_0-9]*\.[A-Za-z_0-9.]+)[\"']",
                                  src.read_text()))
    assert {"error.array.bad_file_read", "warning.data.object_beyond_file"} <= emitted  # the scan sees them
    assert sorted(t for t in emitted if t not in rules) == []


def test_pds3_typed_constants_are_compared_by_their_value():
    # PDS3 labels give typed values (pvl): pdsgen writes them as the text that matches the
    # elements of that value (validate has no such PDS3 array rule)
    from pdsgen.validate.arrays import check_block, label_texts

    floats = np.array([-1e32, 5.0, 2000.0], dtype=">f4")
    texts = label_texts({"missing_constant": -1e32, "valid_maximum": 1000.0}, floats.dtype)
    assert texts == {"missing_constant": "-1.0E32", "valid_maximum": "1000.0"}
    steps = check_block(floats, texts, {}, None)
    assert [(s.type, np.flatnonzero(s.bad).tolist()) for s in steps] == [(VALID, [2])]
    ints = np.array([-32768, 5], dtype=">i2")
    texts = label_texts({"missing_constant": -32768.0, "valid_minimum": 0}, ints.dtype)
    assert texts == {"missing_constant": "-32768", "valid_minimum": "0"}
    assert [np.flatnonzero(s.bad).tolist() for s in check_block(ints, texts, {}, None)] == [[]]


def test_table_statistics_compare_the_stored_values_not_the_scaled_ones(tmp_path):
    # FieldValueValidator compares the field's value as the record holds it (pds4-jparser's
    # getString): scaling_factor and value_offset play no part in Field_Statistics or the
    # valid range, unlike an array's scaled statistics
    from test_validate_content import bin_table, fbin

    extra = ("<scaling_factor>100</scaling_factor><value_offset>5</value_offset>"
             "<Field_Statistics><maximum>10</maximum><minimum>0</minimum></Field_Statistics>")
    table = bin_table(2, 2, fbin(1, "N", 1, "SignedMSB2", 2, extra), 1)
    data = np.array([3, 11], dtype=">i2").tobytes()
    assert [(f.type, f.record) for f in run(tmp_path, table, data, "t.dat")] == [
        ("error.table.field_value_out_of_min_max_range", 2)]
    # a bit field: its unsigned value from the bits against its valid range, not scaled either
    bits = ("<Packed_Data_Fields><bit_fields>1</bit_fields><Field_Bit><name>B</name><start_bit_location>1"
            "</start_bit_location><data_type>UnsignedBitString</data_type><stop_bit_location>4</stop_bit_location>"
            "<scaling_factor>10</scaling_factor><Special_Constants><valid_maximum>9</valid_maximum>"
            "</Special_Constants></Field_Bit></Packed_Data_Fields>")  # (a Field_Bit has no Field_Statistics)
    table = bin_table(2, 1, fbin(1, "P", 1, "UnsignedByte", 1, bits), 1)
    data = bytes([0x90, 0xA0])  # high nibbles 9 and 10
    assert [(f.type, f.record) for f in run(tmp_path, table, data, "t.dat")] == [
        ("warning.table.field_value_out_of_special_constant_min_max_range", 2)]
