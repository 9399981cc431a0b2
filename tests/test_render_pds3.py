"""PDS3 writers: pvl parses every label, pdr (reference reader) and pdsgen read the data
back identically, detached and attached."""

from __future__ import annotations

import numpy as np
import pvl
import pytest

from pdsgen.render import write_array, write_table
from tests._render_helpers import CREATED, SPECIAL, context, mixed_table


def _pds3_table():
    t = mixed_table(40)
    t["name"] = np.array([f"r{k}" for k in range(40)])  # PDS3 strings: ASCII, no empties
    return t


def _pdsgen_pds3():
    try:
        import pdsgen.pds3.product  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


@pytest.mark.parametrize("attached", [False, True])
@pytest.mark.parametrize("fmt,obj", [("character", "TABLE"), ("binary", "TABLE"), ("delimited", "SPREADSHEET")])
def test_pds3_table_round_trip(tmp_path, fmt, obj, attached):
    import pdr

    table = _pds3_table()
    out = write_table(table, tmp_path, basename="t", context=context(), standard="pds3",
                      table_format=fmt, attached=attached, special_constants=SPECIAL,
                      creation_time=CREATED)
    label = pvl.load(str(out.label_path))
    assert label["PDS_VERSION_ID"] == "PDS3"
    assert label["PRODUCT_ID"] == "PROD_1"
    assert label[obj]["ROWS"] == 40
    raw = out.label_path.read_bytes()
    head = raw[: raw.find(b"\r\nEND\r\n") + 7]
    assert head.endswith(b"\r\nEND\r\n") and b"\n" not in head.replace(b"\r\n", b"")
    if attached:
        assert out.data_paths == [out.label_path]
        if fmt == "delimited":
            assert raw[label["^SPREADSHEET"].value - 2 :].startswith(b"\n-")
        else:
            rb = label["RECORD_BYTES"]
            assert label["^TABLE"] == label["LABEL_RECORDS"] + 1
            assert len(raw) == rb * label["FILE_RECORDS"]
    else:
        assert label[f"^{obj}"] == out.data_path.name
        if fmt != "delimited":
            assert out.data_path.stat().st_size == label["RECORD_BYTES"] * label["FILE_RECORDS"]
    # (pdr special-cases some real DATA_SET_IDs, e.g. Cassini CHEMS; the test id is neutral)
    data = pdr.read(str(out.label_path))[obj]
    for k, values in enumerate(table.values()):
        _same(data.iloc[:, k].to_numpy(), values, fmt)
    if _pdsgen_pds3():
        import pdsgen

        d = pdsgen.open(out.label_path)[obj].data
        for name, values in table.items():
            _same(d[name], values, fmt)


def _same(got, values: np.ndarray, fmt: str) -> None:
    """Read-back equals written: strings after stripping field padding, NaN as missing_constant
    in text tables (binary tables keep IEEE NaN)."""
    if values.dtype.kind == "U":
        got = [g.decode() if isinstance(g, bytes) else str(g) for g in got]
        assert [g.strip() for g in got] == list(values)
    elif fmt == "binary":
        np.testing.assert_array_equal(np.asarray(got).astype(values.dtype), values)
    else:
        exp = np.where(np.isnan(values), -1e32, values) if values.dtype.kind == "f" else values
        np.testing.assert_array_equal(np.asarray(got).astype(values.dtype), exp)


@pytest.mark.parametrize("attached", [False, True])
@pytest.mark.parametrize("shape,dtype,order", [((6, 9), ">i2", "big"), ((6, 9), "<f4", "little"),
                                               ((2, 3, 5), ">f8", "big"), ((4, 4), "u1", "big")])
def test_pds3_image_round_trip(tmp_path, shape, dtype, order, attached):
    import pdr

    arr = (np.random.default_rng(5).normal(size=shape) * 100).astype(dtype)
    out = write_array(arr, tmp_path, basename="img", context=context(), standard="pds3",
                      byte_order=order, attached=attached, creation_time=CREATED)
    label = pvl.load(str(out.label_path))
    img = label["IMAGE"]
    assert (img["LINES"], img["LINE_SAMPLES"]) == shape[-2:]
    assert img["SAMPLE_BITS"] == np.dtype(dtype).itemsize * 8
    assert label["RECORD_BYTES"] == shape[-1] * np.dtype(dtype).itemsize
    got = np.asarray(pdr.read(str(out.label_path))["IMAGE"])
    np.testing.assert_array_equal(got.reshape(shape), arr)
    if _pdsgen_pds3():
        import pdsgen

        np.testing.assert_array_equal(np.asarray(pdsgen.open(out.label_path)["IMAGE"].data).reshape(shape), arr)


