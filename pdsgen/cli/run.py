"""`pdsgen run RECIPE INPUT... --out DIR`: a recipe over many products, with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pdsgen.cli.app import main, quiet_requested

if TYPE_CHECKING:
    from pdsgen.recipes.run import ProductOutcome


def parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` pairs from ``--set``; a malformed one is a usage error."""
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        out[name.strip()] = value.strip()
    return out


@main.command("run")
@click.argument("recipe")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output folder; with --workspace, the name of one of its collections.")
@click.option("--workspace", type=click.Path(exists=True, file_okay=False), default=None,
              help="A delivery workspace (pdsgen archive init): --out names its collection; browse "
                   "plots go to its browse collection.")
@click.option("--browse-out", "browse_out", type=click.Path(file_okay=False), default=None,
              help="Folder for the browse plots (Product_Browse of the bundle's browse collection; default: "
                   "beside the products, with --workspace its browse collection).")
@click.option("--cal", "cal_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Calibration file (repeatable).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Recipe parameter (repeatable).")
@click.option("--standard", type=click.Choice(["pds4", "pds3"]), default=None,
              help="Output standard (default: the recipe's).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Products computed in parallel (processes).")
@click.option("--templates", "templates_dir", type=click.Path(exists=True, file_okay=False),
              help="Folder of label templates that override the built-in ones.")
@click.option("--creation-time", default=None, help="Creation time written in labels (ISO 8601; default "
              "SOURCE_DATE_EPOCH or now) — for byte-identical reruns.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no notes: failures and the summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of every product as JSON.")
def run_cmd(recipe: str, inputs: tuple[str, ...], out_dir: str, workspace: str | None, browse_out: str | None,
            cal_files: tuple[str, ...], sets: tuple[str, ...],
            standard: str | None, jobs: int, templates_dir: str | None, creation_time: str | None,
            quiet: bool, as_json: bool) -> None:
    """Run RECIPE (a built-in name or a TOML file) over INPUT files, folders or globs.

    One product per input (per group for aggregating recipes) is written to --out.
    Products that fail are listed with the reason; the others are still written.
    Exit status 1 if any product failed.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.run import run_recipe

    quiet = quiet or quiet_requested()
    r = load_recipe(recipe)
    browse_dir: str | Path | None = browse_out
    if workspace is not None:
        from pdsgen.archive.workspace import browse_folder, output_folder

        out_dir = str(output_folder(workspace, out_dir, r))
        browse_dir = browse_out or browse_folder(workspace, r)  # browse plots: the workspace's browse collection
    params = parse_sets(sets)
    err = Console(stderr=True)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[current]}"), console=err,
                        disable=quiet, transient=False)
    task = None

    def on_start(n: int) -> None:
        nonlocal task
        task = progress.add_task(r.name, total=n, current="")

    def on_done(outcome: ProductOutcome) -> None:
        if task is not None:
            progress.update(task, advance=1, current=outcome.name)
        # file names, dates and units are not rich markup or emoji codes ("2005:100:" must not
        # become an emoji, "[keV]" must not vanish)
        if outcome.error:
            progress.console.print(f"[red]failed[/red] {escape(outcome.error)}", highlight=False, soft_wrap=True,
                                   emoji=False)
        for note in () if quiet else outcome.notes:
            progress.console.print(f"[dim]note[/dim] {escape(outcome.name)}: {escape(note)}", highlight=False,
                                   soft_wrap=True, emoji=False)

    with progress:
        report = run_recipe(r, inputs, out_dir, cal_files=cal_files, params=params, standard=standard, jobs=jobs,
                            templates_dir=templates_dir, creation_time=creation_time, on_start=on_start,
                            on_done=on_done, browse_dir=browse_dir)
    if as_json:
        import json

        click.echo(json.dumps({
            "recipe": r.name, "version": r.version, "summary": report.summary(),
            "products": [{"inputs": [str(p) for p in o.inputs], "group": o.group,
                          "outputs": [str(p) for p in o.outputs], "records": o.records, "error": o.error,
                          "notes": list(o.notes)} for o in report.outcomes]}, indent=1))
    else:
        click.echo(report.summary())
    if report.failed:
        sys.exit(1)
