"""`pdsgen readers`: what pdsgen can read, as registered (`pdsgen.plugins.Registry`)."""

from __future__ import annotations

from pdsgen.cli.app import main


@main.command("readers")
def readers_list() -> None:
    """List the registered label readers, data layouts and element types, by priority."""
    from rich.console import Console
    from rich.table import Table

    from pdsgen.data import LAYOUTS
    from pdsgen.data.types import BINARY_TYPES, CHARACTER_TYPES
    from pdsgen.pds3.product import _ensure_readers
    from pdsgen.registry import READERS

    _ensure_readers()  # the PDS3-only layouts and element types, registered on first PDS3 open
    console = Console()
    for title, registry in (("label readers (tried highest priority first)", READERS),
                            ("data layouts (DataObject.layout)", LAYOUTS)):
        table = Table(title=title)
        for col in ("name", "priority", "from"):
            table.add_column(col)
        for e in registry.entries():
            table.add_row(e.name, str(e.priority), e.origin)
        console.print(table)
    table = Table(title="element types")
    for col in ("kind", "names"):
        table.add_column(col)
    table.add_row("binary", ", ".join(BINARY_TYPES.names()))
    table.add_row("character", ", ".join(CHARACTER_TYPES.names()) + ", other ASCII_*/UTF8_* as text")
    console.print(table)
