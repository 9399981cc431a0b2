"""One field model for writing and reading: the writers lay a table out as
`pdsgen.model.Field`s, and opening the written label gives the same layout back."""

from __future__ import annotations

import numpy as np
import pytest

import pdsgen
from pdsgen.render import write_table
from pdsgen.render.columns import columns_from
from pdsgen.render.encode import encode_binary, encode_character, encode_delimited
from tests._render_helpers import CREATED, context

LAYOUT = ("name", "data_type", "location", "length", "shape", "strides", "unit")


def _table():
    return {"n": np.array([3, -12, 7], dtype=np.int16),
            "x": np.array([0.5, 2.25, -1.0]),
            "v": np.arange(6, dtype=np.int32).reshape(3, 2),
            "s": np.array(["a", "bcd", "ef"])}


def test_binary_layout_by_hand():
    fields = encode_binary(columns_from(_table()), byte_order="little", pds3=True).fields
    # int16 at 0 (2 bytes), float64 at 2 (8), 2 x int32 at 10 (4 apart), 3-byte text at 18
    assert [(f.location, f.length, f.shape, f.strides) for f in fields] == [
        (0, 2, (), ()), (2, 8, (), ()), (10, 4, (2,), (4,)), (18, 3, (), ())]
    assert [f.label_data_type for f in fields] == ["LSB_INTEGER", "PC_REAL", "LSB_INTEGER", "CHARACTER"]
    assert [f.data_type for f in fields] == ["SignedLSB2", "IEEE754LSBDouble", "SignedLSB4", "ASCII_String"]
    v = fields[2]
    assert (v.start, v.repetitions, v.item_offset, v.group_length, v.span) == (11, 2, 4, 8, 8)
    assert (v.number, v.group_number, v.group_path) == (1, 1, ("v",))
    assert [f.number for f in fields] == [1, 2, 1, 3]


def test_character_layout_by_hand():
    fields = encode_character(columns_from(_table())).fields
    # "  3" "0.5" then the vector: each element then one blank ("0 1 "), the blank part of the
    # element's field in PDS4 (a group's fields fill group_length / repetitions, as
    # pds4-jparser and so validate require), fields one blank apart
    assert [(f.location, f.length) for f in fields] == [(0, 3), (4, 4), (9, 2), (14, 3)]
    v = fields[2]
    assert (v.item_offset, v.group_length, v.span) == (2, 4, 4)
    # PDS3 (ITEM_BYTES, ITEM_OFFSET): the element alone, the blank between items
    v3 = encode_character(columns_from(_table()), pds3=True).fields[2]
    assert (v3.location, v3.length, v3.item_offset, v3.span) == (9, 1, 2, 3)
    assert [f.label_data_type for f in fields] == [f.data_type for f in fields]


def test_delimited_locations_are_field_positions():
    fields = encode_delimited(columns_from(_table())).fields
    assert [f.location for f in fields] == [0, 1, 2, 4]  # the vector takes two fields


@pytest.mark.parametrize("fmt", ["character", "binary"])
@pytest.mark.parametrize("standard", ["pds4", "pds3"])
def test_written_fields_read_back_the_same(tmp_path, standard, fmt):
    cols = columns_from(_table(), units={"x": "km"})
    encoded = (encode_character(cols, pds3=standard == "pds3") if fmt == "character"
               else encode_binary(cols, pds3=standard == "pds3"))
    written = write_table(_table(), tmp_path, basename="t", context=context(), standard=standard,
                          table_format=fmt, creation_time=CREATED, units={"x": "km"},
                          product_class="Product_Ancillary" if standard == "pds4" else "Product_Observational")
    read = pdsgen.open(written.label_path)[0].fields
    assert [tuple(getattr(f, k) for k in LAYOUT) for f in read] == \
        [tuple(getattr(f, k) for k in LAYOUT) for f in encoded.fields]
    assert [f.label_data_type for f in read] == [f.label_data_type for f in encoded.fields]
