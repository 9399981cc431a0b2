"""`pdsgen migrate`: context names with no registered context product (issue 18).

A target that is no registered body (HELIOSPHERE, JUPITER MAGNETOSPHERE …) is written as a
Target_Identification with its PDS4 type and no Internal_Reference (optional in the
schema); a host or instrument that is not registered as an Observing_System_Component with
no Internal_Reference; a numbered minor planet is found under its registered spelling. An
investigation that is not registered is refused (Investigation_Area requires a reference)
until ``--map`` gives the LID of a registered one. Each migrated product is checked here
again: validation 0 errors with the test context list, and the values read back through
pds4_tools equal the bytes the PDS3 label describes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import validate_options
from test_migrate import CONTEXT, NS, binary_values, make_binary, options, texts, xml
from test_migrate_kinds import pds4_read

from pdsgen.errors import LabelError
from pdsgen.migrate import MigrationMap, migrate_product
from pdsgen.migrate.vocabulary import (
    GENERIC_TARGET_TYPES,
    TARGET_TYPES,
    ContextIndex,
    generic_target_type,
)
from pdsgen.validate import validate
from pdsgen.validate.catalog import BUNDLED_DIR

#: the test mission's context list plus a trans-Neptunian object and an asteroid registered
#: as the real list registers them (names as in registered_context_products.json)
REGISTERED = {"Product_Context": [
    *CONTEXT["Product_Context"],
    {"lidvid": "urn:nasa:pds:context:target:trans-neptunian_object.486958_2014_mu69::1.1",
     "name": ["(486958) Arrokoth", "Arrokoth", "(486958) 2014 MU69", "MINOR PLANET 486958"],
     "type": ["Trans-Neptunian Object"]},
    {"lidvid": "urn:esa:psa:context:investigation:mission.iue::1.0",
     "name": ["International Ultraviolet Explorer Mission"], "type": ["Mission"]},
    {"lidvid": "urn:nasa:pds:context:target:asteroid.61_danae::1.0", "name": ["(61) Danae", "MINOR PLANET 61"],
     "type": ["Asteroid"]},
]}


@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    p = tmp_path / "context.json"
    p.write_text(json.dumps(REGISTERED))
    return p


def relabel(tmp_path: Path, **keywords: str | None) -> Path:
    """The test binary table with PDS3 keywords replaced (None: the keyword left out)."""
    label = make_binary(tmp_path / "in")
    text = label.read_text()
    for key, value in keywords.items():
        pattern = re.compile(rf"^{key} = .*$", re.MULTILINE)
        text = pattern.sub(f"{key} = {value}" if value is not None else "", text)
    label.write_text(text)
    return label


def checked(r, ctx_file: Path):
    """A migrated product validated again (0 errors) and read back equal to the PDS3 bytes."""
    assert r.status == "migrated", r.reason
    res = validate([r.pds4_label], **validate_options(rule="product", context_products=(str(ctx_file),),
                                                      context=True))
    assert res.total_errors == 0, [str(f) for p in res.products for f in p.findings]
    assert not [f for p in res.products for f in p.findings if "context_ref_mismatch" in str(f)]
    table = pds4_read(r.pds4_label)["TABLE"]
    want = binary_values()
    for name in ("U", "R8"):
        assert np.array_equal(np.asarray(table[name]), want[name])
    # COUNT: SCALING_FACTOR 0.5, OFFSET 10, its MISSING_CONSTANT -1 left unscaled
    raw = want["COUNT"].astype(float)
    assert np.array_equal(np.asarray(table["COUNT"]), np.where(raw == -1, -1, raw * 0.5 + 10))
    return xml(r.pds4_label)


@pytest.mark.parametrize(("target", "pds4_type"), [
    ("HELIOSPHERE", "Plasma Stream"),
    ("MAGNETOSPHERE", "Magnetic Field"),
    ('"JUPITER MAGNETOSPHERE"', "Magnetic Field"),
    ('"IO PLASMA TORUS"', "Plasma Cloud"),
    ('"INTERPLANETARY DUST"', "Dust"),
    ("SKY", "Sky"),
])
def test_generic_target_written_with_its_type_and_no_reference(tmp_path, ctx_file, target, pds4_type):
    r = migrate_product(relabel(tmp_path, TARGET_NAME=target), options(tmp_path, ctx_file))
    t = checked(r, ctx_file)
    name = target.strip('"')
    assert texts(t, "//p:Target_Identification/p:name") == [name]
    assert texts(t, "//p:Target_Identification/p:type") == [pds4_type]
    assert t.xpath("//p:Target_Identification/p:Internal_Reference", namespaces=NS) == []
    assert any(f"target {name!r}: no registered context product" in n and repr(pds4_type) in n for n in r.notes)
    # the registered mission, host and instrument keep their references
    assert texts(t, "//p:Investigation_Area//p:lid_reference") == ["urn:nasa:pds:context:investigation:mission.test_mission"]


def test_numbered_minor_planet_found_under_its_registered_spelling(tmp_path, ctx_file):
    r = migrate_product(relabel(tmp_path, TARGET_NAME='"486958 ARROKOTH"'), options(tmp_path, ctx_file))
    t = checked(r, ctx_file)
    assert texts(t, "//p:Target_Identification//p:lid_reference") == [
        "urn:nasa:pds:context:target:trans-neptunian_object.486958_2014_mu69"]
    assert texts(t, "//p:Target_Identification/p:type") == ["Trans-Neptunian Object"]
    assert any("'486958 ARROKOTH' (as '(486958) Arrokoth')" in n for n in r.notes)
    # written as registered: validate compares the name with the registered ones (no warning)
    assert texts(t, "//p:Target_Identification/p:name") == ["(486958) Arrokoth"]


def test_numbered_names_only_match_a_product_of_that_number(ctx_file):
    idx = ContextIndex.load([ctx_file])
    lid = "urn:nasa:pds:context:target:trans-neptunian_object.486958_2014_mu69"
    assert idx.find("target", ["(486958) ARROKOTH (2014 MU69)"])[0] == lid
    assert idx.find("target", ["486958 Arrokoth"])[0] == lid
    assert idx.find("target", ["486958"])[0] == lid  # MINOR PLANET 486958
    # "61 CYG" is a star, not minor planet 61: the name must be the registered one's
    assert idx.find("target", ["61 CYG"])[0] is None
    assert idx.find("target", ["61 DANAE"])[0] == "urn:nasa:pds:context:target:asteroid.61_danae"
    # a provisional designation's year is no minor-planet number
    assert idx.find("target", ["2061 AB"])[0] is None


def test_unregistered_host_and_instrument_written_without_references(tmp_path, ctx_file):
    r = migrate_product(relabel(tmp_path, INSTRUMENT_HOST_NAME='"SMART-1"', INSTRUMENT_NAME='"AMIE"'),
                        options(tmp_path, ctx_file))
    t = checked(r, ctx_file)
    assert texts(t, "//p:Observing_System_Component/p:name") == ["SMART-1", "AMIE"]
    assert texts(t, "//p:Observing_System_Component/p:type") == ["Host", "Instrument"]
    assert t.xpath("//p:Observing_System_Component/p:Internal_Reference", namespaces=NS) == []
    assert any("no registered instrument_host context product named 'SMART-1'" in n for n in r.notes)
    assert any("no registered instrument context product named 'AMIE'" in n for n in r.notes)


def test_unregistered_investigation_refused_until_the_map_names_a_registered_one(tmp_path, ctx_file):
    """Investigation_Area requires an Internal_Reference: no LID is invented. The refusal
    names what was looked for and how --map provides it; with it the product migrates."""
    label = relabel(tmp_path, MISSION_NAME='"INTERNATIONAL HALLEY WATCH"', INSTRUMENT_HOST_NAME='"IHW NEAR NUCLEUS"')
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "failed"
    assert "'INTERNATIONAL HALLEY WATCH' / 'IHW NEAR NUCLEUS'" in r.reason
    assert '[context] investigation = "urn:nasa:pds:context:investigation:' in r.reason
    assert not (tmp_path / "out" / "BIN.xml").exists()
    m = tmp_path / "map.toml"
    m.write_text('[context]\ninvestigation = "urn:nasa:pds:context:investigation:mission.test_mission"\n')
    r = migrate_product(label, options(tmp_path, ctx_file, mapping=MigrationMap.load(m)))
    t = checked(r, ctx_file)
    assert texts(t, "//p:Investigation_Area/p:name") == ["TEST MISSION"]  # as registered
    assert texts(t, "//p:Observing_System_Component[p:type='Host']/p:name") == ["IHW NEAR NUCLEUS"]


def test_ground_based_product_without_a_mission(tmp_path, ctx_file):
    label = relabel(tmp_path, MISSION_NAME=None, INSTRUMENT_HOST_NAME='"LOWELL OBSERVATORY 42-INCH TELESCOPE"')
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "failed" and "'LOWELL OBSERVATORY 42-INCH TELESCOPE'" in r.reason
    assert "[context] investigation" in r.reason
    # with PDS's registered "No Specific Investigation" in the list (the real list has it), a
    # product with no mission and no registered host references it, named and typed as registered
    none = {"lidvid": "urn:nasa:pds:context:investigation:individual.none::1.1",
            "name": ["No Specific Investigation"], "type": ["Individual Investigation"]}
    with_none = tmp_path / "with_none.json"
    with_none.write_text(json.dumps({"Product_Context": [*REGISTERED["Product_Context"], none]}))
    r = migrate_product(label, options(tmp_path, with_none))
    t = checked(r, with_none)
    assert texts(t, "//p:Investigation_Area/p:name") == ["No Specific Investigation"]
    assert texts(t, "//p:Investigation_Area/p:type") == ["Individual Investigation"]
    assert texts(t, "//p:Investigation_Area//p:lid_reference") == [
        "urn:nasa:pds:context:investigation:individual.none"]
    assert any("no MISSION_NAME and no registered instrument host" in n for n in r.notes)
    # a named mission that is not registered is never replaced by it
    named = relabel(tmp_path, MISSION_NAME='"INTERNATIONAL HALLEY WATCH"',
                    INSTRUMENT_HOST_NAME='"LOWELL OBSERVATORY 42-INCH TELESCOPE"')
    assert migrate_product(named, options(tmp_path, with_none)).status == "failed"
    # nor is a product whose spacecraft is registered (its mission is just not named)
    host_only = relabel(tmp_path, MISSION_NAME=None)
    r = migrate_product(host_only, options(tmp_path, with_none))
    assert r.status != "migrated" or "individual.none" not in str(xml(r.pds4_label).xpath(
        "//p:Investigation_Area//p:lid_reference/text()", namespaces=NS))
    label = relabel(tmp_path, MISSION_NAME=None, INSTRUMENT_HOST_NAME=None, INSTRUMENT_NAME=None)
    r = migrate_product(label, options(tmp_path, ctx_file))
    assert r.status == "failed" and "no MISSION_NAME, INSTRUMENT_HOST_NAME or INSTRUMENT_HOST_ID" in r.reason


def test_not_applicable_target_is_ancillary_then_observational_with_the_map(tmp_path, ctx_file):
    """Data that observe no target (TARGET_NAME = "N/A") are a Product_Ancillary, whose
    Context_Area holds the registered investigation and host and no Target_Identification;
    with a target from --map the same product is a Product_Observational."""
    label = relabel(tmp_path, TARGET_NAME='"N/A"')
    r = migrate_product(label, options(tmp_path, ctx_file))
    t = checked(r, ctx_file)
    assert t.getroot().tag == f"{{{NS['p']}}}Product_Ancillary"
    assert texts(t, "//p:product_class") == ["Product_Ancillary"]
    assert texts(t, "//p:Context_Area/p:Investigation_Area//p:lid_reference") == [
        "urn:nasa:pds:context:investigation:mission.test_mission"]
    assert texts(t, "//p:Context_Area/p:Investigation_Area//p:reference_type") == ["ancillary_to_investigation"]
    assert texts(t, "//p:Observing_System_Component/p:name") == ["TEST SPACECRAFT", "TEST CAMERA"]
    assert texts(t, "//p:Target_Identification") == []
    assert len(t.xpath("//p:File_Area_Ancillary/p:Table_Binary", namespaces=NS)) == 1
    assert any("Product_Ancillary" in n for n in r.notes)
    # nothing named at all: a Context_Area of the times alone
    bare = relabel(tmp_path / "bare", TARGET_NAME=None, MISSION_NAME=None, INSTRUMENT_HOST_NAME=None, INSTRUMENT_NAME=None)
    t = checked(migrate_product(bare, options(tmp_path, ctx_file)), ctx_file)
    assert t.xpath("//p:Context_Area/*[not(self::p:comment or self::p:Time_Coordinates)]", namespaces=NS) == []
    m = tmp_path / "map.toml"
    m.write_text('[keywords]\nTARGET_NAME = "LAB SOURCE"\n[context]\ntarget_type = "Calibrator"\n')
    r = migrate_product(label, options(tmp_path, ctx_file, mapping=MigrationMap.load(m)))
    t = checked(r, ctx_file)
    assert texts(t, "//p:Target_Identification/p:name") == ["LAB SOURCE"]
    assert texts(t, "//p:Target_Identification/p:type") == ["Calibrator"]
    m.write_text('[context]\ntarget_type = "Rock"\n')
    with pytest.raises(LabelError, match="'Rock' is not a PDS4 target type"):
        MigrationMap.load(m)


def test_unknown_body_still_refused(tmp_path, ctx_file):
    r = migrate_product(relabel(tmp_path, TARGET_NAME="VULCAN"), options(tmp_path, ctx_file))
    assert r.status == "failed" and "'VULCAN'" in r.reason and "no generic target" in r.reason
    assert generic_target_type("VULCAN") is None


def test_target_types_are_the_schematron_list():
    sch = (Path(BUNDLED_DIR) / "pds" / "v1" / "PDS4_PDS_1M00.sch").read_text()
    rule = re.search(r'context="pds:Target_Identification/pds:type">\s*<sch:assert test="\. = \(([^)]*)\)', sch)
    assert rule is not None
    assert set(re.findall(r"'([^']*)'", rule.group(1))) == TARGET_TYPES
    assert set(GENERIC_TARGET_TYPES.values()) <= TARGET_TYPES


def test_mission_registered_with_article_and_kind_word(tmp_path, ctx_file):
    """``MISSION_NAME = "INTERNATIONAL ULTRAVIOLET EXPLORER"``: registered as "International
    Ultraviolet Explorer Mission"; found, written as registered, with a note."""
    r = migrate_product(relabel(tmp_path, MISSION_NAME='"INTERNATIONAL ULTRAVIOLET EXPLORER"'),
                        options(tmp_path, ctx_file))
    t = checked(r, ctx_file)
    assert texts(t, "//p:Investigation_Area//p:lid_reference") == ["urn:esa:psa:context:investigation:mission.iue"]
    assert texts(t, "//p:Investigation_Area/p:name") == ["International Ultraviolet Explorer Mission"]
    assert any(n.startswith("registered under another spelling: investigation 'INTERNATIONAL ULTRAVIOLET EXPLORER'")
               for n in r.notes)
    idx = ContextIndex.load([ctx_file])
    assert idx.find("investigation", ["ULTRAVIOLET EXPLORER"])[0] is None  # words are not dropped


