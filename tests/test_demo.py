"""`pdsgen demo`: generation is deterministic, the recipes run, every product validates."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from conftest import CATALOG_ARG, CONTEXT, validate_options

from pdsgen.cli import main
from pdsgen.recipes.demo import run_demo
from pdsgen.recipes.demo_data import INSTRUMENTS, generate


def _digest(folder):
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("inst", ["chems", "fips"])
def test_generators_deterministic(inst, tmp_path):
    a = generate(inst, tmp_path / "a", seed=7)
    generate(inst, tmp_path / "b", seed=7)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    generate(inst, tmp_path / "c", seed=8)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert a.recipe == {"chems": "chems-pha", "fips": "fips-cdr"}[inst]
    assert all(p.is_file() for p in a.inputs + a.calibrations)


def test_chems_and_fips_demo_products_validate(tmp_path, monkeypatch):
    if CATALOG_ARG:
        monkeypatch.setenv("PDSGEN_CATALOG", CATALOG_ARG)
    rows = run_demo(tmp_path, instruments=["chems", "fips"], creation_time="2026-01-01T00:00:00Z")
    for row in rows:
        assert row.ok, (row.error, row.problems)
        # two products per input: chems a table and its M vs M/Q browse plot; fips a PHA EDR its
        # events and velocity distribution, a scan EDR its spectra and their E/q browse plot
        assert row.products == 2 * row.inputs and row.validated == row.products and row.invalid == 0
    assert (tmp_path / "calibrated" / "chems" / "cpha0_2004183_0001_cal.xml").is_file()
    if CATALOG_ARG:  # a checkout with ../shared: the demo checks context references against its list
        assert CONTEXT.is_file()


def test_demo_cli_all_instruments(tmp_path):
    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), *(["--catalog", CATALOG_ARG] if CATALOG_ARG else []),
                                    "--creation-time", "2026-01-01T00:00:00Z"])
    assert res.exit_code == 0, res.output
    for inst in INSTRUMENTS:
        assert inst in res.output
        assert any((tmp_path / "calibrated" / inst).glob("*.xml")), inst
    assert "0 instrument(s) with problems" in res.output
    # a delivery reviewer's full check: no errors and no warnings either (context names
    # must match the registered context products, deprecated values must not be used)
    from pdsgen.validate.runner import Options, run

    report = run([str(tmp_path / "calibrated"), str(tmp_path / "browse")], Options(**validate_options()))
    findings = [f for f in report.all_findings() if not f.type.startswith("info.")]  # PNG: "not checked"
    assert [str(f) for f in findings] == []
    assert len(report.products) >= 35
    # browse plots are products of their bundle's browse collection, in browse/<instrument>/
    for label in (tmp_path / "browse").rglob("*.xml"):
        assert ":browse:" in label.read_text(), label


def test_demo_cli_reports_a_broken_validator_catalog(tmp_path):
    bad = tmp_path / "catalog.xml"
    # an unreadable catalog (the core schemas ship with pdsgen, so an empty one would work)
    bad.write_text('<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">')
    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "d"), "--only", "chems", "--catalog", str(bad)])
    assert res.exit_code == 1
    assert "chems" in res.output and "FAILED" in res.output
