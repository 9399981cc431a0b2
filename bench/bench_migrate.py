"""Benchmark `pdsgen migrate`: products per second for many small PDS3 products.

Each product: a detached PDS3 label + a 5-record BINARY table (7 columns, an ITEMS
column and a CONTAINER) — the binary product of tests/test_migrate.py, under its own
file names. `pdsgen migrate` runs as users run it (the CLI in a fresh process, one output
folder) with validation (schema, Schematron, content) and the read-back through both
labels (pdsgen's PDS3 and PDS4 readers, and pds4_tools), once with ``--jobs 1`` and once
with ``--jobs N``. Reported: products/s of wall time and per CPU-second (the command and
its workers), start-up included. For reference, the same run times on the migrated labels
`pdsgen validate` alone and pds4_tools reading each label (the reference reader; the
migration reads every label through it too), and prints the ratios.
Target: >= 500 products/s on 2 cores for 10,000 products, validation included.

Run: .venv/bin/python bench/bench_migrate.py [--products N] [--jobs N] [--dir TMP]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _cpu() -> float:
    """CPU seconds of this process and its finished (joined) worker processes."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(label: str, n: int, fn) -> tuple[float, float, object]:
    t0, c0 = time.perf_counter(), _cpu()
    out = fn()
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    print(f"{label}: {n} in {wall:.2f} s wall = {n / wall:.0f}/s; {cpu:.2f} CPU-s = {n / cpu:.0f}/CPU-s "
          f"({cpu / n * 1000:.2f} ms CPU each)")
    return wall, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=10000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()

    import test_migrate as T

    from pdsgen.validate import validate

    n = args.products
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        ctx = base / "context.json"
        ctx.write_text(json.dumps(T.CONTEXT))
        for i in range(n):
            T.make_binary(base / "in" / f"p{i // 500:03d}", pid=f"P_{i:05d}", stem=f"B{i:05d}")
        T.make_binary(base / "warm", pid="W_1", stem="W")

        def cli(target: Path, out: Path, jobs: int) -> None:
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "pdsgen", "migrate", str(target), "--out", str(out),
                            "--bundle-lid", "urn:nasa:pds:bench", "--context-products", str(ctx),
                            "--creation-time", "2026-01-01T00:00:00Z", "--jobs", str(jobs)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        cli(base / "warm", base / "warm_out", 1)  # the compiled Schematron is cached on disk after a first run
        rates = {}
        for jobs in sorted({1, args.jobs}):
            rates[jobs] = _timed(f"pdsgen migrate --jobs {jobs}", n, lambda j=jobs: cli(base / "in", base / "out", j))
        labels = sorted(str(p) for p in (base / "out").glob("*.xml"))
        assert len(labels) == n, f"{len(labels)} of {n} products migrated"
        vwall, vcpu, res = _timed(f"validate --jobs {args.jobs} (reference: validation alone, in this process)",
                                  n, lambda: validate(labels, offline=True, context_products=(str(ctx),),
                                                      jobs=args.jobs, rule="product"))
        assert res.total_errors == 0
        import pds4_tools

        k = min(500, n)

        def read_all() -> None:
            for lab in labels[:k]:
                pds4_tools.read(lab, quiet=True, lazy_load=True)["TABLE"].data  # noqa: B018 - timing the read

        pwall, pcpu, _ = _timed("pds4_tools.read (reference reader, one process)", k, read_all)
        w1, c1, _ = rates[1]
        wj, cj, _ = rates[args.jobs]
        print(f"migrate --jobs {args.jobs}: {n / wj:.0f} products/s wall (target 500), {n / cj:.0f} per CPU-s; "
              f"--jobs 1: {n / w1:.0f}/s wall, {n / c1:.0f} per CPU-s; speed-up {w1 / wj:.2f}x")
        print(f"ratios of CPU time per label: migrate / validate alone {c1 / n / (vcpu / n):.2f}; "
              f"migrate / pds4_tools read {c1 / n / (pcpu / k):.2f}")


if __name__ == "__main__":
    main()
