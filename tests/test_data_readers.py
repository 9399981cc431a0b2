"""Readers on synthetic PDS4 products: every data type, byte order, delimiter, group,
scaling and special constant. Expected values are built independently of pdsgen (with
Python's ``struct``, plain string formatting and integer arithmetic)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

import pdsgen
from pdsgen.data import physical_data
from pdsgen.errors import DataError, LabelError, PdsgenError, UnsupportedError

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1">
  <Identification_Area>
    <logical_identifier>urn:nasa:pds:test:data:{name}</logical_identifier>
    <version_id>1.2</version_id>
    <title>test {name}</title>
    <information_model_version>1.20.0.0</information_model_version>
    <product_class>Product_Observational</product_class>
  </Identification_Area>
  <Observation_Area>
    <Time_Coordinates>
      <start_date_time>2020-01-01T00:00:00Z</start_date_time>
      <stop_date_time>2020-01-02T00:00:00Z</stop_date_time>
    </Time_Coordinates>
    <Observing_System>
      <Observing_System_Component><name>Spacecraft</name><type>Host</type></Observing_System_Component>
      <Observing_System_Component><name>Test Camera</name><type>Instrument</type></Observing_System_Component>
    </Observing_System>
  </Observation_Area>
  <File_Area_Observational>
    <File><file_name>{file}</file_name></File>
{body}
  </File_Area_Observational>
</Product_Observational>
"""


def write_product(folder: Path, body: str, data: bytes, name: str = "p", suffix: str = ".xml") -> Path:
    data_file = folder / f"{name}.dat"
    data_file.write_bytes(data)
    label = folder / f"{name}{suffix}"
    label.write_text(HEAD.format(name=name, file=data_file.name, body=body))
    return label


def counts(fields: str) -> str:
    """``<fields>N</fields><groups>M</groups>`` for a record holding ``fields`` (direct children)."""
    from lxml import etree

    kids = [c.tag for c in etree.fromstring(f"<r>{fields}</r>")]
    n_fields = sum(t.startswith("Field_") for t in kids)
    n_groups = sum(t.startswith("Group_Field") for t in kids)
    return f"<fields>{n_fields}</fields><groups>{n_groups}</groups>"


def field_binary(name: str, dtype: str, location: int, length: int, extra: str = "") -> str:
    return (f"<Field_Binary><name>{name}</name><field_location unit='byte'>{location}</field_location>"
            f"<data_type>{dtype}</data_type><field_length unit='byte'>{length}</field_length>{extra}</Field_Binary>")


def field_character(name: str, dtype: str, location: int, length: int, extra: str = "") -> str:
    return (f"<Field_Character><name>{name}</name><field_location unit='byte'>{location}</field_location>"
            f"<data_type>{dtype}</data_type><field_length unit='byte'>{length}</field_length>"
            f"{extra}</Field_Character>")


def table_binary(records: int, record_length: int, fields: str, offset: int = 0) -> str:
    return (f"<Table_Binary><offset unit='byte'>{offset}</offset><records>{records}</records>"
            f"<Record_Binary>{counts(fields)}"
            f"<record_length unit='byte'>{record_length}</record_length>{fields}</Record_Binary></Table_Binary>")


def table_character(records: int, record_length: int, fields: str, offset: int = 0) -> str:
    return (f"<Table_Character><offset unit='byte'>{offset}</offset><records>{records}</records>"
            f"<record_delimiter>Carriage-Return Line-Feed</record_delimiter>"
            f"<Record_Character>{counts(fields)}"
            f"<record_length unit='byte'>{record_length}</record_length>{fields}</Record_Character>"
            f"</Table_Character>")


# --- binary numeric types --------------------------------------------------------------

