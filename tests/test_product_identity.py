"""One product identity: the record a product has when written, read, indexed and
validated is the same `pdsgen.model.ProductIdentity` (lid, vid, class, title)."""

from __future__ import annotations

import os

import numpy as np
from conftest import validate_options

import pdsgen
from pdsgen.archive.scan import read_product
from pdsgen.model import ProductIdentity
from pdsgen.render import write_table
from pdsgen.validate.runner import Options, validate_label
from tests._render_helpers import CREATED, context


def test_identity_by_hand():
    ident = ProductIdentity("urn:nasa:pds:b:c:p", "2.0", "Product_Ancillary", "T", "c/p.xml")
    assert (ident.lidvid, ident.identifier) == ("urn:nasa:pds:b:c:p::2.0", "urn:nasa:pds:b:c:p::2.0")
    assert ProductIdentity("urn:nasa:pds:b:c:p").identifier == "urn:nasa:pds:b:c:p"  # no vid: the LID
    assert ProductIdentity(product_id="PROD_1").identifier == "PROD_1"  # PDS3
    assert ProductIdentity(label="c/p.xml").identifier is None  # each record falls back to its label


def test_written_read_indexed_and_validated_identities_agree(tmp_path):
    written = write_table({"x": np.array([1.5, 2.0])}, tmp_path, basename="p", creation_time=CREATED,
                          context=context(title="Identity test", vid="2.0"),
                          product_class="Product_Ancillary")
    read = pdsgen.open(written.label_path).identity
    indexed = read_product(tmp_path, "p.xml", os.stat(written.label_path)).identity
    validated = validate_label(written.label_path, Options(**validate_options(context=False))).identity
    expected = ("urn:nasa:pds:test_bundle:data:prod_1", "2.0")
    for ident in (written.identity, read, indexed, validated):
        assert (ident.lid, ident.vid) == expected
        assert ident.lidvid == "urn:nasa:pds:test_bundle:data:prod_1::2.0"
    assert read.product_class == indexed.product_class == validated.product_class == "Product_Ancillary"
    assert read.title == indexed.title == "Identity test"
    assert (read.label, indexed.label) == (str(written.label_path), "p.xml")
