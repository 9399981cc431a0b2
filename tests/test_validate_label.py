"""PDS4 label rules beyond schema, each with a good and a bad fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, validate_options
from lxml import etree

from pdsgen.validate.pds4label import (
    check_files,
    check_local_references,
    check_object_layout,
    file_areas,
)
from pdsgen.validate.runner import Options, run

V = CORPUS / "validate"
PDS = "http://pds.nasa.gov/pds4/pds/v1"


def tree_of(body: str) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(f'<Product_Observational xmlns="{PDS}">{body}</Product_Observational>'))


def opts(**kw) -> Options:
    return Options(**validate_options(**kw))


def test_objects_overlapping_in_their_file():
    body = ("<File_Area_Observational><File><file_name>d.tab</file_name></File>"
            "<Header><offset unit='byte'>0</offset><object_length unit='byte'>{hl}</object_length>"
            "<parsing_standard_id>7-Bit ASCII Text</parsing_standard_id></Header>"
            "<Table_Character><offset unit='byte'>100</offset><records>2</records><Record_Character>"
            "<fields>0</fields><groups>0</groups><record_length unit='byte'>10</record_length></Record_Character>"
            "</Table_Character></File_Area_Observational>")
    good = tree_of(body.format(hl=100))
    assert check_object_layout(file_areas(good, Path(".")), "x") == []
    bad = tree_of(body.format(hl=101))
    found = check_object_layout(file_areas(bad, Path(".")), "x")
    assert [f.type for f in found] == ["error.label.invalid_object_definition"]
    assert "offset 100 overlaps the Header before it" in found[0].message


def test_file_name_against_encoding(tmp_path):
    body = ("<File_Area_Browse><File><file_name>{name}</file_name></File><Encoded_Image>"
            "<offset unit='byte'>0</offset><encoding_standard_id>PNG</encoding_standard_id></Encoded_Image>"
            "</File_Area_Browse>")
    (tmp_path / "b.png").write_bytes(b"x")
    (tmp_path / "b.jpg").write_bytes(b"x")
    assert check_files(file_areas(tree_of(body.format(name="b.png")), tmp_path), "x") == []
    found = check_files(file_areas(tree_of(body.format(name="b.jpg")), tmp_path), "x")
    assert [(f.type, f.severity) for f in found] == [("error.validation.file_naming_problem", "warning")]


def test_missing_file_names_a_case_variant(tmp_path):
    (tmp_path / "DATA.TAB").write_bytes(b"x")
    tree = tree_of("<File_Area_Observational><File><file_name>data.tab</file_name></File></File_Area_Observational>")
    found = check_files(file_areas(tree, tmp_path), "x")
    assert [f.type for f in found] == ["error.label.missing_file"]
    assert "'DATA.TAB' differs only in case" in found[0].message
    assert check_files(file_areas(tree, tmp_path), "x", content=False) == []


def test_local_identifier_references():
    body = ("<Observation_Area><Discipline_Area><Local_Internal_Reference>"
            "<local_identifier_reference>{ref}</local_identifier_reference></Local_Internal_Reference>"
            "</Discipline_Area></Observation_Area><File_Area_Observational><Array_2D_Image>"
            "<local_identifier>image</local_identifier></Array_2D_Image></File_Area_Observational>")
    assert check_local_references(tree_of(body.format(ref="image")), "x") == []
    found = check_local_references(tree_of(body.format(ref="imgae")), "x")
    assert [f.type for f in found] == ["error.label.local_identifier_not_found"]


@pytest.mark.shared
def test_unresolvable_schema_is_an_error_naming_the_url():
    label = V / "github616/mre_cal_sc_ttcp_delay_schulte_01s_2021069.xml"
    r = run([str(label)], opts(context=False))
    found = [f for f in r.all_findings() if f.type == "error.label.unresolvable_resource"]
    assert found and "https://psa.esa.int/psa/v1/PDS4_PSA_1F00_1301.xsd" in found[0].message


def test_label_without_schema_location(tmp_path):
    lab = tmp_path / "p.xml"
    lab.write_text(f'<Product_Observational xmlns="{PDS}"><Identification_Area><logical_identifier>'
                   "urn:nasa:pds:b:c:p</logical_identifier><version_id>1.0</version_id></Identification_Area>"
                   "</Product_Observational>")
    types = [f.type for f in run([str(lab)], opts(context=False)).all_findings()]
    assert "error.label.schema" in types
    assert "warning.label.missing_schematron_spec" in types


@pytest.mark.shared
def test_bit_fields_outside_their_field_and_object_overlap_in_corpus():
    # (separate runs: both labels carry the same LIDVID, a duplicate within one run)
    bad = run([str(V / "github209/FAIL2_bad_stop_bit.xml")], opts(context=False))
    assert sorted({f.type for f in bad.all_findings() if f.is_error}) == ["error.table.bad_field_read"]
    assert run([str(V / "github209/VALID_odf07155_msgr_11.xml")], opts(context=False)).total_errors == 0
    r = run([str(V / "github480/test_fail_header_offset.xml")], opts(context=False, content=False))
    assert [f.type for f in r.all_findings() if f.is_error] == ["error.label.invalid_object_definition"]


def test_file_and_folder_names(tmp_path):
    from pdsgen.validate.integrity import naming_findings

    for name in ("good_name-1.0.tab", "bad name.tab", "core", "core.vmac", "a.out", "lpt9.tab", "_x.tab"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "dir.ext").mkdir()
    (tmp_path / "com1").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "bad name").write_bytes(b"")
    got = sorted((Path(f.file).name, f.type) for f in naming_findings(tmp_path))
    assert got == [
        ("_x.tab", "error.file.name_has_invalid_characters"),
        ("a.out", "error.file.unallowed_name"),
        ("bad name.tab", "error.file.name_has_invalid_characters"),
        ("com1", "error.directory.unallowed_name"),
        ("core", "error.file.unallowed_base_name"),
        ("dir.ext", "error.directory.name_has_invalid_characters"),
    ]


def test_primary_collection_members_need_versions():
    from pdsgen.validate.inventory import Member, missing_versions

    members = [Member("P", "urn:nasa:pds:b:c:p1::1.0", 1), Member("P", "urn:nasa:pds:b:c:p2", 2),
               Member("S", "urn:nasa:pds:b:c:p3", 3)]
    found = missing_versions(members, "c.xml")
    assert [(f.type, f.line) for f in found] == [("error.integrity.missing_version", 2)]


def test_line_breaks_inside_references_are_invalid_values():
    from pdsgen.validate.pds4label import check_identifiers

    tree = tree_of("<Reference_List><Internal_Reference><lid_reference>urn:nasa:pds:b:c:p\n</lid_reference>"
                   "</Internal_Reference><Internal_Reference><lid_reference>urn:nasa:pds:b:c:q</lid_reference>"
                   "</Internal_Reference></Reference_List>")
    found = check_identifiers(tree, "x")
    assert [f.type for f in found] == ["error.validation.invalid_field_value"]


def test_schematron_citations_read_as_validate_reads_them():
    from lxml import etree

    from pdsgen.validate.pds4label import schematron_citations

    def cite(*pis: str):
        doc = "".join(f"<?xml-model {p}?>\n" for p in pis) + "<Product_Observational/>"
        cited, found = schematron_citations(etree.ElementTree(etree.fromstring(doc.encode())), "l.xml")
        return [h for h, _ns, _line in cited], sorted(f.type for f in found)

    sch = 'href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1B00.sch"'
    ns = 'schematypens="http://purl.oclc.org/dsdl/schematron"'
    assert cite(f"{sch}\n    {ns} ") == (["https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1B00.sch"], [])
    # no blank before schematypens (validate issue 17): not a citation, so no Schematron at all
    assert cite(f"{sch}{ns}") == ([], ["warning.label.bad_schematypens", "warning.label.missing_schematron_spec"])
    assert cite(sch) == ([], ["warning.label.bad_schematypens", "warning.label.missing_schematron_spec"])
    # another schematypens is still cited, with a warning
    hrefs, types = cite(f'{sch} schematypens="http://www.w3.org/2001/XMLSchema"')
    assert len(hrefs) == 1 and types == ["warning.label.bad_schematypens"]


def test_schemas_and_schematron_files_come_in_pairs():
    from lxml import etree

    from pdsgen.validate.pds4label import schema_schematron_versions

    pds = "http://pds.nasa.gov/pds4/pds/v1"

    def check(locations: str, *models: str):
        pis = "".join(f"<?xml-model {m}?>" for m in models)
        loc = f' xsi:schemaLocation="{locations}"' if locations else ""
        doc = (f'{pis}<Product_Observational xmlns="{pds}" '
               f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"{loc}/>')
        return [(f.type, f.message) for f in schema_schematron_versions(etree.ElementTree(etree.fromstring(doc)), "l")]

    ns = 'schematypens="http://purl.oclc.org/dsdl/schematron"'
    core_xsd = f"{pds} https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1B00.xsd"
    core_sch = f'href="http://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1B00.sch" {ns}'
    assert check(core_xsd, core_sch) == []  # http/https and case do not matter: same path
    mess = "http://pds.nasa.gov/pds4/mission/mess/v1 https://pds.nasa.gov/pds4/mission/mess/v1/PDS4_MESS_1B00_1101.xsd"
    (kind, msg), = check(f"{core_xsd} {mess}", core_sch)
    assert kind == "warning.label.schema" and "PDS4_MESS_1B00_1101" in msg
    # an xml-model without a blank before schematypens names no .sch file (validate issue 17)
    assert [k for k, _ in check(core_xsd, core_sch.replace('" schematypens', '"schematypens'))] == [
        "warning.label.schema"]
    assert [k for k, _ in check("", core_sch)] == ["warning.label.schema"]
    assert [k for k, _ in check(core_xsd)] == ["warning.label.schematron"]
