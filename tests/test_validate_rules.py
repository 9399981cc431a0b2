"""validate's rules, one or more tests per message type, on small products built here.

Each test states the rule as NASA validate implements it (its ``src/main/java`` sources,
the PDS4 Standards Reference) and builds the smallest products that trigger it or not.
"""

from __future__ import annotations

from pathlib import Path

from pdsgen.validate.runner import Options, run

PDS = "http://pds.nasa.gov/pds4/pds/v1"


def opts(**kw) -> Options:
    kw.setdefault("offline", True)
    kw.setdefault("jobs", 1)
    kw.setdefault("context", False)
    return Options(**kw)


def ident(lid: str, cls: str, vid: str = "1.0") -> str:
    return (f"<Identification_Area><logical_identifier>{lid}</logical_identifier><version_id>{vid}</version_id>"
            f"<title>t</title><information_model_version>1.20.0.0</information_model_version>"
            f"<product_class>{cls}</product_class></Identification_Area>")


def observational(folder: Path, name: str, lid: str, data_file: str, area: str = "File_Area_Observational",
                  cls: str = "Product_Observational") -> Path:
    """A label with one File_Area naming `data_file` (a 2-record character table)."""
    (folder / data_file).write_bytes(b"1\r\n2\r\n")
    table = ("<Table_Character><offset unit='byte'>0</offset><records>2</records>"
             "<record_delimiter>Carriage-Return Line-Feed</record_delimiter><Record_Character><fields>1</fields>"
             "<groups>0</groups><record_length unit='byte'>3</record_length><Field_Character><name>N</name>"
             "<field_number>1</field_number><field_location unit='byte'>1</field_location>"
             "<data_type>ASCII_Integer</data_type><field_length unit='byte'>1</field_length></Field_Character>"
             "</Record_Character></Table_Character>")
    label = folder / name
    label.write_text(f'<?xml version="1.0"?>\n<{cls} xmlns="{PDS}">{ident(lid, cls)}'
                     f"<{area}><File><file_name>{data_file}</file_name></File>{table}</{area}></{cls}>")
    return label


def types(result) -> list[str]:
    return sorted(f.type for f in result.all_findings() if f.severity == "error")


# --- error.label.file_areas_duplicated_reference (validate: CrossLabelFileAreaReferenceChecker)


def test_two_observational_labels_naming_one_file(tmp_path):
    a = observational(tmp_path, "a.xml", "urn:nasa:pds:b:data:a", "shared.tab")
    b = observational(tmp_path, "b.xml", "urn:nasa:pds:b:data:b", "shared.tab")
    r = run([str(a), str(b)], opts())
    dup = [f for f in r.all_findings() if f.type == "error.label.file_areas_duplicated_reference"]
    # reported once, on the label that names the file a second time, naming the first one's LID
    assert [(Path(f.file).name, "urn:nasa:pds:b:data:a" in f.message) for f in dup] == [("b.xml", True)]
    assert r.exit_code == 1


def test_distinct_files_and_non_observational_areas_are_not_duplicates(tmp_path):
    a = observational(tmp_path, "a.xml", "urn:nasa:pds:b:data:a", "a.tab")
    b = observational(tmp_path, "b.xml", "urn:nasa:pds:b:data:b", "b.tab")
    assert "error.label.file_areas_duplicated_reference" not in types(run([str(a), str(b)], opts()))
    # two ancillary products sharing a file: only observational File_Areas count
    c = observational(tmp_path, "c.xml", "urn:nasa:pds:b:misc:c", "s.tab", "File_Area_Ancillary", "Product_Ancillary")
    d = observational(tmp_path, "d.xml", "urn:nasa:pds:b:misc:d", "s.tab", "File_Area_Ancillary", "Product_Ancillary")
    assert "error.label.file_areas_duplicated_reference" not in types(run([str(c), str(d)], opts()))
    # an ancillary area and an observational one sharing a file: a duplicate
    e = observational(tmp_path, "e.xml", "urn:nasa:pds:b:data:e", "s.tab")
    assert "error.label.file_areas_duplicated_reference" in types(run([str(c), str(e)], opts()))


# --- error.integrity.missing_parent_prefix, error/warning.integrity.member_not_found
#     (validate: Bundle/CollectionReferentialIntegrityRule, verifyLidPrefix; its issues 140, 1601)


