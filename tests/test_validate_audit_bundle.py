"""Collection-, bundle- and folder-level rules against validate's Java (its ``src/main/java``).

Each test builds a small bundle in tmp_path and states what validate reports, read in the
class named: InventoryTableReader (how an inventory's records are read), InventoryTableValidator
and CollectionReferentialIntegrityRule (what is checked on them), FindUnreferencedFiles,
ChecksumManifest and FileReferenceValidationRule.handleChecksum (the checksum manifest), and
ValidateLauncher (the manifest's base path).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pdsgen.validate.runner import read_checksum_manifest, run
from tests.test_validate_rules import bundle, observational, opts

BUNDLE, COLLECTION, PRODUCT = "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p"


def make(root: Path, inventory: bytes, records: int) -> Path:
    """bundle.xml → data/collection.xml → data/p.xml, the inventory file's bytes given."""
    out = bundle(root, BUNDLE, COLLECTION, PRODUCT, listed=["x"] * records)
    (out / "data" / "inventory.csv").write_bytes(inventory)
    return out


def found(result, *, severity: tuple[str, ...] = ("error", "warning")) -> list[tuple[str, str]]:
    """(type, file name) of the run's errors and warnings, but the schema/Schematron notes of
    these schema-less test labels."""
    return sorted({(f.type, Path(f.file).name) for f in result.all_findings()
                   if f.severity in severity and "schema" not in f.type})


# --- the inventory as validate's InventoryTableReader reads it


def test_only_p_is_primary_in_an_inventory(tmp_path):
    # CollectionReferentialIntegrityRule: "P".equalsIgnoreCase(status) — a member status
    # written "Primary" (or anything but p/P) is not primary: never looked up, no missing_version
    root = make(tmp_path / "b", b"P,urn:nasa:pds:b:data:p::1.0\r\nPrimary,urn:nasa:pds:b:data:q::1.0\r\n"
                b"Primary,urn:nasa:pds:b:data:r\r\n", 3)
    assert found(run([str(root)], opts(rule="bundle")), severity=("error",)) == []
    # … while p (any case) is
    (root / "data" / "inventory.csv").write_bytes(b"P,urn:nasa:pds:b:data:p::1.0\r\np,urn:nasa:pds:b:data:q::1.0\r\n"
                                                  b"p,urn:nasa:pds:b:data:r\r\n")
    assert found(run([str(root)], opts(rule="bundle")), severity=("error",)) == [
        ("error.integrity.member_not_found", "collection.xml"), ("error.integrity.missing_version", "collection.xml")]


def test_inventory_values_keep_their_quotes(tmp_path):
    # the reader splits each line at the delimiter, no CSV quoting: a quoted identifier is the
    # identifier with its quotes, which no product has (member_not_found), and the product it
    # meant is listed by no member (unreferenced_member)
    root = make(tmp_path / "b", b'P,"urn:nasa:pds:b:data:p::1.0"\r\n', 1)
    assert found(run([str(root)], opts(rule="bundle"))) == [
        ("error.integrity.member_not_found", "collection.xml"), ("warning.integrity.unreferenced_member", "p.xml")]


def test_an_inventory_line_with_too_few_fields_stops_the_reader(tmp_path):
    # fields[identifierFieldNumber-1] out of bounds: InventoryReaderException, reported as
    # validate's uncaught exception (error.validation.internal_error) — no duplicate or records
    # count check follows; the table check of the inventory still reports the line's field count
    root = make(tmp_path / "b", b"P,urn:nasa:pds:b:data:p::1.0\r\nP\r\n", 2)
    assert found(run([str(root)], opts(rule="bundle"))) == [
        ("error.table.fields_mismatch", "collection.xml"), ("error.validation.internal_error", "collection.xml")]
    # "P," is one field too (Java's split drops trailing empty strings)
    (root / "data" / "inventory.csv").write_bytes(b"P,urn:nasa:pds:b:data:p::1.0\r\nP,\r\n")
    assert ("error.validation.internal_error", "collection.xml") in found(run([str(root)], opts(rule="bundle")))


def test_extra_inventory_fields_are_ignored_by_the_member_reader(tmp_path):
    # a third field: the reader takes fields 1 and 2, the member is found and counted; only the
    # table check reports the field count
    root = make(tmp_path / "b", b"P,urn:nasa:pds:b:data:p::1.0,x\r\n", 1)
    assert found(run([str(root)], opts(rule="bundle"))) == [("error.table.fields_mismatch", "collection.xml")]


