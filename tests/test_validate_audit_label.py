"""Variants of validate's single-label rules (not table or array content), built from the rule
text in validate's ``src/main/java`` (FileReferenceValidationRule, LabelValidationRule,
FileAreaExtractor, CrossLabelFileAreaReferenceChecker) and checked against what that code
reports: message type and severity, per label."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from test_validate_rules import PDS, ident, observational, opts

from pdsgen.validate.runner import run

#: findings every schema-less test label of this file gets (no xsi:schemaLocation, no xml-model)
SCHEMALESS = {"error.label.schema", "warning.label.schema", "warning.label.schematron",
              "warning.label.missing_schematron_spec"}
DATA = b"1\r\n2\r\n"  # the data file `observational` writes: 6 bytes
FILE = "<file_name>p.tab</file_name>"


def found(label: Path, **kw) -> list[tuple[str, str]]:
    """(type, severity) of the run's findings on `label`, schema-less noise and info left out."""
    r = run([str(label)], opts(**kw))
    return sorted((f.type, f.severity) for f in r.all_findings()
                  if f.severity != "info" and f.type not in SCHEMALESS)


def with_file_children(tmp_path: Path, extra: str) -> Path:
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    label.write_text(label.read_text().replace(FILE, FILE + extra))
    return label


# --- file_size and md5_checksum are compared as written (handleFilesize, handleChecksum)


def test_md5_checksum_is_compared_with_the_lower_case_digest_as_written(tmp_path):
    digest = hashlib.md5(DATA).hexdigest()  # noqa: S324 - the PDS4 checksum
    assert found(with_file_children(tmp_path, f"<md5_checksum>{digest}</md5_checksum>")) == []
    # the schema allows A-F; validate's String.equals against its lower-case hex does not
    upper = with_file_children(tmp_path, f"<md5_checksum>{digest.upper()}</md5_checksum>")
    assert found(upper) == [("error.label.checksum_mismatch", "error")]
    assert found(upper, content=False) == []  # a content check


def test_file_size_is_compared_as_the_decimal_text(tmp_path):
    assert found(with_file_children(tmp_path, "<file_size unit='byte'>6</file_size>")) == []
    for written in ("06", " 6 ", "6.0"):
        label = with_file_children(tmp_path, f"<file_size unit='byte'>{written}</file_size>")
        assert found(label) == [("error.label.filesize_mismatch", "error")], written
    assert found(with_file_children(tmp_path, "<file_size unit='byte'>7</file_size>")) == [
        ("error.label.filesize_mismatch", "error")]
    assert found(with_file_children(tmp_path, "<file_size unit='byte'>06</file_size>"), content=False) == []


# --- an absolute directory_path_name (validate's issue 349)


def document(folder: Path, *files: str) -> Path:
    """A Product_Document whose Document_Files have the given children; a.txt under sub/."""
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub" / "a.txt").write_bytes(b"hello\n")
    body = "".join(f"<Document_File>{f}<document_standard_id>7-Bit ASCII Text</document_standard_id>"
                   f"</Document_File>" for f in files)
    label = folder / "doc.xml"
    label.write_text(f'<?xml version="1.0"?>\n<Product_Document xmlns="{PDS}">'
                     f'{ident("urn:nasa:pds:b:document:doc", "Product_Document")}'
                     f"<Document><publication_date>2020-01-01</publication_date><Document_Edition>"
                     f"<edition_name>e</edition_name><language>English</language><files>{len(files)}</files>"
                     f"{body}</Document_Edition></Document></Product_Document>")
    return label


SUB = "<file_name>a.txt</file_name><directory_path_name>sub</directory_path_name>"
ABSOLUTE = "<file_name>a.txt</file_name><directory_path_name>/sub</directory_path_name>"
GONE = "<file_name>gone.txt</file_name>"


def test_an_absolute_directory_path_name_is_an_unallowed_directory_name(tmp_path):
    assert found(document(tmp_path, SUB)) == []
    assert found(document(tmp_path, SUB.replace("sub<", "sub/<"))) == []
    assert found(document(tmp_path, ABSOLUTE)) == [("error.directory.unallowed_name", "error")]
    # not a content check: the rule reads the File_Areas with or without it
    assert found(document(tmp_path, ABSOLUTE), content=False) == [("error.directory.unallowed_name", "error")]


def test_file_references_after_an_absolute_directory_are_not_checked(tmp_path):
    # the rule returns on the first absolute directory: a later missing file is not looked for,
    # an earlier one is
    assert found(document(tmp_path, ABSOLUTE, GONE)) == [("error.directory.unallowed_name", "error")]
    assert found(document(tmp_path, GONE, ABSOLUTE)) == [("error.directory.unallowed_name", "error"),
                                                          ("error.label.missing_file", "error")]


# --- File_Areas inside Information_Package_Components (//*[starts-with(name(), 'File_Area')])


