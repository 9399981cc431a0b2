"""Hostile input, security part (issue 11): every case builds its hostile files in a sandbox
(tmp_path) and asserts the exit status, the message, that no content of a file outside the
sandbox's delivery reaches any output, that nothing is written outside, and that nothing
connects anywhere with --offline (a local TCP listener counts connections from any layer —
lxml, Saxon, urllib — and a Python audit hook watches sockets)."""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from synthetic_archive import make_bundle, observational_label, table_bytes

import pdsgen
from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.labels import read_pds4
from pdsgen.archive.package import package_bundle, package_collection
from pdsgen.archive.scan import scan
from pdsgen.cli import main
from pdsgen.errors import LabelError, ValidationRunError
from pdsgen.untrusted import ReferenceEscapeError, confine, name_problem
from pdsgen.validate import catalog as catalog_mod
from pdsgen.validate.catalog import Catalog, download_problem
from pdsgen.validate.schematron import check_schematron

SECRET = "root:x:0:0:SECRET-PASSWD-LINE:/root:/bin/bash"
CT = "2024-05-06T07:08:09Z"
SCH_NS = "http://purl.oclc.org/dsdl/schematron"


# --------------------------------------------------------------------------- sandbox helpers
@pytest.fixture()
def sandbox(tmp_path):
    """(delivery folder, the secret file outside it): /etc/passwd-style content."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text(SECRET + "\n")
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    return delivery, outside / "passwd"


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


class Listener:
    """A TCP server on 127.0.0.1 that counts connections (closes each at once)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture()
def listener():
    srv = Listener()
    yield srv
    srv.close()


_SOCKET_EVENTS: list[tuple] = []
_WATCH = threading.Event()


def _audit(event, args):
    if _WATCH.is_set() and event in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
        _SOCKET_EVENTS.append((event, args))


sys.addaudithook(_audit)


@pytest.fixture()
def no_python_sockets():
    """Records Python-level socket/urllib events while the test runs; asserts none happened."""
    _SOCKET_EVENTS.clear()
    _WATCH.set()
    yield _SOCKET_EVENTS
    _WATCH.clear()
    assert _SOCKET_EVENTS == []


def _label(file_name: str = "p.tab", *, records: int = 3, doctype: str = "", schemas: str | None = None,
           sch_href: str | None = None) -> str:
    text = observational_label("urn:nasa:pds:hostile:data:p", "1.0", "Hostile &xxe; product" if doctype else
                               "Hostile product", "2005-01-01T00:00:00Z", "2005-01-01T01:00:00Z", file_name, records)
    head, rest = text.split("<Product_Observational", 1)
    if sch_href is not None:
        head = head.replace('href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1M00.sch"', f'href="{sch_href}"')
    if schemas is not None:
        rest = rest.replace("https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1M00.xsd", schemas, 1)
    return head + doctype + "<Product_Observational" + rest


def _write_product(folder: Path, **kw) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "p.tab").write_bytes(table_bytes(range(3)))
    label = folder / "p.xml"
    label.write_text(_label(**kw))
    return label


def _validate(args: list[str], tmp_path: Path) -> tuple[int, str, dict, str]:
    """Run `pdsgen validate` in-process (one job); (exit code, text output, JSON report, HTML report)."""
    runner = CliRunner()
    common = ["validate", "--offline", "--jobs", "1", "--no-context"]
    text = runner.invoke(main, [*common, *args])
    jpath, hpath = tmp_path / "report.json", tmp_path / "report.html"
    runner.invoke(main, [*common, *args, "--format", "json", "--report", str(jpath)])
    runner.invoke(main, [*common, *args, "--format", "html", "--report", str(hpath)])
    return text.exit_code, text.output, json.loads(jpath.read_text()), hpath.read_text()


def _types(report: dict) -> set[str]:
    return {m["messageType"] for m in report["summary"]["messageTypes"]}


# --------------------------------------------------------------------------- 1. XML entities
def _entity(kind: str, secret: Path, port: int = 9) -> str:
    return {
        "file": f'<!DOCTYPE Product_Observational [<!ENTITY xxe SYSTEM "file://{secret}">]>\n',
        "internal": '<!DOCTYPE Product_Observational [<!ENTITY xxe "internal text">]>\n',
        "http": f'<!DOCTYPE Product_Observational [<!ENTITY xxe SYSTEM "http://127.0.0.1:{port}/x">]>\n',
        "parameter": f'<!DOCTYPE Product_Observational [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>\n',
        "external_dtd": f'<!DOCTYPE Product_Observational SYSTEM "file://{secret}">\n',
    }[kind]