def bundle(root: Path, bundle_lid: str, collection_lid: str, product_lid: str, *, listed: list[str] | None = None,
           bundle_member: str | None = None):
    """bundle.xml → data/collection.xml (inventory) → data/p.xml; `bundle_member`: the bundle's
    member entry (default: the collection's LIDVID)."""
    data = root / "data"
    data.mkdir(parents=True)
    observational(data, "p.xml", product_lid, "p.tab")
    members = listed if listed is not None else [f"{product_lid}::1.0"]
    inv = "".join(f"P,{m}\r\n" for m in members).encode()
    (data / "inventory.csv").write_bytes(inv)
    fields = "".join(
        f"<Field_Delimited><name>{n}</name><field_number>{i}</field_number><data_type>{t}</data_type>"
        f"</Field_Delimited>" for i, (n, t) in enumerate([("Member_Status", "ASCII_String"),
                                                          ("LIDVID_LID", "ASCII_LIDVID_LID")], start=1))
    (data / "collection.xml").write_text(
        f'<?xml version="1.0"?>\n<Product_Collection xmlns="{PDS}">{ident(collection_lid, "Product_Collection")}'
        f"<Collection><collection_type>Data</collection_type></Collection><File_Area_Inventory><File>"
        f"<file_name>inventory.csv</file_name></File><Inventory><offset unit='byte'>0</offset>"
        f"<parsing_standard_id>PDS DSV 1</parsing_standard_id><records>{len(members)}</records>"
        f"<record_delimiter>Carriage-Return Line-Feed</record_delimiter><field_delimiter>Comma</field_delimiter>"
        f"<Record_Delimited><fields>2</fields><groups>0</groups>{fields}</Record_Delimited>"
        f"<reference_type>inventory_has_member_product</reference_type></Inventory></File_Area_Inventory>"
        f"</Product_Collection>")
    (root / "bundle.xml").write_text(
        f'<?xml version="1.0"?>\n<Product_Bundle xmlns="{PDS}">{ident(bundle_lid, "Product_Bundle")}'
        f"<Bundle><bundle_type>Archive</bundle_type></Bundle><Bundle_Member_Entry>"
        f"{bundle_member or f'<lidvid_reference>{collection_lid}::1.0</lidvid_reference>'}"
        f"<member_status>Primary</member_status>"
        f"<reference_type>bundle_has_data_collection</reference_type></Bundle_Member_Entry></Product_Bundle>")
    return root


def integrity_types(result) -> list[tuple[str, str]]:
    return sorted((f.type, Path(f.file).name) for f in result.integrity)


def test_members_with_their_parents_prefix(tmp_path):
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p")
    r = run([str(root)], opts(rule="bundle"))
    assert not [t for t in integrity_types(r) if "parent_prefix" in t[0] or "member_not_found" in t[0]]


def test_collection_member_outside_the_collections_lid(tmp_path):
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:other:p")
    r = run([str(root)], opts(rule="bundle"))
    assert ("error.integrity.missing_parent_prefix", "collection.xml") in integrity_types(r)
    assert r.exit_code == 1


def test_bundle_member_outside_the_bundles_lid(tmp_path):
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:x:data", "urn:nasa:pds:x:data:p")
    found = integrity_types(run([str(root)], opts(rule="bundle")))
    assert ("error.integrity.missing_parent_prefix", "bundle.xml") in found
    # the collection's own member is inside the collection's LID: no finding for it
    assert ("error.integrity.missing_parent_prefix", "collection.xml") not in found


def test_a_prefix_is_whole_lid_fields(tmp_path):
    # urn:nasa:pds:b:datax:p starts with the text "urn:nasa:pds:b:data" but not with "...:data:"
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:datax:p")
    assert ("error.integrity.missing_parent_prefix", "collection.xml") in integrity_types(
        run([str(root)], opts(rule="bundle")))


def test_primary_member_not_in_the_run(tmp_path):
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  listed=["urn:nasa:pds:b:data:p::1.0", "urn:nasa:pds:b:data:gone::1.0"])
    r = run([str(root)], opts(rule="bundle"))
    found = integrity_types(r)
    # an error by default (validate's issue 1601), on the collection whose inventory lists it
    assert ("error.integrity.member_not_found", "collection.xml") in found
    assert [f.type for f in r.integrity if f.is_error] == ["error.integrity.member_not_found"]
    # a member that is not found is not prefix-checked (validate checks found members)
    assert not [t for t in found if t[0] == "error.integrity.missing_parent_prefix"]
    # validate's --skip-strict-collection-membership (accumulating bundles): a warning
    r = run([str(root)], opts(rule="bundle", allow_unlisted_members=True))
    assert ("warning.integrity.member_not_found", "collection.xml") in integrity_types(r)
    assert not [f for f in r.integrity if f.is_error]


def test_bundle_member_entry_of_another_version_is_not_found(tmp_path):
    # the collection label is version 1.0; the bundle lists version 2.0 of it
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  bundle_member="<lidvid_reference>urn:nasa:pds:b:data::2.0</lidvid_reference>")
    r = run([str(root)], opts(rule="bundle"))
    found = integrity_types(r)
    assert ("error.integrity.member_not_found", "bundle.xml") in found
    # a LID member entry matches any version of the collection (validate: Identifier.nearNeighbor)
    root = bundle(tmp_path / "c", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  bundle_member="<lid_reference>urn:nasa:pds:b:data</lid_reference>")
    assert not [t for t in integrity_types(run([str(root)], opts(rule="bundle"))) if "member" in t[0]]