def aip(folder: Path, name: str, write: bool = True) -> Path:
    if write:
        (folder / name).write_bytes(b"x\r\n")
    label = folder / "aip.xml"
    label.write_text(f'<?xml version="1.0"?>\n<Product_AIP xmlns="{PDS}">{ident("urn:nasa:pds:b:aip:a", "Product_AIP")}'
                     "<Information_Package_Component><checksum_manifest_checksum>x</checksum_manifest_checksum>"
                     f"<File_Area_Transfer_Manifest><File><file_name>{name}</file_name></File>"
                     "</File_Area_Transfer_Manifest></Information_Package_Component></Product_AIP>")
    return label


def test_a_transfer_manifest_is_a_referenced_file(tmp_path):
    assert found(aip(tmp_path, "m.tab")) == []
    (tmp_path / "m.tab").unlink()
    assert found(aip(tmp_path, "m.tab", write=False)) == [("error.label.missing_file", "error")]


def test_a_transfer_manifest_name_is_checked_with_the_label(tmp_path):
    # FileAreaExtractor.getTableFileAreas: an AIP's File_Area_Transfer_Manifest names
    assert found(aip(tmp_path, "m b.tab")) == [("error.file.name_has_invalid_characters", "error")]


# --- the label's schemas (LabelValidationRule.getSchemaLocations)


def test_a_label_without_schemas_is_a_schema_error(tmp_path):
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    r = run([str(label)], opts())
    assert [(f.type, f.severity) for f in r.all_findings() if f.severity == "error"] == [
        ("error.label.schema", "error")]
    assert "no schema(s) found" in next(f.message for f in r.all_findings() if f.type == "error.label.schema")


def test_an_odd_schema_location_has_no_matching_pairs(tmp_path):
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    text = label.read_text().replace(f'xmlns="{PDS}"', f'xmlns="{PDS}" xmlns:xsi="http://www.w3.org/2001/'
                                     f'XMLSchema-instance" xsi:schemaLocation="{PDS}"')
    label.write_text(text)
    r = run([str(label)], opts())
    schema = [f.message for f in r.all_findings() if f.type == "error.label.schema"]
    assert len(schema) == 1 and "matching sets" in schema[0]


def test_the_label_extension_is_compared_ignoring_case(tmp_path):
    # validate's newest checkLabelExtension: the suffix equalsIgnoreCase the label extension
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    upper = label.rename(tmp_path / "P.XML")
    assert found(upper) == []


# --- the same file named by two labels (CrossLabelFileAreaReferenceChecker)


def test_a_document_file_and_an_observational_area_naming_one_file(tmp_path):
    a = observational(tmp_path, "a.xml", "urn:nasa:pds:b:data:a", "shared.tab")
    doc = document(tmp_path, "<file_name>shared.tab</file_name>")
    r = run([str(a), str(doc)], opts())
    dup = [(Path(f.file).name, f.severity) for f in r.all_findings()
           if f.type == "error.label.file_areas_duplicated_reference"]
    assert dup == [("doc.xml", "error")]
    # a Document_File with a directory is keyed "<directory>:<name>" by validate, never the
    # path a File_Area's name gives: sub/shared.tab named by both is no duplicate
    b = observational(tmp_path / "sub", "b.xml", "urn:nasa:pds:b:data:b", "shared.tab")
    doc = document(tmp_path, "<file_name>shared.tab</file_name><directory_path_name>sub</directory_path_name>")
    r = run([str(b), str(doc)], opts())
    assert not [f for f in r.all_findings() if f.type == "error.label.file_areas_duplicated_reference"]


# --- --skip-product-validation still runs the Schematron on bundle and collection labels
#     (LabelValidator.determineSchematronValidationFlag: TargetExaminer, by root element)

TITLE_SCH = b"""<?xml version="1.0"?>
<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <sch:ns uri="http://pds.nasa.gov/pds4/pds/v1" prefix="pds"/>
  <sch:pattern>
    <sch:rule context="pds:Identification_Area">
      <sch:assert test="pds:title != 't'">the title must not be 't'</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>
"""