#: hosts and missions as the real registered list names them (names copied from
#: registered_context_products.json: spacecraft.vo1, mission.viking, spacecraft.co,
#: mission.cassini-huygens), plus the traps the rule must not fall into
SPACECRAFT = {"Product_Context": [
    *REGISTERED["Product_Context"],
    {"lidvid": "urn:nasa:pds:context:instrument_host:spacecraft.vo1::1.0",
     "name": ["VIKING ORBITER 1", "THE VIKING ORBITER 1 SPACECRAFT"], "type": ["Spacecraft"]},
    {"lidvid": "urn:nasa:pds:context:investigation:mission.viking::2.1",
     "name": ["Viking", "Viking Project", "VIKING", "VIKING75"], "type": ["Mission"]},
    {"lidvid": "urn:nasa:pds:context:instrument_host:spacecraft.co::1.0", "name": ["CASSINI ORBITER"],
     "type": ["Spacecraft"]},
    {"lidvid": "urn:nasa:pds:context:investigation:mission.cassini-huygens::1.5",
     "name": ["Cassini", "Cassini-Huygens", "CASSINI-HUYGENS"], "type": ["Mission"]},
    # a spacecraft named after a body: the body is no mission
    {"lidvid": "urn:nasa:pds:context:instrument_host:spacecraft.mars_probe::1.0", "name": ["MARS PROBE"],
     "type": ["Spacecraft"]},
    {"lidvid": "urn:nasa:pds:context:investigation:mission.mars::1.0", "name": ["MARS"], "type": ["Mission"]},
    # two missions under one prefix, and a campaign (no mission) under another
    {"lidvid": "urn:nasa:pds:context:instrument_host:spacecraft.twin_a::1.0", "name": ["TWIN A"],
     "type": ["Spacecraft"]},
    {"lidvid": "urn:nasa:pds:context:investigation:mission.twin::1.0", "name": ["TWIN"], "type": ["Mission"]},
    {"lidvid": "urn:nasa:pds:context:investigation:mission.twin2::1.0", "name": ["TWIN"], "type": ["Mission"]},
    {"lidvid": "urn:nasa:pds:context:instrument_host:spacecraft.camp_a::1.0", "name": ["CAMP LANDER"],
     "type": ["Spacecraft"]},
    {"lidvid": "urn:nasa:pds:context:investigation:observing_campaign.camp::1.0", "name": ["CAMP"],
     "type": ["Observing Campaign"]},
]}


