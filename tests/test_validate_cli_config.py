"""validate's configuration file (-c), its deprecated flags and its comma-separated values,
as ValidateLauncher and commons-configuration 1.x read them (docs/validate.md)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from test_validate_rules import observational

from pdsgen.cli.app import main
from pdsgen.cli.validate import split_commas
from pdsgen.cli.validate_config import config_arguments, read_properties


def cli(*args: str):
    return CliRunner().invoke(main, ["validate", "--offline", "--jobs", "1", *args])


def _bad_product(folder: Path) -> Path:
    label = observational(folder, "p.xml", "urn:nasa:pds:b:data:p", "p.tab")
    (folder / "p.tab").write_bytes(b"1\r\nx\r\n")  # record 2 is not an ASCII_Integer
    return label


def _types(path: Path) -> set[str]:
    return {m["messageType"] for m in json.loads(path.read_text())["summary"]["messageTypes"]}


def test_properties_reader(tmp_path):
    f = tmp_path / "v.properties"
    f.write_text(
        "# a comment\n"
        "! another\n"
        "validate.target = a.xml, \"b c.xml\"\n"
        "validate.target=d.xml\n"            # a key given again adds its values
        "validate.schema : x.xsd\n"
        "validate.rule pds4.bundle\n"        # a blank separates key and value too
        "validate.report = out\\\n"
        "    .txt\n"                         # a continued line
        "validate.extension = a\\,b\n"       # an escaped comma is no list delimiter
        "validate.local=\n"
    )
    props = read_properties(f)
    assert props == {
        "validate.target": ["a.xml", '"b c.xml"', "d.xml"],
        "validate.schema": ["x.xsd"],
        "validate.rule": ["pds4.bundle"],
        "validate.report": ["out.txt"],
        "validate.extension": ["a,b"],
        "validate.local": [""],
    }


def test_config_keys_become_options(tmp_path, capsys):
    f = tmp_path / "v.cfg"
    f.write_text("validate.target = \"a.xml\", b.xml\nvalidate.skipContentValidation = yes\n"
                 "validate.skipContextValidation = false\nvalidate.ignoreProductValidation = false\n"
                 "validate.reportStyle = json\nvalidate.verbose = 1\nvalidate.catalog = c.xml\n"
                 "validate.force = true\n")
    args = config_arguments(str(f))
    # quotes dropped; `false` turns skipContextValidation off but ignoreProductValidation on
    # (validate tests only that that key is there); validate.catalog and force are not read
    assert args == ["--config-target", "a.xml", "--config-target", "b.xml", "--skip-content-validation",
                    "--skip-product-validation", "--report-style", "json", "--verbose", "1"]
    assert "validate.catalog ignored" in capsys.readouterr().err


def test_config_file_runs_like_the_command_line(tmp_path):
    label = _bad_product(tmp_path)
    report = tmp_path / "r.json"
    cfg = tmp_path / "v.cfg"
    cfg.write_text(f"validate.target = {label}\nvalidate.skipContextValidation = true\n"
                   f"validate.reportStyle = json\nvalidate.report = {report}\n")
    res = cli("-c", str(cfg))
    assert res.exit_code == 1, res.output
    assert "error.table.field_value_data_type_mismatch" in _types(report)
    # a target on the command line replaces the file's targets (validate's setTargets order)
    good = tmp_path / "good"
    good.mkdir()
    other = observational(good, "q.xml", "urn:nasa:pds:b:data:q", "q.tab")
    (good / "q.tab").write_bytes(b"1\r\n2\r\n")
    res = cli("--config", str(cfg), str(other))
    assert res.exit_code in (0, 1), res.output  # (the test labels cite no schema)
    assert json.loads(report.read_text())["targets"] == [str(other)]
    assert "error.table.field_value_data_type_mismatch" not in _types(report)
    # -skip-content-validation from the file turns the failing check off
    cfg.write_text(cfg.read_text() + "validate.skipContentValidation = true\n")
    assert cli("-c", str(cfg)).exit_code in (0, 1)
    assert "error.table.field_value_data_type_mismatch" not in _types(report)


def test_bad_config_files_cannot_run(tmp_path):
    assert cli("-c", str(tmp_path / "missing.cfg")).exit_code == 2
    empty = tmp_path / "empty.cfg"
    empty.write_text("# nothing\n\n")
    assert cli("-c", str(empty)).exit_code == 2
    bad = tmp_path / "bad.cfg"
    bad.write_text("validate.target = a.xml\nvalidate.local = maybe\n")
    res = cli("-c", str(bad))
    assert res.exit_code == 2 and "not a boolean" in res.output
    bad.write_text("validate.target = a.xml\nvalidate.maxErrors = lots\n")
    assert cli("-c", str(bad)).exit_code == 2


def test_comma_separated_values(tmp_path):
    assert split_commas(("a.xsd,b.xsd", "c.xsd")) == ("a.xsd", "b.xsd", "c.xsd")
    odd = tmp_path / "x,y.xml"
    odd.write_text("<x/>")
    assert split_commas((str(odd),)) == (str(odd),)  # a name that exists is kept whole
    # two labels as one comma-separated target: both are validated
    a = _bad_product(tmp_path)
    sub = tmp_path / "s"
    sub.mkdir()
    b = _bad_product(sub)
    report = tmp_path / "r.json"
    res = cli("--skip-context-validation", "-s", "json", "-r", str(report), "-t", f"{a},{b}")
    assert res.exit_code == 1
    assert sorted(json.loads(report.read_text())["targets"]) == sorted([str(a), str(b)])


def test_deprecated_and_informational_flags(tmp_path):
    label = _bad_product(tmp_path)
    for flag in (["-f"], ["--force"], ["-m", "1.0"], ["--model-version", "1.0"]):
        res = cli(*flag, "--skip-context-validation", str(label))
        assert res.exit_code == 1 and "deprecated" in res.output  # accepted, the run goes on
    # --no-data-check: validate's old name of --skip-content-validation
    report = tmp_path / "r.json"
    cli("--no-data-check", "--skip-context-validation", "-s", "json", "-r", str(report), str(label))
    assert "error.table.field_value_data_type_mismatch" not in _types(report)
    cli("--skip-context-validation", "-s", "json", "-r", str(report), str(label))
    assert "error.table.field_value_data_type_mismatch" in _types(report)
    assert cli("--everyN", "0", str(label)).exit_code == 2  # validate: N must be >= 1
    assert cli("--everyN", "3", "--skip-context-validation", str(label)).exit_code == 1
    res = cli("-V")
    assert res.exit_code == 0 and "pdsgen validate" in res.output