def test_only_the_bundle_label_of_the_walked_folder_has_its_members_looked_up(tmp_path):
    # validate's BundleReferentialIntegrityRule reads the target folder's own files (not its
    # sub-folders) and looks up the members of the first bundle label there
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p")
    bundle(root / "old", "urn:nasa:pds:o", "urn:nasa:pds:o:data", "urn:nasa:pds:o:data:p",
           bundle_member="<lidvid_reference>urn:nasa:pds:o:gone::1.0</lidvid_reference>")
    found = integrity_types(run([str(root)], opts(rule="bundle")))
    assert not [t for t in found if "member_not_found" in t[0]]
    # the same bundle as the walked folder's own: its member is looked up
    found = integrity_types(run([str(root / "old")], opts(rule="bundle")))
    assert ("error.integrity.member_not_found", "bundle.xml") in found


def test_bundle_member_references_are_read_as_written(tmp_path):
    # validate matches the entry's text, untrimmed, with the products' identifiers: a LIDVID
    # written over several lines is not found
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  bundle_member="<lidvid_reference>\n  urn:nasa:pds:b:data::1.0\n</lidvid_reference>")
    found = [t for t in integrity_types(run([str(root)], opts(rule="bundle"))) if "member_not_found" in t[0]]
    assert found == [("error.integrity.member_not_found", "bundle.xml")]
    # the first reference in document order is the entry's identifier
    root = bundle(tmp_path / "c", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  bundle_member="<lid_reference>urn:nasa:pds:b:gone</lid_reference>"
                                "<lidvid_reference>urn:nasa:pds:b:data::1.0</lidvid_reference>")
    found = [t for t in integrity_types(run([str(root)], opts(rule="bundle"))) if "member_not_found" in t[0]]
    assert found == [("error.integrity.member_not_found", "bundle.xml")]


def test_bundle_members_are_primary_only_when_they_say_so(tmp_path):
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  bundle_member="<lidvid_reference>urn:nasa:pds:b:gone::1.0</lidvid_reference>")
    label = root / "bundle.xml"
    assert ("error.integrity.member_not_found", "bundle.xml") in integrity_types(run([str(root)], opts(rule="bundle")))
    label.write_text(label.read_text().replace("<member_status>Primary", "<member_status>PRIMARY"))
    assert ("error.integrity.member_not_found", "bundle.xml") in integrity_types(run([str(root)], opts(rule="bundle")))
    label.write_text(label.read_text().replace("<member_status>PRIMARY", "<member_status>Secondary"))
    assert not [t for t in integrity_types(run([str(root)], opts(rule="bundle"))) if "member_not_found" in t[0]]


def test_members_are_looked_up_in_labels_named_bundle_and_collection(tmp_path):
    # validate finds the bundle label by its content in the target folder (the newest
    # BundleReferentialIntegrityRule: TargetExaminer.isTargetBundleType, any name) and the
    # collection labels as .xml files whose name holds "collection" (any case)
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  listed=["urn:nasa:pds:b:data:gone::1.0", "urn:nasa:pds:b:data:p"],
                  bundle_member="<lidvid_reference>urn:nasa:pds:b:gone::1.0</lidvid_reference>")

    def member_findings() -> list[tuple[str, str]]:
        return [t for t in integrity_types(run([str(root)], opts(rule="bundle")))
                if t[0].endswith(("member_not_found", "missing_version"))]

    assert member_findings() == [("error.integrity.member_not_found", "bundle.xml"),
                                 ("error.integrity.member_not_found", "collection.xml"),
                                 ("error.integrity.missing_version", "collection.xml")]
    (root / "bundle.xml").rename(root / "Archive_BUNDLE_v2.xml")
    (root / "data" / "collection.xml").rename(root / "data" / "My_Collection_data.xml")
    assert [n for _, n in member_findings()] == ["Archive_BUNDLE_v2.xml", "My_Collection_data.xml",
                                                 "My_Collection_data.xml"]
    (root / "Archive_BUNDLE_v2.xml").rename(root / "archive.xml")
    (root / "data" / "My_Collection_data.xml").rename(root / "data" / "inventory_label.xml")
    assert member_findings() == [("error.integrity.member_not_found", "archive.xml")]


def test_a_missing_member_listed_twice_is_reported_per_entry(tmp_path):
    # validate's CollectionReferentialIntegrityRule looks every inventory entry up, one
    # member_not_found per entry
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  listed=["urn:nasa:pds:b:data:p::1.0", "urn:nasa:pds:b:data:gone::1.0",
                          "urn:nasa:pds:b:data:gone::1.0"])
    r = run([str(root)], opts(rule="bundle"))
    assert [t for t in integrity_types(r) if "member_not_found" in t[0]] == [
        ("error.integrity.member_not_found", "collection.xml")] * 2


