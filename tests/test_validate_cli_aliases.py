"""validate's command line accepted by `pdsgen validate` (docs/validate.md, the mapping table)."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_validate_rules import observational

from pdsgen.cli.app import main
from pdsgen.cli.validate import label_extensions, normalise_argv, target_path


def cli(*args: str):
    return CliRunner().invoke(main, ["validate", "--offline", "--jobs", "1", *args])


def report(res, path: Path) -> dict:
    assert res.exit_code in (0, 1), res.output
    return json.loads(path.read_text())


def types_of(data: dict) -> set[str]:
    return {m["messageType"] for m in data["summary"]["messageTypes"]}


def test_argv_normalisation():
    longs = {"--schema", "--schematron", "--rule", "--skip-content-validation"}
    assert normalise_argv(["-schema", "a.xsd", "-skip-content-validation", "-rule", "pds4.label"], longs) == [
        "-x", "a.xsd", "--skip-content-validation", "--rule", "pds4.label"]
    assert normalise_argv(["-t", "a.xml", "b/", "-R", "pds4.label"], longs) == ["a.xml", "b/", "-R", "pds4.label"]
    # several schemas after one -x; a following label is a target, not a schema
    assert normalise_argv(["-x", "a.xsd", "b.xsd", "p.xml"], longs) == ["-x", "a.xsd", "-x", "b.xsd", "p.xml"]
    assert normalise_argv(["-C", "cat.xml", "bundle/"], longs) == ["-C", "cat.xml", "bundle/"]
    assert label_extensions(("*.xml", "lblx", ".LBL")) == (".xml", ".lblx", ".LBL")


def test_targets_as_file_urls_and_percent_encoded_paths(tmp_path):
    folder = tmp_path / "dir with spaces"
    folder.mkdir()
    label = folder / "a.xml"
    label.write_text("<x/>")
    assert target_path(f"file://{label}") == str(label)
    assert target_path(str(tmp_path / "dir%20with%20spaces" / "a.xml")) == str(label)
    assert target_path("plain.xml") == "plain.xml"


def test_validate_spellings_run_the_same_checks(tmp_path):
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    (tmp_path / "p.tab").write_bytes(b"1\r\nx\r\n")  # record 2 is not an ASCII_Integer
    out_a, out_b = tmp_path / "a.json", tmp_path / "b.json"
    a = report(cli("--rule", "product", "--format", "json", "--report", str(out_a), "--no-context", str(label)), out_a)
    b = report(cli("-R", "pds4.label", "-s", "json", "-r", str(out_b), "--skip-context-validation",
                   "-t", f"file://{label}"), out_b)
    assert types_of(a) == types_of(b) and "error.table.field_value_data_type_mismatch" in types_of(b)
    # --skip-content-validation (and -D) turns the content check off, and the summary says so
    out_c = tmp_path / "c.json"
    c = report(cli("-R", "pds4.label", "-D", "-s", "json", "-r", str(out_c), "-skip-context-validation",
                   "-t", str(label)), out_c)
    assert "error.table.field_value_data_type_mismatch" not in types_of(c)
    assert any("content" in s for s in c["configuration"]["skippedChecks"])
    # -s xml writes validate's XML style
    out_x = tmp_path / "r.xml"
    res = cli("-s", "xml", "-r", str(out_x), "--skip-context-validation", str(label))
    assert res.exit_code == 1 and b"<totalErrors>" in out_x.read_bytes()


def test_unknown_rule_or_style_is_a_usage_error(tmp_path):
    assert cli("-R", "pds4.nonsense", str(tmp_path)).exit_code == 2
    assert cli("-s", "yaml", str(tmp_path)).exit_code == 2


def test_checksum_manifest(tmp_path):
    label = observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    md5 = {n: hashlib.md5((tmp_path / n).read_bytes()).hexdigest() for n in ("p.xml", "p.tab")}
    manifest = tmp_path / "checksum.txt"
    manifest.write_text(f"{md5['p.xml']}  p.xml\n{md5['p.tab']}  p.tab\n")
    out = tmp_path / "r.json"
    ok = report(cli("-M", str(manifest), "-s", "json", "-r", str(out), "--skip-context-validation", str(label)), out)
    assert not {t for t in types_of(ok) if "checksum" in t}
    manifest.write_text(f"{md5['p.xml']}  p.xml\n{'0' * 32}  p.tab\n")
    bad = report(cli("--checksum-manifest", str(manifest), "-s", "json", "-r", str(out),
                     "--skip-context-validation", str(label)), out)
    assert "error.label.checksum_mismatch" in types_of(bad)
    # p.tab not listed: missing when the label gives its md5_checksum (validate's handleChecksum)
    label.write_text(label.read_text().replace("</file_name>", f"</file_name><md5_checksum>{md5['p.tab']}</md5_checksum>"))
    manifest.write_text(f"{hashlib.md5(label.read_bytes()).hexdigest()}  p.xml\n")
    missing = report(cli("-M", str(manifest), "-s", "json", "-r", str(out), "--skip-context-validation",
                         str(label)), out)
    assert "error.label.missing_checksum" in types_of(missing)


def test_target_manifest_and_local(tmp_path):
    a = observational(tmp_path, "a.xml", "urn:nasa:pds:b:data:a", "a.tab")
    sub = tmp_path / "sub"
    sub.mkdir()
    observational(sub, "b.xml", "urn:nasa:pds:b:data:b", "b.tab")
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# targets\n{a}\n")
    out = tmp_path / "r.json"
    data = report(cli("--target-manifest", str(listing), "-s", "json", "-r", str(out),
                      "--skip-context-validation"), out)
    assert [p["label"] for p in data["productLevelValidationResults"]] == [str(a)]
    data = report(cli("-L", "-s", "json", "-r", str(out), "--skip-context-validation", str(tmp_path)), out)
    assert [Path(p["label"]).name for p in data["productLevelValidationResults"]] == ["a.xml"]


def test_add_context_products_adds_to_the_default_list(tmp_path):
    label = tmp_path / "p.xml"
    observational(tmp_path, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    text = label.read_text().replace(
        "<File_Area_Observational>",
        "<Observation_Area><Investigation_Area><name>Mine</name><type>Mission</type><Internal_Reference>"
        "<lid_reference>urn:nasa:pds:context:investigation:mission.mine</lid_reference>"
        "<reference_type>data_to_investigation</reference_type></Internal_Reference></Investigation_Area>"
        "</Observation_Area><File_Area_Observational>")
    label.write_text(text)
    out = tmp_path / "r.json"
    data = report(cli("-s", "json", "-r", str(out), str(label)), out)
    assert "error.label.context_ref_not_found" in types_of(data)  # checked by default, not registered
    extra = tmp_path / "mine.json"
    extra.write_text(json.dumps({"Product_Context": [
        {"lidvid": "urn:nasa:pds:context:investigation:mission.mine::1.0", "name": ["Mine"], "type": ["Mission"]}]}))
    data = report(cli("--add-context-products", str(extra), "-s", "json", "-r", str(out), str(label)), out)
    assert "error.label.context_ref_not_found" not in types_of(data)
    # the default list was used as well, and is named in the configuration with its date
    assert len(data["configuration"]["contextProducts"]) == 2


class _Registry(BaseHTTPRequestHandler):
    pages: list[dict] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        after = "search-after=" in self.path
        body = json.dumps(self.pages[1 if after else 0]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def registry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/products"
    server.shutdown()
    server.server_close()


def test_update_context_products_pages_and_bounds(tmp_path, registry_server, monkeypatch):
    import pdsgen.validate.context_products as context
    from pdsgen.errors import ValidationRunError

    monkeypatch.setattr(context, "REGISTRY_PAGE", 2)
    _Registry.pages = [
        {"data": [{"id": "urn:nasa:pds:context:target:planet.mars::1.0", "title": "Mars",
                   "properties": {"pds:Target.pds:name": ["Mars"], "pds:Target.pds:type": ["Planet"]}},
                  {"id": "urn:nasa:pds:context:instrument_host:spacecraft.mro::1.0", "title": "MRO",
                   "properties": {"pds:Alias.pds:alternate_title": ["Mars Reconnaissance Orbiter"],
                                  "pds:Instrument_Host.pds:type": ["Spacecraft"]}}]},
        {"data": [{"id": "urn:nasa:pds:context:target:planet.venus::1.0", "title": "Venus",
                   "properties": {"pds:Target.pds:type": ["Planet"]}}]},
    ]
    dest, n = context.update_context_products(tmp_path / "ctx.json", url=registry_server, timeout=5)
    assert n == 3
    reg = context.ContextRegistry.load(dest)
    mro = reg.products["urn:nasa:pds:context:instrument_host:spacecraft.mro"]
    assert mro["names_exact"] == {"MRO", "Mars Reconnaissance Orbiter"} and mro["types_exact"] == {"Spacecraft"}
    # bounded: a download larger than allowed leaves the old list and says why
    before = dest.read_bytes()
    with pytest.raises(ValidationRunError, match="exceed"):
        context.update_context_products(dest, url=registry_server, timeout=5, max_bytes=100)
    assert dest.read_bytes() == before
