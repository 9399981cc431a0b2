"""`pdsgen migrate` reads back the PHYSICAL values through both labels (issue 18, step 5 of
docs/migrate.md): pdsgen's PDS3 reading and its PDS4 reading of the new label must give the
same scaled values with the same special constants masked, and pds4_tools' scaled, masked
reading of the new label must give pdsgen's. Before, only the stored values were compared:
a wrong scaling_factor or a dropped missing_constant in the new label went through.

Expected values are computed here from the arrays the tests write and the PDS3 labels'
SCALING_FACTOR / OFFSET / constants (PDS3 Standards Reference: true value = OFFSET +
SCALING_FACTOR x stored value)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_migrate import CONTEXT, binary_values, ident, make_binary, options, texts, xml

import pdsgen
import pdsgen.migrate.describe as describe
from pdsgen.migrate import migrate_product
from pdsgen.migrate.verify import (
    compare_objects,
    pds4_tools_difference,
    pds4_tools_physical_difference,
)

# COUNT of tests/test_migrate.py's binary product: SCALING_FACTOR 0.5, OFFSET 10, MISSING_CONSTANT -1
COUNT = binary_values()["COUNT"]  # [5, -1, 7, 100000, -3]


@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    """The registered context products of the test mission."""
    (tmp_path / "context.json").write_text(json.dumps(CONTEXT))
    return tmp_path / "context.json"


def _altered_field(monkeypatch, name: str, **changes) -> None:
    """The migration describes field ``name`` with ``changes`` (a mis-description the
    stored values cannot show)."""
    field_item = describe._field_item

    def altered(f, **kw):
        item = field_item(f, **kw)
        return {**item, **changes} if f.name == name else item

    monkeypatch.setattr(describe, "_field_item", altered)


def test_the_binary_product_migrates_and_its_physical_values_agree(tmp_path, ctx_file):
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    old = pdsgen.open(tmp_path / "in" / "BIN.LBL")["TABLE"]
    new = pdsgen.open(r.pds4_label)["TABLE"]
    assert compare_objects([(old, new)], physical=True) == []
    count = new.physical["COUNT"]
    assert np.ma.getmaskarray(count).tolist() == (COUNT == -1).tolist()
    assert count.compressed().tolist() == [10 + 0.5 * c for c in COUNT if c != -1]


def test_a_wrong_scaling_factor_is_refused(tmp_path, ctx_file, monkeypatch):
    _altered_field(monkeypatch, "COUNT", scaling_factor=0.25)
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "failed"
    # the stored values agree; the physical ones do not: 10 + 0.5 x 5 = 12.5, 10 + 0.25 x 5 = 11.25
    assert r.reason == ("values differ between the PDS3 and PDS4 labels: object 'TABLE' field 'COUNT' "
                        "(physical values): 4 values differ, first at (0,): np.float64(12.5) vs np.float64(11.25)")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_wrong_value_offset_is_refused(tmp_path, ctx_file, monkeypatch):
    _altered_field(monkeypatch, "COUNT", value_offset=None)
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "failed"
    assert "object 'TABLE' field 'COUNT' (physical values): 4 values differ, first at (0,): " \
           "np.float64(12.5) vs np.float64(2.5)" in r.reason


def test_a_dropped_missing_constant_is_refused(tmp_path, ctx_file, monkeypatch):
    _altered_field(monkeypatch, "COUNT", special_constants={})
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "failed"
    # COUNT[1] = -1 is MISSING_CONSTANT in the PDS3 label; unmasked it would read 10 - 0.5 = 9.5
    assert r.reason == ("values differ between the PDS3 and PDS4 labels: object 'TABLE' field 'COUNT' "
                        "(physical values): 1 values masked as special constants in one reading only, "
                        "first at (1,): masked vs np.float64(9.5)")


def test_a_constant_of_another_name_is_the_same_physical_reading(tmp_path, ctx_file, monkeypatch):
    """Which Special_Constants name masks a value does not change the physical values."""
    _altered_field(monkeypatch, "COUNT", special_constants={"invalid_constant": "-1"})
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert texts(xml(r.pds4_label), "//p:Field_Binary[p:name='COUNT']//p:invalid_constant") == ["-1"]


IMAGE_LABEL = """RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 6
FILE_RECORDS = 2
^IMAGE = "IMG.IMG"
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
  SCALING_FACTOR = 0.25
  OFFSET = 100.0
  MISSING_CONSTANT = -32768