def test_secondary_members_are_not_looked_up(tmp_path):
    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p")
    inv = root / "data" / "inventory.csv"
    inv.write_bytes(inv.read_bytes() + b"S,urn:nasa:pds:other:data:q::1.0\r\n")
    label = root / "data" / "collection.xml"
    label.write_text(label.read_text().replace("<records>1</records>", "<records>2</records>"))
    assert not [t for t in integrity_types(run([str(root)], opts(rule="bundle"))) if "member_not_found" in t[0]]


def test_skip_strict_collection_membership_on_the_command_line(tmp_path):
    from click.testing import CliRunner

    from pdsgen.cli.app import main

    root = bundle(tmp_path / "b", "urn:nasa:pds:b", "urn:nasa:pds:b:data", "urn:nasa:pds:b:data:p",
                  listed=["urn:nasa:pds:b:data:p::1.0", "urn:nasa:pds:b:data:gone::1.0"])
    base = ["validate", "--offline", "--skip-context-validation", "-R", "pds4.bundle", "-t", str(root)]
    strict = CliRunner().invoke(main, base)
    assert strict.exit_code == 1 and "error.integrity.member_not_found" in strict.output
    lenient = CliRunner().invoke(main, [*base, "--skip-strict-collection-membership"])
    assert "warning.integrity.member_not_found" in lenient.output
    assert "error.integrity.member_not_found" not in lenient.output


# --- error.validation.invalid_field_value in labels (validate: LabelUtil.getIdentifiersCommon,
#     its issue 401): a line feed in a Reference_List/Internal_Reference lid(vid)_reference or in
#     the logical_identifier


def with_references(folder: Path, refs: str, lid: str = "urn:nasa:pds:b:data:p") -> Path:
    label = observational(folder, "p.xml", lid, "p.tab")
    label.write_text(label.read_text().replace("<File_Area_Observational>", refs + "<File_Area_Observational>", 1))
    return label


def ref(where: str, value: str, kind: str = "data_to_document") -> str:
    inner = f"<Internal_Reference><lid_reference>{value}</lid_reference><reference_type>{kind}</reference_type>" \
            "</Internal_Reference>"
    if where == "Reference_List":
        return f"<Reference_List>{inner}</Reference_List>"
    return f"<Observation_Area><Investigation_Area><name>X</name><type>Mission</type>{inner}" \
           "</Investigation_Area></Observation_Area>"


def test_line_feed_in_a_reference_list_reference(tmp_path):
    label = with_references(tmp_path, ref("Reference_List", "\n  urn:nasa:pds:b:document:d\n"))
    assert "error.validation.invalid_field_value" in types(run([str(label)], opts()))


def test_line_feed_outside_the_reference_list_and_blanks_are_not_invalid_values(tmp_path):
    # validate looks at Reference_List/Internal_Reference only, and for line feeds only
    label = with_references(tmp_path, ref("Context", "\n urn:nasa:pds:context:investigation:mission.x\n",
                                          "data_to_investigation"))
    assert "error.validation.invalid_field_value" not in types(run([str(label)], opts()))
    label = with_references(tmp_path, ref("Reference_List", "urn:nasa:pds:b:document:d  x"))
    assert "error.validation.invalid_field_value" not in types(run([str(label)], opts()))


def test_line_feed_in_the_logical_identifier(tmp_path):
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    label.write_text(label.read_text().replace("<logical_identifier>urn:nasa:pds:b:data:p",
                                               "<logical_identifier>\n  urn:nasa:pds:b:data:p\n"))
    assert "error.validation.invalid_field_value" in types(run([str(label)], opts()))


# --- error.label.context_ref_not_found (validate: ContextProductReferenceValidationRule): the
#     reference_type decides which Internal_References are context references


def test_context_references_are_chosen_by_reference_type(tmp_path):
    registry = tmp_path / "ctx.json"
    registry.write_text('{"Product_Context": [{"lidvid": "urn:nasa:pds:context:investigation:mission.x::1.0",'
                        ' "name": ["X"], "type": ["Mission"]}]}')
    o = opts(context=True, context_products=(str(registry),))
    # registered: fine
    label = with_references(tmp_path, ref("Context", "urn:nasa:pds:context:investigation:mission.x",
                                          "data_to_investigation"))
    assert "error.label.context_ref_not_found" not in types(run([str(label)], o))
    # a *_to_investigation reference to a LID that is not a registered context product, even
    # one outside urn:...:context: (validate checks by type, not by LID)
    label = with_references(tmp_path, ref("Context", "urn:nasa:pds:b:document:mission_doc", "data_to_investigation"))
    assert "error.label.context_ref_not_found" in types(run([str(label)], o))
    # a context LID under a reference_type that is no context type is not checked
    label = with_references(tmp_path, ref("Reference_List", "urn:nasa:pds:context:instrument:unknown.x",
                                          "data_to_document"))
    assert "error.label.context_ref_not_found" not in types(run([str(label)], o))
    # is_* types are context references too
    label = with_references(tmp_path, ref("Reference_List", "urn:nasa:pds:context:instrument:unknown.x",
                                          "is_instrument"))
    assert "error.label.context_ref_not_found" in types(run([str(label)], o))


