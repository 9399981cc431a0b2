"""Benchmark the writers: label rendering rate and table writing rate.

1. Labels: a 20-field Table_Character label rendered and written to disk, N times —
   pdsgen (`render_label` through the cached StrictUndefined environment + atomic
   `commit_files`, one by one and batched with `write_labels`) against plain Jinja2 (same
   template, bare Environment, open/write), to new files (a delivery) and overwriting
   existing ones (a re-generation). Target: >= 4,000 labels/s.
2. Tables: write_table of a large table (character, delimited, binary) against reading
   the same product back with pdsgen.open(...).data (and pds4_tools.read for reference).
   Target: write time within 2x of read time.

Run: .venv/bin/python bench/bench_render.py [--labels N] [--rows N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def _context():
    from pdsgen.render import ProductContext

    return ProductContext(
        lid="urn:nasa:pds:bench:data:product_0001", vid="1.0", title="Benchmark product",
        start_time="2004-01-01T00:00:00Z", stop_time="2004-01-02T00:00:00Z",
        investigations=[dict(name="Cassini-Huygens", type="Mission",
                             lid_reference="urn:nasa:pds:context:investigation:mission.cassini-huygens")],
        observing_system=[dict(name="MIMI CHEMS", type="Instrument",
                               lid_reference="urn:nasa:pds:context:instrument:chems.co")],
        targets=[dict(name="Saturn", type="Planet", lid_reference="urn:nasa:pds:context:target:planet.saturn")],
        input_products=["urn:nasa:pds:bench:raw:r1::1.0"], recipe_name="bench", recipe_version="1",
    )


def _table(rows: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for k in range(20 if rows < 10 else 8):
        kind = k % 4
        if kind == 0:
            cols[f"int_{k}"] = rng.integers(-(10**9), 10**9, rows)
        elif kind == 1:
            cols[f"real_{k}"] = rng.normal(size=rows) * 1e3
        elif kind == 2:
            cols[f"f4_{k}"] = rng.normal(size=rows).astype(np.float32)
        else:
            cols[f"text_{k}"] = np.array([f"id{j % 997}" for j in range(min(rows, 997))])[
                np.arange(rows) % min(rows, 997)]
    return cols


def bench_labels(n: int, folder: str | None = None) -> None:
    import jinja2

    from pdsgen.render import commit_files, render_label, write_labels
    from pdsgen.render.columns import columns_from
    from pdsgen.render.encode import encode_character
    from pdsgen.render.writers import _base_context, _file_info, _table_variables
    from pdsgen.resources import templates_dir

    ctx = _context()
    enc = encode_character(columns_from(_table(3)))
    variables = _base_context(ctx, "2026-01-01T00:00:00Z", "1.22.0.0", "pds4")
    variables["table"] = _table_variables(enc, "character", "table", None)
    variables["file"] = _file_info("p.tab", enc.data, "2026-01-01T00:00:00Z", enc.records)
    variables["product_class"] = "Product_Observational"
    name = "pds4/Product_Observational_table.xml.j2"
    assert len(enc.fields) == 20

    def timed(fn, count):
        w, c = time.perf_counter(), time.process_time()
        for i in range(count):
            fn(i)
        return time.perf_counter() - w, time.process_time() - c

    with tempfile.TemporaryDirectory(dir=folder) as d:
        out = Path(d)
        render_label(name, variables)  # warm the cache (compile once)
        plain = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                                   autoescape=True, trim_blocks=True, lstrip_blocks=True)
        template = plain.get_template(name)
        template.render(variables)
        runs = iter(range(1000))

        def fresh() -> Path:  # a new folder per measurement: new files, as in a delivery
            sub = out / f"run{next(runs)}"
            sub.mkdir()
            return sub

        def pdsgen_write(sub, names):
            return lambda i: commit_files([(sub / names(i), render_label(name, variables).encode())])

        def plain_write(sub, names):
            def write(i):
                with open(sub / names(i), "w", encoding="utf-8") as fh:
                    fh.write(template.render(variables))
            return write

        def batch(sub, jobs):
            items = ((sub / f"b{i}.xml", name, variables) for i in range(n))
            return lambda _: write_labels(items, jobs=jobs)

        def new(i):
            return f"p{i}.xml"

        def again(i):  # re-generation: the same 200 names over and over
            return f"p{i % 200}.xml"

        rows = [
            ("pdsgen render_label + atomic write", timed(pdsgen_write(fresh(), new), n), n),
            ("pdsgen write_labels (2 processes)", timed(batch(fresh(), 2), 1), n),
            ("pdsgen write_labels (4 processes)", timed(batch(fresh(), 4), 1), n),
            ("plain jinja2 render + open/write", timed(plain_write(fresh(), new), n), n),
            ("pdsgen atomic, overwriting 200 names", timed(pdsgen_write(fresh(), again), n), n),
            ("plain jinja2, overwriting 200 names", timed(plain_write(fresh(), again), n), n),
            ("pdsgen render_label only", timed(lambda i: render_label(name, variables), n), n),
            ("plain jinja2 render only", timed(lambda i: template.render(variables), n), n),
        ]

        from pdsgen.render import write_table

        table = _table(3)
        m = max(n // 4, 50)
        sub = fresh()
        rows.append(("full write_table (data + label)", timed(
            lambda i: write_table(table, sub, basename=f"w{i}", context=ctx,
                                  creation_time="2026-01-01T00:00:00Z"), m), m))

    print(f"label rendering, 20-field Table_Character label, {n} labels "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print("  new files unless said (a delivery); CPU = this process's user + system time")
    print("  (write_labels: its workers' CPU is not counted, so its CPU rate is not comparable)")
    print(f"  {'':38s} {'wall/s':>9s} {'CPU/s':>9s}")
    for label, (wall, cpu), count in rows:
        print(f"  {label:38s} {count / wall:9.0f} {count / cpu:9.0f}")
    (w1, c1), (w2, c2) = rows[0][1], rows[3][1]
    best = max(count / wall for label, (wall, _), count in rows[:3])
    print(f"  pdsgen atomic vs plain jinja2 open/write: {w2 / w1:.2f}x wall, {c2 / c1:.2f}x CPU; "
          f"best pdsgen write rate {best:.0f}/s (target >= 4000 labels/s written)")


def bench_tables(rows: int, repeat: int = 3) -> None:
    import pdsgen
    from pdsgen.render import write_table

    table = _table(rows)
    ctx = _context()
    print(f"\ntable writing vs reading back, {rows} rows x {len(table)} columns "
          f"(best of {repeat}; load average {os.getloadavg()[0]:.1f})")

    cpu: dict[int, float] = {}

    def best(fn):  # best wall time; the CPU time (all threads) of that repeat in cpu[id(fn)]
        times = []
        for _ in range(repeat):
            w, c = time.perf_counter(), time.process_time()
            result = fn()
            times.append((time.perf_counter() - w, time.process_time() - c))
        wall, cpu[id(fn)] = min(times)
        return wall, result

    with tempfile.TemporaryDirectory() as d:
        runs = iter(range(1000))
        for fmt in ("character", "delimited", "binary"):
            # each repeat writes a new product, as a delivery does (on ext4, renaming over
            # an existing file also flushes the new one to disk: see the overwrite row)
            write = lambda fmt=fmt: write_table(  # noqa: E731
                table, d, basename=f"t_{fmt}_{next(runs)}", context=ctx, table_format=fmt,
                creation_time="2026-01-01T00:00:00Z")
            t_write, out = best(write)
            read = lambda out=out: pdsgen.open(out.label_path)[0].data  # noqa: E731
            t_read, data = best(read)
            assert len(data) == rows
            t_ref = float("nan")
            if rows <= 300_000:
                import pds4_tools

                w = time.perf_counter()
                _ = pds4_tools.read(str(out.label_path), quiet=True)[0].data
                t_ref = time.perf_counter() - w
            size = os.path.getsize(out.data_path) / 1e6
            print(f"  {fmt:9s}: write {t_write:6.3f} s ({size / t_write:5.0f} MB/s)  "
                  f"pdsgen read {t_read:6.3f} s  write/read {t_write / t_read:5.2f} (target <= 2)  "
                  f"pds4_tools read {t_ref:6.3f} s")
            print(f"  {'':9s}  CPU: write {cpu[id(write)]:6.3f} s, read {cpu[id(read)]:6.3f} s, "
                  f"write/read {cpu[id(write)] / cpu[id(read)]:5.2f}")
        t_over, _ = best(lambda: write_table(table, d, basename="t_character_0", context=ctx,
                                             creation_time="2026-01-01T00:00:00Z"))
        print(f"  character, overwriting the same product: write {t_over:6.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=int, default=4000)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--dir", default=None, help="folder to write the labels in (default: temp)")
    args = ap.parse_args()
    bench_labels(args.labels, args.dir)
    bench_tables(args.rows)


if __name__ == "__main__":
    main()