def test_mission_of_a_registered_spacecraft_when_the_label_names_none(tmp_path):
    idx = ContextIndex.load([_write(tmp_path, SPACECRAFT)])
    vo1 = "urn:nasa:pds:context:instrument_host:spacecraft.vo1"
    lid, type_, note, name = idx.mission_of_host(vo1, ["VIKING ORBITER 1"]) or ("", "", "", "")
    assert (lid, type_, name) == ("urn:nasa:pds:context:investigation:mission.viking", "Mission", "Viking")
    assert "no MISSION_NAME" in note and "'VIKING ORBITER 1'" in note
    co = idx.mission_of_host("urn:nasa:pds:context:instrument_host:spacecraft.co", ["CASSINI ORBITER", "CO"])
    assert co is not None and co[0].endswith("mission.cassini-huygens") and co[3] == "Cassini"
    # a body's name is no mission, two missions under one name are ambiguous, a campaign is no mission
    assert idx.mission_of_host("urn:nasa:pds:context:instrument_host:spacecraft.mars_probe", ["MARS PROBE"]) is None
    assert idx.mission_of_host("urn:nasa:pds:context:instrument_host:spacecraft.twin_a", ["TWIN A"]) is None
    assert idx.mission_of_host("urn:nasa:pds:context:instrument_host:spacecraft.camp_a", ["CAMP LANDER"]) is None


