"""Label machinery: template loader chain and errors, escaping, identifier rules, times,
determinism and atomic writes."""

from __future__ import annotations

import os

import numpy as np
import pytest
from lxml import etree

from pdsgen.errors import DataError, LabelError, PdsgenError, TemplateError
from pdsgen.render import (
    LabelEnvironment,
    check_lid,
    check_vid,
    commit_files,
    information_model,
    iso_utc,
    render_label,
    resolve_creation_time,
    write_array,
    write_table,
)
from pdsgen.render.escape import pds3_string, pds3_text, pds3_value
from tests._render_helpers import CREATED, context
from tests.conftest import SCHEMAS

# ------------------------------------------------------------------ templates


def test_undefined_variable_names_template_and_line(tmp_path):
    (tmp_path / "mine.xml.j2").write_text("<a>\n  <b>{{ product.title }}</b>\n  <c>{{ nope }}</c>\n</a>\n")
    env = LabelEnvironment(tmp_path)
    with pytest.raises(TemplateError) as err:
        env.render("mine.xml.j2", {"product": context()})
    msg = str(err.value)
    assert "mine.xml.j2" in msg and "line 3" in msg and "nope" in msg and "undefined" in msg


def test_syntax_error_names_template_and_line(tmp_path):
    (tmp_path / "bad.xml.j2").write_text("<a>\n{% if x %}\n</a>\n")
    with pytest.raises(TemplateError, match=r"bad\.xml\.j2: line \d"):
        render_label("bad.xml.j2", {}, tmp_path)


def test_missing_template_and_folder(tmp_path):
    with pytest.raises(TemplateError, match="not found"):
        render_label("pds4/nothing.xml.j2", {}, tmp_path)
    with pytest.raises(TemplateError, match="does not exist"):
        LabelEnvironment(tmp_path / "absent")


def test_project_template_overrides_builtin_and_can_extend_it(tmp_path):
    """A team's folder comes first; the built-ins stay reachable as builtin/…."""
    (tmp_path / "pds4").mkdir()
    (tmp_path / "pds4" / "Product_Observational_table.xml.j2").write_text(
        '{% extends "builtin/pds4/Product_Observational_table.xml.j2" %}\n'
        "{% block reference_list %}  <!-- team {{ product.extra.team }} -->\n{% endblock %}\n"
    )
    ctx = context(extra={"team": "MIMI & co"})
    out = write_table({"x": np.arange(3)}, tmp_path, basename="o", context=ctx,
                      templates_dir=tmp_path, creation_time=CREATED)
    text = out.label_path.read_text()
    assert "<!-- team MIMI &amp; co -->" in text
    assert "<Reference_List>" not in text  # the overridden block
    assert "<Table_Character>" in text  # the rest comes from the built-in
    etree.fromstring(out.label_path.read_bytes())


def test_xml_escaping_round_trips(tmp_path):
    title = 'a < b & c > "d" \'e\' — ünïcode'
    out = write_table({"x": np.arange(2)}, tmp_path, basename="e", context=context(title=title),
                      descriptions={"x": "<&>"}, creation_time=CREATED)
    doc = etree.parse(str(out.label_path))
    ns = {"p": "http://pds.nasa.gov/pds4/pds/v1"}
    assert doc.findtext(".//p:title", namespaces=ns) == title
    assert doc.findtext(".//p:Field_Character/p:description", namespaces=ns) == "<&>"


def test_pds3_quoting():
    assert pds3_string("abc") == '"abc"'
    with pytest.raises(LabelError, match="double quote"):
        pds3_string('say "hi"')
    with pytest.raises(LabelError, match="non-ASCII"):
        pds3_string("é")
    assert pds3_value([1, 2.5, "x"]) == '(1, 2.5, "x")'
    assert pds3_value(1e-20) == "1E-20"
    wrapped = pds3_text("word " * 40, indent=2, width=40, first=10)
    assert all(len(line) <= 40 for line in wrapped.splitlines())
    assert wrapped.startswith('"word') and wrapped.endswith('word"')


# ------------------------------------------------------------------ identifiers


@pytest.mark.parametrize("lid", [
    "urn:nasa:pds:b:c:p", "urn:esa:psa:bundle_1:data-raw:p.1", "urn:nasa:pds:" + "a" * 200,
])
def test_valid_lids(lid):
    assert check_lid(lid) == lid


