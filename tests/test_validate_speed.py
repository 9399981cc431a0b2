"""The speed layer of `pdsgen validate`: compiled Schematron on disk (invalidation, damaged
files, where it lives), executables that hold only the rules a label can fire (and find
what the whole Schematron finds), the run's Schematron plan, and ``--jobs auto``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PDS_V1, validate_options

from pdsgen.errors import ValidationRunError
from pdsgen.validate import schematron
from pdsgen.validate.runner import Options, run, schematron_plan
from pdsgen.validate.schematron import check_schematron, compiled_rules, context_elements

pytestmark = pytest.mark.skipif(not schematron.available(), reason="saxonche is not installed")

SCH = b"""<?xml version="1.0"?>
<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <sch:ns uri="urn:t" prefix="t"/>
  <sch:pattern>
    <sch:rule context="t:item[@kind='special']">
      <sch:assert test="@v = 'S'">special item must have v=S</sch:assert>
    </sch:rule>
    <sch:rule context="t:item">
      <sch:assert test="xs:integer(@v) le 3">item value <sch:value-of select="@v"/> exceeds 3</sch:assert>
    </sch:rule>
  </sch:pattern>
  <sch:pattern>
    <sch:rule context="t:name">
      <sch:assert test=". = ('Left to Right', 'Right to Left')">bad direction <sch:value-of select="."/></sch:assert>
    </sch:rule>
  </sch:pattern>
  <sch:pattern>
    <sch:rule context="/*">
      <sch:report test="count(//t:item) = 0">no items</sch:report>
    </sch:rule>
  </sch:pattern>
</sch:schema>
"""
ITEMS = b'<root xmlns="urn:t"><item v="1"/><item v="7"/><item kind="special" v="9"/></root>'
NAMES = b'<root xmlns="urn:t"><name>Up</name></root>'


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    """An empty user cache for the test, and no compiled Schematron left in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(schematron, "_executables", {})
    monkeypatch.setattr(schematron, "_expected", {})
    return tmp_path / "cache" / "pdsgen" / "schematron"


def messages(found) -> list[tuple[str, str, int | None, str | None]]:
    return [(f.type, f.message, f.line, f.context) for f in found]


def test_context_elements_names_what_a_rule_can_match():
    ns = {"pds": "urn:p", "t": "urn:t"}
    assert context_elements("pds:A/pds:B[pds:c = 'x|y']", ns) == {"{urn:p}B"}
    assert context_elements("//pds:A | t:item[@kind='special']", ns) == {"{urn:p}A", "{urn:t}item"}
    assert context_elements("pds:A[f(1)]//child::pds:B", ns) == {"{urn:p}B"}
    # anything it cannot tell: the rule always runs
    for ctx in ("/*", "*[@xsi:nil]", "pds:A/@b", "pds:*", "(pds:A|pds:B)", "pds:A/text()", "q:A", "A",
                "pds:A except pds:B"):
        assert context_elements(ctx, ns) is None, ctx


def test_cache_is_in_the_user_cache_and_follows_the_schematron_file(cache, tmp_path):
    sch = tmp_path / "t.sch"
    sch.write_bytes(SCH)
    assert schematron.cache_dir() == cache
    assert messages(check_schematron(ITEMS, sch)) == [
        ("error.label.schematron", "item value 7 exceeds 3", 1, "/root[1]/item[2]"),
        ("error.label.schematron", "special item must have v=S", 1, "/root[1]/item[3]"),
    ]
    (first,) = cache.glob("*.json")
    # the file changes (same size: the executable in memory is keyed by time too)
    sch.write_bytes(SCH.replace(b"exceeds 3", b"exceeds 4").replace(b"le 3", b"le 4"))
    assert [m for _t, m, *_ in messages(check_schematron(ITEMS, sch))] == [
        "item value 7 exceeds 4", "special item must have v=S"]
    assert len(list(cache.glob("*.json"))) == 2 and first.exists()


