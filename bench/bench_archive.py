"""Archive indexing and delivery packaging on a synthetic bundle of small PDS4 products.

Targets (archive issue): indexing >= 2,000 products/s; inventory + checksum manifest for
100,000 products < 60 s. References in the same run: coreutils ``md5sum`` over the same
files (the checksum manifest's floor) and pds4_tools reading a sample of the labels (what
an index built on a general label reader would cost).

    python bench/bench_archive.py [--n 100000] [--dir DIR] [--jobs 1]

``--dir`` keeps the generated bundle for reruns (generation is not part of any timing).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# the synthetic archive generator is a test fixture (tests/synthetic_archive.py), not pdsgen
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--sample", type=int, default=300, help="labels read with pds4_tools")
    ap.add_argument("--regen", default="2000",
                    help="comma-separated archive sizes (calibrated products) for the regeneration "
                         "timing, e.g. 2000,20000 (0: skip)")
    ap.add_argument("--regen-only", action="store_true", help="only the regeneration rows")
    ap.add_argument("--regen-backends", default="local1,pool,dask")
    args = ap.parse_args()

    from synthetic_archive import make_bundle

    from pdsgen.archive.index import SQLiteIndex
    from pdsgen.archive.package import package_bundle
    from pdsgen.archive.scan import scan

    tmp = None
    base = args.dir
    if base is None:
        tmp = tempfile.mkdtemp(prefix="bench_archive_")
        base = Path(tmp)
    root = base / "synth"
    if args.regen_only:
        try:
            for size in (int(x) for x in args.regen.split(",") if int(x)):
                bench_regeneration(base / f"regen{size}", size, tuple(args.regen_backends.split(",")))
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    try:
        if not (root / "data").is_dir():
            t = time.perf_counter()
            make_bundle(root, args.n, n_calibrations=10)
            print(f"generated {args.n} products ({2 * args.n} files) in {time.perf_counter() - t:.1f} s")
        for p in list(root.glob("*/collection_*")) + list(root.glob("bundle_*.xml")):
            p.unlink()
        shutil.rmtree(root / ".pdsgen", ignore_errors=True)
        db = base / "bench.sqlite"
        for p in base.glob("bench.sqlite*"):
            p.unlink()
        labels = sorted(root.glob("data/*/*.xml"))
        n = len(labels) + len(list(root.glob("calibration/*.xml")))

        with SQLiteIndex(db) as idx:
            t = time.perf_counter()
            rep = scan(root, idx, jobs=args.jobs)
            t_index = time.perf_counter() - t
            assert rep.added == n and not rep.errors, (rep.added, n, rep.errors[:3])
            t = time.perf_counter()
            again = scan(root, idx)
            t_rescan = time.perf_counter() - t
            assert again.unchanged == n
            t = time.perf_counter()
            result = package_bundle(root, idx, creation_time="2024-01-01T00:00:00Z", manifest_dir=base)
            t_package = time.perf_counter() - t

        # reference: md5sum over every file the checksum manifest lists
        files = [line.split("  ", 1)[1] for line in
                 result.checksum_manifest.read_text().splitlines() if line]
        t = time.perf_counter()
        proc = subprocess.run(["xargs", "-0", "md5sum"], input="\0".join(files).encode(), cwd=root,
                              capture_output=True, check=True)
        t_md5sum = time.perf_counter() - t
        theirs = {ln.split("  ", 1)[1]: ln.split("  ", 1)[0] for ln in proc.stdout.decode().splitlines()}
        ours = {ln.split("  ", 1)[1]: ln.split("  ", 1)[0]
                for ln in result.checksum_manifest.read_text().splitlines() if ln}
        assert theirs == ours, "checksum manifest differs from md5sum"

        # reference: pds4_tools reading a sample of the labels (structure only)
        import pds4_tools

        sample = labels[:: max(1, len(labels) // args.sample)][: args.sample]
        t = time.perf_counter()
        for lab in sample:
            pds4_tools.read(str(lab), lazy_load=True, quiet=True, no_scale=True)
        t_pds4 = (time.perf_counter() - t) / len(sample)

        rate = n / t_index
        print(f"\nsynthetic bundle: {n} products, {len(files)} files")
        print(f"{'step':44s} {'seconds':>9s} {'rate':>14s}")
        print(f"{'index (cold, parse + MD5 + SQLite)':44s} {t_index:9.2f} {rate:11.0f} /s   target >= 2000/s")
        print(f"{'re-index, nothing changed':44s} {t_rescan:9.2f} {n / t_rescan:11.0f} /s")
        print(f"{'inventories + labels + manifests (warm index)':44s} {t_package:9.2f} {n / t_package:11.0f} /s   target < 60 s per 100k")
        print(f"{'cold total (index + package)':44s} {t_index + t_package:9.2f}")
        print(f"{'md5sum over the same files (reference)':44s} {t_md5sum:9.2f}")
        print(f"{'pds4_tools.read per label (sample ' + str(len(sample)) + ')':44s} {t_pds4 * n:9.2f} {1 / t_pds4:11.0f} /s   (extrapolated to n)")
        print(f"\nratios: indexing is {t_pds4 * n / t_index:.1f}x faster than pds4_tools label reading; "
              f"cold packaging takes {(t_index + t_package) / t_md5sum:.1f}x the time of md5sum alone")
        for size in (int(x) for x in args.regen.split(",") if int(x)):
            bench_regeneration(base / f"regen{size}", size, tuple(args.regen_backends.split(",")))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def bench_regeneration(base: Path, n: int, backends: tuple[str, ...] = ("local1", "pool", "dask")) -> None:
    """Remake the 40% of n calibrated products whose calibration changed (2 of 5
    calibration tables), per backend: plan, remake + validate + checksum (workers), commit
    with superseded copies kept, repackage, manifests. ``base/template`` is kept for reruns.
    Per backend: wall time and CPU time (client + worker processes) per remade product,
    the client's share of the CPU, and the load average before and after (the machine may
    be shared: compare CPU more than wall)."""
    from synthetic_archive import make_bundle, make_calibrated

    from pdsgen.archive.index import SQLiteIndex
    from pdsgen.archive.package import package_bundle
    from pdsgen.archive.regenerate import regenerate

    template = base / "template"
    if not (template / "i.sqlite").is_file():
        shutil.rmtree(template, ignore_errors=True)
        t = time.perf_counter()
        root = make_bundle(template / "synth", n, n_calibrations=5)
        make_calibrated(root)
        with SQLiteIndex(template / "i.sqlite") as idx:
            package_bundle(root, idx, creation_time="2024-01-01T00:00:00Z", manifests=False)
        print(f"\n(generated and packaged {n} raw + {n} calibrated products in {time.perf_counter() - t:.0f} s)")
    stale = 2 * n // 5
    print(f"\nregeneration: {stale} stale of {n} calibrated products ({2 * n + 5} products in the bundle), "
          "--keep-superseded, validation on:")
    trees = {}
    names = {"local1": ("one process", {"jobs": 1}), "pool": ("local pool, --jobs 2", {"jobs": 2}),
             "dask": ("Dask LocalCluster, 2 workers", {"jobs": 2, "scheduler": "local"})}
    for key in backends:
        name, kw = names[key]
        work = base / key
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(template, work)
        for k in (0, 1):
            cal = work / f"synth/calibration/cal00{k}.tab"
            cal.write_bytes(b"     1500" + cal.read_bytes()[9:])
        with SQLiteIndex(work / "i.sqlite") as idx:
            load0 = os.getloadavg()[0]
            t = time.perf_counter()
            c0 = time.process_time()
            k0 = _children_cpu()
            rep = regenerate(work / "synth", idx, creation_time="2024-02-01T00:00:00Z", keep=True, **kw)
            dt = time.perf_counter() - t
            client = time.process_time() - c0
            # the pool's and the LocalCluster's worker processes, once they have ended
            workers = _children_cpu() - k0
            load1 = os.getloadavg()[0]
        assert len(rep.remade) == stale and not rep.failed and not rep.invalid, (rep.failed[:2], rep.invalid[:2])
        trees[key] = {p.relative_to(work).as_posix(): p.stat().st_size
                      for p in sorted((work / "synth").rglob("*")) if p.is_file() and ".pdsgen" not in p.parts}
        cpu = client + workers
        share = f"client CPU {client:6.1f} s ({100 * client / cpu:3.0f}% of all CPU)" if key != "local1" else ""
        print(f"  {name:30s} {dt:8.1f} s wall {1000 * dt / stale:6.1f} ms/product, CPU {cpu:7.1f} s "
              f"{1000 * cpu / stale:6.1f} ms/product  {share}  load {load0:.0f}-{load1:.0f}")
        shutil.rmtree(work, ignore_errors=True)
    first = next(iter(trees.values()))
    print("  same files and sizes across backends:", all(t == first for t in trees.values()))


def _children_cpu() -> float:
    """User + system CPU seconds of this process's ended (waited-for) child processes."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


if __name__ == "__main__":
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1704067200")
    main()
