"""`pdsgen migrate` on PDS3 keyword semantics (issue 18's unseen set), sixth round: the
commonest real products by volume, in combinations the earlier rounds did not make —
attached-label EDR images (``^IMAGE = n`` records after LABEL_RECORDS, RECORD_BYTES the line
length, a VICAR IMAGE_HEADER before the image, LINE_SUFFIX_BYTES, a HISTOGRAM after), an
IMAGE with a BROWSE/THUMBNAIL image in one file, PC_REAL images with the ISIS specials and
OFFSET/SCALING_FACTOR, INDEX.LBL-style index tables, an ASCII TABLE whose ROW_BYTES counts
the CR LF and whose last CHARACTER column is blank-padded.

Method of the fourth and fifth rounds: each value checked against the test's own
computation from the bytes it wrote, read back through pds4_tools (scaled and masked,
and unscaled) and through pdsgen's PDS3 reading.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_migcover6 import assert_array, pds3
from test_migcover6 import ctx_file as ctx_file
from test_migrate import ident, texts
from test_migrate_kinds import pds4_read
from test_migrate_realworld import attached, col, migrated, table_label


def text(x: bytes | str) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


VICAR = b"LBLSIZE=40  FORMAT='BYTE'  TYPE='IMAGE'"


def edr_label(lr: int, *, lines: int, samples: int, nbytes: int, stype: str, suffix: int, hdr_recs: int,
              hist_type: str) -> str:
    rb = samples * nbytes + suffix
    img_recs = lines
    return ident("EDR_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {lr + hdr_recs + img_recs + -(-256 * 4 // rb)}
LABEL_RECORDS = {lr}
^IMAGE_HEADER = {lr + 1}
^IMAGE = {lr + hdr_recs + 1}
^HISTOGRAM = {lr + hdr_recs + img_recs + 1}
OBJECT = IMAGE_HEADER
  HEADER_TYPE = VICAR2
  INTERCHANGE_FORMAT = ASCII
  BYTES = {hdr_recs * rb}
  RECORDS = {hdr_recs}
END_OBJECT = IMAGE_HEADER
OBJECT = IMAGE
  LINES = {lines}
  LINE_SAMPLES = {samples}
  SAMPLE_TYPE = {stype}
  SAMPLE_BITS = {nbytes * 8}
  LINE_SUFFIX_BYTES = {suffix}
  LINE_PREFIX_BYTES = 0
END_OBJECT = IMAGE
OBJECT = HISTOGRAM
  ITEMS = 256
  ITEM_TYPE = {hist_type}
  ITEM_BYTES = 4
END_OBJECT = HISTOGRAM
END
"""


