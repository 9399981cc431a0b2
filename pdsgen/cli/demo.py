"""`pdsgen demo`: the README's main-job command (generate, calibrate, validate, show)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from pdsgen.cli.app import main

if TYPE_CHECKING:
    from pathlib import Path

    from pdsgen.recipes.demo import DemoRow

    _StrParamType = click.ParamType[str]
else:  # (generic since click 8.4; pdsgen takes click >= 8.1: subscripted for the type checker only)
    _StrParamType = click.ParamType


class InstrumentName(_StrParamType):
    """A registered instrument unit with a demo generator (looked up when the option is used,
    so that importing the CLI does not load every plug-in)."""

    name = "instrument"

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from pdsgen.recipes.demo_data import demo_instruments

        names = demo_instruments()
        if value not in names:
            self.fail(f"{value!r} is not a registered instrument with demo data ({', '.join(names) or 'none'})",
                      param, ctx)
        return value


@main.command("demo")
@click.option("-o", "--out", "out_dir", default="demo-out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the raw archive (raw/), the calibrated products (calibrated/) and their "
              "browse plots (browse/).")
@click.option("--only", "only", multiple=True, type=InstrumentName(),
              help="Run only these instruments (repeatable).")
@click.option("--seed", default=0, show_default=True, help="Seed of the generated data.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--catalog", type=click.Path(exists=True, dir_okay=False), default=None,
              help="XML catalog for the PDS4 schemas (default: $PDSGEN_CATALOG, a development checkout's "
                   "../shared/pds4-schemas, or the download cache).")
@click.option("--offline", is_flag=True, help="Never download schemas (default: schemas not in the catalog "
              "are downloaded once into pdsgen's cache).")
@click.option("--no-validate", is_flag=True, help="Skip validation of the products.")
@click.option("--creation-time", default=None, help="Creation time written in labels (ISO 8601).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (a row per instrument) instead of tables.")
@click.option("--deliver", is_flag=True, help="Run the delivery walk-through instead, one bundle per "
              "instrument (--only: those): workspace; calibrated products, browse plots and documents; "
              "package, validate; change a calibration file (a scripted change per instrument), "
              "regenerate, validate again; in OUT/delivery/<instrument>/.")
@click.option("--scheduler", default=None, help="With --deliver: regenerate on this Dask scheduler "
              "(tcp://HOST:PORT or 'local').")
def demo_cmd(out_dir: str, only: tuple[str, ...], seed: int, jobs: int, catalog: str | None, offline: bool,
             no_validate: bool, creation_time: str | None, as_json: bool, deliver: bool,
             scheduler: str | None) -> None:
    """Generate a small raw archive for every registered instrument (five built in), run
    their recipes on it, validate every product and print what was produced."""
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    if deliver:
        _deliver(Path(out_dir) / "delivery", only=only, seed=seed, jobs=jobs, scheduler=scheduler,
                 creation_time=creation_time)
        return

    from pdsgen.cli.app import OutputError
    from pdsgen.recipes.demo import run_demo
    from pdsgen.recipes.demo_data import demo_instruments

    try:  # an output folder that cannot be made is unusable input, not five failed instruments
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror or exc}", path=out_dir) from None
    console = Console() if sys.stdout.isatty() else Console(width=160)
    if as_json:  # progress lines to stderr, the document alone on stdout
        console = Console(stderr=True)
    console.print(f"pdsgen demo → {Path(out_dir).resolve()}")

    def on_row(row: DemoRow) -> None:
        mark = "[green]ok[/green]" if row.ok else "[red]FAILED[/red]"
        console.print(f"  {row.instrument:<6} {row.recipe:<16} {mark} ({row.seconds:.1f} s)", highlight=False)

    rows = run_demo(out_dir, instruments=only or demo_instruments(), seed=seed, jobs=jobs, catalog=catalog,
                    offline=offline, validate=not no_validate, creation_time=creation_time, on_row=on_row)
    if as_json:
        import json

        click.echo(json.dumps({"out": str(Path(out_dir).resolve()), "notes": _missing_extras(rows, validated=not no_validate),
                               "instruments": [{
                                   "instrument": r.instrument, "recipe": r.recipe, "inputs": r.inputs,
                                   "products": r.products, "failed": r.failed, "records": r.records,
                                   "validated": None if no_validate else r.validated, "invalid": r.invalid,
                                   "seconds": round(r.seconds, 3), "ok": r.ok, "error": r.error,
                                   "problems": r.problems, "outputs": [str(p) for p in r.outputs]} for r in rows]},
                              indent=1))
        if any(not r.ok for r in rows):
            sys.exit(1)
        return
    table = Table(title="pdsgen demo")
    for col in ("instrument", "recipe", "inputs", "products", "failed", "records", "valid", "seconds", "where"):
        table.add_column(col, justify="right" if col in ("inputs", "products", "failed", "records", "seconds") else "left")
    for r in rows:
        valid = "skipped" if no_validate else f"{r.validated - r.invalid}/{r.validated}"
        where = str(Path(out_dir) / "calibrated" / r.instrument)
        table.add_row(r.instrument, r.recipe, str(r.inputs), str(r.products), str(r.failed), f"{r.records:,}",
                      valid, f"{r.seconds:.1f}", where)
    console.print(table)
    bad = [r for r in rows if not r.ok]
    for r in bad:
        if r.error:
            console.print(f"[red]{r.instrument}[/red]: {r.error}", highlight=False)
        for p in r.problems[:10]:
            console.print(f"[red]{r.instrument}[/red]: {p}", highlight=False)
    for hint in _missing_extras(rows, validated=not no_validate):
        console.print(f"note: {hint}", markup=False, highlight=False)
    total = sum(r.products for r in rows)
    console.print(f"{total} products written, {sum(r.validated - r.invalid for r in rows)} valid, "
                  f"{len(bad)} instrument(s) with problems")
    if bad:
        sys.exit(1)


def _missing_extras(rows: list[DemoRow], *, validated: bool) -> list[str]:
    """One line per optional extra the demo missed (what was skipped, what to install)."""
    from pdsgen.recipes.engine import PLOTS_INSTALL_HINT
    from pdsgen.validate import schematron

    hints = []
    if validated and not schematron.available():
        hints.append(f"Schematron not run: saxonche is not installed ({schematron.INSTALL_HINT})")
    notes = (n for r in rows if r.report for o in r.report.outcomes for n in o.notes)
    if any(PLOTS_INSTALL_HINT in n for n in notes):
        hints.append(f"browse plots skipped: matplotlib is not installed ({PLOTS_INSTALL_HINT})")
    return hints


def _deliver(folder: Path, *, only: tuple[str, ...], seed: int, jobs: int, scheduler: str | None,
             creation_time: str | None) -> None:
    """`pdsgen demo --deliver`: the walk-through's table for each instrument's bundle;
    exit 1 unless every validation is clean (no errors)."""
    import datetime as dt

    from rich.console import Console
    from rich.table import Table

    from pdsgen.archive.delivery import deliver
    from pdsgen.recipes.demo_data import demo_instruments
    from pdsgen.render import resolve_creation_time

    names = [n for n in demo_instruments() if not only or n in only]
    console = Console() if sys.stdout.isatty() else Console(width=160)
    console.print(f"pdsgen demo --deliver → {folder.resolve()}")
    first = resolve_creation_time(creation_time)
    later = first + dt.timedelta(days=1)  # the calibration change comes a day later
    runs = []
    for name in names:
        d = deliver(folder / name, name, seed=seed, jobs=jobs, scheduler=scheduler, creation_time=first,
                    change_time=later)
        runs.append((f"pdsgen delivery walk-through: {name} (bundle {d.bundle_lid})", d))
    for title, d in runs:
        table = Table(title=title)
        for col in ("step", "what", "bundle and collection versions", "errors", "warnings", "seconds"):
            table.add_column(col, justify="right" if col in ("errors", "warnings", "seconds") else "left")
        for s in d.steps:
            table.add_row(s.step, s.detail, s.versions, "" if s.errors is None else str(s.errors),
                          "" if s.warnings is None else str(s.warnings), f"{s.seconds:.1f}")
        console.print(table)
        for f in d.findings:
            console.print(f"  {f}", highlight=False)
        for m in d.manifests:
            console.print(f"manifest: {m}", highlight=False)
    if any(s.errors for _, d in runs for s in d.steps):
        sys.exit(1)