def _write(tmp_path: Path, data: dict) -> Path:
    p = tmp_path / "spacecraft.json"
    p.write_text(json.dumps(data))
    return p


def test_product_without_mission_name_migrates_under_its_spacecraft_s_mission(tmp_path):
    ctx = _write(tmp_path, SPACECRAFT)
    label = relabel(tmp_path, MISSION_NAME=None, INSTRUMENT_HOST_NAME='"VIKING ORBITER 1"')
    r = migrate_product(label, options(tmp_path, ctx))
    t = checked(r, ctx)
    assert texts(t, "//p:Investigation_Area/p:name") == ["Viking"]
    assert texts(t, "//p:Investigation_Area/p:type") == ["Mission"]
    assert texts(t, "//p:Investigation_Area//p:lid_reference") == ["urn:nasa:pds:context:investigation:mission.viking"]
    assert texts(t, "//p:Observing_System_Component[p:type='Host']//p:lid_reference") == [
        "urn:nasa:pds:context:instrument_host:spacecraft.vo1"]
    assert any("no MISSION_NAME" in n and "mission.viking" in n for n in r.notes)
    # a MISSION_NAME that is not registered is never replaced by the spacecraft's mission
    named = relabel(tmp_path, MISSION_NAME='"VIKING EXTENDED"', INSTRUMENT_HOST_NAME='"VIKING ORBITER 1"')
    r = migrate_product(named, options(tmp_path, ctx))
    assert r.status == "failed" and "'VIKING EXTENDED'" in r.reason
    # nor is a spacecraft whose name leads to no single mission given one
    twin = relabel(tmp_path, MISSION_NAME=None, INSTRUMENT_HOST_NAME='"TWIN A"')
    r = migrate_product(twin, options(tmp_path, ctx))
    assert r.status == "failed" and "[context] investigation" in r.reason