# --- error.file.name_has_invalid_characters & co. (validate: FileAndDirectoryNamingRule on
#     walked folders, and with every label: the label's own name and its File_Area file names)


def test_label_and_data_file_names_are_checked_without_a_folder_walk(tmp_path):
    label = observational(tmp_path, "bad name.xml", "urn:nasa:pds:b:data:p", "data#1.tab")
    r = run([str(label)], opts())
    found = sorted((f.type, Path(f.file).name) for f in r.all_findings() if f.type.startswith("error.file."))
    assert found == [("error.file.name_has_invalid_characters", "bad name.xml"),
                     ("error.file.name_has_invalid_characters", "bad name.xml")]  # label; data file (on label)
    assert any("data#1.tab" in f.message for f in r.all_findings())


def test_names_in_a_walked_folder_are_reported_once(tmp_path):
    observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p+.tab")
    (tmp_path / "core").write_bytes(b"")
    (tmp_path / "dir.ext").mkdir()
    (tmp_path / "core.vmac").write_bytes(b"")  # the whole name counts: allowed
    r = run([str(tmp_path)], opts())
    found = sorted(f.type for f in r.all_findings() if f.type.startswith(("error.file.", "error.directory.")))
    assert found == ["error.directory.name_has_invalid_characters", "error.file.name_has_invalid_characters",
                     "error.file.unallowed_base_name"]


def test_data_file_names_checked_with_the_label_by_product_class(tmp_path):
    # validate's FileAreaExtractor: the file names of observational, inventory, ancillary and
    # browse File_Areas are checked with the label; other areas' files are not (a walked folder
    # checks every name)
    def file_errors(name: str, area: str, cls: str) -> list[str]:
        folder = tmp_path / name
        folder.mkdir()
        label = observational(folder, "p.xml", "urn:nasa:pds:b:data:p", "bad#name.tab", area, cls)
        return [f.type for f in run([str(label)], opts()).all_findings() if f.type.startswith("error.file.")]

    assert file_errors("obs", "File_Area_Observational", "Product_Observational") == [
        "error.file.name_has_invalid_characters"]
    assert file_errors("anc", "File_Area_Ancillary", "Product_Ancillary") == ["error.file.name_has_invalid_characters"]
    assert file_errors("sup", "File_Area_Observational_Supplemental", "Product_Observational") == []
    assert file_errors("txt", "File_Area_Text", "Product_Bundle") == []
    # in a walked folder, the supplemental area's file is a name of the folder
    r = run([str(tmp_path / "sup")], opts())
    assert [Path(f.file).name for f in r.all_findings() if f.type == "error.file.name_has_invalid_characters"] == [
        "bad#name.tab"]


def test_hidden_names_of_a_walked_folder_are_checked(tmp_path):
    from pdsgen.validate.integrity import naming_findings

    # validate's crawler lists every file and folder (wildcard *): editor and OS leftovers
    # are names of the delivery; pdsgen's own index folder and .git are not walked
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.tab").write_bytes(b"")
    (tmp_path / ".pdsgen").mkdir()
    (tmp_path / ".pdsgen" / "archive.sqlite").write_bytes(b"")
    (tmp_path / ".git").mkdir()
    found = sorted((f.type, Path(f.file).name) for f in naming_findings(tmp_path))
    assert found == [("error.directory.name_has_invalid_characters", ".cache"),
                     ("error.file.name_has_invalid_characters", ".DS_Store")]


def test_prohibited_names_are_matched_as_written():
    from pdsgen.validate.integrity import name_problems

    # validate looks the whole name up in a set (case-sensitive); a.out in any case
    assert [k for k, _ in name_problems("core", False)] == ["error.file.unallowed_base_name"]
    assert name_problems("CORE", False) == [] and name_problems("Nul", False) == []
    assert [k for k, _ in name_problems("A.OUT", False)] == ["error.file.unallowed_name"]
    assert [k for k, _ in name_problems("aux", True)] == ["error.directory.unallowed_name"]
    assert name_problems("AUX", True) == []


def test_names_differing_only_in_case_conflict(tmp_path):
    from pdsgen.validate.integrity import naming_findings

    (tmp_path / "A.tab").write_bytes(b"")
    (tmp_path / "a.tab").write_bytes(b"")
    (tmp_path / "b.tab").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "B.TAB").write_bytes(b"")  # another folder: no conflict
    (tmp_path / "SUB").write_bytes(b"")  # a file SUB and a folder sub: files are listed first
    found = sorted((f.type, Path(f.file).name) for f in naming_findings(tmp_path))
    assert found == [("error.validation.file_naming_problem", "a.tab"),
                     ("error.validation.file_naming_problem", "sub")]