@pytest.mark.parametrize("lid,why", [
    ("urn:nasa:pds:B:c:p", "lower case"),
    ("urn:nasa:pds:b:c:p q", "may only hold"),
    ("urn:nasa:pds:b:c:p::1.0", "LIDVID"),
    ("urn:foo:bar:b:c:p", "must start"),
    ("urn:nasa:pds:" + "a" * 250, "255"),
    ("urn:nasa:pds:b:c:d:e", "1 to 3 components"),
])
def test_invalid_lids(lid, why):
    with pytest.raises(LabelError, match=why):
        check_lid(lid)


def test_product_lid_level_and_vid(tmp_path):
    with pytest.raises(LabelError, match="not a product LID"):
        write_table({"x": np.arange(2)}, tmp_path, basename="x", context=context(lid="urn:nasa:pds:b:c"))
    with pytest.raises(LabelError, match="major"):
        check_vid("1")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.shared
@pytest.mark.parametrize("version,code", [("1.22.0.0", "1M00"), ("1.10.1.0", "1A10"), ("1.0.0.0", "1000"),
                                          ("1.24.0.0", "1O00"), ("1.11.0.0", "1B00")])
def test_information_model_files_exist(version, code):
    im = information_model(version)
    assert im.code == code
    assert im.schema_url.endswith(f"PDS4_PDS_{code}.xsd")
    local = SCHEMAS / "pds4" / "pds" / "v1"
    assert (local / f"PDS4_PDS_{code}.xsd").is_file() and (local / f"PDS4_PDS_{code}.sch").is_file()


# ------------------------------------------------------------------ times


def test_iso_utc():
    from datetime import datetime, timedelta, timezone

    assert iso_utc("2004-01-01") == "2004-01-01T00:00:00Z"
    assert iso_utc("2004-01-01T10:20:30.123") == "2004-01-01T10:20:30.123Z"
    assert iso_utc("2004-001T10:20:30") == "2004-01-01T10:20:30Z"
    assert iso_utc("2004-060T10:20:30.125Z") == "2004-02-29T10:20:30.125Z"
    assert iso_utc("2005-365") == "2005-12-31T00:00:00Z"
    with pytest.raises(LabelError, match="day of year"):
        iso_utc("2005-366T00:00:00")
    tz = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2004, 1, 1, 2, 0, 0, 500000, tzinfo=tz)) == "2004-01-01T00:00:00.5Z"
    assert iso_utc(np.datetime64("2004-02-29T01:02:03")) == "2004-02-29T01:02:03Z"
    with pytest.raises(LabelError):
        iso_utc("2004-02-30T00:00:00")
    with pytest.raises(LabelError):
        iso_utc("yesterday")


def test_creation_time_sources(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    assert iso_utc(resolve_creation_time()) == "1970-01-02T00:00:00Z"
    assert iso_utc(resolve_creation_time("2020-05-05T00:00:00Z")) == "2020-05-05T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(LabelError):
        resolve_creation_time()


# ------------------------------------------------------------------ determinism and atomicity


@pytest.mark.parametrize("standard", ["pds4", "pds3"])
def test_byte_identical_outputs(tmp_path, monkeypatch, standard):
    rng = np.random.default_rng(9)
    table = {"a": rng.normal(size=100), "b": rng.integers(0, 9, 100)}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    outs = []
    for k in range(2):
        d = tmp_path / str(k)
        d.mkdir()
        w1 = write_table(table, d, basename="t", context=context(), standard=standard)
        w2 = write_array(np.arange(9.0).reshape(3, 3), d,
                         basename="i", context=context(), standard=standard)
        outs.append([p.read_bytes() for p in (w1.label_path, w1.data_path, w2.label_path, w2.data_path)])
    assert outs[0] == outs[1]
    assert b"2023-11-14T22:13:20Z" in outs[0][0]


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    real = os.replace
    calls = []

    def failing(src, dst):
        calls.append(dst)
        if str(dst).endswith(".xml"):
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(DataError, match="No space left"):
        write_table({"x": np.arange(3)}, tmp_path, basename="t", context=context())
    assert len(calls) == 2  # data renamed, then the label failed …
    assert list(tmp_path.iterdir()) == []  # … and the data was taken back, temp files gone


def test_bad_data_is_refused_before_writing(tmp_path):
    with pytest.raises(DataError, match="missing_constant"):
        write_table({"x": np.array([1.0, np.nan])}, tmp_path, basename="t", context=context())
    with pytest.raises(DataError, match="infinite"):
        write_table({"x": np.array([1.0, np.inf])}, tmp_path, basename="t", context=context())
    with pytest.raises(DataError, match="control characters"):
        write_table({"s": np.array(["a\r\nb"])}, tmp_path, basename="t", context=context())
    with pytest.raises(DataError, match="double quote"):
        write_table({"s": np.array(['a"b'])}, tmp_path, basename="t", context=context(),
                    table_format="delimited")
    with pytest.raises(LabelError, match="Product_Observational needs"):
        write_table({"x": np.arange(2)}, tmp_path, basename="t", context=context(targets=[]))
    with pytest.raises(LabelError, match="base name"):
        write_table({"x": np.arange(2)}, tmp_path, basename="../t", context=context())
    assert list(tmp_path.iterdir()) == []


def test_commit_files_order(tmp_path):
    commit_files([(tmp_path / "a.dat", b"1"), (tmp_path / "a.xml", b"2")])
    assert (tmp_path / "a.dat").read_bytes() == b"1" and (tmp_path / "a.xml").read_bytes() == b"2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.dat", "a.xml"]


