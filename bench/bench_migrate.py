"""Benchmark `pdsgen migrate`: products per second for many small PDS3 products.

Each product: a detached PDS3 label + a 5-record BINARY table (7 columns, an ITEMS
column and a CONTAINER) — the binary product of tests/test_migrate.py. The run migrates
them with validation (schema, Schematron, content) and the read-back through both labels,
with ``--jobs`` worker processes. For reference the same run times, on the migrated
labels: `pdsgen validate` alone (the largest share of the work) and pds4_tools reading
each label (what the read-back check would cost with the reference reader).
Target: >= 500 products/s on 2 cores, validation included.

Run: .venv/bin/python bench/bench_migrate.py [--products N] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()

    import test_migrate as T

    from pdsgen.migrate import MigrateOptions, migrate
    from pdsgen.validate import validate

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        ctx = base / "context.json"
        ctx.write_text(json.dumps(T.CONTEXT))
        for i in range(args.products):
            T.make_binary(base / "in" / f"p{i:05d}", pid=f"P_{i:05d}")
        opts = MigrateOptions(out=base / "out", bundle_lid="urn:nasa:pds:bench", context_products=(str(ctx),),
                              creation_time="2026-01-01T00:00:00Z")
        # warm-up (Schematron compilation is cached on disk after the first run)
        migrate([base / "in" / "p00000"], MigrateOptions(**{**opts.__dict__, "out": base / "warm"}))
        outs = []
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(args.products):  # one output folder per product: same file names
            outs.append(opts.__class__(**{**opts.__dict__, "out": base / "out" / f"p{i:05d}"}))
        results = _run(base, outs, args.jobs, migrate)
        wall = time.perf_counter() - t0
        ok = sum(r.status == "migrated" for r in results)
        print(f"migrate: {args.products} products, {ok} migrated, jobs={args.jobs}: {wall:.2f} s wall, "
              f"{args.products / wall:.0f} products/s (parent CPU {time.process_time() - c0:.2f} s)")
        labels = [r.pds4_label for r in results if r.pds4_label]
        t0 = time.perf_counter()
        res = validate(labels, offline=True, context_products=(str(ctx),), jobs=args.jobs, rule="product")
        vwall = time.perf_counter() - t0
        print(f"validate alone: {len(labels)} labels, {res.total_errors} errors: {vwall:.2f} s, "
              f"{len(labels) / vwall:.0f} labels/s; migrate/validate time ratio {wall / vwall:.2f}")
        try:
            import pds4_tools
        except ImportError:
            return
        n = min(200, len(labels))
        t0 = time.perf_counter()
        for lab in labels[:n]:
            pds4_tools.read(lab, quiet=True)["TABLE"].data  # noqa: B018 - timing the read
        pwall = (time.perf_counter() - t0) / n
        print(f"pds4_tools read: {1 / pwall:.0f} labels/s (one process); migrate per product "
              f"{wall / args.products * 1000:.2f} ms vs pds4_tools read {pwall * 1000:.2f} ms")


def _run(base: Path, outs: list, jobs: int, migrate) -> list:
    """Migrate product i into its own output folder (the synthetic products share file names)."""
    import multiprocessing as mp

    from pdsgen.migrate import migrate_product

    labels = [base / "in" / f"p{i:05d}" / "BIN.LBL" for i in range(len(outs))]
    if jobs <= 1:
        return [migrate_product(lab, o) for lab, o in zip(labels, outs, strict=True)]
    with mp.get_context("fork").Pool(jobs) as pool:
        return pool.starmap(migrate_product, zip(labels, outs, strict=True), chunksize=32)


if __name__ == "__main__":
    main()
