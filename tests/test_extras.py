"""Optional extras missing: the feature that needs one says in one line what to install,
and everything else still works (products written, other checks run)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import validate_cli_args, validate_options

from pdsgen.cli import main
from pdsgen.render import write_table
from pdsgen.validate import schematron
from pdsgen.validate.runner import Options, run
from tests._render_helpers import CREATED, context


def _product(tmp_path):
    t = {"a": np.arange(3, dtype="i4"), "b": np.array([1.5, 2.5, 3.5])}
    return write_table(t, tmp_path, basename="t", context=context(), creation_time=CREATED).label_path


def test_without_saxonche_schematron_is_a_warning_naming_the_extra(tmp_path, monkeypatch):
    label = _product(tmp_path)
    monkeypatch.setattr(schematron, "available", lambda: False)
    res = run([str(label)], Options(**validate_options(context=False)))
    findings = [(f.type, f.message) for f in res.all_findings()]
    assert ("warning.validation.not_checked",
            "Schematron not run (PDS4_PDS_1M00.sch): saxonche is not installed "
            "(pip install 'pdsgen[schematron]')") in findings
    assert not [f for f in res.all_findings() if f.is_error], findings
    assert [p.status for p in res.products] == ["PASS"]
    out = CliRunner().invoke(main, ["validate", *validate_cli_args(), str(label)])
    assert out.exit_code == 0, out.output
    assert "pip install 'pdsgen[schematron]'" in out.output and "internal_error" not in out.output


def test_without_saxonche_check_schematron_raises_a_clear_error(tmp_path, monkeypatch):
    import pytest
    from conftest import PDS_V1

    from pdsgen.errors import ValidationRunError

    monkeypatch.setattr(schematron, "available", lambda: False)
    monkeypatch.setattr(schematron, "_state", {})
    with pytest.raises(ValidationRunError, match=r"saxonche is not installed \(pip install 'pdsgen\[schematron\]'\)"):
        schematron.check_schematron(_product(tmp_path), PDS_V1 / "PDS4_PDS_1M00.sch")


@pytest.mark.parametrize("inst", ["aca", "chems", "fips"])
def test_without_matplotlib_products_are_written_and_plots_skipped(inst, tmp_path, monkeypatch):
    from pdsgen.recipes.demo import run_demo

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib...` fails as if absent
    (row,) = run_demo(tmp_path, instruments=[inst], validate=False)
    assert row.error is None and row.failed == 0 and row.products > 0, (row.error, row.problems)
    notes = [n for o in row.report.outcomes for n in o.notes] if row.report else []
    assert any("browse plot(s) skipped: matplotlib is not installed (pip install 'pdsgen[plots]')" in n
               for n in notes), notes
    assert not list((tmp_path / "calibrated" / inst).glob("*.png"))
    assert not [p for p in (tmp_path / "calibrated" / inst).glob("*.xml") if "Product_Browse" in p.read_text()]
    assert list((tmp_path / "calibrated" / inst).glob("*.xml"))


def test_without_distributed_the_dask_backend_names_the_extra(monkeypatch):
    import pytest

    from pdsgen.archive.backends import DaskBackend
    from pdsgen.archive.errors import ArchiveInputError

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ArchiveInputError, match=r"pip install 'pdsgen\[dask\]'"):
        DaskBackend("local", 1).run(lambda spec: spec, [{}], lambda *a: None)
