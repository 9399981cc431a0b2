"""The same Dask cluster for a large archive's regeneration, validation and indexing: a
real LocalCluster of worker processes on 127.0.0.1, reached by its address; results must
equal the local pool's."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

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


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    import pdsgen.distributed

    monkeypatch.setattr(pdsgen.distributed, "CONNECT_SECONDS", 2)  # a refused port: no need to wait 30 s
    root = synthetic.make_bundle(tmp_path / "s", 1, n_calibrations=0)
    res = CliRunner().invoke(main, ["validate", str(root), "--scheduler", "tcp://127.0.0.1:9", "--offline"])
    assert res.exit_code == 2 and "cannot reach the Dask scheduler tcp://127.0.0.1:9" in res.output


# ------------------------------------------------------------------ separate processes
def _wait(what, test, timeout_s: float, procs) -> None:
    """Wait until ``test()``; skip the test (with the processes' logs) when it does not come."""
    end = time.monotonic() + timeout_s
    while not test():
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() > end:
            pytest.skip(f"the dask CLI could not start {what}: " + ", ".join(
                f"pid {p.pid} exit {p.poll()}" for p in procs))
        time.sleep(0.1)


def _address(scheduler_file: Path) -> str | None:
    """The scheduler's address once its file is written whole."""
    try:
        return json.loads(scheduler_file.read_text())["address"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture
def processes(tmp_path):
    """A Dask scheduler and two single-threaded workers, each its own process on 127.0.0.1
    (ports chosen by the OS, the address read from the scheduler file), without nannies
    (a killed worker stays dead); each remake waits 0.1 s so a run lasts long enough to
    kill a worker in the middle. Every process is ended when the test ends, pass or fail."""
    sched_file = tmp_path / "scheduler.json"
    tests_dir = str(Path(__file__).resolve().parent)
    env = {**os.environ, synthetic.REMAKE_DELAY_ENV: "0.1",
           "PYTHONPATH": os.pathsep.join(p for p in (tests_dir, os.environ.get("PYTHONPATH")) if p)}
    procs: list[subprocess.Popen] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, module: str, *args: str) -> subprocess.Popen:
        with open(logs / f"{name}.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", module, *args], env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    try:
        start("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
              "--no-dashboard", "--scheduler-file", str(sched_file))
        _wait("a scheduler", lambda: _address(sched_file), 60, procs)
        address = _address(sched_file)
        workers = [start(f"worker{i}", "distributed.cli.dask_worker", "--scheduler-file", str(sched_file),
                         "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny", "--memory-limit", "500MB",
                         "--no-dashboard", "--death-timeout", "60", "--name", f"w{i}")
                   for i in range(2)]
        from distributed import Client

        with Client(address, timeout=30) as client:
            _wait("two workers", lambda: len(client.scheduler_info()["workers"]) == 2, 60, procs)
        yield address, workers
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _stale_copy(template, work):
    """A copy of the template archive whose calibration cal001 changed (20 products stale);
    the `archive regenerate` arguments for it."""
    shutil.copytree(template, work)
    cal = work / "synth/calibration/cal001.tab"
    cal.write_bytes(b"     1500" + cal.read_bytes()[9:])
    return ["archive", "regenerate", str(work / "synth"), "--db", str(work / "i.sqlite"),
            "--keep-superseded", "--creation-time", T1]


def _invoke_killing(args, staging, victims, after: int):
    """Invoke the CLI with ``args`` while a thread SIGKILLs ``victims`` once ``after``
    remade labels wait in ``staging``; (result, number of labels ready at the kill)."""
    seen: list[int] = []
    stop = threading.Event()

    def kill_when_ready() -> None:
        while not stop.is_set():
            ready = list(staging.glob("*/*.xml")) if staging.is_dir() else []
            if len(ready) >= after:
                for proc in victims:
                    os.kill(proc.pid, signal.SIGKILL)
                seen.append(len(ready))
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_when_ready, daemon=True)
    killer.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # e.g. distributed's "large graph" warning
            res = CliRunner().invoke(main, args)
    finally:
        stop.set()
        killer.join()
    return res, (seen[0] if seen else None)


def test_worker_killed_mid_run_on_a_separate_scheduler(template, tmp_path, processes):
    """`archive regenerate --scheduler tcp://…` on a scheduler and workers started as their
    own processes; one worker is SIGKILLed once the first remade products are ready: the
    scheduler gives its batches to the other, the run finishes, and the archive has the
    same bytes as a local pool's run."""
    address, (victim, survivor) = processes
    trees = {}
    args = _stale_copy(template, tmp_path / "pool")
    res = CliRunner().invoke(main, [*args, "--jobs", "2"])
    assert res.exit_code == 0 and "20 remade" in res.output, res.output
    trees["pool"] = _tree(tmp_path / "pool/synth")

    args = _stale_copy(template, tmp_path / "dask")
    res, at_kill = _invoke_killing([*args, "--scheduler", address], tmp_path / "dask/synth/.pdsgen/staging",
                                   [victim], after=3)
    assert at_kill is not None and at_kill < 20  # killed mid-run
    assert victim.wait(timeout=10) == -signal.SIGKILL and survivor.poll() is None
    assert res.exit_code == 0 and "20 remade" in res.output, res.output
    trees["dask"] = _tree(tmp_path / "dask/synth")
    assert trees["pool"] == trees["dask"]
    assert "data_calibrated/SUPERSEDED/v1_0/p0000039_cal.tab" in trees["dask"]


def test_every_worker_killed_stops_the_run_and_it_resumes(template, tmp_path, processes, monkeypatch):
    """All workers SIGKILLed mid-run: the run does not wait for ever; it stops with a clear
    error after the grace period, what finished is recorded, and the resumed run (in
    this process) gives the same bytes as an uninterrupted one."""
    import pdsgen.distributed

    address, workers = processes
    monkeypatch.setattr(pdsgen.distributed, "NO_WORKERS_SECONDS", 2.0)
    args = _stale_copy(template, tmp_path / "once")
    assert CliRunner().invoke(main, args).exit_code == 0
    args = _stale_copy(template, tmp_path / "cut")
    t = time.monotonic()
    res, at_kill = _invoke_killing([*args, "--scheduler", address], tmp_path / "cut/synth/.pdsgen/staging",
                                   workers, after=3)
    assert at_kill is not None and at_kill < 20
    assert res.exit_code == 1, res.output
    assert "every worker of the Dask scheduler" in res.output and "run again to resume" in res.output
    assert time.monotonic() - t < 60
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "20 remade" not in res.output and "already done" in res.output  # resumed, not redone
    assert _tree(tmp_path / "cut/synth") == _tree(tmp_path / "once/synth")
