"""The indexer on real products: the validate corpus and the PDS3 labels in ../shared."""

from __future__ import annotations

import warnings

import pytest
from conftest import CORPUS

import pdsgen
from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.scan import scan
from pdsgen.times import try_normalize

pytestmark = pytest.mark.shared


def _index(folder):
    idx = SQLiteIndex(":memory:")
    return idx, scan(folder, idx)


def test_validate_corpus_matches_readers():
    import pds4_tools

    idx, report = _index(CORPUS / "validate")
    assert not report.errors
    records = idx.products()
    assert len(records) >= 100
    checked = 0
    for rec in records:
        path = CORPUS / "validate" / rec.label_path
        p = pdsgen.open(path)
        if rec.standard == "PDS4":
            assert (rec.lid, rec.vid) == (p.lid, p.vid), rec.label_path
            assert rec.start_time == try_normalize(p.start_time and str(p.start_time)), rec.label_path
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = pds4_tools.read(str(path), lazy_load=True, quiet=True)
            ident = ref.label.find(".//Identification_Area")
            assert rec.lid == ident.findtext("logical_identifier").strip(), rec.label_path
            assert rec.vid == ident.findtext("version_id").strip(), rec.label_path
            checked += 1
        else:
            assert rec.product_id == p.product_id, rec.label_path
    assert checked >= 100


def test_pds3_corpus_and_broken_labels():
    idx, report = _index(CORPUS / "pds3")
    broken = sorted(p.name for p in (CORPUS / "pds3/pvl/broken").glob("*.lbl"))
    # every broken label is reported with its file, line and problem; none is indexed
    assert len(report.errors) == len(broken)
    assert all("/broken/" in e and ".lbl:" in e for e in report.errors)
    for rec in idx.products():
        assert "/broken/" not in rec.label_path
        assert rec.product_id == pdsgen.open(CORPUS / "pds3" / rec.label_path).product_id