def test_name_too_long():
    from pdsgen.validate.integrity import name_problems

    assert [k for k, _ in name_problems("a" * 256 + ".xml", False)] == ["error.file.name_too_long"]
    assert [k for k, _ in name_problems("d" * 256, True)] == ["error.directory.name_too_long"]
    assert name_problems("a" * 251 + ".xml", False) == []


def test_context_name_and_type_against_the_registry(tmp_path):
    # a name of another case is info, another name a warning (info with mismatch warnings
    # disabled)
    registry = tmp_path / "ctx.json"
    registry.write_text('{"Product_Context": [{"lidvid": "urn:nasa:pds:context:investigation:mission.x::1.0",'
                        ' "name": ["Mission X"], "type": ["Mission"]}]}')

    def found(name: str, **kw) -> list[str]:
        label = with_references(tmp_path, ref("Context", "urn:nasa:pds:context:investigation:mission.x",
                                              "data_to_investigation").replace("<name>X</name>", f"<name>{name}</name>"))
        r = run([str(label)], opts(context=True, context_products=(str(registry),), **kw))
        return sorted(f.type for f in r.all_findings() if "context_ref" in f.type)

    assert found("Mission X") == []
    assert found("MISSION X") == ["info.label.context_ref_case_mismatch"]
    assert found("Other") == ["warning.label.context_ref_mismatch"]
    assert found("Other", context_mismatch_warnings=False) == ["info.label.context_ref_mismatch"]


def context_registry(tmp_path: Path) -> Options:
    registry = tmp_path / "ctx.json"
    registry.write_text('{"Product_Context": [{"lidvid": "urn:nasa:pds:context:investigation:mission.x::2.0",'
                        ' "name": ["Mission X"], "type": ["Mission"]}]}')
    return opts(context=True, context_products=(str(registry),))


def context_types(tmp_path: Path, refs: str, o: Options) -> list[str]:
    """Context message types of a label whose Investigation_Area holds `refs` (the inner
    elements of one Internal_Reference of type data_to_investigation)."""
    area = (f"<Observation_Area><Investigation_Area><name>Mission X</name><type>Mission</type>"
            f"<Internal_Reference>{refs}<reference_type>data_to_investigation</reference_type>"
            f"</Internal_Reference></Investigation_Area></Observation_Area>")
    label = with_references(tmp_path, area)
    return sorted(f.type for f in run([str(label)], o).all_findings() if "context_ref" in f.type)


def test_every_reference_of_a_context_reference_is_checked(tmp_path):
    # validate loops over all lid_reference and lidvid_reference children of the reference
    o = context_registry(tmp_path)
    refs = ("<lid_reference>urn:nasa:pds:context:investigation:mission.x</lid_reference>"
            "<lidvid_reference>urn:nasa:pds:context:investigation:mission.y::1.0</lidvid_reference>"
            "<lid_reference>urn:nasa:pds:context:investigation:mission.z</lid_reference>")
    assert context_types(tmp_path, refs, o) == ["error.label.context_ref_not_found"] * 2


def test_context_lidvid_versions(tmp_path):
    # the list holds the latest version (2.0): an older version is found, a later one is not;
    # the LID compares without case for the version as written, with case for the older ones
    o = context_registry(tmp_path)

    def lidvid(value: str) -> list[str]:
        return context_types(tmp_path, f"<lidvid_reference>{value}</lidvid_reference>", o)

    assert lidvid("urn:nasa:pds:context:investigation:mission.x::2.0") == []
    assert lidvid("urn:nasa:pds:context:investigation:mission.x::1.0") == []
    assert lidvid("urn:nasa:pds:context:investigation:mission.x::1.5") == []
    assert lidvid("urn:nasa:pds:context:investigation:mission.x::3.0") == ["error.label.context_ref_not_found"]
    assert lidvid("urn:nasa:pds:context:investigation:MISSION.X::2.0") == []
    assert lidvid("urn:nasa:pds:context:investigation:MISSION.X::1.0") == ["error.label.context_ref_not_found"]
    # a LID reference is found whatever the registered version
    assert context_types(tmp_path, "<lid_reference>urn:nasa:pds:context:investigation:MISSION.X</lid_reference>",
                         o) == []


def test_context_names_and_types_are_compared_each_on_its_own(tmp_path):
    o = context_registry(tmp_path)
    lid = "<lid_reference>urn:nasa:pds:context:investigation:mission.x</lid_reference>"

    def found(name_and_type: str, refs: str = lid) -> list[str]:
        label = with_references(tmp_path, f"<Observation_Area><Investigation_Area>{name_and_type}<Internal_Reference>"
                                          f"{refs}<reference_type>data_to_investigation</reference_type>"
                                          f"</Internal_Reference></Investigation_Area></Observation_Area>")
        return sorted(f.type for f in run([str(label)], o).all_findings() if "context_ref" in f.type)

    # a name without a type (and a type without a name) is compared too
    assert found("<name>Other</name>") == ["warning.label.context_ref_mismatch"]
    assert found("<type>Other</type>") == ["warning.label.context_ref_mismatch"]
    assert found("<name>Other</name><type>MISSION</type>") == ["info.label.context_ref_case_mismatch",
                                                                "warning.label.context_ref_mismatch"]
    # an older version, found by validate's version search, is not compared
    old = "<lidvid_reference>urn:nasa:pds:context:investigation:mission.x::1.0</lidvid_reference>"
    assert found("<name>Other</name><type>Other</type>", old) == []


