"""validate's message types pdsgen did not emit before (issue 14), one or more tests per type.

Each test states the rule as NASA validate implements it (read in its ``src/main/java``; the
class is named in the test) and builds the smallest products that trigger it or not, with
exact message types and counts. The types found dead in validate's sources are listed in
docs/validate.md ("Types validate declares but pdsgen does not emit").
"""

from __future__ import annotations

from test_validate_content import char_table, delimited, fchar, fdel
from test_validate_content import run as content

# --- error.table.field_value_not_{right,left}_justified (FieldValueValidator.checkFormat):
#     '+' asks for no trailing blank, '-' for no leading blank, on the value as read


def vformat(fmt: str) -> str:
    return f"<validation_format>{fmt}</validation_format>"


def test_character_table_values_against_their_justification_flag(tmp_path):
    # %-5s: left-justified; " ab  " starts with a blank (record 2); blank values are not checked
    left = fchar(1, "S", 1, "ASCII_String", 5, vformat("%-5s"))
    found = content(tmp_path, char_table(3, 7, left, 1), b"ab   \r\n ab  \r\n     \r\n")
    assert [(f.type, f.record, f.severity) for f in found] == [
        ("error.table.field_value_not_left_justified", 2, "error")]
    # %+5d: right-justified; "12   " ends with blanks (record 1)
    right = fchar(1, "N", 1, "ASCII_Integer", 5, vformat("%+5d"))
    found = content(tmp_path, char_table(3, 7, right, 1), b"12   \r\n   12\r\n   -3\r\n")
    assert [(f.type, f.record) for f in found] == [("error.table.field_value_not_right_justified", 1)]


def test_justification_needs_a_flag_and_a_validation_format(tmp_path):
    rows = b"12   \r\n   12\r\n"
    # no flag: padding on either side is fine
    plain = fchar(1, "N", 1, "ASCII_Integer", 5, vformat("%5d"))
    assert content(tmp_path, char_table(2, 7, plain, 1), rows) == []
    # a character table's field_format alone is a description: a warning (validate's issue
    # 816, "a delimited or character table value", ProblemType FIELD_VALUE_NOT_RIGHT_JUSTIFIED)
    ff = fchar(1, "N", 1, "ASCII_Integer", 5, "<field_format>%+5d</field_format>")
    assert [(f.type, f.record) for f in content(tmp_path, char_table(2, 7, ff, 1), rows)] == [
        ("warning.table.field_value_not_right_justified", 1)]


def test_delimited_field_format_justification_is_a_warning(tmp_path):
    # a delimited table's field_format (validate's issue 816: warnings): the value between the
    # delimiters, enclosing quotes removed; "  7" (record 2) and " x" in quotes (record 3)
    fields = fdel(1, "A", "ASCII_String", "<field_format>%-4s</field_format>") + fdel(2, "B", "ASCII_Integer")
    found = content(tmp_path, delimited(3, fields, 2), b'ab,1\r\n  7,2\r\n" x",3\r\n')
    assert [(f.type, f.record, f.severity) for f in found] == [
        ("warning.table.field_value_not_left_justified", 2, "warning"),
        ("warning.table.field_value_not_left_justified", 3, "warning")]


# --- warning.product_not_registered (ValidateLauncher: once per run when --add-context-products
#     loads a list of non-registered context products, context validation on or off)


def test_added_context_products_are_said_to_be_unregistered_once(tmp_path):
    import json

    from test_validate_rules import observational, opts

    from pdsgen.validate.runner import run

    a = observational(tmp_path, "a.xml", "urn:nasa:pds:b:data:a", "a.tab")
    b = observational(tmp_path, "b.xml", "urn:nasa:pds:b:data:b", "b.tab")
    extra = tmp_path / "mine.json"
    extra.write_text(json.dumps({"Product_Context": [
        {"lidvid": "urn:nasa:pds:context:investigation:mission.mine::1.0", "name": ["Mine"], "type": ["Mission"]}]}))

    def unregistered(**kw) -> list[tuple[str, str]]:
        r = run([str(a), str(b)], opts(**kw))
        return [(f.type, f.severity) for f in r.all_findings() if f.type == "warning.product_not_registered"]

    assert unregistered() == []
    assert unregistered(add_context_products=(str(extra),)) == [("warning.product_not_registered", "warning")]
    assert unregistered(add_context_products=(str(extra),), context=True) == [
        ("warning.product_not_registered", "warning")]


