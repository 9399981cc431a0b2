"""Where the shipped label templates and reference labels are.

In a wheel they are the packages ``pdsgen.templates`` / ``pdsgen.labels`` (mapped from
the top-level folders by pyproject); in an editable install or a checkout they are the
top-level folders themselves.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def _resource_dir(name: str) -> Path:
    spec = importlib.util.find_spec(f"pdsgen.{name}")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"pdsgen's {name}/ folder is not installed")


def templates_dir() -> Path:
    """Folder of the built-in Jinja label templates."""
    return _resource_dir("templates")


def labels_dir() -> Path:
    """Folder of the reference labels of the inputs the built-in recipes read."""
    return _resource_dir("labels")
