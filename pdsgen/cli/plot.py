"""`pdsgen plot PRODUCT [--object N] [--band K] [-o out.png]`: a quick-look PNG."""

from __future__ import annotations

from pathlib import Path

import click

from pdsgen.cli.app import main


@main.command("plot")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--object", "selector", metavar="NAME|INDEX", default=None,
              help="Object to plot (default: the first table or array).")
@click.option("--band", type=int, default=0, show_default=True, help="Band of a cube (first axis).")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PNG to write (default: <label name>_<object>.png in the current folder).")
def plot_command(path: str, selector: str | None, band: int, out: Path | None) -> None:
    """Quick-look PNG of a table (numeric fields against time or record) or an image/cube band."""
    import pdsgen
    from pdsgen.cli.app import OutputError, unusable_input
    from pdsgen.cli.export import pick_object
    from pdsgen.render.atomic import commit_files
    from pdsgen.render.quicklook import quicklook_png

    with unusable_input():
        product = pdsgen.open(path)
        obj = pick_object(product, selector)
        if out is None:
            out = Path(f"{Path(path).stem}_{obj.name}.png".replace(" ", "_"))
        if not out.parent.is_dir():
            raise OutputError(f"cannot write the plot: {out.parent} is not an existing folder "
                              "(pdsgen does not create it)", path=str(out))
        png = quicklook_png(obj, band=band)
    commit_files([(out, png)])  # temporary name, then rename
    click.echo(f"wrote {out} ({obj.kind} {obj.name!r})")
