"""`pdsgen recipe from-document DOC`: a recipe skeleton from a MIMI algorithm document."""

from __future__ import annotations

import click

from pdsgen.cli.recipes import recipe


@recipe.command("from-document")
@click.argument("document", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", "--output", "output", type=click.Path(dir_okay=False), help="Write the TOML here (default: stdout).")
@click.option("--name", help="Recipe name (default: from the document name).")
def from_document(document: str, output: str | None, name: str | None) -> None:
    """Read the variable sections of a MIMI calibration algorithm DOCUMENT (PDS3
    ASCII_DOCUMENT with the text attached) and print a recipe TOML skeleton."""
    from pathlib import Path

    from pdsgen.cli.app import write_output
    from pdsgen.shorthand.document import read_document, to_recipe_toml

    text = to_recipe_toml(read_document(document), name=name)
    if not output:
        click.echo(text, nl=False)
        return
    target = Path(output)
    write_output(target, text, "the recipe")
    click.echo(f"wrote {target}", err=True)
