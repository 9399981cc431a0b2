"""`pdsgen migrate` on PDS3 label structures of real archives, third round (issue 18's unseen
set): Small Bodies Node ground-based data (FITS files described by PDS3 labels, IHW/IRTF
spectra, lightcurves, shape models), PPI time series (many columns, time precisions, SCLK
strings, CDF-derived binary tables), Imaging node products (VICAR-labelled images with
detached labels, ISIS-exported images with special pixels, HiRISE/MOC/Magellan/Voyager/
Cassini styles), Geosciences/Atmospheres tables (MOLA MEGDR, Viking Lander, Pioneer Venus,
Pathfinder ASIMET) and ODL spellings of old volumes.

Public PDS3 labels and pdr's quirk modules were read for their structure only; every
product here is written by the test — the label in the archive's style, the bytes from
numpy arrays or text the test holds — so the expected values never come from pdsgen's
readers. A product that migrates has validated with 0 errors and read back equal through
pdsgen's PDS3 reading, pdsgen's PDS4 reading and pds4_tools inside `migrate`; the tests
also compare pds4_tools' values with the values written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_migrate import CONTEXT, ident, texts
from test_migrate_kinds import pds4_read
from test_migrate_realworld import col, migrated, product, table_label
from test_migrate_realworld2 import (
    ascii_product,
    ascii_rows,
    bcols,
    binary,
    pds4_raw,
    strings,
    values,
)

import pdsgen


@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    """The registered context products of the test mission."""
    (tmp_path / "context.json").write_text(json.dumps(CONTEXT))
    return tmp_path / "context.json"


def fits_block(*cards: str) -> bytes:
    """A FITS header of ``cards`` then END, padded to a 2880-byte block."""
    return "".join(c.ljust(80) for c in [*cards, "END"]).ljust(2880).encode()


def table_object(name: str, cols: str, *, rows: int, row_bytes: int, fmt: str = "ASCII") -> str:
    """An OBJECT block of a table (``cols`` its COLUMN objects) for a label built here."""
    return (f"OBJECT = {name}\n  INTERCHANGE_FORMAT = {fmt}\n  ROWS = {rows}\n  ROW_BYTES = {row_bytes}\n"
            f"  COLUMNS = {cols.count('OBJECT = COLUMN')}\n{cols}END_OBJECT = {name}\n")


def fits_header_object(name: str) -> str:
    """A HEADER object of one 2880-byte FITS header block, for a label built here."""
    return f"OBJECT = {name}\n  HEADER_TYPE = FITS\n  BYTES = 2880\nEND_OBJECT = {name}\n"


def pad2880(data: bytes) -> bytes:
    return data.ljust(-(-len(data) // 2880) * 2880, b"\0")


# --------------------------------------------------------------------------- Small Bodies Node


def test_sbn_fits_primary_header_then_binary_table_extension(tmp_path, ctx_file):
    """SBN ground-based photometry in FITS: a primary header with no data, the extension's
    header, then a BINTABLE of big-endian rows (JD double, magnitude and error singles, a
    filter name) padded to 2880 bytes — ^PRIMARY_HEADER, ^TABLE_HEADER, ^TABLE by record."""
    rows = np.zeros(4, dtype=[("JD", ">f8"), ("MAG", ">f4"), ("ERR", ">f4"), ("FILTER", "S2")])
    rows["JD"] = [2451545.0, 2451545.125, 2451545.25, 2451545.375]
    rows["MAG"], rows["ERR"], rows["FILTER"] = [14.25, 14.5, 14.125, 99.0], [0.01, 0.02, 0.03, 0.0], b"R "
    prim = fits_block("SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0",
                      "EXTEND  =                    T")
    ext = fits_block("XTENSION= 'BINTABLE'", "BITPIX  =                    8", "NAXIS   =                    2",
                     "NAXIS1  =                   18", "NAXIS2  =                    4", "TFIELDS =                    4")
    cols = bcols(rows.dtype, types={"JD": "IEEE_REAL", "MAG": "IEEE_REAL", "ERR": "IEEE_REAL"},
                 extra={"MAG": '    UNIT = "MAGNITUDE"\n    MISSING_CONSTANT = 99.0\n'})
    lbl = ident("SBN_FITS_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2880
FILE_RECORDS = 3
^PRIMARY_HEADER = ("LC.FIT", 1)
^TABLE_HEADER = ("LC.FIT", 2)
^TABLE = ("LC.FIT", 3)
{fits_header_object("PRIMARY_HEADER")}
{fits_header_object("TABLE_HEADER")}
{table_object('TABLE', cols, rows=4, row_bytes=18, fmt="BINARY")}END
"""
    files = {"LC.FIT": prim + ext + pad2880(rows.tobytes()), "LC.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "LC.LBL")
    assert texts(t, "//p:Header/p:parsing_standard_id") == ["FITS 3.0", "FITS 3.0"]
    assert texts(t, "//p:Table_Binary/p:offset") == ["5760"]
    assert texts(t, "//p:Field_Binary/p:data_type") == ["IEEE754MSBDouble", "IEEE754MSBSingle", "IEEE754MSBSingle",
                                                         "ASCII_String"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "JD") == rows["JD"].tolist()
    assert values(s, "MAG") == rows["MAG"].tolist()
    assert strings(s, "FILTER") == ["R"] * 4


def test_sbn_fits_ascii_table_extension_has_no_line_ends(tmp_path, ctx_file):
    """SBN FITS with an ASCII table extension (XTENSION = 'TABLE'): an INTERCHANGE_FORMAT
    ASCII table whose records follow each other with no line end (FITS ASCII tables have
    none). A Table_Character needs CR LF or LF after each record; the same bytes are a
    Table_Binary whose fields have PDS4's ASCII types."""
    recs = [f"{jd:13.5f} {m:7.3f} {n:<8s}" for jd, m, n in
            [(2451545.0, 14.25, "CERES"), (2451545.5, 14.375, "PALLAS"), (2451546.0, -1.5, "VESTA")]]
    cols = (col("JD", "ASCII_REAL", 1, 13, '    FORMAT = "F13.5"\n    UNIT = "DAY"\n')
            + col("MAG", "ASCII_REAL", 15, 7, '    FORMAT = "F7.3"\n')
            + col("NAME", "CHARACTER", 23, 8, '    FORMAT = "A8"\n'))
    ext = fits_block("XTENSION= 'TABLE   '", "BITPIX  =                    8", "NAXIS   =                    2",
                     "NAXIS1  =                   30", "NAXIS2  =                    3")
    prim = fits_block("SIMPLE  =                    T", "NAXIS   =                    0", "EXTEND  =                    T")
    lbl = ident("SBN_FITS_2") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2880
FILE_RECORDS = 3
^HEADER = ("A.FIT", 1)
^TABLE_HEADER = ("A.FIT", 2)
^TABLE = ("A.FIT", 3)
{fits_header_object("HEADER")}
{fits_header_object("TABLE_HEADER")}
{table_object('TABLE', cols, rows=3, row_bytes=30)}END
"""
    files = {"A.FIT": prim + ext + pad2880("".join(recs).encode()), "A.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "A.LBL")
    assert texts(t, "//p:Table_Binary/p:Record_Binary/p:record_length") == ["30"]
    assert texts(t, "//p:Field_Binary/p:data_type") == ["ASCII_Real", "ASCII_Real", "ASCII_String"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "JD") == [2451545.0, 2451545.5, 2451546.0]
    assert values(s, "MAG") == [14.25, 14.375, -1.5]
    assert strings(s, "NAME") == ["CERES", "PALLAS", "VESTA"]
    assert any("no line end" in n for n in r.notes)


def test_sbn_fits_several_hdus_scaled_image_and_table(tmp_path, ctx_file):
    """SBN comet images in FITS: a primary header and a 16-bit image stored with BZERO
    32768 (OFFSET = 32768, MSB_INTEGER), an extension header and a BINTABLE of the
    photometric apertures, by byte offset."""
    img = (np.arange(12).reshape(3, 4) * 1000 - 6000).astype(">i2")
    aper = np.zeros(2, dtype=[("RADIUS", ">f4"), ("FLUX", ">f8"), ("NPIX", ">i4")])
    aper["RADIUS"], aper["FLUX"], aper["NPIX"] = [2.5, 5.0], [1234.5, 4567.25], [20, 79]
    prim = fits_block("SIMPLE  =                    T", "BITPIX  =                   16", "NAXIS   =                    2",
                      "BZERO   =                32768")
    ext = fits_block("XTENSION= 'BINTABLE'", "NAXIS1  =                   16", "NAXIS2  =                    2")
    data = prim + pad2880(img.tobytes()) + ext + pad2880(aper.tobytes())
    cols = bcols(aper.dtype, types={"RADIUS": "IEEE_REAL", "FLUX": "IEEE_REAL"}, extra={"RADIUS": '    UNIT = "PIXEL"\n'})
    lbl = ident("SBN_FITS_3") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2880
FILE_RECORDS = 4
^IMAGE_HEADER = ("C.FIT", 1 <BYTES>)
^IMAGE = ("C.FIT", 2881 <BYTES>)
^APERTURE_HEADER = ("C.FIT", 5761 <BYTES>)
^APERTURE_TABLE = ("C.FIT", 8641 <BYTES>)
{fits_header_object("IMAGE_HEADER")}
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  OFFSET = 32768
  SCALING_FACTOR = 1
  UNIT = "DN"
END_OBJECT = IMAGE
{fits_header_object("APERTURE_HEADER")}
{table_object('APERTURE_TABLE', cols, rows=2, row_bytes=16, fmt="BINARY")}END
"""
    r, t = migrated(tmp_path, ctx_file, {"C.FIT": data, "C.LBL": lbl}, "C.LBL")
    assert texts(t, "//p:Header/p:offset") == ["0", "5760"]
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:value_offset") == ["32768.0"]
    assert np.asarray(pds4_raw(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()
    s = pds4_read(r.pds4_label)["APERTURE_TABLE"]
    assert values(s, "FLUX") == [1234.5, 4567.25]
    assert values(s, "NPIX") == [20, 79]


def test_ihw_style_spectrum_object_with_fortran_formats(tmp_path, ctx_file):
    """IHW spectroscopy / IRTF spectra: an ASCII SPECTRUM object (wavelength, flux, error)
    with FORTRAN FORMATs, flux in E notation and units as PDS3 spells them."""
    specs = [("WAVELENGTH", "ASCII_REAL", "10.3f", '    UNIT = "ANGSTROM"\n    FORMAT = "F10.3"\n'),
             ("FLUX", "ASCII_REAL", "12.5E", '    UNIT = "ERG/CM**2/S/ANGSTROM"\n    FORMAT = "E12.5"\n'),
             ("FLUX_ERROR", "ASCII_REAL", "12.5E", '    FORMAT = "E12.5"\n')]
    vals = [(3500.0, 1.25e-13, 2.5e-15), (3502.5, 1.5e-13, 3.125e-15), (3505.0, -2.0e-14, 1.0e-15)]
    recs, cols = ascii_rows(specs, vals, sep=" ")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("IHW_1", recs, cols, obj="SPECTRUM"))
    assert texts(t, "//p:Field_Character[p:name='WAVELENGTH']/p:unit") == ["Angstrom"]
    assert texts(t, "//p:Field_Character[p:name='FLUX']/p:field_format") == ["%12.5e"]
    s = pds4_read(r.pds4_label)["SPECTRUM"]
    assert values(s, "FLUX") == [1.25e-13, 1.5e-13, -2.0e-14]


def test_irtf_style_text_header_records_then_table_by_record(tmp_path, ctx_file):
    """IRTF / SBN ground-based spectra: a file of fixed-length records whose first three are
    a text header (HEADER_TYPE TEXT) and whose table starts at record 4."""
    rb = 32
    head = "".join(x.ljust(rb - 2) + "\r\n" for x in ["IRTF SPEX PRISM", "OBJECT: 4 VESTA", "AIRMASS 1.05"])
    rows = [f"{w:8.4f} {f:10.6f} {e:9.6f}" for w, f, e in [(0.8, 1.0, 0.01), (0.85, 1.0525, 0.0125)]]
    recs = [x.ljust(rb - 2) + "\r\n" for x in rows]
    cols = (col("WAVELENGTH", "ASCII_REAL", 1, 8, '    UNIT = "MICRON"\n') + col("REFLECTANCE", "ASCII_REAL", 10, 10)
            + col("ERROR", "ASCII_REAL", 21, 9))
    lbl = ident("IRTF_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = 5
^HEADER = ("S.TAB", 1)
^TABLE = ("S.TAB", 4)
OBJECT = HEADER
  HEADER_TYPE = TEXT
  BYTES = {3 * rb}
  RECORDS = 3
END_OBJECT = HEADER
{table_object('TABLE', cols, rows=2, row_bytes=rb)}END
"""
    r, t = migrated(tmp_path, ctx_file, {"S.TAB": head + "".join(recs), "S.LBL": lbl}, "S.LBL")
    assert texts(t, "//p:Header/p:parsing_standard_id") == ["7-Bit ASCII Text"]
    assert texts(t, "//p:Table_Character/p:offset") == [str(3 * rb)]
    assert texts(t, "//p:Field_Character[p:name='WAVELENGTH']/p:unit") == ["micrometer"]
    assert values(pds4_read(r.pds4_label)["TABLE"], "REFLECTANCE") == [1.0, 1.0525]


def test_asteroid_lightcurve_with_date_and_time_of_day_columns(tmp_path, ctx_file):
    """SBN asteroid lightcurves: a DATE column (YYYY-MM-DD), a TIME column holding only the
    time of day (hh:mm:ss.s, PDS4's ASCII_Time), a light-time-corrected JD and a reduced
    magnitude whose missing value is 99.999."""
    specs = [("OBS_DATE", "DATE", "s", ""), ("UT", "TIME", "s", ""),
             ("JD_LTC", "ASCII_REAL", "13.5f", '    FORMAT = "F13.5"\n'),
             ("RMAG", "ASCII_REAL", "7.3f", '    MISSING_CONSTANT = 99.999\n    UNIT = "MAGNITUDE"\n')]
    vals = [("1998-03-02", "03:15:42.5", 2450874.63591, 10.125),
            ("1998-03-02", "04:01:00.0", 2450874.66736, 99.999),
            ("1998-03-03", "23:59:59.9", 2450876.49999, 10.5)]
    recs, cols = ascii_rows(specs, vals, sep=" ")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("LC_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:data_type")[:2] == ["ASCII_Date_YMD", "ASCII_Time"]
    assert texts(t, "//p:Field_Character[p:name='RMAG']/p:Special_Constants/p:missing_constant") == ["99.999"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert strings(s, "UT") == ["03:15:42.5", "04:01:00.0", "23:59:59.9"]
    assert values(s, "JD_LTC") == [2450874.63591, 2450874.66736, 2450876.49999]


def shape_model() -> tuple[np.ndarray, np.ndarray]:
    vertices = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float) * 0.25
    facets = np.array([[1, 3, 5], [3, 2, 5], [2, 4, 5], [4, 1, 5], [3, 1, 6], [2, 3, 6], [4, 2, 6], [1, 4, 6]])
    return vertices, facets


def test_sbn_shape_model_vertex_and_facet_tables_in_one_file(tmp_path, ctx_file):
    """SBN shape models (ICQ / OBJ style): one file of ``v x y z`` vertex lines then
    ``f i j k`` facet lines of another width; a VERTEX_TABLE by record and a FACET_TABLE by
    byte offset, the first column the CHARACTER ``v``/``f``."""
    vertices, facets = shape_model()
    vrec = [f"v {x:12.6f} {y:12.6f} {z:12.6f}" for x, y, z in vertices]
    frec = [f"f {i:5d} {j:5d} {k:5d}" for i, j, k in facets]
    vtext = "".join(x + "\r\n" for x in vrec)
    vcols = (col("TYPE", "CHARACTER", 1, 1) + col("X", "ASCII_REAL", 3, 12, '    UNIT = "KM"\n')
             + col("Y", "ASCII_REAL", 16, 12, '    UNIT = "KM"\n') + col("Z", "ASCII_REAL", 29, 12, '    UNIT = "KM"\n'))
    fcols = (col("TYPE", "CHARACTER", 1, 1) + col("V1", "ASCII_INTEGER", 3, 5) + col("V2", "ASCII_INTEGER", 9, 5)
             + col("V3", "ASCII_INTEGER", 15, 5))
    lbl = ident("SHAPE_1", target='"MARS"') + f"""RECORD_TYPE = STREAM
^VERTEX_TABLE = ("SHAPE.TAB", 1)
^FACET_TABLE = ("SHAPE.TAB", {len(vtext) + 1} <BYTES>)
{table_object('VERTEX_TABLE', vcols, rows=6, row_bytes=len(vrec[0]) + 2)}
{table_object('FACET_TABLE', fcols, rows=8, row_bytes=len(frec[0]) + 2)}END
"""
    files = {"SHAPE.TAB": vtext + "".join(x + "\r\n" for x in frec), "SHAPE.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "SHAPE.LBL")
    assert texts(t, "//p:Table_Character/p:offset") == ["0", str(len(vtext))]
    s = pds4_read(r.pds4_label)
    assert np.column_stack([values(s["VERTEX_TABLE"], n) for n in "XYZ"]).tolist() == vertices.tolist()
    assert np.column_stack([values(s["FACET_TABLE"], n) for n in ("V1", "V2", "V3")]).tolist() == facets.tolist()
    assert strings(s["FACET_TABLE"], "TYPE") == ["f"] * 8


def test_sbn_plate_model_tables_in_two_files(tmp_path, ctx_file):
    """SBN plate models (Gaskell, radar shapes): a detached label pointing at a vertex file
    and a plate file (1-based vertex numbers, a plate number column), blank-separated."""
    vertices, facets = shape_model()
    vrec = [f"{n:6d} {x:10.5f} {y:10.5f} {z:10.5f}" for n, (x, y, z) in enumerate(vertices, 1)]
    prec = [f"{n:6d} {i:6d} {j:6d} {k:6d}" for n, (i, j, k) in enumerate(facets, 1)]
    vcols = col("VERTEX_NUMBER", "ASCII_INTEGER", 1, 6) + "".join(
        col(a, "ASCII_REAL", 8 + 11 * i, 10, '    UNIT = "KILOMETER"\n') for i, a in enumerate("XYZ"))
    pcols = col("PLATE_NUMBER", "ASCII_INTEGER", 1, 6) + "".join(
        col(f"VERTEX_{i + 1}", "ASCII_INTEGER", 8 + 7 * i, 6) for i in range(3))
    lbl = ident("PLATE_1") + f"""^VERTEX_TABLE = "V.TAB"
^PLATE_TABLE = "P.TAB"
{table_object('VERTEX_TABLE', vcols, rows=6, row_bytes=len(vrec[0]) + 2)}
{table_object('PLATE_TABLE', pcols, rows=8, row_bytes=len(prec[0]) + 2)}END
"""
    files = {"V.TAB": "".join(x + "\r\n" for x in vrec), "P.TAB": "".join(x + "\r\n" for x in prec), "M.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "M.LBL")
    assert sorted(texts(t, "//p:File_Area_Observational/p:File/p:file_name")) == ["P.TAB", "V.TAB"]
    s = pds4_read(r.pds4_label)
    assert values(s["PLATE_TABLE"], "VERTEX_3") == facets[:, 2].tolist()
    assert values(s["VERTEX_TABLE"], "Z") == vertices[:, 2].tolist()


# --------------------------------------------------------------------------- PPI


def test_ppi_time_series_of_many_columns_with_z_times_and_sclk_strings(tmp_path, ctx_file):
    """PPI magnetometer / plasma time series: a UTC column ending in ``Z`` with
    microseconds, the spacecraft clock as a string (``1/1234567890.123``), then 36
    ASCII_REAL columns of field and moment values, blank-separated."""
    rng = np.random.default_rng(4)
    data = np.round(rng.normal(0, 100, (3, 36)), 3)
    times = ["2004-07-01T00:00:00.000000Z", "2004-07-01T00:00:00.500000Z", "2004-07-01T00:00:01.000000Z"]
    sclk = ["1/1467331200.000", "1/1467331200.128", "1/1467331201.000"]
    recs = [f"{tm} {sc} " + " ".join(f"{v:10.3f}" for v in row) for tm, sc, row in zip(times, sclk, data, strict=True)]
    cols = col("UTC", "TIME", 1, 27) + col("SCLK", "CHARACTER", 29, 16) + "".join(
        col(f"V{i:02d}", "ASCII_REAL", 46 + 11 * i, 10, '    UNIT = "NT"\n') for i in range(36))
    r, t = migrated(tmp_path, ctx_file, *ascii_product("PPI_1", recs, cols, obj="TIME_SERIES"))
    assert texts(t, "//p:Field_Character[p:name='UTC']/p:data_type") == ["ASCII_Date_Time_YMD"]
    assert texts(t, "//p:Field_Character[p:name='SCLK']/p:data_type") == ["ASCII_String"]
    assert len(texts(t, "//p:Field_Character/p:name")) == 38
    s = pds4_read(r.pds4_label)["TIME_SERIES"]
    assert strings(s, "SCLK") == sclk
    assert np.column_stack([values(s, f"V{i:02d}") for i in range(36)]).tolist() == data.tolist()


@pytest.mark.parametrize(("form", "vals", "pds4_type"), [
    ("seconds", ["1997-12-31T23:59:59", "1998-01-01T00:00:00"], "ASCII_Date_Time_YMD"),
    ("milliseconds Z", ["1997-12-31T23:59:59.123Z", "1998-01-01T00:00:00.000Z"], "ASCII_Date_Time_YMD"),
    ("microseconds", ["1997-12-31T23:59:59.123456", "1998-01-01T00:00:00.000001"], "ASCII_Date_Time_YMD"),
    ("day of year", ["1997-365T23:59:59.123", "1998-001T00:00:00.000"], "ASCII_Date_Time_DOY"),
    ("day of year Z", ["1997-365T23:59:59Z", "1998-001T00:00:00Z"], "ASCII_Date_Time_DOY"),
    ("minutes", ["1997-12-31T23:59", "1998-01-01T00:00"], "ASCII_Date_Time_YMD"),
])
def test_ppi_time_column_precisions(tmp_path, ctx_file, form, vals, pds4_type):
    """PPI tables: TIME columns of every precision archives wrote (whole seconds to
    microseconds, ``Z`` or not, calendar or day of year, minutes only)."""
    recs, cols = ascii_rows([("TIME", "TIME", "s", ""), ("N", "ASCII_INTEGER", "3d", "")],
                            [(v, i) for i, v in enumerate(vals)], sep=",")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("TP_1", recs, cols))
    assert texts(t, "//p:Field_Character[p:name='TIME']/p:data_type") == [pds4_type]
    assert strings(pds4_read(r.pds4_label)["TABLE"], "TIME") == vals


def test_ppi_cdf_derived_little_endian_table(tmp_path, ctx_file):
    """PPI tables converted from CDF: LSB rows of a CDF epoch (milliseconds since year 0 as
    a PC_REAL double), the UTC text with ``Z``, a field vector as ITEMS of PC_REAL singles
    with fill -1.0E31, a 1-byte quality flag."""
    rows = np.zeros(3, dtype=[("EPOCH", "<f8"), ("UTC", "S24"), ("B", "<f4", (3,)), ("Q", "u1")])
    rows["EPOCH"] = [63208771200000.0, 63208771201000.0, 63208771202000.0]
    rows["UTC"] = [b"2003-01-01T00:00:00.000Z", b"2003-01-01T00:00:01.000Z", b"2003-01-01T00:00:02.000Z"]
    rows["B"] = [[1.5, -2.5, 3.0], [-1e31, -1e31, -1e31], [0.25, 0.5, 0.75]]
    rows["Q"] = [0, 255, 1]
    r, t = migrated(tmp_path, ctx_file, *binary("CDF_1", rows, types={"UTC": "CHARACTER", "Q": "LSB_UNSIGNED_INTEGER"},
                                               extra={"B": '    UNIT = "nT"\n    MISSING_CONSTANT = -1.0E31\n'}))
    assert texts(t, "//p:Field_Binary/p:data_type") == ["IEEE754LSBDouble", "ASCII_String", "IEEE754LSBSingle",
                                                         "UnsignedByte"]
    assert texts(t, "//p:Field_Binary[p:name='B']/p:Special_Constants/p:missing_constant") == ["-1e+31"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "EPOCH") == rows["EPOCH"].tolist()
    assert values(s, "B") == rows["B"].tolist()
    assert strings(s, "UTC")[0] == "2003-01-01T00:00:00.000Z"


def test_ppi_quoted_sclk_column_in_a_comma_table(tmp_path, ctx_file):
    """Cassini/Galileo PPI tables: the spacecraft clock as a quoted string with a colon
    (``"1/0123456789:123"``), SCET in day-of-year form, integer counts."""
    specs = [("SCLK", "CHARACTER", "s", ""), ("SCET", "TIME", "s", ""), ("COUNTS", "ASCII_INTEGER", "6d", "")]
    vals = [('"1/1356224430:057"', "2001-001T00:00:00.000", 12), ('"1/1356224431:000"', "2001-001T00:00:01.000", 0)]
    recs, cols = ascii_rows(specs, vals)
    r, t = migrated(tmp_path, ctx_file, *ascii_product("SCLK_1", recs, cols))
    s = pds4_read(r.pds4_label)["TABLE"]
    assert strings(s, "SCLK") == ['"1/1356224430:057"', '"1/1356224431:000"']
    assert values(s, "COUNTS") == [12, 0]


# --------------------------------------------------------------------------- Imaging node


def vicar(nbytes: int, fmt: str = "BYTE") -> bytes:
    """A VICAR label of ``nbytes`` bytes (LBLSIZE first, blank padded)."""
    text = f"LBLSIZE={nbytes}  FORMAT='{fmt}'  TYPE='IMAGE'  ORG='BSQ'"
    return (text if len(text) <= nbytes else text[:nbytes].rsplit("  ", 1)[0]).ljust(nbytes).encode()


def test_vicar_labelled_image_with_a_detached_pds3_label_by_record(tmp_path, ctx_file):
    """Imaging node VICAR files with detached PDS3 labels (Viking Orbiter, Voyager, Galileo
    re-deliveries): ^VICAR_HEADER and ^IMAGE by record number in the file's record size,
    the VICAR label two records long, a 16-bit LSB (VAX) image."""
    rb = 8
    img = (np.arange(4 * 4).reshape(4, 4) * 300 - 2000).astype("<i2")
    lbl = ident("VIC_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = 6
LABEL_RECORDS = 2
^VICAR_HEADER = ("V.VIC", 1)
^IMAGE = ("V.VIC", 3)
OBJECT = VICAR_HEADER
  HEADER_TYPE = VICAR2
  BYTES = 16
  RECORDS = 2
  INTERCHANGE_FORMAT = ASCII
END_OBJECT = VICAR_HEADER
OBJECT = IMAGE
  LINES = 4
  LINE_SAMPLES = 4
  SAMPLE_TYPE = VAX_INTEGER
  SAMPLE_BITS = 16
  BANDS = 1
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"V.VIC": vicar(16, "HALF") + img.tobytes(), "V.LBL": lbl}, "V.LBL")
    assert texts(t, "//p:Header/p:parsing_standard_id") == ["VICAR2"]
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:data_type") == ["SignedLSB2"]
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def isis_special(kind: str) -> dict[str, str]:
    """ISIS's special pixel bit patterns of 32-bit reals (NULL, LRS, LIS, HIS, HRS)."""
    return {"NULL": "16#FF7FFFFB#", "LOW_REPR_SATURATION": "16#FF7FFFFC#", "LOW_INSTR_SATURATION": "16#FF7FFFFD#",
            "HIGH_INSTR_SATURATION": "16#FF7FFFFE#", "HIGH_REPR_SATURATION": "16#FF7FFFFF#"}


ISIS_SPECIAL = isis_special("real")


def test_isis3_exported_pc_real_image_with_based_special_pixels(tmp_path, ctx_file):
    """ISIS3 ``isis2pds`` exports: an attached-label-free PC_REAL image whose special pixels
    are given as based integers (``CORE_NULL = 16#FF7FFFFB#`` …, ISIS's bit patterns) and
    MISSING_CONSTANT likewise; some pixels hold those patterns."""
    bits = {k: np.uint32(int(v.strip("16#"), 16)) for k, v in ISIS_SPECIAL.items()}
    img = np.array([[1.5, -2.25, 3.0], [0.0, 100.0, -1e-3]], "<f4")
    img.view("<u4")[0, 1] = bits["NULL"]
    img.view("<u4")[1, 2] = bits["HIGH_REPR_SATURATION"]
    lbl = ident("ISIS_1") + f"""RECORD_TYPE = UNDEFINED
^IMAGE = "I.IMG"
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  BANDS = 1
  BAND_STORAGE_TYPE = BAND_SEQUENTIAL
  SAMPLE_TYPE = PC_REAL
  SAMPLE_BITS = 32
  CORE_NULL = {ISIS_SPECIAL["NULL"]}
  CORE_LOW_REPR_SATURATION = {ISIS_SPECIAL["LOW_REPR_SATURATION"]}
  CORE_LOW_INSTR_SATURATION = {ISIS_SPECIAL["LOW_INSTR_SATURATION"]}
  CORE_HIGH_REPR_SATURATION = {ISIS_SPECIAL["HIGH_REPR_SATURATION"]}
  CORE_HIGH_INSTR_SATURATION = {ISIS_SPECIAL["HIGH_INSTR_SATURATION"]}
  MISSING_CONSTANT = {ISIS_SPECIAL["NULL"]}
  SCALING_FACTOR = 1.0
  OFFSET = 0.0
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"I.IMG": img.tobytes(), "I.LBL": lbl}, "I.LBL")
    assert texts(t, "//p:Array_2D_Image//p:missing_constant") == ["-3.4028227E38"]
    # the CORE_* keywords of the IMAGE are ISIS's special pixels (before: left out)
    assert texts(t, "//p:Array_2D_Image//p:high_representation_saturation") == ["-3.4028235E38"]
    got = np.asarray(pds4_raw(r.pds4_label)["IMAGE"].data)
    assert got.view("<u4").tolist() == img.view("<u4").tolist()


def test_isis2_exported_16bit_image_with_isis_special_pixels(tmp_path, ctx_file):
    """ISIS2 / early isis2pds 16-bit exports: MSB_INTEGER samples, NULL -32768 and the
    saturations -32767 / 32767 as CORE_* keywords of the IMAGE, a scaled radiance."""
    img = np.array([[-32768, 10, 20], [32767, -32767, 5]], ">i2")
    lbl = ident("ISIS_2") + """^IMAGE = "J.IMG"
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  SCALING_FACTOR = 0.01
  OFFSET = 100.0
  CORE_NULL = -32768
  CORE_LOW_REPR_SATURATION = -32767
  CORE_HIGH_REPR_SATURATION = 32767
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"J.IMG": img.tobytes(), "J.LBL": lbl}, "J.LBL")
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:scaling_factor") == ["0.01"]
    assert texts(t, "//p:Special_Constants/p:low_representation_saturation") == ["-32767"]
    assert np.asarray(pds4_raw(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_hirise_rdr_style_attached_image_with_bit_mask_and_core_constants(tmp_path, ctx_file):
    """HiRISE RDR (uncompressed IMG variant) / CTX map products: an attached label in
    fixed records, ^IMAGE by record, 16-bit MSB_UNSIGNED_INTEGER with a 10-bit SAMPLE_BIT_MASK,
    SCALING_FACTOR/OFFSET to I/F, CORE_NULL 0 and the saturations 1/2/1022/1023 as CORE_*
    keywords, a MAP_PROJECTION object and STATISTICS keywords."""
    rb = 8
    img = np.array([[0, 1, 500, 1023], [2, 700, 1022, 3]], ">u2")

    def label(lr: int) -> str:
        return ident("PSP_001234_1234_RED") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {lr + 2}
LABEL_RECORDS = {lr}
^IMAGE = {lr + 1}
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 4
  BANDS = 1
  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER
  SAMPLE_BITS = 16
  SAMPLE_BIT_MASK = 2#0000001111111111#
  SCALING_FACTOR = 2.0E-4
  OFFSET = 0.01
  CORE_NULL = 0
  CORE_LOW_REPR_SATURATION = 1
  CORE_LOW_INSTR_SATURATION = 2
  CORE_HIGH_REPR_SATURATION = 1023
  CORE_HIGH_INSTR_SATURATION = 1022
  VALID_MINIMUM = 3
  VALID_MAXIMUM = 1021
  CENTER_FILTER_WAVELENGTH = 700 <NM>
END_OBJECT = IMAGE
OBJECT = IMAGE_MAP_PROJECTION
  ^DATA_SET_MAP_PROJECTION = "DSMAP.CAT"
  MAP_PROJECTION_TYPE = "EQUIRECTANGULAR"
  A_AXIS_RADIUS = 3396.19 <KM>
  MAP_SCALE = 0.25 <METERS/PIXEL>
  MAP_RESOLUTION = 236954.1 <PIX/DEG>
  LINE_PROJECTION_OFFSET = -1.0E6 <PIXEL>
END_OBJECT = IMAGE_MAP_PROJECTION
END
"""
    from test_migrate_realworld import attached

    data = attached(label, rb) + img.tobytes()
    r, t = migrated(tmp_path, ctx_file, {"PSP.IMG": data}, "PSP.IMG")
    assert texts(t, "//p:Array_2D_Image//p:missing_constant") == ["0"]
    assert [texts(t, f"//p:Special_Constants/p:{k}")[0] for k in (
        "low_representation_saturation", "low_instrument_saturation", "high_instrument_saturation",
        "high_representation_saturation")] == ["1", "2", "1022", "1023"]
    assert np.asarray(pds4_raw(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_moc_style_attached_8bit_image_with_histogram_and_records(tmp_path, ctx_file):
    """MGS MOC / Viking MDIM style: attached label, an IMAGE_HISTOGRAM (256 LSB 4-byte
    counts, ITEMS) and an 8-bit image by record number, mixed-case object names."""
    rb = 64
    img = (np.arange(3 * rb) % 251).astype("u1").reshape(3, rb)
    hist = np.bincount(img.ravel(), minlength=256).astype("<u4")

    def label(lr: int) -> str:
        return ident("MOC_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {lr + 16 + 3}
LABEL_RECORDS = {lr}
^IMAGE_HISTOGRAM = {lr + 1}
^IMAGE = {lr + 17}
OBJECT = IMAGE_HISTOGRAM
  ITEMS = 256
  DATA_TYPE = LSB_UNSIGNED_INTEGER
  ITEM_BYTES = 4
END_OBJECT = IMAGE_HISTOGRAM
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = {rb}
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
  SAMPLE_BIT_MASK = 2#11111111#
  CHECKSUM = {int(img.sum())}
END_OBJECT = IMAGE
END
"""
    from test_migrate_realworld import attached

    data = attached(label, rb) + hist.tobytes() + img.tobytes()
    r, t = migrated(tmp_path, ctx_file, {"MOC.IMG": data}, "MOC.IMG")
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["IMAGE_HISTOGRAM"].data).tolist() == hist.tolist()
    assert np.asarray(s["IMAGE"].data).tolist() == img.tolist()


def test_voyager_iss_edr_style_engineering_table_histogram_and_prefixed_lines(tmp_path, ctx_file):
    """Voyager ISS EDR (re-delivered with PDS3 labels): a VICAR header of two records, a
    binary ENGINEERING_TABLE row, an IMAGE_HISTOGRAM of VAX integers and an 8-bit image
    whose lines carry a LINE_PREFIX of 8 bytes, all by record in 40-byte records."""
    rb = 40
    eng = np.zeros(1, dtype=[("FDS_COUNT", ">u4"), ("FILTER", ">u2"), ("EXPOSURE", ">f4"), ("SPARE", "S30")])
    eng["FDS_COUNT"], eng["FILTER"], eng["EXPOSURE"] = 1636832, 4, 0.96
    hist = (np.arange(10) * 7).astype("<i4")
    img = (np.arange(4 * 32) % 200).astype("u1").reshape(4, 32)
    pfx = (np.arange(4 * 8) + 200).astype("u1").reshape(4, 8)
    lines = np.concatenate([pfx, img], axis=1)
    cols = bcols(eng.dtype, types={"EXPOSURE": "IEEE_REAL"}, extra={"EXPOSURE": '    UNIT = "SECOND"\n'})
    lbl = ident("C1636832") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = 8
^IMAGE_HEADER = ("C.IMQ", 1)
^ENGINEERING_TABLE = ("C.IMQ", 3)
^IMAGE_HISTOGRAM = ("C.IMQ", 4)
^IMAGE = ("C.IMQ", 5)
OBJECT = IMAGE_HEADER
  HEADER_TYPE = VICAR2
  BYTES = 80
  RECORDS = 2
END_OBJECT = IMAGE_HEADER
{table_object('ENGINEERING_TABLE', cols, rows=1, row_bytes=40, fmt="BINARY")}OBJECT = IMAGE_HISTOGRAM
  ITEMS = 10
  ITEM_TYPE = VAX_INTEGER
  ITEM_BITS = 32
END_OBJECT = IMAGE_HISTOGRAM
OBJECT = IMAGE
  LINES = 4
  LINE_SAMPLES = 32
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
  LINE_PREFIX_BYTES = 8
  LINE_PREFIX_STRUCTURE = "N/A"
END_OBJECT = IMAGE
END
"""
    data = vicar(80) + eng.tobytes() + hist.tobytes().ljust(rb, b"\0") + lines.tobytes()
    r, t = migrated(tmp_path, ctx_file, {"C.IMQ": data, "C.LBL": lbl}, "C.LBL")
    s = pds4_read(r.pds4_label)
    assert values(s["ENGINEERING_TABLE"], "FDS_COUNT") == [1636832]
    assert np.asarray(s["IMAGE_HISTOGRAM"].data).tolist() == hist.tolist()
    assert np.asarray(s["IMAGE"]["SAMPLE"]).tolist() == img.tolist()


def test_cassini_iss_calibrated_style_vicar_header_and_ieee_real_image(tmp_path, ctx_file):
    """Cassini ISS calibrated (CISSCAL) images: a detached label, a VICAR header of 2
    records, an IEEE_REAL image by record (no line prefix), UNIT I/F, a binary header
    (VICAR BLTYPE) of 1 record between them."""
    rb = 16
    img = ((np.arange(12).reshape(3, 4) - 2) / 8).astype(">f4")
    lbl = ident("N1454725799_1_CAL") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = 6
^IMAGE_HEADER = ("N.IMG", 1)
^TELEMETRY_HEADER = ("N.IMG", 3)
^IMAGE = ("N.IMG", 4)
OBJECT = IMAGE_HEADER
  INTERCHANGE_FORMAT = ASCII
  HEADER_TYPE = VICAR2
  BYTES = 32
  RECORDS = 2
END_OBJECT = IMAGE_HEADER
OBJECT = TELEMETRY_HEADER
  INTERCHANGE_FORMAT = BINARY
  HEADER_TYPE = BINARY
  BYTES = 16
END_OBJECT = TELEMETRY_HEADER
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  SAMPLE_BITS = 32
  SAMPLE_TYPE = IEEE_REAL
  UNIT = "I/F"
  LINE_PREFIX_BYTES = 0
  LINE_SUFFIX_BYTES = 0
END_OBJECT = IMAGE
END
"""
    data = vicar(32, "REAL") + bytes(range(16)) + img.tobytes()
    r, t = migrated(tmp_path, ctx_file, {"N.IMG": data, "N.LBL": lbl}, "N.LBL")
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["48"]
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_magellan_midr_style_attached_image_with_map_projection_object(tmp_path, ctx_file):
    """Magellan F-MIDR / C-MIDR: attached label in records of the image width, an 8-bit
    image whose 0 is no data, an IMAGE_MAP_PROJECTION object (no pointer) with units on
    its values and a sequence of sequences, old-style keyword ``SAMPLE_TYPE = UNSIGNED_INTEGER``."""
    rb = 32
    img = ((np.arange(4 * rb) * 3) % 256).astype("u1").reshape(4, rb)

    def label(lr: int) -> str:
        return ident("F-MIDR.20N334;1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {rb}
FILE_RECORDS = {lr + 4}
LABEL_RECORDS = {lr}
^IMAGE = {lr + 1}
OBJECT = IMAGE
  LINES = 4
  LINE_SAMPLES = {rb}
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
  SAMPLE_DISPLAY_DIRECTION = RIGHT
  LINE_DISPLAY_DIRECTION = DOWN
  NULL = 0
  SCALING_FACTOR = 0.2
  OFFSET = -20.2
  UNIT = DB
END_OBJECT = IMAGE
OBJECT = IMAGE_MAP_PROJECTION
  MAP_PROJECTION_TYPE = SINUSOIDAL
  A_AXIS_RADIUS = 6051.92 <KM>
  MAP_RESOLUTION = 1407.4 <PIXEL/DEGREE>
  MAP_SCALE = 0.075 <KM/PIXEL>
  MAXIMUM_LATITUDE = 22.0 <DEG>
  COORDINATE_SYSTEM_NAME = "PLANETOGRAPHIC"
  FRAME_CORNERS = ((1, 1), (1, {rb}), (4, 1), (4, {rb}))
END_OBJECT = IMAGE_MAP_PROJECTION
END
"""
    from test_migrate_realworld import attached

    r, t = migrated(tmp_path, ctx_file, {"FF01.IMG": attached(label, rb) + img.tobytes()}, "FF01.IMG")
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:value_offset") == ["-20.2"]
    assert np.asarray(pds4_raw(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_mola_megdr_style_msb_integer_topography_in_a_detached_file(tmp_path, ctx_file):
    """MGS MOLA MEGDR: a detached label, ^IMAGE = "MEGT90N000CB.IMG", MSB_INTEGER 16-bit
    topography in METERS with a MISSING_CONSTANT, and an IMAGE_MAP_PROJECTION (units on
    every value, a ^DATA_SET_MAP_PROJECTION catalog pointer that is not a data object)."""
    img = (np.arange(4 * 8).reshape(4, 8) * 250 - 4000).astype(">i2")
    img[0, 0] = -32768
    lbl = ident("MEGT90N000CB") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 16
FILE_RECORDS = 4
^IMAGE = "MEGT90N000CB.IMG"
OBJECT = IMAGE
  NAME = TOPOGRAPHY
  LINES = 4
  LINE_SAMPLES = 8
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  UNIT = METER
  SCALING_FACTOR = 1
  OFFSET = 3396000
  MISSING_CONSTANT = -32768
END_OBJECT = IMAGE
OBJECT = IMAGE_MAP_PROJECTION
  ^DATA_SET_MAP_PROJECTION = "DSMAP.CAT"
  MAP_PROJECTION_TYPE = "SIMPLE CYLINDRICAL"
  A_AXIS_RADIUS = 3396.0 <KM>
  MAP_RESOLUTION = 4 <PIX/DEG>
  LINE_FIRST_PIXEL = 1
  SAMPLE_PROJECTION_OFFSET = -0.5 <PIXEL>
  MAXIMUM_LATITUDE = 90 <DEGREE>
END_OBJECT = IMAGE_MAP_PROJECTION
END
"""
    r, t = migrated(tmp_path, ctx_file, {"MEGT90N000CB.IMG": img.tobytes(), "MEGT90N000CB.LBL": lbl},
                    "MEGT90N000CB.LBL")
    assert texts(t, "//p:Array_2D_Image/p:Element_Array/p:unit") == ["m"]
    assert texts(t, "//p:Array_2D_Image//p:missing_constant") == ["-32768"]
    assert np.asarray(pds4_raw(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


# --------------------------------------------------------------------------- Geosciences, Atmospheres


def test_viking_lander_meteorology_table_with_sol_and_local_time(tmp_path, ctx_file):
    """Viking Lander meteorology (Atmospheres node): SOL number, local lander time of day
    as a TIME column (hh:mm:ss), pressure in MILLIBAR, wind speed and direction, a missing
    temperature written -999.0."""
    specs = [("SOL", "ASCII_INTEGER", "4d", ""), ("LOCAL_LANDER_TIME", "TIME", "s", ""),
             ("PRESSURE", "ASCII_REAL", "7.3f", '    UNIT = "MILLIBAR"\n'),
             ("WIND_SPEED", "ASCII_REAL", "6.2f", '    UNIT = "M/S"\n'),
             ("WIND_DIRECTION", "ASCII_REAL", "6.1f", '    UNIT = "DEGREE"\n'),
             ("TEMPERATURE", "ASCII_REAL", "7.2f", '    UNIT = "K"\n    MISSING_CONSTANT = -999.0\n')]
    vals = [(1, "14:06:12", 7.695, 4.25, 180.5, 241.5), (1, "15:06:12", 7.701, 6.0, 200.0, -999.0),
            (2, "00:00:59", 7.8, 0.5, 10.0, 190.25)]
    recs, cols = ascii_rows(specs, vals, sep=",")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("VL1_MET_1", recs, cols))
    assert texts(t, "//p:Field_Character[p:name='LOCAL_LANDER_TIME']/p:data_type") == ["ASCII_Time"]
    assert texts(t, "//p:Field_Character[p:name='PRESSURE']/p:unit") == ["hPa"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "TEMPERATURE") == [241.5, -999.0, 190.25]
    assert strings(s, "LOCAL_LANDER_TIME") == ["14:06:12", "15:06:12", "00:00:59"]


def test_time_column_of_years_only_is_text(tmp_path, ctx_file):
    """A TIME/DATE column with values of one form that no PDS4 date type takes (a bare
    year, ``12:00 UT``): before, the type decision failed with an IndexError; now
    ASCII_String with a note."""
    recs, cols = ascii_rows([("YEAR", "DATE", "s", ""), ("T", "TIME", "s", ""), ("N", "ASCII_INTEGER", "2d", "")],
                            [("1978", "12:00 UT", 1), ("1979", "13:00 UT", 2)], sep=" ")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("YR_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_String", "ASCII_String", "ASCII_Integer"]
    assert any("'1978'" in n for n in r.notes)


def test_pioneer_venus_oims_style_table_with_doy_times_and_exponents(tmp_path, ctx_file):
    """Pioneer Venus Orbiter (PPI/Atmospheres): DOY time with milliseconds, orbit number,
    altitude, densities in E notation with a fill of 0.0E+00 as MISSING_CONSTANT,
    blank-separated with a leading blank."""
    specs = [("TIME", "TIME", "s", ""), ("ORBIT", "ASCII_INTEGER", "5d", ""),
             ("ALTITUDE", "ASCII_REAL", "8.2f", '    UNIT = "KM"\n'),
             ("O_DENSITY", "ASCII_REAL", "10.3E", '    UNIT = "CM**-3"\n    MISSING_CONSTANT = 0.0E+00\n')]
    vals = [("1979-012T03:14:15.926", 40, 152.25, 1.25e7), ("1979-012T03:14:27.926", 40, 151.5, 0.0)]
    recs, cols = ascii_rows(specs, vals, sep=" ")
    recs = [" " + x for x in recs]
    cols = _shift(cols, 1)  # each value after the leading blank
    r, t = migrated(tmp_path, ctx_file, *ascii_product("PVO_OIMS_1", recs, cols))
    assert texts(t, "//p:Field_Character[p:name='TIME']/p:data_type") == ["ASCII_Date_Time_DOY"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "O_DENSITY") == [1.25e7, 0.0]
    assert values(s, "ORBIT") == [40, 40]


def _shift(cols: str, by: int) -> str:
    """COLUMN objects with every START_BYTE moved ``by`` bytes."""
    import re

    return re.sub(r"START_BYTE = \+?(\d+)", lambda m: f"START_BYTE = {int(m.group(1)) + by}", cols)


def test_pathfinder_asimet_style_table_with_items_of_heights(tmp_path, ctx_file):
    """Mars Pathfinder ASIMET: SOL, local true solar time as text (``"13:02:11"`` quoted),
    SCLK integer, pressure, and the temperatures of the three mast heights as ITEMS of
    ASCII_REAL (ITEM_BYTES 7, ITEM_OFFSET 8)."""
    temps = np.array([[230.12, 229.5, 228.75], [231.0, 230.25, 229.0]])
    recs = [f'{sol:3d},"{lt}",{sclk:10d},{p:6.2f},' + ",".join(f"{v:7.2f}" for v in row)
            for (sol, lt, sclk, p), row in zip([(1, "13:02:11", 489024000, 6.75), (1, "13:06:11", 489024240, 6.74)],
                                                temps, strict=True)]
    cols = (col("SOL", "ASCII_INTEGER", 1, 3) + col("LTST", "CHARACTER", 5, 10)
            + col("SCLK", "ASCII_INTEGER", 16, 10) + col("PRESSURE", "ASCII_REAL", 27, 6, '    UNIT = "MBAR"\n')
            + col("TEMPERATURE", "ASCII_REAL", 34, 23,
                  '    ITEMS = 3\n    ITEM_BYTES = 7\n    ITEM_OFFSET = 8\n    UNIT = "KELVIN"\n'))
    r, t = migrated(tmp_path, ctx_file, *ascii_product("MPF_ASIMET_1", recs, cols))
    assert texts(t, "//p:Group_Field_Character/p:repetitions") == ["3"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "TEMPERATURE") == temps.tolist()
    assert strings(s, "LTST") == ['"13:02:11"', '"13:06:11"']


def test_mcs_ddr_style_two_tables_of_different_widths_in_one_stream_file(tmp_path, ctx_file):
    """MRO MCS DDR / TES atmosphere products: one STREAM file of a header-parameter table
    (one row) and a profile table (several rows of another width), both by <BYTES>."""
    head = "2007-01-01T00:00:00.000,  51.25, 215.5"
    prof = [f"{p:9.3E},{tk:7.2f},{d:8.4f}" for p, tk, d in [(610.0, 210.5, 0.0125), (305.0, 200.25, 0.0031)]]
    htext = head + "\r\n"
    hcols = col("UTC", "TIME", 1, 23) + col("LAT", "ASCII_REAL", 25, 7) + col("LS", "ASCII_REAL", 33, 6)
    pcols = (col("PRESSURE", "ASCII_REAL", 1, 9, '    UNIT = "PASCAL"\n') + col("T", "ASCII_REAL", 11, 7, '    UNIT = "K"\n')
             + col("DUST", "ASCII_REAL", 19, 8))
    lbl = ident("MCS_DDR_1") + f"""RECORD_TYPE = STREAM
^HEADER_TABLE = ("D.TAB", 1 <BYTES>)
^PROFILE_TABLE = ("D.TAB", {len(htext) + 1} <BYTES>)
{table_object('HEADER_TABLE', hcols, rows=1, row_bytes=len(htext))}
{table_object('PROFILE_TABLE', pcols, rows=2, row_bytes=len(prof[0]) + 2)}END
"""
    r, t = migrated(tmp_path, ctx_file, {"D.TAB": htext + "".join(x + "\r\n" for x in prof), "D.LBL": lbl}, "D.LBL")
    assert texts(t, "//p:Field_Character[p:name='PRESSURE']/p:unit") == ["Pa"]
    s = pds4_read(r.pds4_label)
    assert values(s["PROFILE_TABLE"], "PRESSURE") == [610.0, 305.0]
    assert values(s["HEADER_TABLE"], "LS") == [215.5]


def test_tes_style_binary_table_of_vax_and_msb_integers_with_items_of_spectra(tmp_path, ctx_file):
    """MGS TES / Viking IRTM re-deliveries: a binary table mixing VAX integers (LSB),
    MSB integers and an ITEMS spectrum of 2-byte MSB integers with a SCALING_FACTOR,
    a row of spare bytes at the end."""
    rows = np.zeros(2, dtype=[("SCLK", "<u4"), ("DET", ">i2"), ("SPEC", ">i2", (6,)), ("SPARE", "S4")])
    rows["SCLK"], rows["DET"] = [619000000, 619000002], [3, 6]
    rows["SPEC"] = np.arange(12).reshape(2, 6) * 100 - 500
    r, t = migrated(tmp_path, ctx_file, *binary("TES_1", rows, types={"SCLK": "VAX_UNSIGNED_INTEGER", "SPARE": "CHARACTER"},
                                               extra={"SPEC": "    SCALING_FACTOR = 0.0001\n"}))
    assert texts(t, "//p:Field_Binary/p:data_type") == ["UnsignedLSB4", "SignedMSB2", "SignedMSB2", "ASCII_String"]
    s = pds4_raw(r.pds4_label)["TABLE"]
    assert values(s, "SPEC") == rows["SPEC"].tolist()


# --------------------------------------------------------------------------- ODL spellings of old volumes


def test_old_volume_odl_comments_units_on_sizes_unnamed_end_object_and_mixed_case(tmp_path, ctx_file):
    """Labels of early CD-ROM volumes: ``/* comments */`` on their own lines, after values
    and inside objects; sizes with units (``RECORD_BYTES = 16 <BYTES>``); ``END_OBJECT``
    without a name; mixed-case keywords; a DESCRIPTION continued over lines holding ``/*``
    inside the quotes; ``^IMAGE = ("F.IMG", 3)`` with LABEL_RECORDS; tabs before values."""
    img = (np.arange(4 * 16).reshape(4, 16) % 97).astype("u1")
    lbl = ident("OLD_1").replace("\n", "   /* identification */\n", 2) + """/* File format and length */
Record_Type = FIXED_LENGTH
RECORD_BYTES\t= 16 <BYTES>      /* one image line */
FILE_RECORDS = 6
LABEL_RECORDS = 2
/* Pointers to objects */
^IMAGE = ("F.IMG", 3)
/* Image object */
OBJECT = IMAGE
  /* dimensions */
  Lines = 4
  LINE_SAMPLES = 16 /* samples */
  Sample_Type = UNSIGNED_INTEGER
  SAMPLE_BITS = 8 <BITS>
  DESCRIPTION = "An image of the old volumes;
     its text runs on /* not a comment */ over
     three lines."
END_OBJECT
END
"""
    data = b"#" * 32 + img.tobytes()
    r, t = migrated(tmp_path, ctx_file, {"F.IMG": data, "F.LBL": lbl}, "F.LBL")
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["32"]
    assert "/* not a comment */" in " ".join(texts(t, "//p:Array_2D_Image/p:description"))
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == img.tolist()


def test_numeric_keywords_holding_no_value_words(tmp_path, ctx_file):
    """Columns whose numeric keywords hold PDS3's no-value words (``SCALING_FACTOR = "N/A"``,
    ``OFFSET = N/A``, ``MISSING_CONSTANT = NULL``, ``UNIT = "UNK"``), a quoted DATA_TYPE,
    and a binary table without INTERCHANGE_FORMAT: the words are no value, never a
    scaling of the data."""
    rows = np.zeros(2, dtype=[("A", ">i4"), ("B", ">f4")])
    rows["A"], rows["B"] = [7, -8], [1.5, 2.5]
    cols = (col("A", '"MSB_INTEGER"', 1, 4, '    SCALING_FACTOR = "N/A"\n    OFFSET = N/A\n    UNIT = "UNK"\n')
            + col("B", "IEEE_REAL", 5, 4, "    MISSING_CONSTANT = NULL\n    VALID_MINIMUM = \"N/A\"\n"))
    lbl = table_label("NA_1", cols, file="T.DAT", rows=2, row_bytes=8).replace("  INTERCHANGE_FORMAT = BINARY\n", "")
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Field_Binary/p:scaling_factor") == []
    assert texts(t, "//p:Field_Binary/p:unit") == []
    assert texts(t, "//p:Field_Binary//p:missing_constant") == []
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "A") == [7, -8]


def test_numeric_keywords_with_units(tmp_path, ctx_file):
    """Numeric keywords written with a unit (``OFFSET = 3396.0 <KM>``, ``SCALING_FACTOR =
    0.001 <KM>``, ``MISSING_CONSTANT = -9999 <M>``, ``BYTES = 4 <BYTES>``): the number is the
    value (MOLA/PEDR-style radius tables)."""
    rows = np.zeros(2, dtype=[("RADIUS", ">i4"), ("H", ">i2")])
    rows["RADIUS"], rows["H"] = [1250, -9999], [12, -3]
    cols = (col("RADIUS", "MSB_INTEGER", 1, None,
                "    BYTES = 4 <BYTES>\n    SCALING_FACTOR = 0.001 <KM>\n    OFFSET = 3396.0 <KM>\n"
                '    UNIT = "KM"\n    MISSING_CONSTANT = -9999 <M>\n')
            + col("H", "MSB_INTEGER", 5, 2))
    lbl = table_label("UNITS_1", cols, file="T.DAT", rows=2, row_bytes=6)
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Field_Binary[p:name='RADIUS']/p:scaling_factor") == ["0.001"]
    assert texts(t, "//p:Field_Binary[p:name='RADIUS']/p:value_offset") == ["3396.0"]
    assert texts(t, "//p:Field_Binary[p:name='RADIUS']//p:missing_constant") == ["-9999"]
    assert values(pds4_raw(r.pds4_label)["TABLE"], "RADIUS") == [1250, -9999]


def test_identification_of_old_labels_no_product_id_unk_times_and_name_lists(tmp_path, ctx_file):
    """An old label with no PRODUCT_ID (FILE_NAME only), ``START_TIME = UNK``,
    ``STOP_TIME = "N/A"``, DATA_SET_ID as a sequence, TARGET_NAME as a set and
    INSTRUMENT_NAME as a sequence: the product is named by its label's file name, the
    times are nil, each data set, target and instrument is named."""
    rows = np.array([(1,), (2,)], dtype=[("N", ">u2")])
    lbl = table_label("X", col("N", "MSB_UNSIGNED_INTEGER", 1, 2), file="T.DAT", rows=2, row_bytes=2)
    lbl = (lbl.replace('PRODUCT_ID = "X"\n', 'FILE_NAME = "OLD0042.DAT"\n')
           .replace('DATA_SET_ID = "TSC-M-CAM-2-EDR-V1.0"', 'DATA_SET_ID = ("TSC-M-CAM-2-EDR-V1.0", "TSC-M-CAM-3-RDR-V1.0")')
           .replace("TARGET_NAME = MARS", "TARGET_NAME = {MARS, PHOBOS}")
           .replace('INSTRUMENT_NAME = "TEST CAMERA"', 'INSTRUMENT_NAME = ("TEST CAMERA", "SPECTROMETER")')
           .replace("START_TIME = 2020-01-01T00:00:00.5", "START_TIME = UNK")
           .replace("STOP_TIME = 2020-001T01:00:00", 'STOP_TIME = "N/A"'))
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "OLD0042.LBL": lbl}, "OLD0042.LBL")
    assert r.lid == "urn:nasa:pds:test_bundle:data:old0042"
    assert texts(t, "//p:Time_Coordinates/p:start_date_time") == [None]
    assert [x.upper() for x in texts(t, "//p:Target_Identification/p:name")] == ["MARS", "PHOBOS"]
    assert texts(t, "//p:Observing_System_Component[p:type='Instrument']/p:name") == ["TEST CAMERA", "SPECTROMETER"]
    ref = " ".join(texts(t, "//p:External_Reference/p:description") + texts(t, "//p:External_Reference/p:reference_text"))
    assert "TSC-M-CAM-2-EDR-V1.0" in ref and "TSC-M-CAM-3-RDR-V1.0" in ref


def test_product_id_no_value_word_uses_the_label_name(tmp_path, ctx_file):
    """``PRODUCT_ID = "N/A"`` (some SBN and lab labels) counts as no PRODUCT_ID: the
    label's file name names the product (never a LID ending ``n_a``)."""
    rows = np.array([(1,), (2,)], dtype=[("N", ">u2")])
    lbl = table_label("N/A", col("N", "MSB_UNSIGNED_INTEGER", 1, 2), file="T.DAT", rows=2, row_bytes=2)
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "LAB_7.LBL": lbl}, "LAB_7.LBL")
    assert r.lid == "urn:nasa:pds:test_bundle:data:lab_7"