@pytest.mark.parametrize("kind", ["file", "internal", "http", "parameter", "external_dtd"])
def test_entities_are_a_label_error_in_validate_and_never_expanded(sandbox, tmp_path, listener, kind,
                                                                   no_python_sockets):
    delivery, secret = sandbox
    doctype = _entity(kind, secret, listener.port)
    if kind in ("parameter", "external_dtd"):  # no &xxe; reference in the body: nothing declares it
        label = _write_product(delivery / "p")
        label.write_text(label.read_text().replace("<Product_Observational", doctype + "<Product_Observational", 1))
    else:
        label = _write_product(delivery / "p", doctype=doctype)
    code, text, report, html = _validate([str(label)], tmp_path)
    assert code == 1
    assert _types(report) == {"error.label.schema"}
    assert "internal_error" not in text
    assert ("declares XML entities" in text) or ("external DTD" in text)
    for out in (text, json.dumps(report), html):
        assert "SECRET-PASSWD-LINE" not in out
    assert listener.connections == 0


@pytest.mark.parametrize("kind", ["file", "internal", "http"])
def test_readers_refuse_entities_with_a_label_error(sandbox, listener, kind):
    delivery, secret = sandbox
    label = _write_product(delivery / "p", doctype=_entity(kind, secret, listener.port))
    with pytest.raises(LabelError) as err:
        pdsgen.open(label)
    assert str(label) in str(err.value) and "entities" in str(err.value)
    assert "SECRET" not in str(err.value)
    with pytest.raises(LabelError) as err:  # archive label reading (index)
        read_pds4(label)
    assert str(label) in str(err.value) and "SECRET" not in str(err.value)
    assert listener.connections == 0


def test_saxon_never_sees_a_doctype_nor_reads_files(sandbox, tmp_path, listener):
    """The Schematron stage on its own (API): a label with entities gets a finding and is not
    handed to Saxon; a Schematron that tries to read a file or URL is stopped by Saxon's
    configuration (no URI access at all for catalog/shipped Schematron)."""
    delivery, secret = sandbox
    label = _write_product(delivery / "p", doctype=_entity("file", secret))
    found = check_schematron(label.read_bytes(), _shipped_sch())
    assert [f.type for f in found] == ["error.label.schema"]
    assert all("SECRET" not in f.message for f in found)
    # a bare DOCTYPE is harmless: the label is handed over without it and checked normally
    bare = _write_product(delivery / "q")
    bare.write_text(bare.read_text().replace("<Product_Observational", "<!DOCTYPE Product_Observational>\n"
                                             "<Product_Observational", 1))
    assert [f for f in check_schematron(bare, _shipped_sch()) if f.is_error] == []
    # Saxon itself: a (user-given) Schematron reaching for a file or a URL is refused
    for target in (secret.as_uri(), f"http://127.0.0.1:{listener.port}/x"):
        sch = tmp_path / "reach.sch"
        sch.write_text(f'<sch:schema xmlns:sch="{SCH_NS}" queryBinding="xslt2"><sch:pattern><sch:rule context="/*">'
                       f'<sch:report test="true()"><sch:value-of select="unparsed-text(\'{target}\')"/></sch:report>'
                       "</sch:rule></sch:pattern></sch:schema>")
        with pytest.raises(ValidationRunError) as err:
            check_schematron(bare, sch)
        assert "prohibited" in str(err.value) and "SECRET" not in str(err.value)
    # XML that lxml cannot parse goes to Saxon as it is: Saxon's parser refuses any DOCTYPE
    raw = (f'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:{listener.port}/x">'
           f'<!ENTITY y SYSTEM "{secret.as_uri()}">]><r>&x;&y;</r><broken').encode()
    with pytest.raises(ValidationRunError) as err:
        check_schematron(raw, _shipped_sch())
    assert "DOCTYPE is disallowed" in str(err.value) and "SECRET" not in str(err.value)
    assert listener.connections == 0


def _shipped_sch() -> Path:
    return Path(catalog_mod.BUNDLED_DIR) / "pds" / "v1" / "PDS4_PDS_1M00.sch"