@pytest.mark.parametrize(("dtype", "stype", "htype"), [
    ("u1", "UNSIGNED_INTEGER", "VAX_UNSIGNED_INTEGER"),
    ("<u2", "LSB_UNSIGNED_INTEGER", "LSB_INTEGER"),
    (">i2", "MSB_INTEGER", "MSB_UNSIGNED_INTEGER"),
])
@pytest.mark.parametrize("suffix", [0, 6])
def test_attached_edr_vicar_header_line_suffix_and_histogram(tmp_path, ctx_file, dtype, stype, htype, suffix):
    """Viking/Voyager/Galileo/MGS EDR style: one .IMG with the attached label (LABEL_RECORDS),
    a VICAR IMAGE_HEADER of two records, the image by record number (RECORD_BYTES = one
    line with its LINE_SUFFIX_BYTES), a 256-bin HISTOGRAM after the image (PDS3 SR A.14
    HISTOGRAM, A.15 IMAGE: a line is LINE_PREFIX_BYTES + LINE_SAMPLES × SAMPLE_BITS/8 +
    LINE_SUFFIX_BYTES)."""
    lines, samples = 5, 7
    nbytes = np.dtype(dtype).itemsize
    rb = samples * nbytes + suffix
    hdr_recs = -(-len(VICAR) // rb)
    rng = np.random.default_rng(3)
    hi = 255 if dtype == "u1" else 4000
    img = rng.integers(0, hi, size=(lines, samples)).astype(dtype)
    if dtype == ">i2":
        img[0, 0], img[4, 6] = -1, -300
    suf = (np.arange(lines * suffix) % 251 + 1).astype("u1").reshape(lines, suffix)
    hist = rng.integers(0, 100000, size=256).astype("<u4" if htype.startswith(("VAX", "LSB")) else ">u4")
    lab = attached(lambda lr: edr_label(lr, lines=lines, samples=samples, nbytes=nbytes, stype=stype, suffix=suffix,
                                        hdr_recs=hdr_recs, hist_type=htype), rb)
    body = b"".join(img[i].tobytes() + suf[i].tobytes() for i in range(lines))
    data = lab + VICAR.ljust(hdr_recs * rb, b" ") + body + hist.tobytes()
    r, t = migrated(tmp_path, ctx_file, {"E.IMG": data}, "E.IMG")
    lr = len(lab) // rb
    s = pds4_read(r.pds4_label)
    if suffix:  # a Table_Binary of stored lines (PDS4 arrays cannot skip bytes between lines)
        assert texts(t, "//p:Table_Binary[p:name='IMAGE']/p:offset") == [str((lr + hdr_recs) * rb)]
        assert texts(t, "//p:Table_Binary[p:name='IMAGE']//p:record_length") == [str(rb)]
        got = np.asarray(s["IMAGE"]["SAMPLE"]).reshape(lines, samples)
        assert np.asarray(s["IMAGE"]["LINE_SUFFIX_BYTE"]).reshape(lines, suffix).tolist() == suf.tolist()
    else:
        assert texts(t, "//p:Array_2D_Image[p:name='IMAGE']/p:offset") == [str((lr + hdr_recs) * rb)]
        got = np.asarray(s["IMAGE"].data)
    assert got.tolist() == img.tolist()
    data3, _ = pds3(tmp_path / "in" / "E.IMG", "IMAGE")
    assert np.asarray(data3).tolist() == img.tolist()
    h = np.asarray(s["HISTOGRAM"].data).reshape(-1)
    assert h.tolist() == hist.tolist()
    h3, _ = pds3(tmp_path / "in" / "E.IMG", "HISTOGRAM")
    assert np.asarray(h3).reshape(-1).tolist() == hist.tolist()
    hdr = texts(t, "//p:Header/p:offset")
    assert hdr == [str(lr * rb)]


def test_image_and_browse_image_in_one_attached_file(tmp_path, ctx_file):
    """MER/MSL/Mars Express EDR style: an attached label, an IMAGE and a BROWSE_IMAGE /
    THUMBNAIL_IMAGE (each its own size and sample type) by record number in one file."""
    rb = 16
    img = (np.arange(6 * 8).reshape(6, 8) * 37 % 4096).astype(">i2")
    thumb = (np.arange(3 * 4).reshape(3, 4) * 21 % 256).astype("u1")

    def label(lr: int) -> str:
        return ident("BR_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {lr + 6 + 1}
LABEL_RECORDS = {lr}
^IMAGE = {lr + 1}
^THUMBNAIL_IMAGE = {lr + 7}
OBJECT = IMAGE
  LINES = 6
  LINE_SAMPLES = 8
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
END_OBJECT = IMAGE
OBJECT = THUMBNAIL_IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = THUMBNAIL_IMAGE
END
"""
    lab = attached(label, rb)
    lr = len(lab) // rb
    r, t = migrated(tmp_path, ctx_file, {"B.IMG": lab + img.tobytes() + thumb.tobytes().ljust(rb, b"\0")}, "B.IMG")
    offsets = dict(zip(texts(t, "//p:Array_2D_Image/p:name"), texts(t, "//p:Array_2D_Image/p:offset"), strict=True))
    assert offsets == {"IMAGE": str(lr * rb), "THUMBNAIL_IMAGE": str((lr + 6) * rb)}
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["IMAGE"].data).tolist() == img.tolist()
    assert np.asarray(s["THUMBNAIL_IMAGE"].data).tolist() == thumb.tolist()
    for name, want in (("IMAGE", img), ("THUMBNAIL_IMAGE", thumb)):
        assert np.asarray(pds3(tmp_path / "in" / "B.IMG", name)[0]).tolist() == want.tolist()


#: ISIS3 special pixels of 32-bit reals as bit patterns (LROC CDR / HiRISE RDR IMAGE labels)
ISIS_F4 = {"VALID_MINIMUM": 0xFF7FFFFA, "NULL": 0xFF7FFFFB, "LOW_REPR_SATURATION": 0xFF7FFFFC,
           "LOW_INSTR_SATURATION": 0xFF7FFFFD, "HIGH_INSTR_SATURATION": 0xFF7FFFFE, "HIGH_REPR_SATURATION": 0xFF7FFFFF}


#: ISIS3 special pixels of 16-bit integers (ISIS3 export of LSB_INTEGER images)
ISIS_I2 = {"VALID_MINIMUM": -32752, "NULL": -32768, "LOW_REPR_SATURATION": -32767, "LOW_INSTR_SATURATION": -32766,
           "HIGH_INSTR_SATURATION": -32765, "HIGH_REPR_SATURATION": -32764}


@pytest.mark.parametrize(("dtype", "stype", "specials"), [("<f4", "PC_REAL", ISIS_F4), ("<i2", "LSB_INTEGER", ISIS_I2)])
def test_isis_image_with_special_pixels_and_scaling(tmp_path, ctx_file, dtype, stype, specials):
    """LROC NAC CDR / HiRISE / THEMIS RDR style (ISIS3's PDS export): a PC_REAL or
    LSB_INTEGER IMAGE whose ISIS special pixels are given as ``NULL``, the four saturations
    and VALID_MINIMUM — for reals as based-integer bit patterns (``NULL = 16#FF7FFFFB#``;
    PDS3 SR 12.3.1.2) — with OFFSET and SCALING_FACTOR (PDS3 SR A.15: physical = OFFSET +
    SCALING_FACTOR × stored). The five specials masked, the valid values scaled."""
    stored = np.arange(1, 31).astype(dtype).reshape(5, 6)
    for k, key in enumerate(["NULL", "LOW_REPR_SATURATION", "LOW_INSTR_SATURATION", "HIGH_INSTR_SATURATION",
                             "HIGH_REPR_SATURATION"]):
        if dtype == "<f4":
            stored.reshape(-1)[k * 6 + k] = np.array([specials[key]], "<u4").view("<f4")[0]
        else:
            stored.reshape(-1)[k * 6 + k] = specials[key]
    bits = stored.view("<u4") if dtype == "<f4" else stored
    nbytes = stored.itemsize
    fmt = (lambda v: f"16#{v:08X}#") if dtype == "<f4" else str
    keys = "".join(f"  {k} = {fmt(v)}\n" for k, v in specials.items())
    lbl = ident("IS_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {6 * nbytes}
FILE_RECORDS = 5
^IMAGE = "F.IMG"
OBJECT = IMAGE
  LINES = 5
  LINE_SAMPLES = 6
  SAMPLE_TYPE = {stype}
  SAMPLE_BITS = {8 * nbytes}
  OFFSET = 2.5
  SCALING_FACTOR = 0.5
  UNIT = "W / (m**2 micrometer sr)"
{keys}END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"F.IMG": stored.tobytes(), "F.LBL": lbl}, "F.LBL")
    special = np.isin(bits, [v for k, v in specials.items() if k != "VALID_MINIMUM"])
    assert special.sum() == 5
    assert texts(t, "//p:Element_Array/p:scaling_factor") == ["0.5"]
    assert texts(t, "//p:Element_Array/p:value_offset") == ["2.5"]
    assert_array(r.pds4_label, "IMAGE", stored, special, 2.5 + 0.5 * stored.astype(float), tmp_path / "in" / "F.LBL")


def index_label(quoted_time: bool) -> tuple[str, str, list[tuple[str, str, float, str]]]:
    """An INDEX.LBL / INDEX.TAB pair: quoted strings whose quotes lie inside each column's
    bytes (START_BYTE at the quote, BYTES counting both), a number, a time (quoted or not)."""
    vals = [("VOL_0001", "DATA/ORB1/F001.IMG", 12.5, "2001-01-01T00:00:00"),
            ("VOL_0001", 'DATA/ORB2/F"2"_LONGER.IMG', -300.25, "2001-02-03T04:05:06"),
            ("VOL_0002", "X.IMG", 0.0, "2002-12-31T23:59:59")]
    q = '"' if quoted_time else " "
    recs = [f'"{v:<9}","{f:<28}",{a:7.2f},{q}{t}{q}' for v, f, a, t in vals]
    rb = len(recs[0]) + 2
    cols = (col("VOLUME_ID", "CHARACTER", 1, 11) + col("FILE_SPECIFICATION_NAME", "CHARACTER", 13, 30)
            + col("EMISSION_ANGLE", "ASCII_REAL", 44, 7, '    FORMAT = "F7.2"\n')
            + col("START_TIME", "TIME", 52, 21))
    lbl = (table_label("IDX", cols, file="INDEX.TAB", rows=3, row_bytes=rb, fmt="ASCII", obj="INDEX_TABLE")
           .replace("TARGET_NAME = MARS\n", "").replace('PRODUCT_ID = "IDX"\n', 'INDEX_TYPE = SINGLE\n'))
    return lbl, "".join(x + "\r\n" for x in recs), vals


def test_index_table_with_quoted_strings_and_no_target(tmp_path, ctx_file):
    """INDEX.LBL style (PDS3 SR 17.2, A.20 INDEX_TABLE): ^INDEX_TABLE, ASCII rows of
    comma-separated quoted strings whose quotes are inside the columns' bytes (round 4's
    decision: the bytes are the field, quotes kept, on both sides), a number, no
    TARGET_NAME: a Product_Ancillary."""
    lbl, tab, vals = index_label(quoted_time=False)
    r, t = migrated(tmp_path, ctx_file, {"INDEX.TAB": tab, "INDEX.LBL": lbl}, "INDEX.LBL")
    assert t.getroot().tag.endswith("Product_Ancillary")
    s = pds4_read(r.pds4_label)["INDEX_TABLE"]
    assert [str(x).strip() for x in np.asarray(s["VOLUME_ID"])] == [f'"{v[0]:<9}"' for v in vals]
    assert [str(x).strip() for x in np.asarray(s["FILE_SPECIFICATION_NAME"])] == [f'"{v[1]:<28}"' for v in vals]
    assert np.asarray(s["EMISSION_ANGLE"]).tolist() == [12.5, -300.25, 0.0]
    assert [str(x).strip() for x in np.asarray(s["START_TIME"])] == [v[3] for v in vals]
    mine = pds3(tmp_path / "in" / "INDEX.LBL", "INDEX_TABLE")[0]
    assert [text(x) for x in np.asarray(mine["FILE_SPECIFICATION_NAME"])] == [f'"{v[1]:<28}"' for v in vals]
    assert np.asarray(mine["EMISSION_ANGLE"]).tolist() == [12.5, -300.25, 0.0]


def test_ascii_table_row_bytes_with_crlf_and_blank_padded_last_column(tmp_path, ctx_file):
    """ROW_BYTES counting the CR LF (PDS3 SR A.29 TABLE: ROW_BYTES is the whole record), the
    last column CHARACTER padded with blanks up to the CR LF (its BYTES excluding it):
    the strings read without the padding being confused with the line end."""
    recs = ["  1, 3.25,abc       ", " 22,-1.50,de f      ", "333, 0.00,          "]
    rb = len(recs[0]) + 2
    cols = (col("N", "ASCII_INTEGER", 1, 3) + col("X", "ASCII_REAL", 5, 5)
            + col("NOTE", "CHARACTER", 11, 10))
    lbl = table_label("CR_1", cols, file="C.TAB", rows=3, row_bytes=rb, fmt="ASCII", record_bytes=rb)
    r, t = migrated(tmp_path, ctx_file, {"C.TAB": "".join(x + "\r\n" for x in recs), "C.LBL": lbl}, "C.LBL")
    assert texts(t, "//p:Record_Character/p:record_length") == [str(rb)]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["N"]).tolist() == [1, 22, 333]
    assert np.asarray(s["X"]).tolist() == [3.25, -1.5, 0.0]
    assert [str(x).rstrip() for x in np.asarray(s["NOTE"])] == ["abc", "de f", ""]
    mine = pds3(tmp_path / "in" / "C.LBL", "TABLE")[0]
    assert [text(x).rstrip() for x in np.asarray(mine["NOTE"])] == ["abc", "de f", ""]
    assert np.asarray(mine["N"]).tolist() == [1, 22, 333]


def test_index_table_quoted_time_column_is_text(tmp_path, ctx_file):
    """A TIME column whose BYTES count its quotes (``"2001-01-01T00:00:00"``): quotes kept
    as the field's bytes are no ASCII_Date_Time_YMD (validate refused the label before), so
    the column is ASCII_String with the same text, a note, like other date/time values no
    PDS4 date type takes; the text reads back equal, quotes included, through pds4_tools."""
    lbl, tab, vals = index_label(quoted_time=True)
    r, t = migrated(tmp_path, ctx_file, {"INDEX.TAB": tab, "INDEX.LBL": lbl}, "INDEX.LBL")
    assert texts(t, "//p:Field_Character[p:name='START_TIME']/p:data_type") == ["ASCII_String"]
    assert any("field 'START_TIME'" in n and "described as ASCII_String" in n for n in r.notes)
    s = pds4_read(r.pds4_label)["INDEX_TABLE"]
    assert [str(x).strip() for x in np.asarray(s["START_TIME"])] == [f'"{v[3]}"' for v in vals]


def test_missing_constant_wins_over_null(tmp_path, ctx_file):
    """A label giving both MISSING_CONSTANT and NULL: MISSING_CONSTANT is the PDS3 Data
    Dictionary keyword, so it is the missing constant; NULL's value is no special value."""
    stored = np.array([[0, 1, 255], [7, 0, 255]], dtype="u1")
    lbl = ident("MN_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 3
FILE_RECORDS = 2
^IMAGE = "M.IMG"
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
  NULL = 0
  MISSING_CONSTANT = 255
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"M.IMG": stored.tobytes(), "M.LBL": lbl}, "M.LBL")
    assert texts(t, "//p:Special_Constants/p:missing_constant") == ["255"]
    assert_array(r.pds4_label, "IMAGE", stored, stored == 255, stored.astype(float), tmp_path / "in" / "M.LBL")
