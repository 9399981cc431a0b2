"""`pdsgen recipe from-document DOC`: a recipe skeleton from a MIMI algorithm document."""

from __future__ import annotations

import click

from pdsgen.cli.recipes import recipe


@recipe.command("from-document")
@click.argument("document", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the TOML here (default: stdout).")
@click.option("--name", help="Recipe name (default: from the document name).")
def from_document(document, output, name):
    """Read the variable sections of a MIMI calibration algorithm DOCUMENT (PDS3
    ASCII_DOCUMENT with the text attached) and print a recipe TOML skeleton."""
    import os
    import tempfile
    from pathlib import Path

    from pdsgen.shorthand.document import read_document, to_recipe_toml

    text = to_recipe_toml(read_document(document), name=name)
    if not output:
        click.echo(text, nl=False)
        return
    target = Path(output)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    click.echo(f"wrote {target}", err=True)