BINARY_CASES = [  # PDS4 type, struct format, values
    ("SignedByte", "b", [-128, 0, 127]),
    ("UnsignedByte", "B", [0, 1, 255]),
    ("SignedMSB2", ">h", [-32768, -1, 32767]),
    ("SignedLSB2", "<h", [-32768, 2, 32767]),
    ("UnsignedMSB2", ">H", [0, 258, 65535]),
    ("UnsignedLSB2", "<H", [0, 258, 65535]),
    ("SignedMSB4", ">i", [-2**31, 16909060, 2**31 - 1]),
    ("SignedLSB4", "<i", [-2**31, 16909060, 2**31 - 1]),
    ("UnsignedMSB4", ">I", [0, 16909060, 2**32 - 1]),
    ("UnsignedLSB4", "<I", [0, 16909060, 2**32 - 1]),
    ("SignedMSB8", ">q", [-2**63, 72623859790382856, 2**63 - 1]),
    ("SignedLSB8", "<q", [-2**63, 72623859790382856, 2**63 - 1]),
    ("UnsignedMSB8", ">Q", [0, 72623859790382856, 2**64 - 1]),
    ("UnsignedLSB8", "<Q", [0, 72623859790382856, 2**64 - 1]),
    ("IEEE754MSBSingle", ">f", [-1.5, 0.0, 3.25e10]),
    ("IEEE754LSBSingle", "<f", [-1.5, 0.0, 3.25e10]),
    ("IEEE754MSBDouble", ">d", [-1.5e-300, 0.1, 6.02e23]),
    ("IEEE754LSBDouble", "<d", [-1.5e-300, 0.1, 6.02e23]),
]


