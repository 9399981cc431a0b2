"""`pdsgen archive index|find|collection|bundle|regenerate` (archive issue)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pdsgen.cli.app import main


@main.group("archive")
def archive() -> None:
    """Index an archive, find products, package deliveries, regenerate products."""


def _db_option(f):
    return click.option("--db", type=click.Path(dir_okay=False),
                        help="Index database (default ROOT/.pdsgen/archive.sqlite).")(f)


def _open(root: Path, db: str | None):
    from pdsgen.archive.index import default_db, open_index

    return open_index(db or default_db(root))


@archive.command("index")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_db_option
@click.option("--full", is_flag=True, help="Re-read every label, not only changed ones.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def index_cmd(root: Path, db: str | None, full: bool, quiet: bool) -> None:
    """Record every product under ROOT (bundle, volume or folder of labels) in the index."""
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn

    from pdsgen.archive.scan import scan

    t0 = time.perf_counter()
    with _open(root, db) as idx:
        if quiet:
            report = scan(root, idx, full=full)
        else:
            with Progress(SpinnerColumn(), TextColumn("{task.description} {task.completed} labels"),
                          transient=True) as bar:
                task = bar.add_task("indexing")
                report = scan(root, idx, full=full, progress=lambda n: bar.advance(task, n))
        total = idx.count()
    dt = time.perf_counter() - t0
    for err in report.errors:
        click.secho(f"skipped: {err}", fg="yellow", err=True)
    click.echo(
        f"{total} products indexed: {report.added} added, {report.updated} updated, "
        f"{report.touched} touched, {report.unchanged} unchanged, {report.removed} removed, "
        f"{len(report.errors)} unreadable ({report.seen / dt if dt else 0:.0f} labels/s)"
    )


@archive.command("find")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@_db_option
@click.option("--type", "types", multiple=True, help="Product type or class (repeatable).")
@click.option("--start", help="Start of the time range (ISO 8601 or YYYY:DOY[:hh:mm:ss]).")
@click.option("--stop", help="End of the time range.")
@click.option("--lid", help="LID (or PDS3 PRODUCT_ID) glob; without wildcards a substring.")
@click.option("--instrument", help="Instrument name (substring, case-insensitive).")
@click.option("--recipe", help="Only products made by this pdsgen recipe.")
@click.option("--calibration-for", "cal_for", metavar="PRODUCT",
              help="Print the calibration in force at PRODUCT's time (LIDVID, LID, PRODUCT_ID or label).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def find_cmd(root: Path, db: str | None, types: tuple[str, ...], start: str | None, stop: str | None,
             lid: str | None, instrument: str | None, recipe: str | None, cal_for: str | None,
             as_json: bool) -> None:
    """Find indexed products under ROOT by time range, type, LID and instrument."""
    from pdsgen.archive.find import calibration_for, find

    with _open(root, db) as idx:
        if cal_for:
            found = [calibration_for(idx, cal_for, root=root, types=types)]
        else:
            found = find(idx, types=types, start=start, stop=stop, lid=lid, instrument=instrument,
                         recipe=recipe)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in found], indent=1))
        return
    for r in found:
        click.echo("\t".join([r.identifier, r.start_time or "-", r.stop_time or "-",
                              r.product_type or r.product_class or "-", r.label_path]))