def test_worker_processes_only_when_they_pay_for_their_schematron_compiles(tmp_path):
    from pdsgen.validate.runner import LABELS_PER_SCHEMATRON, worth_parallel

    def labels(n: int, versions: int) -> list[Path]:
        out = []
        for i in range(n):
            q = tmp_path / f"l{n}_{versions}_{i}.xml"
            q.write_text(f'<?xml version="1.0"?>\n<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1{i % versions}00.sch" '
                         'schematypens="http://purl.oclc.org/dsdl/schematron"?>\n<Product_Observational/>')
            out.append(q)
        return out

    assert worth_parallel(labels(LABELS_PER_SCHEMATRON * 2, 1))  # many labels, one Schematron
    assert not worth_parallel(labels(150, 10))  # a diverse folder: each worker would compile 10


# --- error.label.invalid_object_definition from the field definitions (validate:
#     TableFieldDefinitionRule, run before any table content)


def content_types(label: Path) -> list[str]:
    """Error types but the missing schema (error.label.schema) of these schema-less test labels."""
    return [t for t in types(run([str(label)], opts())) if t != "error.label.schema"]


def test_field_format_flags_against_the_data_type(tmp_path):
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    (tmp_path / "p.tab").write_bytes(b"1\r\nx\r\n")  # record 2 is no integer
    assert "error.table.field_value_data_type_mismatch" in types(run([str(label)], opts()))
    # a number field with a left-justify flag: the definition is rejected, no table is read
    text = label.read_text()
    label.write_text(text.replace("<data_type>ASCII_Integer</data_type>",
                                  "<data_type>ASCII_Integer</data_type><field_format>%-1d</field_format>"))
    assert content_types(label) == ["error.label.invalid_object_definition"]
    # a string field with a '+' flag: the same
    label.write_text(text.replace("<data_type>ASCII_Integer</data_type>",
                                  "<data_type>ASCII_String</data_type><field_format>%+1s</field_format>"))
    assert content_types(label) == ["error.label.invalid_object_definition"]
    # the flags the other way round are fine
    label.write_text(text.replace("<data_type>ASCII_Integer</data_type>",
                                  "<data_type>ASCII_Integer</data_type><field_format>%+1d</field_format>"))
    assert "error.label.invalid_object_definition" not in types(run([str(label)], opts()))


# --- error.label.invalid_object_definition: objects of a file in the label's order
#     (validate: DataDefinitionAndContentValidationRule.checkOffset)


def two_tables(folder: Path, first: int, second: int) -> Path:
    """Two 2-record character tables of 3-byte records in one 12-byte file, at the offsets given,
    listed in that order."""
    (folder / "t.tab").write_bytes(b"1\r\n2\r\n3\r\n4\r\n")

    def table(offset: int) -> str:
        return (f"<Table_Character><offset unit='byte'>{offset}</offset><records>2</records>"
                "<record_delimiter>Carriage-Return Line-Feed</record_delimiter><Record_Character><fields>1</fields>"
                "<groups>0</groups><record_length unit='byte'>3</record_length><Field_Character><name>N</name>"
                "<field_number>1</field_number><field_location unit='byte'>1</field_location>"
                "<data_type>ASCII_Integer</data_type><field_length unit='byte'>1</field_length></Field_Character>"
                "</Record_Character></Table_Character>")

    label = folder / "p.xml"
    label.write_text(f'<?xml version="1.0"?>\n<Product_Observational xmlns="{PDS}">'
                     f"{ident('urn:nasa:pds:b:data:p', 'Product_Observational')}<File_Area_Observational><File>"
                     f"<file_name>t.tab</file_name></File>{table(first)}{table(second)}</File_Area_Observational>"
                     f"</Product_Observational>")
    return label


def object_definition(result) -> list[str]:
    return [f.message for f in result.all_findings() if f.type == "error.label.invalid_object_definition"]


def test_objects_listed_in_their_order_in_the_file(tmp_path):
    assert object_definition(run([str(two_tables(tmp_path, 0, 6))], opts())) == []
    # the second table starts inside the first (bytes 0..5): an overlap
    found = object_definition(run([str(two_tables(tmp_path, 0, 3))], opts()))
    assert len(found) == 1 and "offset 3 overlaps" in found[0]