def test_skipping_products_keeps_the_schematron_of_bundle_and_collection_labels(tmp_path, monkeypatch):
    from pdsgen.validate import schematron

    if not schematron.available():
        pytest.skip("the Schematron extra (saxonche) is not installed")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sch = tmp_path / "title.sch"
    sch.write_bytes(TITLE_SCH)
    folder = tmp_path / "b"
    folder.mkdir()
    product = observational(folder, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    bundle = folder / "bundle.xml"
    bundle.write_text(f'<?xml version="1.0"?>\n<Product_Bundle xmlns="{PDS}">'
                      f'{ident("urn:nasa:pds:b", "Product_Bundle")}<Bundle><bundle_type>Archive</bundle_type>'
                      f"</Bundle></Product_Bundle>")

    def schematron_errors(label: Path, **kw) -> list[str]:
        r = run([str(label)], opts(schematrons=(str(sch),), **kw))
        return [f.type for f in r.all_findings() if f.type == "error.label.schematron"]

    # both labels break the rule (title 't') when products are validated
    assert schematron_errors(product) == schematron_errors(bundle) == ["error.label.schematron"]
    # skipped products: the bundle label is still checked, the observational one is not
    assert schematron_errors(bundle, product=False) == ["error.label.schematron"]
    assert schematron_errors(product, product=False) == []
    r = run([str(product), str(bundle)], opts(schematrons=(str(sch),), product=False))
    assert {Path(p.label).name: p.status for p in r.products} == {"p.xml": "SKIP", "bundle.xml": "FAIL"}
    bundle.write_text(bundle.read_text().replace("<title>t</title>", "<title>a bundle</title>"))
    r = run([str(product), str(bundle)], opts(schematrons=(str(sch),), product=False))
    assert {p.status for p in r.products} == {"SKIP"} and r.total_errors == 0


# --- the checksum manifest (-M), as FileReferenceValidationRule.handleChecksum reads it


def test_checksum_manifest_entries_as_validate_reads_them(tmp_path):
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    data_md5 = hashlib.md5(DATA).hexdigest()  # noqa: S324
    manifest = tmp_path / "manifest.txt"

    def checksum_types(**kw) -> list[str]:
        from pdsgen.validate.runner import read_checksum_manifest

        r = run([str(label)], opts(checksums=read_checksum_manifest(manifest), **kw))
        return sorted(f.type for f in r.all_findings() if "checksum" in f.type)

    # neither the label nor p.tab listed, the label gives no md5_checksum: nothing to compare
    manifest.write_text(f"{'0' * 32}  other.tab\n")
    assert checksum_types() == []
    # listed with another MD5 (the label, p.tab): mismatches; the data file with the content only
    manifest.write_text(f"{'0' * 32}  p.xml\n{'0' * 32}  p.tab\n")
    assert checksum_types() == ["error.label.checksum_mismatch"] * 2
    assert checksum_types(content=False) == ["error.label.checksum_mismatch"]
    # compared ignoring case
    manifest.write_text(f"{data_md5.upper()}  p.tab\n")
    assert checksum_types() == []
    # p.tab unlisted while the label gives its md5_checksum: missing
    label.write_text(label.read_text().replace(FILE, FILE + f"<md5_checksum>{data_md5}</md5_checksum>"))
    manifest.write_text(f"{'0' * 32}  other.tab\n")
    assert checksum_types() == ["error.label.missing_checksum"]


# --- the product's LID and VID: the XML Schema's patterns, no type of their own


def test_identifier_grammar_is_left_to_the_schema(tmp_path):
    import re

    from lxml import etree

    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    # a VID of one number, a LID with an upper-case letter: no message type of pdsgen's own
    label.write_text(label.read_text().replace("<version_id>1.0</version_id>", "<version_id>1</version_id>")
                     .replace("urn:nasa:pds:b:data:p", "urn:nasa:pds:b:data:P"))
    assert found(label) == []
    # the core schema decides them: ASCII_VID takes "1", ASCII_LID refuses upper case
    xsd = Path(__file__).resolve().parents[1] / "pdsgen/validate/schemas/pds/v1/PDS4_PDS_1M00.xsd"
    xs = "{http://www.w3.org/2001/XMLSchema}"
    patterns = {t.get("name"): [q.get("value") for q in t.iter(f"{xs}pattern")]
                for t in etree.parse(str(xsd)).getroot().iter(f"{xs}simpleType")}
    as_python = lambda pat: pat.replace(r"\p{Ll}", "a-z").replace(r"\p{Nd}", "0-9")  # noqa: E731
    assert any(re.fullmatch(as_python(pat), "1") for pat in patterns["ASCII_VID"])
    assert any(re.fullmatch(as_python(pat), "urn:nasa:pds:b:data:p") for pat in patterns["ASCII_LID"])
    assert not any(re.fullmatch(as_python(pat), "urn:nasa:pds:b:data:P") for pat in patterns["ASCII_LID"])


# --- local_identifier_reference (LocalIdentifierReferencesRule: PDS namespace only)


def test_local_identifier_references_compared_as_validate_does(tmp_path):
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    text = label.read_text()

    def with_reference(ref: str, extra: str = "") -> list[tuple[str, str]]:
        label.write_text(text.replace(FILE, FILE + "<local_identifier>t1</local_identifier>").replace(
            "</Identification_Area>", "</Identification_Area><Reference_List><Internal_Reference>"
            "<lidvid_reference>urn:nasa:pds:b:data:q::1.0</lidvid_reference><reference_type>data_to_browse"
            f"</reference_type></Internal_Reference></Reference_List>{extra}").replace(
            "</Product_Observational>", f"{ref}</Product_Observational>"))
        return [t for t in found(label) if t[0] == "error.label.local_identifier_not_found"]

    lir = "<Local_Internal_Reference><local_identifier_reference>{}</local_identifier_reference>" \
          "<local_reference_type>data_to_browse</local_reference_type></Local_Internal_Reference>"
    assert with_reference(lir.format("t1")) == []
    assert with_reference(lir.format("t2")) == [("error.label.local_identifier_not_found", "error")]
    # blanks around the name do not count (validate's own case github15: a reference ending in
    # a line break and tabs is found)
    assert with_reference(lir.format("t1\n\t\t")) == []
    # another namespace's element of that name is neither a reference nor a target
    other = '<x:local_identifier_reference xmlns:x="urn:x">t9</x:local_identifier_reference>'
    assert with_reference(other) == []