@pytest.mark.parametrize("pds_type,fmt,values", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_numeric_types(tmp_path, pds_type, fmt, values):
    size = struct.calcsize(fmt)
    # Each record: 1 pad byte, the value, 2 pad bytes (odd offsets, so nothing is aligned).
    data = b"".join(b"\xaa" + struct.pack(fmt, v) + b"\xbb\xcc" for v in values)
    body = table_binary(len(values), size + 3, field_binary("V", pds_type, 2, size))
    obj = pdsgen.open(write_product(tmp_path, body, data))[0]
    got = obj.data["V"]
    expected = [struct.unpack(fmt, struct.pack(fmt, v))[0] for v in values]  # float32 rounding
    assert got.tolist() == expected


@pytest.mark.parametrize("pds_type,fmt", [("ComplexMSB8", ">ff"), ("ComplexLSB8", "<ff"),
                                          ("ComplexMSB16", ">dd"), ("ComplexLSB16", "<dd")])
def test_binary_complex_types(tmp_path, pds_type, fmt):
    pairs = [(1.5, -2.0), (0.0, 3.25), (-7.0, 0.5)]
    data = b"".join(struct.pack(fmt, *p) for p in pairs)
    body = table_binary(3, struct.calcsize(fmt), field_binary("Z", pds_type, 1, struct.calcsize(fmt)))
    got = pdsgen.open(write_product(tmp_path, body, data))[0].data["Z"]
    assert got.tolist() == [complex(*p) for p in pairs]


def test_binary_table_mixed_fields_with_ascii_and_bits(tmp_path):
    # record: ASCII_Integer(4) | UnsignedMSB2 with bit fields | ASCII_String(3) | SignedLSB2
    rows = [(12, 0b1011_0000_0000_0111, b"abc", -2), (-5, 0b0100_1111_1111_1000, b"x  ", 300)]
    data = b"".join(f"{a:4d}".encode() + struct.pack(">H", b) + c + struct.pack("<h", d) for a, b, c, d in rows)
    bits = ("<Packed_Data_Fields><bit_fields>3</bit_fields>"
            "<Field_Bit><name>top</name><start_bit_location>1</start_bit_location>"
            "<stop_bit_location>4</stop_bit_location><data_type>UnsignedBitString</data_type></Field_Bit>"
            "<Field_Bit><name>signed_mid</name><start_bit_location>2</start_bit_location>"
            "<stop_bit_location>5</stop_bit_location><data_type>SignedBitString</data_type></Field_Bit>"
            "<Field_Bit><name>low</name><start_bit_location>14</start_bit_location>"
            "<stop_bit_location>16</stop_bit_location><data_type>UnsignedBitString</data_type></Field_Bit>"
            "</Packed_Data_Fields>")
    fields = (field_binary("A", "ASCII_Integer", 1, 4) + field_binary("F", "UnsignedBitString", 5, 2, bits)
              + field_binary("S", "ASCII_String", 7, 3) + field_binary("D", "SignedLSB2", 10, 2))
    obj = pdsgen.open(write_product(tmp_path, table_binary(2, 11, fields), data))[0]
    d = obj.data
    assert d["A"].tolist() == [12, -5]
    assert d["S"].tolist() == [b"abc", b"x"]
    assert d["D"].tolist() == [-2, 300]

    def bitvalue(word: int, first: int, last: int, signed: bool) -> int:  # 1-based from MSB of 16 bits
        width = last - first + 1
        v = (word >> (16 - last)) & ((1 << width) - 1)
        return v - (1 << width) if signed and v >> (width - 1) else v

    assert d["top"].tolist() == [bitvalue(r[1], 1, 4, False) for r in rows]
    assert d["signed_mid"].tolist() == [bitvalue(r[1], 2, 5, True) for r in rows]
    assert d["low"].tolist() == [bitvalue(r[1], 14, 16, False) for r in rows]
    assert d["F"].tolist() == [struct.pack(">H", r[1]) for r in rows]


def test_binary_groups_nested_and_strided(tmp_path):
    # record = int16 id, then group of 2 × (uint8 flag, group of 3 × int16 sample) ; big endian
    rows = [(7, [(1, [10, 11, 12]), (2, [20, 21, 22])]), (8, [(3, [-1, -2, -3]), (4, [0, 1, 2])])]
    data = b"".join(struct.pack(">h", i) + b"".join(struct.pack(">B3h", f, *s) for f, s in g) for i, g in rows)
    inner = ("<Group_Field_Binary><name>samples</name><repetitions>3</repetitions><fields>1</fields>"
             "<groups>0</groups><group_location unit='byte'>2</group_location>"
             "<group_length unit='byte'>6</group_length>" + field_binary("S", "SignedMSB2", 1, 2)
             + "</Group_Field_Binary>")
    outer = ("<Group_Field_Binary><name>blocks</name><repetitions>2</repetitions><fields>1</fields>"
             "<groups>1</groups><group_location unit='byte'>3</group_location>"
             "<group_length unit='byte'>14</group_length>" + field_binary("FLAG", "UnsignedByte", 1, 1)
             + inner + "</Group_Field_Binary>")
    fields = field_binary("ID", "SignedMSB2", 1, 2) + outer
    obj = pdsgen.open(write_product(tmp_path, table_binary(2, 16, fields), data))[0]
    d = obj.data
    assert obj.field("S").shape == (2, 3) and obj.field("S").strides == (7, 2)
    assert d["ID"].tolist() == [7, 8]
    assert d["FLAG"].tolist() == [[f for f, _ in g] for _, g in rows]
    assert d["S"].tolist() == [[s for _, s in g] for _, g in rows]


def test_binary_contiguous_group_is_a_subarray_view(tmp_path):
    values = np.arange(12, dtype=">i4").reshape(3, 4)
    data = b"".join(b"\x01" + r.tobytes() for r in values)
    group = ("<Group_Field_Binary><name>g</name><repetitions>4</repetitions><fields>1</fields><groups>0</groups>"
             "<group_location unit='byte'>2</group_location><group_length unit='byte'>16</group_length>"
             + field_binary("V", "SignedMSB4", 1, 4) + "</Group_Field_Binary>")
    body = table_binary(3, 17, field_binary("B", "UnsignedByte", 1, 1) + group)
    d = pdsgen.open(write_product(tmp_path, body, data))[0].data
    assert d["V"].shape == (3, 4) and d["V"].tolist() == values.tolist()
    assert d["B"].tolist() == [1, 1, 1]


# --- character tables ---------------------------------------------------------------------

def test_character_table_types_blanks_and_groups(tmp_path):
    rows = [
        ("2020-001T00:00:00.000", "42", "1.5E+03", "abc", "true", "ff", "1", "2", "3"),
        ("2020-001T00:00:01.500", "-7", "-0.125", "de f", "false", "0A", "4", "", "6"),
        ("2020-001T00:00:03.000", "", "", "  x", "1", "10", "7", "8", "9"),
    ]
    lines = [f"{t:22s},{n:>4s},{x:>8s},{s_:5s},{b:5s},{h:>3s},{r1:>3s},{r2:>3s},{r3:>3s}\r\n"
             for t, n, x, s_, b, h, r1, r2, r3 in rows]
    width = len(lines[0])
    assert width == 66 and all(len(line) == width for line in lines)
    group = ("<Group_Field_Character><name>triple</name><repetitions>3</repetitions><fields>1</fields>"
             "<groups>0</groups><group_location unit='byte'>53</group_location>"
             "<group_length unit='byte'>12</group_length>"
             + field_character("R", "ASCII_Integer", 2, 3) + "</Group_Field_Character>")
    fields = (field_character("TIME", "ASCII_Date_Time_DOY", 1, 22)
              + field_character("N", "ASCII_Integer", 24, 4)
              + field_character("X", "ASCII_Real", 29, 8)
              + field_character("S", "ASCII_String", 38, 5)
              + field_character("B", "ASCII_Boolean", 44, 5)
              + field_character("H", "ASCII_Numeric_Base16", 50, 3) + group)
    obj = pdsgen.open(write_product(tmp_path, table_character(3, width, fields), "".join(lines).encode()))[0]
    d = obj.data
    assert d["TIME"].tolist() == [b"2020-001T00:00:00.000", b"2020-001T00:00:01.500", b"2020-001T00:00:03.000"]
    assert d["S"].tolist() == [b"abc", b"de f", b"x"]
    assert d["B"].tolist() == [True, False, True]
    assert d["H"].tolist() == [255, 10, 16]
    # blank numeric values are masked, never zeros
    assert isinstance(d, np.ma.MaskedArray)
    assert np.ma.getmaskarray(d)["N"].tolist() == [False, False, True]
    assert d["N"].data.tolist()[:2] == [42, -7]
    assert d["X"].data.tolist()[:2] == [1500.0, -0.125]
    assert np.ma.getmaskarray(d)["R"].tolist() == [[False] * 3, [False, True, False], [False] * 3]
    assert d["R"].data.tolist() == [[1, 2, 3], [4, 0, 6], [7, 8, 9]]
    table = obj.to_table()
    assert table["N"].mask.tolist() == [False, False, True]
    assert table["S"].tolist() == ["abc", "de f", "x"]


def test_character_real_parsing_is_exact(tmp_path):
    values = ["0.1", "-2.5e-3", "1e300", "123456789012345678", "  +7.", "3.0D0"[:3]]
    width = 20
    lines = [f"{v:>{width}}\r\n" for v in values]
    body = table_character(len(values), width + 2, field_character("V", "ASCII_Real", 1, width))
    got = pdsgen.open(write_product(tmp_path, body, "".join(lines).encode()))[0].data["V"]
    assert got.tolist() == [float(v) for v in values]


def test_character_bad_number_masked_with_warning_strict_raises(tmp_path):
    lines = [" 12\r\n", " 1x\r\n"]
    body = table_character(2, 5, field_character("COUNT", "ASCII_Integer", 1, 3))
    label = write_product(tmp_path, body, "".join(lines).encode())
    obj = pdsgen.open(label)[0]
    data = obj.data
    assert np.ma.getdata(data["COUNT"])[0] == 12 and np.ma.getmaskarray(data["COUNT"]).tolist() == [False, True]
    [warning] = obj.warnings
    assert (warning.field, warning.record, warning.value, warning.object) == ("COUNT", 2, "1x", obj.name)
    with pytest.raises(DataError, match=r"object .*field 'COUNT'.*record 2.*'1x'"):
        _ = pdsgen.open(label, strict=True)[0].data


# --- delimited tables ------------------------------------------------------------------------

def table_delimited(records: int, delimiter: str, fields: str, groups: str = "", length: int | None = None) -> str:
    size = f"<object_length unit='byte'>{length}</object_length>" if length is not None else ""
    return (f"<Table_Delimited><offset unit='byte'>0</offset>{size}<parsing_standard_id>PDS DSV 1"
            f"</parsing_standard_id><records>{records}</records>"
            f"<record_delimiter>Carriage-Return Line-Feed</record_delimiter>"
            f"<field_delimiter>{delimiter}</field_delimiter><Record_Delimited>{counts(fields + groups)}"
            f"{fields}{groups}</Record_Delimited></Table_Delimited>")


def field_delimited(name: str, dtype: str, extra: str = "") -> str:
    return f"<Field_Delimited><name>{name}</name><data_type>{dtype}</data_type>{extra}</Field_Delimited>"


@pytest.mark.parametrize("spelled,char", [("Comma", ","), ("Horizontal Tab", "\t"), ("Semicolon", ";"),
                                          ("Vertical Bar", "|")])
def test_delimited_tables(tmp_path, spelled, char):
    rows = [["1", '"a, b; c | d"', "2.5", "x1", "3", "4"],
            ["-2", '"plain"', "", "x2", "", "6"],
            ["30", "", "-1e3", "x3", "7", "8"]]
    text = "".join(char.join(r) + "\r\n" for r in rows) + "trailing note that is not a record\r\n"
    group = ("<Group_Field_Delimited><name>pair</name><repetitions>2</repetitions><fields>1</fields>"
             "<groups>0</groups>" + field_delimited("P", "ASCII_Integer") + "</Group_Field_Delimited>")
    fields = (field_delimited("I", "ASCII_Integer") + field_delimited("S", "ASCII_String")
              + field_delimited("R", "ASCII_Real", "<unit>km</unit>") + field_delimited("T", "ASCII_String"))
    obj = pdsgen.open(write_product(tmp_path, table_delimited(3, spelled, fields, group), text.encode()))[0]
    d = obj.data
    assert d["I"].tolist() == [1, -2, 30]
    assert d["S"].tolist() == [b"a, b; c | d", b"plain", b""]
    assert np.ma.getmaskarray(d)["R"].tolist() == [False, True, False]
    assert d["R"].data[[0, 2]].tolist() == [2.5, -1000.0]
    assert d["P"].data.tolist() == [[3, 4], [0, 6], [7, 8]]
    assert np.ma.getmaskarray(d)["P"].tolist() == [[False, False], [True, False], [False, False]]
    table = obj.to_table()
    assert str(table["R"].unit) == "km"
    assert table["R"].mask.tolist() == [False, True, False]


def test_delimited_short_file_is_an_error(tmp_path):
    body = table_delimited(3, "Comma", field_delimited("I", "ASCII_Integer"))
    obj = pdsgen.open(write_product(tmp_path, body, b"1\r\n2\r\n"))[0]
    with pytest.raises(DataError, match="2 records, the label says 3"):
        _ = obj.data


# --- arrays, scaling, special constants ---------------------------------------------------------

def array_xml(tag: str, dtype: str, shape: tuple[int, ...], offset: int = 0, element_extra: str = "",
              extra: str = "") -> str:
    axes = "".join(f"<Axis_Array><axis_name>a{i}</axis_name><elements>{n}</elements>"
                   f"<sequence_number>{i + 1}</sequence_number></Axis_Array>" for i, n in enumerate(shape))
    return (f"<{tag}><offset unit='byte'>{offset}</offset><axes>{len(shape)}</axes>"
            f"<axis_index_order>Last Index Fastest</axis_index_order>"
            f"<Element_Array><data_type>{dtype}</data_type>{element_extra}</Element_Array>{axes}{extra}</{tag}>")


@pytest.mark.parametrize("tag,dtype,npdtype,shape", [
    ("Array_1D", "SignedLSB4", "<i4", (7,)),
    ("Array_2D_Image", "UnsignedMSB2", ">u2", (3, 5)),
    ("Array_3D_Spectrum", "IEEE754MSBDouble", ">f8", (2, 3, 4)),
    ("Array_3D_Image", "IEEE754LSBSingle", "<f4", (2, 2, 3)),
    ("Array", "SignedByte", "i1", (2, 2, 2, 2)),
])
def test_arrays_keep_label_axis_order(tmp_path, tag, dtype, npdtype, shape):
    count = int(np.prod(shape))
    values = [(-1) ** i * i for i in range(count)]
    fmt = {"<i4": "<i", ">u2": ">H", ">f8": ">d", "<f4": "<f", "i1": "b"}[npdtype]
    raw = b"".join(struct.pack(fmt, abs(v) if fmt == ">H" else v) for v in values)
    obj = pdsgen.open(write_product(tmp_path, array_xml(tag, dtype, shape, offset=16), b"\0" * 16 + raw))[0]
    got = obj.data
    assert got.shape == shape
    # element (i, j, k) is value number i*(n1*n2) + j*n2 + k: last index fastest
    flat = [abs(v) if fmt == ">H" else v for v in values]
    assert got.reshape(-1).tolist() == flat
    assert got[(1,) + (0,) * (len(shape) - 1)] == flat[int(np.prod(shape[1:]))]


def test_array_scaling_and_special_constants(tmp_path):
    raw = struct.pack(">6h", 10, -32768, 20, 32767, 0, -5)
    sc = ("<Special_Constants><missing_constant>-32768</missing_constant>"
          "<saturated_constant>32767</saturated_constant><valid_minimum>-5</valid_minimum></Special_Constants>")
    body = array_xml("Array_2D_Image", "SignedMSB2", (2, 3),
                     element_extra="<unit>W/m**2/sr/nm</unit><scaling_factor>0.5</scaling_factor>"
                                   "<value_offset>100</value_offset>", extra=sc)
    obj = pdsgen.open(write_product(tmp_path, body, raw))[0]
    assert obj.data.tolist() == [[10, -32768, 20], [32767, 0, -5]]  # stored values untouched
    values = physical_data(obj)
    assert values.mask.tolist() == [[False, True, False], [True, False, False]]
    assert values.compressed().tolist() == [105.0, 110.0, 100.0, 97.5]
    table = obj.to_table()
    assert table.colnames == [obj.name]
    assert table[obj.name].unit is not None


def test_float_special_constant_given_as_bit_pattern(tmp_path):
    missing = struct.unpack(">f", bytes.fromhex("FF7FFFFB"))[0]
    raw = struct.pack(">3f", 1.0, missing, 2.0)
    body = array_xml("Array_1D", "IEEE754MSBSingle", (3,),
                     extra="<Special_Constants><missing_constant>0xFF7FFFFB</missing_constant></Special_Constants>")
    obj = pdsgen.open(write_product(tmp_path, body, raw))[0]
    assert physical_data(obj).mask.tolist() == [False, True, False]


def test_table_scaling_special_constants_and_units(tmp_path):
    raw = struct.pack(">3H", 1, 9999, 3)
    extra = ("<unit>K</unit><scaling_factor>2</scaling_factor><value_offset>-1</value_offset>"
             "<Special_Constants><missing_constant>9999</missing_constant></Special_Constants>")
    body = table_binary(3, 2, field_binary("T", "UnsignedMSB2", 1, 2, extra))
    obj = pdsgen.open(write_product(tmp_path, body, raw))[0]
    table = obj.to_table()
    assert str(table["T"].unit) == "K"
    assert table["T"].mask.tolist() == [False, True, False]
    assert table["T"].compressed().tolist() == [1.0, 5.0]


# --- headers, text, FITS ----------------------------------------------------------------------------

def test_header_and_stream_text(tmp_path):
    header = b"SIMPLE HEADER 1234"
    text = "line one\r\nline two\r\n"
    body = (f"<Header><offset unit='byte'>0</offset><object_length unit='byte'>{len(header)}</object_length>"
            f"<parsing_standard_id>7-Bit ASCII Text</parsing_standard_id></Header>"
            f"<Stream_Text><offset unit='byte'>{len(header)}</offset>"
            f"<object_length unit='byte'>{len(text)}</object_length>"
            f"<parsing_standard_id>7-Bit ASCII Text</parsing_standard_id>"
            f"<record_delimiter>Carriage-Return Line-Feed</record_delimiter></Stream_Text>")
    product = pdsgen.open(write_product(tmp_path, body, header + text.encode()))
    assert [o.kind for o in product] == ["header", "text"]
    assert product[0].data == header
    assert product[1].data == text


def test_fits_file_read_at_label_offsets(tmp_path):
    from astropy.io import fits

    image = (np.arange(12, dtype=">i2").reshape(3, 4) - 6)
    fits.PrimaryHDU(image).writeto(tmp_path / "img.fits")
    data = (tmp_path / "img.fits").read_bytes()
    body = ("<Header><offset unit='byte'>0</offset><object_length unit='byte'>2880</object_length>"
            "<parsing_standard_id>FITS 3.0</parsing_standard_id></Header>"
            + array_xml("Array_2D_Image", "SignedMSB2", (3, 4), offset=2880))
    label = write_product(tmp_path, body, data, name="img")
    product = pdsgen.open(label)
    assert product[0].data.startswith(b"SIMPLE  =")
    with fits.open(tmp_path / "img.fits") as hdul:
        assert np.array_equal(product[1].data, hdul[0].data)
    assert product[1].warnings == []  # label and FITS header agree


def test_fits_header_disagreeing_with_label_is_reported(tmp_path):
    from astropy.io import fits

    fits.PrimaryHDU(np.arange(4, dtype=">f8")).writeto(tmp_path / "img.fits")
    data = (tmp_path / "img.fits").read_bytes()
    body = array_xml("Array_1D", "IEEE754MSBSingle", (8,), offset=2880)  # label: 8 float32
    obj = pdsgen.open(write_product(tmp_path, body, data, name="img"))[0]
    raw = np.frombuffer(data[2880:2880 + 32], dtype=">f4")
    assert np.array_equal(obj.data, raw)  # read as the label says (the label is the authority)
    problems = [w.message for w in obj.warnings]
    assert any("axes (4,), the label (8,)" in p for p in problems)
    assert any("BITPIX -64" in p for p in problems)


# --- product level, bad input -----------------------------------------------------------------------------

def test_product_identification_and_lblx(tmp_path):
    body = array_xml("Array_1D", "UnsignedByte", (3,))
    product = pdsgen.open(write_product(tmp_path, body, b"\1\2\3", suffix=".lblx"))
    assert product.standard == "PDS4"
    assert product.lid == "urn:nasa:pds:test:data:p"
    assert product.vid == "1.2"
    assert product.lidvid == "urn:nasa:pds:test:data:p::1.2"
    assert product.start_time == "2020-01-01T00:00:00Z"
    assert product.stop_time == "2020-01-02T00:00:00Z"
    assert product.instrument == "Test Camera"
    assert product.product_class == "Product_Observational"
    assert product.information_model_version == "1.20.0.0"
    assert product[0].data.tolist() == [1, 2, 3]


def test_malformed_xml_gives_line_and_column(tmp_path):
    label = tmp_path / "bad.xml"
    label.write_text('<?xml version="1.0"?>\n<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1">\n'
                     "  <Identification_Area>\n</Product_Observational>\n")
    with pytest.raises(LabelError) as info:
        pdsgen.open(label)
    assert info.value.line == 4
    assert str(info.value).startswith(f"{label}:4:")


def test_short_file_names_file_object_and_sizes(tmp_path):
    body = table_binary(10, 4, field_binary("V", "SignedMSB4", 1, 4))
    label = write_product(tmp_path, body, b"\0" * 20)
    obj = pdsgen.open(label)[0]
    with pytest.raises(DataError) as info:
        _ = obj.data
    message = str(info.value)
    assert "p.dat" in message and "object 'Table_Binary_1'" in message
    assert "needs bytes 0..40" in message and "has 20 bytes" in message


def test_field_beyond_record_length(tmp_path):
    body = table_binary(1, 4, field_binary("V", "SignedMSB4", 3, 4))
    obj = pdsgen.open(write_product(tmp_path, body, b"\0" * 4))[0]
    with pytest.raises(LabelError, match="field 'V'.*beyond the record length 4"):
        _ = obj.data


def test_unknown_data_type(tmp_path):
    body = table_binary(1, 4, field_binary("V", "SignedMSB3", 1, 4))
    obj = pdsgen.open(write_product(tmp_path, body, b"\0" * 4))[0]
    with pytest.raises(UnsupportedError, match="unknown data type 'SignedMSB3'"):
        _ = obj.data
    body = array_xml("Array_1D", "Float128", (1,))
    obj = pdsgen.open(write_product(tmp_path, body, b"\0" * 16, name="q"))[0]
    with pytest.raises(UnsupportedError, match="Float128"):
        _ = obj.data


def test_partly_readable_product_still_opens(tmp_path):
    body = (array_xml("Array_1D", "UnsignedByte", (2,))
            + "<Table_Binary><offset unit='byte'>0</offset><Record_Binary></Record_Binary></Table_Binary>")
    product = pdsgen.open(write_product(tmp_path, body, b"\1\2"))
    assert product[0].data.tolist() == [1, 2]
    with pytest.raises(LabelError, match="records"):
        _ = product[1].data


def test_missing_data_file_is_reported_on_read(tmp_path):
    label = write_product(tmp_path, array_xml("Array_1D", "UnsignedByte", (2,)), b"\1\2")
    (tmp_path / "p.dat").unlink()
    product = pdsgen.open(label)
    with pytest.raises(PdsgenError, match="does not exist"):
        _ = product[0].data


def test_encoded_objects_are_other(tmp_path):
    body = ("<Encoded_Image><offset unit='byte'>0</offset><encoding_standard_id>JPEG</encoding_standard_id>"
            "</Encoded_Image>")
    product = pdsgen.open(write_product(tmp_path, body, b"\xff\xd8"))
    assert product[0].kind == "other"
    with pytest.raises(UnsupportedError):
        _ = product[0].data


def test_character_record_length_mismatch_is_reported(tmp_path):
    lines = " 1\r\n 2\r\n 3\r\n"
    body = table_character(3, 3, field_character("V", "ASCII_Integer", 1, 2))  # really 4-byte records
    obj = pdsgen.open(write_product(tmp_path, body, lines.encode()))[0]
    with pytest.raises(DataError, match=r"record 1 does not end with .*record_length 3"):
        _ = obj.data


def test_delimited_blanks_around_quotes_and_numbers(tmp_path):
    body = table_delimited(2, "Comma", field_delimited("I", "ASCII_Integer") + field_delimited("S", "ASCII_String")
                           + field_delimited("R", "ASCII_Real"))
    obj = pdsgen.open(write_product(tmp_path, body, b'1, "a b" ,2.5\r\n 2 ,"x",  \r\n'))[0]
    d = obj.data
    assert d["I"].tolist() == [1, 2]
    assert d["S"].tolist() == [b"a b", b"x"]
    assert np.ma.getmaskarray(d)["R"].tolist() == [False, True]


def test_delimited_other_text_types(tmp_path):
    fields = (field_delimited("H", "ASCII_Numeric_Base16") + field_delimited("B", "ASCII_Boolean")
              + field_delimited("U", "ASCII_NonNegative_Integer") + field_delimited("T", "UTF8_Text_Preserved"))
    text = "ff,true,18446744073709551615,caf\u00e9\r\n0a,false,,\u00e0 la\r\n"
    obj = pdsgen.open(write_product(tmp_path, table_delimited(2, "Comma", fields), text.encode()))[0]
    d = obj.data
    assert d["H"].tolist() == [255, 10]
    assert d["B"].tolist() == [True, False]
    assert d["U"].data.tolist()[0] == 2**64 - 1 and np.ma.getmaskarray(d)["U"].tolist() == [False, True]
    assert d["T"].tolist() == ["caf\u00e9", "\u00e0 la"]


def test_fits_layout_reads_the_hdu_at_the_offset(tmp_path):
    from astropy.io import fits

    from pdsgen.model import Axis, DataObject

    primary = fits.PrimaryHDU(np.zeros((2, 2), dtype=">i2"))
    image = fits.ImageHDU((np.arange(6, dtype=">f4") * 1.5).reshape(2, 3))
    fits.HDUList([primary, image]).writeto(tmp_path / "two.fits")
    with fits.open(tmp_path / "two.fits") as hdul:
        offset = hdul[1].fileinfo()["datLoc"]
    obj = DataObject(name="IMAGE", kind="array", layout="fits", file=tmp_path / "two.fits", offset=offset,
                     label_type="IMAGE", axes=[Axis("LINE", 2), Axis("SAMPLE", 3)])
    assert obj.data.tolist() == [[0.0, 1.5, 3.0], [4.5, 6.0, 7.5]]
    obj = DataObject(name="IMAGE", kind="header", layout="fits", file=tmp_path / "two.fits", offset=offset + 1,
                     label_type="IMAGE")
    with pytest.raises(DataError, match="no FITS HDU starts at byte"):
        _ = obj.data


def test_threaded_and_serial_column_decoding_agree(tmp_path, monkeypatch):
    import pdsgen.data.fixed as fixed

    rows = [(i, i * 0.25, f"s{i}") for i in range(-50, 50)]
    text = "".join(f"{a:6d}{b:10.3f} {c:6s}\r\n" for a, b, c in rows).encode()
    fields = (field_character("A", "ASCII_Integer", 1, 6) + field_character("B", "ASCII_Real", 7, 10)
              + field_character("C", "ASCII_String", 18, 6))
    label = write_product(tmp_path, table_character(len(rows), 25, fields), text)
    monkeypatch.setattr(fixed, "PARALLEL_BYTES", 1 << 62)
    serial = pdsgen.open(label)[0].data
    monkeypatch.setattr(fixed, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(fixed, "PARALLEL_CPUS", 1)
    threaded = pdsgen.open(label)[0].data
    assert serial.tolist() == threaded.tolist()
    assert serial["A"].tolist() == [a for a, _, _ in rows]
    assert serial["B"].tolist() == [float(f"{b:.3f}") for _, b, _ in rows]
    assert serial["C"].tolist() == [c.encode() for _, _, c in rows]


def test_first_index_fastest_arrays(tmp_path):
    raw = struct.pack("<6h", 1, 2, 3, 4, 5, 6)  # first index fastest: (0,0),(1,0),(0,1),(1,1),(0,2),(1,2)
    body = array_xml("Array_2D", "SignedLSB2", (2, 3)).replace("Last Index Fastest", "First Index Fastest")
    got = pdsgen.open(write_product(tmp_path, body, raw))[0].data
    assert got.tolist() == [[1, 3, 5], [2, 4, 6]]


@pytest.mark.parametrize("table", ["binary", "character"])
def test_zero_record_tables_read_as_empty(tmp_path, table):
    # A table with no record is valid (an empty calibration table, an empty event list):
    # it reads as an empty structured array with the label's fields, not an error.
    if table == "binary":
        body = table_binary(0, 12, field_binary("A", "IEEE754MSBSingle", 5, 4)
                            + field_binary("C", "UnsignedMSB2", 9, 2))
    else:
        body = table_character(0, 8, field_character("A", "ASCII_Real", 1, 6))
    obj = pdsgen.open(write_product(tmp_path, body, b""))[0]
    data = obj.data
    assert len(data) == 0
    assert list(data.dtype.names) == (["A", "C"] if table == "binary" else ["A"])
    assert len(obj.to_table()) == 0
