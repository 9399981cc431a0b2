"""`pdsgen recipe ...` sub-commands (recipes issue; `from-document` lives in its own module)."""

from __future__ import annotations

from pdsgen.cli.app import main


@main.group("recipe")
def recipe() -> None:
    """Show recipes and make recipe skeletons from algorithm documents."""