# --- error.integrity.duplicate_members (Bundle/CollectionReferentialIntegrityRule: a member
#     given with its version that more than one product definition matches, by nearNeighbor)


def gaps_bundle(root, **kw):
    from test_validate_rules import bundle

    return bundle(root, "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p", **kw)


def integrity_errors(root, **kw) -> list[tuple[str, str]]:
    from pathlib import Path

    from test_validate_rules import opts

    from pdsgen.validate.runner import run

    r = run([str(root)], opts(rule="bundle", **kw))
    return sorted((f.type, Path(f.file).name) for f in r.integrity if f.is_error)


def unversioned(folder, name: str, lid: str) -> None:
    """A product label of `lid` without a version_id (validate defines its LID without a version)."""
    from test_validate_rules import observational

    label = observational(folder, name, lid, name.replace(".xml", ".tab"))
    label.write_text(label.read_text().replace("<version_id>1.0</version_id>", ""))


def test_a_lid_entry_then_a_lidvid_entry_of_that_lid_is_a_duplicate_member(tmp_path):
    # the collection indexes each entry it has read: the LIDVID entry then matches the product
    # (p::1.0) and the earlier LID entry (p, no version)
    lid = "urn:nasa:pds:b:data:p"
    root = gaps_bundle(tmp_path / "b", listed=[lid, f"{lid}::1.0"])
    assert integrity_errors(root) == [("error.integrity.duplicate_members", "collection.xml"),
                                      ("error.integrity.missing_version", "collection.xml")]
    # the other order: the LIDVID entry is looked up first and matches the product only
    root = gaps_bundle(tmp_path / "c", listed=[f"{lid}::1.0", lid])
    assert integrity_errors(root) == [("error.integrity.missing_version", "collection.xml")]
    # one LIDVID listed twice: a duplicate entry (error.inventory.duplicate_lidvid, a label
    # finding), not a duplicate member
    root = gaps_bundle(tmp_path / "d", listed=[f"{lid}::1.0", f"{lid}::1.0"])
    assert integrity_errors(root) == []


def test_a_product_without_version_and_one_with_it_make_a_lidvid_member_a_duplicate(tmp_path):
    root = gaps_bundle(tmp_path / "b")
    unversioned(root / "data", "q.xml", "urn:nasa:pds:b:data:p")
    unversioned(root / "data", "r.xml", "urn:nasa:pds:b:data")  # the bundle's member collection too
    found = integrity_errors(root, allow_unlisted_members=True)  # (the strict option does not matter)
    assert found.count(("error.integrity.duplicate_members", "collection.xml")) == 1
    assert found.count(("error.integrity.duplicate_members", "bundle.xml")) == 1


def test_versions_of_one_lid_are_no_duplicate_members(tmp_path):
    # two versions of a product and a LID member: validate's info only; a LIDVID member: one match
    root = gaps_bundle(tmp_path / "b", listed=["urn:nasa:pds:b:data:p::1.0", "urn:nasa:pds:b:data:p::2.0"])
    from test_validate_rules import observational

    v2 = observational(root / "data", "p2.xml", "urn:nasa:pds:b:data:p", "p2.tab")
    v2.write_text(v2.read_text().replace("<version_id>1.0</version_id>", "<version_id>2.0</version_id>"))
    assert not [t for t in integrity_errors(root) if "duplicate" in t[0]]