#: names as the real registered list gives them (comet.9p_tempel_1, comet.1p_halley; Vega by
#: ESA and by NASA; two NASA products under one star name; Shoemaker comets)
AGENCIES = {"Product_Context": [
    {"lidvid": "urn:nasa:pds:context:target:comet.9p_tempel_1::1.1",
     "name": ["9P/Tempel 1", "9P/Tempel 1 (1867 G1)"], "type": ["Comet"]},
    {"lidvid": "urn:nasa:pds:context:target:comet.1p_halley::1.0", "name": ["1P/Halley"], "type": ["Comet"]},
    {"lidvid": "urn:nasa:pds:context:target:comet.10p_tempel_2::1.0", "name": ["10P/Tempel 2"], "type": ["Comet"]},
    {"lidvid": "urn:nasa:pds:context:target:comet.c1984_k1_shoemaker::1.0", "name": ["C/1984 K1 (Shoemaker)"],
     "type": ["Comet"]},
    {"lidvid": "urn:esa:psa:context:target:star.hd_172167::1.2", "name": ["Vega", "HD 172167"], "type": ["Star"]},
    {"lidvid": "urn:nasa:pds:context:target:star.alf_lyr::1.0", "name": ["Vega", "alf Lyr"], "type": ["Star"]},
    {"lidvid": "urn:nasa:pds:context:target:star.eps_gem::1.0", "name": ["Epsilon Geminorum"], "type": ["Star"]},
    {"lidvid": "urn:nasa:pds:context:target:star.hd_44594::1.0", "name": ["Epsilon Geminorum"], "type": ["Star"]},
    {"lidvid": "urn:esa:psa:context:target:asteroid.x::1.0", "name": ["Xena"], "type": ["Asteroid"]},
    {"lidvid": "urn:nasa:pds:context:target:dwarf_planet.x::1.0", "name": ["Xena"], "type": ["Dwarf Planet"]},
]}