def test_blank_inventory_lines_are_no_records(tmp_path):
    # a blank line is an empty InventoryEntry: not counted against <records>, not looked up
    root = make(tmp_path / "b", b"P,urn:nasa:pds:b:data:p::1.0\r\n  \r\n", 1)
    r = run([str(root)], opts(rule="bundle", content=False))
    assert found(r) == []
    # records are counted (and duplicates found) on the entries read, trimmed
    (root / "data" / "inventory.csv").write_bytes(b"P,urn:nasa:pds:b:data:p::1.0\r\nS , urn:nasa:pds:b:data:p::1.0 \n")
    assert found(run([str(root)], opts(rule="bundle", content=False))) == [
        ("error.inventory.duplicate_lidvid", "collection.xml"), ("error.table.records_mismatch", "collection.xml")]


def test_inventory_lines_end_at_a_lone_carriage_return(tmp_path):
    # Java's readLine: LF, CR/LF or CR end a line
    root = make(tmp_path / "b", b"P,urn:nasa:pds:b:data:p::1.0\rS,urn:nasa:pds:x:y:z::1.0\r", 2)
    assert found(run([str(root)], opts(rule="bundle", content=False))) == []


def test_a_primary_written_out_is_checked_for_the_parents_prefix(tmp_path):
    # verifyLidPrefix runs on a member found whose status is "Primary" or "P" (any case): an
    # inventory's "Primary" is no primary member for the look-up, but its prefix is checked
    root = bundle(tmp_path / "b", BUNDLE, COLLECTION, "urn:nasa:pds:b:other:p")
    (root / "data" / "inventory.csv").write_bytes(b"Primary,urn:nasa:pds:b:other:p::1.0\r\n")
    assert found(run([str(root)], opts(rule="bundle")), severity=("error",)) == [
        ("error.integrity.missing_parent_prefix", "collection.xml")]
    (root / "data" / "inventory.csv").write_bytes(b"S,urn:nasa:pds:b:other:p::1.0\r\n")  # secondary: not
    assert found(run([str(root)], opts(rule="bundle")), severity=("error",)) == []


def test_a_missing_inventory_file_stops_the_reader(tmp_path):
    # InventoryTableReader opens the file in its constructor: the exception is validate's
    # uncaught exception (error.validation.internal_error) on the collection — with or without
    # the content checks (InventoryTableValidator runs from the definition rule); the file
    # checks report the missing file with the content
    root = make(tmp_path / "b", b"", 1)
    (root / "data" / "inventory.csv").unlink()
    label = root / "data" / "collection.xml"
    assert found(run([str(label)], opts(content=False))) == [("error.validation.internal_error", "collection.xml")]
    assert {"error.validation.internal_error", "error.label.missing_file"} <= {
        t for t, _f in found(run([str(label)], opts()))}


def test_a_collection_run_reports_products_no_member_names_whatever_their_lid(tmp_path):
    # FindUnreferencedIdentifiers: every product definition of the run that no member entry
    # names is unreferenced_member — in a collection run too, and a LID outside the
    # collection's does not exempt it
    root = bundle(tmp_path / "b", BUNDLE, COLLECTION, PRODUCT)
    observational(root / "data", "o.xml", "urn:nasa:pds:b:other:o", "o.tab")
    for target, rule in ((root / "data", "collection"), (root, "bundle")):
        assert found(run([str(target)], opts(rule=rule))) == [("warning.integrity.unreferenced_member", "o.xml")]


def test_a_bundle_run_of_a_folder_without_the_bundle_label(tmp_path):
    # -R pds4.bundle on a collection folder: BundleReferentialIntegrityRule finds no bundle
    # label there, so no bundle references the collection (unreferenced_member, a warning);
    # its own members are still looked up; a collection run says nothing of bundles
    root = bundle(tmp_path / "b", BUNDLE, COLLECTION, PRODUCT, listed=[f"{PRODUCT}::1.0", f"{COLLECTION}:q::1.0"])
    assert found(run([str(root / "data")], opts(rule="bundle"))) == [
        ("error.integrity.member_not_found", "collection.xml"),
        ("warning.integrity.unreferenced_member", "collection.xml")]
    assert found(run([str(root / "data")], opts(rule="collection"))) == [
        ("error.integrity.member_not_found", "collection.xml")]


# --- --skip-product-validation (validate's issue 42)


