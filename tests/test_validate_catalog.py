"""`pdsgen validate -C CATALOG` as validate does it: every schema and Schematron a label cites
resolves through the given catalog alone (validate's LabelValidationRule.resolveSingleSchema /
validateSingleSchematron with XMLCatalogResolver.resolveSchema / resolveSchematron), and one
it does not map is ``error.catalog.unresolvable_schema`` / ``…_schematron`` (a schema's
import: ``…_resource``) on the label; the other checks still run. Without ``-C`` (and through
the Python API's plain ``catalog_path``) pdsgen keeps its own chain: catalog, shipped
schemas, cache, bounded downloads."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from lxml import etree

from pdsgen.render import write_table
from pdsgen.validate.catalog import BUNDLED_DIR
from pdsgen.validate.pds4label import schematron_citations
from pdsgen.validate.runner import Options, run
from pdsgen.validate.xsd import schema_locations
from tests._render_helpers import CREATED, context

PDS_NS = "http://pds.nasa.gov/pds4/pds/v1"
CAT = '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">{}</catalog>'


@pytest.fixture
def product(tmp_path) -> tuple[Path, str, str]:
    """A small character table product written by pdsgen (valid with its shipped schemas),
    its schema URL and its Schematron URL; local copies of those files in ``local/pds/v1``."""
    t = {"a": np.arange(4), "x": np.arange(4) * 1.5}
    (tmp_path / "p").mkdir()
    label = write_table(t, tmp_path / "p", basename="t", context=context(), table_format="character",
                        creation_time=CREATED).label_path
    tree = etree.parse(str(label))
    [(ns, xsd)] = schema_locations(tree)
    [(sch, _ns, _line)] = schematron_citations(tree, str(label))[0]
    assert ns == PDS_NS and xsd.endswith(".xsd") and sch.endswith(".sch")
    local = tmp_path / "local" / "pds" / "v1"
    local.mkdir(parents=True)
    for url in (xsd, sch):
        name = url.rsplit("/", 1)[1]
        shutil.copy(BUNDLED_DIR / "pds" / "v1" / name, local / name)
    return Path(label), xsd, sch


def catalog(path: Path, *entries: str) -> str:
    path.write_text(CAT.format("".join(entries)))
    return str(path)


def check(label: Path, cat: str | None, *, alone: bool = True):
    res = run([str(label)], Options(catalog_path=cat, catalog_alone=alone, context=False, offline=True, jobs=1))
    [p] = res.products
    return p, [(f.type, f.message) for f in p.findings if f.is_error]


def local_file(tmp_path: Path, url: str) -> str:
    return str(tmp_path / "local" / "pds" / "v1" / url.rsplit("/", 1)[1])


def test_rewrite_uri_catalog_resolves_schema_and_schematron(tmp_path, product):
    label, xsd, sch = product
    prefix = xsd.rsplit("/", 1)[0] + "/"
    cat = catalog(tmp_path / "cat.xml", f'<rewriteURI uriStartString="{prefix}" rewritePrefix="local/pds/v1/"/>')
    p, errors = check(label, cat)
    assert errors == [] and p.status == "PASS"
    # the rules really ran from the catalog's copies: a schema error in the label is found
    bad = label.read_text().replace("<version_id>1.0</version_id>", "<version_id>1.0</version_id><bogus/>", 1)
    label.write_text(bad)
    _p, errors = check(label, cat)
    assert [t for t, _m in errors] == ["error.label.schema"]


def test_next_catalog_chain_with_uri_entries(tmp_path, product):
    label, xsd, sch = product
    (tmp_path / "sub").mkdir()
    catalog(tmp_path / "sub" / "child.xml", f'<uri name="{xsd}" uri="{local_file(tmp_path, xsd)}"/>',
            f'<uri name="{sch}" uri="../local/pds/v1/{sch.rsplit("/", 1)[1]}"/>')  # relative to the child
    cat = catalog(tmp_path / "cat.xml", '<nextCatalog catalog="sub/child.xml"/>')
    p, errors = check(label, cat)
    assert errors == [] and p.status == "PASS"
    res = run([str(label)], Options(catalog_path=cat, catalog_alone=True, context=False, offline=True, jobs=1))
    assert res.catalog == f"{cat} (alone, as validate -C)"  # the report's configuration block


def test_a_catalog_mapping_the_schema_only(tmp_path, product):
    """The Schematron the catalog does not map is one error on the label; the XML Schema and
    the content checks still run (a bad value in the table is still found)."""
    label, xsd, sch = product
    cat = catalog(tmp_path / "cat.xml", f'<uri name="{xsd}" uri="{local_file(tmp_path, xsd)}"/>')
    p, errors = check(label, cat)
    assert errors == [("error.catalog.unresolvable_schematron",
                       f"Could not resolve schematron '{sch}' through the catalog {cat}")]
    assert p.status == "FAIL" and p.findings[0].file == str(label)
    data = label.with_suffix(".tab")
    data.write_bytes(data.read_bytes().replace(b"1.5", b"x.5", 1))
    _p, errors = check(label, cat)
    found = {t for t, _m in errors}  # (the label's checksum and statistics fail too)
    assert {"error.catalog.unresolvable_schematron", "error.table.field_value_data_type_mismatch"} <= found


def test_an_empty_catalog_resolves_nothing(tmp_path, product):
    """No shipped schema, cache or download behind the catalog: both citations are errors and
    the label is not schema-validated; pdsgen's own chain (Python API ``catalog_path`` without
    ``catalog_alone``, or no catalog) still finds the shipped copies."""
    label, xsd, sch = product
    cat = catalog(tmp_path / "cat.xml")
    _p, errors = check(label, cat)
    assert errors == [("error.catalog.unresolvable_schema", f"Could not resolve schema '{xsd}' through the catalog {cat}"),
                      ("error.catalog.unresolvable_schematron",
                       f"Could not resolve schematron '{sch}' through the catalog {cat}")]
    for chained in (cat, None):
        p, errors = check(label, chained, alone=False)
        assert errors == [] and p.status == "PASS"


def test_schema_by_namespace_and_a_mapping_to_a_missing_file(tmp_path, product):
    label, xsd, sch = product
    # validate's resolveSchema tries the namespace after the URL; resolveSchematron does not
    cat = catalog(tmp_path / "cat.xml", f'<uri name="{PDS_NS}" uri="{local_file(tmp_path, xsd)}"/>')
    _p, errors = check(label, cat)
    assert [t for t, _m in errors] == ["error.catalog.unresolvable_schematron"]
    cat = catalog(tmp_path / "cat2.xml", f'<uri name="{xsd}" uri="nowhere/{xsd.rsplit("/", 1)[1]}"/>',
                  f'<uri name="{sch}" uri="{local_file(tmp_path, sch)}"/>')
    _p, errors = check(label, cat)
    assert [t for t, _m in errors] == ["error.catalog.unresolvable_schema"]
    assert "nowhere" in errors[0][1] and "does not exist" in errors[0][1]


def test_a_schema_import_the_catalog_does_not_map(tmp_path, product):
    """A dictionary the label cites imports another schema by URL: with -C that URL too must be
    in the catalog (XMLCatalogResolver.resolveResource: error.catalog.unresolvable_resource)."""
    label, xsd, sch = product
    xs = "http://www.w3.org/2001/XMLSchema"
    (tmp_path / "local" / "x.xsd").write_text(
        f'<xs:schema xmlns:xs="{xs}" targetNamespace="http://example.org/x" elementFormDefault="qualified">'
        '<xs:import namespace="http://example.org/y" schemaLocation="http://example.org/y/y.xsd"/>'
        '<xs:element name="x" type="xs:string"/></xs:schema>')
    text = label.read_text().replace(f'{PDS_NS} {xsd}', f'{PDS_NS} {xsd} http://example.org/x http://example.org/x/x.xsd')
    label.write_text(text)
    prefix = xsd.rsplit("/", 1)[0] + "/"
    cat = catalog(tmp_path / "cat.xml", f'<rewriteURI uriStartString="{prefix}" rewritePrefix="local/pds/v1/"/>',
                  '<uri name="http://example.org/x/x.xsd" uri="local/x.xsd"/>')
    _p, errors = check(label, cat)
    assert errors == [("error.catalog.unresolvable_resource",
                       f"Could not resolve uri 'http://example.org/y/y.xsd' through the catalog {cat}")]


def test_a_label_local_schematron_goes_through_the_catalog_too(tmp_path, product):
    """validate makes a bare name absolute (a file: URL in the label's folder) and looks that up."""
    label, xsd, sch = product
    name = sch.rsplit("/", 1)[1]
    shutil.copy(local_file(tmp_path, sch), label.parent / name)
    label.write_text(label.read_text().replace(f'href="{sch}"', f'href="{name}"'))
    prefix = xsd.rsplit("/", 1)[0] + "/"
    rewrite = f'<rewriteURI uriStartString="{prefix}" rewritePrefix="local/pds/v1/"/>'
    cat = catalog(tmp_path / "cat.xml", rewrite)
    _p, errors = check(label, cat)
    local_url = (label.parent / name).resolve().as_uri()
    assert errors == [("error.catalog.unresolvable_schematron",
                       f"Could not resolve schematron '{local_url}' through the catalog {cat}")]
    cat = catalog(tmp_path / "cat2.xml", rewrite, f'<uriSuffix uriSuffix="/{name}" uri="{local_file(tmp_path, sch)}"/>')
    p, errors = check(label, cat)
    assert errors == [] and p.status == "PASS"


def test_command_line_catalog_as_validate_takes_it(tmp_path, product):
    from pdsgen.cli.app import main

    label, _xsd, _sch = product
    cat = catalog(tmp_path / "cat.xml")
    res = CliRunner().invoke(main, ["validate", "--offline", "--jobs", "1", "--no-context", "-C", cat, str(label)])
    assert res.exit_code == 1, res.output
    assert "error.catalog.unresolvable_schema" in res.output and "error.catalog.unresolvable_schematron" in res.output
    res = CliRunner().invoke(main, ["validate", "--offline", "--jobs", "1", "--no-context", str(label)])
    assert res.exit_code == 0, res.output
