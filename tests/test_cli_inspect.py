"""`pdsgen inspect` and `pdsgen export` on synthetic and real products."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CORPUS
from test_data_readers import array_xml, field_binary, table_binary, write_product

from pdsgen.cli.app import main


@pytest.fixture()
def product(tmp_path):
    return make_product(tmp_path)


def make_product(tmp_path):
    """A PDS4 product: a binary table (TEMP scaled by 0.5, -1 missing) and a 2x3 image."""
    extra = ("<unit>K</unit><scaling_factor>0.5</scaling_factor>"
             "<Special_Constants><missing_constant>-1</missing_constant></Special_Constants>")
    fields = field_binary("ID", "UnsignedMSB2", 1, 2) + field_binary("TEMP", "SignedMSB4", 3, 4, extra)
    records = [(1, 200), (2, -1), (3, 401)]
    table = b"".join(struct.pack(">Hi", a, b) for a, b in records)
    image = np.arange(6, dtype="<f4").reshape(2, 3)
    body = table_binary(3, 6, fields) + array_xml("Array_2D_Image", "IEEE754LSBSingle", (2, 3), offset=len(table))
    return write_product(tmp_path, body, table + image.tobytes())


def test_inspect_json(product):
    result = CliRunner().invoke(main, ["inspect", str(product), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["standard"] == "PDS4"
    assert info["identifier"] == "urn:nasa:pds:test:data:p::1.2"
    assert info["start_time"] == "2020-01-01T00:00:00Z"
    table, image = info["objects"]
    assert table["kind"] == "table" and table["records"] == 3
    assert [f["name"] for f in table["fields"]] == ["ID", "TEMP"]
    assert table["fields"][1]["unit"] == "K"
    assert table["rows"] == [[1, 100.0], [2, None], [3, 200.5]]  # scaled, missing masked
    assert image["kind"] == "array" and image["shape"] == [2, 3]
    assert image["corner"] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_inspect_rich_output(product):
    result = CliRunner().invoke(main, ["inspect", str(product)])
    assert result.exit_code == 0, result.output
    for text in ("PDS4", "urn:nasa:pds:test:data:p::1.2", "TEMP", "SignedMSB4", "Array_2D_Image", "200.5"):
        assert text in result.output


def test_inspect_bad_input_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<Product_Observational>\n<oops>\n</Product_Observational>\n")
    result = CliRunner().invoke(main, ["inspect", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "malformed XML" in result.output
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "missing.xml")])
    assert result.exit_code == 2


@pytest.mark.parametrize("fmt", ["csv", "ecsv", "fits", "parquet"])
def test_export_table_round_trip(product, tmp_path, fmt):
    from astropy.table import Table

    out = tmp_path / f"out.{fmt}"
    result = CliRunner().invoke(main, ["export", str(product), "--object", "0", "--to", fmt, str(out)])
    assert result.exit_code == 0, result.output
    back = Table.read(out, format={"csv": "ascii.csv", "ecsv": "ascii.ecsv"}.get(fmt, fmt))
    assert back["ID"].tolist() == [1, 2, 3]
    temps = back["TEMP"]
    if fmt == "csv":  # csv has no mask: the missing value is an empty cell
        assert np.ma.getmaskarray(temps).tolist() == [False, True, False]
    assert float(temps[0]) == 100.0 and float(temps[2]) == 200.5
    if fmt in ("ecsv", "fits"):
        assert str(back["TEMP"].unit) == "K"
        assert back["TEMP"].mask.tolist() == [False, True, False]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_export_image_as_fits_and_csv(product, tmp_path):
    from astropy.io import fits

    out = tmp_path / "img.fits"
    result = CliRunner().invoke(main, ["export", str(product), "--object", "Array_2D_Image_2", "--to", "fits",
                                       str(out)])
    assert result.exit_code == 0, result.output
    with fits.open(out) as hdul:
        assert hdul[0].data.tolist() == [[0, 1, 2], [3, 4, 5]]
    out = tmp_path / "img.csv"
    result = CliRunner().invoke(main, ["export", str(product), "--object", "1", "--to", "csv", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1].split(",") == ["0.0", "1.0", "2.0"]


def test_export_bad_object_exit_2_and_no_output(product, tmp_path):
    out = tmp_path / "x.csv"
    result = CliRunner().invoke(main, ["export", str(product), "--object", "nope", "--to", "csv", str(out)])
    assert result.exit_code == 2 and "no object 'nope'" in result.output
    assert not out.exists()
    result = CliRunner().invoke(main, ["export", str(product), "--object", "7", "--to", "csv", str(out)])
    assert result.exit_code == 2 and not out.exists()


@pytest.mark.shared
def test_inspect_real_products_never_crash():
    labels = sorted((CORPUS / "validate").rglob("*.xml"))[:60]
    runner = CliRunner()
    for label in labels:
        result = runner.invoke(main, ["inspect", str(label), "--json", "--rows", "2"])
        assert result.exit_code in (0, 1, 2), f"{label}: {result.output[-500:]}"
        assert "Traceback" not in result.output
        if result.exit_code in (0, 1):  # 1: some object cannot be read (one error line each)
            info = json.loads(result.stdout)
            assert info["standard"] == "PDS4"
            failed = [o for o in info["objects"] if "error" in o]
            assert (result.exit_code == 1) == bool(failed)
            assert result.stderr.count("error: ") == len(failed)


def test_export_grouped_masked_column_to_parquet(tmp_path):
    import pyarrow.parquet as pq

    values = np.arange(12, dtype=">i4").reshape(3, 4)
    data = b"".join(b"\x01" + r.tobytes() for r in values)
    inner = ("<Group_Field_Binary><name>h</name><repetitions>2</repetitions><fields>1</fields><groups>0</groups>"
             "<group_location unit='byte'>1</group_location><group_length unit='byte'>8</group_length>"
             + field_binary("V", "SignedMSB4", 1, 4,
                            "<Special_Constants><missing_constant>5</missing_constant></Special_Constants>")
             + "</Group_Field_Binary>")
    group = ("<Group_Field_Binary><name>g</name><repetitions>2</repetitions><fields>0</fields><groups>1</groups>"
             "<group_location unit='byte'>2</group_location><group_length unit='byte'>16</group_length>"
             + inner + "</Group_Field_Binary>")
    label = write_product(tmp_path, table_binary(3, 17, field_binary("B", "UnsignedByte", 1, 1) + group), data)
    out = tmp_path / "g.parquet"
    result = CliRunner().invoke(main, ["export", str(label), "--to", "parquet", str(out)])
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).column("V").to_pylist() == [[[0, 1], [2, 3]], [[4, None], [6, 7]], [[8, 9], [10, 11]]]


def test_inspect_is_generic_over_standards():
    """The same command on a PDS3 label (read by the PDS3 reader through the shared model)."""
    from pdsgen.resources import labels_dir

    label = labels_dir() / "fips" / "FIPS_PHA_2008280_EDR.lbl"
    if not label.exists():
        pytest.skip("sample label not shipped")
    result = CliRunner().invoke(main, ["inspect", str(label), "--json", "--rows", "2"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["standard"] == "PDS3"
    table = info["objects"][0]
    assert table["kind"] == "table"
    first_lines = (label.parent / "FIPS_PHA_2008280_EDR.tab").read_text().splitlines()[:2]
    expected = [[float(v) if "." in v else int(v) for v in line.split()] for line in first_lines]
    assert table["rows"] == expected