def test_pds3_refuses_unquotable_text(tmp_path):
    from pdsgen.errors import PdsgenError

    ctx = context(title="x", data_set_id='A "quoted" id')
    with pytest.raises(PdsgenError, match="double quote"):
        write_table({"a": np.arange(3)}, tmp_path, basename="q", context=ctx, standard="pds3")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    with pytest.raises(PdsgenError, match="non-ASCII"):
        write_table({"s": np.array(["é"])}, tmp_path, basename="q", context=context(), standard="pds3")


def test_pds3_label_lines_fit_80_columns(tmp_path):
    """Long provenance text and source lists are wrapped (PDS3 labels: <= 80 bytes a line)."""
    ctx = context(input_products=[f"CHEMS_PHA_2004{d:03d}" for d in range(1, 9)],
                  parameters={f"p{k}": "x" * 10 for k in range(8)})
    out = write_table({"a": np.arange(3)}, tmp_path, basename="w", context=ctx, standard="pds3",
                      descriptions={"a": "A rather long column description " * 5})
    lines = out.label_path.read_bytes().split(b"\r\n")
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    label = pvl.load(str(out.label_path))
    assert list(label["SOURCE_PRODUCT_ID"]) == ctx.input_products
    assert label["TABLE"]["COLUMN"]["DESCRIPTION"].split() == ("A rather long column description " * 5).split()


@pytest.mark.parametrize("fmt,obj", [("character", "TABLE"), ("binary", "TABLE"), ("delimited", "SPREADSHEET")])
def test_pds3_vector_columns_as_items(tmp_path, fmt, obj):
    import pdr

    t = {"a": np.arange(4), "v": np.arange(12).reshape(4, 3) * 1.5, "i": np.arange(8, dtype="i2").reshape(4, 2)}
    out = write_table(t, tmp_path, basename="g", context=context(), standard="pds3", table_format=fmt,
                      creation_time=CREATED)
    label = pvl.load(str(out.label_path))
    cols = label[obj].getall("COLUMN" if obj == "TABLE" else "FIELD")
    assert [c.get("ITEMS") for c in cols] == [None, 3, 2]
    assert label[obj]["COLUMNS" if obj == "TABLE" else "FIELDS"] == 3
    df = pdr.read(str(out.label_path))[obj]
    np.testing.assert_array_equal(df[["v_0", "v_1", "v_2"]].to_numpy(), t["v"])
    np.testing.assert_array_equal(df[["i_0", "i_1"]].to_numpy(), t["i"])
    if _pdsgen_pds3():
        import pdsgen

        d = pdsgen.open(out.label_path)[obj].data
        for name, values in t.items():
            np.testing.assert_array_equal(np.asarray(d[name]).astype(values.dtype), values)


def test_pds3_extra_keywords(tmp_path):
    ctx = context(pds3_keywords={"MISSION_PHASE_NAME": "SATURN TOUR", "SPACECRAFT_CLOCK_START_COUNT": "1/1234",
                                 "CO:OBSERVATION_ID": ["A", "B"], "EXPOSURE_DURATION": 1.25})
    out = write_table({"a": np.arange(2)}, tmp_path, basename="k", context=ctx, standard="pds3")
    label = pvl.load(str(out.label_path))
    assert label["MISSION_PHASE_NAME"] == "SATURN TOUR"
    assert label["CO:OBSERVATION_ID"] == ["A", "B"] and label["EXPOSURE_DURATION"] == 1.25
    from pdsgen.errors import LabelError

    with pytest.raises(LabelError, match="ODL identifier"):
        write_table({"a": np.arange(2)}, tmp_path, basename="k2", standard="pds3",
                    context=context(pds3_keywords={"bad key": 1}))