@pytest.mark.parametrize(("name", "lid", "written"), [
    ("TEMPEL 1", "urn:nasa:pds:context:target:comet.9p_tempel_1", "9P/Tempel 1"),
    ("HALLEY", "urn:nasa:pds:context:target:comet.1p_halley", "1P/Halley"),
    ("TEMPEL 2 (1873 L1)", "urn:nasa:pds:context:target:comet.10p_tempel_2", "10P/Tempel 2"),
    ("VEGA", "urn:nasa:pds:context:target:star.alf_lyr", "VEGA"),  # NASA's of ESA's and NASA's
    ("EPSILON GEMINORUM", None, None),  # two NASA products: ambiguous
    ("XENA", None, None),  # two agencies, two kinds of body: ambiguous
    ("SHOEMAKER", None, None),  # a non-periodic comet is never found by a part of its name
    ("TEMPEL", None, None),  # two periodic comets named Tempel: nothing is guessed
])
def test_target_names_of_periodic_comets_and_of_several_agencies(tmp_path, name, lid, written):
    idx = ContextIndex.load([_write(tmp_path, AGENCIES)])
    found, _, note, as_written = idx.find("target", [name])
    assert (found, as_written) == (lid, written), note


@pytest.mark.parametrize(("name", "pds4_type"), [
    ("CALIBRATION IMAGE", "Calibration"),
    ("SPECTRAL CALIBRATION TARGET", "Calibrator"),
    ("RADIOMETRIC CALIBRATION SOURCE", "Calibrator"),
    ("CALIBRATION LAMP", "Calibrator"),
    ("CALIBRATED", None),  # a word that only begins like it
])
def test_calibration_scenes_are_generic_targets(name, pds4_type):
    assert generic_target_type(name) == pds4_type
    assert pds4_type is None or pds4_type in TARGET_TYPES
