"""`pdsgen inspect PATH [--json]`: what a product holds, for PDS3 and PDS4 alike.

The summary is built from the shared model only (`pdsgen.model`), so any reader
registered with `pdsgen.open` gets the same view.

Exit status (the README's error contract): 2 when the label cannot be opened (one line);
otherwise every object is shown — inspect always keeps going past an object it cannot
read, like ``make --keep-going`` — with the object's error in place, one ``error:`` line
per unreadable object on standard error, and exit status 1 when any object could not be
read. 0 means every object was read.
"""

from __future__ import annotations

import json
import sys

import click

from pdsgen.cli.app import main
from pdsgen.data.describe import PREVIEW_ROWS, print_summary, summary  # noqa: F401 - summary is patched in tests


@main.command("inspect")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
@click.option("--rows", type=click.IntRange(0, 1000), default=PREVIEW_ROWS, show_default=True,
              help="Rows of each table (and lines of each header) to show.")
@click.option("--object", "selector", metavar="NAME|INDEX", default=None, help="Show only this object.")
def inspect_command(path: str, as_json: bool, rows: int, selector: str | None) -> None:
    """Show a product: standard, identifiers, times, objects with fields and first rows."""
    import pdsgen
    from pdsgen.cli.app import unusable_input

    with unusable_input():
        product = pdsgen.open(path)
    info = summary(product, rows)
    if selector is not None:
        from pdsgen.cli.export import pick_object

        with unusable_input():
            index = product.objects.index(pick_object(product, selector))
        info["objects"] = [info["objects"][index]]
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        print_summary(info)
    failed = [obj for obj in info["objects"] if "error" in obj]
    for obj in failed:
        click.secho(f"error: {' '.join(str(obj['error']).split())}", fg="red", err=True)
    if failed:
        sys.exit(1)
