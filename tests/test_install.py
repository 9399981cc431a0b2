"""The package as a user installs it: the wheel builds without packaging warnings, and
the core alone (``pip install pdsgen``, no extras) in a fresh virtual environment runs
``pdsgen demo --only chems`` and reads products to the same values as this environment,
without ever importing a test-only or optional package.

The wheel and the core environment are built once per session (pip's cache makes the
install quick); the tests skip with a reason when PyPI cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
import venv
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.network]

#: never imported by pdsgen at run time: test references and optional extras
NOT_IMPORTED = ("pds4_tools", "elementpath", "pdr", "saxonche", "matplotlib", "distributed", "dask")


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PDSGEN_NO_CORPUS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PDSGEN_CATALOG", None)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, **kw)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> tuple[Path, str]:
    if not _pypi_reachable():
        pytest.skip("no network to PyPI: the install test needs it for the build backend and dependencies")
    out = tmp_path_factory.mktemp("wheel")
    # from a clean copy of the source: setuptools would reuse (and ship) a stale build/ folder
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "demo-out", "__pycache__", ".*_cache", ".hypothesis"))
    res = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(src)])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    (whl,) = out.glob("pdsgen-*.whl")
    return whl, res.stdout + res.stderr


@pytest.fixture(scope="session")
def core_env(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel and only its core dependencies."""
    where = tmp_path_factory.mktemp("core-venv")
    venv.create(where, with_pip=True)
    py = where / "bin" / "python"
    res = _run([str(py), "-m", "pip", "install", "--quiet", str(wheel[0])])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return where


def test_wheel_builds_without_packaging_warnings_and_ships_its_data(wheel):
    import zipfile

    whl, log = wheel
    for marker in ("Package would be ignored", "BuildBackendWarning", "SetuptoolsDeprecationWarning"):
        assert marker not in log, marker
    names = set(zipfile.ZipFile(whl).namelist())
    for need in ("pdsgen/py.typed", "pdsgen/templates/pds4/Product_Ancillary_table.xml.j2",
                 "pdsgen/labels/chems/CHEMS_PHA_CAL_V01.LBL",
                 "pdsgen/instruments/chems/recipe.toml", "pdsgen/instruments/fips/fips_angle_constants.csv",
                 "pdsgen/validate/schemas/pds/v1/PDS4_PDS_1M00.sch",
                 "pdsgen/validate/data/registered_context_products.json.gz"):
        assert need in names, need
    # the built-in instruments are registered through the same entry point a plug-in uses
    eps = next(zipfile.ZipFile(whl).read(n) for n in names if n.endswith(".dist-info/entry_points.txt")).decode()
    assert "[pdsgen.instruments]" in eps and "chems = pdsgen.instruments.chems:INSTRUMENT" in eps
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    meta = next(zipfile.ZipFile(whl).read(n) for n in names if n.endswith(".dist-info/METADATA")).decode()
    assert "License-Expression: BSD-3-Clause" in meta
    requires = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    assert not [r for r in core if any(m.replace("_", "-") in r for m in NOT_IMPORTED)], core


def test_core_install_runs_the_chems_demo_and_reads_like_the_full_install(core_env, tmp_path):
    py = core_env / "bin" / "python"
    res = _run([str(core_env / "bin" / "pdsgen"), "demo", "--only", "chems", "--out", str(tmp_path / "d")])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "0 instrument(s) with problems" in res.stdout, res.stdout
    # Schematron is the optional extra: the demo says so in one line instead of failing
    assert "Schematron not run: saxonche is not installed (pip install 'pdsgen[schematron]')" in res.stdout
    labels = sorted((tmp_path / "d" / "calibrated" / "chems").glob("*.xml"))
    assert len(labels) == 3
    smoke = (
        "import json, sys, pdsgen\n"
        "out = {}\n"
        "for path in sys.argv[1:]:\n"
        "    p = pdsgen.open(path)\n"
        "    t = p[0].to_table()\n"
        "    out[path] = {'lidvid': p.lidvid, 'rows': len(t), 'columns': t.colnames,\n"
        "                 'sums': {c: float(t[c].astype(float).sum()) for c in t.colnames if t[c].dtype.kind in 'iuf'}}\n"
        f"leaked = sorted(m for m in {NOT_IMPORTED!r} if m in sys.modules)\n"
        "print(json.dumps({'values': out, 'leaked': leaked}))\n"
    )
    core = _run([str(py), "-c", smoke, *map(str, labels)])
    assert core.returncode == 0, core.stderr[-3000:]
    here = _run([sys.executable, "-c", smoke, *map(str, labels)], cwd=str(tmp_path))
    assert here.returncode == 0, here.stderr[-3000:]
    got, ref = json.loads(core.stdout), json.loads(here.stdout)
    assert got["leaked"] == []
    assert got["values"] == ref["values"]
    assert all(v["rows"] > 0 for v in got["values"].values())