@pytest.mark.parametrize(("start", "stop", "iso_start", "iso_stop"), [
    ("1997-185T17:00:00.123Z", "1997-186", "1997-07-04T17:00:00.123Z", "1997-07-05T00:00:00Z"),
    ('"1997-07-04T17:00"', "1997-07-04T18:30:00Z", "1997-07-04T17:00Z", "1997-07-04T18:30:00Z"),
    ("1997-07-04", "NULL", "1997-07-04T00:00:00Z", None),
])
def test_start_stop_time_spellings(tmp_path, ctx_file, start, stop, iso_start, iso_stop):
    """START_TIME/STOP_TIME as old labels wrote them: day of year with ``Z`` and
    milliseconds, date only, quoted minutes, ``NULL``."""
    rows = np.array([(1,)], dtype=[("N", ">u2")])
    lbl = table_label("TM_1", col("N", "MSB_UNSIGNED_INTEGER", 1, 2), file="T.DAT", rows=1, row_bytes=2)
    lbl = lbl.replace("START_TIME = 2020-01-01T00:00:00.5", f"START_TIME = {start}").replace(
        "STOP_TIME = 2020-001T01:00:00", f"STOP_TIME = {stop}")
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert texts(t, "//p:Time_Coordinates/p:start_date_time") == [iso_start]
    assert texts(t, "//p:Time_Coordinates/p:stop_date_time") == [iso_stop]


