"""The PDS3 open's fast paths give what the general ones give (branch migspeed5)."""

from __future__ import annotations

import random

import pytest
from pvl.collections import PVLObject

import pdsgen.data.io as dio
from pdsgen.model import Field
from pdsgen.pds3.structure import first_keywords, keywords


def _random_fields(rng: random.Random) -> list[Field]:
    fields = []
    for k in range(rng.randint(2, 6)):
        shape = tuple(rng.randint(0, 4) for _ in range(rng.randint(0, 2)))
        strides = tuple(rng.randint(0, 6) for _ in shape)
        fields.append(Field(name=f"F{k}", data_type="UnsignedByte", location=rng.randint(0, 30),
                            length=rng.randint(0, 4), shape=shape, strides=strides))
    return fields


@pytest.mark.parametrize("seed", range(6))
def test_few_element_overlap_is_the_vectorised_pass(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Random shaped records (overlapping ones, zero lengths and strides, no repetitions
    among them): the list pass and the numpy pass name the same pair with the same bytes."""
    rng = random.Random(seed)
    records = [_random_fields(rng) for _ in range(300)]
    fast = [dio.field_overlap(r) for r in records]
    monkeypatch.setattr(dio, "_FEW_ELEMENTS", -1)  # every record through numpy
    slow = [dio.field_overlap(r) for r in records]
    assert fast == slow
    assert sum(x is not None for x in fast) > 50 and sum(x is None for x in fast) > 10


def test_overlap_words_by_hand() -> None:
    """ITEMS 3 of 2 bytes from byte 1 (bytes 1..6) and a 2-byte column at byte 5."""
    fields = [Field(name="A", data_type="UnsignedMSB2", location=0, length=2, shape=(3,), strides=(2,)),
              Field(name="B", data_type="UnsignedMSB2", location=4, length=2)]
    assert dio.field_overlap(fields) == "field 'B' (bytes 5..6) overlaps field 'A' (bytes 5..6)"
    fields[1].location = 6
    assert dio.field_overlap(fields) is None


def test_keywords_are_pvl_first_values() -> None:
    """A block's keyword view holds what pvl's get gives: each keyword's first value, after
    pvl's own edits (replace, delete, append) too."""
    block = PVLObject([("NAME", "X"), ("BYTES", 4), ("NAME", "Y")])
    block["BYTES"] = 8
    block.append("ITEMS", 3)
    del block["NAME"]
    block.append("NAME", "Z")
    view = keywords(block)
    assert view == {"BYTES": 8, "ITEMS": 3, "NAME": "Z"}
    assert all(view[k] == block.get(k) for k in ("BYTES", "ITEMS", "NAME"))
    assert first_keywords([("A", 1), ("B", 2), ("A", 3)]) == {"A": 1, "B": 2}
    assert keywords({"A": 1}) == {"A": 1}
