"""`pdsgen validate` end to end: CLI, exit codes, reports, label rules, bundles and collections."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CATALOG, CONTEXT, CORPUS, validate_cli_args, validate_options
from lxml import etree, html

from pdsgen.cli.app import main
from pdsgen.validate.context_products import ContextRegistry, check_context_refs
from pdsgen.validate.pds4label import (
    check_identifiers,
    check_record_counts,
    lid_problem,
    xml_models,
)
from pdsgen.validate.runner import Options, run

V = CORPUS / "validate"
BASE = validate_cli_args()


def cli(*args: str):
    return CliRunner().invoke(main, ["validate", *BASE, *args])


def types_of(data: dict) -> dict[str, int]:
    return {m["messageType"]: m["total"] for m in data["summary"]["messageTypes"]}


def opts(**kw) -> Options:
    return Options(**validate_options(**kw))


@pytest.mark.shared
def test_clean_product_exits_0_and_json_report_has_validate_shape(tmp_path):
    out = tmp_path / "r.json"
    res = cli("--no-context", "--format", "json", "--report", str(out), str(V / "github297/valid/rimfax_rdr_0081_example.xml"))
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    s = data["summary"]
    assert s["totalErrors"] == 0 and s["productValidation"] == {"passed": 1, "failed": 0, "skipped": 0, "total": 1}
    assert set(s) >= {"totalErrors", "totalWarnings", "productValidation", "referentialIntegrity", "messageTypes"}
    assert data["productLevelValidationResults"][0]["status"] == "PASS"


@pytest.mark.shared
def test_invalid_product_exits_1_with_validate_message_types(tmp_path):
    out = tmp_path / "r.json"
    res = cli("--no-context", "--format", "json", "--report", str(out),
              str(V / "github297/invalid/rimfax_rdr_0081_example.xml"))
    assert res.exit_code == 1
    data = json.loads(out.read_text())
    assert types_of(data) == {"error.table.field_value_out_of_min_max_range": 1}
    msg = data["productLevelValidationResults"][0]["messages"][0]
    assert msg["severity"] == "ERROR" and msg["record"] == 3 and msg["field"] == 1


def test_unusable_catalog_exits_2(tmp_path):
    res = CliRunner().invoke(main, ["validate", "-C", str(tmp_path / "nope.xml"), str(tmp_path)])
    assert res.exit_code == 2
    assert "catalog file not found" in res.output


@pytest.mark.shared
def test_html_report_is_self_contained_and_structured(tmp_path):
    out = tmp_path / "r.html"
    res = cli("--format", "html", "--report", str(out), str(V / "github137/delimited_table_good.xml"),
              str(V / "github297/valid/rimfax_rdr_0081_example.xml"))
    assert res.exit_code == 1
    doc = html.fromstring(out.read_text())
    assert doc.get_element_by_id("total-errors").text_content() == "4"
    assert doc.get_element_by_id("failed").text_content() == "1"
    products = doc.find_class("product")
    assert [p.get("data-status") for p in products] == ["FAIL", "PASS"]
    groups = {g.get("data-type"): len(g.find_class("msg")) for g in products[0].find_class("group")}
    assert groups == {"error.label.context_ref_not_found": 3, "error.label.filesize_mismatch": 1}
    assert doc.xpath("//select[@id='f-type']/option/@value")[0] == ""
    # one file: no external stylesheets, scripts or images
    assert not doc.xpath("//link[@href] | //script[@src] | //img[@src]")


@pytest.mark.shared
def test_context_references(tmp_path):
    reg = ContextRegistry.load(CONTEXT)
    tree = etree.parse(str(V / "github137/delimited_table_good.xml"))
    assert [f.type for f in check_context_refs(tree, reg, "x")] == ["error.label.context_ref_not_found"] * 3
    tree = etree.parse(str(V / "github334/valid/pvoro_graph_eden_k91_3a_01_v01_r00.xml"))
    assert [f.type for f in check_context_refs(tree, reg, "x")] == ["warning.label.context_ref_mismatch"]
    assert [f.type for f in check_context_refs(tree, reg, "x", mismatch_warnings=False)] == [
        "info.label.context_ref_mismatch"]


def test_identifier_syntax():
    assert lid_problem("urn:nasa:pds:bundle:collection:product") is None
    assert lid_problem("urn:nasa:pds:context:instrument:mro.hirise") is None
    assert "urn:" in lid_problem("nasa:pds:b:c")
    assert "::" in lid_problem("urn:nasa:pds:b:c::1.0")
    assert "' '" in lid_problem("urn:nasa:pds:b:c d")
    assert lid_problem("urn:nasa:pds") is not None
    tree = etree.ElementTree(etree.fromstring(
        b'<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1"><Identification_Area>'
        b"<logical_identifier>urn:nasa:pds:b:c:p q</logical_identifier><version_id>1</version_id>"
        b"</Identification_Area><Reference_List><Internal_Reference><lidvid_reference>urn:nasa:pds:b:c:p"
        b"</lidvid_reference></Internal_Reference></Reference_List></Product_Observational>"))
    # the product's LID/VID grammar is the XML Schema's (error.label.schema); validate has no type of its own
    assert [f.type for f in check_identifiers(tree, "x")] == ["warning.label.invalid_lid_reference"]


@pytest.mark.shared
def test_record_field_counts_and_xml_models():
    tree = etree.parse(str(V / "github334/invalid/pvoro_graph_eden_k91_3a_01_v01_r00.xml"))
    found = check_record_counts(tree, "x")
    assert [f.type for f in found] == ["error.label.invalid_object_definition"]
    # validate adds up the fields of the label's Record_Characters (77 + 8) against their Field_Characters (2 + 8)
    assert "fields add up to 85, the tables have 10 Field_Character" in found[0].message
    models = xml_models(etree.parse(str(V / "github15/test_check-pass_context_products.xml")))
    assert [m[0].rsplit("/", 1)[1] for m in models] == ["PDS4_PDS_1400.sch", "PDS4_DISP_1301.sch", "PDS4_SP_1100.sch"]


@pytest.mark.shared
def test_file_size_checksum_and_missing_file(tmp_path):
    src = V / "github297/valid"
    for f in src.iterdir():
        shutil.copy(f, tmp_path / f.name)
        (tmp_path / f.name).chmod(0o644)
    label = tmp_path / "rimfax_rdr_0081_example.xml"
    text = label.read_text()
    data_name = etree.parse(str(label)).findtext(".//{*}file_name")
    data = (tmp_path / data_name).read_bytes()
    md5 = hashlib.md5(data).hexdigest()  # noqa: S324
    assert "<file_size" not in text and "<md5_checksum" not in text
    good = text.replace("</File>", f"<file_size unit=\"byte\">{len(data)}</file_size>"
                                   f"<md5_checksum>{md5}</md5_checksum></File>", 1)
    label.write_text(good)
    assert run([str(label)], opts(context=False)).total_errors == 0
    label.write_text(good.replace(f">{len(data)}<", f">{len(data) + 1}<").replace(md5, "0" * 32))
    types = sorted(f.type for f in run([str(label)], opts(context=False)).all_findings() if f.is_error)
    assert types == ["error.label.checksum_mismatch", "error.label.filesize_mismatch"]
    label.write_text(good)
    (tmp_path / data_name).unlink()
    r = run([str(label)], opts(context=False))
    assert sorted(f.type for f in r.all_findings() if f.is_error) == ["error.label.missing_file",
                                                                      "error.table.bad_file_read"]
    # --no-content skips file and data checks
    assert run([str(label)], opts(context=False, content=False)).total_errors == 0


def test_folders_not_understandable_bad_extension_and_no_products(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "empty.xml").write_bytes(b"")
    (tmp_path / "a" / "other.xml").write_bytes(b"<notpds/>")
    r = run([str(tmp_path / "a")], opts())
    assert [p.status for p in r.products] == ["SKIP", "SKIP"]
    assert r.total_errors == 0 and r.total_warnings == 2
    (tmp_path / "a" / "x.lblx").write_bytes(b"")
    r = run([str(tmp_path / "a")], opts(label_extensions=("lblx",)))
    assert [f.type for f in r.all_findings()] == ["error.label.not_understandable"]
    (tmp_path / "b").mkdir()
    r = run([str(tmp_path / "b")], opts())
    assert [f.type for f in r.execution] == ["error.execution.no_products_found"] and r.exit_code == 1
    (tmp_path / "lab").write_bytes(b"<x/>")
    r = run([str(tmp_path / "lab"), str(tmp_path / "missing.xml")], opts())
    assert [f.type for p in r.products for f in p.findings] == ["error.label.bad_extension", "error.label.missing_file"]


@pytest.mark.shared
def test_inventory_and_bundle_duplicates():
    r = run([str(V / "github476/bundle_mars2020_spice_v003.xml")], opts(context=False, rule="product"))
    assert sum(f.type == "error.inventory.duplicate_lidvid" for f in r.all_findings()) == 2
    r = run([str(V / "github476/collection_lab.hydrocarbon_spectra_data.xml")], opts(context=False, rule="product"))
    assert sum(f.type == "error.inventory.duplicate_lidvid" for f in r.all_findings()) == 1


@pytest.mark.shared
def test_bundle_integrity_and_duplicate_identifiers():
    # validate's own case runs with --skip-strict-collection-membership (member_not_found a warning)
    r = run([str(V / "github401/invalid/bundle_kaguya_derived.xml")],
            opts(context=False, rule="bundle", allow_unlisted_members=True))
    integrity = {f.type for f in r.integrity}
    assert {"warning.integrity.member_not_found", "warning.integrity.unreferenced_member"} <= integrity
    assert "error.label.schema" in {f.type for f in r.all_findings()}
    r = run([str(V / "github367/bundle_kaguya_derived.xml")], opts(context=False, rule="bundle"))
    types = [f.type for f in r.all_findings()]
    assert types.count("error.label.duplicate_identifier") == 1
    assert types.count("error.label.missing_file") == 2
    assert "warning.file.not_referenced_in_label" in types


@pytest.mark.shared
def test_collection_inventory_records_checked_without_content():
    r = run([str(V / "github173/invalid")], opts(context=False, content=False, rule="bundle"))
    # validate counts this twice (product and referential-integrity stages); one finding here
    assert [f.type for f in r.all_findings() if f.is_error] == ["error.table.records_mismatch"]


@pytest.mark.shared
def test_parallel_run_matches_serial():
    targets = [str(V / "github09"), str(V / "github57")]
    serial = run(targets, opts())
    parallel = run(targets, Options(catalog_path=str(CATALOG), context_products=(str(CONTEXT),), offline=True, jobs=2))
    key = lambda r: sorted((p.label, f.type, f.line or 0, f.record or 0) for p in r.products for f in p.findings)  # noqa: E731
    assert len(serial.products) >= 8
    assert key(serial) == key(parallel)


@pytest.mark.shared
def test_pds3_labels():
    good = CORPUS / "pds3/dual/mer_cif/m0154651923f6_2p_cif_gbl.lbl"
    r = run([str(good)], opts())
    assert r.products[0].standard == "PDS3" and r.total_errors == 0
    lend = CORPUS / "pds3/dual/lend/lend_rdr_dlx_20240615.lbl"
    r = run([str(lend)], opts())
    types = [f.type for f in r.all_findings()]
    assert "error.label.filesize_mismatch" in types  # the sample .dat is shorter than RECORD_BYTES x FILE_RECORDS
    # the label names INTERCHANGE_FORMAT (the PDS3 keyword): no missing-keyword warning
    assert "warning.label.missing_keyword" not in types
    # an encoded (JPEG) document: reported as not checked, the product passes
    r = run([str(CORPUS / "pds3/dual/mer_thm/s_00168901_thm.lbl")], opts())
    assert r.total_errors == 0 and "info.validation.not_checked" in {f.type for f in r.all_findings()}
    # a real label defect: DATA_TYPE ASCII_INTEGER over values written with FORMAT F13.5
    r = run([str(CORPUS / "pds3/dual/odya/ACCANCP007.LBL")], opts())
    assert [(f.type, f.field) for f in r.all_findings() if f.is_error] == [
        ("error.table.field_value_data_type_mismatch", 12)]


def test_pds3_syntax_error_and_columns(tmp_path):
    bad = tmp_path / "bad.lbl"
    bad.write_text("PDS_VERSION_ID = PDS3\nRECORD_TYPE = STREAM\nOBJECT = TABLE\n  ROWS = \nEND\n")
    r = run([str(bad)], opts())
    assert [f.type for f in r.all_findings()][:1] == ["error.label.syntax"]
    lab = tmp_path / "t.lbl"
    (tmp_path / "t.tab").write_bytes(b"12 ab\r\n34 cd\r\n")
    lab.write_text(
        'PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 7\nFILE_RECORDS = 2\n'
        '^TABLE = "t.tab"\nOBJECT = TABLE\n  INTERCHANGE_FORMAT = ASCII\n  ROWS = 2\n  COLUMNS = 2\n  ROW_BYTES = 7\n'
        '  OBJECT = COLUMN\n    NAME = A\n    DATA_TYPE = ASCII_INTEGER\n    START_BYTE = 1\n    BYTES = 3\n  END_OBJECT = COLUMN\n'
        '  OBJECT = COLUMN\n    NAME = B\n    DATA_TYPE = CHARACTER\n    START_BYTE = 3\n    BYTES = 6\n  END_OBJECT = COLUMN\n'
        'END_OBJECT = TABLE\nEND\n')
    types = [f.type for f in run([str(lab)], opts()).all_findings()]
    assert "error.table.field_value_overlap" in types
    assert "error.label.table_definition_problem" in types  # B ends at byte 8 > ROW_BYTES 7


def test_pds3_ascii_values_against_data_type(tmp_path):
    (tmp_path / "t.tab").write_bytes(b"12 ab\r\n3x cd\r\n")
    lab = tmp_path / "t.lbl"
    lab.write_text(
        'PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 7\nFILE_RECORDS = 2\n^TABLE = "t.tab"\n'
        "OBJECT = TABLE\n  INTERCHANGE_FORMAT = ASCII\n  ROWS = 2\n  COLUMNS = 2\n  ROW_BYTES = 7\n"
        "  OBJECT = COLUMN\n    NAME = A\n    DATA_TYPE = ASCII_INTEGER\n    START_BYTE = 1\n    BYTES = 2\n"
        "  END_OBJECT = COLUMN\n  OBJECT = COLUMN\n    NAME = B\n    DATA_TYPE = CHARACTER\n    START_BYTE = 4\n"
        "    BYTES = 2\n  END_OBJECT = COLUMN\nEND_OBJECT = TABLE\nEND\n")
    found = [f for f in run([str(lab)], opts()).all_findings() if f.is_error]
    assert [(f.type, f.record, f.field) for f in found] == [("error.table.field_value_data_type_mismatch", 2, 1)]


@pytest.mark.shared
def test_no_product_skips_products_but_keeps_cross_product_checks():
    r = run([str(V / "github401/invalid/bundle_kaguya_derived.xml")],
            opts(rule="bundle", product=False, allow_unlisted_members=True))
    assert {p.status for p in r.products} == {"SKIP"}
    assert r.total_errors == 0
    assert "warning.integrity.member_not_found" in {f.type for f in r.integrity}


@pytest.mark.shared
def test_package_entry_point():
    from pdsgen.validate import validate

    r = validate(V / "github297/invalid/rimfax_rdr_0081_example.xml", catalog_path=str(CATALOG),
                 context_products=str(CONTEXT), offline=True, jobs=1, context=False)
    assert r.exit_code == 1 and [f.type for f in r.all_findings() if f.is_error] == [
        "error.table.field_value_out_of_min_max_range"]


@pytest.mark.shared
def test_without_a_context_list_references_are_said_not_checked(tmp_path, monkeypatch):
    import pdsgen.validate.context_products as context

    monkeypatch.setattr(context, "default_context_products", lambda: [])
    r = run([str(V / "github137/delimited_table_good.xml")],
            Options(catalog_path=str(CATALOG), offline=True, jobs=1))
    assert "error.label.context_ref_not_found" not in {f.type for f in r.all_findings()}
    assert r.skipped == ["context references (no registered context products list)"]


@pytest.mark.shared
def test_pds3_odl_syntax_is_strict():
    broken = sorted((CORPUS / "pds3/pvl/broken").glob("*.lbl"))
    r = run([str(p) for p in broken], opts())
    assert len(r.products) == len(broken) >= 10
    for p in r.products:
        syntax = [f for f in p.findings if f.type == "error.label.syntax"]
        assert syntax and syntax[0].line, p.label


def test_pds3_table_without_interchange_format_is_warned(tmp_path):
    (tmp_path / "t.tab").write_bytes(b"12 ab\r\n34 cd\r\n")
    lab = tmp_path / "t.lbl"
    lab.write_text(
        'PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 7\nFILE_RECORDS = 2\n^TABLE = "t.tab"\n'
        "OBJECT = TABLE\n  ROWS = 2\n  COLUMNS = 2\n  ROW_BYTES = 7\n"
        "  OBJECT = COLUMN\n    NAME = A\n    DATA_TYPE = ASCII_INTEGER\n    START_BYTE = 1\n    BYTES = 2\n"
        "  END_OBJECT = COLUMN\n  OBJECT = COLUMN\n    NAME = B\n    DATA_TYPE = CHARACTER\n    START_BYTE = 4\n"
        "    BYTES = 2\n  END_OBJECT = COLUMN\nEND_OBJECT = TABLE\nEND\n")
    found = [f for f in run([str(lab)], opts()).all_findings()]
    assert [f.type for f in found] == ["warning.label.missing_keyword"]
    assert "INTERCHANGE_FORMAT" in found[0].message


def test_information_model_versions_of_a_bundle_run():
    from pdsgen.validate.integrity import cross_product_checks
    from pdsgen.validate.runner import Options, ProductResult, RunResult

    def result(*versions):
        res = RunResult(products=[ProductResult(f"/nowhere/p{i}.xml", lid=f"urn:nasa:pds:b:c:p{i}", vid="1.0",
                                                im_version=v) for i, v in enumerate(versions)])
        cross_product_checks(res, Options(offline=True), "bundle")
        return [f for f in res.integrity if f.type == "warning.integrity.pds4_version_mismatch"]

    found = result("1.11.0.0", "1.15.0.0", "1.11.0.0")
    assert len(found) == 1 and "1.11.0.0, 1.15.0.0" in found[0].message
    assert result("1.15.0.0", "1.15.0.0 ") == []


def test_products_of_a_bundle_that_no_collection_lists(tmp_path):
    from pdsgen.validate.integrity import cross_product_checks
    from pdsgen.validate.inventory import Member
    from pdsgen.validate.runner import Options, ProductResult, RunResult

    (tmp_path / "data").mkdir()
    (tmp_path / "doc").mkdir()
    b = ProductResult(str(tmp_path / "bundle.xml"), lid="urn:nasa:pds:b", vid="1.0", product_class="Product_Bundle",
                      members=[Member("P", "urn:nasa:pds:b:data::1.0")])
    c = ProductResult(str(tmp_path / "data" / "c.xml"), lid="urn:nasa:pds:b:data", vid="1.0",
                      product_class="Product_Collection", members=[Member("P", "urn:nasa:pds:b:data:p1::1.0")])
    p1 = ProductResult(str(tmp_path / "data" / "p1.xml"), lid="urn:nasa:pds:b:data:p1", vid="1.0")
    # a product of another bundle's LID sitting in this bundle, twice (same LIDVID)
    x1 = ProductResult(str(tmp_path / "doc" / "x.xml"), lid="urn:nasa:pds:other:doc:x", vid="2.0")
    x2 = ProductResult(str(tmp_path / "doc" / "x_copy.xml"), lid="urn:nasa:pds:other:doc:x", vid="2.0")
    res = RunResult(products=[b, c, p1, x1, x2], roots=[])
    cross_product_checks(res, Options(offline=True), "bundle")
    found = [f for f in res.integrity if f.type == "warning.integrity.unreferenced_member"]
    assert [(f.file, "urn:nasa:pds:other:doc:x::2.0" in f.message) for f in found] == [(x1.label, True)]


@pytest.mark.shared
def test_a_file_not_understood_as_a_label_is_an_unreferenced_file():
    r = run([str(V / "github482/bundle2/bundle_kaguya_derived.xml")], opts(rule="bundle", context=False))
    unref = [f.file for f in r.integrity if f.type == "warning.file.not_referenced_in_label"]
    assert [p.rsplit("/", 1)[-1] for p in unref] == ["foo.xml"]
    assert any(f.type == "warning.label.not_understandable" for f in r.all_findings())


def test_malformed_references_are_not_integrity_questions(tmp_path):
    from pdsgen.validate.integrity import cross_product_checks, well_formed
    from pdsgen.validate.runner import Options, ProductResult, RunResult

    assert well_formed("urn:nasa:pds:b:document:d") and well_formed("urn:nasa:pds:b:document:d::1.0")
    assert not well_formed("urn:nasa:pds:b:document:d ZZZ BBB") and not well_formed("urn:nasa:pds:b:d::1")
    b = ProductResult(str(tmp_path / "bundle.xml"), lid="urn:nasa:pds:b", vid="1.0", product_class="Product_Bundle",
                      references=[("urn:nasa:pds:b:document:gone", 5), ("urn:nasa:pds:b:document:d ZZZ BBB", 6)])
    res = RunResult(products=[b], roots=[])
    cross_product_checks(res, Options(offline=True), "bundle")
    assert [f.line for f in res.integrity if f.type == "warning.integrity.reference_not_found"] == [5]


def test_discovery_reads_each_label_once_and_refuses_links_leading_out(tmp_path):
    from pdsgen.validate.runner import discover

    folder = tmp_path / "delivery"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.xml").write_text("<x/>")
    (folder / "sub" / "b.XML").write_text("<x/>")
    (folder / "sub" / "notes.txt").write_text("not a label")
    (folder / "sub" / "sub.xml").mkdir()  # a folder named like a label
    (folder / ".hidden.xml").write_text("<x/>")
    (folder / "sub" / "again.xml").symlink_to(folder / "a.xml")  # the same label by a link inside
    (tmp_path / "elsewhere.xml").write_text("<x/>")
    (folder / "out.xml").symlink_to(tmp_path / "elsewhere.xml")
    (folder / "linked").symlink_to(folder / "sub", target_is_directory=True)  # a linked folder: not entered
    labels, problems = discover([str(folder), str(folder / "a.xml"), str(tmp_path / "delivery" / "sub")],
                                Options(catalog_path=None, offline=True))
    assert [(q.relative_to(tmp_path).as_posix(), walked) for q, walked in labels] == [
        ("delivery/a.xml", True), ("delivery/sub/b.XML", True)]
    # (walked as a target of its own, sub/ holds a link leading out of it)
    assert [(f.type, Path(f.file).name) for f in problems] == [("error.validation.file_naming_problem", "out.xml"),
                                                               ("error.validation.file_naming_problem", "again.xml")]