def test_namespaced_keywords_groups_and_sequences_of_sequences(tmp_path, ctx_file):
    """Mission-specific keywords with a namespace (``MRO:DETECTOR_TEMPERATURE``,
    ``GLL:FRAME_DURATION``), GROUP blocks, a sequence of sequences and a set of quoted
    strings at the top level of the label; none of them is a data object."""
    rows = np.array([(3,), (4,)], dtype=[("N", ">u2")])
    lbl = table_label("NS_1", col("N", "MSB_UNSIGNED_INTEGER", 1, 2), file="T.DAT", rows=2, row_bytes=2)
    lbl = lbl.replace("RECORD_TYPE", """MRO:DETECTOR_TEMPERATURE = -12.5 <DEGC>
GLL:FRAME_DURATION = 8.667 <SECOND>
FILTER_NAME = {"CLEAR", "RED"}
CORNER_COORDINATES = ((1.5, 2.5), (3.5, 4.5))
GROUP = INSTRUMENT_STATE_PARMS
  EXPOSURE_DURATION = 12.5 <MS>
  GAIN_MODE_ID = "100K"
END_GROUP = INSTRUMENT_STATE_PARMS
RECORD_TYPE""", 1)
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert r.objects == ["TABLE → Table_Binary"]
    assert values(pds4_read(r.pds4_label)["TABLE"], "N") == [3, 4]