END_OBJECT = IMAGE
END
"""
IMAGE = np.array([[4, -32768, 8], [0, -4, 32767]], ">i2")


def make_image(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "IMG.IMG").write_bytes(IMAGE.tobytes())
    (folder / "IMG.LBL").write_text(ident("IMG_1") + IMAGE_LABEL)
    return folder / "IMG.LBL"


@pytest.mark.parametrize("changes,reason", [
    # 100 + 0.25 x [4, 8, 0, -4, 32767] vs 100 + 0.5 x …: equal only for 0
    ({"scaling_factor": 0.5}, "4 values differ, first at (0, 0): np.float64(101.0) vs np.float64(102.0)"),
    ({"special_constants": {}}, "1 values masked as special constants in one reading only, first at (0, 1): "
                                "masked vs np.float64(-8092.0)"),
])
def test_an_image_with_a_wrong_scaling_or_constant_is_refused(tmp_path, ctx_file, monkeypatch, changes, reason):
    r = migrate_product(make_image(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    phys = pdsgen.open(r.pds4_label)["IMAGE"].physical
    assert np.ma.getmaskarray(phys).tolist() == (IMAGE == -32768).tolist()
    assert phys.compressed().tolist() == [100 + 0.25 * v for v in IMAGE.ravel().tolist() if v != -32768]

    element = describe._element
    monkeypatch.setattr(describe, "_element", lambda *a, **kw: {**element(*a, **kw), **changes})
    r = migrate_product(make_image(tmp_path / "in2"), options(tmp_path, ctx_file, out=tmp_path / "out2"))
    assert r.status == "failed"
    assert r.reason == f"values differ between the PDS3 and PDS4 labels: object 'IMAGE' (physical values): {reason}"


def test_pds4_tools_reads_the_physical_values(tmp_path, ctx_file):
    """pds4_tools' scaled, masked reading is compared with pdsgen's physical values: the
    same label with another scaling_factor (pdsgen's objects read from the first) differs
    there; its stored values do not."""
    pds4_tools = pytest.importorskip("pds4_tools")
    r = migrate_product(make_binary(tmp_path / "in"), options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    label = Path(r.pds4_label)
    objects = pdsgen.open(label).objects
    assert pds4_tools_difference(label, objects) == []
    text = label.read_text()
    assert text.count("<scaling_factor>0.5</scaling_factor>") == 1
    label.write_text(text.replace("<scaling_factor>0.5</scaling_factor>", "<scaling_factor>2</scaling_factor>"))
    assert pds4_tools_difference(label, objects) == [
        "object 'TABLE' field 'COUNT' (pds4_tools): physical values: 4 values differ, first at (0,): "
        "np.float64(12.5) vs np.float64(20.0)"]
    # pds4_tools itself: COUNT 10 + 2 x stored, -1 masked
    count = pds4_tools.read(str(label), quiet=True)["TABLE"].as_masked()["COUNT"]
    assert count.mask.tolist() == (COUNT == -1).tolist()
    assert count.compressed().tolist() == [10 + 2 * c for c in COUNT if c != -1]


def test_pds4_tools_masking_a_scaled_value_equal_to_a_constant_is_not_a_difference(tmp_path, ctx_file):
    """pds4_tools masks Special_Constants again after scaling: COUNT = -22 reads 10 + 0.5 x
    (-22) = -1, the missing_constant, and pds4_tools masks it where pdsgen (matching the
    stored values only, as both document) does not. The product migrates."""
    pds4_tools = pytest.importorskip("pds4_tools")
    label = make_binary(tmp_path / "in")
    values = binary_values()
    values["COUNT"][4] = -22
    (tmp_path / "in" / "BIN.DAT").write_bytes(values.tobytes())
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    theirs = pds4_tools.read(r.pds4_label, quiet=True)["TABLE"].as_masked()["COUNT"]
    ours = pdsgen.open(r.pds4_label)["TABLE"].physical["COUNT"]
    assert theirs.mask.tolist() == [False, True, False, False, True]
    assert np.ma.getmaskarray(ours).tolist() == [False, True, False, False, False] and ours[4] == -1.0
    # a value pds4_tools masks that is no constant is a difference
    assert pds4_tools_physical_difference(ours, theirs, {"missing_constant": -1}) is None
    assert pds4_tools_physical_difference(ours, theirs, {"missing_constant": -2}) == (
        "1 values masked as special constants in one reading only, first at (4,): np.float64(-1.0) vs masked")


def test_values_pds4_tools_cannot_mask_are_compared_unmasked():
    """pds4_tools could not mask (``masked=False``): the values pdsgen leaves unmasked are
    compared, the others not."""
    ours = np.ma.MaskedArray([1.0, 2.0, 3.0], mask=[False, True, False])
    assert pds4_tools_physical_difference(ours, np.array([1.0, 99.0, 3.0]), {}, masked=False) is None
    assert pds4_tools_physical_difference(ours, np.array([1.0, 2.0, 4.0]), {}, masked=False) == (
        "1 values differ, first at (2,): np.float64(3.0) vs np.float64(4.0)")


ISIS_FLOAT_LABEL = """RECORD_TYPE = UNDEFINED
^IMAGE = "F.IMG"
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 3
  SAMPLE_TYPE = PC_REAL
  SAMPLE_BITS = 32
  CORE_NULL = 16#FF7FFFFB#
  CORE_HIGH_REPR_SATURATION = 16#FF7FFFFF#
  MISSING_CONSTANT = 16#FF7FFFFB#
  SCALING_FACTOR = 2.0
  OFFSET = 0.5
END_OBJECT = IMAGE
END
"""


def make_float_image(folder: Path) -> Path:
    """A scaled PC_REAL image holding ISIS's NULL and HIGH_REPR_SATURATION bit patterns
    (float32 constants whose shortest text is not exactly a float32)."""
    folder.mkdir(parents=True, exist_ok=True)
    img = np.array([[1.5, 0.0, 3.0], [-2.0, 100.0, 0.0]], "<f4")
    img.view("<u4")[0, 1] = 0xFF7FFFFB
    img.view("<u4")[1, 2] = 0xFF7FFFFF
    (folder / "F.IMG").write_bytes(img.tobytes())
    (folder / "F.LBL").write_text(ident("F_1") + ISIS_FLOAT_LABEL)
    return folder / "F.LBL"


def test_pds4_tools_physical_is_its_own_masked_reading(tmp_path, ctx_file):
    """`pds4_tools_physical` (pds4_tools' functions applied to its unscaled reading, as its
    reader applies them) gives what pds4_tools' scaled ``.as_masked()`` reading gives:
    the same masks and values, on a scaled table with constants, a scaled integer image
    and a scaled float32 image with ISIS special pixels."""
    pds4_tools = pytest.importorskip("pds4_tools")
    from pdsgen.migrate.verify import pds4_tools_physical

    made = {"bin": make_binary(tmp_path / "bin"), "img": make_image(tmp_path / "img"),
            "flt": make_float_image(tmp_path / "flt")}
    checked = 0
    for name, label in made.items():
        r = migrate_product(label, options(tmp_path, ctx_file, out=tmp_path / f"out_{name}"))
        assert r.status == "migrated", r.reason
        # (read lazily: ``as_masked`` of an eagerly read structure masks its scaled values
        # again, without the mask its reading made before scaling)
        scaled = pds4_tools.read(r.pds4_label, quiet=True, lazy_load=True)
        raw = pds4_tools.read(r.pds4_label, quiet=True, no_scale=True)
        for st, st_raw in zip(scaled.structures, raw.structures, strict=True):
            if st.is_table():
                pairs = [(f, g, g.meta_data) for f, g in zip(st.as_masked().fields, st_raw.fields, strict=True)
                         if g.dtype.kind not in "SU"]
                pairs = [(f, g, m.get("scaling_factor"), m.get("value_offset"), m.get("Special_Constants"))
                         for f, g, m in pairs]
            elif st.is_array():
                e = st_raw.meta_data["Element_Array"]
                pairs = [(st.as_masked().data, st_raw.data, e.get("scaling_factor"), e.get("value_offset"),
                          st_raw.meta_data.get("Special_Constants"))]
            else:
                continue
            for theirs, values, factor, offset, constants in pairs:
                ours, _constants, masked, _stored = pds4_tools_physical(values, factor, offset, constants)
                assert masked
                assert np.ma.getmaskarray(ours).tolist() == np.ma.getmaskarray(theirs).tolist()
                assert np.array_equal(np.ma.compressed(ours), np.ma.compressed(theirs), equal_nan=True)
                checked += 1
    assert checked == 7 + 1 + 1  # the table's 7 numeric fields (NAME is text), and the two images
    # the float32 image: pds4_tools misses the HIGH_REPR_SATURATION pixel once NULL is masked
    # (its float64 comparison of -3.4028235E38); pdsgen masks both, the product migrates
    flt = pdsgen.open(tmp_path / "out_flt" / "F.xml")["IMAGE"].physical
    assert np.ma.getmaskarray(flt).tolist() == [[False, True, False], [False, False, True]]
    assert flt.compressed().tolist() == [0.5 + 2.0 * v for v in (1.5, 3.0, -2.0, 100.0)]


def test_a_dropped_per_item_scaling_is_refused(tmp_path, ctx_file, monkeypatch):
    """``SCALING_FACTOR = (0.5, 2.0, 10.0)`` on a 3-item column migrates one field per item
    with its own scaling; the new label rendered without item 2's scaling_factor is refused
    (the stored values agree: before, it migrated)."""
    from test_migrate_realworld import col, table_label

    rows = np.zeros(2, dtype=[("G", ">i2", (3,))])
    rows["G"] = [[2, 4, -6], [10, 0, 1]]
    cols = col("G", "MSB_INTEGER", 1, 6, "    ITEMS = 3\n    ITEM_BYTES = 2\n    SCALING_FACTOR = (0.5, 2.0, 10.0)\n"
               "    OFFSET = 1\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "G.DAT").write_bytes(rows.tobytes())
    (tmp_path / "in" / "G.LBL").write_text(table_label("GAIN", cols, file="G.DAT", rows=2, row_bytes=6))
    _altered_field(monkeypatch, "G_2", scaling_factor=None)
    r = migrate_product(tmp_path / "in" / "G.LBL", options(tmp_path, ctx_file))
    assert r.status == "failed"
    # item 2: 4 x 2.0 + 1 = 9 against 4 + 1 = 5 (and 0 x 2.0 + 1 = 1 = 0 + 1 in the second row)
    assert r.reason == ("values differ between the PDS3 and PDS4 labels: object 'TABLE' field 'G_2' "
                        "(physical values): 1 values differ, first at (0,): np.float64(9.0) vs np.float64(5.0)")


def test_a_label_pds4_tools_cannot_mask_is_refused(tmp_path, ctx_file, monkeypatch):
    """A constant the field's type cannot hold (MISSING_CONSTANT -1 of an unsigned field)
    makes pds4_tools' default, scaled and masked, reading raise (numpy refuses it as the
    fill value). The migration leaves such constants out (a note); written anyway, the
    product is refused, naming the field and pds4_tools' failure."""
    from test_migrate_realworld2 import binary

    rows = np.zeros(2, dtype=[("U", ">u2"), ("V", ">u2")])
    rows["U"], rows["V"] = [1, 65535], [3, 4]
    files, lbl = binary("UNS_1", rows, extra={"U": "    MISSING_CONSTANT = -1\n"})
    folder = tmp_path / "in"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    r = migrate_product(folder / lbl, options(tmp_path, ctx_file))
    assert r.status == "migrated", r.reason
    assert any("missing_constant -1 cannot occur in UnsignedMSB2 values" in n for n in r.notes)
    monkeypatch.setattr(describe, "storable_constants", lambda constants, *_a, **_k: constants)
    r = migrate_product(folder / lbl, options(tmp_path, ctx_file))
    assert r.status == "failed"
    assert "field 'U'" in r.reason and "pds4_tools cannot mask the values" in r.reason