def test_objects_listed_out_of_their_order_in_the_file(tmp_path):
    # no overlap, but the table listed second lies before the one listed first: validate's
    # newer releases sort a label's objects by offset before comparing each with the end of
    # the one before it, so this is no error; the listing order is a warning
    result = run([str(two_tables(tmp_path, 6, 0))], opts())
    assert object_definition(result) == []
    warned = [f for f in result.all_findings() if f.type == "warning.data_objects.out_of_order"]
    assert len(warned) == 1 and "offset 0 is listed after" in warned[0].message
    # listed out of order AND overlapping (sorted: 1..6 then 3..8): the overlap is the error
    (tmp_path / "t.tab").write_bytes(b"1\r\n2\r\n3\r\n4\r\n")
    found = object_definition(run([str(two_tables(tmp_path, 3, 0))], opts()))
    assert len(found) == 1 and "offset 3 overlaps" in found[0]


# --- objects after a table validate cannot open are not read
#     (validate: DataDefinitionAndContentValidationRule, one try around the label's objects)


def two_file_areas(folder: Path, first_records: int) -> Path:
    """Two File_Areas, each one 2-byte-record character table of one ASCII_Integer field; the
    first table says `first_records` records of its 2-record file, the second's file holds a bad value."""
    (folder / "a.tab").write_bytes(b"1\r\n2\r\n")
    (folder / "b.tab").write_bytes(b"x\r\n2\r\n")

    def area(name: str, records: int) -> str:
        return (f"<File_Area_Observational><File><file_name>{name}</file_name></File><Table_Character>"
                f"<offset unit='byte'>0</offset><records>{records}</records>"
                "<record_delimiter>Carriage-Return Line-Feed</record_delimiter><Record_Character><fields>1</fields>"
                "<groups>0</groups><record_length unit='byte'>3</record_length><Field_Character><name>N</name>"
                "<field_number>1</field_number><field_location unit='byte'>1</field_location>"
                "<data_type>ASCII_Integer</data_type><field_length unit='byte'>1</field_length></Field_Character>"
                "</Record_Character></Table_Character></File_Area_Observational>")

    label = folder / "p.xml"
    label.write_text(f'<?xml version="1.0"?>\n<Product_Observational xmlns="{PDS}">'
                     f"{ident('urn:nasa:pds:b:data:p', 'Product_Observational')}{area('a.tab', first_records)}"
                     f"{area('b.tab', 2)}</Product_Observational>")
    return label


def table_types(result) -> list[str]:
    return sorted(f.type for f in result.all_findings() if f.type.startswith(("error.table.", "error.label.table")))


def test_objects_after_a_table_that_cannot_be_read_are_not_read(tmp_path):
    # the first table is readable: the second one's bad value is reported
    assert table_types(run([str(two_file_areas(tmp_path, 2))], opts())) == [
        "error.table.field_value_data_type_mismatch"]
    # the first table needs 9 bytes of a 6-byte file: validate stops there, the second table
    # (in another File_Area) is not read
    assert table_types(run([str(two_file_areas(tmp_path, 3))], opts())) == [
        "error.label.table_definition_problem"]


def test_objects_are_read_in_their_order_in_the_file(tmp_path):
    # validate reads a label's objects sorted by offset: the table listed second but lying
    # first fails to open (a group smaller than its fields: table_definition_problem), which
    # ends the reading before the table listed first (whose bad value is then not reported)
    (tmp_path / "t.tab").write_bytes(b"12\r\n34\r\nx\r\n2\r\n")

    def field(name: str, loc: int, length: int) -> str:
        return (f"<Field_Character><name>{name}</name><field_number>1</field_number><field_location unit='byte'>"
                f"{loc}</field_location><data_type>ASCII_Integer</data_type><field_length unit='byte'>{length}"
                f"</field_length></Field_Character>")

    def table(offset: int, reclen: int, body: str, groups: int) -> str:
        return (f"<Table_Character><offset unit='byte'>{offset}</offset><records>2</records>"
                "<record_delimiter>Carriage-Return Line-Feed</record_delimiter><Record_Character>"
                f"<fields>{1 - groups}</fields><groups>{groups}</groups><record_length unit='byte'>{reclen}"
                f"</record_length>{body}</Record_Character></Table_Character>")

    group = ("<Group_Field_Character><repetitions>2</repetitions><fields>1</fields><groups>0</groups>"
             "<group_location unit='byte'>1</group_location><group_length unit='byte'>1</group_length>"
             f"{field('G', 1, 1)}</Group_Field_Character>")
    label = tmp_path / "p.xml"
    label.write_text(f'<?xml version="1.0"?>\n<Product_Observational xmlns="{PDS}">'
                     f"{ident('urn:nasa:pds:b:data:p', 'Product_Observational')}<File_Area_Observational><File>"
                     f"<file_name>t.tab</file_name></File>{table(8, 3, field('N', 1, 1), 0)}"
                     f"{table(0, 4, group, 1)}</File_Area_Observational></Product_Observational>")
    types = [f.type for f in run([str(label)], opts()).all_findings() if "table" in f.type]
    assert types == ["error.label.table_definition_problem"]