def test_attached_label_padded_with_nul_bytes_after_end(tmp_path, ctx_file):
    """Attached labels whose label records are padded with NUL bytes after END (and CR LF
    line ends): the label ends at END, the table starts at its record."""
    rb = 32
    rows = np.zeros(3, dtype=[("T", ">f8"), ("V", ">i4", (6,))])
    rows["T"], rows["V"] = [0.5, 1.5, 2.5], np.arange(18).reshape(3, 6)

    def label(lr: int) -> str:
        return table_label("NUL_1", bcols(rows.dtype, types={"T": "IEEE_REAL"}), file="", rows=3, row_bytes=rb,
                           pointer=str(lr + 1)).replace("FILE_RECORDS = 3", f"FILE_RECORDS = {lr + 3}\n"
                                                        f"LABEL_RECORDS = {lr}").replace("\n", "\r\n")

    lr = -(-len(label(9).encode()) // rb)
    data = label(lr).encode().ljust(lr * rb, b"\0") + rows.tobytes()
    r, t = migrated(tmp_path, ctx_file, {"N.DAT": data}, "N.DAT")
    assert texts(t, "//p:Table_Binary/p:offset") == [str(lr * rb)]
    assert values(pds4_read(r.pds4_label)["TABLE"], "V") == rows["V"].tolist()


# --------------------------------------------------------------------------- more layouts


def test_fits_bintable_style_eight_byte_integers_strings_and_logical_bytes(tmp_path, ctx_file):
    """SBN FITS binary tables: 8-byte MSB integers (TFORM K) with a TNULL as
    MISSING_CONSTANT, a TIME column stored as text inside the binary record, a FITS logical
    (``T``/``F`` bytes) described as a 1-byte CHARACTER column, a vector (TFORM 3E) as ITEMS."""
    rows = np.zeros(2, dtype=[("ID", ">i8"), ("UTC", "S23"), ("FLAG", "S1"), ("POS", ">f4", (3,))])
    rows["ID"] = [2 ** 40 + 1, -9223372036854775808]
    rows["UTC"] = [b"2010-11-04T13:59:47.310", b"2010-11-04T14:00:47.310"]
    rows["FLAG"], rows["POS"] = [b"T", b"F"], [[1.0, 2.0, 3.0], [-1.0, -2.0, -3.5]]
    r, t = migrated(tmp_path, ctx_file, *binary("FBT_1", rows, types={"UTC": "TIME", "FLAG": "CHARACTER"},
                                               extra={"ID": "    MISSING_CONSTANT = -9223372036854775808\n"}))
    assert texts(t, "//p:Field_Binary/p:data_type") == ["SignedMSB8", "ASCII_Date_Time_YMD", "ASCII_String",
                                                         "IEEE754MSBSingle"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "ID")[0] == 2 ** 40 + 1
    assert strings(s, "FLAG") == ["T", "F"]
    assert values(s, "POS") == rows["POS"].tolist()


def test_bit_column_with_items(tmp_path, ctx_file):
    """A BIT_COLUMN repeated with ITEMS/ITEM_BITS (PDS3 Standards: status flags of 4
    detectors, 2 bits each, in one MSB byte), beside a whole-byte column."""
    rows = np.zeros(3, dtype=[("STATUS", "u1"), ("V", ">i2")])
    rows["STATUS"], rows["V"] = [0b00011011, 0b11100100, 0b01010101], [1, 2, 3]
    bits = ("    OBJECT = BIT_COLUMN\n      NAME = DETECTOR_STATE\n      BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER\n"
            "      START_BIT = 1\n      BITS = 8\n      ITEMS = 4\n      ITEM_BITS = 2\n    END_OBJECT = BIT_COLUMN\n")
    r, t = migrated(tmp_path, ctx_file, *binary("BCI_1", rows, types={"STATUS": "MSB_UNSIGNED_INTEGER"},
                                               extra={"STATUS": bits}))
    pds4 = pdsgen.open(r.pds4_label)["TABLE"].data
    want = [[(b >> (6 - 2 * i)) & 3 for i in range(4)] for b in rows["STATUS"].tolist()]
    # one Field_Bit per item, numbered (Field_Bit has no repetition)
    assert texts(t, "//p:Field_Bit/p:name") == [f"DETECTOR_STATE_{i}" for i in range(1, 5)]
    assert texts(t, "//p:Field_Bit/p:start_bit_location") == ["1", "3", "5", "7"]
    got = np.column_stack([np.asarray(pds4[f"DETECTOR_STATE_{i}"]) for i in range(1, 5)])
    assert got.tolist() == want


@pytest.mark.parametrize(("storage", "axes"), [
    ("BAND_INTERLEAVED_BY_LINE", "lbs"), ('"BAND SEQUENTIAL"', "bls"), ("BIL", "lbs"), ("BIP", "lsb"),
    ("BSQ", "bls"),
])
def test_band_storage_type_spellings(tmp_path, ctx_file, storage, axes):
    """BAND_STORAGE_TYPE as some labels spell it (``BAND_INTERLEAVED_BY_LINE``, ``BIL``,
    ``BIP``, ``BSQ``, a blank for the underscore): the bytes are read in the order the
    spelling names — never silently as band sequential."""
    cube = np.arange(2 * 3 * 4, dtype="u1").reshape(2, 3, 4)  # (band, line, sample)
    stored = {"bls": cube, "lbs": cube.transpose(1, 0, 2), "lsb": cube.transpose(1, 2, 0)}[axes]
    lbl = ident("BST_1") + f"""^IMAGE = "B.IMG"
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  BANDS = 2
  BAND_STORAGE_TYPE = {storage}
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"B.IMG": np.ascontiguousarray(stored).tobytes(), "B.LBL": lbl}, "B.LBL")
    assert np.asarray(pdsgen.open(tmp_path / "in" / "B.LBL")["IMAGE"].data).tolist() in (
        cube.tolist(), stored.tolist())
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == stored.tolist()


def test_columns_count_that_disagrees_with_the_column_objects(tmp_path, ctx_file):
    """``COLUMNS = 5`` over 3 COLUMN objects (a frequent label slip): the COLUMN objects
    describe the record; a warning, not a refusal."""
    rows = np.zeros(2, dtype=[("A", ">i2"), ("B", ">i2"), ("C", ">f4")])
    rows["A"], rows["B"], rows["C"] = [1, 2], [3, 4], [0.5, 0.25]
    files, name = binary("CC_1", rows, types={"C": "IEEE_REAL"})
    files["T.LBL"] = files["T.LBL"].replace("COLUMNS = 3", "COLUMNS = 5")
    r, t = migrated(tmp_path, ctx_file, files, name)
    assert values(pds4_read(r.pds4_label)["TABLE"], "C") == [0.5, 0.25]


def test_items_column_without_bytes(tmp_path, ctx_file):
    """A COLUMN with ITEMS and ITEM_BYTES but no BYTES (its size is ITEMS × ITEM_BYTES)."""
    rows = np.zeros(2, dtype=[("T", ">f8"), ("C", ">u2", (5,))])
    rows["T"], rows["C"] = [1.0, 2.0], np.arange(10).reshape(2, 5)
    cols = col("T", "IEEE_REAL", 1, 8) + col("C", "MSB_UNSIGNED_INTEGER", 9, None, "    ITEMS = 5\n    ITEM_BYTES = 2\n")
    lbl = table_label("IB_1", cols, file="T.DAT", rows=2, row_bytes=18)
    r, t = migrated(tmp_path, ctx_file, {"T.DAT": rows.tobytes(), "T.LBL": lbl}, "T.LBL")
    assert values(pds4_read(r.pds4_label)["TABLE"], "C") == rows["C"].tolist()


def test_ascii_table_rows_padded_with_a_blank_before_lf(tmp_path, ctx_file):
    """ROW_BYTES counting CR LF while the file has LF-only lines one blank longer (a
    conversion from CR LF that kept the record length): the records are LF-terminated."""
    recs = [f"{i:4d} {v:8.3f} " for i, v in [(1, 1.5), (2, -2.25), (3, 1000.0)]]
    cols = col("I", "ASCII_INTEGER", 1, 4) + col("V", "ASCII_REAL", 6, 8)
    lbl = table_label("PAD_1", cols, file="A.TAB", rows=3, row_bytes=len(recs[0]) + 1, fmt="ASCII")
    r, t = migrated(tmp_path, ctx_file, {"A.TAB": "".join(x + "\n" for x in recs), "A.LBL": lbl}, "A.LBL")
    assert texts(t, "//p:Table_Character/p:Record_Character/p:record_delimiter") in (["Line-Feed"], [])
    assert values(pds4_read(r.pds4_label)["TABLE"], "V") == [1.5, -2.25, 1000.0]


def test_trimmed_trailing_blanks_of_a_last_character_column(tmp_path, ctx_file):
    """PPI / SBN ASCII tables whose last CHARACTER column (a comment) had its trailing
    blanks trimmed, so lines vary in length while every other column is at its START_BYTE.
    pdsgen's PDS3 reader reads it line by line; migration refuses it: PDS4 Table_Character
    records all have record_length bytes and no PDS4 delimited table separates fields by
    blanks (before: refused with the file-size error of a by-product read)."""
    recs = ["2001-01-01T00:00:00  12.50 quiet", "2001-01-01T00:01:00  13.25 storm onset", "2001-01-01T00:02:00   1.00"]
    cols = col("UTC", "TIME", 1, 19) + col("KP", "ASCII_REAL", 21, 6) + col("NOTE", "CHARACTER", 28, 12)
    lbl = table_label("TRIM_1", cols, file="A.TAB", rows=3, row_bytes=41, fmt="ASCII", stream=True)
    r = product(tmp_path, ctx_file, {"A.TAB": "".join(x + "\r\n" for x in recs), "A.LBL": lbl}, "A.LBL")
    assert (r.status, r.reason) == ("failed", "object 'TABLE': 3 of 3 lines are not 39-byte records ending "
                                    "b'\\r\\n' (lines of varying length, e.g. trimmed trailing blanks); PDS4 "
                                    "Table_Character records are all record_length bytes and Table_Delimited takes "
                                    "only comma, tab, semicolon or vertical-bar delimiters")
    # pdsgen's PDS3 reading of it (line by line, padded) is what the refusal is about
    table = pdsgen.open(tmp_path / "in" / "A.LBL")["TABLE"].data
    assert [x.decode() for x in table["NOTE"]] == ["quiet", "storm onset", ""]
    assert not (tmp_path / "out" / "A.xml").exists()


def test_fortran_overflow_stars_in_a_real_column(tmp_path, ctx_file):
    """Fortran-written tables where a value overflowed its F format (``*********``): the
    column is text (pds4_tools would fail converting the stars), with a note."""
    recs = [f"{i:3d} {v}" for i, v in [(1, "   12.500"), (2, "*********"), (3, "   -1.250")]]
    cols = col("I", "ASCII_INTEGER", 1, 3) + col("V", "ASCII_REAL", 5, 9, '    FORMAT = "F9.3"\n')
    r, t = migrated(tmp_path, ctx_file, *ascii_product("STAR_1", recs, cols))
    assert texts(t, "//p:Field_Character[p:name='V']/p:data_type") == ["ASCII_String"]
    assert any("'*********'" in n for n in r.notes)
    assert strings(pds4_read(r.pds4_label)["TABLE"], "V") == ["12.500", "*********", "-1.250"]


def test_fits_primary_cube_of_three_bands(tmp_path, ctx_file):
    """FITS cube (NAXIS3 = 3) described as an IMAGE of 3 bands, band sequential, by record."""
    cube = (np.arange(3 * 2 * 4).reshape(3, 2, 4) * 0.5).astype(">f4")
    lbl = ident("CUBE_1") + """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 2880
FILE_RECORDS = 2
^HEADER = ("C.FIT", 1)
^IMAGE = ("C.FIT", 2)
OBJECT = HEADER
  HEADER_TYPE = FITS
  BYTES = 2880
END_OBJECT = HEADER
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 4
  BANDS = 3
  BAND_STORAGE_TYPE = BAND_SEQUENTIAL
  SAMPLE_TYPE = IEEE_REAL
  SAMPLE_BITS = 32
END_OBJECT = IMAGE
END
"""
    data = fits_block("SIMPLE  =                    T", "NAXIS   =                    3") + pad2880(cube.tobytes())
    r, t = migrated(tmp_path, ctx_file, {"C.FIT": data, "C.LBL": lbl}, "C.LBL")
    assert texts(t, "//p:Array_3D_Image/p:Axis_Array/p:axis_name") == ["Band", "Line", "Sample"]
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"].data).tolist() == cube.tolist()


def test_vax_real_image_is_refused_naming_the_type(tmp_path, ctx_file):
    """Viking Orbiter / early Voyager processed images in VAX_REAL: PDS4 has no VAX real
    type and migration never rewrites data, so the product is refused naming the type."""
    lbl = ident("VAXR_1") + """^IMAGE = "V.IMG"
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 2
  SAMPLE_TYPE = VAX_REAL
  SAMPLE_BITS = 32
END_OBJECT = IMAGE
END
"""
    r = product(tmp_path, ctx_file, {"V.IMG": bytes(16), "V.LBL": lbl}, "V.LBL")
    assert (r.status, r.reason) == ("failed", "object 'IMAGE': PDS3 data type 'VAX_REAL' has no PDS4 data type "
                                    "(VAX/IBM reals, binary BOOLEAN and LSB bit strings cannot be described without "
                                    "rewriting the data)")


def test_unknown_band_storage_type_of_several_bands_is_refused(tmp_path, ctx_file):
    """A BAND_STORAGE_TYPE that names no order PDS3 defines, over several bands: refused
    (before: read as band sequential whatever the bytes were)."""
    lbl = ident("BST_2") + """^IMAGE = "B.IMG"
OBJECT = IMAGE
  LINES = 1
  LINE_SAMPLES = 2
  BANDS = 2
  BAND_STORAGE_TYPE = INTERLEAVED
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = IMAGE
END
"""
    r = product(tmp_path, ctx_file, {"B.IMG": bytes(4), "B.LBL": lbl}, "B.LBL")
    assert r.status == "failed"
    assert r.reason.startswith("object 'IMAGE' cannot be read: ")
    assert r.reason.endswith("B.IMG: object 'IMAGE': BAND_STORAGE_TYPE 'INTERLEAVED' is not a band storage PDS3 "
                             "defines (BAND_SEQUENTIAL, LINE_INTERLEAVED, SAMPLE_INTERLEAVED)")


# --------------------------------------------------------------------------- value spellings


def test_integer_column_beyond_64_bits_is_text(tmp_path, ctx_file):
    """A spacecraft clock written as a 23-digit ASCII_INTEGER (more than int64 holds): the
    PDS3 reading cannot hold the numbers (masked, a warning); the column is described as
    ASCII_String with the same text. Before: the read-back refused it ("masked vs '1234…'")."""
    big = [12345678901234567890123, 12345678901234567890124]
    recs, cols = ascii_rows([("SCLK", "ASCII_INTEGER", "23d", ""), ("N", "ASCII_INTEGER", "2d", "")],
                            [(big[0], 1), (big[1], 2)], sep=" ")
    r, t = migrated(tmp_path, ctx_file, *ascii_product("BIG_1", recs, cols))
    assert texts(t, "//p:Field_Character[p:name='SCLK']/p:data_type") == ["ASCII_String"]
    assert [int(x) for x in strings(pds4_read(r.pds4_label)["TABLE"], "SCLK")] == big


def test_reals_with_a_leading_or_trailing_point(tmp_path, ctx_file):
    """Fortran list-directed reals written ``.5`` and ``10.`` (no digit before or after the
    point): PDS4 ASCII_Real takes both."""
    recs = ["   .5  5.", "-.25  10."]
    cols = col("A", "ASCII_REAL", 1, 5) + col("B", "ASCII_REAL", 7, 3)
    r, t = migrated(tmp_path, ctx_file, *ascii_product("DOT_1", recs, cols))
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "A") == [0.5, -0.25]
    assert values(s, "B") == [5.0, 10.0]


def test_times_with_nanoseconds_are_text_and_leap_seconds_stay_times(tmp_path, ctx_file):
    """TIME columns with 9 fraction digits (nanosecond clocks; PDS4 date-times take at most
    6: before, the label failed validation) are ASCII_String with a note; a leap second
    (``23:59:60.500``) is a valid PDS4 date-time."""
    recs = ["2015-01-01T00:00:00.123456789,1998-12-31T23:59:60.500", "2015-01-01T00:00:00.223456789,1999-01-01T00:00:00.000"]
    cols = col("T_NS", "TIME", 1, 29) + col("T_LEAP", "TIME", 31, 23)
    r, t = migrated(tmp_path, ctx_file, *ascii_product("NS_1", recs, cols))
    assert texts(t, "//p:Field_Character/p:data_type") == ["ASCII_String", "ASCII_Date_Time_YMD"]
    assert any("'2015-01-01T00:00:00.123456789'" in n for n in r.notes)
    s = pds4_read(r.pds4_label)["TABLE"]
    assert strings(s, "T_NS") == ["2015-01-01T00:00:00.123456789", "2015-01-01T00:00:00.223456789"]


def test_tab_inside_a_character_column(tmp_path, ctx_file):
    """A CHARACTER column holding a horizontal tab (hand-typed observing logs)."""
    recs = ["a\tb   ,1", "cc  d ,2"]
    cols = col("T", "CHARACTER", 1, 6) + col("N", "ASCII_INTEGER", 8, 1)
    r, t = migrated(tmp_path, ctx_file, *ascii_product("TAB_1", recs, cols))
    assert strings(pds4_read(r.pds4_label)["TABLE"], "T") == ["a\tb", "cc  d"]


def test_band_sequential_bands_with_line_prefixes(tmp_path, ctx_file):
    """Band-sequential bands whose every stored line carries a prefix (Voyager/Mariner
    multi-filter products): a Table_Binary of bands × lines records."""
    cube = np.arange(2 * 3 * 4, dtype="u1").reshape(2, 3, 4)
    lines = np.concatenate([np.full((2, 3, 2), 255, "u1"), cube], axis=2)
    lbl = ident("BP_1") + """^IMAGE = "B.IMG"
OBJECT = IMAGE
  LINES = 3
  LINE_SAMPLES = 4
  BANDS = 2
  BAND_STORAGE_TYPE = BAND_SEQUENTIAL
  LINE_PREFIX_BYTES = 2
  SAMPLE_TYPE = UNSIGNED_INTEGER
  SAMPLE_BITS = 8
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"B.IMG": lines.tobytes(), "B.LBL": lbl}, "B.LBL")
    assert texts(t, "//p:Table_Binary/p:records") == ["6"]
    assert np.asarray(pds4_read(r.pds4_label)["IMAGE"]["SAMPLE"]).tolist() == cube.reshape(6, 4).tolist()


