"""PDS4 writers: labels pass XML Schema and Schematron (1M00), and the data reads back
identically through pds4_tools and pdsgen.open."""

from __future__ import annotations

import numpy as np
import pytest
from lxml import etree

import pdsgen
from pdsgen.render import write_ancillary_table, write_array, write_browse, write_table
from tests._render_helpers import CREATED, SPECIAL, context, mixed_table
from tests.conftest import PDS_V1, schema_catalog

SCH = PDS_V1 / "PDS4_PDS_1M00.sch"
XSD = PDS_V1 / "PDS4_PDS_1M00.xsd"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
       b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


def _valid(label):
    """XML Schema (lxml) and Schematron (saxonche), both resolved from the URLs the label
    cites through ../shared/pds4-schemas/catalog.xml, or the schemas pdsgen ships."""
    from pdsgen.validate.schematron import check_schematron
    from pdsgen.validate.xsd import check_xsd

    catalog = schema_catalog()
    doc = etree.parse(str(label))
    loc = doc.getroot().get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation").split()[1]
    assert loc == "http://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1M00.xsd"
    assert catalog.resolve(loc).resolve() == XSD.resolve()
    errors = check_xsd(doc, catalog, file=str(label))
    assert not errors, [f.message for f in errors]
    pi = doc.getroot().getprevious()
    href = pi.get("href")
    assert href == "http://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1M00.sch"
    assert pi.get("schematypens") == "http://purl.oclc.org/dsdl/schematron"
    sch = catalog.resolve(href)
    assert sch.resolve() == SCH.resolve()
    errors = [f for f in check_schematron(str(label), str(sch)) if f.is_error]
    assert not errors, [f.message for f in errors]


def _expected(values: np.ndarray, special: float | None = None) -> np.ndarray:
    if values.dtype.kind == "f" and special is not None:
        return np.where(np.isnan(values), special, values)
    return values


@pytest.mark.parametrize("fmt", ["character", "delimited", "binary"])
@pytest.mark.parametrize("writer", [write_table, write_ancillary_table])
def test_table_valid_and_round_trip(tmp_path, fmt, writer):
    import pds4_tools

    table = mixed_table()
    out = writer(table, tmp_path, basename=f"t_{fmt}", context=context(), table_format=fmt,
                 special_constants=SPECIAL, creation_time=CREATED, units={"f8": "km/s"},
                 descriptions={"u2": "counts"})
    _valid(out.label_path)
    # reference reader
    s = pds4_tools.read(str(out.label_path), quiet=True, lazy_load=True)
    ref = s[0]
    for name, values in table.items():
        got = np.asarray(ref[name])
        if values.dtype.kind == "U":
            assert [str(v).strip() for v in got] == [v.strip() for v in values]
        elif fmt == "binary":
            np.testing.assert_array_equal(got, values)  # NaN stays NaN in IEEE fields
            assert got.dtype.kind == values.dtype.kind
        else:
            np.testing.assert_array_equal(got.astype(values.dtype), _expected(values, -1e32))
    # pdsgen's own reader
    prod = pdsgen.open(out.label_path)
    assert prod.lidvid == out.lidvid == "urn:nasa:pds:test_bundle:data:prod_1::1.0"
    data = prod[0].data
    for name, values in table.items():
        if values.dtype.kind == "U":
            got = [v.decode() if isinstance(v, bytes) else v for v in data[name]]
            assert [g.strip() for g in got] == [v.strip() for v in values]
        else:
            exp = values if fmt == "binary" else _expected(values, -1e32)
            np.testing.assert_array_equal(np.asarray(data[name]).astype(values.dtype), exp)