# --- warning.sub_directory.unallowed_name (SubdirectoryNamingRule, in validate's collection
#     chain: folders directly inside a collection folder named like a bundle-root folder)


def test_reserved_folder_names_inside_a_collection(tmp_path):
    from pathlib import Path

    from test_validate_rules import opts

    from pdsgen.validate.runner import run

    root = gaps_bundle(tmp_path / "b")
    (root / "data" / "browse").mkdir()  # reserved for the bundle root: warned
    (root / "data" / "Data").mkdir()  # the names are matched exactly
    (root / "data" / "orbit_1" / "data").mkdir(parents=True)  # deeper than the collection's own folders
    (root / "document").mkdir()  # in the bundle root: where it belongs

    def warned(target, rule) -> list[str]:
        r = run([str(target)], opts(rule=rule))
        return sorted(str(Path(f.file).relative_to(tmp_path)) for f in r.integrity
                      if f.type == "warning.sub_directory.unallowed_name")

    assert warned(root, "bundle") == ["b/data/browse"]
    assert warned(root / "data", "collection") == ["b/data/browse"]
    assert warned(root / "data", "product") == []  # only bundle and collection runs


# --- error.validation.unknown_value, warning.label.file_ref_case_mismatch
#     (FileReferenceValidationRule.validateFileAreaDefinitionAndContent, with the content checks)


def product_types(label, **kw) -> list[tuple[str, str]]:
    from test_validate_rules import opts

    from pdsgen.validate.runner import run

    r = run([str(label)], opts(**kw))
    return sorted((f.type, f.severity) for f in r.all_findings()
                  if f.type in ("error.validation.unknown_value", "warning.label.file_ref_case_mismatch",
                                "error.label.missing_file"))


def test_a_file_without_a_name_is_an_unknown_value(tmp_path):
    from test_validate_rules import observational

    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    text = label.read_text()
    label.write_text(text.replace("<file_name>p.tab</file_name>", "<file_name></file_name>"))
    assert product_types(label) == [("error.validation.unknown_value", "error")]
    label.write_text(text.replace("<file_name>p.tab</file_name>", ""))
    assert product_types(label) == [("error.validation.unknown_value", "error")]
    # validate checks file names with the content (--skip-content-validation: not checked)
    assert product_types(label, content=False) == []
    label.write_text(text)
    assert product_types(label) == []


def test_a_file_reached_under_another_name_is_a_reference_case_mismatch(tmp_path):
    # the label names p.tab, a symbolic link to real.tab: the file is found, but its canonical
    # path does not end with the name the label gives (on a case-insensitive file system, a
    # name in another case is the same mismatch; here, on a case-sensitive one, it is missing)
    import os

    from test_validate_rules import observational

    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    os.replace(tmp_path / "p.tab", tmp_path / "real.tab")
    os.symlink("real.tab", tmp_path / "p.tab")
    assert product_types(label) == [("warning.label.file_ref_case_mismatch", "warning")]
    assert product_types(label, content=False) == []
    os.unlink(tmp_path / "p.tab")
    os.replace(tmp_path / "real.tab", tmp_path / "P.TAB")
    if not (tmp_path / "p.tab").exists():  # case-sensitive: the reference does not find the file
        assert product_types(label) == [("error.label.missing_file", "error")]
    else:  # case-insensitive: found, in another case
        assert product_types(label) == [("warning.label.file_ref_case_mismatch", "warning")]


def test_canonical_path_keeps_the_stored_case(tmp_path):
    from pdsgen.validate.fileref import canonical_path

    (tmp_path / "Mixed.Tab").write_bytes(b"x")
    assert canonical_path(tmp_path / "Mixed.Tab").endswith("Mixed.Tab")
    (tmp_path / "a.tab").write_bytes(b"1")
    if not (tmp_path / "A.TAB").exists():  # (a case-insensitive system: the same file)
        (tmp_path / "A.TAB").write_bytes(b"2")
    assert canonical_path(tmp_path / "a.tab").endswith("a.tab")