def test_internal_entities_do_not_break_schema_validation_api(sandbox):
    from pdsgen.untrusted import xml_parser
    from pdsgen.validate.xsd import check_xsd

    delivery, _ = sandbox
    label = _write_product(delivery / "p", doctype=_entity("internal", delivery))
    tree = etree.parse(str(label), xml_parser())
    found = check_xsd(tree, Catalog.load(None, offline=True, cache_dir=delivery / "cache"), file=str(label))
    assert [f.type for f in found] == ["error.label.schema"] and "entities" in found[0].message


# --------------------------------------------------------------------------- 2. paths stay inside
@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_pds4_file_name_outside_the_label_folder(sandbox, tmp_path, how):
    delivery, secret = sandbox
    folder = delivery / "p"
    folder.mkdir()
    ref = {"dotdot": "../../outside/passwd", "absolute": str(secret), "symlink": "link.tab"}[how]
    if how == "symlink":
        (folder / "link.tab").symlink_to(secret)
    label = folder / "p.xml"
    label.write_text(_label(ref, records=1))
    # reader: every object of the area carries the refusal, and reading it raises it
    product = pdsgen.open(label)
    err = product[0].error
    assert isinstance(err, ReferenceEscapeError) and err.reference == ref and err.path == str(label)
    with pytest.raises(LabelError, match="outside|absolute"):
        product[0].data  # noqa: B018
    # validate: an error of the label, no content echoed
    code, text, report, html = _validate([str(label)], tmp_path)
    assert code == 1
    assert "error.validation.file_naming_problem" in _types(report)
    assert "internal_error" not in text and ref in text
    for out in (text, json.dumps(report), html):
        assert "SECRET-PASSWD-LINE" not in out and secret.read_text()[:10] not in out


