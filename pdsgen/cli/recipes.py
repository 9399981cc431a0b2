"""`pdsgen recipe ...` sub-commands (recipes issue; `from-document` lives in its own module)."""

from __future__ import annotations

import click

from pdsgen.cli.app import main


@main.group("recipe")
def recipe() -> None:
    """Show recipes and make recipe skeletons from algorithm documents."""


@main.command("recipes")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the recipes.")
def recipes_list(as_json: bool) -> None:
    """List the registered recipes (those of every instrument unit, built-in or plug-in)
    and the algorithms they can name."""
    import json

    from rich.console import Console
    from rich.table import Table

    from pdsgen.plugins import instruments
    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.registry import ALGORITHMS

    rows = [(inst.name, load_recipe(name)) for inst in instruments().values() for name in inst.recipe_names()]
    if as_json:
        click.echo(json.dumps([{"name": r.name, "version": r.version, "instrument": inst, "algorithm": r.algorithm,
                                "aggregate": bool(r.aggregate), "title": r.title,
                                "path": str(r.path) if r.path else None} for inst, r in rows], indent=1))
        return
    table = Table(title="registered recipes", show_lines=False)
    for col in ("name", "version", "instrument", "algorithm", "aggregate", "title"):
        table.add_column(col)
    for inst, r in rows:
        table.add_row(r.name, r.version, inst, r.algorithm, "yes" if r.aggregate else "no", r.title)
    console = Console()
    console.print(table)
    algos = Table(title="registered algorithms")
    for col in ("name", "priority", "from"):
        algos.add_column(col)
    for e in ALGORITHMS.entries():
        algos.add_row(e.name, str(e.priority), e.origin or "(run time)")
    console.print(algos)


@recipe.command("show")
@click.argument("name")
@click.option("--toml", "as_toml", is_flag=True, help="Print the recipe file itself.")
@click.option("--json", "as_json", is_flag=True, help="The recipe as JSON: name, file and its TOML content.")
def recipe_show(name: str, as_toml: bool, as_json: bool) -> None:
    """Print one recipe (built-in NAME or a recipe TOML file): inputs, parameters, outputs."""
    from pdsgen.recipes import load_recipe

    r = load_recipe(name)
    if as_json:
        import json

        click.echo(json.dumps({"name": r.name, "version": r.version, "path": r.path, "recipe": r.raw},
                              indent=2, default=str))
        return
    if as_toml:
        click.echo(r.path.read_text(encoding="utf-8") if r.path else "")
        return
    click.echo(f"{r.name} {r.version} — {r.title}")
    if r.path:
        click.echo(f"file: {r.path}")
    if r.source_document:
        click.echo(f"source: {r.source_document}")
    click.echo(f"algorithm: {r.algorithm}   standard: {r.standard}   "
               f"aggregate: {'yes, group by ' + r.group_by if r.aggregate else 'no'}")
    if r.description.strip():
        click.echo("\n" + r.description.strip())
    if r.inputs:
        click.echo("\ninputs:")
        for i in r.inputs.values():
            src = i.ref or (f"column {i.column}" if i.column else f"keyword {i.keyword}")
            extra = f" {i.convert}" if i.convert else ""
            bind = f"  bind {i.bind}" if i.bind else ""
            click.echo(f"  {i.name:<12} {src}{extra}  [{i.unit or '-'}]{bind}  {i.description}")
    if r.calibrations:
        click.echo("\ncalibration files (--cal):")
        for c in r.calibrations.values():
            dflt = f" (default: {c.default})" if c.default else ""
            click.echo(f"  {c.name:<12} {c.match}{dflt}  {c.description}")
    if r.parameters:
        click.echo("\nparameters (--set NAME=VALUE):")
        for p in r.parameters.values():
            lb, rb = ("[", "]") if p.inclusive else ("(", ")")
            if p.min is not None and p.max is not None:
                bounds = f" in {lb}{p.min}, {p.max}{rb}"
            elif p.min is not None:
                bounds = f" {'>=' if p.inclusive else '>'} {p.min}"
            elif p.max is not None:
                bounds = f" {'<=' if p.inclusive else '<'} {p.max}"
            else:
                bounds = ""
            if p.choices:
                bounds += f" (one of {', '.join(str(c) for c in p.choices)})"
            click.echo(f"  {p.name:<12} = {p.default} {p.unit or ''}{bounds}  {p.description}")
    if r.expressions:
        click.echo("\nexpressions:")
        for k, v in r.expressions.items():
            click.echo(f"  {k} = {v}")
    click.echo("\noutputs:")
    for o in r.outputs:
        part = f"[{o.part}] " if o.part else ""
        click.echo(f"  {part}{o.name:<12} {o.unit or '-':<22} {o.data_type:<8} {o.format or ''}  {o.description}")
    click.echo(f"\nproduct: {r.product.file_name}  lid {r.product.lid}")
    for part, over in r.product.parts.items():
        click.echo(f"  [{part}] {over.get('file_name', r.product.file_name)}  lid {over.get('lid', r.product.lid)}")