def test_table_label_numbers(tmp_path):
    """Record length, field locations, file size and MD5 are what the bytes say."""
    import hashlib

    table = {"a": np.array([1, -20, 300]), "b": np.array([0.1, 2.5, 1e20]), "s": np.array(["x", "yy", "z"])}
    out = write_table(table, tmp_path, basename="small", context=context(), creation_time=CREATED)
    raw = out.data_path.read_bytes()
    assert raw == b"  1   0.1 x \r\n-20   2.5 yy\r\n300 1e+20 z \r\n"
    doc = etree.parse(str(out.label_path))
    ns = {"p": "http://pds.nasa.gov/pds4/pds/v1"}
    assert doc.findtext(".//p:record_length", namespaces=ns) == "14"
    assert [e.text for e in doc.findall(".//p:field_location", ns)] == ["1", "5", "11"]
    assert [e.text for e in doc.findall(".//p:field_length", ns)] == ["3", "5", "2"]
    assert doc.findtext(".//p:file_size", namespaces=ns) == str(len(raw)) == str(out.size)
    assert doc.findtext(".//p:md5_checksum", namespaces=ns) == hashlib.md5(raw).hexdigest() == out.md5
    assert doc.findtext(".//p:creation_date_time", namespaces=ns) == CREATED
    assert doc.findtext(".//p:title", namespaces=ns) == "Test product & <friends>"
    stats = doc.findall(".//p:Field_Statistics", ns)
    assert [s.findtext("p:minimum", namespaces=ns) for s in stats] == ["-20", "0.1"]
    assert [s.findtext("p:maximum", namespaces=ns) for s in stats] == ["300", "1e+20"]


@pytest.mark.parametrize("order", ["big", "little"])
@pytest.mark.parametrize(
    "shape,dtype", [((7,), "u1"), ((5, 6), ">i2"), ((5, 6), "f4"), ((2, 3, 4), "f8"), ((3, 4), "u4")]
)
def test_array_valid_and_round_trip(tmp_path, shape, dtype, order):
    import pds4_tools

    rng = np.random.default_rng(3)
    arr = (rng.normal(size=shape) * 1000).astype(dtype)
    out = write_array(arr, tmp_path, basename="img", context=context(), byte_order=order,
                      creation_time=CREATED, unit="DN")
    _valid(out.label_path)
    ref = np.asarray(pds4_tools.read(str(out.label_path), quiet=True)[0].data)
    np.testing.assert_array_equal(ref, arr)
    got = pdsgen.open(out.label_path)[0].data
    np.testing.assert_array_equal(got, arr)
    assert got.dtype.newbyteorder("=") == np.dtype(dtype).newbyteorder("=")


def test_ancillary_array_and_browse_valid(tmp_path):
    out = write_array(np.eye(3), tmp_path, basename="cal", context=context(purpose="Calibration"),
                      product_class="Product_Ancillary", creation_time=CREATED)
    _valid(out.label_path)
    png = tmp_path / "plot.png"
    png.write_bytes(PNG)
    ctx = context(lid="urn:nasa:pds:test_bundle:browse:prod_1")
    b = write_browse(png, tmp_path, basename="prod_1_browse", context=ctx,
                     browse_of=["urn:nasa:pds:test_bundle:data:prod_1::1.0"], creation_time=CREATED)
    _valid(b.label_path)
    assert b.data_path.read_bytes() == PNG
    text = b.label_path.read_text()
    assert "<encoding_standard_id>PNG</encoding_standard_id>" in text
    assert "<reference_type>browse_to_data</reference_type>" in text


def test_minimal_context_and_other_im_version(tmp_path):
    """Without provenance or descriptions the label still validates; IM version is a setting."""
    ctx = context(input_products=[], calibration_files=[], parameters={}, recipe_name=None)
    out = write_table({"x": np.arange(3)}, tmp_path, basename="m", context=ctx, creation_time=CREATED)
    _valid(out.label_path)
    assert "<Reference_List>" not in out.label_path.read_text()
    out = write_table({"x": np.arange(3)}, tmp_path, basename="m2", context=ctx,
                      information_model_version="1.20.0.0", creation_time=CREATED)
    text = out.label_path.read_text()
    assert "PDS4_PDS_1K00.xsd" in text and "<information_model_version>1.20.0.0<" in text