def test_file_names_inside_the_folder_still_resolve(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.tab").write_bytes(b"x")
    assert confine(tmp_path, "sub/x.tab") == tmp_path / "sub" / "x.tab"
    assert confine(tmp_path, "sub/../sub/x.tab").resolve() == (tmp_path / "sub" / "x.tab").resolve()
    (tmp_path / "alias.tab").symlink_to(tmp_path / "sub" / "x.tab")  # a link inside stays fine
    assert confine(tmp_path, "alias.tab") == tmp_path / "alias.tab"
    for bad in ("../x", "/etc/passwd", "C:/x", "sub/../../x", ""):
        with pytest.raises(ReferenceEscapeError):
            confine(tmp_path, bad)
    with pytest.raises(ReferenceEscapeError):
        confine(tmp_path, "sub/x.tab", single=True)


PDS3 = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 6
FILE_RECORDS = 2
^TABLE = "{data}"
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 2
  ROW_BYTES = 6
  COLUMNS = 1
  {structure}
END_OBJECT = TABLE
END
"""
COLUMN = """OBJECT = COLUMN
    NAME = X
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 1
    BYTES = 4
  END_OBJECT = COLUMN"""


def test_pds3_pointer_outside_the_label_folder(sandbox, tmp_path):
    delivery, secret = sandbox
    label = delivery / "t.lbl"
    label.write_text(PDS3.format(data="../outside/passwd", structure=COLUMN))
    with pytest.raises(LabelError) as err:
        pdsgen.open(label)[0].data  # noqa: B018
    assert "../outside/passwd" in str(err.value) and str(label) in str(err.value)
    assert "SECRET" not in str(err.value)
    code, text, report, html = _validate([str(label)], tmp_path)
    assert code == 1 and "error.validation.file_naming_problem" in _types(report)
    for out in (text, json.dumps(report), html):
        assert "SECRET-PASSWD-LINE" not in out


def test_pds3_structure_include_outside(sandbox, tmp_path):
    delivery, secret = sandbox
    (delivery / "t.tab").write_bytes(b"   1\r\n   2\r\n")
    fmt = secret.parent / "cols.fmt"
    fmt.write_text(COLUMN.replace("NAME = X", "NAME = OUTSIDE_SECRET"))
    label = delivery / "t.lbl"
    label.write_text(PDS3.format(data="t.tab", structure='^STRUCTURE = "../outside/cols.fmt"'))
    with pytest.raises(LabelError) as err:
        pdsgen.open(label)[0].data  # noqa: B018
    assert "^STRUCTURE" in str(err.value) and "../outside/cols.fmt" in str(err.value)
    # the volume rule still works: a format file in a LABEL folder up the tree
    (delivery / "LABEL").mkdir()
    (delivery / "LABEL" / "COLS.FMT").write_text(COLUMN)
    (delivery / "data").mkdir()
    (delivery / "data" / "t.tab").write_bytes(b"   1\r\n   2\r\n")
    inner = delivery / "data" / "t.lbl"
    inner.write_text(PDS3.format(data="t.tab", structure='^STRUCTURE = "COLS.FMT"'))
    assert list(pdsgen.open(inner)[0].data["X"]) == [1, 2]
    code, text, report, html = _validate([str(label)], tmp_path)
    assert code == 1 and "OUTSIDE_SECRET" not in text + json.dumps(report) + html


def test_archive_never_writes_outside_for_a_crafted_inventory_name(tmp_path):
    root = make_bundle(tmp_path / "b" / "synth", 3, n_calibrations=1)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_collection(root, root / "data", idx, creation_time=CT)
        label = root / "data" / "collection_data.xml"
        label.write_text(label.read_text().replace("<file_name>collection_data_inventory.csv</file_name>",
                                                   "<file_name>../../../evil_inventory.csv</file_name>"))
        (root / "data" / "d0000" / "p0000000.xml").unlink()  # a changed member list forces a rewrite
        before = _snapshot(tmp_path)
        with pytest.raises(ReferenceEscapeError) as err:
            package_collection(root, root / "data", idx, creation_time=CT)
        assert "../../../evil_inventory.csv" in str(err.value) and str(label) in str(err.value)
        runner = CliRunner()
        result = runner.invoke(main, ["archive", "bundle", str(root), "--db", str(tmp_path / "i.sqlite"),
                                      "--creation-time", CT])
    assert result.exit_code == 2, result.output
    assert "evil_inventory" in result.output and "Traceback" not in result.output
    after = _snapshot(tmp_path)
    assert not (tmp_path / "evil_inventory.csv").exists()
    new = {k for k in after if k not in before and not k.startswith("i.sqlite")}
    assert new == set()


def test_archive_bundle_refuses_a_lid_that_leads_outside(tmp_path):
    root = make_bundle(tmp_path / "b" / "synth", 2, n_calibrations=1)
    before = _snapshot(tmp_path)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx, pytest.raises(ReferenceEscapeError) as err:
        package_bundle(root, idx, lid="urn:nasa:pds:synth/../../../escaped", creation_time=CT,
                       manifest_dir=tmp_path / "b")
    assert "escaped" in str(err.value)
    after = _snapshot(tmp_path)
    assert {k for k in after if k not in before and not k.startswith("i.sqlite")} == set()


def test_archive_symlinks_out_of_the_bundle_are_neither_read_nor_written(sandbox, tmp_path):
    delivery, secret = sandbox
    root = make_bundle(delivery / "synth", 2, n_calibrations=1)
    elsewhere = secret.parent / "coll"
    elsewhere.mkdir()
    (elsewhere / "q.tab").write_bytes(table_bytes(range(3)))
    (elsewhere / "q.xml").write_text(observational_label(
        "urn:nasa:pds:synth:evil:q", "1.0", "OUTSIDE-TITLE", "2005-01-01T00:00:00Z", "2005-01-01T01:00:00Z",
        "q.tab", 3))
    (root / "evil").symlink_to(elsewhere, target_is_directory=True)  # a collection folder out of the root
    (root / "data" / "link.xml").symlink_to(elsewhere / "q.xml")      # a label out of the root
    before = _snapshot(secret.parent)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        report = scan(root, idx)
        titles = [r[0] for r in idx.execute("SELECT title FROM products")]
        assert any("symbolic link" in e for e in report.errors)
        assert "OUTSIDE-TITLE" not in titles
        with pytest.raises(ReferenceEscapeError, match="outside the bundle root"):
            package_collection(root, root / "evil", idx, creation_time=CT)
        result = package_bundle(root, idx, creation_time=CT, manifest_dir=tmp_path / "out")
    assert [c.folder.name for c in result.collections] == ["calibration", "data"]  # not the linked one
    assert ("data/link.xml", "is a symbolic link leading outside the bundle") in result.left_out
    assert "link.xml" not in result.checksum_manifest.read_text()
    assert _snapshot(secret.parent) == before


def test_validate_does_not_follow_a_label_link_out_of_the_folder(sandbox, tmp_path):
    delivery, secret = sandbox
    root = make_bundle(delivery / "synth", 1, n_calibrations=0)
    (secret.parent / "q.xml").write_text("<Product_Observational>OUTSIDE-CONTENT</broken>")
    (root / "data" / "link.xml").symlink_to(secret.parent / "q.xml")
    code, text, report, html = _validate([str(root), "--no-content"], tmp_path)
    assert code == 1 and "leading outside the folder validated" in text
    for out in (text, json.dumps(report), html):
        assert "OUTSIDE-CONTENT" not in out and "broken" not in out


def test_scan_does_not_index_files_outside_the_label_folder(sandbox, tmp_path):
    delivery, secret = sandbox
    folder = delivery / "data"
    folder.mkdir()
    (folder / "p.xml").write_text(_label("../../outside/passwd", records=1))
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        report = scan(delivery, idx)
        paths = [r[0] for r in idx.execute("SELECT path FROM files")]
    assert report.errors and "../../outside/passwd" in report.errors[0]
    assert all("passwd" not in p for p in paths)


@pytest.mark.parametrize("location", ["../../outside/x.xsd", "{secret}", "file://{secret}"])
def test_schema_locations_outside_the_label_folder_are_not_read(sandbox, tmp_path, location):
    delivery, secret = sandbox
    (secret.parent / "x.xsd").write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')
    label = _write_product(delivery / "p", schemas=location.format(secret=secret.parent / "x.xsd"))
    code, text, report, html = _validate([str(label)], tmp_path)
    assert code == 1 and "error.label.unresolvable_resource" in _types(report)
    assert "not read" in text


# --------------------------------------------------------------------------- 3. Schematron from labels
def _local_sch(folder: Path, test: str, name: str = "local.sch") -> Path:
    sch = folder / name
    sch.write_text(f'<sch:schema xmlns:sch="{SCH_NS}" queryBinding="xslt2">'
                   '<sch:ns uri="http://pds.nasa.gov/pds4/pds/v1" prefix="pds"/>'
                   '<sch:pattern><sch:rule context="pds:Product_Observational">'
                   f'<sch:assert test="{test}">LOCAL-RULE-FIRED</sch:assert></sch:rule></sch:pattern></sch:schema>')
    return sch


def test_label_local_schematron_runs_sandboxed_unless_refused(sandbox, tmp_path):
    delivery, _ = sandbox
    label = _write_product(delivery / "p", sch_href="local.sch")
    _local_sch(label.parent, "false()")
    code, text, report, _ = _validate([str(label), "--no-local-schematron"], tmp_path)
    assert code == 1
    assert "error.label.unresolvable_resource" in _types(report)
    assert "--no-local-schematron" in text and "LOCAL-RULE-FIRED" not in text
    code, text, report, _ = _validate([str(label)], tmp_path)  # validate runs it: so does pdsgen
    assert "LOCAL-RULE-FIRED" in text and "error.label.schematron" in _types(report)
    said = [m for r in report["productLevelValidationResults"] for m in r["messages"]
            if m.get("type", m.get("messageType")) == "info.validation.general"]
    assert len(said) == 1 and "label-local Schematron 'local.sch' run sandboxed" in said[0]["message"]


@pytest.mark.parametrize("test, why", [
    ("contains(unparsed-text('../../outside/passwd'), 'root')", "outside"),
    ("contains(unparsed-text('{secret}'), 'root')", "URI|absolute"),
    ("contains(unparsed-text(concat('../../outside/', 'passwd')), 'root')", "computed"),
    ("exists(doc('file:///etc/hostname'))", "URI"),
    ("exists(collection('..'))", "outside"),
    ("environment-variable('HOME') = ''", "environment-variable"),
    ("function-lookup(xs:QName('fn:doc'), 1)('x') = ''", "function-lookup"),
])
def test_label_local_schematron_file_access_is_confined(sandbox, tmp_path, test, why):
    delivery, secret = sandbox
    label = _write_product(delivery / "p", sch_href="local.sch")
    _local_sch(label.parent, test.replace("{secret}", secret.as_uri()))
    code, text, report, html = _validate([str(label), "--allow-local-schematron"], tmp_path)
    assert code == 1 and "error.label.unresolvable_resource" in _types(report)
    assert "not run" in text
    assert re.search(why, text), text
    for out in (text, json.dumps(report), html):
        assert "SECRET-PASSWD-LINE" not in out


def test_label_local_schematron_may_read_inside_its_folder(sandbox, tmp_path):
    delivery, _ = sandbox
    label = _write_product(delivery / "p", sch_href="local.sch")
    (label.parent / "note.txt").write_text("NOTE-INSIDE")
    _local_sch(label.parent, "contains(unparsed-text('note.txt'), 'NOTE-INSIDE')")
    code, text, report, _ = _validate([str(label), "--allow-local-schematron"], tmp_path)
    assert code == 0, text
    assert "LOCAL-RULE-FIRED" not in text


def test_label_local_schematron_outside_the_folder_and_includes(sandbox, tmp_path):
    delivery, secret = sandbox
    _local_sch(secret.parent, "false()", "elsewhere.sch")
    label = _write_product(delivery / "p", sch_href="../../outside/elsewhere.sch")
    code, text, report, _ = _validate([str(label), "--allow-local-schematron"], tmp_path)
    assert code == 1 and "outside" in text and "LOCAL-RULE-FIRED" not in text
    label = _write_product(delivery / "q", sch_href="inc.sch")
    (label.parent / "inc.sch").write_text(
        f'<sch:schema xmlns:sch="{SCH_NS}" queryBinding="xslt2"><sch:include href="../../outside/elsewhere.sch"/>'
        "</sch:schema>")
    code, text, report, _ = _validate([str(label), "--allow-local-schematron"], tmp_path)
    assert code == 1 and "sch:include" in text and "LOCAL-RULE-FIRED" not in text


# --------------------------------------------------------------------------- 4. downloads
def test_offline_means_no_connection_at_all(sandbox, tmp_path, listener, no_python_sockets):
    delivery, _ = sandbox
    base = f"http://127.0.0.1:{listener.port}"
    label = _write_product(delivery / "p", schemas=f"{base}/x.xsd", sch_href=f"{base}/x.sch")
    code, text, report, _ = _validate([str(label)], tmp_path)
    assert code == 1 and "error.label.unresolvable_resource" in _types(report)
    assert "offline" in text
    assert listener.connections == 0


def test_download_only_from_allowed_hosts(tmp_path, listener, monkeypatch):
    url = f"http://127.0.0.1:{listener.port}/x.xsd"
    cat = Catalog.load(None, offline=False, cache_dir=tmp_path / "cache")
    with pytest.raises(ValidationRunError, match="not one schemas are downloaded from"):
        cat.resolve(url)
    assert listener.connections == 0
    assert download_problem("ftp://pds.nasa.gov/x.xsd", catalog_mod.DEFAULT_SCHEMA_HOSTS)
    assert download_problem("file:///etc/passwd", catalog_mod.DEFAULT_SCHEMA_HOSTS)
    assert download_problem("https://pds.nasa.gov/pds4/x.xsd", catalog_mod.DEFAULT_SCHEMA_HOSTS) is None
    assert download_problem("https://psa.esa.int/psa/v1/x.xsd", catalog_mod.DEFAULT_SCHEMA_HOSTS) is None
    # the CLI's --schema-host adds to the defaults
    from pdsgen.validate.runner import Options

    cat = Options(schema_hosts=("example.org",), catalog_path=None).get_catalog()
    assert "example.org" in cat.allowed_hosts and "pds.nasa.gov" in cat.allowed_hosts


class _Server:
    """A tiny HTTP server: /big (more than the cap), /redirect (to a host not allowed), /ok."""

    def __init__(self, cap: int):
        import http.server

        cap_ = cap

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://evil.invalid/x.xsd")
                    self.end_headers()
                    return
                body = b"<x/>" if self.path == "/ok" else b"x" * (cap_ * 3)
                self.send_response(200)
                if self.path != "/big-unsized":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog_mod, "MAX_DOWNLOAD_BYTES", 1000)
    monkeypatch.setattr(catalog_mod, "_failed", {})
    srv = _Server(1000)
    try:
        cat = Catalog.load(None, offline=False, cache_dir=tmp_path / "cache", allowed_hosts=("127.0.0.1",))
        base = f"http://127.0.0.1:{srv.port}"
        assert cat.resolve(f"{base}/ok").read_bytes() == b"<x/>"
        for path, why in (("/big", "more than"), ("/big-unsized", "more than"), ("/redirect", "redirected")):
            with pytest.raises(ValidationRunError, match=why):
                cat.resolve(f"{base}{path}")
        leftovers = [p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()]
        assert leftovers == ["ok"]  # nothing half-downloaded stays in the cache
    finally:
        srv.close()


# --------------------------------------------------------------------------- 5. names and manifests
def test_names_with_control_characters_never_reach_a_manifest(tmp_path):
    root = make_bundle(tmp_path / "b" / "synth", 2, n_calibrations=1)
    forged = "x.tab\r\nd41d8cd98f00b204e9800998ecf8427e  forged.tab"
    (root / "data" / "d0000" / forged).write_bytes(b"1")
    (root / "data" / "d0000" / "tab\there.tab").write_bytes(b"1")
    runner = CliRunner()
    result = runner.invoke(main, ["archive", "bundle", str(root), "--db", str(tmp_path / "i.sqlite"),
                                  "--creation-time", CT, "--manifest-dir", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    complaints = [line for line in result.output.splitlines() if "left out of the manifests" in line]
    assert len(complaints) == 2 and all("control characters" in c for c in complaints)
    for manifest in (tmp_path / "out").iterdir():
        data = manifest.read_bytes()
        assert b"forged" not in data and b"tab\there" not in data
        lines = data.split(b"\r\n")
        assert lines[-1] == b"" and all(re.fullmatch(rb"\S+ +[A-Za-z0-9_./-]+", line) for line in lines[:-1])
    checksum = next((tmp_path / "out").glob("*checksum*")).read_text()
    assert "data/d0000/p0000000.tab" in checksum  # the good files are all there


def test_validate_reports_names_with_forbidden_characters(tmp_path):
    root = make_bundle(tmp_path / "synth", 1, n_calibrations=0)
    (root / "data" / "d0000" / "bad\nname.tab").write_bytes(b"1")
    code, text, report, _ = _validate([str(root), "--no-content"], tmp_path)
    assert code == 1 and "error.file.name_has_invalid_characters" in _types(report)
    line = next(t for t in text.splitlines() if "name_has_invalid_characters:" in t)
    assert "bad\\nname.tab: file name 'bad\\nname.tab' holds control characters" in line  # one line
    assert name_problem("ok_name-1.tab") is None
    assert "control" in name_problem("a\nb")
    assert "outside" in name_problem("a b.tab")


def test_label_file_name_with_a_tab_is_reported(tmp_path):
    label = _write_product(tmp_path / "p")
    label.write_text(label.read_text().replace("<file_name>p.tab</file_name>", "<file_name>p&#9;x.tab</file_name>"))
    (tmp_path / "p" / "p\tx.tab").write_bytes(table_bytes(range(3)))
    code, text, report, _ = _validate([str(label), "--no-content"], tmp_path)
    assert code == 1 and "error.file.name_has_invalid_characters" in _types(report)



def test_regeneration_never_targets_a_label_path_outside_the_root(tmp_path):
    """An index handed in with --db is data too: a label path leading out of the bundle root
    stops the task before anything is staged or moved."""
    from pdsgen.archive.index import ProductRecord
    from pdsgen.archive.provenance import Resolver
    from pdsgen.archive.regenerate import StaleProduct, task_spec

    root = tmp_path / "bundle"
    root.mkdir()
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        resolver = Resolver(idx, root)
    rec = ProductRecord("../../evil/p.xml", "PDS4", 1, 1, "0" * 32, lid="urn:nasa:pds:b:c:p", vid="1.0")
    with pytest.raises(ReferenceEscapeError, match="index label path"):
        task_spec(root, StaleProduct(rec, ["input changed"], [], []), resolver, run_id="r",
                  creation_time=CT, bump="minor")
    good = ProductRecord("data/p.xml", "PDS4", 1, 1, "0" * 32, lid="urn:nasa:pds:b:c:p", vid="1.0")
    spec = task_spec(root, StaleProduct(good, ["input changed"], [], []), resolver, run_id="r",
                     creation_time=CT, bump="minor")
    assert spec["product_dir"] == str(root / "data") and spec["new_vid"] == "1.1"