@pytest.mark.parametrize("damage", ["truncated", "edited", "not json", "old version"])
def test_a_damaged_cache_file_is_ignored_and_rebuilt(cache, tmp_path, monkeypatch, damage):
    sch = tmp_path / "t.sch"
    sch.write_bytes(SCH)
    expected = messages(check_schematron(ITEMS, sch))
    (cached,) = cache.glob("*.json")
    good = cached.read_bytes()
    data = json.loads(good)
    if damage == "truncated":
        cached.write_bytes(good[: len(good) // 2])
    elif damage == "edited":  # still JSON, a rule's test changed: the digest no longer matches
        data["rules"][1][1] = data["rules"][1][1].replace("le 3", "le 9")
        cached.write_text(json.dumps(data))
    elif damage == "not json":
        cached.write_bytes(b"\x00\xff garbage")
    else:
        data["compiler"] = "0"
        cached.write_text(json.dumps(data))
    monkeypatch.setattr(schematron, "_executables", {})  # a new process: only the disk cache
    assert messages(check_schematron(ITEMS, sch)) == expected
    assert json.loads(cached.read_bytes()) == json.loads(good)  # written again


def test_a_cached_stylesheet_saxon_rejects_is_compiled_again(cache, tmp_path, monkeypatch):
    sch = tmp_path / "t.sch"
    sch.write_bytes(SCH)
    expected = messages(check_schematron(ITEMS, sch))
    (cached,) = cache.glob("*.json")
    data = json.loads(cached.read_bytes())
    data["tail"] = "<xsl:template"  # not XML: Saxon refuses it (digest made to match)
    rules = data["rules"]
    data["sha256"] = schematron._digest(data["head"], data["tail"], rules)
    cached.write_text(json.dumps(data))
    monkeypatch.setattr(schematron, "_executables", {})
    assert messages(check_schematron(ITEMS, sch)) == expected


def test_executables_hold_the_rules_a_label_can_fire_and_find_the_same(cache, tmp_path):
    sch = tmp_path / "t.sch"
    sch.write_bytes(SCH)
    rules = compiled_rules(sch)
    assert [n for n, _t in rules.rules] == [{"{urn:t}item"}, {"{urn:t}item"}, {"{urn:t}name"}, None]
    items = messages(check_schematron(ITEMS, sch))
    (entry,) = schematron._executables.values()
    ((kept, _exe, _covered),) = entry.executables
    assert kept == {0, 1, 3}  # the t:name rule cannot fire on ITEMS: left out
    # a label that needs the left-out rule gets an executable that has it
    names = messages(check_schematron(NAMES, sch))
    assert names == [("error.label.schematron", "no items", 1, "/root[1]"),
                     ("error.label.schematron", "bad direction Up", 1, "/root[1]/name[1]")]
    assert [k for k, _e, _c in entry.executables] == [{0, 1, 3}, {2, 3}]
    # the same findings as the whole Schematron
    schematron._executables.clear()
    schematron.MAX_PRUNED, saved = 0, schematron.MAX_PRUNED
    try:
        assert messages(check_schematron(ITEMS, sch)) == items
        assert messages(check_schematron(NAMES, sch)) == names
        assert [k for k, _e, _c in next(iter(schematron._executables.values())).executables] == [None]
    finally:
        schematron.MAX_PRUNED = saved


def test_expected_elements_make_one_executable_for_the_run(cache, tmp_path):
    sch = tmp_path / "t.sch"
    sch.write_bytes(SCH)
    schematron.expect_elements({sch: {"root", "item", "name"}})
    check_schematron(ITEMS, sch)
    check_schematron(NAMES, sch)
    (entry,) = schematron._executables.values()
    assert [k for k, _e, _c in entry.executables] == [None]  # every rule was expected: all compiled once


def _products(folder: Path) -> list[Path]:
    from synthetic_archive import ancillary_label, observational_label, table_bytes

    data = table_bytes(range(3))
    out = []
    for i, make in enumerate((observational_label, ancillary_label, observational_label)):
        (folder / f"t{i}.tab").write_bytes(data)
        label = make(f"urn:nasa:pds:speed:data:t{i}", "1.0", f"product {i}", "2020-01-01T00:00:00Z",
                     "2020-01-02T00:00:00Z", f"t{i}.tab", 3)
        if i == 2:  # an information model version the 1M00 Schematron rejects
            label = label.replace("<information_model_version>1.22.0.0<", "<information_model_version>1.0.0.0<")
        (folder / f"t{i}.xml").write_text(label)
        out.append(folder / f"t{i}.xml")
    return out


def test_a_run_plans_its_schematron_keeps_its_target_clean_and_finds_the_same(cache, tmp_path):
    folder = tmp_path / "delivery"
    folder.mkdir()
    labels = _products(folder)
    before = sorted(p.name for p in folder.rglob("*"))
    opts = Options(**validate_options(context=False))
    plan = schematron_plan(labels, opts)
    ((sch, names),) = plan.items()
    assert Path(sch).name == "PDS4_PDS_1M00.sch"
    assert {"Product_Observational", "Product_Ancillary", "Table_Character", "information_model_version"} <= names
    result = run([str(folder)], Options(**validate_options(context=False)))
    found = sorted(messages(f for p in result.products for f in p.findings))
    assert ("error.label.schematron" in {t for t, *_ in found})
    assert sorted(p.name for p in folder.rglob("*")) == before  # nothing written into the target
    assert list(cache.glob("*.json"))  # the compiled Schematron is in the user cache
    (entry,) = [e for k, e in schematron._executables.items() if Path(k.split(":")[0]).name == "PDS4_PDS_1M00.sch"]
    assert len(entry.executables) == 1 and entry.executables[0][0] is not None
    assert len(entry.executables[0][0]) < len(entry.rules.rules)  # fewer rules than the file has
    # the whole Schematron finds the same
    schematron._executables.clear()
    schematron.MAX_PRUNED, saved = 0, schematron.MAX_PRUNED
    try:
        whole = run([str(folder)], Options(**validate_options(context=False)))
    finally:
        schematron.MAX_PRUNED = saved
    assert sorted(messages(f for p in whole.products for f in p.findings)) == found
    assert (PDS_V1 / "PDS4_PDS_1M00.sch").is_file()


@pytest.mark.parametrize(("given", "ok"), [("auto", True), ("2", True), ("0", False), ("many", False)])
def test_jobs_is_a_number_or_auto(tmp_path, given, ok):
    from pdsgen.cli.app import main

    res = CliRunner().invoke(main, ["validate", "--offline", "--no-context", "--jobs", given, str(tmp_path / "none.xml")])
    if ok:
        assert res.exit_code == 1 and "target does not exist" in res.output
    else:
        assert res.exit_code == 2 and "--jobs" in res.output


@pytest.mark.parametrize("rows", [3, 20_000])  # a small column (re first) and a large one (Arrow only)
def test_reals_a_double_cannot_hold_are_found_in_small_and_large_columns(rows):
    import numpy as np

    from pdsgen.validate.fieldtypes import joined_rows, real_out_of_range

    values = np.full(rows, b"   1.5E+02", dtype="S10")
    values[0], values[-1] = b"  1e999999", b" 1.0E-400"  # overflows to inf; underflows to 0
    values[1] = b"     0e999"  # zero: a double holds it
    matrix = values.view(np.uint8).reshape(rows, 10)
    expected = np.zeros(rows, dtype=bool)
    expected[0] = expected[-1] = True
    assert np.array_equal(real_out_of_range(matrix, joined=joined_rows(matrix)), expected)
    fine = np.full(3, b" 2.5E+101 ", dtype="S10").view(np.uint8).reshape(3, 10)
    assert not real_out_of_range(fine).any()


SCH_GLOBAL = SCH.replace(b'<sch:ns uri="urn:t" prefix="t"/>',
                         b'<sch:ns uri="urn:t" prefix="t"/><sch:let name="items" value="count(//t:item)"/>').replace(
    b'<sch:report test="count(//t:item) = 0">', b'<sch:report test="$items = 0">')
BARE_DOCTYPE = b'<!DOCTYPE root><root xmlns="urn:t"><item v="8"/>\n<name>Left  to\n Right</name></root>'


def _trees(*docs: bytes) -> list[tuple[object, bytes, str]]:
    from lxml import etree

    from pdsgen.untrusted import xml_parser

    return [(etree.ElementTree(etree.fromstring(d, xml_parser())), d, f"label{i}.xml") for i, d in enumerate(docs)]


def test_a_batch_of_labels_gets_each_label_its_own_findings(cache, tmp_path):
    # several labels in one Saxon transform: each label's findings (messages, lines, XPaths
    # from its own root) are those it gets alone
    sch = tmp_path / "t.sch"
    sch.write_bytes(SCH)
    labels = _trees(ITEMS, NAMES, b'<root xmlns="urn:t"><item v="2"/></root>', BARE_DOCTYPE, ITEMS)
    alone = [messages(check_schematron(tree, sch, file=file, xml=xml)) for tree, xml, file in labels]
    assert alone[1] == [("error.label.schematron", "no items", 1, "/root[1]"),
                        ("error.label.schematron", "bad direction Up", 1, "/root[1]/name[1]")]
    assert alone[2] == [] and alone[0] == alone[4]
    assert alone[3] == [("error.label.schematron", "item value 8 exceeds 3", 1, "/root[1]/item[1]")]
    batched = schematron.check_schematron_batch(labels, sch)
    assert [messages(found) for found in batched] == alone
    assert [f.file for found in batched for f in found] == [f"label{i}.xml" for i, n in enumerate(alone) for _ in n]


def test_a_label_whose_run_fails_gets_the_error_a_run_alone_raises(cache, tmp_path):
    # a schema-level sch:let is evaluated on "the document": Saxon has none for it (alone or
    # in a batch), so the run fails; each label of the batch gets the error it gets alone
    sch = tmp_path / "t.sch"
    sch.write_bytes(SCH_GLOBAL)
    labels = _trees(ITEMS, NAMES)
    with pytest.raises(ValidationRunError) as alone:
        check_schematron(labels[1][0], sch, file=labels[1][2], xml=labels[1][1])
    batched = schematron.check_schematron_batch(labels, sch)
    assert all(isinstance(out, ValidationRunError) for out in batched)
    assert batched[1].message == alone.value.message and "context item is absent" in alone.value.message


def test_a_batch_whose_transform_fails_runs_each_label_alone(cache, tmp_path, monkeypatch):
    sch = tmp_path / "t.sch"
    sch.write_bytes(SCH)
    labels = _trees(ITEMS, NAMES)
    alone = [messages(check_schematron(tree, sch, xml=xml)) for tree, xml, _f in labels]
    monkeypatch.setattr(schematron, "_run_batch", lambda exe, texts: None)
    assert [messages(found) for found in schematron.check_schematron_batch(labels, sch)] == alone


def test_validate_labels_gives_each_product_what_validate_label_gives(cache, tmp_path):
    from pdsgen.validate.runner import validate_label, validate_labels

    folder = tmp_path / "delivery"
    folder.mkdir()
    labels = _products(folder)
    (folder / "t1.tab").write_bytes(b"x")  # a content finding besides Schematron's
    opts = Options(**validate_options(context=False))
    items = [(p, True) for p in labels]
    one_by_one = [validate_label(p, opts, walked=True) for p in labels]
    together = validate_labels(items, opts)

    def summary(res):
        return res.label, res.status, [(f.type, f.message, f.line, f.context) for f in res.findings]

    assert [summary(r) for r in together] == [summary(r) for r in one_by_one]
    assert {f.type for r in together for f in r.findings} >= {"error.label.schematron",
                                                                "error.label.table_definition_problem"}
    assert [r.status for r in together] == [r.status for r in one_by_one] and "FAIL" in {r.status for r in together}