def test_all_errors_are_pdsgen_errors(tmp_path):
    with pytest.raises(PdsgenError):
        write_table([1, 2, 3], tmp_path, basename="t", context=context())
    with pytest.raises(PdsgenError):
        write_table({"x": np.arange(2)}, tmp_path / "missing", basename="t", context=context())


def test_nul_in_text_refused(tmp_path):
    with pytest.raises(DataError, match="NUL"):
        write_table({"s": np.array([b"a\x00b", b"c"])}, tmp_path, basename="t", context=context())


def test_binary_text_checks(tmp_path):
    with pytest.raises(DataError, match="'s' holds NUL"):
        write_table({"s": np.array([b"a\x00b", b"c"])}, tmp_path, basename="t", context=context(),
                    table_format="binary")
    with pytest.raises(DataError, match="'s' holds control"):
        write_table({"s": np.array(["a\tb"])}, tmp_path, basename="t", context=context(),
                    table_format="binary")


def test_big_tables_threaded_formatting_is_deterministic(tmp_path):
    """Above ~400k cells columns are formatted on threads: same bytes, same first error."""
    rng = np.random.default_rng(4)
    n = 110_000
    table = {"a": rng.normal(size=n), "b": rng.integers(-9, 9, n), "c": rng.normal(size=n).astype("f4"),
             "d": np.array(["x", "yy"])[rng.integers(0, 2, n)]}
    outs = []
    for k in range(2):
        (tmp_path / str(k)).mkdir()
        w = write_table(table, tmp_path / str(k), basename="big", context=context(), creation_time=CREATED)
        outs.append((w.data_path.read_bytes(), w.label_path.read_bytes()))
    assert outs[0] == outs[1]
    first = outs[0][0][: outs[0][0].index(b"\r\n")].split()
    assert float(first[0]) == table["a"][0] and int(first[1]) == table["b"][0]
    assert np.float32(float(first[2])) == table["c"][0] and first[3].decode() == table["d"][0]
    bad = dict(table, b=table["a"].copy(), c=table["a"].copy())
    bad["b"][5] = np.inf
    bad["c"][7] = np.nan
    with pytest.raises(DataError, match="'b' holds infinite"):
        write_table(bad, tmp_path, basename="bad", context=context())


def test_empty_pds4_table_refused(tmp_path):
    with pytest.raises(DataError, match="at least one record"):
        write_table({"a": np.array([], dtype="i4")}, tmp_path, basename="e", context=context())
    assert list(tmp_path.iterdir()) == []


def test_field_location_in_a_template_is_refused_with_the_fix(tmp_path):
    """A template written when fields had a 1-based ``location`` must not come out one
    byte off: ``f.location`` on a model.Field is refused, naming ``start``."""
    from pdsgen.errors import TemplateError
    from pdsgen.model import Field
    from pdsgen.render.env import LabelEnvironment

    (tmp_path / "old.xml.j2").write_text("<field_location>{{ f.location }}</field_location>\n")
    (tmp_path / "new.xml.j2").write_text("<field_location>{{ f.start }}</field_location>\n")
    env = LabelEnvironment(tmp_path)
    f = Field(name="COUNTS", data_type="UnsignedMSB2", location=10, length=2)
    assert env.render("new.xml.j2", {"f": f}) == "<field_location>11</field_location>\n"
    with pytest.raises(TemplateError) as err:
        env.render("old.xml.j2", {"f": f})
    assert "old.xml.j2" in str(err.value) and "'start'" in str(err.value) and "COUNTS" in str(err.value)
    # dictionaries (migrate's and the demo labels' field rows) keep their own 'location'
    (tmp_path / "dict.xml.j2").write_text("{{ f.location }}")
    assert env.render("dict.xml.j2", {"f": {"location": 1}}) == "1"