def test_astropy_table_units_descriptions_and_mask(tmp_path):
    """Units, descriptions and masked values come from an astropy Table; masked entries are
    written as the column's missing_constant (from its meta) and read back masked."""
    import astropy.units as u
    from astropy.table import MaskedColumn, Table

    t = Table()
    t["time"] = np.array(["2004-01-01T00:00:00", "2004-01-01T00:01:00", "2004-01-01T00:02:00"],
                         dtype="datetime64[s]")
    t["flux"] = [1.5, 2.5, 3.5] * u.Unit("W / m2")
    t["flux"].description = "Flux density & co"
    t["count"] = MaskedColumn([10, 20, 30], mask=[False, True, False], dtype="i4",
                              meta={"missing_constant": -999})
    out = write_table(t, tmp_path, basename="apy", context=context(), creation_time=CREATED)
    _valid(out.label_path)
    text = out.label_path.read_text()
    assert "<unit>W / m2</unit>" in text and "<description>Flux density &amp; co</description>" in text
    assert "<missing_constant>-999</missing_constant>" in text
    assert "<data_type>ASCII_Date_Time_YMD_UTC</data_type>" in text
    assert out.data_path.read_bytes().splitlines()[1].split() == [b"2004-01-01T00:01:00Z", b"2.5", b"-999"]
    tab = pdsgen.open(out.label_path)[0].to_table()
    assert list(np.ma.getmaskarray(tab["count"])) == [False, True, False]
    assert tab["count"][0] == 10 and tab["count"][2] == 30
    np.testing.assert_array_equal(np.asarray(tab["flux"]), [1.5, 2.5, 3.5])


def test_every_builtin_pds4_template_validates(tmp_path):
    """Each shipped PDS4 product template, driven through its writer, passes XSD + Schematron."""
    from pdsgen.render import write_fits
    from pdsgen.render.writers import DEFAULT_TEMPLATES
    from pdsgen.resources import templates_dir

    shipped = {f"pds4/{p.name}" for p in (templates_dir() / "pds4").glob("*.xml.j2")
               if not p.name.startswith("_")}
    assert shipped == {t for (std, _, _), t in DEFAULT_TEMPLATES.items() if std == "pds4"}
    table = {"a": np.arange(4), "b": np.linspace(0, 1, 4), "s": np.array(["w", "x", "y", "z"])}
    png = tmp_path / "p.png"
    png.write_bytes(PNG)
    covered = set()
    for (std, cls, kind), template in DEFAULT_TEMPLATES.items():
        if std != "pds4":
            continue
        base = template.split("/")[1].split(".")[0].lower()
        kw = dict(context=context(), creation_time=CREATED)
        if kind == "table":
            for fmt in ("character", "delimited", "binary"):
                out = write_table(table, tmp_path, basename=f"{base}_{fmt}", product_class=cls,
                                  table_format=fmt, **kw)
                _valid(out.label_path)
        elif kind == "array":
            out = write_array(np.ones((2, 3), "f4"), tmp_path, basename=base, product_class=cls, **kw)
        elif kind == "fits":
            out = write_fits(table, tmp_path, basename=base, product_class=cls, **kw)
            _valid(out.label_path)
            out = write_fits(np.ones((2, 3), "i2"), tmp_path, basename=base + "_img",
                             product_class=cls, **kw)
        else:
            out = write_browse(png, tmp_path, basename=base, browse_of=["urn:nasa:pds:b:c:p::1.0"], **kw)
        _valid(out.label_path)
        covered.add(template)
    assert covered == shipped


@pytest.mark.parametrize("fmt", ["character", "delimited", "binary"])
def test_vector_columns_as_group_fields(tmp_path, fmt):
    """(rows, n) columns become Group_Field_* (repetitions n) and read back as (rows, n)."""
    import pds4_tools

    t = {"a": np.arange(4), "v": np.arange(12).reshape(4, 3) * 1.5,
         "s": np.array([["ab", "c"], ["d", "e"], ["f", "g"], ["h", "ij"]]),
         "i": np.arange(8, dtype=">i2").reshape(4, 2)}
    out = write_table(t, tmp_path, basename="g", context=context(), table_format=fmt,
                      creation_time=CREATED)
    _valid(out.label_path)
    doc = etree.parse(str(out.label_path))
    ns = {"p": "http://pds.nasa.gov/pds4/pds/v1"}
    assert doc.findtext(".//p:fields", namespaces=ns) == "1"
    assert doc.findtext(".//p:groups", namespaces=ns) == "3"
    assert [e.text for e in doc.findall(".//p:repetitions", ns)] == ["3", "2", "2"]
    ref = pds4_tools.read(str(out.label_path), quiet=True)[0]
    data = pdsgen.open(out.label_path)[0].data
    for name, values in t.items():
        for got in (np.asarray(ref[name]), np.asarray(data[name])):
            assert got.shape == values.shape
            if values.dtype.kind == "U":
                got = np.char.strip(np.char.decode(got) if got.dtype.kind == "S" else got.astype(str))
                assert got.tolist() == values.tolist()
            else:
                np.testing.assert_array_equal(got.astype(values.dtype), values)


