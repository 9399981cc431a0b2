"""Schematron (compiled to XSLT 3, run by saxonche), XSD and catalog resolution."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CATALOG, CORPUS, SCHEMAS
from lxml import etree

from pdsgen.errors import ValidationRunError
from pdsgen.validate.catalog import Catalog
from pdsgen.validate.schematron import check_schematron, compile_schematron
from pdsgen.validate.xsd import check_xsd

VCORPUS = CORPUS / "validate"

SCH = b"""<?xml version="1.0"?>
<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <sch:ns uri="urn:t" prefix="t"/>
  <sch:let name="limit" value="3"/>
  <sch:pattern>
    <sch:let name="n_items" value="count(//t:item)"/>
    <sch:rule context="t:item[@kind='special']">
      <sch:assert test="@v = 'S'"><title>t:special</title>special item must have v=S, has <sch:value-of select="@v"/></sch:assert>
    </sch:rule>
    <sch:rule context="t:item">
      <sch:let name="v" value="xs:integer(@v)"/>
      <sch:assert test="$v le $limit">item <sch:name/> value <sch:value-of select="$v"/> exceeds <sch:value-of select="$limit"/> (of <sch:value-of select="$n_items"/>)</sch:assert>
    </sch:rule>
  </sch:pattern>
  <sch:pattern>
    <sch:rule context="t:item" role="warning">
      <sch:report test="@v = '2'">two seen</sch:report>
    </sch:rule>
  </sch:pattern>
  <sch:pattern>
    <sch:rule context="t:name">
      <sch:assert test=". = ('Left to Right', 'Right to Left')">bad direction</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>
"""

DOC = b"""<root xmlns="urn:t">
  <item v="1"/>
  <item v="2"/>
  <item v="7"/>
  <item kind="special" v="9"/>
  <name>Left to Right
     </name>
