"""The same Dask cluster for a large archive's regeneration, validation and indexing: a
real LocalCluster of worker processes on 127.0.0.1, reached by its address; results must
equal the local pool's."""

from __future__ import annotations

import shutil
import warnings

import pytest
import synthetic_archive as synthetic
from click.testing import CliRunner

from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.package import package_bundle
from pdsgen.archive.regenerate import regenerate
from pdsgen.archive.scan import scan
from pdsgen.cli import main

T0 = "2024-01-01T00:00:00Z"
T1 = "2024-02-01T00:00:00Z"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as c:
        yield c.scheduler_address


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    base = tmp_path_factory.mktemp("dask")
    root = synthetic.make_bundle(base / "synth", 40, n_calibrations=2, per_folder=20)
    synthetic.make_calibrated(root, creation_time=T0)
    with SQLiteIndex(base / "i.sqlite") as idx:
        package_bundle(root, idx, creation_time=T0, manifests=False)
    return base


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".pdsgen" not in p.parts}


def test_regenerate_on_a_scheduler_equals_the_pool(template, tmp_path, cluster):
    trees = {}
    for name, kw in (("pool", {"jobs": 2}), ("dask", {"scheduler": cluster})):
        work = tmp_path / name
        shutil.copytree(template, work)
        cal = work / "synth/calibration/cal001.tab"
        cal.write_bytes(b"     1500" + cal.read_bytes()[9:])
        with SQLiteIndex(work / "i.sqlite") as idx, warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # e.g. distributed's "large graph" warning
            rep = regenerate(work / "synth", idx, creation_time=T1, keep=True, **kw)
        assert len(rep.remade) == 20 and not rep.failed and not rep.invalid, (rep.failed, rep.invalid)
        trees[name] = _tree(work / "synth")
    assert trees["pool"] == trees["dask"]
    assert "data_calibrated/SUPERSEDED/v1_0/p0000039_cal.tab" in trees["dask"]


def _rows(db):
    with SQLiteIndex(db) as idx:
        return {t: sorted(idx.execute(f"SELECT * FROM {t}")) for t in ("products", "files", "provenance")}


def test_index_on_a_scheduler_equals_local(template, tmp_path, cluster):
    root = template / "synth"
    with SQLiteIndex(tmp_path / "local.sqlite") as idx:
        scan(root, idx)
    res = CliRunner().invoke(main, ["archive", "index", str(root), "--db", str(tmp_path / "dask.sqlite"),
                                    "--scheduler", cluster, "-q"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("86 products indexed: 86 added")  # 40 raw + 40 calibrated + 2 + 3 + 1
    assert _rows(tmp_path / "local.sqlite") == _rows(tmp_path / "dask.sqlite")


def test_validate_on_a_scheduler_equals_local(template, tmp_path, cluster):
    from pdsgen.validate.runner import Options, run

    root = tmp_path / "synth"
    shutil.copytree(template / "synth", root)
    tab = root / "data/d0001/p0000021.tab"
    tab.write_bytes(tab.read_bytes()[:-11])  # one record short: findings for that product
    outcomes = {}
    for name, kw in (("local", {"jobs": 1}), ("dask", {"scheduler": cluster})):
        res = run([str(root)], Options(rule="bundle", offline=True, context=False, **kw))
        outcomes[name] = [(p.label, p.status, sorted(f.type for f in p.findings)) for p in res.products]
        outcomes[name].append(sorted(f.type for f in res.all_findings()))
    assert outcomes["local"] == outcomes["dask"]
    bad = [o for o in outcomes["dask"] if o[0].endswith("p0000021.xml")]
    assert bad and bad[0][1] == "FAIL"
    res = CliRunner().invoke(main, ["validate", str(root / "data"), "--scheduler", cluster, "--offline",
                                    "--no-context"])
    assert res.exit_code == 1 and "p0000021" in res.output


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    root = synthetic.make_bundle(tmp_path / "s", 1, n_calibrations=0)
    res = CliRunner().invoke(main, ["validate", str(root), "--scheduler", "tcp://127.0.0.1:9", "--offline"])
    assert res.exit_code == 2 and "cannot reach the Dask scheduler tcp://127.0.0.1:9" in res.output