def test_array_special_constants_scaling_and_statistics(tmp_path):
    import pds4_tools

    raw = np.arange(20, dtype=">i2").reshape(4, 5) - 3
    arr = np.ma.masked_array(raw, mask=raw % 7 == 0)
    out = write_array(arr, tmp_path, basename="sc", context=context(), scaling_factor=0.5,
                      value_offset=100.0, special_constants={"missing_constant": -32768},
                      creation_time=CREATED)
    _valid(out.label_path)
    stored = np.frombuffer(out.data_path.read_bytes(), dtype=">i2").reshape(4, 5)
    np.testing.assert_array_equal(stored, np.where(arr.mask, -32768, raw))
    doc = etree.parse(str(out.label_path))
    ns = {"p": "http://pds.nasa.gov/pds4/pds/v1"}
    valid = raw[~arr.mask]
    assert doc.findtext(".//p:Object_Statistics/p:minimum", namespaces=ns) == str(valid.min())
    assert doc.findtext(".//p:Object_Statistics/p:maximum", namespaces=ns) == str(valid.max())
    assert float(doc.findtext(".//p:Object_Statistics/p:mean", namespaces=ns)) == valid.mean()
    assert doc.findtext(".//p:Element_Array/p:scaling_factor", namespaces=ns) == "0.5"
    # pds4_tools scales valid values and leaves special constants as stored
    ref = np.asarray(pds4_tools.read(str(out.label_path), quiet=True)[0].data)
    np.testing.assert_array_equal(ref, np.where(arr.mask, -32768, raw * 0.5 + 100.0))
    obj = pdsgen.open(out.label_path)[0]
    np.testing.assert_array_equal(obj.data, stored)
    assert (obj.scaling_factor, obj.value_offset) == (0.5, 100.0)
    assert obj.special_constants.get("missing_constant") in (-32768, "-32768")


def test_non_ascii_provenance_and_long_names(tmp_path):
    from pdsgen.errors import LabelError

    ctx = context(parameters={"détecteur": "Saturn’s ring"}, title="Ünïcode title")
    out = write_table({"a": np.arange(2)}, tmp_path, basename="u", context=ctx, creation_time=CREATED)
    _valid(out.label_path)
    comment = etree.parse(str(out.label_path)).findtext(
        ".//{http://pds.nasa.gov/pds4/pds/v1}Observation_Area/{http://pds.nasa.gov/pds4/pds/v1}comment")
    assert comment.isascii() and "{'d%C3%A9tecteur': 'Saturn%E2%80%99s ring'}" in comment  # UTF-8 %XX
    from pdsgen.render.provenance import parse_provenance

    assert parse_provenance(comment).parameters == {"détecteur": "Saturn’s ring"}  # read back exactly
    with pytest.raises(LabelError, match="1 to 255"):
        write_table({"x" * 256: np.arange(2)}, tmp_path, basename="n", context=context())


def test_array_statistics_that_overflow_are_left_out(tmp_path):
    arr = np.array([[1.7e308, 1.7e308], [-1.7e308, 1.0]])
    out = write_array(arr, tmp_path, basename="big", context=context(), creation_time=CREATED)
    _valid(out.label_path)
    text = out.label_path.read_text()
    assert "<maximum>1.7e+308</maximum>" in text and "<mean>" not in text
    assert "<standard_deviation>" not in text