</root>
"""


@pytest.fixture()
def sch(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    p = tmp_path / "t.sch"
    p.write_bytes(SCH)
    return p


def test_xpath2_semantics_first_rule_per_pattern_lets_and_messages(sch):
    found = check_schematron(DOC, sch, file="doc.xml")
    errors = [f for f in found if f.type == "error.label.schematron"]
    warnings = [f for f in found if f.type == "warning.label.schematron"]
    # item v=7 fails the general rule; the special item is checked only by the first rule
    # of its pattern (v=9 > 3 would otherwise fail the general rule too).
    assert [f.message for f in errors] == [
        "item item value 7 exceeds 3 (of 4)",
        "special item must have v=S, has 9",
    ]
    assert [f.line for f in errors] == [4, 5]
    assert errors[1].extra["title"] == "t:special"
    assert [f.message for f in warnings] == ["two seen"]
    assert errors[0].context == "/root[1]/item[3]"


def test_compiled_stylesheet_is_cached_on_disk(sch, tmp_path):
    check_schematron(DOC, sch)
    cached = list((tmp_path / "cache").rglob("*.json"))
    assert len(cached) == 1
    assert "next-match" in cached[0].read_text()


def test_compile_rejects_non_schematron():
    with pytest.raises(ValidationRunError, match="not an ISO Schematron"):
        compile_schematron(b"<schema/>", source="x.sch")


def _cited_sch(label: Path) -> list[str]:
    head = label.read_bytes()[:4000].decode("utf-8", "replace")
    return [h for h in re.findall(r'<\?xml-model[^>]*href="([^"]+)"', head) if h.endswith(".sch")]


# products validate passes (scenario expectation empty) whose schemas are in the catalog
VALID = [
    "github15/test_check-no-pass_context_products.xml",  # values with trailing newlines
    "github334/valid/pvoro_graph_eden_k91_3a_01_v01_r00.xml",
    "github09/val9b.xml",
    "github1118/20170303t022534s621_sto_l0.b.xml",
    "github823/mvn_swi_l2_onboardsvymom_20230827_v02_r01.xml",
    "github831/kplo.xml",
    "github1028/xa.s16..shz.1976.070.0.xml",
    "github297/valid/rimfax_rdr_0081_example.xml",
    "github57/validate_57a_valid.xml",
]


@pytest.mark.shared
@pytest.mark.parametrize("rel", VALID)
def test_valid_corpus_products_have_no_failed_asserts(rel):
    cat = Catalog.load(CATALOG, offline=True)
    label = VCORPUS / rel
    hrefs = _cited_sch(label)
    assert hrefs
    for href in hrefs:
        found = check_schematron(label, cat.resolve(href, base=label.parent))
        assert [f for f in found if f.is_error] == [], href


@pytest.mark.shared
@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("github334/invalid/pvoro_graph_eden_k91_3a_01_v01_r00.xml", 1),
        ("github15/test_check-pass_context_products.xml", 2),
    ],
)
def test_invalid_corpus_products_fail_like_validate(rel, expected):
    cat = Catalog.load(CATALOG, offline=True)
    label = VCORPUS / rel
    errors = []
    for href in _cited_sch(label):
        errors += [f for f in check_schematron(label, cat.resolve(href, base=label.parent)) if f.is_error]
    assert len(errors) == expected
    assert all(f.line for f in errors)


@pytest.mark.shared
def test_catalog_resolves_both_schemes_and_names_unresolvable_urls(tmp_path):
    cat = Catalog.load(CATALOG, offline=True)
    p = cat.resolve("https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1B00.xsd")
    assert p.resolve() == (SCHEMAS / "pds4/pds/v1/PDS4_PDS_1B00.xsd").resolve()
    assert cat.resolve("http://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1B00.sch").is_file()
    url = "https://psa.esa.int/psa/v1/PDS4_PSA_1101.xsd"
    with pytest.raises(ValidationRunError, match=re.escape(url)):
        cat.resolve(url)
    local = tmp_path / "x.sch"
    local.write_text("<x/>")
    assert cat.resolve("x.sch", base=tmp_path) == local


def test_catalog_entries_and_default_cache(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "s.xsd").write_text("<x/>")
    catfile = tmp_path / "catalog.xml"
    catfile.write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
        '<uri name="http://example.org/s.xsd" uri="a/s.xsd"/>'
        '<rewriteURI uriStartString="http://example.org/r/" rewritePrefix="a/"/></catalog>'
    )
    cat = Catalog.load(catfile, offline=True)
    assert cat.resolve("http://example.org/s.xsd") == tmp_path / "a" / "s.xsd"
    assert cat.resolve("http://example.org/r/s.xsd") == tmp_path / "a" / "s.xsd"
    # default catalog: the download cache; offline it never fetches
    cached = tmp_path / "cache" / "example.org" / "c.xsd"
    cached.parent.mkdir(parents=True)
    cached.write_text("<x/>")
    dflt = Catalog.load(None, offline=True, cache_dir=tmp_path / "cache")
    assert dflt.resolve("http://example.org/c.xsd") == cached
    with pytest.raises(ValidationRunError, match="offline"):
        dflt.resolve("http://example.org/missing.xsd")


@pytest.mark.shared
def test_xsd_validation_through_catalog():
    cat = Catalog.load(CATALOG, offline=True)
    bad = VCORPUS / "github401/invalid/data_spectra/spectra_doc_collection_inventory.xml"
    found = check_xsd(etree.parse(str(bad)), cat, file=str(bad))
    assert [f.type for f in found] == ["error.label.schema"]
    assert found[0].line == 41 and "Internal_Reference" in found[0].message
    good = VCORPUS / "github334/valid/pvoro_graph_eden_k91_3a_01_v01_r00.xml"
    assert check_xsd(etree.parse(str(good)), cat, file=str(good)) == []


@pytest.mark.shared
def test_catalog_follows_the_old_pds_schema_layout():
    cat = Catalog.load(CATALOG, offline=True)
    old = "http://pds.nasa.gov/pds4/schema/released/pds/v1/PDS4_PDS_1300.xsd"
    assert cat.resolve(old).resolve() == (SCHEMAS / "pds4/pds/v1/PDS4_PDS_1300.xsd").resolve()


def test_leaf_values_are_collapsed_on_a_restored_copy():
    from lxml import etree

    from pdsgen.validate.schematron import _collapsed_xml

    tree = etree.ElementTree(etree.fromstring(
        b"<r><a>  x \n\t y </a><b>\n  <c> z</c>\n</b><d>k<!-- note --> l </d><e>ok</e></r>"))
    before = etree.tostring(tree)
    out = _collapsed_xml(tree)
    # leaf text nodes normalised (the tail after a comment too); mixed/structural whitespace kept
    assert b"<a>x y</a>" in out and b"<c>z</c>" in out and b"<d>k<!-- note -->l</d>" in out
    assert b"<b>\n  <c>" in out
    assert etree.tostring(tree) == before  # the caller's tree is left as it was
    assert _collapsed_xml(etree.ElementTree(etree.fromstring(b"<r><a>x y</a></r>"))) is None