def test_skipped_products_leave_no_unreferenced_files(tmp_path):
    # FindUnreferencedFiles reports UNLABELED_FILE only without --skip-product-validation (the
    # skipped labels register no file references); members are still looked up
    root = make(tmp_path / "b", b"P,urn:nasa:pds:b:data:p::1.0\r\nP,urn:nasa:pds:b:data:q::1.0\r\n", 2)
    assert found(run([str(root)], opts(rule="bundle", product=False))) == [
        ("error.integrity.member_not_found", "collection.xml")]
    (root / "data" / "stray.txt").write_text("x")  # with the products validated: the stray file only
    assert ("warning.file.not_referenced_in_label", "stray.txt") in found(run([str(root)], opts(rule="bundle")))
    assert ("warning.file.not_referenced_in_label", "p.tab") not in found(run([str(root)], opts(rule="bundle")))


# --- the checksum manifest (-M/--checksum-manifest, -B/--base-path)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_manifest_lines_split_at_one_or_two_blanks(tmp_path):
    # ChecksumManifest.read: the trimmed line split once at \s{1,2}; a third blank belongs to
    # the path; backslashes are read as slashes; MD5s in any case
    manifest = tmp_path / "m.txt"
    manifest.write_text("ABCDEF0123456789abcdef0123456789  sub\\a.xml\n" + "0" * 32 + "   b.xml\r\n\n")
    got = read_checksum_manifest(manifest, tmp_path)
    assert got == {str(tmp_path / "sub" / "a.xml"): "abcdef0123456789abcdef0123456789",
                   str(tmp_path / " b.xml"): "0" * 32}


def test_an_empty_manifest_checks_nothing(tmp_path):
    # handleChecksum returns at once when the manifest map is empty
    label = observational(tmp_path, "p.xml", PRODUCT, "p.tab")
    assert found(run([str(label)], opts(checksums={}))) == []
    # a manifest that does not list the label: handleChecksum (no label checksum to compare
    # either) says nothing of it — missing_checksum is only for files with an md5_checksum
    assert found(run([str(label)], opts(checksums={str(tmp_path / "other"): "0" * 32}))) == []


def test_manifest_files_are_checked_with_the_content_the_label_always(tmp_path):
    # FileReferenceValidationRule: the label's own checksum first, whatever the options; the
    # files of its File_Areas in validateFileAreaDefinitionAndContent, with the content checks
    # only (getCheckData), and not with --skip-product-validation
    label = observational(tmp_path, "p.xml", PRODUCT, "p.tab")
    checksums = {str(label): md5(label), str(tmp_path / "p.tab"): "0" * 32}
    assert found(run([str(label)], opts(checksums=checksums))) == [("error.label.checksum_mismatch", "p.xml")]
    assert found(run([str(label)], opts(checksums=checksums, content=False))) == []
    assert found(run([str(label)], opts(checksums=checksums, product=False))) == []
    wrong_label = {str(label): "0" * 32}
    assert ("error.label.checksum_mismatch", "p.xml") in found(run([str(label)], opts(checksums=wrong_label,
                                                                                          product=False)))


def test_manifest_paths_are_relative_to_the_first_target_by_default(tmp_path):
    # ValidateLauncher: without -B the base is the first target (a folder) or its folder — not
    # the manifest's folder
    from click.testing import CliRunner

    from pdsgen.cli import main

    data = tmp_path / "bundle" / "data"
    data.mkdir(parents=True)
    label = observational(data, "p.xml", PRODUCT, "p.tab")
    manifest = tmp_path / "elsewhere" / "manifest.txt"
    manifest.parent.mkdir()
    # right relative to the label's folder, wrong relative to the bundle folder
    manifest.write_text(f"{md5(label)}  p.xml\n{'0' * 32}  data/p.xml\n")
    args = ["validate", "--offline", "--skip-context-validation", "-M", str(manifest)]
    ok = CliRunner().invoke(main, [*args, str(label)])
    assert "missing_checksum" not in ok.output and "checksum_mismatch" not in ok.output, ok.output
    # a folder target: paths relative to it, so the label is listed as data/p.xml (wrong MD5)
    folder = CliRunner().invoke(main, [*args, "-R", "pds4.folder", str(tmp_path / "bundle")])
    assert folder.output.count("error.label.checksum_mismatch:") == 1 and folder.exit_code == 1, folder.output
    # -B says where they are relative to
    based = CliRunner().invoke(main, [*args, "-B", str(data), "-R", "pds4.folder", str(tmp_path / "bundle")])
    assert "checksum_mismatch" not in based.output, based.output