def test_ihw_style_80_byte_card_images_without_line_ends(tmp_path, ctx_file):
    """IHW / early SBN tape-image files: ASCII tables of 80-byte card images one after the
    other, no line ends, trailing blanks in each card, ^TABLE by record after a card of
    header text. Described as a Table_Binary of ASCII fields (like FITS ASCII tables)."""
    cards = [f"{jd:13.5f}{ra:10.5f}{dec:10.5f}{m:6.2f}".ljust(80) for jd, ra, dec, m in
             [(2446470.5, 334.12345, -10.5, 4.25), (2446471.5, 335.0, -11.25, 4.5)]]
    cols = (col("JD", "ASCII_REAL", 1, 13) + col("RA", "ASCII_REAL", 14, 10, '    UNIT = "DEGREE"\n')
            + col("DEC", "ASCII_REAL", 24, 10, '    UNIT = "DEGREE"\n') + col("MAG", "ASCII_REAL", 34, 6))
    lbl = ident("IHW_AST_1") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 80
FILE_RECORDS = 3
^HEADER = ("A.DAT", 1)
^TABLE = ("A.DAT", 2)
OBJECT = HEADER
  HEADER_TYPE = TEXT
  BYTES = 80
END_OBJECT = HEADER
{table_object('TABLE', cols, rows=2, row_bytes=80)}END
"""
    data = "IHW ASTROMETRY NETWORK  COMET HALLEY".ljust(80) + "".join(cards)
    r, t = migrated(tmp_path, ctx_file, {"A.DAT": data, "A.LBL": lbl}, "A.LBL")
    assert texts(t, "//p:Table_Binary/p:offset") == ["80"]
    assert texts(t, "//p:Field_Binary/p:data_type") == ["ASCII_Real"] * 4
    s = pds4_read(r.pds4_label)["TABLE"]
    assert values(s, "RA") == [334.12345, 335.0]
    assert values(s, "MAG") == [4.25, 4.5]
