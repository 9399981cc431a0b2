"""Command-line interface. Every module in this package adds its sub-commands to
`main` on import, so a new command is a new module, with no central list to edit."""

from __future__ import annotations

import importlib
import pkgutil

from pdsgen.cli.app import main

for _info in pkgutil.iter_modules(__path__):
    if _info.name != "app":
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["main"]
